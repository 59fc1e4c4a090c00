// Glue for matching.hpp: type conversion only.
#include <RcppEigen.h>
#include <matequity/matching.hpp>

// [[Rcpp::export(name = ".cpp_match_nearest", rng = false)]]
Rcpp::List cpp_match_nearest(const Eigen::Map<Eigen::VectorXd>& distance,
                             const Eigen::Map<Eigen::VectorXi>& treat, int k,
                             bool replace, double caliper, int order,
                             int nthreads) {
  const matequity::MatchOrder ord =
      order == 1 ? matequity::MatchOrder::largest
                 : (order == 2 ? matequity::MatchOrder::smallest
                               : matequity::MatchOrder::data);
  const matequity::MatchResult res = matequity::match_nearest(
      distance, treat, k, replace, caliper, ord, nthreads);
  Rcpp::IntegerMatrix mm(res.n1, res.k);
  for (int i = 0; i < res.n1; ++i)
    for (int r = 0; r < res.k; ++r) {
      const int c = res.at(i, r);
      mm(i, r) = c < 0 ? NA_INTEGER : c + 1;
    }
  Rcpp::IntegerVector treated(res.n1), subclass(res.n);
  for (int i = 0; i < res.n1; ++i) treated[i] = res.treated[i] + 1;
  for (int i = 0; i < res.n; ++i)
    subclass[i] = res.subclass[i] == 0 ? NA_INTEGER : res.subclass[i];
  return Rcpp::List::create(
      Rcpp::Named("match_matrix") = mm, Rcpp::Named("treated") = treated,
      Rcpp::Named("weights") = Rcpp::wrap(res.weights),
      Rcpp::Named("subclass") = subclass,
      Rcpp::Named("n_matched_treated") = res.n_matched_treated,
      Rcpp::Named("n_matched_control") = res.n_matched_control);
}
