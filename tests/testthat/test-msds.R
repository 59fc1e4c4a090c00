small_tables <- function(n = 300, seed = 3) {
  x <- simulate_msds(n, seed = seed)
  list(tables = unclass(x)[names(x)], flags = attr(x, "flags"))
}

test_that("as_msds() is silent on good data and returns an msds object", {
  st <- small_tables()
  tabs <- st$tables
  # remove the data-quality issues so that nothing is warned about
  tabs$MSD001MotherDemog$EthnicCategoryMother[is.na(tabs$MSD001MotherDemog$EthnicCategoryMother) |
    tabs$MSD001MotherDemog$EthnicCategoryMother %in% c("Z", "99")] <- "A"
  tabs$MSD001MotherDemog$LSOAMother2011[is.na(tabs$MSD001MotherDemog$LSOAMother2011)] <- "E01000001"
  tabs$MSD001MotherDemog$Rank_IMD_Decile_2015[is.na(tabs$MSD001MotherDemog$Rank_IMD_Decile_2015)] <- 1L
  cp <- tabs$MSD102MatCarePlan
  cp$MatPersCarePlanInd[is.na(cp$MatPersCarePlanInd)] <- "N"
  cp$CareProfLID[is.na(cp$CareProfLID)] <- "X"
  cp$TeamLocalID[is.na(cp$TeamLocalID)] <- "X"
  tabs$MSD102MatCarePlan <- cp
  tabs$MSD101PregnancyBooking$GestAgeBooking <- pmin(tabs$MSD101PregnancyBooking$GestAgeBooking, 300L)
  expect_silent(x <- as_msds(tabs, flags = st$flags))
  expect_s3_class(x, "msds")
  expect_equal(nrow(msds_quality(x)), 0L)
  expect_identical(names(x)[1:2], c("MSD001MotherDemog", "MSD101PregnancyBooking"))
})

test_that("three missing columns in two tables are listed in one error", {
  tabs <- small_tables()$tables
  tabs$MSD101PregnancyBooking$GestAgeBooking <- NULL
  tabs$MSD101PregnancyBooking$AntenatalAppDate <- NULL
  tabs$MSD201CareContactPreg$AttendCode <- NULL
  err <- tryCatch(as_msds(tabs, quiet = TRUE), error = identity)
  expect_s3_class(err, "matequity_msds_invalid")
  msg <- conditionMessage(err)
  expect_match(msg, "3 problems")
  expect_match(msg, "MSD101PregnancyBooking\\$GestAgeBooking: required column is missing")
  expect_match(msg, "MSD101PregnancyBooking\\$AntenatalAppDate: required column is missing")
  expect_match(msg, "MSD201CareContactPreg\\$AttendCode: required column is missing")
})

test_that("wrong types, bad dates, bad codes and orphan keys are all reported together", {
  tabs <- small_tables()$tables
  bk <- tabs$MSD101PregnancyBooking
  bk$AntenatalAppDate <- format(bk$AntenatalAppDate)
  bk$AntenatalAppDate[1:2] <- c("31/12/2020", "2020-13-45")
  tabs$MSD101PregnancyBooking <- bk
  tabs$MSD201CareContactPreg$AttendCode[1:3] <- c("8", "8", "X")
  tabs$MSD201CareContactPreg$UniqPregID[4] <- "NOT-A-PREGNANCY"
  tabs$MSD001MotherDemog <- rbind(tabs$MSD001MotherDemog, tabs$MSD001MotherDemog[1, ])
  tabs$MSD405CareActivityBaby$ApgarScore <- as.character(tabs$MSD405CareActivityBaby$ApgarScore)
  tabs$MSD901StaffDetails <- NULL
  err <- tryCatch(as_msds(tabs, quiet = TRUE), error = identity)
  msg <- cli::ansi_strip(conditionMessage(err))
  # a record repeated within one submission is no longer an error: as_msds()
  # keeps one and counts it (test-msds-submissions.R)
  expect_match(msg, "5 problems")
  expect_match(msg, "AntenatalAppDate: unparseable date \\(expected YYYY-MM-DD\\) \\(2 rows\\); e.g. \"31/12/2020\", \"2020-13-45\"")
  expect_match(msg, "AttendCode: code outside the code list \\(3 rows\\); e.g. \"8\", \"X\"")
  expect_match(msg, "UniqPregID: orphan key: no matching record in MSD101PregnancyBooking \\(1 row\\); e.g. \"NOT-A-PREGNANCY\"")
  expect_no_match(msg, "duplicate key")
  expect_match(msg, "ApgarScore: wrong type: character, expected integer")
  expect_match(msg, "MSD901StaffDetails: table is missing")
})

test_that("data-quality issues are counted and warned about once, not errors", {
  tabs <- small_tables()$tables
  tabs$MSD001MotherDemog$EthnicCategoryMother[1:5] <- c("Z", "99", NA, "Z", "A")
  expect_warning(x <- as_msds(tabs), class = "matequity_data_quality")
  q <- msds_quality(x, disclosure = "none")
  eth <- q[q$field == "EthnicCategoryMother", ]
  expected <- sum(is.na(tabs$MSD001MotherDemog$EthnicCategoryMother) |
                    tabs$MSD001MotherDemog$EthnicCategoryMother %in% c("Z", "99"))
  expect_equal(eth$n_rows, expected)
  expect_no_warning(as_msds(tabs, quiet = TRUE))
})

test_that("a mapping translates local column and table names once", {
  tabs <- small_tables()$tables
  names(tabs$MSD101PregnancyBooking)[names(tabs$MSD101PregnancyBooking) == "UniqPregID"] <- "preg_key"
  names(tabs)[names(tabs) == "MSD901StaffDetails"] <- "staff_view"
  x <- as_msds(tabs, quiet = TRUE,
               mapping = list(.tables = c(MSD901StaffDetails = "staff_view"),
                              MSD101PregnancyBooking = c(UniqPregID = "preg_key")))
  expect_true("UniqPregID" %in% names(x$MSD101PregnancyBooking))
  expect_true("MSD901StaffDetails" %in% names(x))
})

test_that("as_msds() reads the tables from a database connection", {
  skip_if_not_installed("DBI")
  skip_if_not_installed("RSQLite")
  tabs <- small_tables()$tables
  con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
  on.exit(DBI::dbDisconnect(con))
  for (nm in names(tabs)) {
    df <- as.data.frame(tabs[[nm]])
    for (f in names(df)) if (inherits(df[[f]], "Date")) df[[f]] <- format(df[[f]])
    DBI::dbWriteTable(con, nm, df)
  }
  x <- as_msds(con, quiet = TRUE)
  expect_equal(x$MSD101PregnancyBooking$AntenatalAppDate, tabs$MSD101PregnancyBooking$AntenatalAppDate)
  expect_equal(nrow(x$MSD201CareContactPreg), nrow(tabs$MSD201CareContactPreg))
})

test_that("bad arguments get clear errors", {
  expect_error(as_msds(data.frame(a = 1)), "named list of data frames")
  expect_error(as_msds(list(MSD001MotherDemog = 1)), "not a data frame")
  expect_error(msds_quality(list()), "validated")
  tabs <- small_tables()$tables
  expect_error(as_msds(tabs, flags = data.frame(Person_ID_Mother = "M1", traveller = "yes")),
               "must be logical")
})

test_that("the schema lists every table and field with a type", {
  s <- msds_schema()
  expect_true(all(c("MSD001MotherDemog", "MSD102MatCarePlan", "MSD901StaffDetails") %in% s$table))
  expect_true(all(s$type %in% c("character", "integer", "numeric", "date")))
  expect_equal(s$codes[s$field == "CarePlanType"], "05,06,07")
})

test_that("print() summarises tables, pregnancies, providers and dates", {
  x <- simulate_msds(300, seed = 3)
  out <- cli::ansi_strip(capture.output(print(x)))
  expect_match(out[2], "pregnancies: 300")
  expect_match(out[2], "providers: 14")
  expect_true(any(grepl("MSD201CareContactPreg", out)))
})
