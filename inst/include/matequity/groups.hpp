// matequity: dense group coding and grouped reductions.
//
// Every grouped computation in the engine (continuity indices per pregnancy,
// influence functions summed per cluster, rates per group) starts from the
// same two steps: give each distinct key a dense code 0..G-1, then visit the
// rows of each group in their original order. Doing the second step through a
// stable counting sort makes every grouped sum independent of the number of
// threads: each group is reduced sequentially, in row order, by one thread.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "parallel.hpp"

namespace matequity {

// Dense codes for integer keys, in order of first appearance.
// codes[i] in 0..n_groups-1; keys equal to `missing` get code -1.
struct DenseCodes {
  std::vector<int> codes;
  std::vector<long long> keys;  // the key of each code
  int n_groups() const { return static_cast<int>(keys.size()); }
};

template <class KeyVec>
DenseCodes dense_codes(const KeyVec& key, long long missing) {
  DenseCodes out;
  const std::size_t n = static_cast<std::size_t>(key.size());
  out.codes.resize(n);
  std::unordered_map<long long, int> seen;
  seen.reserve(n / 4 + 16);
  for (std::size_t i = 0; i < n; ++i) {
    const long long k = static_cast<long long>(key[i]);
    if (k == missing) {
      out.codes[i] = -1;
      continue;
    }
    auto it = seen.find(k);
    if (it == seen.end()) {
      const int code = static_cast<int>(out.keys.size());
      seen.emplace(k, code);
      out.keys.push_back(k);
      out.codes[i] = code;
    } else {
      out.codes[i] = it->second;
    }
  }
  return out;
}

// Rows of each group, in their original order (a stable counting sort).
// Rows with a negative code are left out. start has n_groups + 1 entries;
// the rows of group g are rows[start[g]] .. rows[start[g + 1] - 1].
struct GroupIndex {
  std::vector<std::size_t> start;
  std::vector<std::size_t> rows;
  int n_groups() const { return static_cast<int>(start.size()) - 1; }
  std::size_t size(int g) const { return start[g + 1] - start[g]; }
};

template <class CodeVec>
GroupIndex group_index(const CodeVec& code, int n_groups) {
  if (n_groups < 0) throw std::invalid_argument("n_groups must be >= 0");
  GroupIndex gi;
  gi.start.assign(static_cast<std::size_t>(n_groups) + 1, 0);
  const std::size_t n = static_cast<std::size_t>(code.size());
  for (std::size_t i = 0; i < n; ++i) {
    const long long c = static_cast<long long>(code[i]);
    if (c < 0) continue;
    if (c >= n_groups) {
      throw std::out_of_range("group code " + std::to_string(c) +
                              " is not below the number of groups (" +
                              std::to_string(n_groups) + ")");
    }
    ++gi.start[static_cast<std::size_t>(c) + 1];
  }
  for (int g = 0; g < n_groups; ++g) gi.start[g + 1] += gi.start[g];
  gi.rows.resize(gi.start[n_groups]);
  std::vector<std::size_t> next(gi.start.begin(), gi.start.end() - 1);
  for (std::size_t i = 0; i < n; ++i) {
    const long long c = static_cast<long long>(code[i]);
    if (c < 0) continue;
    gi.rows[next[static_cast<std::size_t>(c)]++] = i;
  }
  return gi;
}

// Column sums of X (n x p, column-major, any Eigen-like type with rows(),
// cols() and operator()(i, j)) within groups: returns a G x p row-major
// vector. Each group is summed in row order, so the result is the same
// for every thread count.
template <class Matrix>
std::vector<double> grouped_sums(const Matrix& X, const GroupIndex& gi,
                                 int nthreads) {
  const int G = gi.n_groups();
  const long long p = static_cast<long long>(X.cols());
  if (static_cast<std::size_t>(X.rows()) < gi.rows.size()) {
    throw std::invalid_argument("group index has more rows than the matrix");
  }
  std::vector<double> out(static_cast<std::size_t>(G) * p, 0.0);
  const int nt = effective_threads(nthreads);
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
  for (int g = 0; g < G; ++g) {
    for (long long j = 0; j < p; ++j) {
      double s = 0.0;
      for (std::size_t r = gi.start[g]; r < gi.start[g + 1]; ++r) {
        s += X(static_cast<long long>(gi.rows[r]), j);
      }
      out[static_cast<std::size_t>(g) * p + j] = s;
    }
  }
  return out;
}

// The smallest value of x per group: g holds 1-based group codes (na for
// none, else 1..n_groups); values that are NaN are skipped; a group with no
// value gets NaN.
template <class DblVec, class IntVec>
std::vector<double> group_min(const DblVec& x, const IntVec& g, int n_groups, int na) {
  const std::size_t n = static_cast<std::size_t>(x.size());
  if (static_cast<std::size_t>(g.size()) != n)
    throw std::invalid_argument("values and groups differ in length");
  std::vector<double> out(static_cast<std::size_t>(n_groups < 0 ? 0 : n_groups),
                          std::numeric_limits<double>::quiet_NaN());
  for (std::size_t i = 0; i < n; ++i) {
    const int k = g[i];
    const double v = x[i];
    if (k == na || std::isnan(v)) continue;
    if (k < 1 || k > n_groups) throw std::out_of_range("group code out of range");
    double& m = out[static_cast<std::size_t>(k - 1)];
    if (std::isnan(m) || v < m) m = v;
  }
  return out;
}

// Whether any row of each group passes: out[k - 1] is set to 1 for each
// group k (1..n_groups) with a row i where pass(i); codes equal to na or
// outside 1..n_groups are skipped (as R's tabulate() skips them). out holds
// n_groups entries, zeroed by the caller. One pass, no temporaries: what
// tabulate(g[x], n) > 0 computes through a subset and a count vector.
template <class IntVec, class Pass, class Out>
void group_any(const IntVec& g, int n_groups, int na, Pass pass, Out& out) {
  const std::size_t n = static_cast<std::size_t>(g.size());
  for (std::size_t i = 0; i < n; ++i) {
    const int k = g[i];
    if (k == na || k < 1 || k > n_groups || !pass(i)) continue;
    out[static_cast<std::size_t>(k - 1)] = 1;
  }
}

// The distinct codes (1..map.size()) of x not yet mapped (map[v - 1] ==
// unset), over the rows i with sel[i] == want, in order of first
// appearance; `na` marks a missing code (skipped). For extending a set of
// levels by the new values of coded rows without a pass per vector.
template <class IntVec, class SelVec>
std::vector<int> first_unmapped(const IntVec& x, const SelVec& sel, int want,
                                const IntVec& map, int unset, int na) {
  const std::size_t n = static_cast<std::size_t>(x.size());
  if (static_cast<std::size_t>(sel.size()) != n)
    throw std::invalid_argument("codes and selection differ in length");
  const std::size_t m = static_cast<std::size_t>(map.size());
  std::vector<char> seen(m, 0);
  std::vector<int> out;
  for (std::size_t i = 0; i < n; ++i) {
    const int v = x[i];
    if (v == na || sel[i] != want) continue;
    if (v < 1 || static_cast<std::size_t>(v) > m) throw std::out_of_range("code out of range");
    const std::size_t k = static_cast<std::size_t>(v - 1);
    if (seen[k] || map[k] != unset) continue;
    seen[k] = 1;
    out.push_back(v);
  }
  return out;
}

}  // namespace matequity
