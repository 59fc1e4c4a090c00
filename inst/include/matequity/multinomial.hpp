// matequity: multi-category treatments. A multinomial logistic propensity
// model (generalised propensity scores), balancing weights, Hajek IPW and
// augmented IPW means of the outcome under each level, and the stacked
// M-estimating equations of all of them.
//
// Propensity model (baseline-category logit, level 0 the baseline):
//   e_k(x) = exp(x'b_k) / sum_j exp(x'b_j), b_0 = 0,
// fitted by Newton-Raphson on the stacked K-1 coefficient blocks from b = 0
// (nnet's and WeightIt's start), with step-halving when the deviance
// -2 sum s log e_{A} is not finite or increases, and glm.fit's convergence
// rule |dev - devold| / (|dev| + 0.1) < epsilon. Columns of X that are
// linear combinations of earlier ones are dropped first (the same rule as
// logit_irls.hpp), for every block.
//
// Weights (WeightIt's multinomial conventions): ATE w = 1 / e_A; ATT with
// focal level f: w = e_f / e_A (1 for the focal units). Tilting h (PSweight's
// multi-group augmented weighting estimator): 1 for the ATE, e_f for the ATT.
//
// Parameters, in this order: the propensity blocks b_1..b_{K-1} (kept
// columns), outcome models gamma_0..gamma_{K-1} (AIPW; fitted within each
// level, logistic or linear), nu_0..nu_{K-1} (AIPW), r_0..r_{K-1}. With
// case weights s the estimating functions are
//   psi_{b_k}   = s (1{A=k} - e_k) x                   k = 1..K-1
//   psi_gamma_k = s 1{A=k} (Y - m_k) z
//   psi_nu_k    = s h (m_k - nu_k)
//   psi_r_k     = s 1{A=k} w (Y - m_k - r_k)
// and mu_k = nu_k + r_k (IPW: m_k = 0, mu_k = r_k, the Hajek mean). The
// bread A = -(1/n) sum d psi / d theta is analytic, using
//   d e_k / d b_j = e_k (1{k=j} - e_j) x,
//   d log w / d b_j = (1{f=j} - 1{A=j}) x (ATT), -(1{A=j} - e_j) x (ATE),
//   d h / d b_j = e_f (1{f=j} - e_j) x (ATT).
#pragma once

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "logit_irls.hpp"

namespace matequity {

struct MultinomFit {
  MatrixXd coef;             // p x (K-1), NaN rows for aliased columns
  MatrixXd prob;             // n x K fitted probabilities
  double deviance = 0.0;
  int iter = 0;
  bool converged = false;
  bool boundary = false;     // step-halving was needed
  int n_fitted_01 = 0;       // units with a fitted probability of their level near 0 or 1
  std::vector<int> aliased;  // 0-based columns of X dropped as aliased
};

namespace detail {

// Probabilities from the linear predictors (n x (K-1), baseline 0), with
// the largest predictor subtracted so that exp() cannot overflow.
inline void multinom_probs(const MatrixXd& eta, MatrixXd& P) {
  const Index n = eta.rows(), K = eta.cols() + 1;
  P.resize(n, K);
  for (Index i = 0; i < n; ++i) {
    double mx = 0.0;
    for (Index k = 0; k + 1 < K; ++k) mx = std::max(mx, eta(i, k));
    double tot = std::exp(-mx);
    P(i, 0) = tot;
    for (Index k = 1; k < K; ++k) {
      P(i, k) = std::exp(eta(i, k - 1) - mx);
      tot += P(i, k);
    }
    for (Index k = 0; k < K; ++k) P(i, k) /= tot;
  }
}

inline double multinom_dev(const MatrixXd& P, const std::vector<int>& a,
                           const Eigen::Ref<const VectorXd>& s) {
  double dev = 0.0;
  for (Index i = 0; i < P.rows(); ++i)
    if (s[i] > 0.0) dev -= 2.0 * s[i] * std::log(P(i, a[static_cast<std::size_t>(i)]));
  return dev;
}

// X' diag(v) Y for any sign of v.
template <class MatA, class MatB>
MatrixXd cross_w(const MatA& X, const VectorXd& v, const MatB& Y) {
  return X.transpose() * (Y.array().colwise() * v.array()).matrix();
}

}  // namespace detail

// Newton-Raphson fit of the multinomial logit on the full-rank columns of X.
// a: levels 0..K-1 (one per row); s: case weights (>= 0).
template <class Mat>
MultinomFit multinom_fit(const Mat& Xin, const std::vector<int>& a, int K,
                         const Eigen::Ref<const VectorXd>& s, const GlmControl& ctl,
                         int nthreads = 1) {
  const Index n = Xin.rows(), pin = Xin.cols();
  if (K < 2) throw std::invalid_argument("multinom_fit: the treatment needs at least 2 levels");
  if (static_cast<Index>(a.size()) != n || s.size() != n)
    throw std::invalid_argument("multinom_fit: a and s must have one entry per row of X");
  for (Index i = 0; i < n; ++i) {
    const int ai = a[static_cast<std::size_t>(i)];
    if (ai < 0 || ai >= K) throw std::invalid_argument("multinom_fit: a level code is out of range");
    if (!(s[i] >= 0.0)) throw std::invalid_argument("multinom_fit: weights must be non-negative");
  }
  MultinomFit fit;
  MatrixXd G;
  VectorXd dummy;
  weighted_crossprod(Xin, s, nullptr, G, dummy, nthreads);
  fit.aliased = aliased_columns(G, ctl.alias_tol);
  const MatrixXd X = drop_columns(Xin, fit.aliased);
  const Index p = X.cols(), m = K - 1, P = p * m;
  MatrixXd B = MatrixXd::Zero(p, m), Bold = B, eta = MatrixXd::Zero(n, m), Pr;
  detail::multinom_probs(eta, Pr);
  double devold = detail::multinom_dev(Pr, a, s);
  VectorXd g(P), v(n);
  MatrixXd H(P, P);
  fit.converged = false;
  for (int iter = 1; iter <= ctl.maxit; ++iter) {
    // score and information of the stacked blocks
    for (Index j = 0; j < m; ++j) {
      for (Index i = 0; i < n; ++i)
        v[i] = s[i] * ((a[static_cast<std::size_t>(i)] == j + 1 ? 1.0 : 0.0) - Pr(i, j + 1));
      g.segment(j * p, p) = X.transpose() * v;
      for (Index k = 0; k <= j; ++k) {
        for (Index i = 0; i < n; ++i)
          v[i] = s[i] * Pr(i, j + 1) * ((j == k ? 1.0 : 0.0) - Pr(i, k + 1));
        const MatrixXd blk = detail::cross_w(X, v, X);
        H.block(j * p, k * p, p, p) = blk;
        if (k != j) H.block(k * p, j * p, p, p) = blk.transpose();
      }
    }
    const VectorXd step = solve_normal(H, g);
    MatrixXd cand = B + Eigen::Map<const MatrixXd>(step.data(), p, m);
    auto evaluate = [&](const MatrixXd& Bc, double& dev) {
      eta.noalias() = X * Bc;
      detail::multinom_probs(eta, Pr);
      dev = detail::multinom_dev(Pr, a, s);
      return std::isfinite(dev);
    };
    double dev = 0.0;
    bool ok = evaluate(cand, dev);
    int halv = 0;
    while (!ok || dev > devold + 1e-12 * std::abs(devold)) {
      if (++halv > ctl.maxit) throw std::runtime_error("multinomial propensity model: cannot correct step size");
      cand = 0.5 * (cand + Bold);
      ok = evaluate(cand, dev);
      fit.boundary = true;
    }
    B = cand;
    Bold = cand;
    fit.iter = iter;
    fit.deviance = dev;
    if (std::abs(dev - devold) / (std::abs(dev) + 0.1) < ctl.epsilon) {
      fit.converged = true;
      break;
    }
    devold = dev;
  }
  fit.prob = Pr;
  fit.coef = MatrixXd::Constant(pin, m, std::numeric_limits<double>::quiet_NaN());
  Index c = 0;
  for (Index jj = 0; jj < pin; ++jj) {
    if (std::find(fit.aliased.begin(), fit.aliased.end(), static_cast<int>(jj)) != fit.aliased.end())
      continue;
    fit.coef.row(jj) = B.row(c++);
  }
  const double eps = 10.0 * DBL_EPSILON;
  for (Index i = 0; i < n; ++i) {
    const double pa = Pr(i, a[static_cast<std::size_t>(i)]);
    if (s[i] > 0.0 && (pa < eps || pa > 1.0 - eps)) ++fit.n_fitted_01;
  }
  return fit;
}

struct MultiSpec {
  bool aipw = true;     // false: Hajek IPW
  int focal = -1;       // ATT focal level (0-based); < 0: ATE
  bool binary = true;   // binary outcome: logistic outcome models
  bool account_ps = true;  // stack the propensity model (false: weights known)
  GlmControl ctl;
};

struct MultiEffectFit {
  MultinomFit ps;
  VectorXd w;                          // balancing weights
  std::vector<VectorXd> gamma;         // outcome coefficients per level (NaN aliased)
  std::vector<std::vector<int>> out_aliased;
  bool out_converged = true;
  MatrixXd m;                          // n x K outcome-model predictions (0 for IPW)
  VectorXd nu, r, mu;                  // K each
  MatrixXd IF;                         // n x K influence functions of mu
};

// Fit everything and return the influence functions of (mu_0, ..., mu_{K-1}):
// mu_hat - mu ~ (1/n) sum_i IF_i.
template <class MatX, class MatZ>
MultiEffectFit multi_effect(const MatX& X, const MatZ& Z, const std::vector<int>& a, int K,
                            const Eigen::Ref<const VectorXd>& y, const MultiSpec& sp,
                            int nthreads = 1) {
  const Index n = X.rows();
  if (Z.rows() != n || y.size() != n)
    throw std::invalid_argument("multi_effect: X, Z, a and y must have the same rows");
  if (sp.focal >= K) throw std::invalid_argument("multi_effect: the focal level is out of range");
  const VectorXd s = VectorXd::Ones(n);
  MultiEffectFit f;
  f.ps = multinom_fit(X, a, K, s, sp.ctl, nthreads);
  const MatrixXd& E = f.ps.prob;
  const bool att = sp.focal >= 0;
  f.w.resize(n);
  VectorXd h(n);
  for (Index i = 0; i < n; ++i) {
    const double ea = E(i, a[static_cast<std::size_t>(i)]);
    f.w[i] = att ? E(i, sp.focal) / ea : 1.0 / ea;
    h[i] = att ? E(i, sp.focal) : 1.0;
  }
  // Outcome models, one per level, on that level's rows; predictions for all.
  f.m = MatrixXd::Zero(n, K);
  f.gamma.assign(static_cast<std::size_t>(K), VectorXd());
  f.out_aliased.assign(static_cast<std::size_t>(K), std::vector<int>());
  std::vector<MatrixXd> Zk(static_cast<std::size_t>(K));
  MatrixXd V = MatrixXd::Zero(n, K);  // d m_k / d eta_k
  if (sp.aipw) {
    const VectorXd zero = VectorXd::Zero(n);
    for (int k = 0; k < K; ++k) {
      VectorXd sk(n);
      for (Index i = 0; i < n; ++i) sk[i] = a[static_cast<std::size_t>(i)] == k ? 1.0 : 0.0;
      const std::size_t ku = static_cast<std::size_t>(k);
      if (sp.binary) {
        const GlmFit g = logit_irls(Z, y, sk, zero, sp.ctl, nthreads);
        f.gamma[ku] = g.coef;
        f.out_aliased[ku] = g.aliased;
        f.out_converged = f.out_converged && g.converged;
      } else {
        const LmFit g = wls_fit(Z, y, sk, sp.ctl, nthreads);
        f.gamma[ku] = g.coef;
        f.out_aliased[ku] = g.aliased;
      }
      Zk[ku] = drop_columns(Z, f.out_aliased[ku]);
      VectorXd gk(Zk[ku].cols());
      Index c = 0;
      for (Index j = 0; j < f.gamma[ku].size(); ++j)
        if (!std::isnan(f.gamma[ku][j])) gk[c++] = f.gamma[ku][j];
      const VectorXd lp = Zk[ku] * gk;
      for (Index i = 0; i < n; ++i) {
        if (sp.binary) {
          f.m(i, k) = detail::logit_linkinv(lp[i]);
          V(i, k) = f.m(i, k) * (1.0 - f.m(i, k));
        } else {
          f.m(i, k) = lp[i];
          V(i, k) = 1.0;
        }
      }
    }
  }
  // Means.
  f.nu = VectorXd::Zero(K);
  f.r = VectorXd::Zero(K);
  f.mu = VectorXd::Zero(K);
  const double sh = h.sum();
  for (int k = 0; k < K; ++k) {
    double sw = 0.0, swr = 0.0, shm = 0.0;
    for (Index i = 0; i < n; ++i) {
      shm += h[i] * f.m(i, k);
      if (a[static_cast<std::size_t>(i)] == k) {
        sw += f.w[i];
        swr += f.w[i] * (y[i] - f.m(i, k));
      }
    }
    if (!(sw > 0.0)) throw std::runtime_error("a treatment level has no units with a positive weight");
    f.nu[k] = sp.aipw ? shm / sh : 0.0;
    f.r[k] = swr / sw;
    f.mu[k] = f.nu[k] + f.r[k];
  }

  // The stack: offsets of each block.
  const MatrixXd Xr = drop_columns(X, f.ps.aliased);
  const Index p = Xr.cols(), mB = K - 1;
  const Index nb = sp.account_ps ? p * mB : 0;
  std::vector<Index> off_g(static_cast<std::size_t>(K), 0);
  Index off = nb;
  if (sp.aipw)
    for (int k = 0; k < K; ++k) {
      off_g[static_cast<std::size_t>(k)] = off;
      off += Zk[static_cast<std::size_t>(k)].cols();
    }
  const Index off_nu = off;
  if (sp.aipw) off += K;
  const Index off_r = off;
  off += K;
  const Index kk = off;
  MatrixXd Psi = MatrixXd::Zero(n, kk);
  MatrixXd A = MatrixXd::Zero(kk, kk);
  VectorXd v(n);
  if (sp.account_ps) {
    for (Index j = 0; j < mB; ++j) {
      for (Index i = 0; i < n; ++i)
        v[i] = (a[static_cast<std::size_t>(i)] == j + 1 ? 1.0 : 0.0) - E(i, j + 1);
      Psi.middleCols(j * p, p) = (Xr.array().colwise() * v.array()).matrix();
      for (Index k = 0; k < mB; ++k) {
        for (Index i = 0; i < n; ++i) v[i] = E(i, j + 1) * ((j == k ? 1.0 : 0.0) - E(i, k + 1));
        A.block(j * p, k * p, p, p) = detail::cross_w(Xr, v, Xr);
      }
    }
  }
  for (int k = 0; k < K; ++k) {
    const std::size_t ku = static_cast<std::size_t>(k);
    VectorXd ind(n), res(n);
    for (Index i = 0; i < n; ++i) ind[i] = a[static_cast<std::size_t>(i)] == k ? 1.0 : 0.0;
    if (sp.aipw) {
      const MatrixXd& D = Zk[ku];
      const Index q = D.cols(), og = off_g[ku];
      for (Index i = 0; i < n; ++i) res[i] = ind[i] * (y[i] - f.m(i, k));
      Psi.middleCols(og, q) = (D.array().colwise() * res.array()).matrix();
      for (Index i = 0; i < n; ++i) v[i] = ind[i] * V(i, k);
      A.block(og, og, q, q) = detail::cross_w(D, v, D);
      // nu_k
      const Index rn = off_nu + k;
      for (Index i = 0; i < n; ++i) Psi(i, rn) = h[i] * (f.m(i, k) - f.nu[k]);
      A(rn, rn) = sh;
      for (Index i = 0; i < n; ++i) v[i] = h[i] * V(i, k);
      A.block(rn, og, 1, q) = -(D.transpose() * v).transpose();
      if (sp.account_ps && att) {
        // d h / d b_j = e_f (1{f=j} - e_j) x
        for (Index j = 0; j < mB; ++j) {
          for (Index i = 0; i < n; ++i)
            v[i] = h[i] * ((sp.focal == j + 1 ? 1.0 : 0.0) - E(i, j + 1)) * (f.m(i, k) - f.nu[k]);
          A.block(rn, j * p, 1, p) = -(Xr.transpose() * v).transpose();
        }
      }
    }
    // r_k
    const Index rr = off_r + k;
    for (Index i = 0; i < n; ++i) res[i] = ind[i] * f.w[i] * (y[i] - f.m(i, k) - f.r[k]);
    Psi.col(rr) = res;
    A(rr, rr) = (ind.array() * f.w.array()).sum();
    if (sp.aipw) {
      const MatrixXd& D = Zk[ku];
      for (Index i = 0; i < n; ++i) v[i] = ind[i] * f.w[i] * V(i, k);
      A.block(rr, off_g[ku], 1, D.cols()) = (D.transpose() * v).transpose();
    }
    if (sp.account_ps) {
      for (Index j = 0; j < mB; ++j) {
        for (Index i = 0; i < n; ++i) {
          const double aj = a[static_cast<std::size_t>(i)] == j + 1 ? 1.0 : 0.0;
          const double dlw = att ? (sp.focal == j + 1 ? 1.0 : 0.0) - aj : -(aj - E(i, j + 1));
          v[i] = res[i] * dlw;
        }
        A.block(rr, j * p, 1, p) = -(Xr.transpose() * v).transpose();
      }
    }
  }
  A /= static_cast<double>(n);
  Eigen::FullPivLU<MatrixXd> lu(A);
  if (!lu.isInvertible())
    throw std::runtime_error(
        "the M-estimation bread matrix is singular: a model parameter is not identified");
  const MatrixXd Ainv = lu.inverse();
  MatrixXd R = MatrixXd::Zero(K, kk);
  for (int k = 0; k < K; ++k) {
    R.row(k) += Ainv.row(off_r + k);
    if (sp.aipw) R.row(k) += Ainv.row(off_nu + k);
  }
  f.IF = Psi * R.transpose();
  return f;
}

}  // namespace matequity
