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
  bool missing(std::size_t r) const {
    switch (kind) {
      case kInt: return static_cast<const int*>(data)[r] == kMissing;
      case kReal: return std::isnan(static_cast<const double*>(data)[r]);
      case kPtr: return static_cast<const void* const*>(data)[r] == na;
    }
    return false;
  }
};

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
class RowIndex {
 public:
  RowIndex(const std::vector<Column>& cols, std::size_t expected) : cols_(cols) {
    if (expected > static_cast<std::size_t>(INT_MAX)) throw std::length_error("RowIndex: too many rows");
    std::size_t cap = 16;
    while (cap < 2 * expected + 2) cap <<= 1;
    slots_.assign(cap, Slot{-1, 0});
    mask_ = cap - 1;
  }
  // The first row equal to row r, inserting r if there is none.
  long long insert(std::size_t r) {
    const std::uint64_t h = hash_row(cols_, r);
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
  // The stored row equal to row r of `other` (the same columns of another
  // table, of the same kinds), or -1.
  long long find(const std::vector<Column>& other, std::size_t r) const {
    const std::uint64_t h = hash_row(other, r);
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
  static std::uint64_t hash_row(const std::vector<Column>& cols, std::size_t r) {
    std::uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (const Column& c : cols) h = mix64(h ^ c.word(r));
    return h;
  }
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

// Codes of the rows of `cols` (n rows, or the rows `rows` when not null, m
// of them): the position (1-based, among the rows coded) of the first row
// with the same values in every column. Missing values are values.
inline std::vector<int> row_codes(const std::vector<Column>& cols, std::size_t n,
                                  const int* rows = nullptr, std::size_t m = 0) {
  if (cols.empty()) throw std::invalid_argument("row_codes(): no columns");
  const std::size_t len = rows ? m : n;
  if (len > static_cast<std::size_t>(INT_MAX)) throw std::length_error("row_codes(): too many rows");
  std::vector<int> out(len);
  if (!rows) {
    RowIndex idx(cols, n);
    for (std::size_t r = 0; r < n; ++r) out[r] = static_cast<int>(idx.insert(r) + 1);
    return out;
  }
  // positions among the subset: remember which subset position each row had
  RowIndex idx(cols, m);
  std::vector<int> slot_pos(n, 0);
  for (std::size_t k = 0; k < m; ++k) {
    const std::size_t r = static_cast<std::size_t>(rows[k]);
    if (r >= n) throw std::out_of_range("row_codes(): a row is out of range");
    const long long f = idx.insert(r);
    if (f == static_cast<long long>(r)) slot_pos[r] = static_cast<int>(k + 1);
    out[k] = slot_pos[static_cast<std::size_t>(f)];
  }
  return out;
}

// For each child row, the parent row (0-based) with the same values in
// every column, or -1 when a value of the child row is missing or no parent
// row matches. Parent and child columns are of the same kinds. When several
// parent rows match, the first retained one (parent_kept) in input order
// wins, else the first.
inline std::vector<long long> place_rows(const std::vector<Column>& parent, std::size_t np,
                                         const unsigned char* parent_kept,
                                         const std::vector<Column>& child, std::size_t nc) {
  if (parent.empty() || parent.size() != child.size()) {
    throw std::invalid_argument("place_rows(): parent and child need the same, non-empty columns");
  }
  for (std::size_t j = 0; j < parent.size(); ++j) {
    if (parent[j].kind != child[j].kind) {
      throw std::invalid_argument("place_rows(): parent and child columns differ in kind");
    }
  }
  std::vector<long long> out(nc, -1);
  if (!np || !nc) return out;
  // a parent row with a missing value matches nothing
  auto any_missing = [](const std::vector<Column>& cols, std::size_t r) {
    for (const Column& c : cols) if (c.missing(r)) return true;
    return false;
  };
  // retained rows are inserted first, so each tuple's slot holds its first
  // retained row, or its first row when none is retained
  RowIndex idx(parent, np);
  for (int pass = 1; pass >= 0; --pass) {
    for (std::size_t r = 0; r < np; ++r) {
      if ((parent_kept[r] != 0) != (pass == 1) || any_missing(parent, r)) continue;
      idx.insert(r);
    }
  }
  for (std::size_t r = 0; r < nc; ++r) {
    if (any_missing(child, r)) continue;
    out[r] = idx.find(child, r);
  }
  return out;
}

// Whether each row (of n, or of the rows `rows`) repeats an earlier one in
// every column.
inline std::vector<unsigned char> duplicated_rows(const std::vector<Column>& cols, std::size_t n,
                                                  const int* rows = nullptr, std::size_t m = 0) {
  const std::size_t len = rows ? m : n;
  std::vector<unsigned char> out(len, 0);
  if (cols.empty()) throw std::invalid_argument("duplicated_rows(): no columns");
  RowIndex idx(cols, len);
  for (std::size_t k = 0; k < len; ++k) {
    const std::size_t r = rows ? static_cast<std::size_t>(rows[k]) : k;
    if (r >= n) throw std::out_of_range("duplicated_rows(): a row is out of range");
    if (idx.insert(r) != static_cast<long long>(r)) out[k] = 1;
  }
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
