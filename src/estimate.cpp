// Glue for logit_irls.hpp, estimators.hpp, sandwich.hpp and bootstrap.hpp:
// type conversion only.
#include <RcppEigen.h>
#include <matequity/estimators.hpp>
#include <matequity/sandwich.hpp>

#include "boot_glue.h"

namespace {

matequity::EffectSpec make_spec(int estimand, int method, bool binary, double truncate,
                                double q_bound, double epsilon, int maxit) {
  matequity::EffectSpec sp;
  sp.estimand = matequity::estimand_from_int(estimand);
  if (method < 0 || method > 3) Rcpp::stop("method code must be 0..3");
  sp.method = static_cast<matequity::Method>(method);
  sp.binary = binary;
  sp.truncate = truncate;
  sp.q_bound = q_bound;
  sp.ctl.epsilon = epsilon;
  sp.ctl.maxit = maxit;
  return sp;
}

Rcpp::IntegerVector one_based(const std::vector<int>& v) {
  Rcpp::IntegerVector out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = v[i] + 1;
  return out;
}

std::vector<int> cluster_codes(const Rcpp::IntegerVector& cluster) {
  std::vector<int> out(cluster.size());
  for (R_xlen_t i = 0; i < cluster.size(); ++i) out[i] = cluster[i] - 1;
  return out;
}

}  // namespace

// [[Rcpp::export(name = ".cpp_logit_fit", rng = false)]]
Rcpp::List cpp_logit_fit(const Eigen::Map<Eigen::MatrixXd>& X, const Eigen::Map<Eigen::VectorXd>& y,
                         const Eigen::Map<Eigen::VectorXd>& w,
                         const Eigen::Map<Eigen::VectorXd>& offset, double epsilon,
                         int maxit, int nthreads) {
  matequity::GlmControl ctl;
  ctl.epsilon = epsilon;
  ctl.maxit = maxit;
  const matequity::GlmFit f =
      matequity::logit_irls(X, Eigen::VectorXd(y), Eigen::VectorXd(w), Eigen::VectorXd(offset), ctl, nthreads);
  return Rcpp::List::create(
      Rcpp::Named("coefficients") = f.coef, Rcpp::Named("linear.predictors") = f.eta,
      Rcpp::Named("fitted.values") = f.mu, Rcpp::Named("deviance") = f.deviance,
      Rcpp::Named("iter") = f.iter, Rcpp::Named("converged") = f.converged,
      Rcpp::Named("boundary") = f.boundary, Rcpp::Named("aliased") = one_based(f.aliased),
      Rcpp::Named("diverging") = one_based(f.diverging),
      Rcpp::Named("n_fitted_01") = f.n_fitted_01, Rcpp::Named("qr_fallback") = f.qr_fallback);
}

// [[Rcpp::export(name = ".cpp_wls_fit", rng = false)]]
Rcpp::List cpp_wls_fit(const Eigen::Map<Eigen::MatrixXd>& X, const Eigen::Map<Eigen::VectorXd>& y,
                       const Eigen::Map<Eigen::VectorXd>& w, int nthreads) {
  const matequity::LmFit f =
      matequity::wls_fit(X, Eigen::VectorXd(y), Eigen::VectorXd(w), matequity::GlmControl(), nthreads);
  return Rcpp::List::create(Rcpp::Named("coefficients") = f.coef,
                            Rcpp::Named("fitted.values") = f.fitted,
                            Rcpp::Named("aliased") = one_based(f.aliased));
}

// [[Rcpp::export(name = ".cpp_effect_fit", rng = false)]]
Rcpp::List cpp_effect_fit(const Eigen::Map<Eigen::MatrixXd>& X, const Eigen::Map<Eigen::MatrixXd>& Z,
                          const Eigen::Map<Eigen::VectorXd>& a, const Eigen::Map<Eigen::VectorXd>& y,
                          int estimand, int method, bool binary, double truncate, double q_bound,
                          double epsilon, int maxit, bool account_ps,
                          const Rcpp::IntegerVector& cluster, int n_clusters, int nthreads) {
  const matequity::EffectSpec sp =
      make_spec(estimand, method, binary, truncate, q_bound, epsilon, maxit);
  const Eigen::VectorXd av(a), yv(y), s = Eigen::VectorXd::Ones(X.rows());
  const matequity::EffectFit f = matequity::fit_effect(X, Z, av, yv, s, sp, nthreads);
  const Eigen::MatrixXd IF = matequity::effect_if(f, X, Z, av, yv, sp, account_ps, nthreads);
  const matequity::VcovResult vc =
      matequity::vcov_from_if(IF, cluster_codes(cluster), n_clusters, nthreads);
  Rcpp::List ps = Rcpp::List::create(
      Rcpp::Named("coefficients") = f.ps.coef, Rcpp::Named("converged") = f.ps.converged,
      Rcpp::Named("iter") = f.ps.iter, Rcpp::Named("aliased") = one_based(f.ps.aliased),
      Rcpp::Named("diverging") = one_based(f.ps.diverging),
      Rcpp::Named("n_fitted_01") = f.ps.n_fitted_01);
  Rcpp::List out = Rcpp::List::create(
      Rcpp::Named("coef1") = f.gamma1, Rcpp::Named("coef0") = f.gamma0,
      Rcpp::Named("aliased1") = one_based(f.aliased1),
      Rcpp::Named("aliased0") = one_based(f.aliased0),
      Rcpp::Named("converged") = f.out_converged, Rcpp::Named("iter") = f.out_iter,
      Rcpp::Named("m1") = f.m1, Rcpp::Named("m0") = f.m0,
      Rcpp::Named("tmle_epsilon") = Rcpp::NumericVector::create(f.eps[1], f.eps[0]));
  return Rcpp::List::create(
      Rcpp::Named("mu") = Rcpp::NumericVector::create(f.mu[1], f.mu[0]),
      Rcpp::Named("vcov") = vc.V, Rcpp::Named("influence") = IF,
      Rcpp::Named("ps") = f.e, Rcpp::Named("weights") = f.w,
      Rcpp::Named("n_truncated") = Rcpp::NumericVector::create(
          static_cast<double>(f.n_truncated[1]), static_cast<double>(f.n_truncated[0])),
      Rcpp::Named("ps_model") = ps, Rcpp::Named("outcome_model") = out,
      Rcpp::Named("n_clusters") = vc.n_clusters);
}

// [[Rcpp::export(name = ".cpp_effect_boot", rng = false)]]
Rcpp::NumericMatrix cpp_effect_boot(const Eigen::Map<Eigen::MatrixXd>& X,
                                    const Eigen::Map<Eigen::MatrixXd>& Z,
                                    const Eigen::Map<Eigen::VectorXd>& a,
                                    const Eigen::Map<Eigen::VectorXd>& y, int estimand, int method,
                                    bool binary, double truncate, double q_bound, double epsilon,
                                    int maxit, double seed, double b0, double b1,
                                    const Rcpp::IntegerVector& cluster, int n_clusters,
                                    int nthreads, const Eigen::Map<Eigen::VectorXd>& ps_start,
                                    const Eigen::Map<Eigen::VectorXd>& start1,
                                    const Eigen::Map<Eigen::VectorXd>& start0) {
  const matequity::EffectSpec sp =
      make_spec(estimand, method, binary, truncate, q_bound, epsilon, maxit);
  matequity::BootStarts starts;
  starts.ps = ps_start;
  starts.out1 = start1;
  starts.out0 = start0;
  std::vector<std::string> reasons;
  const Eigen::MatrixXd B = matequity::bootstrap_effect(
      X, Z, Eigen::VectorXd(a), Eigen::VectorXd(y), sp, static_cast<std::uint64_t>(seed),
      static_cast<long long>(b0), static_cast<long long>(b1), cluster_codes(cluster), n_clusters,
      nthreads, starts, &reasons);
  return boot_matrix(B, reasons);
}

// Estimating functions and their analytic derivative at a given theta (the
// models are fitted first, to fix the layout, truncation caps and, when the
// propensity block is left out, the scores). Used by the tests.
// [[Rcpp::export(name = ".cpp_stack_eval", rng = false)]]
Rcpp::List cpp_stack_eval(const Eigen::Map<Eigen::MatrixXd>& X, const Eigen::Map<Eigen::MatrixXd>& Z,
                          const Eigen::Map<Eigen::VectorXd>& a, const Eigen::Map<Eigen::VectorXd>& y,
                          int estimand, int method, bool binary, double truncate, bool account_ps,
                          Rcpp::Nullable<Rcpp::NumericVector> theta) {
  const matequity::EffectSpec sp = make_spec(estimand, method, binary, truncate, 5e-4, 1e-12, 50);
  const Eigen::VectorXd av(a), yv(y), s = Eigen::VectorXd::Ones(X.rows());
  const matequity::EffectFit f = matequity::fit_effect(X, Z, av, yv, s, sp, 1);
  const matequity::StackLayout L = matequity::make_layout(sp, account_ps, X.cols(), Z.cols(), f);
  Eigen::VectorXd th = matequity::theta_hat(L, f);
  if (theta.isNotNull()) {
    Rcpp::NumericVector t(theta);
    if (t.size() != L.k) Rcpp::stop("theta must have %d entries", static_cast<int>(L.k));
    for (Eigen::Index j = 0; j < L.k; ++j) th[j] = t[j];
  }
  const matequity::StackEval ev = matequity::stack_eval(L, th, X, Z, av, yv, s, sp, f, true);
  return Rcpp::List::create(Rcpp::Named("theta") = th, Rcpp::Named("psibar") = ev.psibar,
                            Rcpp::Named("A") = ev.A, Rcpp::Named("psi") = ev.psi,
                            Rcpp::Named("layout") = Rcpp::IntegerVector::create(L.p, L.q1, L.q0, L.nu, L.r));
}
