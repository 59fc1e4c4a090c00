continuity_index_cols <- c("upc", "coc", "hhi", "secon", "mmci",
                           "named_midwife_share", "named_team_share",
                           "coc_receiving", "known_midwife_at_birth")

#' Summarise continuity indices by group
#'
#' Means, medians and the share of pregnancies at or above a threshold for
#' each continuity index (and the NHS measures, as proportions `TRUE`), by
#' phase and by the groups in `by`. Counts go through the disclosure rule.
#'
#' @param data The result of [continuity()], possibly joined to a cohort (so
#'   that `by` columns such as `core20plus_group` are present).
#' @param by Grouping columns: bare names, strings, `c(...)` or a one-sided
#'   formula. `NULL` summarises all pregnancies together.
#' @param threshold Value at or above which an index counts towards
#'   `n_above` (default 0.7, the NHS 70% rule).
#' @param disclosure A disclosure rule (see `disclosure_rule()`), `NULL` for
#'   the rule in `getOption("matequity.disclosure")`, or `"none"`. Applied
#'   through `apply_disclosure()` to the count columns `n` and `n_above`;
#'   `mean`, `median` and `share_above` are suppressed with them.
#' @param x Deprecated: use `data`.
#' @returns A tibble with the `by` columns, `phase`, `index`, `n`
#'   (pregnancies with a value), `mean`, `median`, `n_above` and
#'   `share_above`.
#' @examples
#' tabs <- matequity:::continuity_demo_data(200)
#' x <- continuity(tabs$cohort, tabs$msds)
#' x$coc_placed <- tabs$cohort$coc_placed
#' summarise_continuity(x, by = coc_placed, disclosure = "none")
#' @export
summarise_continuity <- function(data, by = NULL, threshold = 0.7, disclosure = NULL,
                                 x = NULL) {
  if (deprecated_arg(x, missing(data), "x", "data", "summarise_continuity")) data <- x
  check_data_frame(data)
  by <- resolve_columns(data, rlang::enquo(by), "by")
  check_number(threshold)
  idx <- intersect(continuity_index_cols, names(data))
  if (!length(idx)) {
    cli::cli_abort(c("{.arg data} has no continuity index columns.",
                     "i" = "Expected some of {.field {continuity_index_cols}}; use {.fn continuity}."))
  }
  grp_cols <- c(by, if ("phase" %in% names(data)) "phase")
  key <- if (length(grp_cols)) do.call(paste, c(unclass(data)[grp_cols], sep = "\r")) else rep("", nrow(data))
  g <- match(key, unique(key))
  first <- match(seq_len(max(g, 0L)), g)
  rows <- lapply(idx, function(col) {
    v <- as.numeric(data[[col]])
    ok <- !is.na(v)
    gs <- split(v[ok], factor(g[ok], levels = seq_along(first)))
    gs <- unname(gs)
    n <- lengths(gs)
    n_above <- vapply(gs, function(z) sum(z >= threshold), 0L)
    out <- tibble::as_tibble(lapply(unclass(data)[grp_cols], `[`, first))
    out$index <- col
    out$n <- as.integer(n)
    out$mean <- ifelse(n > 0, vapply(gs, function(z) if (length(z)) mean(z) else NA_real_, 0), NA_real_)
    out$median <- vapply(gs, function(z) if (length(z)) stats::median(z) else NA_real_, 0)
    out$n_above <- as.integer(n_above)
    out$share_above <- ifelse(n > 0, n_above / n, NA_real_)
    out
  })
  out <- do.call(rbind, rows)
  out <- out[order(match(out$index, idx)), , drop = FALSE]
  # the share from the released counts (the women below the threshold
  # checked like a count); means and medians are estimates
  apply_disclosure(out, counts = c("n", "n_above"),
                   derived = list(share_above = ~ n_above / n),
                   estimates = list(mean = ~ n, median = ~ n),
                   complements = list(n_above = ~ n - n_above),
                   by = c("index", if ("phase" %in% names(out)) "phase"), margins = by,
                   disclosure = disclosure)
}

#' Plot the distribution of continuity indices by group
#'
#' Box plots of each index, by group and phase, drawn from released
#' aggregates only ([sdc_boxplot_data()]): the values are counted in bins of
#' width 0.05 over \[0, 1\] (20 rounded bins over the range for an index
#' outside it), bins are merged until each holds at least the rule's
#' threshold, and the boxes (quartiles) and whiskers (10th and 90th
#' percentiles) are read from the released counts of the merged bins. No
#' whisker, outlier or notch shows an individual value or gives a group's
#' size; groups under the threshold get no box. With `disclosure = "none"`
#' the statistics are exact and the subtitle says that disclosure control is
#' off.
#'
#' @param object The result of [continuity()] (joined to a cohort for `by`).
#' @param index Index columns to show.
#' @param by A grouping column (bare name or string), or `NULL`.
#' @param disclosure A disclosure rule, a preset name, or `NULL` for
#'   `getOption("matequity.disclosure", "nhse_sde")`.
#' @param ... Not used.
#' @returns A ggplot object; its data are the `mq_sdc` table of
#'   [sdc_boxplot_data()] with columns `index`, `phase`, `group`, `n`,
#'   `n_sdc`, `p10`, `q1`, `median`, `q3` and `p90`.
#' @examples
#' if (requireNamespace("ggplot2", quietly = TRUE)) {
#'   tabs <- matequity:::continuity_demo_data(200)
#'   x <- continuity(tabs$cohort, tabs$msds)
#'   x$coc_placed <- tabs$cohort$coc_placed
#'   ggplot2::autoplot(x, by = coc_placed)
#' }
#' @exportS3Method ggplot2::autoplot
autoplot.mq_continuity <- function(object, index = c("upc", "coc", "secon", "named_midwife_share"),
                                   by = NULL, disclosure = NULL, ...) {
  rlang::check_installed("ggplot2", reason = "to plot continuity indices.")
  rule <- resolve_disclosure(disclosure)
  by <- resolve_columns(object, rlang::enquo(by), "by")
  if (length(by) > 1L) cli::cli_abort("{.arg by} must name one column, not {length(by)}.")
  miss <- setdiff(index, names(object))
  if (length(miss)) cli::cli_abort("{.arg index} names column{?s} not in {.arg object}: {.field {miss}}.")
  n <- nrow(object)
  values <- unlist(lapply(index, function(i) as.numeric(object[[i]])), use.names = FALSE)
  groups <- if (length(by)) rep(as.character(object[[by]]), length(index)) else rep("all", n * length(index))
  phases <- rep(object$phase, length(index))
  long <- tibble::tibble(index = rep(index, each = n), value = values, group = groups,
                         phase = phases)
  long <- long[!is.na(long$value) & !is.na(long$group), , drop = FALSE]
  parts <- lapply(index, function(i) {
    li <- long[long$index == i, , drop = FALSE]
    if (!nrow(li)) return(NULL)
    unit <- all(li$value >= 0 & li$value <= 1)
    box <- sdc_boxplot_data(li$value, group = paste(li$phase, li$group, sep = "\r"),
                            breaks = if (unit) seq(0, 1, by = 0.05) else 20, disclosure = rule)
    key <- strsplit(as.character(box$group), "\r", fixed = TRUE)
    box$index <- i
    box$phase <- vapply(key, `[`, "", 1L)
    box$group <- vapply(key, `[`, "", 2L)
    box
  })
  parts <- Filter(Negate(is.null), parts)
  if (!length(parts)) cli::cli_abort("No index values to plot.")
  d <- parts[[1]]
  if (length(parts) > 1L) {
    all_rows <- do.call(rbind, lapply(parts, as.data.frame))
    d <- new_sdc_table(as.list(all_rows), d, rule,
                       log = rbind_log(lapply(parts, attr, "sdc_log")), n = nrow(all_rows))
  }
  d$index <- factor(d$index, levels = index)
  hidden <- sum(is.na(d$median))
  d <- d[!is.na(d$median), ]
  p <- ggplot2::ggplot(d, ggplot2::aes(x = .data$group, fill = .data$group)) +
    ggplot2::geom_boxplot(ggplot2::aes(ymin = .data$p10, lower = .data$q1, middle = .data$median,
                                       upper = .data$q3, ymax = .data$p90),
                          stat = "identity") +
    ggplot2::labs(x = if (length(by)) by else NULL, y = "index value", fill = by,
                  subtitle = plot_subtitle(rule),
                  caption = paste0("Boxes: quartiles; whiskers: 10th-90th percentiles",
                                   if (rule$preset != "none") " (from released binned counts)",
                                   if (hidden) paste0("; ", hidden, " group(s) not shown"), ".")) +
    ggplot2::theme(legend.position = if (length(by)) "right" else "none")
  if (length(unique(d$phase)) > 1L) {
    p + ggplot2::facet_grid(phase ~ index)
  } else {
    p + ggplot2::facet_wrap(~index)
  }
}
