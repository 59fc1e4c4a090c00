# Directly standardised rates with Dobson intervals, as PHEindicatormethods'
# phe_dsr() computes them.

#' Directly standardised rates
#'
#' Directly standardised rates (DSR), e.g. by maternal age band, with the
#' Dobson et al. (1991) confidence interval as PHEindicatormethods'
#' `phe_dsr()` computes it: `DSR = sum(w_i x_i / n_i) / sum(w_i)`, variance
#' `sum(x_i (w_i / n_i)^2) / sum(w_i)^2`, and limits
#' `DSR + sqrt(var / O) (B(O) - O)` where `O` is the total count and `B` its
#' Byar's limits. As in `phe_dsr()`, the DSR is not given when the total count
#' is below 10 (`note` says so).
#'
#' @param data A cohort (give `outcome`) or an aggregated table with one row
#'   per group and stratum (give `events` and `n`).
#' @param outcome For a cohort, the outcome column (eligibility as in
#'   [outcome_rates()]).
#' @param standard The standardisation column (e.g. `age_band`).
#' @param by Groups to compare (e.g. `core20plus_group`).
#' @param events,n For an aggregated table: event counts and denominators.
#' @param std_pop Standard population: a named numeric vector with one
#'   weight per value of `standard`, or `NULL` for the distribution of the
#'   denominators over `standard` in the whole of `data` (all groups
#'   together).
#' @param per Multiplier; for a cohort the outcome's multiplier, otherwise
#'   100,000 (PHE's default).
#' @inheritParams outcome_rates
#' @returns A tibble with the `by` columns and `events` (total), `n` (total
#'   denominator), `rate` (DSR per `per`), `conf.low`, `conf.high`, `per`,
#'   `method` (`"dobson"`) and `note`, after disclosure control.
#' @references Dobson AJ, Kuulasmaa K, Eberle E, Scherer J (1991). Confidence
#'   intervals for weighted sums of Poisson parameters. *Stat Med*
#'   10:457-462.
#' @examples
#' d <- data.frame(
#'   area = rep(c("A", "B"), each = 3), age = rep(c("<25", "25-34", "35+"), 2),
#'   deaths = c(12, 30, 25, 20, 22, 15), births = c(3000, 8000, 4000, 5000, 6000, 2000)
#' )
#' dsr(d, standard = age, by = area, events = deaths, n = births, per = 1000,
#'     disclosure = "none")
#' @export
dsr <- function(data, outcome = NULL, standard = age_band, by = NULL,
                events = NULL, n = NULL, std_pop = NULL, per = NULL,
                conf_level = 0.95, disclosure = NULL, eligible = NULL) {
  check_data_frame(data)
  check_conf_level(conf_level)
  standard <- resolve_column(data, rlang::enquo(standard), "standard")
  by <- resolve_columns(data, rlang::enquo(by), "by")
  oq <- rlang::enquo(outcome)
  if (!rlang::quo_is_null(oq)) {
    spec <- outcome_spec(data, oq, rlang::enquo(eligible), per)
    rows <- outcome_rows(data, spec)
    smiss <- rows$use & is.na(data[[standard]])
    if (any(smiss)) {
      cli::cli_abort(c("{sum(smiss)} eligible row{?s} ha{?s/ve} a missing {.field {standard}}.",
                       "i" = "Recode them (e.g. to \"Unknown\") or filter them out first."))
    }
    agg <- count_by(data[rows$use, , drop = FALSE], c(by, standard),
                    cbind(events = rows$y[rows$use], n = 1))
    per <- spec$per
  } else {
    ev <- resolve_column(data, rlang::enquo(events), "events")
    nn <- resolve_column(data, rlang::enquo(n), "n")
    check_counts(data[[ev]], data[[nn]])
    agg <- count_by(data, c(by, standard),
                    cbind(events = data[[ev]], n = data[[nn]]))
    per <- per %||% 1e5
  }
  check_number(per, lower = .Machine$double.eps, arg = "per")
  strata <- sort(unique(as.character(agg[[standard]])))
  if (is.null(std_pop)) {
    std_pop <- tapply(agg$n, as.character(agg[[standard]]), sum)[strata]
  } else {
    if (!is.numeric(std_pop) || is.null(names(std_pop)) || anyNA(std_pop) || any(std_pop < 0)) {
      cli::cli_abort("{.arg std_pop} must be a named numeric vector of non-negative weights, one per value of {.field {standard}}.")
    }
    miss <- setdiff(strata, names(std_pop))
    if (length(miss)) {
      cli::cli_abort(c("{.arg std_pop} has no weight for {length(miss)} value{?s} of {.field {standard}}.",
                       "x" = "Missing: {example_values(miss)}."))
    }
    std_pop <- std_pop[strata]
  }
  gkey <- if (length(by)) group_key(agg, by) else rep("", nrow(agg))
  groups <- unique(gkey)
  res <- lapply(groups, function(gk) {
    s <- agg[gkey == gk, , drop = FALSE]
    i <- match(strata, as.character(s[[standard]]))
    x <- ifelse(is.na(i), 0, s$events[i])
    nn <- ifelse(is.na(i), 0, s$n[i])
    w <- as.numeric(std_pop)
    O <- sum(x)
    out <- data.frame(s[1, by, drop = FALSE], events = O, n = sum(nn),
                      rate = NA_real_, conf.low = NA_real_, conf.high = NA_real_,
                      note = NA_character_)
    empty <- nn == 0 & w > 0
    if (any(empty)) {
      out$note <- paste0("no denominator in stratum ", paste(strata[empty], collapse = ", "),
                         ": cannot standardise")
    } else if (O < 10) {
      out$note <- "fewer than 10 events: DSR not calculated"
    } else {
      r <- ifelse(nn > 0, x / nn, 0)
      value <- sum(w * r) / sum(w)
      v <- sum(ifelse(nn > 0, x * (w / nn)^2, 0)) / sum(w)^2
      lim <- dobson_limits(value, v, O, conf_level)
      out$rate <- value * per
      out$conf.low <- lim$lower * per
      out$conf.high <- lim$upper * per
    }
    out
  })
  out <- do.call(rbind, res)
  out$per <- per
  out$method <- "dobson"
  rownames(out) <- NULL
  out <- tibble::as_tibble(out[c(by, "events", "n", "rate", "conf.low",
                                 "conf.high", "per", "method", "note")])
  # a directly standardised rate rests on the stratum counts, which are not
  # released: it is an estimate (suppressed with the group's counts, to 3
  # significant figures), checked by the PHE rule of at least 10 events
  apply_disclosure(out, counts = c("events", "n"), estimates = c("rate", "conf.low", "conf.high"),
                   margins = by, disclosure = disclosure)
}
