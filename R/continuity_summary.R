continuity_index_cols <- c("upc", "coc", "hhi", "secon", "mmci",
                           "named_midwife_share", "named_team_share",
                           "coc_receiving", "known_midwife_at_birth")

#' Summarise continuity indices by group
#'
#' Means, medians and the share of pregnancies at or above a threshold for
#' each continuity index (and the NHS measures, as proportions `TRUE`), by
#' phase and by the groups in `by`. Counts go through the disclosure rule.
#'
#' @param x The result of [continuity()], possibly joined to a cohort (so
#'   that `by` columns such as `core20plus_group` are present).
#' @param by Grouping columns: bare names, strings, `c(...)` or a one-sided
#'   formula. `NULL` summarises all pregnancies together.
#' @param threshold Value at or above which an index counts towards
#'   `n_above` (default 0.7, the NHS 70% rule).
#' @param disclosure A disclosure rule (see `disclosure_rule()`), `NULL` for
#'   the rule in `getOption("matequity.disclosure")`, or `"none"`. Applied
#'   through `apply_disclosure()` to the count columns `n` and `n_above`;
#'   `mean`, `median` and `share_above` are suppressed with them.
#' @returns A tibble with the `by` columns, `phase`, `index`, `n`
#'   (pregnancies with a value), `mean`, `median`, `n_above` and
#'   `share_above`.
#' @examples
#' tabs <- matequity:::continuity_demo_data(200)
#' x <- continuity(tabs$msds, tabs$cohort)
#' x$coc_placed <- tabs$cohort$coc_placed
#' summarise_continuity(x, by = coc_placed, disclosure = "none")
#' @export
summarise_continuity <- function(x, by = NULL, threshold = 0.7, disclosure = NULL) {
  check_data_frame(x)
  by <- resolve_columns(x, rlang::enquo(by), "by")
  check_number(threshold)
  idx <- intersect(continuity_index_cols, names(x))
  if (!length(idx)) {
    cli::cli_abort(c("{.arg x} has no continuity index columns.",
                     "i" = "Expected some of {.field {continuity_index_cols}}; use {.fn continuity}."))
  }
  grp_cols <- c(by, if ("phase" %in% names(x)) "phase")
  key <- if (length(grp_cols)) do.call(paste, c(unclass(x)[grp_cols], sep = "\r")) else rep("", nrow(x))
  g <- match(key, unique(key))
  first <- match(seq_len(max(g, 0L)), g)
  rows <- lapply(idx, function(col) {
    v <- as.numeric(x[[col]])
    ok <- !is.na(v)
    gs <- split(v[ok], factor(g[ok], levels = seq_along(first)))
    gs <- unname(gs)
    n <- lengths(gs)
    n_above <- vapply(gs, function(z) sum(z >= threshold), 0L)
    out <- tibble::as_tibble(lapply(unclass(x)[grp_cols], `[`, first))
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
#' Box plots (without individual outlying points, which could identify
#' women) of each index, by group and phase.
#'
#' @param object The result of [continuity()] (joined to a cohort for `by`).
#' @param index Index columns to show.
#' @param by A grouping column (bare name or string), or `NULL`.
#' @param ... Not used.
#' @returns A ggplot object.
#' @examples
#' if (requireNamespace("ggplot2", quietly = TRUE)) {
#'   tabs <- matequity:::continuity_demo_data(200)
#'   x <- continuity(tabs$msds, tabs$cohort)
#'   x$coc_placed <- tabs$cohort$coc_placed
#'   ggplot2::autoplot(x, by = coc_placed)
#' }
#' @exportS3Method ggplot2::autoplot
autoplot.mq_continuity <- function(object, index = c("upc", "coc", "secon", "named_midwife_share"),
                                   by = NULL, ...) {
  rlang::check_installed("ggplot2", reason = "to plot continuity indices.")
  by <- resolve_columns(object, rlang::enquo(by), "by")
  if (length(by) > 1L) cli::cli_abort("{.arg by} must name one column, not {length(by)}.")
  miss <- setdiff(index, names(object))
  if (length(miss)) cli::cli_abort("{.arg index} names column{?s} not in {.arg object}: {.field {miss}}.")
  n <- nrow(object)
  values <- unlist(lapply(index, function(i) as.numeric(object[[i]])), use.names = FALSE)
  groups <- if (length(by)) rep(as.character(object[[by]]), length(index)) else rep("all", n * length(index))
  phases <- rep(object$phase, length(index))
  long <- tibble::tibble(index = factor(rep(index, each = n), levels = index),
                         value = values, group = groups, phase = phases)
  long <- long[!is.na(long$value), , drop = FALSE]
  p <- ggplot2::ggplot(long, ggplot2::aes(x = .data$group, y = .data$value, fill = .data$group)) +
    ggplot2::geom_boxplot(outlier.shape = NA) +
    ggplot2::labs(x = if (length(by)) by else NULL, y = "index value", fill = by) +
    ggplot2::theme(legend.position = if (length(by)) "right" else "none")
  if (length(unique(long$phase)) > 1L) {
    p + ggplot2::facet_grid(phase ~ index)
  } else {
    p + ggplot2::facet_wrap(~index)
  }
}
