// matequity: effect estimators (Hajek IPW, g-computation, AIPW, TMLE) and
// their stacked M-estimating equations.
//
// Parameters, in this order (blocks present depending on the method):
//   beta      propensity model (logistic, design X)          IPW, AIPW, gcomp ATO
//   gamma_1   outcome model fitted among the treated (design Z) gcomp, AIPW
//   gamma_0   outcome model fitted among the controls          gcomp, AIPW
//   nu_1, nu_0  tilted means of the outcome-model predictions  gcomp, AIPW
//   r_1, r_0    Hajek-weighted means of the residuals          IPW, AIPW
// and mu_a = nu_a + r_a (IPW: r_a with m_a = 0; gcomp: nu_a). With s_i the
// case weights and n = sum s_i, the per-unit estimating functions are
//   psi_beta  = s (A - e) x
//   psi_gamma_a = s 1{A=a} (Y - m_a) z             (canonical links)
//   psi_nu_a  = s h (m_a - nu_a)
//   psi_r_a   = s 1{A=a} w_a (Y - m_a - r_a)
// where w_a are the balancing weights of weights.hpp and h the tilting
// function: PSweight's h(e) for AIPW (1, e, 1-e, e(1-e)); for
// g-computation the target population itself (all, A, 1-A, e(1-e)).
// AIPW is then PSweight's augmented weighting estimator
//   mu_a = sum h m_a / sum h + sum 1{A=a} w (Y - m_a) / sum 1{A=a} w.
// A = -(1/n) sum d psi / d theta is computed analytically (stack_eval).
#pragma once

#include <Eigen/Dense>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "bootstrap.hpp"
#include "logit_irls.hpp"
#include "parallel.hpp"
#include "weights.hpp"

namespace matequity {

enum class Method { IPW = 0, GCOMP = 1, AIPW = 2, TMLE = 3 };

struct EffectSpec {
  Estimand estimand = Estimand::ATE;
  Method method = Method::AIPW;
  bool binary = true;         // binary outcome: logistic outcome models
  double truncate = -1.0;     // quantile for weight truncation; <= 0 none
  double q_bound = 5e-4;      // TMLE: Q bounded to [q_bound, 1 - q_bound]
  GlmControl ctl;
};

inline bool uses_ps(const EffectSpec& sp) {
  return sp.method != Method::GCOMP || sp.estimand == Estimand::ATO;
}
inline bool uses_outcome(const EffectSpec& sp) { return sp.method != Method::IPW; }
inline bool uses_nu(const EffectSpec& sp) {
  return sp.method == Method::GCOMP || sp.method == Method::AIPW;
}
inline bool uses_r(const EffectSpec& sp) {
  return sp.method == Method::IPW || sp.method == Method::AIPW;
}

// Columns of a design that enter the stack (aliased columns left out).
inline std::vector<int> kept_columns(Index p, const std::vector<int>& aliased) {
  std::vector<int> keep;
  for (Index j = 0; j < p; ++j)
    if (std::find(aliased.begin(), aliased.end(), static_cast<int>(j)) == aliased.end())
      keep.push_back(static_cast<int>(j));
  return keep;
}

struct EffectFit {
  GlmFit ps;                    // propensity model (empty when not used)
  VectorXd e;                   // propensity scores (always computed)
  VectorXd gamma1, gamma0;      // outcome coefficients (NaN aliased)
  std::vector<int> aliased1, aliased0;
  bool out_converged = true;
  int out_iter = 0;
  VectorXd m1, m0;              // outcome-model predictions for every unit
  VectorXd w;                   // balancing weights used (after truncation)
  std::vector<char> fixed;      // truncated units
  double cap[2] = {0.0, 0.0};   // truncation caps (controls, treated)
  long long n_truncated[2] = {0, 0};
  double nu[2] = {0.0, 0.0}, r[2] = {0.0, 0.0}, mu[2] = {0.0, 0.0};
  double eps[2] = {0.0, 0.0};   // TMLE fluctuation parameters
  VectorXd q1, q0;              // TMLE targeted predictions (outcome scale)
  double y_lo = 0.0, y_hi = 1.0;  // TMLE scaling of a continuous outcome
};

namespace detail {

inline double unit_h(const EffectSpec& sp, double e, double a, double& dh) {
  double h = 1.0;
  if (sp.method == Method::GCOMP && sp.estimand != Estimand::ATO) {
    dh = 0.0;
    if (sp.estimand == Estimand::ATE) return 1.0;
    return sp.estimand == Estimand::ATT ? a : 1.0 - a;
  }
  tilt(e, sp.estimand, h, dh);
  return h;
}

template <class Mat>
double row_dot(const Mat& X, Index i, const std::vector<int>& cols, const VectorXd& b,
               Index off) {
  double s = 0.0;
  for (std::size_t j = 0; j < cols.size(); ++j) s += X(i, cols[j]) * b[off + static_cast<Index>(j)];
  return s;
}

// One-dimensional logistic fluctuation for arm `arm`:
// solve sum_{A=arm} s H (Y - expit(off + eps H)) = 0 by Newton with halving.
inline double fluctuate(const VectorXd& ystar, const VectorXd& off, const VectorXd& H,
                        const std::vector<Index>& rows, const VectorXd& s) {
  double eps = 0.0;
  auto loglik = [&](double ep) {
    double ll = 0.0;
    for (Index i : rows) {
      const double q = logit_linkinv(off[i] + ep * H[i]);
      ll += s[i] * (ystar[i] * std::log(q) + (1.0 - ystar[i]) * std::log(1.0 - q));
    }
    return ll;
  };
  double ll = loglik(eps);
  for (int it = 0; it < 100; ++it) {
    double g = 0.0, inf = 0.0;
    for (Index i : rows) {
      const double q = logit_linkinv(off[i] + eps * H[i]);
      g += s[i] * H[i] * (ystar[i] - q);
      inf += s[i] * H[i] * H[i] * q * (1.0 - q);
    }
    if (!(inf > 0.0)) break;
    double step = g / inf;
    double cand = eps + step, llc = loglik(cand);
    int halv = 0;
    while (!(llc >= ll - 1e-12 * std::abs(ll)) && halv < 50) {
      step *= 0.5;
      cand = eps + step;
      llc = loglik(cand);
      ++halv;
    }
    eps = cand;
    const double change = std::abs(llc - ll);
    ll = llc;
    if (std::abs(step) < 1e-12 * (1.0 + std::abs(eps)) || change < 1e-14 * (std::abs(ll) + 0.1)) break;
  }
  return eps;
}

}  // namespace detail

// Fit everything for one data set with case weights s (1 for the data as
// given; bootstrap counts in a replicate).
template <class MatX, class MatZ>
EffectFit fit_effect(const MatX& X, const MatZ& Z, const VectorXd& a, const VectorXd& y,
                     const VectorXd& s, const EffectSpec& sp, int nthreads) {
  const Index n = X.rows();
  EffectFit f;
  // Propensity model (always: the scores are reported and used for weights).
  f.ps = logit_irls(X, a, s, VectorXd::Zero(n), sp.ctl, nthreads);
  f.e = f.ps.mu;
  // Weights.
  f.w.resize(n);
  for (Index i = 0; i < n; ++i) {
    double dw;
    ps_weight(f.e[i], static_cast<int>(a[i]), sp.estimand, f.w[i], dw);
  }
  f.fixed.assign(static_cast<std::size_t>(n), 0);
  if (sp.truncate > 0.0 && sp.truncate < 1.0) {
    for (int arm = 0; arm <= 1; ++arm) {
      std::vector<double> wa;
      for (Index i = 0; i < n; ++i) {
        if (static_cast<int>(a[i]) != arm) continue;
        const long long c = std::llround(s[i]);
        for (long long k = 0; k < c; ++k) wa.push_back(f.w[i]);
      }
      if (wa.empty()) continue;
      f.cap[arm] = quantile7(wa, sp.truncate);
      for (Index i = 0; i < n; ++i) {
        if (static_cast<int>(a[i]) == arm && f.w[i] > f.cap[arm]) {
          f.w[i] = f.cap[arm];
          f.fixed[static_cast<std::size_t>(i)] = 1;
          if (s[i] > 0.0) ++f.n_truncated[arm];
        }
      }
    }
  }
  // Outcome models, one per arm.
  f.m1 = VectorXd::Zero(n);
  f.m0 = VectorXd::Zero(n);
  if (uses_outcome(sp)) {
    for (int arm = 0; arm <= 1; ++arm) {
      VectorXd sw(n);
      for (Index i = 0; i < n; ++i) sw[i] = static_cast<int>(a[i]) == arm ? s[i] : 0.0;
      VectorXd coef, pred;
      std::vector<int> al;
      if (sp.binary) {
        GlmFit g = logit_irls(Z, y, sw, VectorXd::Zero(n), sp.ctl, nthreads);
        coef = g.coef;
        al = g.aliased;
        pred = g.mu;
        f.out_converged = f.out_converged && g.converged;
        f.out_iter = std::max(f.out_iter, g.iter);
      } else {
        LmFit g = wls_fit(Z, y, sw, sp.ctl, nthreads);
        coef = g.coef;
        al = g.aliased;
        pred = g.fitted;
      }
      if (arm == 1) { f.gamma1 = coef; f.aliased1 = al; f.m1 = pred; }
      else          { f.gamma0 = coef; f.aliased0 = al; f.m0 = pred; }
    }
  }
  // Means.
  for (int arm = 0; arm <= 1; ++arm) {
    const VectorXd& m = arm == 1 ? f.m1 : f.m0;
    double sh = 0.0, shm = 0.0, sw = 0.0, swr = 0.0;
    for (Index i = 0; i < n; ++i) {
      double dh;
      const double h = detail::unit_h(sp, f.e[i], a[i], dh);
      sh += s[i] * h;
      shm += s[i] * h * m[i];
      if (static_cast<int>(a[i]) == arm) {
        sw += s[i] * f.w[i];
        swr += s[i] * f.w[i] * (y[i] - m[i]);
      }
    }
    f.nu[arm] = uses_nu(sp) ? shm / sh : 0.0;
    f.r[arm] = uses_r(sp) ? swr / sw : 0.0;
    f.mu[arm] = f.nu[arm] + f.r[arm];
  }
  if (sp.method == Method::TMLE) {
    if (sp.estimand != Estimand::ATE)
      throw std::invalid_argument("TMLE is implemented for the ATE only");
    // Scale the outcome to [0, 1] (a no-op for a binary outcome).
    f.y_lo = sp.binary ? 0.0 : y.minCoeff();
    f.y_hi = sp.binary ? 1.0 : y.maxCoeff();
    const double range = f.y_hi - f.y_lo;
    if (!(range > 0.0)) throw std::invalid_argument("the outcome does not vary");
    auto bound = [&](double q) {
      return std::min(std::max(q, sp.q_bound), 1.0 - sp.q_bound);
    };
    VectorXd ystar(n), off1(n), off0(n), H1(n), H0(n);
    for (Index i = 0; i < n; ++i) {
      ystar[i] = (y[i] - f.y_lo) / range;
      const double q1 = bound((f.m1[i] - f.y_lo) / range);
      const double q0 = bound((f.m0[i] - f.y_lo) / range);
      off1[i] = std::log(q1 / (1.0 - q1));
      off0[i] = std::log(q0 / (1.0 - q0));
      H1[i] = 1.0 / f.e[i];
      H0[i] = 1.0 / (1.0 - f.e[i]);
    }
    std::vector<Index> rows1, rows0;
    for (Index i = 0; i < n; ++i) (static_cast<int>(a[i]) == 1 ? rows1 : rows0).push_back(i);
    f.eps[1] = detail::fluctuate(ystar, off1, H1, rows1, s);
    f.eps[0] = detail::fluctuate(ystar, off0, H0, rows0, s);
    f.q1.resize(n);
    f.q0.resize(n);
    double s1 = 0.0, s0 = 0.0, ss = 0.0;
    for (Index i = 0; i < n; ++i) {
      f.q1[i] = f.y_lo + range * detail::logit_linkinv(off1[i] + f.eps[1] * H1[i]);
      f.q0[i] = f.y_lo + range * detail::logit_linkinv(off0[i] + f.eps[0] * H0[i]);
      s1 += s[i] * f.q1[i];
      s0 += s[i] * f.q0[i];
      ss += s[i];
    }
    f.mu[1] = s1 / ss;
    f.mu[0] = s0 / ss;
  }
  return f;
}

// Layout of the parameter vector.
struct StackLayout {
  bool ps = false, outcome = false, nu = false, r = false;
  std::vector<int> xcols, z1cols, z0cols;
  Index p = 0, q1 = 0, q0 = 0;
  Index off_b = 0, off_g1 = 0, off_g0 = 0, off_nu = 0, off_r = 0, k = 0;
};

inline StackLayout make_layout(const EffectSpec& sp, bool account_ps, Index px, Index pz,
                               const EffectFit& f) {
  StackLayout L;
  L.ps = account_ps && uses_ps(sp);
  L.outcome = uses_outcome(sp);
  L.nu = uses_nu(sp);
  L.r = uses_r(sp);
  if (L.ps) L.xcols = kept_columns(px, f.ps.aliased);
  if (L.outcome) {
    L.z1cols = kept_columns(pz, f.aliased1);
    L.z0cols = kept_columns(pz, f.aliased0);
  }
  L.p = static_cast<Index>(L.xcols.size());
  L.q1 = static_cast<Index>(L.z1cols.size());
  L.q0 = static_cast<Index>(L.z0cols.size());
  L.off_b = 0;
  L.off_g1 = L.p;
  L.off_g0 = L.off_g1 + L.q1;
  L.off_nu = L.off_g0 + L.q0;
  L.off_r = L.off_nu + (L.nu ? 2 : 0);
  L.k = L.off_r + (L.r ? 2 : 0);
  return L;
}

// theta at the fit.
inline VectorXd theta_hat(const StackLayout& L, const EffectFit& f) {
  VectorXd th(L.k);
  for (Index j = 0; j < L.p; ++j) th[L.off_b + j] = f.ps.coef[L.xcols[j]];
  for (Index j = 0; j < L.q1; ++j) th[L.off_g1 + j] = f.gamma1[L.z1cols[j]];
  for (Index j = 0; j < L.q0; ++j) th[L.off_g0 + j] = f.gamma0[L.z0cols[j]];
  if (L.nu) { th[L.off_nu] = f.nu[1]; th[L.off_nu + 1] = f.nu[0]; }
  if (L.r) { th[L.off_r] = f.r[1]; th[L.off_r + 1] = f.r[0]; }
  return th;
}

struct StackEval {
  VectorXd psibar;  // (1/n) sum s_i psi_i
  MatrixXd A;       // -(1/n) sum s_i d psi_i / d theta
  MatrixXd psi;     // n x k per-unit psi_i, only when asked
};

namespace detail {

// Quantities of unit i at theta.
struct UnitQ {
  double e, de, m[2], v[2], w, dw, h, dh;
};

template <class MatX, class MatZ>
UnitQ unit_quantities(const StackLayout& L, const VectorXd& th, const MatX& X, const MatZ& Z,
                      Index i, double ai_d, const EffectSpec& sp, const EffectFit& f) {
  UnitQ u;
  const int ai = static_cast<int>(ai_d);
  u.e = L.ps ? logit_linkinv(row_dot(X, i, L.xcols, th, L.off_b)) : f.e[i];
  u.de = u.e * (1.0 - u.e);
  u.m[0] = u.m[1] = u.v[0] = u.v[1] = 0.0;
  if (L.outcome) {
    const double l1 = row_dot(Z, i, L.z1cols, th, L.off_g1);
    const double l0 = row_dot(Z, i, L.z0cols, th, L.off_g0);
    if (sp.binary) {
      u.m[1] = logit_linkinv(l1); u.m[0] = logit_linkinv(l0);
      u.v[1] = u.m[1] * (1.0 - u.m[1]); u.v[0] = u.m[0] * (1.0 - u.m[0]);
    } else {
      u.m[1] = l1; u.m[0] = l0; u.v[1] = u.v[0] = 1.0;
    }
  }
  ps_weight(u.e, ai, sp.estimand, u.w, u.dw);
  if (f.fixed[static_cast<std::size_t>(i)]) { u.w = f.cap[ai]; u.dw = 0.0; }
  u.h = unit_h(sp, u.e, ai_d, u.dh);
  if (!L.ps) { u.dw = 0.0; u.dh = 0.0; }
  return u;
}

// psi_i (without the case weight).
template <class MatX, class MatZ>
void unit_psi(const StackLayout& L, const VectorXd& th, const MatX& X, const MatZ& Z, Index i,
              double ai_d, double yi, const UnitQ& u, double* psi) {
  const int ai = static_cast<int>(ai_d);
  for (Index j = 0; j < L.k; ++j) psi[j] = 0.0;
  if (L.ps)
    for (Index j = 0; j < L.p; ++j) psi[L.off_b + j] = (ai_d - u.e) * X(i, L.xcols[j]);
  if (L.outcome) {
    const std::vector<int>& zc = ai == 1 ? L.z1cols : L.z0cols;
    const Index off = ai == 1 ? L.off_g1 : L.off_g0;
    for (std::size_t j = 0; j < zc.size(); ++j)
      psi[off + static_cast<Index>(j)] = (yi - u.m[ai]) * Z(i, zc[j]);
  }
  for (int arm = 0; arm <= 1; ++arm) {
    if (L.nu) psi[L.off_nu + (1 - arm)] = u.h * (u.m[arm] - th[L.off_nu + (1 - arm)]);
    if (L.r && ai == arm)
      psi[L.off_r + (1 - arm)] = u.w * (yi - u.m[arm] - th[L.off_r + (1 - arm)]);
  }
}

}  // namespace detail

// Evaluate the estimating functions and their analytic derivative at theta.
// When the propensity block is not in the stack, the fitted scores f.e are
// used as known. Truncated units (f.fixed) keep the cap as a fixed weight.
template <class MatX, class MatZ>
StackEval stack_eval(const StackLayout& L, const VectorXd& th, const MatX& X, const MatZ& Z,
                     const VectorXd& a, const VectorXd& y, const VectorXd& s,
                     const EffectSpec& sp, const EffectFit& f, bool want_psi,
                     int nthreads = 1) {
  const Index n = X.rows(), k = L.k;
  StackEval out;
  out.psibar = VectorXd::Zero(k);
  out.A = MatrixXd::Zero(k, k);
  if (want_psi) out.psi = MatrixXd::Zero(n, k);
  VectorXd wb = VectorXd::Zero(n), wg1 = VectorXd::Zero(n), wg0 = VectorXd::Zero(n);
  double ntot = 0.0;
  VectorXd psi(k);
  for (Index i = 0; i < n; ++i) {
    const double si = s[i];
    ntot += si;
    if (si == 0.0) continue;
    const int ai = static_cast<int>(a[i]);
    const detail::UnitQ u = detail::unit_quantities(L, th, X, Z, i, a[i], sp, f);
    detail::unit_psi(L, th, X, Z, i, a[i], y[i], u, psi.data());
    out.psibar += si * psi;
    if (want_psi) out.psi.row(i) = psi.transpose();
    wb[i] = si * u.de;
    (ai == 1 ? wg1 : wg0)[i] = si * u.v[ai];
    for (int arm = 0; arm <= 1; ++arm) {
      const Index rowg = arm == 1 ? L.off_g1 : L.off_g0;
      const std::vector<int>& zc = arm == 1 ? L.z1cols : L.z0cols;
      if (L.nu) {
        const Index rn = L.off_nu + (1 - arm);
        out.A(rn, rn) += si * u.h;
        if (L.ps) {
          const double c = si * u.dh * (u.m[arm] - th[rn]);
          for (Index j = 0; j < L.p; ++j) out.A(rn, L.off_b + j) -= c * X(i, L.xcols[j]);
        }
        if (L.outcome) {
          const double c = si * u.h * u.v[arm];
          for (std::size_t j = 0; j < zc.size(); ++j) out.A(rn, rowg + static_cast<Index>(j)) -= c * Z(i, zc[j]);
        }
      }
      if (L.r && ai == arm) {
        const Index rr = L.off_r + (1 - arm);
        out.A(rr, rr) += si * u.w;
        if (L.ps) {
          const double c = si * u.dw * (y[i] - u.m[arm] - th[rr]);
          for (Index j = 0; j < L.p; ++j) out.A(rr, L.off_b + j) -= c * X(i, L.xcols[j]);
        }
        if (L.outcome) {
          const double c = si * u.w * u.v[arm];
          for (std::size_t j = 0; j < zc.size(); ++j) out.A(rr, rowg + static_cast<Index>(j)) += c * Z(i, zc[j]);
        }
      }
    }
  }
  // Information blocks of the propensity and outcome models.
  MatrixXd M;
  VectorXd dummy;
  auto block = [&](const auto& D, const std::vector<int>& cols, const VectorXd& wt, Index off) {
    if (cols.empty()) return;
    if (static_cast<Index>(cols.size()) == D.cols()) {
      weighted_crossprod(D, wt, nullptr, M, dummy, nthreads);
    } else {
      std::vector<int> drop;
      for (Index j = 0; j < D.cols(); ++j)
        if (std::find(cols.begin(), cols.end(), static_cast<int>(j)) == cols.end())
          drop.push_back(static_cast<int>(j));
      weighted_crossprod(drop_columns(D, drop), wt, nullptr, M, dummy, nthreads);
    }
    out.A.block(off, off, M.rows(), M.cols()) = M;
  };
  if (L.ps) block(X, L.xcols, wb, L.off_b);
  if (L.outcome) {
    block(Z, L.z1cols, wg1, L.off_g1);
    block(Z, L.z0cols, wg0, L.off_g0);
  }
  out.psibar /= ntot;
  out.A /= ntot;
  return out;
}

// Rows of A^{-1} giving mu_1 and mu_0 (mu_a = nu_a + r_a).
inline MatrixXd mu_rows(const StackLayout& L, const MatrixXd& A) {
  Eigen::FullPivLU<MatrixXd> lu(A);
  if (!lu.isInvertible())
    throw std::runtime_error(
        "the M-estimation bread matrix is singular: a model parameter is not identified");
  const MatrixXd Ainv = lu.inverse();
  MatrixXd R = MatrixXd::Zero(2, L.k);  // rows: mu_1, mu_0
  for (int r = 0; r <= 1; ++r) {
    if (L.nu) R.row(r) += Ainv.row(L.off_nu + r);
    if (L.r) R.row(r) += Ainv.row(L.off_r + r);
  }
  return R;
}

// Influence functions of (mu_1, mu_0): an n x 2 matrix with
// mu_hat - mu ~ (1/n) sum IF_i. For TMLE: the efficient influence function
// at the targeted fit (as the tmle package); otherwise A^{-1} psi_i from the
// stack (account_ps = false treats the propensity scores, hence the weights,
// as known).
template <class MatX, class MatZ>
MatrixXd effect_if(const EffectFit& f, const MatX& X, const MatZ& Z, const VectorXd& a,
                   const VectorXd& y, const EffectSpec& sp, bool account_ps, int nthreads) {
  const Index n = X.rows();
  MatrixXd IF(n, 2);
  if (sp.method == Method::TMLE) {
    for (Index i = 0; i < n; ++i) {
      const int ai = static_cast<int>(a[i]);
      IF(i, 0) = (ai == 1 ? (y[i] - f.q1[i]) / f.e[i] : 0.0) + f.q1[i] - f.mu[1];
      IF(i, 1) = (ai == 0 ? (y[i] - f.q0[i]) / (1.0 - f.e[i]) : 0.0) + f.q0[i] - f.mu[0];
    }
    return IF;
  }
  const VectorXd s = VectorXd::Ones(n);
  const StackLayout L = make_layout(sp, account_ps, X.cols(), Z.cols(), f);
  const VectorXd th = theta_hat(L, f);
  const StackEval ev = stack_eval(L, th, X, Z, a, y, s, sp, f, false, nthreads);
  const MatrixXd R = mu_rows(L, ev.A);
  // Rows are independent: any thread count gives the same bits.
  const int nt = effective_threads(nthreads);
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    std::vector<double> psi(static_cast<std::size_t>(L.k));
#pragma omp for schedule(static)
    for (Index i = 0; i < n; ++i) {
      const detail::UnitQ u = detail::unit_quantities(L, th, X, Z, i, a[i], sp, f);
      detail::unit_psi(L, th, X, Z, i, a[i], y[i], u, psi.data());
      for (int r = 0; r <= 1; ++r) {
        double acc = 0.0;
        for (Index j = 0; j < L.k; ++j) acc += R(r, j) * psi[static_cast<std::size_t>(j)];
        IF(i, r) = acc;
      }
    }
  }
  return IF;
}

// Bootstrap replicates b0..b1-1 of (mu_1, mu_0): each refits every model
// with the replicate's case weights. Rows of the result are indexed by
// replicate, replicates run in parallel with one thread each, so the result
// does not depend on the thread count. A replicate whose fit fails gives NaN.
template <class MatX, class MatZ>
MatrixXd bootstrap_effect(const MatX& X, const MatZ& Z, const VectorXd& a, const VectorXd& y,
                          const EffectSpec& sp, std::uint64_t seed, long long b0, long long b1,
                          const std::vector<int>& cluster, int n_clusters, int nthreads) {
  const long long nrep = b1 - b0;
  MatrixXd out(nrep, 2);
  const std::size_t n = static_cast<std::size_t>(X.rows());
  const int nt = effective_threads(nthreads);
#pragma omp parallel for schedule(dynamic) num_threads(nt) if (nt > 1)
  for (long long r = 0; r < nrep; ++r) {
    const std::vector<double> cnt =
        bootstrap_counts(seed, static_cast<std::uint64_t>(b0 + r), n, cluster, n_clusters);
    const VectorXd s = Eigen::Map<const VectorXd>(cnt.data(), static_cast<Index>(n));
    try {
      const EffectFit f = fit_effect(X, Z, a, y, s, sp, 1);
      out(r, 0) = f.mu[1];
      out(r, 1) = f.mu[0];
    } catch (...) {
      out(r, 0) = out(r, 1) = std::numeric_limits<double>::quiet_NaN();
    }
  }
  return out;
}

}  // namespace matequity
