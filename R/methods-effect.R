# Methods for estimate_effect() fits (class "mq_effect").

#' Tidy, glance and other methods for effect estimates
#'
#' @param x,object An `mq_effect` fit from [estimate_effect()].
#' @param conf.int,conf.level Ignored: intervals are always returned, at the
#'   level given to [estimate_effect()].
#' @param ... Unused.
#' @returns `tidy()`: a tibble with `group` (when `by` was given), `term`,
#'   `estimate`, `std.error`, `statistic`, `p.value`, `conf.low`, `conf.high`
#'   and `scale`. Ratio terms (`risk_ratio`, `odds_ratio`) have estimate and
#'   interval on the ratio scale and `std.error` on the log scale
#'   (`scale == "log"`). `glance()`: a one-row tibble (one row per group with
#'   `by`) with `n`, `n_treated`, `n_control`, `ess_treated`, `ess_control`,
#'   `n_trimmed`, `n_truncated`, `n_missing_dropped`, `converged`,
#'   `iterations`, `n_clusters`, `method`, `estimand`, `vcov`, and
#'   `disclosure_status` and `disclosure_reason` (the model's disclosure check,
#'   [disclosure_check_model()]: cell counts per arm and residual degrees of freedom).
#'   The counts pass through the fit's disclosure rule ([apply_disclosure()]:
#'   each has a `<count>_sdc` flag column after it; the effective sample sizes
#'   are suppressed with the arm sizes); fit with `disclosure = "none"` for
#'   exact counts inside the SDE.
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
  x$estimates
}

#' @rdname mq_effect-methods
#' @export
glance.mq_effect <- function(x, ...) {
  rows <- lapply(names(x$groups), function(g) {
    f <- x$groups[[g]]
    row <- tibble::tibble(
      n = f$n, n_treated = f$n_treated, n_control = f$n_control,
      ess_treated = f$ess_treated, ess_control = f$ess_control,
      n_trimmed = f$n_trimmed, n_truncated = f$n_truncated,
      n_missing_dropped = x$n_missing_dropped, converged = f$converged,
      iterations = f$iterations, n_clusters = f$n_clusters, method = x$method,
      estimand = x$estimand, vcov = x$vcov_type)
    chk <- model_disclosure(f, x)
    row$disclosure_status <- chk$status
    row$disclosure_reason <- paste(chk$reason, collapse = "; ")
    row
  })
  out <- do.call(rbind, rows)
  if (!is.null(x$by_name)) out <- tibble::add_column(out, group = names(x$groups), .before = 1L)
  # The counts are released under the fit's disclosure rule like any other
  # table: arm sizes (with the effective sample sizes, which are suppressed
  # with them), then the counts of trimmed, truncated and dropped rows.
  out <- apply_disclosure(out, counts = c("n", "n_treated", "n_control"),
                          estimates = c("ess_treated", "ess_control"), disclosure = x$disclosure)
  apply_disclosure(out, counts = c("n_trimmed", "n_truncated", "n_missing_dropped"),
                   disclosure = x$disclosure)
}

# The disclosure check of the model (disclosure_check_model()): its cells are
# events and non-events per arm (arm sizes for a continuous outcome), its
# residual degrees of freedom those of the propensity model.
model_disclosure <- function(f, x) {
  cells <- if (x$outcome_type == "binary") {
    c(treated_events = sum(f$y[f$treat == 1L]), treated_non_events = sum(1 - f$y[f$treat == 1L]),
      control_events = sum(f$y[f$treat == 0L]), control_non_events = sum(1 - f$y[f$treat == 0L]))
  } else {
    c(treated = f$n_treated, control = f$n_control)
  }
  disclosure_check_model(cells, f$n - ncol(f$X), x$disclosure)
}

#' @rdname mq_effect-methods
#' @export
coef.mq_effect <- function(object, ...) object$coefficients

#' @rdname mq_effect-methods
#' @export
vcov.mq_effect <- function(object, ...) object$vcov

#' @rdname mq_effect-methods
#' @export
nobs.mq_effect <- function(object, ...) sum(vapply(object$groups, `[[`, 0L, "n"))

#' @export
print.mq_effect <- function(x, digits = 3, ...) {
  cli::cli_text("{.strong {x$method_label}}: {x$estimand} of {.field {x$treatment}} on {.field {x$outcome}} ({x$outcome_type} outcome)")
  vc <- switch(x$vcov_type,
               sandwich = if (x$method == "tmle") "influence function" else "M-estimation sandwich (estimated propensity score accounted for)",
               robust = "robust, weights treated as fixed",
               bootstrap = paste0("bootstrap, ", x$R, " replicates, seed ", x$seed))
  if (!is.null(x$cluster_name)) vc <- paste0(vc, ", clustered by ", x$cluster_name)
  cli::cli_text("Variance: {vc}. n = {nobs(x)}{if (x$n_missing_dropped > 0) paste0(' (', x$n_missing_dropped, ' incomplete rows dropped)') else ''}.")
  tab <- as.data.frame(x$estimates)
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
  invisible(x)
}

#' @export
summary.mq_effect <- function(object, ...) {
  structure(list(fit = object, glance = glance(object)), class = "summary.mq_effect")
}

#' @export
print.summary.mq_effect <- function(x, ...) {
  print(x$fit)
  g <- as.data.frame(x$glance)
  cli::cli_text("Sample and weights:")
  print(g[intersect(c("group", "n", "n_treated", "n_control", "ess_treated", "ess_control",
                      "n_trimmed", "n_truncated", "converged"), names(g))], row.names = FALSE,
        digits = 4)
  invisible(x)
}

#' Propensity score overlap plot
#'
#' Mirrored histograms of the propensity score in the treated (above) and
#' control (below) arms, one panel per group when `by` was used.
#'
#' @param object An `mq_effect` fit.
#' @param bins Number of histogram bins.
#' @param ... Unused.
#' @returns A ggplot object.
#' @exportS3Method ggplot2::autoplot
autoplot.mq_effect <- function(object, bins = 40, ...) {
  rlang::check_installed("ggplot2")
  arm <- ifelse(object$treat == 1L, "treated", "control")
  grp <- if (is.null(object$by)) rep("all", length(arm)) else as.character(object$by)
  # bins pass through the disclosure rule: bins resting on suppressed counts
  # are not drawn
  h <- sdc_histogram_data(object$ps, breaks = seq(0, 1, length.out = bins + 1L),
                          group = paste(grp, arm, sep = "\r"), rule = object$disclosure)
  parts <- strsplit(as.character(h$group), "\r", fixed = TRUE)
  h$by_group <- vapply(parts, `[`, "", 1L)
  h$arm <- vapply(parts, `[`, "", 2L)
  h$mid <- (h$xmin + h$xmax) / 2
  h$count <- ifelse(h$arm == "treated", 1, -1) * h$n
  h <- h[!is.na(h$count), ]
  p <- ggplot2::ggplot(h, ggplot2::aes(x = .data$mid, y = .data$count, fill = .data$arm)) +
    ggplot2::geom_col(width = 1 / bins) +
    ggplot2::geom_hline(yintercept = 0) +
    ggplot2::labs(x = "Propensity score", y = "Count (controls below zero)", fill = NULL,
                  title = paste0("Propensity score overlap: ", object$treatment),
                  caption = "Bins with counts suppressed by the disclosure rule are not drawn.") +
    ggplot2::scale_y_continuous(labels = abs)
  if (!is.null(object$by)) p <- p + ggplot2::facet_wrap(ggplot2::vars(.data$by_group))
  p
}
