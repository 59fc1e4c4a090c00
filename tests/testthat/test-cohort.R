# Expected values are read off the fixture rows in helper-fixtures.R by hand.

test_that("define_cohort keeps one row per pregnancy with the documented columns", {
  co <- fixture_cohort()
  expect_s3_class(co, "mq_cohort")
  expect_s3_class(co, "tbl_df")
  expect_identical(co$preg_id, c("P01", "P02", "P03", "P04", "P05", "P06", "P07", "P12",
                                 "P14", "P15", "P16"))
  expect_identical(names(co), c(
    "preg_id", "mother_id", "provider", "provider_submitted", "icb", "lmns",
    "booking_date", "booking_gest", "age", "age_band",
    "parity", "nulliparous", "prev_stillbirth", "prev_caesarean", "ethnic_code",
    "ethnic_group", "ethnic_group_nhs_coc", "imd_decile", "imd_quintile", "imd_edition",
    "year", "quarter",
    "discharge_date", "core20", "plus_ethnic_minority", "plus_traveller", "plus_ltc",
    "plus_complex_social", "core20plus", "core20plus_group", "version"))
  expect_identical(unique(co$version), "v2")
  expect_false(anyDuplicated(co$preg_id) > 0)
})

test_that("repeated submissions: the highest RecordNumber wins", {
  # the MSDS decile (imd = "2015"): both of M01's records have the same LSOA
  co <- fixture_cohort(imd = "2015")
  # P06: RecordNumber 1 says RXB at 90 days, RecordNumber 2 says RXA at 70 days
  expect_identical(by_preg(co, "provider")[["P06"]], "RXA")
  expect_identical(by_preg(co, "booking_gest")[["P06"]], 70L)
  # M01: RecordNumber 0 (older) has ethnicity B, decile 9; RecordNumber 1, the
  # submission of P01's booking, has A, decile 2
  expect_identical(by_preg(co, "ethnic_code")[["P01"]], "A")
  expect_identical(by_preg(co, "imd_decile")[["P01"]], 2L)
})

test_that("the exclusion log accounts for every record with its reason", {
  co <- fixture_cohort()
  log <- attr(co, "exclusions")
  expect_named(log, c("step", "rule", "n_before", "n_excluded", "n_after"))
  # 18 booking records: P06 submitted twice -> 17 pregnancies; P08 (gestation
  # 320), P09 (age 9), P10 (discharge before booking), P17 (baby born before
  # booking), P13 (duplicate of P12), P11 (booked 2017) removed -> 11.
  expect_identical(log$n_excluded, c(1L, 0L, 1L, 1L, 1L, 1L, 1L, 1L, 0L))
  expect_identical(log$n_before[1], 18L)
  expect_identical(log$n_after[nrow(log)], 11L)
  expect_identical(sum(log$n_excluded), log$n_before[1] - log$n_after[nrow(log)])
  expect_identical(log$n_after, log$n_before - log$n_excluded)
  expect_identical(log$n_before[-1], log$n_after[-nrow(log)])
  expect_identical(log$step[c(3, 4, 5, 6)], rep("impossible values", 4))
})

test_that("each exclusion rule removes exactly its failing pregnancy", {
  tabs <- fixture_tables()
  # no booking date: P01 loses its date -> counted under 'no booking'
  tabs$MSD101PregnancyBooking$AntenatalAppDate[1] <- NA
  tabs$MSD102MatCarePlan <- tabs$MSD102MatCarePlan[tabs$MSD102MatCarePlan$UniqPregID != "P01", ]
  co <- fixture_cohort(fixture_msds(tabs))
  log <- attr(co, "exclusions")
  expect_identical(log$n_excluded[log$step == "no booking"], 1L)
  expect_false("P01" %in% co$preg_id)
  # the duplicate kept is the one with a birth record (P12, not P13)
  expect_true("P12" %in% co$preg_id)
  expect_false("P13" %in% co$preg_id)
  # duplicate_window = 0 still joins P12 and P13 (same estimated start);
  # moving P13 a month later makes it a separate pregnancy
  tabs <- fixture_tables()
  tabs$MSD101PregnancyBooking$AntenatalAppDate[tabs$MSD101PregnancyBooking$UniqPregID == "P13"] <-
    as.Date("2021-02-24")
  co2 <- fixture_cohort(fixture_msds(tabs))
  expect_true(all(c("P12", "P13") %in% co2$preg_id))
})

test_that("require_birth excludes pregnancies without a baby record", {
  co <- fixture_cohort(require_birth = TRUE)
  log <- attr(co, "exclusions")
  # P03 (discharged at 150 days) and P14 (ongoing) have no baby record
  expect_identical(log$n_excluded[log$step == "no birth"], 2L)
  expect_false(any(c("P03", "P14") %in% co$preg_id))
  expect_identical(nrow(co), 9L)
})

test_that("period bounds are inclusive and checked", {
  x <- fixture_msds()
  co <- suppressMessages(define_cohort(x, period = c("2020-01-10", "2020-02-01")))
  expect_identical(co$preg_id, c("P01", "P02"))
  expect_error(define_cohort(x, period = c("2021-01-01", "2020-01-01")), "period")
  expect_error(define_cohort(x, period = "2020-01-01"), "period")
})

test_that("ethnicity: codes A, B, J, Z and 99 give the documented groups and flags", {
  co <- fixture_cohort()
  expect_identical(as.character(by_preg(co, "ethnic_group")[c("P01", "P02", "P03", "P04", "P05")]),
                   c("White", "White", "Asian", "Unknown", "Unknown"))
  expect_identical(unname(by_preg(co, "plus_ethnic_minority")[c("P01", "P02", "P03", "P04", "P05")]),
                   c(FALSE, TRUE, TRUE, NA, NA))
  # excluding B and C as well
  co2 <- fixture_cohort(ethnic_minority = setdiff(matequity:::msds_codes$ethnic_category,
                                                  c("A", "B", "C", "Z", "99")))
  expect_false(by_preg(co2, "plus_ethnic_minority")[["P02"]])
  expect_error(define_cohort(fixture_msds(), ethnic_minority = c("J", "Q")), "Q")
})

test_that("unknown ethnicity codes are counted and reported with their values", {
  # imd = "2015": the fixture's LSOAs are not all real, and unmatched LSOAs
  # would be counted too under the default IMD 2019 (see test-geography.R)
  expect_message(co <- define_cohort(fixture_msds(), period = fixture_period, imd = "2015"), "Z")
  u <- attr(co, "unknown_codes")
  expect_identical(u$value, c("99", "Z"))
  expect_identical(u$n, c(1L, 1L))
})

test_that("IMD deciles 2 and 3 fall either side of Core20", {
  # the fixture's deciles are its Rank_IMD_Decile_2015 values
  co <- fixture_cohort(imd = "2015")
  expect_true(by_preg(co, "core20")[["P01"]])   # decile 2
  expect_false(by_preg(co, "core20")[["P02"]])  # decile 3
  expect_true(is.na(by_preg(co, "core20")[["P05"]]))  # decile missing
  expect_identical(unname(by_preg(co, "imd_quintile")[c("P01", "P02", "P04")]), c(1L, 2L, 4L))
  expect_identical(unique(co$imd_edition), "IMD 2015")
})

test_that("PLUS flags, core20plus and its groups", {
  co <- fixture_cohort(imd = "2015")
  expect_identical(unname(by_preg(co, "plus_traveller")[c("P01", "P02", "P03")]), c(FALSE, FALSE, TRUE))
  expect_identical(unname(by_preg(co, "plus_ltc")[c("P01", "P02", "P03")]), c(FALSE, TRUE, FALSE))
  expect_identical(unname(by_preg(co, "plus_complex_social")[c("P01", "P03")]), c(FALSE, TRUE))
  expect_identical(as.character(by_preg(co, "core20plus_group")[c("P01", "P02", "P04", "P05", "P06")]),
                   c("Core20 only", "PLUS only", "Neither", "Neither", "Core20 and PLUS"))
  expect_identical(unname(by_preg(co, "core20plus")[c("P01", "P02", "P04")]), c(TRUE, TRUE, FALSE))
  # no flags table: traveller and LTC unknown
  co0 <- fixture_cohort(fixture_msds(flags = NULL))
  expect_true(all(is.na(co0$plus_traveller)))
  expect_true(all(is.na(co0$plus_ltc)))
})

test_that("user-defined PLUS groups: formula, function and expression", {
  co <- fixture_cohort(plus = list(young = ~ age < 20, older = function(d) d$age >= 40,
                                   first = quote(nulliparous)), imd = "2015")
  expect_identical(unname(by_preg(co, "plus_young")[c("P03", "P01")]), c(TRUE, FALSE))
  expect_true(by_preg(co, "plus_older")[["P05"]])
  # P04 (code Z, decile 7) is in no built-in group; P05 (99, no decile) is
  # 'older' (41) and so now PLUS
  expect_identical(as.character(by_preg(co, "core20plus_group")[["P05"]]), "PLUS only")
  expect_true(by_preg(co, "plus_first")[["P01"]])
  expect_error(fixture_cohort(plus = list(bad = ~ age)), "logical")
  expect_error(fixture_cohort(plus = list(~ age < 20)), "named")
})

test_that("an IMD lookup replaces the MSDS decile and records its edition", {
  lk <- data.frame(lsoa = sprintf("E0100000%d", 1:7), decile = c(3, 2, 5, 7, 1, 1, 1),
                   edition = "IMD 2019")
  co <- suppressMessages(define_cohort(fixture_msds(), period = fixture_period, imd_lookup = lk))
  expect_identical(unique(co$imd_edition), "IMD 2019")
  expect_identical(unname(by_preg(co, "imd_decile")[c("P01", "P02", "P12")]), c(3L, 2L, NA))
  expect_identical(unname(by_preg(co, "core20")[c("P01", "P02")]), c(FALSE, TRUE))
  u <- attr(co, "unknown_codes")
  expect_true(all(c("E01000012", "E01000014", "X123") %in% u$value))
  mixed <- rbind(lk, data.frame(lsoa = "E01000012", decile = 2, edition = "IMD 2015"))
  expect_error(define_cohort(fixture_msds(), imd_lookup = mixed), "mixes IMD editions")
  expect_error(define_cohort(fixture_msds(), imd_lookup = lk[, 1:2]), "edition")
})

test_that("maternal characteristics", {
  co <- fixture_cohort()
  expect_identical(as.character(by_preg(co, "age_band")[c("P03", "P07", "P05")]), c("<20", "20-24", "40+"))
  # parity = previous live births + previous stillbirths
  expect_identical(unname(by_preg(co, "parity")[c("P01", "P03", "P16")]), c(0L, 1L, 3L))
  expect_identical(unname(by_preg(co, "prev_caesarean")[c("P01", "P02")]), c(FALSE, TRUE))
  expect_identical(unname(by_preg(co, "quarter")[c("P01", "P04", "P14")]), c("2020 Q1", "2020 Q2", "2023 Q2"))
  expect_identical(by_preg(co, "year")[["P05"]], 2018L)
})

test_that("age is computed from the mother's birth date when not recorded", {
  tabs <- fixture_tables()
  tabs$MSD101PregnancyBooking$AgeAtBookingMother[1] <- NA
  # booked 2020-01-10: born 1990-01-11 -> 29 completed years
  tabs$MSD001MotherDemog$PersonBirthDateMother <- as.Date(NA)
  tabs$MSD001MotherDemog$PersonBirthDateMother[2] <- as.Date("1990-01-11")
  co <- fixture_cohort(fixture_msds(tabs))
  expect_identical(by_preg(co, "age")[["P01"]], 29L)
})

test_that("bad input gets a clear error", {
  expect_error(define_cohort(fixture_tables()), "validated")
  expect_error(define_cohort(data.frame(a = 1)), "msds")
  expect_error(add_care_model(data.frame(a = 1), fixture_msds()), "define_cohort")
  expect_error(add_outcomes(fixture_cohort(), list()), "msds")
})

test_that("cohort_flow returns the log and prints a flow", {
  co <- fixture_cohort()
  fl <- cohort_flow(co, disclosure = "none")
  expect_s3_class(fl, "mq_flow")
  expect_identical(fl$n_excluded, attr(co, "exclusions")$n_excluded)
  out <- capture.output(print(fl))
  expect_true(any(grepl("booking records", out)))
  expect_true(any(grepl("excluded 1: duplicates", out)))
  expect_true(any(grepl("cohort \\(pregnancies\\)", out)))
})

test_that("cohort_flow counts go through the disclosure rule", {
  co <- fixture_cohort()
  fl <- cohort_flow(co, disclosure = "nhse_sde")
  expect_s3_class(fl, "mq_sdc")
  # NHS England SDE: counts under 10 suppressed, others rounded to 5
  expect_true(all(is.na(fl$n_excluded[attr(co, "exclusions")$n_excluded > 0])))
  expect_identical(as.numeric(fl$n_before[1]), 20)   # 18 rounds to 20
  expect_true(any(grepl("suppressed", capture.output(print(fl)))))
})

test_that("latest_rows picks the highest RecordNumber per key (one and several keys)", {
  set.seed(1)
  df <- data.frame(k = sample(letters, 200, TRUE), k2 = sample(c("x", "y"), 200, TRUE),
                   RecordNumber = sample.int(1000, 200))
  naive <- function(g) {
    sort(unname(vapply(split(seq_len(200), g), function(i) i[which.max(df$RecordNumber[i])], 1L)))
  }
  expect_identical(matequity:::latest_rows(df, "k"), naive(df$k))
  expect_identical(matequity:::latest_rows(df, c("k", "k2")), naive(paste(df$k, df$k2)))
  u <- df[!duplicated(df$k), ]
  expect_identical(matequity:::latest_rows(u, "k"), seq_len(nrow(u)))
})

test_that("latest_per_key(): one tie rule for every caller", {
  lpk <- matequity:::latest_per_key
  key <- c("a", "a", "a", "b", "b", "c", "c", "d", "d")
  date <- c(3, 3, 1, NA, 2, NA, NA, 5, 5)
  rn <- c(10, 20, 30, 1, 1, 7, 8, 4, 4)
  # the later date first, then the larger RecordNumber; a missing date sorts
  # below every date, and a key whose dates are all missing keeps a row
  r <- lpk(key, list(date, rn))
  expect_identical(which(r$keep), c(2L, 5L, 7L, 8L))
  expect_identical(r$superseded, 4L)
  expect_identical(r$tied, 1L)  # d: the same record twice, the first kept
  # ties = "drop": a key whose latest is tied keeps no row (counted)
  r <- lpk(key, list(date, rn), ties = "drop")
  expect_identical(which(r$keep), c(2L, 5L, 7L))
  expect_identical(r$tied, 2L)
  # no ordering vectors: every row of a key ties
  expect_identical(which(lpk(c(1, 1, 2))$keep), c(1L, 3L))
  expect_identical(lpk(character())$keep, logical())
})

test_that("an optional booking field the extract does not hold drops no pregnancy", {
  tabs <- unclass(msds_example)
  attributes(tabs) <- list(names = names(tabs))
  full <- suppressMessages(define_cohort(msds_example))
  tabs$MSD101PregnancyBooking$DischargeDateMatService <- NULL
  x <- as_msds(tabs, quiet = TRUE)
  co <- suppressMessages(define_cohort(x))
  # only the discharge-before-booking step can differ (it cannot fire now)
  ex <- attr(full, "exclusions")
  dis <- grepl("discharge from maternity services before booking", ex$rule)
  expect_equal(nrow(co), nrow(full) + sum(ex$n_excluded[dis]))
  # the column is still there, as an unknown date
  expect_s3_class(co[["discharge_date"]], "Date")
  expect_true(all(is.na(co[["discharge_date"]])))
})

test_that("the flow diagram shows the released counts, and passes the output check", {
  needs_reference("ggplot2")
  cohort <- suppressMessages(define_cohort(as_msds(msds_example, quiet = TRUE),
                                           period = c("2019-04-01", "2025-12-31"),
                                           require_birth = TRUE))
  flow <- cohort_flow(cohort, disclosure = "nhse_sde")
  p <- ggplot2::autoplot(flow)
  expect_s3_class(p, "ggplot")
  d <- p$data
  # one box for the first count, then an exclusion and a remainder per step
  expect_identical(nrow(d), 2L * nrow(flow) + 1L)
  expect_identical(d$n, as.numeric(c(flow$n_before[1], as.vector(rbind(flow$n_excluded, flow$n_after)))))
  # a count suppressed as small reads "<10"; the rest as released
  sup <- which(is.na(d$n))
  expect_true(length(sup) > 0)
  expect_true(all(grepl("^Excluded <10\n", d$label[sup])))
  shown <- which(!is.na(d$n))
  expect_true(all(mapply(function(l, v) grepl(format(v, big.mark = ","), l, fixed = TRUE),
                         d$label[shown], d$n[shown])))
  expect_identical(disclosure_check(flow_plot = p, disclosure = "nhse_sde")$status, "pass")
  # plot() draws the same diagram
  pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  q <- plot(flow)
  expect_identical(q$data$label, d$label)
  # without control the exact counts are drawn, and the plot says so
  off <- ggplot2::autoplot(cohort_flow(cohort, disclosure = "none"))
  expect_match(off$labels$subtitle, "DISCLOSURE CONTROL OFF")
  exact <- attr(cohort, "exclusions")
  expect_identical(off$data$n, as.numeric(c(exact$n_before[1], as.vector(rbind(exact$n_excluded, exact$n_after)))))
})
