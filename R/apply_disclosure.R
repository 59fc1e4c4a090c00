# Applying a disclosure rule to a table: primary suppression (or showing
# small counts as a fixed value), secondary suppression within groups with a
# known total, recalculated totals, rounding, suppression carried to derived
# columns, flag columns and the "mq_sdc" mark.

#' Apply a disclosure rule to a table of counts
#'
#' Suppresses or perturbs the small counts in `counts`, rounds the others,
#' suppresses derived columns (rates, intervals, indices) in rows where a
#' count was suppressed, applies secondary suppression so that a total never
#' reveals a suppressed cell, adds a flag column per count column saying what
#' was done and why, and marks the result so it prints which rule was applied.
#' Every matequity function that returns counts calls this; use it directly on
#' tables you make yourself.
#'
#' @section Secondary suppression:
#' Rows are grouped by `by` (the whole table is one group when `by` is
#' `NULL`). A group has a known total when it contains a total row (marked by
#' `total`), or, without a total row, when `by` is given (the rows of a `by`
#' group are taken to partition a margin published elsewhere). When exactly
#' one cell of a group with a known total is suppressed, the next smallest
#' cell (by its true value) is suppressed too, or the total row when there is
#' no other cell. Under `"opensafely"` a total row is instead recalculated
#' from the cells left after redaction, then rounded. One level of totals is
#' handled; for nested margins call `apply_disclosure()` per level.
#'
#' @section Applying twice:
#' Count columns that already carry a flag column from the same rule are left
#' as they are (so nothing is rounded twice); applying a different rule to an
#' already-disclosed column is an error: apply it to the original table.
#'
#' @param data A data frame.
#' @param counts Count columns (non-negative whole numbers): a character
#'   vector, `c(a, b)` or `~ a + b`.
#' @param derived Columns computed from the counts, suppressed in rows where
#'   any count was suppressed: column names as for `counts`, or a named list of
#'   one-sided formulas (`list(rate = ~ 1000 * events / n)`) that are
#'   (re)computed - from the released counts when the rule says rates come
#'   from rounded figures (`"opensafely"`, `"nhsd_maternity"`), otherwise from
#'   the original counts.
#' @param rule A rule from [disclosure_rule()], a preset name, or `NULL` for
#'   `getOption("matequity.disclosure", "nhse_sde")`.
#' @param by Grouping columns within which cells add up to a known total.
#' @param total Marks total rows: a logical column (bare name or string) or
#'   an expression evaluated in `data`, e.g. `group == "Total"`. At most one
#'   total row per `by` group.
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
#' tab$rate <- 1000 * tab$stillbirths / tab$births
#' apply_disclosure(tab, counts = c(births, stillbirths), derived = rate,
#'                  total = group == "Total")
#' apply_disclosure(tab, counts = c(births, stillbirths),
#'                  derived = list(rate = ~ 1000 * stillbirths / births),
#'                  rule = "nhsd_maternity")
#' apply_disclosure(tab, counts = births, rule = "none")
#' @export
apply_disclosure <- function(data, counts, derived = NULL, rule = NULL,
                             by = NULL, total = NULL, contributors = NULL) {
  check_data_frame(data)
  rule <- resolve_disclosure(rule, arg = "rule")
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
  is_total <- resolve_total_rows(data, rlang::enquo(total))
  clash <- intersect(derived, counts)
  if (length(clash)) {
    cli::cli_abort(c("Columns cannot be both counts and derived.",
                     "x" = "In both {.arg counts} and {.arg derived}: {.field {clash}}."))
  }
  for (col in counts) check_count_column(data[[col]], col)
  contrib <- resolve_column(data, rlang::enquo(contributors), "contributors",
                            required = FALSE)

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
  row_suppressed <- rep(FALSE, n)
  for (col in done) {
    row_suppressed <- row_suppressed | grepl("suppress", data[[paste0(col, "_sdc")]])
  }
  released <- list()
  flags <- list()
  log <- list()
  for (col in setdiff(counts, done)) {
    res <- disclose_column(data[[col]], rule, group, is_total,
                           has_by = length(by) > 0L)
    released[[col]] <- res$value
    flags[[col]] <- res$flag
    row_suppressed <- row_suppressed | res$suppressed
    log[[col]] <- flag_log(col, res$flag)
  }

  dominance <- NULL
  if (!is.null(contrib)) {
    dominance <- dominance_flags(data[[contrib]], rule, contrib)
    row_suppressed <- row_suppressed | dominance != ""
    log[[".dominance"]] <- flag_log("dominance", dominance)
  }
  out <- as.list(data)
  for (col in names(released)) out[[col]] <- released[[col]]
  rates_note <- FALSE
  if (!is.null(formulas)) {
    mask <- if (rule$rates_from_rounded) out else as.list(data)
    for (d in derived) {
      val <- rlang::eval_tidy(rlang::f_rhs(formulas[[d]]), data = mask,
                              env = rlang::f_env(formulas[[d]]))
      if (length(val) == 1L) val <- rep(val, n)
      if (length(val) != n) {
        cli::cli_abort(c("Formula for derived column {.field {d}} gives {length(val)} value{?s}.",
                         "x" = "It must give one per row ({n})."))
      }
      out[[d]] <- val
    }
  } else if (length(derived) && rule$rates_from_rounded) {
    rates_note <- TRUE
  }
  n_derived <- integer()
  for (d in derived) {
    n_derived[d] <- sum(row_suppressed & !is.na(out[[d]]))
    if (any(row_suppressed)) out[[d]][row_suppressed] <- NA
  }
  if (length(derived)) {
    log[[".derived"]] <- tibble::tibble(
      column = derived, action = "suppressed with its counts",
      n = unname(n_derived))
    if (!is.null(formulas)) {
      log[[".derived_re"]] <- tibble::tibble(
        column = derived,
        action = if (rule$rates_from_rounded) "computed from released counts" else "computed from original counts",
        n = n)
    }
    if (rates_note) {
      log[[".derived_note"]] <- tibble::tibble(
        column = derived,
        action = "computed from unrounded counts (rule expects rounded)",
        n = n)
    }
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
  log <- rbind_log(c(list(attr(data, "sdc_log")), unname(log)))
  log <- log[log$n > 0L & (!duplicated(log) | !grepl("^computed", log$action)), ]
  new_sdc_table(out[order], data, rule, log = log)
}

# What happens to one count column. Returns the released values, the flags
# and which rows were suppressed.
disclose_column <- function(x, rule, group, is_total, has_by) {
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
  if (rule$small == "suppress") {
    for (g in unique(group)) {
      rows <- which(group == g)
      cells <- rows[!is_total[rows]]
      tot <- rows[is_total[rows]]
      if (length(tot) == 1L && rule$totals == "recalculate") {
        if (any(sup[cells])) {
          value[tot] <- sum(x[cells][!sup[cells]], na.rm = TRUE)
          flag[tot] <- "total recalculated from released cells"
          if (is_small(value[tot], rule)) {
            sup[tot] <- TRUE
            flag[tot] <- paste0(flag[tot], "; suppressed (<",
                                rule$threshold, ")")
          }
        }
        next
      }
      known <- (length(tot) == 1L && !sup[tot] && !is.na(x[tot])) ||
        (length(tot) == 0L && has_by)
      if (!rule$secondary || !known || sum(sup[cells]) != 1L) next
      cand <- cells[!sup[cells] & !is.na(x[cells])]
      pick <- if (length(cand)) cand[which.min(x[cand])] else tot
      if (length(pick)) {
        sup[pick] <- TRUE
        flag[pick] <- "secondary suppression"
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
                                      "sdc", "sdc_log"))]
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
    agg <- agg[!grepl("^computed from (released|original)", names(agg))]
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
