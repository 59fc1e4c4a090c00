# The release log: the tables export_outputs() has written in this R
# session, kept so that disclosure_check() and export_outputs() can find
# differencing between tables released together or one after another (a
# table and its total, or the same table with one unit left out, give a
# suppressed or small cell back by subtraction).
#
# Each released table is kept as what an attacker sees of it: its key
# columns and, for each count column, the window of true values each
# released cell allows (a count rounded to 5 shown as 40 is 38 to 42; a
# suppressed cell is 0 to threshold - 1, or anything for a secondary
# suppression). Pairs of tables are then compared on shared key columns and
# count columns.

release_env <- new.env(parent = emptyenv())
release_env$entries <- list()
release_env$resets <- list()

#' The session's release log
#'
#' [export_outputs()] keeps a log, for the R session, of every output it
#' writes. [disclosure_check()] and [export_outputs()] compare each table
#' with the tables checked together with it and with every table in the log,
#' and fail a pair from which a suppressed or small cell can be worked out
#' by subtraction (see "Differencing" in [disclosure_check()]). The log
#' lives in memory only and ends with the session.
#'
#' Reset it only when the outputs it lists were not released (for example
#' when re-running an analysis whose earlier outputs were discarded): after a
#' reset, earlier releases are no longer compared with new ones. The report
#' [export_outputs()] writes says how many outputs the log held and when it
#' was last reset, so the output checker sees it.
#'
#' Within a session, [export_outputs()] also refuses to check against a rule
#' weaker than one it has already checked outputs against (the same table
#' rounded to 5 and then exact would give back what the rounding hid).
#'
#' @param reset Empty the log?
#' @returns A tibble with one row per output written, in order: `time`,
#'   `output`, `type`, `file` (the path written), `status` (from the check),
#'   `rule` (the rule the output was disclosed under), `checked_against` (the
#'   rule of the check), `override` (the reason given to release an output
#'   that failed, or `NA`), `rows`, `keys` and `counts` (the key and count
#'   columns compared for differencing, comma-separated). With `reset =
#'   TRUE`, the log before it was emptied, invisibly.
#' @seealso [export_outputs()], [disclosure_check()].
#' @examples
#' release_log()
#' old <- release_log(reset = TRUE)
#' @export
release_log <- function(reset = FALSE) {
  check_flag(reset)
  e <- release_env$entries
  out <- tibble::tibble(
    time = as.POSIXct(vapply(e, function(x) as.numeric(x$time), 0),
                      origin = "1970-01-01"),
    output = vapply(e, `[[`, "", "output"),
    type = vapply(e, `[[`, "", "type"),
    file = vapply(e, `[[`, "", "file"),
    status = vapply(e, `[[`, "", "status"),
    rule = vapply(e, function(x) x$rule %||% NA_character_, ""),
    checked_against = vapply(e, `[[`, "", "checked_against"),
    override = vapply(e, function(x) x$override %||% NA_character_, ""),
    rows = vapply(e, function(x) if (is.null(x$snapshot)) NA_integer_ else x$snapshot$rows, 0L),
    keys = vapply(e, function(x) paste(x$snapshot$keys, collapse = ", "), ""),
    counts = vapply(e, function(x) paste(names(x$snapshot$counts), collapse = ", "), ""))
  if (reset) {
    release_env$entries <- list()
    release_env$resets[[length(release_env$resets) + 1L]] <- list(time = Sys.time(),
                                                                  n = nrow(out))
    return(invisible(out))
  }
  out
}

log_release <- function(output, type, file, status, rule, checked_against,
                        override, snapshot) {
  release_env$entries[[length(release_env$entries) + 1L]] <- list(
    output = output, type = type, file = file, status = status,
    rule = if (is.na(rule)) NULL else rule,
    checked_against = rule_name(checked_against), check_rule = checked_against,
    override = if (is.null(override) || is.na(override)) NULL else override,
    time = Sys.time(), snapshot = snapshot)
  invisible()
}

# One line for the report: what the log held when the outputs were checked.
release_log_note <- function(n_log) {
  resets <- release_env$resets
  paste0("Differencing checked among these outputs and against ", n_log,
         " output", if (n_log != 1L) "s", " released earlier in this R session",
         if (length(resets)) {
           last <- resets[[length(resets)]]
           paste0(" (the release log was reset ", length(resets), " time",
                  if (length(resets) > 1L) "s", ", last at ",
                  format(last$time, "%Y-%m-%d %H:%M:%S"), ", when it held ", last$n,
                  " output", if (last$n != 1L) "s", ")")
         })
}

# Refuse a check against a rule weaker than one earlier exports in the
# session were checked against.
check_rule_not_weaker <- function(rule, call = rlang::caller_env()) {
  for (e in rev(release_env$entries)) {
    if (is.null(e$check_rule)) next
    weaker <- rule_weaker(rule, e$check_rule)
    if (length(weaker)) {
      cli::cli_abort(c(
        "{.arg disclosure} ({rule_name(rule)}) is weaker than the rule earlier outputs in this session were checked against ({e$checked_against}).",
        "x" = "{paste(weaker, collapse = ', ')}.",
        "i" = "Released together, the same counts under both rules give back what the stronger one hid.",
        "i" = "Check against {.val {e$checked_against}}, or, if the earlier outputs were not released, empty the log with {.code release_log(reset = TRUE)}."),
        call = call)
    }
  }
  invisible()
}

# ---- what an attacker sees of a table ---------------------------------------

# The table behind an output: a table, or a plot's disclosed data.
output_table <- function(x) {
  if (is.data.frame(x)) return(x)
  if (inherits(x, "ggplot")) {
    datas <- Filter(function(d) is.data.frame(d) && !is.null(table_rule(d)),
                    c(list(x$data), lapply(x$layers, function(l) l$data)))
    if (length(datas)) return(datas[[1]])
  }
  NULL
}

# Keys and count windows of a table, or NULL when it has no counts.
snapshot_table <- function(x) {
  if (is.null(x) || !nrow(x)) return(NULL)
  rule <- table_rule(x)
  counts <- if (is.null(rule)) {
    names(x)[vapply(x, whole_numbers, TRUE) & count_like(names(x))]
  } else {
    disclosed_counts(x)
  }
  if (!length(counts)) return(NULL)
  flags <- grep("_sdc$", names(x), value = TRUE)
  rest <- setdiff(names(x), c(counts, flags, logged_columns(x)))
  key_type <- vapply(rest, function(cl) {
    v <- x[[cl]]
    is.character(v) || is.factor(v) || is.logical(v) ||
      inherits(v, c("Date", "POSIXt")) ||
      (whole_numbers(v) && !count_like(cl))
  }, TRUE)
  varies <- vapply(rest, function(cl) length(unique(x[[cl]])) > 1L, TRUE)
  keys <- rest[key_type & varies]
  # columns with one value say what the whole table is (the outcome, the
  # year): tables that differ in one count different things
  labels <- lapply(x[rest[!varies & !vapply(x[rest], is.list, TRUE)]],
                   function(v) as.character(v[1]))
  keyvals <- lapply(x[keys], function(v) {
    v <- as.character(v)
    ifelse(is.na(v), "NA", v)
  })
  windows <- lapply(counts, function(cl) {
    count_window(x[[cl]], x[[paste0(cl, "_sdc")]], rule)
  })
  names(windows) <- counts
  list(rows = nrow(x), keys = keys, keyvals = keyvals, counts = windows,
       labels = labels)
}

# The true values each released cell of a count column allows.
count_window <- function(v, flag, rule) {
  v <- as_numbers(v) %||% rep(NA_real_, length(v))
  n <- length(v)
  sup <- is.na(v)
  lo <- v
  hi <- v
  lo[sup] <- 0
  hi[sup] <- Inf
  primary <- rep(FALSE, n)
  if (is.null(rule) || rule$preset == "none") {
    return(list(lo = lo, hi = hi, sup = sup, primary = primary))
  }
  fl <- if (is.character(flag) && length(flag) == n) flag else rep("", n)
  th <- rule$threshold
  zlo <- if (rule$zero == "exact") 1 else 0
  recalc <- grepl("recalculated", fl)
  primary <- sup & grepl("^suppressed \\(<", fl) & !recalc
  lo[primary] <- zlo
  hi[primary] <- th - 1
  shown <- !sup & grepl("^shown as", fl)
  lo[shown] <- zlo
  hi[shown] <- th - 1
  val <- !sup & !shown & !recalc
  if (rule$rounding_method == "midpoint6") {
    lo[val] <- v[val] - 2
    hi[val] <- v[val] + 3
  } else if (rule$rounding > 0) {
    b <- rule$rounding
    lo[val] <- ceiling(v[val] - b / 2)
    hi[val] <- ceiling(v[val] + b / 2) - 1
  }
  # released values rest on counts of at least the threshold (a zero is
  # released as 0 only where zeros are exact)
  if (rule$small != "none") {
    pos <- val & v > 0
    lo[pos] <- pmax(lo[pos], th)
    zero <- val & v == 0
    lo[zero] <- 0
    hi[zero] <- 0
  }
  lo[!sup & recalc] <- 0
  hi[!sup & recalc] <- Inf
  list(lo = pmax(lo, 0), hi = hi, sup = sup, primary = primary)
}

# ---- comparing tables ----------------------------------------------------

cell_key <- function(keyvals, keys, n) {
  if (!length(keys)) return(rep("", n))
  do.call(paste, c(unname(keyvals[keys]), sep = "\u001f"))
}

describe_row <- function(s, i) {
  if (!length(s$keys)) return("the table's one row")
  paste(vapply(s$keys, function(k) paste0(k, " = ", s$keyvals[[k]][i]), ""),
        collapse = ", ")
}

# What subtraction tells about a cell: its window of true values, cut at 0
# (a count is never negative).
describe_window <- function(lo, hi) {
  lo <- max(lo, 0)
  if (lo == hi) "can be recovered exactly" else paste0("can be narrowed to ", hi - lo + 1, " possible values")
}

# Cells of one table recoverable from the pair (a, b): a list with the
# reasons for a and for b (character(0) when none).
difference_pair <- function(a, b, name_a, name_b, threshold) {
  none <- list(a = character(), b = character())
  if (is.null(a) || is.null(b)) return(none)
  shared <- intersect(names(a$counts), names(b$counts))
  if (!length(shared)) return(none)
  both <- intersect(names(a$labels), names(b$labels))
  if (!identical(a$labels[both], b$labels[both])) return(none)
  found <- if (setequal(a$keys, b$keys)) {
    difference_same_cells(a, b, shared, threshold)
  } else if (all(b$keys %in% a$keys)) {
    difference_margin(a, b, shared, threshold)
  } else if (all(a$keys %in% b$keys)) {
    r <- difference_margin(b, a, shared, threshold)
    if (is.null(r)) NULL else list(r[[2]], r[[1]], what = r$what)
  } else {
    NULL
  }
  if (is.null(found)) return(none)
  say <- function(items, other, what) {
    if (!length(items)) return(character())
    more <- length(items) - 5L
    paste0("differencing with ", other, " (", what, "): ",
           paste(utils::head(items, 5), collapse = "; "),
           if (more > 0) paste0("; and ", more, " more"))
  }
  list(a = say(found[[1]], name_b, found$what),
       b = say(found[[2]], name_a, found$what))
}

# Same key columns: the difference of the two tables is a table of the
# records one has and the other has not. When one table holds the other's
# records and more (every cell at least as large, some certainly larger),
# each cell of the difference whose window is narrower than the threshold
# and may be small is a count recovered by subtraction.
difference_same_cells <- function(a, b, shared, threshold) {
  ka <- cell_key(a$keyvals, a$keys, a$rows)
  kb <- cell_key(b$keyvals, a$keys, b$rows)
  if (anyDuplicated(ka) || anyDuplicated(kb)) return(NULL)
  m <- match(ka, kb)
  ia <- which(!is.na(m))
  ib <- m[ia]
  if (!length(ia)) return(NULL)
  same <- all(vapply(shared, function(cl) {
    identical(a$counts[[cl]]$lo[ia], b$counts[[cl]]$lo[ib]) &&
      identical(a$counts[[cl]]$hi[ia], b$counts[[cl]]$hi[ib])
  }, TRUE))
  if (same) return(NULL)
  for (orient in 1:2) {
    big <- if (orient == 1L) a else b
    small <- if (orient == 1L) b else a
    ib_ <- if (orient == 1L) ia else ib
    is_ <- if (orient == 1L) ib else ia
    dlo <- lapply(shared, function(cl) big$counts[[cl]]$lo[ib_] - small$counts[[cl]]$hi[is_])
    dhi <- lapply(shared, function(cl) big$counts[[cl]]$hi[ib_] - small$counts[[cl]]$lo[is_])
    nested <- all(vapply(dhi, function(d) all(is.na(d) | d >= 0), TRUE))
    larger <- any(vapply(dlo, function(d) any(!is.na(d) & d >= 1), TRUE))
    if (!nested || !larger) next
    items_big <- items_small <- character()
    for (j in seq_along(shared)) {
      lo <- dlo[[j]]
      hi <- dhi[[j]]
      hit <- is.finite(lo) & is.finite(hi) & hi - lo + 1 < threshold &
        lo <= threshold - 1 & hi >= 0
      for (k in which(hit)) {
        what <- paste0(shared[j], " for ", describe_row(big, ib_[k]), " ",
                       describe_window(lo[k], hi[k]), " by subtraction")
        items_big <- c(items_big, what)
        items_small <- c(items_small, what)
      }
    }
    if (length(items_big)) {
      return(list(items_big, items_small,
                  what = "the same cells with a few records fewer"))
    }
  }
  NULL
}

# Sums of x over the cells g (codes 1..nb) of the margin, 0 for a cell no
# row of x falls in (rowsum() leaves such cells out, even as unused levels
# of a factor, so its result would be shorter than the margin).
sum_by_cell <- function(x, g, nb) {
  out <- numeric(nb)
  if (!length(g)) return(out)
  r <- rowsum(x, g)
  out[as.integer(rownames(r))] <- r[, 1L]
  out
}

# `b` a margin of `a`: b's key columns are some of a's, and each cell of b is
# the sum of a's cells with its key. When every cell of b agrees with the
# sum of a's cells (the windows meet), a suppressed cell of a whose group has
# no other suppressed cell, or a suppressed cell of b, is recovered within
# the window the others leave.
difference_margin <- function(a, b, shared, threshold) {
  kb <- cell_key(b$keyvals, b$keys, b$rows)
  if (anyDuplicated(kb)) return(NULL)
  ga <- match(cell_key(a$keyvals, b$keys, a$rows), kb)
  if (!any(!is.na(ga))) return(NULL)
  inb <- !is.na(ga)
  items_a <- items_b <- character()
  sums <- list()
  for (cl in shared) {
    wa <- a$counts[[cl]]
    wb <- b$counts[[cl]]
    g <- ga[inb]
    lo <- wa$lo[inb]
    hi <- wa$hi[inb]
    inf <- is.infinite(hi)
    nb <- b$rows
    sum_lo <- sum_by_cell(lo, g, nb)
    sum_hi_fin <- sum_by_cell(ifelse(inf, 0, hi), g, nb)
    n_inf <- sum_by_cell(as.numeric(inf), g, nb)
    present <- as.vector(table(factor(g, levels = seq_len(nb)))) > 0
    sum_hi <- ifelse(n_inf > 0, Inf, sum_hi_fin)
    # the relation must hold in every cell of b for this to be a margin
    feasible <- !present | (pmax(sum_lo, wb$lo) <= pmin(sum_hi, wb$hi))
    if (!all(feasible)) return(NULL)
    sums[[cl]] <- list(g = g, lo = lo, hi = hi, inf = inf, sum_lo = sum_lo,
                       sum_hi_fin = sum_hi_fin, n_inf = n_inf, present = present)
  }
  rows_a <- which(inb)
  for (cl in shared) {
    s <- sums[[cl]]
    wa <- a$counts[[cl]]
    wb <- b$counts[[cl]]
    # a suppressed cell of a: b's cell minus the others of its group
    for (k in which(wa$sup[rows_a])) {
      i <- rows_a[k]
      g <- s$g[k]
      others_inf <- s$n_inf[g] - s$inf[k]
      if (others_inf > 0 || !is.finite(wb$hi[g]) || wb$sup[g]) next
      others_hi <- s$sum_hi_fin[g] - (if (s$inf[k]) 0 else s$hi[k])
      others_lo <- s$sum_lo[g] - s$lo[k]
      lo <- wb$lo[g] - others_hi
      hi <- wb$hi[g] - others_lo
      if (hi - lo + 1 < threshold && lo <= threshold - 1 && hi >= wa$lo[i]) {
        what <- paste0(cl, " for ", describe_row(a, i), " ", describe_window(lo, hi),
                       " (a released total minus released cells)")
        items_a <- c(items_a, what)
        items_b <- c(items_b, what)
      }
    }
    # a suppressed cell of b: the sum of a's cells
    for (g in which(wb$sup & s$present)) {
      if (s$n_inf[g] > 0) next
      lo <- s$sum_lo[g]
      hi <- s$sum_hi_fin[g]
      if (hi - lo + 1 < threshold && lo <= threshold - 1) {
        what <- paste0(cl, " for ", describe_row(b, g), " ", describe_window(lo, hi),
                       " (the sum of released cells)")
        items_a <- c(items_a, what)
        items_b <- c(items_b, what)
      }
    }
  }
  if (!length(items_a)) return(NULL)
  list(items_a, items_b, what = "a table and its margin")
}

# Differencing reasons for each output: pairs among `snaps` (the outputs
# checked together) and between each of them and the release log.
differencing_reasons <- function(snaps, threshold, entries = release_env$entries) {
  out <- rep(list(character()), length(snaps))
  names(out) <- names(snaps)
  nms <- names(snaps)
  for (i in seq_along(snaps)) {
    if (is.null(snaps[[i]])) next
    for (j in seq_len(i - 1L)) {
      if (is.null(snaps[[j]]) || identical(snaps[[i]], snaps[[j]])) next
      r <- difference_pair(snaps[[j]], snaps[[i]], nms[j], nms[i], threshold)
      out[[j]] <- c(out[[j]], r$a)
      out[[i]] <- c(out[[i]], r$b)
    }
    for (e in entries) {
      if (is.null(e$snapshot) || identical(e$snapshot, snaps[[i]])) next
      other <- paste0(e$output, " (released earlier in this session, ", basename(e$file), ")")
      r <- difference_pair(e$snapshot, snaps[[i]], other, nms[i], threshold)
      out[[i]] <- c(out[[i]], r$b)
    }
  }
  lapply(out, unique)
}
