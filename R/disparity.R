# Rate differences and rate ratios of each group against a reference group,
# crude or adjusted for allowable covariates (direct standardisation to the
# whole cohort, or g-computation with a logistic model).

#' Disparities in an outcome between groups
#'
#' For each group `g` against the reference group `r`: the rate difference
#' `p_g - p_r` (per `per`) and the rate ratio `p_g / p_r`, with Wald
#' intervals (the ratio's on the log scale; its `std.error` is the log-scale
#' standard error, marked by `se_scale = "log"`).
#'
#' With `adjust`, the rates compared are adjusted for allowable covariates
#' (e.g. maternal age band and parity) in one of two ways:
#' * `method = "standardise"`: direct standardisation of each group's
#'   stratum-specific rates to the covariate distribution of the whole
#'   eligible cohort (strata = combinations of the `adjust` columns, which
#'   should be categorical). Variance: sum of `w_s^2 p_gs (1 - p_gs) / n_gs`.
#' * `method = "gcomp"`: a logistic regression of the outcome on the group and
#'   the `adjust` columns (main effects, fitted with [stats::glm()]); each
#'   group's rate is the mean predicted risk over the whole eligible cohort
#'   with everyone set to that group. Variance from the influence function
#'   (the sampling of the covariates plus the model's estimating equations),
#'   which also gives the covariance between groups.
#'
#' @inheritParams outcome_rates
#' @param group The column defining the groups (e.g. `core20plus_group`,
#'   `ethnic_group`).
#' @param reference The reference group (a value of `group`). Defaults to the
#'   first level of a factor, otherwise the first value in sorted order.
#' @param adjust Allowable covariates to adjust for (e.g. `c(age_band,
#'   parity)` or `~ age_band + parity`), or `NULL` for crude comparisons.
#'   A formula's terms are evaluated first: standardisation uses the
#'   combinations of their values as strata (`cut(age, c(0, 25, 35, 50))`,
#'   `I(age >= 35)`); g-computation has them as model terms (`factor()`,
#'   `I()`, splines, interactions, through [stats::model.matrix()]).
#' @param method `"standardise"` or `"gcomp"`; used only with `adjust`.
#' @param standard The covariate distribution the adjusted rates are
#'   standardised to: `"cohort"` (the whole eligible cohort's, the default)
#'   or `"reference"` (the reference group's: each group's rate had its
#'   women the reference group's covariates; the reference group's adjusted
#'   rate is then its crude rate up to the model's fit, exactly so for
#'   g-computation with main effects, since the score equations make the
#'   fitted risks of each group add up to its events). Standardising to the
#'   reference group is the implementation of the Institute of Medicine's
#'   definition of a disparity by McGuire et al. (2006) and Cook et al.
#'   (2010), used by [allocation_equity()]. Used only with `adjust`.
#' @param cohort Deprecated: use `data`.
#' @returns A tibble with two rows per non-reference group (`measure` =
#'   `"rate_difference"` and `"rate_ratio"`) and columns `group`, `reference`,
#'   `events`, `n`, `rate` (the group's crude or adjusted rate per `per`),
#'   `ref_events`, `ref_n`, `ref_rate`, `measure`, `estimate`, `std.error`,
#'   `se_scale` (`"identity"` or `"log"`), `statistic`, `p.value`,
#'   `conf.low`, `conf.high`, `per`, `adjustment` and `note` (why an estimate
#'   is missing), after disclosure control: the counts of all groups are
#'   disclosed together (they add up to the cohort: secondary suppression
#'   across them; the non-events checked like counts), crude rates,
#'   differences, ratios and their SEs are computed from the released counts,
#'   adjusted ones are released to 3 significant figures, and a row whose
#'   group or reference counts are suppressed has its statistics (and note)
#'   suppressed.
#' @references McGuire TG, Alegria M, Cook BL, Wells KB, Zaslavsky AM (2006).
#'   Implementing the Institute of Medicine definition of disparities: an
#'   application to mental health care. *Health Serv Res* 41:1979-2005.
#'   Cook BL, McGuire TG, Zaslavsky AM (2012). Measuring racial/ethnic
#'   disparities in health care: methods and practical issues. *Health Serv
#'   Res* 47:1232-1254.
#' @examples
#' set.seed(1)
#' d <- data.frame(
#'   group = sample(c("Core20", "PLUS", "Neither"), 3000, TRUE),
#'   age_band = sample(c("<25", "25-34", "35+"), 3000, TRUE)
#' )
#' d$preterm <- runif(3000) < ifelse(d$group == "Neither", 0.06, 0.09)
#' d$preterm_eligible <- TRUE
#' disparity(d, preterm, group, reference = "Neither", per = 100,
#'           disclosure = "none")
#' disparity(d, preterm, group, reference = "Neither", adjust = age_band,
#'           per = 100, disclosure = "none")
#' @export
disparity <- function(data, outcome, group, reference = NULL, adjust = NULL,
                      method = c("standardise", "gcomp"), conf_level = 0.95,
                      disclosure = NULL, eligible = NULL, per = NULL,
                      standard = c("cohort", "reference"), cohort = NULL) {
  if (deprecated_arg(cohort, missing(data), "cohort", "data", "disparity")) data <- cohort
  if (is_imputed(data)) {
    return(disparity_mi("disparity", current_call(match.call(), c(cohort = "data")), "data",
                        imputed_list(data, "data"),
                        parent.frame(), conf_level, disclosure, c("group", "measure")))
  }
  check_data_frame(data)
  check_conf_level(conf_level)
  method <- rlang::arg_match(method)
  standard <- rlang::arg_match(standard)
  spec <- outcome_spec(data, rlang::enquo(outcome), rlang::enquo(eligible), per)
  group <- resolve_column(data, rlang::enquo(group), "group")
  aspec <- covariate_spec(data, rlang::enquo(adjust), "adjust")
  if (!is.null(aspec) && !length(aspec$labels)) aspec <- NULL
  adjust <- aspec$variables %||% character()
  if (group %in% adjust) {
    cli::cli_abort("{.arg adjust} must not include the {.arg group} column {.field {group}}.")
  }

  gall <- data[[group]]
  lev <- if (is.factor(gall)) levels(gall) else sort(unique(as.character(gall[!is.na(gall)])))
  reference <- reference %||% lev[1]
  if (length(reference) != 1L || !as.character(reference) %in% lev) {
    cli::cli_abort(c("{.arg reference} must be one value of {.field {group}}.",
                     "x" = "{.arg reference} is {example_values(reference)}.",
                     "i" = "Values of {.field {group}}: {example_values(lev, 10)}."))
  }
  reference <- as.character(reference)

  rows <- outcome_rows(data, spec)
  gmiss <- rows$use & is.na(gall)
  if (any(gmiss)) {
    cli::cli_warn(c("{released_count(sum(gmiss), disclosure)} eligible row{cli::qty(released_qty(sum(gmiss), disclosure))}{?s} with missing {.field {group}} {cli::qty(released_qty(sum(gmiss), disclosure))}{?is/are} left out.", exact_note(disclosure)))
  }
  use <- rows$use & !is.na(gall)
  d <- data[use, , drop = FALSE]
  y <- rows$y[use]
  g <- factor(as.character(d[[group]]), levels = lev)

  counts <- data.frame(group = lev,
                       events = as.numeric(tapply(y, g, sum, default = 0)),
                       n = as.numeric(tabulate(g, nbins = length(lev))))
  r <- match(reference, lev)
  if (counts$n[r] == 0) {
    cli::cli_abort(c(
      "The reference group {.val {reference}} has no women eligible for {.field {spec$outcome}}.",
      "i" = "Choose another {.arg reference}; groups with eligible women: {example_values(lev[counts$n > 0], 10)}."
    ))
  }
  for (a in adjust) {
    if (anyNA(d[[a]])) {
      cli::cli_abort(c("Adjustment column {.field {a}} has {sum(is.na(d[[a]]))} missing value{?s} among eligible rows.",
                       "i" = "Recode them (e.g. to \"Unknown\") so they are kept, or filter them out first."))
    }
  }

  # The counts are disclosed first, across the groups (their events and
  # women add up to the whole cohort's); crude rates, differences, ratios and
  # their SEs are computed from the released counts.
  rule <- resolve_disclosure(disclosure)
  rel <- apply_disclosure(counts, counts = c("events", "n"), disclosure = rule,
                          margins = "group", complements = list(events = ~ n - events))
  released <- data.frame(group = lev, events = as.numeric(rel$events), n = as.numeric(rel$n))
  note <- rep(NA_character_, length(lev))
  note[counts$n == 0] <- "no eligible women in group"
  # standardisation strata: the combinations of the formula's terms as
  # evaluated (cut(age, ...), factor(x), I(age >= 35)), one column each
  strata <- if (length(adjust) && method == "standardise") standardise_strata(aspec, d)
  one_stratum <- length(adjust) && method == "standardise" &&
    length(unique(group_key(strata, names(strata)))) == 1L
  est <- if (!length(adjust) || one_stratum) {
    crude_rates(released)
  } else if (method == "standardise") {
    standardised_rates(y, g, strata, names(strata), reference, standard)
  } else {
    gcomp_rates(y, g, d, aspec, counts, reference, standard)
  }
  note <- ifelse(is.na(note), est$note, note)
  adjustment <- if (!length(adjust)) "none" else
    paste0(if (method == "standardise") "standardised: " else "g-computation: ",
           paste(aspec$labels, collapse = " + "),
           if (standard == "reference") " (to the reference group)")

  mu <- est$mu
  V <- est$V
  others <- setdiff(seq_along(lev), r)
  # (from the released counts: a zero that the rule suppresses is not told)
  zero_ref <- released$events[r] %in% 0
  zero_grp <- others[released$events[others] %in% 0 & !is.na(released$n[others]) & released$n[others] > 0]
  if (zero_ref) {
    cli::cli_warn(c("The reference group {.val {reference}} has no events of {.field {spec$outcome}}: rate ratios are undefined (NA).",
                    "i" = "Rate differences are still given; consider a larger reference group."))
  }
  if (length(zero_grp)) {
    cli::cli_warn(c("{length(zero_grp)} group{?s} ha{?s/ve} no events of {.field {spec$outcome}}: {.val {lev[zero_grp]}}.",
                    "i" = "Their rate ratios are undefined (NA, see {.field note}); rate differences are given."))
  }

  out <- lapply(others, function(k) {
    rd <- mu[k] - mu[r]
    rd_se <- sqrt(V[k, k] + V[r, r] - 2 * V[k, r])
    rr <- mu[k] / mu[r]
    lrr_se <- sqrt(V[k, k] / mu[k]^2 + V[r, r] / mu[r]^2 - 2 * V[k, r] / (mu[k] * mu[r]))
    rr_note <- note[k]
    if (is.na(rr_note) && zero_ref) rr_note <- "no events in reference group: ratio undefined"
    if (is.na(rr_note) && released$events[k] %in% 0) rr_note <- "no events in group: ratio undefined"
    if (!is.na(rr_note)) rr <- lrr_se <- NA_real_
    if (!is.na(note[k])) rd <- rd_se <- NA_real_
    z <- z_value(conf_level)
    data.frame(
      group = lev[k], reference = reference,
      events = counts$events[k], n = counts$n[k], rate = mu[k] * spec$per,
      ref_events = counts$events[r], ref_n = counts$n[r], ref_rate = mu[r] * spec$per,
      measure = c("rate_difference", "rate_ratio"),
      estimate = c(rd * spec$per, rr),
      std.error = c(rd_se * spec$per, lrr_se),
      se_scale = c("identity", "log"),
      statistic = c(rd / rd_se, log(rr) / lrr_se),
      conf.low = c((rd - z * rd_se) * spec$per, exp(log(rr) - z * lrr_se)),
      conf.high = c((rd + z * rd_se) * spec$per, exp(log(rr) + z * lrr_se)),
      note = c(note[k], rr_note),
      stringsAsFactors = FALSE
    )
  })
  out <- do.call(rbind, out)
  out$p.value <- 2 * stats::pnorm(-abs(out$statistic))
  out$per <- spec$per
  out$adjustment <- adjustment
  out <- disparity_release(out, rel, lev, others, r, rule,
                           adjusted = length(adjust) > 0L && !one_stratum)
  attr(out, "disparity") <- list(outcome = spec$outcome, reference = reference,
                                 per = spec$per, conf_level = conf_level)
  class(out) <- unique(c("mq_disparity", class(out)))
  out
}

# The disparity table with the released counts and their flags: a row's
# statistics are suppressed when a count of its group or of the reference
# group is.
disparity_release <- function(out, rel, lev, others, r, rule, adjusted) {
  k <- match(out$group, lev)
  fl <- function(col, i) rel[[paste0(col, "_sdc")]][i]
  out$events <- rel$events[k]
  out$n <- rel$n[k]
  out$ref_events <- rep(rel$events[r], nrow(out))
  out$ref_n <- rep(rel$n[r], nrow(out))
  out$events_sdc <- fl("events", k)
  out$n_sdc <- fl("n", k)
  out$ref_events_sdc <- fl("events", rep(r, nrow(out)))
  out$ref_n_sdc <- fl("n", rep(r, nrow(out)))
  sup <- is.na(out$events) | is.na(out$n) | is.na(out$ref_events) | is.na(out$ref_n)
  derived <- c("rate", "ref_rate", "estimate", "std.error", "statistic",
               "p.value", "conf.low", "conf.high")
  grp_sup <- is.na(out$events) | is.na(out$n)
  ref_sup <- is.na(out$ref_events) | is.na(out$ref_n)
  for (d in derived) {
    hide <- switch(d, rate = grp_sup, ref_rate = ref_sup, sup)
    out[[d]][hide] <- NA_real_
    # adjusted statistics rest on the individual records, not on the
    # released counts: estimates, released to 3 significant figures
    if (adjusted && rule$preset != "none") out[[d]] <- signif(out[[d]], 3)
  }
  out$note[sup] <- NA_character_  # a note beside a suppressed cell says what it hides
  cols <- c("group", "reference", "events", "events_sdc", "n", "n_sdc", "rate",
            "ref_events", "ref_events_sdc", "ref_n", "ref_n_sdc", "ref_rate", "measure",
            "estimate", "std.error", "se_scale", "statistic", "p.value", "conf.low",
            "conf.high", "per", "adjustment", "note")
  log <- attr(rel, "sdc_log")
  log <- rbind_log(list(log, tibble::tibble(
    column = derived, action = "suppressed with its counts",
    n = vapply(derived, function(d) sum(sup), 1L))))
  log <- log[log$n > 0L, ]
  res <- new_sdc_table(as.list(out)[cols], tibble::tibble(), rule, log = log, n = nrow(out))
  res <- log_columns(res, "per", key_log("per", 1L)$action)
  # the crude statistics are functions of the released counts; adjusted
  # ones rest on the records and are released as estimates
  log_columns(res, derived, if (rule$preset == "none") "computed from original counts"
              else if (adjusted) "estimate, suppressed with its counts, 3 significant figures"
              else "computed from released counts")
}

# Crude proportions; groups are independent.
crude_rates <- function(counts) {
  mu <- ifelse(counts$n > 0, counts$events / counts$n, NA_real_)
  v <- ifelse(counts$n > 0, mu * (1 - mu) / counts$n, NA_real_)
  list(mu = mu, V = diag(v, nrow = length(mu)), note = rep(NA_character_, length(mu)))
}

# Direct standardisation to the whole eligible cohort's distribution over the
# strata formed by the adjustment columns.
standardised_rates <- function(y, g, d, adjust, reference, standard = "cohort") {
  s <- group_codes(group_key(d, adjust))
  S <- max(s)
  lev <- levels(g)
  gi <- as.integer(g)
  # the standard population's distribution over the strata; a stratum it
  # does not hold has weight 0 and needs no women in the other groups
  w <- if (standard == "reference") {
    tabulate(s[gi == match(reference, lev)], nbins = S) / sum(gi == match(reference, lev))
  } else {
    tabulate(s, nbins = S) / length(s)
  }
  skey <- group_key(d, adjust)[match(seq_len(S), s)]
  cell <- (gi - 1L) * S + s
  n_gs <- matrix(tabulate(cell, nbins = S * length(lev)), nrow = S)
  e_gs <- matrix(tabulate(cell[y == 1], nbins = S * length(lev)), nrow = S)
  mu <- v <- numeric(length(lev))
  note <- rep(NA_character_, length(lev))
  for (k in seq_along(lev)) {
    empty <- n_gs[, k] == 0 & w > 0
    if (any(empty)) {
      mu[k] <- v[k] <- NA_real_
      # (which stratum is empty is a count of zero: not told)
      note[k] <- "an adjustment stratum has no eligible women in this group: cannot standardise"
      if (lev[k] == reference) {
        cli::cli_abort(c(
          "The reference group {.val {reference}} has no eligible women in {sum(empty)} stratum/strata of {.arg adjust}.",
          "x" = "Empty strata: {example_values(gsub('\r', '/', skey[empty]))}.",
          "i" = "Use coarser adjustment categories or {.code method = \"gcomp\"}."
        ), call = rlang::caller_env(2))
      }
      next
    }
    p <- ifelse(w > 0, e_gs[, k] / pmax(n_gs[, k], 1), 0)
    mu[k] <- sum(w * p)
    v[k] <- sum(ifelse(w > 0, w^2 * p * (1 - p) / pmax(n_gs[, k], 1), 0))
  }
  list(mu = mu, V = diag(v, nrow = length(mu)), note = note)
}

# The strata of direct standardisation: the model frame of the adjustment
# terms (main effects only; an interaction adds no strata), one column per
# term.
standardise_strata <- function(aspec, d, call = rlang::caller_env()) {
  mf <- covariate_frame(aspec, d, "adjust", call)
  mat <- vapply(mf, function(x) is.matrix(x), TRUE)
  if (any(mat)) {
    cli::cli_abort(c("Direct standardisation needs categorical adjustment terms.",
                     "x" = "{.code {names(mf)[mat]}} {?is a/are} matrix-valued (a spline or polynomial basis).",
                     "i" = "Use {.code method = \"gcomp\"}, or {.fn cut} the variable into bands."),
                   call = call)
  }
  as.data.frame(lapply(mf, function(x) x), col.names = names(mf), check.names = FALSE)
}

# Marginal standardisation (g-computation) with a logistic model of the
# outcome on the group and the adjustment terms (the design of `aspec`),
# fitted and differentiated by the engine's stack (stack.hpp): each group's
# rate is the mean predicted risk over the standard population S (the whole
# cohort, or the reference group's women) with everyone set to that group,
# and the covariance comes from the stacked influence functions (the model's
# score and the means').
gcomp_rates <- function(y, g, d, aspec, counts, reference, standard = "cohort") {
  lev <- levels(g)
  keep <- counts$n > 0
  present <- lev[keep]
  others <- setdiff(present, reference)
  A <- covariate_design(aspec, d, "adjust", call = rlang::caller_env(2))$X
  gi <- as.character(g)
  G <- vapply(others, function(k) as.numeric(gi == k), numeric(length(y)))
  if (is.null(dim(G))) G <- matrix(G, nrow = length(y))
  colnames(G) <- paste0(".g", others)
  X <- cbind(A[, 1L, drop = FALSE], G, A[, -1L, drop = FALSE])
  # one counterfactual per present group: its indicator 1, the others 0
  values <- outer(present, others, function(k, o) as.numeric(k == o))
  h <- if (standard == "reference") as.numeric(gi == reference) else rep(1, length(y))
  res <- tryCatch(
    .cpp_standardised_means(X, as.numeric(y), seq_len(ncol(G)) + 1L, values, h,
                            stats::glm.control()),
    error = function(e) {
      cli::cli_abort(c("The g-computation model's information matrix is singular.",
                       "x" = conditionMessage(e),
                       "i" = "Simplify {.arg adjust}: a term may separate the outcome."),
                     call = rlang::caller_env(4))
    })
  if (length(res$model$aliased)) {
    cli::cli_abort(c("The g-computation model is not identifiable (aliased terms: {.field {colnames(X)[res$model$aliased]}}).",
                     "i" = "Simplify {.arg adjust}."), call = rlang::caller_env(2))
  }
  if (!res$model$converged) {  # (glm.fit's rule and glm.control()'s defaults)
    cli::cli_warn("The g-computation model did not converge; adjusted estimates may be unreliable.")
  }
  mu <- rep(NA_real_, length(lev))
  mu[keep] <- res$mu
  V <- matrix(NA_real_, length(lev), length(lev))
  V[keep, keep] <- res$vcov
  list(mu = mu, V = V, note = rep(NA_character_, length(lev)))
}
