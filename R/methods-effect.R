# Methods for estimate_effect() fits (class "mq_effect").

#' Tidy, glance and other methods for effect estimates
#'
#' @param x,object An `mq_effect` fit from [estimate_effect()].
#' @param conf.int Include `conf.low` and `conf.high`?
#' @param conf.level Confidence level of the intervals; by default the
#'   `conf_level` given to [estimate_effect()]. Another level recomputes them
#'   from the fit (Wald intervals from its variances, percentile intervals
#'   from its bootstrap replicates).
#' @param ... Unused.
#' @returns `tidy()`: a tibble with `group` (when `by` was given), `term`,
#'   `estimate`, `std.error`, `statistic`, `p.value`, `conf.low`, `conf.high`
#'   and `scale`; the statistics of a group whose model fails its disclosure
#'   check (see `glance()`) are suppressed (`NA`), here and in `print()`. Ratio terms (`risk_ratio`, `odds_ratio`) have estimate and
#'   interval on the ratio scale and `std.error` on the log scale
#'   (`scale == "log"`). `glance()`: a one-row tibble (one row per group with
#'   `by`) with `n`, `n_treated`, `n_control`, `ess_treated`, `ess_control`,
#'   `n_trimmed`, `n_truncated`, `n_missing_dropped`, `converged`,
#'   `iterations`, `n_clusters`, `method`, `estimand`, `vcov`, and
#'   `disclosure_status` and `disclosure_reason`: the model's disclosure
#'   check ([disclosure_check_model()], ACRO's rules) on the sample the
#'   estimate rests on, per group: events and non-events per arm (arm sizes
#'   for a continuous outcome) among units with a non-zero weight, the matched
#'   units per arm for matching, and each arm's effective sample size must
#'   reach the rule's threshold, and the residual degrees of freedom (the
#'   smallest of the propensity model's, the outcome models' and, for
#'   matching, the matched sample's) at least `min_df`. The reason names the
#'   cells that fail but gives no counts.
#'   The counts pass through the fit's disclosure rule ([apply_disclosure()]:
#'   each has a `<count>_sdc` flag column after it). Group sizes partition the
#'   fit's sample, so a suppressed group size takes the next smallest with it;
#'   under a rule that does not round, `n` is suppressed with a suppressed
#'   arm. The effective sample sizes are released like counts: rounded to the
#'   rule's base and suppressed under its threshold. `nobs()` is the total
#'   sample size as the rule releases it (rounded; `NA` when suppressed), and
#'   `print()` and `summary()` show only released counts and the disclosure
#'   check of each group. Fit with `disclosure = "none"` for exact counts
#'   inside the SDE; the printed fit then says that disclosure control is off.
#'   `coef()`: the contrasts on the scale they are estimated on
#'   (`log_risk_ratio`, `log_odds_ratio`); `vcov()` their covariance matrix.
#' @name mq_effect-methods
#' @examples
#' set.seed(1)
#' d <- data.frame(x = rnorm(500))
#' d$a <- rbinom(500, 1, plogis(d$x))
#' d$y <- rbinom(500, 1, plogis(-1 + d$a + d$x))
#' fit <- estimate_effect(d, a, y, ~ x, method = "ipw")
#' tidy(fit)
#' glance(fit)
#' coef(fit)
NULL

#' @rdname mq_effect-methods
#' @export
tidy.mq_effect <- function(x, conf.int = TRUE, conf.level = NULL, ...) {
  check_flag(conf.int, arg = "conf.int")
  if (!is.null(conf.level)) check_conf_level(conf.level, arg = "conf.level")
  same <- is.null(conf.level) || is.null(x$groups) ||
    isTRUE(all.equal(conf.level, x$conf_level, tolerance = 0))
  out <- if (same) x$estimates else {
    # the same intervals at another level: Wald from the stored variances, or
    # the bootstrap percentiles of the stored replicates
    assemble_effect(x$groups, names(x$groups), x$by_name, x$outcome_type == "binary",
                    conf.level)$estimates
  }
  if (!conf.int) out <- out[setdiff(names(out), c("conf.low", "conf.high"))]
  released_estimates(x, out)
}

# The estimates as released: a group whose model fails the disclosure check
# (small cells, effective sample sizes or residual df on the sample it rests
# on) has its statistics suppressed; the others are released as estimated.
# The table is marked with the fit's rule and its sdc log accounts for every
# statistic column, so disclosure_check() can read it.
released_estimates <- function(x, tab = x$estimates) {
  rule <- effect_rule(x)
  stats_cols <- intersect(c("estimate", "std.error", "statistic", "p.value",
                            "conf.low", "conf.high"), names(tab))
  if (rule$preset == "none") {
    action <- "model estimate (exact: disclosure control off)"
    n_hidden <- 0L
  } else {
    st <- vapply(x$groups, function(f) model_disclosure(f, x, rule)$status, "")
    grp <- if ("group" %in% names(tab)) as.character(tab$group) else rep(names(x$groups)[1], nrow(tab))
    hide <- st[grp] %in% "fail"
    for (cl in stats_cols) tab[[cl]][hide] <- NA_real_
    n_hidden <- sum(hide)
    action <- "model estimate, released where the model passes its disclosure check (see glance())"
  }
  log <- tibble::tibble(column = stats_cols, action = action, n = nrow(tab))
  if (n_hidden > 0L) {
    log <- rbind_log(list(log, tibble::tibble(
      column = stats_cols, action = "suppressed: the model fails its disclosure check",
      n = n_hidden)))
  }
  new_sdc_table(as.list(tab), tab, rule, log = log)
}

#' @rdname mq_effect-methods
#' @export
glance.mq_effect <- function(x, ...) {
  rule <- effect_rule(x)
  rows <- lapply(names(x$groups), function(g) {
    f <- x$groups[[g]]
    chk <- model_disclosure(f, x, rule)
    tibble::tibble(
      n = f$n, n_treated = f$n_treated, n_control = f$n_control,
      ess_treated = f$ess_treated, ess_control = f$ess_control,
      n_trimmed = f$n_trimmed, n_truncated = f$n_truncated,
      n_missing_dropped = x$n_missing_dropped, converged = f$converged,
      iterations = f$iterations, n_clusters = f$n_clusters, method = x$method,
      estimand = x$estimand, vcov = x$vcov_type,
      disclosure_status = chk$status, disclosure_reason = chk$reason)
  })
  out <- do.call(rbind, rows)
  if (!is.null(x$by_name)) out <- tibble::add_column(out, group = names(x$groups), .before = 1L)
  disclose_effect_counts(out, rule)
}

# The counts of glance() under the fit's rule. The groups of `by` partition
# the fit's sample, whose size nobs() and print() release, so a suppressed
# group size takes the next smallest with it (secondary suppression). Under
# a rule that does not round, n = n_treated + n_control is a margin within
# each row: a suppressed arm takes n with it, and a suppressed n the smaller
# arm. Effective sample sizes are released like counts (rounded to the
# rule's base, suppressed under its threshold) and suppressed with their arm
# (an ATT's treated ESS is the treated count).
disclose_effect_counts <- function(out, rule) {
  ess <- c("ess_treated", "ess_control")
  if (rule$preset == "none") {
    return(apply_disclosure(out, counts = c("n", "n_treated", "n_control", "n_trimmed",
                                            "n_truncated", "n_missing_dropped"), disclosure = rule))
  }
  for (e in ess) out[[e]] <- round(out[[e]])
  n_true <- out$n
  out$.margin <- 1L
  out <- apply_disclosure(out, counts = c("n", "n_treated", "n_control", "n_trimmed",
                                          "n_truncated"), by = ".margin", disclosure = rule)
  out$.margin <- NULL
  # the suppressed group sizes together are nobs() less the others
  if (nrow(out) > 1L) {
    res <- protect_suppressed_sum(n_true, out$n, out$n_sdc, rule)
    out$n <- res$value
    out$n_sdc <- res$flag
  }
  out <- apply_disclosure(out, counts = c("ess_treated", "ess_control", "n_missing_dropped"),
                          disclosure = rule)
  extra <- list()
  suppress <- function(col, rows, why) {
    if (!any(rows)) return()
    out[[col]][rows] <<- NA
    out[[paste0(col, "_sdc")]][rows] <<- why
    extra[[length(extra) + 1L]] <<- tibble::tibble(column = col, action = why, n = sum(rows))
  }
  if (released_exactly(rule)) {
    arm <- "secondary suppression (n = n_treated + n_control)"
    suppress("n", xor(is.na(out$n_treated), is.na(out$n_control)) & !is.na(out$n), arm)
    both <- is.na(out$n) & !is.na(out$n_treated) & !is.na(out$n_control)
    suppress("n_treated", both & out$n_treated <= out$n_control, arm)
    suppress("n_control", both & !is.na(out$n_treated) & out$n_control < out$n_treated, arm)
  }
  suppress("ess_treated", is.na(out$n_treated) & !is.na(out$ess_treated), "suppressed with n_treated")
  suppress("ess_control", is.na(out$n_control) & !is.na(out$ess_control), "suppressed with n_control")
  if (length(extra)) attr(out, "sdc_log") <- rbind_log(c(list(attr(out, "sdc_log")), extra))
  out
}

# Does the rule release counts at or above its threshold as they are (no
# rounding)? Then margins give suppressed cells back exactly.
released_exactly <- function(rule) {
  rule$preset != "none" && rule$rounding == 0 && rule$rounding_method != "midpoint6"
}

# The fit's disclosure rule (resolved when the fit was made; fits saved by
# older versions resolve theirs now).
effect_rule <- function(x) resolve_disclosure(x$disclosure, arg = "disclosure")

# The disclosure check of the model (disclosure_check_model(), ACRO's rules:
# minimum cell counts and residual degrees of freedom) on the sample the
# estimate rests on: units with a non-zero weight (the matched units for
# matching). Its cells are events and non-events per arm (arm sizes for a
# continuous outcome), the matched units per arm for matching, and the
# effective sample size of each arm. Its residual degrees of freedom are the
# smallest of the propensity model's (n - p), the outcome models' (per arm,
# n_a - q) and, for matching, the matched sample's (matched units - 2).
model_disclosure <- function(f, x, rule) {
  if (!is.null(x$levels)) return(model_disclosure_multi(f, x, rule))
  s <- group_sample(f, x$outcome_type == "binary")
  u <- s$units_used
  matching <- identical(x$method, "matching")
  cells <- if (x$outcome_type == "binary") {
    e <- s$events_used
    c(treated_events = e[["treated"]], treated_non_events = u[["treated"]] - e[["treated"]],
      control_events = e[["control"]], control_non_events = u[["control"]] - e[["control"]])
  } else {
    c(treated = u[["treated"]], control = u[["control"]])
  }
  if (matching) cells <- c(matched_treated = u[["treated"]], matched_control = u[["control"]], cells)
  cells <- c(cells, ess_treated = s$ess[["treated"]], ess_control = s$ess[["control"]])
  df <- f$n - group_p(f)
  if (matching) df <- min(df, sum(u) - 2)
  q <- length(f$outcome_model$coef1 %||% numeric())
  if (q > 0L) df <- min(df, u[["treated"]] - q, u[["control"]] - q)
  chk <- disclosure_check_model(cells, df, rule)
  if (matching) chk$reason <- paste0(chk$reason, " (matched sample)")
  chk
}

#' @rdname mq_effect-methods
#' @export
coef.mq_effect <- function(object, ...) object$coefficients

#' @rdname mq_effect-methods
#' @export
vcov.mq_effect <- function(object, ...) object$vcov

#' @rdname mq_effect-methods
#' @export
nobs.mq_effect <- function(object, ...) {
  n <- sum(vapply(object$groups, `[[`, 0L, "n"))
  rule <- effect_rule(object)
  if (rule$preset == "none") return(n)
  # without rounding, the total less the released group sizes would give a
  # suppressed group's size back
  if (released_exactly(rule) && anyNA(glance(object)$n)) return(NA_integer_)
  as.integer(release_value(n, rule))
}

#' @export
print.mq_effect <- function(x, digits = 3, ...) {
  rule <- effect_rule(x)
  cli::cli_text("{.strong {x$method_label}}: {x$estimand} of {.field {x$treatment}} on {.field {x$outcome}} ({x$outcome_type} outcome)")
  vc <- switch(x$vcov_type,
               sandwich = if (x$method == "tmle") "influence function" else "M-estimation sandwich (estimated propensity score accounted for)",
               robust = "robust, weights treated as fixed",
               bootstrap = paste0("bootstrap, ", x$reps, " replicates, seed ", x$seed))
  if (!is.null(x$cluster_name)) vc <- paste0(vc, ", clustered by ", x$cluster_name)
  n_all <- sum(vapply(x$groups, `[[`, 0L, "n"))
  n_txt <- if (is.na(nobs(x)) && n_all >= rule$threshold) "suppressed" else released_count(n_all, rule)
  dropped <- if (x$n_missing_dropped > 0) {
    paste0(" (", released_count(x$n_missing_dropped, rule), " incomplete rows dropped)")
  } else ""
  cli::cli_text("Variance: {vc}. n = {n_txt}{dropped}.")
  tab <- as.data.frame(released_estimates(x))
  num <- vapply(tab, is.numeric, TRUE)
  tab[num] <- lapply(tab[num], function(v) signif(v, digits))
  print(tab, row.names = FALSE)
  if (!is.null(x$heterogeneity)) {
    cli::cli_text("Test of equal effects across {.field {x$by_name}}:")
    h <- as.data.frame(x$heterogeneity)
    h$statistic <- signif(h$statistic, digits)
    h$p.value <- signif(h$p.value, digits)
    print(h, row.names = FALSE)
  }
  print_effect_disclosure(x, rule)
  invisible(x)
}

# One line per fit (per group with `by`): the model's disclosure check, or
# that disclosure control is off.
print_effect_disclosure <- function(x, rule) {
  if (rule$preset == "none") {
    cli::cli_text("{.strong DISCLOSURE CONTROL OFF} (rule {.val none}): counts are exact; not for release outside the SDE.")
    return(invisible())
  }
  chk <- lapply(x$groups, model_disclosure, x = x, rule = rule)
  st <- vapply(chk, `[[`, "", "status")
  hdr <- paste0("Disclosure (", rule_name(rule), ", ", describe_rule(rule), "): model check")
  if (length(chk) == 1L) {
    cli::cli_text("{hdr} {st}: {chk[[1]]$reason}.")
  } else {
    lines <- paste0(names(chk), ": ", st, " (", vapply(chk, `[[`, "", "reason"), ")")
    lines <- gsub("([{}])", "\\1\\1", lines)
    cli::cli_text("{hdr} per {.field {x$by_name}} group:")
    cli::cli_bullets(stats::setNames(lines, ifelse(st == "pass", "v", "x")))
  }
  invisible()
}

#' @export
summary.mq_effect <- function(object, ...) {
  structure(list(fit = object, glance = glance(object)), class = "summary.mq_effect")
}

#' @export
print.summary.mq_effect <- function(x, ...) {
  print(x$fit)
  g <- as.data.frame(x$glance)
  rule <- effect_rule(x$fit)
  cli::cli_text(if (rule$preset == "none") "Sample and weights (exact counts):" else
    "Sample and weights ({describe_rule(rule)}; effective sample sizes likewise; NA = suppressed):")
  print(g[intersect(c("group", "n", "n_treated", "n_control", "ess_treated", "ess_control",
                      "n_trimmed", "n_truncated", "converged"), names(g))], row.names = FALSE,
        digits = 4)
  invisible(x)
}

#' Propensity score overlap plot
#'
#' Mirrored histograms of the propensity score in the treated (above) and
#' control (below) arms, one panel per group when `by` was used. The bars
#' are the bin counts released under the fit's disclosure rule
#' ([sdc_histogram_data()] on fixed bins over \[0, 1\]): bins resting on
#' suppressed counts are not drawn, and a plot made with `disclosure = "none"`
#' says so in its subtitle.
#'
#' @param object An `mq_effect` fit.
#' @param bins Number of histogram bins.
#' @param ... Unused.
#' @returns A ggplot object.
#' @exportS3Method ggplot2::autoplot
autoplot.mq_effect <- function(object, bins = 40, ...) {
  rlang::check_installed("ggplot2")
  rule <- effect_rule(object)
  arm <- ifelse(object$treat == 1L, "treated", "control")
  grp <- if (is.null(object$by)) rep("all", length(arm)) else as.character(object$by)
  # bins pass through the disclosure rule: bins resting on suppressed counts
  # are not drawn
  h <- sdc_histogram_data(object$ps, breaks = seq(0, 1, length.out = bins + 1L),
                          group = paste(grp, arm, sep = "\r"), disclosure = rule)
  parts <- strsplit(as.character(h$group), "\r", fixed = TRUE)
  h$by_group <- vapply(parts, `[`, "", 1L)
  h$arm <- vapply(parts, `[`, "", 2L)
  h$mid <- (h$xmin + h$xmax) / 2
  # the released counts, drawn downwards for the controls (suppressed bins
  # stay in the data as NA and are not drawn)
  h$height <- ifelse(h$arm == "treated", 1, -1) * h$n
  h <- log_columns(h, "height", "released count, negative for controls (plot position)")
  p <- ggplot2::ggplot(h, ggplot2::aes(x = .data$mid, y = .data$height, fill = .data$arm)) +
    ggplot2::geom_col(width = 1 / bins, na.rm = TRUE) +
    ggplot2::geom_hline(yintercept = 0) +
    ggplot2::labs(x = "Propensity score", y = "Count (controls below zero)", fill = NULL,
                  title = paste0("Propensity score overlap: ", object$treatment),
                  subtitle = plot_subtitle(rule),
                  caption = "Bins with counts suppressed by the disclosure rule are not drawn.") +
    ggplot2::scale_y_continuous(labels = abs)
  if (!is.null(object$by)) p <- p + ggplot2::facet_wrap(ggplot2::vars(.data$by_group))
  p
}
