// matequity: weighted logistic regression by IRLS, and weighted least squares.
//
// logit_irls() follows stats::glm.fit for family = binomial(): the same
// starting values (mustart = (w y + 0.5) / (w + 1)), the same clamped
// inverse link and mu.eta (R's C code: eta beyond +-30 is treated as +-30 and
// mu.eta never falls below DBL_EPSILON), the same convergence rule
// |dev - devold| / (|dev| + 0.1) < epsilon, and step-halving when the
// deviance is not finite or a fitted probability leaves (0, 1).
//
// Numerics: X'WX is accumulated over fixed row blocks (each block has its own
// buffer, filled with a rank update, and the buffers are summed in block
// order), so the result has the same bits for any number of threads. The
// normal equations are solved by LLT; if the matrix is not positive definite
// the solve falls back to a rank-revealing ColPivHouseholderQR. Columns that
// are linear combinations of earlier ones (glm's NA coefficients) are found
// before the iterations by a pivot-free Cholesky in column order, so the
// aliased columns are the later ones, as in glm.
#pragma once

#include <Eigen/Dense>
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "parallel.hpp"

namespace matequity {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

struct GlmControl {
  double epsilon = 1e-8;   // glm.control()'s default; use 1e-12 for tight fits
  int maxit = 25;
  double alias_tol = 1e-10;  // squared residual-norm ratio for aliasing
};

struct GlmFit {
  VectorXd coef;              // full length; aliased columns are NaN
  VectorXd eta;               // linear predictor including the offset
  VectorXd mu;                // fitted values
  double deviance = 0.0;
  int iter = 0;
  bool converged = false;
  bool boundary = false;      // step-halving was needed
  bool fitted_01 = false;     // some fitted probabilities numerically 0 or 1
  int n_fitted_01 = 0;
  std::vector<int> aliased;   // 0-based columns dropped as aliased
  std::vector<int> diverging; // 0-based columns with exploding coefficients
  bool qr_fallback = false;   // an LLT failed and QR was used
};

namespace detail {

constexpr double kThresh = 30.0;
constexpr double kMThresh = -30.0;

// R's binomial()$linkinv (C code logit_linkinv).
inline double logit_linkinv(double eta) {
  const double tmp = eta < kMThresh ? DBL_EPSILON
                     : eta > kThresh ? 1.0 / DBL_EPSILON
                                     : std::exp(eta);
  return tmp / (1.0 + tmp);
}

// R's binomial()$mu.eta (C code logit_mu_eta).
inline double logit_mu_eta(double eta) {
  const double opexp = 1.0 + std::exp(eta);
  return (eta > kThresh || eta < kMThresh) ? DBL_EPSILON
                                           : std::exp(eta) / (opexp * opexp);
}

inline double y_log_y(double y, double mu) {
  return y != 0.0 ? y * std::log(y / mu) : 0.0;
}

// R's binomial()$dev.resids.
inline double binomial_dev(double y, double mu, double w) {
  return 2.0 * w * (y_log_y(y, mu) + y_log_y(1.0 - y, 1.0 - mu));
}

constexpr Index kBlockRows = 4096;

}  // namespace detail

// X' diag(w) X (lower triangle filled, then symmetrised) and X' diag(w) z,
// accumulated over fixed row blocks and summed in block order.
template <class Mat>
void weighted_crossprod(const Mat& X, const VectorXd& w, const VectorXd* z,
                        MatrixXd& XtWX, VectorXd& XtWz, int nthreads) {
  const Index n = X.rows(), p = X.cols();
  const Index nb = (n + detail::kBlockRows - 1) / detail::kBlockRows;
  std::vector<MatrixXd> bufM(static_cast<std::size_t>(nb));
  std::vector<VectorXd> bufV(static_cast<std::size_t>(nb));
  const int nt = effective_threads(nthreads);
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1 && nb > 1)
  for (Index b = 0; b < nb; ++b) {
    const Index r0 = b * detail::kBlockRows;
    const Index len = std::min(detail::kBlockRows, n - r0);
    MatrixXd S(len, p);
    VectorXd sw(len);
    for (Index i = 0; i < len; ++i) sw[i] = std::sqrt(std::max(0.0, w[r0 + i]));
    for (Index j = 0; j < p; ++j)
      for (Index i = 0; i < len; ++i) S(i, j) = X(r0 + i, j) * sw[i];
    MatrixXd M = MatrixXd::Zero(p, p);
    M.selfadjointView<Eigen::Lower>().rankUpdate(S.transpose());
    bufM[static_cast<std::size_t>(b)] = std::move(M);
    if (z != nullptr) {
      VectorXd v = VectorXd::Zero(p);
      for (Index j = 0; j < p; ++j) {
        double s = 0.0;
        for (Index i = 0; i < len; ++i) s += S(i, j) * sw[i] * (*z)[r0 + i];
        v[j] = s;
      }
      bufV[static_cast<std::size_t>(b)] = std::move(v);
    }
  }
  XtWX = MatrixXd::Zero(p, p);
  XtWz = VectorXd::Zero(p);
  for (Index b = 0; b < nb; ++b) {
    XtWX += bufM[static_cast<std::size_t>(b)];
    if (z != nullptr) XtWz += bufV[static_cast<std::size_t>(b)];
  }
  XtWX = XtWX.selfadjointView<Eigen::Lower>();
}

// Columns of a Gram matrix that are (numerically) linear combinations of
// earlier columns: a Cholesky in column order that skips a column whose
// remaining pivot is below tol times its diagonal. Zero columns are aliased.
inline std::vector<int> aliased_columns(const MatrixXd& G, double tol) {
  const Index p = G.rows();
  std::vector<int> kept, aliased;
  MatrixXd L = MatrixXd::Zero(p, p);  // rows/cols indexed by position in kept
  for (Index j = 0; j < p; ++j) {
    const Index k = static_cast<Index>(kept.size());
    VectorXd l(k);
    for (Index a = 0; a < k; ++a) {
      double s = G(j, kept[static_cast<std::size_t>(a)]);
      for (Index c = 0; c < a; ++c) s -= L(a, c) * l[c];
      l[a] = s / L(a, a);
    }
    const double d = G(j, j) - (k > 0 ? l.squaredNorm() : 0.0);
    if (!(G(j, j) > 0.0) || d <= tol * G(j, j)) {
      aliased.push_back(static_cast<int>(j));
      continue;
    }
    for (Index c = 0; c < k; ++c) L(k, c) = l[c];
    L(k, k) = std::sqrt(d);
    kept.push_back(static_cast<int>(j));
  }
  return aliased;
}

// Solve the symmetric system M b = v: LLT, with a rank-revealing QR when the
// matrix is not positive definite.
inline VectorXd solve_normal(const MatrixXd& M, const VectorXd& v,
                             bool* used_qr = nullptr) {
  Eigen::LLT<MatrixXd> llt(M);
  if (llt.info() == Eigen::Success) {
    VectorXd b = llt.solve(v);
    if (b.allFinite()) return b;
  }
  if (used_qr != nullptr) *used_qr = true;
  Eigen::ColPivHouseholderQR<MatrixXd> qr(M);
  return qr.solve(v);
}

// Keep the columns not listed in `drop`.
template <class Mat>
MatrixXd drop_columns(const Mat& X, const std::vector<int>& drop) {
  std::vector<int> keep;
  for (Index j = 0; j < X.cols(); ++j)
    if (std::find(drop.begin(), drop.end(), static_cast<int>(j)) == drop.end())
      keep.push_back(static_cast<int>(j));
  MatrixXd out(X.rows(), static_cast<Index>(keep.size()));
  for (std::size_t c = 0; c < keep.size(); ++c) out.col(static_cast<Index>(c)) = X.col(keep[c]);
  return out;
}

// Expand a coefficient vector of the kept columns to full length (NaN for
// aliased columns).
inline VectorXd expand_coef(const VectorXd& b, Index p,
                            const std::vector<int>& aliased) {
  VectorXd out(p);
  Index c = 0;
  for (Index j = 0; j < p; ++j) {
    if (std::find(aliased.begin(), aliased.end(), static_cast<int>(j)) != aliased.end())
      out[j] = std::numeric_limits<double>::quiet_NaN();
    else
      out[j] = b[c++];
  }
  return out;
}

// Linear predictor X b treating NaN (aliased) coefficients as 0.
template <class Mat>
VectorXd linear_predictor(const Mat& X, const VectorXd& coef) {
  VectorXd b = coef;
  for (Index j = 0; j < b.size(); ++j)
    if (std::isnan(b[j])) b[j] = 0.0;
  return X * b;
}

namespace detail {
// The IRLS loop on a full-rank design.
template <class Mat>
void irls_core(const Mat& X, const VectorXd& y, const VectorXd& w,
               const VectorXd& offset, const GlmControl& ctl, int nthreads,
               GlmFit& fit, VectorXd& beta) {
  const Index n = X.rows();
  VectorXd eta(n), mu(n);
  for (Index i = 0; i < n; ++i) {
    const double mus = (w[i] * y[i] + 0.5) / (w[i] + 1.0);
    eta[i] = std::log(mus / (1.0 - mus));
    mu[i] = logit_linkinv(eta[i]);
  }
  double devold = 0.0;
  for (Index i = 0; i < n; ++i) devold += binomial_dev(y[i], mu[i], w[i]);
  VectorXd z(n), wt(n), coefold;
  bool have_old = false;
  MatrixXd M;
  VectorXd v;
  fit.converged = false;
  for (int iter = 1; iter <= ctl.maxit; ++iter) {
    for (Index i = 0; i < n; ++i) {
      const double me = logit_mu_eta(eta[i]);
      const double var = mu[i] * (1.0 - mu[i]);
      z[i] = (eta[i] - offset[i]) + (y[i] - mu[i]) / me;
      wt[i] = (w[i] > 0.0) ? w[i] * me * me / var : 0.0;
    }
    weighted_crossprod(X, wt, &z, M, v, nthreads);
    bool qr = false;
    VectorXd start = solve_normal(M, v, &qr);
    if (qr) fit.qr_fallback = true;
    auto evaluate = [&](const VectorXd& b, double& dev) {
      eta.noalias() = X * b;
      eta += offset;
      bool valid = true;
      dev = 0.0;
      for (Index i = 0; i < n; ++i) {
        mu[i] = logit_linkinv(eta[i]);
        if (!(mu[i] > 0.0 && mu[i] < 1.0) || !std::isfinite(mu[i])) valid = false;
        dev += binomial_dev(y[i], mu[i], w[i]);
      }
      return valid && std::isfinite(dev);
    };
    double dev = 0.0;
    bool ok = evaluate(start, dev);
    if (!ok) {
      if (!have_old)
        throw std::runtime_error(
            "no valid set of coefficients has been found: the propensity or "
            "outcome model cannot be fitted from its starting values");
      int ii = 1;
      while (!ok) {
        if (ii > ctl.maxit)
          throw std::runtime_error("inner loop: cannot correct step size");
        ++ii;
        start = 0.5 * (start + coefold);
        ok = evaluate(start, dev);
      }
      fit.boundary = true;
    }
    fit.iter = iter;
    if (std::abs(dev - devold) / (std::abs(dev) + 0.1) < ctl.epsilon) {
      fit.converged = true;
      beta = start;
      fit.deviance = dev;
      break;
    }
    devold = dev;
    beta = start;
    coefold = start;
    have_old = true;
    fit.deviance = dev;
  }
  fit.eta = eta;
  fit.mu = mu;
}
}  // namespace detail

// Weighted logistic regression: y in [0, 1], prior weights w >= 0, offset.
template <class Mat>
GlmFit logit_irls(const Mat& X, const VectorXd& y, const VectorXd& w,
                  const VectorXd& offset, const GlmControl& ctl = GlmControl(),
                  int nthreads = 1) {
  const Index n = X.rows(), p = X.cols();
  if (y.size() != n || w.size() != n || offset.size() != n)
    throw std::invalid_argument("logit_irls: y, w and offset must have one entry per row of X");
  for (Index i = 0; i < n; ++i) {
    if (!(w[i] >= 0.0)) throw std::invalid_argument("logit_irls: weights must be non-negative");
    if (!(y[i] >= 0.0 && y[i] <= 1.0)) throw std::invalid_argument("logit_irls: y must lie in [0, 1]");
  }
  GlmFit fit;
  MatrixXd G;
  VectorXd dummy;
  weighted_crossprod(X, w, nullptr, G, dummy, nthreads);
  fit.aliased = aliased_columns(G, ctl.alias_tol);
  VectorXd beta;
  if (fit.aliased.empty()) {
    detail::irls_core(X, y, w, offset, ctl, nthreads, fit, beta);
  } else {
    const MatrixXd Xr = drop_columns(X, fit.aliased);
    detail::irls_core(Xr, y, w, offset, ctl, nthreads, fit, beta);
  }
  fit.coef = expand_coef(beta, p, fit.aliased);
  const double eps = 10.0 * DBL_EPSILON;
  for (Index i = 0; i < n; ++i) {
    if (w[i] > 0.0 && (fit.mu[i] > 1.0 - eps || fit.mu[i] < eps)) ++fit.n_fitted_01;
  }
  fit.fitted_01 = fit.n_fitted_01 > 0;
  if (fit.fitted_01 || !fit.converged) {
    // Diverging coefficients: standardised |beta_j| * sd_w(x_j) beyond 10
    // (an odds ratio of e^10 per SD), the signature of separation.
    double sw = 0.0;
    for (Index i = 0; i < n; ++i) sw += w[i];
    for (Index j = 0; j < p; ++j) {
      if (std::isnan(fit.coef[j])) continue;
      double m = 0.0, s2 = 0.0;
      for (Index i = 0; i < n; ++i) m += w[i] * X(i, j);
      m /= sw;
      for (Index i = 0; i < n; ++i) s2 += w[i] * (X(i, j) - m) * (X(i, j) - m);
      const double sd = std::sqrt(s2 / sw);
      if (sd > 0.0 && std::abs(fit.coef[j]) * sd > 10.0)
        fit.diverging.push_back(static_cast<int>(j));
    }
  }
  return fit;
}

struct LmFit {
  VectorXd coef;  // NaN for aliased columns
  VectorXd fitted;
  std::vector<int> aliased;
};

// Weighted least squares by the normal equations (LLT, QR fallback).
template <class Mat>
LmFit wls_fit(const Mat& X, const VectorXd& y, const VectorXd& w,
              const GlmControl& ctl = GlmControl(), int nthreads = 1) {
  const Index p = X.cols();
  LmFit fit;
  MatrixXd G;
  VectorXd v;
  weighted_crossprod(X, w, nullptr, G, v, nthreads);
  fit.aliased = aliased_columns(G, ctl.alias_tol);
  VectorXd beta;
  if (fit.aliased.empty()) {
    weighted_crossprod(X, w, &y, G, v, nthreads);
    beta = solve_normal(G, v);
  } else {
    const MatrixXd Xr = drop_columns(X, fit.aliased);
    weighted_crossprod(Xr, w, &y, G, v, nthreads);
    beta = solve_normal(G, v);
  }
  fit.coef = expand_coef(beta, p, fit.aliased);
  fit.fitted = linear_predictor(X, fit.coef);
  return fit;
}

}  // namespace matequity
