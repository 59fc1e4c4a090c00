// Tests for groups.hpp. Expected values come from base R, e.g.
//   match(c(7, 3, 7, NA, 9, 3), unique(c(7, 3, 7, NA, 9, 3)))
#include <catch2/catch.hpp>
#include <Eigen/Dense>
#include <matequity/groups.hpp>
#include <vector>

using namespace matequity;

TEST_CASE("dense codes follow first appearance and skip missing keys") {
  const long long NA = -999;
  std::vector<long long> key{7, 3, 7, NA, 9, 3};
  DenseCodes dc = dense_codes(key, NA);
  REQUIRE(dc.n_groups() == 3);
  CHECK(dc.codes == std::vector<int>{0, 1, 0, -1, 2, 1});
  CHECK(dc.keys == std::vector<long long>{7, 3, 9});
}

TEST_CASE("group index is a stable counting sort") {
  std::vector<int> code{1, 0, 1, -1, 2, 0, 1};
  GroupIndex gi = group_index(code, 3);
  CHECK(gi.start == std::vector<std::size_t>{0, 2, 5, 6});
  CHECK(gi.rows == std::vector<std::size_t>{1, 5, 0, 2, 6, 4});
  const std::size_t sizes[] = {2, 3, 1};
  for (int g = 0; g < gi.n_groups(); ++g) CHECK(gi.size(g) == sizes[g]);
}

TEST_CASE("group codes out of range are refused") {
  std::vector<int> code{0, 3};
  CHECK_THROWS_AS(group_index(code, 2), std::out_of_range);
}

TEST_CASE("an empty group has zero sums") {
  // rowsum(cbind(c(1, 2)), c(1, 1)) plus an empty third group
  Eigen::MatrixXd X(2, 1);
  X << 1, 2;
  std::vector<int> code{0, 0};
  GroupIndex gi = group_index(code, 2);
  std::vector<double> s = grouped_sums(X, gi, 1);
  CHECK(s == std::vector<double>{3.0, 0.0});
}

TEST_CASE("grouped sums match rowsum() and do not depend on threads") {
  // R: X <- cbind(c(0.1, 0.2, 0.3, 0.4, 0.5), c(1, -1, 2, -2, 3))
  //    rowsum(X, c(2, 1, 2, 1, 3))  ->  group 1: 0.6 -3; 2: 0.4 3; 3: 0.5 3
  Eigen::MatrixXd X(5, 2);
  X << 0.1, 1, 0.2, -1, 0.3, 2, 0.4, -2, 0.5, 3;
  std::vector<int> code{1, 0, 1, 0, 2};
  GroupIndex gi = group_index(code, 3);
  std::vector<double> s1 = grouped_sums(X, gi, 1);
  std::vector<double> s2 = grouped_sums(X, gi, 2);
  CHECK(s1 == s2);
  CHECK(s1[0] == Approx(0.6));
  CHECK(s1[1] == Approx(-3));
  CHECK(s1[2] == Approx(0.4));
  CHECK(s1[3] == Approx(3));
  CHECK(s1[4] == Approx(0.5));
  CHECK(s1[5] == Approx(3));
}

TEST_CASE("grouped sums are bit-identical across thread counts on many rows") {
  const int n = 100000, G = 997;
  Eigen::MatrixXd X(n, 2);
  std::vector<int> code(n);
  for (int i = 0; i < n; ++i) {
    X(i, 0) = 1.0 / (1.0 + i);
    X(i, 1) = (i % 13) * 0.1 - 0.55;
    code[i] = (i * 7919) % G;
  }
  GroupIndex gi = group_index(code, G);
  CHECK(grouped_sums(X, gi, 1) == grouped_sums(X, gi, 2));
}

TEST_CASE("group_min takes the smallest present value per group") {
  const int na = -1;
  const double nan = std::nan("");
  const std::vector<double> x{5, 3, nan, 7, 2, 9};
  const std::vector<int> g{1, 1, 2, na, 3, 3};
  const std::vector<double> m = matequity::group_min(x, g, 4, na);
  REQUIRE(m.size() == 4);
  CHECK(m[0] == 3);
  CHECK(std::isnan(m[1]));  // only a missing value
  CHECK(m[2] == 2);
  CHECK(std::isnan(m[3]));  // no rows
  const std::vector<int> bad{1, 1, 2, 5, 3, 3};
  CHECK_THROWS_AS(matequity::group_min(x, bad, 4, na), std::out_of_range);
}

TEST_CASE("first_unmapped gives the unmapped codes of the selected rows in order of first appearance") {
  const int na = -9, unset = -1;
  // codes 1..4 of four values; value 2 is already a level
  const std::vector<int> map{unset, 7, unset, unset};
  const std::vector<int> x{3, 2, na, 1, 3, 4, 1};
  const std::vector<int> sel{1, 1, 1, 0, 1, 1, 1};
  // selected rows 0,1,2,4,5,6: 3 (new), 2 (mapped), missing, 3 (repeat), 4, 1
  CHECK(matequity::first_unmapped(x, sel, 1, map, unset, na) == std::vector<int>{3, 4, 1});
  // the other rows: only row 3 (code 1)
  CHECK(matequity::first_unmapped(x, sel, 0, map, unset, na) == std::vector<int>{1});
  const std::vector<int> bad{5};
  const std::vector<int> one{1};
  CHECK_THROWS_AS(matequity::first_unmapped(bad, one, 1, map, unset, na), std::out_of_range);
}

TEST_CASE("group_any marks the groups with a passing row, skipping missing and out-of-range codes") {
  const int na = -9;
  // rows:        0  1  2   3  4  5  6  7
  const std::vector<int> g{2, 1, na, 3, 2, 0, 5, 3};
  const std::vector<int> flag{0, 1, 1, 0, 1, 1, 1, 0};
  std::vector<int> out(4, 0);
  matequity::group_any(g, 4, na, [&](std::size_t i) { return flag[i] == 1; }, out);
  // group 1: row 1; group 2: row 4; group 3: rows 3 and 7 fail; group 4: no
  // rows; rows 2 (missing), 5 (code 0) and 6 (code 5 > 4) are skipped
  CHECK(out == std::vector<int>{1, 1, 0, 0});
  std::vector<int> none(4, 0);
  matequity::group_any(g, 4, na, [](std::size_t) { return false; }, none);
  CHECK(none == std::vector<int>{0, 0, 0, 0});
  std::vector<int> empty;
  matequity::group_any(std::vector<int>{}, 0, na, [](std::size_t) { return true; }, empty);
  CHECK(empty.empty());
}
