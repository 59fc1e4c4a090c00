// Glue for scenarios.hpp: type conversion only.
#include <RcppEigen.h>
#include <matequity/scenarios.hpp>

#include "boot_glue.h"
#include "spec_glue.h"

namespace {

// The scenario spec list (scenario_engine_spec() in R/scenarios.R): the
// number of groups, the reference group's 0-based code, the targeted groups
// (one 0/1 entry per group), the target uptake, weighting or g-computation
// and the IRLS control.
matequity::ScenarioSpec parse_scenario_spec(const Rcpp::List& spec) {
  matequity::ScenarioSpec sp;
  sp.n_groups = spec_glue::whole(spec, "n_groups");
  if (sp.n_groups < 1) Rcpp::stop("engine spec field 'n_groups' must be at least 1");
  sp.ref = spec_glue::whole(spec, "ref");
  sp.target = spec_glue::whole_vector(spec, "target", sp.n_groups);
  sp.target_uptake = spec_glue::num(spec, "target_uptake");
  sp.weighting = spec_glue::flag(spec, "weighting");
  sp.ctl = spec_glue::glm_control(spec);
  return sp;
}

Rcpp::List model_info(const matequity::GlmFit& f) {
  Rcpp::IntegerVector al(f.aliased.size());
  for (std::size_t i = 0; i < f.aliased.size(); ++i) al[i] = f.aliased[i] + 1;
  return Rcpp::List::create(Rcpp::Named("coefficients") = f.coef,
                            Rcpp::Named("converged") = f.converged,
                            Rcpp::Named("iter") = f.iter, Rcpp::Named("aliased") = al,
                            Rcpp::Named("n_fitted_01") = f.n_fitted_01,
                            Rcpp::Named("n_diverging") = static_cast<int>(f.diverging.size()));
}

}  // namespace

// Point estimates, models and covariance (influence functions) of theta:
// per group (mu, p, psi1, psi0, eq, tgt). g: 0-based group codes; s:
// frequency weights of the rows (patterns); spec: scenario_engine_spec()'s
// list; want_if: also return the influence functions.
// [[Rcpp::export(name = ".cpp_scenarios_fit", rng = false)]]
Rcpp::List cpp_scenarios_fit(const Eigen::Map<Eigen::MatrixXd>& Z, const Eigen::Map<Eigen::MatrixXd>& L,
                             const Eigen::Map<Eigen::VectorXd>& a, const Eigen::Map<Eigen::VectorXd>& y,
                             const Rcpp::IntegerVector& g, const Eigen::Map<Eigen::VectorXd>& s,
                             const Rcpp::List& spec, bool want_if) {
  const matequity::ScenarioSpec sp = parse_scenario_spec(spec);
  const int n_groups = sp.n_groups;
  const bool weighting = sp.weighting;
  const std::vector<int> gv(g.begin(), g.end());
  const auto G = matequity::split_groups(Eigen::MatrixXd(Z), Eigen::MatrixXd(L), Eigen::VectorXd(a),
                                         Eigen::VectorXd(y), gv, n_groups);
  const Eigen::VectorXd sv(s);
  const matequity::ScenarioFit F = matequity::fit_scenarios(G, sv, sp, true);
  Rcpp::List models(n_groups);
  Rcpp::NumericVector e_min(n_groups), e_max(n_groups);
  for (int k = 0; k < n_groups; ++k) {
    if (weighting) {
      const matequity::GlmFit& ps = F.ps[static_cast<std::size_t>(k)];
      models[k] = Rcpp::List::create(Rcpp::Named("ps") = model_info(ps));
      e_min[k] = ps.mu.minCoeff();
      e_max[k] = ps.mu.maxCoeff();
    } else {
      models[k] = Rcpp::List::create(Rcpp::Named("outcome1") = model_info(F.out1[static_cast<std::size_t>(k)]),
                                     Rcpp::Named("outcome0") = model_info(F.out0[static_cast<std::size_t>(k)]));
      e_min[k] = e_max[k] = NA_REAL;
    }
  }
  Rcpp::List out = Rcpp::List::create(
      Rcpp::Named("theta") = F.theta, Rcpp::Named("vcov") = F.V, Rcpp::Named("n") = F.n,
      Rcpp::Named("uptake") = model_info(F.uptake), Rcpp::Named("models") = models,
      Rcpp::Named("ps_min") = e_min, Rcpp::Named("ps_max") = e_max);
  if (want_if) out["influence"] = F.IF;
  return out;
}

// Bootstrap replicates b0..b1-1 of theta. row_pattern: 1-based pattern of
// each original row (resampling unit); spec: scenario_engine_spec()'s list
// (also read here: nthreads and the seed, whose stream gives replicate b's
// draws from the seed and b only).
// [[Rcpp::export(name = ".cpp_scenarios_boot", rng = false)]]
Rcpp::NumericMatrix cpp_scenarios_boot(const Eigen::Map<Eigen::MatrixXd>& Z,
                                       const Eigen::Map<Eigen::MatrixXd>& L,
                                       const Eigen::Map<Eigen::VectorXd>& a,
                                       const Eigen::Map<Eigen::VectorXd>& y,
                                       const Rcpp::IntegerVector& g,
                                       const Rcpp::IntegerVector& row_pattern,
                                       const Rcpp::List& spec, double b0, double b1) {
  const matequity::ScenarioSpec sp = parse_scenario_spec(spec);
  const int n_groups = sp.n_groups;
  const int nthreads = spec_glue::nthreads(spec);
  const double seed = spec_glue::num(spec, "seed");
  if (!R_finite(seed) || seed < 0) Rcpp::stop("engine spec field 'seed' must be a non-negative number");
  const std::vector<int> gv(g.begin(), g.end());
  const auto G = matequity::split_groups(Eigen::MatrixXd(Z), Eigen::MatrixXd(L), Eigen::VectorXd(a),
                                         Eigen::VectorXd(y), gv, n_groups);
  std::vector<int> rp(row_pattern.size());
  for (R_xlen_t i = 0; i < row_pattern.size(); ++i) rp[i] = row_pattern[i] - 1;
  std::vector<std::string> reasons;
  const Eigen::MatrixXd B = matequity::bootstrap_scenarios(
      G, Z.rows(), rp, sp, static_cast<std::uint64_t>(seed), static_cast<long long>(b0),
      static_cast<long long>(b1), nthreads, &reasons);
  return boot_matrix(B, reasons);
}
