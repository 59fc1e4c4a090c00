// Tests for estimators.hpp on a small simulated data set (deterministic
// formulas, no RNG). Expected values are computed in the test from their
// definitions: Hajek IPW written out, and the bread compared with central
// differences of the mean estimating function.
#include <catch2/catch.hpp>
#include <Eigen/Dense>
#include <cmath>
#include <string>
#include <vector>
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

TEST_CASE("the effect stack: bread vs central differences, its means equal the fit's") {
  const Data d = make_data(300);
  for (Method m : {Method::IPW, Method::GCOMP, Method::AIPW})
    for (Estimand est : {Estimand::ATE, Estimand::ATT, Estimand::ATO})
      for (bool binary : {true, false}) {
        EffectSpec sp;
        sp.method = m;
        sp.estimand = est;
        sp.binary = binary;
        sp.truncate = m == Method::AIPW && est == Estimand::ATE ? 0.9 : -1.0;
        sp.ctl.epsilon = 1e-12;
        Eigen::VectorXd y = d.y;
        if (!binary)
          for (Eigen::Index i = 0; i < y.size(); ++i) y[i] += d.X(i, 1) + 0.3 * d.a[i];
        const Eigen::VectorXd s = Eigen::VectorXd::Ones(300);
        const EffectFit f = fit_effect(d.X, d.X, d.a, y, s, sp, 1);
        EffectStack es;
        build_effect_stack(es, f, d.X, d.X, d.a, y, sp, true, 1, s);
        const Eigen::VectorXd th = es.st.theta();
        CHECK(th[es.mu[1]] == Approx(f.mu[1]).epsilon(1e-12));
        CHECK(th[es.mu[0]] == Approx(f.mu[0]).epsilon(1e-12));
        CHECK(es.st.mean_psi(th).cwiseAbs().maxCoeff() < 1e-9);
        const Eigen::MatrixXd A = es.st.bread();
        for (Eigen::Index j = 0; j < th.size(); ++j) {
          const double h = 1e-6 * std::max(1.0, std::abs(th[j]));
          Eigen::VectorXd tp = th, tm = th;
          tp[j] += h;
          tm[j] -= h;
          const Eigen::VectorXd num = -(es.st.mean_psi(tp) - es.st.mean_psi(tm)) / (2 * h);
          CHECK((num - A.col(j)).cwiseAbs().maxCoeff() < 1e-7 * A.cwiseAbs().maxCoeff());
        }
      }
}

TEST_CASE("IPW influence functions in closed form (scores known) and thread independence") {
  // With the scores known, mu_1 = sum A w Y / sum A w and
  // IF_i = A_i w_i (Y_i - mu_1) / mean(A w).
  const Data d = make_data(300);
  EffectSpec sp;
  sp.method = Method::IPW;
  const Eigen::VectorXd s = Eigen::VectorXd::Ones(300);
  const EffectFit f = fit_effect(d.X, d.X, d.a, d.y, s, sp, 1);
  const Eigen::MatrixXd IF = effect_if(f, d.X, d.X, d.a, d.y, sp, false, 1);
  double sw = 0.0;
  for (int i = 0; i < 300; ++i) sw += d.a[i] * f.w[i];
  for (int i = 0; i < 300; ++i) {
    const double expect = d.a[i] * f.w[i] * (d.y[i] - f.mu[1]) / (sw / 300);
    CHECK(IF(i, 0) == Approx(expect).margin(1e-12));
  }
  sp.method = Method::AIPW;
  sp.estimand = Estimand::ATO;
  const EffectFit g = fit_effect(d.X, d.X, d.a, d.y, s, sp, 1);
  const Eigen::MatrixXd IF1 = effect_if(g, d.X, d.X, d.a, d.y, sp, true, 1);
  const Eigen::MatrixXd IF2 = effect_if(g, d.X, d.X, d.a, d.y, sp, true, 2);
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

TEST_CASE("a replicate that cannot be fitted gives NaN and keeps its reason") {
  // one treated unit in 12: about a third of the replicates draw no treated row
  Data d = make_data(12);
  d.a.setZero();
  d.a[3] = 1.0;
  EffectSpec sp;
  sp.method = Method::IPW;
  std::vector<std::string> why;
  const Eigen::MatrixXd B = bootstrap_effect(d.X.leftCols(1), d.X.leftCols(1), d.a, d.y, sp, 3, 0,
                                             40, {}, 0, 2, BootStarts(), &why);
  REQUIRE(why.size() == 40);
  int failed = 0;
  for (int r = 0; r < 40; ++r) {
    const bool nan = std::isnan(B(r, 0)) && std::isnan(B(r, 1));
    CHECK(nan == !why[static_cast<std::size_t>(r)].empty());
    if (nan) {
      ++failed;
      CHECK(why[static_cast<std::size_t>(r)] == "an arm has no rows in the replicate");
    }
  }
  CHECK(failed > 0);
  CHECK(failed < 40);
}

TEST_CASE("a replicate equals the full data refitted with its counts as case weights") {
  // bootstrap_effect fits each replicate on its drawn rows (treated first),
  // warm-started; fit_effect with the counts as case weights, cold-started
  // on all rows, is the definition. Every method, binary and continuous
  // outcomes, a truncation, and the cluster bootstrap.
  const Data d = make_data(400);
  Eigen::VectorXd ycont(400);
  for (int i = 0; i < 400; ++i) ycont[i] = 2.0 + d.y[i] + 0.3 * d.X(i, 1) + 0.1 * std::cos(3.1 * i);
  std::vector<int> cl(400);
  for (int i = 0; i < 400; ++i) cl[i] = i % 23;
  struct Case { Method m; Estimand e; bool binary; double trunc; bool clustered; };
  const Case cases[] = {
      {Method::IPW, Estimand::ATE, true, -1, false},   {Method::GCOMP, Estimand::ATE, true, -1, false},
      {Method::GCOMP, Estimand::ATO, true, -1, false}, {Method::AIPW, Estimand::ATT, true, -1, false},
      {Method::AIPW, Estimand::ATE, false, 0.9, false}, {Method::TMLE, Estimand::ATE, true, -1, false},
      {Method::TMLE, Estimand::ATE, false, -1, false}, {Method::AIPW, Estimand::ATE, true, -1, true},
      {Method::IPW, Estimand::ATO, true, 0.95, true}};
  for (const Case& c : cases) {
    EffectSpec sp;
    sp.method = c.m;
    sp.estimand = c.e;
    sp.binary = c.binary;
    sp.truncate = c.trunc;
    sp.ctl.epsilon = 1e-12;
    sp.ctl.maxit = 100;
    const Eigen::VectorXd& y = c.binary ? d.y : ycont;
    const std::vector<int> clus = c.clustered ? cl : std::vector<int>();
    const int G = c.clustered ? 23 : 0;
    const EffectFit full = fit_effect(d.X, d.X, d.a, y, Eigen::VectorXd::Ones(400), sp, 1);
    BootStarts st;
    st.ps = full.ps.coef;
    if (c.binary && uses_outcome(sp)) { st.out1 = full.gamma1; st.out0 = full.gamma0; }
    const Eigen::MatrixXd B1 = bootstrap_effect(d.X, d.X, d.a, y, sp, 5, 0, 6, clus, G, 1, st);
    const Eigen::MatrixXd B2 = bootstrap_effect(d.X, d.X, d.a, y, sp, 5, 0, 6, clus, G, 2, st);
    const Eigen::MatrixXd Bc = bootstrap_effect(d.X, d.X, d.a, y, sp, 5, 0, 6, clus, G, 2);
    CHECK((B1.array() == B2.array()).all());
    REQUIRE(B1.allFinite());
    for (int r = 0; r < 6; ++r) {
      const std::vector<double> cnt = bootstrap_counts(5, static_cast<std::uint64_t>(r), 400, clus, G);
      const Eigen::VectorXd s = Eigen::Map<const Eigen::VectorXd>(cnt.data(), 400);
      const EffectFit f = fit_effect(d.X, d.X, d.a, y, s, sp, 1);
      for (int k = 0; k <= 1; ++k) {
        CHECK(B1(r, k) == Approx(f.mu[1 - k]).epsilon(1e-9));
        CHECK(Bc(r, k) == Approx(f.mu[1 - k]).epsilon(1e-9));
      }
    }
  }
}

TEST_CASE("fit_effect_into with reused buffers equals fit_effect") {
  const Data d = make_data(300);
  EffectSpec sp;
  sp.method = Method::TMLE;
  sp.ctl.epsilon = 1e-12;
  EffectFit f;
  EffectWorkspace ws;
  for (Eigen::Index m : {300, 150, 300}) {
    const Eigen::VectorXd s = Eigen::VectorXd::Ones(m);
    fit_effect_into(f, d.X.topRows(m), d.X.topRows(m), d.a.head(m), d.y.head(m), s, sp, 1,
                    FitOptions(), ws);
    const EffectFit g = fit_effect(Eigen::MatrixXd(d.X.topRows(m)), Eigen::MatrixXd(d.X.topRows(m)),
                                   d.a.head(m), d.y.head(m), s, sp, 1);
    CHECK(f.mu[0] == g.mu[0]);
    CHECK(f.mu[1] == g.mu[1]);
    CHECK((f.e.head(m).array() == g.e.array()).all());
  }
}
