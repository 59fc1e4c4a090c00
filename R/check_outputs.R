# What disclosure_check() does to one output: tables have every count
# column verified again against the rule being checked (not trusted from
# their flags), the rule they were made under compared with it, and every
# numeric column accounted for; plots are checked through their data and
# through what their layers count; model fits on the sample each estimate
# rests on, group by group.

# Status of one output: list(type, status, rule, reason).
check_output <- function(x, rule) {
  if (inherits(x, "ggplot")) return(check_plot(x, rule))
  if (is.data.frame(x)) return(c(type = "table", check_table(x, rule)))
  if (inherits(x, "mq_effect")) return(check_effect(x, rule))
  if (inherits(x, "summary.mq_effect") && inherits(x$fit, "mq_effect")) {
    return(check_effect(x$fit, rule))
  }
  g <- tryCatch(generics::glance(x), error = function(e) NULL)
  if (is.data.frame(g) || !is.null(tryCatch(stats::df.residual(x), error = function(e) NULL))) {
    return(check_model(x, g, rule))
  }
  list(type = "other", status = "review", rule = NA_character_,
       reason = paste0("a ", class(x)[1], " object: not checked automatically"))
}

worst_status <- function(status) {
  status <- status[!is.na(status)]
  if (!length(status)) return("review")
  c("fail", "review", "pass")[min(match(status, c("fail", "review", "pass")))]
}

# ---- tables -------------------------------------------------------------

# The rule a table says it was disclosed under (the "sdc" attribute), or
# NULL. ggplot keeps attributes but not the class, so the class is not needed.
table_rule <- function(x) {
  r <- attr(x, "sdc", exact = TRUE)
  if (inherits(r, "mq_disclosure_rule")) r else NULL
}

# Count columns of a disclosed table: columns with a `<col>_sdc` flag
# column (of any type: a count written as text is still a count).
disclosed_counts <- function(x) {
  flags <- grep("_sdc$", names(x), value = TRUE)
  intersect(sub("_sdc$", "", flags), names(x))
}

# A column as numbers: numeric columns, and text or factors whose every value
# reads as a number (a CSV writes "12" as it writes 12); NULL otherwise.
as_numbers <- function(v) {
  if (is.numeric(v)) return(as.numeric(v))
  if (!is.character(v) && !is.factor(v)) return(NULL)
  v <- as.character(v)
  p <- suppressWarnings(as.numeric(v))
  if (!any(!is.na(v)) || any(is.na(p) & !is.na(v))) return(NULL)
  p
}

number_like <- function(v) !is.null(as_numbers(v))

# Columns the table's sdc log accounts for: derived columns ("suppressed with
# its counts", "computed from released counts"), estimates and magnitudes,
# and anything else apply_disclosure() recorded for a column.
logged_columns <- function(x) {
  log <- attr(x, "sdc_log", exact = TRUE)
  if (!is.data.frame(log) || !"column" %in% names(log)) return(character())
  unique(as.character(log$column))
}

whole_numbers <- function(v) {
  v <- as_numbers(v)
  !is.null(v) && all(is.na(v) | (is.finite(v) & abs(v - round(v)) < 1e-8))
}

check_table <- function(x, rule) {
  sdc <- table_rule(x)
  if (is.null(sdc)) return(check_raw_table(x, rule))
  if (sdc$preset == "none") {
    return(list(status = "fail", rule = "none",
                reason = "disclosure control off (rule none): exact counts"))
  }
  why <- paste0(rule_name(sdc), " (", describe_rule(sdc), "): ")
  fails <- character()
  weaker <- rule_weaker(sdc, rule)
  if (length(weaker)) {
    fails <- c(fails, paste0("made under a weaker rule than ", rule_name(rule), ": ",
                             paste(weaker, collapse = ", ")))
  }
  counts <- disclosed_counts(x)
  for (col in counts) {
    fails <- c(fails, verify_counts(x[[col]], rule, col, flag = x[[paste0(col, "_sdc")]]))
  }
  # Columns added after disclosure: a count-like column with no flag, and
  # numeric columns that are neither disclosed counts nor logged as derived.
  logged <- logged_columns(x)
  numeric_cols <- names(x)[vapply(x, number_like, TRUE)]
  other <- setdiff(numeric_cols, c(counts, logged))
  added <- other[count_like(other)]
  for (col in added) {
    bad <- verify_counts(x[[col]], rule, col)
    fails <- c(fails, paste0(col, ": count-like column with no ", col,
                             "_sdc flag (added after disclosure?)",
                             if (length(bad)) paste0("; ", sub("^[^:]*: ", "", bad))))
  }
  unaccounted <- setdiff(other, added)
  log <- attr(x, "sdc_log", exact = TRUE)
  done <- describe_log(log)
  if (length(fails)) {
    return(list(status = "fail", rule = rule_name(sdc),
                reason = paste0(paste(fails, collapse = "; "), "; ", why, done)))
  }
  notes <- list_columns_note(x, logged)
  if (length(unaccounted)) {
    notes <- c(notes, paste0("numeric column", if (length(unaccounted) > 1L) "s", " ",
                    paste(unaccounted, collapse = ", "),
                    " not accounted for (neither a disclosed count with a _sdc flag nor a derived column in the sdc log): check by hand"))
  }
  # cells suppressed by the rule: the count flags say so (estimates logged
  # as "suppressed with its counts" are not suppressions of their own)
  flagged <- any(vapply(counts, function(col) any(grepl("suppress", x[[paste0(col, "_sdc")]])), TRUE))
  other <- is.data.frame(log) && nrow(log) &&
    any(grepl("dominance|rule expects rounded", log$action) & log$n > 0)
  supp <- flagged || other
  if (supp) {
    # suppressed cells pass when no subtraction within the table's own
    # margins gives one back (verified again here); otherwise for review
    sec <- verify_secondary(x, counts)
    if (length(sec$fail)) {
      return(list(status = "fail", rule = rule_name(sdc),
                  reason = paste0(paste(sec$fail, collapse = "; "), "; ", why, done)))
    }
    if (!sec$verified || other || length(notes)) {
      notes <- c(notes, paste0("suppressed cells: ", sec$why))
    } else {
      return(list(status = "pass", rule = rule_name(sdc),
                  reason = paste0("suppressed cells: ", sec$why, "; ", why, done)))
    }
  }
  status <- if (length(notes)) "review" else "pass"
  list(status = status, rule = rule_name(sdc),
       reason = paste0(paste(c(notes, ""), collapse = "; "), why, done))
}

# Secondary suppression verified again from the structure apply_disclosure()
# stored with the table (its `by`, `margins` and total rows): no set of cells
# with a known total may hold exactly one suppressed cell. Returns
# list(verified, fail, why): `verified` FALSE when the structure is missing
# or the rows no longer match it (reordered, filtered, combined).
verify_secondary <- function(x, counts) {
  st <- attr(x, "sdc_structure", exact = TRUE)
  cols <- c(st$by, st$margins)
  usable <- is.list(st) && all(cols %in% names(x)) && length(st$total) == nrow(x) &&
    identical(st$fingerprint, row_fingerprint(x, cols))
  if (!usable) {
    return(list(verified = FALSE, fail = character(),
                why = "the table's margins are not known to the checker (made or changed outside apply_disclosure()): check that no suppressed cell can be recovered by subtraction"))
  }
  group <- row_groups(x, st$by)
  margin_groups <- lapply(st$margins, function(m) row_groups(x, c(st$by, setdiff(st$margins, m))))
  sets <- known_total_sets(nrow(x), group, st$total, isTRUE(st$known_total), margin_groups,
                           list(secondary = st$secondary), recalc = st$recalc && any(st$total))
  fail <- character()
  for (col in counts) {
    flag <- x[[paste0(col, "_sdc")]]
    sup <- grepl("suppress", flag)
    if (!any(sup)) next
    bad <- recoverable_sets(sets, sup, as_numbers(x[[col]]))
    if (length(bad)) {
      fail <- c(fail, paste0(col, ": ", length(bad), " suppressed cell", if (length(bad) > 1L) "s",
                             " recoverable by subtraction from the cells and totals of the table"))
    }
  }
  # the grand total of a count is often published elsewhere (the cohort
  # size): a table with a single suppressed cell is not passed on its own
  single <- counts[vapply(counts, function(col) {
    sum(grepl("suppress", x[[paste0(col, "_sdc")]])[!st$total]) == 1L
  }, TRUE)]
  if (!length(fail) && length(single)) {
    return(list(verified = FALSE, fail = character(),
                why = paste0("one suppressed cell in ", paste(single, collapse = ", "),
                             ": the table's grand total, if published elsewhere (the cohort size, say), gives it back: check by hand")))
  }
  n_known <- sum(vapply(sets, function(st) st$known || length(st$tot) == 1L, TRUE))
  list(verified = TRUE, fail = fail,
       why = paste0("no suppressed cell recoverable by subtraction ",
                    if (n_known) paste0("within the ", n_known, " set", if (n_known > 1L) "s",
                                        " of cells with a known total (verified again)")
                    else "(the table declares no totals or margins; verified)"))
}

# A table apply_disclosure() has not seen: its count-like whole-number
# columns are verified against the rule; if they pass it is for review.
check_raw_table <- function(x, rule) {
  cand <- names(x)[vapply(x, whole_numbers, TRUE) & count_like(names(x))]
  fails <- unlist(lapply(cand, function(col) verify_counts(x[[col]], rule, col)))
  if (length(fails)) {
    return(list(status = "fail", rule = NA_character_,
                reason = paste0(paste(fails, collapse = "; "),
                                "; not disclosed (use apply_disclosure())")))
  }
  list(status = "review", rule = NA_character_,
       reason = paste(c(list_columns_note(x),
                        paste0("not disclosed by apply_disclosure(): check by hand",
                               if (length(cand)) paste0(" (count-like columns ",
                                                        paste(cand, collapse = ", "),
                                                        " hold only counts the rule allows)"))),
                      collapse = "; "))
}

# List-columns hold several values per cell (written out joined by "; "):
# individual values, unless the sdc log says what they are.
list_columns_note <- function(x, logged = character()) {
  lc <- setdiff(names(x)[vapply(x, is.list, TRUE)], logged)
  if (!length(lc)) return(character())
  paste0("list-column", if (length(lc) > 1L) "s", " ", paste(lc, collapse = ", "),
         " hold", if (length(lc) == 1L) "s", " several values per cell: check by hand")
}

# The smallest value a count at the threshold is released as.
min_released <- function(rule) {
  th <- rule$threshold
  if (rule$rounding_method == "midpoint6") return(6 * ceiling(th / 6) - 3)
  if (rule$rounding > 0) return(floor(th / rule$rounding + 0.5) * rule$rounding)
  th
}

# What is wrong with the released values of one count column under `rule`:
# one string per kind of problem (empty when none). `flag` is the column's
# `_sdc` flag column when there is one.
verify_counts <- function(v, rule, col, flag = NULL) {
  v <- as_numbers(v)
  if (is.null(v)) return(paste0(col, ": not numbers"))
  out <- character()
  say <- function(bad, what) {
    if (!any(bad)) return(character())
    k <- sum(bad)
    paste0(col, ": ", k, " count", if (k > 1L) "s", " ", what, " (",
           paste(utils::head(unique(v[bad]), 5), collapse = ", "),
           if (length(unique(v[bad])) > 5) ", ...", ")")
  }
  ok <- !is.na(v)
  frac <- ok & (!is.finite(v) | abs(v - round(v)) > 1e-8)
  out <- c(out, say(frac, "not whole numbers"), say(ok & v < 0, "negative"))
  ok <- ok & !frac & v >= 0
  shown <- ok & rule$small == "show_as" & v == rule$small_value
  zero_ok <- rule$zero == "exact"
  small <- ok & !shown & v < min_released(rule) & !(zero_ok & v == 0)
  out <- c(out, say(small, paste0("under ", rule$threshold, " released")))
  big <- ok & !shown & !small & v > 0
  if (rule$rounding_method == "midpoint6") {
    out <- c(out, say(big & (v + 3) %% 6 != 0, "not midpoint-6 rounded (6k - 3)"))
  } else if (rule$rounding > 0) {
    out <- c(out, say(big & v %% rule$rounding != 0,
                      paste0("not a multiple of ", rule$rounding)))
  }
  if (is.character(flag) && length(flag) == length(v)) {
    lie <- !is.na(v) & grepl("suppress", flag)
    if (any(lie)) {
      out <- c(out, paste0(col, ": ", sum(lie), " value", if (sum(lie) > 1L) "s",
                           " released where the flag says suppressed"))
    }
  }
  out
}

# Ways in which rule `made` (a table's) is weaker than rule `check`.
rule_weaker <- function(made, check) {
  out <- character()
  if (made$threshold < check$threshold) {
    out <- c(out, paste0("threshold ", made$threshold, " < ", check$threshold))
  }
  if (check$rounding_method == "midpoint6") {
    if (made$rounding_method != "midpoint6") out <- c(out, "not midpoint-6 rounded")
  } else if (check$rounding > 0) {
    if (made$rounding_method == "midpoint6") {
      out <- c(out, paste0("midpoint-6 rounded, not to multiples of ", check$rounding))
    } else if (made$rounding == 0) {
      out <- c(out, paste0("not rounded (the rule rounds to ", check$rounding, ")"))
    } else if (made$rounding %% check$rounding != 0) {
      out <- c(out, paste0("rounded to ", made$rounding, ", not a multiple of ",
                           check$rounding))
    }
  }
  if (check$zero == "small" && made$zero == "exact") out <- c(out, "zeros released")
  if (check$small == "suppress" && made$small == "show_as") {
    out <- c(out, paste0("small counts shown as ", made$small_value, ", not suppressed"))
  }
  if (check$secondary && !made$secondary && made$small == "suppress") {
    out <- c(out, "no secondary suppression")
  }
  out
}

# "n: 1 suppressed (<10), 2 rounded to 5; rate: 1 suppressed with its counts"
describe_log <- function(log) {
  if (is.data.frame(log) && nrow(log)) log <- log[log$n > 0, , drop = FALSE]
  if (!is.data.frame(log) || !nrow(log)) return("nothing suppressed or rounded")
  cols <- unique(log$column)
  paste(vapply(cols, function(cl) {
    l <- log[log$column == cl, ]
    paste0(cl, ": ", paste(paste(l$n, l$action), collapse = ", "))
  }, ""), collapse = "; ")
}

count_like <- function(nm) {
  grepl("^(n|count|counts|events|cases|births|deliveries|women|babies|freq|total)$|^n_|_n$|count",
        nm, ignore.case = TRUE)
}

# ---- plots --------------------------------------------------------------

# A plot is checked through its data (the plot's and each layer's), and,
# for layers drawn from data that were not disclosed, through the counts
# its statistics compute (bars of a histogram of individual records).
check_plot <- function(p, rule) {
  # reference lines (geom_hline() and friends) hold their positions as
  # layer data: parameters of the plot, not data to check
  lines <- vapply(p$layers, function(l) {
    inherits(l$geom, c("GeomHline", "GeomVline", "GeomAbline"))
  }, TRUE)
  datas <- c(list(p$data), lapply(p$layers[!lines], function(l) l$data))
  datas <- Filter(is.data.frame, datas)
  res <- lapply(datas, check_table, rule = rule)
  built <- check_plot_stats(p, rule)
  if (!is.null(built)) res <- c(res, list(built))
  if (!length(res)) {
    return(list(type = "plot", status = "review", rule = NA_character_,
                reason = "plot has no data to check"))
  }
  status <- vapply(res, `[[`, "", "status")
  rules <- unique(stats::na.omit(vapply(res, `[[`, "", "rule")))
  list(type = "plot", status = worst_status(status),
       rule = if (length(rules)) paste(rules, collapse = ", ") else NA_character_,
       reason = paste0("plot data: ", paste(unique(vapply(res, `[[`, "", "reason")),
                                            collapse = " | ")))
}

check_plot_stats <- function(p, rule) {
  if (!requireNamespace("ggplot2", quietly = TRUE)) return(NULL)
  b <- tryCatch(suppressWarnings(suppressMessages(ggplot2::ggplot_build(p))),
                error = function(e) NULL)
  if (is.null(b)) return(NULL)
  fails <- character()
  for (i in seq_along(p$layers)) {
    layer <- p$layers[[i]]
    if (inherits(layer$stat, "StatIdentity")) next
    src <- if (is.data.frame(layer$data)) layer$data else p$data
    if (is.data.frame(src) && !is.null(table_rule(src))) next
    d <- b$data[[i]]
    cols <- intersect(c("count", "n"), names(d))
    stat <- tolower(sub("^Stat", "", class(layer$stat)[1]))
    for (col in cols) {
      bad <- verify_counts(d[[col]], rule, col)
      if (length(bad)) {
        fails <- c(fails, paste0("layer ", i, " (stat_", stat, ") counts records: ",
                                 paste(bad, collapse = "; ")))
      }
    }
  }
  if (!length(fails)) return(NULL)
  list(status = "fail", rule = NA_character_, reason = paste(fails, collapse = "; "))
}

# ---- models -------------------------------------------------------------

# An estimate_effect() fit: every group, each on the sample its estimate
# rests on (units with non-zero weight: the matched units for matching, the
# units left after trimming), with the effective sample size of each arm for
# weighting estimators and the matched pairs for matching.
check_effect <- function(x, rule) {
  groups <- x$groups
  res <- lapply(names(groups), function(g) effect_group_check(groups[[g]], x, rule))
  status <- vapply(res, `[[`, "", "status")
  label <- if (is.null(x$by_name)) "" else paste0("group ", names(groups), ": ")
  reason <- paste0(label, vapply(res, `[[`, "", "reason"))
  # a check the fit reports itself (glance()) counts too when it is worse
  g <- tryCatch(suppressWarnings(generics::glance(x)), error = function(e) NULL)
  own <- glance_status(g)
  lv <- c("fail", "review", "pass")
  if (!is.null(own) && match(own$status, lv) < match(worst_status(status), lv)) {
    status <- c(status, own$status)
    reason <- c(reason, paste0("the fit's own check: ", own$reason))
  }
  # failures first, so the reason says what is wrong before what is not
  reason <- reason[order(match(status, lv))]
  list(type = "model", status = worst_status(status), rule = NA_character_,
       reason = paste(reason, collapse = "; "))
}

effect_group_check <- function(f, x, rule) {
  # a multi-category treatment: cells per level and outcome (effect_multi.R)
  if (!is.null(x$levels)) return(model_disclosure_multi(f, x, rule))
  binary <- identical(x$outcome_type, "binary")
  # the counts stored at fit time (fit_one_group(): sample_counts())
  s <- group_sample(f, binary)
  weighted <- !x$method %in% "gcomp" && (!is.null(f$sample) || length(f$weights) == length(f$treat))
  u <- if (weighted) s$units_used else s$units
  ev <- if (weighted) s$events_used else s$events
  cells <- numeric()
  if (identical(x$method, "matching") && !is.null(f$matched$n_matched)) {
    nm <- f$matched$n_matched
    cells <- c(matched_treated = unname(nm[["treated"]]),
               matched_control = unname(nm[["control"]]))
  }
  if (binary) {
    cells <- c(cells,
               treated_events = ev[["treated"]],
               treated_non_events = u[["treated"]] - ev[["treated"]],
               control_events = ev[["control"]],
               control_non_events = u[["control"]] - ev[["control"]])
  } else {
    cells <- c(cells, treated = u[["treated"]], control = u[["control"]])
  }
  ess_arm <- if (weighted) s$ess
  disclosure_check_model(cells, sum(u) - group_p(f), rule, ess = ess_arm)
}

# The worst status a glance() table reports, with its reasons (one per row,
# labelled by group when there is a group column).
glance_status <- function(g) {
  if (!is.data.frame(g) || !"disclosure_status" %in% names(g) || !nrow(g)) return(NULL)
  st <- as.character(g$disclosure_status)
  st[!st %in% c("pass", "review", "fail")] <- "review"
  reason <- if ("disclosure_reason" %in% names(g)) as.character(g$disclosure_reason) else rep("", nrow(g))
  if ("group" %in% names(g) && nrow(g) > 1L) reason <- paste0(g$group, ": ", reason)
  worst <- worst_status(st)
  keep <- st == worst
  list(status = worst, reason = paste(unique(reason[keep]), collapse = "; "))
}

check_model <- function(x, g, rule) {
  own <- glance_status(g)
  if (!is.null(own)) {
    return(list(type = "model", status = own$status, rule = NA_character_,
                reason = own$reason))
  }
  df <- tryCatch(stats::df.residual(x), error = function(e) NULL)
  if (is.null(df) && is.data.frame(g) && "df.residual" %in% names(g)) df <- g$df.residual[1]
  if (is.numeric(df) && length(df) == 1L && !is.na(df)) {
    if (df < rule$min_df) {
      return(list(type = "model", status = "fail", rule = NA_character_,
                  reason = paste0("residual df under ", rule$min_df)))
    }
    return(list(type = "model", status = "review", rule = NA_character_,
                reason = paste0("residual df >= ", rule$min_df,
                                "; cell counts not known: check by hand")))
  }
  list(type = "model", status = "review", rule = NA_character_,
       reason = "no disclosure check reported by glance(): check by hand")
}
