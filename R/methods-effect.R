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
#'   `disclosure` (the disclosure check of the model, when available).
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
    tibble::tibble(
      n = f$n, n_treated = f$n_treated, n_control = f$n_control,
      ess_treated = f$ess_treated, ess_control = f$ess_control,
      n_trimmed = f$n_trimmed, n_truncated = f$n_truncated,
      n_missing_dropped = x$n_missing_dropped, converged = f$converged,
      iterations = f$iterations, n_clusters = f$n_clusters, method = x$method,
      estimand = x$estimand, vcov = x$vcov_type,
      disclosure = disclosure_status(f, x))
  })
  out <- do.call(rbind, rows)
  if (!is.null(x$by_name)) out <- tibble::add_column(out, group = names(x$groups), .before = 1L)
  out
}

# Status of the disclosure check of the model (cells: events and non-events
# per arm, or arm sizes for a continuous outcome), when the disclosure
# module is present.
disclosure_status <- function(f, x) {
  ns <- asNamespace("matequity")
  if (!exists("disclosure_check_model", envir = ns, inherits = FALSE)) return(NA_character_)
  cells <- if (x$outcome_type == "binary") {
    c(treated_events = sum(f$y[f$treat == 1L]), treated_non_events = sum(1 - f$y[f$treat == 1L]),
      control_events = sum(f$y[f$treat == 0L]), control_non_events = sum(1 - f$y[f$treat == 0L]))
  } else {
    c(treated = f$n_treated, control = f$n_control)
  }
  rule <- x$disclosure %||% getOption("matequity.disclosure", "nhse_sde")
  chk <- get("disclosure_check_model", envir = ns)(cells, f$n - ncol(f$X), rule)
  chk$status
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
  d <- data.frame(ps = object$ps, arm = ifelse(object$treat == 1L, "treated", "control"),
                  group = object$by %||% "all")
  brk <- seq(0, 1, length.out = bins + 1L)
  h <- do.call(rbind, lapply(split(d, list(d$group, d$arm), drop = TRUE), function(s) {
    cnt <- tabulate(findInterval(s$ps, brk, rightmost.closed = TRUE, all.inside = TRUE), bins)
    data.frame(mid = (brk[-1] + brk[-length(brk)]) / 2, count = cnt * ifelse(s$arm[1] == "treated", 1, -1),
               arm = s$arm[1], group = s$group[1])
  }))
  p <- ggplot2::ggplot(h, ggplot2::aes(x = .data$mid, y = .data$count, fill = .data$arm)) +
    ggplot2::geom_col(width = 1 / bins) +
    ggplot2::geom_hline(yintercept = 0) +
    ggplot2::labs(x = "Propensity score", y = "Count (controls below zero)", fill = NULL,
                  title = paste0("Propensity score overlap: ", object$treatment)) +
    ggplot2::scale_y_continuous(labels = abs)
  if (!is.null(object$by)) p <- p + ggplot2::facet_wrap(ggplot2::vars(.data$group))
  p
}
