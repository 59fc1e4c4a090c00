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
//
// For the bootstrap, which fits thousands of models: a warm start (glm.fit's
// `start =`, with a fallback to the usual start), logit_irls_into() writing
// into reused buffers (IrlsWorkspace) so that a fit allocates nothing of
// size n, and a single-threaded blocked X'WX (crossprod_blocked).
#pragma once

#include <Eigen/Dense>
#include <algorithm>
#include <cfloat>
#include <cstddef>
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

// Both of the above from one exp(): the same values, bit for bit, as
// calling logit_linkinv(eta) and logit_mu_eta(eta) (R's C code evaluates
// exp(eta) once in each), at a third of the cost.
inline void logit_mu_and_eta(double eta, double& mu, double& mu_eta) {
  const bool out = eta > kThresh || eta < kMThresh;
  const double ex = std::exp(eta);
  const double tmp = eta < kMThresh ? DBL_EPSILON : eta > kThresh ? 1.0 / DBL_EPSILON : ex;
  mu = tmp / (1.0 + tmp);
  const double opexp = 1.0 + ex;
  mu_eta = out ? DBL_EPSILON : ex / (opexp * opexp);
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
// accumulated over fixed row blocks and summed in block order. Each thread
// scales its blocks in one buffer allocated once per call (large
// allocations are slow: each may be fresh pages from the kernel), laid out
// as a freshly allocated len x p matrix would be, so the bits do not depend
// on the buffer or on the thread count.
template <class Mat>
void weighted_crossprod(const Mat& X, const Eigen::Ref<const VectorXd>& w, const double* z,
                        MatrixXd& XtWX, VectorXd& XtWz, int nthreads) {
  const Index n = X.rows(), p = X.cols();
  const Index nb = (n + detail::kBlockRows - 1) / detail::kBlockRows;
  std::vector<MatrixXd> bufM(static_cast<std::size_t>(nb));
  std::vector<VectorXd> bufV(static_cast<std::size_t>(nb));
  const int nt = effective_threads(nthreads);
#pragma omp parallel num_threads(nt) if (nt > 1 && nb > 1)
  {
    const Index cap = std::min(detail::kBlockRows, n);
    std::vector<double> sbuf(static_cast<std::size_t>(cap * p)), swbuf(static_cast<std::size_t>(cap));
#pragma omp for schedule(static)
    for (Index b = 0; b < nb; ++b) {
      const Index r0 = b * detail::kBlockRows;
      const Index len = std::min(detail::kBlockRows, n - r0);
      Eigen::Map<MatrixXd> S(sbuf.data(), len, p);
      Eigen::Map<VectorXd> sw(swbuf.data(), len);
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
          for (Index i = 0; i < len; ++i) s += S(i, j) * sw[i] * z[r0 + i];
          v[j] = s;
        }
        bufV[static_cast<std::size_t>(b)] = std::move(v);
      }
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
template <class Mat>
void weighted_crossprod(const Mat& X, const Eigen::Ref<const VectorXd>& w, std::nullptr_t,
                        MatrixXd& XtWX, VectorXd& XtWz, int nthreads) {
  weighted_crossprod(X, w, static_cast<const double*>(nullptr), XtWX, XtWz, nthreads);
}
template <class Mat>
void weighted_crossprod(const Mat& X, const Eigen::Ref<const VectorXd>& w, const VectorXd* z,
                        MatrixXd& XtWX, VectorXd& XtWz, int nthreads) {
  weighted_crossprod(X, w, z == nullptr ? static_cast<const double*>(nullptr) : z->data(),
                     XtWX, XtWz, nthreads);
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

// n-length buffers of the IRLS, kept between calls by a caller that fits
// many models (a bootstrap thread), so that a fit allocates nothing of
// size n: on some systems each large allocation is fresh pages from the
// kernel, which costs more than the arithmetic. Buffers only grow; a fit
// on n rows uses their first n entries.
struct IrlsWorkspace {
  VectorXd me, z, wt;
  // Single-threaded callers (a bootstrap replicate) may ask for
  // crossprod_blocked() in place of weighted_crossprod(): the same sums in
  // a different order, about twice as fast for few columns.
  bool blocked_crossprod = false;
  MatrixXd S;
  VectorXd sw, t;
};

// X' diag(w) X (symmetric) and, when z is given, X' diag(w) z, on one
// thread: rows in blocks of 512 scaled by sqrt(w) into ws.S, then one
// vectorised dot product per entry of the lower triangle.
template <class Mat>
void crossprod_blocked(const Mat& X, const Eigen::Ref<const VectorXd>& w, const double* z,
                       MatrixXd& XtWX, VectorXd& XtWz, IrlsWorkspace& ws) {
  constexpr Index kB = 512;
  const Index n = X.rows(), p = X.cols();
  if (ws.S.rows() < kB || ws.S.cols() < p) ws.S.resize(kB, std::max<Index>(p, ws.S.cols()));
  if (ws.sw.size() < kB) ws.sw.resize(kB);
  if (ws.t.size() < kB) ws.t.resize(kB);
  XtWX.setZero(p, p);
  XtWz.setZero(p);
  for (Index r0 = 0; r0 < n; r0 += kB) {
    const Index len = std::min(kB, n - r0);
    auto sw = ws.sw.head(len);
    for (Index i = 0; i < len; ++i) sw[i] = std::sqrt(std::max(0.0, w[r0 + i]));
    for (Index j = 0; j < p; ++j)
      for (Index i = 0; i < len; ++i) ws.S(i, j) = X(r0 + i, j) * sw[i];
    if (z != nullptr)
      for (Index i = 0; i < len; ++i) ws.t[i] = sw[i] * z[r0 + i];
    for (Index j = 0; j < p; ++j) {
      const auto sj = ws.S.col(j).head(len);
      for (Index k = 0; k <= j; ++k) XtWX(j, k) += sj.dot(ws.S.col(k).head(len));
      if (z != nullptr) XtWz[j] += sj.dot(ws.t.head(len));
    }
  }
  XtWX = XtWX.selfadjointView<Eigen::Lower>();
}

// The first n entries of v, growing it if needed.
inline Eigen::VectorBlock<VectorXd> head_of(VectorXd& v, Index n) {
  if (v.size() < n) v.resize(n);
  return v.head(n);
}

namespace detail {
// The IRLS loop on a full-rank design. Without `start`, glm.fit's starting
// values; with it (a coefficient vector for the columns of X), glm.fit's
// `start =` path: eta = X start + offset, and step-halving may go back to
// it. Returns false when `start` gives invalid fitted values. The linear
// predictor and fitted values are left in the first n entries of fit.eta
// and fit.mu.
template <class Mat>
bool irls_core(const Mat& X, const Eigen::Ref<const VectorXd>& y,
               const Eigen::Ref<const VectorXd>& w, const Eigen::Ref<const VectorXd>& offset,
               const GlmControl& ctl, int nthreads, GlmFit& fit, VectorXd& beta,
               const VectorXd* start, IrlsWorkspace& ws) {
  const Index n = X.rows();
  auto eta = head_of(fit.eta, n);
  auto mu = head_of(fit.mu, n);
  auto me = head_of(ws.me, n);
  VectorXd coefold;
  bool have_old = false;
  if (start == nullptr) {
    for (Index i = 0; i < n; ++i) {
      const double mus = (w[i] * y[i] + 0.5) / (w[i] + 1.0);
      eta[i] = std::log(mus / (1.0 - mus));
      logit_mu_and_eta(eta[i], mu[i], me[i]);
    }
  } else {
    eta.noalias() = X * (*start);
    eta += offset;
    for (Index i = 0; i < n; ++i) {
      logit_mu_and_eta(eta[i], mu[i], me[i]);
      if (!(mu[i] > 0.0 && mu[i] < 1.0) || !std::isfinite(eta[i])) return false;
    }
    coefold = *start;
    beta = *start;
    have_old = true;
  }
  double devold = 0.0;
  for (Index i = 0; i < n; ++i) devold += binomial_dev(y[i], mu[i], w[i]);
  auto z = head_of(ws.z, n);
  auto wt = head_of(ws.wt, n);
  MatrixXd M;
  VectorXd v;
  fit.converged = false;
  for (int iter = 1; iter <= ctl.maxit; ++iter) {
    for (Index i = 0; i < n; ++i) {
      const double var = mu[i] * (1.0 - mu[i]);
      z[i] = (eta[i] - offset[i]) + (y[i] - mu[i]) / me[i];
      wt[i] = (w[i] > 0.0) ? w[i] * me[i] * me[i] / var : 0.0;
    }
    if (ws.blocked_crossprod)
      crossprod_blocked(X, wt, z.data(), M, v, ws);
    else
      weighted_crossprod(X, wt, z.data(), M, v, nthreads);
    bool qr = false;
    VectorXd cand = solve_normal(M, v, &qr);
    if (qr) fit.qr_fallback = true;
    auto evaluate = [&](const VectorXd& b, double& dev) {
      eta.noalias() = X * b;
      eta += offset;
      bool valid = true;
      dev = 0.0;
      for (Index i = 0; i < n; ++i) {
        logit_mu_and_eta(eta[i], mu[i], me[i]);
        if (!(mu[i] > 0.0 && mu[i] < 1.0) || !std::isfinite(mu[i])) valid = false;
        dev += binomial_dev(y[i], mu[i], w[i]);
      }
      return valid && std::isfinite(dev);
    };
    double dev = 0.0;
    bool ok = evaluate(cand, dev);
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
        cand = 0.5 * (cand + coefold);
        ok = evaluate(cand, dev);
      }
      fit.boundary = true;
    }
    fit.iter = iter;
    if (std::abs(dev - devold) / (std::abs(dev) + 0.1) < ctl.epsilon) {
      fit.converged = true;
      beta = cand;
      fit.deviance = dev;
      break;
    }
    devold = dev;
    beta = cand;
    coefold = cand;
    have_old = true;
    fit.deviance = dev;
  }
  return true;
}

inline void reset_fit(GlmFit& fit) {
  fit.deviance = 0.0;
  fit.iter = 0;
  fit.converged = fit.boundary = fit.fitted_01 = fit.qr_fallback = false;
  fit.n_fitted_01 = 0;
  fit.diverging.clear();
}
}  // namespace detail

// Weighted logistic regression: y in [0, 1], prior weights w >= 0, offset.
//
// `start` (optional, length ncol(X); NaN entries count as 0) warm-starts the
// iterations, as glm.fit's `start =`: the same convergence rule and the same
// optimum, usually in fewer iterations (the bootstrap starts each replicate
// from the full-sample coefficients). If the warm start gives invalid
// fitted values, fails, does not converge or ends with fitted values of 0
// or 1, the fit is redone from glm.fit's usual starting values.
template <class Mat>
void logit_irls_into(GlmFit& fit, const Mat& X, const Eigen::Ref<const VectorXd>& y,
                     const Eigen::Ref<const VectorXd>& w,
                     const Eigen::Ref<const VectorXd>& offset, const GlmControl& ctl,
                     int nthreads, const VectorXd* start, IrlsWorkspace& ws) {
  const Index n = X.rows(), p = X.cols();
  if (y.size() != n || w.size() != n || offset.size() != n)
    throw std::invalid_argument("logit_irls: y, w and offset must have one entry per row of X");
  for (Index i = 0; i < n; ++i) {
    if (!(w[i] >= 0.0)) throw std::invalid_argument("logit_irls: weights must be non-negative");
    if (!(y[i] >= 0.0 && y[i] <= 1.0)) throw std::invalid_argument("logit_irls: y must lie in [0, 1]");
  }
  if (start != nullptr && start->size() != p)
    throw std::invalid_argument("logit_irls: start must have one entry per column of X");
  detail::reset_fit(fit);
  MatrixXd G;
  VectorXd dummy;
  if (ws.blocked_crossprod)
    crossprod_blocked(X, w, nullptr, G, dummy, ws);
  else
    weighted_crossprod(X, w, nullptr, G, dummy, nthreads);
  fit.aliased = aliased_columns(G, ctl.alias_tol);
  VectorXd beta;
  auto run = [&](const auto& D) {
    if (start != nullptr) {
      VectorXd b0(p - static_cast<Index>(fit.aliased.size()));
      Index c = 0;
      for (Index j = 0; j < p; ++j) {
        if (std::find(fit.aliased.begin(), fit.aliased.end(), static_cast<int>(j)) !=
            fit.aliased.end())
          continue;
        b0[c++] = std::isfinite((*start)[j]) ? (*start)[j] : 0.0;
      }
      bool ok = false;
      try {
        ok = detail::irls_core(D, y, w, offset, ctl, nthreads, fit, beta, &b0, ws) &&
             fit.converged;
      } catch (const std::exception&) {
        ok = false;
      }
      // Newton's method from a poor start can run off to infinity and stop
      // there; fitted values at 0 or 1 send the fit back to glm's start
      // (as they would for a separated resample, whose cold fit is kept).
      const double eps01 = 10.0 * DBL_EPSILON;
      for (Index i = 0; ok && i < n; ++i)
        if (w[i] > 0.0 && (fit.mu[i] > 1.0 - eps01 || fit.mu[i] < eps01)) ok = false;
      if (ok) return;
      detail::reset_fit(fit);
    }
    detail::irls_core(D, y, w, offset, ctl, nthreads, fit, beta, nullptr, ws);
  };
  if (fit.aliased.empty()) {
    run(X);
  } else {
    const MatrixXd Xr = drop_columns(X, fit.aliased);
    run(Xr);
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
}

// Weighted logistic regression: y in [0, 1], prior weights w >= 0, offset.
//
// `start` (optional, length ncol(X); NaN entries count as 0) warm-starts the
// iterations, as glm.fit's `start =`: the same convergence rule and the same
// optimum, usually in fewer iterations (the bootstrap starts each replicate
// from the full-sample coefficients). If the warm start gives invalid
// fitted values, fails or does not converge, the fit is redone from
// glm.fit's usual starting values.
//
// logit_irls_into() is the same fit written into `fit`, with the n-length
// buffers taken from `ws` and fit.eta / fit.mu grown if needed: a caller
// that reuses both allocates nothing of size n; only the first n entries of
// fit.eta and fit.mu are then this fit's.
template <class Mat>
GlmFit logit_irls(const Mat& X, const Eigen::Ref<const VectorXd>& y,
                  const Eigen::Ref<const VectorXd>& w, const Eigen::Ref<const VectorXd>& offset,
                  const GlmControl& ctl = GlmControl(), int nthreads = 1,
                  const VectorXd* start = nullptr) {
  GlmFit fit;
  IrlsWorkspace ws;
  logit_irls_into(fit, X, y, w, offset, ctl, nthreads, start, ws);
  return fit;
}

struct LmFit {
  VectorXd coef;  // NaN for aliased columns
  VectorXd fitted;
  std::vector<int> aliased;
};

// Weighted least squares by the normal equations (LLT, QR fallback).
template <class Mat>
LmFit wls_fit(const Mat& X, const Eigen::Ref<const VectorXd>& y,
              const Eigen::Ref<const VectorXd>& w,
              const GlmControl& ctl = GlmControl(), int nthreads = 1) {
  const Index p = X.cols();
  LmFit fit;
  MatrixXd G;
  VectorXd v;
  weighted_crossprod(X, w, nullptr, G, v, nthreads);
  fit.aliased = aliased_columns(G, ctl.alias_tol);
  VectorXd beta;
  if (fit.aliased.empty()) {
    weighted_crossprod(X, w, y.data(), G, v, nthreads);
    beta = solve_normal(G, v);
  } else {
    const MatrixXd Xr = drop_columns(X, fit.aliased);
    weighted_crossprod(Xr, w, y.data(), G, v, nthreads);
    beta = solve_normal(G, v);
  }
  fit.coef = expand_coef(beta, p, fit.aliased);
  fit.fitted = linear_predictor(X, fit.coef);
  return fit;
}

}  // namespace matequity
