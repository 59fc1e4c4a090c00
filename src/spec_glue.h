// Glue shared by the estimation entry points: reading the one named spec
// list that R builds (effect_engine_spec() in R/effect_fit.R,
// scenario_engine_spec() in R/scenarios.R, irls_control_spec() for the bare
// model fits) into the engine's option structs. Every field is required and
// checked by name and type here, so the R call sites pass no positional
// options and no constants.
#ifndef MATEQUITY_SPEC_GLUE_H
#define MATEQUITY_SPEC_GLUE_H

#include <RcppEigen.h>

#include <matequity/logit_irls.hpp>
#include <matequity/weights.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace spec_glue {

// A field of any length; field(): one of length 1.
inline SEXP present(const Rcpp::List& spec, const char* name) {
  if (!spec.containsElementNamed(name)) Rcpp::stop("engine spec has no field '%s'", name);
  return spec[name];
}

inline SEXP field(const Rcpp::List& spec, const char* name) {
  SEXP x = present(spec, name);
  if (Rf_length(x) != 1) Rcpp::stop("engine spec field '%s' must have length 1", name);
  return x;
}

inline double num(const Rcpp::List& spec, const char* name) {
  SEXP x = field(spec, name);
  if (!Rf_isNumeric(x) && !Rf_isLogical(x)) Rcpp::stop("engine spec field '%s' must be a number", name);
  return Rcpp::as<double>(x);
}

inline int whole(const Rcpp::List& spec, const char* name) {
  const double v = num(spec, name);
  if (!R_finite(v) || v != static_cast<double>(static_cast<long long>(v)))
    Rcpp::stop("engine spec field '%s' must be a whole number", name);
  return static_cast<int>(v);
}

inline bool flag(const Rcpp::List& spec, const char* name) {
  SEXP x = field(spec, name);
  if (!Rf_isLogical(x) || LOGICAL(x)[0] == NA_LOGICAL)
    Rcpp::stop("engine spec field '%s' must be TRUE or FALSE", name);
  return LOGICAL(x)[0] != 0;
}

inline std::string str(const Rcpp::List& spec, const char* name) {
  SEXP x = field(spec, name);
  if (TYPEOF(x) != STRSXP || STRING_ELT(x, 0) == NA_STRING)
    Rcpp::stop("engine spec field '%s' must be a string", name);
  return Rcpp::as<std::string>(x);
}

// A vector of whole numbers (integer, or double with whole values; no NA)
// of length n.
inline std::vector<int> whole_vector(const Rcpp::List& spec, const char* name, R_xlen_t n) {
  SEXP x = present(spec, name);
  if (TYPEOF(x) != INTSXP && TYPEOF(x) != REALSXP)
    Rcpp::stop("engine spec field '%s' must be a vector of whole numbers", name);
  if (Rf_xlength(x) != n)
    Rcpp::stop("engine spec field '%s' must have length %d", name, static_cast<int>(n));
  std::vector<int> out(static_cast<std::size_t>(n));
  for (R_xlen_t i = 0; i < n; ++i) {
    bool ok;
    if (TYPEOF(x) == INTSXP) {
      ok = INTEGER(x)[i] != NA_INTEGER;
      out[static_cast<std::size_t>(i)] = INTEGER(x)[i];
    } else {
      const double v = REAL(x)[i];
      ok = R_finite(v) && std::fabs(v) < 2147483648.0 &&
           v == static_cast<double>(static_cast<long long>(v));
      if (ok) out[static_cast<std::size_t>(i)] = static_cast<int>(v);
    }
    if (!ok) Rcpp::stop("engine spec field '%s' must be a vector of whole numbers", name);
  }
  return out;
}

// An estimand by its name.
inline matequity::Estimand estimand_from_name(const std::string& e) {
  if (e == "ATE") return matequity::Estimand::ATE;
  if (e == "ATT") return matequity::Estimand::ATT;
  if (e == "ATC") return matequity::Estimand::ATC;
  if (e == "ATO") return matequity::Estimand::ATO;
  Rcpp::stop("engine spec: unknown estimand '%s' (ATE, ATT, ATC or ATO)", e);
}

// IRLS / Newton control: convergence tolerance and iteration limit.
inline matequity::GlmControl glm_control(const Rcpp::List& spec) {
  matequity::GlmControl ctl;
  ctl.epsilon = num(spec, "epsilon");
  ctl.maxit = whole(spec, "maxit");
  if (!(ctl.epsilon > 0.0)) Rcpp::stop("engine spec field 'epsilon' must be positive");
  if (ctl.maxit < 1) Rcpp::stop("engine spec field 'maxit' must be at least 1");
  return ctl;
}

inline int nthreads(const Rcpp::List& spec) {
  const int t = whole(spec, "nthreads");
  if (t < 1) Rcpp::stop("engine spec field 'nthreads' must be at least 1");
  return t;
}

// Cluster codes 1..G from R as 0-based codes, and G (0 when unclustered).
inline std::vector<int> cluster_codes(const Rcpp::IntegerVector& cluster, int& n_clusters) {
  std::vector<int> out(cluster.size());
  n_clusters = 0;
  for (R_xlen_t i = 0; i < cluster.size(); ++i) {
    if (cluster[i] == NA_INTEGER || cluster[i] < 1) Rcpp::stop("cluster codes must be 1, 2, ...");
    out[i] = cluster[i] - 1;
    if (cluster[i] > n_clusters) n_clusters = cluster[i];
  }
  return out;
}

}  // namespace spec_glue

#endif  // MATEQUITY_SPEC_GLUE_H
