// Tests for sandwich.hpp and bootstrap.hpp. Expected values from R:
//   IF <- cbind(c(1,-2,0.5,3,-1,0.2), c(0.3,0.1,-0.4,0.9,-0.2,0.5))
//   crossprod(IF) / 36
//     # 0.424722222222222223 0.080555555555555561 0.037777777777777778
//   cl <- c(1,1,2,2,3,3); U <- rowsum(IF, cl); crossprod(U) / 36 * 3 / 2
//     # 0.578750000000000098 0.046250000000000006 0.020833333333333332
#include <catch2/catch.hpp>
#include <Eigen/Dense>
#include <matequity/bootstrap.hpp>
#include <matequity/sandwich.hpp>
#include <numeric>
#include <vector>

using namespace matequity;

namespace {
Eigen::MatrixXd if_matrix() {
  Eigen::MatrixXd IF(6, 2);
  IF << 1, 0.3, -2, 0.1, 0.5, -0.4, 3, 0.9, -1, -0.2, 0.2, 0.5;
  return IF;
}
}  // namespace

TEST_CASE("variance from influence functions") {
  const VcovResult v = vcov_from_if(if_matrix(), {}, 0, 1);
  CHECK(v.V(0, 0) == Approx(0.424722222222222223).epsilon(1e-14));
  CHECK(v.V(0, 1) == Approx(0.080555555555555561).epsilon(1e-14));
  CHECK(v.V(1, 1) == Approx(0.037777777777777778).epsilon(1e-14));
}

TEST_CASE("cluster-robust variance with G/(G-1), thread independent") {
  const std::vector<int> cl{0, 0, 1, 1, 2, 2};
  const VcovResult v1 = vcov_from_if(if_matrix(), cl, 3, 1);
  const VcovResult v2 = vcov_from_if(if_matrix(), cl, 3, 2);
  CHECK(v1.V(0, 0) == Approx(0.578750000000000098).epsilon(1e-14));
  CHECK(v1.V(0, 1) == Approx(0.046250000000000006).epsilon(1e-14));
  CHECK(v1.V(1, 1) == Approx(0.020833333333333332).epsilon(1e-14));
  CHECK((v1.V.array() == v2.V.array()).all());
  CHECK(v1.n_clusters == 3);
  CHECK_THROWS(vcov_from_if(if_matrix(), std::vector<int>{0, 0, 0, 0, 0, 0}, 1, 1));
}

TEST_CASE("bootstrap counts: n draws, reproducible per (seed, replicate)") {
  const std::vector<double> c1 = bootstrap_counts(42, 3, 100, {}, 0);
  const std::vector<double> c2 = bootstrap_counts(42, 3, 100, {}, 0);
  const std::vector<double> c3 = bootstrap_counts(42, 4, 100, {}, 0);
  CHECK(std::accumulate(c1.begin(), c1.end(), 0.0) == 100.0);
  CHECK(c1 == c2);
  CHECK(c1 != c3);
  // Cluster resampling gives every row of a cluster the cluster's count.
  std::vector<int> cl(100);
  for (int i = 0; i < 100; ++i) cl[i] = i % 7;
  const std::vector<double> cc = bootstrap_counts(1, 0, 100, cl, 7);
  for (int i = 0; i < 100; ++i) CHECK(cc[i] == cc[i % 7]);
}

TEST_CASE("bounded draws are uniform") {
  Xoshiro256ss rng(2024, 0);
  std::vector<int> hist(5, 0);
  for (int i = 0; i < 50000; ++i) ++hist[rng.below(5)];
  for (int k = 0; k < 5; ++k) CHECK(std::abs(hist[k] - 10000) < 500);  // > 5 SD
}

TEST_CASE("bootstrap counts written into reused buffers are the same draws") {
  std::vector<int> cl(60);
  for (int i = 0; i < 60; ++i) cl[i] = (i * 7) % 11;
  std::vector<double> w(5, 9.0), cw;
  for (std::uint64_t b = 0; b < 3; ++b) {
    bootstrap_counts_into(w, cw, 8, b, 60, {}, 0);
    CHECK(w == bootstrap_counts(8, b, 60, {}, 0));
    bootstrap_counts_into(w, cw, 8, b, 60, cl, 11);
    CHECK(w == bootstrap_counts(8, b, 60, cl, 11));
  }
}
