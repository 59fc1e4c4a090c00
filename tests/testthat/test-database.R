# The database path on a real PostgreSQL server (started by `make test`, see
# tools/pg.sh), against the in-memory path as the reference: a realistic
# simulated extract with monthly resubmissions, provisional and final
# submissions, written to the server with DBI.

pg_extract <- db_test_extract(7)

test_that("the SQL latest record equals the in-memory one on every keyed table of an extract", {
  needs_reference("dbplyr")
  con <- pg_test_connection()
  ext <- pg_extract()
  db_write_tables(con, ext)
  spec <- matequity:::msds_tables
  keyed <- names(ext)[vapply(names(ext), function(t) length(spec[[t]]$key) > 0, TRUE)]
  expect_setequal(keyed, c("MSD001MotherDemog", "MSD101PregnancyBooking", "MSD102MatCarePlan",
                           "MSD201CareContactPreg", "MSD301LabourDelivery",
                           "MSD401BabyDemographics", "MSD901StaffDetails"))
  for (tab in keyed) {
    df <- ext[[tab]]
    key <- c(intersect(spec[[tab]]$key_scope, names(df)), spec[[tab]]$key)
    ordc <- intersect(c("RPStartDate", "UniqSubmissionID", "RecordNumber"), names(df))
    mem <- matequity:::latest_submission_rows(df, key)
    # the extract resubmits every record (MSD001 is keyed per submission)
    if (tab != "MSD001MotherDemog") expect_gt(mem$superseded, 0)
    r <- matequity:::db_latest_per_key(dplyr::tbl(con, tab), key, ordc)
    got <- dplyr::collect(r$rows)
    expect_identical(sorted_rows(got), sorted_rows(df[mem$keep, , drop = FALSE]), label = tab)
    counts <- vapply(dplyr::collect(r$counts), as.integer, 0L)
    expect_identical(counts, c(rows = nrow(df), kept = sum(mem$keep),
                               superseded = as.integer(mem$superseded),
                               duplicate = as.integer(mem$duplicate)), label = tab)
  }
})

test_that("as_msds() reads a PostgreSQL extract exactly as it reads the same tables in memory", {
  con <- pg_test_connection()
  ext <- pg_extract()
  db_write_tables(con, ext)
  from_db <- as_msds(con, quiet = TRUE)
  in_mem <- as_msds(ext, quiet = TRUE)
  expect_identical(msds_submissions(from_db, disclosure = "none"),
                   msds_submissions(in_mem, disclosure = "none"))
  expect_gt(sum(msds_submissions(in_mem, disclosure = "none")$rows_superseded), 0)
  for (tab in names(in_mem)) {
    expect_identical(as.data.frame(from_db[[tab]]), as.data.frame(in_mem[[tab]]), label = tab)
  }
  expect_identical(from_db, in_mem)
})
