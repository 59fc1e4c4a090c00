# Data for plots that may leave an SDE: histogram bins, densities, bars and
# trend points with everything resting on a suppressed count taken out.
# matequity's autoplot() methods draw from these tables, so the plot data
# carry the "mq_sdc" mark that disclosure_check() looks for.

#' Disclosed data for safe plots
#'
#' A plot shows counts as surely as a table does: a histogram bar of height 3,
#' the tail of a density curve drawn through a single propensity score, or a
#' trend point for a quarter with 4 births. These helpers return the data a
#' plot should be drawn from, with the disclosure rule applied and the bins or
#' points resting on suppressed counts removed.
#'
#' * `sdc_histogram_data()` bins `x` (propensity scores, continuity indices,
#'   ...) per `group` and applies the rule to the bin counts. Each group's
#'   bins add up to the group size, which is usually published elsewhere, so
#'   a single suppressed bin takes the next smallest with it (secondary
#'   suppression). Suppressed bins have `n` and `density` `NA`: draw them as
#'   gaps.
#' * `sdc_density_data()` evaluates a kernel density per group on a grid
#'   and blanks the curve (`density` `NA`) over every bin of
#'   `sdc_histogram_data()` that was suppressed, and outside the data's
#'   range, so no curve is drawn through a handful of points.
#' * `sdc_plot_data()` applies [apply_disclosure()] to a table of counts
#'   (bars, trend points) and drops rows whose counts or derived values were
#'   suppressed.
#'
#' @param x Numeric vector of the values to bin.
#' @param breaks Number of equal-width bins over the range of `x`, or the bin
#'   edges (increasing; every value of `x` must lie within them).
#' @param group Optional vector the same length as `x` (e.g. the treatment):
#'   bins are counted and disclosed per group.
#' @param rule A rule from [disclosure_rule()], a preset name, or `NULL` for
#'   the option's rule.
#' @param n Number of grid points per group for the density.
#' @param bw Bandwidth, as for [stats::density()].
#' @returns
#' * `sdc_histogram_data()`: an `mq_sdc` tibble with columns `group` (when
#'   given), `bin`, `xmin`, `xmax`, `mid`, `n`, `n_sdc` (see
#'   [apply_disclosure()]) and `density` (`n / (sum of released n in the
#'   group * bin width)`, from released counts only).
#' * `sdc_density_data()`: an `mq_sdc` tibble with columns `group` (when
#'   given), `x`, `density` (`NA` where hidden) and `shown` (logical).
#' * `sdc_plot_data()`: the `mq_sdc` table from [apply_disclosure()] without
#'   the suppressed rows; attribute `"sdc_dropped"` gives how many rows went.
#' @seealso [apply_disclosure()], [disclosure_check()].
#' @examples
#' set.seed(1)
#' ps <- c(stats::rbeta(300, 2, 5), stats::rbeta(300, 3, 3))
#' trt <- rep(c("control", "treated"), each = 300)
#' h <- sdc_histogram_data(ps, breaks = 15, group = trt)
#' h
#' d <- sdc_density_data(ps, group = trt)
#' trend <- data.frame(quarter = paste("2021 Q", 1:4), births = c(120, 8, 95, 130))
#' sdc_plot_data(trend, births)
#' @name sdc_plot
NULL

#' @rdname sdc_plot
#' @export
sdc_histogram_data <- function(x, breaks = 20, group = NULL, rule = NULL) {
  rule <- resolve_disclosure(rule, arg = "rule")
  bins <- bin_values(x, breaks, group)
  tab <- bins$table
  # Every group's bins add up to its size: treat that margin as known.
  has_group <- "group" %in% names(tab)
  tab$.margin <- if (has_group) tab$group else 1L
  out <- apply_disclosure(tab, "n", disclosure = rule, by = ".margin")
  out$.margin <- NULL
  grp <- if (has_group) out$group else rep(1L, nrow(out))
  released <- ifelse(is.na(out$n), 0, out$n)
  tot <- stats::ave(released, grp, FUN = sum)
  out$density <- ifelse(is.na(out$n) | tot == 0, NA_real_,
                        out$n / (tot * (out$xmax - out$xmin)))
  attr(out, "breaks") <- bins$breaks
  out
}

#' @rdname sdc_plot
#' @export
sdc_density_data <- function(x, group = NULL, rule = NULL, breaks = 20,
                             n = 256, bw = "nrd0") {
  rule <- resolve_disclosure(rule, arg = "rule")
  hist <- sdc_histogram_data(x, breaks = breaks, group = group, rule = rule)
  edges <- attr(hist, "breaks")
  keep <- !is.na(x)
  x <- x[keep]
  g <- if (is.null(group)) rep(1L, length(x)) else group[keep]
  levels <- unique(g)
  parts <- lapply(levels, function(lv) {
    xi <- x[g == lv]
    grid <- seq(edges[1], edges[length(edges)], length.out = n)
    dens <- if (length(xi) >= 2L) {
      stats::density(xi, bw = bw, from = grid[1], to = grid[n], n = n)$y
    } else {
      rep(NA_real_, n)
    }
    hb <- if (is.null(group)) hist else hist[hist$group == lv, ]
    bin <- findInterval(grid, edges, rightmost.closed = TRUE)
    bin_ok <- !is.na(hb$n[match(bin, hb$bin)])
    shown <- bin_ok & grid >= min(xi) & grid <= max(xi)
    dens[!shown] <- NA_real_
    part <- tibble::tibble(x = grid, density = dens, shown = shown)
    if (!is.null(group)) part <- tibble::add_column(part, group = lv, .before = 1L)
    part
  })
  out <- do.call(rbind, parts)
  new_sdc_table(as.list(out), out, rule, log = attr(hist, "sdc_log"))
}

#' @rdname sdc_plot
#' @inheritParams apply_disclosure
#' @export
sdc_plot_data <- function(data, counts, derived = NULL, rule = NULL,
                          by = NULL, total = NULL) {
  out <- apply_disclosure(data, {{ counts }}, derived = {{ derived }},
                          disclosure = rule, by = {{ by }}, total = {{ total }})
  flags <- grep("_sdc$", names(out), value = TRUE)
  gone <- rep(FALSE, nrow(out))
  for (f in flags) gone <- gone | grepl("suppress", out[[f]])
  kept <- out[!gone, ]
  kept <- new_sdc_table(as.list(kept), out, attr(out, "sdc"),
                        log = attr(out, "sdc_log"), n = sum(!gone))
  attr(kept, "sdc_dropped") <- sum(gone)
  kept
}

# Count x into bins (per group). Returns the bin table and the edges.
bin_values <- function(x, breaks, group, call = rlang::caller_env()) {
  if (!is.numeric(x)) {
    cli::cli_abort(c("{.arg x} must be numeric.",
                     "x" = "It is {.obj_type_friendly {x}}."), call = call)
  }
  if (!is.null(group) && length(group) != length(x)) {
    cli::cli_abort(c("{.arg group} must have one value per value of {.arg x}.",
                     "x" = "{.arg group} has {length(group)}, {.arg x} has {length(x)}."),
                   call = call)
  }
  miss <- is.na(x) | (if (is.null(group)) FALSE else is.na(group))
  if (any(miss)) {
    cli::cli_warn(c("{sum(miss)} value{?s} of {.arg x} or {.arg group} {?is/are} missing and left out of the bins."),
                  call = call)
    x <- x[!miss]
    if (!is.null(group)) group <- group[!miss]
  }
  if (!length(x)) cli::cli_abort("{.arg x} has no values to bin.", call = call)
  if (length(breaks) == 1L) {
    if (!is.numeric(breaks) || breaks < 1 || breaks != round(breaks)) {
      cli::cli_abort(c("{.arg breaks} must be a number of bins or the bin edges.",
                       "x" = "It is {breaks}."), call = call)
    }
    r <- range(x)
    if (r[1] == r[2]) r <- r + c(-0.5, 0.5)
    edges <- seq(r[1], r[2], length.out = breaks + 1L)
  } else {
    edges <- as.numeric(breaks)
    if (anyNA(edges) || is.unsorted(edges, strictly = TRUE)) {
      cli::cli_abort("{.arg breaks} must be strictly increasing bin edges.",
                     call = call)
    }
    out <- x < edges[1] | x > edges[length(edges)]
    if (any(out)) {
      cli::cli_abort(
        c("{sum(out)} value{?s} of {.arg x} {?lies/lie} outside {.arg breaks}.",
          "x" = "Values: {example_values(x[out])}; edges run from {edges[1]} to {edges[length(edges)]}."),
        call = call)
    }
  }
  k <- length(edges) - 1L
  which_bin <- findInterval(x, edges, rightmost.closed = TRUE, all.inside = TRUE)
  levels <- if (is.null(group)) list(NULL) else as.list(unique(group))
  parts <- lapply(levels, function(lv) {
    sel <- if (is.null(lv)) rep(TRUE, length(x)) else group == lv
    part <- tibble::tibble(bin = seq_len(k), xmin = edges[-(k + 1L)],
                           xmax = edges[-1L],
                           mid = (edges[-(k + 1L)] + edges[-1L]) / 2,
                           n = tabulate(which_bin[sel], nbins = k))
    if (!is.null(lv)) part <- tibble::add_column(part, group = lv, .before = 1L)
    part
  })
  list(table = do.call(rbind, parts), breaks = edges)
}
