// Tests for records.hpp. Expected values are worked by hand from the rules
// (latest = largest ordering values, missing as the oldest, first in input
// order among exact ties) and, where noted, from base R.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <matequity/records.hpp>
#include <vector>

using namespace matequity::records;

namespace {
const double NaN = std::numeric_limits<double>::quiet_NaN();
const int NA = kMissing;

OrderColumn dcol(const std::vector<double>& v) {
  OrderColumn c;
  c.d = v.data();
  return c;
}
OrderColumn icol(const std::vector<int>& v) {
  OrderColumn c;
  c.i = v.data();
  return c;
}
std::vector<unsigned char> flags(std::initializer_list<int> x) {
  return std::vector<unsigned char>(x.begin(), x.end());
}
}  // namespace

TEST_CASE("latest per key orders each column descending, missing as the oldest") {
  // key 1: rows 0, 2, 4; key 2: rows 1, 3; key 3: row 5 alone
  std::vector<int> key{1, 2, 1, 2, 1, 3};
  std::vector<double> start{10, NaN, 12, NaN, 12, NaN};  // RPStartDate
  std::vector<int> sub{5, 1, 3, 2, 4, NA};               // UniqSubmissionID
  // key 1: rows 2 and 4 share the latest start, row 4 has the larger
  // submission; key 2: both undated, row 3 has the larger submission
  Latest r = latest_per_key(key.data(), key.size(), 3, {dcol(start), icol(sub)}, false);
  CHECK(r.keep == flags({0, 0, 0, 1, 1, 1}));
  CHECK(r.superseded == 3);
  CHECK(r.tied == 0);
}

TEST_CASE("a dated row beats an undated one, and an all-undated key keeps one row") {
  std::vector<int> key{1, 1, 2, 2};
  std::vector<double> start{NaN, 5, NaN, NaN};
  Latest r = latest_per_key(key.data(), key.size(), 2, {dcol(start)}, false);
  // key 2: both tie (missing = missing): the first is kept, the second tied
  CHECK(r.keep == flags({0, 1, 1, 0}));
  CHECK(r.superseded == 1);
  CHECK(r.tied == 1);
}

TEST_CASE("exact ties keep the first row, or none with drop_ties") {
  // key 1: rows 0, 1, 3 at 7 tie, row 2 at 6 older; key 2: rows 4, 5 differ
  std::vector<int> key{1, 1, 1, 1, 2, 2};
  std::vector<double> rec{7, 7, 6, 7, 1, 2};
  Latest first = latest_per_key(key.data(), key.size(), 2, {dcol(rec)}, false);
  CHECK(first.keep == flags({1, 0, 0, 0, 0, 1}));
  CHECK(first.superseded == 2);
  CHECK(first.tied == 2);
  Latest drop = latest_per_key(key.data(), key.size(), 2, {dcol(rec)}, true);
  CHECK(drop.keep == flags({0, 0, 0, 0, 0, 1}));
  CHECK(drop.superseded == 2);
  CHECK(drop.tied == 3);
}

TEST_CASE("record numbers beyond 32-bit integers order exactly as doubles") {
  // 20240300000000123 is not exact in a double; these are (< 2^53)
  std::vector<int> key{1, 1, 1};
  std::vector<double> rec{202403000000123.0, 202403000000124.0, 202402000000999.0};
  Latest r = latest_per_key(key.data(), key.size(), 1, {dcol(rec)}, false);
  CHECK(r.keep == flags({0, 1, 0}));
}

TEST_CASE("no ordering columns: every row of a key ties") {
  std::vector<int> key{2, 1, 2};
  Latest r = latest_per_key(key.data(), key.size(), 2, {}, false);
  CHECK(r.keep == flags({1, 1, 0}));
  CHECK(r.tied == 1);
}

TEST_CASE("key codes outside 1..n_codes are refused") {
  std::vector<int> key{1, 3};
  CHECK_THROWS_AS(latest_per_key(key.data(), key.size(), 2, {}, false), std::out_of_range);
}

static Column ints(const std::vector<int>& v) {
  Column c;
  c.kind = Column::kInt;
  c.data = v.data();
  return c;
}
static Column reals(const std::vector<double>& v) {
  Column c;
  c.kind = Column::kReal;
  c.data = v.data();
  return c;
}

TEST_CASE("row codes are the positions of the first equal row, missing values included") {
  // R: a <- c(1, 2, 1, 1, NA, NA); b <- c(5, 5, 5, 6, 5, 5)
  //    match(paste(a, b), paste(a, b))  ->  1 2 1 4 5 5
  std::vector<int> a{1, 2, 1, 1, NA, NA};
  std::vector<double> b{5, 5, 5, 6, 5, 5};
  CHECK(row_codes({ints(a), reals(b)}, 6) == std::vector<int>{1, 2, 1, 4, 5, 5});
  // among rows 2, 3, 4, 6 (0-based 1, 2, 3, 5): positions within the subset
  std::vector<int> rows{1, 2, 3, 5};
  CHECK(row_codes({ints(a), reals(b)}, 6, rows.data(), rows.size()) == std::vector<int>{1, 2, 3, 4});
}

TEST_CASE("doubles: -0 equals 0, NA and NaN are distinct values, big record numbers exact") {
  double na;
  const std::uint64_t na_bits = 0x7ff00000000007a2ULL;  // R's NA_real_
  std::memcpy(&na, &na_bits, sizeof na);
  // R: x <- c(0, -0, NA, NaN, NA, 202403000000123, 202403000000124)
  //    match(x, x)  ->  1 1 3 4 3 6 7
  std::vector<double> x{0.0, -0.0, na, NaN, na, 202403000000123.0, 202403000000124.0};
  CHECK(row_codes({reals(x)}, x.size()) == std::vector<int>{1, 1, 3, 4, 3, 6, 7});
}

TEST_CASE("children are placed in the retained parent row first") {
  // parent rows: (preg, rec) = (1, 10) not kept, (1, 10) kept, (2, 20) not
  // kept, (NA, 30) kept
  std::vector<int> p1{1, 1, 2, NA};
  std::vector<double> p2{10, 10, 20, 30};
  std::vector<unsigned char> kept{0, 1, 0, 1};
  // children: (1, 10) -> row 1, the kept one; (2, 20) -> row 2, the only
  // one; (1, 20) -> none; (NA, 30) -> a missing value never matches;
  // (1, 99) -> none
  std::vector<int> c1{1, 2, 1, NA, 1};
  std::vector<double> c2{10, 20, 20, 30, 99};
  std::vector<long long> m = place_rows({ints(p1), reals(p2)}, 4, kept.data(),
                                        {ints(c1), reals(c2)}, 5);
  CHECK(m == std::vector<long long>{1, 2, -1, -1, -1});
}

TEST_CASE("placement on one column, empty tables and mismatched columns") {
  std::vector<int> p{1, 2, 1};
  std::vector<unsigned char> kept{0, 0, 1};
  std::vector<int> c{1, NA, 2};
  CHECK(place_rows({ints(p)}, 3, kept.data(), {ints(c)}, 3) == std::vector<long long>{2, -1, 1});
  CHECK(place_rows({ints(p)}, 0, kept.data(), {ints(c)}, 3) == std::vector<long long>{-1, -1, -1});
  CHECK_THROWS_AS(place_rows({}, 0, kept.data(), {}, 0), std::invalid_argument);
  std::vector<double> cd{1, 2, 3};
  CHECK_THROWS_AS(place_rows({ints(p)}, 3, kept.data(), {reals(cd)}, 3), std::invalid_argument);
}

TEST_CASE("place_in_parent tries each key on the rows earlier keys left, retained submissions first") {
  // parent rows (id, rec, sub): kept flags 0, 1, 0
  std::vector<int> pid{7, 7, 8};
  std::vector<int> prec{100, 200, 300};
  std::vector<int> psub{1, 2, 1};
  std::vector<unsigned char> kept{0, 1, 0};
  // child rows (id, rec, sub):
  //   0: (7, 100, .) on rec -> parent row 0, superseded -> 0
  //   1: (7, 999, 2) not on rec; on sub (7, 2) -> parent row 1, kept -> 1
  //   2: (8, 999, 9) on neither -> -1
  //   3: (7, NA, 1)  rec missing; on sub (7, 1) -> row 0 -> 0
  //   4: (8, 300, 2) on rec -> row 2 (0); the sub pass never sees it
  std::vector<int> cid{7, 7, 8, 7, 8};
  std::vector<int> crec{100, 999, 999, NA, 300};
  std::vector<int> csub{5, 2, 9, 1, 2};
  std::vector<signed char> st = place_in_parent(
      {{ints(pid), ints(prec)}, {ints(pid), ints(psub)}}, 3, kept.data(),
      {{ints(cid), ints(crec)}, {ints(cid), ints(csub)}}, 5);
  CHECK(st == std::vector<signed char>{0, 1, -1, 0, 0});
  CHECK_THROWS_AS(place_in_parent({{ints(pid)}}, 3, kept.data(), {}, 5), std::invalid_argument);
  // orphans: child rows with every value present and no parent row
  // (rows 1 and 2 on (id, rec); row 3 has a missing value)
  CHECK(orphan_rows({ints(pid), ints(prec)}, 3, {ints(cid), ints(crec)}, 5) ==
        std::vector<std::size_t>{1, 2});
}

namespace {
// "strings": pointers into a pool; the one at pool[3] is not plain
const char pool[5] = {'a', 'b', 'c', 'd', 0};
bool plain_but_d(const void* p) { return p != static_cast<const void*>(pool + 3); }
Column ptrs(const std::vector<const void*>& v) {
  Column c;
  c.kind = Column::kPtr;
  c.data = v.data();
  c.na = static_cast<const void*>(pool + 4);
  c.plain = &plain_but_d;
  return c;
}
}  // namespace

TEST_CASE("the row hashes ask whether the strings they store or miss are plain") {
  const void* a = pool;
  const void* b = pool + 1;
  const void* d = pool + 3;
  const void* na = pool + 4;
  std::vector<const void*> x{a, b, a, na};
  CHECK(row_codes({ptrs(x)}, 4) == std::vector<int>{1, 2, 1, 4});
  CHECK(duplicated_rows({ptrs(x)}, 4) == flags({0, 0, 1, 0}));
  // a stored row with a string that is not plain ends the hash
  std::vector<const void*> y{a, d};
  CHECK_THROWS_AS(row_codes({ptrs(y)}, 2), NotPlain);
  CHECK_THROWS_AS(duplicated_rows({ptrs(y)}, 2), NotPlain);
  std::vector<unsigned char> kept{1, 1, 1, 1};
  CHECK_THROWS_AS(place_rows({ptrs(y)}, 2, kept.data(), {ptrs(x)}, 4), NotPlain);
  // a child row found needs no asking; one not found does
  CHECK(place_rows({ptrs(x)}, 4, kept.data(), {ptrs(x)}, 4) == std::vector<long long>{0, 1, 0, -1});
  CHECK_THROWS_AS(place_rows({ptrs(x)}, 4, kept.data(), {ptrs(y)}, 2), NotPlain);
}

TEST_CASE("duplicated rows over all columns, among a subset of rows") {
  // R: d <- data.frame(a = c(4, 1, 4, 2, 4), b = c(1, 1, 1, 1, 2))
  //    duplicated(d)  ->  F F T F F
  std::vector<int> a{4, 1, 4, 2, 4};
  std::vector<int> b{1, 1, 1, 1, 2};
  CHECK(duplicated_rows({ints(a), ints(b)}, 5) == flags({0, 0, 1, 0, 0}));
  // rows 3, 1 (0-based 2, 0): row 0 repeats row 2, which comes first here
  std::vector<int> rows{2, 0};
  CHECK(duplicated_rows({ints(a), ints(b)}, 5, rows.data(), rows.size()) == flags({0, 1}));
}

TEST_CASE("the row hash grows past many keys and keeps the first row") {
  std::vector<int> k(1000);
  for (int r = 0; r < 1000; ++r) k[static_cast<std::size_t>(r)] = r % 250;
  std::vector<int> codes = row_codes({ints(k)}, k.size());
  for (int r = 0; r < 1000; ++r) CHECK(codes[static_cast<std::size_t>(r)] == r % 250 + 1);
}

TEST_CASE("whole-number and missing-value counts of a column") {
  // R: v <- c(1, NA, 3, NaN); !any(v != floor(v), na.rm = TRUE)  ->  TRUE
  std::vector<double> v{1, NaN, 3, NaN};
  CHECK(all_whole(v.data(), v.size()));
  std::vector<double> f{1, 2.5, NaN};
  CHECK_FALSE(all_whole(f.data(), f.size()));
  CHECK(all_whole(f.data(), 0));
  // R: sum(is.na(v))  ->  2
  CHECK(count_missing(v.data(), v.size()) == 2);
  std::vector<int> i{NA, 4, NA, 0};
  CHECK(count_missing(i.data(), i.size()) == 2);
}

TEST_CASE("distinct values in order of first appearance, with each row's code") {
  // R: x <- c(5, 3, 5, NA, 3, 7); unique(x) -> 5 3 NA 7; match(x, unique(x)) -> 1 2 1 3 2 4
  std::vector<int> x{5, 3, 5, NA, 3, 7};
  Distinct d = distinct_values(ints(x), x.size(), true);
  CHECK(d.first == std::vector<std::size_t>{0, 1, 3, 5});
  CHECK(d.code == std::vector<int>{1, 2, 1, 3, 2, 4});
  CHECK(distinct_values(ints(x), x.size(), false).code.empty());
  // past the first table size: 100 values, 40 distinct
  std::vector<int> y(100);
  for (int r = 0; r < 100; ++r) y[static_cast<std::size_t>(r)] = (r * 7) % 40;
  Distinct e = distinct_values(ints(y), y.size(), true);
  CHECK(e.first.size() == 40);
  for (int r = 0; r < 100; ++r) {
    CHECK(y[e.first[static_cast<std::size_t>(e.code[static_cast<std::size_t>(r)] - 1)]] == y[static_cast<std::size_t>(r)]);
  }
}
