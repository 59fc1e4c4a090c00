// matequity: propensity-score weights (WeightIt's conventions), tilting
// functions, truncation (WeightIt's trim()) and effective sample
// size.
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
#include <limits>
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

// Quantile of type 3 (SAS definition 5: the nearest even order statistic),
// what WeightIt's trim() uses, sorting x in place. As R's quantile(type = 3):
// with n p - 1/2 = j + g, the order statistic j when g = 0 and j is even,
// otherwise j + 1 (clamped to 1..n).
inline double quantile3_inplace(std::vector<double>& x, double q) {
  if (x.empty()) throw std::invalid_argument("quantile of an empty vector");
  std::sort(x.begin(), x.end());
  const double n = static_cast<double>(x.size());
  const double nppm = n * q - 0.5;
  const double j = std::floor(nppm + 4.0 * 2.220446049250313e-16);
  const bool up = (nppm != j) || (std::fmod(j, 2.0) != 0.0);
  double k = j + (up ? 1.0 : 0.0);  // 1-based order statistic
  k = std::min(std::max(k, 1.0), n);
  return x[static_cast<std::size_t>(k) - 1];
}

// Which arms weight truncation acts on, as WeightIt's trim() on a weightit
// object: every arm but the focal one (whose weights are all 1), so the
// controls for the ATT, the treated for the ATC, both for the ATE and ATO.
// Index 0 controls, 1 treated.
inline void truncated_arms(Estimand est, bool arms[2]) {
  arms[0] = est != Estimand::ATC;
  arms[1] = est != Estimand::ATT;
}

// Truncation as WeightIt's trim(w, at = q): one cap, the type-3 q-quantile
// of the weights of the units in the truncated arms pooled (each unit
// counted s[i] times, a bootstrap replicate's counts; units with s[i] = 0
// are left out of it), and weights above the cap set to it. A q below 1/2
// is read as 1 - q, as trim() does. Returns the cap; `fixed[i]` is set for
// truncated units (their weight no longer depends on the propensity score)
// and count[arm] counts those with s[i] > 0. `buf` is scratch space.
template <class WVec, class IVec, class SVec>
double truncate_weights(WVec& w, const IVec& a, const SVec& s, Eigen::Index n, double q,
                        const bool arms[2], std::vector<char>& fixed, long long count[2],
                        std::vector<double>& buf) {
  if (!(q > 0.0 && q <= 1.0)) throw std::invalid_argument("truncation quantile must be in (0, 1]");
  q = std::max(q, 1.0 - q);
  count[0] = count[1] = 0;
  buf.clear();
  for (Eigen::Index i = 0; i < n; ++i) {
    if (!arms[static_cast<int>(a[i])]) continue;
    const long long c = std::llround(s[i]);
    for (long long k = 0; k < c; ++k) buf.push_back(w[i]);
  }
  if (buf.empty()) return std::numeric_limits<double>::infinity();
  const double cap = quantile3_inplace(buf, q);
  for (Eigen::Index i = 0; i < n; ++i) {
    const int ai = static_cast<int>(a[i]);
    if (arms[ai] && w[i] > cap) {
      w[i] = cap;
      fixed[static_cast<std::size_t>(i)] = 1;
      if (s[i] > 0.0) ++count[ai];
    }
  }
  return cap;
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
