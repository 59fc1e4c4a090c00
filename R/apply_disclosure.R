# Applying a disclosure rule to a table: primary suppression (or showing
# small counts as a fixed value), secondary suppression within groups with a
# known total, recalculated totals, rounding, suppression carried to derived
# columns, flag columns and the "mq_sdc" mark.

#' Apply a disclosure rule to a table of counts
#'
#' Suppresses or perturbs the small counts in `counts`, rounds the others,
#' computes the derived columns (rates, intervals, indices) from the
#' released counts and suppresses them where a count they use was
#' suppressed, applies secondary suppression so that no suppressed cell can
#' be recovered from the cells and totals of the table, adds a flag column
#' per count column saying what was done and why, and marks the result so it
#' prints which rule was applied. Every matequity function that returns
#' counts calls this; use it directly on tables you make yourself.
#'
#' @section One principle:
#' A released statistic is computed from released counts, or suppressed with
#' them. A rate printed at full precision beside rounded counts gives the
#' exact counts back (12 events of 137 shown as 10 of 135 with the rate
#' 8.759% solves to 12/137), so under every rule but `"none"` the derived
#' columns are formulas evaluated on the released counts, as NHS Digital's
#' maternity statistics compute their rates from rounded figures (and
#' OpenSAFELY's output guidance asks). Inverting them gives back the
#' released counts and nothing more. A column computed beforehand is refused
#' (only magnitudes with `contributors` are taken as they are).
#'
#' @section Secondary suppression:
#' Rows are grouped by `by` (the whole table is one group when `by` is
#' `NULL`). A group has a known total when it contains a total row (marked by
#' `total`), or, without a total row, when `by` is given (the rows of a `by`
#' group are taken to partition a margin published elsewhere). `margins`
#' names the columns that cross-classify the cells: along each of them the
#' cells add up to the table without that column (published elsewhere, or by
#' the same function), so each such margin is a group with a known total.
#' While a group with a known total holds exactly one suppressed cell, the
#' next smallest cell (by its true value) is suppressed too, or the total row
#' when there is no other cell; this is repeated until no margin gives a
#' suppressed cell back by subtraction. Under `"opensafely"` a total row is
#' instead recalculated from the cells left after redaction, then rounded.
#'
#' @section Complements:
#' A count of events beside its denominator also releases the non-events: 12
#' events of 14 shown as 10 of 15 says "almost everyone", and 12 of 12 says
#' "everyone". `complements = list(events = ~ n - events)` checks the
#' non-events like a count and suppresses `events` (and what is derived from
#' it) when they are small.
#'
#' @section Applying twice:
#' Count columns that already carry a flag column from the same rule are left
#' as they are (so nothing is rounded twice); applying a different rule to an
#' already-disclosed column is an error: apply it to the original table.
#'
#' @param data A data frame.
#' @param counts Count columns (non-negative whole numbers): a character
#'   vector, `c(a, b)` or `~ a + b`.
#' @param derived Columns computed from the counts: a named list of one-sided
#'   formulas (`list(rate = ~ 1000 * events / n)`), computed from the released
#'   counts (from the original counts under `"none"`) and suppressed in rows
#'   where a count column they use was suppressed. Column names (`c(a, b)`)
#'   are accepted only under `"none"`, or for magnitudes checked with
#'   `contributors`.
#' @param disclosure A rule from [disclosure_rule()], a preset name, or `NULL`
#'   for `getOption("matequity.disclosure", "nhse_sde")`.
#' @param by Grouping columns within which cells add up to a known total.
#' @param total Marks total rows: a logical column (bare name or string) or
#'   an expression evaluated in `data`, e.g. `group == "Total"`. At most one
#'   total row per `by` group.
#' @param margins Columns that cross-classify the cells (e.g. the `by`
#'   columns of a rate table): see "Secondary suppression".
#' @param complements Named list of one-sided formulas of the count columns
#'   (e.g. `list(events = ~ n - events)`): see "Complements".
#' @param estimates Columns estimated from the individual records rather
#'   computed from the counts (directly standardised rates, model-based
#'   differences and their SEs, means and medians): suppressed in rows where a
#'   count was suppressed (or, given as `list(mean = ~ n)`, where one of the
#'   counts named in its formula was), and released to `digits` significant figures
#'   (exact under `"none"`). The checks on the sample they rest on (cells of
#'   at least the threshold, residual degrees of freedom) are the caller's.
#' @param digits Significant figures of `estimates`.
#' @param keys Numeric columns that classify or parameterise the rows rather
#'   than count anything (a year, an IMD decile, a multiplier `per`, the edges
#'   of a bin): released as they are and recorded in the sdc log as keys, so
#'   [disclosure_check()] can account for them. Numeric `by` and `margins`
#'   columns are keys without being named here. A key cannot also be a count,
#'   derived column or estimate.
#' @param contributors Optional list-column (bare name or string) holding,
#'   for each row, the individual contributions to a magnitude total in that
#'   row (e.g. each provider's spend). Under rules with a dominance rule
#'   (`"acro"`), a row fails when its 2 largest contributors exceed 90% of the
#'   total (this also covers ACRO's p-ratio rule with p = 10%: contributions
#'   beyond the 2 largest under 10% of the largest); its `derived` columns (the magnitudes) are then
#'   suppressed and a `dominance_sdc` column says why. The contributors column
#'   is dropped from the result (it is microdata), except under `"none"`.
#' @returns A tibble of class `mq_sdc` with the columns of `data`, the count
#'   columns disclosed (suppressed cells `NA`), and after each count column a
#'   character column `<count>_sdc` saying what was done: `""` (released
#'   unchanged), `"suppressed (<10)"`, `"secondary suppression"`,
#'   `"rounded to 5"`, `"midpoint-6 rounded"`, `"shown as 5 (0-7)"`,
#'   `"total recalculated from released cells"` (several joined by `"; "`).
#'   Attributes: `"sdc"` (the rule) and `"sdc_log"`, a tibble with columns
#'   `column`, `action`, `n` counting what was done.
#' @seealso [disclosure_rule()], [disclosure_check()].
#' @examples
#' tab <- data.frame(group = c("A", "B", "C", "D", "E", "F", "Total"),
#'                   births = c(120, 3, 250, 90, 41, 66, 570),
#'                   stillbirths = c(12, 0, 3, 15, 2, 20, 52))
#' apply_disclosure(tab, counts = c(births, stillbirths),
#'                  derived = list(rate = ~ 1000 * stillbirths / births),
#'                  total = group == "Total")
#' apply_disclosure(tab, counts = c(births, stillbirths),
#'                  derived = list(rate = ~ 1000 * stillbirths / births),
#'                  disclosure = "nhsd_maternity")
#' apply_disclosure(tab, counts = births, disclosure = "none")
#' @export
apply_disclosure <- function(data, counts, derived = NULL, disclosure = NULL,
                             by = NULL, total = NULL, contributors = NULL,
                             margins = NULL, complements = NULL,
                             estimates = NULL, digits = 3, keys = NULL) {
  check_data_frame(data)
  rule <- resolve_disclosure(disclosure)
  counts <- resolve_columns(data, rlang::enquo(counts), "counts")
  if (!length(counts)) {
    cli::cli_abort("{.arg counts} must name at least one count column.")
  }
  derived_q <- rlang::enquo(derived)
  formulas <- NULL
  dexpr <- rlang::quo_get_expr(derived_q)
  if (rlang::is_call(dexpr, "list")) {
    formulas <- rlang::eval_tidy(derived_q)
  } else if (rlang::is_symbol(dexpr) &&
             !rlang::as_string(dexpr) %in% names(data)) {
    val <- tryCatch(rlang::eval_tidy(derived_q), error = function(e) NULL)
    if (is.list(val)) formulas <- val
  }
  if (!is.null(formulas)) {
    formulas <- check_derived_formulas(formulas)
    derived <- names(formulas)
  } else {
    derived <- resolve_columns(data, derived_q, "derived")
  }
  by <- resolve_columns(data, rlang::enquo(by), "by")
  margins <- resolve_columns(data, rlang::enquo(margins), "margins")
  keys <- resolve_columns(data, rlang::enquo(keys), "keys")
  is_total <- resolve_total_rows(data, rlang::enquo(total))
  clash <- intersect(derived, counts)
  if (length(clash)) {
    cli::cli_abort(c("Columns cannot be both counts and derived.",
                     "x" = "In both {.arg counts} and {.arg derived}: {.field {clash}}."))
  }
  for (col in counts) check_count_column(data[[col]], col)
  contrib <- resolve_column(data, rlang::enquo(contributors), "contributors",
                            required = FALSE)
  complements <- check_complements(complements, counts)
  est_q <- rlang::enquo(estimates)
  est_uses <- list()
  if (rlang::is_call(rlang::quo_get_expr(est_q), "list")) {
    ef <- rlang::eval_tidy(est_q)
    if (is.null(names(ef)) || !all(vapply(ef, function(e) rlang::is_formula(e, lhs = FALSE), TRUE))) {
      cli::cli_abort("{.arg estimates} as a list must hold one-sided formulas naming the counts each estimate rests on, e.g. {.code list(mean = ~ n)}.")
    }
    est_uses <- lapply(ef, function(f) intersect(all.vars(f), counts))
    estimates <- names(ef)
    miss <- setdiff(estimates, names(data))
    if (length(miss)) cli::cli_abort("{.arg estimates} names column{?s} not in the data: {.field {miss}}.")
  } else {
    estimates <- resolve_columns(data, est_q, "estimates")
  }
  check_number(digits, lower = 1)
  if (length(intersect(estimates, c(counts, derived)))) {
    cli::cli_abort(c("{.arg estimates} must not be count or derived columns.",
                     "x" = "Also in {.arg counts} or {.arg derived}: {.field {intersect(estimates, c(counts, derived))}}."))
  }
  key_clash <- intersect(keys, c(counts, derived, estimates))
  if (length(key_clash)) {
    cli::cli_abort(c("{.arg keys} must not be count, derived or estimate columns.",
                     "x" = "Also given as a statistic: {.field {key_clash}}."))
  }
  keys <- unique(c(keys, by, margins))
  # (text that reads as numbers, "2023" say, is a number to the checker)
  keys <- keys[vapply(data[keys], function(v) is.numeric(v) || number_like(v), TRUE)]
  # A column computed before disclosure may rest on the exact counts: under
  # a rule it is only accepted as a magnitude (with its contributors).
  precomputed <- if (is.null(formulas)) derived else character()
  if (length(precomputed) && rule$preset != "none" && is.null(contrib)) {
    cli::cli_abort(c(
      "Derived column{?s} {.field {precomputed}} {?was/were} computed before disclosure control.",
      "x" = "A released statistic must be computed from the released counts, or it gives the exact counts back.",
      "i" = "Give {.arg derived} as formulas of the count columns, e.g. {.code list(rate = ~ 1000 * events / n)}: they are computed from the released counts.",
      "i" = "Magnitudes (sums of values, not counts) need {.arg contributors} for the dominance check."))
  }

  # Composability: columns already disclosed under the same rule stay as
  # they are.
  done <- character()
  prev <- attr(data, "sdc")
  if (inherits(data, "mq_sdc") && inherits(prev, "mq_disclosure_rule")) {
    done <- counts[paste0(counts, "_sdc") %in% names(data)]
    if (length(done) && !same_rule(prev, rule)) {
      cli::cli_abort(c(
        "{.arg data} was already disclosed under rule {.val {rule_name(prev)}}.",
        "x" = "Columns {.field {done}} cannot be disclosed again under {.val {rule_name(rule)}}.",
        "i" = "Apply the new rule to the original table."))
    }
  }
  flag_clash <- intersect(paste0(setdiff(counts, done), "_sdc"), names(data))
  if (length(flag_clash)) {
    cli::cli_abort(c("{.arg data} already has flag column{?s} {.field {flag_clash}}.",
                     "i" = "Rename or drop {cli::qty(length(flag_clash))}{?it/them} before applying disclosure control."))
  }

  n <- nrow(data)
  group <- row_groups(data, by)
  check_total_rows(data, group, is_total, by)
  # the other margins the cells add up to: within each combination of `by`
  # and all margin columns but one, the cells sum to a margin that is
  # published elsewhere (the table without that column)
  margin_groups <- lapply(margins, function(m) {
    row_groups(data, c(by, setdiff(margins, m)))
  })
  suppressed <- list()  # per count column: which rows are suppressed
  for (col in done) {
    suppressed[[col]] <- grepl("suppress", data[[paste0(col, "_sdc")]])
  }
  released <- list()
  flags <- list()
  log <- list()
  for (col in setdiff(counts, done)) {
    comp_small <- rep(FALSE, n)
    for (f in complements[names(complements) == col]) {
      cv <- rlang::eval_tidy(rlang::f_rhs(f), data = data, env = rlang::f_env(f))
      comp_small <- comp_small | is_small(cv, rule)
    }
    res <- disclose_column(data[[col]], rule, group, is_total,
                           has_by = length(by) > 0L, margin_groups = margin_groups,
                           complement_small = comp_small & rule$preset != "none")
    released[[col]] <- res$value
    flags[[col]] <- res$flag
    suppressed[[col]] <- res$suppressed
    log[[col]] <- flag_log(col, res$flag)
  }
  any_suppressed <- Reduce(`|`, suppressed, rep(FALSE, n))

  dominance <- NULL
  if (!is.null(contrib)) {
    dominance <- dominance_flags(data[[contrib]], rule, contrib)
    any_suppressed <- any_suppressed | dominance != ""
    log[[".dominance"]] <- flag_log("dominance", dominance)
  }
  out <- as.list(data)
  for (col in names(released)) out[[col]] <- released[[col]]
  # Derived columns: computed from the released counts (from the exact ones
  # only when control is off), and suppressed where a count they use is.
  row_sup <- list()
  if (!is.null(formulas)) {
    mask <- if (rule$preset == "none") as.list(data) else out
    for (d in derived) {
      rhs <- rlang::f_rhs(formulas[[d]])
      val <- rlang::eval_tidy(rhs, data = mask, env = rlang::f_env(formulas[[d]]))
      if (length(val) == 1L) val <- rep(val, n)
      if (length(val) != n) {
        cli::cli_abort(c("Formula for derived column {.field {d}} gives {length(val)} value{?s}.",
                         "x" = "It must give one per row ({n})."))
      }
      out[[d]] <- val
      uses <- intersect(all.vars(rhs), counts)
      if (!length(uses)) uses <- counts
      row_sup[[d]] <- Reduce(`|`, suppressed[uses], rep(FALSE, n))
      if (!is.null(dominance)) row_sup[[d]] <- row_sup[[d]] | dominance != ""
    }
  } else {
    for (d in derived) row_sup[[d]] <- any_suppressed
  }
  # Estimates from the individual records (standardised or model-based, not
  # functions of the counts): suppressed with the row's counts and released
  # to `digits` significant figures.
  for (d in estimates) {
    v <- out[[d]]
    if (!is.numeric(v)) {
      cli::cli_abort("Estimate column {.field {d}} must be numeric, not {.obj_type_friendly {v}}.")
    }
    if (rule$preset != "none") v <- signif(v, digits)
    uses <- est_uses[[d]]
    hide <- if (length(uses)) Reduce(`|`, suppressed[uses], rep(FALSE, n)) else any_suppressed
    v[hide] <- NA
    out[[d]] <- v
  }
  if (length(estimates)) {
    log[[".estimates"]] <- tibble::tibble(
      column = estimates,
      action = if (rule$preset != "none") paste0("estimate, suppressed with its counts, ", digits, " significant figures")
               else "estimate (exact)",
      n = n)
  }
  n_derived <- integer()
  for (d in derived) {
    n_derived[d] <- sum(row_sup[[d]] & !is.na(out[[d]]))
    if (any(row_sup[[d]])) out[[d]][row_sup[[d]]] <- NA
  }
  if (length(derived)) {
    log[[".derived"]] <- tibble::tibble(
      column = derived, action = "suppressed with its counts",
      n = unname(n_derived))
    log[[".derived_re"]] <- tibble::tibble(
      column = derived,
      action = if (!is.null(formulas) && rule$preset != "none") "computed from released counts"
               else if (!is.null(formulas)) "computed from original counts"
               else "magnitude (not a function of the counts)",
      n = n)
  }
  # Put each flag column after its count column.
  order <- character()
  for (nm in names(data)) {
    order <- c(order, nm)
    if (nm %in% names(flags)) order <- c(order, paste0(nm, "_sdc"))
  }
  order <- c(order, setdiff(derived, names(data)))
  if (!is.null(contrib) && rule$preset != "none") {
    order <- setdiff(order, contrib)
    log[[".contrib"]] <- tibble::tibble(column = contrib,
                                        action = "contributor values dropped",
                                        n = n)
  }
  if (!is.null(dominance) && !is.na(rule$dominance_n)) {
    out[["dominance_sdc"]] <- dominance
    order <- c(order, "dominance_sdc")
  }
  for (col in names(flags)) out[[paste0(col, "_sdc")]] <- flags[[col]]
  if (length(keys)) log[[".keys"]] <- key_log(keys, n)
  log <- rbind_log(c(list(attr(data, "sdc_log")), unname(log)))
  log <- log[log$n > 0L & (!duplicated(log) | !grepl("^computed|^magnitude|^estimate|^key", log$action)), ]
  res <- new_sdc_table(out[order], data, rule, log = log)
  attr(res, "sdc_structure") <- sdc_structure(res, by, margins, is_total, rule)
  res
}

# Log rows saying that columns are keys (classifications or parameters).
key_log <- function(keys, n) {
  tibble::tibble(column = keys, action = "key (a classification or parameter, not a statistic)",
                 n = rep(as.integer(n), length(keys)))
}

# Log rows for columns a function computed itself from released counts (or
# released as estimates) after apply_disclosure(), so the table's log
# accounts for every column it releases.
log_columns <- function(x, columns, action) {
  columns <- intersect(columns, names(x))
  if (!length(columns)) return(x)
  attr(x, "sdc_log") <- rbind_log(list(attr(x, "sdc_log"), tibble::tibble(
    column = columns, action = action, n = rep(nrow(x), length(columns)))))
  x
}

# What disclosure_check() needs to verify the secondary suppression of a
# table again: its grouping and margin columns, its total rows, and a
# fingerprint of the rows (the values of those columns), so that a table
# whose rows were reordered or filtered after disclosure is not verified
# against the wrong sets.
sdc_structure <- function(x, by, margins, is_total, rule, known_total = length(by) > 0L) {
  list(by = by, margins = margins, total = is_total, known_total = known_total,
       secondary = isTRUE(rule$secondary), recalc = identical(rule$totals, "recalculate"),
       fingerprint = row_fingerprint(x, c(by, margins)))
}

row_fingerprint <- function(x, cols) {
  cols <- intersect(cols, names(x))
  if (!length(cols)) return(nrow(x))
  c(nrow(x), row_groups(x, cols))
}

# The sets of cells with a known total: each `by` group (its total row, or
# the margin a `by` group stands for) and each group along every other
# margin. `tot` holds the group's total row (at most one); `known` says the
# total is known even without a total row.
known_total_sets <- function(n, group, is_total, has_by, margin_groups, rule,
                             recalc = FALSE) {
  sets <- list()
  if (!rule$secondary) return(sets)
  if (!recalc) {
    for (rows in split(seq_len(n), group)) {
      tot <- rows[is_total[rows]]
      sets[[length(sets) + 1L]] <- list(cells = rows[!is_total[rows]], tot = tot,
                                        known = length(tot) == 0L && has_by)
    }
  }
  for (mg in margin_groups) {
    for (rows in split(seq_len(n), mg)) {
      sets[[length(sets) + 1L]] <- list(cells = rows[!is_total[rows]],
                                        tot = integer(), known = TRUE)
    }
  }
  sets
}

# Sets whose total is known and that hold exactly one suppressed cell: the
# cells subtraction gives back. `sup` marks suppressed rows; `x` holds the
# values (NA where missing or suppressed).
recoverable_sets <- function(sets, sup, x) {
  Filter(function(st) set_recoverable(st, sup, x), sets)
}

set_recoverable <- function(st, sup, x) {
  known <- st$known || (length(st$tot) == 1L && !sup[st$tot] && !is.na(x[st$tot]))
  known && sum(sup[st$cells]) == 1L
}

# What happens to one count column. Returns the released values, the flags
# and which rows were suppressed.
disclose_column <- function(x, rule, group, is_total, has_by,
                            margin_groups = list(), complement_small = NULL) {
  was_integer <- is.integer(x)
  x <- as.double(x)
  n <- length(x)
  flag <- character(n)
  sup <- rep(FALSE, n)
  value <- x
  if (rule$preset == "none") {
    return(list(value = if (was_integer) as.integer(value) else value,
                flag = flag, suppressed = sup))
  }
  small <- is_small(x, rule)
  shown <- rep(FALSE, n)
  if (rule$small == "suppress") {
    sup <- small
    flag[sup] <- paste0("suppressed (<", rule$threshold, ")")
  } else if (rule$small == "show_as") {
    shown <- small
    value[shown] <- rule$small_value
    flag[shown] <- paste0("shown as ", rule$small_value, " (",
                          if (rule$zero == "small") 0 else 1, "-",
                          rule$threshold - 1, ")")
  }
  # a count whose complement (e.g. the non-events beside events) is small
  # would give that complement back: suppressed like a small count
  if (!is.null(complement_small)) {
    cs <- complement_small & !sup & !is.na(x)
    sup[cs] <- TRUE
    flag[cs] <- append_flag(flag[cs], paste0("suppressed (complement <", rule$threshold, ")"))
  }
  if (any(sup)) {
    # Secondary suppression, repeated until no group with a known total
    # holds exactly one suppressed cell: in the `by` groups (with their
    # total row) and along every other margin of the table.
    recalc <- rule$totals == "recalculate" && any(is_total)
    sets <- known_total_sets(n, group, is_total, has_by, margin_groups, rule, recalc)
    repeat {
      changed <- FALSE
      for (st in sets) {
        if (!set_recoverable(st, sup, x)) next
        pick <- secondary_pick(x, sup, st$cells, st$tot)
        if (length(pick)) {
          sup[pick] <- TRUE
          flag[pick] <- append_flag(flag[pick], "secondary suppression")
          changed <- TRUE
        }
      }
      if (!changed) break
    }
    if (recalc) {
      for (g in unique(group)) {
        rows <- which(group == g)
        cells <- rows[!is_total[rows]]
        tot <- rows[is_total[rows]]
        if (length(tot) != 1L || !any(sup[cells])) next
        value[tot] <- sum(x[cells][!sup[cells]], na.rm = TRUE)
        flag[tot] <- "total recalculated from released cells"
        if (is_small(value[tot], rule)) {
          sup[tot] <- TRUE
          flag[tot] <- paste0(flag[tot], "; suppressed (<", rule$threshold, ")")
        }
      }
    }
  }
  rnd <- !sup & !shown & !is.na(x)
  if (rule$rounding_method == "midpoint6") {
    value[rnd] <- ifelse(value[rnd] == 0, 0, 6 * ceiling(value[rnd] / 6) - 3)
    flag[rnd] <- append_flag(flag[rnd], "midpoint-6 rounded")
  } else if (rule$rounding > 0) {
    value[rnd] <- floor(value[rnd] / rule$rounding + 0.5) * rule$rounding
    flag[rnd] <- append_flag(flag[rnd], paste0("rounded to ", rule$rounding))
  }
  value[sup] <- NA
  list(value = if (was_integer) as.integer(value) else value,
       flag = flag, suppressed = sup)
}

# The cell suppressed second in a group: the smallest released cell (by its
# true value), else the group's total row.
secondary_pick <- function(x, sup, cells, tot) {
  cand <- cells[!sup[cells] & !is.na(x[cells])]
  if (length(cand)) cand[which.min(x[cand])] else tot[!sup[tot]]
}

# Complements: a named list of one-sided formulas; each name is a count
# column suppressed when its formula (on the exact counts) is small.
check_complements <- function(complements, counts, call = rlang::caller_env()) {
  if (is.null(complements)) return(list())
  ok <- is.list(complements) && !is.null(names(complements)) &&
    all(names(complements) %in% counts) &&
    all(vapply(complements, function(e) rlang::is_formula(e, lhs = FALSE), TRUE))
  if (!ok) {
    cli::cli_abort(
      c("{.arg complements} must be a list of one-sided formulas named by count columns.",
        "i" = "For example {.code list(events = ~ n - events)}: {.field events} is suppressed when the non-events are a small count."),
      call = call)
  }
  complements
}

# Dominance: the n largest contributors over k of the total, per row.
# ACRO's p-ratio rule (contributions beyond the 2 largest under 10% of the
# largest) is implied by the 2-largest 90% rule: rest < 0.1 * largest
# <= 0.1 * total means the 2 largest exceed 90% of the total.
dominance_flags <- function(values, rule, col, call = rlang::caller_env()) {
  if (!is.list(values)) {
    cli::cli_abort(
      c("{.arg contributors} column {.field {col}} must be a list-column of numeric vectors.",
        "x" = "It is {.obj_type_friendly {values}}."), call = call)
  }
  bad <- !vapply(values, function(v) is.null(v) || (is.numeric(v) && !anyNA(v) && all(v >= 0)), TRUE)
  if (any(bad)) {
    cli::cli_abort(
      c("{.arg contributors} column {.field {col}} must hold non-negative numbers.",
        "x" = "Row{?s} {utils::head(which(bad), 5)} {?does/do} not."), call = call)
  }
  flag <- character(length(values))
  if (is.na(rule$dominance_n)) return(flag)
  for (i in seq_along(values)) {
    v <- sort(values[[i]], decreasing = TRUE)
    tot <- sum(v)
    if (!length(v) || tot <= 0) next
    top <- sum(utils::head(v, rule$dominance_n))
    if (top > rule$dominance_k * tot) {
      flag[i] <- paste0("dominance (", rule$dominance_n, " largest > ",
                        100 * rule$dominance_k, "%)")
    }
  }
  flag
}

is_small <- function(x, rule) {
  !is.na(x) & x < rule$threshold & !(rule$zero == "exact" & x == 0)
}

append_flag <- function(flag, what) {
  ifelse(flag == "", what, paste0(flag, "; ", what))
}

# Counts of each action in a flag column.
flag_log <- function(col, flag) {
  parts <- unlist(strsplit(flag[flag != ""], "; ", fixed = TRUE))
  if (!length(parts)) {
    return(tibble::tibble(column = character(), action = character(),
                          n = integer()))
  }
  tab <- table(factor(parts, levels = unique(parts)))
  tibble::tibble(column = col, action = names(tab), n = as.integer(tab))
}

rbind_log <- function(parts) {
  parts <- Filter(function(p) !is.null(p) && nrow(p) > 0L, parts)
  if (!length(parts)) {
    return(tibble::tibble(column = character(), action = character(),
                          n = integer()))
  }
  tibble::as_tibble(do.call(rbind, lapply(parts, as.data.frame)))
}

same_rule <- function(a, b) {
  identical(unclass(a), unclass(b))
}

# Dense group codes for rows (one group when `by` is empty; NA is a group).
row_groups <- function(data, by) {
  if (!length(by)) return(rep(1L, nrow(data)))
  key <- do.call(paste, c(lapply(data[by], function(v) {
    v <- as.character(v)
    ifelse(is.na(v), "\u0001NA", v)
  }), sep = "\u0002"))
  match(key, unique(key))
}

resolve_total_rows <- function(data, quo, call = rlang::caller_env()) {
  n <- nrow(data)
  if (rlang::quo_is_null(quo)) return(rep(FALSE, n))
  expr <- rlang::quo_get_expr(quo)
  if (is.character(expr)) expr <- rlang::sym(resolve_column(data, quo, "total", call = call))
  val <- rlang::eval_tidy(expr, data = data, env = rlang::quo_get_env(quo))
  if (!is.logical(val) || length(val) != n) {
    cli::cli_abort(
      c("{.arg total} must give one logical value per row of {.arg data}.",
        "x" = "It gives {.obj_type_friendly {val}} of length {length(val)}, not {n}.",
        "i" = "Use a logical column or an expression such as {.code group == \"Total\"}."),
      call = call)
  }
  if (anyNA(val)) {
    cli::cli_abort(c("{.arg total} must not be missing.",
                     "x" = "{sum(is.na(val))} row{?s} {?is/are} {.val NA}: row{?s} {utils::head(which(is.na(val)), 5)}."),
                   call = call)
  }
  val
}

check_total_rows <- function(data, group, is_total, by,
                             call = rlang::caller_env()) {
  if (!any(is_total)) return(invisible())
  per <- tabulate(group[is_total], nbins = max(group))
  if (any(per > 1L)) {
    g <- which(per > 1L)[1]
    cli::cli_abort(
      c("{.arg total} marks more than one total row in a group.",
        "x" = "Rows {which(is_total & group == g)} are all totals{if (length(by)) ' of the same {.arg by} group' else ''}.",
        "i" = "Give {.arg by} so each group has one total row."),
      call = call)
  }
  invisible()
}

check_count_column <- function(x, col, call = rlang::caller_env()) {
  if (!is.numeric(x)) {
    cli::cli_abort(
      c("Count column {.field {col}} must be numeric.",
        "x" = "It is {.obj_type_friendly {x}}, e.g. {example_values(x)}."),
      call = call)
  }
  neg <- !is.na(x) & x < 0
  if (any(neg)) {
    cli::cli_abort(
      c("Count column {.field {col}} must not be negative.",
        "x" = "{sum(neg)} negative value{?s}: {example_values(x[neg])}."),
      call = call)
  }
  frac <- !is.na(x) & is.finite(x) & abs(x - round(x)) > 1e-8
  bad <- frac | (!is.na(x) & !is.finite(x))
  if (any(bad)) {
    cli::cli_abort(
      c("Count column {.field {col}} must hold whole numbers.",
        "x" = "{sum(bad)} value{?s} {?is/are} not: {example_values(x[bad])}.",
        "i" = "Disclose weighted totals through their unweighted counts."),
      call = call)
  }
  invisible()
}

check_derived_formulas <- function(f, call = rlang::caller_env()) {
  ok <- is.list(f) && length(f) > 0L && !is.null(names(f)) &&
    all(names(f) != "") &&
    all(vapply(f, function(e) rlang::is_formula(e, lhs = FALSE), TRUE))
  if (!ok) {
    cli::cli_abort(
      c("{.arg derived} as a list must hold named one-sided formulas.",
        "i" = "For example {.code list(rate = ~ 1000 * events / n)}."),
      call = call)
  }
  f
}

# Build the marked table, keeping the input's attributes and classes.
new_sdc_table <- function(cols, data, rule, log, n = nrow(data)) {
  keep <- attributes(data)
  keep <- keep[setdiff(names(keep), c("names", "row.names", "class",
                                      "sdc", "sdc_log", "sdc_structure"))]
  cls <- setdiff(class(data), c("mq_sdc", "tbl_df", "tbl", "data.frame"))
  out <- tibble::new_tibble(cols, nrow = n,
                            class = c("mq_sdc", cls))
  for (a in names(keep)) attr(out, a) <- keep[[a]]
  attr(out, "sdc") <- rule
  attr(out, "sdc_log") <- log
  out
}

# Header line(s) for printed tables.
sdc_header <- function(x) {
  rule <- attr(x, "sdc")
  if (!inherits(rule, "mq_disclosure_rule")) return(character())
  if (rule$preset == "none") {
    return(c(Disclosure = "!! DISCLOSURE CONTROL OFF !! (rule \"none\"): exact counts, not for release outside the SDE"))
  }
  log <- attr(x, "sdc_log")
  what <- if (!is.null(log) && nrow(log)) {
    agg <- tapply(log$n, factor(log$action, levels = unique(log$action)), sum)
    agg <- agg[!grepl("^computed from (released|original)|^key ", names(agg))]
    paste(paste0(names(agg), ": ", agg), collapse = ", ")
  } else {
    "nothing changed"
  }
  c(Disclosure = paste0(rule_name(rule), " (", describe_rule(rule), ")"),
    Applied = what)
}

#' @exportS3Method pillar::tbl_sum
tbl_sum.mq_sdc <- function(x, ...) {
  c(NextMethod(), sdc_header(x))
}
