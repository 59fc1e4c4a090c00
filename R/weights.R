# Propensity-score weights (WeightIt's conventions) and effective sample size.

#' Propensity-score weights
#'
#' Balancing weights for a target estimand: ATE 1/e for the treated and
#' 1/(1-e) for controls; ATT 1 and e/(1-e); ATC (1-e)/e and 1; ATO (overlap)
#' 1-e and e. These are WeightIt's conventions.
#'
#' @param ps Propensity scores, strictly between 0 and 1.
#' @param treatment Treatment indicator (logical or 0/1), same length.
#' @param estimand `"ATE"`, `"ATT"`, `"ATC"` or `"ATO"`.
#' @returns A numeric vector of weights, with attribute `ess`: the effective
#'   sample size (sum w)^2 / sum w^2 in the treated and control arms.
#' @examples
#' ps_weights(c(0.2, 0.5, 0.8), c(1, 0, 1), "ATE")
#' @export
ps_weights <- function(ps, treatment, estimand = c("ATE", "ATT", "ATC", "ATO")) {
  estimand <- rlang::arg_match(estimand)
  if (!is.numeric(ps) || anyNA(ps) || any(ps <= 0 | ps >= 1)) {
    bad <- ps[is.na(ps) | ps <= 0 | ps >= 1]
    cli::cli_abort(c("{.arg ps} must be numbers strictly between 0 and 1.",
                     "x" = "{length(bad)} value{?s} outside: {example_values(bad)}."))
  }
  a <- treatment_vector(treatment, "treatment")
  if (length(a) != length(ps)) {
    cli::cli_abort("{.arg ps} and {.arg treatment} must have the same length ({length(ps)} vs {length(a)}).")
  }
  res <- .cpp_ps_weights(as.numeric(ps), as.integer(a), estimand)
  w <- res$weights
  attr(w, "ess") <- res$ess
  w
}
