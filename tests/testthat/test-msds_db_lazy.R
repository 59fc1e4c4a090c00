# as_msds(con, lazy = TRUE) on the PostgreSQL server against the in-memory
# path on the same extract (monthly resubmissions, provisional and final
# submissions): the submissions log and superseded discharges counted in
# SQL, the cohort, care model and outcomes read from the database, and
# continuity() read in chunks of pregnancies (one pregnancy per chunk, a
# few chunks, one chunk bigger than the cohort), with its exclusion counts.

lazy_extract <- db_test_extract(11)

lazy_pipeline <- function(m, phase = c("antenatal", "all")) {
  suppressMessages(suppressWarnings({
    cohort <- define_cohort(m)
    cm <- add_care_model(cohort, m)
    out <- add_outcomes(cm, m)
    list(cohort = cohort, care_model = cm, outcomes = out,
         continuity = continuity(out, m, phase = phase))
  }))
}

test_that("a lazy database msds gives the in-memory cohort, care model, outcomes and continuity", {
  needs_reference("dbplyr")
  con <- pg_test_connection()
  ext <- lazy_extract()
  db_write_tables(con, ext)
  withr::local_options(matequity.disclosure = "none")
  db <- as_msds(con, quiet = TRUE, lazy = TRUE)
  mem <- as_msds(ext, quiet = TRUE)
  expect_s3_class(db, "msds_db")
  # the tables stay in the database: lazy SQL, not data frames
  expect_true(all(vapply(db$tables, inherits, TRUE, "tbl_lazy")))
  expect_identical(attr(db, "submissions"), attr(mem, "submissions"))
  expect_identical(msds_submissions(db), msds_submissions(mem))
  expect_s3_class(msds_quality(db), "tbl_df")
  expect_gt(sum(attr(mem, "submissions")$rows_superseded), 1000)
  expect_identical(attr(db, "discharge_superseded"), attr(mem, "discharge_superseded"))
  ref <- lazy_pipeline(mem)
  expect_gt(nrow(ref$cohort), 1000)
  withr::local_options(matequity.db_chunk_size = 1e9)  # one chunk, bigger than the cohort
  got <- lazy_pipeline(db)
  for (nm in names(ref)) expect_identical(got[[nm]], ref[[nm]], label = nm)
  expect_gt(sum(attr(ref$continuity, "exclusions")$n_rows), 0)
  # several chunks: rows, indices and summed exclusion counts unchanged
  withr::local_options(matequity.db_chunk_size = 700L)
  ct <- suppressMessages(suppressWarnings(continuity(got$outcomes, db, phase = c("antenatal", "all"))))
  expect_identical(ct, ref$continuity)
  # the old argument order and no cohort (every booked pregnancy)
  suppressWarnings(expect_identical(
    suppressMessages(continuity(db, got$outcomes, phase = c("antenatal", "all"))), ref$continuity))
  all_db <- suppressMessages(suppressWarnings(continuity(msds = db)))
  all_mem <- suppressMessages(suppressWarnings(continuity(msds = mem)))
  expect_identical(all_db, all_mem)
})

test_that("continuity() on a lazy msds warns and informs once, with the summed counts", {
  needs_reference("dbplyr")
  con <- pg_test_connection()
  ext <- lazy_extract()
  db_write_tables(con, ext)
  withr::local_options(matequity.disclosure = "none", matequity.db_chunk_size = 1500L)
  db <- as_msds(con, quiet = TRUE, lazy = TRUE)
  mem <- as_msds(ext, quiet = TRUE)
  # a cohort of half the pregnancies: the other half's contacts are outside it
  co <- suppressMessages(define_cohort(mem))
  co <- co[seq(1, nrow(co), by = 2), ]
  msgs <- function(expr) {
    out <- character()
    withCallingHandlers(expr, message = function(m) {
      out <<- c(out, conditionMessage(m))
      invokeRestart("muffleMessage")
    }, warning = function(w) {
      out <<- c(out, conditionMessage(w))
      invokeRestart("muffleWarning")
    })
    out
  }
  ref <- msgs(continuity(co, mem))
  got <- msgs(continuity(co, db))
  expect_true(any(grepl("of pregnancies not in", ref)))
  expect_setequal(got, ref)
  expect_identical(length(got), length(ref))
})

test_that("a lazy database msds with one pregnancy per chunk, and as at a month", {
  needs_reference("dbplyr")
  con <- pg_test_connection()
  ext <- db_test_extract(5, n = 40)()
  db_write_tables(con, ext)
  withr::local_options(matequity.disclosure = "none", matequity.db_chunk_size = 1L)
  db <- as_msds(con, quiet = TRUE, lazy = TRUE, as_at = "2021-06")
  mem <- as_msds(ext, quiet = TRUE, as_at = "2021-06")
  expect_identical(attr(db, "submissions"), attr(mem, "submissions"))
  expect_gt(sum(attr(mem, "submissions")$rows_after_as_at), 0)
  ref <- lazy_pipeline(mem, phase = c("antenatal", "intrapartum", "postnatal"))
  expect_gt(nrow(ref$cohort), 10)
  got <- lazy_pipeline(db, phase = c("antenatal", "intrapartum", "postnatal"))
  for (nm in names(ref)) expect_identical(got[[nm]], ref[[nm]], label = nm)
})

test_that("as_msds(lazy = TRUE) refuses what it cannot read, naming table and column", {
  needs_reference("dbplyr")
  con <- pg_test_connection()
  ext <- db_test_extract(5, n = 40)()
  expect_error(as_msds(ext, lazy = TRUE), "needs a DBI connection")
  expect_error(as_msds(con, lazy = TRUE, reduce = "memory"), "reduces the submissions in the database")
  # a contact without a pregnancy would be in no chunk
  bad <- ext
  bad$MSD201CareContactPreg$UniqPregID[3] <- NA
  db_write_tables(con, bad)
  expect_error(as_msds(con, lazy = TRUE, quiet = TRUE), "MSD201CareContactPreg.*UniqPregID.*key value is missing")
  # an activity table without UniqPregID is read through CareConID, which
  # must then belong to one pregnancy
  bad <- ext
  cc <- bad$MSD201CareContactPreg
  other <- cc$UniqPregID != cc$UniqPregID[1]
  cc$CareConID[which(other)[1]] <- cc$CareConID[1]
  bad$MSD201CareContactPreg <- cc
  db_write_tables(con, bad)
  expect_error(as_msds(con, lazy = TRUE, quiet = TRUE),
               "MSD201CareContactPreg.*CareConID.*used by several pregnancies while MSD202CareActivityPreg has no UniqPregID")
  db_write_tables(con, ext)
  withr::local_options(matequity.db_chunk_size = 0)
  db <- as_msds(con, lazy = TRUE, quiet = TRUE)
  co <- suppressMessages(define_cohort(db))
  expect_error(continuity(co, db), "matequity.db_chunk_size")
})

test_that("a lazy database msds prints its tables and counts", {
  needs_reference("dbplyr")
  con <- pg_test_connection()
  ext <- db_test_extract(5, n = 40)()
  db_write_tables(con, ext)
  db <- as_msds(con, lazy = TRUE, quiet = TRUE)
  out <- format(db, disclosure = "none")
  expect_match(out[1], "<msds_db> MSDS v2 tables in a postgres database")
  s <- attr(db, "submissions")
  i <- match("MSD201CareContactPreg", s$table)
  expect_true(any(grepl(sprintf("MSD201CareContactPreg +%s of %s rows",
                                format(s$rows_kept[i], big.mark = ","),
                                format(s$rows_in[i], big.mark = ",")), out)))
  expect_output(print(db), "chunks of 50,000 pregnancies")
})

# The SQL of the chunked reads, rendered for SQL Server and Spark SQL on
# schema-shaped tables (dbplyr's simulated connections): a chunk's contact
# rows (a range of UniqPregID before the latest-record window), its
# activity rows (through the contacts' CareConID), the chunk ids, and the
# team memberships of the activities.
test_that("the chunked SQL for SQL Server and Spark SQL", {
  needs_reference("dbplyr")
  for (con in list(dbplyr::simulate_mssql(), dbplyr::simulate_spark_sql())) {
    cols <- list(
      MSD201CareContactPreg = c("UniqPregID", "CareConID", "OrgCodeProvider", "CContactDate",
                                "RPStartDate", "UniqSubmissionID", "RecordNumber"),
      MSD202CareActivityPreg = c("CareConID", "CareProfLID", "TeamLocalID", "RecordNumber",
                                 "UniqSubmissionID"),
      MSD101PregnancyBooking = c("Person_ID_Mother", "UniqPregID", "RPStartDate",
                                 "UniqSubmissionID", "RecordNumber"))
    get_tbl <- function(tab) {
      df <- as.data.frame(stats::setNames(lapply(cols[[tab]], function(f) {
        if (f %in% c("CContactDate", "RPStartDate")) as.Date("2020-01-01")
        else if (f %in% c("UniqSubmissionID", "RecordNumber")) 1 else "a"
      }), cols[[tab]]))
      dbplyr::tbl_lazy(df, con = con, name = tab)
    }
    where <- function(t) dplyr::filter(t, .data$UniqPregID >= "P0001" & .data$UniqPregID <= "P0500")
    plan <- matequity:::db_reduce_plan(con, as.Date("2021-06-30"),
                                       c("MSD201CareContactPreg", "MSD202CareActivityPreg"),
                                       where = where, get_tbl = get_tbl)
    x <- list(con = con, tables = lapply(plan, `[[`, "rows"))
    x$tables$MSD101PregnancyBooking <- get_tbl("MSD101PregnancyBooking")
    expect_snapshot({
      class(con)[1]
      dbplyr::sql_render(plan$MSD201CareContactPreg$rows)
      dbplyr::sql_render(plan$MSD202CareActivityPreg$rows)
      dbplyr::sql_render(matequity:::db_chunk_ids_query(x, get_tbl))
      dbplyr::sql_render(matequity:::db_team_membership_query(
        x, c("MSD202CareActivityPreg", "MSD201CareContactPreg", "CareConID")))
    })
  }
})
