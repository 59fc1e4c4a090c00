# The portable SQL core of the database path (R/msds_db.R): latest record per
# key and day differences, on SQLite (always), on the PostgreSQL server that
# `make test` starts, and as rendered for SQL Server and Spark SQL.

# A literal table: every way an ordering value can be missing. Expected rows
# by hand (latest first by RPStartDate, UniqSubmissionID, RecordNumber; a
# missing value below every value):
#   A: a2 (latest date; a3's missing date is the oldest)
#   B: both dates missing, both UniqSubmissionID 5; b1's RecordNumber 50
#      beats b2's missing one
#   C: its one row, every ordering value missing: kept, never dropped
#   D: two rows equal on every ordering value: one kept, one duplicate
#   E: same date; e2's UniqSubmissionID 6 beats e1's missing one
null_order_table <- function() {
  data.frame(
    key = c("A", "A", "A", "B", "B", "C", "D", "D", "E", "E"),
    RPStartDate = as.Date(c("2020-01-01", "2020-02-01", NA, NA, NA, NA,
                            "2020-03-01", "2020-03-01", "2020-01-01", "2020-01-01")),
    UniqSubmissionID = c(1, 2, 3, 5, 5, NA, 4, 4, NA, 6),
    RecordNumber = c(10, 20, 30, 50, NA, NA, 40, 40, 70, 60),
    v = c("a1", "a2", "a3", "b1", "b2", "c1", "d", "d", "e1", "e2"),
    stringsAsFactors = FALSE)
}
null_order_expected <- c("a2", "b1", "c1", "d", "e2")
ord_cols <- c("RPStartDate", "UniqSubmissionID", "RecordNumber")

check_null_order <- function(con) {
  lit <- null_order_table()
  DBI::dbWriteTable(con, "mq_null_order", lit, overwrite = TRUE)
  r <- matequity:::db_latest_per_key(dplyr::tbl(con, "mq_null_order"), "key", ord_cols)
  rows <- dplyr::collect(r$rows)
  expect_identical(sort(rows$v), null_order_expected)
  expect_identical(nrow(rows), 5L)
  counts <- as.data.frame(lapply(dplyr::collect(r$counts), as.integer))
  expect_identical(counts, data.frame(rows = 10L, kept = 5L, superseded = 4L, duplicate = 1L))
  # the in-memory rule agrees with the same hand-written expectation
  mem <- matequity:::latest_per_key(lit$key, unclass(lit)[ord_cols])
  expect_identical(lit$v[mem$keep], null_order_expected)
  expect_identical(c(mem$superseded, mem$tied), c(4L, 1L))
}

test_that("latest per key in SQL keeps rows whose ordering values are NULL (SQLite)", {
  needs_reference("dbplyr")
  needs_reference("RSQLite")
  con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
  on.exit(DBI::dbDisconnect(con))
  check_null_order(con)
})

test_that("latest per key in SQL keeps rows whose ordering values are NULL (PostgreSQL)", {
  needs_reference("dbplyr")
  con <- pg_test_connection()
  check_null_order(con)
})

# Day differences: expected values by hand (2024 is a leap year).
day_diff_table <- function() {
  data.frame(a = as.Date(c("2024-02-28", "2024-03-01", "2023-12-31", "2024-01-01")),
             b = as.Date(c("2024-03-01", "2024-02-28", "2024-01-01", NA)))
}
day_diff_expected <- c(2L, -2L, 1L, NA)

test_that("day differences have the sign of `to - from` (PostgreSQL)", {
  needs_reference("dbplyr")
  con <- pg_test_connection()
  DBI::dbWriteTable(con, "mq_days", day_diff_table(), overwrite = TRUE)
  out <- dplyr::collect(dplyr::mutate(dplyr::tbl(con, "mq_days"),
                                      d = !!matequity:::db_day_diff(con, "b", "a")))
  expect_identical(as.integer(out$d), day_diff_expected)
})

test_that("day differences have the sign of `to - from` (SQLite, ISO text dates)", {
  needs_reference("dbplyr")
  needs_reference("RSQLite")
  con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
  on.exit(DBI::dbDisconnect(con))
  dd <- day_diff_table()
  dd[] <- lapply(dd, format)
  DBI::dbWriteTable(con, "mq_days", dd)
  out <- dplyr::collect(dplyr::mutate(dplyr::tbl(con, "mq_days"),
                                      d = !!matequity:::db_day_diff(con, "b", "a")))
  expect_identical(as.integer(out$d), day_diff_expected)
})

test_that("day differences render with the end date where each dialect wants it", {
  needs_reference("dbplyr")
  dd <- function(con) as.character(matequity:::db_day_diff(con, "CContactDate", "AntenatalAppDate"))
  # SQL Server: DATEDIFF(datepart, startdate, enddate); Spark: DATEDIFF(endDate, startDate)
  expect_identical(dd(dbplyr::simulate_mssql()), "DATEDIFF(day, [AntenatalAppDate], [CContactDate])")
  expect_identical(dd(dbplyr::simulate_spark_sql()), "DATEDIFF(`CContactDate`, `AntenatalAppDate`)")
  expect_identical(dd(dbplyr::simulate_postgres()), "(\"CContactDate\" - \"AntenatalAppDate\")")
  expect_error(matequity:::db_day_diff(dbplyr::simulate_mysql(), "b", "a"), "no day-difference")
})

test_that("the latest-record SQL for SQL Server and Spark SQL", {
  needs_reference("dbplyr")
  for (con in list(dbplyr::simulate_mssql(), dbplyr::simulate_spark_sql())) {
    t <- dbplyr::lazy_frame(UniqPregID = "p", CareConID = "c", RPStartDate = as.Date("2020-01-01"),
                            UniqSubmissionID = 1, RecordNumber = 2, con = con,
                            .name = "MSD201CareContactPreg")
    r <- matequity:::db_latest_per_key(t, c("UniqPregID", "CareConID"), ord_cols)
    expect_snapshot({
      class(con)[1]
      dbplyr::sql_render(r$rows)
      dbplyr::sql_render(r$counts)
    })
  }
})

test_that("text ordering columns are refused with the table and column named", {
  needs_reference("dbplyr")
  needs_reference("RSQLite")
  con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
  on.exit(DBI::dbDisconnect(con))
  DBI::dbWriteTable(con, "MSD101PregnancyBooking",
                    data.frame(UniqPregID = "p", RecordNumber = "10"))
  expect_error(matequity:::db_latest_per_key(dplyr::tbl(con, "MSD101PregnancyBooking"),
                                             "UniqPregID", "RecordNumber"),
               "RecordNumber.*MSD101PregnancyBooking.*character")
  expect_error(matequity:::db_latest_per_key(dplyr::tbl(con, "MSD101PregnancyBooking"),
                                             "UniqPregID", "RPStartDate"),
               "Missing: RPStartDate")
})
