// matequity: the stacked M-estimation core, built from parameter blocks.
//
// A stack is a list of blocks theta = (theta_1, ..., theta_B). The per-unit
// estimating function of block b depends on theta_b and on earlier blocks
// only (the system is block lower-triangular), so the blocks are solved in
// turn, and with s_i the case (frequency or bootstrap) weights and n = sum s_i
//   A    = -(1/n) sum_i s_i d psi_i / d theta'
//   IF_i = A^{-1} psi_i      (theta_hat - theta ~ (1/n) sum_i s_i IF_i)
// and V = sum_i s_i IF_i IF_i' / n^2 (vcov()). Only the influence functions
// of the parameters asked for are formed: with C the columns of A^{-T} for
// them, IF_sel = sum_b Psi_b C_b, block by block, so no n x dim(theta)
// matrix is held.
//
// A block works on a subset of the units (`rows`, global row numbers; empty
// for all), with its own design rows. Blocks:
//   LogisticBlock  beta: w (y - expit(x'beta)) x, a weighted logistic
//                  model; aliased columns (glm's NA coefficients) are held at
//                  0 (psi_j = 0, A_jj = 1).
//   LinearBlock    beta: w (y - x'beta) x, weighted least squares (the same
//                  ModelBlock with the identity link). A model block may take
//                  its fit from elsewhere (use_fit()).
//   MeanBlock      nu: h W (V - nu), a weighted mean on its rows, where the
//                  weight W and the value V are functions of the predictions
//                  (fitted means) p_1..p_M of earlier model blocks, each
//                  predicted on the mean's rows from a design of its own
//                  with some columns set to constants (everyone in group k,
//                  or everyone treated): standardised means (W = 1, V = p),
//                  Hajek means (W = 1/e, V = y), their mixtures.
//   DerivedBlock   t: f(theta) - t, a smooth function of earlier parameters
//                  (the delta method inside the stack).
// A prediction reads its model through Predictor (inverse link, its
// derivative, the free coefficients), so a block with several linear
// predictors can feed a mean too: MultinomialBlock (multinomial.hpp), whose
// K-1 linear predictors are predictions with the identity link.
#pragma once

#include <Eigen/Dense>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "logit_irls.hpp"

namespace matequity {

// What a block sees of the stack: every parameter, the blocks' offsets and
// the case weights of all units.
struct StackView {
  const VectorXd& theta;
  const std::vector<Index>& offset;
  const VectorXd& s;
};

class StackBlock {
 public:
  virtual ~StackBlock() = default;
  virtual Index dim() const = 0;
  // Solves the block's own equations given the earlier blocks' parameters,
  // writing its slice of v.theta (which the stack lets it write).
  virtual void solve(VectorXd& theta, const StackView& v, Index b) = 0;
  // Adds sum_i s_i d psi_i / d theta' (this block's rows, every column) to J.
  virtual void jacobian(const StackView& v, Index b, Eigen::Ref<MatrixXd> J) const = 0;
  // Adds psi_i' C (C: this block's rows of the selection, dim x k) to row i
  // of out (n x k) for each of the block's units.
  virtual void add_psi_times(const StackView& v, Index b, const MatrixXd& C,
                             MatrixXd& out) const = 0;
};

namespace detail {

inline Index global_row(const std::vector<Index>& rows, Index j) {
  return rows.empty() ? j : rows[static_cast<std::size_t>(j)];
}

}  // namespace detail

// A model block: a generalised linear model on the block's rows with a
// canonical link (logistic or identity), psi = w (y - mu(x'beta)) x, fitted
// by its solve() or, when use_fit() was called, taken from a fit made
// elsewhere (e.g. with warm starts and a workspace). Aliased columns (glm's
// NA coefficients) are held at 0 (psi_j = 0, A_jj = 1).
// What a mean's prediction reads of a model: the inverse link, its
// derivative, and which coefficients are free (not aliased).
class Predictor {
 public:
  virtual ~Predictor() = default;
  virtual double linkinv(double eta) const = 0;
  virtual double mu_eta(double eta) const = 0;  // d mu / d eta
  virtual bool kept(Index j) const = 0;
};

class ModelBlock : public StackBlock, public Predictor {
 public:
  ModelBlock(Eigen::Ref<const MatrixXd> X, Eigen::Ref<const VectorXd> y, VectorXd w,
             GlmControl ctl, std::vector<Index> rows, int nthreads)
      : X_(X), y_(y), w_(std::move(w)), ctl_(ctl), rows_(std::move(rows)), nthreads_(nthreads) {
    if (y_.size() != X_.rows() || w_.size() != X_.rows() ||
        (!rows_.empty() && static_cast<Index>(rows_.size()) != X_.rows()))
      throw std::invalid_argument("a model block's design, response, weights and rows differ in length");
  }
  Index dim() const override { return X_.cols(); }
  bool kept(Index j) const override { return kept_[static_cast<std::size_t>(j)] != 0; }

  // The block's equations solved elsewhere: coefficients (NaN = aliased).
  void use_fit(const VectorXd& coef, const std::vector<int>& aliased) {
    if (coef.size() != X_.cols()) throw std::invalid_argument("a model block's fit has the wrong length");
    given_ = true;
    coef_ = coef;
    aliased_ = aliased;
  }

  void solve(VectorXd& theta, const StackView& v, Index b) override {
    if (!given_) {
      VectorXd sw(X_.rows());
      for (Index j = 0; j < sw.size(); ++j) sw[j] = v.s[detail::global_row(rows_, j)] * w_[j];
      fit(sw, coef_, aliased_);
    }
    kept_.assign(static_cast<std::size_t>(X_.cols()), 1);
    for (int j : aliased_) kept_[static_cast<std::size_t>(j)] = 0;
    for (Index j = 0; j < X_.cols(); ++j) theta[v.offset[b] + j] = kept(j) ? coef_[j] : 0.0;
  }

  void jacobian(const StackView& v, Index b, Eigen::Ref<MatrixXd> J) const override {
    const Index p = X_.cols(), o = v.offset[b];
    const VectorXd eta = linear_predictor(X_, v.theta.segment(o, p));
    VectorXd wt(X_.rows());
    for (Index j = 0; j < wt.size(); ++j)
      wt[j] = v.s[detail::global_row(rows_, j)] * w_[j] * mu_eta(eta[j]);
    MatrixXd H;
    VectorXd unused;
    weighted_crossprod(X_, wt, nullptr, H, unused, nthreads_);
    const double n = v.s.sum();
    for (Index j = 0; j < p; ++j) {
      if (kept(j)) continue;
      H.row(j).setZero();
      H.col(j).setZero();
      H(j, j) = n;  // psi_j = -theta_j: held at 0, A_jj = 1
    }
    J.block(0, o, p, p) -= H;
  }

  void add_psi_times(const StackView& v, Index b, const MatrixXd& C,
                     MatrixXd& out) const override {
    const Index p = X_.cols();
    MatrixXd Ck = C;
    for (Index j = 0; j < p; ++j)
      if (!kept(j)) Ck.row(j).setZero();
    const VectorXd eta = linear_predictor(X_, v.theta.segment(v.offset[b], p));
    const MatrixXd XC = X_ * Ck;
    for (Index j = 0; j < X_.rows(); ++j) {
      const double r = w_[j] * (y_[j] - linkinv(eta[j]));
      if (r != 0.0) out.row(detail::global_row(rows_, j)) += r * XC.row(j);
    }
  }

 protected:
  // Fits the model with row weights sw, writing its coefficients and aliased columns.
  virtual void fit(const VectorXd& sw, VectorXd& coef, std::vector<int>& aliased) = 0;

  Eigen::Ref<const MatrixXd> X_;
  Eigen::Ref<const VectorXd> y_;
  VectorXd w_;
  GlmControl ctl_;
  std::vector<Index> rows_;
  int nthreads_;
  bool given_ = false;
  VectorXd coef_;
  std::vector<int> aliased_;
  std::vector<char> kept_;
};

// Logistic model: design X, response y and row weights w on the block's
// rows, fitted by logit_irls() with the case weights times w.
class LogisticBlock : public ModelBlock {
 public:
  LogisticBlock(Eigen::Ref<const MatrixXd> X, Eigen::Ref<const VectorXd> y, VectorXd w,
                GlmControl ctl, std::vector<Index> rows = {}, int nthreads = 1)
      : ModelBlock(X, y, std::move(w), ctl, std::move(rows), nthreads) {}
  double linkinv(double eta) const override { return detail::logit_linkinv(eta); }
  double mu_eta(double eta) const override {
    const double mu = detail::logit_linkinv(eta);
    return mu * (1.0 - mu);
  }
  // The logit_irls() fit (only when the block fitted itself).
  const GlmFit& fit() const { return fit_; }

 protected:
  void fit(const VectorXd& sw, VectorXd& coef, std::vector<int>& aliased) override {
    fit_ = logit_irls(X_, y_, sw, VectorXd::Zero(X_.rows()), ctl_, nthreads_);
    coef = fit_.coef;
    aliased = fit_.aliased;
  }

 private:
  GlmFit fit_;
};

// Linear model (identity link): weighted least squares by wls_fit(),
// psi = w (y - x'beta) x.
class LinearBlock : public ModelBlock {
 public:
  LinearBlock(Eigen::Ref<const MatrixXd> X, Eigen::Ref<const VectorXd> y, VectorXd w,
              GlmControl ctl, std::vector<Index> rows = {}, int nthreads = 1)
      : ModelBlock(X, y, std::move(w), ctl, std::move(rows), nthreads) {}
  double linkinv(double eta) const override { return eta; }
  double mu_eta(double) const override { return 1.0; }

 protected:
  void fit(const VectorXd& sw, VectorXd& coef, std::vector<int>& aliased) override {
    LmFit f = wls_fit(X_, y_, sw, ctl_, nthreads_);
    coef = f.coef;
    aliased = f.aliased;
  }
};

// A model block's prediction (fitted mean) on a mean's rows: the model
// (block index b) applied to design X (the mean's rows, the model's
// columns), with columns `set` fixed at constants. Its coefficients start
// `shift` entries into the block's parameters (a block with several linear
// predictors, as the multinomial model's).
struct Prediction {
  const Predictor* model;
  Index block;
  Eigen::Ref<const MatrixXd> X;
  std::vector<std::pair<int, double>> set;
  Index shift = 0;

  double x(Index j, Index c) const {
    for (const auto& s : set)
      if (s.first == c) return s.second;
    return X(j, c);
  }
  VectorXd eta(const VectorXd& theta, const std::vector<Index>& offset) const {
    const VectorXd beta = theta.segment(offset[block] + shift, X.cols());
    VectorXd e = linear_predictor(X, beta);
    for (const auto& s : set)
      for (Index j = 0; j < e.size(); ++j) e[j] += (s.second - X(j, s.first)) * beta[s.first];
    return e;
  }
};

// Weighted mean nu solving sum s h W (V - nu) = 0 on its rows. W and V are
// functions of the row (local index j) and the predictions p[0..M-1] at it,
// each returning its value and writing its gradient in p; an empty W is 1.
// A mean with no weight (sum s h W = 0) is `empty_value` with no influence.
class MeanBlock : public StackBlock {
 public:
  using Fn = std::function<double(Index j, const double* p, double* grad)>;

  MeanBlock(VectorXd h, std::vector<Prediction> preds, Fn value, Fn weight = nullptr,
            std::vector<Index> rows = {},
            double empty_value = std::numeric_limits<double>::quiet_NaN())
      : h_(std::move(h)), preds_(std::move(preds)), value_(std::move(value)),
        weight_(std::move(weight)), rows_(std::move(rows)), empty_value_(empty_value) {
    for (const auto& q : preds_)
      if (q.X.rows() != h_.size())
        throw std::invalid_argument("a mean's predictions and weights differ in length");
    if (!rows_.empty() && static_cast<Index>(rows_.size()) != h_.size())
      throw std::invalid_argument("a mean's rows and weights differ in length");
  }
  Index dim() const override { return 1; }

  void solve(VectorXd& theta, const StackView& v, Index b) override {
    const Terms t = terms(v, false);
    double num = 0.0, den = 0.0;
    for (Index j = 0; j < h_.size(); ++j) {
      const double sw = v.s[detail::global_row(rows_, j)] * h_[j] * t.W[j];
      num += sw * t.V[j];
      den += sw;
    }
    empty_ = !(den > 0.0);
    theta[v.offset[b]] = empty_ ? empty_value_ : num / den;
  }

  void jacobian(const StackView& v, Index b, Eigen::Ref<MatrixXd> J) const override {
    const Index o = v.offset[b];
    if (empty_) {
      J(0, o) -= v.s.sum();  // held at empty_value, A = 1
      return;
    }
    const Terms t = terms(v, true);
    const double nu = v.theta[o];
    double den = 0.0;
    const std::size_t M = preds_.size();
    for (Index j = 0; j < h_.size(); ++j) {
      const double sh = v.s[detail::global_row(rows_, j)] * h_[j];
      if (sh == 0.0) continue;
      den += sh * t.W[j];
      for (std::size_t m = 0; m < M; ++m) {
        // d psi / d eta_m = h (dW/dp (V - nu) + W dV/dp) dp/deta
        const double d = sh * (t.dW(j, m) * (t.V[j] - nu) + t.W[j] * t.dV(j, m)) * t.D(j, m);
        if (d == 0.0) continue;
        const Prediction& q = preds_[m];
        const Index om = v.offset[q.block] + q.shift;
        for (Index c = 0; c < q.X.cols(); ++c)
          if (q.model->kept(c)) J(0, om + c) += d * q.x(j, c);
      }
    }
    J(0, o) -= den;
  }

  void add_psi_times(const StackView& v, Index b, const MatrixXd& C,
                     MatrixXd& out) const override {
    if (empty_) return;
    const Terms t = terms(v, false);
    const double nu = v.theta[v.offset[b]];
    for (Index j = 0; j < h_.size(); ++j) {
      const double psi = h_[j] * t.W[j] * (t.V[j] - nu);
      if (psi != 0.0) out.row(detail::global_row(rows_, j)) += psi * C.row(0);
    }
  }

 private:
  struct Terms {
    MatrixXd P, Dp, gV, gW;  // rows x M: predictions, dp/deta, the gradients of V and W
    VectorXd V, W;
    double D(Index j, std::size_t m) const { return Dp(j, static_cast<Index>(m)); }
    double dV(Index j, std::size_t m) const { return gV(j, static_cast<Index>(m)); }
    double dW(Index j, std::size_t m) const { return gW.size() ? gW(j, static_cast<Index>(m)) : 0.0; }
  };

  Terms terms(const StackView& v, bool gradients) const {
    const Index n = h_.size();
    const Index M = static_cast<Index>(preds_.size());
    Terms t;
    t.P.resize(n, M);
    if (gradients) t.Dp.resize(n, M);
    for (Index m = 0; m < M; ++m) {
      const Prediction& q = preds_[static_cast<std::size_t>(m)];
      const VectorXd e = q.eta(v.theta, v.offset);
      for (Index j = 0; j < n; ++j) t.P(j, m) = q.model->linkinv(e[j]);
      if (gradients)
        for (Index j = 0; j < n; ++j) t.Dp(j, m) = q.model->mu_eta(e[j]);
    }
    t.V.resize(n);
    t.W = VectorXd::Ones(n);
    if (gradients) {
      t.gV = MatrixXd::Zero(n, M);
      if (weight_) t.gW = MatrixXd::Zero(n, M);
    }
    std::vector<double> pj(static_cast<std::size_t>(M)), g(static_cast<std::size_t>(M));
    for (Index j = 0; j < n; ++j) {
      for (Index m = 0; m < M; ++m) pj[static_cast<std::size_t>(m)] = t.P(j, m);
      std::fill(g.begin(), g.end(), 0.0);
      t.V[j] = value_(j, pj.data(), g.data());
      if (gradients)
        for (Index m = 0; m < M; ++m) t.gV(j, m) = g[static_cast<std::size_t>(m)];
      if (weight_) {
        std::fill(g.begin(), g.end(), 0.0);
        t.W[j] = weight_(j, pj.data(), g.data());
        if (gradients)
          for (Index m = 0; m < M; ++m) t.gW(j, m) = g[static_cast<std::size_t>(m)];
      }
    }
    return t;
  }

  VectorXd h_;
  std::vector<Prediction> preds_;
  Fn value_, weight_;
  std::vector<Index> rows_;
  double empty_value_;
  bool empty_ = false;
};

// The value of a residual mean, y - p[0] (p[0] the prediction of an
// outcome model; gradient -1), or y itself without a model. y (n values)
// must outlive the stack.
inline MeanBlock::Fn residual_value(const double* y, bool with_model) {
  return [y, with_model](Index j, const double* p, double* g) {
    if (!with_model) return y[j];
    g[0] = -1.0;
    return y[j] - p[0];
  };
}

// t = f(theta), f a smooth function of earlier parameters with gradient.
class DerivedBlock : public StackBlock {
 public:
  using Fn = std::function<double(const VectorXd& theta, VectorXd& grad)>;
  explicit DerivedBlock(Fn f) : f_(std::move(f)) {}
  Index dim() const override { return 1; }
  void solve(VectorXd& theta, const StackView& v, Index b) override {
    VectorXd g = VectorXd::Zero(theta.size());
    theta[v.offset[b]] = f_(theta, g);
  }
  void jacobian(const StackView& v, Index b, Eigen::Ref<MatrixXd> J) const override {
    VectorXd g = VectorXd::Zero(v.theta.size());
    f_(v.theta, g);
    const double n = v.s.sum();
    J.row(0) += n * g.transpose();
    J(0, v.offset[b]) -= n;
  }
  // psi = f(theta) - t, the same for every unit (zero at the solution)
  void add_psi_times(const StackView& v, Index b, const MatrixXd& C,
                     MatrixXd& out) const override {
    VectorXd g = VectorXd::Zero(v.theta.size());
    const double psi = f_(v.theta, g) - v.theta[v.offset[b]];
    if (psi != 0.0) out.rowwise() += psi * C.row(0);
  }

 private:
  Fn f_;
};

// The stack: blocks in the order they are solved.
class Stack {
 public:
  // Adds a block; returns it (held in place: references stay valid).
  template <class B, class... Args>
  B& add(Args&&... args) {
    blocks_.push_back(std::make_unique<B>(std::forward<Args>(args)...));
    offset_.push_back(total_);
    total_ += blocks_.back()->dim();
    return static_cast<B&>(*blocks_.back());
  }
  Index size() const { return static_cast<Index>(blocks_.size()); }
  Index dim() const { return total_; }
  Index offset(Index b) const { return offset_[static_cast<std::size_t>(b)]; }
  // Index of the block added last, and its parameter's position.
  Index last() const { return size() - 1; }
  const VectorXd& theta() const { return theta_; }

  void solve(const VectorXd& s) {
    s_ = s;
    theta_ = VectorXd::Zero(total_);
    const StackView v{theta_, offset_, s_};
    for (Index b = 0; b < size(); ++b) blocks_[static_cast<std::size_t>(b)]->solve(theta_, v, b);
  }

  // A = -(1/n) sum_i s_i d psi_i / d theta'.
  MatrixXd bread() const {
    MatrixXd J = MatrixXd::Zero(total_, total_);
    const StackView v{theta_, offset_, s_};
    for (Index b = 0; b < size(); ++b) {
      const auto& blk = *blocks_[static_cast<std::size_t>(b)];
      blk.jacobian(v, b, J.middleRows(offset_[b], blk.dim()));
    }
    return -J / s_.sum();
  }

  // (1/n) sum_i s_i psi_i(theta) at any theta (zero at the solution): what
  // bread() differentiates, for checking it.
  VectorXd mean_psi(const VectorXd& theta) const {
    VectorXd out = VectorXd::Zero(total_);
    const StackView v{theta, offset_, s_};
    for (Index b = 0; b < size(); ++b) {
      const auto& blk = *blocks_[static_cast<std::size_t>(b)];
      MatrixXd P = MatrixXd::Zero(s_.size(), blk.dim());
      blk.add_psi_times(v, b, MatrixXd::Identity(blk.dim(), blk.dim()), P);
      out.segment(offset_[b], blk.dim()) = P.transpose() * s_ / s_.sum();
    }
    return out;
  }

  // Influence functions (n x |sel|) of the parameters sel (indices into theta).
  MatrixXd influence(const std::vector<Index>& sel) const {
    Eigen::FullPivLU<MatrixXd> lu(bread());
    if (!lu.isInvertible())
      throw std::runtime_error("the stacked estimating equations are singular: a coefficient is not identified");
    // IF_i = A^{-1} psi_i, so IF_sel,i = psi_i' (A^{-T})[, sel]
    MatrixXd E = MatrixXd::Zero(total_, static_cast<Index>(sel.size()));
    for (std::size_t k = 0; k < sel.size(); ++k) E(sel[k], static_cast<Index>(k)) = 1.0;
    const MatrixXd C = lu.transpose().solve(E);
    MatrixXd out = MatrixXd::Zero(s_.size(), static_cast<Index>(sel.size()));
    const StackView v{theta_, offset_, s_};
    for (Index b = 0; b < size(); ++b) {
      const auto& blk = *blocks_[static_cast<std::size_t>(b)];
      blk.add_psi_times(v, b, C.middleRows(offset_[b], blk.dim()), out);
    }
    return out;
  }

  // sum_i s_i IF_i IF_i' / n^2 of an influence matrix from influence().
  MatrixXd vcov(const MatrixXd& IF) const {
    const double n = s_.sum();
    return IF.transpose() * s_.asDiagonal() * IF / (n * n);
  }

 private:
  std::vector<std::unique_ptr<StackBlock>> blocks_;
  std::vector<Index> offset_;
  Index total_ = 0;
  VectorXd theta_, s_;
};

// Weighted means of y within groups 0..K-1 with known weights w (Hajek
// means, as of a matched sample): one mean block per group. mu receives the
// K means; returns their influence functions (n x K).
inline MatrixXd weighted_means(const Eigen::Ref<const VectorXd>& y, const std::vector<int>& group,
                               int K, const Eigen::Ref<const VectorXd>& w, VectorXd& mu) {
  const Index n = y.size();
  if (static_cast<Index>(group.size()) != n || w.size() != n)
    throw std::invalid_argument("weighted_means: y, group and w must have the same length");
  for (int g : group)
    if (g < 0 || g >= K) throw std::invalid_argument("weighted_means: a group code is out of range");
  Stack st;
  std::vector<Index> sel;
  const double* wp = w.data();
  for (int k = 0; k < K; ++k) {
    VectorXd h(n);
    for (Index i = 0; i < n; ++i) h[i] = group[static_cast<std::size_t>(i)] == k ? 1.0 : 0.0;
    st.add<MeanBlock>(std::move(h), std::vector<Prediction>{}, residual_value(y.data(), false),
                      [wp](Index i, const double*, double*) { return wp[i]; });
    sel.push_back(st.offset(st.last()));
  }
  st.solve(VectorXd::Ones(n));
  mu.resize(K);
  for (int k = 0; k < K; ++k) mu[k] = st.theta()[sel[static_cast<std::size_t>(k)]];
  return st.influence(sel);
}

}  // namespace matequity
