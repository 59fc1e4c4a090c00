#' Validate MSDS v2 tables into an `msds` object
#'
#' `as_msds()` is the door into matequity: it takes the MSDS v2 tables (as
#' data frames, or from a DBI connection), translates local column names once,
#' and checks the data contract in [msds_schema()]. Every structural problem
#' is reported together, in one error that names the table, the column, what
#' is wrong, how many rows, and a few example values: missing tables or
#' columns, columns of the wrong type, missing or unusable keys, duplicate
#' keys and orphan keys (a record whose parent does not exist). Later stages
#' trust the object.
#'
#' @section Value shapes of real extracts:
#' Columns are converted exactly to the schema types, never silently:
#' * **Record numbers** (`RecordNumber`, type `"record"`): integer, whole
#'   double, digit text (`"100123000000456"`) or `bit64::integer64`, stored as
#'   doubles holding the exact whole number (real values are about 1e14,
#'   beyond R's integers). Negative, fractional, non-digit or 2^53 and above:
#'   an error ("unusable record number").
#' * **IDs** are text: numbers (pseudonymised numeric ids) and integer64
#'   become exact digit text (`"100000"`, never `"1e+05"`; a fraction is an
#'   error), factors become text; ids are kept exactly, except that blank or
#'   whitespace-only values become `NA`.
#' * **Text numerics** (`Rank_IMD_Decile_2015` as `'01 - Most deprived'`,
#'   `'02'`, ..., `'10 - Least deprived'`; `ApgarScore`; `ObsValue`;
#'   counts and gestations as digit text) are parsed strictly (surrounding
#'   whitespace allowed). Text that is not a number becomes `NA` and is
#'   counted as data quality; a column where no value is a number is the
#'   wrong type (an error). `ObsValue` is kept as a number with its decimals
#'   (NHS Digital's CQIMPPH takes `INT(ObsValue)`, and so does the PPH
#'   threshold of [add_outcomes()]).
#' * **Dates**: `Date` is kept; a date-time (`POSIXct`, `POSIXlt`) becomes the
#'   calendar date in its own time zone (`tzone` attribute; UTC if it has
#'   none), so 23:30 UTC on 30 June is 30 June, but the same instant with
#'   `tzone = "Europe/London"` is 1 July. Text (or 8-digit numbers) is read in
#'   ONE format per column: the format - among `YYYY-MM-DD`,
#'   `DD/MM/YYYY`, `YYYYMMDD`, `YYYY-MM-DD HH:MM[:SS[.fff]]`,
#'   `YYYY-MM-DDTHH:MM:SS[.fff][Z]`, `DD/MM/YYYY HH:MM[:SS]`, and month
#'   precision `YYYY-MM` and `MM/YYYY` - that matches the most values (ties:
#'   the earlier in that list), each matched against the whole string and
#'   checked for calendar validity. The time part of a text date-time is
#'   dropped as written (no time-zone shift). Values that do not match the
#'   column's format (`"2019-04-015"`, `"2019-02-30"`, a stray `dd/mm/yyyy`
#'   in an ISO column) become `NA` and are counted; a column where no value
#'   matches is an error. The format found for every date column is in
#'   `attr(x, "formats")` and shown by `print()`.
#' * **Month precision** (some views give only year and month of a baby's
#'   birth): stored as the 1st of the month, flagged in `attr(x, "formats")`
#'   (`precision = "month"`) and counted in the quality table. [add_outcomes()]
#'   then decides a neonatal death only when the day cannot change it, and
#'   otherwise leaves the baby out of the neonatal and perinatal death
#'   denominators with a message. Rules that exclude on the birth date (a
#'   baby born before booking in [define_cohort()]; birth before 203 days in
#'   [add_care_model()] when `GestationLengthBirth` is missing) use the
#'   month's last day, so they exclude only when the day cannot matter. The
#'   antenatal/postnatal split of contacts in [continuity()] uses the 1st of
#'   the month (contacts in the birth month may be misclassed).
#' * **All-missing columns** of any type (a database driver's logical `NA`
#'   column, an all-blank text column) become typed missing columns.
#'
#' @section Codes outside the code lists:
#' Code and Y/N fields are trimmed and upper-cased, as NHS Digital's
#' `upper()` (`'y'` is `'Y'`, ethnicity `'a'` is `'A'`; a numeric code column
#' gets back the leading zero of fixed-width code lists, `1` is `'01'`). A
#' value still outside the code list (ethnicity `'X'`, `AttendCode` `'0'`,
#' `PregOutcome` `'98'`, `CarePlanType` `'99'`) is kept as it is and counted,
#' never an error: by table, field, value, provider and month in
#' [msds_invalid_codes()], and one row per field in [msds_quality()].
#' Downstream such a value is "not a valid code": an Unknown ethnic group
#' (and `NA` for `plus_ethnic_minority`), not attended, not a birth, not an
#' antenatal care plan.
#'
#' @section Data quality:
#' Real-data quality problems are not errors: unknown or missing ethnicity
#' (codes `Z`, `99`), codes outside the code lists, missing LSOA or IMD
#' decile, missing care-plan fields, unparseable text numbers and dates,
#' month-precision dates and values outside a plausible range (for example a
#' booking gestation over 315 days) are counted in the object (see
#' [msds_quality()]), shown by `print()`, and, unless `quiet = TRUE`,
#' summarised in one warning. Cohort building excludes implausible records
#' with a reason in its exclusion log.
#'
#' @param tables A named list of data frames, one per MSDS table (names as in
#'   [msds_schema()]), or a DBI connection holding tables of those names (see
#'   section Databases). An element can also be a reader, a function of no
#'   arguments that returns the table's data frame (see section Reading an
#'   extract table by table). Tables matequity does not know are kept as
#'   they are.
#' @param mapping Local column names: a named character vector
#'   `c(MSDS_field = "local_name")` applied in every table, or a named list
#'   with one such vector per table. Table names can be mapped with a
#'   `.tables` element, `list(.tables = c(MSD101PregnancyBooking = "booking"))`.
#'   Or a data frame, or the path of a CSV file, with columns `table`,
#'   `field`, `local_field` and optionally `local_table` (a row with empty
#'   `field` and `local_field` maps a table name only), for v2 or v1.5
#'   tables. Every schema table or field not found after mapping is listed
#'   by [msds_unmapped()] (and in a message when `mapping` is given).
#' @param v15_codes Recodes of MSDS v1.5 values to v2 codes: a list with
#'   `fetus_outcome` (`FetusOutcome` to `PregOutcome`, default `c("10" =
#'   "01")`, the only code confirmed in a public source) and/or `smoking`
#'   (`SmokingStatus`, `EoPSmokingStatus` to the v2 SMOKING STATUS codes,
#'   default 1-4 unchanged). See [msds_v15_codes()] for each default's source.
#' @section MSDS v1.5 (April 2015 - March 2019):
#' Tables named as in [msds_v15_schema()] (`MAT001MotherDemog`,
#' `MAT101Booking`, `MAT501FetusOutcome`, `MAT502BabyDemogAndBirth`,
#' `MAT602PostpartumDischarge`, optional `MAT003GP`) are harmonised to the
#' v2 tables before validation, with a `version` column (`"v1.5"`; `"v2"` on
#' the v2 rows):
#' * keys: regional views' `MSDS_ID_Mother`, `UniquePregID`,
#'   `MSDS_ID_Baby` become `Person_ID_Mother`, `UniqPregID`,
#'   `Person_ID_Baby` (NHS Digital's names are kept);
#' * bookings: NHS Digital's v1.5 rule, per `UniqPregID` the latest
#'   `Month_ID` among rows with `IC_USE_BOOKING_APP_FLAG = 'Y'`, then the
#'   earliest `AntenatalAppDate` in that month, then the highest
#'   `RecordNumber`; `RPStartDate` is the first day of `Month_ID` (month 1 =
#'   April 1900, inferred); `GestAgeBooking`, when absent, is
#'   `280 - (EDDAgreed - AntenatalAppDate)` (inferred);
#' * outcomes (`MAT501`) and babies (`MAT502`, when it has `RecordNumber`)
#'   from that booking's `RecordNumber`; every baby of a pregnancy gets the
#'   lowest `FetusOutcome` of the pregnancy, recoded by `v15_codes`
#'   (unconfirmed codes become `"FETUSOUTCOME <code>"`, outside the
#'   `PregOutcome` code list and counted); birth date from
#'   `PersonBirthDateBaby`, else `FetusOutcomeDate`; one labour record per
#'   pregnancy with `BirthsPerLabandDel` = its number of babies (inferred);
#'   `BirthWeight` and `ApgarScore5` move to `MSD405CareActivityBaby`;
#' * demographics: per mother and pregnancy the latest `Month_ID`, then the
#'   highest `MAT001_ID` (NHS Digital), keyed to the booking's record; no
#'   IMD decile (use IMD 2019 from `LSOAMother2011`, [define_cohort()]'s
#'   default, for both versions); `OrgCodeProvider` RR1 maps to RRK there;
#' * discharge date and `EoPSmokingStatus` from `MAT602`.
#'
#' Given v2 tables too, a pregnancy present in both (same `Person_ID_Mother`
#' and `UniqPregID`) keeps only its v2 record, as NHS Digital's perinatal
#' code does; [msds_versions()] counts the bookings of each version and those
#' replaced. Without v2 tables, the care-plan, contact and staff tables are
#' empty: care-model exposures are `NA` with a reason ([add_care_model()]).
#' @param flags Optional data frame of person-level flags that MSDS does not
#'   hold (for example Gypsy, Roma or Traveller status, or a long-term
#'   condition from linked records), keyed by `Person_ID_Mother`. Logical
#'   columns only besides the key.
#' @param quiet If `TRUE`, data-quality counts are stored but not warned about.
#' @param as_at Optional reporting month (`"2024-03"`, or a date in that
#'   month): only submissions whose `RPStartDate` is on or before the end of
#'   that month are used, as NHS Digital selects an extract "as at" a month.
#'   Rows without `RPStartDate` are kept (and counted as undated in
#'   [msds_submissions()]). `NULL` (default) uses every submission.
#' @param reduce Where the reduction to the latest submission runs when
#'   `tables` is a DBI connection: `"memory"` (default) reads every row into
#'   R first; `"database"` runs it in SQL, so only the retained rows are
#'   read (see section Databases).
#' @param lazy If `TRUE` (`tables` a DBI connection), return an `msds_db`
#'   object instead: the reduction to the latest submission stays SQL in the
#'   database (nothing is read but its counts), and [define_cohort()],
#'   [add_care_model()], [add_outcomes()] and [continuity()] read from it
#'   what they need (see section Databases). `FALSE` (default): an `msds`
#'   object in memory.
#' @section Databases:
#' Given a DBI connection, `as_msds()` reads each MSDS table it finds there
#' (named as in [msds_schema()], or as mapped by `mapping$.tables`) whole
#' into R with `DBI::dbReadTable()`, one table at a time (as readers, see
#' section Reading an extract table by table), and everything after that runs in R as
#' for data frames: the driver's types are converted as above (`integer64`,
#' dates, text), then the reduction to the latest submission and the
#' validation. The object is therefore identical to `as_msds()` on the same
#' tables in memory; the package's tests check this on a PostgreSQL server
#' with a simulated extract holding monthly resubmissions. Reading whole
#' tables needs the extract to fit in memory: on a larger database, select
#' the rows of the pregnancies wanted into views first, or use
#' `reduce = "database"`: the reduction to the latest submission (section
#' Submissions, with the same rules and counts) then runs in the database in
#' portable SQL (`ROW_NUMBER()` for the latest record, a missing ordering
#' value ranked below every value by an explicit `CASE WHEN ... IS NULL`
#' term; counts from `GROUP BY`; child rows by joins to their parent's
#' retained submission; exact repeats by `SELECT DISTINCT`), and only the
#' retained rows are read into R and validated there. The tables, the
#' submissions log and the superseded discharge dates are then identical to
#' the in-memory path, and so is everything computed from them; the rows are
#' ordered by each table's MSDS row id (`MSD101_ID`, ...), since a database
#' has no row order of its own. What differs: the data-quality counts
#' ([msds_quality()], [msds_invalid_codes()]) and the date formats describe
#' the retained rows, not every submission. Its ordering columns
#' (`RPStartDate`, `UniqSubmissionID`, `RecordNumber`) must be dates or
#' numbers in the database, the tables and fields must have their MSDS names
#' (no `mapping`), and v1.5 tables are not read this way.
#'
#' With `lazy = TRUE` the same reduction is not run at all when the object
#' is made: the object (class `msds_db`) holds the connection, the reduced
#' tables as dbplyr SQL and the submissions log and superseded discharge
#' dates, counted in SQL. [define_cohort()], [add_care_model()] and
#' [add_outcomes()] read the tables with about one row per pregnancy, baby,
#' labour or care plan (MSD001, MSD101, MSD102, MSD301, MSD302, MSD401,
#' MSD402, MSD405), and only the distinct contact dates of MSD201;
#' [continuity()] reads the contact tables (MSD201, MSD202) with the labour
#' and baby tables in chunks of pregnancies (option
#' `matequity.db_chunk_size`, default 50,000): ranges of `UniqPregID` in the
#' database's order (an index on `UniqPregID`, and on `CareConID` when
#' MSD202 has no `UniqPregID`, serves them), each chunk reduced in SQL and
#' passed to the in-memory code, with the exclusion counts summed. Every
#' table read is validated as `as_msds()` validates it, and the results are
#' identical to the in-memory path (the tests check this on PostgreSQL).
#' What differs: the data-quality counts describe the resubmitted
#' duplicates only (the tables are validated as read, not when the object
#' is made), orphan keys are not checked, a row of MSD201, MSD301, MSD302,
#' MSD401 or MSD202 without `UniqPregID` is an error (it would be in no
#' chunk), and a child table without `UniqPregID` needs its parent's local
#' id (`CareConID`, `LabourDeliveryID`) used by one pregnancy only.
#' @section Reading an extract table by table:
#' Given data frames, `as_msds()` holds the raw extract (the caller's
#' tables) and the object it makes at the same time: at 1,000,000
#' pregnancies (54 million rows) about 5.7 GB and 4.7 GB. Given readers
#' instead (functions of no arguments, one per table, each returning the
#' table's data frame, for example from a file), it calls each reader once,
#' when it reaches that table in schema order (a parent table before its
#' children), converts the table, reduces it to its latest submissions and
#' lets the raw rows go before it reads the next: only one raw table is in
#' memory at a time. The object is identical to the one the same tables give
#' as data frames (the tests check this). A `mapping` applies to what the
#' readers return. Readers of v1.5 tables are all called first (the
#' versions are harmonised together). A reader that does not return a data
#' frame is an error that names its table.
#' @section Submissions:
#' Providers resubmit every active record each month (and since April 2023
#' send a provisional and a final submission for each month). `as_msds()`
#' reduces every table, once, to the latest submission of each record:
#' ordered by `RPStartDate`, then `UniqSubmissionID`, then `RecordNumber`
#' (latest first; each used when present, a missing value counting as
#' oldest). Records are identified as NHS Digital identifies them:
#' MSD101 by `Person_ID_Mother` + `UniqPregID`; MSD102 by `UniqPregID` +
#' `CarePlanType` + `CarePlanDate`; MSD201 by `UniqPregID` + `CareConID`;
#' MSD301 by `UniqPregID` + `LabourDeliveryID`; MSD401 by `UniqPregID` +
#' `Person_ID_Baby`; MSD901 by `OrgCodeProvider` + `CareProfLID` (or
#' `CareProfLID` alone without a provider column). MSD202, MSD302, MSD402
#' and MSD405 keep the rows of their parent's retained submission (matched on
#' the pregnancy, the local id and `RecordNumber`), without exact repeats.
#' MSD001 keeps one row per mother per submission (`Person_ID_Mother` +
#' `RecordNumber`): a pregnancy's demographics come from its booking's
#' submission (see [define_cohort()]). The rows removed are counted per table
#' in attribute `submissions` (see [msds_submissions()]); the keys are listed
#' by [msds_record_keys()]. Provider-local ids (`CareConID`,
#' `LabourDeliveryID`, `CareProfLID`, `TeamLocalID`) are only ever joined
#' together with the pregnancy or the provider.
#' @returns An object of class `msds`: a named list of tibbles (one per table)
#'   with attributes `quality` (a tibble of data-quality counts, see
#'   [msds_quality()]), `formats` (a tibble with one row per date column:
#'   `table`, `field`, `format` read, `n_values` non-missing values and
#'   `precision`, `"day"` or `"month"`), `invalid_codes` (a tibble `table`,
#'   `field`, `value`, `provider`, `month`, `n_rows`, see
#'   [msds_invalid_codes()]), `submissions` (rows kept and removed per table,
#'   see [msds_submissions()]), `flags`, `mapping` and, when superseded
#'   MSD101 submissions held a later discharge date than the retained one,
#'   `discharge_superseded` (those pregnancies' ids and dates: NHS Digital's
#'   continuity measures take the latest non-null discharge over every
#'   submission).
#' @seealso [simulate_msds()] makes MSDS-shaped data with a known truth.
#' @examples
#' x <- as_msds(unclass(msds_example), flags = attr(msds_example, "flags"),
#'              quiet = TRUE)
#' x
#'
#' # an extract saved as one file per table, read table by table
#' dir <- tempfile("extract")
#' dir.create(dir)
#' for (tab in names(msds_example)) {
#'   saveRDS(msds_example[[tab]], file.path(dir, paste0(tab, ".rds")))
#' }
#' files <- list.files(dir, full.names = TRUE)
#' readers <- lapply(files, function(f) function() readRDS(f))
#' names(readers) <- sub("[.]rds$", "", basename(files))
#' y <- as_msds(readers, flags = attr(msds_example, "flags"), quiet = TRUE)
#' identical(y$MSD201CareContactPreg, x$MSD201CareContactPreg)
#' @export
as_msds <- function(tables, mapping = NULL, flags = NULL, quiet = FALSE, as_at = NULL,
                    v15_codes = NULL, reduce = c("memory", "database"), lazy = FALSE) {
  as_at <- check_as_at(as_at)
  reduce_given <- !missing(reduce)
  reduce <- rlang::arg_match(reduce)
  check_flag(lazy)
  if (lazy && reduce_given && reduce == "memory") {
    cli::cli_abort(c("{.code lazy = TRUE} reduces the submissions in the database.",
                     "x" = "{.code reduce = \"memory\"} reads every row into R first."))
  }
  if (reduce == "database" || lazy) return(as_msds_db_reduced(tables, mapping, flags, quiet, as_at, lazy))
  if (inherits(tables, "DBIConnection")) tables <- read_msds_db(tables, mapping)
  old_formats <- NULL
  old_versions <- NULL
  if (inherits(tables, "msds")) {
    flags <- flags %||% attr(tables, "flags")
    old_formats <- attr(tables, "formats")
    old_versions <- attr(tables, "versions")
    tables <- unclass(tables)
  }
  if (!is.list(tables) || is.data.frame(tables) || is.null(names(tables)) ||
      any(!nzchar(names(tables)))) {
    cli::cli_abort(c("{.arg tables} must be a named list of data frames, one per MSDS table.",
                     "x" = "It is {.obj_type_friendly {tables}}."))
  }
  not_df <- names(tables)[!vapply(tables, function(t) is.data.frame(t) || is.function(t), TRUE)]
  if (length(not_df)) {
    cli::cli_abort("{.arg tables} element{?s} {.field {not_df}} {?is/are} not a data frame (or a function that returns one).")
  }
  mapping <- read_mapping(mapping)
  tables <- apply_mapping(tables, mapping)
  is15 <- names(tables) %in% names(v15_tables)
  # v1.5 tables are harmonised with the v2 ones before validation: read whole
  if (any(is15)) {
    here <- rlang::current_env()
    tables <- Map(function(tab, t) read_msds_input(tab, t, here), names(tables), tables)
  }
  rk <- v15_rename_keys(tables[is15])
  tables[is15] <- rk$tables
  # the columns of each table as given; a reader's once it is read
  col_names <- lapply(tables, function(t) if (is.data.frame(t)) names(t))
  unmapped <- NULL
  on_read <- function(read_names) {
    readers <- names(col_names)[vapply(col_names, is.null, TRUE)]
    col_names[readers] <- read_names[readers]
    unmapped <<- unmapped_fields(lapply(col_names, function(n) stats::setNames(vector("list", length(n)), n)))
    if (!is.null(mapping) && nrow(unmapped) && !quiet) report_unmapped(unmapped)
  }
  versions <- old_versions
  if (any(names(tables) %in% names(v15_tables))) {
    v15_codes <- check_v15_codes(v15_codes)
    h <- harmonise_v15(tables[is15], v15_codes, as_at = as_at)
    if (!is.null(h$problems) && any(h$problems$severity == "error")) {
      abort_msds_problems(h$problems[h$problems$severity == "error", , drop = FALSE])
    }
    u <- union_versions(tables[!is15], h)
    tables <- u$tables
    versions <- u$versions
    versions$keys <- rk$keys
  }
  x <- msds_build(tables, mapping, flags, quiet, as_at = as_at, on_read = on_read)
  attr(x, "unmapped") <- unmapped
  if (!is.null(versions)) {
    attr(x, "versions") <- versions
    q15 <- h$problems[h$problems$severity == "warning", c("table", "field", "problem", "n_rows", "examples"), drop = FALSE]
    if (!is.null(q15) && nrow(q15)) attr(x, "quality") <- rbind(attr(x, "quality"), tibble::as_tibble(q15))
  }
  # an msds object validated again keeps what was read the first time (its
  # date columns are Date by now): the format and the month precision
  f <- attr(x, "formats")
  if (!is.null(old_formats) && nrow(f)) {
    i <- match(paste(f$table, f$field), paste(old_formats$table, old_formats$field))
    keep <- !is.na(i) & f$format == "Date"
    f[keep, ] <- old_formats[i[keep], names(f)]
    attr(x, "formats") <- f
  }
  x
}

# as_msds(con, reduce = "database"): the reduction in SQL
# (db_reduce_submissions()), then the in-memory checks on the retained rows;
# with lazy = TRUE, an msds_db object (as_msds_lazy()).
as_msds_db_reduced <- function(con, mapping, flags, quiet, as_at, lazy = FALSE,
                               call = rlang::caller_env()) {
  if (!inherits(con, "DBIConnection")) {
    cli::cli_abort(c("{.code reduce = \"database\"} (or {.code lazy = TRUE}) needs a DBI connection in {.arg tables}.",
                     "x" = "It is {.obj_type_friendly {con}}."), call = call)
  }
  if (!is.null(mapping)) {
    cli::cli_abort(c("{.code reduce = \"database\"} reads tables and fields named as in {.fn msds_schema}.",
                     "i" = "Rename them in views, or use {.code reduce = \"memory\"} with {.arg mapping}."),
                   call = call)
  }
  if (lazy) return(as_msds_lazy(con, flags, quiet, as_at, call = call))
  red <- db_reduce_submissions(con, as_at, call = call)
  x <- msds_build(red$tables, NULL, flags, quiet, call = call)
  attr(x, "submissions") <- red$log
  attr(x, "discharge_superseded") <- red$discharge_superseded
  if (length(red$problems)) {
    q <- do.call(rbind, red$problems)
    attr(x, "quality") <- rbind(attr(x, "quality"),
                                tibble::as_tibble(q[, c("table", "field", "problem", "n_rows", "examples")]))
  }
  attr(x, "unmapped") <- unmapped_fields(red$tables)
  x
}

# Validates and builds the msds object. `trusted` names tables that are valid
# by construction (simulate_msds()'s contact tables): their columns already
# have the schema types, no blanks, codes from the code lists, unique keys
# and parents that exist, so only their cheap checks (missing keys, plausible
# ranges) run. as_msds() trusts nothing; a test checks that as_msds() on
# simulate_msds() output finds it valid and gives the same object.
msds_build <- function(tables, mapping, flags, quiet, trusted = character(),
                       call = rlang::caller_env(2), as_at = NULL, on_read = NULL) {
  checked <- validate_msds_tables(tables, trusted, as_at = as_at, call = call)
  # as_msds(): the columns as given (readers' too), before any error
  if (!is.null(on_read)) on_read(checked$read_names)
  problems <- checked$problems
  errors <- problems[problems$severity == "error", , drop = FALSE]
  if (nrow(errors)) abort_msds_problems(errors, call = call)
  flags <- validate_flags(flags, checked$tables, call = call)
  quality <- problems[problems$severity == "warning", c("table", "field", "problem", "n_rows", "examples")]
  quality <- tibble::as_tibble(quality)
  if (!quiet && nrow(quality)) {
    # counts as the option's disclosure rule releases them
    lines <- sprintf("%s.%s: %s (%s row%s)", quality$table, quality$field,
                     quality$problem, released_count(quality$n_rows),
                     ifelse(vapply(quality$n_rows, released_qty, 0) == 1, "", "s"))
    cli::cli_warn(c("MSDS data-quality issues, counted in the object (see {.fn msds_quality}):",
                    stats::setNames(gsub("([{}])", "\\1\\1", lines), rep("!", length(lines))),
                    exact_note()),
                  class = "matequity_data_quality")
  }
  structure(checked$tables, class = "msds", quality = quality, flags = flags,
            mapping = mapping, formats = tibble::as_tibble(checked$formats),
            invalid_codes = tibble::as_tibble(checked$invalid),
            submissions = checked$submissions,
            discharge_superseded = checked$discharge_superseded)
}

#' Data-quality counts recorded when an `msds` object was validated
#'
#' @param data An `msds` object from [as_msds()] or [simulate_msds()], or an `msds_db`
#'   object from `as_msds(con, lazy = TRUE)`.
#' @param disclosure A disclosure rule (see [disclosure_rule()]), `"none"`, or
#'   `NULL` for `getOption("matequity.disclosure", "nhse_sde")`: the row
#'   counts pass through it like every other count matequity returns.
#' @param x Deprecated: use `data`.
#' @returns A tibble with columns `table`, `field`, `problem`, `n_rows`,
#'   `n_rows_sdc` (what the disclosure rule did) and `examples` (a few
#'   offending values; dropped unless disclosure control is off, since they
#'   are record-level values). Problems include `"code outside the code
#'   list"` (one row per field; the values by provider and month are in
#'   [msds_invalid_codes()]), `"text that is not a number, set to missing"`,
#'   `"unparseable date (column format ...), set to missing"`, `"month
#'   precision only: stored as the 1st of the month"`, missing values and
#'   values outside a plausible range.
#' @seealso [msds_invalid_codes()] for codes outside the code lists.
#' @examples
#' msds_quality(msds_example)
#' msds_quality(msds_example, disclosure = "none")
#' @export
msds_quality <- function(data, disclosure = NULL, x = NULL) {
  if (deprecated_arg(x, missing(data), "x", "data", "msds_quality")) data <- x
  check_msds(data, lazy = TRUE)
  q <- attr(data, "quality")
  rule <- resolve_disclosure(disclosure)
  if (!identical(rule$preset, "none")) q$examples <- NULL
  apply_disclosure(q, counts = "n_rows", disclosure = rule)
}

# `lazy`: whether an `msds_db` object (as_msds(con, lazy = TRUE)) is accepted,
# for the functions that read only what it carries (its submissions log and
# data-quality counts).
check_msds <- function(x, arg = rlang::caller_arg(x), call = rlang::caller_env(),
                       lazy = FALSE) {
  if (!inherits(x, "msds") && !(lazy && inherits(x, "msds_db"))) {
    cli::cli_abort(
      c("{.arg {arg}} must be a validated {.cls msds} object.",
        "x" = "It is {.obj_type_friendly {x}}.",
        "i" = "Build one with {.fn as_msds} (or {.fn simulate_msds})."),
      call = call)
  }
  invisible(x)
}

apply_mapping <- function(tables, mapping) {
  if (is.null(mapping)) return(tables)
  if (is.character(mapping)) mapping <- list(.all = mapping)
  if (!is.list(mapping)) {
    cli::cli_abort("{.arg mapping} must be a named character vector or a named list of them.")
  }
  if (!is.null(mapping$.tables)) {
    tm <- mapping$.tables
    hit <- match(names(tables), tm)
    names(tables)[!is.na(hit)] <- names(tm)[hit[!is.na(hit)]]
  }
  for (tab in names(tables)) {
    m <- c(mapping$.all, mapping[[tab]])
    if (!length(m)) next
    if (is.null(names(m)) || any(!nzchar(names(m)))) {
      cli::cli_abort("{.arg mapping} entries must be named {.code MSDS_field = \"local_name\"}.")
    }
    tables[[tab]] <- if (is.function(tables[[tab]])) map_reader(tables[[tab]], m) else
      map_fields(tables[[tab]], m)
  }
  tables
}

map_fields <- function(df, m) {
  hit <- match(names(df), m)
  names(df)[!is.na(hit)] <- names(m)[hit[!is.na(hit)]]
  df
}

# A reader whose table gets the mapping's field names when it is read
# (what is not a data frame is passed on, for read_msds_input()'s error).
map_reader <- function(reader, m) {
  force(reader)
  force(m)
  function() {
    df <- reader()
    if (is.data.frame(df)) map_fields(df, m) else df
  }
}

# A table given as a function of no arguments (a reader) is called when
# as_msds() reaches it and must return a data frame.
read_msds_input <- function(tab, x, call = rlang::caller_env()) {
  if (!is.function(x)) return(x)
  df <- x()
  if (!is.data.frame(df)) {
    cli::cli_abort(c("The reader given for table {.field {tab}} must return a data frame.",
                     "x" = "It returned {.obj_type_friendly {df}}."), call = call)
  }
  df
}

read_msds_db <- function(con, mapping) {
  rlang::check_installed("DBI", "to read MSDS tables from a database.")
  tm <- if (is.list(mapping)) mapping$.tables else NULL
  wanted <- names(msds_tables)
  local <- ifelse(wanted %in% names(tm), tm[wanted], wanted)
  present <- DBI::dbListTables(con)
  out <- list()
  for (i in seq_along(wanted)) {
    if (local[i] %in% present) out[[wanted[i]]] <- db_table_reader(con, local[i])
  }
  out
}

# Each table is read when as_msds() reaches it (one raw table in memory at a
# time).
db_table_reader <- function(con, name) {
  force(name)
  function() DBI::dbReadTable(con, name)
}

# Puts tables that are valid by construction (simulate_msds()'s contacts)
# into an msds object built with empty stand-ins for them (see
# msds_empty_table()), so that their millions of rows skip the full checks.
# Their cheap checks run; if they find anything, the whole object is rebuilt
# and checked so that problems are reported exactly as as_msds() would.
msds_add_trusted <- function(x, new) {
  tables <- unclass(x)
  attributes(tables) <- list(names = names(tables))
  found <- 0L
  formats <- list()
  for (tab in names(new)) {
    res <- validate_msds_table(tab, new[[tab]], trust = TRUE)
    tables[[tab]] <- res$df
    found <- found + length(res$problems)
    formats <- c(formats, res$formats)
  }
  if (found > 0L) {
    for (tab in names(new)) tables[[tab]] <- new[[tab]]
    return(msds_build(tables, attr(x, "mapping"), attr(x, "flags"), quiet = TRUE,
                      trusted = names(new)))
  }
  attributes(tables) <- c(attributes(tables), attributes(x)[setdiff(names(attributes(x)), "names")])
  f <- attr(x, "formats")
  if (!is.null(f)) {
    f <- rbind(f[!f$table %in% names(new), , drop = FALSE], do.call(rbind, formats))
    attr(tables, "formats") <- f[order(match(f$table, names(msds_tables))), , drop = FALSE]
  }
  # trusted tables hold one submission: all their rows are kept
  s <- attr(tables, "submissions")
  if (!is.null(s)) {
    i <- match(names(new), s$table)
    nr <- vapply(new, nrow, 1L)
    s$rows_in[i[!is.na(i)]] <- nr[!is.na(i)]
    s$rows_kept[i[!is.na(i)]] <- nr[!is.na(i)]
    attr(tables, "submissions") <- s
  }
  tables
}

# A zero-row table with the schema's columns and types.
msds_empty_table <- function(tab) {
  empty <- list(character = character(), integer = integer(), numeric = numeric(),
                record = numeric(), date = as.Date(character()))
  tibble::new_tibble(lapply(msds_tables[[tab]]$columns, function(cs) empty[[cs$type]]),
                     nrow = 0L)
}

new_problem <- function(table, field, problem, n_rows, examples = "",
                        severity = "error") {
  data.frame(table = table, field = field, problem = problem,
             n_rows = as.integer(n_rows), examples = examples,
             severity = severity, stringsAsFactors = FALSE)
}

# Checks one table: columns, types, key values, codes, ranges, duplicate keys.
# A trusted table (valid by construction) gets only the cheap checks:
# missing key values and plausible ranges (its integer record numbers are
# stored as doubles, as as_msds() stores them). Returns the converted table,
# its problems, the date formats found and the codes outside the code lists.
validate_msds_table <- function(tab, df, trust = FALSE, spec = msds_tables[[tab]]) {
  problems <- list()
  formats <- list()
  invalid <- list()
  add <- function(...) problems[[length(problems) + 1L]] <<- new_problem(...)
  req <- names(spec$columns)[vapply(spec$columns, `[[`, TRUE, "required")]
  for (f in setdiff(req, names(df))) add(tab, f, "required column is missing", nrow(df))
  fields <- intersect(names(spec$columns), names(df))
  usable <- character()
  # converted columns are set in a plain list; the tibble is built once
  if (!trust) cols <- unclass(df)
  outside <- list()
  # convert every column first: the code counts need the provider and date
  for (f in fields) {
    cs <- spec$columns[[f]]
    if (trust) {
      if (cs$type == "record" && is.integer(df[[f]])) df[[f]] <- as.double(df[[f]])
      if (cs$type == "date") {
        formats[[length(formats) + 1L]] <- tibble::tibble(
          table = tab, field = f, format = "Date", n_values = n_present(df[[f]]),
          precision = "day")
      }
      usable <- c(usable, f)
      next
    }
    res <- convert_field(df[[f]], cs)
    for (p in res$problems) add(tab, f, p$problem, p$n_rows, p$examples, p$severity)
    if (!is.null(res$format)) {
      formats[[length(formats) + 1L]] <- tibble::tibble(
        table = tab, field = f, format = res$format$format,
        n_values = as.integer(res$format$n_values), precision = res$format$precision)
    }
    if (is.null(res$value)) next
    if (!is.null(res$outside)) outside[[f]] <- res$outside
    cols[[f]] <- res$value
    usable <- c(usable, f)
  }
  if (!trust) {
    n <- nrow(df)
    attr(cols, "row.names") <- NULL
    # names a tibble refuses (repeated, empty) get as_tibble()'s error
    odd <- anyDuplicated(names(cols)) || !all(nzchar(names(cols)))
    df <- if (odd) tibble::as_tibble(structure(cols, class = "data.frame", row.names = .set_row_names(n))) else
      tibble::new_tibble(cols, nrow = n)
  }
  for (f in usable) {
    cs <- spec$columns[[f]]
    v <- df[[f]]
    if (f %in% spec$key && anyNA(v)) {
      add(tab, f, "key value is missing", sum(is.na(v)))
    }
    if (!is.null(cs$codes) && !trust) {
      # kept as they are (normalised to upper case), counted as data quality
      bad <- outside[[f]] %||% (!is.na(v) & !v %in% cs$codes)
      if (any(bad)) {
        add(tab, f, "code outside the code list", sum(bad), example_values(v[bad]), "warning")
        invalid[[length(invalid) + 1L]] <- invalid_code_counts(tab, f, df, bad)
      }
    }
    if (!is.null(cs$range) && !in_range(v, cs$range)) {
      bad <- !is.na(v) & (v < cs$range[1] | v > cs$range[2])
      if (any(bad)) {
        add(tab, f, sprintf("value outside the plausible range %s-%s", cs$range[1], cs$range[2]),
            sum(bad), example_values(v[bad]), "warning")
      }
    }
  }
  # repeated keys are resubmissions: msds_reduce_submissions() keeps the
  # latest and counts the rest (a record repeated within one submission is a
  # data-quality count there, not an error)
  if (!tibble::is_tibble(df)) df <- tibble::as_tibble(df)
  list(df = df, problems = problems, formats = formats, invalid = invalid)
}

# TRUE when a plain numeric column has no value outside `range` (its
# minimum and maximum say so, without five vectors as long as the column);
# FALSE when the rows must be looked at.
in_range <- function(v, range) {
  if (!is.numeric(v) || !is.null(oldClass(v))) return(FALSE)
  # min() and max() each, not range(), which copies the values present
  lo <- suppressWarnings(min(v, na.rm = TRUE))
  hi <- suppressWarnings(max(v, na.rm = TRUE))
  !is.finite(lo) && !is.finite(hi) && lo > hi ||
    (is.finite(lo) && is.finite(hi) && lo >= range[1] && hi <= range[2])
}

# Key values as text for examples (record numbers in full, not 1e+14).
key_text <- function(x) if (is.double(x)) whole_text(x) else as.character(x)

# Checks every table against the schema; returns the converted tables and a
# data frame of problems (severity "error" or "warning"). Tables are taken in
# schema order (a parent before its children), each converted and then at
# once reduced to its latest submissions, until a table has an error (then
# nothing more is reduced: the object will not be made). A table given as a
# reader (a function, see read_msds_input()) is read only when its turn
# comes and its raw rows are let go once converted, so that only one raw
# table is in memory at a time. `read_names` holds the columns of each table
# as given (for msds_unmapped()).
validate_msds_tables <- function(tables, trusted = character(), as_at = NULL,
                                 call = rlang::caller_env()) {
  problems <- list()
  formats <- list()
  invalid <- list()
  read_names <- list()
  add <- function(...) problems[[length(problems) + 1L]] <<- new_problem(...)
  has_error <- function() any(vapply(problems, function(p) p$severity == "error", TRUE))
  state <- new_reduce_state()
  reducing <- TRUE
  for (tab in names(msds_tables)) {
    spec <- msds_tables[[tab]]
    if (!tab %in% names(tables)) {
      if (!isTRUE(spec$optional_table)) add(tab, "", "table is missing", 0L)
      next
    }
    df <- read_msds_input(tab, tables[[tab]], call)
    # the list lets go of the raw table: only `df` holds it now
    tables[tab] <- list(NULL)
    read_names[[tab]] <- names(df)
    res <- validate_msds_table(tab, df, tab %in% trusted)
    rm(df)
    problems <- c(problems, res$problems)
    formats <- c(formats, res$formats)
    invalid <- c(invalid, res$invalid)
    # latest submission of each record (once the key columns are converted)
    reducing <- reducing && !has_error()
    if (reducing) {
      r <- reduce_submissions_table(tab, res$df, state, as_at)
      res <- NULL
      state <- r$state
      tables[[tab]] <- r$df
    } else {
      tables[[tab]] <- res$df
    }
    r <- res <- NULL
  }
  # tables matequity does not know, kept as given (read, when readers)
  for (tab in setdiff(names(tables), names(msds_tables))) {
    if (is.function(tables[[tab]])) tables[tab] <- list(read_msds_input(tab, tables[[tab]], call))
  }
  submissions <- NULL
  discharge_superseded <- NULL
  if (reducing) {
    sub <- reduce_state_result(state, tables, as_at)
    submissions <- sub$log
    discharge_superseded <- sub$discharge_superseded
    problems <- c(problems, sub$problems)
  }
  rm(state)
  # orphan keys on the scoped keys (a provider-local id with its pregnancy)
  for (tab in intersect(names(msds_tables), names(tables))) {
    par <- msds_tables[[tab]]$parent
    if (is.null(par) || !par$table %in% names(tables) || tab %in% trusted) next
    ct <- tables[[tab]]
    pt <- tables[[par$table]]
    usable <- Filter(function(by) all(by %in% names(ct)) && all(by %in% names(pt)), par$by)
    if (!length(usable)) next
    by <- usable[[1L]]
    same <- vapply(by, function(f) identical(class(ct[[f]]), class(pt[[f]])), TRUE)
    if (!all(same)) next
    # the rows with every key value present and no parent row with them,
    # found in one engine pass (no row-length vectors in R)
    bad <- with_row_hash_against(unclass(ct)[by], unclass(pt)[by], function(x, table) .cpp_orphan_rows(table, x))
    if (length(bad)) {
      ex <- if (length(by) == 1L) ct[[by]][bad] else do.call(paste, c(lapply(unclass(ct)[by], `[`, bad[seq_len(min(5L, length(bad)))]), sep = "/"))
      add(tab, paste(by, collapse = " + "), sprintf("orphan key: no matching record in %s", par$table),
          length(bad), example_values(ex))
    }
  }
  problems <- c(problems, data_quality_problems(tables))
  problems <- if (length(problems)) do.call(rbind, problems) else
    new_problem(character(), character(), character(), integer(), character(), character())
  list(tables = tables, problems = problems, read_names = read_names,
       formats = if (length(formats)) do.call(rbind, formats) else empty_formats(),
       invalid = if (length(invalid)) do.call(rbind, invalid) else empty_invalid_codes(),
       submissions = submissions, discharge_superseded = discharge_superseded)
}

# Real-data quality issues: counted, not errors.
data_quality_problems <- function(tables) {
  out <- list()
  add <- function(...) out[[length(out) + 1L]] <<- new_problem(..., severity = "warning")
  md <- tables$MSD001MotherDemog
  if (!is.null(md) && is.character(md$EthnicCategoryMother)) {
    n <- sum(is.na(md$EthnicCategoryMother) | md$EthnicCategoryMother %in% c("Z", "99"))
    if (n) add("MSD001MotherDemog", "EthnicCategoryMother", "ethnicity not stated or not known (Z, 99, missing)", n)
  }
  for (f in c("LSOAMother2011", "Rank_IMD_Decile_2015")) {
    if (!is.null(md) && f %in% names(md) && anyNA(md[[f]])) {
      add("MSD001MotherDemog", f, "missing", sum(is.na(md[[f]])))
    }
  }
  cp <- tables$MSD102MatCarePlan
  for (f in c("MatPersCarePlanInd", "ContCarePathInd", "CareProfLID", "TeamLocalID")) {
    if (!is.null(cp) && f %in% names(cp) && anyNA(cp[[f]])) {
      add("MSD102MatCarePlan", f, "missing", sum(is.na(cp[[f]])))
    }
  }
  out
}

abort_msds_problems <- function(errors, call = rlang::caller_env(2)) {
  lines <- sprintf("{.field %s}%s: %s (%s row%s)%s", errors$table,
                   ifelse(nzchar(errors$field), paste0("${.field ", errors$field, "}"), ""),
                   errors$problem, released_count(errors$n_rows),
                   ifelse(vapply(errors$n_rows, released_qty, 0) == 1, "", "s"),
                   ifelse(nzchar(errors$examples), paste0("; e.g. ", gsub("([{}])", "\\1\\1", errors$examples)), ""))
  cli::cli_abort(c("The MSDS tables have {nrow(errors)} problem{?s}; nothing was built.",
                   stats::setNames(lines, rep("x", length(lines))),
                   "i" = "See {.fn msds_schema} for the tables, fields, types and codes expected."),
                 class = "matequity_msds_invalid", call = call)
}

validate_flags <- function(flags, tables, call = rlang::caller_env(2)) {
  if (is.null(flags)) return(NULL)
  check_data_frame(flags, call = call)
  check_columns(flags, "Person_ID_Mother", table = "flags", arg = "flags", call = call)
  other <- setdiff(names(flags), "Person_ID_Mother")
  bad <- other[!vapply(flags[other], is.logical, TRUE)]
  if (length(bad)) {
    cli::cli_abort(c("{.arg flags} columns must be logical.",
                     "x" = "Not logical: {.field {bad}}."), call = call)
  }
  # the same exact conversion as the tables' ids (numbers as digit text)
  id <- convert_field(flags$Person_ID_Mother, schema_col("character"))
  if (is.null(id$value)) {
    cli::cli_abort(c("{.arg flags} column {.field Person_ID_Mother} cannot be read as ids.",
                     "x" = "{id$problems[[1]]$problem}: e.g. {id$problems[[1]]$examples}."), call = call)
  }
  flags$Person_ID_Mother <- id$value
  check_unique_key(flags$Person_ID_Mother, "mother (Person_ID_Mother)", "flags", call = call)
  tibble::as_tibble(flags)
}

#' Print and summarise an msds object
#'
#' `print()` and `format()` describe the validated tables: pregnancies,
#' women and providers, the booking period, rows per table, resubmitted rows
#' dropped, codes outside the code lists and the data-quality counts.
#' `summary()` gives the rows and columns of each table. Every count is shown
#' as the disclosure rule releases it ("~1,240" rounded, "<10" suppressed),
#' and the booking period as the first and last calendar months (quarters or
#' years when no month has enough) with at least the rule's threshold of
#' bookings (the earliest and latest booking dates are one woman's dates). With `disclosure = "none"` the counts and
#' dates are exact and the output says that disclosure control is off.
#'
#' @param x,object An `msds` object from [as_msds()].
#' @param ... Unused.
#' @param disclosure A disclosure rule (see [disclosure_rule()]), a preset
#'   name, or `NULL` for `getOption("matequity.disclosure", "nhse_sde")`.
#' @returns `format()`: a character vector, one element per line; `print()`:
#'   `x`, invisibly; `summary()`: an `mq_sdc` tibble with columns `table`,
#'   `rows`, `rows_sdc` and `columns`.
#' @examples
#' msds_example
#' print(msds_example, disclosure = "none")
#' summary(msds_example)
#' @name msds-methods
NULL

#' @rdname msds-methods
#' @export
print.msds <- function(x, ..., disclosure = NULL) {
  cat(format(x, ..., disclosure = disclosure), sep = "\n")
  invisible(x)
}

#' @rdname msds-methods
#' @export
format.msds <- function(x, ..., disclosure = NULL) {
  rule <- resolve_disclosure(disclosure)
  rc <- function(n) released_count(n, rule)
  bk <- x$MSD101PregnancyBooking
  n_rows <- vapply(unclass(x), nrow, 1L)
  providers <- unique(unlist(lapply(unclass(x), function(t) {
    if ("OrgCodeProvider" %in% names(t)) t$OrgCodeProvider
  })))
  q <- attr(x, "quality")
  out <- c(
    if (is.null(attr(x, "versions"))) "<msds> MSDS v2 tables, validated" else "<msds> MSDS v1.5 and v2 tables harmonised to v2, validated",
    if (rule$preset == "none") "  DISCLOSURE CONTROL OFF (rule \"none\"): exact counts and dates, not for release outside the SDE",
    sprintf("  pregnancies: %s  women: %s  providers: %s",
            rc(length(unique(bk$UniqPregID))),
            rc(length(unique(x$MSD001MotherDemog$Person_ID_Mother))),
            rc(length(providers[!is.na(providers)]))),
    booking_period_line(bk, rule),
    "  tables:",
    sprintf("    %-26s %12s rows", names(n_rows), rc(n_rows))
  )
  s <- attr(x, "submissions")
  if (!is.null(s) && nrow(s) && any(s$rows_kept < s$rows_in)) {
    r <- s[s$rows_kept < s$rows_in, , drop = FALSE]
    out <- c(out, "  submissions (older, repeated or after as_at; see msds_submissions()):",
             sprintf("    %-26s %12s of %s rows kept", r$table, rc(r$rows_kept), rc(r$rows_in)))
  }
  if (!is.null(attr(s, "as_at"))) out <- c(out, sprintf("  as at: %s", format(attr(s, "as_at"))))
  vs <- attr(x, "versions")
  if (!is.null(vs)) {
    vc <- vs$counts
    out <- c(out, sprintf("  MSDS versions (see msds_versions()): v1.5 bookings %s (%s replaced by their v2 record), v2 bookings %s",
                          rc(vc$bookings[1]), rc(vc$replaced_by_v2[1]), rc(vc$bookings[2])))
  }
  if (!is.null(attr(x, "flags"))) {
    out <- c(out, sprintf("  person flags: %s", paste(setdiff(names(attr(x, "flags")), "Person_ID_Mother"), collapse = ", ")))
  }
  fm <- attr(x, "formats")
  fm <- if (is.null(fm)) fm else fm[!fm$format %in% c("Date", "all missing"), , drop = FALSE]
  if (!is.null(fm) && nrow(fm)) {
    out <- c(out, "  date formats read (see attr(x, \"formats\")):",
             sprintf("    %s.%s: %s", fm$table, fm$field, fm$format))
  }
  ic <- attr(x, "invalid_codes")
  if (!is.null(ic) && nrow(ic)) {
    nf <- sum(!duplicated(paste(ic$table, ic$field)))
    out <- c(out, sprintf("  codes outside the code lists: %s row%s in %s field%s (see msds_invalid_codes())",
                          rc(sum(ic$n_rows)), if (released_qty(sum(ic$n_rows), rule) == 1) "" else "s",
                          nf, if (nf == 1) "" else "s"))
  }
  if (nrow(q)) {
    out <- c(out, "  data quality (see msds_quality()):",
             sprintf("    %s.%s: %s (%s)", q$table, q$field, q$problem, rc(q$n_rows)))
  } else {
    out <- c(out, "  data quality: no issues counted")
  }
  out
}

# The booking period: exact first and last dates under rule "none";
# otherwise the first and last calendar months (or quarters, or years, when
# no month has enough) with at least the threshold of bookings.
booking_period_line <- function(bk, rule) {
  d <- if (!is.null(bk) && nrow(bk)) bk$AntenatalAppDate[!is.na(bk$AntenatalAppDate)] else NULL
  if (!length(d)) return("  bookings: no booking dates")
  if (rule$preset == "none") {
    rng <- range(d)
    return(sprintf("  bookings from %s to %s", format(rng[1]), format(rng[2])))
  }
  lt <- as.POSIXlt(d)
  units <- list(months = format(d, "%Y-%m"),
                quarters = sprintf("%d Q%d", lt$year + 1900, lt$mon %/% 3 + 1),
                years = format(d, "%Y"))
  for (u in names(units)) {
    tab <- table(units[[u]])
    ok <- names(tab)[tab >= max(rule$threshold, 1)]
    if (length(ok)) {
      return(sprintf("  bookings from %s to %s (first and last %s with at least %s)",
                     min(ok), max(ok), u, fmt_n(rule$threshold)))
    }
  }
  sprintf("  bookings: no calendar year with at least %s", fmt_n(rule$threshold))
}

fmt_n <- function(x) format(x, big.mark = ",", scientific = FALSE, trim = TRUE)

#' @rdname msds-methods
#' @export
summary.msds <- function(object, ..., disclosure = NULL) {
  out <- tibble::tibble(
    table = names(unclass(object)),
    rows = vapply(unclass(object), nrow, 1L),
    columns = vapply(unclass(object), ncol, 1L)
  )
  apply_disclosure(out, counts = "rows", disclosure = disclosure)
}
