# Converting the value shapes real MSDS extracts hold (CSV, ODBC, Spark
# exports) to the schema types, exactly and without guessing: record
# numbers beyond R's integers, numeric or integer64 ids, text numerics, date
# formats detected per column, all-missing columns of any type. Every
# conversion returns list(value, problems, format): `problems` are rows for
# the problem table ("error" rows stop as_msds(), "warning" rows are data
# quality), `format` describes what a date column held.

# Largest whole number a double holds exactly with its neighbours (2^53).
record_max <- 2^53

# The date column that dates a table's rows when it has no RPStartDate
# (used for the month of an invalid-code count).
msds_main_date <- c(
  MSD101PregnancyBooking = "AntenatalAppDate",
  MSD102MatCarePlan = "CarePlanDate",
  MSD201CareContactPreg = "CContactDate",
  MSD401BabyDemographics = "PersonBirthDateBaby",
  MSD402NeonatalAdmission = "NeonatalTransferStartDate"
)

# Date formats, tried in this order (ties go to the earlier one). `re` must
# match the whole (trimmed) string; `ymd` gives the year, month and day
# groups of `re`; `time` the hour, minute and second groups (if any).
date_formats <- list(
  list(name = "YYYY-MM-DD", re = "^(\\d{4})-(\\d{2})-(\\d{2})$", ymd = c(1, 2, 3)),
  list(name = "DD/MM/YYYY", re = "^(\\d{1,2})/(\\d{1,2})/(\\d{4})$", ymd = c(3, 2, 1)),
  list(name = "YYYYMMDD", re = "^(\\d{4})(\\d{2})(\\d{2})$", ymd = c(1, 2, 3)),
  list(name = "YYYY-MM-DD HH:MM[:SS[.fff]]",
       re = "^(\\d{4})-(\\d{2})-(\\d{2}) (\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.\\d+)?)?$",
       ymd = c(1, 2, 3), time = c(4, 5, 6)),
  list(name = "YYYY-MM-DDTHH:MM:SS[.fff][Z]",
       re = "^(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2}):(\\d{2})(?:\\.\\d+)?(?:Z|[+-]\\d{2}:?\\d{2})?$",
       ymd = c(1, 2, 3), time = c(4, 5, 6)),
  list(name = "DD/MM/YYYY HH:MM[:SS]",
       re = "^(\\d{1,2})/(\\d{1,2})/(\\d{4}) (\\d{2}):(\\d{2})(?::(\\d{2}))?$",
       ymd = c(3, 2, 1), time = c(4, 5, 6)),
  list(name = "YYYY-MM (month precision)", re = "^(\\d{4})-(\\d{2})$", ymd = c(1, 2, NA),
       month = TRUE),
  list(name = "MM/YYYY (month precision)", re = "^(\\d{1,2})/(\\d{4})$", ymd = c(2, 1, NA),
       month = TRUE)
)

# A problem row for values x flagged `bad`. With `w`, x holds a column's
# distinct values (in order of first appearance) and w how many rows hold
# each: the count and the examples are those of the rows.
type_problem <- function(msg, x, bad, severity = "error", w = NULL) {
  n <- if (is.null(w)) sum(bad) else sum(w[bad])
  list(problem = msg, n_rows = n, examples = example_values(x[bad]), severity = severity)
}

# The distinct values of x, each row's index into them and how many rows
# hold each: the conversions below work on the distinct values (a column of
# millions of rows holds few distinct codes, numbers or dates) and map back.
# Text is coded by the engine on the strings' pointers, its hash as large
# as the distinct values (unique() and match() hash the whole column twice,
# and for text not all in the native encoding, as they compare it).
distinct_values <- function(x) {
  d <- if (is.character(x)) .cpp_distinct_strings(x, TRUE)
  if (is.null(d)) {
    u <- unique(x)
    i <- match(x, u)
  } else {
    u <- d$u
    i <- d$i
  }
  list(u = u, i = i, w = tabulate(i, length(u)))
}

# Blank ids ("" or white space only) to NA, in one pass over the strings;
# only strings mixing white space with non-ASCII bytes go to the regex.
blank_to_na <- function(x) {
  pos <- .cpp_blank_positions(x)
  blank <- pos$blank
  if (length(pos$undecided)) {
    u <- pos$undecided
    blank <- sort(c(blank, u[grepl("^\\s+$", x[u], perl = TRUE)]))
  }
  if (length(blank)) x[blank] <- NA_character_
  x
}

all_missing <- function(x) {
  if (is.factor(x)) x <- levels(x)[x]
  present <- function(v) if (is.character(v)) !is.na(v) & nzchar(trimws(v)) else !is.na(v)
  # the usual column has a value near the top: no pass over millions of rows
  if (any(present(x[seq_len(min(length(x), 1000L))]))) return(FALSE)
  !any(present(x))
}

# bit64::integer64 to text, without requiring bit64 to be attached (its
# namespace registers the as.character method).
integer64_text <- function(x) {
  rlang::check_installed("bit64", "to read integer64 columns.")
  loadNamespace("bit64")
  as.character(x)
}

# Whole non-negative doubles to digit text, exactly ("100000" not "1e+05").
whole_text <- function(x) {
  out <- rep(NA_character_, length(x))
  ok <- !is.na(x)
  out[ok] <- sprintf("%.0f", x[ok])
  out
}

# sum(!is.na(x)) as an integer, in one pass without a logical vector for a
# double or integer column (a Date).
n_present <- function(x) {
  if (is.double(x) || is.integer(x)) as.integer(.cpp_n_present(x)) else sum(!is.na(x))
}

# Converts one column to its schema type; returns list(value, problems,
# format). `problems` is a list of lists (problem, n_rows, examples,
# severity).
convert_field <- function(x, spec) {
  type <- spec$type
  wrong <- function(expected) {
    list(problems = list(type_problem(sprintf("wrong type: %s, expected %s", class(x)[1], expected),
                                      x, rep(TRUE, length(x)))))
  }
  if (inherits(x, "integer64")) x <- integer64_text(x)
  if (all_missing(x)) {
    na <- switch(type, character = NA_character_, integer = NA_integer_,
                 numeric = NA_real_, record = NA_real_, date = as.Date(NA))
    fmt <- if (type == "date") list(format = "all missing", n_values = 0L, precision = NA_character_)
    return(list(value = rep(na, length(x)), problems = list(), format = fmt))
  }
  if (is.factor(x)) x <- as.character(x)
  switch(type,
    record = convert_record(x, wrong),
    character = convert_character(x, spec, wrong),
    integer = ,
    numeric = convert_number(x, spec, wrong),
    date = convert_date(x, wrong),
    stop("unknown schema type ", type)
  )
}

# RecordNumber, UniqSubmissionID, MSDxxx_ID: whole numbers from 0 to
# 2^53 - 1, held exactly in a double.
convert_record <- function(x, wrong) {
  msg <- "unusable record number (not a whole number from 0 to 2^53 - 1)"
  if (is.logical(x)) return(wrong("a record number"))
  if (is.character(x)) {
    t <- trimws(x)
    t[which(!nzchar(t))] <- NA_character_
    digits <- !is.na(t) & grepl("^[0-9]+$", t)
    v <- rep(NA_real_, length(t))
    v[digits] <- as.numeric(t[digits])
    # from 2^53 on, text cannot be told apart from its neighbour as a double
    bad <- !is.na(t) & (!digits | nchar(sub("^0+", "", t)) > 16L | v >= record_max)
  } else if (is.numeric(x)) {
    v <- as.double(x)
    # the usual column is clean: its range and one whole-number test say so
    lo <- suppressWarnings(min(v, na.rm = TRUE))
    hi <- suppressWarnings(max(v, na.rm = TRUE))
    clean <- is.finite(lo) && is.finite(hi) && lo >= 0 && hi < record_max &&
      (is.integer(x) || .cpp_all_whole(v))
    bad <- if (clean) FALSE else
      !is.na(v) & (!is.finite(v) | v < 0 | v != floor(v) | v >= record_max)
  } else {
    return(wrong("a record number"))
  }
  if (any(bad)) {
    ex <- if (is.numeric(x)) trimws(formatC(x, format = "fg", digits = 15)) else x
    return(list(problems = list(type_problem(msg, ex, bad))))
  }
  list(value = v, problems = list())
}

# IDs and codes are text. Numbers become exact digit text; code fields (with
# a code list) and time fields are trimmed, and codes upper-cased, as NHS
# Digital's upper(); ids are kept exactly except that blanks become NA.
convert_character <- function(x, spec, wrong) {
  coded <- !is.null(spec$codes)
  if (identical(spec$format, "time")) {
    if (inherits(x, "POSIXt")) {
      x <- format(as.POSIXct(x), "%H:%M:%S", tz = posix_tz(x))
    } else if (inherits(x, "difftime")) {
      s <- as.numeric(x, units = "secs")
      x <- ifelse(is.na(s), NA_character_,
                  sprintf("%02d:%02d:%02d", as.integer(s %/% 3600), as.integer(s %% 3600 %/% 60),
                          as.integer(round(s %% 60))))
    }
  }
  if (is.logical(x)) return(wrong("character (codes and IDs are text)"))
  if (is.numeric(x)) {
    bad <- !is.na(x) & (!is.finite(x) | x != floor(x))
    if (any(bad)) {
      return(list(problems = list(type_problem(
        "wrong type: number with a fraction, expected character (codes and IDs are text)", x, bad))))
    }
    num <- x
    x <- whole_text(as.double(x))
    problems <- list()
    if (is.double(num) && any(big <- !is.na(num) & abs(num) > record_max)) {
      problems[[1]] <- type_problem(
        "numbers above 2^53 read as text: digits may have been lost before reading (read ids as text)",
        x, big, "warning")
    }
    # a numeric code column cannot hold leading zeros: restore them when
    # every code of the list has the same width ('1' -> '01'), and say so
    w <- unique(nchar(spec$codes))
    if (coded && length(w) == 1L && w > 1L && all(grepl("^[0-9]+$", spec$codes))) {
      ok <- which(!is.na(num) & num >= 0 & nchar(x) < w)
      if (length(ok)) {
        x[ok] <- paste0(strrep("0", w - nchar(x[ok])), x[ok])
        problems[[length(problems) + 1L]] <- type_problem(
          sprintf("numeric codes given: leading zeros restored to %d digits", w), num, seq_along(num) %in% ok,
          "warning")
      }
    }
    if (coded) x <- toupper(x)
    return(list(value = x, problems = problems))
  }
  if (!is.character(x)) return(wrong("character (codes and IDs are text)"))
  if (coded || identical(spec$format, "time")) {
    # on the distinct values (a code column has few), found by the engine
    # on the strings' pointers without a hash as long as the column (unique()
    # and match() when a string is not in the native encoding)
    d <- .cpp_distinct_strings(x, FALSE)
    u <- if (is.null(d)) unique(x) else d$u
    codes_of <- function(x) if (is.null(d)) match(x, u) else .cpp_distinct_strings(x, TRUE)$i
    nu <- trimws(u)
    if (coded) nu <- toupper(nu)
    nu[which(!nzchar(nu) | (!coded & grepl("^\\s+$", nu, perl = TRUE)))] <- NA_character_
    i <- NULL
    if (!identical(u, nu)) {
      i <- codes_of(x)
      x <- nu[i]
    }
    if (coded) {
      # the rows whose code is outside the code list, found on the distinct
      # codes: FALSE when there are none (validate_msds_table() counts them)
      ubad <- !is.na(nu) & !nu %in% spec$codes
      outside <- if (!any(ubad)) FALSE else ubad[i %||% codes_of(x)]
      return(list(value = x, problems = list(), outside = outside))
    }
  } else {
    x <- blank_to_na(x)
  }
  list(value = x, problems = list())
}

# Integer and numeric fields; text is parsed strictly (optional surrounding
# whitespace; for the IMD decile the label form '01 - Most deprived').
convert_number <- function(x, spec, wrong) {
  type <- spec$type
  problems <- list()
  d <- NULL
  if (is.character(x)) {
    # parsed on the distinct values; `w` counts the rows of each
    d <- distinct_values(x)
    x <- d$u
    t <- trimws(x)
    t[which(!nzchar(t))] <- NA_character_
    re <- if (type == "integer") "^[+-]?[0-9]+(\\.0*)?$" else
      "^[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?$"
    if (identical(spec$format, "decile")) {
      lab <- grepl("^[0-9]{1,2}\\s*-\\s*(most|least)?\\s*deprived$", t, ignore.case = TRUE)
      t[lab] <- sub("^([0-9]{1,2}).*$", "\\1", t[lab])
    }
    ok <- !is.na(t) & grepl(re, t)
    if (!any(ok)) {
      return(list(problems = list(type_problem(
        sprintf("wrong type: text with no value that is a number, expected %s", type), x, !is.na(t),
        w = d$w))))
    }
    bad <- !is.na(t) & !ok
    if (any(bad)) {
      problems <- list(type_problem("text that is not a number, set to missing", x, bad, "warning", d$w))
    }
    v <- rep(NA_real_, length(t))
    v[ok] <- as.numeric(t[ok])
    x <- v
  }
  if (!is.numeric(x) || is.logical(x)) return(wrong(type))
  if (type == "integer" && !is.integer(x)) {
    bad <- !is.na(x) & (!is.finite(x) | x != round(x) | abs(x) > .Machine$integer.max)
    if (any(bad)) {
      return(list(problems = c(problems, list(type_problem("wrong type: not a whole number", x, bad,
                                                           w = d$w)))))
    }
    x <- as.integer(x)
  }
  if (type == "numeric") x <- as.double(x)
  if (!is.null(d)) x <- x[d$i]
  list(value = x, problems = problems)
}

# The time zone a date-time's calendar date is read in: its own, UTC if none.
posix_tz <- function(x) {
  tz <- attr(x, "tzone")[1]
  if (is.null(tz) || is.na(tz) || !nzchar(tz)) "UTC" else tz
}

# Dates: Date kept; date-times read in their own time zone (UTC if none);
# whole numbers of 8 digits as YYYYMMDD; text in one format per column,
# detected among date_formats on the unique values.
convert_date <- function(x, wrong) {
  if (inherits(x, "Date")) {
    return(list(value = x, problems = list(),
                format = list(format = "Date", n_values = n_present(x), precision = "day")))
  }
  if (inherits(x, "POSIXt")) {
    tz <- posix_tz(x)
    v <- as.Date(as.POSIXct(x), tz = tz)
    return(list(value = v, problems = list(),
                format = list(format = sprintf("date-time (%s, read in %s)", class(x)[1], tz),
                              n_values = sum(!is.na(v)), precision = "day")))
  }
  if (is.numeric(x) && !is.logical(x)) {
    ok <- is.na(x) | (x == floor(x) & x >= 1e7 & x < 1e8)
    if (!all(ok)) return(wrong("a date (numbers are read only as YYYYMMDD)"))
  } else if (!is.character(x)) {
    return(wrong("a date"))
  }
  # everything below works on the distinct values x0 of the column (w0 rows
  # each; i0 maps the rows back); t0 are they trimmed, u the distinct
  # trimmed values in order of first appearance, w their row counts
  d <- distinct_values(x)
  x0 <- if (is.numeric(x)) whole_text(as.double(d$u)) else d$u
  w0 <- d$w
  t0 <- trimws(x0)
  t0[which(!nzchar(t0))] <- NA_character_
  u <- unique(t0[!is.na(t0)])
  m0 <- match(t0, u)
  w <- tabulate(rep.int(m0[!is.na(m0)], w0[!is.na(m0)]), length(u))
  # the format is chosen on up to 10,000 distinct values spread over the
  # column (weighted by how often each occurs); every value is then checked
  # against the chosen format
  sam <- if (length(u) > 1e4) unique(round(seq(1, length(u), length.out = 1e4))) else seq_along(u)
  count <- function(i) vapply(date_formats, function(f) sum(w[i][grepl(f$re, u[i], perl = TRUE)]), 0)
  hits <- count(sam)
  if (!any(hits > 0) && length(sam) < length(u)) hits <- count(seq_along(u))
  if (!any(hits > 0)) {
    return(list(problems = list(type_problem(
      sprintf("unparseable date: no value is in a known format (%s)",
              paste(vapply(date_formats, `[[`, "", "name"), collapse = ", ")), x0, !is.na(t0),
      w = w0))))
  }
  f <- date_formats[[which.max(hits)]]
  du <- parse_date_format(u, f)
  v0 <- du[m0]
  problems <- list()
  bad <- !is.na(t0) & is.na(v0)
  if (all(bad[!is.na(t0)])) {
    return(list(problems = list(type_problem(
      sprintf("unparseable date: no value is a valid date in the column format %s", f$name), x0, bad,
      w = w0))))
  }
  if (any(bad)) {
    problems[[1]] <- type_problem(sprintf("unparseable date (column format %s), set to missing", f$name),
                                  x0, bad, "warning", w0)
  }
  n_values <- sum(w0[!is.na(v0)])
  month <- isTRUE(f$month)
  if (month) {
    problems[[length(problems) + 1L]] <- list(
      problem = "month precision only: stored as the 1st of the month", n_rows = n_values,
      examples = "", severity = "warning")
  }
  list(value = v0[d$i], problems = problems,
       format = list(format = f$name, n_values = n_values,
                     precision = if (month) "month" else "day"))
}

# Parses strings in format f to Date; NA for no match or an impossible
# date (2019-02-30) or time (25:00). Vectorised over millions of values:
# the date and time parts are cut out with one sub() each, and only their
# distinct values (few dates, at most 86,400 times) are checked.
parse_date_format <- function(s, f) {
  out <- rep(as.Date(NA), length(s))
  ok <- which(grepl(f$re, s, perl = TRUE))
  if (!length(ok)) return(out)
  g <- function(i) if (is.na(i)) "1" else paste0("\\", i)
  dkey <- sub(f$re, paste(g(f$ymd[1]), g(f$ymd[2]), g(f$ymd[3]), sep = " "), s[ok], perl = TRUE)
  ud <- unique(dkey)
  p <- matrix(as.integer(unlist(strsplit(ud, " ", fixed = TRUE), use.names = FALSE)),
              ncol = 3L, byrow = TRUE)
  iso <- sprintf("%04d-%02d-%02d", p[, 1], p[, 2], p[, 3])
  valid <- p[, 2] >= 1L & p[, 2] <= 12L & p[, 3] >= 1L & p[, 3] <= 31L
  dd <- rep(as.Date(NA), length(ud))
  dd[valid] <- as.Date(iso[valid], format = "%Y-%m-%d")
  # real calendar validity: the date must print back as written
  dd[!(valid & !is.na(dd) & format(dd) == iso)] <- as.Date(NA)
  v <- dd[match(dkey, ud)]
  if (!is.null(f$time)) {
    tkey <- sub(f$re, paste0("\\", f$time[1], ":\\", f$time[2], ":\\", f$time[3]), s[ok], perl = TRUE)
    ut <- unique(tkey)
    hh <- as.integer(sub(":.*$", "", ut))
    mi <- as.integer(sub("^[^:]*:([^:]*):.*$", "\\1", ut))
    ss <- suppressWarnings(as.integer(sub("^.*:", "", ut)))  # "" when absent
    tvalid <- hh <= 23L & mi <= 59L & (is.na(ss) | ss <= 60L)
    v[!tvalid[match(tkey, ut)]] <- as.Date(NA)
  }
  out[ok] <- v
  out
}

# Counts of code values outside their code list, by value, provider and
# month (RPStartDate's month, else the table's main date, else NA).
invalid_code_counts <- function(tab, f, df, bad) {
  v <- df[[f]][bad]
  prov <- if ("OrgCodeProvider" %in% names(df) && is.character(df$OrgCodeProvider)) {
    df$OrgCodeProvider[bad]
  } else rep(NA_character_, length(v))
  dcol <- if ("RPStartDate" %in% names(df) && inherits(df$RPStartDate, "Date")) "RPStartDate" else
    unname(msds_main_date[tab])
  month <- if (!is.na(dcol) && dcol %in% names(df) && inherits(df[[dcol]], "Date")) {
    format(df[[dcol]][bad], "%Y-%m")
  } else rep(NA_character_, length(v))
  key <- paste(v, prov, month, sep = "\r")
  u <- !duplicated(key)
  out <- tibble::tibble(table = tab, field = f, value = v[u], provider = prov[u], month = month[u],
                        n_rows = tabulate(match(key, key[u]), sum(u)))
  out[order(out$value, out$provider, out$month, method = "radix"), ]
}

#' Codes outside the code lists, counted by value, provider and month
#'
#' [as_msds()] keeps a code outside its code list (after trimming and upper
#' case, as NHS Digital's `upper()`) and counts it here: ethnicity `'X'`,
#' `AttendCode` `'0'` (an appointment in the future), `PregOutcome` `'98'`,
#' an unknown `CarePlanType`. Downstream these values are "not a valid code"
#' (not attended, not a birth, unknown ethnic group, not an antenatal plan).
#'
#' @inheritParams msds_quality
#' @returns A tibble with columns `table`, `field`, `value` (the normalised
#'   code), `provider` (`OrgCodeProvider` of the rows, `NA` if the table has
#'   none), `month` (`"YYYY-MM"` of `RPStartDate` if the table has it,
#'   otherwise of the table's main date - booking, care plan, contact or
#'   birth date - otherwise `NA`), `n_rows` and `n_rows_sdc` (what the
#'   disclosure rule did).
#' @examples
#' msds_invalid_codes(msds_example, disclosure = "none")
#' @param x Deprecated: use `data`.
#' @export
msds_invalid_codes <- function(data, disclosure = NULL, x = NULL) {
  if (deprecated_arg(x, missing(data), "x", "data", "msds_invalid_codes")) data <- x
  check_msds(data)
  ic <- attr(data, "invalid_codes") %||% empty_invalid_codes()
  apply_disclosure(ic, counts = "n_rows", disclosure = disclosure)
}

empty_invalid_codes <- function() {
  tibble::tibble(table = character(), field = character(), value = character(),
                 provider = character(), month = character(), n_rows = integer())
}

empty_formats <- function() {
  tibble::tibble(table = character(), field = character(), format = character(),
                 n_values = integer(), precision = character())
}

# Is a date field of an msds object held to the month only?
msds_month_precision <- function(msds, table, field) {
  f <- attr(msds, "formats")
  if (is.null(f)) return(FALSE)
  any(f$table == table & f$field == field & f$precision %in% "month")
}

# Last day of each date's month.
month_end <- function(d) {
  lt <- as.POSIXlt(d)
  lt$mon <- lt$mon + 1L
  lt$mday <- 1L
  as.Date(lt) - 1L
}

# The latest date a stored date can stand for: the date itself, or the end
# of its month when as_msds() read the column to the month only (stored as
# the 1st). Rules that exclude on a date ("born before booking", "birth
# before 203 days") use it, so they exclude only when the day cannot matter.
latest_possible_date <- function(d, msds, table, field) {
  if (msds_month_precision(msds, table, field)) month_end(d) else d
}
