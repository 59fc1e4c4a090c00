// Tests for multinomial.hpp. Expected values from R 4.2 (nnet 7.3):
//   x <- c(-1.2,-0.5,0.3,0.8,1.5,-0.7,0.1,2.0,-1.8,0.6,0.9,-0.3)
//   a <- c(0,1,2,1,2,0,1,2,0,2,1,0)
//   f <- nnet::multinom(factor(a) ~ x, reltol = 1e-16, abstol = 1e-300, maxit = 1000)
//   coef(f)      # 1: 1.7251420276933274 4.9486560022839674
//                # 2: 0.3953641825909982 6.8622146112295308
//   f$deviance   # 13.115705651892187
//   fitted(f)[1, ] # 0.98503513475646154 0.014576813287320257 0.00038805195621814426
#include <catch2/catch.hpp>
#include <Eigen/Dense>
#include <matequity/multinomial.hpp>

using namespace matequity;

namespace {
Eigen::MatrixXd design3() {
  Eigen::VectorXd x(12);
  x << -1.2, -0.5, 0.3, 0.8, 1.5, -0.7, 0.1, 2.0, -1.8, 0.6, 0.9, -0.3;
  Eigen::MatrixXd X(12, 2);
  X.col(0).setOnes();
  X.col(1) = x;
  return X;
}
const std::vector<int> levels3 = {0, 1, 2, 1, 2, 0, 1, 2, 0, 2, 1, 0};
}  // namespace

TEST_CASE("multinom_fit matches nnet::multinom", "[multinomial]") {
  const Eigen::MatrixXd X = design3();
  GlmControl ctl;
  ctl.epsilon = 1e-14;
  ctl.maxit = 100;
  const MultinomFit f = multinom_fit(X, levels3, 3, Eigen::VectorXd::Ones(12), ctl);
  REQUIRE(f.converged);
  CHECK(f.coef(0, 0) == Approx(1.7251420276933274).epsilon(1e-6));
  CHECK(f.coef(1, 0) == Approx(4.9486560022839674).epsilon(1e-6));
  CHECK(f.coef(0, 1) == Approx(0.3953641825909982).epsilon(1e-6));
  CHECK(f.coef(1, 1) == Approx(6.8622146112295308).epsilon(1e-6));
  CHECK(f.deviance == Approx(13.115705651892187).epsilon(1e-10));
  CHECK(f.prob(0, 0) == Approx(0.98503513475646154).epsilon(1e-6));
  CHECK(f.prob(0, 2) == Approx(0.00038805195621814426).epsilon(1e-5));
  for (Eigen::Index i = 0; i < 12; ++i) CHECK(f.prob.row(i).sum() == Approx(1.0).epsilon(1e-14));
}

TEST_CASE("multinom_fit drops aliased columns and checks its inputs", "[multinomial]") {
  Eigen::MatrixXd X(12, 3);
  X.leftCols(2) = design3();
  X.col(2) = 2.0 * X.col(1);
  GlmControl ctl;
  ctl.epsilon = 1e-14;
  const MultinomFit f = multinom_fit(X, levels3, 3, Eigen::VectorXd::Ones(12), ctl);
  REQUIRE(f.aliased.size() == 1);
  CHECK(f.aliased[0] == 2);
  CHECK(std::isnan(f.coef(2, 0)));
  CHECK(f.deviance == Approx(13.115705651892187).epsilon(1e-10));
  std::vector<int> bad = levels3;
  bad[0] = 3;
  CHECK_THROWS(multinom_fit(X, bad, 3, Eigen::VectorXd::Ones(12), ctl));
  CHECK_THROWS(multinom_fit(X, levels3, 1, Eigen::VectorXd::Ones(12), ctl));
}

TEST_CASE("two-level multinom_fit is the logistic regression", "[multinomial]") {
  const Eigen::MatrixXd X = design3();
  std::vector<int> a2(12);
  Eigen::VectorXd y(12);
  for (int i = 0; i < 12; ++i) {
    a2[static_cast<std::size_t>(i)] = levels3[static_cast<std::size_t>(i)] == 0 ? 0 : 1;
    y[i] = a2[static_cast<std::size_t>(i)];
  }
  GlmControl ctl;
  ctl.epsilon = 1e-14;
  ctl.maxit = 100;
  const MultinomFit f = multinom_fit(X, a2, 2, Eigen::VectorXd::Ones(12), ctl);
  const GlmFit g = logit_irls(X, y, Eigen::VectorXd::Ones(12), Eigen::VectorXd::Zero(12), ctl);
  CHECK(f.coef(0, 0) == Approx(g.coef[0]).epsilon(1e-9));
  CHECK(f.coef(1, 0) == Approx(g.coef[1]).epsilon(1e-9));
}

TEST_CASE("multi_effect IPW means are the Hajek means of the weights", "[multinomial]") {
  const Eigen::MatrixXd X = design3();
  Eigen::VectorXd y(12);
  y << 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1;
  MultiSpec sp;
  sp.aipw = false;
  sp.ctl.epsilon = 1e-14;
  const MultiEffectFit f = multi_effect(X, X, levels3, 3, y, sp);
  for (int k = 0; k < 3; ++k) {
    double sw = 0.0, swy = 0.0;
    for (int i = 0; i < 12; ++i) {
      if (levels3[static_cast<std::size_t>(i)] != k) continue;
      const double w = 1.0 / f.ps.prob(i, k);
      sw += w;
      swy += w * y[i];
    }
    CHECK(f.mu[k] == Approx(swy / sw).epsilon(1e-12));
  }
  // influence functions average to zero
  for (int k = 0; k < 3; ++k) CHECK(std::abs(f.IF.col(k).mean()) < 1e-8);
}

TEST_CASE("the multinomial stack block: nnet's fit, its bread against central differences",
          "[multinomial]") {
  // an aliased copy of x (column 2) is held at 0 in both coefficient blocks
  Eigen::MatrixXd X(12, 3);
  X.leftCols(2) = design3();
  X.col(2) = 2.0 * X.col(1);
  GlmControl ctl;
  ctl.epsilon = 1e-14;
  Stack st;
  auto& m = st.add<MultinomialBlock>(X, levels3, 3, ctl);
  // a Hajek mean of y over level 2 with w = 1 / e_2 from the block's etas
  Eigen::VectorXd y(12), h(12);
  y << 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1;
  for (int i = 0; i < 12; ++i) h[i] = levels3[static_cast<std::size_t>(i)] == 2 ? 1.0 : 0.0;
  std::vector<Prediction> preds;
  for (int j = 1; j < 3; ++j) preds.push_back(Prediction{&m.eta(), 0, X, {}, m.shift(j)});
  st.add<MeanBlock>(h, std::move(preds), [&y](Eigen::Index i, const double*, double*) { return y[i]; },
                    [](Eigen::Index, const double* p, double* g) {
                      double e[3];
                      detail::multinom_eta_probs(p, 3, e);
                      for (int j = 1; j < 3; ++j) g[j - 1] = -(1.0 / e[2]) * ((j == 2 ? 1.0 : 0.0) - e[j]);
                      return 1.0 / e[2];
                    });
  st.solve(Eigen::VectorXd::Ones(12));
  const Eigen::VectorXd th = st.theta();
  // nnet::multinom(factor(a) ~ x) (header); the copy of x is aliased
  CHECK(th[0] == Approx(1.7251420276933274).epsilon(1e-6));
  CHECK(th[1] == Approx(4.9486560022839674).epsilon(1e-6));
  CHECK(th[2] == 0.0);
  CHECK(th[3] == Approx(0.3953641825909982).epsilon(1e-6));
  CHECK(th[4] == Approx(6.8622146112295308).epsilon(1e-6));
  CHECK(th[5] == 0.0);
  CHECK(st.mean_psi(th).cwiseAbs().maxCoeff() < 1e-8);
  const Eigen::MatrixXd A = st.bread();
  for (Eigen::Index j = 0; j < th.size(); ++j) {
    if (j == 2 || j == 5) continue;  // held at 0: A_jj = 1 by construction
    const double d = 1e-6 * std::max(1.0, std::abs(th[j]));
    Eigen::VectorXd tp = th, tm = th;
    tp[j] += d;
    tm[j] -= d;
    const Eigen::VectorXd num = -(st.mean_psi(tp) - st.mean_psi(tm)) / (2 * d);
    for (Eigen::Index r = 0; r < th.size(); ++r) {
      if (r == 2 || r == 5) continue;
      CHECK(num[r] == Approx(A(r, j)).margin(1e-6 * A.cwiseAbs().maxCoeff()));
    }
  }
  CHECK(A(2, 2) == 1.0);
  CHECK(A(5, 5) == 1.0);
}
