// Glue for weights.hpp: type conversion only.
#include <RcppEigen.h>
#include <matequity/weights.hpp>

#include "spec_glue.h"

// Balancing weights of each unit for an estimand ("ATE", "ATT", "ATC",
// "ATO") and the Kish effective sample size of each arm.
// [[Rcpp::export(name = ".cpp_ps_weights", rng = false)]]
Rcpp::List cpp_ps_weights(const Eigen::Map<Eigen::VectorXd>& e, const Rcpp::IntegerVector& a,
                          const std::string& estimand) {
  if (a.size() != e.size()) Rcpp::stop("`e` and `a` differ in length");
  const Eigen::VectorXd w = matequity::ps_weights(e, a, spec_glue::estimand_from_name(estimand));
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
