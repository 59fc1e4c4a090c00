// matequity: continuity-of-carer indices per pregnancy (and per phase).
//
// Input: one row per care activity (a contact with several professionals
// has several rows), as integer-coded columns of equal length:
//   preg     pregnancy code 0..P-1 (rows with a negative code are ignored)
//   date     contact date (days), time (seconds; larger = later; missing time
//            should be coded by the caller as a large value so it sorts last)
//   contact  contact id code: rows sharing it (within a pregnancy) are the
//            activities of one contact; they must share date, time and phase
//   carer    carer code 0..K-1 at the chosen level (professional or team),
//            -1 missing
//   phase    0 antenatal, 1 intrapartum, 2 postnatal
//   named_mw, named_team  1 when the activity involves the pregnancy's
//            named midwife / named team
//
// Within a pregnancy, rows are ordered by (date, phase, time, contact, input
// row); a contact's carer is the first non-missing carer among its
// activities in input-row order; its named-carer flags are 1 if ANY activity
// matches. Over the contacts of a sequence (one phase, or all phases):
//   N contacts with a carer, M distinct carers, n_i contacts with carer i,
//   UPC   = max n_i / N          (usual carer: first seen among ties)
//   COC   = (sum n_i^2 - N) / (N (N - 1))
//   HHI   = sum n_i^2 / N^2      (= sum (n_i / N)^2)
//   SECON = sum c_j / (N - 1), c_j = 1 when contacts j and j+1 share a carer
//   MMCI  = (1 - M / (N + 0.1)) / (1 - 1 / (N + 0.1))
//   named shares = contacts matching / N.
// Contacts with no carer are dropped (MissingCarer::drop) or, under
// MissingCarer::brk, dropped from the counts but breaking the sequence:
// the contacts either side of them are not counted as sequential.
// With collapse_same_day, a contact whose carer already had a contact
// earlier the same day in the sequence is merged into that one (its named
// flags are OR-ed in). Indices need at least min_* contacts, else NaN.
//
// Work is one stable counting sort by pregnancy (skipped when the input is
// already grouped), then pregnancies in parallel: each pregnancy's rows are
// gathered into a per-thread buffer, sorted there and passed over; every pregnancy is
// computed by one thread in a fixed order, so results do not depend on the
// thread count. Scratch space is allocated once per thread.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "groups.hpp"
#include "parallel.hpp"

namespace matequity {

enum class MissingCarer { drop = 0, brk = 1 };

struct ContinuityOptions {
  MissingCarer missing = MissingCarer::drop;
  bool collapse_same_day = false;
  // minimum N for UPC, COC, HHI, SECON, MMCI and the named-carer shares
  int min_upc = 1, min_coc = 2, min_hhi = 1, min_secon = 2, min_mmci = 1,
      min_share = 1;
  // sequences to compute per pregnancy: 0, 1, 2 one phase; 3 all phases
  std::vector<int> phases{3};
};

// Results, pregnancy-major: entry g * phases.size() + k is pregnancy g,
// sequence phases[k].
struct ContinuityResult {
  int n_preg = 0, n_seq = 0;
  std::vector<int> n, m, usual, n_named_mw, n_named_team, n_named_any;
  std::vector<double> upc, coc, hhi, secon, mmci, share_mw, share_team,
      share_any;
  void resize(std::size_t k) {
    for (auto* v : {&n, &m, &usual, &n_named_mw, &n_named_team, &n_named_any})
      v->assign(k, 0);
    for (auto* v : {&upc, &coc, &hhi, &secon, &mmci, &share_mw, &share_team,
                    &share_any})
      v->assign(k, 0.0);
  }
};

namespace detail {

// Per-thread scratch: per-carer counters sized to the number of carer
// codes, reset after each sequence by walking the carers touched.
// One activity row of the pregnancy being processed, gathered from the
// columns once so that sorting and the passes are cache-local.
struct Activity {
  int date, phase, time, contact;  // codes are R integers
  std::size_t row;
  int carer;
  unsigned char mw, team;
  bool operator<(const Activity& b) const {
    if (date != b.date) return date < b.date;
    if (phase != b.phase) return phase < b.phase;
    if (time != b.time) return time < b.time;
    if (contact != b.contact) return contact < b.contact;
    return row < b.row;
  }
};

struct ContinuityScratch {
  std::vector<int> count, last_day, touched;
  std::vector<unsigned char> day_mw, day_team, day_any;
  std::vector<Activity> acts;
  explicit ContinuityScratch(int n_carers, std::size_t max_rows)
      : count(n_carers, 0),
        last_day(n_carers, std::numeric_limits<int>::min()),
        day_mw(n_carers, 0), day_team(n_carers, 0), day_any(n_carers, 0) {
    touched.reserve(64);
    acts.reserve(max_rows);
  }
};

inline void one_sequence(const std::vector<Activity>& a, int want_phase,
                         const ContinuityOptions& opt, ContinuityScratch& s,
                         ContinuityResult& out, std::size_t slot) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  long long N = 0, sum_sq = 0, seq = 0;
  int M = 0, best = 0, usual = -1, nmw = 0, nteam = 0, nany = 0;
  int prev = -1;  // carer of the previous counted contact, -1 = broken
  const std::size_t R = a.size();
  std::size_t i = 0;
  while (i < R) {
    const Activity& a0 = a[i];
    // the activity rows of this contact: a run of equal contact codes
    int who = -1;
    unsigned char mw = 0, tm = 0;
    std::size_t j = i;
    for (; j < R && a[j].contact == a0.contact; ++j) {
      if (who < 0 && a[j].carer >= 0) who = a[j].carer;
      mw |= a[j].mw;
      tm |= a[j].team;
    }
    i = j;
    if (want_phase != 3 && a0.phase != want_phase) continue;
    if (who < 0) {
      if (opt.missing == MissingCarer::brk) prev = -1;
      continue;
    }
    const int day = static_cast<int>(a0.date);
    const unsigned char any = mw | tm;
    if (opt.collapse_same_day && s.count[who] > 0 && s.last_day[who] == day) {
      // merge into the earlier contact of this carer today
      if (mw && !s.day_mw[who]) { s.day_mw[who] = 1; ++nmw; }
      if (tm && !s.day_team[who]) { s.day_team[who] = 1; ++nteam; }
      if (any && !s.day_any[who]) { s.day_any[who] = 1; ++nany; }
      continue;
    }
    if (s.count[who] == 0) {
      s.touched.push_back(who);
      ++M;
    }
    const int k = ++s.count[who];
    sum_sq += 2LL * k - 1;  // k^2 - (k-1)^2
    if (k > best) best = k;
    if (prev == who) ++seq;
    prev = who;
    ++N;
    nmw += mw;
    nteam += tm;
    nany += any;
    if (opt.collapse_same_day) {
      s.last_day[who] = day;
      s.day_mw[who] = mw;
      s.day_team[who] = tm;
      s.day_any[who] = any;
    }
  }
  for (int w : s.touched) {  // touched is in order of first appearance
    if (usual < 0 && s.count[w] == best) usual = w;  // ties: first seen
    s.count[w] = 0;
    s.last_day[w] = std::numeric_limits<int>::min();
  }
  s.touched.clear();

  const double dN = static_cast<double>(N);
  out.n[slot] = static_cast<int>(N);
  out.m[slot] = M;
  out.usual[slot] = usual;
  out.n_named_mw[slot] = nmw;
  out.n_named_team[slot] = nteam;
  out.n_named_any[slot] = nany;
  out.upc[slot] = N >= opt.min_upc && N >= 1 ? best / dN : nan;
  out.coc[slot] = N >= opt.min_coc && N >= 2
                      ? static_cast<double>(sum_sq - N) / (dN * (dN - 1.0))
                      : nan;
  out.hhi[slot] = N >= opt.min_hhi && N >= 1
                      ? static_cast<double>(sum_sq) / (dN * dN)
                      : nan;
  out.secon[slot] = N >= opt.min_secon && N >= 2
                        ? static_cast<double>(seq) / (dN - 1.0)
                        : nan;
  out.mmci[slot] = N >= opt.min_mmci && N >= 1
                       ? (1.0 - M / (dN + 0.1)) / (1.0 - 1.0 / (dN + 0.1))
                       : nan;
  const bool sh = N >= opt.min_share && N >= 1;
  out.share_mw[slot] = sh ? nmw / dN : nan;
  out.share_team[slot] = sh ? nteam / dN : nan;
  out.share_any[slot] = sh ? nany / dN : nan;
}

}  // namespace detail

// Computes the indices. n_preg: number of pregnancy codes; n_carers: number
// of carer codes (carer values must be -1 or in 0..n_carers-1).
template <class IntVec>
ContinuityResult continuity_indices(const IntVec& preg, const IntVec& date,
                                    const IntVec& time, const IntVec& contact,
                                    const IntVec& carer, const IntVec& phase,
                                    const IntVec& named_mw,
                                    const IntVec& named_team, int n_preg,
                                    int n_carers, const ContinuityOptions& opt,
                                    int nthreads) {
  const std::size_t n = static_cast<std::size_t>(preg.size());
  for (const IntVec* v : {&date, &time, &contact, &carer, &phase, &named_mw,
                          &named_team}) {
    if (static_cast<std::size_t>(v->size()) != n)
      throw std::invalid_argument("continuity columns differ in length");
  }
  if (n_preg < 0 || n_carers < 0)
    throw std::invalid_argument("n_preg and n_carers must be >= 0");
  for (int p : opt.phases)
    if (p < 0 || p > 3) throw std::invalid_argument("phase must be 0..3");
  for (std::size_t i = 0; i < n; ++i) {
    if (carer[i] < -1 || carer[i] >= n_carers)
      throw std::out_of_range("carer code " + std::to_string(carer[i]) +
                              " at row " + std::to_string(i + 1) +
                              " is outside -1.." + std::to_string(n_carers - 1));
    if (phase[i] < 0 || phase[i] > 2)
      throw std::out_of_range("phase code " + std::to_string(phase[i]) +
                              " at row " + std::to_string(i + 1) +
                              " is not 0, 1 or 2");
  }

  // Group rows by pregnancy: a counting sort, or run boundaries when the
  // input is already grouped (non-decreasing codes).
  bool grouped = true;
  for (std::size_t i = 1; i < n && grouped; ++i) grouped = preg[i] >= preg[i - 1];
  GroupIndex gi;
  if (grouped) {
    gi.start.assign(static_cast<std::size_t>(n_preg) + 1, 0);
    for (std::size_t i = 0; i < n; ++i) {
      const long long g = preg[i];
      if (g < 0) continue;
      if (g >= n_preg)
        throw std::out_of_range("pregnancy code " + std::to_string(g) +
                                " is not below n_preg");
      ++gi.start[static_cast<std::size_t>(g) + 1];
    }
    for (int g = 0; g < n_preg; ++g) gi.start[g + 1] += gi.start[g];
  } else {
    gi = group_index(preg, n_preg);
  }
  const std::size_t offset = grouped ? n - gi.start[n_preg] : 0;  // leading -1 rows
  std::size_t max_rows = 0;
  for (int g = 0; g < n_preg; ++g) max_rows = std::max(max_rows, gi.size(g));

  ContinuityResult out;
  out.n_preg = n_preg;
  out.n_seq = static_cast<int>(opt.phases.size());
  const std::size_t K = opt.phases.size();
  out.resize(static_cast<std::size_t>(n_preg) * K);
  const int nt = effective_threads(nthreads);
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    detail::ContinuityScratch s(n_carers, max_rows);
#pragma omp for schedule(dynamic, 256)
    for (int g = 0; g < n_preg; ++g) {
      s.acts.clear();
      for (std::size_t r = gi.start[g]; r < gi.start[g + 1]; ++r) {
        const std::size_t i = grouped ? r + offset : gi.rows[r];
        s.acts.push_back(detail::Activity{
            static_cast<int>(date[i]), static_cast<int>(phase[i]),
            static_cast<int>(time[i]), static_cast<int>(contact[i]),
            i, static_cast<int>(carer[i]),
            static_cast<unsigned char>(named_mw[i] != 0),
            static_cast<unsigned char>(named_team[i] != 0)});
      }
      if (!std::is_sorted(s.acts.begin(), s.acts.end()))
        std::sort(s.acts.begin(), s.acts.end());
      for (std::size_t k = 0; k < K; ++k)
        detail::one_sequence(s.acts, opt.phases[k], opt, s, out,
                             static_cast<std::size_t>(g) * K + k);
    }
  }
  return out;
}

// Contact codes 1..n in the order the indices need: contacts grouped by
// pregnancy (preg 0..n_preg-1, ascending), then by date, then time (the
// caller codes a missing time as a large value), then contact id, then
// input row. `id_less(i, j)` orders the ids of contacts i and j (C-locale
// byte order in the package; a missing id last); it is called only for
// contacts tying on pregnancy, date and time. Rows with a negative preg get
// code 0. Each pregnancy is sorted by one thread, so the codes do not depend
// on the thread count.
template <class IntVec, class IdLess>
std::vector<int> contact_order_codes(const IntVec& preg, const IntVec& date,
                                     const IntVec& time, int n_preg,
                                     IdLess id_less, int nthreads) {
  const std::size_t n = static_cast<std::size_t>(preg.size());
  if (static_cast<std::size_t>(date.size()) != n ||
      static_cast<std::size_t>(time.size()) != n)
    throw std::invalid_argument("contact columns differ in length");
  if (n > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw std::length_error("too many contacts for integer codes");
  for (std::size_t i = 0; i < n; ++i)
    if (preg[i] >= n_preg)
      throw std::out_of_range("pregnancy code " + std::to_string(preg[i]) +
                              " is not below n_preg");
  const GroupIndex gi = group_index(preg, n_preg);
  std::vector<int> code(n, 0);
  const int nt = effective_threads(nthreads);
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    std::vector<std::size_t> buf;
#pragma omp for schedule(dynamic, 256)
    for (int g = 0; g < n_preg; ++g) {
      const std::size_t a = gi.start[g], b = gi.start[g + 1];
      buf.assign(gi.rows.begin() + a, gi.rows.begin() + b);
      std::sort(buf.begin(), buf.end(), [&](std::size_t i, std::size_t j) {
        if (date[i] != date[j]) return date[i] < date[j];
        if (time[i] != time[j]) return time[i] < time[j];
        if (id_less(i, j)) return true;
        if (id_less(j, i)) return false;
        return i < j;
      });
      // pregnancies are consecutive in gi: the codes of pregnancy g follow
      // those of g - 1
      for (std::size_t k = 0; k < buf.size(); ++k)
        code[buf[k]] = static_cast<int>(a + k + 1);
    }
  }
  return code;
}

// Whether each activity row's professional and team are its pregnancy's
// named midwife and named team at the plan's provider, everything as integer
// codes with `na` for missing: prof, team, prov and preg (from `base`) per row;
// named_mw, named_team, named_prov per pregnancy (named_prov is `na` when the
// plan's provider is missing or is no row's provider) and named_prov_given
// (0/1, whether the plan gives a provider). A row's provider differs from the
// plan's when both are known and not equal; then neither flag is set. A
// missing code never equals anything. visit_named() calls visit(i, mw, tm)
// with row i's two flags, in row order; named_flags() writes them, 0/1, to mw
// and tm.
template <class IntVec, class Visit>
void visit_named(const IntVec& prof, const IntVec& team, const IntVec& prov,
                 const IntVec& preg, const IntVec& named_mw, const IntVec& named_team,
                 const IntVec& named_prov, const IntVec& named_prov_given, int na, int base,
                 Visit visit) {
  const std::size_t n = static_cast<std::size_t>(prof.size());
  const long long n_preg = static_cast<long long>(named_mw.size());
  if (static_cast<std::size_t>(team.size()) != n || static_cast<std::size_t>(prov.size()) != n ||
      static_cast<std::size_t>(preg.size()) != n)
    throw std::invalid_argument("activity columns differ in length");
  if (named_team.size() != named_mw.size() || named_prov.size() != named_mw.size() ||
      named_prov_given.size() != named_mw.size())
    throw std::invalid_argument("pregnancy columns differ in length");
  for (std::size_t i = 0; i < n; ++i) {
    const long long g = static_cast<long long>(preg[i]) - base;
    if (g < 0 || g >= n_preg)
      throw std::out_of_range("pregnancy code " + std::to_string(g) + " out of range");
    const int pv = prov[i];
    if (pv != na && named_prov_given[g] && pv != named_prov[g]) {
      visit(i, false, false);
      continue;
    }
    const int pf = prof[i], tc = team[i];
    visit(i, pf != na && pf == named_mw[g], tc != na && tc == named_team[g]);
  }
}

template <class IntVec>
void named_flags(const IntVec& prof, const IntVec& team, const IntVec& prov,
                 const IntVec& preg, const IntVec& named_mw, const IntVec& named_team,
                 const IntVec& named_prov, const IntVec& named_prov_given, int na,
                 int base, std::vector<int>& mw, std::vector<int>& tm) {
  mw.assign(static_cast<std::size_t>(prof.size()), 0);
  tm.assign(static_cast<std::size_t>(prof.size()), 0);
  visit_named(prof, team, prov, preg, named_mw, named_team, named_prov, named_prov_given, na,
              base, [&mw, &tm](std::size_t i, bool m, bool t) {
                mw[i] = m;
                tm[i] = t;
              });
}

// Whether each row is its pregnancy's named midwife's or named team's (either
// flag of named_flags()), 0/1 written to out[0..n).
template <class IntVec>
void named_any_into(const IntVec& prof, const IntVec& team, const IntVec& prov,
                    const IntVec& preg, const IntVec& named_mw, const IntVec& named_team,
                    const IntVec& named_prov, const IntVec& named_prov_given, int na, int base,
                    int* out) {
  visit_named(prof, team, prov, preg, named_mw, named_team, named_prov, named_prov_given, na,
              base, [out](std::size_t i, bool m, bool t) { out[i] = m || t; });
}

// COC_receiving_ongoing's contact counts (the NHS definition, see
// coc_receiving_nhs() in R): per pregnancy, the distinct contact keys having
// an activity by a midwifery professional while the contact is attended and
// dated within the pregnancy's window, and those of them having such an
// activity by the named midwife or named team. Integer codes are 1-based
// with `na` for missing. Contacts: preg, date (NaN missing), attended (1
// yes), key (1..n_keys; the contacts of one key belong to one pregnancy).
// Activities: contact, prof, team. midwife: per professional code, 1 for a
// midwifery staff group. Per pregnancy: start and end of the window (NaN
// when there is none), named_mw and named_team (codes).
template <class IntVec, class DblVec>
void coc_window_counts(const IntVec& preg, const DblVec& date, const IntVec& attended,
                       const IntVec& key, int n_keys, const IntVec& contact,
                       const IntVec& prof, const IntVec& team, const IntVec& midwife,
                       const DblVec& start, const DblVec& end, const IntVec& named_mw,
                       const IntVec& named_team, int na, std::vector<int>& n,
                       std::vector<int>& hit) {
  const long long nc = static_cast<long long>(preg.size());
  const long long np = static_cast<long long>(start.size());
  const long long nl = static_cast<long long>(midwife.size());
  if (date.size() != preg.size() || attended.size() != preg.size() || key.size() != preg.size())
    throw std::invalid_argument("contact columns differ in length");
  if (prof.size() != contact.size() || team.size() != contact.size())
    throw std::invalid_argument("activity columns differ in length");
  if (end.size() != start.size() || named_mw.size() != start.size() ||
      named_team.size() != start.size())
    throw std::invalid_argument("pregnancy columns differ in length");
  std::vector<unsigned char> state(static_cast<std::size_t>(n_keys) + 1, 0);
  std::vector<int> key_preg(static_cast<std::size_t>(n_keys) + 1, -1);
  const std::size_t na_ = static_cast<std::size_t>(contact.size());
  for (std::size_t a = 0; a < na_; ++a) {
    const int ca = contact[a], pf = prof[a];
    if (ca == na || pf == na) continue;
    if (ca < 1 || ca > nc || pf < 1 || pf > nl)
      throw std::out_of_range("activity code out of range at row " + std::to_string(a + 1));
    if (midwife[pf - 1] != 1) continue;
    const std::size_t c = static_cast<std::size_t>(ca - 1);
    const int g1 = preg[c];
    if (g1 == na || attended[c] != 1) continue;
    if (g1 < 1 || g1 > np) throw std::out_of_range("pregnancy code out of range");
    const std::size_t g = static_cast<std::size_t>(g1 - 1);
    const double d = date[c], s = start[g], e = end[g];
    if (std::isnan(d) || std::isnan(s) || std::isnan(e) || d < s || d > e) continue;
    const int k = key[c];
    if (k < 1 || k > n_keys) throw std::out_of_range("contact key out of range");
    const int tc = team[a];
    const bool named = pf == named_mw[g] || (tc != na && tc == named_team[g]);
    state[static_cast<std::size_t>(k)] |= named ? 3 : 1;
    key_preg[static_cast<std::size_t>(k)] = static_cast<int>(g);
  }
  n.assign(static_cast<std::size_t>(np), 0);
  hit.assign(static_cast<std::size_t>(np), 0);
  for (std::size_t k = 1; k < state.size(); ++k) {
    if (!state[k]) continue;
    const std::size_t g = static_cast<std::size_t>(key_preg[k]);
    ++n[g];
    if (state[k] & 2) ++hit[g];
  }
}

// Keys compared by identity (the glue passes R's cached string pointers, or
// integers), hashed by open addressing. Each slot holds its key and value,
// so a probe reads one slot; the table doubles when half full.
inline std::uint64_t key_bits(const void* k) {
  return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(k));
}
inline std::uint64_t key_bits(int k) {
  return static_cast<std::uint64_t>(static_cast<std::uint32_t>(k));
}
inline std::uint64_t key_bits(long long k) { return static_cast<std::uint64_t>(k); }

// A key's 64-bit hash, mixed so that both its low bits (the slot) and its
// high bits (PositionIndex's 32-bit check) spread.
template <class Key>
std::uint64_t key_hash(Key k) {
  std::uint64_t h = key_bits(k);
  h ^= h >> 29;
  h *= 0x9E3779B97F4A7C15ULL;
  h ^= h >> 32;
  h *= 0xBF58476D1CE4E5B9ULL;
  return h ^ (h >> 31);
}

template <class Key>
class KeyIndex {
 public:
  explicit KeyIndex(std::size_t expected = 0) { reserve(expected); }

  // A hint that k will be looked up or inserted soon: its slot is fetched
  // into the cache (large tables are bound by memory latency).
  void prefetch(Key k) const {
#if defined(__GNUC__) || defined(__clang__)
    if (!slots_.empty()) __builtin_prefetch(&slots_[slot_of(k)]);
#else
    (void)k;
#endif
  }

  // The value stored for k, or -1.
  int find(Key k) const {
    std::size_t h = slot_of(k);
    while (slots_[h].value >= 0) {
      if (slots_[h].key == k) return slots_[h].value;
      h = (h + 1) & mask_;
    }
    return -1;
  }

  // The value stored for k; when k is new, v is stored and inserted is set.
  int insert(Key k, int v, bool& inserted) {
    if (2 * (size_ + 1) > slots_.size()) reserve(size_ + 1);
    std::size_t h = slot_of(k);
    while (slots_[h].value >= 0) {
      if (slots_[h].key == k) {
        inserted = false;
        return slots_[h].value;
      }
      h = (h + 1) & mask_;
    }
    slots_[h] = Slot{k, v};
    ++size_;
    inserted = true;
    return v;
  }

 private:
  struct Slot {
    Key key;
    int value;
  };
  std::vector<Slot> slots_;
  std::size_t mask_ = 0, size_ = 0;

  std::size_t slot_of(Key k) const { return static_cast<std::size_t>(key_hash(k)) & mask_; }

  void reserve(std::size_t n) {
    std::size_t cap = 16;
    while (cap < 2 * n) cap <<= 1;
    if (cap <= slots_.size()) return;
    std::vector<Slot> old(cap, Slot{Key(), -1});
    old.swap(slots_);
    mask_ = cap - 1;
    for (const Slot& s : old) {
      if (s.value < 0) continue;
      std::size_t h = slot_of(s.key);
      while (slots_[h].value >= 0) h = (h + 1) & mask_;
      slots_[h] = s;
    }
  }
};

// An index of the positions 1..n of a keyed sequence, for match_keys():
// open addressing over 8-byte slots, each a position and 32 bits of its
// key's hash, filled at most three quarters. A slot's key is read back from
// the sequence (key_at(position)) only when the hash bits agree, so a table
// of millions of keys costs a quarter of KeyIndex's 16-byte slots at half
// load. The number of positions is fixed when it is made.
template <class Key>
class PositionIndex {
 public:
  explicit PositionIndex(std::size_t n) {
    std::size_t cap = 16;
    while (cap / 4 * 3 < n) cap <<= 1;
    slots_.assign(cap, 0);
    mask_ = cap - 1;
  }

  void prefetch(Key k) const {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(&slots_[static_cast<std::size_t>(hash(k)) & mask_]);
#else
    (void)k;
#endif
  }

  // The position stored for k (key_at(p) == k), or 0.
  template <class KeyAt>
  int find(Key k, KeyAt key_at) const {
    const std::uint64_t h = hash(k);
    const std::uint64_t tag = h >> 32;
    for (std::size_t i = static_cast<std::size_t>(h) & mask_;; i = (i + 1) & mask_) {
      const std::uint64_t s = slots_[i];
      if (!s) return 0;
      const int p = static_cast<int>(s & 0xFFFFFFFFu);
      if ((s >> 32) == tag && key_at(p) == k) return p;
    }
  }

  // The position stored for k; when k is new, p is stored and inserted set.
  template <class KeyAt>
  int insert(Key k, int p, KeyAt key_at, bool& inserted) {
    const std::uint64_t h = hash(k);
    const std::uint64_t tag = h >> 32;
    std::size_t i = static_cast<std::size_t>(h) & mask_;
    for (;; i = (i + 1) & mask_) {
      const std::uint64_t s = slots_[i];
      if (!s) break;
      const int q = static_cast<int>(s & 0xFFFFFFFFu);
      if ((s >> 32) == tag && key_at(q) == k) {
        inserted = false;
        return q;
      }
    }
    if (++size_ > slots_.size() / 4 * 3) throw std::length_error("PositionIndex is full");
    slots_[i] = (tag << 32) | static_cast<std::uint32_t>(p);
    inserted = true;
    return p;
  }

 private:
  std::vector<std::uint64_t> slots_;
  std::size_t mask_ = 0, size_ = 0;

  static std::uint64_t hash(Key k) { return key_hash(k); }
};

// match() for keys compared by identity: for each key of x, the first
// position (1-based) of an equal key in table, `none` when none, written to
// index[0..nx); and whether table repeats a key (table_unique). x_at(i) and
// table_at(i) give the keys. plain(k) says whether k may be compared by
// identity (the glue: a string without an encoding mark); it is asked for
// each distinct key of table and for each key of x not found there (a key
// found is one of table's), and false from it ends the match with false
// returned (index then partly written). A key equal to the previous key of
// x reuses its answer (contacts and activities come grouped), and when
// table has no repeats a key equal to the table's key after the previous
// answer is that position (activities come in their contacts' order), so
// such input is mostly not looked up at all. Keys are prefetched a few
// positions ahead. The caller owns index (the glue passes an R vector's
// storage, so no second copy is made).
template <class XAt, class TAt, class Plain>
bool match_keys_into(std::size_t nx, XAt x_at, std::size_t nt, TAt table_at, Plain plain,
                     int* index, int none, bool& table_unique) {
  if (nt > static_cast<std::size_t>(std::numeric_limits<int>::max() / 2))
    throw std::length_error("table too long for integer positions");
  using Key = decltype(table_at(std::size_t(0)));
  constexpr std::size_t ahead = 16;
  auto key_at = [&table_at](int p) { return table_at(static_cast<std::size_t>(p) - 1); };
  PositionIndex<Key> pos(nt);
  table_unique = true;
  for (std::size_t i = 0; i < nt; ++i) {
    if (i + ahead < nt) pos.prefetch(table_at(i + ahead));
    const Key k = table_at(i);
    bool inserted = false;
    pos.insert(k, static_cast<int>(i) + 1, key_at, inserted);
    if (!inserted)
      table_unique = false;  // keeps the first position
    else if (!plain(k))
      return false;
  }
  int prev = 0;  // the previous key's position, 0 when none
  for (std::size_t i = 0; i < nx; ++i) {
    const Key k = x_at(i);
    int at = -1;
    if (i > 0) {
      if (k == x_at(i - 1)) {
        at = prev;
      } else if (table_unique && prev > 0 && static_cast<std::size_t>(prev) < nt &&
                 k == table_at(static_cast<std::size_t>(prev))) {
        at = prev + 1;
      }
    }
    if (at < 0) {
      if (i + ahead < nx) pos.prefetch(x_at(i + ahead));
      at = pos.find(k, key_at);
      if (!at && !plain(k)) return false;
    }
    prev = at;
    index[i] = at ? at : none;
  }
  return true;
}

struct KeyMatch {
  std::vector<int> index;
  bool table_unique = true;
};

// match_keys_into() into a vector, no match as 0.
template <class XAt, class TAt, class Plain>
bool match_keys(std::size_t nx, XAt x_at, std::size_t nt, TAt table_at, Plain plain,
                KeyMatch& out) {
  out.index.assign(nx, 0);
  return match_keys_into(nx, x_at, nt, table_at, plain, out.index.data(), 0, out.table_unique);
}

// match_keys() on vectors of keys that are all plain.
template <class Key>
KeyMatch match_keys(const std::vector<Key>& x, const std::vector<Key>& table) {
  KeyMatch out;
  match_keys(
      x.size(), [&x](std::size_t i) { return x[i]; }, table.size(),
      [&table](std::size_t i) { return table[i]; }, [](Key) { return true; }, out);
  return out;
}

// Dense codes of keys in order of first appearance: code[i] is 1..k (`none`
// for the missing key), written to code[0..n) (caller-owned, as for
// match_keys_into()), first[j] the 0-based position where code j + 1 first
// appears. plain() as for match_keys(), asked once per distinct key; false
// from it ends the coding with false returned.
struct KeyCodes {
  std::vector<int> code;
  std::vector<int> first;
};

template <class At, class Key, class Plain>
bool first_codes_into(std::size_t n, At at, Key missing, Plain plain, int* code, int none,
                      std::vector<int>& first) {
  if (n > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw std::length_error("too many keys for integer codes");
  constexpr std::size_t ahead = 16;
  KeyIndex<Key> index;
  first.clear();
  int prev = none;
  for (std::size_t i = 0; i < n; ++i) {
    if (i + ahead < n) index.prefetch(at(i + ahead));
    const Key k = at(i);
    if (i == 0 || !(k == at(i - 1))) {
      if (k == missing) {
        prev = none;
      } else {
        bool inserted = false;
        prev = index.insert(k, static_cast<int>(first.size()) + 1, inserted);
        if (inserted) {
          if (!plain(k)) return false;
          first.push_back(static_cast<int>(i));
        }
      }
    }
    code[i] = prev;
  }
  return true;
}

// first_codes_into() into out.code, the missing key as 0.
template <class At, class Key, class Plain>
bool first_codes(std::size_t n, At at, Key missing, Plain plain, KeyCodes& out) {
  out.code.assign(n, 0);
  return first_codes_into(n, at, missing, plain, out.code.data(), 0, out.first);
}

// Which asked (provider, professional, team) triples some activity row
// records, for the 'known midwife at birth' team memberships. The triples
// are positions among the distinct values asked about (1-based): asked_prov,
// asked_prof, asked_team, with n_prof and n_team values. Activity rows give
// contact (1-based into contact_prov, or na), prof and team (codes on their
// levels, 1-based, or na); contact_prov gives each contact's provider code.
// on_prov, on_prof, on_team map a level's code to its position among the
// asked values (na when not asked); a missing provider is position
// missing_prov. Returns 0/1 per asked triple.
template <class IntVec>
std::vector<int> recorded_triples(const IntVec& asked_prov, const IntVec& asked_prof,
                                  const IntVec& asked_team, int n_prof, int n_team,
                                  const IntVec& contact, const IntVec& prof, const IntVec& team,
                                  const IntVec& contact_prov, const IntVec& on_prov,
                                  const IntVec& on_prof, const IntVec& on_team, int missing_prov,
                                  int na) {
  const std::size_t nq = static_cast<std::size_t>(asked_prov.size());
  if (asked_prof.size() != asked_prov.size() || asked_team.size() != asked_prov.size())
    throw std::invalid_argument("asked triples differ in length");
  if (prof.size() != contact.size() || team.size() != contact.size())
    throw std::invalid_argument("activity columns differ in length");
  auto code = [n_prof, n_team](long long pv, long long pf, long long tm) {
    return (pv * (n_prof + 1LL) + pf) * (n_team + 1LL) + tm;
  };
  KeyIndex<long long> asked(nq);
  for (std::size_t q = 0; q < nq; ++q) {
    bool inserted = false;
    asked.insert(code(asked_prov[q], asked_prof[q], asked_team[q]), static_cast<int>(q), inserted);
  }
  std::vector<int> seen(nq, 0);
  const long long nc = static_cast<long long>(contact_prov.size());
  const long long nlp = static_cast<long long>(on_prov.size());
  const long long nlf = static_cast<long long>(on_prof.size());
  const long long nlt = static_cast<long long>(on_team.size());
  const std::size_t n = static_cast<std::size_t>(contact.size());
  for (std::size_t i = 0; i < n; ++i) {
    const int t = team[i], f = prof[i];
    if (t == na || f == na) continue;
    if (t < 1 || t > nlt || f < 1 || f > nlf)
      throw std::out_of_range("activity code out of range at row " + std::to_string(i + 1));
    const int tp = on_team[t - 1], fp = on_prof[f - 1];
    if (tp == na || fp == na) continue;
    const int c = contact[i];
    int pv = missing_prov;
    if (c != na) {
      if (c < 1 || c > nc) throw std::out_of_range("contact out of range");
      const int pc = contact_prov[c - 1];
      if (pc != na) {
        if (pc < 1 || pc > nlp) throw std::out_of_range("provider code out of range");
        pv = on_prov[pc - 1];
        if (pv == na) continue;
      }
    }
    const int q = asked.find(code(pv, fp, tp));
    if (q >= 0) seen[static_cast<std::size_t>(q)] = 1;
  }
  return seen;
}

// The antenatal and postnatal contacts continuity() keeps: contacts (rows)
// with a pregnancy (1-based, or na) dated (NaN missing) neither before the
// booking nor after the discharge (per pregnancy, NaN when unknown). For
// each row, pos is its position among the kept rows (1-based) or `none`;
// no_preg lists the rows without a pregnancy (1-based). Per kept row, in
// row order: kept (its row, 1-based), preg, date (the day number truncated
// to an integer as R's as.integer() does, na outside the integers) and
// phase (postnatal from the birth date on, antenatal before or without
// one). Counts: among rows with a pregnancy, no date, early, late (a row
// can be both), and kept rows dated on the day of birth.
//
// screen_contacts_into() counts the rows first, then asks alloc(n_rows,
// n_no_preg, n_kept) for the storage (a ContactScreenOut: the glue hands out
// R vectors', so the results are written once, where R reads them) and
// fills it.
struct ContactScreenCounts {
  std::size_t no_preg_rows = 0, kept_rows = 0;
  long long no_date = 0, early = 0, late = 0, birth_day = 0;
};

struct ContactScreenOut {
  int *pos, *no_preg, *kept, *preg, *date, *phase;
};

template <class IntVec, class DblVec, class Alloc>
ContactScreenCounts screen_contacts_into(const IntVec& preg, const DblVec& date,
                                         const DblVec& booking, const DblVec& discharge,
                                         const DblVec& birth, int na, int none, int antenatal,
                                         int postnatal, Alloc alloc) {
  const std::size_t n = static_cast<std::size_t>(preg.size());
  const long long np = static_cast<long long>(booking.size());
  if (static_cast<std::size_t>(date.size()) != n)
    throw std::invalid_argument("contact columns differ in length");
  if (discharge.size() != booking.size() || birth.size() != booking.size())
    throw std::invalid_argument("pregnancy columns differ in length");
  enum Status { kNoPreg, kNoDate, kOut, kKept };
  ContactScreenCounts c;
  // the row's status; the counts only when `count`
  auto status = [&](std::size_t i, bool count) {
    const int g1 = preg[i];
    if (g1 == na) return kNoPreg;
    if (g1 < 1 || g1 > np) throw std::out_of_range("pregnancy code out of range");
    const std::size_t g = static_cast<std::size_t>(g1 - 1);
    const double d = date[i];
    if (std::isnan(d)) {
      c.no_date += count;
      return kNoDate;
    }
    const bool early = !std::isnan(booking[g]) && d < booking[g];
    const bool late = !std::isnan(discharge[g]) && d > discharge[g];
    if (count) {
      c.early += early;
      c.late += late;
    }
    return early || late ? kOut : kKept;
  };
  for (std::size_t i = 0; i < n; ++i) {
    const Status st = status(i, true);
    c.no_preg_rows += st == kNoPreg;
    c.kept_rows += st == kKept;
  }
  if (c.kept_rows > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw std::length_error("too many contacts for integer positions");
  const ContactScreenOut out = alloc(n, c.no_preg_rows, c.kept_rows);
  std::size_t k = 0, u = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const Status st = status(i, false);
    if (st != kKept) {
      out.pos[i] = none;
      if (st == kNoPreg) out.no_preg[u++] = static_cast<int>(i + 1);
      continue;
    }
    const int g1 = preg[i];
    const double d = date[i];
    out.pos[i] = static_cast<int>(k + 1);
    out.kept[k] = static_cast<int>(i + 1);
    out.preg[k] = g1;
    const double t = std::trunc(d);
    out.date[k] = t >= -2147483647.0 && t <= 2147483647.0 ? static_cast<int>(t) : na;
    const double b = birth[static_cast<std::size_t>(g1 - 1)];
    const bool post = !std::isnan(b) && d >= b;
    c.birth_day += !std::isnan(b) && d == b;
    out.phase[k] = post ? postnatal : antenatal;
    ++k;
  }
  return c;
}

// screen_contacts_into() into vectors, pos 0 for a row not kept.
struct ContactScreen {
  std::vector<int> pos, no_preg, kept, preg, date, phase;
  long long no_date = 0, early = 0, late = 0, birth_day = 0;
};

template <class IntVec, class DblVec>
ContactScreen screen_contacts(const IntVec& preg, const DblVec& date, const DblVec& booking,
                              const DblVec& discharge, const DblVec& birth, int na,
                              int antenatal, int postnatal) {
  ContactScreen out;
  const ContactScreenCounts c = screen_contacts_into(
      preg, date, booking, discharge, birth, na, 0, antenatal, postnatal,
      [&out](std::size_t n, std::size_t n_no_preg, std::size_t n_kept) {
        out.pos.resize(n);
        out.no_preg.resize(n_no_preg);
        for (std::vector<int>* v : {&out.kept, &out.preg, &out.date, &out.phase}) v->resize(n_kept);
        return ContactScreenOut{out.pos.data(),  out.no_preg.data(), out.kept.data(),
                                out.preg.data(), out.date.data(),    out.phase.data()};
      });
  out.no_date = c.no_date;
  out.early = c.early;
  out.late = c.late;
  out.birth_day = c.birth_day;
  return out;
}

// The activity rows continuity() hands to continuity_indices(), assembled
// from two levels without materialising them in R. Integer codes are
// 1-based with `na` for missing.
//
// Block A, the antenatal and postnatal contacts: MSD201 rows (contacts) and
// MSD202 rows (activities). cc_pos maps a contact row to its position among
// the kept contacts (or na: not kept); kept_row maps a kept contact back to
// its contact row; per kept contact: preg (1..n_preg), date, time (na when
// unknown), code (the contact code), phase; per contact row: prov,
// attended (0/1). Per activity: contact (its contact row, or na), prof,
// team. Block A's rows are the activities of kept contacts in activity
// order, then one row (no professional, no team) per kept contact with no
// activity, in kept order.
//
// Block B, the intrapartum rows (each its own contact): preg, date, time,
// code, phase, prof, team, prov, staff.
//
// staff: the status of a block-A row comes from its (provider,
// professional) pair, looked up among pair_prov, pair_prof (na allowed) and
// pair_staff (activity_pairs() lists the pairs). The options drop block-A
// rows of unattended contacts (attended_only) and rows whose status is
// `other_staff` (midwifery_only). The carer is the professional or the
// team, qualified by provider: dense codes 0.. in order of first appearance
// over the rows, -1 when missing; carer_who holds each code's professional
// or team. named_mw and named_team flags are set as named_flags() sets them
// from the per-pregnancy codes.
template <class IntVec>
struct ActivityBlocks {
  const IntVec *cc_pos, *kept_row, *c_preg, *c_date, *c_time, *c_code, *c_phase;
  const IntVec *cc_prov, *cc_attended, *a_contact, *a_prof, *a_team;
  const IntVec *b_preg, *b_date, *b_time, *b_code, *b_phase, *b_prof, *b_team, *b_prov,
      *b_staff;
  const IntVec *pair_prov, *pair_prof, *pair_staff;
  const IntVec *named_mw, *named_team, *named_prov, *named_prov_given;
};

struct RowOptions {
  bool attended_only = true, midwifery_only = true, carer_team = false;
  int other_staff = 3, unknown_staff = 1, n_codes = 0, na = -1;
};

// The kernel's columns (preg 0-based, a missing time as INT_MAX) and the
// exclusion counts: kept contacts not attended (when attended_only), rows
// dropped as non-midwifery and contacts left with no midwifery row (when
// midwifery_only), rows with a professional of unknown status, and contacts
// with rows but no carer.
struct AssembledRows {
  std::vector<int> preg, date, time, contact, carer, phase, mw, tm, carer_who;
  long long not_attended = 0, other_rows = 0, no_midwifery = 0, unknown_staff = 0,
            no_carer = 0;
};

namespace detail {
inline long long pair_key(int prov, int who, int na) {
  const long long pv = prov == na ? 0 : static_cast<long long>(prov);
  const long long w = who == na ? 0 : static_cast<long long>(who);
  return (pv << 32) | w;
}
inline int checked_code(int v, int na, long long n, const char* what) {
  if (v == na) return v;
  if (v < 1 || v > n) throw std::out_of_range(std::string(what) + " code out of range");
  return v;
}
}  // namespace detail

// Block A's rows in their order: f(k, r, i) for each activity of a kept
// contact in activity order, then f(k, r, none) for each kept contact with
// no activity, in kept order; k is the kept contact, r its contact row and i
// the activity, all 0-based. Returns the number of contacts with no
// activity.
constexpr std::size_t no_activity = static_cast<std::size_t>(-1);

template <class IntVec, class F>
long long visit_activity_rows(const IntVec& cc_pos, const IntVec& kept_row,
                              const IntVec& a_contact, int na, F f) {
  const long long n_cc = static_cast<long long>(cc_pos.size());
  const std::size_t n_kept = static_cast<std::size_t>(kept_row.size());
  std::vector<unsigned char> has(n_kept, 0);
  const std::size_t n = static_cast<std::size_t>(a_contact.size());
  for (std::size_t i = 0; i < n; ++i) {
    const int r = detail::checked_code(a_contact[i], na, n_cc, "activity contact");
    if (r == na) continue;
    const int k = cc_pos[r - 1];
    if (k == na) continue;
    if (k < 1 || static_cast<std::size_t>(k) > n_kept)
      throw std::out_of_range("kept contact out of range");
    has[k - 1] = 1;
    f(static_cast<std::size_t>(k - 1), static_cast<std::size_t>(r - 1), i);
  }
  long long n_none = 0;
  for (std::size_t k = 0; k < n_kept; ++k) {
    if (has[k]) continue;
    ++n_none;
    const int r = detail::checked_code(kept_row[k], na, n_cc, "kept contact row");
    if (r == na) throw std::out_of_range("kept contact row missing");
    f(k, static_cast<std::size_t>(r - 1), no_activity);
  }
  return n_none;
}

// The distinct (provider, professional) pairs of block A's rows in order of
// first appearance (a kept contact with no activity has professional na),
// for their staff status; n_none counts the kept contacts with no activity.
// With rows, also each row's kept contact (row_contact, 1-based), activity
// (row_activity, 1-based, na for none) and pair (row_pair, 1-based), for
// building the rows elsewhere.
struct ActivityPairs {
  std::vector<int> prov, prof, row_contact, row_activity, row_pair;
  long long n_none = 0;
};

template <class IntVec>
ActivityPairs activity_pairs(const IntVec& cc_pos, const IntVec& kept_row, const IntVec& cc_prov,
                             const IntVec& a_contact, const IntVec& a_prof, int na,
                             bool rows = false) {
  if (cc_prov.size() != cc_pos.size() || a_prof.size() != a_contact.size())
    throw std::invalid_argument("activity or contact columns differ in length");
  ActivityPairs out;
  KeyIndex<long long> seen;
  out.n_none = visit_activity_rows(cc_pos, kept_row, a_contact, na,
                                   [&](std::size_t k, std::size_t r, std::size_t i) {
    const int pv = cc_prov[r];
    const int pf = i == no_activity ? na : static_cast<int>(a_prof[i]);
    bool inserted = false;
    const int j = seen.insert(detail::pair_key(pv, pf, na), static_cast<int>(out.prov.size()),
                              inserted);
    if (inserted) {
      out.prov.push_back(pv);
      out.prof.push_back(pf);
    }
    if (rows) {
      out.row_contact.push_back(static_cast<int>(k) + 1);
      out.row_activity.push_back(i == no_activity ? na : static_cast<int>(i) + 1);
      out.row_pair.push_back(j + 1);
    }
  });
  return out;
}

template <class IntVec>
AssembledRows assemble_activity_rows(const ActivityBlocks<IntVec>& x, const RowOptions& opt) {
  const int na = opt.na;
  const long long n_cc = static_cast<long long>(x.cc_pos->size());
  const std::size_t n_kept = static_cast<std::size_t>(x.kept_row->size());
  const long long n_preg = static_cast<long long>(x.named_mw->size());
  for (const IntVec* v : {x.c_preg, x.c_date, x.c_time, x.c_code, x.c_phase})
    if (static_cast<std::size_t>(v->size()) != n_kept)
      throw std::invalid_argument("kept contact columns differ in length");
  if (x.cc_prov->size() != x.cc_pos->size() || x.cc_attended->size() != x.cc_pos->size() ||
      x.a_prof->size() != x.a_contact->size() || x.a_team->size() != x.a_contact->size())
    throw std::invalid_argument("activity or contact columns differ in length");
  const std::size_t nb = static_cast<std::size_t>(x.b_preg->size());
  for (const IntVec* v : {x.b_date, x.b_time, x.b_code, x.b_phase, x.b_prof, x.b_team, x.b_prov,
                          x.b_staff})
    if (static_cast<std::size_t>(v->size()) != nb)
      throw std::invalid_argument("intrapartum columns differ in length");
  if (x.pair_prof->size() != x.pair_prov->size() || x.pair_staff->size() != x.pair_prov->size())
    throw std::invalid_argument("pair columns differ in length");
  if (x.named_team->size() != x.named_mw->size() || x.named_prov->size() != x.named_mw->size() ||
      x.named_prov_given->size() != x.named_mw->size())
    throw std::invalid_argument("pregnancy columns differ in length");

  KeyIndex<long long> pairs(static_cast<std::size_t>(x.pair_prov->size()));
  for (std::size_t j = 0; j < static_cast<std::size_t>(x.pair_prov->size()); ++j) {
    bool inserted = false;
    pairs.insert(detail::pair_key((*x.pair_prov)[j], (*x.pair_prof)[j], na), static_cast<int>(j),
                 inserted);
  }
  auto staff_of = [&](int pv, int pf) {
    const int j = pairs.find(detail::pair_key(pv, pf, na));
    if (j < 0) throw std::out_of_range("a (provider, professional) pair is not among the pairs");
    return static_cast<int>((*x.pair_staff)[j]);
  };

  AssembledRows out;
  const std::size_t n_codes = static_cast<std::size_t>(opt.n_codes);
  // per contact code: 1 has a non-other row, 2 has an other row; 4 has a
  // row, 8 has a row with a carer
  std::vector<unsigned char> state(n_codes + 1, 0);
  KeyIndex<long long> carers;
  auto push = [&](int g1, int date, int time, int code, int phase, int prof, int team, int prov,
                  int staff) {
    if (code < 1 || static_cast<std::size_t>(code) > n_codes)
      throw std::out_of_range("contact code out of range");
    const bool other = staff == opt.other_staff;
    state[code] |= other ? 2 : 1;
    if (opt.midwifery_only && other) {
      ++out.other_rows;
      return;
    }
    const long long g = static_cast<long long>(g1) - 1;
    if (g < 0 || g >= n_preg) throw std::out_of_range("pregnancy code out of range");
    out.unknown_staff += prof != na && staff == opt.unknown_staff;
    const int who = opt.carer_team ? team : prof;
    int c = -1;
    state[code] |= 4;
    if (who != na) {
      state[code] |= 8;
      bool inserted = false;
      c = carers.insert(detail::pair_key(prov, who, na), static_cast<int>(out.carer_who.size()),
                        inserted);
      if (inserted) out.carer_who.push_back(who);
    }
    int mw = 0, tmf = 0;
    if (!(prov != na && (*x.named_prov_given)[g] && prov != (*x.named_prov)[g])) {
      mw = prof != na && prof == (*x.named_mw)[g];
      tmf = team != na && team == (*x.named_team)[g];
    }
    out.preg.push_back(static_cast<int>(g));
    out.date.push_back(date);
    out.time.push_back(time == na ? std::numeric_limits<int>::max() : time);
    out.contact.push_back(code);
    out.carer.push_back(c);
    out.phase.push_back(phase);
    out.mw.push_back(mw);
    out.tm.push_back(tmf);
  };

  const std::size_t na_rows = static_cast<std::size_t>(x.a_contact->size());
  // at most one row per activity, per kept contact and per intrapartum row
  // (pages are touched only as rows are written)
  for (auto* v : {&out.preg, &out.date, &out.time, &out.contact, &out.carer, &out.phase, &out.mw,
                  &out.tm})
    v->reserve(na_rows + n_kept + nb);
  for (std::size_t k = 0; k < n_kept; ++k) {
    const int r = detail::checked_code((*x.kept_row)[k], na, n_cc, "kept contact row");
    out.not_attended += opt.attended_only && (*x.cc_attended)[r - 1] != 1;
  }
  visit_activity_rows(*x.cc_pos, *x.kept_row, *x.a_contact, na,
                      [&](std::size_t k, std::size_t r, std::size_t i) {
    if (opt.attended_only && (*x.cc_attended)[r] != 1) return;
    const int pv = (*x.cc_prov)[r];
    const bool none = i == no_activity;
    const int pf = none ? na : static_cast<int>((*x.a_prof)[i]);
    push((*x.c_preg)[k], (*x.c_date)[k], (*x.c_time)[k], (*x.c_code)[k], (*x.c_phase)[k], pf,
         none ? na : static_cast<int>((*x.a_team)[i]), pv, staff_of(pv, pf));
  });
  for (std::size_t i = 0; i < nb; ++i)
    push((*x.b_preg)[i], (*x.b_date)[i], (*x.b_time)[i], (*x.b_code)[i], (*x.b_phase)[i],
         (*x.b_prof)[i], (*x.b_team)[i], (*x.b_prov)[i], (*x.b_staff)[i]);
  for (std::size_t c = 1; c <= n_codes; ++c) {
    const unsigned char s = state[c];
    out.no_midwifery += opt.midwifery_only && (s & 2) && !(s & 1);
    out.no_carer += (s & 4) && !(s & 8);
  }
  return out;
}

}  // namespace matequity
