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
// The estimating equations are blocks of the stack (stack.hpp): the
// propensity model (MultinomialBlock, below), the outcome models gamma_k
// (AIPW; LogisticBlock or LinearBlock, fitted within each level), and the
// means, with case weights s:
//   psi_{b_k}   = s (1{A=k} - e_k) x                   k = 1..K-1
//   psi_gamma_k = s 1{A=k} (Y - m_k) z
//   psi_nu_k    = s h (m_k - nu_k)                     (AIPW)
//   psi_r_k     = s 1{A=k} w (Y - m_k - r_k)
// and mu_k = nu_k + r_k (IPW: m_k = 0, mu_k = r_k, the Hajek mean). The
// weights and the tilt are functions of the K-1 linear predictors x'b_j,
// so the stack differentiates them through the propensity model
// (d e_k / d eta_j = e_k (1{k=j} - e_j)); its bread and sandwich are the
// stack's, as for the binary estimators.
#pragma once

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "logit_irls.hpp"
#include "stack.hpp"

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

// The K probabilities (level 0 the baseline) from the K-1 linear
// predictors eta[0..K-2] (of levels 1..K-1), the largest predictor
// subtracted so that exp() cannot overflow.
inline void multinom_eta_probs(const double* eta, int K, double* e) {
  double mx = 0.0;
  for (int k = 0; k + 1 < K; ++k) mx = std::max(mx, eta[k]);
  double tot = std::exp(-mx);
  e[0] = tot;
  for (int k = 1; k < K; ++k) {
    e[k] = std::exp(eta[k - 1] - mx);
    tot += e[k];
  }
  for (int k = 0; k < K; ++k) e[k] /= tot;
}

// Probabilities of every row from the linear predictors (n x (K-1)).
inline void multinom_probs(const MatrixXd& eta, MatrixXd& P) {
  const Index n = eta.rows();
  const int K = static_cast<int>(eta.cols()) + 1;
  P.resize(n, K);
  std::vector<double> row(static_cast<std::size_t>(K - 1)), e(static_cast<std::size_t>(K));
  for (Index i = 0; i < n; ++i) {
    for (int k = 0; k + 1 < K; ++k) row[static_cast<std::size_t>(k)] = eta(i, k);
    multinom_eta_probs(row.data(), K, e.data());
    for (int k = 0; k < K; ++k) P(i, k) = e[static_cast<std::size_t>(k)];
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

// The information of the stacked coefficient blocks b_1..b_{K-1} (p each)
// at probabilities P with case weights s: block (j, k) is
// X' diag(s e_j (1{j=k} - e_k)) X.
template <class Mat>
MatrixXd multinom_information(const Mat& X, const MatrixXd& P, const Eigen::Ref<const VectorXd>& s) {
  const Index n = X.rows(), p = X.cols(), m = P.cols() - 1;
  MatrixXd H(p * m, p * m);
  VectorXd v(n);
  for (Index j = 0; j < m; ++j)
    for (Index k = 0; k <= j; ++k) {
      for (Index i = 0; i < n; ++i) v[i] = s[i] * P(i, j + 1) * ((j == k ? 1.0 : 0.0) - P(i, k + 1));
      const MatrixXd blk = cross_w(X, v, X);
      H.block(j * p, k * p, p, p) = blk;
      if (k != j) H.block(k * p, j * p, p, p) = blk.transpose();
    }
  return H;
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
  MatrixXd H;
  fit.converged = false;
  for (int iter = 1; iter <= ctl.maxit; ++iter) {
    // score and information of the stacked blocks
    for (Index j = 0; j < m; ++j) {
      for (Index i = 0; i < n; ++i)
        v[i] = s[i] * ((a[static_cast<std::size_t>(i)] == j + 1 ? 1.0 : 0.0) - Pr(i, j + 1));
      g.segment(j * p, p) = X.transpose() * v;
    }
    H = detail::multinom_information(X, Pr, s);
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

// The multinomial propensity model as a stack block: coefficients
// b_1..b_{K-1}, p each (all of X's columns; aliased ones held at 0 in every
// block, psi = -theta, A_jj = 1, as ModelBlock does), psi_{b_j} =
// (1{A=j} - e_j) x. Its linear predictors eta_j = x'b_j are predictions of
// a mean with the identity link: Prediction{&blk.eta(), b, X, {}, blk.shift(j)}
// gives eta_j, and the mean's value or weight computes the probabilities
// from them (detail::multinom_eta_probs()).
class MultinomialBlock : public StackBlock {
 public:
  MultinomialBlock(Eigen::Ref<const MatrixXd> X, std::vector<int> a, int K, GlmControl ctl,
                   int nthreads = 1)
      : X_(X), a_(std::move(a)), K_(K), ctl_(ctl), nthreads_(nthreads), eta_(this) {
    if (K_ < 2) throw std::invalid_argument("a multinomial block needs at least 2 levels");
    if (static_cast<Index>(a_.size()) != X_.rows())
      throw std::invalid_argument("a multinomial block's design and levels differ in length");
  }
  Index dim() const override { return X_.cols() * (K_ - 1); }
  bool kept(Index c) const { return kept_[static_cast<std::size_t>(c)] != 0; }
  // The identity-link predictor of every eta_j, and where b_j starts.
  const Predictor& eta() const { return eta_; }
  Index shift(int j) const { return static_cast<Index>(j - 1) * X_.cols(); }

  // The equations solved elsewhere: coefficients p x (K-1), NaN rows aliased.
  void use_fit(const MatrixXd& coef, const std::vector<int>& aliased) {
    if (coef.rows() != X_.cols() || coef.cols() != K_ - 1)
      throw std::invalid_argument("a multinomial block's fit has the wrong shape");
    given_ = true;
    coef_ = coef;
    aliased_ = aliased;
  }

  void solve(VectorXd& theta, const StackView& v, Index b) override {
    if (!given_) {
      const MultinomFit f = multinom_fit(X_, a_, K_, v.s, ctl_, nthreads_);
      coef_ = f.coef;
      aliased_ = f.aliased;
    }
    const Index p = X_.cols();
    kept_.assign(static_cast<std::size_t>(p), 1);
    for (int j : aliased_) kept_[static_cast<std::size_t>(j)] = 0;
    for (Index j = 0; j + 1 < K_; ++j)
      for (Index c = 0; c < p; ++c)
        theta[v.offset[b] + j * p + c] = kept(c) ? coef_(c, j) : 0.0;
  }

  void jacobian(const StackView& v, Index b, Eigen::Ref<MatrixXd> J) const override {
    const Index p = X_.cols(), m = K_ - 1, o = v.offset[b];
    MatrixXd H = detail::multinom_information(X_, probs(v, b), v.s);
    const double tot = v.s.sum();
    for (Index j = 0; j < m; ++j)
      for (Index c = 0; c < p; ++c) {
        if (kept(c)) continue;
        const Index r = j * p + c;
        H.row(r).setZero();
        H.col(r).setZero();
        H(r, r) = tot;
      }
    J.block(0, o, p * m, p * m) -= H;
  }

  void add_psi_times(const StackView& v, Index b, const MatrixXd& C,
                     MatrixXd& out) const override {
    const Index p = X_.cols(), m = K_ - 1, n = X_.rows();
    const MatrixXd P = probs(v, b);
    for (Index j = 0; j < m; ++j) {
      MatrixXd Cj = C.middleRows(j * p, p);
      for (Index c = 0; c < p; ++c)
        if (!kept(c)) Cj.row(c).setZero();
      const MatrixXd XC = X_ * Cj;
      for (Index i = 0; i < n; ++i) {
        const double r = (a_[static_cast<std::size_t>(i)] == j + 1 ? 1.0 : 0.0) - P(i, j + 1);
        if (r != 0.0) out.row(i) += r * XC.row(i);
      }
    }
  }

 private:
  struct Eta : Predictor {
    explicit Eta(const MultinomialBlock* b) : blk(b) {}
    double linkinv(double eta) const override { return eta; }
    double mu_eta(double) const override { return 1.0; }
    bool kept(Index c) const override { return blk->kept(c); }
    const MultinomialBlock* blk;
  };
  // n x K probabilities at the stack's theta.
  MatrixXd probs(const StackView& v, Index b) const {
    const Index p = X_.cols(), m = K_ - 1;
    const Eigen::Map<const MatrixXd> B(v.theta.data() + v.offset[b], p, m);
    const MatrixXd eta = X_ * B;
    MatrixXd P;
    detail::multinom_probs(eta, P);
    return P;
  }

  Eigen::Ref<const MatrixXd> X_;
  std::vector<int> a_;
  int K_;
  GlmControl ctl_;
  int nthreads_;
  Eta eta_;
  bool given_ = false;
  MatrixXd coef_;
  std::vector<int> aliased_;
  std::vector<char> kept_;
};

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
  VectorXd mu;                         // K means (the stack's solution)
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
  for (Index i = 0; i < n; ++i) {
    const double ea = E(i, a[static_cast<std::size_t>(i)]);
    f.w[i] = att ? E(i, sp.focal) / ea : 1.0 / ea;
  }
  // Outcome models, one per level, on that level's rows.
  f.gamma.assign(static_cast<std::size_t>(K), VectorXd());
  f.out_aliased.assign(static_cast<std::size_t>(K), std::vector<int>());
  std::vector<VectorXd> in(static_cast<std::size_t>(K), VectorXd::Zero(n));
  for (Index i = 0; i < n; ++i) in[static_cast<std::size_t>(a[static_cast<std::size_t>(i)])][i] = 1.0;
  for (int k = 0; k < K; ++k) {
    double sw = 0.0;
    for (Index i = 0; i < n; ++i) sw += in[static_cast<std::size_t>(k)][i] * f.w[i];
    if (!(sw > 0.0)) throw std::runtime_error("a treatment level has no units with a positive weight");
  }
  if (sp.aipw) {
    const VectorXd zero = VectorXd::Zero(n);
    for (int k = 0; k < K; ++k) {
      const std::size_t ku = static_cast<std::size_t>(k);
      if (sp.binary) {
        const GlmFit g = logit_irls(Z, y, in[ku], zero, sp.ctl, nthreads);
        f.gamma[ku] = g.coef;
        f.out_aliased[ku] = g.aliased;
        f.out_converged = f.out_converged && g.converged;
      } else {
        const LmFit g = wls_fit(Z, y, in[ku], sp.ctl, nthreads);
        f.gamma[ku] = g.coef;
        f.out_aliased[ku] = g.aliased;
      }
    }
  }

  // The stack, with the models as fitted above.
  Stack st;
  const MultinomialBlock* ps = nullptr;
  Index b_ps = 0;
  if (sp.account_ps) {
    auto& m = st.add<MultinomialBlock>(X, a, K, sp.ctl, nthreads);
    m.use_fit(f.ps.coef, f.ps.aliased);
    ps = &m;
    b_ps = st.last();
  }
  // the K-1 linear predictors of the propensity model, from preds[first]
  auto add_etas = [&](std::vector<Prediction>& preds) {
    for (int j = 1; j < K; ++j) preds.push_back(Prediction{&ps->eta(), b_ps, X, {}, ps->shift(j)});
  };
  std::vector<const ModelBlock*> out(static_cast<std::size_t>(K), nullptr);
  std::vector<Index> b_out(static_cast<std::size_t>(K), 0);
  if (sp.aipw) {
    for (int k = 0; k < K; ++k) {
      const std::size_t ku = static_cast<std::size_t>(k);
      ModelBlock* m;
      if (sp.binary)
        m = &st.add<LogisticBlock>(Z, y, in[ku], sp.ctl, std::vector<Index>(), nthreads);
      else
        m = &st.add<LinearBlock>(Z, y, in[ku], sp.ctl, std::vector<Index>(), nthreads);
      m->use_fit(f.gamma[ku], f.out_aliased[ku]);
      out[ku] = m;
      b_out[ku] = st.last();
    }
  }
  const int focal = sp.focal;
  std::vector<Index> mu_pos(static_cast<std::size_t>(K), 0);
  for (int k = 0; k < K; ++k) {
    const std::size_t ku = static_cast<std::size_t>(k);
    Index nu = -1;
    if (sp.aipw) {
      // nu_k: the mean of m_k, tilted by e_f for the ATT
      std::vector<Prediction> preds{Prediction{out[ku], b_out[ku], Z, {}}};
      MeanBlock::Fn value = [](Index, const double* p, double* g) {
        g[0] = 1.0;
        return p[0];
      };
      MeanBlock::Fn weight;
      if (att && ps) {
        add_etas(preds);
        weight = [K, focal, e = std::vector<double>(static_cast<std::size_t>(K))](
                     Index, const double* p, double* g) mutable {
          detail::multinom_eta_probs(p + 1, K, e.data());
          const double ef = e[static_cast<std::size_t>(focal)];
          for (int j = 1; j < K; ++j) g[j] = ef * ((focal == j ? 1.0 : 0.0) - e[static_cast<std::size_t>(j)]);
          return ef;
        };
      } else if (att) {
        weight = [&E, focal](Index i, const double*, double*) { return E(i, focal); };
      }
      st.add<MeanBlock>(VectorXd::Ones(n), std::move(preds), std::move(value), std::move(weight));
      nu = st.offset(st.last());
    }
    // r_k: the weighted mean of Y - m_k over level k
    std::vector<Prediction> preds;
    if (sp.aipw) preds.push_back(Prediction{out[ku], b_out[ku], Z, {}});
    const std::size_t ie = preds.size();
    MeanBlock::Fn value = residual_value(y.data(), sp.aipw);
    MeanBlock::Fn weight;
    if (ps) {
      add_etas(preds);
      // ATE w = 1 / e_k, ATT w = e_f / e_k: d log w / d eta_j is
      // -(1{k=j} - e_j), or 1{f=j} - 1{k=j}
      weight = [K, k, focal, att, ie, e = std::vector<double>(static_cast<std::size_t>(K))](
                   Index, const double* p, double* g) mutable {
        detail::multinom_eta_probs(p + ie, K, e.data());
        const double w = (att ? e[static_cast<std::size_t>(focal)] : 1.0) / e[static_cast<std::size_t>(k)];
        for (int j = 1; j < K; ++j) {
          const double dlw = att ? (focal == j ? 1.0 : 0.0) - (k == j ? 1.0 : 0.0)
                                 : -((k == j ? 1.0 : 0.0) - e[static_cast<std::size_t>(j)]);
          g[ie + static_cast<std::size_t>(j) - 1] = w * dlw;
        }
        return w;
      };
    } else {
      weight = [&f](Index i, const double*, double*) { return f.w[i]; };
    }
    st.add<MeanBlock>(in[ku], std::move(preds), std::move(value), std::move(weight));
    const Index r = st.offset(st.last());
    if (nu >= 0) {
      st.add<DerivedBlock>([nu, r](const VectorXd& th, VectorXd& g) {
        g[nu] = 1.0;
        g[r] = 1.0;
        return th[nu] + th[r];
      });
      mu_pos[ku] = st.offset(st.last());
    } else {
      mu_pos[ku] = r;
    }
  }
  st.solve(s);
  f.mu.resize(K);
  for (int k = 0; k < K; ++k) f.mu[k] = st.theta()[mu_pos[static_cast<std::size_t>(k)]];
  f.IF = st.influence(mu_pos);
  return f;
}

}  // namespace matequity
