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
// These are blocks of stack.hpp (build_effect_stack()): the bread, the
// influence functions and the sandwich come from Stack.
#pragma once

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "bootstrap.hpp"
#include "logit_irls.hpp"
#include "parallel.hpp"
#include "stack.hpp"
#include "weights.hpp"

namespace matequity {

enum class Method { IPW = 0, GCOMP = 1, AIPW = 2, TMLE = 3 };

struct EffectSpec {
  Estimand estimand = Estimand::ATE;
  Method method = Method::AIPW;
  bool binary = true;         // binary outcome: logistic outcome models
  double truncate = -1.0;     // quantile for weight truncation (WeightIt trim()); <= 0 none
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

struct EffectFit {
  GlmFit ps;                    // propensity model (empty when not used)
  VectorXd e;                   // propensity scores (always computed)
  VectorXd gamma1, gamma0;      // outcome coefficients (NaN aliased)
  std::vector<int> aliased1, aliased0;
  bool out_converged = true;
  int out_iter = 0;
  VectorXd m1, m0;              // outcome-model predictions for every unit (TMLE; else 0)
  VectorXd w;                   // balancing weights used (after truncation)
  std::vector<char> fixed;      // truncated units
  double cap[2] = {0.0, 0.0};   // truncation cap of each arm (controls, treated; one pooled cap)
  long long n_truncated[2] = {0, 0};
  double mu[2] = {0.0, 0.0};     // mu_1, mu_0 (stack_means(); TMLE: the targeted means)
  double eps[2] = {0.0, 0.0};   // TMLE fluctuation parameters
  VectorXd q1, q0;              // TMLE targeted predictions (outcome scale)
  GlmFit ps_scratch;            // buffers of the outcome models' logistic fits
  double y_lo = 0.0, y_hi = 1.0;  // TMLE scaling of a continuous outcome
};

namespace detail {

// One-dimensional logistic fluctuation for arm `arm`:
// solve sum_{A=arm} s H (Y - expit(off + eps H)) = 0 by Newton with halving.
inline double fluctuate(const Eigen::Ref<const VectorXd>& ystar,
                        const Eigen::Ref<const VectorXd>& off, const Eigen::Ref<const VectorXd>& H,
                        const std::vector<Index>& rows, const Eigen::Ref<const VectorXd>& s) {
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

// Options of fit_effect() used by the bootstrap; the defaults give the
// full-sample fit.
struct FitOptions {
  // Warm starts of the logistic fits (full length, NaN = aliased), e.g. the
  // full-sample coefficients; nullptr = glm.fit's starting values.
  const VectorXd* ps_start = nullptr;
  const VectorXd* start1 = nullptr;
  const VectorXd* start0 = nullptr;
  // >= 0: rows [0, arm_split) are the treated and the others the controls,
  // and each outcome model is fitted on its own arm's rows only (the other
  // arm's rows have weight 0 in it anyway); predictions still cover all rows.
  Index arm_split = -1;
  // TMLE with a continuous outcome: the range used to scale it to [0, 1]
  // (a resample must use the range of the original data).
  bool y_range_given = false;
  double y_lo = 0.0, y_hi = 1.0;
  // Leave out what a bootstrap replicate does not need: the propensity
  // model when the estimator does not use the scores (g-computation for
  // ATE, ATT, ATC), and the balancing weights when it does not use them.
  bool replicate = false;
};

// The stacked estimating equations of a fit (TMLE has none: its
// fluctuation is not an M-estimator of this form). Blocks, in order:
//   beta      propensity model (logistic on X)        when account_ps and the scores are used
//   gamma_1   outcome model among the treated (Z)     gcomp, AIPW
//   gamma_0   outcome model among the controls
//   nu_1, nu_0  means of m_a weighted by h             gcomp, AIPW
//   r_1, r_0    means of Y - m_a over arm a, weights w  IPW, AIPW
//   mu_1, mu_0  nu_a + r_a                              AIPW
// The models take the coefficients of f (fitted by fit_effect_into() with
// its warm starts); the means are solved by the stack. Without the
// propensity block the scores f.e, hence h and the weights f.w, are known;
// with it, truncated units (f.fixed) keep the cap as a fixed weight.
// `mu` receives the positions of mu_1 and mu_0 in theta. The stack is
// solved with case weights s (ones for the data as given); it reads a and y
// where they are, so they must outlive it.
struct EffectStack {
  Stack st;
  Index mu[2] = {0, 0};
};

template <class MatX, class MatZ>
void build_effect_stack(EffectStack& es, const EffectFit& f, const MatX& X, const MatZ& Z,
                        const Eigen::Ref<const VectorXd>& a, const Eigen::Ref<const VectorXd>& y,
                        const EffectSpec& sp, bool account_ps, int nthreads,
                        const Eigen::Ref<const VectorXd>& s) {
  Stack& st = es.st;
  const Index n = X.rows();
  const bool ps = account_ps && uses_ps(sp);
  const LogisticBlock* psb = nullptr;
  if (ps) {
    auto& m = st.add<LogisticBlock>(X, a, VectorXd::Ones(n), sp.ctl, std::vector<Index>(), nthreads);
    m.use_fit(f.ps.coef, f.ps.aliased);
    psb = &m;
  }
  const Index b_ps = 0;
  const ModelBlock* out[2] = {nullptr, nullptr};
  Index b_out[2] = {0, 0};
  if (uses_outcome(sp)) {
    for (int arm = 1; arm >= 0; --arm) {
      VectorXd in(n);
      for (Index i = 0; i < n; ++i) in[i] = static_cast<int>(a[i]) == arm ? 1.0 : 0.0;
      ModelBlock* m;
      if (sp.binary)
        m = &st.add<LogisticBlock>(Z, y, in, sp.ctl, std::vector<Index>(), nthreads);
      else
        m = &st.add<LinearBlock>(Z, y, in, sp.ctl, std::vector<Index>(), nthreads);
      m->use_fit(arm == 1 ? f.gamma1 : f.gamma0, arm == 1 ? f.aliased1 : f.aliased0);
      out[arm] = m;
      b_out[arm] = st.last();
    }
  }
  const Estimand est = sp.estimand;
  // d/dp of a function of e given d/deta: divided by de/deta = e(1 - e).
  Index nu[2] = {-1, -1}, r[2] = {-1, -1};
  if (uses_nu(sp)) {
    // g-computation targets all, the treated or the controls (known h),
    // except the ATO (h = e(1 - e)); AIPW tilts by PSweight's h(e).
    const bool tilted = sp.method == Method::AIPW || est == Estimand::ATO;
    for (int arm = 1; arm >= 0; --arm) {
      VectorXd h = VectorXd::Ones(n);
      if (!tilted && est != Estimand::ATE)
        for (Index i = 0; i < n; ++i) h[i] = est == Estimand::ATT ? a[i] : 1.0 - a[i];
      std::vector<Prediction> preds{Prediction{out[arm], b_out[arm], Z, {}}};
      if (ps) preds.push_back(Prediction{psb, b_ps, X, {}});
      MeanBlock::Fn value = [](Index, const double* p, double* g) {
        g[0] = 1.0;
        return p[0];
      };
      MeanBlock::Fn weight;
      if (tilted && ps) {
        weight = [est](Index, const double* p, double* g) {
          double hh, dh;
          tilt(p[1], est, hh, dh);
          g[1] = dh / (p[1] * (1.0 - p[1]));
          return hh;
        };
      } else if (tilted) {
        weight = [&f, est](Index j, const double*, double*) {
          double hh, dh;
          tilt(f.e[j], est, hh, dh);
          return hh;
        };
      }
      st.add<MeanBlock>(std::move(h), std::move(preds), std::move(value), std::move(weight));
      nu[arm] = st.offset(st.last());
    }
  }
  if (uses_r(sp)) {
    const bool outcome = uses_outcome(sp);
    for (int arm = 1; arm >= 0; --arm) {
      VectorXd h(n);
      for (Index i = 0; i < n; ++i) h[i] = static_cast<int>(a[i]) == arm ? 1.0 : 0.0;
      std::vector<Prediction> preds;
      if (outcome) preds.push_back(Prediction{out[arm], b_out[arm], Z, {}});
      const std::size_t ie = preds.size();
      if (ps) preds.push_back(Prediction{psb, b_ps, X, {}});
      MeanBlock::Fn value = residual_value(y.data(), outcome);
      MeanBlock::Fn weight;
      if (ps) {
        weight = [&f, arm, est, ie](Index j, const double* p, double* g) {
          if (f.fixed[static_cast<std::size_t>(j)]) return f.cap[arm];
          double w, dw;
          ps_weight(p[ie], arm, est, w, dw);
          g[ie] = dw / (p[ie] * (1.0 - p[ie]));
          return w;
        };
      } else {
        weight = [&f](Index j, const double*, double*) { return f.w[j]; };
      }
      st.add<MeanBlock>(std::move(h), std::move(preds), std::move(value), std::move(weight));
      r[arm] = st.offset(st.last());
    }
  }
  for (int arm = 0; arm <= 1; ++arm) {
    if (nu[arm] >= 0 && r[arm] >= 0) {
      const Index pn = nu[arm], pr = r[arm];
      st.add<DerivedBlock>([pn, pr](const VectorXd& th, VectorXd& g) {
        g[pn] = 1.0;
        g[pr] = 1.0;
        return th[pn] + th[pr];
      });
      es.mu[arm] = st.offset(st.last());
    } else {
      es.mu[arm] = nu[arm] >= 0 ? nu[arm] : r[arm];
    }
  }
  st.solve(s);
}

// n-length buffers of fit_effect_into(), kept by a caller that fits many
// data sets (a bootstrap thread) so that a fit allocates nothing of size n.
struct EffectWorkspace {
  IrlsWorkspace irls;
  VectorXd zero, sw, ystar, off1, off0, H1, H0;
  std::vector<double> wa;
  std::vector<Index> rows1, rows0;
};

// The fit's means (mu_1, mu_0) into f.mu: the effect stack's mean blocks
// (build_effect_stack(), no propensity block: the scores and weights of f
// as known) solved with case weights s. The one evaluation of the means,
// for a fit and for a bootstrap replicate alike.
template <class MatX, class MatZ>
void stack_means(EffectFit& f, const MatX& X, const MatZ& Z, const Eigen::Ref<const VectorXd>& a,
                 const Eigen::Ref<const VectorXd>& y, const Eigen::Ref<const VectorXd>& s,
                 const EffectSpec& sp, int nthreads) {
  EffectStack es;
  build_effect_stack(es, f, X, Z, a, y, sp, false, nthreads, s);
  f.mu[1] = es.st.theta()[es.mu[1]];
  f.mu[0] = es.st.theta()[es.mu[0]];
}

// Fit everything for one data set with case weights s (1 for the data as
// given; bootstrap counts in a replicate), writing into f. The n-length
// members of f (e, w, m1, m0, q1, q0, ps.eta, ps.mu) are grown if needed
// and their first n entries are this fit's: a fresh f gets exactly n.
template <class MatX, class MatZ>
void fit_effect_into(EffectFit& f, const MatX& X, const MatZ& Z,
                     const Eigen::Ref<const VectorXd>& a, const Eigen::Ref<const VectorXd>& y,
                     const Eigen::Ref<const VectorXd>& s, const EffectSpec& sp, int nthreads,
                     const FitOptions& opt, EffectWorkspace& ws) {
  const Index n = X.rows();
  const bool need_e = !opt.replicate || uses_ps(sp) || sp.method == Method::TMLE;
  const bool need_w = !opt.replicate || uses_r(sp);
  for (int arm = 0; arm <= 1; ++arm) {
    f.cap[arm] = 0.0;
    f.n_truncated[arm] = 0;
    f.mu[arm] = f.eps[arm] = 0.0;
  }
  f.out_converged = true;
  f.out_iter = 0;
  auto zero = head_of(ws.zero, n);
  zero.setZero();
  // Propensity model (the scores are reported and used for weights).
  if (need_e) {
    logit_irls_into(f.ps, X, a, s, zero, sp.ctl, nthreads, opt.ps_start, ws.irls);
    head_of(f.e, n) = f.ps.mu.head(n);
  }
  // Weights.
  if (need_w) {
    auto w = head_of(f.w, n);
    for (Index i = 0; i < n; ++i) {
      double dw;
      ps_weight(f.e[i], static_cast<int>(a[i]), sp.estimand, w[i], dw);
    }
    f.fixed.assign(static_cast<std::size_t>(n), 0);
  }
  if (need_w && sp.truncate > 0.0 && sp.truncate < 1.0) {
    // WeightIt's trim(): one cap for the non-focal arms, pooled.
    bool arms[2];
    truncated_arms(sp.estimand, arms);
    auto w = head_of(f.w, n);
    const double cap = truncate_weights(w, a, s, n, sp.truncate, arms, f.fixed,
                                        f.n_truncated, ws.wa);
    for (int arm = 0; arm <= 1; ++arm) f.cap[arm] = arms[arm] ? cap : 0.0;
  }
  // Outcome models, one per arm. Their predictions for every unit (m1,
  // m0) are kept for TMLE's fluctuation; the other methods' means take the
  // coefficients (stack_means()).
  const bool tmle = sp.method == Method::TMLE;
  head_of(f.m1, n).setZero();
  head_of(f.m0, n).setZero();
  if (uses_outcome(sp)) {
    if (opt.arm_split > n) throw std::invalid_argument("fit_effect: arm_split beyond the data");
    for (int arm = 0; arm <= 1; ++arm) {
      const VectorXd* start = arm == 1 ? opt.start1 : opt.start0;
      VectorXd& coef = arm == 1 ? f.gamma1 : f.gamma0;
      std::vector<int>& al = arm == 1 ? f.aliased1 : f.aliased0;
      auto pred = (arm == 1 ? f.m1 : f.m0).head(n);
      if (opt.arm_split >= 0) {
        // Fit on the arm's rows only (the others have weight 0 in the
        // model), then predict for all rows.
        const Index r0 = arm == 1 ? 0 : opt.arm_split;
        const Index len = arm == 1 ? opt.arm_split : n - opt.arm_split;
        const auto Zb = Z.middleRows(r0, len);
        if (sp.binary) {
          GlmFit& g = f.ps_scratch;
          logit_irls_into(g, Zb, y.segment(r0, len), s.segment(r0, len), zero.head(len),
                          sp.ctl, nthreads, start, ws.irls);
          coef = g.coef;
          al = g.aliased;
          f.out_converged = f.out_converged && g.converged;
          f.out_iter = std::max(f.out_iter, g.iter);
        } else {
          LmFit g = wls_fit(Zb, y.segment(r0, len), s.segment(r0, len), sp.ctl, nthreads);
          coef = g.coef;
          al = g.aliased;
        }
        if (tmle) {
          VectorXd b = coef;
          for (Index j = 0; j < b.size(); ++j)
            if (std::isnan(b[j])) b[j] = 0.0;
          pred.noalias() = Z * b;
          if (sp.binary)
            for (Index i = 0; i < n; ++i) pred[i] = detail::logit_linkinv(pred[i]);
        }
      } else {
        auto sw = head_of(ws.sw, n);
        for (Index i = 0; i < n; ++i) sw[i] = static_cast<int>(a[i]) == arm ? s[i] : 0.0;
        if (sp.binary) {
          GlmFit& g = f.ps_scratch;
          logit_irls_into(g, Z, y, sw, zero, sp.ctl, nthreads, start, ws.irls);
          coef = g.coef;
          al = g.aliased;
          if (tmle) pred = g.mu.head(n);
          f.out_converged = f.out_converged && g.converged;
          f.out_iter = std::max(f.out_iter, g.iter);
        } else {
          LmFit g = wls_fit(Z, y, sw, sp.ctl, nthreads);
          coef = g.coef;
          al = g.aliased;
          if (tmle) pred = g.fitted;
        }
      }
    }
  }
  if (sp.method == Method::TMLE) {
    if (sp.estimand != Estimand::ATE)
      throw std::invalid_argument("TMLE is implemented for the ATE only");
    // Scale the outcome to [0, 1] (a no-op for a binary outcome).
    f.y_lo = sp.binary ? 0.0 : opt.y_range_given ? opt.y_lo : y.minCoeff();
    f.y_hi = sp.binary ? 1.0 : opt.y_range_given ? opt.y_hi : y.maxCoeff();
    const double range = f.y_hi - f.y_lo;
    if (!(range > 0.0)) throw std::invalid_argument("the outcome does not vary");
    auto bound = [&](double q) {
      return std::min(std::max(q, sp.q_bound), 1.0 - sp.q_bound);
    };
    auto ystar = head_of(ws.ystar, n);
    auto off1 = head_of(ws.off1, n);
    auto off0 = head_of(ws.off0, n);
    auto H1 = head_of(ws.H1, n);
    auto H0 = head_of(ws.H0, n);
    for (Index i = 0; i < n; ++i) {
      ystar[i] = (y[i] - f.y_lo) / range;
      const double q1 = bound((f.m1[i] - f.y_lo) / range);
      const double q0 = bound((f.m0[i] - f.y_lo) / range);
      off1[i] = std::log(q1 / (1.0 - q1));
      off0[i] = std::log(q0 / (1.0 - q0));
      H1[i] = 1.0 / f.e[i];
      H0[i] = 1.0 / (1.0 - f.e[i]);
    }
    std::vector<Index>& rows1 = ws.rows1;
    std::vector<Index>& rows0 = ws.rows0;
    rows1.clear();
    rows0.clear();
    for (Index i = 0; i < n; ++i) (static_cast<int>(a[i]) == 1 ? rows1 : rows0).push_back(i);
    f.eps[1] = detail::fluctuate(ystar, off1, H1, rows1, s);
    f.eps[0] = detail::fluctuate(ystar, off0, H0, rows0, s);
    auto q1v = head_of(f.q1, n);
    auto q0v = head_of(f.q0, n);
    double s1 = 0.0, s0 = 0.0, ss = 0.0;
    for (Index i = 0; i < n; ++i) {
      q1v[i] = f.y_lo + range * detail::logit_linkinv(off1[i] + f.eps[1] * H1[i]);
      q0v[i] = f.y_lo + range * detail::logit_linkinv(off0[i] + f.eps[0] * H0[i]);
      s1 += s[i] * q1v[i];
      s0 += s[i] * q0v[i];
      ss += s[i];
    }
    f.mu[1] = s1 / ss;
    f.mu[0] = s0 / ss;
  } else {
    // The means: the effect stack's mean blocks solved with the case
    // weights s (the models as fitted above, the scores as known).
    stack_means(f, X, Z, a, y, s, sp, nthreads);
  }
}

// The same, returning a fresh fit (n-length members of exactly n entries).
template <class MatX, class MatZ>
EffectFit fit_effect(const MatX& X, const MatZ& Z, const Eigen::Ref<const VectorXd>& a,
                     const Eigen::Ref<const VectorXd>& y, const Eigen::Ref<const VectorXd>& s,
                     const EffectSpec& sp, int nthreads, const FitOptions& opt = FitOptions()) {
  EffectFit f;
  EffectWorkspace ws;
  fit_effect_into(f, X, Z, a, y, s, sp, nthreads, opt, ws);
  return f;
}

// Influence functions of (mu_1, mu_0): an n x 2 matrix with
// mu_hat - mu ~ (1/n) sum IF_i. For TMLE: the efficient influence function
// at the targeted fit (as the tmle package); otherwise A^{-1} psi_i from the
// stack (account_ps = false treats the propensity scores, hence the weights,
// as known). mu, when given, receives the estimates (mu_1, mu_0): the
// stack's solution (TMLE: the targeted means).
template <class MatX, class MatZ>
MatrixXd effect_if(const EffectFit& f, const MatX& X, const MatZ& Z, const VectorXd& a,
                   const VectorXd& y, const EffectSpec& sp, bool account_ps, int nthreads,
                   double* mu = nullptr) {
  const Index n = X.rows();
  if (sp.method == Method::TMLE) {
    if (mu) { mu[0] = f.mu[1]; mu[1] = f.mu[0]; }
    MatrixXd IF(n, 2);
    for (Index i = 0; i < n; ++i) {
      const int ai = static_cast<int>(a[i]);
      IF(i, 0) = (ai == 1 ? (y[i] - f.q1[i]) / f.e[i] : 0.0) + f.q1[i] - f.mu[1];
      IF(i, 1) = (ai == 0 ? (y[i] - f.q0[i]) / (1.0 - f.e[i]) : 0.0) + f.q0[i] - f.mu[0];
    }
    return IF;
  }
  EffectStack es;
  build_effect_stack(es, f, X, Z, a, y, sp, account_ps, nthreads, VectorXd::Ones(n));
  if (mu) { mu[0] = es.st.theta()[es.mu[1]]; mu[1] = es.st.theta()[es.mu[0]]; }
  return es.st.influence({es.mu[1], es.mu[0]});
}

// Starting values for the bootstrap's logistic fits (usually the
// full-sample coefficients); empty vectors mean glm.fit's starting values.
struct BootStarts {
  VectorXd ps, out1, out0;
};

// Bootstrap replicates b0..b1-1 of (mu_1, mu_0): each refits every model
// with the replicate's case weights. Rows of the result are indexed by
// replicate, replicates run in parallel with one thread each, so the result
// does not depend on the thread count. A replicate whose fit fails gives NaN,
// and its reason (the exception's message) in `reasons` when given.
//
// A replicate is fitted on its drawn rows only (about 63% of them; a row
// with count 0 adds nothing to any sum), copied into a per-thread
// workspace with the treated first, so that each outcome model is fitted on
// its own arm's rows; the logistic fits start from `starts`. The answer is
// that of fitting the full data with the counts as case weights, up to the
// IRLS convergence tolerance and the order of summation.
template <class MatX, class MatZ>
MatrixXd bootstrap_effect(const MatX& X, const MatZ& Z, const VectorXd& a, const VectorXd& y,
                          const EffectSpec& sp, std::uint64_t seed, long long b0, long long b1,
                          const std::vector<int>& cluster, int n_clusters, int nthreads,
                          const BootStarts& starts = BootStarts(),
                          std::vector<std::string>* reasons = nullptr) {
  const long long nrep = b1 - b0;
  MatrixXd out(nrep, 2);
  if (reasons) reasons->assign(static_cast<std::size_t>(nrep), std::string());
  const std::size_t n = static_cast<std::size_t>(X.rows());
  if (Z.rows() != X.rows() || a.size() != X.rows() || y.size() != X.rows())
    throw std::invalid_argument("bootstrap_effect: X, Z, a and y must have the same rows");
  auto check_start = [](const VectorXd& v, Index p, const char* what) {
    if (v.size() != 0 && v.size() != p)
      throw std::invalid_argument(std::string("bootstrap_effect: ") + what +
                                  " must be empty or have one entry per column");
  };
  check_start(starts.ps, X.cols(), "the propensity start");
  check_start(starts.out1, Z.cols(), "the outcome start (treated)");
  check_start(starts.out0, Z.cols(), "the outcome start (controls)");
  // Treated rows first, then the controls, each in their original order.
  std::vector<Index> order;
  order.reserve(n);
  for (int arm = 1; arm >= 0; --arm)
    for (std::size_t i = 0; i < n; ++i)
      if (static_cast<int>(a[static_cast<Index>(i)]) == arm) order.push_back(static_cast<Index>(i));
  const bool need_x = uses_ps(sp) || sp.method == Method::TMLE;
  const bool need_z = uses_outcome(sp);
  FitOptions base;
  base.replicate = true;
  base.ps_start = starts.ps.size() > 0 ? &starts.ps : nullptr;
  base.start1 = starts.out1.size() > 0 ? &starts.out1 : nullptr;
  base.start0 = starts.out0.size() > 0 ? &starts.out0 : nullptr;
  if (sp.method == Method::TMLE && !sp.binary && n > 0) {
    base.y_range_given = true;
    base.y_lo = y.minCoeff();
    base.y_hi = y.maxCoeff();
  }
  const int nt = effective_threads(nthreads);
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    // Per-thread workspace, reused by every replicate the thread runs.
    MatrixXd Xw(need_x ? X.rows() : 0, need_x ? X.cols() : 0);
    MatrixXd Zw(need_z ? Z.rows() : 0, need_z ? Z.cols() : 0);
    VectorXd aw(X.rows()), yw(X.rows()), sw(X.rows());
    std::vector<Index> rows;
    rows.reserve(n);
    std::vector<double> cnt, ccnt;
    EffectFit f;
    EffectWorkspace ws;
    ws.irls.blocked_crossprod = true;  // one thread per replicate
#pragma omp for schedule(dynamic)
    for (long long r = 0; r < nrep; ++r) {
      try {
        bootstrap_counts_into(cnt, ccnt, seed, static_cast<std::uint64_t>(b0 + r), n, cluster,
                              n_clusters);
        rows.clear();
        Index n1 = 0;
        for (Index i : order) {
          if (cnt[static_cast<std::size_t>(i)] > 0.0) {
            rows.push_back(i);
            if (static_cast<int>(a[i]) == 1) ++n1;
          }
        }
        const Index m = static_cast<Index>(rows.size());
        if (n1 == 0 || n1 == m) throw std::runtime_error("an arm has no rows in the replicate");
        for (Index j = 0; j < m; ++j) {
          const Index i = rows[static_cast<std::size_t>(j)];
          aw[j] = a[i];
          yw[j] = y[i];
          sw[j] = cnt[static_cast<std::size_t>(i)];
        }
        auto gather = [&](const auto& D, MatrixXd& W) {
          for (Index c = 0; c < D.cols(); ++c)
            for (Index j = 0; j < m; ++j) W(j, c) = D(rows[static_cast<std::size_t>(j)], c);
        };
        if (need_x) gather(X, Xw);
        if (need_z) gather(Z, Zw);
        FitOptions opt = base;
        opt.arm_split = n1;
        const auto av = aw.head(m), yv = yw.head(m), sv = sw.head(m);
        if (need_x && need_z) {
          fit_effect_into(f, Xw.topRows(m), Zw.topRows(m), av, yv, sv, sp, 1, opt, ws);
        } else if (need_x) {
          fit_effect_into(f, Xw.topRows(m), Xw.topRows(m), av, yv, sv, sp, 1, opt, ws);
        } else {
          fit_effect_into(f, Zw.topRows(m), Zw.topRows(m), av, yv, sv, sp, 1, opt, ws);
        }
        out(r, 0) = f.mu[1];
        out(r, 1) = f.mu[0];
        if (reasons && !(std::isfinite(f.mu[1]) && std::isfinite(f.mu[0])))
          (*reasons)[static_cast<std::size_t>(r)] = "the estimate is not finite";
      } catch (const std::exception& e) {
        // the replicate is left out with its reason (each thread writes only
        // its own replicates' entries)
        out(r, 0) = out(r, 1) = std::numeric_limits<double>::quiet_NaN();
        if (reasons) (*reasons)[static_cast<std::size_t>(r)] = e.what();
      }
    }
  }
  return out;
}

}  // namespace matequity
