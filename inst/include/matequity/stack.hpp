// matequity: the stacked M-estimation core, built from parameter blocks.
//
// A stack is a list of blocks theta = (theta_1, ..., theta_B). The per-unit
// estimating function of block b depends on theta_b and on earlier blocks
// only (the system is block lower-triangular), so the blocks are solved in
// turn, and with s_i the case weights and n = sum s_i
//   A    = -(1/n) sum_i s_i d psi_i / d theta'
//   IF_i = A^{-1} psi_i      (theta_hat - theta ~ (1/n) sum_i s_i IF_i)
// whose sandwich is sandwich.hpp's vcov_from_if(). Only the influence
// functions of the parameters asked for are formed: with C the rows of
// A^{-T} for them, IF_sel = sum_b Psi_b C_b, block by block, so no n x
// dim(theta) matrix is ever held.
//
// Blocks (psi written for one unit, s_i included by the engine):
//   LogisticBlock  beta: w (y - expit(x'beta)) x, a logistic model on the
//                  units with w > 0 (w = 1 for all, 0/1 for a subset);
//                  aliased columns are held at 0 (psi_j = 0, A_jj = 1).
//   StandardisedMeanBlock  nu: h (expit(x_c'beta_m) - nu), the mean over the
//                  standard population h of a logistic model's predictions
//                  at the counterfactual design x_c: the model's design with
//                  some columns set to constants (everyone in group k, or
//                  everyone treated).
#pragma once

#include <Eigen/Dense>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "logit_irls.hpp"

namespace matequity {

class Stack;

// What a block sees of the stack: every parameter and its own offset.
struct StackView {
  const VectorXd& theta;
  const std::vector<Index>& offset;
  const VectorXd& s;
};

class StackBlock {
 public:
  virtual ~StackBlock() = default;
  virtual Index dim() const = 0;
  // Solves the block's own equations given the earlier blocks' parameters
  // (already in theta), writing its slice theta.segment(offset[b], dim).
  virtual void solve(VectorXd& theta, const std::vector<Index>& offset, Index b,
                     const VectorXd& s) = 0;
  // Adds sum_i s_i d psi_i / d theta' (this block's rows, every column) to J.
  virtual void jacobian(const StackView& v, Index b, Eigen::Ref<MatrixXd> J) const = 0;
  // Adds psi_i' C (C: this block's rows of the selection, dim x k) to each
  // row of out (n x k).
  virtual void add_psi_times(const StackView& v, Index b, const MatrixXd& C,
                             MatrixXd& out) const = 0;
};

// Logistic model: design X (n x p), response y, row weights w (the model's
// rows), fitted by logit_irls() with the stack's case weights times w.
class LogisticBlock : public StackBlock {
 public:
  LogisticBlock(Eigen::Ref<const MatrixXd> X, Eigen::Ref<const VectorXd> y, VectorXd w,
                GlmControl ctl)
      : X_(X), y_(y), w_(std::move(w)), ctl_(ctl) {
    if (y_.size() != X_.rows() || w_.size() != X_.rows())
      throw std::invalid_argument("a logistic block's design, response and weights differ in length");
  }
  Index dim() const override { return X_.cols(); }
  const GlmFit& fit() const { return fit_; }
  const Eigen::Ref<const MatrixXd>& design() const { return X_; }

  void solve(VectorXd& theta, const std::vector<Index>& offset, Index b,
             const VectorXd& s) override {
    const VectorXd sw = s.cwiseProduct(w_);
    fit_ = logit_irls(X_, y_, sw, VectorXd::Zero(X_.rows()), ctl_, 1);
    kept_ = std::vector<char>(static_cast<std::size_t>(X_.cols()), 1);
    for (int j : fit_.aliased) kept_[static_cast<std::size_t>(j)] = 0;
    for (Index j = 0; j < X_.cols(); ++j)
      theta[offset[b] + j] = kept_[static_cast<std::size_t>(j)] ? fit_.coef[j] : 0.0;
  }

  void jacobian(const StackView& v, Index b, Eigen::Ref<MatrixXd> J) const override {
    const Index p = X_.cols(), o = v.offset[b];
    const VectorXd beta = v.theta.segment(o, p);
    VectorXd wt(X_.rows());
    for (Index i = 0; i < X_.rows(); ++i) {
      const double mu = detail::logit_linkinv(X_.row(i).dot(beta));
      wt[i] = v.s[i] * w_[i] * mu * (1.0 - mu);
    }
    MatrixXd H;
    VectorXd unused;
    weighted_crossprod(X_, wt, nullptr, H, unused, 1);
    const double n = v.s.sum();
    for (Index j = 0; j < p; ++j) {
      if (!kept_[static_cast<std::size_t>(j)]) {
        H.row(j).setZero();
        H.col(j).setZero();
        H(j, j) = n;  // psi_j = -theta_j: held at 0, A_jj = 1
      }
    }
    J.block(0, o, p, p) -= H;
  }

  void add_psi_times(const StackView& v, Index b, const MatrixXd& C,
                     MatrixXd& out) const override {
    const Index p = X_.cols();
    const VectorXd beta = v.theta.segment(v.offset[b], p);
    MatrixXd Ck = C;
    for (Index j = 0; j < p; ++j)
      if (!kept_[static_cast<std::size_t>(j)]) Ck.row(j).setZero();
    VectorXd r = linear_predictor(X_, beta);
    for (Index i = 0; i < r.size(); ++i) r[i] = w_[i] * (y_[i] - detail::logit_linkinv(r[i]));
    out.noalias() += r.asDiagonal() * (X_ * Ck);
  }

 private:
  Eigen::Ref<const MatrixXd> X_;
  Eigen::Ref<const VectorXd> y_;
  VectorXd w_;
  GlmControl ctl_;
  GlmFit fit_;
  std::vector<char> kept_;
};

// Mean over the standard population (weights h) of a logistic model's
// predictions with columns `set` of its design fixed at constants.
class StandardisedMeanBlock : public StackBlock {
 public:
  StandardisedMeanBlock(const LogisticBlock& model, Index model_block, VectorXd h,
                        std::vector<std::pair<int, double>> set)
      : m_(model), mb_(model_block), h_(std::move(h)), set_(std::move(set)) {
    if (h_.size() != m_.design().rows())
      throw std::invalid_argument("a standardised mean's weights differ in length from its model's design");
  }
  Index dim() const override { return 1; }

  void solve(VectorXd& theta, const std::vector<Index>& offset, Index b,
             const VectorXd& s) override {
    const VectorXd f = predictions(theta.segment(offset[mb_], m_.design().cols()));
    double num = 0.0, den = 0.0;
    for (Index i = 0; i < f.size(); ++i) {
      num += s[i] * h_[i] * f[i];
      den += s[i] * h_[i];
    }
    if (!(den > 0.0)) throw std::runtime_error("a standard population has no units");
    theta[offset[b]] = num / den;
  }

  void jacobian(const StackView& v, Index b, Eigen::Ref<MatrixXd> J) const override {
    const Index p = m_.design().cols(), om = v.offset[mb_];
    const VectorXd eta = counterfactual(v.theta.segment(om, p));
    VectorXd g = VectorXd::Zero(p);
    double den = 0.0;
    for (Index i = 0; i < eta.size(); ++i) {
      const double f = detail::logit_linkinv(eta[i]);
      const double sh = v.s[i] * h_[i];
      den += sh;
      if (sh == 0.0) continue;
      const double d = sh * f * (1.0 - f);
      for (Index j = 0; j < p; ++j) g[j] += d * design_value(i, j);
    }
    J.block(0, om, 1, p) += g.transpose();
    J(0, v.offset[b]) -= den;
  }

  void add_psi_times(const StackView& v, Index b, const MatrixXd& C,
                     MatrixXd& out) const override {
    const VectorXd f = predictions(v.theta.segment(v.offset[mb_], m_.design().cols()));
    const double nu = v.theta[v.offset[b]];
    for (Index i = 0; i < f.size(); ++i) out.row(i) += (h_[i] * (f[i] - nu)) * C.row(0);
  }

 private:
  double design_value(Index i, Index j) const {
    for (const auto& c : set_)
      if (c.first == j) return c.second;
    return m_.design()(i, j);
  }
  VectorXd counterfactual(const VectorXd& beta) const {
    VectorXd eta = linear_predictor(m_.design(), beta);
    const auto& X = m_.design();
    for (const auto& c : set_)
      for (Index i = 0; i < eta.size(); ++i) eta[i] += (c.second - X(i, c.first)) * beta[c.first];
    return eta;
  }
  VectorXd predictions(const VectorXd& beta) const {
    VectorXd f = counterfactual(beta);
    for (Index i = 0; i < f.size(); ++i) f[i] = detail::logit_linkinv(f[i]);
    return f;
  }

  const LogisticBlock& m_;
  Index mb_;
  VectorXd h_;
  std::vector<std::pair<int, double>> set_;
};

// The stack: blocks in the order they are solved.
class Stack {
 public:
  // Adds a block and returns its index.
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
  const VectorXd& theta() const { return theta_; }

  void solve(const VectorXd& s) {
    s_ = s;
    theta_ = VectorXd::Zero(total_);
    for (Index b = 0; b < size(); ++b)
      blocks_[static_cast<std::size_t>(b)]->solve(theta_, offset_, b, s_);
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
    const MatrixXd A = bread();
    Eigen::FullPivLU<MatrixXd> lu(A);
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

 private:
  std::vector<std::unique_ptr<StackBlock>> blocks_;
  std::vector<Index> offset_;
  Index total_ = 0;
  VectorXd theta_, s_;
};

}  // namespace matequity
