// Glue for weights.hpp: type conversion only.
#include <RcppEigen.h>
#include <matequity/weights.hpp>

// Balancing weights of each unit for an estimand (0 ATE, 1 ATT, 2 ATC, 3
// ATO) and the Kish effective sample size of each arm.
// [[Rcpp::export(name = ".cpp_ps_weights", rng = false)]]
Rcpp::List cpp_ps_weights(const Eigen::Map<Eigen::VectorXd>& e, const Rcpp::IntegerVector& a,
                          int estimand) {
  if (a.size() != e.size()) Rcpp::stop("`e` and `a` differ in length");
  const Eigen::VectorXd w = matequity::ps_weights(e, a, matequity::estimand_from_int(estimand));
  return Rcpp::List::create(
      Rcpp::Named("weights") = w,
      Rcpp::Named("ess") = Rcpp::NumericVector::create(
          Rcpp::Named("treated") = matequity::ess(w, a, 1),
          Rcpp::Named("control") = matequity::ess(w, a, 0)));
}

// Kish effective sample size (sum w)^2 / sum w^2 (0 for no weight).
// [[Rcpp::export(name = ".cpp_ess", rng = false)]]
double cpp_ess(const Eigen::Map<Eigen::VectorXd>& w) {
  return matequity::ess(w, Eigen::VectorXi::Zero(w.size()), 0);
}
