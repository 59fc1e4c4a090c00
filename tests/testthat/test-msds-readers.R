# as_msds() with tables given as readers (functions that return a table's
# data frame): each is called once, when as_msds() reaches its table, so
# that only one raw table is in memory at a time. The object must be the
# one the same tables give as data frames.

raw_tables <- function(n, seed) {
  raw <- simulate_msds(n, seed = seed, realism = sim_realism(validate = FALSE))
  tabs <- unclass(raw)
  attributes(tabs) <- list(names = names(tabs))
  list(tables = tabs, flags = attr(raw, "flags"))
}

as_readers <- function(tabs, log = NULL) {
  out <- lapply(names(tabs), function(nm) {
    force(nm)
    function() {
      if (!is.null(log)) log$calls <- c(log$calls, nm)
      tabs[[nm]]
    }
  })
  stats::setNames(out, names(tabs))
}

test_that("readers give the object the same tables give as data frames", {
  r <- raw_tables(1500, seed = 21)
  a <- as_msds(r$tables, flags = r$flags, quiet = TRUE)
  b <- as_msds(as_readers(r$tables), flags = r$flags, quiet = TRUE)
  expect_identical(b, a)
  # the extract holds resubmissions: rows were dropped
  s <- msds_submissions(a, disclosure = "none")
  expect_gt(sum(s$rows_superseded), 0)
  # and as at an earlier month
  m <- format(stats::median(a$MSD101PregnancyBooking$RPStartDate, na.rm = TRUE), "%Y-%m")
  expect_identical(as_msds(as_readers(r$tables), flags = r$flags, quiet = TRUE, as_at = m),
                   as_msds(r$tables, flags = r$flags, quiet = TRUE, as_at = m))
})

test_that("a mix of readers and data frames, with a mapping, is read as the data frames", {
  r <- raw_tables(400, seed = 22)
  tabs <- r$tables
  names(tabs$MSD201CareContactPreg)[names(tabs$MSD201CareContactPreg) == "CareConID"] <- "contact_id"
  names(tabs$MSD202CareActivityPreg)[names(tabs$MSD202CareActivityPreg) == "CareConID"] <- "contact_id"
  mixed <- tabs
  mixed[c("MSD201CareContactPreg", "MSD401BabyDemographics")] <-
    as_readers(tabs)[c("MSD201CareContactPreg", "MSD401BabyDemographics")]
  expect_true(is.function(mixed$MSD201CareContactPreg))
  a <- as_msds(tabs, mapping = c(CareConID = "contact_id"), flags = r$flags, quiet = TRUE)
  b <- as_msds(mixed, mapping = c(CareConID = "contact_id"), flags = r$flags, quiet = TRUE)
  expect_identical(b, a)
  expect_true("CareConID" %in% names(b$MSD202CareActivityPreg))
  expect_identical(msds_unmapped(b), msds_unmapped(a))
})

test_that("each reader is called once, in schema order; unknown tables are read too", {
  r <- raw_tables(200, seed = 23)
  log <- new.env()
  tabs <- rev(r$tables)
  tabs$local_lookup <- data.frame(code = c("A", "B"))
  rd <- as_readers(tabs, log)
  x <- as_msds(rd, flags = r$flags, quiet = TRUE)
  schema <- intersect(unique(msds_schema()$table), names(r$tables))
  expect_identical(log$calls, c(schema, "local_lookup"))
  expect_identical(x$local_lookup, data.frame(code = c("A", "B")))
  # the object keeps the order the tables were given in
  expect_identical(names(x), names(tabs))
})

test_that("a reader that does not return a data frame is an error naming its table", {
  r <- raw_tables(100, seed = 24)
  rd <- as_readers(r$tables)
  rd$MSD301LabourDelivery <- function() "MSD301.csv"
  expect_error(as_msds(rd, quiet = TRUE), class = "rlang_error",
               regexp = "reader given for table .*MSD301LabourDelivery.* must return a data frame")
  # through a mapping too
  expect_error(as_msds(rd, mapping = c(CareConID = "contact_id"), quiet = TRUE),
               "reader given for table .*MSD301LabourDelivery.* must return a data frame")
  rd$MSD301LabourDelivery <- function() stop("file MSD301.csv not found")
  expect_error(as_msds(rd, quiet = TRUE), "MSD301.csv not found")
  expect_error(as_msds(list(MSD101PregnancyBooking = 1)), "not a data frame \\(or a function")
})

test_that("an error in a later table is reported as from data frames", {
  r <- raw_tables(200, seed = 25)
  tabs <- r$tables
  tabs$MSD401BabyDemographics$Person_ID_Baby <- NULL
  e1 <- tryCatch(as_msds(tabs, quiet = TRUE), error = function(e) e)
  e2 <- tryCatch(as_msds(as_readers(tabs), quiet = TRUE), error = function(e) e)
  expect_s3_class(e1, "rlang_error")
  expect_identical(conditionMessage(e2), conditionMessage(e1))
  expect_match(conditionMessage(e1), "Person_ID_Baby")
})
