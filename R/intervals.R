# Confidence intervals for proportions, Poisson counts and directly
# standardised rates, following the conventions of PHEindicatormethods
# (Wilson score; exact Poisson below 10 events and Byar's approximation from
# 10; Dobson for weighted sums of Poisson counts).

#' Wilson score intervals for proportions
#'
#' The Wilson score interval (Wilson 1927; Newcombe and Altman 2000), as used
#' for proportions by the Office for Health Improvement and Disparities and
#' PHEindicatormethods (`wilson_lower()`, `wilson_upper()`).
#'
#' @param x Numbers of events (whole numbers, `0 <= x <= n`).
#' @param n Numbers of trials (denominators, `n > 0`). Recycled with `x` when
#'   one of them has length one.
#' @param conf_level Confidence level, strictly between 0 and 1.
#' @returns A tibble with one row per element of `x` and columns `x`, `n`,
#'   `estimate` (`x / n`), `conf.low`, `conf.high` (proportions between 0 and
#'   1).
#' @references Wilson EB (1927). Probable inference, the law of succession,
#'   and statistical inference. *JASA* 22:209-212.
#' @seealso [poisson_ci()] for counts and rates.
#' @examples
#' wilson_ci(c(65, 1045), c(100, 5000))
#' @export
wilson_ci <- function(x, n, conf_level = 0.95) {
  check_conf_level(conf_level)
  xn <- check_counts(x, n)
  x <- xn$x
  n <- xn$n
  if (any(x > n)) {
    bad <- which(x > n)
    cli::cli_abort(c(
      "{.arg x} must not exceed {.arg n}.",
      "x" = "{length(bad)} element{?s} ha{?s/ve} more events than trials, e.g. x = {example_values(x[bad])}, n = {example_values(n[bad])}."
    ))
  }
  lim <- wilson_limits(x, n, conf_level)
  tibble::tibble(x = x, n = n, estimate = x / n,
                 conf.low = lim$lower, conf.high = lim$upper)
}

#' Exact and Byar's intervals for Poisson counts and rates
#'
#' Confidence limits for a Poisson count, or for a rate `x / n` when `n` is
#' person-time or a population. `method = "phe"` (the default) is the
#' convention of PHEindicatormethods' `phe_rate()`: the exact interval (from
#' the chi-squared distribution) when `x < 10` and Byar's approximation
#' (Breslow and Day 1987) when `x >= 10`.
#'
#' Exact: lower `qchisq(a / 2, 2x) / 2`, upper `qchisq(1 - a / 2, 2x + 2) / 2`
#' with `a = 1 - conf_level` (the lower limit is 0 when `x = 0`). Byar's:
#' lower `x (1 - 1/(9x) - z/(3 sqrt(x)))^3`, upper
#' `(x + 1) (1 - 1/(9(x + 1)) + z/(3 sqrt(x + 1)))^3` with `z` the
#' `1 - a / 2` normal quantile; with `method = "byar"` and `x = 0` the lower
#' limit is 0.
#'
#' @inheritParams wilson_ci
#' @param x Observed counts (non-negative whole numbers).
#' @param n Denominators: person-time or populations (positive); the default
#'   1 gives limits for the count itself.
#' @param method `"phe"` (exact below 10 events, Byar's from 10), `"exact"` or
#'   `"byar"`.
#' @returns A tibble with columns `x`, `n`, `estimate` (`x / n`), `conf.low`,
#'   `conf.high` (on the scale of `x / n`) and `method` (`"exact"` or
#'   `"byar"`, the method used for each row).
#' @references Breslow NE, Day NE (1987). *Statistical methods in cancer
#'   research, volume II*. Lyon: IARC.
#' @examples
#' poisson_ci(c(0, 5, 65, 1045))
#' poisson_ci(c(12, 40), n = c(2500, 8000))
#' @export
poisson_ci <- function(x, n = 1, conf_level = 0.95,
                       method = c("phe", "exact", "byar")) {
  method <- rlang::arg_match(method)
  check_conf_level(conf_level)
  xn <- check_counts(x, n)
  x <- xn$x
  n <- xn$n
  use_byar <- switch(method, phe = x >= 10, exact = rep(FALSE, length(x)),
                     byar = rep(TRUE, length(x)))
  lower <- upper <- numeric(length(x))
  ex <- !use_byar
  if (any(ex)) {
    lim <- exact_poisson_limits(x[ex], conf_level)
    lower[ex] <- lim$lower
    upper[ex] <- lim$upper
  }
  if (any(use_byar)) {
    lower[use_byar] <- byar_lower(x[use_byar], conf_level)
    upper[use_byar] <- byar_upper(x[use_byar], conf_level)
  }
  tibble::tibble(x = x, n = n, estimate = x / n,
                 conf.low = lower / n, conf.high = upper / n,
                 method = ifelse(use_byar, "byar", "exact"))
}

# ---- internal limits --------------------------------------------------------

z_value <- function(conf_level) stats::qnorm(1 - (1 - conf_level) / 2)

wilson_limits <- function(x, n, conf_level) {
  z <- z_value(conf_level)
  centre <- 2 * x + z^2
  half <- z * sqrt(z^2 + 4 * x * (1 - x / n))
  denom <- 2 * (n + z^2)
  list(lower = (centre - half) / denom, upper = (centre + half) / denom)
}

exact_poisson_limits <- function(x, conf_level) {
  a <- 1 - conf_level
  lower <- ifelse(x > 0, stats::qchisq(a / 2, 2 * x) / 2, 0)
  upper <- stats::qchisq(1 - a / 2, 2 * x + 2) / 2
  list(lower = lower, upper = upper)
}

byar_lower <- function(x, conf_level) {
  z <- z_value(conf_level)
  out <- x * (1 - 1 / (9 * x) - z / (3 * sqrt(x)))^3
  out[x == 0] <- 0
  out
}

byar_upper <- function(x, conf_level) {
  z <- z_value(conf_level)
  (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * sqrt(x + 1)))^3
}

# Dobson et al. (1991) limits for a directly standardised rate: the DSR plus
# the Byar's limits of the total count, scaled by sqrt(var(DSR) / total).
# `value` and `var` are on the rate scale (not multiplied).
dobson_limits <- function(value, var, total, conf_level) {
  scale <- sqrt(var / total)
  list(lower = value + scale * (byar_lower(total, conf_level) - total),
       upper = value + scale * (byar_upper(total, conf_level) - total))
}

# Wald limits on the identity or log scale.
wald_limits <- function(estimate, se, conf_level, log = FALSE) {
  z <- z_value(conf_level)
  if (log) {
    list(lower = exp(log(estimate) - z * se), upper = exp(log(estimate) + z * se))
  } else {
    list(lower = estimate - z * se, upper = estimate + z * se)
  }
}

# ---- checks -----------------------------------------------------------------

check_conf_level <- function(conf_level, arg = rlang::caller_arg(conf_level),
                             call = rlang::caller_env()) {
  if (!is.numeric(conf_level) || length(conf_level) != 1L ||
      is.na(conf_level) || conf_level <= 0 || conf_level >= 1) {
    cli::cli_abort(c(
      "{.arg {arg}} must be a single number strictly between 0 and 1.",
      "x" = "It is {.obj_type_friendly {conf_level}}{if (is.numeric(conf_level) && length(conf_level) == 1L) paste0(' (', conf_level, ')') else ''}.",
      "i" = "Write 95% as 0.95."
    ), call = call)
  }
  invisible(conf_level)
}

check_counts <- function(x, n, call = rlang::caller_env()) {
  for (nm in c("x", "n")) {
    v <- if (nm == "x") x else n
    if (!is.numeric(v) || length(v) == 0L) {
      cli::cli_abort("{.arg {nm}} must be a non-empty numeric vector, not {.obj_type_friendly {v}}.",
                     call = call)
    }
    if (anyNA(v)) {
      cli::cli_abort(c("{.arg {nm}} must not contain missing values.",
                       "x" = "{sum(is.na(v))} element{?s} {?is/are} NA."),
                     call = call)
    }
  }
  if (length(x) != length(n) && length(x) != 1L && length(n) != 1L) {
    cli::cli_abort(c("{.arg x} and {.arg n} must have the same length (or length one).",
                     "x" = "{.arg x} has length {length(x)}, {.arg n} has length {length(n)}."),
                   call = call)
  }
  if (any(x < 0)) {
    cli::cli_abort(c("{.arg x} must be zero or more.",
                     "x" = "Negative values: {example_values(x[x < 0])}."), call = call)
  }
  if (any(x != round(x))) {
    cli::cli_abort(c("{.arg x} must hold whole numbers (counts of events).",
                     "x" = "Not whole: {example_values(x[x != round(x)])}."), call = call)
  }
  if (any(n <= 0)) {
    cli::cli_abort(c("{.arg n} must be greater than zero.",
                     "x" = "Values of zero or less: {example_values(n[n <= 0])}."), call = call)
  }
  len <- max(length(x), length(n))
  list(x = rep_len(as.numeric(x), len), n = rep_len(as.numeric(n), len))
}
