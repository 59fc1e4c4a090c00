# The simulator's clean tables (realism = NULL): these tests alter them one
# problem at a time; the real-extract shapes are tested in
# test-msds-real-types.R, test-msds-submissions.R and test-simulate-realism*.R.
small_tables <- function(n = 300, seed = 3) {
  x <- simulate_msds(n, seed = seed, realism = NULL)
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

test_that("the row hashes compare text as match() does when encodings are mixed", {
  u <- enc2utf8("caf\u00e9")
  l <- iconv(u, "UTF-8", "latin1")
  x <- list(c(u, "a", l, NA), c(1, 1, 1, 1))
  # what match() and duplicated() give on the pasted rows
  expect_identical(matequity:::combined_codes(x), c(1L, 2L, 1L, 4L))
  expect_identical(matequity:::duplicated_rows(x), c(FALSE, FALSE, TRUE, FALSE))
  expect_identical(matequity:::match_rows(list(c(l, "b", NA), c(1, 1, 1)), x), c(1L, NA, NA))
  # and on native text only, read as stored
  expect_identical(matequity:::match_rows(list(c("a", "z")), list(c("z", "a", "a"))), c(2L, 1L))
})

test_that("orphan keys are found in a key column of mixed encodings", {
  # one pregnancy's id in latin1 everywhere, one of its contacts in UTF-8
  # (the same text: not an orphan); the column is not hashed on pointers
  tabs <- small_tables()$tables
  u <- enc2utf8("PREG-caf\u00e9")
  l <- iconv(u, "UTF-8", "latin1")
  old <- tabs$MSD101PregnancyBooking$UniqPregID[1]
  for (t in names(tabs)) {
    if ("UniqPregID" %in% names(tabs[[t]])) tabs[[t]]$UniqPregID[tabs[[t]]$UniqPregID == old] <- l
  }
  i <- which(tabs$MSD201CareContactPreg$UniqPregID == l)
  expect_gt(length(i), 1L)
  tabs$MSD201CareContactPreg$UniqPregID[i[1]] <- u
  expect_identical(Encoding(tabs$MSD201CareContactPreg$UniqPregID[i[1:2]]), c("UTF-8", "latin1"))
  tabs$MSD201CareContactPreg$UniqPregID[setdiff(seq_along(tabs$MSD201CareContactPreg$UniqPregID), i)[1]] <- "NOT-A-PREGNANCY"
  withr::local_options(matequity.disclosure = "none")
  err <- tryCatch(as_msds(tabs, quiet = TRUE), error = identity)
  expect_s3_class(err, "matequity_msds_invalid")
  msg <- cli::ansi_strip(conditionMessage(err))
  expect_match(msg, "1 problem;")
  expect_match(msg, "UniqPregID: orphan key: no matching record in MSD101PregnancyBooking \\(1 row\\); e.g. \"NOT-A-PREGNANCY\"")
})

test_that("wrong types, unusable record numbers and orphan keys are all reported together", {
  # (before issue 12 bad dates, codes outside the code lists and repeated
  # records were errors here too; they are data quality now: see the next
  # test and test-msds-submissions.R)
  tabs <- small_tables()$tables
  bk <- tabs$MSD101PregnancyBooking
  bk$AntenatalAppDate <- rep(c("soon", "later"), length.out = nrow(bk))
  bk$RecordNumber[2] <- -1
  tabs$MSD101PregnancyBooking <- bk
  tabs$MSD201CareContactPreg$UniqPregID[4] <- "NOT-A-PREGNANCY"
  tabs$MSD001MotherDemog <- rbind(tabs$MSD001MotherDemog, tabs$MSD001MotherDemog[1, ])
  tabs$MSD405CareActivityBaby$ApgarScore <- "high"
  tabs$MSD901StaffDetails <- NULL
  err <- tryCatch(as_msds(tabs, quiet = TRUE), error = identity)
  msg <- cli::ansi_strip(conditionMessage(err))
  expect_match(msg, "5 problems")
  expect_match(msg, "AntenatalAppDate: unparseable date: no value is in a known format .*e.g. \"soon\", \"later\"")
  # row counts as the option's disclosure rule (default nhse_sde) releases them
  expect_match(msg, "RecordNumber: unusable record number \\(not a whole number from 0 to 2\\^53 - 1\\) \\(<10 rows\\); e.g. \"-1\"")
  expect_match(msg, "UniqPregID: orphan key: no matching record in MSD101PregnancyBooking \\(<10 rows\\); e.g. \"NOT-A-PREGNANCY\"")
  old <- options(matequity.disclosure = "none")
  on.exit(options(old))
  msg_off <- cli::ansi_strip(conditionMessage(tryCatch(as_msds(tabs, quiet = TRUE), error = identity)))
  expect_match(msg_off, "UniqPregID: orphan key: no matching record in MSD101PregnancyBooking \\(1 row\\)")
  # a record repeated within one submission: as_msds() keeps one and counts it
  expect_no_match(msg, "duplicate key")
  expect_match(msg, "ApgarScore: wrong type: text with no value that is a number, expected integer")
  expect_match(msg, "MSD901StaffDetails: table is missing")
})

test_that("a stray date format, codes outside the code lists and text scores load as data quality", {
  # these three were errors before issue 12 (in the test above)
  tabs <- small_tables()$tables
  bk <- tabs$MSD101PregnancyBooking
  clean_dates <- bk$AntenatalAppDate
  bk$AntenatalAppDate <- format(bk$AntenatalAppDate)
  bk$AntenatalAppDate[1:2] <- c("31/12/2020", "2020-13-45")
  tabs$MSD101PregnancyBooking <- bk
  tabs$MSD201CareContactPreg$AttendCode[1:3] <- c("8", "8", "X")
  apgar <- tabs$MSD405CareActivityBaby$ApgarScore
  tabs$MSD405CareActivityBaby$ApgarScore <- as.character(apgar)
  x <- as_msds(tabs, quiet = TRUE)
  # one format per column: the dd/mm/yyyy value is not guessed
  expect_equal(x$MSD101PregnancyBooking$AntenatalAppDate, replace(clean_dates, 1:2, NA))
  expect_identical(x$MSD405CareActivityBaby$ApgarScore, apgar)
  q <- msds_quality(x, disclosure = "none")
  d <- q[q$field == "AntenatalAppDate", ]
  expect_equal(d$problem, "unparseable date (column format YYYY-MM-DD), set to missing")
  expect_equal(d$n_rows, 2L)
  expect_equal(d$examples, "\"31/12/2020\", \"2020-13-45\"")
  a <- q[q$field == "AttendCode", ]
  expect_equal(a$problem, "code outside the code list")
  expect_equal(a$n_rows, 3L)
  expect_equal(x$MSD201CareContactPreg$AttendCode[1:3], c("8", "8", "X"))
  ic <- msds_invalid_codes(x, disclosure = "none")
  expect_equal(sum(ic$n_rows[ic$field == "AttendCode" & ic$value == "8"]), 2L)
  expect_equal(sum(ic$n_rows[ic$field == "AttendCode" & ic$value == "X"]), 1L)
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
  needs_reference("DBI")
  needs_reference("RSQLite")
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
  expect_true(all(s$type %in% c("character", "integer", "numeric", "date", "record")))
  expect_equal(unique(s$type[s$field == "RecordNumber"]), "record")
  expect_equal(s$codes[s$field == "CarePlanType"], "05,06,07")
})

test_that("print() summarises tables, pregnancies, providers and dates", {
  x <- simulate_msds(300, seed = 3)
  out <- cli::ansi_strip(capture.output(print(x, disclosure = "none")))
  expect_match(out[2], "DISCLOSURE CONTROL OFF")
  expect_match(out[3], "pregnancies: 300")
  expect_match(out[3], "providers: 14")
  rng <- format(range(x$MSD101PregnancyBooking$AntenatalAppDate))
  expect_match(out[4], paste0("bookings from ", rng[1], " to ", rng[2]), fixed = TRUE)
  expect_true(any(grepl("MSD201CareContactPreg", out)))
  # under the default rule: released counts, and the booking period as the
  # first and last periods with at least 10 bookings
  out <- cli::ansi_strip(capture.output(print(x, disclosure = "nhse_sde")))
  # counts rounded to the nearest 5 (w / 5 is never a half)
  w <- length(unique(x$MSD001MotherDemog$Person_ID_Mother))
  expect_match(out[2], sprintf("pregnancies: ~300  women: ~%d  providers: ~15", 5L * round(w / 5)),
               fixed = TRUE)
  expect_match(out[3], "first and last (months|quarters|years) with at least 10")
  expect_false(any(grepl(rng[1], out, fixed = TRUE)))
  s <- summary(x, disclosure = "nhse_sde")
  expect_s3_class(s, "mq_sdc")
  expect_true(all(s$rows %% 5 == 0))
})
