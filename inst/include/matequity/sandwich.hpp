// matequity: variances from influence functions.
//
// With IF the n x m matrix of influence functions (theta_hat - theta ~
// (1/n) sum_i IF_i, IF_i = A^{-1} psi_i from estimators.hpp), the
// M-estimation sandwich A^{-1} B A^{-T} / n with B = (1/n) sum psi_i psi_i'
// is (1/n^2) sum_i IF_i IF_i'. Cluster-robust: IF summed within clusters,
// times G / (G - 1) (sandwich::vcovCL's HC0 with cadjust = TRUE).
// Cluster sums use groups.hpp, so the result is the same for any number of
// threads.
#pragma once

#include <Eigen/Dense>
#include <stdexcept>
#include <vector>

#include "groups.hpp"

namespace matequity {

struct VcovResult {
  Eigen::MatrixXd V;
  int n_clusters = 0;
};

// cluster: dense codes 0..G-1 (one per row), or empty for independent units.
template <class Mat>
VcovResult vcov_from_if(const Mat& IF, const std::vector<int>& cluster, int n_clusters,
                        int nthreads) {
  const Eigen::Index n = IF.rows(), m = IF.cols();
  VcovResult out;
  if (n == 0) throw std::invalid_argument("no observations");
  const double n2 = static_cast<double>(n) * static_cast<double>(n);
  if (cluster.empty()) {
    out.V = (IF.transpose() * IF) / n2;
    out.n_clusters = static_cast<int>(n);
    return out;
  }
  if (static_cast<Eigen::Index>(cluster.size()) != n)
    throw std::invalid_argument("cluster must have one code per row");
  const GroupIndex gi = group_index(cluster, n_clusters);
  const std::vector<double> S = grouped_sums(IF, gi, nthreads);
  Eigen::MatrixXd U(n_clusters, m);
  for (int g = 0; g < n_clusters; ++g)
    for (Eigen::Index j = 0; j < m; ++j) U(g, j) = S[static_cast<std::size_t>(g) * m + j];
  const double G = static_cast<double>(n_clusters);
  if (n_clusters < 2) throw std::invalid_argument("cluster-robust variance needs at least 2 clusters");
  out.V = (U.transpose() * U) / n2 * (G / (G - 1.0));
  out.n_clusters = n_clusters;
  return out;
}

}  // namespace matequity
