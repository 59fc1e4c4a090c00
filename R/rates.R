# Outcome rates by group, with the cohort's eligibility convention: a rate
# for outcome y counts events among rows with y_eligible TRUE, per 100 or per
# 1,000 as attr(cohort, "outcomes") says.

#' Outcome rates with eligible denominators
#'
#' Counts events and eligible women (or babies) for an outcome, overall or by
#' group, and returns rates per 100 or per 1,000 (the outcome's convention in
#' `attr(cohort, "outcomes")`, set by `add_outcomes()`) with Wilson score
#' intervals, as PHEindicatormethods' `phe_proportion()` computes them. With
#' `person_time`, the denominator is the summed person-time and the intervals
#' are exact Poisson below 10 events and Byar's from 10 ([poisson_ci()]).
#' The table goes through the disclosure rule.
#'
#' Rows with the eligibility column `FALSE` or missing are not in the
#' denominator; eligible rows whose outcome is missing are left out with a
#' warning that counts them.
#'
#' @param data A cohort (one row per pregnancy, e.g. from `add_outcomes()`)
#'   or any data frame with a logical outcome column and a logical
#'   eligibility column.
#' @param outcome The outcome column (bare name or string), logical or 0/1.
#' @param by Grouping columns: bare name, `c(a, b)`, a character vector or a
#'   one-sided formula. `NULL` for the whole cohort. Missing values form their
#'   own group.
#' @param conf_level Confidence level.
#' @param disclosure A disclosure rule, a preset name, `"none"`, or `NULL` for
#'   `getOption("matequity.disclosure", "nhse_sde")`.
#' @param eligible The eligibility column. Defaults to the one named in
#'   `attr(cohort, "outcomes")`, else `<outcome>_eligible`.
#' @param per Multiplier (100 for per cent, 1000 for per 1,000). Defaults to
#'   the outcome's multiplier in `attr(cohort, "outcomes")`.
#' @param person_time Optional column of person-time at risk; when given, the
#'   rate is events per `per` units of person-time with Poisson intervals.
#' @param cohort Deprecated: use `data`.
#' @returns A tibble with the `by` columns, then `outcome`, `events`, `n`
#'   (eligible count, or person-time), `rate` (per `per`), `conf.low`,
#'   `conf.high`, `per` and `method` (`"wilson"`, or `"exact"`/`"byar"` for
#'   person-time), after disclosure control.
#' @seealso [wilson_ci()], [disparity()], [inequality_index()].
#' @examples
#' d <- data.frame(
#'   group = rep(c("Core20", "Other"), each = 200),
#'   preterm = rep(c(TRUE, FALSE, TRUE, FALSE), c(20, 180, 12, 188)),
#'   preterm_eligible = TRUE
#' )
#' outcome_rates(d, preterm, by = group, per = 100, disclosure = "none")
#' @export
outcome_rates <- function(data, outcome, by = NULL, conf_level = 0.95,
                          disclosure = NULL, eligible = NULL, per = NULL,
                          person_time = NULL, cohort = NULL) {
  if (deprecated_arg(cohort, missing(data), "cohort", "data", "outcome_rates")) data <- cohort
  if (is_imputed(data)) {
    return(rates_mi(current_call(match.call(), c(cohort = "data")), imputed_list(data, "data"), parent.frame(), conf_level,
                    disclosure))
  }
  check_data_frame(data)
  check_conf_level(conf_level)
  spec <- outcome_spec(data, rlang::enquo(outcome), rlang::enquo(eligible), per)
  by <- resolve_columns(data, rlang::enquo(by), "by")
  pt <- resolve_column(data, rlang::enquo(person_time), "person_time",
                       required = FALSE)
  rows <- outcome_rows(data, spec)
  d <- data[rows$use, , drop = FALSE]
  y <- rows$y[rows$use]
  if (!is.null(pt)) {
    w <- d[[pt]]
    if (!is.numeric(w) || anyNA(w) || any(w < 0)) {
      cli::cli_abort(c("Column {.field {pt}} given as {.arg person_time} must be non-negative numbers without missing values.",
                       "x" = "Problem values: {example_values(w[is.na(w) | !is.numeric(w) | w < 0])}."))
    }
  } else {
    w <- rep(1, nrow(d))
  }
  tab <- count_by(d, by, cbind(events = y, n = w))
  tab$outcome <- spec$outcome
  tab$per <- spec$per
  tab$method <- if (is.null(pt)) "wilson" else NA_character_
  tab$rate <- tab$conf.low <- tab$conf.high <- NA_real_  # filled from released counts
  out <- tibble::as_tibble(tab[c(by, "outcome", "events", "n", "rate",
                                 "conf.low", "conf.high", "per", "method")])
  per <- spec$per
  if (is.null(pt)) {
    # rates and intervals from the released counts (R/apply_disclosure.R)
    derived <- list(
      rate = ~ events / n * per,
      conf.low = ~ wilson_limits(events, n, conf_level)$lower * per,
      conf.high = ~ wilson_limits(events, n, conf_level)$upper * per)
    out <- apply_disclosure(out, counts = c("events", "n"), derived = derived,
                            disclosure = disclosure, margins = by, keys = "per",
                            complements = list(events = ~ n - events))
  } else {
    # person-time denominators are not counts of people: only events are
    # disclosed, and the rate rests on the released events
    derived <- list(
      rate = ~ poisson_limits_na(events, n, conf_level)$estimate * per,
      conf.low = ~ poisson_limits_na(events, n, conf_level)$conf.low * per,
      conf.high = ~ poisson_limits_na(events, n, conf_level)$conf.high * per)
    out <- apply_disclosure(out, counts = "events", derived = derived,
                            disclosure = disclosure, margins = by, keys = "per")
    out$method <- ifelse(is.na(out$events) | out$n <= 0, NA_character_,
                         ifelse(out$events >= 10, "byar", "exact"))
  }
  # a cohort with MSDS v1.5 records: rates by year say which version each
  # year's records come from (2019 holds both)
  if ("year" %in% by && any(data[["version"]] %in% "v1.5") && is.numeric(out$year)) {
    ys <- as.Date(sprintf("%04d-01-01", as.integer(out$year)))
    out$msds_version <- period_version(ys, "year", msds_v2_date)
  }
  attr(out, "rates") <- list(outcome = spec$outcome, by = by, per = per, conf_level = conf_level)
  class(out) <- unique(c("mq_rates", class(out)))
  out
}

# poisson_ci() for counts that may be suppressed (NA) or have no person-time.
poisson_limits_na <- function(x, n, conf_level) {
  out <- list(estimate = rep(NA_real_, length(x)), conf.low = rep(NA_real_, length(x)),
              conf.high = rep(NA_real_, length(x)))
  ok <- !is.na(x) & !is.na(n) & n > 0
  if (any(ok)) {
    ci <- poisson_ci(x[ok], n[ok], conf_level)
    out$estimate[ok] <- ci$estimate
    out$conf.low[ok] <- ci$conf.low
    out$conf.high[ok] <- ci$conf.high
  }
  out
}

# ---- shared helpers ---------------------------------------------------------

# Resolve the outcome, its eligibility column and its multiplier.
outcome_spec <- function(data, outcome_quo, eligible_quo, per,
                         call = rlang::caller_env()) {
  outcome <- resolve_column(data, outcome_quo, "outcome", call = call)
  meta <- attr(data, "outcomes")
  row <- if (is.data.frame(meta) && "outcome" %in% names(meta)) {
    match(outcome, meta$outcome)
  } else {
    NA_integer_
  }
  eligible <- resolve_column(data, eligible_quo, "eligible", required = FALSE,
                             call = call)
  if (is.null(meta) && is.null(per)) {
    cli::cli_abort(c(
      "{.arg data} carries no outcome definitions (attribute {.code outcomes}).",
      "i" = "{.fn add_outcomes} adds each outcome with its eligibility column and its multiplier (per 100 or per 1,000).",
      "i" = "Or say how to count it: give {.arg per} (100 or 1000) and, unless the denominator column is {.field {outcome}_eligible}, {.arg eligible}."
    ), call = call)
  }
  if (is.null(eligible)) {
    eligible <- if (!is.na(row) && "eligible" %in% names(meta)) {
      meta$eligible[[row]]
    } else {
      paste0(outcome, "_eligible")
    }
    if (!eligible %in% names(data)) {
      cli::cli_abort(c(
        "Outcome {.field {outcome}} has no eligibility column {.field {eligible}}.",
        "i" = "A rate needs its denominator: the women (or babies) at risk of the outcome.",
        "i" = "Use {.fn add_outcomes}, which adds {.field {eligible}}, or give {.arg eligible}."
      ), call = call)
    }
  }
  if (is.null(per)) {
    if (is.na(row) || !"multiplier" %in% names(meta)) {
      cli::cli_abort(c(
        "No multiplier for outcome {.field {outcome}} in {.code attr(cohort, \"outcomes\")}.",
        "i" = "Give {.arg per} (100 or 1000)."
      ), call = call)
    }
    per <- meta$multiplier[[row]]
  }
  check_number(per, lower = .Machine$double.eps, arg = "per", call = call)
  label <- if (!is.na(row) && "label" %in% names(meta)) meta$label[[row]] else outcome
  list(outcome = outcome, eligible = eligible, per = per, label = label)
}

# Which rows count, and the outcome as 0/1. Warns (with counts) about
# eligible rows without an outcome and about missing eligibility.
outcome_rows <- function(data, spec, call = rlang::caller_env()) {
  y <- data[[spec$outcome]]
  e <- data[[spec$eligible]]
  if (is.numeric(y) && all(y[!is.na(y)] %in% c(0, 1))) y <- y == 1
  if (!is.logical(y)) {
    cli::cli_abort(c("Outcome column {.field {spec$outcome}} must be logical (or 0/1).",
                     "x" = "It is {.obj_type_friendly {y}}: {example_values(y)}."),
                   call = call)
  }
  if (is.numeric(e) && all(e[!is.na(e)] %in% c(0, 1))) e <- e == 1
  if (!is.logical(e)) {
    cli::cli_abort(c("Eligibility column {.field {spec$eligible}} must be logical.",
                     "x" = "It is {.obj_type_friendly {e}}: {example_values(e)}."),
                   call = call)
  }
  if (anyNA(e)) {
    r <- message_rule(call)
    k <- sum(is.na(e))
    cli::cli_warn(c("{released_count(k, r)} row{cli::qty(released_qty(k, r))}{?s} with missing {.field {spec$eligible}} {cli::qty(released_qty(k, r))}{?is/are} treated as not eligible.", exact_note(r)),
                  call = call)
    e[is.na(e)] <- FALSE
  }
  miss <- e & is.na(y)
  if (any(miss)) {
    r <- message_rule(call)
    k <- sum(miss)
    cli::cli_warn(c("{released_count(k, r)} eligible row{cli::qty(released_qty(k, r))}{?s} {?has/have} a missing {.field {spec$outcome}} and {cli::qty(released_qty(k, r))}{?is/are} left out of the denominator.", exact_note(r)),
                  call = call)
  }
  use <- e & !is.na(y)
  list(use = use, y = as.numeric(y %in% TRUE), n_missing = sum(miss))
}

# Sum the columns of `values` within the groups defined by the `by` columns
# of `data` (missing values form their own group). Returns a data frame with
# the `by` columns and the summed columns, ordered by the `by` columns.
count_by <- function(data, by, values) {
  values <- as.matrix(values)
  if (!length(by)) {
    s <- colSums(values)
    out <- as.data.frame(as.list(s))
    names(out) <- colnames(values)
    return(out)
  }
  key <- group_key(data, by)
  codes <- group_codes(key)
  G <- max(0L, codes)
  sums <- grouped_sums(values, codes, G)
  first <- match(seq_len(G), codes)
  out <- data[first, by, drop = FALSE]
  for (j in seq_len(ncol(values))) out[[colnames(values)[j]]] <- sums[, j]
  out <- out[do.call(order, unname(as.list(out[by]))), , drop = FALSE]
  rownames(out) <- NULL
  as.data.frame(out)
}

# One string per row identifying the combination of the `by` columns.
group_key <- function(data, by) {
  parts <- lapply(by, function(b) {
    v <- data[[b]]
    if (inherits(v, "Date")) v <- format(v)
    v <- as.character(v)
    v[is.na(v)] <- "\001NA"
    v
  })
  if (length(parts) == 1L) parts[[1]] else do.call(paste, c(parts, sep = "\r"))
}
