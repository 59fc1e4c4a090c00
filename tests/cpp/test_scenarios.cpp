// Catch2 tests for scenarios.hpp on the worked example of
// tests/testthat/test-scenarios.R, given as 16 weighted patterns
// (group x stratum x care model x outcome).
#include <catch2/catch.hpp>

#include <matequity/scenarios.hpp>

using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {
// cells (group, old, coc, n, events); group 0 = Neither (reference), 1 = Core20
const double cells[8][5] = {{0, 0, 0, 200, 20}, {0, 1, 0, 150, 24}, {0, 0, 1, 50, 3},
                            {0, 1, 1, 100, 8},  {1, 0, 0, 300, 45}, {1, 1, 0, 100, 20},
                            {1, 0, 1, 150, 12}, {1, 1, 1, 50, 6}};

struct Example {
  MatrixXd Z, L;
  VectorXd a, y, s;
  std::vector<int> g;
};

Example example() {
  Example e;
  e.Z.resize(16, 2);
  e.a.resize(16);
  e.y.resize(16);
  e.s.resize(16);
  for (int c = 0; c < 8; ++c) {
    for (int ev = 0; ev <= 1; ++ev) {
      const int i = 2 * c + ev;
      e.Z(i, 0) = 1.0;
      e.Z(i, 1) = cells[c][1];
      e.a[i] = cells[c][2];
      e.y[i] = ev;
      e.s[i] = ev ? cells[c][4] : cells[c][3] - cells[c][4];
      e.g.push_back(static_cast<int>(cells[c][0]));
    }
  }
  e.L = e.Z;
  return e;
}
}  // namespace

TEST_CASE("saturated g-computation and weighting hit the hand-computed g-formula", "[scenarios]") {
  const Example e = example();
  const auto G = matequity::split_groups(e.Z, e.L, e.a, e.y, e.g, 2);
  for (int w = 0; w <= 1; ++w) {
    matequity::ScenarioSpec sp;
    sp.n_groups = 2;
    sp.ref = 0;
    sp.target = {0, 1};
    sp.target_uptake = 0.75;
    sp.weighting = w == 1;
    sp.ctl.epsilon = 1e-15;
    sp.ctl.maxit = 100;
    const matequity::ScenarioFit F = matequity::fit_scenarios(G, e.s, sp, true);
    // Core20 (group 1): mu = 83/600, p = 1/3, psi1 = .09, psi0 = .1625,
    // equalised .75 (.2 .08 + .8 .15) + .25 (.4 .12 + .6 .20) = .144,
    // target 83/600 + (.75 - 1/3) (-.0725)
    const double* th = F.theta.data() + matequity::kScenarioTerms;
    CHECK(th[0] == Approx(83.0 / 600.0).epsilon(1e-12));
    CHECK(th[1] == Approx(1.0 / 3.0).epsilon(1e-12));
    CHECK(th[2] == Approx(0.09).epsilon(1e-9));
    CHECK(th[3] == Approx(0.1625).epsilon(1e-9));
    CHECK(th[4] == Approx(0.144).epsilon(1e-9));
    CHECK(th[5] == Approx(83.0 / 600.0 + (0.75 - 1.0 / 3.0) * -0.0725).epsilon(1e-9));
    // reference: not targeted, its target risk is the observed .11
    CHECK(F.theta[5] == Approx(0.11).epsilon(1e-12));
    // the observed-risk variance is binomial: V = mu (1 - mu) / n_k
    const MatrixXd& V = F.V;
    const double mu = 83.0 / 600.0;
    CHECK(V(6, 6) == Approx(mu * (1 - mu) / 600.0).epsilon(1e-10));
    CHECK(V(0, 6) == Approx(0.0).margin(1e-15));
  }
}

TEST_CASE("bootstrap replicates do not depend on the thread count", "[scenarios]") {
  const Example e = example();
  const auto G = matequity::split_groups(e.Z, e.L, e.a, e.y, e.g, 2);
  matequity::ScenarioSpec sp;
  sp.n_groups = 2;
  sp.ref = 0;
  sp.target = {0, 1};
  // expand the patterns to 1,100 original rows
  std::vector<int> row_pattern;
  for (int i = 0; i < 16; ++i)
    for (int k = 0; k < static_cast<int>(e.s[i]); ++k) row_pattern.push_back(i);
  const MatrixXd B1 = matequity::bootstrap_scenarios(G, 16, row_pattern, sp, 7, 0, 20, 1);
  const MatrixXd B2 = matequity::bootstrap_scenarios(G, 16, row_pattern, sp, 7, 0, 20, 2);
  CHECK(B1 == B2);
  const MatrixXd B3 = matequity::bootstrap_scenarios(G, 16, row_pattern, sp, 7, 10, 20, 2);
  CHECK(B3 == B1.bottomRows(10));
}
