# The reduction to the latest submission (msds_reduce_submissions()) on tiny
# literal tables, one tricky case each; every expected row is written by
# hand from the documented rules (msds_record_keys()).

reduce <- function(...) matequity:::msds_reduce_submissions(list(...))
d <- function(x) as.Date(x)

booking <- function(preg, rec, sub, start, mother = "M1", disch = as.Date(NA)) {
  tibble::tibble(Person_ID_Mother = mother, UniqPregID = preg, RecordNumber = rec,
                 UniqSubmissionID = sub, RPStartDate = start, DischargeDateMatService = disch)
}

test_that("a missing RPStartDate sorts as the oldest and never drops a record by itself", {
  bk <- booking(preg = c("P1", "P1", "P2", "P2", "P3"),
                rec = c(1e14 + 1, 2e14 + 1, 1e14 + 2, 2e14 + 2, 3e14 + 3),
                sub = c(100, 200, 100, 200, 300),
                start = d(c("2024-01-01", NA, NA, NA, NA)))
  r <- reduce(MSD101PregnancyBooking = bk)
  out <- r$tables$MSD101PregnancyBooking
  # P1: the dated row wins over the undated later submission; P2: both
  # undated, the larger UniqSubmissionID wins; P3: undated and alone, kept
  expect_identical(out$UniqPregID, c("P1", "P2", "P3"))
  expect_identical(out$RecordNumber, c(1e14 + 1, 2e14 + 2, 3e14 + 3))
  log <- r$log
  expect_identical(log$rows_superseded, 2L)
  expect_identical(log$rows_duplicate, 0L)
  expect_identical(log$rows_undated, 4L)
  expect_identical(log$rows_kept, 3L)
})

test_that("a missing UniqSubmissionID or RecordNumber sorts below a present one", {
  bk <- booking(preg = c("P1", "P1", "P1"), rec = c(NA, 5, 4), sub = c(NA, 7, 7),
                start = d(c("2024-02-01", "2024-02-01", "2024-02-01")))
  out <- reduce(MSD101PregnancyBooking = bk)$tables$MSD101PregnancyBooking
  expect_identical(out$RecordNumber, 5)
})

test_that("a record submitted twice in one submission keeps its first row, counted", {
  bk <- booking(preg = c("P1", "P1", "P1"), rec = c(7e14, 7e14, 6e14), sub = c(70, 70, 60),
                start = d(c("2024-03-01", "2024-03-01", "2024-02-01")),
                disch = d(c("2024-05-01", "2024-05-02", NA)))
  r <- reduce(MSD101PregnancyBooking = bk)
  out <- r$tables$MSD101PregnancyBooking
  expect_identical(out$DischargeDateMatService, d("2024-05-01"))
  expect_identical(r$log$rows_duplicate, 1L)
  expect_identical(r$log$rows_superseded, 1L)
  expect_length(r$problems, 1L)
  expect_match(r$problems[[1L]]$problem, "submitted twice in one submission")
  # every submitted row counts for the discharge date NHS Digital uses: the
  # left-out twin's later date is kept aside
  expect_identical(r$discharge_superseded$DischargeDateMatService, d("2024-05-02"))
})

test_that("a superseded booking's later discharge date is kept aside", {
  bk <- booking(preg = c("P1", "P1", "P2"), rec = c(2e14, 1e14, 1e14), sub = c(2, 1, 1),
                start = d(c("2024-03-01", "2024-02-01", "2024-02-01")),
                disch = d(c(NA, "2024-02-20", "2024-02-21")))
  r <- reduce(MSD101PregnancyBooking = bk)
  expect_identical(r$discharge_superseded$UniqPregID, "P1")
  expect_identical(r$discharge_superseded$DischargeDateMatService, d("2024-02-20"))
})

test_that("big record numbers order exactly as doubles and as text", {
  # 15 digits: exact in a double, beyond R's integers
  lp <- matequity:::latest_per_key(c("P", "P", "P"),
                                   list(c(202403000000123, 202403000000124, 202402000000999)))
  expect_identical(lp$keep, c(FALSE, TRUE, FALSE))
  expect_identical(lp$superseded, 2L)
  lt <- matequity:::latest_per_key(c("P", "P", "Q", "Q"),
                                   list(c("202403000000123", "202403000000124", NA, "9")))
  expect_identical(lt$keep, c(FALSE, TRUE, FALSE, TRUE))
  expect_identical(lt$superseded, 2L)
  bk <- booking(preg = c("P1", "P1"), rec = c(202403000000124, 202403000000123), sub = c(5, 5),
                start = d(c("2024-03-01", "2024-03-01")))
  out <- reduce(MSD101PregnancyBooking = bk)$tables$MSD101PregnancyBooking
  expect_identical(out$RecordNumber, 202403000000124)
})

test_that("ties = 'drop' leaves out every row of an ambiguous latest", {
  lp <- matequity:::latest_per_key(c(1L, 1L, 1L, 2L), list(c(3, 3, 2, 1)), ties = "drop")
  expect_identical(lp$keep, c(FALSE, FALSE, FALSE, TRUE))
  expect_identical(lp$tied, 2L)
  expect_identical(lp$superseded, 1L)
  # factors and missing keys are keys like any other
  lf <- matequity:::latest_per_key(factor(c("a", NA, "a", NA)), list(c(1, 2, 3, 1)))
  expect_identical(lf$keep, c(FALSE, TRUE, TRUE, FALSE))
})

contacts <- function(con, preg, rec, sub, start) {
  tibble::tibble(CareConID = con, UniqPregID = preg, RecordNumber = rec,
                 UniqSubmissionID = sub, RPStartDate = start)
}

test_that("child rows follow their parent's retained submission; unplaced rows are kept", {
  cc <- contacts(con = c("C1", "C1", "C2"), preg = c("P1", "P1", "P1"),
                 rec = c(1e14 + 1, 2e14 + 1, 2e14 + 1), sub = c(1, 2, 2),
                 start = d(c("2024-01-01", "2024-02-01", "2024-02-01")))
  ac <- tibble::tibble(
    CareConID = c("C1", "C1", "C2", "C9", "C9", "C9", "C2"),
    RecordNumber = c(1e14 + 1, 2e14 + 1, 2e14 + 1, 5e14 + 1, 5e14 + 1, 5e14 + 2, NA),
    CareProfLID = c("MW1", "MW1", "MW2", "MW3", "MW3", "MW3", "MW2"),
    UniqSubmissionID = c(1, 2, 2, 5, 5, 5, 2),
    RPStartDate = d(c("2024-01-01", "2024-02-01", "2024-02-01", "2024-01-01", "2024-01-01",
                      "2024-01-01", "2024-02-01")))
  r <- reduce(MSD201CareContactPreg = cc, MSD202CareActivityPreg = ac)
  out <- r$tables$MSD202CareActivityPreg
  # row 1: C1's superseded submission, dropped. Rows 2, 3: the retained
  # ones. Rows 4-6: C9 and record numbers no parent has: kept, row 5 an exact
  # repeat of row 4. Row 7: no RecordNumber, placed by UniqSubmissionID in
  # C2's retained submission, kept.
  expect_identical(out$CareConID, c("C1", "C2", "C9", "C9", "C2"))
  expect_identical(out$RecordNumber, c(2e14 + 1, 2e14 + 1, 5e14 + 1, 5e14 + 2, NA))
  log <- r$log[r$log$table == "MSD202CareActivityPreg", ]
  expect_identical(log$rows_superseded, 1L)
  expect_identical(log$rows_duplicate, 1L)
  expect_identical(log$rows_kept, 5L)
})

test_that("a child row with a missing id is never placed by it, and is kept", {
  cc <- contacts(con = c("C1", "C1"), preg = c("P1", "P1"), rec = c(1, 2), sub = c(1, 2),
                 start = d(c("2024-01-01", "2024-02-01")))
  ac <- tibble::tibble(CareConID = c(NA, "C1"), RecordNumber = c(1, 1), UniqSubmissionID = c(1, 1),
                       RPStartDate = d(c("2024-01-01", "2024-01-01")))
  out <- reduce(MSD201CareContactPreg = cc, MSD202CareActivityPreg = ac)$tables$MSD202CareActivityPreg
  expect_identical(out$CareConID, NA_character_)
})
