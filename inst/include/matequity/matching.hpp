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
//     (|d_t - d_c| > caliper) is dropped; of the two, the nearer wins. Equal
//     distances go to the one MatchIt's walk (4.8.1) reaches first: it steps
//     out one position at a time, alternately left and right (left first),
//     from the outermost positions the treated unit and its earlier matches
//     occupy, so the control fewer positions away wins, the left one at equal
//     steps.
//   * Without replacement a matched control is no longer eligible for anyone.
//     With replacement every control stays eligible and each treated unit
//     gets its k matches in one walk from its own position: each side
//     collects up to k controls (a side stops at a control outside the
//     caliper, or beaten by k strictly nearer ones already collected), and
//     the k nearest are kept, ties resolved by std::partial_sort on the order
//     found, as MatchIt does. So they are its k nearest distinct controls.
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
  // Position of every unit in that order; controls in that order, with
  // their positions; for each treated unit the number of controls before it
  // (its split point in the control array).
  std::vector<int> pos(n_sz, 0);
  for (int q = 0; q < n; ++q) pos[by_d[q]] = q;
  std::vector<int> ctrl;  // control row indices, sorted
  std::vector<double> cd;  // their distances
  std::vector<int> cpos;  // their positions among all units
  std::vector<int> tpos(n_sz, -1);  // treated row -> index among treated
  for (int i = 0; i < n1; ++i) tpos[out.treated[i]] = i;
  std::vector<int> split(static_cast<std::size_t>(n1), 0);
  ctrl.reserve(n_sz - n1);
  cd.reserve(n_sz - n1);
  cpos.reserve(n_sz - n1);
  for (int u : by_d) {
    if (tpos[u] >= 0) {
      split[tpos[u]] = static_cast<int>(ctrl.size());
    } else {
      ctrl.push_back(u);
      cd.push_back(static_cast<double>(d[u]));
      cpos.push_back(pos[u]);
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

  const auto in_caliper = [&](int p, double dt) {
    return !use_cal || std::fabs(dt - cd[p]) <= caliper;
  };

  if (n0 > 0 && n1 > 0) {
    if (!replace) {
      // lo/hi: the outermost positions reached so far by each treated unit
      // (its own, widened by its matches); the walk of the next round starts
      // there.
      std::vector<int> lo(static_cast<std::size_t>(n1)), hi(static_cast<std::size_t>(n1));
      for (int i = 0; i < n1; ++i) lo[i] = hi[i] = pos[out.treated[i]];
      detail::AvailableSet avail(n0);
      int remaining = n0;
      for (int r = 0; r < k && remaining > 0; ++r) {
        for (int i : ord) {
          // A treated unit without a match in an earlier round cannot get one
          // now: fewer controls are eligible.
          if (r > 0 && out.match[static_cast<std::size_t>(i) * k + r - 1] < 0) continue;
          const double dt = static_cast<double>(d[out.treated[i]]);
          int l = avail.left(split[i] - 1);
          int rr = avail.right(split[i]);
          if (l >= 0 && !in_caliper(l, dt)) l = -1;
          if (rr < n0 && !in_caliper(rr, dt)) rr = n0;
          int p = -1;
          if (l >= 0 && rr < n0) {
            const double dl = std::fabs(cd[l] - dt), dr = std::fabs(cd[rr] - dt);
            // equal distances: the one the alternating walk reaches first
            p = dl < dr ? l : (dr < dl ? rr : (lo[i] - cpos[l] <= cpos[rr] - hi[i] ? l : rr));
          } else if (l >= 0) {
            p = l;
          } else if (rr < n0) {
            p = rr;
          }
          if (p < 0) continue;
          out.match[static_cast<std::size_t>(i) * k + r] = ctrl[p];
          lo[i] = std::min(lo[i], cpos[p]);
          hi[i] = std::max(hi[i], cpos[p]);
          avail.remove(p);
          if (--remaining == 0) break;
        }
      }
    } else {
      const int nt = effective_threads(nthreads);
#pragma omp parallel num_threads(nt) if (nt > 1)
      {
        std::vector<int> cand;
        std::vector<double> cdist;
        std::vector<int> idx;
#pragma omp for schedule(static)
        for (int i = 0; i < n1; ++i) {
          const double dt = static_cast<double>(d[out.treated[i]]);
          const int ii = pos[out.treated[i]];
          // Walk out from the treated unit one position at a time, left then
          // right; each side collects up to k controls and stops at one
          // outside the caliper or farther than k already collected.
          cand.clear();
          cdist.clear();
          int l = split[i] - 1, rr = split[i];
          int nl = 0, nr = 0;
          bool lstop = l < 0, rstop = rr >= n0;
          while (!lstop || !rstop) {
            const bool left = !lstop && (rstop || ii - cpos[l] <= cpos[rr] - ii);
            const int p = left ? l : rr;
            const double dist = std::fabs(dt - cd[p]);
            bool take = in_caliper(p, dt);
            if (take && static_cast<int>(cand.size()) >= k) {
              int closer = 0;
              for (double x : cdist)
                if (x < dist) ++closer;
              take = closer < k;
            }
            if (!take) {
              (left ? lstop : rstop) = true;
              continue;
            }
            cand.push_back(ctrl[p]);
            cdist.push_back(dist);
            if (left) {
              --l;
              if (++nl == k || l < 0) lstop = true;
            } else {
              ++rr;
              if (++nr == k || rr >= n0) rstop = true;
            }
          }
          // The k nearest, ties in the order found (MatchIt's selection).
          const int m = static_cast<int>(cand.size());
          idx.resize(static_cast<std::size_t>(m));
          std::iota(idx.begin(), idx.end(), 0);
          const auto by_dist = [&](int a, int b) { return cdist[a] < cdist[b]; };
          if (m > k) {
            std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), by_dist);
          } else if (m > 1 && !std::is_sorted(cdist.begin(), cdist.end())) {
            std::sort(idx.begin(), idx.end(), by_dist);
          }
          for (int r = 0; r < std::min(m, k); ++r)
            out.match[static_cast<std::size_t>(i) * k + r] = cand[idx[r]];
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
