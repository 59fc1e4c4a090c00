// Glue for logit_irls.hpp, estimators.hpp, sandwich.hpp and bootstrap.hpp:
// type conversion only.
#include <RcppEigen.h>
#include <matequity/estimators.hpp>
#include <matequity/sandwich.hpp>

#include "boot_glue.h"
#include "spec_glue.h"

namespace {

// The effect spec list (effect_engine_spec() in R/effect_fit.R): method and
// estimand by name, outcome type, weight truncation (NA: none), the TMLE
// bound, the IRLS control, whether the sandwich stacks the propensity model,
// the thread count and the bootstrap seed.
struct EffectCall {
  matequity::EffectSpec sp;
  bool account_ps = true;
  int nthreads = 1;
};

matequity::Method method_from_name(const std::string& m) {
  if (m == "ipw") return matequity::Method::IPW;
  if (m == "gcomp") return matequity::Method::GCOMP;
  if (m == "aipw") return matequity::Method::AIPW;
  if (m == "tmle") return matequity::Method::TMLE;
  Rcpp::stop("engine spec: unknown method '%s' (ipw, gcomp, aipw or tmle)", m);
}

EffectCall parse_effect_spec(const Rcpp::List& spec) {
  EffectCall c;
  c.sp.method = method_from_name(spec_glue::str(spec, "method"));
  c.sp.estimand = spec_glue::estimand_from_name(spec_glue::str(spec, "estimand"));
  c.sp.binary = spec_glue::flag(spec, "binary");
  const double tr = spec_glue::num(spec, "truncate");
  c.sp.truncate = ISNAN(tr) ? -1.0 : tr;
  c.sp.q_bound = spec_glue::num(spec, "q_bound");
  c.sp.ctl = spec_glue::glm_control(spec);
  c.account_ps = spec_glue::flag(spec, "account_ps");
  c.nthreads = spec_glue::nthreads(spec);
  return c;
}

Rcpp::IntegerVector one_based(const std::vector<int>& v) {
  Rcpp::IntegerVector out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = v[i] + 1;
  return out;
}

}  // namespace

// Weighted logistic IRLS. spec: a list with the fields epsilon, maxit and
// nthreads (irls_control_spec() or effect_engine_spec() in R/effect_fit.R).
// [[Rcpp::export(name = ".cpp_logit_fit", rng = false)]]
Rcpp::List cpp_logit_fit(const Eigen::Map<Eigen::MatrixXd>& X, const Eigen::Map<Eigen::VectorXd>& y,
                         const Eigen::Map<Eigen::VectorXd>& w,
                         const Eigen::Map<Eigen::VectorXd>& offset, const Rcpp::List& spec) {
  const matequity::GlmControl ctl = spec_glue::glm_control(spec);
  const int nthreads = spec_glue::nthreads(spec);
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

// The fit, its influence functions and (clustered) sandwich; returns the
// small results only (the influence functions and outcome predictions stay
// here: the fit object does not keep n-by-k copies).
// [[Rcpp::export(name = ".cpp_effect_fit", rng = false)]]
Rcpp::List cpp_effect_fit(const Eigen::Map<Eigen::MatrixXd>& X, const Eigen::Map<Eigen::MatrixXd>& Z,
                          const Eigen::Map<Eigen::VectorXd>& a, const Eigen::Map<Eigen::VectorXd>& y,
                          const Rcpp::IntegerVector& cluster, const Rcpp::List& spec) {
  const EffectCall c = parse_effect_spec(spec);
  int n_clusters = 0;
  const std::vector<int> cl = spec_glue::cluster_codes(cluster, n_clusters);
  const Eigen::VectorXd av(a), yv(y), s = Eigen::VectorXd::Ones(X.rows());
  const matequity::EffectFit f = matequity::fit_effect(X, Z, av, yv, s, c.sp, c.nthreads);
  double mu[2];  // mu_1, mu_0: from the stack (TMLE: its targeted means)
  const Eigen::MatrixXd IF =
      matequity::effect_if(f, X, Z, av, yv, c.sp, c.account_ps, c.nthreads, mu);
  const matequity::VcovResult vc = matequity::vcov_from_if(IF, cl, n_clusters, c.nthreads);
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
      Rcpp::Named("tmle_epsilon") = Rcpp::NumericVector::create(f.eps[1], f.eps[0]));
  return Rcpp::List::create(
      Rcpp::Named("mu") = Rcpp::NumericVector::create(mu[0], mu[1]),
      Rcpp::Named("vcov") = vc.V, Rcpp::Named("ps") = f.e, Rcpp::Named("weights") = f.w,
      Rcpp::Named("n_truncated") = Rcpp::NumericVector::create(
          static_cast<double>(f.n_truncated[1]), static_cast<double>(f.n_truncated[0])),
      Rcpp::Named("ps_model") = ps, Rcpp::Named("outcome_model") = out,
      Rcpp::Named("n_clusters") = vc.n_clusters);
}

// Bootstrap replicates b0 + 1 .. b1 of the spec's fit (field "seed": the
// stream; replicate b's draws depend on the seed and b only).
// [[Rcpp::export(name = ".cpp_effect_boot", rng = false)]]
Rcpp::NumericMatrix cpp_effect_boot(const Eigen::Map<Eigen::MatrixXd>& X,
                                    const Eigen::Map<Eigen::MatrixXd>& Z,
                                    const Eigen::Map<Eigen::VectorXd>& a,
                                    const Eigen::Map<Eigen::VectorXd>& y,
                                    const Rcpp::IntegerVector& cluster, const Rcpp::List& spec,
                                    double b0, double b1,
                                    const Eigen::Map<Eigen::VectorXd>& ps_start,
                                    const Eigen::Map<Eigen::VectorXd>& start1,
                                    const Eigen::Map<Eigen::VectorXd>& start0) {
  const EffectCall c = parse_effect_spec(spec);
  const double seed = spec_glue::num(spec, "seed");
  if (!R_finite(seed) || seed < 0) Rcpp::stop("engine spec field 'seed' must be a non-negative number");
  int n_clusters = 0;
  const std::vector<int> cl = spec_glue::cluster_codes(cluster, n_clusters);
  matequity::BootStarts starts;
  starts.ps = ps_start;
  starts.out1 = start1;
  starts.out0 = start0;
  std::vector<std::string> reasons;
  const Eigen::MatrixXd B = matequity::bootstrap_effect(
      X, Z, Eigen::VectorXd(a), Eigen::VectorXd(y), c.sp, static_cast<std::uint64_t>(seed),
      static_cast<long long>(b0), static_cast<long long>(b1), cl, n_clusters, c.nthreads,
      starts, &reasons);
  return boot_matrix(B, reasons);
}

// The fit's stacked estimating equations (build_effect_stack()): theta at
// the solution, the bread there, and the mean estimating function at a given
// theta (default: the solution). Used by the tests.
// [[Rcpp::export(name = ".cpp_stack_eval", rng = false)]]
Rcpp::List cpp_stack_eval(const Eigen::Map<Eigen::MatrixXd>& X, const Eigen::Map<Eigen::MatrixXd>& Z,
                          const Eigen::Map<Eigen::VectorXd>& a, const Eigen::Map<Eigen::VectorXd>& y,
                          const Rcpp::List& spec, Rcpp::Nullable<Rcpp::NumericVector> theta) {
  const EffectCall c = parse_effect_spec(spec);
  if (c.sp.method == matequity::Method::TMLE) Rcpp::stop("TMLE has no stacked estimating equations");
  const Eigen::VectorXd av(a), yv(y), s = Eigen::VectorXd::Ones(X.rows());
  const matequity::EffectFit f = matequity::fit_effect(X, Z, av, yv, s, c.sp, c.nthreads);
  matequity::EffectStack es;
  matequity::build_effect_stack(es, f, X, Z, av, yv, c.sp, c.account_ps, c.nthreads, s);
  Eigen::VectorXd th = es.st.theta();
  if (theta.isNotNull()) {
    Rcpp::NumericVector t(theta);
    if (t.size() != th.size()) Rcpp::stop("theta must have %d entries", static_cast<int>(th.size()));
    for (Eigen::Index j = 0; j < th.size(); ++j) th[j] = t[j];
  }
  return Rcpp::List::create(Rcpp::Named("theta") = es.st.theta(),
                            Rcpp::Named("psibar") = es.st.mean_psi(th),
                            Rcpp::Named("A") = es.st.bread(),
                            Rcpp::Named("mu") = Rcpp::NumericVector::create(
                                es.st.theta()[es.mu[1]], es.st.theta()[es.mu[0]]));
}
