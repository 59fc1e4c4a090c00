# Uptake of care models and outcome rates over time, and segmented
# (interrupted time-series) regression with Newey-West standard errors.

#' Key dates for interrupted time series
#'
#' `better_births_date`: publication of *Better Births*, the report of the
#' National Maternity Review (NHS England), 23 February 2016, which set the
#' ambition for midwifery continuity of carer. `mcoc_withdrawal_date`: the
#' NHS England letter of 21 September 2022 that removed the national target
#' for continuity of carer to be the default model of care. Together they are
#' the default `breaks` of [its()].
#' @format A `Date`.
#' @examples
#' c(better_births_date, mcoc_withdrawal_date)
#' @export
better_births_date <- as.Date("2016-02-23")

#' @rdname better_births_date
#' @export
mcoc_withdrawal_date <- as.Date("2022-09-21")

#' Uptake of a care model (or an outcome rate) over time
#'
#' The percentage of pregnancies with `variable` TRUE per calendar quarter,
#' year or month of `date`, overall or by group, with Wilson intervals, after
#' disclosure control. If `variable` is an outcome with an eligibility column
#' `<variable>_eligible`, the denominators are the eligible rows and the
#' multiplier is the outcome's (when `attr(cohort, "outcomes")` gives one);
#' otherwise the denominators are the rows where `variable` is not missing
#' (missing ones are counted in `n_missing`).
#'
#' @inheritParams outcome_rates
#' @param variable A logical column: a care model (`pcsp`, `coc_placed`) or
#'   an outcome.
#' @param interval `"quarter"` (calendar quarters), `"year"` or `"month"`.
#' @param date The date column that places a pregnancy in time
#'   (default `booking_date`).
#' @param version_change The MSDS v1.5 to v2 change to mark: `NULL`
#'   (default: [msds_v2_date] when the cohort's `version` column holds
#'   `"v1.5"` records), `TRUE` ([msds_v2_date]), a `Date`, or `FALSE`.
#' @param cohort Deprecated: use `data`.
#' @returns A tibble of class `mq_trend` with columns `period` (the first day
#'   of the period), `period_label`, the `by` columns, `events`, `n`,
#'   `n_missing`, `rate` (per `per`), `conf.low`, `conf.high`, `per`, and,
#'   when a version change is marked, `msds_version` (`"v1.5"`, `"v2"`, or
#'   `"v1.5 and v2"` for a period that spans it; `autoplot()` draws it as a
#'   dotted line).
#' @examples
#' set.seed(1)
#' d <- data.frame(booking_date = as.Date("2020-01-01") + sample(0:729, 2000, TRUE),
#'                 group = sample(c("Core20", "Other"), 2000, TRUE))
#' d$coc_placed <- runif(2000) < 0.2 + 0.1 * (d$booking_date > as.Date("2021-01-01"))
#' care_model_trend(d, coc_placed, by = group, disclosure = "none")
#' @export
care_model_trend <- function(data, variable, by = NULL,
                             interval = c("quarter", "year", "month"),
                             date = booking_date, conf_level = 0.95,
                             disclosure = NULL, version_change = NULL, cohort = NULL) {
  if (deprecated_arg(cohort, missing(data), "cohort", "data", "care_model_trend")) data <- cohort
  check_data_frame(data)
  check_conf_level(conf_level)
  interval <- rlang::arg_match(interval)
  variable <- resolve_column(data, rlang::enquo(variable), "variable")
  by <- resolve_columns(data, rlang::enquo(by), "by")
  date <- resolve_column(data, rlang::enquo(date), "date")
  out <- trend_counts(data, variable, by, interval, date)
  per <- out$per[1]
  out$rate <- out$conf.low <- out$conf.high <- NA_real_
  out <- tibble::as_tibble(out[c("period", "period_label", by, "events", "n",
                                 "n_missing", "rate", "conf.low", "conf.high", "per")])
  # rates and intervals from the released events and n (a suppressed
  # n_missing does not touch them); the periods and groups add up to the
  # totals of the table without them
  pos <- function(n) ifelse(!is.na(n) & n > 0, n, NA_real_)
  margins <- c("period", by)
  out <- apply_disclosure(out, counts = c("events", "n", "n_missing"),
                          derived = list(
                            rate = ~ events / pos(n) * per,
                            conf.low = ~ wilson_limits(events, pos(n), conf_level)$lower * per,
                            conf.high = ~ wilson_limits(events, pos(n), conf_level)$upper * per),
                          complements = list(events = ~ n - events),
                          margins = margins, keys = c("per", "period_label"), disclosure = disclosure)
  version_change <- resolve_version_change(data, version_change)
  if (!is.null(version_change)) out$msds_version <- period_version(out$period, interval, version_change)
  attr(out, "trend") <- list(variable = variable, by = by, interval = interval,
                             version_change = version_change)
  class(out) <- unique(c("mq_trend", class(out)))
  out
}

#' First day of MSDS v2 (April 2019)
#'
#' Bookings before it are MSDS v1.5 records (see [msds_v15_schema()]).
#' [care_model_trend()] marks each period's version and [its()] can add a
#' level change here.
#' @format A `Date`.
#' @examples
#' msds_v2_date
#' @export
msds_v2_date <- as.Date("2019-04-01")

# The date of the MSDS version change to mark: given, or April 2019 when
# the cohort holds v1.5 records (column `version` from define_cohort()).
resolve_version_change <- function(cohort, version_change, call = rlang::caller_env()) {
  if (isFALSE(version_change)) return(NULL)
  if (is.null(version_change)) {
    v <- cohort[["version"]]
    return(if (!is.null(v) && any(v %in% "v1.5")) msds_v2_date else NULL)
  }
  if (isTRUE(version_change)) return(msds_v2_date)
  if (!inherits(version_change, "Date") || length(version_change) != 1L || is.na(version_change)) {
    cli::cli_abort("{.arg version_change} must be one {.cls Date}, {.code TRUE} (April 2019), {.code FALSE} or {.code NULL}.",
                   call = call)
  }
  version_change
}

# "v1.5" for periods that end before the change, "v2" for those that start
# on or after it, "v1.5 and v2" for a period that spans it.
period_version <- function(period, interval, change) {
  nxt <- switch(interval,
                month = seq_months(period, 1L), quarter = seq_months(period, 3L),
                year = seq_months(period, 12L))
  ifelse(period >= change, "v2", ifelse(nxt <= change, "v1.5", "v1.5 and v2"))
}

seq_months <- function(d, k) {
  lt <- as.POSIXlt(d)
  m <- lt$year * 12L + lt$mon + k
  as.Date(sprintf("%04d-%02d-01", m %/% 12L + 1900L, m %% 12L + 1L))
}

trend_counts <- function(cohort, variable, by, interval, date,
                         call = rlang::caller_env()) {
  dt <- cohort[[date]]
  if (!inherits(dt, "Date")) {
    cli::cli_abort("Column {.field {date}} given as {.arg date} must be a {.cls Date}, not {.obj_type_friendly {dt}}.",
                   call = call)
  }
  v <- cohort[[variable]]
  if (is.numeric(v) && all(v[!is.na(v)] %in% c(0, 1))) v <- v == 1
  if (!is.logical(v)) {
    cli::cli_abort("Column {.field {variable}} given as {.arg variable} must be logical (or 0/1), not {.obj_type_friendly {v}}.",
                   call = call)
  }
  elig_col <- paste0(variable, "_eligible")
  meta <- attr(cohort, "outcomes")
  per <- 100
  if (is.data.frame(meta) && variable %in% meta$outcome) {
    row <- match(variable, meta$outcome)
    elig_col <- meta$eligible[row]
    per <- meta$multiplier[row]
  }
  elig <- if (elig_col %in% names(cohort)) cohort[[elig_col]] %in% TRUE else rep(TRUE, length(v))
  dmiss <- elig & is.na(dt)
  if (any(dmiss)) {
    r <- message_rule(call)
    k <- sum(dmiss)
    cli::cli_warn(c("{released_count(k, r)} row{cli::qty(released_qty(k, r))}{?s} with missing {.field {date}} {cli::qty(released_qty(k, r))}{?is/are} left out.", exact_note(r)), call = call)
  }
  keep <- elig & !is.na(dt)
  p <- period_start(dt[keep], interval)
  d <- cohort[keep, by, drop = FALSE]
  d$period <- p
  vv <- v[keep]
  agg <- count_by(d, c("period", by),
                  cbind(events = vv %in% TRUE, n = !is.na(vv), n_missing = is.na(vv)))
  agg$period <- as.Date(agg$period)
  agg$period_label <- period_label(agg$period, interval)
  agg$per <- per
  agg
}

period_start <- function(x, interval) {
  lt <- as.POSIXlt(x)
  y <- lt$year + 1900
  m <- lt$mon
  m <- switch(interval, quarter = (m %/% 3) * 3, year = 0L, month = m)
  as.Date(sprintf("%04d-%02d-01", y, m + 1L))
}

period_label <- function(p, interval) {
  lt <- as.POSIXlt(p)
  switch(interval,
         quarter = sprintf("%d Q%d", lt$year + 1900, lt$mon %/% 3 + 1),
         year = format(p, "%Y"),
         month = format(p, "%Y-%m"))
}

# Consecutive period index (1 = first period of the data).
period_index <- function(p, interval, origin) {
  lt <- as.POSIXlt(p); lo <- as.POSIXlt(origin)
  months <- (lt$year - lo$year) * 12 + (lt$mon - lo$mon)
  switch(interval, quarter = months %/% 3, year = months %/% 12, month = months) + 1
}

#' Interrupted time series: segmented regression of rates
#'
#' Fits `rate_t = b0 + b1 t + sum_k (c_k post_k(t) + d_k (t - t_k) post_k(t))`
#' to the rate per period, where `t` counts periods (1 = the first), `post_k`
#' is 1 for periods starting on or after break `k`, and `t_k` is the first
#' such period: `c_k` is the change in level and `d_k` the change in slope at
#' break `k`.
#'
#' `vcov = "ar1"` (default) fits the model by generalised least squares with
#' first-order autoregressive errors, `Cov(e_s, e_t) = sigma^2 rho^|s - t|`,
#' estimated by restricted maximum likelihood (REML); standard errors are
#' the model's, `sigma^2 (X' R^-1 X)^-1`. It agrees with
#' `nlme::gls(rate ~ ..., correlation = nlme::corAR1(form = ~ time), method
#' = "REML")`. In simulation studies of interrupted time series of the
#' lengths seen in practice, REML kept intervals near their nominal coverage
#' where ordinary least squares with Newey-West errors did not (Turner et al.
#' 2021, BMC Med Res Methodol 21:181). Newey-West errors are too small when
#' a segment is short: their autocovariance terms are dominated by the
#' negative correlation that fitting a line induces between a short
#' segment's residuals (see `validation/its_v15.md`, where a series starting
#' nine months before the break gave Newey-West intervals covering 67% of the
#' time).
#'
#' `vcov = "newey-west"` fits by ordinary least squares with Newey-West
#' standard errors (Bartlett kernel, no prewhitening), with `lag` defaulting
#' to `floor(4 (n / 100)^(2/9))`, and the small-sample factor `n / (n - p)`
#' when `adjust = TRUE`; they agree with
#' `sandwich::NeweyWest(fit, lag, prewhite = FALSE, adjust)`. Intervals and
#' p-values use the t distribution on `n - p` degrees of freedom for both.
#'
#' Breaks outside the data, or with fewer than two periods on either side,
#' are dropped with a warning.
#'
#' @inheritParams care_model_trend
#' @param data A cohort (one row per pregnancy), or a table from
#'   [care_model_trend()].
#' @param variable For a cohort, the column to trend (as in
#'   [care_model_trend()]); ignored for a trend table.
#' @param breaks Dates of the interruptions; default the publication of
#'   Better Births and the withdrawal of the national continuity-of-carer
#'   target ([better_births_date], [mcoc_withdrawal_date]).
#' @param vcov `"ar1"` (default: generalised least squares with AR(1)
#'   errors, REML) or `"newey-west"` (least squares with Newey-West standard
#'   errors); see Details.
#' @param lag Newey-West lag (whole number), or `NULL` for the default
#'   (`vcov = "newey-west"` only).
#' @param adjust Apply the `n / (n - p)` factor (`vcov = "newey-west"` only).
#' @param version_level `TRUE` adds a level-change term `level_msds_v2` at
#'   the MSDS v1.5 to v2 change ([msds_v2_date], or a `Date` given here): a
#'   step in recording, with no slope change. `FALSE` (default) fits no such
#'   term; the change is still marked on the plot when the trend table marks
#'   it (see [care_model_trend()]).
#' @returns An object of class `mq_its` with [tidy()] (`term`, `estimate`,
#'   `std.error`, `statistic`, `p.value`, `conf.low`, `conf.high`, and the
#'   `by` columns), [glance()] (`nobs`, `df.residual`, `vcov`, `lag`, `rho`,
#'   `r.squared`, `breaks`) and `autoplot()` methods. The model is fitted
#'   to the released rates: the table of [care_model_trend()] under
#'   `disclosure` (for a cohort), or the trend table given; periods whose rate
#'   was suppressed are left out of the model (with a warning), so nothing it
#'   returns rests on a suppressed count. Element `fitted` (a tibble with the
#'   `by` columns, `period`, `time`, `rate` and `fitted`) holds the released
#'   rates and the fitted values of the periods in the model; `shown` the
#'   released trend table. With `disclosure = "none"` the model uses exact
#'   rates, and its plot says that disclosure control is off.
#' @examples
#' set.seed(2)
#' d <- data.frame(booking_date = as.Date("2019-04-01") + sample(0:1825, 6000, TRUE))
#' late <- d$booking_date >= mcoc_withdrawal_date
#' d$coc_placed <- runif(6000) < ifelse(late, 0.15, 0.3)
#' fit <- its(d, coc_placed, breaks = mcoc_withdrawal_date, disclosure = "none")
#' tidy(fit)
#' @export
its <- function(data, variable = NULL, breaks = c(better_births_date, mcoc_withdrawal_date),
                interval = c("quarter", "year", "month"), by = NULL,
                lag = NULL, date = booking_date, adjust = TRUE,
                conf_level = 0.95, disclosure = NULL, version_level = FALSE,
                vcov = c("ar1", "newey-west")) {
  check_data_frame(data)
  check_conf_level(conf_level)
  check_flag(adjust)
  vcov <- rlang::arg_match(vcov)
  if (!is.null(lag) && vcov != "newey-west") {
    cli::cli_abort(c("{.arg lag} is the Newey-West lag: it needs {.code vcov = \"newey-west\"}.",
                     "i" = "{.code vcov = \"ar1\"} estimates the autocorrelation itself."))
  }
  if (!isFALSE(version_level) && !isTRUE(version_level) &&
      !(inherits(version_level, "Date") && length(version_level) == 1L && !is.na(version_level))) {
    cli::cli_abort("{.arg version_level} must be {.code TRUE} (a level change at {.val 2019-04-01}), {.code FALSE} or one {.cls Date}.")
  }
  vdate <- if (isTRUE(version_level)) msds_v2_date else if (isFALSE(version_level)) NULL else version_level
  if (!inherits(breaks, "Date") || anyNA(breaks) || !length(breaks)) {
    cli::cli_abort("{.arg breaks} must be one or more {.cls Date}s, e.g. {.code as.Date(\"2022-09-21\")}.")
  }
  if (inherits(data, "mq_trend")) {
    shown <- data
  } else {
    interval <- rlang::arg_match(interval)
    vq <- rlang::enquo(variable); bq <- rlang::enquo(by); dq <- rlang::enquo(date)
    shown <- care_model_trend(data, !!vq, by = !!bq, interval = interval,
                              date = !!dq, conf_level = conf_level,
                              disclosure = disclosure)
  }
  # The model sees only what is released: the disclosed rates, without the
  # periods whose rate was suppressed.
  info <- attr(shown, "trend")
  interval <- info$interval
  by <- info$by
  variable <- info$variable
  used <- shown
  if (anyNA(used$rate)) {
    cli::cli_warn("{sum(is.na(used$rate))} period{?s} with a suppressed or missing rate {?is/are} left out of the model.")
    used <- used[!is.na(used$rate), , drop = FALSE]
  }
  if (!nrow(used)) {
    cli::cli_abort(c("No period has a released rate: nothing to model.",
                     "i" = "Use a coarser {.arg interval} or fewer {.arg by} groups."))
  }
  origin <- min(shown$period)
  used$time <- period_index(used$period, interval, origin)
  bt <- period_index(period_start(breaks, interval), interval, origin)
  # a break inside a period starts at the next one
  bt <- bt + (period_start(breaks, interval) < breaks)
  tmax <- max(used$time)
  ok <- bt >= 3 & bt <= tmax - 1
  if (any(!ok)) {
    cli::cli_warn(c("{sum(!ok)} break{?s} outside the data or too near its ends {?is/are} dropped: {format(breaks[!ok])}.",
                    "i" = "Each break needs at least two periods before it and two from it."))
  }
  breaks <- breaks[ok]
  bt <- bt[ok]
  if (!length(breaks)) cli::cli_abort("No break lies within the data: nothing to test.")
  # the MSDS version change: a level-only term (recording, not care, changed)
  vt <- NULL
  if (!is.null(vdate)) {
    vt <- period_index(period_start(vdate, interval), interval, origin) +
      (period_start(vdate, interval) < vdate)
    if (vt < 2 || vt > tmax || vt %in% bt) {
      cli::cli_abort(c("The version change {format(vdate)} must lie inside the data and differ from every break.",
                       "i" = "Periods run from {format(origin)} ({tmax} periods)."))
    }
  }
  gkey <- if (length(by)) group_key(used, by) else rep("", nrow(used))
  fits <- lapply(unique(gkey), function(gk) {
    s <- used[gkey == gk, , drop = FALSE]
    s <- s[order(s$time), , drop = FALSE]
    X <- its_design(s$time, bt, breaks)
    if (!is.null(vt)) {
      X <- cbind(X, as.numeric(s$time >= vt))
      colnames(X)[ncol(X)] <- "level_msds_v2"
    }
    its_fit(X, s$rate, s$time, vcov, lag, adjust, conf_level, s, by)
  })
  coefs <- do.call(rbind, lapply(fits, `[[`, "coef"))
  fitted <- do.call(rbind, lapply(fits, `[[`, "data"))
  structure(list(coefficients = tibble::as_tibble(coefs),
                 fitted = tibble::as_tibble(fitted), shown = shown,
                 breaks = breaks, interval = interval, by = by,
                 version_change = vdate %||% info$version_change,
                 version_level = !is.null(vdate), vcov = vcov,
                 variable = variable, conf_level = conf_level,
                 df = unlist(lapply(fits, function(f) rep(f$glance$df.residual, nrow(f$coef)))),
                 glance = do.call(rbind, lapply(fits, `[[`, "glance"))),
            class = "mq_its")
}

its_design <- function(time, bt, breaks) {
  X <- cbind(`(Intercept)` = 1, time = time)
  for (k in seq_along(bt)) {
    post <- as.numeric(time >= bt[k])
    lab <- format(breaks[k])
    X <- cbind(X, post, (time - bt[k]) * post)
    colnames(X)[ncol(X) - 1:0] <- paste0(c("level_", "slope_"), lab)
  }
  X
}

its_fit <- function(X, y, time, vcov, lag, adjust, conf_level, s, by) {
  n <- nrow(X); p <- ncol(X)
  if (n <= p) {
    cli::cli_abort("Only {n} period{?s} for {p} coefficients: use a finer {.arg interval} or fewer {.arg breaks}.",
                   call = rlang::caller_env(2))
  }
  qx <- qr(X)
  if (qx$rank < p) cli::cli_abort("The segmented design is rank deficient; check {.arg breaks}.",
                                  call = rlang::caller_env(2))
  rho <- NA_real_
  L <- NA_integer_
  if (vcov == "ar1") {
    g <- gls_ar1_reml(X, y, time)
    beta <- g$beta
    V <- g$vcov
    rho <- g$rho
  } else {
    beta <- qr.coef(qx, y)
    L <- lag %||% floor(4 * (n / 100)^(2 / 9))
    check_number(L, lower = 0, upper = n - 1, arg = "lag", call = rlang::caller_env(2))
    V <- newey_west(X, as.vector(y - X %*% beta), L, adjust)
  }
  u <- as.vector(y - X %*% beta)
  se <- sqrt(diag(V))
  df <- n - p
  tq <- stats::qt(1 - (1 - conf_level) / 2, df)
  coef <- data.frame(s[rep(1, p), by, drop = FALSE],
                     term = colnames(X), estimate = beta, std.error = se,
                     statistic = beta / se, p.value = 2 * stats::pt(-abs(beta / se), df),
                     conf.low = beta - tq * se, conf.high = beta + tq * se)
  rownames(coef) <- NULL
  d <- data.frame(s[c("period", by)], time = s$time, rate = s$rate,
                  fitted = as.vector(X %*% beta))
  gl <- data.frame(s[1, by, drop = FALSE], nobs = n, df.residual = df, vcov = vcov, lag = L,
                   rho = rho, r.squared = 1 - sum(u^2) / sum((y - mean(y))^2))
  list(coef = coef, data = d, glance = gl, vcov = V)
}

# Generalised least squares with AR(1) errors, fitted by restricted maximum
# likelihood: Cov(e) = sigma^2 R, R[i, j] = rho^|t_i - t_j| on the period
# index (so a period left out, suppressed, is a gap, not a neighbour), the
# model of nlme::gls(correlation = corAR1(form = ~ time), method = "REML").
# rho maximises the REML log-likelihood profiled over beta and sigma^2,
#   -(n - p)/2 log(s2) - 1/2 log|R| - 1/2 log|X'R^-1 X|,
#   s2 = r'R^-1 r / (n - p);
# Var(beta) = s2 (X'R^-1 X)^-1, with t intervals on n - p df.
gls_ar1_reml <- function(X, y, time) {
  n <- nrow(X); p <- ncol(X)
  lag_abs <- abs(outer(time, time, "-"))
  fit_at <- function(rho) {
    R <- rho^lag_abs
    U <- chol(R)
    Xs <- backsolve(U, X, transpose = TRUE)
    ys <- backsolve(U, y, transpose = TRUE)
    qs <- qr(Xs)
    beta <- qr.coef(qs, ys)
    r <- as.vector(ys - Xs %*% beta)
    s2 <- sum(r^2) / (n - p)
    logdet_R <- 2 * sum(log(diag(U)))
    logdet_XRX <- 2 * sum(log(abs(diag(qr.R(qs)))))
    list(ll = -0.5 * ((n - p) * log(s2) + logdet_R + logdet_XRX), beta = beta, s2 = s2,
         XRX = crossprod(Xs))
  }
  # rho on (-1, 1) through tanh(z/2), the scale nlme optimises on
  obj <- function(z) -fit_at(tanh(z / 2))$ll
  z <- stats::optimize(obj, c(-12, 12), tol = 1e-10)$minimum
  rho <- tanh(z / 2)
  f <- fit_at(rho)
  V <- f$s2 * chol2inv(chol(f$XRX))
  dimnames(V) <- list(colnames(X), colnames(X))
  list(beta = stats::setNames(as.vector(f$beta), colnames(X)), vcov = V, rho = rho, sigma2 = f$s2)
}

# Newey-West covariance: (X'X)^-1 S (X'X)^-1 with Bartlett weights
# 1 - l / (L + 1) on the autocovariances of the scores x_t u_t.
newey_west <- function(X, u, lag, adjust = TRUE) {
  n <- nrow(X); p <- ncol(X)
  g <- X * u
  S <- crossprod(g)
  if (lag > 0) {
    for (l in seq_len(lag)) {
      G <- crossprod(g[(l + 1):n, , drop = FALSE], g[1:(n - l), , drop = FALSE])
      S <- S + (1 - l / (lag + 1)) * (G + t(G))
    }
  }
  B <- solve(crossprod(X))
  V <- B %*% S %*% B
  if (adjust) V <- V * n / (n - p)
  dimnames(V) <- list(colnames(X), colnames(X))
  V
}

# tidy(): the coefficients with t intervals (Newey-West standard errors, the
# residual degrees of freedom) at `conf.level`, by default the fit's.
#' @export
tidy.mq_its <- function(x, conf.int = TRUE, conf.level = x$conf_level %||% 0.95, ...) {
  check_flag(conf.int, arg = "conf.int")
  check_conf_level(conf.level, arg = "conf.level")
  out <- x$coefficients
  if (!is.null(x$df) && !isTRUE(all.equal(conf.level, x$conf_level %||% 0.95, tolerance = 0))) {
    tq <- stats::qt(1 - (1 - conf.level) / 2, x$df)
    out$conf.low <- out$estimate - tq * out$std.error
    out$conf.high <- out$estimate + tq * out$std.error
  }
  if (!conf.int) out <- out[setdiff(names(out), c("conf.low", "conf.high"))]
  out
}

#' @export
glance.mq_its <- function(x, ...) {
  g <- tibble::as_tibble(x$glance)
  g$breaks <- paste(format(x$breaks), collapse = ", ")
  g
}

#' @export
print.mq_its <- function(x, ...) {
  cli::cli_text("Interrupted time series of {.field {x$variable}} by {x$interval}; breaks at {format(x$breaks)}.")
  if (identical(x$vcov, "newey-west")) {
    cli::cli_text("Least squares with Newey-West standard errors (lag {paste(unique(x$glance$lag), collapse = ', ')}).")
  } else {
    cli::cli_text("Generalised least squares with AR(1) errors (REML; rho {paste(format(unique(x$glance$rho), digits = 3), collapse = ', ')}).")
  }
  if (!is.null(x$version_change)) {
    cli::cli_text("MSDS v1.5 to v2 at {format(x$version_change)}{if (isTRUE(x$version_level)) ': level-change term level_msds_v2' else ' (marked; no term in the model)'}.")
  }
  print(x$coefficients, ...)
  invisible(x)
}

#' @exportS3Method ggplot2::autoplot
autoplot.mq_trend <- function(object, ...) {
  rlang::check_installed("ggplot2", reason = "to plot trends.")
  info <- attr(object, "trend")
  # drawn from the whole released table (the checker verifies its
  # suppression again); a suppressed period breaks its line and is marked
  # on the axis
  d <- object
  hidden <- is.na(d$rate)
  d$.group <- if (length(info$by)) gsub("\r", " / ", group_key(d, info$by)) else "All"
  d <- log_columns(d, ".group", key_log(".group", 1L)$action)
  marks <- if (any(hidden)) {
    log_columns(sdc_plot_frame(as.data.frame(d)[hidden, c("period", ".group"), drop = FALSE], object),
                ".group", key_log(".group", 1L)$action)
  }
  p <- ggplot2::ggplot(d, ggplot2::aes(x = .data$period, y = .data$rate,
                                       colour = .data$.group, group = .data$.group)) +
    ggplot2::geom_line(na.rm = TRUE) +
    ggplot2::geom_pointrange(ggplot2::aes(ymin = .data$conf.low, ymax = .data$conf.high),
                             size = 0.2, na.rm = TRUE) +
    ggplot2::labs(x = NULL, y = paste0(info$variable, " (per ", d$per[1], ")"),
                  colour = if (length(info$by)) paste(info$by, collapse = " / ") else NULL,
                  subtitle = plot_subtitle(attr(object, "sdc")),
                  caption = if (any(hidden)) paste(sum(hidden), "suppressed period(s), marked on the axis") else NULL)
  if (!is.null(marks)) {
    p <- p + ggplot2::geom_rug(data = marks, ggplot2::aes(x = .data$period, colour = .data$.group),
                               sides = "b", inherit.aes = FALSE, linewidth = 1)
  }
  version_mark(p, info$version_change)
}

# A dotted line and label at the MSDS v1.5 -> v2 change.
version_mark <- function(p, change) {
  if (is.null(change)) return(p)
  p + ggplot2::geom_vline(xintercept = change, linetype = "dotted") +
    ggplot2::annotate("text", x = change, y = Inf, label = "MSDS v1.5 | v2", vjust = 1.5,
                      hjust = 0.5, size = 3)
}

#' @exportS3Method ggplot2::autoplot
autoplot.mq_its <- function(object, ...) {
  rlang::check_installed("ggplot2", reason = "to plot interrupted time series.")
  by <- object$by
  pts <- as.data.frame(object$shown)
  hidden <- sum(is.na(pts$rate))
  pts <- pts[!is.na(pts$rate), , drop = FALSE]
  fit <- as.data.frame(object$fitted)
  pts$.group <- if (length(by)) gsub("\r", " / ", group_key(pts, by)) else "All"
  fit$.group <- if (length(by)) gsub("\r", " / ", group_key(fit, by)) else "All"
  cuts <- sort(c(object$breaks, if (isTRUE(object$version_level)) object$version_change))
  seg <- findInterval(fit$period, cuts)
  fit$.segment <- paste(fit$.group, seg)
  # the fitted line is a function of the released rates only
  pts <- sdc_plot_frame(pts, object$shown)
  fit <- sdc_plot_frame(fit, object$shown)
  p <- ggplot2::ggplot() +
    ggplot2::geom_point(data = pts, ggplot2::aes(x = .data$period, y = .data$rate,
                                                 colour = .data$.group)) +
    ggplot2::geom_line(data = fit, ggplot2::aes(x = .data$period, y = .data$fitted,
                                                colour = .data$.group, group = .data$.segment)) +
    ggplot2::geom_vline(xintercept = object$breaks, linetype = "dashed") +
    ggplot2::labs(x = NULL, y = object$variable, colour = NULL,
                  subtitle = plot_subtitle(attr(object$shown, "sdc")),
                  caption = if (hidden) paste(hidden, "suppressed period(s) not shown") else NULL)
  version_mark(p, object$version_change)
}
