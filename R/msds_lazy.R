# as_msds(con, lazy = TRUE): an `msds_db` object. The reduction to the latest
# submission is SQL that has not run (dbplyr tables); its submissions log
# is counted in SQL when the object is made. define_cohort(),
# add_care_model(), add_outcomes() and continuity() read from it what they
# need (R/msds_db_cohort.R): the per-pregnancy tables whole, the contact
# tables in chunks of pregnancies. Each table read is validated by the same
# code as in as_msds() (validate_msds_table()), so the steps see exactly
# the tables an in-memory msds object holds.

# The tables read in chunks of pregnancies by continuity(): their record
# keys and parent links hold UniqPregID, so the reduction of a chunk's rows
# is the reduction of the whole table restricted to the chunk.
db_chunked_tables <- c("MSD201CareContactPreg", "MSD202CareActivityPreg",
                       "MSD301LabourDelivery", "MSD302CareActivityLabDel",
                       "MSD401BabyDemographics")

as_msds_lazy <- function(con, flags, quiet, as_at, call = rlang::caller_env()) {
  red <- db_reduce_submissions(con, as_at, collect = FALSE, call = call)
  tabs <- names(red$tables)
  problems <- list()
  add <- function(...) problems[[length(problems) + 1L]] <<- new_problem(...)
  for (tab in names(msds_tables)) {
    spec <- msds_tables[[tab]]
    if (!tab %in% tabs) {
      if (!isTRUE(spec$optional_table)) add(tab, "", "table is missing", 0L)
      next
    }
    cols <- colnames(red$tables[[tab]])
    req <- names(spec$columns)[vapply(spec$columns, `[[`, TRUE, "required")]
    for (f in setdiff(req, cols)) add(tab, f, "required column is missing", red$log$rows_kept[red$log$table == tab])
  }
  # the chunks of continuity() are ranges of UniqPregID: a row without one
  # would be in no chunk, so it is an error here (as a missing key is in
  # as_msds())
  for (tab in intersect(db_chunked_tables, tabs)) {
    x <- red$tables[[tab]]
    if ("UniqPregID" %in% colnames(x)) {
      n_na <- db_count(dplyr::filter(x, is.na(.data$UniqPregID)))
      if (n_na) add(tab, "UniqPregID", "key value is missing", n_na)
      next
    }
    # a child table without UniqPregID is read through its parent's local
    # id: one that two pregnancies share would put its rows in two chunks
    par <- msds_tables[[tab]]$parent
    if (!par$table %in% tabs || !par$id %in% colnames(x)) {
      add(tab, "UniqPregID", "column is missing (the database path reads this table by pregnancy)",
          red$log$rows_kept[red$log$table == tab])
      next
    }
    pt <- dplyr::distinct(dplyr::select(dplyr::tbl(con, par$table), dplyr::all_of(c("UniqPregID", par$id))))
    pt <- dplyr::filter(dplyr::count(pt, !!rlang::sym(par$id)), .data$n > 1L)
    shared <- db_count(pt)
    if (shared) {
      add(par$table, par$id, sprintf("used by several pregnancies while %s has no UniqPregID (the database path reads %s by pregnancy)",
                                     tab, tab), shared)
    }
  }
  if (length(problems)) abort_msds_problems(do.call(rbind, problems), call = call)
  flags <- validate_flags(flags, NULL, call = call)
  quality <- if (length(red$problems)) {
    tibble::as_tibble(do.call(rbind, red$problems)[, c("table", "field", "problem", "n_rows", "examples")])
  } else {
    tibble::tibble(table = character(), field = character(), problem = character(),
                   n_rows = integer(), examples = character())
  }
  if (!quiet && nrow(quality)) {
    lines <- sprintf("%s.%s: %s (%s row%s)", quality$table, quality$field, quality$problem,
                     released_count(quality$n_rows),
                     ifelse(vapply(quality$n_rows, released_qty, 0) == 1, "", "s"))
    cli::cli_warn(c("MSDS data-quality issues, counted in the object (see {.fn msds_quality}):",
                    stats::setNames(gsub("([{}])", "\\1\\1", lines), rep("!", length(lines))),
                    exact_note()),
                  class = "matequity_data_quality", call = call)
  }
  structure(list(con = con, tables = red$tables, as_at = as_at),
            class = "msds_db", submissions = red$log, quality = quality, flags = flags,
            discharge_superseded = red$discharge_superseded)
}

#' @export
print.msds_db <- function(x, ..., disclosure = NULL) {
  cat(format(x, ..., disclosure = disclosure), sep = "\n")
  invisible(x)
}

#' @export
format.msds_db <- function(x, ..., disclosure = NULL) {
  rule <- resolve_disclosure(disclosure)
  rc <- function(n) released_count(n, rule)
  s <- attr(x, "submissions")
  out <- c(
    sprintf("<msds_db> MSDS v2 tables in a %s database, reduced to the latest submission in SQL (lazy)",
             db_dialect(x$con)),
    if (rule$preset == "none") "  DISCLOSURE CONTROL OFF (rule \"none\"): exact counts, not for release outside the SDE",
    "  tables (rows kept of rows read; see msds_submissions()):",
    sprintf("    %-26s %12s of %s rows", s$table, rc(s$rows_kept), rc(s$rows_in)))
  if (!is.null(x$as_at)) out <- c(out, sprintf("  as at: %s", format(x$as_at)))
  if (!is.null(attr(x, "flags"))) {
    out <- c(out, sprintf("  person flags: %s", paste(setdiff(names(attr(x, "flags")), "Person_ID_Mother"), collapse = ", ")))
  }
  c(out, "  validated as read: define_cohort(), add_care_model(), add_outcomes() and continuity() read what they need",
    sprintf("  continuity() reads the contact tables in chunks of %s pregnancies (option matequity.db_chunk_size)",
            fmt_n(db_chunk_size())))
}

# Pregnancies per chunk of continuity() on an msds_db object.
db_chunk_size <- function(call = rlang::caller_env()) {
  n <- getOption("matequity.db_chunk_size", 50000L)
  if (!is.numeric(n) || length(n) != 1L || is.na(n) || n < 1 || n != round(n)) {
    cli::cli_abort(c("Option {.code matequity.db_chunk_size} must be a whole number of pregnancies, at least 1.",
                     "x" = "It is {example_values(as.character(n))}."), call = call)
  }
  as.integer(n)
}

# An msds object holding tables `tabs` of `x`, read from the lazy tables
# `lazy` (default x's; a chunk's own reduction in db_continuity()) and
# validated as as_msds() validates them. The other tables of the database
# are empty stand-ins with the schema's columns (a step never reads them),
# so that which tables exist is as in memory. Attributes as msds_build()
# sets them; the submissions log and superseded discharges are the whole
# extract's.
db_read_msds <- function(x, tabs, lazy = x$tables, call = rlang::caller_env()) {
  tables <- list()
  formats <- list()
  invalid <- list()
  problems <- list()
  for (tab in intersect(names(msds_tables), names(x$tables))) {
    if (!tab %in% tabs) {
      tables[[tab]] <- msds_empty_table(tab)
      next
    }
    res <- validate_msds_table(tab, db_collect_in_order(lazy[[tab]], tab))
    tables[[tab]] <- res$df
    formats <- c(formats, res$formats)
    invalid <- c(invalid, res$invalid)
    problems <- c(problems, res$problems)
  }
  if (length(problems)) {
    pr <- do.call(rbind, problems)
    err <- pr[pr$severity == "error", , drop = FALSE]
    if (nrow(err)) abort_msds_problems(err, call = call)
  }
  structure(tables, class = "msds", quality = attr(x, "quality"), flags = attr(x, "flags"),
            mapping = NULL,
            formats = if (length(formats)) tibble::as_tibble(do.call(rbind, formats)) else empty_formats(),
            invalid_codes = if (length(invalid)) tibble::as_tibble(do.call(rbind, invalid)) else empty_invalid_codes(),
            submissions = attr(x, "submissions"),
            discharge_superseded = attr(x, "discharge_superseded"))
}

# The distinct values of one column of a lazy table, converted to the
# schema's type in R (a handful of rows: dates, codes).
db_distinct_values <- function(x, tab, field) {
  if (is.null(x$tables[[tab]]) || !field %in% colnames(x$tables[[tab]])) return(NULL)
  v <- dplyr::collect(dplyr::distinct(dplyr::select(x$tables[[tab]], dplyr::all_of(field))))[[1L]]
  res <- convert_field(v, msds_tables[[tab]]$columns[[field]])
  res$value
}
