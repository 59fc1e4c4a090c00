// Glue for multinomial.hpp (multi-category treatments): type conversion only.
#include <RcppEigen.h>
#include <matequity/multinomial.hpp>
#include <matequity/sandwich.hpp>

#include "spec_glue.h"

// The multinomial logistic model of a (1-based levels 1..K) on X. spec: a
// list with the fields epsilon, maxit and nthreads (irls_control_spec() or
// effect_engine_spec() in R/effect_fit.R).
// [[Rcpp::export(name = ".cpp_multinom_fit", rng = false)]]
Rcpp::List cpp_multinom_fit(const Eigen::Map<Eigen::MatrixXd>& X, const Rcpp::IntegerVector& a,
                            int K, const Eigen::Map<Eigen::VectorXd>& w, const Rcpp::List& spec) {
  const matequity::GlmControl ctl = spec_glue::glm_control(spec);
  const int nthreads = spec_glue::nthreads(spec);
  std::vector<int> av(a.size());
  for (R_xlen_t i = 0; i < a.size(); ++i) av[i] = a[i] - 1;
  const matequity::MultinomFit f = matequity::multinom_fit(X, av, K, Eigen::VectorXd(w), ctl, nthreads);
  Rcpp::IntegerVector al(f.aliased.size());
  for (std::size_t i = 0; i < f.aliased.size(); ++i) al[i] = f.aliased[i] + 1;
  return Rcpp::List::create(
      Rcpp::Named("coefficients") = f.coef, Rcpp::Named("fitted.values") = f.prob,
      Rcpp::Named("deviance") = f.deviance, Rcpp::Named("iter") = f.iter,
      Rcpp::Named("converged") = f.converged, Rcpp::Named("boundary") = f.boundary,
      Rcpp::Named("aliased") = al, Rcpp::Named("n_fitted_01") = f.n_fitted_01);
}

// The multi-category fit. `spec` is the named list of effect_engine_spec()
// (R/effect_fit.R): method "ipw" or "aipw", focal (0: the ATE, else the
// 1-based focal level), binary, account_ps, epsilon, maxit, nthreads.
// [[Rcpp::export(name = ".cpp_multi_effect", rng = false)]]
Rcpp::List cpp_multi_effect(const Eigen::Map<Eigen::MatrixXd>& X, const Eigen::Map<Eigen::MatrixXd>& Z,
                            const Rcpp::IntegerVector& a, int K, const Eigen::Map<Eigen::VectorXd>& y,
                            const Rcpp::IntegerVector& cluster, const Rcpp::List& spec) {
  matequity::MultiSpec sp;
  const std::string method = spec_glue::str(spec, "method");
  if (method != "ipw" && method != "aipw")
    Rcpp::stop("engine spec: method must be 'ipw' or 'aipw' for a multi-category treatment");
  sp.aipw = method == "aipw";
  sp.focal = spec_glue::whole(spec, "focal") - 1;
  sp.binary = spec_glue::flag(spec, "binary");
  sp.account_ps = spec_glue::flag(spec, "account_ps");
  sp.ctl = spec_glue::glm_control(spec);
  const int nthreads = spec_glue::nthreads(spec);
  std::vector<int> av(a.size());
  for (R_xlen_t i = 0; i < a.size(); ++i) av[i] = a[i] - 1;
  const matequity::MultiEffectFit f =
      matequity::multi_effect(X, Z, av, K, Eigen::VectorXd(y), sp, nthreads);
  int n_clusters = 0;
  const std::vector<int> cl = spec_glue::cluster_codes(cluster, n_clusters);
  const matequity::VcovResult vc = matequity::vcov_from_if(f.IF, cl, n_clusters, nthreads);
  Rcpp::List gam(K);
  Rcpp::List oal(K);
  for (int k = 0; k < K; ++k) {
    gam[k] = f.gamma[static_cast<std::size_t>(k)];
    const std::vector<int>& al = f.out_aliased[static_cast<std::size_t>(k)];
    Rcpp::IntegerVector v(al.size());
    for (std::size_t i = 0; i < al.size(); ++i) v[i] = al[i] + 1;
    oal[k] = v;
  }
  Rcpp::IntegerVector psal(f.ps.aliased.size());
  for (std::size_t i = 0; i < f.ps.aliased.size(); ++i) psal[i] = f.ps.aliased[i] + 1;
  return Rcpp::List::create(
      Rcpp::Named("mu") = f.mu, Rcpp::Named("vcov") = vc.V,
      Rcpp::Named("ps") = f.ps.prob, Rcpp::Named("weights") = f.w,
      Rcpp::Named("ps_model") = Rcpp::List::create(
          Rcpp::Named("coefficients") = f.ps.coef, Rcpp::Named("converged") = f.ps.converged,
          Rcpp::Named("iter") = f.ps.iter, Rcpp::Named("aliased") = psal,
          Rcpp::Named("n_fitted_01") = f.ps.n_fitted_01),
      Rcpp::Named("outcome_model") = Rcpp::List::create(
          Rcpp::Named("coefficients") = gam, Rcpp::Named("aliased") = oal,
          Rcpp::Named("converged") = f.out_converged),
      Rcpp::Named("n_clusters") = vc.n_clusters);
}
