# as_msds(con, reduce = "database") on the PostgreSQL server against the
# in-memory path on the same extract (with monthly resubmissions, provisional
# and final submissions): tables, submissions log, superseded discharge
# dates, and the cohort, care model, outcomes and continuity built on them.

reduce_extract <- db_test_extract(11)

compare_reduced <- function(con, ext, as_at = NULL) {
  db <- as_msds(con, quiet = TRUE, as_at = as_at, reduce = "database")
  mem <- as_msds(ext, quiet = TRUE, as_at = as_at)
  expect_identical(msds_submissions(db, disclosure = "none"),
                   msds_submissions(mem, disclosure = "none"))
  expect_identical(names(db), names(mem))
  for (tab in names(mem)) expect_identical(db[[tab]], mem[[tab]], label = tab)
  expect_identical(attr(db, "discharge_superseded"), attr(mem, "discharge_superseded"))
  expect_identical(attr(db, "flags"), attr(mem, "flags"))
  list(db = db, mem = mem)
}

test_that("as_msds(con, reduce = \"database\") gives the in-memory tables and submissions log", {
  needs_reference("dbplyr")
  con <- pg_test_connection()
  ext <- reduce_extract()
  db_write_tables(con, ext)
  x <- compare_reduced(con, ext)
  s <- msds_submissions(x$mem, disclosure = "none")
  expect_gt(sum(s$rows_superseded), 1000)
  expect_gt(s$rows_superseded[s$table == "MSD202CareActivityPreg"], 0)
  withr::local_options(matequity.disclosure = "none")
  pipeline <- function(m) {
    suppressMessages(suppressWarnings({
      cohort <- add_outcomes(add_care_model(define_cohort(m), m), m)
      list(cohort = cohort, continuity = continuity(cohort, m, phase = c("antenatal", "all")))
    }))
  }
  got <- pipeline(x$db)
  ref <- pipeline(x$mem)
  expect_gt(nrow(ref$cohort), 1000)
  expect_identical(got$cohort, ref$cohort)
  expect_identical(got$continuity, ref$continuity)
  # as at a month: later submissions dropped, in SQL as in memory
  y <- compare_reduced(con, ext, as_at = "2021-06")
  expect_gt(sum(msds_submissions(y$mem, disclosure = "none")$rows_after_as_at), 0)
})

test_that("reduce = \"database\" refuses what it cannot read, saying why", {
  needs_reference("dbplyr")
  expect_error(as_msds(list(), reduce = "database"), "needs a DBI connection")
  con <- pg_test_connection()
  expect_error(as_msds(con, mapping = c(UniqPregID = "preg"), reduce = "database"),
               "Rename them in views")
  expect_error(as_msds(con, reduce = "sql"), "must be one of")
})
