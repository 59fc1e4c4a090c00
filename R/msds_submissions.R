# Monthly submissions, handled once at the door (as_msds()): every table is
# reduced to the latest submission of each record, keyed as NHS Digital keys
# it (REAL_MSDS.md, "Submissions and keys"), and child tables (MSD202,
# MSD302, MSD402, MSD405) keep only the rows of their parent's retained
# submission. Every row dropped is counted in attr(x, "submissions").

# Columns that say which submission a row came from, in the order that
# decides "latest": RPStartDate DESC, UniqSubmissionID DESC, RecordNumber DESC.
submission_order_cols <- c("RPStartDate", "UniqSubmissionID", "RecordNumber")
submission_cols <- c("RPStartDate", "RPEndDate", "UniqSubmissionID", "RecordNumber")

#' Record keys: how each MSDS table is reduced to the latest submission
#'
#' Providers resubmit every active record each month, so an extract holds
#' many submissions of one record. [as_msds()] keeps, for each record, the
#' row of its latest submission, ordering by `RPStartDate` (latest first),
#' then `UniqSubmissionID`, then `RecordNumber` (each used when the table has
#' it; a missing value sorts as oldest, and such rows are never dropped for
#' being undated). Rows tied on the key and on every ordering value are one
#' record submitted twice: one is kept and the other counted as a duplicate.
#'
#' Record identity per table (`key`; `scope` columns are added to the key when
#' present):
#'
#' | table | key | rows kept |
#' |---|---|---|
#' | MSD001MotherDemog | `Person_ID_Mother`, `RecordNumber` | one row per mother per submission (the demographics of a pregnancy come from its booking's submission: see [define_cohort()]) |
#' | MSD101PregnancyBooking | `Person_ID_Mother`, `UniqPregID` | latest |
#' | MSD102MatCarePlan | `UniqPregID`, `CarePlanType`, `CarePlanDate` | latest |
#' | MSD201CareContactPreg | `UniqPregID`, `CareConID` | latest |
#' | MSD202CareActivityPreg | parent MSD201 | rows of the retained MSD201 submission, matched on `UniqPregID` + `CareConID` + `RecordNumber` (or `CareConID` + `RecordNumber`); then exact repeats removed |
#' | MSD301LabourDelivery | `UniqPregID`, `LabourDeliveryID` | latest |
#' | MSD302CareActivityLabDel | parent MSD301 | as MSD202, on `UniqPregID` + `LabourDeliveryID` + `RecordNumber` |
#' | MSD401BabyDemographics | `UniqPregID`, `Person_ID_Baby` | latest |
#' | MSD402NeonatalAdmission, MSD405CareActivityBaby | parent MSD401 | as MSD202, on `Person_ID_Baby` + `RecordNumber` |
#' | MSD901StaffDetails | `CareProfLID` (scope `OrgCodeProvider`) | latest per provider and professional |
#'
#' Child rows whose `RecordNumber` matches no parent row at all (an extract
#' whose child tables carry their own record numbers) cannot be placed in a
#' submission: they are kept, and only exact repeats of a whole row (every
#' column, the submission columns included) are removed.
#'
#' Provider-local identifiers (`CareConID`, `LabourDeliveryID`, `CareProfLID`,
#' `TeamLocalID`) are never joined alone: `join` gives the columns each table
#' is joined to its parent on, most specific first.
#'
#' @returns A tibble with columns `table`, `key` (record key columns, `+`
#'   separated), `scope` (optional qualifying columns), `parent` and `join`
#'   (the parent join keys, alternatives separated by `|`).
#' @seealso [msds_submissions()] for the rows each table lost.
#' @examples
#' msds_record_keys()
#' @export
msds_record_keys <- function() {
  tabs <- names(msds_tables)
  pick <- function(f) vapply(tabs, function(t) {
    v <- msds_tables[[t]][[f]]
    if (is.null(v) || !length(v)) NA_character_ else paste(v, collapse = " + ")
  }, "")
  parent <- vapply(tabs, function(t) msds_tables[[t]]$parent$table %||% NA_character_, "")
  join <- vapply(tabs, function(t) {
    by <- msds_tables[[t]]$parent$by
    if (is.null(by)) NA_character_ else
      paste(vapply(by, paste, "", collapse = " + "), collapse = " | ")
  }, "")
  tibble::tibble(table = tabs, key = unname(pick("key")), scope = unname(pick("key_scope")),
                 parent = unname(parent), join = unname(join))
}

#' Rows removed as older or repeated submissions
#'
#' The submissions log recorded by [as_msds()]: for each table, the rows read,
#' the rows dropped because their submission starts after `as_at`, the rows
#' superseded by a later submission of the same record (or belonging to a
#' parent's superseded submission), exact repeats, and the rows kept. Row
#' counts pass through the disclosure rule, like every count matequity
#' returns.
#'
#' @param data An `msds` object, or an `msds_db` object from `as_msds(con, lazy = TRUE)`
#'   (its log is counted in SQL).
#' @param disclosure A disclosure rule (see [disclosure_rule()]), `"none"`, or
#'   `NULL` for `getOption("matequity.disclosure", "nhse_sde")`.
#' @param x Deprecated: use `data`.
#' @returns A tibble with columns `table`, `rows_in`, `rows_after_as_at`,
#'   `rows_superseded`, `rows_duplicate`, `rows_kept` (`rows_in` is the sum of
#'   the other four) and `rows_undated` (rows without `RPStartDate`: never
#'   dropped by `as_at`, and ordered as the oldest submission),
#'   plus what the disclosure rule did. Attribute `as_at`: the reporting
#'   month end used, or `NULL`.
#' @examples
#' msds_submissions(msds_example, disclosure = "none")
#' @export
msds_submissions <- function(data, disclosure = NULL, x = NULL) {
  if (deprecated_arg(x, missing(data), "x", "data", "msds_submissions")) data <- x
  check_msds(data, lazy = TRUE)
  s <- attr(data, "submissions") %||% empty_submissions_log()
  rule <- resolve_disclosure(disclosure)
  out <- apply_disclosure(s, counts = c("rows_in", "rows_after_as_at", "rows_superseded",
                                        "rows_duplicate", "rows_kept", "rows_undated"),
                          disclosure = rule)
  attr(out, "as_at") <- attr(s, "as_at")
  out
}

empty_submissions_log <- function() {
  tibble::tibble(table = character(), rows_in = integer(), rows_after_as_at = integer(),
                 rows_superseded = integer(), rows_duplicate = integer(),
                 rows_kept = integer(), rows_undated = integer())
}

# The last day of the reporting month `as_at` ("2024-03", "2024-03-01" or a
# Date); NULL for none.
check_as_at <- function(as_at, call = rlang::caller_env()) {
  if (is.null(as_at)) return(NULL)
  d <- NULL
  if (inherits(as_at, "Date") && length(as_at) == 1L && !is.na(as_at)) d <- as_at
  if (is.character(as_at) && length(as_at) == 1L && !is.na(as_at)) {
    s <- if (grepl("^\\d{4}-\\d{2}$", as_at)) paste0(as_at, "-01") else as_at
    d <- if (grepl("^\\d{4}-\\d{2}-\\d{2}$", s)) as.Date(s, optional = TRUE) else NULL
    if (!is.null(d) && is.na(d)) d <- NULL
  }
  if (is.null(d)) {
    cli::cli_abort(c("{.arg as_at} must be a reporting month such as {.val 2024-03} or one date.",
                     "x" = "It is {.obj_type_friendly {as_at}}."), call = call)
  }
  lt <- as.POSIXlt(d)
  first_next <- as.Date(sprintf("%04d-%02d-01", lt$year + 1900L + (lt$mon == 11L),
                                (lt$mon + 1L) %% 12L + 1L))
  first_next - 1L
}

# Integer codes of the rows of a list of equal-length columns: equal rows get
# equal codes (NA equals NA); a code is the position of the first equal row.
# The engine hashes whole rows on the columns as stored (records.hpp): no
# strings pasted.
combined_codes <- function(cols) with_row_hash(cols, .cpp_row_codes)

# The engine's row hashes (.cpp_row_codes() and the others) read integers,
# logicals, doubles and text as stored and compare text by its cached
# pointer. They check the encoding of each string of a row they store or
# fail to find (a row found has the stored row's strings), and return NULL
# at one not in the native encoding, where equal text can be two strings:
# the columns are then coded (hash_columns()) and the call made again, so
# no pass over the strings precedes the hash.
engine_readable <- function(v) {
  (is.character(v) || is.integer(v) || is.double(v) || is.logical(v)) && !inherits(v, "integer64")
}
unfactor_all <- function(cols) lapply(unname(cols), function(v) if (is.factor(v)) as.character(v) else v)

# f(cols) on one table's columns.
with_row_hash <- function(cols, f, ...) {
  cols <- unfactor_all(cols)
  if (all(vapply(cols, engine_readable, TRUE))) {
    r <- f(cols, ...)
    if (!is.null(r)) return(r)
  }
  f(hash_columns(cols), ...)
}

# f(x, table) on a child's columns x and a parent's `table` (the same
# columns); each may be a list of such lists (passes, paired in order).
with_row_hash_against <- function(x, table, f, passes = FALSE) {
  if (!passes) {
    x <- list(x)
    table <- list(table)
  }
  x <- lapply(x, unfactor_all)
  table <- lapply(table, unfactor_all)
  alike <- function(a, b) {
    identical(vapply(a, typeof, ""), vapply(b, typeof, "")) &&
      all(vapply(a, engine_readable, TRUE)) && all(vapply(b, engine_readable, TRUE))
  }
  unpass <- function(l) if (passes) l else l[[1L]]
  if (all(mapply(alike, x, table))) {
    r <- f(unpass(x), unpass(table))
    if (!is.null(r)) return(r)
  }
  cc <- Map(hash_columns_against, x, table)
  f(unpass(lapply(cc, `[[`, "x")), unpass(lapply(cc, `[[`, "table")))
}

# Columns the engine can hash as stored: factors as text, and a column it
# cannot read directly (text in several encodings, integer64, other types)
# replaced by its match() codes, which compare as match() does.
hash_columns <- function(cols) {
  cols <- unfactor_all(cols)
  ok <- .cpp_hashable(cols) & !vapply(cols, inherits, TRUE, "integer64")
  for (k in which(!ok)) cols[[k]] <- match(cols[[k]], cols[[k]])
  cols
}

# The columns of x and of table (lists of the same columns) for
# .cpp_place_rows(): as stored where both sides are stored alike and the
# engine can hash them, else codes on one scale (a missing value on either
# side coded NA, which never matches; a value of x not in table coded 0,
# which matches nothing but is not missing).
hash_columns_against <- function(x, table) {
  x <- unfactor_all(x)
  table <- unfactor_all(table)
  alike <- vapply(seq_along(x), function(k) identical(typeof(x[[k]]), typeof(table[[k]])), TRUE)
  ok <- alike & .cpp_hashable(x) & .cpp_hashable(table) &
    !vapply(x, inherits, TRUE, "integer64") & !vapply(table, inherits, TRUE, "integer64")
  for (k in which(!ok)) {
    a <- x[[k]]
    b <- table[[k]]
    cb <- match(b, b)
    if (anyNA(b)) cb[is.na(b)] <- NA_integer_
    ca <- match(a, b, nomatch = 0L)
    if (anyNA(a)) ca[is.na(a)] <- NA_integer_
    x[[k]] <- ca
    table[[k]] <- cb
  }
  list(x = x, table = table)
}

# Codes of a record key (a list of columns) for latest_record(): the row
# numbers when one column never repeats (as after as_msds()), else the
# combined codes.
row_key <- function(cols) {
  n <- length(cols[[1L]])
  for (v in rev(cols)) if (!anyDuplicated(v)) return(seq_len(n))
  combined_codes(cols)
}

# For each row of x (a list of columns), the first row of `table` (a list of
# the same columns) with the same values; NA when a value of x is missing or
# nothing matches. The engine hashes the table's rows and looks x's up
# (records.hpp).
match_rows <- function(x, table) {
  nx <- length(x[[1L]])
  if (!nx) return(integer())
  if (!length(table[[1L]])) return(rep(NA_integer_, nx))
  # one hash of the table's rows (a column that never repeats used to be
  # looked up with match() after an anyDuplicated() pass, two hashes of it
  # and a comparison vector per other column: 0.5 s against 0.3 s for the
  # 2.6 million MSD202 rows of 2e5 pregnancies, the same rows)
  with_row_hash_against(x, table, function(x, table) .cpp_place_rows(table, rep(TRUE, length(table[[1L]])), x))
}

# match_rows() on the rows whose `by` value (a record number) occurs on both
# sides: a cheap numeric hash first, so tables whose record numbers are
# their own (no shared submission) cost one pass.
match_rows_pre <- function(x, table, by) {
  nx <- length(x[[1L]])
  out <- rep(NA_integer_, nx)
  xi <- which(x[[by]] %in% table[[by]])
  if (!length(xi)) return(out)
  ti <- which(table[[by]] %in% x[[by]][xi])
  m <- match_rows(lapply(x, `[`, xi), lapply(table, `[`, ti))
  out[xi] <- ti[m]
  out
}

# Rows repeating an earlier row over all the columns (a list), among the
# rows `rows` (all by default); returns a logical over those rows. One hash
# pass over whole rows in the engine.
duplicated_rows <- function(cols, rows = NULL) {
  n <- if (is.null(rows)) length(cols[[1L]]) else length(rows)
  if (n < 2L) return(logical(n))
  with_row_hash(cols, .cpp_duplicated_rows, if (!is.null(rows)) as.integer(rows))
}

# Index into `parent` of each `child` row for a provider-local id: on
# (scope, id) when both tables have the scope column, else on
# (id, RecordNumber) when both have RecordNumber, and for rows still
# unmatched on id alone where that id is unique in the parent (so a local id
# used by two providers is never guessed). Returns list(index, ambiguous):
# ambiguous = rows whose id is repeated in the parent and could not be
# placed by a scoped key.
scoped_match <- function(child, parent, id, scope = "UniqPregID") {
  n <- n_rows(child)
  if (!n) return(list(index = integer(), ambiguous = 0L))
  if (all(scope %in% names(child)) && all(scope %in% names(parent))) {
    cols <- c(scope, id)
    return(list(index = match_rows(unclass(child)[cols], unclass(parent)[cols]), ambiguous = 0L))
  }
  # an id that no two parent rows share is its own row, whatever the record
  # number (the unscoped rule below, without the hashing of pairs)
  pid <- parent[[id]]
  if (!anyDuplicated(pid)) return(list(index = match(child[[id]], pid), ambiguous = 0L))
  idx <- rep(NA_integer_, n)
  if ("RecordNumber" %in% names(child) && "RecordNumber" %in% names(parent)) {
    cols <- c(id, "RecordNumber")
    idx <- match_rows_pre(unclass(child)[cols], unclass(parent)[cols], "RecordNumber")
  }
  left <- which(is.na(idx))
  amb <- 0L
  if (length(left)) {
    pid <- parent[[id]]
    m <- match(child[[id]][left], pid)
    times <- tabulate(match(pid, pid), length(pid))  # rows per id, at its first row
    bad <- !is.na(m) & times[m] > 1L
    amb <- sum(bad)
    m[bad] <- NA_integer_
    idx[left] <- m
  }
  list(index = idx, ambiguous = amb)
}

# Latest submission per key (latest_per_key(): RPStartDate, then
# UniqSubmissionID, then RecordNumber, each descending; a record submitted
# twice in one submission keeps its first row). Returns list(keep = logical
# in input order, superseded, duplicate).
latest_submission_rows <- function(df, key) {
  n <- nrow(df)
  if (!n) return(list(keep = logical(), superseded = 0L, duplicate = 0L))
  # one hash of the key's rows (a key that never repeats keeps every row:
  # an anyDuplicated() pass per column first cost a hash of its own, in
  # vain when the extract holds resubmissions)
  ordc <- intersect(submission_order_cols, names(df))
  r <- latest_per_key(combined_codes(unclass(df)[key]), unclass(df)[ordc])
  list(keep = r$keep, superseded = r$superseded, duplicate = r$tied)
}

# Places the rows of a child table in its parent's submissions: a row is
# placed on the parent's record (pregnancy, local id) and RecordNumber, else
# on the record and UniqSubmissionID; `kept` marks the parent's retained
# rows, which are matched first. Returns list(keep: the rows in the
# retained submission of their parent record or in none (their record
# numbers are their own), superseded: the number in a superseded one). One
# engine call over every key, on the columns as stored.
place_in_parent <- function(df, pdf, kept, id) {
  scope <- if ("UniqPregID" %in% names(df) && "UniqPregID" %in% names(pdf)) "UniqPregID"
  subs <- Filter(function(s) s %in% names(df) && s %in% names(pdf), c("RecordNumber", "UniqSubmissionID"))
  if (!length(subs)) return(list(keep = rep(TRUE, nrow(df)), superseded = 0L))
  keys <- lapply(subs, function(sub_col) unique(c(scope, id, sub_col)))
  r <- with_row_hash_against(lapply(keys, function(k) unclass(df)[k]), lapply(keys, function(k) unclass(pdf)[k]),
                             function(x, table) .cpp_place_in_parent(table, kept, x), passes = TRUE)
  list(keep = r$keep, superseded = as.integer(r$superseded))
}

# The rows `keep` (logical) of a tibble, as df[keep, , drop = FALSE] gives
# them, without vctrs' per-column proxies: vctrs restores an integer Date
# as a double by converting the whole input column first, which at 1e6
# pregnancies is a copy of every date column of every table. Columns are
# sliced with base `[` on one integer index and an integer Date turned
# double after slicing (what vctrs returns). A column of any other class or
# with other attributes, or a tibble with other attributes, goes to `[`.
slice_rows <- function(df, keep) {
  plain <- function(v) {
    a <- attributes(v)
    is.null(a) || (identical(names(a), "class") && identical(a$class, "Date") &&
                     (is.double(v) || is.integer(v)))
  }
  cols <- unclass(df)
  if (!identical(sort(names(attributes(df))), c("class", "names", "row.names")) ||
      !identical(class(df), c("tbl_df", "tbl", "data.frame")) ||
      !all(vapply(cols, plain, TRUE)) || length(keep) != nrow(df) || anyNA(keep)) {
    return(df[keep, , drop = FALSE])
  }
  i <- which(keep)
  out <- lapply(cols, function(v) {
    if (is.null(attributes(v))) return(v[i])
    x <- unclass(v)[i]
    if (is.integer(x)) x <- as.double(x)
    class(x) <- "Date"
    x
  })
  attr(out, "row.names") <- NULL
  tibble::new_tibble(out, nrow = length(i))
}

# Reduces every table to the latest submission of each record. `tables` hold
# converted columns. Returns list(tables, log, problems).
msds_reduce_submissions <- function(tables, as_at = NULL) {
  state <- new_reduce_state()
  for (tab in intersect(names(msds_tables), names(tables))) {
    r <- reduce_submissions_table(tab, tables[[tab]], state, as_at)
    tables[[tab]] <- r$df
    state <- r$state
  }
  reduce_state_result(state, tables, as_at)
}

# What the reduction carries from table to table (tables are reduced in
# schema order, a parent before its children): the log rows, the problems,
# the superseded discharge dates and, for each parent of a child table, the
# columns a child row is placed on (place_in_parent()) with the rows kept.
new_reduce_state <- function() {
  list(log = list(), problems = list(), before = list(), kept = list(),
       discharge_superseded = NULL)
}

reduce_state_result <- function(state, tables, as_at) {
  out <- if (length(state$log)) do.call(rbind, unname(state$log)) else empty_submissions_log()
  attr(out, "as_at") <- as_at
  list(tables = tables, log = out, problems = state$problems,
       discharge_superseded = state$discharge_superseded)
}

# The columns of table `tab` a child table is placed on, or NULL when no
# table is placed in it: its rows before the reduction are kept only with
# these columns (UniqPregID, the children's local ids and the submission
# columns), not whole, until the children are reduced.
placing_cols <- function(tab) {
  ids <- unlist(lapply(msds_tables, function(s) {
    if (!length(s$key) && identical(s$parent$table, tab)) s$parent$id
  }))
  if (is.null(ids)) return(NULL)
  unique(c("UniqPregID", ids, "RecordNumber", "UniqSubmissionID"))
}

# One table's reduction: the as_at filter, then the latest submission per
# record (a keyed table) or the rows of the parent's retained submission
# without exact repeats (a child table). Returns list(df, state).
reduce_submissions_table <- function(tab, df, state, as_at = NULL) {
  spec <- msds_tables[[tab]]
  n_in <- nrow(df)
  after <- 0L
  if (!is.null(as_at) && "RPStartDate" %in% names(df)) {
    late <- !is.na(df$RPStartDate) & df$RPStartDate > as_at
    after <- sum(late)
    if (after) df <- slice_rows(df, !late)
  }
  n1 <- nrow(df)
  undated <- if ("RPStartDate" %in% names(df)) sum(is.na(df$RPStartDate)) else 0L
  sup <- 0L
  dup <- 0L
  if (length(spec$key)) {
    key <- c(intersect(spec$key_scope, names(df)), spec$key)
    if (all(key %in% names(df))) {
      r <- latest_submission_rows(df, key)
      pc <- placing_cols(tab)
      if (!is.null(pc)) {
        state$before[[tab]] <- unclass(df)[intersect(pc, names(df))]
        state$kept[[tab]] <- r$keep
      }
      if (tab == "MSD101PregnancyBooking") state$discharge_superseded <- later_discharges(df, r$keep)
      sup <- r$superseded
      dup <- r$duplicate
      if (!all(r$keep)) df <- slice_rows(df, r$keep)
    }
  } else if (!is.null(spec$parent)) {
    par <- spec$parent$table
    keep <- rep(TRUE, n1)
    pdf <- state$before[[par]]
    if (!is.null(pdf) && n1) {
      # rows placed in no submission (own record numbers) are kept
      pl <- place_in_parent(df, pdf, state$kept[[par]], spec$parent$id)
      keep <- pl$keep
      sup <- pl$superseded
    }
    # exact repeats of a whole row
    kr <- which(keep)
    if (length(kr)) {
      first <- intersect(c("RecordNumber", spec$parent$id), names(df))
      cols <- unclass(df)[c(first, setdiff(names(df), first))]
      d <- duplicated_rows(cols, if (length(kr) < n1) kr)
      dup <- sum(d)
      keep[kr[d]] <- FALSE
    }
    if (!all(keep)) df <- slice_rows(df, keep)
  }
  state$log[[tab]] <- tibble::tibble(table = tab, rows_in = as.integer(n_in),
                                     rows_after_as_at = as.integer(after),
                                     rows_superseded = as.integer(sup),
                                     rows_duplicate = as.integer(dup),
                                     rows_kept = as.integer(nrow(df)),
                                     rows_undated = as.integer(undated))
  if (length(spec$key) && dup) {
    state$problems[[length(state$problems) + 1L]] <- new_problem(
      tab, paste(c(intersect(spec$key_scope, names(df)), spec$key), collapse = " + "),
      "record submitted twice in one submission (same key, RPStartDate, UniqSubmissionID and RecordNumber; one kept)",
      dup, severity = "warning")
  }
  list(df = df, state = state)
}

# NHS Digital's continuity measures take a pregnancy's discharge date as the
# latest non-null DischargeDateMatService over every MSD101 row submitted (as
# at the month), not only the latest submission's: a resubmission that
# blanks or moves the date back does not undo it. The rows of superseded
# submissions whose discharge date is later than every retained row of the
# same pregnancy (or the retained rows have none) are kept aside for that
# (attribute "discharge_superseded" of the msds object; see
# msds_discharge_rows()). `kept` marks the retained rows of `df`.
later_discharges <- function(df, kept) {
  cols <- intersect(c("Person_ID_Mother", "UniqPregID", "DischargeDateMatService"), names(df))
  if (!"DischargeDateMatService" %in% cols || all(kept)) return(NULL)
  d <- as.numeric(df$DischargeDateMatService)
  key <- combined_codes(unclass(df)[intersect(c("Person_ID_Mother", "UniqPregID"), cols)])
  best_kept <- rep(-Inf, max(key, 0L))
  ok <- which(kept & !is.na(d))
  if (length(ok)) {
    ok <- ok[order(d[ok], method = "radix")]
    best_kept[key[ok]] <- d[ok]  # ascending: each key's maximum is written last
  }
  extra <- which(!kept & !is.na(d) & d > best_kept[key])
  if (!length(extra)) return(NULL)
  tibble::as_tibble(lapply(unclass(df)[cols], `[`, extra))
}

# Every MSD101 row with a discharge date NHS Digital's measures see: the
# retained bookings, and the superseded submissions' later discharge dates
# (later_discharges()) when the object kept them.
msds_discharge_rows <- function(msds) {
  bk <- msds$MSD101PregnancyBooking
  extra <- attr(msds, "discharge_superseded", exact = TRUE)
  cols <- intersect(c("Person_ID_Mother", "UniqPregID", "DischargeDateMatService"), names(bk))
  rows <- lapply(unclass(bk)[cols], identity)
  if (is.data.frame(extra) && nrow(extra) && all(cols %in% names(extra))) {
    rows <- Map(c, rows, unclass(extra)[cols])
  }
  rows
}

# Rows the reduction at the door removed from a table (0 when the object has
# no submissions log).
submissions_removed <- function(msds, tab) {
  s <- attr(msds, "submissions")
  if (is.null(s) || !tab %in% s$table) return(0L)
  i <- match(tab, s$table)
  as.integer(s$rows_superseded[i] + s$rows_duplicate[i])
}
