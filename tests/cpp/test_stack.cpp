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

// A standardised mean of model block b's predictions at design X with
// columns `set` fixed, over weights h.
void std_mean(Stack& st, const LogisticBlock& m, Index b, const MatrixXd& X, const VectorXd& h,
              std::vector<std::pair<int, double>> set) {
  st.add<MeanBlock>(h, std::vector<Prediction>{Prediction{&m, b, X, std::move(set)}},
                    [](Index, const double* p, double* g) {
                      g[0] = 1.0;
                      return p[0];
                    });
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
  std_mean(st, m, 0, d.X, VectorXd::Ones(n), {{1, 1.0}});
  std_mean(st, m, 0, d.X, h, {{1, 0.0}});
  // a model on a subset of the rows (the x2 = 0 units, design without x2),
  // a Hajek mean weighted by 1 / its predictions on the g = 1 rows, and a
  // derived contrast of two means
  std::vector<Index> sub, grp;
  for (Index i = 0; i < n; ++i) {
    if (d.X(i, 3) == 0.0) sub.push_back(i);
    if (d.X(i, 1) == 1.0) grp.push_back(i);
  }
  MatrixXd Xs(sub.size(), 3), Xg(grp.size(), 3);
  VectorXd gs(sub.size()), yg(grp.size());
  for (std::size_t j = 0; j < sub.size(); ++j) {
    Xs.row(j) = d.X.row(sub[j]).head(3);
    gs[j] = d.X(sub[j], 1);
  }
  for (std::size_t j = 0; j < grp.size(); ++j) {
    Xg.row(j) = d.X.row(grp[j]).head(3);
    yg[j] = d.y[grp[j]];
  }
  for (std::size_t j = 0; j < sub.size(); ++j) Xs(j, 1) = d.X(sub[j], 2) * d.X(sub[j], 2);  // x1^2 for g
  const auto& ms = st.add<LogisticBlock>(Xs, gs, VectorXd::Ones(sub.size()), ctl, sub);
  const Index bs = st.last();
  MatrixXd Xg2 = Xg;
  Xg2.col(1) = Xg.col(2).array().square().matrix();
  st.add<MeanBlock>(VectorXd::Ones(grp.size()), std::vector<Prediction>{Prediction{&ms, bs, Xg2, {}}},
                    [&yg](Index j, const double*, double*) { return yg[j]; },
                    [](Index, const double* p, double* g) {
                      g[0] = -1.0 / (p[0] * p[0]);
                      return 1.0 / p[0];
                    }, grp);
  const Index i1 = st.offset(1), i2 = st.offset(2);
  st.add<DerivedBlock>([i1, i2](const VectorXd& th, VectorXd& g) {
    g[i1] = 1.0 / th[i2];
    g[i2] = -th[i1] / (th[i2] * th[i2]);
    return th[i1] / th[i2];
  });
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
  std_mean(st, m, 0, one, VectorXd::Ones(n), {});
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
    std_mean(st, m, 0, X, VectorXd::Ones(n), {{1, 1.0}});
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

TEST_CASE("stack: a linear block's bread matches central differences (rows, case weights, a mean)") {
  const Data d = make_data(400, 13);
  const Index n = d.X.rows();
  VectorXd y(n);
  for (Index i = 0; i < n; ++i) y[i] = 0.5 * d.X(i, 2) - d.X(i, 1) + d.y[i];  // continuous
  std::vector<Index> sub;
  for (Index i = 0; i < n; ++i)
    if (d.X(i, 3) == 0.0) sub.push_back(i);
  MatrixXd Xs(sub.size(), 3);
  VectorXd ys(sub.size()), ws(sub.size());
  for (std::size_t j = 0; j < sub.size(); ++j) {
    Xs.row(j) = d.X.row(sub[j]).head(3);
    ys[j] = y[sub[j]];
    ws[j] = 1.0 + 0.1 * static_cast<double>(j % 5);  // row weights of the model
  }
  GlmControl ctl;
  Stack st;
  const auto& lm = st.add<LinearBlock>(Xs, ys, ws, ctl, sub);
  // the model's mean prediction with g set to 1, over every unit
  const MatrixXd X3 = d.X.leftCols(3);
  st.add<MeanBlock>(VectorXd::Ones(n), std::vector<Prediction>{Prediction{&lm, 0, X3, {{1, 1.0}}}},
                    [](Index, const double* p, double* g) {
                      g[0] = 1.0;
                      return p[0];
                    });
  std::mt19937 gen(4);
  std::uniform_real_distribution<double> u(0.5, 2.0);
  VectorXd s(n);
  for (Index i = 0; i < n; ++i) s[i] = u(gen);
  st.solve(s);
  const VectorXd th = st.theta();
  REQUIRE(st.mean_psi(th).cwiseAbs().maxCoeff() < 1e-10);
  const MatrixXd A = st.bread();
  for (Index j = 0; j < st.dim(); ++j) {
    VectorXd tp = th, tm = th;
    tp[j] += 1e-6;
    tm[j] -= 1e-6;
    const VectorXd dj = (st.mean_psi(tp) - st.mean_psi(tm)) / 2e-6;
    for (Index r = 0; r < st.dim(); ++r) CHECK_THAT(A(r, j), WithinAbs(-dj[r], 1e-7));
  }
}

TEST_CASE("stack: a linear block's sandwich is the HC0 covariance of least squares") {
  const Data d = make_data(250, 17);
  const Index n = d.X.rows();
  VectorXd y(n);
  for (Index i = 0; i < n; ++i) y[i] = d.X(i, 2) * d.X(i, 2) + d.y[i] - 0.3 * d.X(i, 1);
  Stack st;
  st.add<LinearBlock>(d.X, y, VectorXd::Ones(n), GlmControl());
  st.solve(VectorXd::Ones(n));
  // closed form: b = (X'X)^{-1} X'y, V = (X'X)^{-1} X' diag(e^2) X (X'X)^{-1}
  const MatrixXd XtX = d.X.transpose() * d.X;
  const VectorXd b = XtX.ldlt().solve(d.X.transpose() * y);
  const VectorXd e = y - d.X * b;
  const MatrixXd bread = XtX.inverse();
  const MatrixXd V = bread * d.X.transpose() * e.array().square().matrix().asDiagonal() * d.X * bread;
  for (Index j = 0; j < 4; ++j) CHECK_THAT(st.theta()[j], WithinRel(b[j], 1e-10));
  const MatrixXd Vs = st.vcov(st.influence({0, 1, 2, 3}));
  for (Index r = 0; r < 4; ++r)
    for (Index c = 0; c < 4; ++c) CHECK_THAT(Vs(r, c), WithinAbs(V(r, c), 1e-12 * V.cwiseAbs().maxCoeff()));
}
