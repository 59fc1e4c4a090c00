# The exclusion flow of a cohort drawn as a CONSORT-style diagram, from the
# counts cohort_flow() released.

#' Draw the cohort's exclusion flow
#'
#' A CONSORT-style flow diagram of [cohort_flow()]: a column of boxes with
#' the records or pregnancies left after each step and, beside each arrow, a
#' box with what the step excluded and why. Every number in it is a count
#' the disclosure rule released (suppressed counts read "<10", or
#' "suppressed" under a rule without a threshold); the diagram's data carry
#' those counts with their flags and the rule, so [disclosure_check()] checks
#' it like the table. `plot()` draws the same diagram.
#'
#' @param object,x A flow from [cohort_flow()].
#' @param wrap Width (characters) at which exclusion reasons are wrapped.
#' @param ... Unused.
#' @returns `autoplot()`: a ggplot. `plot()`: the ggplot, invisibly, after
#'   printing it.
#' @examples
#' flow <- cohort_flow(define_cohort(msds_example))
#' if (requireNamespace("ggplot2", quietly = TRUE)) {
#'   ggplot2::autoplot(flow)
#' }
#' @name cohort_flow_plot
NULL

#' @rdname cohort_flow_plot
#' @exportS3Method ggplot2::autoplot
autoplot.mq_flow <- function(object, wrap = 45, ...) {
  rlang::check_installed("ggplot2", "to draw the cohort flow.")
  check_number(wrap, lower = 10)
  boxes <- flow_boxes(object, wrap)
  main <- boxes$kind == "remaining"
  excl <- !main
  # arrows: down the main column, and from it to each exclusion box (their
  # positions are the layout's keys)
  arrows <- function(d) {
    log_columns(sdc_plot_frame(d, object), c("x", "xend", "y", "yend"), key_log("x", 1L)$action)
  }
  down <- arrows(data.frame(x = 0, xend = 0, y = boxes$y[main][-sum(main)] - 0.35,
                            yend = boxes$y[main][-1L] + 0.35))
  side <- arrows(data.frame(x = 0, xend = 0.9, y = boxes$y[excl], yend = boxes$y[excl]))
  # the boxes are drawn from the whole (checked) table: the exclusion boxes
  # hang left-aligned beside the column
  boxes$hjust <- ifelse(main, 0.5, 0)
  boxes <- log_columns(boxes, "hjust", key_log("hjust", 1L)$action)
  arrow <- ggplot2::arrow(length = ggplot2::unit(0.12, "inches"), type = "closed")
  ggplot2::ggplot(boxes, ggplot2::aes(x = .data$x, y = .data$y, label = .data$label)) +
    ggplot2::geom_segment(data = down, ggplot2::aes(x = .data$x, xend = .data$xend,
                                                    y = .data$y, yend = .data$yend),
                          inherit.aes = FALSE, arrow = arrow, colour = "grey30") +
    ggplot2::geom_segment(data = side, ggplot2::aes(x = .data$x, xend = .data$xend,
                                                    y = .data$y, yend = .data$yend),
                          inherit.aes = FALSE, arrow = arrow, colour = "grey30") +
    ggplot2::geom_label(ggplot2::aes(hjust = .data$hjust, fill = .data$kind), size = 3.1,
                        label.padding = ggplot2::unit(0.35, "lines"), show.legend = FALSE) +
    ggplot2::scale_fill_manual(values = c(remaining = "grey95", excluded = "white")) +
    ggplot2::scale_x_continuous(limits = c(-1.2, 3.6)) +
    ggplot2::labs(title = "Cohort flow",
                  subtitle = plot_subtitle(attr(object, "sdc"),
                                           flow_rule_line(attr(object, "sdc")))) +
    ggplot2::theme_void()
}

#' @rdname cohort_flow_plot
#' @export
plot.mq_flow <- function(x, wrap = 45, ...) {
  p <- autoplot.mq_flow(x, wrap = wrap, ...)
  print(p)
  invisible(p)
}

# The boxes of the diagram: one per count shown, with its position (keys of
# the layout), its text, and the released count and flag it shows (so the
# plot's data are checked like the table).
flow_boxes <- function(flow, wrap) {
  if (!nrow(flow)) cli::cli_abort("The cohort flow has no steps to draw.")
  rule <- attr(flow, "sdc")
  # a count suppressed as small reads "<threshold"; one suppressed to
  # protect another (which may be large) reads "suppressed"
  shown <- function(v, f) {
    ifelse(!is.na(v), fmt_n(v),
           if (inherits(rule, "mq_disclosure_rule") && rule$threshold > 0) {
             ifelse(grepl("suppressed (<", f, fixed = TRUE), paste0("<", rule$threshold), "suppressed")
           } else "suppressed")
  }
  flag <- function(col) {
    f <- flow[[paste0(col, "_sdc")]]
    if (is.null(f)) rep("", nrow(flow)) else f
  }
  k <- nrow(flow)
  first <- if (flow$step[1] == "submissions") "Booking records" else "Pregnancies"
  after <- c(rep("Pregnancies", k - 1L), "Cohort (pregnancies)")
  reason <- vapply(seq_len(k), function(i) {
    paste(strwrap(paste0(flow$step[i], ": ", flow$rule[i]), width = wrap), collapse = "\n")
  }, "")
  # rows: the first count, then per step its exclusion and what remains
  excl_i <- 2 * seq_len(k)
  rem_i <- 2 * seq_len(k) + 1L
  m <- 2L * k + 1L
  kind <- rep("remaining", m)
  kind[excl_i] <- "excluded"
  n <- flags <- label <- rep(NA, m)
  n[1] <- flow$n_before[1]
  n[excl_i] <- flow$n_excluded
  n[rem_i] <- flow$n_after
  flags[1] <- flag("n_before")[1]
  flags[excl_i] <- flag("n_excluded")
  flags[rem_i] <- flag("n_after")
  label[1] <- paste0(first, "\n", shown(n[1], flags[1]))
  label[excl_i] <- paste0("Excluded ", shown(n[excl_i], flags[excl_i]), "\n", reason)
  label[rem_i] <- paste0(after, "\n", shown(n[rem_i], flags[rem_i]))
  boxes <- data.frame(kind = kind, x = ifelse(kind == "excluded", 1, 0),
                      y = -(seq_len(m) - 1), n = as.numeric(n),
                      n_sdc = as.character(flags), label = as.character(label),
                      stringsAsFactors = FALSE)
  out <- sdc_plot_frame(boxes, flow)
  out <- log_columns(out, c("x", "y"), key_log("x", 1L)$action)
  if (inherits(rule, "mq_disclosure_rule")) {
    # the boxes declare no margins: the checker verifies them as it does
    # the table (a single suppressed count is for review)
    attr(out, "sdc_structure") <- sdc_structure(out, character(), character(),
                                                rep(FALSE, m), rule)
  }
  out
}

flow_rule_line <- function(rule) {
  if (!inherits(rule, "mq_disclosure_rule") || rule$preset == "none") return(NULL)
  paste0("Counts as released: ", rule_name(rule), " (", describe_rule(rule), ")")
}
