# Allocation equity: who is placed on a care model (continuity of carer, a
# personalised care and support plan) by group, the gap in allocation
# adjusted for clinical need and unit (g-computation through disparity()),
# and its trend per period with an interrupted time series around the
# withdrawal of the national continuity-of-carer target.

#' Allocation equity: who is placed on continuity of carer, by group
#'
#' How care decisions are made: the share of women allocated to a care model
#' (`coc_placed`, `pcsp`) in each group (e.g. CORE20PLUS), and the disparity
#' in allocation between each group and the reference group once clinical
#' need and the unit are allowed for, with intervals; optionally per period,
#' with an interrupted time series of the disparity around the withdrawal of
#' the national continuity-of-carer target ([mcoc_withdrawal_date]).
#'
#' @section What "adjusted for need" means:
#' The Institute of Medicine (*Unequal Treatment*, 2003) defines a disparity
#' in care as a difference not justified by clinical need, appropriateness
#' or preference. McGuire et al. (2006) and Cook et al. (2012) implement it
#' by giving the minority group the reference group's distribution of need
#' while keeping everything else about it, and comparing with the reference
#' group. Here, with the default `standard = "reference"`: a logistic model
#' of allocation on the group, the `need` terms and the unit (a fixed effect,
#' `factor(unit)`) is fitted to all women, and each group's adjusted
#' allocation rate is its mean predicted probability over the reference
#' group's women (their need and their units) with the group set to it. The
#' reference group's adjusted rate is its crude rate, and the adjusted
#' difference is the gap in allocation between a group and the reference
#' group among women with the reference group's need in the same units
#' (rate difference and ratio, with influence-function intervals, through
#' [disparity()] with `method = "gcomp"`). `standard = "cohort"`
#' standardises every group to the whole cohort's need and units instead.
#'
#' Adjusting for the unit makes the comparison one within units: how
#' allocation decisions are made given what each unit offers. The part of
#' the gap that comes from which units women attend belongs to the IOM's
#' disparity (differences due to the operation of health-care systems);
#' `unit = NULL` adjusts for need only and keeps it in.
#'
#' `method = "standardise"` replaces the model with direct standardisation
#' within strata of the `need` terms crossed with the unit (all categorical).
#'
#' @section Trend:
#' With `period` (a date column), the same adjusted disparity is estimated
#' separately within each `interval` (the model refitted per period, and the
#' groups standardised to that period's reference group or cohort), and an
#' interrupted time series ([its()], segmented least squares with
#' Newey-West errors) of each group's adjusted rate difference (per 100) is
#' fitted across the periods with `breaks` (default the withdrawal date):
#' the terms `level_<date>` and `slope_<date>` are the change in level and
#' in slope of the allocation gap at the break. Periods whose difference is
#' suppressed (or cannot be estimated, see `note`) are left out of the
#' series.
#'
#' @section Disclosure:
#' The counts (women allocated and women per group, and per period and
#' group) go through [apply_disclosure()]; the groups (and periods) add up
#' to published totals, so secondary suppression works along those margins,
#' and a group whose non-allocated women are few is suppressed too. Crude
#' shares and their Wilson intervals are computed from the released counts.
#' Adjusted rates, differences, ratios and their intervals rest on the
#' records: they are released as estimates to 3 significant figures and
#' suppressed with the counts of their group or of the reference group (in
#' the same period). The time series is fitted to the released differences
#' only. Every table passes [disclosure_check()].
#'
#' @param data A cohort: one row per pregnancy.
#' @param allocation The allocation column (logical or 0/1), e.g.
#'   `coc_placed` or `pcsp`. Rows where it is missing are left out (with a
#'   warning).
#' @param group The group column, e.g. `core20plus_group`.
#' @param need Clinical need: a one-sided formula of need covariates (e.g.
#'   `~ age_band + nulliparous + previous_cs + ltc`), `c(a, b)`, or `NULL`
#'   for no need adjustment. Terms as in [disparity()]'s `adjust`.
#' @param unit The unit column (e.g. `provider`), adjusted for as a fixed
#'   effect (or a standardisation stratum), or `NULL`.
#' @param reference The reference group.
#' @param period A date column (e.g. `booking_date`) for the trend, or
#'   `NULL` for none.
#' @param interval `"year"` or `"quarter"`: the periods of the trend.
#' @param breaks Dates of the interruptions of the time series.
#' @param standard `"reference"` or `"cohort"`: the need and unit
#'   distribution the groups are standardised to (see above).
#' @param method `"gcomp"` or `"standardise"`.
#' @param per Multiplier of rates and differences (default 100: percent).
#' @inheritParams disparity
#' @returns An object of class `mq_allocation`, a list of tables (each an
#'   `mq_sdc` tibble):
#'   * `shares`: `group`, `allocated`, `n` (with `_sdc` flags), `share`,
#'     `conf.low`, `conf.high` (Wilson, per `per`) and `per`;
#'   * `crude` and `adjusted`: the tables of [disparity()] (crude, and
#'     adjusted for need and unit), with `measure` `"rate_difference"` and
#'     `"rate_ratio"`;
#'   * `trend` (with `period`): `period`, `period_label`, `group`,
#'     `allocated`, `n` (with flags), the adjusted allocation `rate`, and
#'     against the reference `difference`, `difference_se`,
#'     `difference_low`, `difference_high`, `ratio`, `ratio_low`,
#'     `ratio_high` (estimates), `per` and `note`;
#'   * `its` (with `period`, when the periods allow): an `mq_its` fit of the
#'     adjusted difference of each group, by `group`.
#'   [tidy()] returns `adjusted`; `autoplot()` draws the trend (or, with
#'   `type = "shares"`, the crude shares).
#' @references Institute of Medicine (2003). *Unequal Treatment: Confronting
#'   Racial and Ethnic Disparities in Health Care*. National Academies Press.
#'   McGuire TG, Alegria M, Cook BL, Wells KB, Zaslavsky AM (2006).
#'   Implementing the Institute of Medicine definition of disparities: an
#'   application to mental health care. *Health Serv Res* 41:1979-2005.
#'   Cook BL, McGuire TG, Zaslavsky AM (2012). Measuring racial/ethnic
#'   disparities in health care: methods and practical issues. *Health Serv
#'   Res* 47:1232-1254.
#' @seealso [disparity()], [its()], [care_model_trend()].
#' @examples
#' cohort <- add_care_model(define_cohort(msds_example), msds_example)
#' ae <- allocation_equity(cohort, coc_placed, core20plus_group,
#'                         need = ~ age_band + nulliparous, unit = provider,
#'                         period = booking_date)
#' ae$shares
#' tidy(ae)
#' if (requireNamespace("ggplot2", quietly = TRUE)) ggplot2::autoplot(ae)
#' @export
allocation_equity <- function(data, allocation = coc_placed, group = core20plus_group,
                              need = NULL, unit = provider, reference = "Neither",
                              period = NULL, interval = c("year", "quarter"),
                              breaks = mcoc_withdrawal_date,
                              standard = c("reference", "cohort"),
                              method = c("gcomp", "standardise"), per = 100,
                              conf_level = 0.95, disclosure = NULL) {
  check_data_frame(data)
  check_conf_level(conf_level)
  check_number(per, lower = .Machine$double.eps)
  interval <- rlang::arg_match(interval)
  standard <- rlang::arg_match(standard)
  method <- rlang::arg_match(method)
  rule <- resolve_disclosure(disclosure)
  alloc <- resolve_column(data, rlang::enquo(allocation), "allocation")
  group <- resolve_column(data, rlang::enquo(group), "group")
  unit <- resolve_column(data, rlang::enquo(unit), "unit", required = FALSE)
  date <- resolve_column(data, rlang::enquo(period), "period", required = FALSE)
  nspec <- covariate_spec(data, rlang::enquo(need), "need")
  need_vars <- nspec$variables %||% character()
  clash <- intersect(c(alloc, group, unit), need_vars)
  if (length(clash)) {
    cli::cli_abort(c("{.arg need} must not include the allocation, group or unit column.",
                     "x" = "It includes {.field {clash}}."))
  }
  if (!is.null(unit) && unit %in% c(alloc, group)) {
    cli::cli_abort("{.arg unit} must differ from {.arg allocation} and {.arg group}: it is {.field {unit}}.")
  }
  if (!is.null(date) && !inherits(data[[date]], "Date")) {
    cli::cli_abort("Column {.field {date}} given as {.arg period} must be a {.cls Date}, not {.obj_type_friendly {data[[date]]}}.")
  }
  if (!inherits(breaks, "Date") || anyNA(breaks) || !length(breaks)) {
    cli::cli_abort("{.arg breaks} must be one or more {.cls Date}s, e.g. {.code mcoc_withdrawal_date}.")
  }

  y <- data[[alloc]]
  if (is.numeric(y) && all(y[!is.na(y)] %in% c(0, 1))) y <- y == 1
  if (!is.logical(y)) {
    cli::cli_abort(c("Column {.field {alloc}} given as {.arg allocation} must be logical (or 0/1).",
                     "x" = "It is {.obj_type_friendly {y}}: {example_values(y)}."))
  }
  g <- data[[group]]
  lev <- if (is.factor(g)) levels(g) else sort(unique(as.character(g[!is.na(g)])))
  if (length(reference) != 1L || is.na(reference) || !as.character(reference) %in% lev) {
    cli::cli_abort(c("{.arg reference} must be one value of {.field {group}}.",
                     "x" = "{.arg reference} is {example_values(reference)}.",
                     "i" = "Values of {.field {group}}: {example_values(lev, 10)}."))
  }
  reference <- as.character(reference)
  if (length(lev) < 2L) {
    cli::cli_abort("{.field {group}} has only one group ({.val {lev}}): nothing to compare.")
  }
  drop <- is.na(y) | is.na(g)
  if (any(drop)) {
    k <- sum(drop)
    cli::cli_warn(c("{released_count(k, rule)} row{cli::qty(released_qty(k, rule))}{?s} with missing {.field {alloc}} or {.field {group}} {cli::qty(released_qty(k, rule))}{?is/are} left out.",
                    exact_note(rule)))
  }
  for (a in c(need_vars, unit)) {
    miss <- !drop & is.na(data[[a]])
    if (any(miss)) {
      arg <- if (identical(a, unit)) "unit" else "need"
      cli::cli_abort(c("Column {.field {a}} of {.arg {arg}} has {released_count(sum(miss), rule)} missing value{cli::qty(released_qty(sum(miss), rule))}{?s}.",
                       "i" = "Recode them (e.g. to \"Unknown\") so they are kept, or filter them out first.",
                       exact_note(rule)))
    }
  }
  if (!is.null(unit) && length(unique(data[[unit]][!drop])) < 2L) {
    cli::cli_abort(c("The unit column {.field {unit}} has one value only: nothing to adjust for.",
                     "i" = "Use {.code unit = NULL}."))
  }
  wd <- data[!drop, , drop = FALSE]
  wd[[alloc]] <- y[!drop]
  wd[[group]] <- factor(as.character(wd[[group]]), levels = lev)
  wd$.allocation_eligible <- TRUE
  f <- allocation_formula(nspec, unit)

  shares <- allocation_shares(wd, alloc, group, lev, per, conf_level, rule)
  run <- function(d, adjust, disc) {
    disparity(d, !!alloc, !!group, reference = reference, adjust = !!adjust,
              method = method, standard = standard, conf_level = conf_level,
              disclosure = disc, eligible = ".allocation_eligible", per = per)
  }
  crude <- run(wd, NULL, rule)
  adjusted <- if (is.null(f)) crude else run(wd, f, rule)

  trend <- its_fit <- NULL
  if (!is.null(date)) {
    trend <- allocation_trend(wd, date, interval, alloc, group, lev, reference,
                              f, run, per, rule)
    its_fit <- allocation_its(trend, reference, breaks, conf_level)
  }
  structure(list(shares = shares, crude = crude, adjusted = adjusted,
                 trend = trend, its = its_fit),
            class = "mq_allocation",
            info = list(allocation = alloc, group = group, reference = reference,
                        need = nspec$labels %||% character(), unit = unit,
                        standard = standard, method = method, interval = interval,
                        breaks = breaks, per = per, conf_level = conf_level))
}

# The adjustment formula: the need terms plus the unit as a factor.
allocation_formula <- function(nspec, unit) {
  terms <- nspec$labels %||% character()
  if (!is.null(unit)) terms <- c(terms, paste0("factor(`", unit, "`)"))
  if (!length(terms)) return(NULL)
  env <- if (!is.null(nspec$formula)) environment(nspec$formula) else baseenv()
  stats::reformulate(terms, env = env %||% baseenv())
}

# Crude shares per group, from the released counts.
allocation_shares <- function(wd, alloc, group, lev, per, conf_level, rule) {
  g <- wd[[group]]
  tab <- data.frame(group = lev,
                    allocated = as.numeric(tapply(wd[[alloc]], g, sum, default = 0)),
                    n = as.numeric(tabulate(g, nbins = length(lev))),
                    per = per)
  pos <- function(n) ifelse(!is.na(n) & n > 0, n, NA_real_)
  apply_disclosure(tab, counts = c("allocated", "n"),
                   derived = list(
                     share = ~ allocated / pos(n) * per,
                     conf.low = ~ wilson_limits(allocated, pos(n), conf_level)$lower * per,
                     conf.high = ~ wilson_limits(allocated, pos(n), conf_level)$upper * per),
                   complements = list(allocated = ~ n - allocated),
                   margins = "group", keys = "per", disclosure = rule)
}

# The adjusted disparity within each period (exact, inside the function),
# released as one table: counts disclosed along the period and group
# margins, estimates to 3 significant figures and suppressed with the
# counts of their group or of the period's reference group.
allocation_trend <- function(wd, date, interval, alloc, group, lev, reference,
                             f, run, per, rule, call = rlang::caller_env()) {
  dt <- wd[[date]]
  if (anyNA(dt)) {
    k <- sum(is.na(dt))
    cli::cli_warn(c("{released_count(k, rule)} row{cli::qty(released_qty(k, rule))}{?s} with missing {.field {date}} {cli::qty(released_qty(k, rule))}{?is/are} left out of the trend.",
                    exact_note(rule)), call = call)
  }
  keep <- !is.na(dt)
  p <- period_start(dt[keep], interval)
  d <- wd[keep, , drop = FALSE]
  periods <- sort(unique(p))
  failed <- character()
  rows <- lapply(seq_along(periods), function(j) {
    dp <- d[p == periods[j], , drop = FALSE]
    gg <- dp[[group]]
    out <- data.frame(period = periods[j], group = lev,
                      allocated = as.numeric(tapply(dp[[alloc]], gg, sum, default = 0)),
                      n = as.numeric(tabulate(gg, nbins = length(lev))),
                      rate = NA_real_, difference = NA_real_, difference_se = NA_real_,
                      difference_low = NA_real_, difference_high = NA_real_,
                      ratio = NA_real_, ratio_low = NA_real_, ratio_high = NA_real_,
                      note = NA_character_, stringsAsFactors = FALSE)
    notes <- character()
    res <- tryCatch(
      withCallingHandlers(run(dp, f, "none"), warning = function(w) {
        notes <<- c(notes, if (grepl("converge", conditionMessage(w))) "model did not converge")
        invokeRestart("muffleWarning")
      }),
      error = function(e) e)
    if (inherits(res, "error")) {
      failed[[period_label(periods[j], interval)]] <<- conditionMessage(res)
      out$note <- if (out$n[out$group == reference] == 0) "no women in the reference group"
                  else "adjusted estimate not possible in this period"
      return(out)
    }
    rd <- res[res$measure == "rate_difference", ]
    rr <- res[res$measure == "rate_ratio", ]
    k <- match(rd$group, lev)
    out$rate[k] <- rd$rate
    out$rate[lev == reference] <- rd$ref_rate[1]
    out$difference[k] <- rd$estimate
    out$difference_se[k] <- rd$std.error
    out$difference_low[k] <- rd$conf.low
    out$difference_high[k] <- rd$conf.high
    out$ratio[k] <- rr$estimate
    out$ratio_low[k] <- rr$conf.low
    out$ratio_high[k] <- rr$conf.high
    out$note[k] <- ifelse(is.na(rd$note), rr$note, rd$note)
    if (length(notes)) out$note <- ifelse(is.na(out$note), notes[1], paste(out$note, notes[1], sep = "; "))
    out
  })
  if (length(failed)) {
    cli::cli_warn(c("The adjusted disparity could not be estimated in {length(failed)} period{?s}: {names(failed)}.",
                    "x" = "{cli::ansi_strip(failed[[1]])}",
                    "i" = "Those rows carry a {.field note}; a coarser {.arg interval} or fewer {.arg need} terms may help."),
                  call = call)
  }
  tab <- do.call(rbind, rows)
  tab$period_label <- period_label(tab$period, interval)
  tab$per <- per
  tab <- tab[c("period", "period_label", "group", "allocated", "n", "rate",
               "difference", "difference_se", "difference_low", "difference_high",
               "ratio", "ratio_low", "ratio_high", "per", "note")]
  est <- c("rate", "difference", "difference_se", "difference_low", "difference_high",
           "ratio", "ratio_low", "ratio_high")
  out <- apply_disclosure(tab, counts = c("allocated", "n"), estimates = est,
                          complements = list(allocated = ~ n - allocated),
                          margins = c("period", "group"), keys = "per",
                          disclosure = rule)
  # a label of yearly periods ("2023") reads as a number: a key too
  out <- log_columns(out, "period_label", key_log("period_label", 1L)$action)
  # a comparison also rests on the reference group's counts in its period
  ref <- out$group == reference
  ref_sup <- is.na(out$allocated[ref]) | is.na(out$n[ref])
  hide <- !ref & out$period %in% out$period[ref][ref_sup]
  for (e in setdiff(est, "rate")) out[[e]][hide] <- NA_real_
  out$note[is.na(out$allocated) | is.na(out$n) | hide] <- NA_character_
  attr(out, "allocation_trend") <- list(interval = interval, reference = reference,
                                        per = per)
  out
}

# Interrupted time series of each group's released adjusted difference.
allocation_its <- function(trend, reference, breaks, conf_level, call = rlang::caller_env()) {
  info <- attr(trend, "allocation_trend")
  shown <- as.data.frame(trend)
  shown <- shown[shown$group != reference, , drop = FALSE]
  # one series per group, in the groups' order
  shown <- shown[order(match(shown$group, unique(trend$group)), shown$period), , drop = FALSE]
  shown <- sdc_plot_frame(shown, trend)
  # its() models the column `rate`: here the adjusted difference
  shown$rate <- shown$difference
  attr(shown, "trend") <- list(variable = "adjusted allocation difference", by = "group",
                               interval = info$interval)
  class(shown) <- unique(c("mq_trend", class(shown)))
  # (periods whose difference was suppressed are left out: its() would say
  # so once per call; the trend table shows which)
  tryCatch(suppressWarnings(its(shown, breaks = breaks, conf_level = conf_level,
                                    vcov = "newey-west")),
           error = function(e) {
             cli::cli_warn(c("No interrupted time series of the allocation difference: {conditionMessage(e)}",
                             "i" = "It needs at least two periods with a released difference before each break and two from it; try {.code interval = \"quarter\"}."),
                           call = call)
             NULL
           })
}

#' @export
tidy.mq_allocation <- function(x, ...) x$adjusted

#' @export
print.mq_allocation <- function(x, ...) {
  info <- attr(x, "info")
  adj <- c(if (length(info$need)) paste0("need (", paste(info$need, collapse = " + "), ")"),
           if (!is.null(info$unit)) paste0("unit (", info$unit, ")"))
  cli::cli_text("Allocation to {.field {info$allocation}} by {.field {info$group}} (reference {.val {info$reference}}); adjusted for {if (length(adj)) paste(adj, collapse = ' and ') else 'nothing'}, standardised to the {info$standard}{if (info$standard == 'reference') ' group' else ''}.")
  cli::cli_text("Crude shares:")
  print(x$shares, ...)
  cli::cli_text("Adjusted disparity in allocation:")
  print(x$adjusted[c("group", "measure", "estimate", "conf.low", "conf.high", "p.value")], ...)
  if (!is.null(x$its)) {
    cli::cli_text("Interrupted time series of the adjusted difference (breaks {format(info$breaks)}):")
    print(x$its$coefficients[x$its$coefficients$term != "(Intercept)", ], ...)
  }
  invisible(x)
}

#' @exportS3Method ggplot2::autoplot
autoplot.mq_allocation <- function(object, type = c("trend", "shares"), ...) {
  rlang::check_installed("ggplot2", reason = "to plot allocation equity.")
  type <- rlang::arg_match(type)
  info <- attr(object, "info")
  if (type == "trend" && is.null(object$trend)) {
    cli::cli_abort(c("No trend to plot: {.fn allocation_equity} was called without {.arg period}.",
                     "i" = "Use {.code type = \"shares\"}, or give {.arg period}."))
  }
  if (type == "shares") {
    d <- object$shares
    return(ggplot2::ggplot(d, ggplot2::aes(x = .data$group, y = .data$share)) +
             ggplot2::geom_pointrange(ggplot2::aes(ymin = .data$conf.low, ymax = .data$conf.high),
                                      na.rm = TRUE) +
             ggplot2::labs(x = NULL, y = paste0(info$allocation, " (per ", info$per, ")"),
                           subtitle = plot_subtitle(attr(d, "sdc"))))
  }
  # drawn from the whole released table, so that the checker verifies its
  # suppression again; the reference group's rows have no difference and
  # draw nothing
  tr <- object$trend
  d <- tr
  others <- setdiff(unique(as.character(d$group)), info$reference)
  hidden <- sum(is.na(d$difference[d$group != info$reference]))
  # the groups side by side within a period (a fifth of its length)
  width <- 0.2 * if (info$interval == "year") 365 else 91
  p <- ggplot2::ggplot(d, ggplot2::aes(x = .data$period, y = .data$difference,
                                       colour = .data$group, group = .data$group)) +
    ggplot2::geom_hline(yintercept = 0, colour = "grey50") +
    ggplot2::geom_pointrange(ggplot2::aes(ymin = .data$difference_low, ymax = .data$difference_high),
                             size = 0.2, na.rm = TRUE,
                             position = ggplot2::position_dodge(width = width)) +
    ggplot2::geom_vline(xintercept = info$breaks, linetype = "dashed") +
    ggplot2::scale_colour_discrete(breaks = others) +
    ggplot2::labs(x = NULL,
                  y = paste0("Difference from ", info$reference, " (per ", info$per, ")"),
                  title = paste0(info$allocation, ": adjusted difference in allocation"),
                  colour = info$group, subtitle = plot_subtitle(attr(tr, "sdc")),
                  caption = if (hidden) paste(hidden, "suppressed or missing group-period(s) not shown") else NULL)
  if (!is.null(object$its)) {
    fit <- as.data.frame(object$its$fitted)
    fit$.segment <- paste(fit$group, findInterval(fit$period, object$its$breaks))
    fit <- sdc_plot_frame(fit, tr)
    fit <- log_columns(fit, c("time", "rate", "fitted"),
                       "computed from released estimates (segmented regression)")
    p <- p + ggplot2::geom_line(data = fit, ggplot2::aes(x = .data$period, y = .data$fitted,
                                                         colour = .data$group,
                                                         group = .data$.segment))
  }
  p
}
