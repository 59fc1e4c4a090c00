# Rubin's rules: pooling estimates from multiply imputed data.
#
# For m completed data sets with estimates Q_l and (complete-data)
# variances U_l of a parameter (Rubin 1987; van Buuren 2018, Section 2.3):
#   qbar   = mean(Q_l)                         pooled estimate
#   ubar   = mean(U_l)                         within-imputation variance
#   b      = var(Q_l) (denominator m - 1)      between-imputation variance
#   t      = ubar + (1 + 1/m) b                total variance
#   riv    = (1 + 1/m) b / ubar                relative increase in variance
#   lambda = (1 + 1/m) b / t                   proportion of variance due to missingness
#   df     = Barnard-Rubin (1999) degrees of freedom, with lambda floored at
#            1e-4 as mice does: nu_old = (m - 1) / lambda^2,
#            nu_obs = (dfcom + 1) / (dfcom + 3) dfcom (1 - lambda),
#            df = nu_old nu_obs / (nu_old + nu_obs) (nu_old when dfcom = Inf)
#   fmi    = (riv + 2 / (df + 3)) / (riv + 1)  fraction of missing information
# Intervals are qbar -/+ qt(1 - alpha/2, df) sqrt(t) and p-values from the t
# distribution on df, as summary(mice::pool(), conf.int = TRUE). These are
# mice::pool()'s (and mice::pool.scalar()'s with n - k = dfcom) definitions.

#' Pool estimates from multiply imputed data by Rubin's rules
#'
#' Combines the estimates and variances of one or more parameters estimated
#' on each of `m` imputed data sets, as [mice::pool()] and
#' [mice::pool.scalar()] do: the pooled estimate is the mean of the
#' estimates; its total variance `t = ubar + (1 + 1/m) b` adds the
#' between-imputation variance `b` to the mean within-imputation variance
#' `ubar`; the degrees of freedom are Barnard and Rubin's (1999) small-sample
#' ones, which need the complete-data degrees of freedom `dfcom` (the
#' residual degrees of freedom `n - p` of the model, as mice takes them from
#' a `glm` fit; `Inf` gives Rubin's 1987 large-sample degrees of freedom).
#' Intervals and p-values use the t distribution on those degrees of freedom.
#'
#' @param estimate The per-imputation estimates: a numeric vector (one
#'   parameter, one value per imputation) or a matrix with one row per
#'   imputation and one column per parameter (column names are the terms).
#' @param variance Their complete-data variances, of the same shape as
#'   `estimate` (squared standard errors), or a list of `m` covariance
#'   matrices (one per imputation, `p x p`); the diagonals are pooled as
#'   variances and the whole matrices give the pooled covariance.
#' @param dfcom Complete-data degrees of freedom: one number or one per
#'   parameter. `Inf` (the default) for large-sample estimators.
#' @param conf_level Confidence level of the intervals.
#' @returns A tibble with one row per parameter and columns `term`, `m`,
#'   `estimate` (the pooled estimate), `std.error` (`sqrt(t)`), `statistic`
#'   (`estimate / std.error`), `df`, `p.value`, `conf.low`, `conf.high`,
#'   `ubar`, `b`, `t`, `dfcom`, `riv`, `lambda` and `fmi`. Attribute
#'   `"vcov"`: the pooled total covariance matrix `Ubar + (1 + 1/m) B`
#'   (with `variance` as covariance matrices; otherwise diagonal), and
#'   attributes `"ubar"` and `"b"` its two parts.
#' @references Rubin DB (1987). *Multiple Imputation for Nonresponse in
#'   Surveys*. Wiley. Barnard J, Rubin DB (1999). Small-sample degrees of
#'   freedom with multiple imputation. *Biometrika* 86, 948-955. van Buuren S
#'   (2018). *Flexible Imputation of Missing Data*, 2nd ed., Section 2.3.
#' @examples
#' q <- c(0.12, 0.15, 0.11, 0.14, 0.13)
#' u <- c(0.0004, 0.00042, 0.00039, 0.00041, 0.0004)
#' pool_rubin(q, u, dfcom = 500)
#' @export
pool_rubin <- function(estimate, variance, dfcom = Inf, conf_level = 0.95) {
  check_conf_level(conf_level, arg = "conf_level")
  Q <- if (is.matrix(estimate)) estimate else matrix(estimate, ncol = 1L)
  if (!is.numeric(Q)) {
    cli::cli_abort("{.arg estimate} must be numeric; it is {.obj_type_friendly {estimate}}.")
  }
  m <- nrow(Q)
  p <- ncol(Q)
  if (m < 2L) {
    cli::cli_abort(c("Rubin's rules need at least 2 imputations.",
                     "x" = "{.arg estimate} has {m} row{?s}."))
  }
  terms <- colnames(Q) %||% if (p == 1L) "estimate" else paste0("term", seq_len(p))
  if (is.list(variance) && !is.data.frame(variance)) {
    if (length(variance) != m) {
      cli::cli_abort(c("{.arg variance} must have one covariance matrix per imputation.",
                       "x" = "It has {length(variance)}; {.arg estimate} has {m} imputation{?s}."))
    }
    bad <- !vapply(variance, function(v) is.matrix(v) && all(dim(v) == p), TRUE)
    if (any(bad)) {
      cli::cli_abort(c("Each element of {.arg variance} must be a {p} x {p} covariance matrix.",
                       "x" = "Element{?s} {which(bad)} {?is/are} not."))
    }
    Ubar <- Reduce(`+`, variance) / m
    U <- do.call(rbind, lapply(variance, diag))
  } else {
    U <- if (is.matrix(variance)) variance else matrix(variance, ncol = 1L)
    if (!is.numeric(U) || !all(dim(U) == dim(Q))) {
      cli::cli_abort(c("{.arg variance} must have the shape of {.arg estimate}.",
                       "x" = "{.arg estimate} is {m} x {p}; {.arg variance} is {nrow(U)} x {ncol(U)}."))
    }
    Ubar <- diag(colMeans(U), p)
  }
  if (any(U < 0, na.rm = TRUE)) {
    cli::cli_abort("{.arg variance} must not be negative.")
  }
  if (!is.numeric(dfcom) || !length(dfcom) %in% c(1L, p) || anyNA(dfcom) || any(dfcom <= 0)) {
    cli::cli_abort(c("{.arg dfcom} must be one positive number or one per parameter ({p}).",
                     "x" = "It is {.val {dfcom}}."))
  }
  dfcom <- rep_len(as.numeric(dfcom), p)
  qbar <- colMeans(Q)
  ubar <- colMeans(U)
  B <- if (anyNA(Q)) matrix(NA_real_, p, p) else stats::cov(Q)
  b <- diag(B)
  t <- ubar + (1 + 1 / m) * b
  riv <- (1 + 1 / m) * b / ubar
  lambda <- (1 + 1 / m) * b / t
  df <- barnard_rubin(m, b, t, dfcom)
  fmi <- (riv + 2 / (df + 3)) / (riv + 1)
  se <- sqrt(t)
  stat <- qbar / se
  crit <- stats::qt(1 - (1 - conf_level) / 2, df)
  out <- tibble::tibble(
    term = terms, m = m, estimate = unname(qbar), std.error = unname(se),
    statistic = unname(stat), df = unname(df),
    p.value = unname(2 * stats::pt(-abs(stat), df)),
    conf.low = unname(qbar - crit * se), conf.high = unname(qbar + crit * se),
    ubar = unname(ubar), b = unname(b), t = unname(t), dfcom = dfcom, riv = unname(riv),
    lambda = unname(lambda), fmi = unname(fmi))
  Tm <- Ubar + (1 + 1 / m) * B
  dimnames(Tm) <- dimnames(Ubar) <- dimnames(B) <- list(terms, terms)
  attr(out, "vcov") <- Tm
  attr(out, "ubar") <- Ubar
  attr(out, "b") <- B
  out
}

# Barnard and Rubin's (1999) degrees of freedom, as mice:::barnard.rubin():
# lambda floored at 1e-4, Rubin's (m - 1) / lambda^2 when dfcom is infinite.
barnard_rubin <- function(m, b, t, dfcom = Inf) {
  lambda <- (1 + 1 / m) * b / t
  lambda[!is.na(lambda) & lambda < 1e-4] <- 1e-4
  dfold <- (m - 1) / lambda^2
  dfobs <- (dfcom + 1) / (dfcom + 3) * dfcom * (1 - lambda)
  ifelse(is.infinite(dfcom), dfold, dfold * dfobs / (dfold + dfobs))
}
