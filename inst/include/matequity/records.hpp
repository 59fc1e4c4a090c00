// matequity: records across monthly submissions.
//
// An MSDS extract holds every monthly submission of a record. The door
// (as_msds()) keeps, per record key, the row of the latest submission, places
// child rows in their parent's retained submission and removes exact repeats
// of child rows. Rows are hashed on their columns as stored (or on integer
// codes made by the caller), so no key is ever pasted into text:
//
//   latest_per_key()   the latest row of each key under an ordering of
//                      columns, each descending, missing as the oldest
//   Column, RowIndex   columns of ints, doubles or interned strings, and a
//                      hash of whole rows over them
//   row_codes()        codes of rows (the position of the first equal row)
//   place_rows()       for each row of a child table, the parent row with the
//                      same values, rows flagged as retained first
//   place_in_parent()  whether each child row belongs to a retained parent
//                      submission, over a sequence of keys
//   orphan_rows()      child rows whose key no parent row has
//   duplicated_rows()  rows repeating an earlier row in every column
//   distinct_values()  unique() and match(x, unique(x)) of one column
//   all_whole(), count_missing()  one-pass column checks of the type
//                      conversion

#pragma once

#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace matequity {
namespace records {

// A missing code (R's NA_INTEGER).
constexpr int kMissing = INT_MIN;

// An ordering column: doubles (NaN missing) or integers (kMissing missing),
// exactly one of the two pointers set. A larger value is the later record.
struct OrderColumn {
  const double* d = nullptr;
  const int* i = nullptr;
  bool missing(std::size_t r) const { return d ? std::isnan(d[r]) : i[r] == kMissing; }
  double value(std::size_t r) const { return d ? d[r] : static_cast<double>(i[r]); }
};

// > 0 when row a is later than row b, < 0 when earlier, 0 when they tie on
// every ordering column (two missing values tie; a missing value is earlier
// than any value).
inline int compare_rows(const std::vector<OrderColumn>& order, std::size_t a, std::size_t b) {
  for (const OrderColumn& c : order) {
    const bool ma = c.missing(a), mb = c.missing(b);
    if (ma && mb) continue;
    if (ma) return -1;
    if (mb) return 1;
    const double va = c.value(a), vb = c.value(b);
    if (va > vb) return 1;
    if (va < vb) return -1;
  }
  return 0;
}

struct Latest {
  std::vector<unsigned char> keep;  // in input order
  long long superseded = 0;         // rows older than their key's latest
  long long tied = 0;               // rows tying the latest and not kept
};

// The latest row of each key. `key` holds n codes in 1..n_codes (equal keys,
// equal codes). Within a key the latest row is the one ordered first by the
// ordering columns in turn, each descending, missing values last; among
// rows tying it on every column the first in input order stands for the key
// (drop_ties = false: the others are `tied`), or, with drop_ties, every row
// of the tie is left out and counted as `tied` (an ambiguous record). A
// missing ordering value never drops a row by itself: a key whose rows all
// lack it keeps one.
inline Latest latest_per_key(const int* key, std::size_t n, int n_codes,
                             const std::vector<OrderColumn>& order, bool drop_ties) {
  Latest out;
  out.keep.assign(n, 1);
  if (!n) return out;
  if (n_codes < 1) throw std::invalid_argument("latest_per_key(): n_codes must be positive");
  std::vector<long long> best(static_cast<std::size_t>(n_codes), -1);
  for (std::size_t r = 0; r < n; ++r) {
    const int k = key[r];
    if (k < 1 || k > n_codes) {
      throw std::out_of_range("latest_per_key(): a key code is outside 1..n_codes");
    }
    long long& b = best[static_cast<std::size_t>(k - 1)];
    if (b < 0 || compare_rows(order, r, static_cast<std::size_t>(b)) > 0) b = static_cast<long long>(r);
  }
  std::vector<unsigned char> ambiguous;
  if (drop_ties) ambiguous.assign(static_cast<std::size_t>(n_codes), 0);
  for (std::size_t r = 0; r < n; ++r) {
    const std::size_t k = static_cast<std::size_t>(key[r] - 1);
    const std::size_t b = static_cast<std::size_t>(best[k]);
    if (r == b) continue;
    if (compare_rows(order, r, b) == 0) {
      out.keep[r] = 0;
      ++out.tied;
      if (drop_ties) ambiguous[k] = 1;
    } else {
      out.keep[r] = 0;
      ++out.superseded;
    }
  }
  if (drop_ties) {
    for (int k = 0; k < n_codes; ++k) {
      if (!ambiguous[static_cast<std::size_t>(k)]) continue;
      out.keep[static_cast<std::size_t>(best[static_cast<std::size_t>(k)])] = 0;
      ++out.tied;
    }
  }
  return out;
}

// A column as the engine reads it, without R types: 32-bit integers
// (kMissing missing), doubles (NaN missing; NA and other NaNs are distinct
// values, -0 equals 0, as R's match() has them), or opaque pointers to
// interned strings (equal strings, equal pointers; `na` is the missing one).
struct Column {
  enum Kind { kInt, kReal, kPtr };
  Kind kind = kInt;
  const void* data = nullptr;
  const void* na = nullptr;  // kPtr: the missing string
  // kPtr, optional: whether a string may be compared by identity (equal
  // text, one pointer: the glue asks for an encoding mark). The hashes
  // below ask it of each string of a row they store and of a row they fail
  // to find (a row found has the stored row's strings), and throw NotPlain
  // at the first `false`, for the caller to code the column instead.
  bool (*plain)(const void*) = nullptr;
  bool plain_at(std::size_t r) const {
    if (kind != kPtr || !plain) return true;
    const void* p = static_cast<const void* const*>(data)[r];
    return p == na || plain(p);
  }
  // a canonical 64-bit word: equal values, equal words
  std::uint64_t word(std::size_t r) const {
    switch (kind) {
      case kInt:
        return static_cast<std::uint32_t>(static_cast<const int*>(data)[r]);
      case kReal: {
        double v = static_cast<const double*>(data)[r];
        if (v == 0.0) v = 0.0;
        std::uint64_t w;
        std::memcpy(&w, &v, sizeof w);
        if (std::isnan(v)) {
          // R's NA is the NaN whose low word is 1954; every other NaN is NaN
          const bool is_na = static_cast<std::uint32_t>(w) == 1954U;
          return is_na ? 0x7ff00000000007a2ULL : 0x7ff8000000000000ULL;
        }
        return w;
      }
      case kPtr:
        return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(static_cast<const void* const*>(data)[r]));
    }
    return 0;
  }
  // a hint that row r's value will be read soon
  void prefetch(std::size_t r) const {
#if defined(__GNUC__) || defined(__clang__)
    switch (kind) {
      case kInt: __builtin_prefetch(static_cast<const int*>(data) + r); break;
      case kReal: __builtin_prefetch(static_cast<const double*>(data) + r); break;
      case kPtr: __builtin_prefetch(static_cast<const void* const*>(data) + r); break;
    }
#else
    (void)r;
#endif
  }
  bool missing(std::size_t r) const {
    switch (kind) {
      case kInt: return static_cast<const int*>(data)[r] == kMissing;
      case kReal: return std::isnan(static_cast<const double*>(data)[r]);
      case kPtr: return static_cast<const void* const*>(data)[r] == na;
    }
    return false;
  }
};

// A string of a row the hash stores or fails to find is not plain.
struct NotPlain : std::runtime_error {
  NotPlain() : std::runtime_error("a string cannot be compared by identity") {}
};

inline void require_plain(const std::vector<Column>& cols, std::size_t r) {
  for (const Column& c : cols) if (!c.plain_at(r)) throw NotPlain();
}

inline std::uint64_t mix64(std::uint64_t k) {
  k ^= k >> 30;
  k *= 0xbf58476d1ce4e5b9ULL;
  k ^= k >> 27;
  k *= 0x94d049bb133111ebULL;
  k ^= k >> 31;
  return k;
}

// Open-addressing hash of the rows of a set of columns: rows with equal
// values in every column share one slot, holding the first row inserted.
// A table of millions of rows is bound by memory latency (a slot, then the
// stored row's values to compare), so the bulk loops below (for_rows())
// hash rows ahead of use and prefetch first their slot, then the values of
// the row the slot holds.
class RowIndex {
 public:
  RowIndex(const std::vector<Column>& cols, std::size_t expected) : cols_(cols) {
    if (expected > static_cast<std::size_t>(INT_MAX)) throw std::length_error("RowIndex: too many rows");
    std::size_t cap = 16;
    while (cap < 2 * expected + 2) cap <<= 1;
    slots_.assign(cap, Slot{-1, 0});
    mask_ = cap - 1;
  }
  static std::uint64_t hash_row(const std::vector<Column>& cols, std::size_t r) {
    std::uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (const Column& c : cols) h = mix64(h ^ c.word(r));
    return h;
  }
  void prefetch_slot(std::uint64_t h) const {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(&slots_[static_cast<std::size_t>(h) & mask_]);
#else
    (void)h;
#endif
  }
  // the values of the row in h's home slot, when its tag agrees
  void prefetch_candidate(std::uint64_t h) const {
    const Slot& x = slots_[static_cast<std::size_t>(h) & mask_];
    if (x.row < 0 || x.tag != static_cast<std::uint32_t>(h >> 32)) return;
    for (const Column& c : cols_) c.prefetch(static_cast<std::size_t>(x.row));
  }
  // The first row equal to row r (of hash h), inserting r if there is none.
  long long insert(std::size_t r, std::uint64_t h) {
    const std::uint32_t tag = static_cast<std::uint32_t>(h >> 32);
    std::size_t s = static_cast<std::size_t>(h) & mask_;
    while (slots_[s].row >= 0) {
      const Slot& x = slots_[s];
      if (x.tag == tag && equal(cols_, r, static_cast<std::size_t>(x.row))) return x.row;
      s = (s + 1) & mask_;
    }
    slots_[s] = Slot{static_cast<std::int32_t>(r), tag};
    return static_cast<long long>(r);
  }
  // The stored row equal to row r (of hash h) of `other` (the same columns
  // of another table, of the same kinds), or -1.
  long long find(const std::vector<Column>& other, std::size_t r, std::uint64_t h) const {
    const std::uint32_t tag = static_cast<std::uint32_t>(h >> 32);
    std::size_t s = static_cast<std::size_t>(h) & mask_;
    while (slots_[s].row >= 0) {
      const Slot& x = slots_[s];
      if (x.tag == tag && equal_to(other, r, static_cast<std::size_t>(x.row))) return x.row;
      s = (s + 1) & mask_;
    }
    return -1;
  }

 private:
  static bool equal(const std::vector<Column>& cols, std::size_t a, std::size_t b) {
    for (const Column& c : cols) if (c.word(a) != c.word(b)) return false;
    return true;
  }
  bool equal_to(const std::vector<Column>& other, std::size_t a, std::size_t b) const {
    for (std::size_t j = 0; j < cols_.size(); ++j) if (other[j].word(a) != cols_[j].word(b)) return false;
    return true;
  }
  const std::vector<Column>& cols_;
  // a slot: the row (-1 empty) and the high half of its hash, side by side
  // so that a probe touches one cache line
  struct Slot {
    std::int32_t row;
    std::uint32_t tag;
  };
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
};

// Calls f(k, row_of(k), h) for k = 0..len-1 in order, h the hash of that
// row of `cols` (rows indexed by row_of()); meanwhile each row's slot in
// `idx` is prefetched `2 * kAhead` calls ahead and the values of the row
// it holds `kAhead` ahead. The order of the calls is the plain loop's, so
// results are the same; only the memory waits overlap.
template <class RowOf, class F>
void for_rows(const RowIndex& idx, const std::vector<Column>& cols, std::size_t len, RowOf row_of,
              F f) {
  constexpr std::size_t kAhead = 8, kRing = 2 * kAhead;  // kRing a power of 2
  std::uint64_t ring[kRing];
  const std::size_t lead = len < kRing ? len : kRing;
  for (std::size_t k = 0; k < lead; ++k) {
    ring[k] = RowIndex::hash_row(cols, row_of(k));
    idx.prefetch_slot(ring[k]);
  }
  for (std::size_t k = 0; k < len; ++k) {
    const std::uint64_t h = ring[k & (kRing - 1)];
    if (k + kAhead < len) idx.prefetch_candidate(ring[(k + kAhead) & (kRing - 1)]);
    const std::size_t r = row_of(k);
    f(k, r, h);
    if (k + kRing < len) {
      const std::uint64_t hn = RowIndex::hash_row(cols, row_of(k + kRing));
      ring[k & (kRing - 1)] = hn;
      idx.prefetch_slot(hn);
    }
  }
}

// Rows (0-based, m of them, when not null) must lie in 0..n-1.
inline void check_rows(const int* rows, std::size_t m, std::size_t n, const char* what) {
  if (!rows) return;
  for (std::size_t k = 0; k < m; ++k) {
    if (rows[k] < 0 || static_cast<std::size_t>(rows[k]) >= n) {
      throw std::out_of_range(std::string(what) + ": a row is out of range");
    }
  }
}

// Codes of the rows of `cols` (n rows, or the rows `rows` when not null, m
// of them): the position (1-based, among the rows coded) of the first row
// with the same values in every column. Missing values are values.
inline std::vector<int> row_codes(const std::vector<Column>& cols, std::size_t n,
                                  const int* rows = nullptr, std::size_t m = 0) {
  if (cols.empty()) throw std::invalid_argument("row_codes(): no columns");
  const std::size_t len = rows ? m : n;
  if (len > static_cast<std::size_t>(INT_MAX)) throw std::length_error("row_codes(): too many rows");
  check_rows(rows, m, n, "row_codes()");
  std::vector<int> out(len);
  RowIndex idx(cols, len);
  if (!rows) {
    for_rows(idx, cols, n, [](std::size_t k) { return k; },
             [&](std::size_t k, std::size_t r, std::uint64_t h) {
               const long long f = idx.insert(r, h);
               if (f == static_cast<long long>(r)) require_plain(cols, r);
               out[k] = static_cast<int>(f + 1);
             });
    return out;
  }
  // positions among the subset: remember which subset position each row had
  std::vector<int> slot_pos(n, 0);
  for_rows(idx, cols, m, [rows](std::size_t k) { return static_cast<std::size_t>(rows[k]); },
           [&](std::size_t k, std::size_t r, std::uint64_t h) {
             const long long f = idx.insert(r, h);
             if (f == static_cast<long long>(r)) {
               require_plain(cols, r);
               slot_pos[r] = static_cast<int>(k + 1);
             }
             out[k] = slot_pos[static_cast<std::size_t>(f)];
           });
  return out;
}

// place_rows()'s checks and its index of the parent rows with no missing
// value, retained rows (parent_kept) inserted first, so each tuple's slot
// holds its first retained row, or its first row when none is retained.
inline bool any_missing(const std::vector<Column>& cols, std::size_t r) {
  for (const Column& c : cols) if (c.missing(r)) return true;
  return false;
}

inline void check_place(const std::vector<Column>& parent, const std::vector<Column>& child) {
  if (parent.empty() || parent.size() != child.size()) {
    throw std::invalid_argument("place_rows(): parent and child need the same, non-empty columns");
  }
  for (std::size_t j = 0; j < parent.size(); ++j) {
    if (parent[j].kind != child[j].kind) {
      throw std::invalid_argument("place_rows(): parent and child columns differ in kind");
    }
  }
}

inline void index_parent(RowIndex& idx, const std::vector<Column>& parent, std::size_t np,
                         const unsigned char* parent_kept) {
  std::vector<std::size_t> order;
  order.reserve(np);
  for (int pass = 1; pass >= 0; --pass) {
    for (std::size_t r = 0; r < np; ++r) {
      if ((parent_kept[r] != 0) != (pass == 1) || any_missing(parent, r)) continue;
      order.push_back(r);
    }
  }
  for_rows(idx, parent, order.size(), [&order](std::size_t k) { return order[k]; },
           [&](std::size_t, std::size_t r, std::uint64_t h) {
             if (idx.insert(r, h) == static_cast<long long>(r)) require_plain(parent, r);
           });
}

// The parent row equal to child row r (of hash h), or -1; a child row
// found nowhere must be plain (else equal text might have been missed).
inline long long find_child(const RowIndex& idx, const std::vector<Column>& child, std::size_t r,
                            std::uint64_t h) {
  const long long m = idx.find(child, r, h);
  if (m < 0) require_plain(child, r);
  return m;
}

// For each child row, the parent row (0-based) with the same values in
// every column, or -1 when a value of the child row is missing or no parent
// row matches. Parent and child columns are of the same kinds. When several
// parent rows match, the first retained one (parent_kept) in input order
// wins, else the first.
inline std::vector<long long> place_rows(const std::vector<Column>& parent, std::size_t np,
                                         const unsigned char* parent_kept,
                                         const std::vector<Column>& child, std::size_t nc) {
  check_place(parent, child);
  std::vector<long long> out(nc, -1);
  if (!np || !nc) return out;
  RowIndex idx(parent, np);
  index_parent(idx, parent, np, parent_kept);
  for_rows(idx, child, nc, [](std::size_t k) { return k; },
           [&](std::size_t, std::size_t r, std::uint64_t h) {
             if (!any_missing(child, r)) out[r] = find_child(idx, child, r, h);
           });
  return out;
}

// The child rows (0-based, ascending) with every value present that no
// parent row equals: orphan keys.
inline std::vector<std::size_t> orphan_rows(const std::vector<Column>& parent, std::size_t np,
                                            const std::vector<Column>& child, std::size_t nc) {
  const std::vector<unsigned char> all(np, 1);
  const std::vector<long long> m = place_rows(parent, np, all.data(), child, nc);
  std::vector<std::size_t> out;
  for (std::size_t r = 0; r < nc; ++r) {
    if (m[r] < 0 && !any_missing(child, r)) out.push_back(r);
  }
  return out;
}

// The rows of a child table in its parent's submissions, over a sequence of
// keys (passes: the parent's columns and the child's, as for place_rows()):
// each pass looks up the rows no earlier pass placed. A row placed on a
// retained parent row gets 1, on a superseded one 0; a row placed by no
// pass stays -1 (its record numbers are its own).
inline std::vector<signed char> place_in_parent(
    const std::vector<std::vector<Column>>& parent_keys, std::size_t np,
    const unsigned char* parent_kept, const std::vector<std::vector<Column>>& child_keys,
    std::size_t nc) {
  if (parent_keys.size() != child_keys.size()) {
    throw std::invalid_argument("place_in_parent(): parent and child need the same passes");
  }
  std::vector<signed char> state(nc, -1);
  std::vector<std::size_t> open(nc);
  for (std::size_t r = 0; r < nc; ++r) open[r] = r;
  for (std::size_t p = 0; p < parent_keys.size() && !open.empty() && np; ++p) {
    const std::vector<Column>& parent = parent_keys[p];
    const std::vector<Column>& child = child_keys[p];
    check_place(parent, child);
    RowIndex idx(parent, np);
    index_parent(idx, parent, np, parent_kept);
    for_rows(idx, child, open.size(), [&open](std::size_t k) { return open[k]; },
             [&](std::size_t, std::size_t r, std::uint64_t h) {
               if (any_missing(child, r)) return;
               const long long m = find_child(idx, child, r, h);
               if (m >= 0) state[r] = parent_kept[static_cast<std::size_t>(m)] ? 1 : 0;
             });
    std::size_t w = 0;
    for (std::size_t k = 0; k < open.size(); ++k) if (state[open[k]] < 0) open[w++] = open[k];
    open.resize(w);
  }
  return state;
}

// Whether each row (of n, or of the rows `rows`) repeats an earlier one in
// every column.
inline std::vector<unsigned char> duplicated_rows(const std::vector<Column>& cols, std::size_t n,
                                                  const int* rows = nullptr, std::size_t m = 0) {
  const std::size_t len = rows ? m : n;
  std::vector<unsigned char> out(len, 0);
  if (cols.empty()) throw std::invalid_argument("duplicated_rows(): no columns");
  check_rows(rows, m, n, "duplicated_rows()");
  RowIndex idx(cols, len);
  auto row_of = [rows](std::size_t k) { return rows ? static_cast<std::size_t>(rows[k]) : k; };
  for_rows(idx, cols, len, row_of, [&](std::size_t k, std::size_t r, std::uint64_t h) {
    if (idx.insert(r, h) != static_cast<long long>(r))
      out[k] = 1;
    else
      require_plain(cols, r);
  });
  return out;
}

// The distinct values of a column in order of first appearance (as R's
// unique()): `first` holds the row of each, and, when asked for, `code`
// each row's 1-based position among them (R's match(x, unique(x))). The
// hash grows with the distinct values, not with the rows, so a code column
// of millions of rows and a dozen codes touches a few cache lines.
struct Distinct {
  std::vector<std::size_t> first;
  std::vector<int> code;
};

inline Distinct distinct_values(const Column& col, std::size_t n, bool want_code) {
  if (n > static_cast<std::size_t>(INT_MAX)) throw std::length_error("distinct_values(): too many rows");
  Distinct out;
  if (want_code) out.code.resize(n);
  std::size_t cap = 16;
  std::vector<std::int64_t> slot(cap, -1);  // index into `first`, -1 empty
  std::vector<std::uint64_t> key(cap, 0);
  for (std::size_t r = 0; r < n; ++r) {
    const std::uint64_t w = col.word(r);
    std::size_t s = static_cast<std::size_t>(mix64(w)) & (cap - 1);
    while (slot[s] >= 0 && key[s] != w) s = (s + 1) & (cap - 1);
    if (slot[s] < 0) {
      slot[s] = static_cast<std::int64_t>(out.first.size());
      key[s] = w;
      out.first.push_back(r);
      if (2 * out.first.size() > cap) {  // grow: rehash the distinct values
        cap <<= 1;
        std::vector<std::int64_t> slot2(cap, -1);
        std::vector<std::uint64_t> key2(cap, 0);
        for (std::size_t u = 0; u < out.first.size(); ++u) {
          const std::uint64_t wu = col.word(out.first[u]);
          std::size_t t = static_cast<std::size_t>(mix64(wu)) & (cap - 1);
          while (slot2[t] >= 0) t = (t + 1) & (cap - 1);
          slot2[t] = static_cast<std::int64_t>(u);
          key2[t] = wu;
        }
        slot.swap(slot2);
        key.swap(key2);
        if (want_code) out.code[r] = static_cast<int>(out.first.size());
        continue;
      }
    }
    if (want_code) out.code[r] = static_cast<int>(slot[s] + 1);
  }
  return out;
}

// Whether every value that is not missing (NaN) is a whole number: the
// record-number check of a clean column, in one pass without the two
// column-length vectors that v != floor(v) makes.
inline bool all_whole(const double* v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isnan(v[i]) && v[i] != std::floor(v[i])) return false;
  }
  return true;
}

// How many values are missing: NaN (R's NA_real_ and NaN) for doubles.
inline std::size_t count_missing(const double* v, std::size_t n) {
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) k += std::isnan(v[i]) ? 1 : 0;
  return k;
}

// ... and kMissing for integers.
inline std::size_t count_missing(const int* v, std::size_t n) {
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) k += v[i] == kMissing ? 1 : 0;
  return k;
}

}  // namespace records
}  // namespace matequity
