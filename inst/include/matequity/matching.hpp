// matequity: greedy 1:k nearest-neighbour matching on a scalar distance
// (the logit of the propensity score), as MatchIt's method = "nearest".
//
// Definition followed (MatchIt's nearest-neighbour matching on a vector
// distance):
//   * All units are put in ascending order of distance, ties kept in data
//     order (a stable sort, as base R's sort.list()/order()). A control is
//     "left" of a treated unit when it comes before it in this order and
//     "right" when it comes after it.
//   * Matching runs in k rounds. In round r every treated unit, taken in the
//     requested order (largest distance first by default, ties in data
//     order), receives its r-th control: the nearest eligible control on the
//     left and on the right are found; one outside the caliper
//     (|d_t - d_c| > caliper) is dropped; of the two, the left one wins when
//     |d_left - d_t| <= |d_right - d_t|.
//   * Without replacement a matched control is no longer eligible for anyone.
//     With replacement every control stays eligible, but a treated unit never
//     receives the same control twice, so its k matches are its k nearest
//     distinct controls.
//   * Weights: a treated unit with at least one match gets 1; each control
//     gets, summed over the treated units it is matched to, 1 / (number of
//     controls matched to that treated unit). Control weights are then
//     divided by the mean of the non-zero control weights, so that they sum to
//     the number of matched controls (MatchIt's normalisation).
//
// Cost: one O(n log n) sort. Without replacement the nearest eligible control
// on each side is found through two "next available" forests with path
// compression (near O(1) amortised per query). With replacement the treated
// units are independent and each needs O(k) work after the sort; they are
// processed in parallel, with results written to per-unit slots so that the
// output does not depend on the number of threads.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "parallel.hpp"

namespace matequity {

enum class MatchOrder { largest, smallest, data };

struct MatchResult {
  int n = 0;   // units
  int n1 = 0;  // treated units
  int k = 0;   // controls asked for per treated unit
  // Row index (0-based, in the data) of each treated unit, in data order.
  std::vector<int> treated;
  // n1 x k, row-major: control row index of the r-th match of treated i, or
  // -1 when there is none. Matches fill each row from the left.
  std::vector<int> match;
  // Matching weights, length n (0 for unmatched units).
  std::vector<double> weights;
  // Matched set of each unit (1..S, numbered by the treated unit's position
  // in the data; 0 = unmatched). Only defined without replacement, where the
  // sets are disjoint; with replacement it is all 0.
  std::vector<int> subclass;
  int n_matched_treated = 0;
  int n_matched_control = 0;  // distinct controls used

  int at(int i, int r) const {
    return match[static_cast<std::size_t>(i) * static_cast<std::size_t>(k) + r];
  }
};

namespace detail {

// Union-find style "nearest available position" structure over positions
// 0..m-1. left(p) = largest available q <= p (or -1), right(p) = smallest
// available q >= p (or m). Removal is O(1); queries are amortised near O(1)
// through path halving.
class AvailableSet {
 public:
  explicit AvailableSet(int m) : m_(m), lp_(m + 1), rp_(m + 1) {
    // lp_ is shifted by one: lp_[p + 1] describes position p, lp_[0] is the
    // "none on the left" sentinel. rp_[m] is the "none on the right" sentinel.
    std::iota(lp_.begin(), lp_.end(), 0);
    std::iota(rp_.begin(), rp_.end(), 0);
  }
  int left(int p) {  // p may be -1 .. m-1
    int x = p + 1;
    while (lp_[x] != x) {
      lp_[x] = lp_[lp_[x]];
      x = lp_[x];
    }
    return x - 1;
  }
  int right(int p) {  // p may be 0 .. m
    int x = p;
    while (rp_[x] != x) {
      rp_[x] = rp_[rp_[x]];
      x = rp_[x];
    }
    return x;
  }
  void remove(int p) {
    lp_[p + 1] = p;
    rp_[p] = p + 1;
  }
  int size() const { return m_; }

 private:
  int m_;
  std::vector<int> lp_, rp_;
};

}  // namespace detail

// d: distance (length n, finite); treat: 0/1 (length n); k >= 1 controls per
// treated unit; caliper: absolute caliper on the distance scale (<= 0 or
// infinite = none).
template <class DVec, class TVec>
MatchResult match_nearest(const DVec& d, const TVec& treat, int k, bool replace,
                          double caliper, MatchOrder order, int nthreads) {
  const std::size_t n_sz = static_cast<std::size_t>(d.size());
  if (static_cast<std::size_t>(treat.size()) != n_sz) {
    throw std::invalid_argument("distance and treatment differ in length");
  }
  if (n_sz > static_cast<std::size_t>(std::numeric_limits<int>::max() / 2)) {
    throw std::invalid_argument("too many units for matching");
  }
  if (k < 1) throw std::invalid_argument("k must be at least 1");
  const int n = static_cast<int>(n_sz);
  const bool use_cal = std::isfinite(caliper) && caliper > 0;

  MatchResult out;
  out.n = n;
  out.k = k;
  for (int i = 0; i < n; ++i) {
    const double t = static_cast<double>(treat[i]);
    if (t != 0.0 && t != 1.0) {
      throw std::invalid_argument("treatment must be 0 or 1 (unit " +
                                  std::to_string(i + 1) + ")");
    }
    if (!std::isfinite(static_cast<double>(d[i]))) {
      throw std::invalid_argument("distance must be finite (unit " +
                                  std::to_string(i + 1) + ")");
    }
    if (t == 1.0) out.treated.push_back(i);
  }
  out.n1 = static_cast<int>(out.treated.size());
  const int n1 = out.n1;
  out.match.assign(static_cast<std::size_t>(n1) * k, -1);
  out.weights.assign(n_sz, 0.0);
  out.subclass.assign(n_sz, 0);

  // Ascending distance, ties in data order.
  std::vector<int> by_d(n_sz);
  std::iota(by_d.begin(), by_d.end(), 0);
  std::sort(by_d.begin(), by_d.end(), [&](int a, int b) {
    const double da = static_cast<double>(d[a]), db = static_cast<double>(d[b]);
    return da < db || (da == db && a < b);
  });
  // Controls in that order; for each treated unit the number of controls
  // before it (its split point in the control array).
  std::vector<int> ctrl;  // control row indices, sorted
  std::vector<double> cd;  // their distances
  std::vector<int> tpos(n_sz, -1);  // treated row -> index among treated
  for (int i = 0; i < n1; ++i) tpos[out.treated[i]] = i;
  std::vector<int> split(static_cast<std::size_t>(n1), 0);
  ctrl.reserve(n_sz - n1);
  cd.reserve(n_sz - n1);
  for (int u : by_d) {
    if (tpos[u] >= 0) {
      split[tpos[u]] = static_cast<int>(ctrl.size());
    } else {
      ctrl.push_back(u);
      cd.push_back(static_cast<double>(d[u]));
    }
  }
  const int n0 = static_cast<int>(ctrl.size());

  // Order in which treated units are matched (indices among treated).
  std::vector<int> ord(static_cast<std::size_t>(n1));
  std::iota(ord.begin(), ord.end(), 0);
  if (order == MatchOrder::largest) {
    std::stable_sort(ord.begin(), ord.end(), [&](int a, int b) {
      return static_cast<double>(d[out.treated[a]]) >
             static_cast<double>(d[out.treated[b]]);
    });
  } else if (order == MatchOrder::smallest) {
    std::stable_sort(ord.begin(), ord.end(), [&](int a, int b) {
      return static_cast<double>(d[out.treated[a]]) <
             static_cast<double>(d[out.treated[b]]);
    });
  }

  // Choose between the candidate positions l (left, or -1) and r (right, or
  // n0) for a treated unit at distance dt; returns the position or -1.
  auto choose = [&](int l, int r, double dt) -> int {
    bool okl = l >= 0, okr = r < n0;
    if (use_cal) {
      if (okl && std::fabs(dt - cd[l]) > caliper) okl = false;
      if (okr && std::fabs(dt - cd[r]) > caliper) okr = false;
    }
    if (okl && okr) return std::fabs(cd[l] - dt) <= std::fabs(cd[r] - dt) ? l : r;
    if (okl) return l;
    if (okr) return r;
    return -1;
  };

  if (n0 > 0 && n1 > 0) {
    if (!replace) {
      detail::AvailableSet avail(n0);
      int remaining = n0;
      for (int r = 0; r < k && remaining > 0; ++r) {
        for (int i : ord) {
          // A treated unit without a match in an earlier round cannot get one
          // now: fewer controls are eligible.
          if (r > 0 && out.match[static_cast<std::size_t>(i) * k + r - 1] < 0) continue;
          const double dt = static_cast<double>(d[out.treated[i]]);
          const int l = avail.left(split[i] - 1);
          const int rr = avail.right(split[i]);
          const int p = choose(l, rr, dt);
          if (p < 0) continue;
          out.match[static_cast<std::size_t>(i) * k + r] = ctrl[p];
          avail.remove(p);
          if (--remaining == 0) break;
        }
      }
    } else {
      const int nt = effective_threads(nthreads);
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
      for (int i = 0; i < n1; ++i) {
        const double dt = static_cast<double>(d[out.treated[i]]);
        int l = split[i] - 1, rr = split[i];
        for (int r = 0; r < k; ++r) {
          const int p = choose(l, rr, dt);
          if (p < 0) break;
          out.match[static_cast<std::size_t>(i) * k + r] = ctrl[p];
          if (p == l) --l; else ++rr;
        }
      }
    }
  }

  // Weights and matched sets.
  int set_id = 0;
  for (int i = 0; i < n1; ++i) {
    int m = 0;
    while (m < k && out.match[static_cast<std::size_t>(i) * k + m] >= 0) ++m;
    if (m == 0) continue;
    ++out.n_matched_treated;
    out.weights[out.treated[i]] = 1.0;
    ++set_id;
    if (!replace) out.subclass[out.treated[i]] = set_id;
    for (int r = 0; r < m; ++r) {
      const int c = out.match[static_cast<std::size_t>(i) * k + r];
      out.weights[c] += 1.0 / m;
      if (!replace) out.subclass[c] = set_id;
    }
  }
  double wsum = 0.0;
  int nz = 0;
  for (int c : ctrl) {
    if (out.weights[c] > 0) {
      wsum += out.weights[c];
      ++nz;
    }
  }
  out.n_matched_control = nz;
  if (nz > 0) {
    const double mean_w = wsum / nz;
    for (int c : ctrl) out.weights[c] /= mean_w;
  }
  return out;
}

}  // namespace matequity
