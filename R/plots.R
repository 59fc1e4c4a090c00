# Plots of the released rate, disparity and inequality tables. Each is drawn
# from the table as released (all its rows, so that the checker can verify
# its suppression again), shows where a value was suppressed, and carries
# the table's rule.

#' Plots of rates, disparities and inequality indices
#'
#' * `autoplot()` of [outcome_rates()]: each group's rate with its interval
#'   (facets for a second `by` column); suppressed groups are marked
#'   "suppressed" on the axis.
#' * `autoplot()` of [disparity()]: each group's rate difference and rate
#'   ratio against the reference group with intervals, a line at no
#'   difference (0) and no ratio (1).
#' * `autoplot()` of [inequality_index()] from a cohort: each quantile's rate
#'   at the midpoint of its relative rank (from the released counts), and
#'   the fitted line of the slope index, from the first quantile (rank 0)
#'   to the last (rank 1); the SII is the difference between its ends and
#'   the RII their ratio.
#'
#' Every value drawn is one the table released; suppressed values are not
#' drawn and their groups are marked. The plot data keep the table's rule, so
#' [disclosure_check()] checks a plot as it checks the table.
#'
#' @param object A table from [outcome_rates()], [disparity()] or
#'   [inequality_index()].
#' @param ... Unused.
#' @returns A ggplot.
#' @examples
#' cohort <- add_outcomes(define_cohort(msds_example), msds_example)
#' if (requireNamespace("ggplot2", quietly = TRUE)) {
#'   ggplot2::autoplot(outcome_rates(cohort, preterm, by = core20plus_group))
#'   ggplot2::autoplot(disparity(cohort, preterm, core20plus_group, reference = "Neither"))
#' }
#' @name rate_plots
NULL

#' @rdname rate_plots
#' @exportS3Method ggplot2::autoplot
autoplot.mq_rates <- function(object, ...) {
  rlang::check_installed("ggplot2", reason = "to plot rates.")
  info <- attr(object, "rates")
  by <- info$by
  d <- object
  d$.x <- if (length(by)) as.character(d[[by[1]]]) else "All"
  d$.facet <- if (length(by) > 1L) gsub("\r", " / ", group_key(d, by[-1])) else ""
  d <- log_columns(d, c(".x", ".facet"), key_log(".x", 1L)$action)
  sup <- suppressed_marks(d, is.na(d$rate), c(".x", ".facet"), object)
  p <- ggplot2::ggplot(d, ggplot2::aes(x = .data$.x, y = .data$rate)) +
    ggplot2::geom_pointrange(ggplot2::aes(ymin = .data$conf.low, ymax = .data$conf.high),
                             na.rm = TRUE) +
    ggplot2::labs(x = if (length(by)) by[1] else NULL,
                  y = paste0(info$outcome, " (per ", info$per, ")"),
                  subtitle = plot_subtitle(attr(object, "sdc"),
                                           paste0(100 * info$conf_level, "% intervals from the released counts")))
  p <- add_suppressed_marks(p, sup)
  if (length(by) > 1L) p <- p + ggplot2::facet_wrap(ggplot2::vars(.data$.facet))
  p
}

#' @rdname rate_plots
#' @exportS3Method ggplot2::autoplot
autoplot.mq_disparity <- function(object, ...) {
  rlang::check_installed("ggplot2", reason = "to plot disparities.")
  info <- attr(object, "disparity")
  d <- object
  d$.measure <- ifelse(d$measure == "rate_difference",
                       paste0("Rate difference (per ", info$per, ")"), "Rate ratio")
  sup <- suppressed_marks(d, is.na(d$estimate), c("group", ".measure"), object)
  ref <- data.frame(.measure = c(paste0("Rate difference (per ", info$per, ")"), "Rate ratio"),
                    yintercept = c(0, 1))
  p <- ggplot2::ggplot(d, ggplot2::aes(x = .data$group, y = .data$estimate)) +
    ggplot2::geom_hline(data = ref, ggplot2::aes(yintercept = .data$yintercept),
                        linetype = "dashed", colour = "grey50") +
    ggplot2::geom_pointrange(ggplot2::aes(ymin = .data$conf.low, ymax = .data$conf.high),
                             na.rm = TRUE) +
    ggplot2::facet_wrap(ggplot2::vars(.data$.measure), scales = "free_y") +
    ggplot2::labs(x = NULL, y = NULL,
                  title = paste0(info$outcome, ": each group against ", info$reference),
                  subtitle = plot_subtitle(attr(object, "sdc"),
                                           paste0(100 * info$conf_level, "% intervals")))
  add_suppressed_marks(p, sup)
}

#' @rdname rate_plots
#' @exportS3Method ggplot2::autoplot
autoplot.mq_inequality <- function(object, ...) {
  rlang::check_installed("ggplot2", reason = "to plot the slope index of inequality.")
  q <- attr(object, "quantiles")
  info <- attr(object, "inequality")
  if (!inherits(q, "mq_sdc")) {
    cli::cli_abort(c("This index was computed from an aggregated table: there are no released quantile counts to draw.",
                     "i" = "Plot your own table of quantile values, or compute the index from a cohort."))
  }
  by <- info$by
  rank <- info$rank
  pts <- q
  pts$.facet <- if (length(by)) gsub("\r", " / ", group_key(pts, by)) else ""
  pts <- log_columns(pts, ".facet", key_log(".facet", 1L)$action)
  # relative rank: the midpoint of each quantile's share of the released
  # population, as the index is fitted
  pts$rank_mid <- NA_real_
  for (f in unique(pts$.facet)) {
    i <- which(pts$.facet == f & !is.na(pts$n))
    i <- i[order(pts[[rank]][i])]
    a <- pts$n[i] / sum(pts$n[i])
    pts$rank_mid[i] <- cumsum(a) - a / 2
  }
  # the quantiles' rates on the index's scale (its multiplier)
  scale <- abs(info$multiplier) / info$per
  for (cl in c("rate", "conf.low", "conf.high")) pts[[paste0(".", cl)]] <- pts[[cl]] * scale
  pts <- log_columns(pts, c("rank_mid", ".rate", ".conf.low", ".conf.high"),
                     "computed from released counts")
  sii <- object[object$term == "sii", ]
  sign <- if (!is.null(info$multiplier) && info$multiplier < 0) -1 else 1
  line <- data.frame(.facet = if (length(by)) gsub("\r", " / ", group_key(sii, by)) else "",
                     x = 0, xend = 1, y = sii$intercept, yend = sii$intercept + sign * sii$estimate)
  line <- log_columns(sdc_plot_frame(line, object), c("x", "xend", "y", "yend"),
                      "computed from released counts")
  p <- ggplot2::ggplot(pts, ggplot2::aes(x = .data$rank_mid, y = .data$.rate)) +
    ggplot2::geom_segment(data = line, ggplot2::aes(x = .data$x, xend = .data$xend,
                                                    y = .data$y, yend = .data$yend),
                          colour = "steelblue", linewidth = 0.8) +
    ggplot2::geom_pointrange(ggplot2::aes(ymin = .data$.conf.low, ymax = .data$.conf.high),
                             na.rm = TRUE) +
    ggplot2::scale_x_continuous(limits = c(0, 1)) +
    ggplot2::labs(x = paste0("Relative rank by ", rank, " (0 = first quantile, 1 = last)"),
                  y = paste0("Rate (per ", abs(info$multiplier), ")"),
                  title = "Slope index of inequality",
                  subtitle = plot_subtitle(attr(object, "sdc"),
                                           paste0("SII ", paste(signif(sii$estimate, 3), collapse = ", "),
                                                  "; line from rank 0 to rank 1")))
  if (length(by)) p <- p + ggplot2::facet_wrap(ggplot2::vars(.data$.facet))
  p
}

# The groups whose values were suppressed, as a table of their keys only
# (no numbers beyond the layout's), drawn as "suppressed" on the axis.
suppressed_marks <- function(d, hidden, keys, from) {
  if (!any(hidden)) return(NULL)
  m <- as.data.frame(d)[hidden, keys, drop = FALSE]
  m$label <- "suppressed"
  log_columns(sdc_plot_frame(m, from), keys, key_log(keys[1], 1L)$action)
}

add_suppressed_marks <- function(p, marks) {
  if (is.null(marks)) return(p)
  x <- names(marks)[1]
  p + ggplot2::geom_text(data = marks, ggplot2::aes(x = .data[[x]], y = -Inf, label = .data$label),
                         vjust = -0.5, size = 3, colour = "grey40", inherit.aes = FALSE)
}
