// Tests for estimators.hpp on a small simulated data set (deterministic
// formulas, no RNG). Expected values are computed in the test from their
// definitions: Hajek IPW written out, and the bread compared with central
// differences of the mean estimating function.
#include <catch2/catch.hpp>
#include <Eigen/Dense>
#include <cmath>
#include <matequity/estimators.hpp>

using namespace matequity;

namespace {
struct Data {
  Eigen::MatrixXd X;
  Eigen::VectorXd a, y;
};
Data make_data(int n) {
  Data d;
  d.X.resize(n, 3);
  d.a.resize(n);
  d.y.resize(n);
  for (int i = 0; i < n; ++i) {
    const double x1 = std::sin(1.7 * i), x2 = (i % 3 == 0) ? 1.0 : 0.0;
    d.X(i, 0) = 1.0;
    d.X(i, 1) = x1;
    d.X(i, 2) = x2;
    const double u = 0.5 + 0.5 * std::sin(12.9898 * i + 78.233);  // pseudo-uniform
    const double v = 0.5 + 0.5 * std::cos(4.1414 * i + 2.7182);
    d.a[i] = u < 1.0 / (1.0 + std::exp(-(0.5 * x1 - 0.3 * x2))) ? 1.0 : 0.0;
    d.y[i] = v < 1.0 / (1.0 + std::exp(-(-0.5 + 0.7 * d.a[i] + 0.6 * x1))) ? 1.0 : 0.0;
  }
  return d;
}
}  // namespace

TEST_CASE("Hajek IPW equals its definition") {
  const Data d = make_data(400);
  EffectSpec sp;
  sp.method = Method::IPW;
  sp.ctl.epsilon = 1e-12;
  const Eigen::VectorXd s = Eigen::VectorXd::Ones(400);
  const EffectFit f = fit_effect(d.X, d.X, d.a, d.y, s, sp, 1);
  double n1 = 0, d1 = 0, n0 = 0, d0 = 0;
  for (int i = 0; i < 400; ++i) {
    const double e = f.e[i];
    if (d.a[i] == 1) { n1 += d.y[i] / e; d1 += 1 / e; }
    else { n0 += d.y[i] / (1 - e); d0 += 1 / (1 - e); }
  }
  CHECK(f.mu[1] == Approx(n1 / d1).epsilon(1e-13));
  CHECK(f.mu[0] == Approx(n0 / d0).epsilon(1e-13));
}

TEST_CASE("the analytic bread matches central differences (AIPW, ATO)") {
  const Data d = make_data(300);
  EffectSpec sp;
  sp.method = Method::AIPW;
  sp.estimand = Estimand::ATO;
  sp.ctl.epsilon = 1e-12;
  const Eigen::VectorXd s = Eigen::VectorXd::Ones(300);
  const EffectFit f = fit_effect(d.X, d.X, d.a, d.y, s, sp, 1);
  const StackLayout L = make_layout(sp, true, 3, 3, f);
  const Eigen::VectorXd th = theta_hat(L, f);
  const StackEval ev = stack_eval(L, th, d.X, d.X, d.a, d.y, s, sp, f, false);
  CHECK(ev.psibar.cwiseAbs().maxCoeff() < 1e-9);
  for (Eigen::Index j = 0; j < L.k; ++j) {
    const double h = 1e-6 * std::max(1.0, std::abs(th[j]));
    Eigen::VectorXd tp = th, tm = th;
    tp[j] += h;
    tm[j] -= h;
    const Eigen::VectorXd num =
        -(stack_eval(L, tp, d.X, d.X, d.a, d.y, s, sp, f, false).psibar -
          stack_eval(L, tm, d.X, d.X, d.a, d.y, s, sp, f, false).psibar) / (2 * h);
    CHECK((num - ev.A.col(j)).cwiseAbs().maxCoeff() < 1e-7 * ev.A.cwiseAbs().maxCoeff());
  }
  // Influence functions: 1 thread and 2 threads give the same bits.
  const Eigen::MatrixXd IF1 = effect_if(f, d.X, d.X, d.a, d.y, sp, true, 1);
  const Eigen::MatrixXd IF2 = effect_if(f, d.X, d.X, d.a, d.y, sp, true, 2);
  CHECK((IF1.array() == IF2.array()).all());
}

TEST_CASE("bootstrap replicates do not depend on the thread count") {
  const Data d = make_data(300);
  EffectSpec sp;
  sp.method = Method::TMLE;
  const Eigen::MatrixXd B1 = bootstrap_effect(d.X, d.X, d.a, d.y, sp, 99, 0, 16, {}, 0, 1);
  const Eigen::MatrixXd B2 = bootstrap_effect(d.X, d.X, d.a, d.y, sp, 99, 0, 16, {}, 0, 2);
  CHECK((B1.array() == B2.array()).all());
  CHECK(B1.allFinite());
}
