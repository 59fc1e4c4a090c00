# Slope and relative index of inequality (SII, RII) across deprivation
# quantiles, by the method of PHEindicatormethods' phe_sii().

#' Slope and relative index of inequality
#'
#' The slope index of inequality (SII) and relative index of inequality (RII)
#' across deprivation quantiles (Low and Low 2004), computed as
#' PHEindicatormethods' `phe_sii()` does:
#'
#' * quantiles are ordered by `rank` ascending (IMD decile or quintile 1, the
#'   most deprived, first) and each gets the midpoint of its range of the
#'   cumulative population share as its relative rank `b` (0 = most deprived
#'   end, 1 = least deprived end); its population share is `a`;
#' * the value `Y` of each quantile is regressed on `b` by least squares
#'   weighted by `a` (the regression of `Y sqrt(a)` on `sqrt(a)` and
#'   `b sqrt(a)`); the SII is the slope (fitted value at 1 minus fitted value
#'   at 0) times `per`, the RII is `(intercept + slope) / intercept`,
#'   inverted when `per` is negative;
#' * with `transform = TRUE` the regression is done on `log(Y)` (rates) or
#'   `logit(Y)` (proportions) and the fitted values at 0 and 1 are transformed
#'   back;
#' * the confidence limits come from `reps` simulations: each quantile's value
#'   is drawn from a normal distribution with its standard error on the log
#'   (rates) or logit (proportions) scale, the regression is refitted, and the
#'   limits are order statistics at positions `round(reps * (1 - conf_level) /
#'   2)` and `round(reps * (1 + conf_level) / 2)` of the sorted results. Set
#'   `seed` for reproducible limits (the global random number stream is left
#'   as it was).
#'
#' Input is either a cohort (one row per pregnancy: give `outcome`; events and
#' eligible women are counted per quantile and the value is the proportion
#' with Wilson limits) or an aggregated table with one row per quantile (and
#' per `by` group) giving `population` and either `events` (proportions) or
#' `value` with `se` or `lower`/`upper` 95% limits. A supplied `se` must be on
#' the transformed scale (log for rates, logit for proportions); limits are
#' given on the original scale and the standard error is
#' `(g(upper) - g(lower)) / (2 qnorm(0.975))`.
#'
#' @param data A cohort or an aggregated table (see Details).
#' @param outcome For a cohort: the outcome column (eligibility as in
#'   [outcome_rates()]).
#' @param rank The quantile column (e.g. `imd_decile`, `imd_quintile`); at
#'   least 5 and at most 100 distinct values.
#' @param by Optional grouping columns (an index per group).
#' @param population,events,value,se,lower,upper Columns of an aggregated
#'   table.
#' @param type `"proportion"`, `"rate"` or `"other"`: sets the scale on which
#'   values are simulated (logit, log, identity). A cohort is `"proportion"`.
#' @param transform Regress on the log/logit scale (see Details).
#' @param per Scale of the SII (e.g. 100 for percentage points); negative
#'   turns the index round (the RII inverted). For a cohort the default is the
#'   outcome's multiplier, and the per-quantile rates are per `abs(per)`;
#'   otherwise 1. Reported in column `multiplier`.
#' @param multiplier Deprecated: use `per`.
#' @param reps Number of simulations, at least 1000 (PHE's default 100,000).
#' @param seed Seed for the simulations, or `NULL`.
#' @inheritParams outcome_rates
#' @returns A tibble with the `by` columns and `term` (`"sii"`, `"rii"`),
#'   `estimate`, `conf.low`, `conf.high`, `intercept` (fitted value at the
#'   most deprived end, on the original scale times `abs(per)`),
#'   `n_quantiles`, `transform`, `multiplier`, `reps`. For a cohort the
#'   per-quantile counts (after disclosure control) are in attribute
#'   `"quantiles"`.
#' @references Low A, Low A (2004). Measuring the gap: quantifying and
#'   comparing local health inequalities. *J Public Health* 26:388-395.
#' @examples
#' # the example data of PHEindicatormethods' phe_sii() documentation (Area1)
#' d <- data.frame(
#'   decile = 1:10,
#'   population = c(7291, 7997, 6105, 7666, 5790, 6934, 5918, 5974, 7147, 7534),
#'   value = c(75.9, 78.3, 83.8, 83.6, 80.5, 81.1, 81.7, 84.2, 80.6, 86.3),
#'   se = c(1.64, 1.58, 1.51, 1.78, 1.7, 1.56, 1.37, 1.4, 2.43, 1.57)
#' )
#' inequality_index(d, rank = decile, population = population, value = value,
#'                  se = se, type = "other", reps = 10000, seed = 1)
#' @export
inequality_index <- function(data, outcome = NULL, rank = imd_decile, by = NULL,
                             population = NULL, events = NULL, value = NULL,
                             se = NULL, lower = NULL, upper = NULL,
                             type = c("proportion", "rate", "other"),
                             transform = FALSE, per = NULL,
                             conf_level = 0.95, reps = 100000, seed = NULL,
                             disclosure = NULL, eligible = NULL, multiplier = NULL) {
  if (deprecated_arg(multiplier, missing(per), "multiplier", "per", "inequality_index")) {
    per <- multiplier
  }
  if (is_imputed(data)) {
    return(inequality_mi(current_call(match.call(), c(multiplier = "per")),
                         imputed_list(data, "data"), parent.frame(), conf_level, disclosure))
  }
  check_data_frame(data)
  check_conf_level(conf_level)
  check_flag(transform)
  check_number(reps, lower = 1000, arg = "reps")
  type <- rlang::arg_match(type)
  rank <- resolve_column(data, rlang::enquo(rank), "rank")
  by <- resolve_columns(data, rlang::enquo(by), "by")
  oq <- rlang::enquo(outcome)
  quantiles <- NULL
  if (!rlang::quo_is_null(oq)) {
    # a negative `per` turns the index round; the quantiles' rates are per abs(per)
    spec <- outcome_spec(data, oq, rlang::enquo(eligible), if (!is.null(per)) abs(per))
    rows <- outcome_rows(data, spec)
    rmiss <- rows$use & is.na(data[[rank]])
    if (any(rmiss)) {
      cli::cli_warn(c("{released_count(sum(rmiss), disclosure)} eligible row{cli::qty(released_qty(sum(rmiss), disclosure))}{?s} with missing {.field {rank}} {cli::qty(released_qty(sum(rmiss), disclosure))}{?is/are} left out.", exact_note(disclosure)))
    }
    use <- rows$use & !is.na(data[[rank]])
    agg <- count_by(data[use, , drop = FALSE], c(by, rank),
                    cbind(events = rows$y[use], n = 1))
    type <- "proportion"
    if (any(agg$events == 0)) {
      cli::cli_abort(c(
        "{sum(agg$events == 0)} quantile{?s} of {.field {rank}} ha{?s/ve} no events of {.field {spec$outcome}}.",
        "i" = "The SII simulates proportions on the logit scale, which needs at least one event per quantile.",
        "i" = "Use quintiles instead of deciles, or pool years."
      ))
    }
    multiplier <- per %||% spec$per
    per <- spec$per
    quantiles <- apply_disclosure(tibble::as_tibble(data.frame(
      agg[c(by, rank)], events = agg$events, n = agg$n)),
      counts = c("events", "n"),
      derived = list(rate = ~ events / n * per,
                     conf.low = ~ wilson_limits(events, n, 0.95)$lower * per,
                     conf.high = ~ wilson_limits(events, n, 0.95)$upper * per),
      complements = list(events = ~ n - events), margins = rank,
      disclosure = disclosure)
    # the index rests on the released quantile counts: a quantile whose
    # counts are suppressed leaves its group out (warned below)
    if (!identical(attr(quantiles, "sdc")$preset, "none")) {
      agg$events <- as.numeric(quantiles$events)
      agg$n <- as.numeric(quantiles$n)
      agg <- agg[!is.na(agg$events) & !is.na(agg$n), , drop = FALSE]
    }
    lim <- wilson_limits(agg$events, agg$n, 0.95)
    tab <- data.frame(agg[c(by, rank)], pop = agg$n, value = agg$events / agg$n,
                      lower = lim$lower, upper = lim$upper, se = NA_real_)
  } else {
    tab <- sii_aggregated_input(data, rank, by, rlang::enquo(population),
                                rlang::enquo(events), rlang::enquo(value),
                                rlang::enquo(se), rlang::enquo(lower),
                                rlang::enquo(upper), type)
    multiplier <- per %||% 1
  }
  check_number(multiplier, arg = "per")
  if (multiplier == 0) cli::cli_abort("{.arg per} must not be zero.")
  if (transform && type == "other") {
    cli::cli_abort(c("{.arg transform} needs {.code type = \"rate\"} or {.code \"proportion\"}.",
                     "i" = "Values of type {.val other} are analysed on their own scale."))
  }
  fwd <- switch(type, rate = log, proportion = stats::qlogis, other = identity)
  inv <- switch(type, rate = exp, proportion = stats::plogis, other = identity)
  if (type == "rate" && any(tab$value <= 0)) {
    cli::cli_abort("Rates must be greater than zero for the log scale: {example_values(tab$value[tab$value <= 0])}.")
  }
  if (type == "proportion" && any(tab$value <= 0 | tab$value >= 1)) {
    cli::cli_abort("Proportions must be strictly between 0 and 1 for the logit scale: {example_values(tab$value[tab$value <= 0 | tab$value >= 1])}.")
  }
  tab$value_t <- fwd(tab$value)
  need_se <- is.na(tab$se)
  tab$se[need_se] <- (fwd(tab$upper[need_se]) - fwd(tab$lower[need_se])) /
    (2 * stats::qnorm(0.975))

  # one index per `by` group; groups lacking any quantile are left out
  all_q <- sort(unique(tab[[rank]]))
  k <- length(all_q)
  if (k < 5) {
    cli::cli_abort(c("The SII needs at least 5 quantiles of {.field {rank}}; there {?is/are} {k}.",
                     "x" = "Quantiles found: {example_values(all_q, 10)}.",
                     "i" = "Use deciles or quintiles of deprivation (e.g. {.field imd_decile} or {.field imd_quintile})."))
  }
  if (k > 100) cli::cli_abort("The SII takes at most 100 quantiles; {.field {rank}} has {k}.")
  if (k > 10) cli::cli_warn("With {k} quantiles small counts can make the SII unstable.")
  gkey <- if (length(by)) group_key(tab, by) else rep("", nrow(tab))
  groups <- unique(gkey)
  with_seed(seed, {
    res <- lapply(groups, function(gk) {
      s <- tab[gkey == gk, , drop = FALSE]
      s <- s[order(s[[rank]]), , drop = FALSE]
      if (nrow(s) != k || any(s[[rank]] != all_q)) {
        cli::cli_warn("Group {.val {gsub('\r', '/', gk)}} lacks some quantiles of {.field {rank}} and is left out.")
        return(NULL)
      }
      r <- sii_one(s$pop, s$value, s$value_t, s$se, inv, transform,
                   multiplier, conf_level, reps)
      cbind(s[rep(1, 2), by, drop = FALSE], r)
    })
  })
  out <- do.call(rbind, res)
  if (is.null(out)) cli::cli_abort("No group has every quantile of {.field {rank}}.")
  out$n_quantiles <- k
  out$transform <- if (transform) (if (type == "rate") "log" else "logit") else "none"
  out$multiplier <- multiplier
  out$reps <- reps
  rownames(out) <- NULL
  out <- tibble::as_tibble(out)
  if (!is.null(quantiles)) {
    # from a cohort the index rests only on the released quantile counts
    # (and the simulation's seed): marked with their rule, every column
    # accounted for
    rule <- attr(quantiles, "sdc")
    stat_cols <- intersect(c("estimate", "conf.low", "conf.high", "intercept"), names(out))
    log <- rbind_log(list(
      tibble::tibble(column = stat_cols,
                     action = if (rule$preset == "none") "computed from original counts"
                              else "computed from released counts",
                     n = nrow(out)),
      key_log(intersect(c(by, "n_quantiles", "multiplier", "reps"), names(out)), nrow(out))))
    out <- new_sdc_table(as.list(out), out, rule, log = log)
  }
  attr(out, "quantiles") <- quantiles
  attr(out, "inequality") <- list(rank = rank, by = by, multiplier = multiplier,
                                  per = if (!is.null(quantiles)) per else NULL)
  class(out) <- unique(c("mq_inequality", class(out)))
  out
}

# Read an aggregated table into pop / value / lower / upper / se.
sii_aggregated_input <- function(data, rank, by, pq, eq, vq, sq, lq, uq, type,
                                 call = rlang::caller_env()) {
  pop <- resolve_column(data, pq, "population", call = call)
  ev <- resolve_column(data, eq, "events", required = FALSE, call = call)
  val <- resolve_column(data, vq, "value", required = FALSE, call = call)
  se <- resolve_column(data, sq, "se", required = FALSE, call = call)
  lo <- resolve_column(data, lq, "lower", required = FALSE, call = call)
  up <- resolve_column(data, uq, "upper", required = FALSE, call = call)
  p <- data[[pop]]
  if (!is.numeric(p) || anyNA(p) || any(p <= 0)) {
    cli::cli_abort("Column {.field {pop}} given as {.arg population} must hold positive numbers; problems: {example_values(p[is.na(p) | p <= 0])}.",
                   call = call)
  }
  if (is.null(val) && is.null(ev)) {
    cli::cli_abort("Give {.arg value} (the indicator) or, for proportions, {.arg events}.", call = call)
  }
  out <- data.frame(data[c(by, rank)], pop = p)
  if (is.null(val)) {
    if (type != "proportion") {
      cli::cli_abort("{.arg events} without {.arg value} needs {.code type = \"proportion\"}.", call = call)
    }
    x <- data[[ev]]
    if (any(x <= 0 | x >= p)) {
      cli::cli_abort("Every quantile needs at least one event and one non-event for the logit scale.", call = call)
    }
    out$value <- x / p
    if (is.null(se) && (is.null(lo) || is.null(up))) {
      lim <- wilson_limits(x, p, 0.95)
      lo <- up <- NULL
      out$lower <- lim$lower
      out$upper <- lim$upper
    }
  } else {
    out$value <- data[[val]]
  }
  if (!is.null(se)) {
    s <- data[[se]]
    if (anyNA(s) || any(s < 0)) {
      cli::cli_abort("Column {.field {se}} given as {.arg se} has missing or negative standard errors.", call = call)
    }
    out$se <- s
    out$lower <- out$upper <- NA_real_
  } else {
    if (is.null(out$lower)) {
      if (is.null(lo) || is.null(up)) {
        cli::cli_abort("Give {.arg se}, or both {.arg lower} and {.arg upper} (95% limits).", call = call)
      }
      out$lower <- data[[lo]]
      out$upper <- data[[up]]
      if (anyNA(out$lower) || anyNA(out$upper)) {
        cli::cli_abort("Missing confidence limits in {.field {lo}} or {.field {up}}.", call = call)
      }
    }
    out$se <- NA_real_
  }
  if (anyNA(out$value)) cli::cli_abort("Missing values in {.arg value}.", call = call)
  out
}

# SII/RII for one group of k quantiles ordered from most deprived.
sii_one <- function(pop, value, value_t, se, inv, transform, multiplier,
                    conf_level, reps) {
  a <- pop / sum(pop)
  b <- cumsum(a) - a / 2
  # weighted least squares of y on (1, b) with weights a, as a 2 x k map
  X <- cbind(1, b)
  H <- solve(crossprod(X, a * X), t(a * X))
  y <- if (transform) value_t else value
  coef <- as.vector(H %*% y)
  draws <- matrix(stats::rnorm(length(value) * reps, value_t, se),
                  nrow = length(value))
  if (!transform) draws <- inv(draws)
  sims <- H %*% draws
  pos <- c(round(reps * (1 - conf_level) / 2), round(reps * (1 + conf_level) / 2))
  pick <- function(v) sort(v)[pos]
  if (!transform) {
    sii <- multiplier * coef[2]
    rii <- (coef[1] + coef[2]) / coef[1]
    sii_ci <- pick(multiplier * sims[2, ])
    rii_sim <- (sims[1, ] + sims[2, ]) / sims[1, ]
    if (multiplier < 0) {
      rii <- 1 / rii
      rii_sim <- 1 / rii_sim
    }
    rii_ci <- pick(rii_sim)
    icpt <- coef[1] * abs(multiplier)
  } else {
    y0 <- inv(coef[1])
    y1 <- inv(coef[1] + coef[2])
    sii <- (y1 - y0) * multiplier
    rii <- y1 / y0
    # limits of the slope on the transformed scale, centred at the midpoint
    mid <- coef[1] + coef[2] / 2
    sl <- pick(sims[2, ])
    lo0 <- inv(mid - sl / 2)
    lo1 <- inv(mid + sl / 2)
    sii_ci <- sort((lo1 - lo0) * multiplier)
    rii_ci <- lo1 / lo0
    if (multiplier < 0) {
      rii <- 1 / rii
      rii_ci <- 1 / rii_ci
    }
    rii_ci <- sort(rii_ci)
    icpt <- y0 * abs(multiplier)
  }
  data.frame(term = c("sii", "rii"), estimate = c(sii, rii),
             conf.low = c(sii_ci[1], rii_ci[1]), conf.high = c(sii_ci[2], rii_ci[2]),
             intercept = icpt)
}
