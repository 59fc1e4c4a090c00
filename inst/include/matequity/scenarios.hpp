// matequity: counterfactual disparity scenarios for a care model A, by group.
//
// Data: rows i (possibly distinct covariate patterns carrying frequency
// weights s_i), group codes g_i in 0..K-1, reference group r, care model
// a_i in {0, 1}, binary outcome y_i, design Z (intercept, allowable and
// other covariates) and design L (intercept and allowable covariates).
// Models, all logistic, fitted by logit_irls():
//   outcome     m_{k,a}(z)   Y ~ Z among group k, arm a      (gcomp)
//   propensity  e_k(z)       A ~ Z among group k             (weighting)
//   uptake      pi(l)        A ~ L among the reference group r
// Per group k the engine returns theta_k = (mu, p, psi1, psi0, eq, tgt):
//   mu   = E[Y | k]                observed risk
//   p    = E[A | k]                observed uptake
//   psi1 = E[Y^1 | k], psi0 = E[Y^0 | k]
//   eq   = E[ pi(L) Y^1 + (1 - pi(L)) Y^0 | k ]   A drawn from the reference
//          group's uptake given the allowable covariates (Jackson 2021)
//   tgt  = mu + max(0, t - p) * ATC_k for targeted groups (each untreated
//          woman treated with probability max(0, (t - p)/(1 - p))), else mu;
//          ATC_k = E[Y^1 - Y^0 | A = 0, k].
// gcomp: psi_a = mean_k m_{k,a}; eq = mean_k [pi m1 + (1 - pi) m0];
//   ATC = mean_{k, A=0} (m1 - m0).
// weighting (Hajek within group): psi_a = sum 1{A=a} Y / e_a / sum 1{A=a} / e_a;
//   eq = sum W Y / sum W with W = pi(L)^A (1-pi(L))^(1-A) / e^A (1-e)^(1-A)
//   (ratio-of-mediator-probability weights); ATC = Hajek mean of Y among the
//   treated with weights (1-e)/e minus the mean among the untreated.
// Influence functions (theta_hat - theta ~ (1/n) sum s_i IF_i, n = sum s_i)
// stack the models' score equations with the functionals (M-estimation):
// IF = direct term + grad' n H^{-1} x_i (resp_i - fitted_i) per model.
#pragma once

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "bootstrap.hpp"
#include "estimators.hpp"
#include "logit_irls.hpp"
#include "parallel.hpp"
#include "sandwich.hpp"

namespace matequity {

constexpr int kScenarioTerms = 6;  // mu, p, psi1, psi0, eq, tgt

struct ScenarioSpec {
  int n_groups = 0;
  int ref = 0;
  std::vector<int> target;   // 1 = group is targeted (size n_groups)
  double target_uptake = 0.75;
  bool weighting = false;    // false: g-computation
  GlmControl ctl;
};

// Rows of one group, copied once and shared by every fit (and replicate).
struct GroupData {
  std::vector<Index> rows;   // row numbers in the full data
  MatrixXd Z, L;
  VectorXd a, y;
};

inline std::vector<GroupData> split_groups(const MatrixXd& Z, const MatrixXd& L,
                                           const VectorXd& a, const VectorXd& y,
                                           const std::vector<int>& g, int K) {
  std::vector<GroupData> out(static_cast<std::size_t>(K));
  for (Index i = 0; i < static_cast<Index>(g.size()); ++i) {
    if (g[i] < 0 || g[i] >= K) throw std::invalid_argument("group codes must lie in 0..K-1");
    out[static_cast<std::size_t>(g[i])].rows.push_back(i);
  }
  for (auto& d : out) {
    const Index m = static_cast<Index>(d.rows.size());
    d.Z.resize(m, Z.cols());
    d.L.resize(m, L.cols());
    d.a.resize(m);
    d.y.resize(m);
    for (Index j = 0; j < m; ++j) {
      d.Z.row(j) = Z.row(d.rows[j]);
      d.L.row(j) = L.row(d.rows[j]);
      d.a[j] = a[d.rows[j]];
      d.y[j] = y[d.rows[j]];
    }
  }
  return out;
}

// A fitted logistic model with what the influence functions need.
struct ModelFit {
  GlmFit fit;
  std::vector<int> cols;     // kept (non-aliased) columns
  VectorXd pred;             // fitted probabilities for every row of the group
};

struct GroupFit {
  ModelFit out1, out0, ps;   // outcome models by arm (gcomp); propensity (weighting)
  VectorXd pi;               // uptake-model probabilities for the group's rows
  double n = 0.0, n0 = 0.0;  // sum of weights; among the untreated
  double theta[kScenarioTerms] = {0, 0, 0, 0, 0, 0};
  double atc = 0.0;
};

struct ScenarioFit {
  std::vector<GroupFit> groups;
  ModelFit uptake;           // fitted in the reference group; pred = its rows
  VectorXd alpha;            // uptake coefficients (NaN aliased)
  double n = 0.0;
  VectorXd theta;            // 6K
};

namespace detail {

inline ModelFit fit_logit(const MatrixXd& X, const VectorXd& resp, const VectorXd& w,
                          const GlmControl& ctl) {
  ModelFit m;
  m.fit = logit_irls(X, resp, w, VectorXd::Zero(X.rows()), ctl, 1);
  m.cols = kept_columns(X.cols(), m.fit.aliased);
  m.pred.resize(X.rows());
  const VectorXd eta = linear_predictor(X, m.fit.coef);
  for (Index i = 0; i < X.rows(); ++i) m.pred[i] = logit_linkinv(eta[i]);
  return m;
}

inline VectorXd times_weight(const VectorXd& s, const VectorXd& a, int arm) {
  VectorXd w(s.size());
  for (Index i = 0; i < s.size(); ++i) w[i] = static_cast<int>(a[i]) == arm ? s[i] : 0.0;
  return w;
}

}  // namespace detail

// Fit every model and compute theta. s: frequency (or bootstrap) weights.
inline ScenarioFit fit_scenarios(const std::vector<GroupData>& G, const VectorXd& s,
                                 const ScenarioSpec& sp) {
  const int K = sp.n_groups;
  ScenarioFit F;
  F.groups.resize(static_cast<std::size_t>(K));
  F.theta.resize(K * kScenarioTerms);
  std::vector<VectorXd> sg(static_cast<std::size_t>(K));
  for (int k = 0; k < K; ++k) {
    const GroupData& d = G[static_cast<std::size_t>(k)];
    VectorXd& w = sg[static_cast<std::size_t>(k)];
    w.resize(static_cast<Index>(d.rows.size()));
    for (Index j = 0; j < w.size(); ++j) w[j] = s[d.rows[j]];
    F.n += w.sum();
  }
  const GroupData& R = G[static_cast<std::size_t>(sp.ref)];
  F.uptake = detail::fit_logit(R.L, R.a, sg[static_cast<std::size_t>(sp.ref)], sp.ctl);
  F.alpha = F.uptake.fit.coef;
  for (int k = 0; k < K; ++k) {
    const GroupData& d = G[static_cast<std::size_t>(k)];
    const VectorXd& w = sg[static_cast<std::size_t>(k)];
    GroupFit& gf = F.groups[static_cast<std::size_t>(k)];
    const Index m = static_cast<Index>(d.rows.size());
    const VectorXd eta = linear_predictor(d.L, F.alpha);
    gf.pi.resize(m);
    for (Index j = 0; j < m; ++j) gf.pi[j] = detail::logit_linkinv(eta[j]);
    double n = 0, sy = 0, sa = 0;
    for (Index j = 0; j < m; ++j) { n += w[j]; sy += w[j] * d.y[j]; sa += w[j] * d.a[j]; }
    if (!(n > 0.0)) throw std::runtime_error("a group has no rows");
    gf.n = n;
    gf.n0 = n - sa;
    const double mu = sy / n, p = sa / n;
    double psi1 = 0, psi0 = 0, eq = 0, atc = 0;
    if (!sp.weighting) {
      gf.out1 = detail::fit_logit(d.Z, d.y, detail::times_weight(w, d.a, 1), sp.ctl);
      gf.out0 = detail::fit_logit(d.Z, d.y, detail::times_weight(w, d.a, 0), sp.ctl);
      const VectorXd& m1 = gf.out1.pred;
      const VectorXd& m0 = gf.out0.pred;
      double c = 0;
      for (Index j = 0; j < m; ++j) {
        psi1 += w[j] * m1[j];
        psi0 += w[j] * m0[j];
        eq += w[j] * (gf.pi[j] * m1[j] + (1.0 - gf.pi[j]) * m0[j]);
        if (d.a[j] == 0.0) c += w[j] * (m1[j] - m0[j]);
      }
      psi1 /= n; psi0 /= n; eq /= n;
      atc = gf.n0 > 0 ? c / gf.n0 : 0.0;
    } else {
      gf.ps = detail::fit_logit(d.Z, d.a, w, sp.ctl);
      const VectorXd& e = gf.ps.pred;
      double s1 = 0, s1y = 0, s0 = 0, s0y = 0, sW = 0, sWy = 0, sc = 0, scy = 0, sy0 = 0;
      for (Index j = 0; j < m; ++j) {
        const double aj = d.a[j], yj = d.y[j], pij = gf.pi[j];
        if (aj == 1.0) {
          s1 += w[j] / e[j]; s1y += w[j] * yj / e[j];
          const double W = pij / e[j];
          sW += w[j] * W; sWy += w[j] * W * yj;
          const double wc = (1.0 - e[j]) / e[j];
          sc += w[j] * wc; scy += w[j] * wc * yj;
        } else {
          s0 += w[j] / (1.0 - e[j]); s0y += w[j] * yj / (1.0 - e[j]);
          const double W = (1.0 - pij) / (1.0 - e[j]);
          sW += w[j] * W; sWy += w[j] * W * yj;
          sy0 += w[j] * yj;
        }
      }
      psi1 = s1 > 0 ? s1y / s1 : std::numeric_limits<double>::quiet_NaN();
      psi0 = s0 > 0 ? s0y / s0 : std::numeric_limits<double>::quiet_NaN();
      eq = sWy / sW;
      atc = (sc > 0 && gf.n0 > 0) ? scy / sc - sy0 / gf.n0 : 0.0;
    }
    gf.atc = atc;
    const bool tg = sp.target[static_cast<std::size_t>(k)] != 0;
    const double tgt = tg ? mu + std::max(0.0, sp.target_uptake - p) * atc : mu;
    const double th[kScenarioTerms] = {mu, p, psi1, psi0, eq, tgt};
    for (int j = 0; j < kScenarioTerms; ++j) {
      gf.theta[j] = th[j];
      F.theta[k * kScenarioTerms + j] = th[j];
    }
  }
  return F;
}

namespace detail {

// H^{-1} grad on the kept columns, for a model with design X, working
// weights wt (s * fitted * (1 - fitted) on the model's rows).
inline VectorXd bread_solve(const MatrixXd& X, const std::vector<int>& cols, const VectorXd& wt,
                            const VectorXd& grad_kept) {
  std::vector<int> drop;
  for (Index j = 0; j < X.cols(); ++j)
    if (std::find(cols.begin(), cols.end(), static_cast<int>(j)) == cols.end())
      drop.push_back(static_cast<int>(j));
  MatrixXd H;
  VectorXd dummy;
  if (drop.empty()) weighted_crossprod(X, wt, nullptr, H, dummy, 1);
  else weighted_crossprod(drop_columns(X, drop), wt, nullptr, H, dummy, 1);
  Eigen::FullPivLU<MatrixXd> lu(H);
  if (!lu.isInvertible())
    throw std::runtime_error("the information matrix of a model is singular: a coefficient is not identified");
  return lu.solve(grad_kept);
}

inline double dot_kept(const MatrixXd& X, Index j, const std::vector<int>& cols, const VectorXd& h) {
  double acc = 0.0;
  for (std::size_t c = 0; c < cols.size(); ++c) acc += X(j, cols[c]) * h[static_cast<Index>(c)];
  return acc;
}

}  // namespace detail

// Influence functions: a P x 6K matrix (P rows of the data, one per pattern).
// Columns of group k are k*6 + (mu, p, psi1, psi0, eq, tgt).
inline MatrixXd scenario_if(const ScenarioFit& F, const std::vector<GroupData>& G,
                            const VectorXd& s, Index n_rows, const ScenarioSpec& sp) {
  const int K = sp.n_groups;
  const double n = F.n;
  MatrixXd IF = MatrixXd::Zero(n_rows, K * kScenarioTerms);
  const GroupData& R = G[static_cast<std::size_t>(sp.ref)];
  const std::vector<int>& lc = F.uptake.cols;
  // Uptake-model bread, working weights on the reference rows.
  VectorXd wt_alpha(static_cast<Index>(R.rows.size()));
  for (Index j = 0; j < wt_alpha.size(); ++j) {
    const double pr = F.uptake.pred[j];
    wt_alpha[j] = s[R.rows[j]] * pr * (1.0 - pr);
  }
  for (int k = 0; k < K; ++k) {
    const GroupData& d = G[static_cast<std::size_t>(k)];
    const GroupFit& gf = F.groups[static_cast<std::size_t>(k)];
    const Index m = static_cast<Index>(d.rows.size());
    const double nk = gf.n, n0 = gf.n0;
    const double mu = gf.theta[0], p = gf.theta[1], psi1 = gf.theta[2], psi0 = gf.theta[3],
                 eq = gf.theta[4];
    const int c0 = k * kScenarioTerms;
    VectorXd sw(m);
    for (Index j = 0; j < m; ++j) sw[j] = s[d.rows[j]];
    // Direct terms and gradients.
    VectorXd IFatc = VectorXd::Zero(m);
    VectorXd galpha = VectorXd::Zero(static_cast<Index>(lc.size()));
    for (Index j = 0; j < m; ++j) {
      const Index i = d.rows[j];
      IF(i, c0 + 0) = n / nk * (d.y[j] - mu);
      IF(i, c0 + 1) = n / nk * (d.a[j] - p);
    }
    if (!sp.weighting) {
      const VectorXd& m1 = gf.out1.pred;
      const VectorXd& m0 = gf.out0.pred;
      const std::vector<int>& c1 = gf.out1.cols;
      const std::vector<int>& cz0 = gf.out0.cols;
      VectorXd g1_psi = VectorXd::Zero(c1.size()), g0_psi = VectorXd::Zero(cz0.size());
      VectorXd g1_eq = g1_psi, g0_eq = g0_psi, g1_atc = g1_psi, g0_atc = g0_psi;
      VectorXd wt1(m), wt0(m);
      for (Index j = 0; j < m; ++j) {
        const double v1 = m1[j] * (1.0 - m1[j]), v0 = m0[j] * (1.0 - m0[j]);
        wt1[j] = d.a[j] == 1.0 ? sw[j] * v1 : 0.0;
        wt0[j] = d.a[j] == 0.0 ? sw[j] * v0 : 0.0;
        for (std::size_t c = 0; c < c1.size(); ++c) {
          const double z = d.Z(j, c1[c]);
          g1_psi[c] += sw[j] * v1 * z / nk;
          g1_eq[c] += sw[j] * gf.pi[j] * v1 * z / nk;
          if (d.a[j] == 0.0 && n0 > 0) g1_atc[c] += sw[j] * v1 * z / n0;
        }
        for (std::size_t c = 0; c < cz0.size(); ++c) {
          const double z = d.Z(j, cz0[c]);
          g0_psi[c] += sw[j] * v0 * z / nk;
          g0_eq[c] += sw[j] * (1.0 - gf.pi[j]) * v0 * z / nk;
          if (d.a[j] == 0.0 && n0 > 0) g0_atc[c] -= sw[j] * v0 * z / n0;
        }
        const double dpi = gf.pi[j] * (1.0 - gf.pi[j]);
        for (std::size_t c = 0; c < lc.size(); ++c)
          galpha[c] += sw[j] * (m1[j] - m0[j]) * dpi * d.L(j, lc[c]) / nk;
      }
      MatrixXd G1(c1.size(), 3), G0(cz0.size(), 3);
      G1 << g1_psi, g1_eq, g1_atc;
      G0 << g0_psi, g0_eq, g0_atc;
      MatrixXd H1(c1.size(), 3), H0(cz0.size(), 3);
      for (int c = 0; c < 3; ++c) {
        H1.col(c) = detail::bread_solve(d.Z, c1, wt1, G1.col(c));
        H0.col(c) = detail::bread_solve(d.Z, cz0, wt0, G0.col(c));
      }
      for (Index j = 0; j < m; ++j) {
        const Index i = d.rows[j];
        double t1[3] = {0, 0, 0}, t0[3] = {0, 0, 0};
        if (d.a[j] == 1.0) {
          const double r = n * (d.y[j] - m1[j]);
          for (int c = 0; c < 3; ++c) t1[c] = r * detail::dot_kept(d.Z, j, c1, H1.col(c));
        } else {
          const double r = n * (d.y[j] - m0[j]);
          for (int c = 0; c < 3; ++c) t0[c] = r * detail::dot_kept(d.Z, j, cz0, H0.col(c));
        }
        IF(i, c0 + 2) = n / nk * (m1[j] - psi1) + t1[0];
        IF(i, c0 + 3) = n / nk * (m0[j] - psi0) + t0[0];
        const double h = gf.pi[j] * m1[j] + (1.0 - gf.pi[j]) * m0[j];
        IF(i, c0 + 4) = n / nk * (h - eq) + t1[1] + t0[1];
        IFatc[j] = (d.a[j] == 0.0 && n0 > 0 ? n / n0 * (m1[j] - m0[j] - gf.atc) : 0.0) +
                   t1[2] + t0[2];
      }
    } else {
      const VectorXd& e = gf.ps.pred;
      const std::vector<int>& cz = gf.ps.cols;
      const Index q = static_cast<Index>(cz.size());
      double S1 = 0, S0 = 0, SW = 0, Sc = 0;
      for (Index j = 0; j < m; ++j) {
        if (d.a[j] == 1.0) {
          S1 += sw[j] / e[j]; SW += sw[j] * gf.pi[j] / e[j]; Sc += sw[j] * (1.0 - e[j]) / e[j];
        } else {
          S0 += sw[j] / (1.0 - e[j]); SW += sw[j] * (1.0 - gf.pi[j]) / (1.0 - e[j]);
        }
      }
      double s0y = 0;
      for (Index j = 0; j < m; ++j)
        if (d.a[j] == 0.0) s0y += sw[j] * d.y[j];
      const double nu0 = n0 > 0 ? s0y / n0 : 0.0;  // mean Y among the untreated
      const double nu1 = nu0 + gf.atc;              // ATC-weighted mean among the treated
      MatrixXd Gg = MatrixXd::Zero(q, 4);  // psi1, psi0, eq, atc (nu1)
      VectorXd wt(m);
      for (Index j = 0; j < m; ++j) {
        const double ej = e[j], yj = d.y[j], pij = gf.pi[j];
        wt[j] = sw[j] * ej * (1.0 - ej);
        double c[4] = {0, 0, 0, 0};
        if (d.a[j] == 1.0) {
          const double dinv = -(1.0 - ej) / ej;   // d(1/e)/d eta
          c[0] = (yj - psi1) * dinv / S1;
          c[2] = (yj - eq) * pij * dinv / SW;
          c[3] = Sc > 0 ? (yj - nu1) * dinv / Sc : 0.0;
        } else {
          const double dinv = ej / (1.0 - ej);    // d(1/(1-e))/d eta
          c[1] = (yj - psi0) * dinv / S0;
          c[2] = (yj - eq) * (1.0 - pij) * dinv / SW;
        }
        for (Index cc = 0; cc < q; ++cc) {
          const double z = d.Z(j, cz[static_cast<std::size_t>(cc)]);
          for (int t = 0; t < 4; ++t) Gg(cc, t) += sw[j] * c[t] * z;
        }
        const double den = d.a[j] == 1.0 ? ej : 1.0 - ej;
        const double dW = (d.a[j] == 1.0 ? 1.0 : -1.0) * pij * (1.0 - pij) / den;
        for (std::size_t cc = 0; cc < lc.size(); ++cc)
          galpha[cc] += sw[j] * (yj - eq) * dW * d.L(j, lc[cc]) / SW;
      }
      MatrixXd Hg(q, 4);
      for (int t = 0; t < 4; ++t) Hg.col(t) = detail::bread_solve(d.Z, cz, wt, Gg.col(t));
      for (Index j = 0; j < m; ++j) {
        const Index i = d.rows[j];
        const double r = n * (d.a[j] - e[j]);
        double t4[4];
        for (int t = 0; t < 4; ++t) t4[t] = r * detail::dot_kept(d.Z, j, cz, Hg.col(t));
        const double ej = e[j], yj = d.y[j];
        if (d.a[j] == 1.0) {
          IF(i, c0 + 2) = n * (yj - psi1) / ej / S1 + t4[0];
          IF(i, c0 + 3) = t4[1];
          IF(i, c0 + 4) = n * gf.pi[j] / ej * (yj - eq) / SW + t4[2];
          IFatc[j] = (Sc > 0 ? n * (1.0 - ej) / ej * (yj - nu1) / Sc : 0.0) + t4[3];
        } else {
          IF(i, c0 + 2) = t4[0];
          IF(i, c0 + 3) = n * (yj - psi0) / (1.0 - ej) / S0 + t4[1];
          IF(i, c0 + 4) = n * (1.0 - gf.pi[j]) / (1.0 - ej) * (yj - eq) / SW + t4[2];
          IFatc[j] = t4[3] - (n0 > 0 ? n / n0 * (yj - nu0) : 0.0);
        }
      }
    }
    // Uptake-model contribution to eq (rows of the reference group).
    if (!lc.empty()) {
      const VectorXd ha = detail::bread_solve(R.L, lc, wt_alpha, galpha);
      for (Index j = 0; j < static_cast<Index>(R.rows.size()); ++j) {
        const double r = n * (R.a[j] - F.uptake.pred[j]);
        IF(R.rows[j], c0 + 4) += r * detail::dot_kept(R.L, j, lc, ha);
      }
    }
    // Target scenario: tgt = mu + max(0, t - p) * ATC.
    const bool tg = sp.target[static_cast<std::size_t>(k)] != 0;
    const double gap = sp.target_uptake - p;
    for (Index j = 0; j < m; ++j) {
      const Index i = d.rows[j];
      double v = IF(i, c0 + 0);
      if (tg && gap > 0) v += gap * IFatc[j] - gf.atc * IF(i, c0 + 1);
      IF(i, c0 + 5) = v;
    }
  }
  return IF;
}

// Covariance of theta: sum_i s_i IF_i IF_i' / n^2 (sandwich.hpp's formula
// with frequency weights).
inline MatrixXd scenario_vcov(const MatrixXd& IF, const VectorXd& s, double n) {
  MatrixXd S = IF;
  for (Index i = 0; i < S.rows(); ++i) S.row(i) *= std::sqrt(s[i]);
  const double P = static_cast<double>(S.rows());
  const VcovResult vc = vcov_from_if(S, std::vector<int>(), 0, 1);
  return vc.V * (P * P) / (n * n);
}

// Bootstrap replicates b0..b1-1 of theta. Each replicate resamples the
// n_units original rows (bootstrap_counts, seeded by (seed, b)), sums the
// counts into the patterns (row_pattern: 0-based pattern of each original
// row) and refits every model. Replicates run in parallel, one thread each,
// stored by index: the result does not depend on the thread count. A
// replicate that fails gives NaN, and its reason in `reasons` when given.
inline MatrixXd bootstrap_scenarios(const std::vector<GroupData>& G, Index n_patterns,
                                    const std::vector<int>& row_pattern, const ScenarioSpec& sp,
                                    std::uint64_t seed, long long b0, long long b1, int nthreads,
                                    std::vector<std::string>* reasons = nullptr) {
  const long long nrep = b1 - b0;
  MatrixXd out(nrep, sp.n_groups * kScenarioTerms);
  if (reasons) reasons->assign(static_cast<std::size_t>(nrep), std::string());
  const std::size_t nu = row_pattern.size();
  const int nt = effective_threads(nthreads);
#pragma omp parallel for schedule(dynamic) num_threads(nt) if (nt > 1)
  for (long long r = 0; r < nrep; ++r) {
    const std::vector<double> cnt =
        bootstrap_counts(seed, static_cast<std::uint64_t>(b0 + r), nu, std::vector<int>(), 0);
    VectorXd s = VectorXd::Zero(n_patterns);
    for (std::size_t i = 0; i < nu; ++i) s[row_pattern[i]] += cnt[i];
    try {
      bool ok = true;
      for (const auto& d : G) {
        double tot = 0;
        for (Index i : d.rows) tot += s[i];
        if (!(tot > 0)) ok = false;
      }
      if (!ok) throw std::runtime_error("a group has no rows in the replicate");
      const ScenarioFit F = fit_scenarios(G, s, sp);
      out.row(r) = F.theta.transpose();
      if (reasons && !F.theta.allFinite())
        (*reasons)[static_cast<std::size_t>(r)] = "the estimate is not finite";
    } catch (const std::exception& e) {
      out.row(r).setConstant(std::numeric_limits<double>::quiet_NaN());
      if (reasons) (*reasons)[static_cast<std::size_t>(r)] = e.what();
    }
  }
  return out;
}

}  // namespace matequity
