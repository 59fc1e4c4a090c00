// The stacked M-estimation core: the bread is minus the derivative of the
// mean estimating function (checked by central differences), the solution
// zeroes it, and a case with a closed form.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include <matequity/stack.hpp>

using namespace matequity;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

namespace {

struct Data {
  MatrixXd X;
  VectorXd y;
};

Data make_data(int n, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> z(0.0, 1.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Data d;
  d.X.resize(n, 4);
  d.y.resize(n);
  for (int i = 0; i < n; ++i) {
    const double g = u(gen) < 0.4 ? 1.0 : 0.0;
    const double x1 = z(gen), x2 = u(gen) < 0.3 ? 1.0 : 0.0;
    d.X.row(i) << 1.0, g, x1, x2;
    const double eta = -0.7 + 0.8 * g + 0.5 * x1 - 0.4 * x2;
    d.y[i] = u(gen) < 1.0 / (1.0 + std::exp(-eta)) ? 1.0 : 0.0;
  }
  return d;
}

}  // namespace

TEST_CASE("stack: the bread is minus the derivative of the mean estimating function") {
  const Data d = make_data(400, 11);
  const Index n = d.X.rows();
  GlmControl ctl;
  ctl.epsilon = 1e-12;
  Stack st;
  const auto& m = st.add<LogisticBlock>(d.X, d.y, VectorXd::Ones(n), ctl);
  VectorXd h(n);
  for (Index i = 0; i < n; ++i) h[i] = d.X(i, 3);  // standard: the x2 = 1 units
  st.add<StandardisedMeanBlock>(m, 0, VectorXd::Ones(n), std::vector<std::pair<int, double>>{{1, 1.0}});
  st.add<StandardisedMeanBlock>(m, 0, h, std::vector<std::pair<int, double>>{{1, 0.0}});
  std::mt19937 gen(3);
  std::uniform_real_distribution<double> u(0.5, 2.0);
  VectorXd s(n);
  for (Index i = 0; i < n; ++i) s[i] = u(gen);  // case weights
  st.solve(s);
  const VectorXd th = st.theta();
  REQUIRE(st.mean_psi(th).cwiseAbs().maxCoeff() < 1e-9);
  const MatrixXd A = st.bread();
  const double step = 1e-6;
  for (Index j = 0; j < st.dim(); ++j) {
    VectorXd tp = th, tm = th;
    tp[j] += step;
    tm[j] -= step;
    const VectorXd dj = (st.mean_psi(tp) - st.mean_psi(tm)) / (2 * step);
    for (Index r = 0; r < st.dim(); ++r) CHECK_THAT(A(r, j), WithinAbs(-dj[r], 1e-7));
  }
}

TEST_CASE("stack: an intercept-only model's standardised mean has influence y - mean(y)") {
  const Data d = make_data(300, 5);
  const Index n = d.X.rows();
  const MatrixXd one = MatrixXd::Ones(n, 1);
  GlmControl ctl;
  ctl.epsilon = 1e-14;
  Stack st;
  const auto& m = st.add<LogisticBlock>(one, d.y, VectorXd::Ones(n), ctl);
  st.add<StandardisedMeanBlock>(m, 0, VectorXd::Ones(n), std::vector<std::pair<int, double>>{});
  st.solve(VectorXd::Ones(n));
  const double ybar = d.y.mean();
  CHECK_THAT(st.theta()[1], WithinRel(ybar, 1e-12));
  const MatrixXd IF = st.influence({1});
  for (Index i = 0; i < n; ++i) CHECK_THAT(IF(i, 0), WithinAbs(d.y[i] - ybar, 1e-10));
}

TEST_CASE("stack: an aliased column is held at zero and leaves the means' influence unchanged") {
  const Data d = make_data(300, 7);
  const Index n = d.X.rows();
  MatrixXd Xa(n, 5);
  Xa << d.X, d.X.col(3);  // a repeated column
  GlmControl ctl;
  ctl.epsilon = 1e-12;
  auto means = [&](const MatrixXd& X, VectorXd& theta) {
    Stack st;
    const auto& m = st.add<LogisticBlock>(X, d.y, VectorXd::Ones(n), ctl);
    st.add<StandardisedMeanBlock>(m, 0, VectorXd::Ones(n), std::vector<std::pair<int, double>>{{1, 1.0}});
    st.solve(VectorXd::Ones(n));
    theta = st.theta();
    return MatrixXd(st.influence({st.offset(1)}));
  };
  VectorXd t0, t1;
  const MatrixXd IF0 = means(d.X, t0), IF1 = means(Xa, t1);
  REQUIRE(t1[4] == 0.0);
  CHECK_THAT(t1[5], WithinRel(t0[4], 1e-10));
  for (Index i = 0; i < n; ++i) CHECK_THAT(IF1(i, 0), WithinAbs(IF0(i, 0), 1e-9));
}
