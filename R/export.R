# Output checking: what each output is, whether it passes the rule, and a
# checker-ready report written next to the files (in the spirit of ACRO's
# output-checking report).

#' Check outputs before they leave the SDE
#'
#' Looks at each output and says whether it may be released under the rule:
#' `"pass"` (disclosed, nothing suppressed), `"review"` (disclosed with
#' suppression, derived values from unrounded counts where the rule wants
#' rounded ones, or not checkable automatically: an output checker should look
#' at it, as ACRO marks outputs), or `"fail"` (small counts released, model
#' checks failed, or disclosure control off).
#'
#' * Tables made by [apply_disclosure()] (class `mq_sdc`): their flag columns
#'   say what was suppressed and rounded; every released count is checked
#'   again against `rule`.
#' * Other data frames: count-like columns (`n`, `count`, `events`, names
#'   starting `n_` or ending `_n`, ...) holding whole numbers are checked
#'   against `rule`; small counts fail, otherwise the table is for review.
#' * ggplot objects: checked through their data (plot and layer data); data
#'   from [sdc_histogram_data()], [sdc_plot_data()] and other `mq_sdc` tables
#'   are disclosed.
#' * Model fits: `glance()` columns `disclosure_status` and
#'   `disclosure_reason` (from [disclosure_check_model()]) when present;
#'   otherwise the residual degrees of freedom are checked and the fit is
#'   left for review.
#'
#' @param ... Outputs, named (`rates = tab`), or one list of outputs. Unnamed
#'   outputs are named from their expressions.
#' @param rule Rule to check against: a rule from [disclosure_rule()], a
#'   preset name, or `NULL` for the option's rule. It cannot be `"none"`.
#' @returns A tibble with one row per output and columns `output`, `type`
#'   (`"table"`, `"plot"`, `"model"`, `"other"`), `status` (`"pass"`,
#'   `"review"`, `"fail"`), `rule` (the rule the output was disclosed under,
#'   or `NA`) and `reason` (what was suppressed or rounded and why, or what
#'   failed).
#' @seealso [export_outputs()], [apply_disclosure()].
#' @examples
#' tab <- data.frame(group = c("A", "B", "C"), n = c(40, 4, 25))
#' safe <- apply_disclosure(tab, n)
#' disclosure_check(safe = safe, raw = tab)
#' @export
disclosure_check <- function(..., rule = NULL) {
  outputs <- collect_outputs(...)
  rule <- resolve_disclosure(rule, arg = "rule")
  if (rule$preset == "none") {
    cli::cli_abort(c("{.arg rule} cannot be {.val none} when checking outputs.",
                     "i" = "Check against the rule of the SDE the outputs leave."))
  }
  rows <- lapply(names(outputs), function(nm) {
    res <- check_output(outputs[[nm]], rule)
    tibble::tibble(output = nm, type = res$type, status = res$status,
                   rule = res$rule, reason = res$reason)
  })
  if (!length(rows)) {
    return(tibble::tibble(output = character(), type = character(),
                          status = character(), rule = character(),
                          reason = character()))
  }
  do.call(rbind, rows)
}

#' Write outputs and an output-check report
#'
#' Writes each output to `dir` - CSV for tables, PNG for ggplot objects
#' (ggplot2 is needed for those), CSV of `tidy()` for model fits (text when
#' there is no `tidy()` method), text for anything else - and an output-check report, `disclosure_report.md` and
#' `disclosure_report.html`, listing every output with its file, status
#' (pass, review, fail; see [disclosure_check()]) and what was suppressed or
#' rounded and why, for the SDE's output checkers. Suppressed cells are
#' written as empty fields. Outputs that fail are written (the checker
#' decides) with a warning.
#'
#' @inheritParams disclosure_check
#' @param dir Folder to write into (created if needed).
#' @param overwrite Overwrite existing files of the same name?
#' @param width,height,res Size in inches and resolution of PNG files.
#' @returns The paths written, invisibly: a named character vector with one
#'   element per output and `report_md`, `report_html`.
#' @examples
#' tab <- data.frame(group = c("A", "B", "C"), n = c(40, 4, 25))
#' dir <- file.path(tempdir(), "mq-export-example")
#' paths <- export_outputs(counts = apply_disclosure(tab, n), dir = dir,
#'                         overwrite = TRUE)
#' basename(paths)
#' @export
export_outputs <- function(..., dir, rule = NULL, overwrite = FALSE,
                           width = 7, height = 5, res = 150) {
  if (missing(dir)) cli::cli_abort("{.arg dir} is required.")
  check_string(dir)
  check_flag(overwrite)
  outputs <- collect_outputs(...)
  if (!length(outputs)) cli::cli_abort("There are no outputs to export.")
  check <- disclosure_check(outputs, rule = rule)
  rule <- resolve_disclosure(rule, arg = "rule")
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
  writeLines(report_markdown(check, outputs, rule, dir), reports[["report_md"]])
  writeLines(report_html(check, outputs, rule), reports[["report_html"]])
  n_fail <- sum(check$status == "fail")
  if (n_fail) {
    cli::cli_warn(c("{n_fail} output{?s} fail{?s/} the disclosure check.",
                    "x" = "{.val {check$output[check$status == 'fail']}}",
                    "i" = "See {.file {reports[['report_html']]}}."))
  }
  cli::cli_inform(c(
    "v" = "Wrote {length(outputs)} output{?s} and the output-check report to {.path {normalizePath(dir)}}.",
    "i" = "Status: {sum(check$status == 'pass')} pass, {sum(check$status == 'review')} review, {n_fail} fail.",
    "i" = "Report: {.file {reports[['report_html']]}}"))
  invisible(c(files, reports))
}

# Outputs from `...`: a named list (one unnamed list is taken as the list).
collect_outputs <- function(..., call = rlang::caller_env()) {
  quos <- rlang::enquos(...)
  dots <- list(...)
  nms <- names(quos)
  if (length(dots) == 1L && (is.null(nms) || nms[1] == "")) {
    one <- dots[[1]]
    if (is.list(one) && !is.data.frame(one) && !inherits(one, "gg") &&
        is.null(attr(one, "class"))) {
      if (!length(one)) return(list())
      nm <- names(one) %||% rep("", length(one))
      nm[nm == ""] <- paste0("output_", which(nm == ""))
      names(one) <- nm
      return(one)
    }
  }
  names(dots) <- names(rlang::quos_auto_name(quos))
  dup <- duplicated(names(dots))
  if (any(dup)) {
    cli::cli_abort(c("Outputs must have different names.",
                     "x" = "Repeated: {.val {unique(names(dots)[dup])}}."),
                   call = call)
  }
  dots
}

has_tidy <- function(x) {
  is.data.frame(tryCatch(generics::tidy(x), error = function(e) NULL))
}

output_ext <- function(type) {
  switch(type, table = ".csv", plot = ".png", model = ".csv", ".txt")
}

count_like <- function(nm) {
  grepl("^(n|count|counts|events|cases|births|deliveries|women|babies|freq|total)$|^n_|_n$|count",
        nm, ignore.case = TRUE)
}

# Status of one output.
check_output <- function(x, rule) {
  if (inherits(x, "ggplot")) return(check_plot(x, rule))
  if (is.data.frame(x)) return(c(type = "table", check_table(x, rule)))
  g <- tryCatch(generics::glance(x), error = function(e) NULL)
  if (is.data.frame(g) || !is.null(tryCatch(stats::df.residual(x), error = function(e) NULL))) {
    return(check_model(x, g, rule))
  }
  list(type = "other", status = "review", rule = NA_character_,
       reason = paste0("a ", class(x)[1], " object: not checked automatically"))
}

check_table <- function(x, rule) {
  sdc <- attr(x, "sdc")
  if (inherits(x, "mq_sdc") && inherits(sdc, "mq_disclosure_rule")) {
    if (sdc$preset == "none") {
      return(list(status = "fail", rule = "none",
                  reason = "disclosure control off (rule none): exact counts"))
    }
    flags <- grep("_sdc$", names(x), value = TRUE)
    counts <- intersect(sub("_sdc$", "", flags), names(x))
    small <- released_small(x, counts, rule)
    log <- attr(x, "sdc_log")
    done <- describe_log(log)
    why <- paste0(rule_name(sdc), " (", describe_rule(sdc), "): ")
    if (length(small)) {
      return(list(status = "fail", rule = rule_name(sdc),
                  reason = paste0(small, "; ", why, done)))
    }
    supp <- !is.null(log) &&
      any(grepl("suppress|dominance|rule expects rounded", log$action) & log$n > 0)
    return(list(status = if (supp) "review" else "pass", rule = rule_name(sdc),
                reason = paste0(why, done)))
  }
  cand <- names(x)[vapply(x, function(v) is.numeric(v) &&
                            all(is.na(v) | (v >= 0 & abs(v - round(v)) < 1e-8)),
                          TRUE) & count_like(names(x))]
  small <- released_small(x, cand, rule)
  if (length(small)) {
    return(list(status = "fail", rule = NA_character_,
                reason = paste0(small, "; not disclosed (use apply_disclosure())")))
  }
  list(status = "review", rule = NA_character_,
       reason = paste0("not disclosed by apply_disclosure(): check by hand",
                       if (length(cand)) paste0(" (count-like columns ",
                                                paste(cand, collapse = ", "),
                                                " have no counts under ",
                                                rule$threshold, ")")))
}

# "n: 1 suppressed (<10), 2 rounded to 5; rate: 1 suppressed with its counts"
describe_log <- function(log) {
  if (is.null(log) || !nrow(log)) return("nothing suppressed or rounded")
  cols <- unique(log$column)
  paste(vapply(cols, function(cl) {
    l <- log[log$column == cl, ]
    paste0(cl, ": ", paste(paste(l$n, l$action), collapse = ", "))
  }, ""), collapse = "; ")
}

# Describe released counts that are small under `rule`.
released_small <- function(x, counts, rule) {
  out <- character()
  for (col in counts) {
    v <- x[[col]]
    if (!is.numeric(v)) next
    bad <- is_small(v, rule)
    # Small counts shown as a fixed value are what such a rule releases.
    if (rule$small == "show_as") bad <- bad & v != rule$small_value
    if (any(bad)) {
      out <- c(out, paste0(col, ": ", sum(bad), " count", if (sum(bad) > 1) "s",
                           " under ", rule$threshold, " released (",
                           paste(utils::head(v[bad], 5), collapse = ", "), ")"))
    }
  }
  if (length(out)) paste(out, collapse = "; ") else character()
}

check_plot <- function(p, rule) {
  datas <- c(list(p$data), lapply(p$layers, function(l) l$data))
  datas <- Filter(is.data.frame, datas)
  if (!length(datas)) {
    return(list(type = "plot", status = "review", rule = NA_character_,
                reason = "plot has no data to check"))
  }
  res <- lapply(datas, check_table, rule = rule)
  status <- vapply(res, `[[`, "", "status")
  worst <- c("fail", "review", "pass")[min(match(status, c("fail", "review", "pass")))]
  rules <- unique(stats::na.omit(vapply(res, `[[`, "", "rule")))
  list(type = "plot", status = worst,
       rule = if (length(rules)) paste(rules, collapse = ", ") else NA_character_,
       reason = paste0("plot data: ", paste(unique(vapply(res, `[[`, "", "reason")),
                                            collapse = " | ")))
}

check_model <- function(x, g, rule) {
  if (is.data.frame(g) && "disclosure_status" %in% names(g)) {
    st <- as.character(g$disclosure_status[1])
    if (!st %in% c("pass", "review", "fail")) st <- "review"
    reason <- if ("disclosure_reason" %in% names(g)) as.character(g$disclosure_reason[1]) else ""
    return(list(type = "model", status = st, rule = NA_character_,
                reason = reason))
  }
  df <- tryCatch(stats::df.residual(x), error = function(e) NULL)
  if (is.null(df) && is.data.frame(g) && "df.residual" %in% names(g)) df <- g$df.residual[1]
  if (is.numeric(df) && length(df) == 1L && !is.na(df)) {
    if (df < rule$min_df) {
      return(list(type = "model", status = "fail", rule = NA_character_,
                  reason = paste0("residual df ", format(df), " under ", rule$min_df)))
    }
    return(list(type = "model", status = "review", rule = NA_character_,
                reason = paste0("residual df ", format(df), " >= ", rule$min_df,
                                "; cell counts not known: check by hand")))
  }
  list(type = "model", status = "review", rule = NA_character_,
       reason = "no disclosure check reported by glance(): check by hand")
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
