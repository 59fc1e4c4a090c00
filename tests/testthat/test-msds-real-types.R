# as_msds() on the value shapes real MSDS v2 extracts hold (issue 12, parts
# A+B). The tables are literal (helper-real-types.R: the clean fixture of
# helper-fixtures.R altered one column at a time); expected values by hand.

spec <- function(type, ...) schema_col(type, ...)

# Downstream results that must agree, without what a shape legitimately
# changes (the raw ethnicity code and its count of unknown codes).
rt_same <- function(a, b, drop = character()) {
  for (n in names(a)) {
    x <- a[[n]]
    y <- b[[n]]
    x <- x[setdiff(names(x), drop)]
    y <- y[setdiff(names(y), drop)]
    attr(x, "unknown_codes") <- attr(y, "unknown_codes") <- NULL
    expect_equal(x, y, label = n)
  }
}

test_that("each real shape loads and gives the clean answer downstream", {
  for (s in setdiff(rt_order, "month_birth")) {
    x <- rt_msds(s)
    y <- rt_msds(s, "clean")
    expect_s3_class(x, "msds")
    rt_same(rt_downstream(x), rt_downstream(y), drop = "ethnic_code")
  }
})

test_that("record numbers of about 1e14 are kept exactly, from text, doubles and integer64", {
  x <- rt_msds("record")
  expect_type(x$MSD101PregnancyBooking$RecordNumber, "double")
  # P06 has two submissions, row numbers 1 and 2 of submission 100123: the
  # later one is kept (the earlier is superseded at the door), exactly
  bk <- x$MSD101PregnancyBooking
  expect_identical(bk$RecordNumber[bk$UniqPregID == "P06"], 100123000000002)
  bb <- x$MSD401BabyDemographics
  expect_identical(sprintf("%.0f", bb$RecordNumber[bb$UniqPregID == "P06"]), "100123000000002")
  expect_identical(x$MSD405CareActivityBaby$RecordNumber[1], 100123000000001)
  # the latest submission still wins
  ch <- suppressMessages(define_cohort(x, period = fixture_period))
  expect_equal(ch$provider[ch$preg_id == "P06"], "RXA")
})

test_that("unusable record numbers are one error naming table, field, count and examples", {
  t <- fixture_tables()
  t$MSD101PregnancyBooking$RecordNumber <- c("100000123000000456", "12.5", "-3", "12a",
                                             rep("100123000000001", 14))
  t$MSD301LabourDelivery$RecordNumber <- c(2^53 + 2, rep(1, 10))
  err <- tryCatch(as_msds(t, quiet = TRUE), error = identity)
  expect_s3_class(err, "matequity_msds_invalid")
  msg <- cli::ansi_strip(conditionMessage(err))
  expect_match(msg, "2 problems")
  # row counts as the option's disclosure rule (default nhse_sde) releases them
  expect_match(msg, paste0("MSD101PregnancyBooking\\$RecordNumber: unusable record number .* \\(<10 rows\\); ",
                           "e.g. \"100000123000000456\", \"12.5\", \"-3\", \"12a\""))
  expect_match(msg, "MSD301LabourDelivery\\$RecordNumber: unusable record number .* \\(<10 rows\\); e.g. \"9007199254740994\"")
  # 2^53 + 1 as text would round to 2^53: refused, as is 2^53 itself
  big <- convert_field(c("9007199254740993", "9007199254740992", "9007199254740991"), spec("record"))
  expect_equal(big$problems[[1]]$n_rows, 2L)
  expect_identical(convert_field("9007199254740991", spec("record"))$value, 2^53 - 1)
  r <- convert_field(c("100123000000456", " 7 ", "", NA), spec("record"))
  expect_identical(r$value, c(100123000000456, 7, NA, NA))
  expect_identical(convert_field(5L, spec("record"))$value, 5)
})

test_that("integer64 record numbers and ids convert via text without attaching bit64", {
  needs_reference("bit64")
  i64 <- bit64::as.integer64(c("100123000000456", NA))
  expect_identical(convert_field(i64, spec("record"))$value, c(100123000000456, NA))
  expect_identical(convert_field(i64, spec("character"))$value, c("100123000000456", NA))
  expect_false("package:bit64" %in% search())
})

test_that("numeric ids become exact digit text; ids are otherwise kept as they are", {
  x <- rt_msds("numeric_ids")
  expect_identical(x$MSD001MotherDemog$Person_ID_Mother[1:3], c("9000000001", "9000000001", "9000000002"))
  expect_identical(attr(x, "flags")$Person_ID_Mother, c("9000000002", "9000000003"))
  ch <- function(v, ...) convert_field(v, spec("character", ...))
  expect_identical(ch(c(100000, 1e14, NA))$value, c("100000", "100000000000000", NA))
  expect_identical(ch(100000L)$value, "100000")
  expect_identical(ch(factor(c("P1", "P2")))$value, c("P1", "P2"))
  expect_identical(ch(c(" P1", "P1 ", "", "  "))$value, c(" P1", "P1 ", NA, NA))
  expect_match(ch(c(1, 1.5))$problems[[1]]$problem, "number with a fraction")
  expect_equal(ch(c(1, 1.5))$problems[[1]]$n_rows, 1L)
  # numeric codes cannot hold their leading zero: restored for fixed-width lists
  expect_identical(ch(c(1, 98), codes = msds_codes$preg_outcome)$value, c("01", "98"))
  expect_identical(ch(5L, codes = msds_codes$attend_code)$value, "5")
})

test_that("all-missing columns of any type become typed missing columns", {
  for (v in list(NA, c(NA, NA), c("", NA), factor(c(NA, "")))) {
    n <- length(v)
    expect_identical(convert_field(v, spec("character"))$value, rep(NA_character_, n))
    expect_identical(convert_field(v, spec("integer"))$value, rep(NA_integer_, n))
    expect_identical(convert_field(v, spec("numeric"))$value, rep(NA_real_, n))
    expect_identical(convert_field(v, spec("record"))$value, rep(NA_real_, n))
    expect_identical(convert_field(v, spec("date"))$value, rep(as.Date(NA), n))
  }
  x <- rt_msds("all_na")
  # (P06's earlier booking and baby submissions are superseded at the door)
  expect_identical(x$MSD101PregnancyBooking$PersonBMIBooking, rep(NA_real_, 17))
  expect_identical(x$MSD401BabyDemographics$CareProfLIDDel, rep(NA_character_, 12))
  expect_equal(nrow(rt_new_quality(x, rt_msds("all_na", "clean"))), 0L)
  # a logical column with values is still the wrong type
  expect_match(convert_field(c(TRUE, NA), spec("integer"))$problems[[1]]$problem,
               "wrong type: logical, expected integer")
})

test_that("text deciles, scores and counts are parsed strictly; the rest is counted", {
  num <- function(v, type = "integer", ...) convert_field(v, spec(type, ...))
  d <- num(c("01 - Most deprived", "02", " 9", "10 - Least deprived", "10", "", NA),
           format = "decile")
  expect_identical(d$value, c(1L, 2L, 9L, 10L, 10L, NA, NA))
  expect_length(d$problems, 0L)
  x <- rt_msds("decile")
  expect_identical(x$MSD001MotherDemog$Rank_IMD_Decile_2015,
                   fixture_tables()$MSD001MotherDemog$Rank_IMD_Decile_2015)
  a <- num(c(" 9 ", "08", "unknown", "n/a", "7.0", "7.5"))
  expect_identical(a$value, c(9L, 8L, NA, NA, 7L, NA))
  expect_equal(a$problems[[1]]$problem, "text that is not a number, set to missing")
  expect_equal(a$problems[[1]]$severity, "warning")
  expect_equal(a$problems[[1]]$n_rows, 3L)
  expect_equal(a$problems[[1]]$examples, "\"unknown\", \"n/a\", \"7.5\"")
  expect_identical(num(c("1500", "1499.5", " 2e3"), "numeric")$value, c(1500, 1499.5, 2000))
  # no value parses: the column is of the wrong type
  e <- num(c("high", "low"))
  expect_equal(e$problems[[1]]$severity, "error")
  expect_match(e$problems[[1]]$problem, "no value that is a number")
  # in as_msds(): counted in the quality table with the range checks
  t <- fixture_tables()
  t$MSD001MotherDemog$Rank_IMD_Decile_2015 <- c("01 - Most deprived", "n/k", rep("05", 14), "11")
  q <- msds_quality(as_msds(t, quiet = TRUE), disclosure = "none")
  q <- q[q$field == "Rank_IMD_Decile_2015", ]
  expect_equal(q$problem, c("text that is not a number, set to missing",
                            "value outside the plausible range 1-10", "missing"))
  expect_equal(q$n_rows, c(1L, 1L, 1L))
})

test_that("one date format per column is detected, reported and never guessed per value", {
  dt <- function(v) convert_field(v, spec("date"))
  iso <- dt(c("2019-04-01", "2019-04-015", "2019-02-30", "01/04/2019", "2019-04-02", ""))
  expect_identical(iso$value, as.Date(c("2019-04-01", NA, NA, NA, "2019-04-02", NA)))
  expect_equal(iso$format$format, "YYYY-MM-DD")
  expect_equal(iso$format$n_values, 2L)
  expect_equal(iso$problems[[1]]$problem, "unparseable date (column format YYYY-MM-DD), set to missing")
  expect_equal(iso$problems[[1]]$n_rows, 3L)
  expect_equal(iso$problems[[1]]$examples, "\"2019-04-015\", \"2019-02-30\", \"01/04/2019\"")
  uk <- dt(c("31/12/2020", "01/02/2021", "1/3/2021", "2021-03-01", "29/02/2021"))
  expect_identical(uk$value, as.Date(c("2020-12-31", "2021-02-01", "2021-03-01", NA, NA)))
  expect_equal(uk$format$format, "DD/MM/YYYY")
  expect_equal(uk$problems[[1]]$n_rows, 2L)
  expect_identical(dt(c("20190401", "20191231"))$value, as.Date(c("2019-04-01", "2019-12-31")))
  expect_identical(dt(c(20190401, NA))$value, as.Date(c("2019-04-01", NA)))
  expect_identical(dt(c("2019-04-01 23:59", "2019-04-02 00:00:01.250"))$value,
                   as.Date(c("2019-04-01", "2019-04-02")))
  expect_identical(dt(c("2019-04-01T23:30:00.000Z", "2019-04-02T10:00:00"))$value,
                   as.Date(c("2019-04-01", "2019-04-02")))
  expect_identical(dt(c("01/04/2019 10:00", "02/04/2019 25:00"))$value,
                   as.Date(c("2019-04-01", NA)))
  m <- dt(c("2021-03", "2021-13", "2020-12"))
  expect_identical(m$value, as.Date(c("2021-03-01", NA, "2020-12-01")))
  expect_equal(m$format$precision, "month")
  expect_identical(dt(c("03/2021", "12/2020"))$value, as.Date(c("2021-03-01", "2020-12-01")))
  # nothing matches a format: an error; a number that is not YYYYMMDD too
  expect_equal(dt(c("soon", "2019/04/01"))$problems[[1]]$severity, "error")
  expect_equal(dt(c(43556, 43557))$problems[[1]]$severity, "error")
  expect_match(dt(c("2019-02-30", "2019-02-31"))$problems[[1]]$problem, "no value is a valid date")
})

test_that("date-times become the calendar date of their own time zone", {
  dt <- function(v) convert_field(v, spec("date"))
  utc <- as.POSIXct("2020-06-30 23:30:00", tz = "UTC")
  expect_identical(dt(utc)$value, as.Date("2020-06-30"))
  london <- utc
  attr(london, "tzone") <- "Europe/London"  # the same instant: 00:30 on 1 July in London
  expect_identical(dt(london)$value, as.Date("2020-07-01"))
  expect_equal(dt(london)$format$format, "date-time (POSIXct, read in Europe/London)")
  expect_identical(dt(as.POSIXlt("2020-01-05 08:00", tz = "UTC"))$value, as.Date("2020-01-05"))
})

test_that("the formats attribute lists every date column and print() shows the text ones", {
  x <- rt_msds(c("dates", "bad_date"))
  f <- attr(x, "formats")
  expect_named(f, c("table", "field", "format", "n_values", "precision"))
  got <- stats::setNames(f$format, paste(f$table, f$field, sep = "$"))
  expect_equal(unname(got[c("MSD101PregnancyBooking$AntenatalAppDate", "MSD101PregnancyBooking$EDDAgreed",
                            "MSD101PregnancyBooking$DischargeDateMatService",
                            "MSD102MatCarePlan$CarePlanDate", "MSD201CareContactPreg$CContactDate",
                            "MSD401BabyDemographics$PersonBirthDateBaby",
                            "MSD401BabyDemographics$PersonDeathDateBaby",
                            "MSD402NeonatalAdmission$NeonatalTransferStartDate")]),
               c("DD/MM/YYYY", "YYYY-MM-DD", "YYYYMMDD", "date-time (POSIXct, read in UTC)",
                 "YYYY-MM-DDTHH:MM:SS[.fff][Z]", "Date", "YYYY-MM-DD HH:MM[:SS[.fff]]",
                 "DD/MM/YYYY HH:MM[:SS]"))
  expect_equal(f$n_values[f$field == "DischargeDateMatService"], 2L)
  expect_equal(f$n_values[f$field == "EDDAgreed"], 17L)
  out <- capture.output(print(x))
  expect_true(any(grepl("MSD101PregnancyBooking.AntenatalAppDate: DD/MM/YYYY", out, fixed = TRUE)))
  expect_false(any(grepl("PersonBirthDateBaby: Date", out, fixed = TRUE)))
  q <- rt_new_quality(x, rt_msds(c("dates", "bad_date"), "clean"))
  expect_equal(q$problem, "unparseable date (column format YYYY-MM-DD), set to missing")
  expect_equal(q$examples, "\"2019-04-015\"")
  expect_true(is.na(x$MSD101PregnancyBooking$EDDAgreed[2]))
})

test_that("month-only baby birth dates are flagged and do not decide neonatal deaths", {
  x <- rt_msds("month_birth")
  y <- rt_msds("month_birth", "clean")
  f <- attr(x, "formats")
  expect_equal(f$precision[f$field == "PersonBirthDateBaby"], "month")
  # validating the object again keeps the flag (its column is a Date by now)
  expect_identical(attr(as_msds(x, quiet = TRUE), "formats"), f)
  expect_equal(f$format[f$field == "PersonBirthDateBaby"], "YYYY-MM (month precision)")
  q <- rt_new_quality(x, y)
  expect_equal(q$problem, "month precision only: stored as the 1st of the month")
  expect_equal(q$n_rows, 13L)
  expect_identical(x$MSD401BabyDemographics$PersonBirthDateBaby[1], as.Date("2020-08-01"))
  ch <- fixture_cohort(x)
  quiet_other <- function(expr) withCallingHandlers(expr,
    matequity_not_births = function(m) invokeRestart("muffleMessage"),
    matequity_no_sga_chart = function(m) invokeRestart("muffleMessage"),
    matequity_no_termination_field = function(m) invokeRestart("muffleMessage"))
  expect_message(o <- quiet_other(add_outcomes(ch, x)), class = "matequity_month_precision")
  o0 <- suppressMessages(add_outcomes(fixture_cohort(y), y))
  # B05 died 27 days after birth (28 Nov 2018, death 25 Dec) and B06 28 days
  # after (17 Nov 2020): with the month only, 25-54 and 15-44 days: unknown
  expect_equal(by_preg(o0, "neonatal_death")[c("P05", "P06")], c(P05 = TRUE, P06 = FALSE))
  expect_equal(by_preg(o, "neonatal_death_eligible")[c("P05", "P06")], c(P05 = NA, P06 = NA))
  expect_equal(by_preg(o, "perinatal_death_eligible")[c("P05", "P06")], c(P05 = NA, P06 = NA))
  # cohort and care model: the same (born-before-booking and birth-before-203
  # days rules use the month's last day; P16 has no gestation at birth)
  a <- rt_downstream(x)
  b <- rt_downstream(y)
  rt_same(a[c("cohort", "care_model")], b[c("cohort", "care_model")])
  keep <- !o$preg_id %in% c("P05", "P06")
  expect_equal(o$neonatal_death[keep], o0$neonatal_death[keep])
  # birth_date is the 1st of the month; its year and month are the same
  expect_identical(o$birth_month, o0$birth_month)
  expect_true(all(format(o$birth_date, "%d") %in% c("01", NA)))
  other <- setdiff(names(o), c("neonatal_death", "neonatal_death_eligible", "perinatal_death",
                               "perinatal_death_eligible", "birth_date"))
  expect_equal(o[other], o0[other])
})

test_that("Y/N fields and codes are trimmed and upper-cased as NHS Digital does", {
  x <- rt_msds("case")
  y <- rt_msds("case", "clean")
  expect_identical(x$MSD102MatCarePlan, y$MSD102MatCarePlan)
  expect_identical(x$MSD001MotherDemog$EthnicCategoryMother, y$MSD001MotherDemog$EthnicCategoryMother)
  expect_equal(nrow(attr(x, "invalid_codes")), 0L)
})

test_that("codes outside the code lists are kept, counted by value, provider and month, and invalid downstream", {
  x <- rt_msds("invalid_codes")
  expect_identical(x$MSD001MotherDemog$EthnicCategoryMother[3:4], c("X", "X"))
  ic <- msds_invalid_codes(x, disclosure = "none")
  expect_equal(as.data.frame(ic[c("table", "field", "value", "provider", "month", "n_rows")]),
               data.frame(table = c("MSD001MotherDemog", "MSD102MatCarePlan", "MSD201CareContactPreg",
                                    "MSD401BabyDemographics"),
                          field = c("EthnicCategoryMother", "CarePlanType", "AttendCode", "PregOutcome"),
                          value = c("X", "99", "0", "98"), provider = "RXA",
                          month = c(NA, "2020-04", "2020-03", "2021-08"), n_rows = c(2L, 1L, 1L, 1L)), ignore_attr = TRUE)
  # the default disclosure rule suppresses these small counts
  expect_true(all(is.na(msds_invalid_codes(x)$n_rows)))
  q <- msds_quality(x, disclosure = "none")
  q <- q[q$problem == "code outside the code list", ]
  expect_equal(q$field, c("EthnicCategoryMother", "CarePlanType", "AttendCode", "PregOutcome"))
  expect_equal(q$n_rows, c(2L, 1L, 1L, 1L))
  expect_warning(as_msds(rt_tables("invalid_codes"), flags = fixture_flags()),
                 "AttendCode: code outside the code list", class = "matequity_data_quality")
  # downstream: 'X' is an unknown ethnic group, not a minority flag
  ch <- fixture_cohort(x)
  expect_equal(as.character(ch$ethnic_group[ch$mother_id %in% c("M02", "M03")]), c("Unknown", "Unknown"))
  expect_equal(ch$plus_ethnic_minority[ch$mother_id %in% c("M02", "M03")], c(NA, NA))
  expect_true("X" %in% attr(ch, "unknown_codes")$value)
  # PregOutcome '98' is not a birth (logged), so P12 is in no birth denominator
  expect_message(o <- withCallingHandlers(add_outcomes(ch, x),
                   matequity_no_sga_chart = function(m) invokeRestart("muffleMessage"),
    matequity_no_termination_field = function(m) invokeRestart("muffleMessage")),
                 "PregOutcome 98: <10", class = "matequity_not_births")
  expect_false(by_preg(o, "stillbirth_eligible")[["P12"]])
  # AttendCode '0' is not attended; CarePlanType '99' is not an antenatal plan
  ct <- suppressWarnings(continuity(suppressMessages(add_care_model(ch, x)), x))
  log <- attr(ct, "exclusions")
  expect_equal(log$n_rows[log$reason == "not attended (AttendCode not 5 or 6)"], 1L)
  cm <- suppressMessages(add_care_model(ch, x))
  # P02's '99' plan (Y, at 150 days) would place her if read as antenatal;
  # her '05' plan at or before 203 days says N
  expect_false(by_preg(cm, "coc_placed")[["P02"]])
})

test_that("every shape at once loads with each problem counted exactly, and downstream agrees", {
  shapes <- setdiff(rt_order, "month_birth")
  x <- rt_msds(shapes)
  y <- rt_msds(shapes, "clean")
  q <- rt_new_quality(x, y)
  expect_equal(paste(q$table, q$field, q$problem, q$n_rows, sep = " | "), c(
    "MSD001MotherDemog | EthnicCategoryMother | code outside the code list | 2",
    "MSD001MotherDemog | EthnicCategoryMother | ethnicity not stated or not known (Z, 99, missing) | 2",
    "MSD101PregnancyBooking | EDDAgreed | unparseable date (column format YYYY-MM-DD), set to missing | 1",
    "MSD102MatCarePlan | CarePlanType | code outside the code list | 1",
    "MSD201CareContactPreg | AttendCode | code outside the code list | 1",
    "MSD401BabyDemographics | PregOutcome | code outside the code list | 1"))
  # the clean equivalent's ethnicity 'Z' x 2 became 'X' x 2: Z/99 left 2, as the fixture has
  expect_equal(sum(attr(x, "invalid_codes")$n_rows), 5L)
  rt_same(rt_downstream(x), rt_downstream(y), drop = "ethnic_code")
  # and with month-only birth dates, everything but neonatal deaths agrees too
  xm <- rt_msds(rt_order)
  a <- suppressMessages(add_outcomes(fixture_cohort(xm), xm))
  b <- suppressMessages(add_outcomes(fixture_cohort(y), y))
  # (birth_date is the 1st of the month there; birth_year and birth_month agree)
  other <- setdiff(names(a), c("ethnic_code", "neonatal_death", "neonatal_death_eligible",
                               "perinatal_death", "perinatal_death_eligible", "birth_date"))
  expect_equal(a[other], b[other], ignore_attr = TRUE)
})

test_that("contact times come as HH:MM, HH:MM:SS, date-times or database time classes", {
  expect_identical(parse_contact_time(c("09:30", "9:05:07", "2021-01-01 13:45:10",
                                        "2021-01-01T13:45:10.123Z", "01/02/2021 07:00",
                                        "25:00", "x", NA)),
                   c(34200L, 32707L, 49510L, 49510L, 25200L, NA, NA, NA))
  tm <- function(v) convert_field(v, spec("character", format = "time"))$value
  expect_identical(tm(as.POSIXct("2021-01-01 13:45:10", tz = "UTC")), "13:45:10")
  expect_identical(tm(as.difftime(c(3600 + 61, NA), units = "secs")), c("01:01:01", NA))
  expect_identical(tm(c(" 09:30 ", "")), c("09:30", NA))
})

test_that("data_quality() counts an out-of-list code as complete but not valid, and carries the codes", {
  x <- rt_msds("invalid_codes")
  y <- rt_msds("invalid_codes", "clean")
  dq <- data_quality(x, by = character(), disclosure = "none")
  dq0 <- data_quality(y, by = character(), disclosure = "none")
  e <- dq[dq$field == "ethnicity", ]
  e0 <- dq0[dq0$field == "ethnicity", ]
  # M02 and M03: 'X' (real) is present, so complete, and not valid - as 'Z'
  # (their clean equivalent) is
  expect_equal(e$n_complete, e0$n_complete)
  expect_equal(e$n_valid, e0$n_valid)
  ic <- attr(dq, "invalid_codes")
  expect_equal(ic$value, c("X", "99", "0", "98"))
})

test_that("numeric codes get back their leading zero, and lossy numeric ids are flagged", {
  r <- convert_field(c(1, 98, NA), spec("character", codes = msds_codes$preg_outcome))
  expect_identical(r$value, c("01", "98", NA))
  expect_equal(r$problems[[1]]$problem, "numeric codes given: leading zeros restored to 2 digits")
  expect_equal(r$problems[[1]]$n_rows, 1L)
  big <- convert_field(c(2^60, 5), spec("character"))
  expect_identical(big$value, c(sprintf("%.0f", 2^60), "5"))
  expect_equal(big$problems[[1]]$severity, "warning")
  expect_match(big$problems[[1]]$problem, "digits may have been lost")
})

test_that("a Y/N value outside the code list is not a recorded answer downstream", {
  t <- fixture_tables()
  # P03 (complex social factors 'Y') and P01's latest plan by 203 days
  t$MSD101PregnancyBooking$ComplexSocialFactorsInd[3] <- "U"
  cp <- t$MSD102MatCarePlan
  extra <- cp[2, ]  # P01's 'Y' plan at 203 days
  extra$CarePlanDate <- extra$CarePlanDate - 1L
  cp$CarePlanDate[2] <- cp$CarePlanDate[2] - 2L  # the 'Y' plan now at 201 days
  extra$ContCarePathInd <- "u"                   # an unreadable answer at 202 days
  extra$MatPersCarePlanInd <- "?"
  t$MSD102MatCarePlan <- rbind(cp, extra)
  x <- as_msds(t, flags = fixture_flags(), quiet = TRUE)
  ic <- attr(x, "invalid_codes")
  expect_equal(paste(ic$field, ic$value), c("ComplexSocialFactorsInd U", "MatPersCarePlanInd ?",
                                            "ContCarePathInd U"))
  ch <- fixture_cohort(x)
  expect_true(is.na(by_preg(ch, "plus_complex_social")[["P03"]]))
  cm <- suppressMessages(add_care_model(ch, x, definition = "research"))
  # the 'U' plan is not "recorded" (research rule): the earlier 'Y' plan still places P01
  expect_true(by_preg(cm, "coc_placed")[["P01"]])
  # NHS Digital's COC_by_28weeks takes any non-missing ContCarePathInd as
  # recorded: the 'U' plan at 202 days decides, and it is not 'Y'
  expect_false(by_preg(suppressMessages(add_care_model(ch, x)), "coc_placed")[["P01"]])
})

test_that("the month of an invalid code comes from RPStartDate when the table has it", {
  t <- rt_tables("invalid_codes", "clean")
  t$MSD201CareContactPreg$AttendCode[2] <- "0"
  t$MSD201CareContactPreg$RPStartDate <- as.Date(c("2020-02-01", "2020-02-01"))
  x <- as_msds(t, flags = fixture_flags(), quiet = TRUE)
  ic <- attr(x, "invalid_codes")
  expect_equal(ic$month[ic$field == "AttendCode"], "2020-02")
  expect_equal(ic$provider[ic$field == "AttendCode"], "RXA")
})

test_that("simulate_msds() and as_msds() on its tables agree on formats and invalid codes", {
  # the clean tables, some of them trusted (real shapes: test-simulate-realism-asmsds.R)
  x <- simulate_msds(300, seed = 5, realism = NULL)
  tabs <- unclass(x)
  attributes(tabs) <- list(names = names(tabs))
  y <- as_msds(tabs, flags = attr(x, "flags"), quiet = TRUE)
  # the formats read agree; n_values differ by the superseded submissions that
  # simulate_msds()'s own as_msds() saw and removed
  fcols <- c("table", "field", "format", "precision")
  expect_identical(attr(y, "formats")[fcols], attr(x, "formats")[fcols])
  expect_identical(attr(y, "invalid_codes"), attr(x, "invalid_codes"))
  expect_type(x$MSD201CareContactPreg$RecordNumber, "double")
})

test_that("the born-before-booking rule uses the last day of a month-only birth date", {
  t <- fixture_tables()
  # P17's baby (born 2021-04-01, booking 2021-05-01) is excluded as born
  # before booking; held to the month (April) it is still before May
  t$MSD401BabyDemographics$PersonBirthDateBaby <- format(t$MSD401BabyDemographics$PersonBirthDateBaby, "%Y-%m")
  x <- as_msds(t, flags = fixture_flags(), quiet = TRUE)
  expect_false("P17" %in% fixture_cohort(x)$preg_id)
  # a birth in the booking month could be after the booking: not excluded
  t$MSD401BabyDemographics$PersonBirthDateBaby[13] <- "2021-05"
  x <- as_msds(t, flags = fixture_flags(), quiet = TRUE)
  expect_true("P17" %in% fixture_cohort(x)$preg_id)
})
