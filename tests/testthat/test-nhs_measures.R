# nhs_measures(): NHS Digital's monthly measures on a hand-built raw extract
# with two monthly submissions (S1 RPStartDate 2019-06-01, S2 2019-07-01;
# every active record resubmitted). GestAgeBooking 60 unless stated; the
# 203rd day is AntenatalAppDate + 143.
#   P1 (M1, booked at RR1: RRK from April 2018) 203rd day 2019-06-01 (first
#      day of June); antenatal plan 2019-05-01, ContCarePathInd Y with a
#      midwife and team: placed. Discharged 2019-09-01 in S2; two attended
#      contacts (2019-06-10, 2019-07-10) by her named midwife MW1 (StaffGroup
#      05): receiving.
#   P2 (M2, RRK) 203rd day 2019-06-30 (last day of June); plan 2019-05-20
#      says N in S1 and Y in S2 (a resubmission changes it).
#   P3 (M3, RNA) GestAgeBooking 0: never in a denominator.
#   P4 (M4, RNA) 203rd day 2019-07-01; S2 records discharge on that day: out
#      of July's denominator (discharged at or before 203 days).
#   P5 (M5, RNA) 203rd day 2019-07-31; no plan: in July's denominator only.
#   P6 (M6, RRK) 203rd day 2019-05-31: in no month computed here.
nhsm_extract <- function() {
  d <- as.Date
  s1 <- 500001; s2 <- 500002
  rn <- function(sub, row) sub * 1e9 + row
  preg <- c("P1", "P2", "P3", "P4", "P5", "P6")
  bk1 <- data.frame(
    UniqPregID = preg, Person_ID_Mother = paste0("M", 1:6),
    OrgCodeProvider = c("RR1", "RRK", "RNA", "RNA", "RNA", "RRK"),
    AntenatalAppDate = d(c("2019-01-09", "2019-02-07", "2018-11-20", "2019-02-08",
                           "2019-03-10", "2019-01-08")),
    GestAgeBooking = c(60L, 60L, 0L, 60L, 60L, 60L),
    DischargeDateMatService = d(NA_character_),
    stringsAsFactors = FALSE)
  bk2 <- bk1
  bk2$DischargeDateMatService <- d(c("2019-09-01", NA, NA, "2019-07-01", NA, NA))
  bk1$RPStartDate <- d("2019-06-01"); bk1$RPEndDate <- d("2019-06-30")
  bk1$UniqSubmissionID <- s1; bk1$RecordNumber <- rn(s1, 1:6)
  bk2$RPStartDate <- d("2019-07-01"); bk2$RPEndDate <- d("2019-07-31")
  bk2$UniqSubmissionID <- s2; bk2$RecordNumber <- rn(s2, 1:6)
  bk <- rbind(bk1, bk2)
  bk$MSD101_ID <- seq_len(nrow(bk))
  bk$AgeAtBookingMother <- 30L
  bk$ComplexSocialFactorsInd <- "N"
  bk$PreviousLiveBirths <- 0L
  bk$PreviousStillBirths <- 0L
  bk$PreviousCaesareanSections <- 0L
  cp1 <- data.frame(
    UniqPregID = c("P1", "P2", "P4"), Person_ID_Mother = c("M1", "M2", "M4"),
    CarePlanType = "05", CarePlanDate = d(c("2019-05-01", "2019-05-20", "2019-06-15")),
    ContCarePathInd = c("Y", "N", "Y"), MatPersCarePlanInd = "Y",
    CareProfLID = c("MW1", "MW2", "MW3"), TeamLocalID = c("T1", "T2", "T3"),
    OrgCodeProvider = c("RR1", "RRK", "RNA"), stringsAsFactors = FALSE)
  cp2 <- cp1
  cp2$ContCarePathInd[2] <- "Y"
  cp1$RPStartDate <- d("2019-06-01"); cp1$RPEndDate <- d("2019-06-30")
  cp1$UniqSubmissionID <- s1; cp1$RecordNumber <- rn(s1, c(1, 2, 4))
  cp2$RPStartDate <- d("2019-07-01"); cp2$RPEndDate <- d("2019-07-31")
  cp2$UniqSubmissionID <- s2; cp2$RecordNumber <- rn(s2, c(1, 2, 4))
  cp <- rbind(cp1, cp2)
  cp$MSD102_ID <- seq_len(nrow(cp))
  cc <- data.frame(
    UniqPregID = "P1", Person_ID_Mother = "M1", CareConID = c("C1", "C2"),
    CContactDate = d(c("2019-06-10", "2019-07-10")), AttendCode = "5",
    OrgCodeProvider = "RR1", RPStartDate = d(c("2019-06-01", "2019-07-01")),
    RPEndDate = d(c("2019-06-30", "2019-07-31")), UniqSubmissionID = c(s1, s2),
    RecordNumber = rn(c(s1, s2), 1), MSD201_ID = 1:2, stringsAsFactors = FALSE)
  ca <- data.frame(
    UniqPregID = "P1", CareConID = c("C1", "C2"), CareProfLID = "MW1", TeamLocalID = "T1",
    OrgCodeProvider = "RR1", RPStartDate = d(c("2019-06-01", "2019-07-01")),
    RPEndDate = d(c("2019-06-30", "2019-07-31")), UniqSubmissionID = c(s1, s2),
    RecordNumber = rn(c(s1, s2), 1), MSD202_ID = 1:2, stringsAsFactors = FALSE)
  st <- data.frame(
    CareProfLID = "MW1", StaffGroup = "05", OrgCodeProvider = "RR1",
    RPStartDate = d(c("2019-06-01", "2019-07-01")), RPEndDate = d(c("2019-06-30", "2019-07-31")),
    UniqSubmissionID = c(s1, s2), MSD901_ID = 1:2, stringsAsFactors = FALSE)
  out <- list(MSD101PregnancyBooking = bk, MSD102MatCarePlan = cp, MSD201CareContactPreg = cc,
              MSD202CareActivityPreg = ca, MSD901StaffDetails = st)
  md <- data.frame(
    Person_ID_Mother = rep(paste0("M", 1:6), 2), RecordNumber = bk$RecordNumber,
    UniqSubmissionID = bk$UniqSubmissionID, RPStartDate = bk$RPStartDate,
    RPEndDate = bk$RPEndDate, OrgCodeProvider = bk$OrgCodeProvider,
    EthnicCategoryMother = "A", LSOAMother2011 = "E01000101", Rank_IMD_Decile_2015 = 5L,
    stringsAsFactors = FALSE)
  out$MSD001MotherDemog <- md
  for (tab in c("MSD301LabourDelivery", "MSD302CareActivityLabDel",
                "MSD401BabyDemographics", "MSD405CareActivityBaby")) {
    out[[tab]] <- msds_empty_table(tab)
  }
  out
}

nhsm_get <- function(r, month, indicator, org) {
  i <- r$rp_start_date == as.Date(month) & r$indicator == indicator & r$org_code == org
  if (!any(i)) return(c(numerator = NA, denominator = NA))
  c(numerator = r$numerator[i], denominator = r$denominator[i])
}

test_that("COC_by_28weeks by month and successor provider, as at each month (hand counts)", {
  r <- nhs_measures(nhsm_extract(), months = c("2019-06", "2019-07"),
                    measures = "COC_by_28weeks", disclosure = "none")
  expect_true(all(c("rp_start_date", "rp_end_date", "org_code", "org_level", "indicator",
                    "numerator", "denominator", "rate", "over_dq_threshold", "dq_gate") %in% names(r)))
  # June: P1 (day 203 on the 1st, RR1 -> RRK, placed), P2 (day 203 on the
  # 30th, N as at June); P3 (GestAgeBooking 0) and P6 (May) not counted
  expect_equal(nhsm_get(r, "2019-06-01", "COC_by_28weeks", "RRK"), c(numerator = 1, denominator = 2))
  expect_false(any(r$org_code == "RR1"))
  expect_false(any(r$org_code == "RNA" & r$rp_start_date == as.Date("2019-06-01")))
  # the national row adds up the providers passing the gate: RRK's turns on
  # COC_DQ04 (COC_DQ05 passes: P1's plan names a midwife and a team)
  expect_equal(nhsm_get(r, "2019-06-01", "COC_by_28weeks", "National"), c(numerator = NA_real_, denominator = NA_real_))
  expect_true(is.na(r$over_dq_threshold[r$org_code == "RRK"]))
  expect_equal(r$rate[r$org_code == "RRK" & r$rp_start_date == as.Date("2019-06-01")], 50)
  # July: P4 discharged on day 203 (S2) is out; P5 in, not placed
  expect_equal(nhsm_get(r, "2019-07-01", "COC_by_28weeks", "RNA"), c(numerator = 0, denominator = 1))
  expect_false(any(r$org_code == "RRK" & r$rp_start_date == as.Date("2019-07-01")))
  # RNA has no COC_DQ05 denominator (P5 has no plan): it fails, and the
  # national row has no provider
  expect_false(r$over_dq_threshold[r$org_code == "RNA"])
  expect_equal(nhsm_get(r, "2019-07-01", "COC_by_28weeks", "National"), c(numerator = 0, denominator = 0))
})

test_that("a predecessor reports under its successor only from the relationship's date", {
  succ <- data.frame(predecessor = "RR1", successor = "RRK", date = as.Date("2019-07-01"))
  r <- nhs_measures(nhsm_extract(), months = "2019-06", measures = "COC_by_28weeks",
                    disclosure = "none", successors = succ)
  expect_equal(nhsm_get(r, "2019-06-01", "COC_by_28weeks", "RR1"), c(numerator = 1, denominator = 1))
  expect_equal(nhsm_get(r, "2019-06-01", "COC_by_28weeks", "RRK"), c(numerator = 0, denominator = 1))
  r0 <- nhs_measures(nhsm_extract(), months = "2019-06", measures = "COC_by_28weeks",
                     disclosure = "none", successors = FALSE)
  expect_equal(nhsm_get(r0, "2019-06-01", "COC_by_28weeks", "RR1"), c(numerator = 1, denominator = 1))
})

test_that("June is computed without July's resubmission; an msds object uses the latest", {
  x <- nhsm_extract()
  r <- nhs_measures(x, months = "2019-06", measures = "COC_by_28weeks", disclosure = "none")
  expect_equal(nhsm_get(r, "2019-06-01", "COC_by_28weeks", "RRK"), c(numerator = 1, denominator = 2))
  ms <- as_msds(x, quiet = TRUE)
  expect_message(r2 <- nhs_measures(ms, months = "2019-06", measures = "COC_by_28weeks",
                                    disclosure = "none"), "not the submissions 'as at'")
  # P2's plan says Y in the July submission
  expect_equal(nhsm_get(r2, "2019-06-01", "COC_by_28weeks", "RRK"), c(numerator = 2, denominator = 2))
})

test_that("COC_receiving_ongoing reports the cohort of four months earlier, placed as at then", {
  r <- nhs_measures(nhsm_extract(), months = "2019-10", measures = "COC_receiving_ongoing",
                    disclosure = "none")
  # June's cohort as at June: P1 placed and receiving (both contacts by her
  # named midwife, discharged 2019-09-01); P2 not placed as at June
  expect_equal(nhsm_get(r, "2019-10-01", "COC_receiving_ongoing", "RRK"), c(numerator = 1, denominator = 2))
  r11 <- nhs_measures(nhsm_extract(), months = "2019-11", measures = "COC_receiving_ongoing",
                      disclosure = "none")
  # July's cohort: P5 only (P4 discharged on day 203)
  expect_equal(nhsm_get(r11, "2019-11-01", "COC_receiving_ongoing", "RNA"), c(numerator = 0, denominator = 1))
})

test_that("NHS rounding of the published figures; rates from the rounded counts", {
  expect_equal(nhs_round(c(0, 1, 3, 7, 8, 12, 13, 17, 18)), c(0, 5, 5, 5, 10, 10, 15, 15, 20))
  x <- simulate_msds(3000, seed = 11)
  m <- c("2022-03", "2022-04")
  raw <- suppressMessages(nhs_measures(x, months = m, disclosure = "none"))
  pub <- suppressMessages(nhs_measures(x, months = m))
  expect_equal(pub$numerator, nhs_round(raw$numerator))
  expect_equal(pub$denominator, nhs_round(raw$denominator))
  rr <- round(100 * nhs_round(raw$numerator) / nhs_round(raw$denominator), 1)
  expect_equal(pub$rate, rr)
  pcp <- pub$indicator == "PCP_All_Pathways" & pub$org_level == "Provider"
  expect_equal(pub$over_dq_threshold[pcp], pub$rate[pcp] >= 5)
  # the CoC gates come from their DQ measures (test-nhs_dq.R): COC_by_28weeks
  # can only fail or wait on COC_DQ04; COC_receiving_ongoing is decided
  c28 <- pub$indicator == "COC_by_28weeks" & pub$org_level == "Provider"
  expect_true(all(pub$over_dq_threshold[c28] %in% c(FALSE, NA)))
  rec <- pub$indicator == "COC_receiving_ongoing" & pub$org_level == "Provider"
  expect_false(anyNA(pub$over_dq_threshold[rec]))
  expect_true(all(is.na(pub$over_dq_threshold[pub$org_level == "National"])))
})

test_that("counts equal a plain re-derivation from add_care_model() on the simulator", {
  x <- simulate_msds(3000, seed = 5)
  m <- c("2021-05", "2021-06", "2021-07")
  r <- suppressMessages(nhs_measures(x, months = m, measures = c("COC_by_28weeks", "PCP_All_Pathways"),
                                     disclosure = "none"))
  # every pregnancy in MSD101, not define_cohort()'s exclusions
  bk <- x$MSD101PregnancyBooking
  co <- unique(data.frame(preg_id = bk$UniqPregID, mother_id = bk$Person_ID_Mother))
  co$booking_date <- as.Date(NA); co$booking_gest <- NA_real_; co$discharge_date <- as.Date(NA)
  co <- tibble::new_tibble(co, nrow = nrow(co), class = "mq_cohort")
  cm <- add_care_model(co, x, definition = "nhs", data_end = as.Date("2030-01-01"))
  for (mm in m) {
    s <- as.Date(paste0(mm, "-01"))
    d <- cm[cm$coc_eligible %in% TRUE & cm$coc_month == s, ]
    # (the national row counts only providers passing the gate: compare the
    # provider rows' total)
    p <- r[r$rp_start_date == s & r$indicator == "COC_by_28weeks" & r$org_level == "Provider", ]
    expect_equal(c(sum(p$numerator), sum(p$denominator)), c(sum(d$coc_placed), nrow(d)))
    d <- cm[cm$pcsp_all_pathways_eligible %in% TRUE & cm$pcsp_all_pathways_month == s, ]
    expect_equal(nhsm_get(r, s, "PCP_All_Pathways", "National"),
                 c(numerator = sum(d$pcsp_all_pathways), denominator = nrow(d)))
  }
  expect_gt(sum(r$denominator[r$org_level == "Provider"]), 0)
})

test_that("nhs_measures() checks its arguments", {
  expect_error(nhs_measures(list(a = 1), months = "2019-06"), "MSD101PregnancyBooking")
  expect_error(nhs_measures(nhsm_extract(), months = "June"), "as_at")
  expect_error(nhs_measures(nhsm_extract(), months = "2019-06", measures = "COC_xx"), "measures")
})
