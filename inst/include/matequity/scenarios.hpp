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
// Estimates and influence functions (theta_hat - theta ~ (1/n) sum s_i IF_i,
// n = sum s_i) come from one stack (stack.hpp): the uptake model, each
// group's models, and each functional as a mean or derived block.
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
#include "logit_irls.hpp"
#include "parallel.hpp"
#include "stack.hpp"

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

// The fitted scenario models and theta, from the stack below.
struct ScenarioFit {
  VectorXd theta;                  // 6K: group k at k*6 + (mu, p, psi1, psi0, eq, tgt)
  double n = 0.0;                  // sum of the case weights
  GlmFit uptake;                   // fitted in the reference group
  std::vector<GlmFit> out1, out0;  // outcome models by arm, per group (gcomp)
  std::vector<GlmFit> ps;          // propensity models per group (weighting)
  MatrixXd IF, V;                  // P x 6K influence functions and 6K x 6K covariance (want_if)
};

namespace detail {

inline double ident(Index, const double* p, double* g) {
  g[0] = 1.0;
  return p[0];
}

}  // namespace detail

// theta as a stack (stack.hpp) of the uptake model, each group's models,
// and the group's six functionals with the ATC they need; s: frequency (or
// bootstrap) weights of the rows (patterns), which must give every group
// some weight.
inline ScenarioFit fit_scenarios(const std::vector<GroupData>& G, const VectorXd& s,
                                 const ScenarioSpec& sp, bool want_if = false) {
  const int K = sp.n_groups;
  for (const auto& d : G) {
    double tot = 0.0;
    for (Index i : d.rows) tot += s[i];
    if (!(tot > 0.0)) throw std::runtime_error("a group has no rows");
  }
  Stack st;
  const GroupData& R = G[static_cast<std::size_t>(sp.ref)];
  const auto& up = st.add<LogisticBlock>(R.L, R.a, VectorXd::Ones(R.a.size()), sp.ctl, R.rows);
  const Index ub = st.last();
  std::vector<Index> sel;
  std::vector<const LogisticBlock*> out1(K, nullptr), out0(K, nullptr), ps(K, nullptr);
  for (int k = 0; k < K; ++k) {
    const GroupData& d = G[static_cast<std::size_t>(k)];
    const Index m = static_cast<Index>(d.rows.size());
    const VectorXd one = VectorXd::Ones(m), treated = d.a, untreated = one - d.a;
    const VectorXd* y = &d.y;
    const VectorXd* a = &d.a;
    auto data = [](const VectorXd* v) {
      return [v](Index j, const double*, double*) { return (*v)[j]; };
    };
    const Prediction pi{&up, ub, d.L, {}};
    Index i_mu, i_p, i_psi1, i_psi0, i_eq, i_atc;
    auto mean = [&](VectorXd h, std::vector<Prediction> q, MeanBlock::Fn v, MeanBlock::Fn w,
                    double empty = std::numeric_limits<double>::quiet_NaN()) {
      st.add<MeanBlock>(std::move(h), std::move(q), std::move(v), std::move(w), d.rows, empty);
      return st.offset(st.last());
    };
    i_mu = mean(one, {}, data(y), nullptr);
    i_p = mean(one, {}, data(a), nullptr);
    if (!sp.weighting) {
      // g-computation: outcome models by arm, their predictions' means
      out1[k] = &st.add<LogisticBlock>(d.Z, d.y, treated, sp.ctl, d.rows);
      const Prediction m1{out1[k], st.last(), d.Z, {}};
      out0[k] = &st.add<LogisticBlock>(d.Z, d.y, untreated, sp.ctl, d.rows);
      const Prediction m0{out0[k], st.last(), d.Z, {}};
      i_psi1 = mean(one, {m1}, detail::ident, nullptr);
      i_psi0 = mean(one, {m0}, detail::ident, nullptr);
      i_eq = mean(one, {pi, m1, m0}, [](Index, const double* p, double* g) {
        g[0] = p[1] - p[2];
        g[1] = p[0];
        g[2] = 1.0 - p[0];
        return p[0] * p[1] + (1.0 - p[0]) * p[2];
      }, nullptr);
      i_atc = mean(untreated, {m1, m0}, [](Index, const double* p, double* g) {
        g[0] = 1.0;
        g[1] = -1.0;
        return p[0] - p[1];
      }, nullptr, 0.0);
    } else {
      // weighting: Hajek means with the group's propensity model
      ps[k] = &st.add<LogisticBlock>(d.Z, d.a, one, sp.ctl, d.rows);
      const Prediction e{ps[k], st.last(), d.Z, {}};
      i_psi1 = mean(treated, {e}, data(y), [](Index, const double* p, double* g) {
        g[0] = -1.0 / (p[0] * p[0]);
        return 1.0 / p[0];
      });
      i_psi0 = mean(untreated, {e}, data(y), [](Index, const double* p, double* g) {
        g[0] = 1.0 / ((1.0 - p[0]) * (1.0 - p[0]));
        return 1.0 / (1.0 - p[0]);
      });
      // ratio-of-mediator-probability weights pi^A (1-pi)^(1-A) / e^A (1-e)^(1-A)
      i_eq = mean(one, {pi, e}, data(y), [a](Index j, const double* p, double* g) {
        if ((*a)[j] == 1.0) {
          g[0] = 1.0 / p[1];
          g[1] = -p[0] / (p[1] * p[1]);
          return p[0] / p[1];
        }
        g[0] = -1.0 / (1.0 - p[1]);
        g[1] = (1.0 - p[0]) / ((1.0 - p[1]) * (1.0 - p[1]));
        return (1.0 - p[0]) / (1.0 - p[1]);
      });
      // ATC: the treated weighted by (1 - e) / e, minus the untreated's mean
      const Index i_t = mean(treated, {e}, data(y), [](Index, const double* p, double* g) {
        g[0] = -1.0 / (p[0] * p[0]);
        return (1.0 - p[0]) / p[0];
      }, 0.0);
      const Index i_c = mean(untreated, {}, data(y), nullptr, 0.0);
      st.add<DerivedBlock>([i_t, i_c](const VectorXd& th, VectorXd& g) {
        g[i_t] = 1.0;
        g[i_c] = -1.0;
        return th[i_t] - th[i_c];
      });
      i_atc = st.offset(st.last());
    }
    // target: tgt = mu + max(0, t - p) ATC in targeted groups, else mu
    const bool tg = sp.target[static_cast<std::size_t>(k)] != 0;
    const double t = sp.target_uptake;
    st.add<DerivedBlock>([=](const VectorXd& th, VectorXd& g) {
      g[i_mu] = 1.0;
      if (!tg || !(t > th[i_p])) return th[i_mu];
      g[i_p] = -th[i_atc];
      g[i_atc] = t - th[i_p];
      return th[i_mu] + (t - th[i_p]) * th[i_atc];
    });
    for (Index i : {i_mu, i_p, i_psi1, i_psi0, i_eq, st.offset(st.last())}) sel.push_back(i);
  }
  st.solve(s);
  ScenarioFit F;
  F.n = s.sum();
  F.theta.resize(static_cast<Index>(sel.size()));
  for (std::size_t j = 0; j < sel.size(); ++j) F.theta[static_cast<Index>(j)] = st.theta()[sel[j]];
  F.uptake = up.fit();
  for (int k = 0; k < K; ++k) {
    if (out1[k]) F.out1.push_back(out1[k]->fit());
    if (out0[k]) F.out0.push_back(out0[k]->fit());
    if (ps[k]) F.ps.push_back(ps[k]->fit());
  }
  if (want_if) {
    F.IF = st.influence(sel);
    F.V = st.vcov(F.IF);
  }
  return F;
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
