# Data for plots that may leave an SDE: histogram bins, densities, bars and
# trend points with everything resting on a suppressed count taken out.
# matequity's autoplot() methods draw from these tables, so the plot data
# carry the "mq_sdc" mark that disclosure_check() looks for.

#' Disclosed data for safe plots
#'
#' A plot shows counts as surely as a table does: a histogram bar of height 3,
#' the tail of a density curve drawn through a single propensity score, a
#' box-plot whisker at the oldest woman's age, or a trend point for a quarter
#' with 4 births. These helpers return the data a plot should be drawn from:
#' aggregates released under the disclosure rule, and nothing computed from
#' individual values.
#'
#' * `sdc_histogram_data()` bins `x` (propensity scores, continuity indices,
#'   ages, ...) per `group` and applies the rule to the bin counts. Each
#'   group's bins add up to the group size, which is usually published
#'   elsewhere, so a single suppressed bin takes the next smallest with it
#'   (secondary suppression). Suppressed bins have `n` and `density` `NA`:
#'   draw them as gaps. When `breaks` is a number of bins, the edges are
#'   rounded ([pretty()]) rather than set at the data's minimum and maximum,
#'   the last bin is widened when the maximum falls on its closed upper edge,
#'   and suppressed bins at either end of a group's range are dropped, so
#'   neither the edges nor the rows say where the extreme values lie.
#' * `sdc_density_data()` smooths the released histogram: a kernel density
#'   of the bin midpoints weighted by the released bin counts (nothing else
#'   from the data), drawn only over the bins that were released.
#' * `sdc_boxplot_data()` gives box-plot statistics per group from binned
#'   counts: the bins of `breaks` are merged, from the lowest up, until each
#'   holds at least the rule's threshold; the quartiles and the 10th and 90th
#'   percentiles (the whiskers) are read from the released counts of the
#'   merged bins, assuming values spread evenly within a bin. No whisker sits
#'   on an observed value, and there are no outliers or notches (a notch's
#'   width gives the group size). Groups smaller than the threshold get no
#'   box. With rule `"none"` the statistics are the exact
#'   [stats::quantile()]s of the values.
#' * `sdc_plot_data()` applies [apply_disclosure()] to a table of counts
#'   (bars, trend points) and drops rows whose counts or derived values were
#'   suppressed.
#'
#' matequity's `autoplot()` methods draw from these tables, and a plot made
#' with rule `"none"` says in its subtitle that disclosure control is off.
#'
#' @param x Numeric vector of the values to bin.
#' @param breaks Number of bins (edges rounded as described above), or the
#'   bin edges (increasing; every value of `x` must lie within them; given
#'   edges are kept as they are).
#' @param group Optional vector the same length as `x` (e.g. the treatment):
#'   bins are counted and disclosed per group.
#' @param disclosure A rule from [disclosure_rule()], a preset name, or
#'   `NULL` for `getOption("matequity.disclosure", "nhse_sde")`. (Called
#'   `rule` before, as in [apply_disclosure()].)
#' @param n Number of grid points per group for the density.
#' @param bw Bandwidth: a number, or `"nrd0"` for Silverman's rule of thumb
#'   computed from the released bins (at least half a bin width).
#' @returns
#' * `sdc_histogram_data()`: an `mq_sdc` tibble with columns `group` (when
#'   given), `bin`, `xmin`, `xmax`, `mid`, `n`, `n_sdc` (see
#'   [apply_disclosure()]) and `density` (`n / (sum of released n in the
#'   group * bin width)`, from released counts only); attribute `"breaks"`
#'   gives the edges of the bins kept.
#' * `sdc_density_data()`: an `mq_sdc` tibble with columns `group` (when
#'   given), `x`, `density` (`NA` where hidden) and `shown` (logical).
#' * `sdc_boxplot_data()`: an `mq_sdc` tibble with one row per group and
#'   columns `group` (when given), `n` (released group size), `n_sdc`, `p10`,
#'   `q1`, `median`, `q3`, `p90` (`NA` for groups whose size is suppressed).
#'   Attribute `"bins"`: the merged bins (`group`, `xmin`, `xmax`, `n`
#'   released) the statistics come from.
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
#' sdc_boxplot_data(ps, group = trt, breaks = seq(0, 1, by = 0.05))
#' trend <- data.frame(quarter = paste("2021 Q", 1:4), births = c(120, 8, 95, 130))
#' sdc_plot_data(trend, births)
#' @name sdc_plot
NULL

#' @rdname sdc_plot
#' @export
sdc_histogram_data <- function(x, breaks = 20, group = NULL, disclosure = NULL) {
  rule <- resolve_disclosure(disclosure)
  bins <- bin_values(x, breaks, group, rule)
  tab <- bins$table
  has_group <- "group" %in% names(tab)
  if (bins$chosen) {
    # Empty bins at the ends of a group's range come from the rounded edges,
    # not from the data: drop them before the rule sees them.
    tab <- tab[outer_empty(tab$n, if (has_group) tab$group else rep(1L, nrow(tab))), ]
  }
  # Every group's bins add up to its size: treat that margin as known.
  tab$.margin <- if (has_group) tab$group else 1L
  out <- apply_disclosure(tab, "n", disclosure = rule, by = ".margin",
                          keys = intersect(c("bin", "xmin", "xmax", "mid"), names(tab)))
  out$.margin <- NULL
  out <- protect_margins(out, tab$n, if (has_group) tab$group else rep(1L, nrow(tab)), rule)
  # what disclosure_check() verifies: each group's bins add up to its size
  attr(out, "sdc_structure") <- sdc_structure(out, if (has_group) "group" else character(),
                                              character(), rep(FALSE, nrow(out)), rule,
                                              known_total = TRUE)
  edges <- bins$breaks
  if (bins$chosen) {
    # Edges chosen from the data: suppressed bins at the ends of a group's
    # range would say that someone lies out there, and where.
    out <- trim_outer_bins(out, if (has_group) out$group else rep(1L, nrow(out)))
    if (nrow(out)) edges <- edges[edges >= min(out$xmin) & edges <= max(out$xmax)]
  }
  grp <- if (has_group) out$group else rep(1L, nrow(out))
  released <- ifelse(is.na(out$n), 0, out$n)
  tot <- stats::ave(released, grp, FUN = sum)
  out$density <- ifelse(is.na(out$n) | tot == 0, NA_real_,
                        out$n / (tot * (out$xmax - out$xmin)))
  out <- log_columns(out, "density", "computed from released counts")
  attr(out, "breaks") <- edges
  out
}

# Secondary suppression of the cells of each margin (protect_suppressed_sum())
# on a disclosed table with count column `n`; `truth` the true counts.
protect_margins <- function(out, truth, grp, rule) {
  if (rule$preset == "none") return(out)
  before <- is.na(out$n)
  for (g in unique(grp)) {
    rows <- which(grp == g)
    res <- protect_suppressed_sum(truth[rows], out$n[rows], out$n_sdc[rows], rule)
    out$n[rows] <- res$value
    out$n_sdc[rows] <- res$flag
  }
  more <- is.na(out$n) & !before
  if (any(more)) {
    attr(out, "sdc_log") <- rbind_log(list(attr(out, "sdc_log"), tibble::tibble(
      column = "n", action = "secondary suppression", n = sum(more))))
  }
  out
}

# Rows to keep: each group's bins from its first to its last non-empty one.
outer_empty <- function(n, grp) {
  keep <- rep(FALSE, length(n))
  for (g in unique(grp)) {
    rows <- which(grp == g)
    full <- rows[n[rows] > 0]
    if (length(full)) keep[rows[rows >= min(full) & rows <= max(full)]] <- TRUE
  }
  keep
}

# Drop each group's leading and trailing bins that were not released, and
# recount the disclosure log over the bins kept.
trim_outer_bins <- function(out, grp) {
  keep <- rep(FALSE, nrow(out))
  for (g in unique(grp)) {
    rows <- which(grp == g)
    shown <- rows[!is.na(out$n[rows])]
    if (length(shown)) keep[rows[rows >= min(shown) & rows <= max(shown)]] <- TRUE
  }
  if (all(keep)) return(out)
  kept <- out[keep, ]
  new_sdc_table(as.list(kept), out, attr(out, "sdc"),
                log = flag_log("n", kept$n_sdc), n = sum(keep))
}

#' @rdname sdc_plot
#' @export
sdc_density_data <- function(x, group = NULL, disclosure = NULL, breaks = 20,
                             n = 256, bw = "nrd0") {
  rule <- resolve_disclosure(disclosure)
  if (!(is.numeric(bw) && length(bw) == 1L && is.finite(bw) && bw > 0) &&
      !identical(bw, "nrd0")) {
    cli::cli_abort(c("{.arg bw} must be a positive number or {.val nrd0}.",
                     "i" = "The density is smoothed from the released bins, so bandwidth rules that read the individual values are not available."))
  }
  hist <- sdc_histogram_data(x, breaks = breaks, group = group, disclosure = rule)
  edges <- attr(hist, "breaks")
  levels <- if (is.null(group)) list(NULL) else unique(hist$group)
  parts <- lapply(levels, function(lv) {
    hb <- if (is.null(lv)) hist else hist[hist$group == lv, ]
    grid <- if (length(edges) >= 2L) seq(edges[1], edges[length(edges)], length.out = n) else numeric()
    ok <- !is.na(hb$n) & hb$n > 0
    dens <- rep(NA_real_, length(grid))
    if (any(ok) && length(grid)) {
      width <- stats::median(hb$xmax - hb$xmin)
      h <- if (is.numeric(bw)) bw else binned_bw(hb$mid[ok], hb$n[ok], width)
      dens <- stats::density(hb$mid[ok], weights = hb$n[ok] / sum(hb$n[ok]), bw = h,
                             from = grid[1], to = grid[length(grid)], n = length(grid))$y
    }
    bin <- findInterval(grid, edges, rightmost.closed = TRUE)
    b <- match(edges[pmax(bin, 1L)], hb$xmin)
    b[bin == length(edges)] <- NA
    shown <- !is.na(b) & !is.na(hb$n[b])
    dens[!shown] <- NA_real_
    part <- tibble::tibble(x = grid, density = dens, shown = shown)
    if (!is.null(lv)) part <- tibble::add_column(part, group = lv, .before = 1L)
    part
  })
  out <- do.call(rbind, parts)
  new_sdc_table(as.list(out), out, rule, log = attr(hist, "sdc_log"))
}

# Silverman's rule of thumb (bw.nrd0) from binned counts: the weighted SD
# and interquartile range of the bin midpoints; at least half a bin width.
binned_bw <- function(mid, n, width) {
  N <- sum(n)
  m <- sum(n * mid) / N
  s <- sqrt(sum(n * (mid - m)^2) / max(N - 1, 1))
  cum <- cumsum(n) / N
  q <- function(p) mid[which(cum >= p)[1]]
  lo <- min(s, (q(0.75) - q(0.25)) / 1.34)
  if (!is.finite(lo) || lo <= 0) lo <- if (s > 0) s else width
  max(0.9 * lo * N^(-0.2), width / 2)
}

#' @rdname sdc_plot
#' @export
sdc_boxplot_data <- function(x, group = NULL, breaks = 20, disclosure = NULL) {
  rule <- resolve_disclosure(disclosure)
  bins <- bin_values(x, breaks, group, rule)
  tab <- bins$table
  has_group <- "group" %in% names(tab)
  grp <- if (has_group) tab$group else rep(1L, nrow(tab))
  levels <- unique(grp)
  stat_names <- c("p10", "q1", "median", "q3", "p90")
  probs <- c(0.1, 0.25, 0.5, 0.75, 0.9)
  parts <- lapply(levels, function(lv) {
    b <- tab[grp == lv, ]
    total <- sum(b$n)
    if (rule$preset == "none") {
      xi <- if (has_group) bins$x[bins$group == lv] else bins$x
      st <- stats::quantile(xi, probs, names = FALSE)
      m <- tibble::tibble(group = lv, xmin = b$xmin, xmax = b$xmax, n = b$n)
    } else {
      id <- merge_bin_ids(b$n, max(rule$threshold, 1))
      m <- tibble::tibble(group = lv, xmin = as.numeric(tapply(b$xmin, id, min)),
                          xmax = as.numeric(tapply(b$xmax, id, max)),
                          n = release_value(as.numeric(tapply(b$n, id, sum)), rule))
      m$n[is.na(m$n)] <- 0
      big <- total >= rule$threshold && sum(m$n) > 0
      st <- if (big) binned_quantiles(m, probs) else rep(NA_real_, length(probs))
      if (!big) m <- m[0, ]
    }
    list(row = tibble::as_tibble(c(list(group = lv, n = total),
                                   stats::setNames(as.list(st), stat_names))),
         bins = m)
  })
  rows <- lapply(parts, `[[`, "row")
  merged <- lapply(parts, `[[`, "bins")
  out <- do.call(rbind, rows)
  out$.margin <- 1L
  truth <- out$n
  out <- apply_disclosure(out, counts = "n", estimates = stat_names, by = ".margin", disclosure = rule)
  out$.margin <- NULL
  out <- protect_margins(out, truth, rep(1L, nrow(out)), rule)
  for (st in stat_names) out[[st]][is.na(out$n)] <- NA
  # the bins of a group whose size is suppressed would add up to it
  merged <- merged[!is.na(out$n)]
  if (!has_group) out$group <- NULL
  bins_out <- do.call(rbind, c(merged, list(tibble::tibble(group = levels[0], xmin = numeric(),
                                                          xmax = numeric(), n = numeric()))))
  if (!has_group) bins_out$group <- NULL
  attr(out, "bins") <- bins_out
  out
}

# Merge consecutive bins from the lowest up until each holds at least
# `min_count` values; a remainder under `min_count` joins the last full bin.
merge_bin_ids <- function(counts, min_count) {
  id <- integer(length(counts))
  cur <- 1L
  acc <- 0
  for (i in seq_along(counts)) {
    id[i] <- cur
    acc <- acc + counts[i]
    if (acc >= min_count && i < length(counts)) {
      cur <- cur + 1L
      acc <- 0
    }
  }
  if (cur > 1L && sum(counts[id == cur]) < min_count) id[id == cur] <- cur - 1L
  id
}

# Quantiles of binned counts, values spread evenly within each bin.
binned_quantiles <- function(bins, probs) {
  N <- sum(bins$n)
  cum <- cumsum(bins$n)
  vapply(probs, function(p) {
    target <- p * N
    b <- which(cum >= target & bins$n > 0)[1]
    before <- if (b > 1L) cum[b - 1L] else 0
    bins$xmin[b] + (target - before) / bins$n[b] * (bins$xmax[b] - bins$xmin[b])
  }, 0)
}

#' @rdname sdc_plot
#' @inheritParams apply_disclosure
#' @export
sdc_plot_data <- function(data, counts, derived = NULL, disclosure = NULL,
                          by = NULL, total = NULL) {
  out <- apply_disclosure(data, {{ counts }}, derived = {{ derived }},
                          disclosure = disclosure, by = {{ by }}, total = {{ total }})
  flags <- grep("_sdc$", names(out), value = TRUE)
  gone <- rep(FALSE, nrow(out))
  for (f in flags) gone <- gone | grepl("suppress", out[[f]])
  kept <- out[!gone, ]
  kept <- new_sdc_table(as.list(kept), out, attr(out, "sdc"),
                        log = attr(out, "sdc_log"), n = sum(!gone))
  attr(kept, "sdc_dropped") <- sum(gone)
  kept
}

# Count x into bins (per group). Returns the bin table, the edges, whether
# they were chosen from the data (`breaks` a number of bins), and the values
# and groups binned. Chosen edges are rounded (pretty()) and, when the
# maximum falls on the closed upper edge of the last bin, one bin wider, so
# that no edge sits at an extreme value shared by a bin with other values.
bin_values <- function(x, breaks, group, rule = NULL, call = rlang::caller_env()) {
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
    nm <- sum(miss)
    cli::cli_warn(c("{released_count(nm, rule)} value{cli::qty(released_qty(nm, rule))}{?s} of {.arg x} or {.arg group} {?is/are} missing and left out of the bins.",
                    exact_note(rule)),
                  call = call)
    x <- x[!miss]
    if (!is.null(group)) group <- group[!miss]
  }
  if (!length(x)) cli::cli_abort("{.arg x} has no values to bin.", call = call)
  chosen <- length(breaks) == 1L
  if (chosen) {
    if (!is.numeric(breaks) || breaks < 1 || breaks != round(breaks)) {
      cli::cli_abort(c("{.arg breaks} must be a number of bins or the bin edges.",
                       "x" = "It is {breaks}."), call = call)
    }
    r <- range(x)
    if (r[1] == r[2]) r <- r + c(-0.5, 0.5)
    edges <- pretty(r, n = breaks)
    if (edges[length(edges)] == max(x)) {
      edges <- c(edges, 2 * edges[length(edges)] - edges[length(edges) - 1L])
    }
  } else {
    edges <- as.numeric(breaks)
    if (anyNA(edges) || is.unsorted(edges, strictly = TRUE)) {
      cli::cli_abort("{.arg breaks} must be strictly increasing bin edges.",
                     call = call)
    }
    out <- x < edges[1] | x > edges[length(edges)]
    if (any(out)) {
      no <- sum(out)
      off <- identical(resolve_disclosure(rule)$preset, "none")
      cli::cli_abort(
        c("{released_count(no, rule)} value{cli::qty(released_qty(no, rule))}{?s} of {.arg x} {?lies/lie} outside {.arg breaks}.",
          "x" = if (off) "Values: {example_values(x[out])}; edges run from {edges[1]} to {edges[length(edges)]}." else
            "Edges run from {edges[1]} to {edges[length(edges)]}.",
          exact_note(rule)),
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
  list(table = do.call(rbind, parts), breaks = edges, chosen = chosen,
       x = x, group = group)
}
