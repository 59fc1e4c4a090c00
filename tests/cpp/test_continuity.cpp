// Tests for continuity.hpp. Expected values are computed in the test from
// the formulas (DOMAIN.md section 5), written out independently of the
// engine's incremental form, or by hand in a comment, e.g. for carers
// A A B:  n = (2, 1), N = 3, M = 2
//   UPC = 2/3, COC = (4 + 1 - 3) / (3 * 2) = 1/3, HHI = (2/3)^2 + (1/3)^2 = 5/9,
//   SECON = (1 + 0) / 2 = 1/2, MMCI = (1 - 2/3.1) / (1 - 1/3.1) = 1.1/2.1.
#include <catch2/catch.hpp>
#include <matequity/continuity.hpp>

#include <cmath>
#include <map>
#include <string>
#include <vector>

using namespace matequity;

namespace {

struct Rows {
  std::vector<int> preg, date, time, contact, carer, phase, mw, team;
  void add(int p, int d, int t, int con, int car, int ph = 0, int m = 0,
           int tm = 0) {
    preg.push_back(p); date.push_back(d); time.push_back(t);
    contact.push_back(con); carer.push_back(car); phase.push_back(ph);
    mw.push_back(m); team.push_back(tm);
  }
  ContinuityResult run(int n_preg, int n_carers, const ContinuityOptions& o,
                       int nthreads = 1) const {
    return continuity_indices(preg, date, time, contact, carer, phase, mw,
                              team, n_preg, n_carers, o, nthreads);
  }
};

bool same(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

bool same_result(const ContinuityResult& a, const ContinuityResult& b) {
  if (a.n != b.n || a.m != b.m || a.usual != b.usual ||
      a.n_named_mw != b.n_named_mw || a.n_named_any != b.n_named_any)
    return false;
  for (std::size_t i = 0; i < a.n.size(); ++i) {
    if (!same(a.upc[i], b.upc[i]) || !same(a.coc[i], b.coc[i]) ||
        !same(a.hhi[i], b.hhi[i]) || !same(a.secon[i], b.secon[i]) ||
        !same(a.mmci[i], b.mmci[i]) || !same(a.share_mw[i], b.share_mw[i]) ||
        !same(a.share_team[i], b.share_team[i]))
      return false;
  }
  return true;
}

}  // namespace

TEST_CASE("hand-worked sequence A A B") {
  Rows r;
  r.add(0, 1, 0, 0, 0, 0, 1, 0);
  r.add(0, 2, 0, 1, 0, 0, 1, 1);
  r.add(0, 3, 0, 2, 1, 0, 0, 1);
  ContinuityResult res = r.run(1, 2, ContinuityOptions{});
  CHECK(res.n[0] == 3);
  CHECK(res.m[0] == 2);
  CHECK(res.usual[0] == 0);
  CHECK(res.upc[0] == Approx(2.0 / 3).epsilon(1e-15));
  CHECK(res.coc[0] == Approx(1.0 / 3).epsilon(1e-15));
  CHECK(res.hhi[0] == Approx(5.0 / 9).epsilon(1e-15));
  CHECK(res.secon[0] == Approx(0.5).epsilon(1e-15));
  CHECK(res.mmci[0] == Approx(1.1 / 2.1).epsilon(1e-14));
  CHECK(res.share_mw[0] == Approx(2.0 / 3).epsilon(1e-15));
  CHECK(res.share_team[0] == Approx(2.0 / 3).epsilon(1e-15));
  CHECK(res.share_any[0] == 1.0);
}

TEST_CASE("every sequence of 2 to 5 contacts over up to 5 carers") {
  // Each sequence is its own pregnancy; named-midwife flag on contacts
  // whose carer is 0, named-team flag on even positions.
  const int K = 5;
  Rows r;
  std::vector<std::vector<int>> seqs;
  for (int len = 2; len <= 5; ++len) {
    int total = 1;
    for (int i = 0; i < len; ++i) total *= K;
    for (int code = 0; code < total; ++code) {
      std::vector<int> s(len);
      int x = code;
      for (int i = 0; i < len; ++i) { s[i] = x % K; x /= K; }
      seqs.push_back(s);
    }
  }
  const int P = static_cast<int>(seqs.size());
  REQUIRE(P == 25 + 125 + 625 + 3125);
  int contact = 0;
  for (int p = 0; p < P; ++p)
    for (std::size_t j = 0; j < seqs[p].size(); ++j)
      r.add(p, static_cast<int>(j), 0, contact++, seqs[p][j], 0,
            seqs[p][j] == 0, j % 2 == 0);
  ContinuityResult res = r.run(P, K, ContinuityOptions{}, 1);
  int failures = 0;
  for (int p = 0; p < P; ++p) {
    const std::vector<int>& s = seqs[p];
    const double N = static_cast<double>(s.size());
    std::map<int, int> n_i;
    std::vector<int> first_seen;
    for (int c : s) {
      if (n_i[c]++ == 0) first_seen.push_back(c);
    }
    int maxn = 0, usual = -1;
    for (int c : first_seen)
      if (n_i[c] > maxn) { maxn = n_i[c]; usual = c; }
    double sumsq = 0, hhi = 0;
    for (auto& kv : n_i) {
      sumsq += static_cast<double>(kv.second) * kv.second;
      hhi += (kv.second / N) * (kv.second / N);
    }
    double cj = 0, mw = 0, tm = 0;
    for (std::size_t j = 0; j + 1 < s.size(); ++j) cj += s[j] == s[j + 1];
    for (std::size_t j = 0; j < s.size(); ++j) {
      mw += s[j] == 0;
      tm += j % 2 == 0;
    }
    const double M = static_cast<double>(n_i.size());
    const double coc = (sumsq - N) / (N * (N - 1));
    const double mmci = (1 - M / (N + 0.1)) / (1 - 1 / (N + 0.1));
    const double tol = 1e-13;
    bool ok = res.n[p] == static_cast<int>(N) && res.m[p] == static_cast<int>(M) &&
              res.usual[p] == usual &&
              std::fabs(res.upc[p] - maxn / N) <= tol &&
              std::fabs(res.coc[p] - coc) <= tol &&
              std::fabs(res.hhi[p] - hhi) <= tol &&
              std::fabs(res.secon[p] - cj / (N - 1)) <= tol &&
              std::fabs(res.mmci[p] - mmci) <= tol &&
              std::fabs(res.share_mw[p] - mw / N) <= tol &&
              std::fabs(res.share_team[p] - tm / N) <= tol &&
              // identity COC = (N HHI - 1) / (N - 1)
              std::fabs(res.coc[p] - (N * res.hhi[p] - 1) / (N - 1)) <= tol;
    if (!ok) {
      ++failures;
      INFO("pregnancy " << p);
      CHECK(ok);
    }
  }
  CHECK(failures == 0);
  // the same on two threads and with the rows shuffled (not grouped)
  CHECK(same_result(res, r.run(P, K, ContinuityOptions{}, 2)));
  Rows shuffled;
  const std::size_t n = r.preg.size();
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (k * 7919) % n;  // 7919 is prime, n is not a multiple
    shuffled.add(r.preg[i], r.date[i], r.time[i], r.contact[i], r.carer[i],
                 r.phase[i], r.mw[i], r.team[i]);
  }
  REQUIRE(n % 7919 != 0);
  CHECK(same_result(res, shuffled.run(P, K, ContinuityOptions{}, 2)));
}

TEST_CASE("ties in time: date, then time, then contact id") {
  // Input rows out of order. True order:
  //   day 1 10:00 contact 5 carer 0; day 1 10:00 contact 7 carer 1;
  //   day 1 11:00 contact 2 carer 1; day 2 (time 0) contact 1 carer 0
  // Carers in order: 0 1 1 0 -> SECON = 1/3; usual carer (tie 2:2) = 0.
  Rows r;
  r.add(0, 2, 0, 1, 0);
  r.add(0, 1, 39600, 2, 1);
  r.add(0, 1, 36000, 7, 1);
  r.add(0, 1, 36000, 5, 0);
  ContinuityResult res = r.run(1, 2, ContinuityOptions{});
  CHECK(res.secon[0] == Approx(1.0 / 3).epsilon(1e-15));
  CHECK(res.usual[0] == 0);
  // Swap the contact ids of the two 10:00 contacts: order 1 0 1 0, SECON 0,
  // and the first-seen carer (usual) becomes 1.
  r.contact[2] = 5;
  r.contact[3] = 7;
  res = r.run(1, 2, ContinuityOptions{});
  CHECK(res.secon[0] == 0.0);
  CHECK(res.usual[0] == 1);
}

TEST_CASE("missing carer: dropped, or a break in the sequence") {
  // carers A, missing, A, B. drop: A A B -> N 3, SECON 1/2.
  // break: counts as A A B but A-A is broken -> SECON 0/2 = 0.
  Rows r;
  r.add(0, 1, 0, 0, 0);
  r.add(0, 2, 0, 1, -1, 0, 0, 1);  // team flag on a contact with no carer
  r.add(0, 3, 0, 2, 0);
  r.add(0, 4, 0, 3, 1);
  ContinuityOptions o;
  ContinuityResult d = r.run(1, 2, o);
  CHECK(d.n[0] == 3);
  CHECK(d.secon[0] == 0.5);
  CHECK(d.upc[0] == Approx(2.0 / 3).epsilon(1e-15));
  CHECK(d.n_named_team[0] == 0);  // the dropped contact is not counted
  o.missing = MissingCarer::brk;
  ContinuityResult b = r.run(1, 2, o);
  CHECK(b.n[0] == 3);
  CHECK(b.secon[0] == 0.0);
  CHECK(b.coc[0] == d.coc[0]);
}

TEST_CASE("one contact: N reported, COC and SECON missing") {
  // N = 1, M = 1: UPC = HHI = 1, MMCI = (1 - 1/1.1) / (1 - 1/1.1) = 1.
  Rows r;
  r.add(0, 1, 0, 0, 3, 0, 1, 0);
  ContinuityResult res = r.run(2, 4, ContinuityOptions{});  // preg 1: no rows
  CHECK(res.n[0] == 1);
  CHECK(res.upc[0] == 1.0);
  CHECK(res.hhi[0] == 1.0);
  CHECK(res.mmci[0] == 1.0);
  CHECK(std::isnan(res.coc[0]));
  CHECK(std::isnan(res.secon[0]));
  CHECK(res.share_mw[0] == 1.0);
  CHECK(res.n[1] == 0);
  CHECK(res.m[1] == 0);
  CHECK(res.usual[1] == -1);
  CHECK(std::isnan(res.upc[1]));
  CHECK(std::isnan(res.mmci[1]));
  CHECK(std::isnan(res.share_mw[1]));
}

TEST_CASE("a contact with two carers counts once, for its first carer") {
  // contact 0: activities by carer 1 then carer 0 (the named midwife);
  // contact 1: carer 0. Attributed carers 1, 0: N 2, M 2, SECON 0,
  // named-midwife share 2/2 (contact 0 has a matching activity).
  Rows r;
  r.add(0, 1, 0, 0, 1, 0, 0, 0);
  r.add(0, 1, 0, 0, 0, 0, 1, 0);
  r.add(0, 2, 0, 1, 0, 0, 1, 0);
  ContinuityResult res = r.run(1, 2, ContinuityOptions{});
  CHECK(res.n[0] == 2);
  CHECK(res.m[0] == 2);
  CHECK(res.secon[0] == 0.0);
  CHECK(res.coc[0] == 0.0);
  CHECK(res.usual[0] == 1);
  CHECK(res.share_mw[0] == 1.0);
  // a first activity with no carer: the carer is the next activity's
  r.carer[0] = -1;
  res = r.run(1, 2, ContinuityOptions{});
  CHECK(res.m[0] == 1);
  CHECK(res.secon[0] == 1.0);
}

TEST_CASE("collapsing same-day repeat contacts with the same carer") {
  // day 1: A, B, A(named); day 2: A.  No collapse: A B A A, N 4, SECON 1/3.
  // Collapse: the second day-1 A merges into the first: A B A, N 3,
  // SECON 0/2, named share 1/3 (the merged contact inherits the flag).
  Rows r;
  r.add(0, 1, 1, 0, 0);
  r.add(0, 1, 2, 1, 1);
  r.add(0, 1, 3, 2, 0, 0, 1, 0);
  r.add(0, 2, 0, 3, 0);
  ContinuityOptions o;
  ContinuityResult a = r.run(1, 2, o);
  CHECK(a.n[0] == 4);
  CHECK(a.secon[0] == Approx(1.0 / 3).epsilon(1e-15));
  o.collapse_same_day = true;
  ContinuityResult b = r.run(1, 2, o);
  CHECK(b.n[0] == 3);
  CHECK(b.secon[0] == 0.0);
  CHECK(b.share_mw[0] == Approx(1.0 / 3).epsilon(1e-15));
}

TEST_CASE("phases are separate sequences; 'all' orders by date then phase") {
  // antenatal A A (days 1, 2); intrapartum B (day 5); postnatal A (day 5,
  // sorted after intrapartum on the same day although its time is earlier).
  // all: A A B A -> SECON 1/3; antenatal: SECON 1; intrapartum: N 1.
  Rows r;
  r.add(0, 5, 0, 9, 0, 2);
  r.add(0, 5, 99, 8, 1, 1);
  r.add(0, 1, 0, 0, 0, 0);
  r.add(0, 2, 0, 1, 0, 0);
  ContinuityOptions o;
  o.phases = {0, 1, 2, 3};
  ContinuityResult res = r.run(1, 2, o);
  CHECK(res.n == std::vector<int>{2, 1, 1, 4});
  CHECK(res.secon[0] == 1.0);
  CHECK(std::isnan(res.secon[1]));
  CHECK(res.secon[3] == Approx(1.0 / 3).epsilon(1e-15));
}

TEST_CASE("minimum contacts give NaN but N is still reported") {
  Rows r;
  r.add(0, 1, 0, 0, 0);
  r.add(0, 2, 0, 1, 1);
  ContinuityOptions o;
  o.min_upc = 3;
  o.min_share = 3;
  ContinuityResult res = r.run(1, 2, o);
  CHECK(res.n[0] == 2);
  CHECK(std::isnan(res.upc[0]));
  CHECK(std::isnan(res.share_mw[0]));
  CHECK(res.coc[0] == 0.0);
}

TEST_CASE("bad codes are refused") {
  Rows r;
  r.add(0, 1, 0, 0, 2);
  CHECK_THROWS_AS(r.run(1, 2, ContinuityOptions{}), std::out_of_range);
  r.carer[0] = 0;
  r.preg[0] = 1;
  CHECK_THROWS_AS(r.run(1, 2, ContinuityOptions{}), std::out_of_range);
}

TEST_CASE("results do not depend on the thread count on many pregnancies") {
  Rows r;
  const int P = 20000;
  int con = 0;
  for (int p = 0; p < P; ++p) {
    const int len = 1 + (p * 37) % 17;
    for (int j = 0; j < len; ++j) {
      const int car = ((p + 3) * (j + 1) * 2654435761u >> 7) % 11 - 1;
      r.add(p, (j * 13) % 9, (j * 7) % 3, con++, car, j % 3,
            car == 2, car % 2 == 0);
    }
  }
  ContinuityOptions o;
  o.phases = {0, 1, 2, 3};
  o.missing = MissingCarer::brk;
  o.collapse_same_day = true;
  CHECK(same_result(r.run(P, 10, o, 1), r.run(P, 10, o, 2)));
}

TEST_CASE("contact_order_codes orders by pregnancy, date, time, id, row") {
  // pregnancy 1: rows 0 (day 5, t 10, id "b"), 2 (day 5, t 10, id "a"),
  // 3 (day 4); pregnancy 0: rows 1 and 4 (same day, time, id: row order).
  // Codes: pregnancy 0 first: row 1 -> 1, row 4 -> 2; then pregnancy 1:
  // row 3 (day 4) -> 3, row 2 ("a") -> 4, row 0 ("b") -> 5; row 5 has no
  // pregnancy -> 0.
  const std::vector<int> preg{1, 0, 1, 1, 0, -1}, date{5, 7, 5, 4, 7, 1},
      time{10, 3, 10, 99, 3, 0};
  const std::vector<std::string> id{"b", "x", "a", "c", "x", "z"};
  auto less = [&id](std::size_t i, std::size_t j) { return id[i] < id[j]; };
  for (int nt : {1, 2}) {
    const std::vector<int> code = contact_order_codes(preg, date, time, 2, less, nt);
    CHECK(code == std::vector<int>{5, 1, 4, 3, 2, 0});
  }
  const std::vector<int> bad{2};
  CHECK_THROWS_AS(contact_order_codes(bad, bad, bad, 2, less, 1), std::out_of_range);
}

TEST_CASE("match_keys gives match()'s first positions and whether the table repeats") {
  static const char a = 'a', b = 'b', c = 'c', d = 'd';
  const std::vector<const char*> table{&a, &b, &a, &c};
  const std::vector<const char*> x{&b, &b, &c, &d, &a};
  const KeyMatch m = match_keys(x, table);
  CHECK(m.index == std::vector<int>{2, 2, 4, 0, 1});
  CHECK_FALSE(m.table_unique);
  const std::vector<const char*> t2{&d, &c};
  const KeyMatch m2 = match_keys(x, t2);
  CHECK(m2.index == std::vector<int>{0, 0, 2, 1, 0});
  CHECK(m2.table_unique);
  CHECK(match_keys(std::vector<const char*>{}, t2).index.empty());
}

TEST_CASE("match_keys follows the table's order only when the table has no repeats") {
  static const char a = 'a', b = 'b', c = 'c', d = 'd';
  // x in the table's order (the position after the previous answer is
  // tried first), with a jump back
  const std::vector<const char*> t{&a, &b, &c, &d};
  const std::vector<const char*> x{&a, &a, &b, &c, &d, &a, &c};
  CHECK(match_keys(x, t).index == std::vector<int>{1, 1, 2, 3, 4, 1, 3});
  // with a repeat the next position is not the first one: b then a is 1, not 3
  const std::vector<const char*> rep{&a, &b, &a};
  const KeyMatch m = match_keys(std::vector<const char*>{&b, &a}, rep);
  CHECK(m.index == std::vector<int>{2, 1});
  CHECK_FALSE(m.table_unique);
  // a table longer than the prefetch distance, looked up in and out of order
  std::vector<int> big, keys;
  for (int i = 0; i < 200; ++i) big.push_back(1000 - 3 * i);
  for (int i = 0; i < 200; ++i) keys.push_back(big[(i * 37) % 200]);
  keys.push_back(5);  // not in the table
  const KeyMatch mb = match_keys(keys, big);
  REQUIRE(mb.index.size() == keys.size());
  for (int i = 0; i < 200; ++i) CHECK(mb.index[i] == (i * 37) % 200 + 1);
  CHECK(mb.index.back() == 0);
  CHECK(match_keys(big, big).index.back() == 200);
}

TEST_CASE("match_keys_into writes into the caller's storage, no match as `none`") {
  // a table of many keys (the index holds positions and reads keys back),
  // every key found at its first position, repeats and misses included
  std::vector<long long> table, x;
  for (long long i = 0; i < 5000; ++i) table.push_back(i * 7919 % 10007);
  table.push_back(table[10]);  // a repeat: its first position is kept
  for (long long i = 0; i < 5000; i += 3) x.push_back(table[static_cast<std::size_t>(i)]);
  x.push_back(-5);
  std::vector<int> index(x.size(), 123);
  bool unique = true;
  const bool ok = match_keys_into(
      x.size(), [&x](std::size_t i) { return x[i]; }, table.size(),
      [&table](std::size_t i) { return table[i]; }, [](long long) { return true; },
      index.data(), -1, unique);
  CHECK(ok);
  CHECK_FALSE(unique);
  for (std::size_t j = 0; j + 1 < x.size(); ++j) CHECK(index[j] == static_cast<int>(3 * j) + 1);
  CHECK(index.back() == -1);
  // a key refused by plain() ends the match
  CHECK_FALSE(match_keys_into(
      x.size(), [&x](std::size_t i) { return x[i]; }, table.size(),
      [&table](std::size_t i) { return table[i]; }, [](long long k) { return k >= 0; },
      index.data(), -1, unique));
  // the positions index holds what it was made for, and no more
  PositionIndex<long long> small(3);
  bool inserted = false;
  auto key_at = [&table](int p) { return table[static_cast<std::size_t>(p) - 1]; };
  for (int p = 1; p <= 12; ++p) small.insert(table[p - 1], p, key_at, inserted);
  CHECK(small.find(table[4], key_at) == 5);
  CHECK(small.find(-1, key_at) == 0);
  CHECK_THROWS_AS(small.insert(table[12], 13, key_at, inserted), std::length_error);
}

TEST_CASE("first_codes numbers keys in order of first appearance, missing as 0") {
  const std::vector<int> x{7, 7, -1, 3, 7, 9, 3, -1};
  KeyCodes r;
  const bool ok = first_codes(
      x.size(), [&x](std::size_t i) { return x[i]; }, -1, [](int) { return true; }, r);
  CHECK(ok);
  CHECK(r.code == std::vector<int>{1, 1, 0, 2, 1, 3, 2, 0});
  CHECK(r.first == std::vector<int>{0, 3, 5});
  // into the caller's storage, missing as `none`
  std::vector<int> code(x.size()), first;
  CHECK(first_codes_into(
      x.size(), [&x](std::size_t i) { return x[i]; }, -1, [](int) { return true; }, code.data(),
      -9, first));
  CHECK(code == std::vector<int>{1, 1, -9, 2, 1, 3, 2, -9});
  CHECK(first == std::vector<int>{0, 3, 5});
  // a key refused by plain() ends the coding
  const bool refused = first_codes(
      x.size(), [&x](std::size_t i) { return x[i]; }, -1, [](int k) { return k != 9; }, r);
  CHECK_FALSE(refused);
}

TEST_CASE("named_flags: named midwife and team only at the plan's provider") {
  const int na = -99;
  // pregnancy 0: named midwife 1, team 5, provider 2 given; pregnancy 1: no
  // provider given, named midwife missing, team 6
  const std::vector<int> nm{1, na}, nt{5, 6}, np{2, na}, given{1, 0};
  // rows: right prof and team at provider 2; at provider 3 (differs); with
  // no provider recorded; pregnancy 1 at any provider; missing prof
  const std::vector<int> prof{1, 1, 1, 1, na}, team{5, 5, 4, 6, 6}, prov{2, 3, na, 3, 2},
      preg{1, 1, 1, 2, 2};
  std::vector<int> mw, tm;
  named_flags(prof, team, prov, preg, nm, nt, np, given, na, 1, mw, tm);
  CHECK(mw == std::vector<int>{1, 0, 1, 0, 0});
  CHECK(tm == std::vector<int>{1, 0, 0, 1, 1});
  // either flag, written into the caller's storage
  std::vector<int> any(prof.size(), 7);
  named_any_into(prof, team, prov, preg, nm, nt, np, given, na, 1, any.data());
  CHECK(any == std::vector<int>{1, 0, 1, 1, 1});
  const std::vector<int> bad{3, 3, 3, 3, 3};
  CHECK_THROWS_AS(named_flags(prof, team, prov, bad, nm, nt, np, given, na, 1, mw, tm),
                  std::out_of_range);
}

TEST_CASE("coc_window_counts counts distinct contact keys in the window") {
  const int na = -99;
  const double nan = std::nan("");
  // one pregnancy, window days 10..20; contacts: day 9 (before), 10, 15 (not
  // attended), 20, 21 (after), 12 and 12 sharing key 5 (one contact)
  const std::vector<int> preg{1, 1, 1, 1, 1, 1, 1}, att{1, 1, 0, 1, 1, 1, 1},
      key{1, 2, 3, 4, 6, 5, 5};
  const std::vector<double> date{9, 10, 15, 20, 21, 12, 12}, start{10}, end{20};
  // activities: midwives are professional codes 1 and 2 (3 is not); the
  // named midwife is 2, the named team 8
  const std::vector<int> contact{1, 2, 2, 3, 4, 5, 6, 7, na},
      prof{1, 1, 2, 1, 3, 1, 1, 2, 1}, team{7, 7, 7, 7, 8, 7, 7, 7, 8}, midwife{1, 1, 0};
  const std::vector<int> nm{2}, nt{8};
  std::vector<int> n, hit;
  coc_window_counts(preg, date, att, key, 6, contact, prof, team, midwife, start, end, nm, nt,
                    na, n, hit);
  // in the window with a midwife: contact 2 (named via prof 2), key 5 (named
  // via contact 7's prof 2); contact 4's only activity is by non-midwife 3
  CHECK(n == std::vector<int>{2});
  CHECK(hit == std::vector<int>{2});
  const std::vector<double> no_start{nan};
  coc_window_counts(preg, date, att, key, 6, contact, prof, team, midwife, no_start, end, nm, nt,
                    na, n, hit);
  CHECK(n == std::vector<int>{0});
}

TEST_CASE("recorded_triples marks the asked triples some activity records") {
  const int na = -99;
  // asked (positions): (1, 1, 1) = missing provider, prof A, team T;
  // (2, 1, 1) = provider R1, A, T; (2, 2, 1) = R1, B, T
  const std::vector<int> ap{1, 2, 2}, af{1, 1, 2}, at{1, 1, 1};
  // contacts' provider codes: contact 1 at level 1 (R1), contact 2 missing,
  // contact 3 at level 2 (not asked)
  const std::vector<int> contact_prov{1, na, 2};
  const std::vector<int> on_prov{2, na}, on_prof{1, 2, na}, on_team{1, na};
  // activities: A/T at contact 1 (R1), A/T at contact 2 (missing), B/T at
  // contact 3 (provider not asked), C/T, A with team level 2, no contact
  const std::vector<int> contact{1, 2, 3, 1, 1}, prof{1, 1, 2, 3, 1}, team{1, 1, 1, 1, 2};
  const std::vector<int> seen = recorded_triples(ap, af, at, 2, 1, contact, prof, team,
                                                 contact_prov, on_prov, on_prof, on_team, 1, na);
  CHECK(seen == std::vector<int>{1, 1, 0});
}

TEST_CASE("screen_contacts keeps dated contacts between booking and discharge") {
  const int na = -99;
  const double nan = std::nan("");
  // pregnancy 1: booked day 10, discharged day 50, birth day 40; pregnancy 2:
  // booked day 60, discharged day 30 (a contact on day 45 is both early and late)
  const std::vector<double> booking{10, 60}, discharge{50, 30}, birth{40, nan};
  const std::vector<int> preg{1, 1, 1, 1, 1, 1, na, 2, 2};
  const std::vector<double> date{9, 10, nan, 40, 41.75, 51, 20, 45, 25};
  const ContactScreen r = screen_contacts(preg, date, booking, discharge, birth, na, 0, 2);
  // kept: day 10 (antenatal), 40 (birth day, postnatal), 41 (postnatal)
  CHECK(r.pos == std::vector<int>{0, 1, 0, 2, 3, 0, 0, 0, 0});
  CHECK(r.kept == std::vector<int>{2, 4, 5});
  CHECK(r.preg == std::vector<int>{1, 1, 1});
  CHECK(r.date == std::vector<int>{10, 40, 41});  // 41.75 truncated, as as.integer()
  CHECK(r.no_preg == std::vector<int>{7});
  CHECK(r.phase == std::vector<int>{0, 2, 2});
  CHECK(r.no_date == 1);
  CHECK(r.early == 3);  // day 9; pregnancy 2's days 45 and 25
  CHECK(r.late == 2);   // day 51; day 45 of pregnancy 2
  CHECK(r.birth_day == 1);
  // a pregnancy code out of range is found while counting, before any
  // storage is asked for
  bool asked = false;
  const std::vector<int> bad{1, 3};
  const std::vector<double> two{10, 20};
  CHECK_THROWS_AS(screen_contacts_into(bad, two, booking, discharge, birth, na, na, 0, 2,
                                       [&asked](std::size_t, std::size_t, std::size_t) {
                                         asked = true;
                                         return ContactScreenOut{};
                                       }),
                  std::out_of_range);
  CHECK_FALSE(asked);
}

TEST_CASE("activity_pairs and assemble_activity_rows build the kernel's rows from two levels") {
  const int na = -99;
  const int MAX = std::numeric_limits<int>::max();
  // six contact rows: row 2 not kept; rows 1, 3, 4, 5, 6 are kept contacts
  // 1..5; row 3 not attended
  const std::vector<int> cc_pos{1, na, 2, 3, 4, 5}, kept_row{1, 3, 4, 5, 6};
  const std::vector<int> cc_prov{1, 2, 2, 1, 2, 1}, cc_attended{1, 1, 0, 1, 1, 1};
  const std::vector<int> c_preg{1, 1, 2, 2, 1}, c_date{10, 11, 12, 13, 14},
      c_time{na, 100, 200, 300, 50}, c_code{1, 2, 3, 4, 6}, c_phase{0, 0, 2, 0, 0};
  // seven activities: to contact rows 1, 2 (not kept), 1, none, 3, 4, 6;
  // kept contact 4 (row 5) has no activity
  const std::vector<int> a_contact{1, 2, 1, na, 3, 4, 6}, a_prof{1, 2, 2, 1, 1, 3, 2},
      a_team{1, 1, na, 1, 2, 2, 1};
  const ActivityPairs pr = activity_pairs(cc_pos, kept_row, cc_prov, a_contact, a_prof, na);
  // (provider, professional) in order of first appearance, then the
  // contact with no activity
  CHECK(pr.prov == std::vector<int>{1, 1, 2, 1, 2});
  CHECK(pr.prof == std::vector<int>{1, 2, 1, 3, na});
  CHECK(pr.n_none == 1);
  CHECK(pr.row_contact.empty());
  // with rows: each row's kept contact, activity (na for none) and pair
  const ActivityPairs pw = activity_pairs(cc_pos, kept_row, cc_prov, a_contact, a_prof, na, true);
  CHECK(pw.prov == pr.prov);
  CHECK(pw.row_contact == std::vector<int>{1, 1, 2, 3, 5, 4});
  CHECK(pw.row_activity == std::vector<int>{1, 3, 5, 6, 7, na});
  CHECK(pw.row_pair == std::vector<int>{1, 2, 3, 4, 2, 5});
  // statuses: midwife 2, other 3, unknown 1
  const std::vector<int> pair_staff{2, 3, 1, 1, 1};
  // one intrapartum row
  const std::vector<int> b_preg{2}, b_date{20}, b_time{na}, b_code{5}, b_phase{1}, b_prof{1},
      b_team{1}, b_prov{1}, b_staff{2};
  // pregnancy 1: named midwife 1 at provider 1; pregnancy 2: named midwife
  // 3 and team 2, no provider on the plan
  const std::vector<int> named_mw{1, 3}, named_team{na, 2}, named_prov{1, na}, given{1, 0};
  const ActivityBlocks<std::vector<int>> x{
      &cc_pos, &kept_row, &c_preg, &c_date, &c_time, &c_code, &c_phase, &cc_prov,
      &cc_attended, &a_contact, &a_prof, &a_team, &b_preg, &b_date, &b_time, &b_code,
      &b_phase, &b_prof, &b_team, &b_prov, &b_staff, &pr.prov, &pr.prof, &pair_staff,
      &named_mw, &named_team, &named_prov, &given};
  RowOptions opt;
  opt.n_codes = 6;
  opt.na = na;
  const AssembledRows r = assemble_activity_rows(x, opt);
  // rows: activity 1 (contact 1), activity 6 (contact 3), contact 4 (no
  // activity), the intrapartum row; activities 3 and 7 are non-midwifery,
  // activity 5's contact is not attended, activity 2's not kept
  CHECK(r.preg == std::vector<int>{0, 1, 1, 1});
  CHECK(r.date == std::vector<int>{10, 12, 13, 20});
  CHECK(r.time == std::vector<int>{MAX, 200, 300, MAX});
  CHECK(r.contact == std::vector<int>{1, 3, 4, 5});
  CHECK(r.phase == std::vector<int>{0, 2, 0, 1});
  // carers (provider 1, professional 1) and (1, 3); the intrapartum row's
  // is the first again
  CHECK(r.carer == std::vector<int>{0, 1, -1, 0});
  CHECK(r.carer_who == std::vector<int>{1, 3});
  CHECK(r.mw == std::vector<int>{1, 1, 0, 0});
  CHECK(r.tm == std::vector<int>{0, 1, 0, 0});
  CHECK(r.not_attended == 1);   // contact row 3
  CHECK(r.other_rows == 2);     // activities 3 and 7
  CHECK(r.no_midwifery == 1);   // contact 6: only activity 7
  CHECK(r.unknown_staff == 1);  // activity 6
  CHECK(r.no_carer == 1);       // contact 4

  opt.carer_team = true;
  const AssembledRows t = assemble_activity_rows(x, opt);
  CHECK(t.carer == std::vector<int>{0, 1, -1, 0});
  CHECK(t.carer_who == std::vector<int>{1, 2});

  // without the options every row is used and nothing is counted as dropped
  opt.carer_team = false;
  opt.attended_only = false;
  opt.midwifery_only = false;
  const AssembledRows all = assemble_activity_rows(x, opt);
  CHECK(all.contact == std::vector<int>{1, 1, 2, 3, 6, 4, 5});
  CHECK(all.unknown_staff == 2);  // activities 5 and 6
  CHECK(all.not_attended == 0);
  CHECK(all.other_rows == 0);
  CHECK(all.no_midwifery == 0);
  CHECK(all.carer == std::vector<int>{0, 1, 2, 3, 1, -1, 0});

  // a pair missing from the table is an error, not a silent status
  const std::vector<int> short_staff{2, 3, 1, 1};
  const std::vector<int> short_prov{1, 1, 2, 1}, short_prof{1, 2, 1, 3};
  ActivityBlocks<std::vector<int>> y = x;
  y.pair_prov = &short_prov;
  y.pair_prof = &short_prof;
  y.pair_staff = &short_staff;
  CHECK_THROWS_AS(assemble_activity_rows(y, opt), std::out_of_range);
}
