# Output checking: what each output is, whether it passes the rule, and a
# checker-ready report written next to the files (in the spirit of ACRO's
# output-checking report). What is checked in each output is in
# R/check_outputs.R; the release log and differencing in R/release_log.R.

#' Check outputs before they leave the SDE
#'
#' Looks at each output and says whether it may be released under the rule:
#' `"pass"` (disclosed, every column accounted for, and any suppression
#' verified again: see "Suppressed cells"), `"review"` (suppression the
#' checker cannot verify, columns it cannot account for, or an output not
#' checkable automatically: an output checker should look at it, as ACRO
#' marks outputs), or `"fail"` (counts the rule does not allow,
#' a weaker rule, model checks failed, differencing with another table, or
#' disclosure control off). Nothing is taken on trust from the flags a table
#' carries: every released count is checked again.
#'
#' * Tables made by [apply_disclosure()] (class `mq_sdc`, or any data frame
#'   with its `"sdc"` attribute): every count column (one with a `_sdc` flag
#'   column) is checked again against `disclosure`: each released count is
#'   suppressed (`NA`), or at least the threshold and a multiple of the
#'   rounding base (`6k - 3` under midpoint-6 rounding), or the value small
#'   counts are shown as under a `show_as` rule; zeros only where the rule
#'   releases zeros. The rule the table was made under must not be weaker
#'   than `disclosure` (a lower threshold, no rounding or rounding to a base
#'   that is not a multiple of the rule's, zeros released, small counts shown
#'   rather than suppressed, no secondary suppression; `"none"` always
#'   fails). A count-like column
#'   (`n`, `events`, `births`, names starting `n_`, ending `_n` or containing
#'   `count`, ...) without its `_sdc` flag was added after disclosure and
#'   fails. Any other numeric column must be accounted for by the table's
#'   `"sdc_log"` attribute (derived columns: "suppressed with its counts",
#'   "computed from released counts"; estimates; keys, the classifications
#'   and parameters given to `apply_disclosure(keys = )` or used as its `by`
#'   and `margins`); one that is not makes the table one for review.
#' * Other data frames: count-like whole-number columns are checked as
#'   counts; counts the rule does not allow fail, otherwise the table is for
#'   review.
#' * ggplot objects: checked through their data (plot and layer data), and
#'   for layers drawn from data that were not disclosed, through the counts
#'   the layer's statistic computes (the bars of a histogram of individual
#'   records fail like a table of them).
#' * [estimate_effect()] fits: every group of a `by =` fit, each on the
#'   sample its estimate rests on ([disclosure_check_model()]): the matched
#'   units and matched pairs for matching, the units with non-zero weight and
#'   each arm's effective sample size for weighting estimators, and the
#'   residual degrees of freedom of that sample.
#' * Other model fits: every row of `glance()`'s `disclosure_status` and
#'   `disclosure_reason` when present; otherwise the residual degrees of
#'   freedom are checked and the fit is left for review.
#'
#' @section Suppressed cells:
#' A table with suppressed counts passes only when the checker can verify
#' again that no suppressed cell is given back by subtraction: from the
#' structure [apply_disclosure()] stores with the table (its `by` groups,
#' `margins` and total rows), every set of cells with a known total must
#' hold no suppressed cell or at least two, and a table with a single
#' suppressed cell is for review (its grand total, the cohort size say, may
#' be published elsewhere). A set holding exactly one suppressed cell
#' fails. A table whose rows were filtered, reordered or combined after
#' disclosure no longer matches its structure and is for review, as are
#' tables with dominance suppression.
#'
#' @section Differencing:
#' Tables released together, or one after another in the same R session
#' (see [release_log()]), can give back what each hides: a table by ethnic
#' group at all units and the same table at all units but one give that
#' unit's counts by subtraction; a table and its total give a suppressed
#' cell back. Each table is compared with the tables checked with it and
#' with every table in the session's release log, on their shared key
#' columns (non-count columns that vary) and count columns:
#' * with the same key columns, when one table holds the other's records and
#'   more (every cell at least as large, one certainly larger), each cell of
#'   their difference is a count of the records one has and the other has
#'   not;
#' * when one table's key columns are some of the other's, and each of its
#'   cells agrees with the sum of the other's cells with its key, a total
#'   minus the released cells gives a suppressed cell.
#'
#' A cell is recovered when subtraction gives it exactly (unrounded tables)
#' or within a window of fewer values than the threshold (counting the
#' rounding of every count used) and it may be small; both tables of such a
#' pair fail, with the cells named (not their values).
#'
#' @param ... Outputs, named (`rates = tab`), or one list of outputs. Unnamed
#'   outputs are named from their expressions. Outputs are tables, plots,
#'   model fits and other objects; a single string or number, a disclosure
#'   rule, or an output named like an argument (`rule`, `dir`, `path`, ...)
#'   is refused: it is a misplaced argument, not an output.
#' @param disclosure Rule to check against: a rule from [disclosure_rule()],
#'   a preset name, or `NULL` for the option's rule. It cannot be `"none"`.
#' @returns A tibble with one row per output and columns `output`, `type`
#'   (`"table"`, `"plot"`, `"model"`, `"other"`), `status` (`"pass"`,
#'   `"review"`, `"fail"`), `rule` (the rule the output was disclosed under,
#'   or `NA`) and `reason` (what failed, what was suppressed or rounded and
#'   why).
#' @seealso [export_outputs()], [apply_disclosure()], [release_log()].
#' @examples
#' tab <- data.frame(group = c("A", "B", "C"), n = c(40, 4, 25))
#' safe <- apply_disclosure(tab, n)
#' disclosure_check(safe = safe, raw = tab)
#' @export
disclosure_check <- function(..., disclosure = NULL) {
  outputs <- collect_outputs(...)
  rule <- check_rule_for_release(disclosure)
  check_all(outputs, rule)$check
}

check_rule_for_release <- function(disclosure, call = rlang::caller_env()) {
  rule <- resolve_disclosure(disclosure, arg = "disclosure", call = call)
  if (rule$preset == "none") {
    cli::cli_abort(c("{.arg disclosure} cannot be {.val none} when checking outputs.",
                     "i" = "Check against the rule of the SDE the outputs leave."),
                   call = call)
  }
  rule
}

# The check of each output, then differencing among them and against the
# release log. Returns the check table and each output's snapshot.
check_all <- function(outputs, rule) {
  rows <- lapply(names(outputs), function(nm) {
    res <- check_output(outputs[[nm]], rule)
    tibble::tibble(output = nm, type = res$type, status = res$status,
                   rule = res$rule, reason = res$reason)
  })
  if (!length(rows)) {
    empty <- tibble::tibble(output = character(), type = character(),
                            status = character(), rule = character(),
                            reason = character())
    return(list(check = empty, snapshots = list()))
  }
  check <- do.call(rbind, rows)
  snaps <- lapply(outputs, function(x) snapshot_table(output_table(x)))
  names(snaps) <- names(outputs)
  diffs <- differencing_reasons(snaps, rule$threshold)
  for (i in seq_along(diffs)) {
    if (!length(diffs[[i]])) next
    check$status[i] <- "fail"
    check$reason[i] <- paste(c(diffs[[i]], check$reason[i]), collapse = "; ")
  }
  list(check = check, snapshots = snaps)
}

#' Write outputs and an output-check report
#'
#' Checks every output ([disclosure_check()]), refuses to write anything if
#' one fails, then writes each output to `dir` - CSV for tables, PNG for
#' ggplot objects (ggplot2 is needed for those), CSV of `tidy()` for model
#' fits (text when there is no `tidy()` method), text for anything else -
#' and an output-check report, `disclosure_report.md` and
#' `disclosure_report.html`, listing every output with its file, status
#' (pass, review, fail) and what was suppressed or rounded and why, for the
#' SDE's output checkers. Suppressed cells are written as empty fields.
#' Every output written is added to the session's [release_log()], against
#' which later checks look for differencing.
#'
#' @section Refusals and overrides:
#' An output that fails the check (including any table made with
#' `disclosure = "none"`) stops the export with an error, and nothing is
#' written. Outputs for review are written: the SDE's output checker
#' decides. To release an output that fails (say the SDE's checker has
#' agreed to it), name it in `override` with the reason; the reason is
#' written into the report beside the output and kept in the release log.
#'
#' @inheritParams disclosure_check
#' @param dir Folder to write into (created if needed).
#' @param override Outputs to write although they fail the check: a named
#'   character vector, names the outputs and values the reasons, e.g.
#'   `c(unit_rates = "agreed with the SDE output checker, ticket 123")`.
#' @param overwrite Overwrite existing files of the same name?
#' @param width,height,res Size in inches and resolution of PNG files.
#' @returns The paths written, invisibly: a named character vector with one
#'   element per output and `report_md`, `report_html`.
#' @seealso [disclosure_check()], [release_log()].
#' @examples
#' tab <- data.frame(group = c("A", "B", "C"), n = c(40, 4, 25))
#' dir <- file.path(tempdir(), "mq-export-example")
#' paths <- export_outputs(counts = apply_disclosure(tab, n), dir = dir,
#'                         overwrite = TRUE)
#' basename(paths)
#' release_log()
#' @export
export_outputs <- function(..., dir, disclosure = NULL, override = NULL,
                           overwrite = FALSE, width = 7, height = 5, res = 150) {
  if (missing(dir)) cli::cli_abort("{.arg dir} is required.")
  check_string(dir)
  check_flag(overwrite)
  outputs <- collect_outputs(...)
  if (!length(outputs)) cli::cli_abort("There are no outputs to export.")
  rule <- check_rule_for_release(disclosure)
  check_rule_not_weaker(rule)
  override <- check_override(override, names(outputs))
  checked <- check_all(outputs, rule)
  check <- checked$check
  check$override <- unname(override[check$output])
  check$override[check$status != "fail"] <- NA_character_
  refused <- check$status == "fail" & is.na(check$override)
  if (any(refused)) {
    bullets <- stats::setNames(
      paste0(check$output[refused], ": ", vapply(check$reason[refused], shorten, "")),
      rep("x", sum(refused)))
    cli::cli_abort(c(
      "{sum(refused)} output{?s} fail{?s/} the disclosure check: nothing was written.",
      bullets,
      "i" = "Fix {cli::qty(sum(refused))}{?it/them} or leave {?it/them} out; to release an output that fails, name it in {.arg override} with the reason, e.g. {.code override = c({check$output[refused][1]} = \"agreed with the SDE output checker\")}."))
  }
  dir.create(dir, recursive = TRUE, showWarnings = FALSE)
  stems <- make.unique(gsub("[^A-Za-z0-9_.-]+", "_", names(outputs)), sep = "_")
  files <- character(length(outputs))
  for (i in seq_along(outputs)) {
    ext <- output_ext(check$type[i])
    if (check$type[i] == "model" && !has_tidy(outputs[[i]])) ext <- ".txt"
    files[i] <- file.path(dir, paste0(stems[i], ext))
  }
  names(files) <- names(outputs)
  reports <- c(report_md = file.path(dir, "disclosure_report.md"),
               report_html = file.path(dir, "disclosure_report.html"))
  exist <- file.exists(c(files, reports))
  if (any(exist) && !overwrite) {
    cli::cli_abort(
      c("{sum(exist)} file{?s} already exist{?s/} in {.path {dir}}.",
        "x" = "{.file {basename(c(files, reports)[exist])}}",
        "i" = "Use {.code overwrite = TRUE} or another {.arg dir}."))
  }
  for (i in seq_along(outputs)) {
    write_output(outputs[[i]], check$type[i], files[i], width, height, res)
  }
  check$file <- basename(files)
  n_log <- length(release_env$entries)
  writeLines(report_markdown(check, outputs, rule, dir, n_log), reports[["report_md"]])
  writeLines(report_html(check, outputs, rule, n_log), reports[["report_html"]])
  for (i in seq_along(outputs)) {
    log_release(check$output[i], check$type[i], normalizePath(files[i]),
                check$status[i], check$rule[i], rule,
                check$override[i], checked$snapshots[[i]])
  }
  n_fail <- sum(check$status == "fail")
  cli::cli_inform(c(
    "v" = "Wrote {length(outputs)} output{?s} and the output-check report to {.path {normalizePath(dir)}}.",
    "i" = "Status: {sum(check$status == 'pass')} pass, {sum(check$status == 'review')} review{if (n_fail) paste0(', ', n_fail, ' fail (released by override)') else ''}.",
    "!" = if (n_fail) "Released by override: {.val {check$output[check$status == 'fail']}}.",
    "i" = "Report: {.file {reports[['report_html']]}}"))
  invisible(c(files, reports))
}

shorten <- function(x, n = 300L) {
  if (nchar(x) <= n) x else paste0(substr(x, 1L, n - 3L), "...")
}

check_override <- function(override, outputs, call = rlang::caller_env()) {
  if (is.null(override)) return(stats::setNames(character(), character()))
  if (is.list(override) && all(vapply(override, function(v) is.character(v) && length(v) == 1L, TRUE))) {
    override <- unlist(override)
  }
  nm <- names(override)
  if (!is.character(override) || is.null(nm) || any(is.na(nm) | nm == "")) {
    cli::cli_abort(c(
      "{.arg override} must be a named character vector: output names and the reasons they may be released.",
      "i" = "For example {.code override = c(unit_rates = \"agreed with the SDE output checker\")}."),
      call = call)
  }
  blank <- is.na(override) | !nzchar(trimws(override))
  if (any(blank)) {
    cli::cli_abort(c("Every output in {.arg override} needs a reason.",
                     "x" = "No reason for {.val {nm[blank]}}."), call = call)
  }
  if (anyDuplicated(nm)) {
    cli::cli_abort(c("{.arg override} names an output more than once.",
                     "x" = "Repeated: {.val {unique(nm[duplicated(nm)])}}."), call = call)
  }
  unknown <- setdiff(nm, outputs)
  if (length(unknown)) {
    cli::cli_abort(c("{.arg override} names {cli::qty(length(unknown))}output{?s} that {?is/are} not being exported.",
                     "x" = "Unknown: {.val {unknown}}.",
                     "i" = "Outputs: {.val {outputs}}."), call = call)
  }
  override
}

# Names that are arguments of the checker and the writer (or were), or look
# like one: an output called this is a misplaced argument.
argument_like <- c("disclosure", "rule", "rules", "preset", "threshold", "rounding",
                   "dir", "directory", "folder", "path", "file", "override",
                   "overrides", "reason", "overwrite", "width", "height", "res", "dpi")

# Outputs from `...`: a named list (one unnamed list is taken as the list).
# Misplaced arguments are refused so they are never written out as files.
collect_outputs <- function(..., call = rlang::caller_env()) {
  quos <- rlang::enquos(...)
  dots <- list(...)
  nms <- names(quos)
  given <- nms %||% rep("", length(dots))
  if (length(dots) == 1L && given[1] == "") {
    one <- dots[[1]]
    if (is.list(one) && !is.data.frame(one) && !inherits(one, "gg") &&
        is.null(attr(one, "class"))) {
      if (!length(one)) return(list())
      nm <- names(one) %||% rep("", length(one))
      check_outputs_given(one, nm, call)
      nm[nm == ""] <- paste0("output_", which(nm == ""))
      names(one) <- nm
      return(one)
    }
  }
  check_outputs_given(dots, given, call)
  names(dots) <- names(rlang::quos_auto_name(quos))
  dup <- duplicated(names(dots))
  if (any(dup)) {
    cli::cli_abort(c("Outputs must have different names.",
                     "x" = "Repeated: {.val {unique(names(dots)[dup])}}."),
                   call = call)
  }
  dots
}

check_outputs_given <- function(outputs, given, call) {
  arg <- given != "" & tolower(given) %in% argument_like
  if (any(arg)) {
    a <- given[arg][1]
    cli::cli_abort(c(
      "{.arg {a}} is not an output: it looks like an argument.",
      "i" = "The rule to check against is {.arg disclosure}, the folder {.arg dir}, outputs released despite failing {.arg override}.",
      "i" = "To export a table called {.val {a}}, give it another name.",
      "x" = "Nothing was checked or written."), call = call)
  }
  for (i in seq_along(outputs)) {
    x <- outputs[[i]]
    what <- not_an_output(x)
    if (is.null(what)) next
    label <- if (given[i] != "") given[i] else paste0("output ", i)
    cli::cli_abort(c(
      "{.val {label}} is not an output: {what} would be written out as a file.",
      "i" = "Outputs are tables, plots and model fits. A number belongs in a table disclosed with {.fn apply_disclosure}.",
      "i" = "Is it a misspelt or misplaced argument? The rule to check against is {.arg disclosure}.",
      "x" = "Nothing was checked or written."), call = call)
  }
  invisible()
}

not_an_output <- function(x) {
  if (is.null(x)) return("NULL")
  if (inherits(x, "mq_disclosure_rule")) return("a disclosure rule")
  if (is.function(x)) return("a function")
  if (is.environment(x)) return("an environment")
  if (is.atomic(x) && is.null(dim(x)) && length(x) <= 1L) {
    return(if (is.character(x)) "a single string" else "a single value")
  }
  NULL
}

has_tidy <- function(x) {
  is.data.frame(tryCatch(generics::tidy(x), error = function(e) NULL))
}

output_ext <- function(type) {
  switch(type, table = ".csv", plot = ".png", model = ".csv", ".txt")
}

write_output <- function(x, type, file, width, height, res) {
  if (type == "table") {
    write_csv_table(x, file)
  } else if (type == "plot") {
    rlang::check_installed("ggplot2", reason = "to write plots.")
    cairo <- isTRUE(capabilities("cairo"))
    grDevices::png(file, width = width, height = height, units = "in",
                   res = res, type = if (cairo) "cairo" else "Xlib")
    on.exit(grDevices::dev.off(), add = TRUE)
    print(x)
  } else if (type == "model") {
    td <- tryCatch(generics::tidy(x), error = function(e) NULL)
    if (is.data.frame(td)) {
      write_csv_table(td, file)
    } else {
      writeLines(utils::capture.output(print(x)), file)
    }
  } else {
    writeLines(utils::capture.output(print(x)), file)
  }
  invisible(file)
}

write_csv_table <- function(x, file) {
  x <- as.data.frame(x)
  for (nm in names(x)) {
    if (is.list(x[[nm]])) {
      x[[nm]] <- vapply(x[[nm]], function(e) paste(format(e), collapse = "; "), "")
    }
  }
  utils::write.csv(x, file, row.names = FALSE, na = "")
}
