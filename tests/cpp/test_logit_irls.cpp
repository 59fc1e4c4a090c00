// Tests for logit_irls.hpp. Expected values from R 4.2:
//   x <- c(-1.2,-0.5,0.3,0.8,1.5,-0.7,0.1,2.0,-1.8,0.6)
//   a <- c(0,0,1,0,1,0,1,1,0,1); w <- c(1,2,1,1,0.5,1,2,1,1,1)
//   off <- c(0,0.1,0,0,-0.2,0,0,0.3,0,0)
//   g <- glm(a ~ x, binomial(), weights = w, offset = off,
//            control = glm.control(epsilon = 1e-14, maxit = 100))
//   coef(g)   # -0.11259554549243075  2.59269358847543518
//   g$deviance  # 9.2898685293291479
//   g2 <- glm(a ~ x, binomial()); coef(g2); g2$iter
//             # -0.2777268852538991 2.3206774035868318; 5
//   y <- c(2.1,1.9,3.5,2.2,4.0,1.5,3.1,4.4,0.9,3.3)
//   coef(lm(y ~ x, weights = w))  # 2.60374347175048459 0.86099850261129973
#include <catch2/catch.hpp>
#include <Eigen/Dense>
#include <matequity/logit_irls.hpp>

using namespace matequity;

namespace {
Eigen::MatrixXd design() {
  Eigen::VectorXd x(10);
  x << -1.2, -0.5, 0.3, 0.8, 1.5, -0.7, 0.1, 2.0, -1.8, 0.6;
  Eigen::MatrixXd X(10, 2);
  X.col(0).setOnes();
  X.col(1) = x;
  return X;
}
Eigen::VectorXd vec(std::initializer_list<double> v) {
  Eigen::VectorXd out(static_cast<Eigen::Index>(v.size()));
  Eigen::Index i = 0;
  for (double d : v) out[i++] = d;
  return out;
}
// The response, case weights and offset of the glm fixtures (R: the vectors
// a, w, off in the header comment).
Eigen::VectorXd resp() { return vec({0, 0, 1, 0, 1, 0, 1, 1, 0, 1}); }
Eigen::VectorXd case_weights() { return vec({1, 2, 1, 1, 0.5, 1, 2, 1, 1, 1}); }
Eigen::VectorXd offsets() { return vec({0, 0.1, 0, 0, -0.2, 0, 0, 0.3, 0, 0}); }
}  // namespace

TEST_CASE("weighted logistic IRLS with an offset matches glm") {
  const Eigen::MatrixXd X = design();
  const Eigen::VectorXd a = resp();
  const Eigen::VectorXd w = case_weights();
  const Eigen::VectorXd off = offsets();
  GlmControl ctl;
  ctl.epsilon = 1e-14;
  ctl.maxit = 100;
  for (int nt : {1, 2}) {
    const GlmFit f = logit_irls(X, a, w, off, ctl, nt);
    CHECK(f.converged);
    CHECK(f.coef[0] == Approx(-0.11259554549243075).epsilon(1e-10));
    CHECK(f.coef[1] == Approx(2.59269358847543518).epsilon(1e-10));
    CHECK(f.deviance == Approx(9.2898685293291479).epsilon(1e-12));
    CHECK(f.aliased.empty());
  }
}

TEST_CASE("default convergence stops at glm's iteration") {
  const Eigen::MatrixXd X = design();
  const Eigen::VectorXd a = resp();
  const GlmFit f = logit_irls(X, a, Eigen::VectorXd::Ones(10), Eigen::VectorXd::Zero(10));
  CHECK(f.iter == 5);
  CHECK(f.coef[0] == Approx(-0.2777268852538991).epsilon(1e-9));
  CHECK(f.coef[1] == Approx(2.3206774035868318).epsilon(1e-9));
}

TEST_CASE("a duplicated column is aliased and gets NaN") {
  Eigen::MatrixXd X(10, 3);
  X.leftCols(2) = design();
  X.col(2) = 3.0 * X.col(1);
  const Eigen::VectorXd a = resp();
  const GlmFit f = logit_irls(X, a, Eigen::VectorXd::Ones(10), Eigen::VectorXd::Zero(10));
  REQUIRE(f.aliased.size() == 1);
  CHECK(f.aliased[0] == 2);
  CHECK(std::isnan(f.coef[2]));
  CHECK(f.coef[1] == Approx(2.3206774035868318).epsilon(1e-8));
}

TEST_CASE("complete separation is detected and the covariate named") {
  const Eigen::MatrixXd X = design();
  Eigen::VectorXd a(10);
  for (int i = 0; i < 10; ++i) a[i] = X(i, 1) > 0 ? 1.0 : 0.0;
  const GlmFit f = logit_irls(X, a, Eigen::VectorXd::Ones(10), Eigen::VectorXd::Zero(10));
  CHECK(f.fitted_01);
  REQUIRE(!f.diverging.empty());
  CHECK(f.diverging.back() == 1);
}

TEST_CASE("weighted least squares matches lm") {
  const Eigen::MatrixXd X = design();
  const Eigen::VectorXd y = vec({2.1, 1.9, 3.5, 2.2, 4.0, 1.5, 3.1, 4.4, 0.9, 3.3});
  const Eigen::VectorXd w = case_weights();
  const LmFit f = wls_fit(X, y, w);
  CHECK(f.coef[0] == Approx(2.60374347175048459).epsilon(1e-12));
  CHECK(f.coef[1] == Approx(0.86099850261129973).epsilon(1e-12));
}

TEST_CASE("block accumulation of X'WX is thread independent") {
  const Eigen::Index n = 20000;
  Eigen::MatrixXd X(n, 3);
  Eigen::VectorXd w(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    X(i, 0) = 1.0;
    X(i, 1) = std::sin(0.001 * static_cast<double>(i));
    X(i, 2) = std::cos(0.37 * static_cast<double>(i));
    w[i] = 1.0 + 0.5 * std::sin(static_cast<double>(i));
  }
  Eigen::MatrixXd M1, M2;
  Eigen::VectorXd v1, v2;
  const Eigen::VectorXd z = X.col(1);
  weighted_crossprod(X, w, &z, M1, v1, 1);
  weighted_crossprod(X, w, &z, M2, v2, 2);
  CHECK((M1.array() == M2.array()).all());
  CHECK((v1.array() == v2.array()).all());
  const Eigen::MatrixXd ref = X.transpose() * w.asDiagonal() * X;
  CHECK((M1 - ref).cwiseAbs().maxCoeff() < 1e-9 * ref.cwiseAbs().maxCoeff());
}

TEST_CASE("the shared exp gives the inverse link and mu.eta bit for bit") {
  for (double eta : {-40.0, -30.0, -29.999, -3.7, -0.2, 0.0, 1e-300, 0.5, 12.25, 30.0, 30.5, 800.0}) {
    double mu = 0.0, me = 0.0;
    detail::logit_mu_and_eta(eta, mu, me);
    CHECK(mu == detail::logit_linkinv(eta));
    CHECK(me == detail::logit_mu_eta(eta));
  }
}

TEST_CASE("a warm start reaches glm's optimum by glm's rule") {
  // Same weighted fit as the first test case (glm values above), started at
  // the unweighted fit's coefficients and at zero, with epsilon 1e-14
  // (glm(..., start = c(-0.2777, 2.3207)) gives the same coefficients).
  const Eigen::MatrixXd X = design();
  const Eigen::VectorXd a = resp();
  const Eigen::VectorXd w = case_weights();
  const Eigen::VectorXd off = offsets();
  GlmControl ctl;
  ctl.epsilon = 1e-14;
  ctl.maxit = 100;
  const GlmFit cold = logit_irls(X, a, w, off, ctl, 1);
  for (const Eigen::VectorXd& st : {vec({-0.2777268852538991, 2.3206774035868318}), vec({0.0, 0.0})}) {
    const GlmFit f = logit_irls(X, a, w, off, ctl, 1, &st);
    CHECK(f.converged);
    CHECK(f.coef[0] == Approx(-0.11259554549243075).epsilon(1e-10));
    CHECK(f.coef[1] == Approx(2.59269358847543518).epsilon(1e-10));
    CHECK(f.deviance == Approx(cold.deviance).epsilon(1e-13));
  }
  // Started near the optimum it needs fewer iterations than from glm's start.
  const GlmFit near = logit_irls(X, a, w, off, ctl, 1, &cold.coef);
  CHECK(near.iter < cold.iter);
  CHECK(near.coef[1] == Approx(2.59269358847543518).epsilon(1e-10));
  // A start with the wrong length is an error.
  const Eigen::VectorXd bad = vec({0.0});
  CHECK_THROWS(logit_irls(X, a, w, off, ctl, 1, &bad));
}

TEST_CASE("a start that fails falls back to glm's start") {
  const Eigen::MatrixXd X = design();
  const Eigen::VectorXd a = resp();
  const Eigen::VectorXd ones = Eigen::VectorXd::Ones(10), zero = Eigen::VectorXd::Zero(10);
  const GlmFit ref = logit_irls(X, a, ones, zero);
  // Infinite linear predictors: the start is rejected, and the fit is the
  // cold one, bit for bit (glm: 5 iterations, coefficients above).
  const Eigen::VectorXd huge = vec({1e308, 1e308});
  const GlmFit f1 = logit_irls(X, a, ones, zero, GlmControl(), 1, &huge);
  CHECK(f1.iter == 5);
  CHECK((f1.coef.array() == ref.coef.array()).all());
  // From (1.5, -2) Newton's method runs off to infinity; the fit falls
  // back to glm's start.
  const Eigen::VectorXd poor = vec({1.5, -2.0});
  const GlmFit f2 = logit_irls(X, a, ones, zero, GlmControl(), 1, &poor);
  CHECK(f2.iter == 5);
  CHECK((f2.coef.array() == ref.coef.array()).all());
  CHECK(f2.coef[1] == Approx(2.3206774035868318).epsilon(1e-9));
}

TEST_CASE("logit_irls_into with reused buffers equals a fresh fit") {
  // Fit 20 rows, then 10 rows, then 20 rows again through one GlmFit and
  // one workspace: each equals logit_irls on the same data.
  Eigen::MatrixXd X(20, 2);
  X.topRows(10) = design();
  X.bottomRows(10) = design();
  X.bottomRows(10).col(1) *= -0.5;
  Eigen::VectorXd a(20), w(20);
  a << 0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0, 0, 1;
  w << 1, 2, 1, 1, 0.5, 1, 2, 1, 1, 1, 0, 3, 1, 1, 2, 1, 0, 1, 1, 2;
  GlmFit into;
  IrlsWorkspace ws;
  const Eigen::VectorXd zero = Eigen::VectorXd::Zero(20);
  for (Eigen::Index m : {20, 10, 20}) {
    logit_irls_into(into, X.topRows(m), a.head(m), w.head(m), zero.head(m), GlmControl(), 1,
                    nullptr, ws);
    const GlmFit ref = logit_irls(Eigen::MatrixXd(X.topRows(m)), a.head(m), w.head(m), zero.head(m));
    CHECK((into.coef.array() == ref.coef.array()).all());
    CHECK(into.iter == ref.iter);
    CHECK((into.mu.head(m).array() == ref.mu.array()).all());
  }
}

TEST_CASE("the blocked X'WX equals the thread-independent one") {
  const Eigen::Index n = 1500;  // three blocks of 512, the last partial
  Eigen::MatrixXd X(n, 4);
  Eigen::VectorXd w(n), z(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double t = static_cast<double>(i);
    X(i, 0) = 1.0;
    X(i, 1) = std::sin(0.01 * t);
    X(i, 2) = std::cos(0.37 * t);
    X(i, 3) = (i % 3 == 0) ? 1.0 : 0.0;
    w[i] = (i % 5 == 0) ? 0.0 : 1.0 + 0.5 * std::sin(t);
    z[i] = std::cos(0.11 * t);
  }
  Eigen::MatrixXd M1, M2;
  Eigen::VectorXd v1, v2;
  IrlsWorkspace ws;
  weighted_crossprod(X, w, &z, M1, v1, 1);
  crossprod_blocked(X, w, z.data(), M2, v2, ws);
  CHECK((M1 - M2).cwiseAbs().maxCoeff() < 1e-12 * M1.cwiseAbs().maxCoeff());
  CHECK((v1 - v2).cwiseAbs().maxCoeff() < 1e-12 * v1.cwiseAbs().maxCoeff());
  CHECK((M2 - M2.transpose()).cwiseAbs().maxCoeff() == 0.0);
}
