// Glue for sandwich.hpp: type conversion only.
#include <RcppEigen.h>
#include <matequity/sandwich.hpp>

// Covariance from influence functions, (1/n^2) sum_c U_c U_c' with the
// G / (G - 1) factor when clustered. cluster: 1-based codes, NA for rows in
// no cluster (they add nothing); integer(0) for independent rows.
// [[Rcpp::export(name = ".cpp_vcov_from_if", rng = false)]]
Eigen::MatrixXd cpp_vcov_from_if(const Eigen::Map<Eigen::MatrixXd>& IF,
                                 const Rcpp::IntegerVector& cluster, int n_clusters,
                                 int nthreads) {
  std::vector<int> cl(cluster.size());
  for (R_xlen_t i = 0; i < cluster.size(); ++i)
    cl[i] = cluster[i] == NA_INTEGER ? -1 : cluster[i] - 1;
  return matequity::vcov_from_if(IF, cl, n_clusters, nthreads).V;
}
