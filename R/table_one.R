# Table 1: baseline characteristics by group (care model, CORE20PLUS group),
# with every count, percentage and summary released under the disclosure rule.

#' Baseline characteristics by group ("Table 1")
#'
#' Counts and percentages of each level of the categorical characteristics,
#' means, standard deviations, medians and quartiles of the continuous ones,
#' by the groups of `by` and overall, with standardised mean differences
#' between two groups, through the disclosure rule.
#'
#' @section Variables:
#' Factors, character and logical columns, and numeric columns whose only
#' values are 0 and 1, are categorical: every level gets a row (`TRUE` and
#' `FALSE` both, so that no count is left to be worked out as a complement).
#' Other numeric columns are continuous: one row with the non-missing count
#' and the mean, SD, median and quartiles (type 7, as [stats::quantile()]).
#' Missing values get a `"Missing"` row of their own for every variable.
#'
#' @section Disclosure:
#' The counts of each variable form a table of levels by groups whose
#' columns add up to the group sizes and whose rows add up to the overall
#' column: [apply_disclosure()] suppresses and rounds them with secondary
#' suppression along both margins (`margins = c(level, group)` within each
#' variable). Percentages are computed from the released counts and the
#' released group sizes (the `"N"` rows); means, SDs, medians and quartiles
#' are released to 3 significant figures and suppressed with their
#' non-missing count. The SMD is computed from released values only: for a
#' categorical level from the released percentages, for a continuous
#' variable from the released means and SDs. Under `"none"` everything is
#' exact (and marked).
#'
#' @section SMD:
#' With exactly two groups, the standardised mean difference of each level
#' or continuous variable between the second group and the first:
#' \eqn{(p_2 - p_1) / \sqrt{(p_1(1-p_1) + p_2(1-p_2))/2}} for a level's
#' proportions, \eqn{(m_2 - m_1) / \sqrt{(s_1^2 + s_2^2)/2}} for means (cobalt's
#' pooled SD convention, as `bal.tab(..., binary = "std", s.d.denom =
#' "pooled")`). `NA` with more than two groups.
#'
#' @param data A data frame (a cohort).
#' @param by The grouping column (bare name or string): a care model,
#'   CORE20PLUS group, or any categorical column. Missing values form a group
#'   `"Missing"`.
#' @param variables The characteristics: a character vector, `c(a, b)` or a
#'   one-sided formula `~ a + b`.
#' @param disclosure A disclosure rule (see [disclosure_rule()]), a preset
#'   name, or `NULL` for `getOption("matequity.disclosure", "nhse_sde")`.
#' @param overall Add an `"Overall"` group.
#' @returns A tibble of class `mq_table_one` (and `mq_sdc`), one row per
#'   variable, level and group: `variable`, `level`, `type`
#'   (`"categorical"`, `"continuous"`, `"missing"` or `"size"`), `group`,
#'   `n` and `n_sdc`, `group_n` (the released group size), `pct`, `mean`,
#'   `sd`, `median`, `q1`, `q3` and `smd`. `format()` gives the formatted
#'   wide table (one column per group: `"n (pct%)"`, `"mean (SD)"`,
#'   `"median [Q1, Q3]"`), which `print()` shows.
#' @examples
#' cohort <- define_cohort(msds_example)
#' cohort <- add_care_model(cohort, msds_example)
#' t1 <- table_one(cohort, coc_placed, ~ age + ethnic_group + core20 + nulliparous)
#' t1
#' @export
table_one <- function(data, by, variables, disclosure = NULL, overall = TRUE) {
  check_data_frame(data)
  rule <- resolve_disclosure(disclosure)
  by <- resolve_column(data, rlang::enquo(by), "by")
  vars <- resolve_columns(data, rlang::enquo(variables), "variables")
  if (!length(vars)) cli::cli_abort("{.arg variables} must name at least one column.")
  if (by %in% vars) cli::cli_abort("{.field {by}} cannot be both {.arg by} and a variable.")
  check_flag(overall)
  g <- data[[by]]
  g <- if (is.factor(g)) addNA(g, ifany = TRUE) else factor(as.character(g), exclude = NULL)
  levels(g)[is.na(levels(g))] <- "Missing"
  groups <- levels(g)
  if (overall) groups <- c(groups, "Overall")
  # every row is counted in its group, and in Overall
  in_group <- lapply(levels(g), function(l) which(g == l))
  if (overall) in_group <- c(in_group, list(seq_len(nrow(data))))
  parts <- c(list(table_one_size(in_group, groups)),
             lapply(vars, function(v) table_one_variable(data[[v]], v, in_group, groups)))
  tab <- tibble::as_tibble(do.call(rbind, parts))
  out <- table_one_release(tab, rule)
  out <- table_one_smd(out, groups[groups != "Overall"])
  attr(out, "table_one") <- list(by = by, variables = vars, groups = groups)
  class(out) <- unique(c("mq_table_one", class(out)))
  out
}

# The group sizes ("N" rows).
table_one_size <- function(in_group, groups) {
  table_one_rows("N", "", "size", groups, vapply(in_group, length, 0))
}

table_one_rows <- function(variable, level, type, groups, n, stats = NULL) {
  out <- data.frame(variable = variable, level = level, type = type,
                    group = groups, n = as.numeric(n), stringsAsFactors = FALSE)
  for (s in c("mean", "sd", "median", "q1", "q3")) {
    out[[s]] <- if (is.null(stats)) NA_real_ else stats[, s]
  }
  out
}

# Rows of one variable: a row per level (categorical) or one summary row
# (continuous), then a "Missing" row, each for every group.
table_one_variable <- function(x, name, in_group, groups, call = rlang::caller_env()) {
  miss <- is.na(x)
  binary01 <- is.numeric(x) && all(x[!miss] %in% c(0, 1))
  rows <- list()
  if (is.factor(x) || is.character(x) || is.logical(x) || binary01) {
    lv <- if (is.factor(x)) levels(droplevels(x[!miss])) else
      if (is.logical(x)) c("TRUE", "FALSE") else sort(unique(as.character(x[!miss])))
    xc <- as.character(x)
    for (l in lv) {
      n <- vapply(in_group, function(i) sum(xc[i] == l, na.rm = TRUE), 0)
      rows[[length(rows) + 1L]] <- table_one_rows(name, l, "categorical", groups, n)
    }
  } else if (is.numeric(x)) {
    x <- as.numeric(x)
    st <- t(vapply(in_group, function(i) {
      v <- x[i][!is.na(x[i])]
      if (!length(v)) return(c(n = 0, mean = NA, sd = NA, median = NA, q1 = NA, q3 = NA))
      q <- stats::quantile(v, c(0.5, 0.25, 0.75), names = FALSE, type = 7)
      c(n = length(v), mean = mean(v), sd = if (length(v) > 1L) stats::sd(v) else NA_real_,
        median = q[1], q1 = q[2], q3 = q[3])
    }, numeric(6)))
    rows[[1L]] <- table_one_rows(name, "", "continuous", groups, st[, "n"], st)
  } else {
    cli::cli_abort(c("Variable {.field {name}} must be categorical (factor, character, logical) or numeric.",
                     "x" = "It is {.obj_type_friendly {x}}."), call = call)
  }
  if (any(miss)) {
    n <- vapply(in_group, function(i) sum(miss[i]), 0)
    rows[[length(rows) + 1L]] <- table_one_rows(name, "Missing", "missing", groups, n)
  }
  do.call(rbind, rows)
}

# Counts through the rule: within each variable the levels (with the
# missing row) add up to the group sizes and the groups to Overall; the
# percentages from the released counts and group sizes; the summaries as
# estimates suppressed with their counts.
table_one_release <- function(tab, rule) {
  stats <- c("mean", "sd", "median", "q1", "q3")
  out <- apply_disclosure(tab, counts = "n", by = "variable", margins = c("level", "group"),
                          estimates = list(mean = ~ n, sd = ~ n, median = ~ n, q1 = ~ n, q3 = ~ n),
                          disclosure = rule)
  size <- out[out$variable == "N", ]
  out$group_n <- size$n[match(out$group, size$group)]
  out$pct <- ifelse(out$type %in% c("categorical", "missing") & !is.na(out$group_n) & out$group_n > 0,
                    100 * out$n / out$group_n, NA_real_)
  out <- log_columns(out, "group_n", "released count (the group's N row)")
  log_columns(out, "pct", if (rule$preset == "none") "computed from original counts"
              else "computed from released counts")
}

# SMDs between the two groups from the released percentages, means and SDs.
table_one_smd <- function(out, groups) {
  out$smd <- NA_real_
  rule <- attr(out, "sdc")
  if (length(groups) == 2L) {
    key <- paste(out$variable, out$level, sep = "\r")
    a <- out$group == groups[1]
    b <- out$group == groups[2]
    ia <- match(key, key[a]); ib <- match(key, key[b])
    va <- out[a, ][ia, ]; vb <- out[b, ][ib, ]
    cat_rows <- out$type %in% c("categorical", "missing")
    p1 <- va$pct / 100; p2 <- vb$pct / 100
    d_cat <- (p2 - p1) / sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2)
    d_con <- (vb$mean - va$mean) / sqrt((va$sd^2 + vb$sd^2) / 2)
    smd <- ifelse(cat_rows, d_cat, ifelse(out$type == "continuous", d_con, NA_real_))
    smd[!is.finite(smd)] <- NA_real_
    if (rule$preset != "none") smd <- signif(smd, 3)
    out$smd <- smd
  }
  log_columns(out, "smd", "computed from the released percentages, means and SDs")
}

#' @rdname table_one
#' @param x A table from `table_one()`.
#' @param digits Decimal places of the percentages in `format()`.
#' @param ... Unused.
#' @export
format.mq_table_one <- function(x, digits = 1, ...) {
  info <- attr(x, "table_one")
  f <- function(v, d = digits) ifelse(is.na(v), NA_character_, formatC(v, format = "f", digits = d, big.mark = ","))
  shown_n <- ifelse(is.na(x$n), "suppressed", formatC(x$n, format = "d", big.mark = ","))
  cell <- ifelse(x$type == "size", shown_n,
          ifelse(x$type == "continuous",
                 ifelse(is.na(x$mean), "suppressed",
                        paste0(signif(x$mean, 3), " (", signif(x$sd, 3), "); ",
                               signif(x$median, 3), " [", signif(x$q1, 3), ", ", signif(x$q3, 3), "]")),
                 ifelse(is.na(x$n), "suppressed", paste0(shown_n, " (", f(x$pct), "%)"))))
  key <- paste(x$variable, x$level, sep = "\r")
  rows <- unique(key)
  wide <- tibble::tibble(variable = x$variable[match(rows, key)],
                         level = x$level[match(rows, key)])
  wide$level[wide$level == "" & x$type[match(rows, key)] == "continuous"] <- "mean (SD); median [IQR]"
  for (gname in info$groups) {
    sel <- x$group == gname
    wide[[gname]] <- cell[sel][match(rows, key[sel])]
  }
  if (any(!is.na(x$smd))) {
    smd <- x$smd[match(rows, key)]
    wide$smd <- ifelse(is.na(smd), "", formatC(smd, format = "f", digits = 3))
  }
  wide
}

#' @rdname table_one
#' @export
print.mq_table_one <- function(x, ...) {
  info <- attr(x, "table_one")
  cat("Baseline characteristics by ", info$by, "\n", sep = "")
  hdr <- sdc_header(x)
  if (length(hdr)) cat(paste0(names(hdr), ": ", hdr), sep = "\n")
  print(as.data.frame(format(x)), row.names = FALSE, right = FALSE)
  invisible(x)
}
