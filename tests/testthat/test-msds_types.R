# Column conversions of as_msds() on literal columns, with the expected
# values, counts and examples written out by hand. The conversions work on a
# column's distinct values and map back; these tests pin that the row-level
# results (values, problem counts, examples in order of first appearance)
# are those of the rows.
conv <- function(x, ...) matequity:::convert_field(x, matequity:::schema_col(...))

test_that("blank ids become NA and nothing else changes", {
  x <- c("a1", "", "  ", "\t", NA, " b2 ", "\v\f\r\n", "c\u00a0", "x")
  r <- conv(x, "character")
  expect_identical(r$value, c("a1", NA, NA, NA, NA, " b2 ", NA, "c\u00a0", "x"))
  expect_identical(r$problems, list())
})

test_that("white space mixed with non-ASCII characters goes to the regex", {
  # grepl("^\\s+$", "\u00a0", perl = TRUE) is FALSE in R's PCRE without
  # Unicode properties: a no-break space alone is not blank
  x <- c("\u00a0", " \u00a0 ", "a")
  expect_identical(conv(x, "character")$value, grepl("^\\s+$", x, perl = TRUE) |> ifelse(NA, x))
  expect_identical(conv(x, "character")$value[3], "a")
})

test_that("padded and lower-case codes are trimmed and upper-cased; blanks are NA", {
  x <- c(" y", "N ", "n", "", "   ", NA, "Y", "x ")
  r <- conv(x, "character", codes = c("Y", "N"))
  expect_identical(r$value, c("Y", "N", "N", NA, NA, NA, "Y", "X"))
})

test_that("codes outside the code list are found on the distinct codes", {
  r <- conv(c(" 5", "0", "0 ", NA, "x", "5", ""), "character", codes = c("2", "5", "X"))
  expect_identical(r$value, c("5", "0", "0", NA, "X", "5", NA))
  expect_identical(r$outside, c(FALSE, TRUE, TRUE, FALSE, FALSE, FALSE, FALSE))
  # unchanged values (no trimming needed) take the same route
  r <- conv(c("5", "0", NA, "5"), "character", codes = c("2", "5"))
  expect_identical(r$outside, c(FALSE, TRUE, FALSE, FALSE))
  expect_false(conv(c("5", NA, " 2"), "character", codes = c("2", "5"))$outside)
})

test_that("text numbers: counts and examples are those of the rows", {
  x <- c("12", " 7 ", "abc", "12", "", NA, "abc", "x1", "3.5e1", "abc")
  r <- conv(x, "numeric")
  expect_identical(r$value, c(12, 7, NA, 12, NA, NA, NA, NA, 35, NA))
  expect_length(r$problems, 1L)
  expect_identical(r$problems[[1]]$problem, "text that is not a number, set to missing")
  expect_identical(r$problems[[1]]$n_rows, 4L)
  expect_identical(r$problems[[1]]$examples, "\"abc\", \"x1\"")
  expect_identical(r$problems[[1]]$severity, "warning")
})

test_that("text integers: a fraction is not a number, beyond R's integers an error", {
  x <- c("1", "2.5", "2.5", "3", " 2.5", "4.0")
  r <- conv(x, "integer")
  expect_identical(r$value, c(1L, NA, NA, 3L, NA, 4L))
  expect_identical(r$problems[[1]]$problem, "text that is not a number, set to missing")
  expect_identical(r$problems[[1]]$n_rows, 3L)
  expect_identical(r$problems[[1]]$examples, "\"2.5\", \" 2.5\"")
  r <- conv(c("1", "99999999999", NA, " 99999999999"), "integer")
  expect_null(r$value)
  expect_identical(r$problems[[1]]$problem, "wrong type: not a whole number")
  expect_identical(r$problems[[1]]$n_rows, 2L)
  expect_identical(r$problems[[1]]$examples, "\"99999999999\"")
  r <- conv(c("1", "4.0", NA, " 10 "), "integer")
  expect_identical(r$value, c(1L, 4L, NA, 10L))
})

test_that("IMD deciles in label form and as digits", {
  x <- c("01 - Most deprived", "02", "10 - Least deprived", "2", "", "5 - deprived", "10 - Least deprived")
  r <- conv(x, "integer", range = c(1, 10), format = "decile")
  expect_identical(r$value, c(1L, 2L, 10L, 2L, NA, 5L, 10L))
  expect_identical(r$problems, list())
})

test_that("text with no number at all is an error counted by row", {
  r <- conv(c("a", "b", "a", NA, ""), "numeric")
  expect_null(r$value)
  expect_identical(r$problems[[1]]$n_rows, 3L)
  expect_identical(r$problems[[1]]$examples, "\"a\", \"b\"")
})

test_that("big record numbers as numbers and as text", {
  rn <- c(100000000000123, 100000000000124, NA, 9007199254740991)
  r <- conv(rn, "record")
  expect_identical(r$value, rn)
  r <- conv(c(1, -1, 2.5, 2^53, NA, -1), "record")
  expect_null(r$value)
  expect_identical(r$problems[[1]]$n_rows, 4L)
  r <- conv(c(Inf, 1), "record")
  expect_identical(r$problems[[1]]$n_rows, 1L)
  r <- conv(1:3, "record")
  expect_identical(r$value, c(1, 2, 3))
  r <- conv(c(" 100000000000123", "000100000000000124", "", NA), "record")
  expect_identical(r$value, c(100000000000123, 100000000000124, NA, NA))
  r <- conv(c("9007199254740992", "12", "12a"), "record")
  expect_identical(r$problems[[1]]$n_rows, 2L)
  expect_identical(r$problems[[1]]$examples, "\"9007199254740992\", \"12a\"")
})

test_that("text dates in several formats: one format per column, counted by row", {
  x <- c("2020-01-31", " 2020-02-29", "2020-02-30", "", NA, "2020-01-31", "31/01/2020", "2020-02-30")
  r <- conv(x, "date")
  expect_identical(r$value, as.Date(c("2020-01-31", "2020-02-29", NA, NA, NA, "2020-01-31", NA, NA)))
  expect_identical(r$format$format, "YYYY-MM-DD")
  expect_identical(r$format$n_values, 3L)
  expect_identical(r$problems[[1]]$problem, "unparseable date (column format YYYY-MM-DD), set to missing")
  expect_identical(r$problems[[1]]$n_rows, 3L)
  expect_identical(r$problems[[1]]$examples, "\"2020-02-30\", \"31/01/2020\"")

  r <- conv(c("31/01/2020", "1/2/2020", "31/01/2020", "13/13/2020"), "date")
  expect_identical(r$format$format, "DD/MM/YYYY")
  expect_identical(r$value, as.Date(c("2020-01-31", "2020-02-01", "2020-01-31", NA)))
  expect_identical(r$problems[[1]]$n_rows, 1L)

  r <- conv(c(20200131, NA, 20200229, 20200131), "date")
  expect_identical(r$format$format, "YYYYMMDD")
  expect_identical(r$value, as.Date(c("2020-01-31", NA, "2020-02-29", "2020-01-31")))

  r <- conv(c("2020-01", "2020-02", "2020-01"), "date")
  expect_identical(r$value, as.Date(c("2020-01-01", "2020-02-01", "2020-01-01")))
  expect_identical(r$format$precision, "month")
  expect_identical(r$problems[[1]]$n_rows, 3L)

  r <- conv(c("2020-01-31 10:00", "2020-01-31 25:00", "2020-02-01 09:30:15"), "date")
  expect_identical(r$value, as.Date(c("2020-01-31", NA, "2020-02-01")))
  expect_identical(r$problems[[1]]$n_rows, 1L)

  r <- conv(c("soon", "later", "soon"), "date")
  expect_null(r$value)
  expect_identical(r$problems[[1]]$n_rows, 3L)
  expect_identical(r$problems[[1]]$examples, "\"soon\", \"later\"")
})

test_that("a table's stray codes, padded codes and text columns through as_msds()", {
  tabs <- unclass(simulate_msds(30, seed = 3))
  tabs <- lapply(tabs, function(t) if (is.data.frame(t)) as.data.frame(t) else t)
  cc <- tabs$MSD201CareContactPreg
  cc$AttendCode[1:3] <- c(" 5", "0", "0 ")
  tabs$MSD201CareContactPreg <- cc
  m <- suppressWarnings(as_msds(tabs, quiet = TRUE))
  ic <- msds_invalid_codes(m, disclosure = "none")
  ic <- ic[ic$field == "AttendCode", ]
  expect_identical(ic$value, "0")
  expect_identical(sum(ic$n_rows), 2L)
  q <- msds_quality(m, disclosure = "none")
  expect_identical(q$n_rows[q$table == "MSD201CareContactPreg" & q$field == "AttendCode" &
                              q$problem == "code outside the code list"], 2L)
  expect_true(tibble::is_tibble(m$MSD201CareContactPreg))
})

test_that("distinct_values() gives unique(), match() and the row counts, text in any encoding", {
  x <- c("20240102", NA, " 7", "20240102", NA, "x")
  d <- matequity:::distinct_values(x)
  expect_identical(d$u, c("20240102", NA, " 7", "x"))
  expect_identical(d$i, c(1L, 2L, 3L, 1L, 2L, 4L))
  expect_identical(d$w, c(2L, 2L, 1L, 1L))
  # the same text in UTF-8 and latin1 is one value, as unique() has it
  u <- enc2utf8("caf\u00e9")
  l <- iconv(u, "UTF-8", "latin1")
  e <- matequity:::distinct_values(c(u, "a", l))
  expect_identical(e$i, c(1L, 2L, 1L))
  expect_identical(e$w, c(2L, 1L))
  n <- matequity:::distinct_values(c(3, NA, 3, 1))
  expect_identical(n$u, c(3, NA, 1))
  expect_identical(n$w, c(2L, 1L, 1L))
})
