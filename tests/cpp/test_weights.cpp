// Tests for weights.hpp. Expected values from WeightIt:
//   e <- c(0.2, 0.5, 0.8, 0.3); t <- c(1, 0, 1, 0)
//   WeightIt::get_w_from_ps(e, t, estimand = "ATE")  # 5 2 1.25 1.4285714285714286
//   ... "ATT"  # 1 1 1 0.4285714285714286
//   ... "ATC"  # 4 1 0.25 1
//   ... "ATO"  # 0.8 0.5 0.2 0.3
//   quantile(c(1, 5, 2, 8, 3), 0.9)  # 6.8
//   sapply(c(0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99),
//          function(p) quantile(c(1, 5, 2, 8, 3), p, type = 3))  # 1 1 2 2 5 5 8
//   WeightIt::trim(c(1, 5, 2, 8, 3, 4), at = 0.9)  # 1 5 2 5 3 4
//   WeightIt::trim(c(1, 5, 2, 8, 3, 4), at = 0.1)  # the same (at < 1/2 is 1 - at)
#include <catch2/catch.hpp>
#include <Eigen/Dense>
#include <matequity/weights.hpp>
#include <vector>

using namespace matequity;

TEST_CASE("weights follow WeightIt's conventions") {
  Eigen::VectorXd e(4);
  e << 0.2, 0.5, 0.8, 0.3;
  std::vector<int> a{1, 0, 1, 0};
  const double ate[] = {5, 2, 1.25, 1.4285714285714286};
  const double att[] = {1, 1, 1, 0.4285714285714286};
  const double atc[] = {4, 1, 0.25, 1};
  const double ato[] = {0.8, 0.5, 0.2, 0.3};
  const Eigen::VectorXd w1 = ps_weights(e, a, Estimand::ATE);
  const Eigen::VectorXd w2 = ps_weights(e, a, Estimand::ATT);
  const Eigen::VectorXd w3 = ps_weights(e, a, Estimand::ATC);
  const Eigen::VectorXd w4 = ps_weights(e, a, Estimand::ATO);
  for (int i = 0; i < 4; ++i) {
    CHECK(w1[i] == Approx(ate[i]).epsilon(1e-14));
    CHECK(w2[i] == Approx(att[i]).epsilon(1e-14));
    CHECK(w3[i] == Approx(atc[i]).epsilon(1e-14));
    CHECK(w4[i] == Approx(ato[i]).epsilon(1e-14));
  }
}

TEST_CASE("weight derivatives match central differences in eta") {
  for (int est = 0; est < 4; ++est) {
    for (int arm = 0; arm <= 1; ++arm) {
      const double eta = 0.4, h = 1e-6;
      auto e_of = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
      double w, dw, wp, wm, d1, d2;
      ps_weight(e_of(eta), arm, estimand_from_int(est), w, dw);
      ps_weight(e_of(eta + h), arm, estimand_from_int(est), wp, d1);
      ps_weight(e_of(eta - h), arm, estimand_from_int(est), wm, d2);
      CHECK(dw == Approx((wp - wm) / (2 * h)).epsilon(1e-7).margin(1e-10));
      double hh, dh, hp, hm;
      tilt(e_of(eta), estimand_from_int(est), hh, dh);
      tilt(e_of(eta + h), estimand_from_int(est), hp, d1);
      tilt(e_of(eta - h), estimand_from_int(est), hm, d2);
      CHECK(dh == Approx((hp - hm) / (2 * h)).epsilon(1e-7).margin(1e-10));
    }
  }
}

TEST_CASE("truncation and ESS") {
  auto quantile3 = [](std::vector<double> x, double q) { return quantile3_inplace(x, q); };
  const double ps[] = {0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99};
  const double q3[] = {1, 1, 2, 2, 5, 5, 8};
  for (int k = 0; k < 7; ++k) CHECK(quantile3({1, 5, 2, 8, 3}, ps[k]) == q3[k]);
  Eigen::VectorXd w(6);
  w << 1, 5, 2, 8, 3, 4;
  std::vector<int> a{1, 1, 1, 1, 1, 0};
  const Eigen::VectorXd one = Eigen::VectorXd::Ones(6);
  std::vector<char> fixed(6, 0);
  std::vector<double> buf;
  long long cnt[2];
  bool arms[2];
  truncated_arms(Estimand::ATE, arms);
  Eigen::VectorXd w01 = w;
  std::vector<char> fixed01(6, 0);
  // one cap pooled over both arms, as trim() on the whole vector
  CHECK(truncate_weights(w, a, one, 6, 0.9, arms, fixed, cnt, buf) == 5.0);
  CHECK(truncate_weights(w01, a, one, 6, 0.1, arms, fixed01, cnt, buf) == 5.0);
  CHECK(cnt[1] == 1);
  CHECK(cnt[0] == 0);
  CHECK(w[3] == 5.0);
  CHECK(w[1] == 5.0);
  CHECK(fixed[3] == 1);
  CHECK(fixed[1] == 0);
  // the ATT leaves the (focal) treated alone: only the control's weight
  // enters the quantile
  truncated_arms(Estimand::ATT, arms);
  CHECK(!arms[1]);
  CHECK(arms[0]);
  Eigen::VectorXd wt(6);
  wt << 1, 5, 2, 8, 3, 4;
  std::vector<char> fixed_t(6, 0);
  CHECK(truncate_weights(wt, a, one, 6, 0.9, arms, fixed_t, cnt, buf) == 4.0);
  CHECK(wt[3] == 8.0);
  // counts as case weights: a unit drawn twice counts twice
  Eigen::VectorXd ws(6);
  ws << 1, 5, 2, 8, 3, 4;
  Eigen::VectorXd s(6);
  s << 1, 1, 1, 3, 1, 0;  // pooled sample {1, 5, 2, 8, 8, 8, 3}: type-3 90% is 8
  std::vector<char> fixed_s(6, 0);
  truncated_arms(Estimand::ATE, arms);
  CHECK(truncate_weights(ws, a, s, 6, 0.9, arms, fixed_s, cnt, buf) == 8.0);
  w << 1, 5, 2, 6.8, 3, 4;
  // ESS of (1, 5, 2, 6.8, 3): 17.8^2 / (1 + 25 + 4 + 46.24 + 9)
  CHECK(ess(w, a, 1) == Approx(17.8 * 17.8 / 85.24).epsilon(1e-12));
}
