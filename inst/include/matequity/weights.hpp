// matequity: propensity-score weights (WeightIt's conventions), tilting
// functions, trimming, truncation and effective sample size.
//
// With e = P(A = 1 | X) and eta = logit(e):
//   ATE: treated 1/e,        controls 1/(1-e)
//   ATT: treated 1,          controls e/(1-e)
//   ATC: treated (1-e)/e,    controls 1
//   ATO: treated 1-e,        controls e
// Each weight comes with its derivative with respect to eta (de/deta =
// e(1-e)), which the M-estimation sandwich needs.
#pragma once

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace matequity {

enum class Estimand { ATE = 0, ATT = 1, ATC = 2, ATO = 3 };

inline Estimand estimand_from_int(int k) {
  if (k < 0 || k > 3) throw std::invalid_argument("estimand code must be 0..3");
  return static_cast<Estimand>(k);
}

// Balancing weight of one unit and d weight / d eta.
inline void ps_weight(double e, int a, Estimand est, double& w, double& dw) {
  w = 1.0;
  dw = 0.0;
  switch (est) {
    case Estimand::ATE:
      if (a == 1) { w = 1.0 / e; dw = -(1.0 - e) / e; }
      else        { w = 1.0 / (1.0 - e); dw = e / (1.0 - e); }
      break;
    case Estimand::ATT:
      if (a == 1) { w = 1.0; dw = 0.0; }
      else        { w = e / (1.0 - e); dw = e / (1.0 - e); }
      break;
    case Estimand::ATC:
      if (a == 1) { w = (1.0 - e) / e; dw = -(1.0 - e) / e; }
      else        { w = 1.0; dw = 0.0; }
      break;
    case Estimand::ATO:
      if (a == 1) { w = 1.0 - e; dw = -e * (1.0 - e); }
      else        { w = e; dw = e * (1.0 - e); }
      break;
  }
}

// Tilting function h(e) of the target population (PSweight's): 1 for ATE,
// e for ATT, 1 - e for ATC, e(1 - e) for ATO; and dh/deta.
inline void tilt(double e, Estimand est, double& h, double& dh) {
  const double de = e * (1.0 - e);
  h = 1.0;
  dh = 0.0;
  switch (est) {
    case Estimand::ATE: h = 1.0; dh = 0.0; break;
    case Estimand::ATT: h = e; dh = de; break;
    case Estimand::ATC: h = 1.0 - e; dh = -de; break;
    case Estimand::ATO: h = e * (1.0 - e); dh = (1.0 - 2.0 * e) * de; break;
  }
}

// Weights for every unit.
template <class Vec, class IVec>
Eigen::VectorXd ps_weights(const Vec& e, const IVec& a, Estimand est) {
  const Eigen::Index n = e.size();
  Eigen::VectorXd w(n);
  double dw;
  for (Eigen::Index i = 0; i < n; ++i) ps_weight(e[i], static_cast<int>(a[i]), est, w[i], dw);
  return w;
}

// Units kept by trimming at threshold t: t <= e <= 1 - t.
template <class Vec>
std::vector<int> trim_keep(const Vec& e, double t) {
  if (!(t >= 0.0 && t < 0.5)) throw std::invalid_argument("trimming threshold must be in [0, 0.5)");
  std::vector<int> keep;
  for (Eigen::Index i = 0; i < e.size(); ++i)
    if (e[i] >= t && e[i] <= 1.0 - t) keep.push_back(static_cast<int>(i));
  return keep;
}

// Quantile of type 7 (R's default) of x, sorting x in place.
inline double quantile7_inplace(std::vector<double>& x, double q) {
  if (x.empty()) throw std::invalid_argument("quantile of an empty vector");
  std::sort(x.begin(), x.end());
  const double h = (static_cast<double>(x.size()) - 1.0) * q;
  const std::size_t lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, x.size() - 1);
  return x[lo] + (h - static_cast<double>(lo)) * (x[hi] - x[lo]);
}

// Quantile of type 7 (R's default) of a copy of x.
inline double quantile7(std::vector<double> x, double q) { return quantile7_inplace(x, q); }

// Truncate weights within each arm at that arm's q-quantile (type 7):
// weights above it are set to it. Returns the number truncated per arm
// (controls, treated); `fixed[i]` is set for truncated units (their weight
// no longer depends on the propensity score).
template <class IVec>
std::vector<long long> truncate_weights(Eigen::VectorXd& w, const IVec& a,
                                        double q, std::vector<char>& fixed) {
  if (!(q > 0.0 && q <= 1.0)) throw std::invalid_argument("truncation quantile must be in (0, 1]");
  std::vector<long long> count(2, 0);
  fixed.assign(static_cast<std::size_t>(w.size()), 0);
  for (int arm = 0; arm <= 1; ++arm) {
    std::vector<double> wa;
    for (Eigen::Index i = 0; i < w.size(); ++i)
      if (static_cast<int>(a[i]) == arm) wa.push_back(w[i]);
    if (wa.empty()) continue;
    const double cap = quantile7(wa, q);
    for (Eigen::Index i = 0; i < w.size(); ++i) {
      if (static_cast<int>(a[i]) == arm && w[i] > cap) {
        w[i] = cap;
        fixed[static_cast<std::size_t>(i)] = 1;
        ++count[static_cast<std::size_t>(arm)];
      }
    }
  }
  return count;
}

// Kish effective sample size (sum w)^2 / sum w^2 of the units in `arm`.
template <class Vec, class IVec>
double ess(const Vec& w, const IVec& a, int arm) {
  double s = 0.0, s2 = 0.0;
  for (Eigen::Index i = 0; i < w.size(); ++i) {
    if (static_cast<int>(a[i]) != arm) continue;
    s += w[i];
    s2 += w[i] * w[i];
  }
  return s2 > 0.0 ? s * s / s2 : 0.0;
}

}  // namespace matequity
