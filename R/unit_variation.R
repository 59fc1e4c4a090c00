# Unit variation: indirectly standardised ratios (observed / expected from a
# risk model fitted on the whole cohort), risk-adjusted rates and funnel
# plots with exact limits and Spiegelhalter's overdispersion adjustment, as
# FunnelPlotR and PHEindicatormethods compute them.

#' Variation between maternity units: standardised ratios and funnel plots
#'
#' Compares units (maternity providers, sites) on an outcome. With `adjust`,
#' a logistic model of the outcome on the `adjust` columns (main effects, no
#' unit term) is fitted to the whole eligible cohort, and a unit's expected
#' count `E` is the sum of its women's fitted risks (without `adjust`, `E` is
#' the unit's eligible count times the overall rate). The indirectly
#' standardised ratio is `O / E`, with exact Poisson limits below 10 events
#' and Byar's from 10 (as PHEindicatormethods' `calculate_ISRatio()` /
#' `phe_isr()`); the risk-adjusted rate is `O / E` times the overall rate.
#'
#' @section Funnel limits:
#' The funnel is drawn against `E` (ratios) or the eligible count `n`
#' (proportions), around the target 1 (ratios) or the overall proportion
#' `p0`, at 95% and 99.8%:
#' * Unadjusted, ratios: exact Poisson limits for an observed count whose
#'   expectation is `E`, `qchisq(a, 2E) / (2E)` and
#'   `qchisq(1 - a, 2E + 2) / (2E)` with `a = 0.025` or `0.001`, as
#'   FunnelPlotR's `funnel_plot(data_type = "SR")` draws them.
#' * Unadjusted, proportions: exact binomial limits (Spiegelhalter 2005,
#'   appendix A.1.1): with `r` the `a`-quantile of Binomial(`n`, `p0`) and
#'   `F` its distribution function, the limit is `(r - f) / n` with the
#'   interpolation `f = (F(r) - a) / (F(r) - F(r - 1))`.
#' * Overdispersion-adjusted (Spiegelhalter 2005, section 3): each unit's
#'   value is transformed to `y` with standard error `s` (ratios, `method =
#'   "SHMI"`: `y = log(O/E)`, `s = 1/sqrt(E)`; `method = "CQC"`: `y =
#'   sqrt(O/E)`, `s = 1/(2 sqrt(E))`; proportions: `y = asin(sqrt(O/n))`,
#'   `s = 1/(2 sqrt(n))`), and `z = (y - y0)/s`. The multiplicative
#'   overdispersion factor is `phi = mean(z^2)` over the z-scores after
#'   limiting the influence of extreme units: for SHMI the 10% most extreme
#'   at each end are left out (truncation, as NHS Digital's SHMI and
#'   FunnelPlotR do), for CQC and proportions they are winsorised to the 10th
#'   and 90th percentiles (`trim`). The additive random-effects variance is
#'   `tau2 = (k phi - (k - 1)) / (sum(w) - sum(w^2) / sum(w))`, `w = 1/s^2`
#'   over the `k` units used, and 0 when `k phi < k - 1`
#'   (DerSimonian-Laird). A unit with no events left in after truncation
#'   (`z = -Inf` on the log scale) is not used.
#' * `od_model = "additive"` (the default, FunnelPlotR's and NHS Digital's):
#'   random-effects limits `y0 +/- z_a sqrt(s^2 + tau2)`, transformed back
#'   (`exp()` for SHMI, squared for CQC, `sin()^2` for proportions;
#'   FunnelPlotR draws the CQC limits unsquared). `od_model =
#'   "multiplicative"`: the variance inflated by `phi`, `y0 +/- z_a
#'   sqrt(phi) s` (when `phi > 1`), transformed back the same way; the
#'   adjusted z-score is then `z / sqrt(phi)`.
#'
#' A unit is an outlier (`"high"`, `"low"`) when its value lies outside the
#' `outlier_level` limits: the adjusted ones when `overdispersion` is `TRUE`
#' and `phi > 1`, otherwise the unadjusted ones (FunnelPlotR's rule).
#'
#' @section Disclosure:
#' Events and eligible counts go through [apply_disclosure()] (the units
#' partition the cohort, so secondary suppression works along the unit
#' margin, and a unit whose non-events are few is suppressed too). The
#' expected count is a model estimate, released to 3 significant figures and
#' suppressed with the unit's counts. Every other column (ratio, limits,
#' rates, z-scores, `phi`, `tau2`, the outlier flag) is computed from the
#' released events and expected counts, and is missing for a suppressed
#' unit; the overall rate comes from the released cohort totals.
#'
#' @param data A cohort (one row per pregnancy, give `outcome`), or an
#'   aggregated table with one row per unit (give `events` and `expected`
#'   or `n`).
#' @param outcome For a cohort, the outcome column (eligibility as in
#'   [outcome_rates()]).
#' @param unit The unit column (bare name or string), e.g. `provider`.
#' @param adjust Risk factors for the expected counts (e.g.
#'   `~ age_band + nulliparous` or `c(age_band, nulliparous)`); `NULL` for
#'   crude expected counts.
#' @param statistic `"ratio"` (observed / expected) or `"proportion"`
#'   (events / n, against the overall proportion).
#' @param method For ratios, the overdispersion method: `"SHMI"` (log scale,
#'   truncation) or `"CQC"` (square-root scale, winsorisation).
#' @param overdispersion Whether outliers are judged against the
#'   overdispersion-adjusted limits (when `phi > 1`).
#' @param od_model `"additive"` (random-effects `tau2`) or
#'   `"multiplicative"` (`phi`): which overdispersion model gives the
#'   adjusted limits and z-scores.
#' @param trim Proportion truncated or winsorised at each end when estimating
#'   `phi` (FunnelPlotR's `trim_by`).
#' @param outlier_level `0.998` or `0.95`: the limits outliers are judged
#'   against.
#' @param ratio_scale Scale of the ratio and its limits (e.g. 100 for a ratio
#'   of 100 at expectation); default 1. Proportions and their limits are per
#'   `per`. Reported in column `multiplier`.
#' @param multiplier Deprecated: use `ratio_scale` for ratios and `per` for
#'   proportions.
#' @param events,n,expected For an aggregated table: the observed events, the
#'   eligible counts (optional for ratios) and the expected counts (optional:
#'   without them, `n` times the overall proportion).
#' @inheritParams outcome_rates
#' @returns An `mq_unit_variation` tibble (class `mq_sdc`) with one row per
#'   unit: the unit column, `events`, `n` (when known) with their `_sdc`
#'   flags, `expected`; for ratios `ratio`, `conf.low`, `conf.high` (exact
#'   or Byar's, at `conf_level`) and, when `n` is known, `rate`, `rate.low`,
#'   `rate.high` (risk-adjusted rate per `per`) and `overall_rate`; for
#'   proportions `proportion`, `conf.low`, `conf.high` (Wilson); then `z`
#'   (unadjusted) and `z_adjusted` (with the overdispersion), the funnel limits at the
#'   unit's denominator `ll95`, `ul95`, `ll998`, `ul998` (unadjusted) and
#'   `od_ll95`, `od_ul95`, `od_ll998`, `od_ul998` (adjusted), `outlier`
#'   (`"high"`, `"low"`, `"none"`, `NA` when suppressed), `phi`
#'   (multiplicative overdispersion factor), `tau2` (additive between-unit
#'   variance),
#'   `target`, `multiplier` and `per`.
#' @references Spiegelhalter DJ (2005). Funnel plots for comparing
#'   institutional performance. *Stat Med* 24:1185-1202.
#'   Spiegelhalter DJ (2005). Handling over-dispersion of performance
#'   indicators. *Qual Saf Health Care* 14:347-351.
#'   NHS Digital (2023). SHMI methodology (the 10% truncation).
#' @seealso [outcome_rates()], [dsr()], [apply_disclosure()].
#' @examples
#' cohort <- add_outcomes(define_cohort(msds_example), msds_example)
#' uv <- unit_variation(cohort, preterm, unit = provider,
#'                      adjust = ~ age_band + nulliparous)
#' uv[, c("provider", "events", "expected", "ratio", "outlier")]
#' if (requireNamespace("ggplot2", quietly = TRUE)) ggplot2::autoplot(uv)
#' @export
unit_variation <- function(data, outcome = NULL, unit = provider, adjust = NULL,
                           statistic = c("ratio", "proportion"),
                           method = c("SHMI", "CQC"), overdispersion = TRUE,
                           od_model = c("additive", "multiplicative"),
                           trim = 0.1, outlier_level = 0.998, ratio_scale = NULL,
                           conf_level = 0.95, disclosure = NULL, eligible = NULL,
                           per = NULL, events = NULL, n = NULL, expected = NULL,
                           multiplier = NULL) {
  check_data_frame(data)
  check_conf_level(conf_level)
  statistic <- rlang::arg_match(statistic)
  # the old `multiplier` scaled the reported statistic: a ratio's scale, or
  # a proportion's `per`
  if (statistic == "ratio") {
    if (deprecated_arg(multiplier, missing(ratio_scale), "multiplier", "ratio_scale",
                       "unit_variation")) {
      ratio_scale <- multiplier
    }
  } else {
    if (deprecated_arg(multiplier, missing(per), "multiplier", "per", "unit_variation")) {
      per <- multiplier
    }
    if (!is.null(ratio_scale)) {
      cli::cli_abort(c("{.arg ratio_scale} applies to ratios only.",
                       "i" = "Proportions and their limits are given per {.arg per}."))
    }
  }
  method <- rlang::arg_match(method)
  od_model <- rlang::arg_match(od_model)
  check_flag(overdispersion)
  check_number(trim, lower = 0, upper = 0.49)
  if (!is.numeric(outlier_level) || length(outlier_level) != 1L ||
      !outlier_level %in% c(0.95, 0.998)) {
    cli::cli_abort(c("{.arg outlier_level} must be {.val {0.95}} or {.val {0.998}}.",
                     "x" = "It is {.obj_type_friendly {outlier_level}}{if (is.numeric(outlier_level) && length(outlier_level) == 1L) paste0(' (', outlier_level, ')') else ''}."))
  }
  unit <- resolve_column(data, rlang::enquo(unit), "unit")
  oq <- rlang::enquo(outcome)
  if (!rlang::quo_is_null(oq)) {
    agg <- unit_counts_cohort(data, oq, rlang::enquo(eligible), per, unit,
                              resolve_columns(data, rlang::enquo(adjust), "adjust"),
                              disclosure)
  } else {
    agg <- unit_counts_table(data, unit, rlang::enquo(events), rlang::enquo(n),
                             rlang::enquo(expected), statistic, per)
  }
  tab <- agg$table
  has_n <- "n" %in% names(tab)
  if (statistic == "proportion" && !has_n) {
    cli::cli_abort("{.arg statistic} {.val proportion} needs the eligible counts: give {.arg n}.")
  }
  per <- agg$per
  multiplier <- if (statistic == "ratio") ratio_scale %||% 1 else per
  check_number(multiplier, lower = .Machine$double.eps,
               arg = if (statistic == "ratio") "ratio_scale" else "per")
  rule <- resolve_disclosure(disclosure)

  # the cohort totals (a margin published anyway), released as the rule
  # releases counts: the overall rate rests on them
  tot_events <- release_value(sum(tab$events), rule)
  tot_n <- if (has_n) release_value(sum(tab$n), rule) else NA_real_

  tab$per <- per
  tab$multiplier <- multiplier
  counts <- if (has_n) c("events", "n") else "events"
  est <- if (statistic == "ratio") "expected" else NULL
  if (statistic == "proportion") tab$expected <- NULL
  out <- apply_disclosure(tab, counts = counts, estimates = est, disclosure = rule,
                          margins = unit, keys = c("per", "multiplier"),
                          complements = if (has_n) list(events = ~ n - events))

  # everything below rests on the released events, n and expected counts
  O <- as.numeric(out$events)
  N <- if (has_n) as.numeric(out$n) else rep(NA_real_, nrow(out))
  E <- if (statistic == "ratio") as.numeric(out$expected) else N
  ok <- !is.na(O) & !is.na(E) & E > 0
  if (statistic == "ratio") {
    overall <- tot_events / tot_n
    target <- 1
    ci <- poisson_limits_na(ifelse(ok, O, NA), ifelse(ok, E, NA), conf_level)
    out$ratio <- ifelse(ok, O / E, NA) * multiplier
    out$conf.low <- ci$conf.low * multiplier
    out$conf.high <- ci$conf.high * multiplier
    if (has_n) {
      out$rate <- out$ratio / multiplier * overall * per
      out$rate.low <- out$conf.low / multiplier * overall * per
      out$rate.high <- out$conf.high / multiplier * overall * per
      out$overall_rate <- overall * per
    }
    value <- ifelse(ok, O / E, NA)
  } else {
    target <- tot_events / tot_n
    wl <- wilson_limits(O, N, conf_level)
    out$proportion <- ifelse(ok, O / N, NA) * multiplier
    out$conf.low <- ifelse(ok, wl$lower, NA) * multiplier
    out$conf.high <- ifelse(ok, wl$upper, NA) * multiplier
    value <- ifelse(ok, O / N, NA)
  }
  kind <- if (statistic == "proportion") "PR" else method
  fz <- funnel_z(value, E, target, kind)
  od <- funnel_overdispersion(fz$z[ok], fz$s[ok], kind, trim)
  out$z <- fz$z
  infl <- if (od_model == "multiplicative") max(1, od$phi, na.rm = TRUE) else 1
  tau2 <- if (od_model == "additive") od$tau2 else 0
  out$z_adjusted <- ifelse(ok, (fz$y - fz$y0) / sqrt(infl * fz$s^2 + tau2), NA)
  lim <- funnel_limits(E, target, kind, tau2, infl)
  for (nm in names(lim)) out[[nm]] <- ifelse(ok, lim[[nm]], NA) * multiplier
  use_od <- overdispersion && isTRUE(od$phi > 1)
  suffix <- if (outlier_level == 0.95) "95" else "998"
  lo <- out[[paste0(if (use_od) "od_" else "", "ll", suffix)]]
  hi <- out[[paste0(if (use_od) "od_" else "", "ul", suffix)]]
  v <- value * multiplier
  out$outlier <- ifelse(!ok, NA_character_,
                        ifelse(v > hi, "high", ifelse(v < lo, "low", "none")))
  out$phi <- od$phi
  out$tau2 <- od$tau2
  out$target <- target * multiplier
  front <- setdiff(names(out), c("per", "multiplier"))
  out <- out[c(front, "multiplier", "per")]
  derived <- setdiff(front, c(unit, counts, paste0(counts, "_sdc"), "expected"))
  out <- log_columns(out, derived, if (rule$preset == "none") "computed from original counts"
                     else "computed from released counts")
  attr(out, "unit_variation") <- list(
    unit = unit, statistic = statistic, method = kind, outcome = agg$outcome,
    adjust = agg$adjust, multiplier = multiplier, target = target * multiplier,
    phi = od$phi, tau2 = od$tau2, k = od$k, overdispersion = use_od,
    od_model = od_model, inflation = infl, tau2_used = tau2,
    outlier_level = outlier_level, trim = trim, per = per)
  class(out) <- unique(c("mq_unit_variation", class(out)))
  out
}

# Events, eligible counts and expected counts per unit from a cohort; the
# risk model is fitted to the whole eligible cohort.
unit_counts_cohort <- function(data, oq, eq, per, unit, adjust, disclosure,
                               call = rlang::caller_env()) {
  spec <- outcome_spec(data, oq, eq, per, call = call)
  if (unit %in% adjust) {
    cli::cli_abort("{.arg adjust} must not include the {.arg unit} column {.field {unit}}.",
                   call = call)
  }
  rows <- outcome_rows(data, spec, call = call)
  umiss <- rows$use & is.na(data[[unit]])
  if (any(umiss)) {
    r <- message_rule(call)
    k <- sum(umiss)
    cli::cli_warn(c("{released_count(k, r)} eligible row{cli::qty(released_qty(k, r))}{?s} with missing {.field {unit}} {cli::qty(released_qty(k, r))}{?is/are} left out.",
                    exact_note(r)), call = call)
  }
  use <- rows$use & !is.na(data[[unit]])
  if (!any(use)) {
    cli::cli_abort("No eligible rows for {.field {spec$outcome}} with a {.field {unit}}.", call = call)
  }
  d <- data[use, , drop = FALSE]
  y <- rows$y[use]
  p <- if (length(adjust)) risk_model_fitted(y, d, adjust, call) else rep(mean(y), length(y))
  tab <- count_by(d, unit, cbind(events = y, n = 1, expected = p))
  list(table = tab, per = spec$per, outcome = spec$outcome, adjust = adjust)
}

# Fitted risks from a logistic model of the outcome on the adjust columns.
risk_model_fitted <- function(y, d, adjust, call) {
  mf <- data.frame(.y = y)
  for (a in adjust) {
    v <- d[[a]]
    if (anyNA(v)) {
      cli::cli_abort(c("Adjustment column {.field {a}} has {sum(is.na(v))} missing value{?s} among eligible rows.",
                       "i" = "Recode them (e.g. to \"Unknown\") so they are kept, or filter them out first."),
                     call = call)
    }
    mf[[a]] <- if (is.numeric(v)) v else factor(as.character(v))
  }
  fit <- suppressWarnings(stats::glm(stats::reformulate(adjust, response = ".y"),
                                     family = stats::binomial(), data = mf))
  if (!fit$converged) {
    cli::cli_warn("The risk model for the expected counts did not converge; expected counts may be unreliable.",
                  call = call)
  }
  if (anyNA(stats::coef(fit))) {
    cli::cli_abort(c("The risk model is not identifiable (aliased terms: {.field {names(which(is.na(stats::coef(fit))))}}).",
                     "i" = "Simplify {.arg adjust}."), call = call)
  }
  as.numeric(stats::fitted(fit))
}

# Events, n and expected per unit from an aggregated table.
unit_counts_table <- function(data, unit, evq, nq, exq, statistic, per,
                              call = rlang::caller_env()) {
  ev <- resolve_column(data, evq, "events", call = call)
  nn <- resolve_column(data, nq, "n", required = FALSE, call = call)
  ex <- resolve_column(data, exq, "expected", required = FALSE, call = call)
  if (is.null(nn) && is.null(ex)) {
    cli::cli_abort(c("An aggregated table needs {.arg expected} or {.arg n}.",
                     "i" = "Give the expected counts of a risk model, or the eligible counts (the expected counts are then {.arg n} times the overall rate)."),
                   call = call)
  }
  if (anyNA(data[[unit]])) {
    cli::cli_abort("Unit column {.field {unit}} must not be missing.", call = call)
  }
  x <- data[[ev]]
  check_count_column(x, ev, call = call)
  vals <- cbind(events = x)
  if (!is.null(nn)) {
    check_count_column(data[[nn]], nn, call = call)
    if (any(x > data[[nn]], na.rm = TRUE)) {
      cli::cli_abort("{.arg events} ({.field {ev}}) must not exceed {.arg n} ({.field {nn}}).", call = call)
    }
    vals <- cbind(vals, n = data[[nn]])
  }
  if (!is.null(ex)) {
    e <- data[[ex]]
    if (!is.numeric(e) || anyNA(e) || any(e <= 0)) {
      cli::cli_abort(c("{.arg expected} ({.field {ex}}) must be positive numbers.",
                       "x" = "Problem values: {example_values(e[is.na(e) | !is.numeric(e) | e <= 0])}."),
                     call = call)
    }
    vals <- cbind(vals, expected = e)
  }
  if (anyNA(vals)) {
    cli::cli_abort("{.arg events} and {.arg n} must not be missing.", call = call)
  }
  tab <- count_by(data, unit, vals)
  if (is.null(ex) && statistic == "ratio") {
    tab$expected <- tab$n * sum(tab$events) / sum(tab$n)
  }
  per <- per %||% 100
  check_number(per, lower = .Machine$double.eps, call = call)
  list(table = tab, per = per, outcome = ev, adjust = character())
}

# Transformed values, their standard errors and z-scores (Spiegelhalter
# 2005; FunnelPlotR's transformed_zscore()). `value` is O/E (SHMI, CQC) or
# O/n (PR), `d` the denominator (E or n), `target` 1 or p0.
funnel_z <- function(value, d, target, kind) {
  switch(kind,
    SHMI = list(y = log(value), y0 = 0, s = 1 / sqrt(d), z = sqrt(d) * log(value)),
    CQC = list(y = sqrt(value), y0 = 1, s = 1 / (2 * sqrt(d)),
               z = (sqrt(value) - 1) * 2 * sqrt(d)),
    PR = list(y = asin(sqrt(value)), y0 = asin(sqrt(target)), s = 1 / (2 * sqrt(d)),
              z = (asin(sqrt(value)) - asin(sqrt(target))) * 2 * sqrt(d)))
}

# phi (multiplicative) and tau2 (additive) from the z-scores of the units:
# truncated for SHMI, winsorised otherwise.
funnel_overdispersion <- function(z, s, kind, trim) {
  k <- length(z)
  if (!k) return(list(phi = NA_real_, tau2 = 0, k = 0L))
  if (trim > 0 && kind == "SHMI") {
    # the 10% at each end left out: rank groups 0 and 1/trim - 1 of
    # floor(rank / (k + 1) / trim), as NHS Digital's SHMI and FunnelPlotR
    grp <- floor(rank(z, ties.method = "average") / trim / (k + 1))
    keep <- grp > 0 & grp < 1 / trim - 1
    z <- z[keep]
    s <- s[keep]
  } else if (trim > 0) {
    q <- stats::quantile(z, c(trim, 1 - trim), names = FALSE)
    z <- pmin(pmax(z, q[1]), q[2])
  }
  # a unit with no events has z = -Inf on the log scale: when truncation
  # has not left it out, it cannot enter the estimate
  fin <- is.finite(z)
  z <- z[fin]
  s <- s[fin]
  k <- length(z)
  if (!k) return(list(phi = NA_real_, tau2 = 0, k = 0L))
  phi <- sum(z^2) / k
  w <- 1 / s^2
  tau2 <- if (k * phi < k - 1) 0 else max(0, (k * phi - (k - 1)) / (sum(w) - sum(w^2) / sum(w)))
  list(phi = phi, tau2 = tau2, k = k)
}

# Funnel limits at denominators `d` around `target` (on the unit scale, not
# multiplied): unadjusted exact limits and the overdispersion-adjusted ones
# (additive: tau2; multiplicative: the variance times `inflation` = phi).
funnel_limits <- function(d, target, kind, tau2, inflation = 1) {
  out <- list()
  for (lv in c(0.95, 0.998)) {
    a <- (1 - lv) / 2
    sfx <- if (lv == 0.95) "95" else "998"
    if (kind == "PR") {
      out[[paste0("ll", sfx)]] <- binomial_funnel(a, d, target)
      out[[paste0("ul", sfx)]] <- binomial_funnel(1 - a, d, target)
    } else {
      out[[paste0("ll", sfx)]] <- target * stats::qchisq(a, 2 * d) / (2 * d)
      out[[paste0("ul", sfx)]] <- target * stats::qchisq(1 - a, 2 * d + 2) / (2 * d)
    }
  }
  for (lv in c(0.95, 0.998)) {
    zq <- stats::qnorm(1 - (1 - lv) / 2)
    sfx <- if (lv == 0.95) "95" else "998"
    s <- switch(kind, SHMI = 1 / sqrt(d), 1 / (2 * sqrt(d)))
    h <- zq * sqrt(inflation * s^2 + tau2)
    if (kind == "SHMI") {
      lo <- target * exp(-h)
      hi <- target * exp(h)
    } else if (kind == "CQC") {
      lo <- target * pmax(0, 1 - h)^2
      hi <- target * (1 + h)^2
    } else {
      y0 <- asin(sqrt(target))
      lo <- sin(pmax(0, y0 - h))^2
      hi <- sin(pmin(pi / 2, y0 + h))^2
    }
    out[[paste0("od_ll", sfx)]] <- lo
    out[[paste0("od_ul", sfx)]] <- hi
  }
  out
}

# Exact binomial funnel limit with interpolation (Spiegelhalter 2005,
# appendix A.1.1): the p-quantile r of Binomial(n, p0), less the fraction
# (F(r) - p) / (F(r) - F(r - 1)), over n. n may be fractional (a grid).
binomial_funnel <- function(p, n, p0) {
  out <- rep(NA_real_, length(n))
  ok <- !is.na(n) & n > 0
  nn <- round(n[ok])
  r <- stats::qbinom(p, nn, p0)
  Fr <- stats::pbinom(r, nn, p0)
  Fr1 <- stats::pbinom(r - 1, nn, p0)
  frac <- ifelse(Fr > Fr1, (Fr - p) / (Fr - Fr1), 0)
  out[ok] <- (r - frac) / nn
  out
}

#' @exportS3Method ggplot2::autoplot
autoplot.mq_unit_variation <- function(object, ...) {
  rlang::check_installed("ggplot2", reason = "to draw funnel plots.")
  info <- attr(object, "unit_variation")
  ratio <- info$statistic == "ratio"
  xcol <- if (ratio) "expected" else "n"
  ycol <- if (ratio) "ratio" else "proportion"
  d <- as.data.frame(object)
  hidden <- sum(is.na(d[[ycol]]) | is.na(d[[xcol]]))
  d <- d[!is.na(d[[ycol]]) & !is.na(d[[xcol]]), , drop = FALSE]
  d$.unit <- as.character(d[[info$unit]])
  d$.outlier <- factor(d$outlier, levels = c("high", "low", "none"))
  # limit lines from a grid of denominators spanning the released ones
  lines <- data.frame(x = numeric(), limit = character(), side = character(), y = numeric())
  if (nrow(d)) {
    rng <- range(d[[xcol]])
    grid <- seq(max(if (ratio) 1.1 else 3, rng[1] * 0.5), rng[2] * 1.05, length.out = 200)
    lim <- funnel_limits(grid, info$target / info$multiplier, info$method,
                         info$tau2_used, info$inflation)
    sets <- c("95%" = "95", "99.8%" = "998")
    adj <- info$overdispersion
    parts <- list()
    for (lab in names(sets)) {
      for (side in c("ll", "ul")) {
        nm <- paste0(if (adj) "od_" else "", side, sets[[lab]])
        parts[[length(parts) + 1L]] <- data.frame(
          x = grid, limit = paste(lab, if (adj) "(overdispersion-adjusted)" else "(exact)"),
          side = side, y = lim[[nm]] * info$multiplier)
      }
    }
    lines <- do.call(rbind, parts)
  }
  d <- sdc_plot_frame(d, object)
  lines <- sdc_plot_frame(lines, object)
  # the grid is a parameter of the drawing; the limits rest on the released
  # values (through tau2 and the target)
  lines <- log_columns(lines, "x", "key (a classification or parameter, not a statistic)")
  lines <- log_columns(lines, "y", "computed from released counts")
  lines$.grp <- paste(lines$limit, lines$side)
  ggplot2::ggplot() +
    ggplot2::geom_hline(yintercept = info$target, colour = "grey40") +
    ggplot2::geom_line(data = lines, ggplot2::aes(x = .data$x, y = .data$y,
                                                  linetype = .data$limit, group = .data$.grp)) +
    ggplot2::geom_point(data = d, ggplot2::aes(x = .data[[xcol]], y = .data[[ycol]],
                                               colour = .data$.outlier)) +
    ggplot2::scale_colour_manual(values = c(high = "#D62728", low = "#1F77B4", none = "grey45"),
                                 drop = TRUE) +
    ggplot2::labs(x = if (ratio) "Expected events" else "Eligible (n)",
                  y = if (ratio) "Observed / expected" else "Proportion",
                  colour = "Outlier", linetype = NULL,
                  subtitle = plot_subtitle(attr(object, "sdc")),
                  caption = if (hidden) paste(hidden, "suppressed unit(s) not shown") else NULL)
}
