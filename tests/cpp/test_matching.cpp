// Tests for matching.hpp. Expected values come from MatchIt 4.8.1 on the same
// distance, e.g.
//   d <- c(10, 2, 6, 5, 9, 3, 7); t <- c(1, 0, 1, 0, 0, 0, 1)
//   m <- MatchIt::matchit(t ~ x, data = data.frame(t = t, x = seq_along(t)),
//                         distance = d, method = "nearest")
//   m$match.matrix; m$weights; m$subclass
// (row numbers below are 0-based: R's minus one).
#include <catch2/catch.hpp>
#include <matequity/matching.hpp>
#include <vector>

using namespace matequity;

namespace {
const std::vector<double> d1{10, 2, 6, 5, 9, 3, 7};
const std::vector<int> t1{1, 0, 1, 0, 0, 0, 1};

std::vector<int> col(const MatchResult& m, int r) {
  std::vector<int> out;
  for (int i = 0; i < m.n1; ++i) out.push_back(m.at(i, r));
  return out;
}
}  // namespace

TEST_CASE("1:1 without replacement, largest first (MatchIt default)") {
  // MatchIt: match.matrix rows (treated 0, 2, 6) -> controls 4, 5, 3;
  // weights c(1, 0, 1, 1, 1, 1, 1); subclass c(1, NA, 2, 3, 1, 2, 3)
  MatchResult m = match_nearest(d1, t1, 1, false, 0.0, MatchOrder::largest, 1);
  CHECK(m.treated == std::vector<int>{0, 2, 6});
  CHECK(col(m, 0) == std::vector<int>{4, 5, 3});
  CHECK(m.weights == std::vector<double>{1, 0, 1, 1, 1, 1, 1});
  CHECK(m.subclass == std::vector<int>{1, 0, 2, 3, 1, 2, 3});
  CHECK(m.n_matched_treated == 3);
  CHECK(m.n_matched_control == 3);  // controls 3, 4, 5
}

TEST_CASE("1:2 without replacement runs in rounds") {
  // MatchIt ratio = 2: rows -> (4, 1), (5, NA), (3, NA);
  // weights c(1, 2/3, 1, 4/3, 2/3, 4/3, 1)
  MatchResult m = match_nearest(d1, t1, 2, false, 0.0, MatchOrder::largest, 1);
  CHECK(col(m, 0) == std::vector<int>{4, 5, 3});
  CHECK(col(m, 1) == std::vector<int>{1, -1, -1});
  const std::vector<double> w{1, 2.0 / 3, 1, 4.0 / 3, 2.0 / 3, 4.0 / 3, 1};
  for (int i = 0; i < 7; ++i) CHECK(m.weights[i] == Approx(w[i]).epsilon(1e-14));
  CHECK(m.subclass == std::vector<int>{1, 1, 2, 3, 1, 2, 3});
}

TEST_CASE("with replacement: a tie goes to the control fewer positions away") {
  // MatchIt replace = TRUE: rows -> 4, 3, 4 (treated 6 at 7 is 2 from both
  // control 3 at 5, two positions below it in the sorted order, and control
  // 4 at 9, one position above: the walk reaches 4 first);
  // weights c(1, 0, 1, 2/3, 4/3, 0, 1)
  MatchResult m = match_nearest(d1, t1, 1, true, 0.0, MatchOrder::largest, 2);
  CHECK(col(m, 0) == std::vector<int>{4, 3, 4});
  const std::vector<double> w{1, 0, 1, 2.0 / 3, 4.0 / 3, 0, 1};
  for (int i = 0; i < 7; ++i) CHECK(m.weights[i] == Approx(w[i]).epsilon(1e-14));
  CHECK(m.subclass == std::vector<int>(7, 0));
  CHECK(m.n_matched_control == 2);
}

TEST_CASE("with replacement, k = 2 gives the two nearest distinct controls") {
  // MatchIt ratio = 2, replace = TRUE: rows -> (4, 3), (3, 5), (4, 3);
  // treated 2 (6): 3 (5), then 5 (3) and 4 (9) are both 3 away and 5 is
  // found first. Weights: each match 1/2 -> control 3: 3/2, 4: 1, 5: 1/2;
  // the mean of the non-zero control weights is 1, so they stay.
  MatchResult m1 = match_nearest(d1, t1, 2, true, 0.0, MatchOrder::largest, 1);
  MatchResult m2 = match_nearest(d1, t1, 2, true, 0.0, MatchOrder::largest, 2);
  CHECK(col(m1, 0) == std::vector<int>{4, 3, 4});
  CHECK(col(m1, 1) == std::vector<int>{3, 5, 3});
  CHECK(m1.weights == std::vector<double>{1, 0, 1, 1.5, 1, 0.5, 1});
  CHECK(m1.match == m2.match);
  CHECK(m1.weights == m2.weights);
}

TEST_CASE("smallest-first and data order") {
  // MatchIt m.order = "smallest": rows -> 5, 3, 4; m.order = "data": 4, 3, 5
  MatchResult s = match_nearest(d1, t1, 1, false, 0.0, MatchOrder::smallest, 1);
  CHECK(col(s, 0) == std::vector<int>{5, 3, 4});
  CHECK(s.subclass == std::vector<int>{1, 0, 2, 2, 3, 1, 3});
  MatchResult d = match_nearest(d1, t1, 1, false, 0.0, MatchOrder::data, 1);
  CHECK(col(d, 0) == std::vector<int>{4, 3, 5});
}

TEST_CASE("caliper leaves a treated unit unmatched") {
  // MatchIt caliper = 1.5, std.caliper = FALSE: rows -> 4, 3, NA;
  // weights c(1, 0, 1, 1, 1, 0, 0)
  MatchResult m = match_nearest(d1, t1, 1, false, 1.5, MatchOrder::largest, 1);
  CHECK(col(m, 0) == std::vector<int>{4, 3, -1});
  CHECK(m.weights == std::vector<double>{1, 0, 1, 1, 1, 0, 0});
  CHECK(m.subclass == std::vector<int>{1, 0, 2, 2, 1, 0, 0});
  CHECK(m.n_matched_treated == 2);
}

TEST_CASE("tied distances follow the stable sort order") {
  // d <- c(5, 4, 6, 5, 5, 8); t <- c(1, 0, 0, 1, 0, 0)
  // MatchIt: rows (treated 0, 3) -> 4, 1; ratio = 2 -> (4, 2), (1, 5);
  // replace = TRUE -> 4, 4
  const std::vector<double> d{5, 4, 6, 5, 5, 8};
  const std::vector<int> t{1, 0, 0, 1, 0, 0};
  MatchResult a = match_nearest(d, t, 1, false, 0.0, MatchOrder::largest, 1);
  CHECK(col(a, 0) == std::vector<int>{4, 1});
  CHECK(a.subclass == std::vector<int>{1, 2, 0, 2, 1, 0});
  MatchResult b = match_nearest(d, t, 2, false, 0.0, MatchOrder::largest, 1);
  CHECK(col(b, 0) == std::vector<int>{4, 1});
  CHECK(col(b, 1) == std::vector<int>{2, 5});
  CHECK(b.weights == std::vector<double>(6, 1.0));
  MatchResult c = match_nearest(d, t, 1, true, 0.0, MatchOrder::largest, 1);
  CHECK(col(c, 0) == std::vector<int>{4, 4});
  CHECK(c.weights == std::vector<double>{1, 0, 0, 1, 1, 0});
}

TEST_CASE("running out of controls stops matching") {
  // Two treated, one control: the larger-score treated unit takes it.
  const std::vector<double> d{0.2, 0.9, 0.5};
  const std::vector<int> t{1, 1, 0};
  MatchResult m = match_nearest(d, t, 3, false, 0.0, MatchOrder::largest, 1);
  CHECK(col(m, 0) == std::vector<int>{-1, 2});
  CHECK(col(m, 1) == std::vector<int>{-1, -1});
  CHECK(m.weights == std::vector<double>{0, 1, 1});
}

TEST_CASE("bad input is refused") {
  const std::vector<double> d{0.1, 0.2};
  CHECK_THROWS_AS(match_nearest(d, std::vector<int>{1, 2}, 1, false, 0.0,
                                MatchOrder::largest, 1),
                  std::invalid_argument);
  CHECK_THROWS_AS(match_nearest(d, std::vector<int>{1}, 1, false, 0.0,
                                MatchOrder::largest, 1),
                  std::invalid_argument);
  CHECK_THROWS_AS(match_nearest(std::vector<double>{0.1, NAN}, std::vector<int>{1, 0},
                                1, false, 0.0, MatchOrder::largest, 1),
                  std::invalid_argument);
  CHECK_THROWS_AS(match_nearest(d, std::vector<int>{1, 0}, 0, false, 0.0,
                                MatchOrder::largest, 1),
                  std::invalid_argument);
}

TEST_CASE("without replacement agrees with a quadratic scan on many units") {
  // Brute force: for each treated unit in order, scan every eligible control.
  const int n = 400;
  std::vector<double> d(n);
  std::vector<int> t(n);
  unsigned s = 12345u;
  for (int i = 0; i < n; ++i) {
    s = s * 1103515245u + 12345u;
    d[i] = static_cast<double>((s >> 8) % 50) / 7.0;  // many ties
    s = s * 1103515245u + 12345u;
    t[i] = ((s >> 10) % 3) == 0 ? 1 : 0;
  }
  for (double cal : {0.0, 0.3}) {
    MatchResult m = match_nearest(d, t, 2, false, cal, MatchOrder::largest, 1);
    // brute force
    std::vector<int> rank(n);
    std::vector<int> by(n);
    for (int i = 0; i < n; ++i) by[i] = i;
    std::stable_sort(by.begin(), by.end(), [&](int a, int b) { return d[a] < d[b]; });
    for (int i = 0; i < n; ++i) rank[by[i]] = i;
    std::vector<int> tr;
    for (int i = 0; i < n; ++i) if (t[i]) tr.push_back(i);
    std::vector<int> ord(tr.size());
    for (std::size_t i = 0; i < ord.size(); ++i) ord[i] = static_cast<int>(i);
    std::stable_sort(ord.begin(), ord.end(), [&](int a, int b) { return d[tr[a]] > d[tr[b]]; });
    std::vector<char> used(n, 0);
    std::vector<int> mm(tr.size() * 2, -1);
    for (int r = 0; r < 2; ++r) {
      for (int i : ord) {
        if (r > 0 && mm[i * 2] < 0) continue;
        const int u = tr[i];
        int l = -1, rr = -1;
        for (int c = 0; c < n; ++c) {
          if (t[c] || used[c]) continue;
          if (rank[c] < rank[u] && (l < 0 || rank[c] > rank[l])) l = c;
          if (rank[c] > rank[u] && (rr < 0 || rank[c] < rank[rr])) rr = c;
        }
        if (cal > 0) {
          if (l >= 0 && std::fabs(d[u] - d[l]) > cal) l = -1;
          if (rr >= 0 && std::fabs(d[u] - d[rr]) > cal) rr = -1;
        }
        // nearer wins; equal distances: fewer positions from the outermost
        // positions the unit and its earlier match occupy, left at equal
        int lo = rank[u], hi = rank[u];
        if (r > 0) {
          lo = std::min(lo, rank[mm[i * 2]]);
          hi = std::max(hi, rank[mm[i * 2]]);
        }
        int p = -1;
        if (l >= 0 && rr >= 0) {
          const double dl = std::fabs(d[l] - d[u]), dr = std::fabs(d[rr] - d[u]);
          p = dl < dr ? l : (dr < dl ? rr : (lo - rank[l] <= rank[rr] - hi ? l : rr));
        } else {
          p = l >= 0 ? l : rr;
        }
        if (p < 0) continue;
        mm[i * 2 + r] = p;
        used[p] = 1;
      }
    }
    CHECK(m.match == mm);
  }
}
