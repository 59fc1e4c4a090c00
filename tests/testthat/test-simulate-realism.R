# The simulator's real-extract shapes (sim_realism()): monthly resubmissions,
# record numbers, provisional/final pairs, text values, invalid codes; and the
# latest submission of every record equal to the clean record.

raw_sim <- function(n = 3000, seed = 7, ...) {
  simulate_msds(n, seed = seed, realism = sim_realism(validate = FALSE, ...))
}

test_that("sim_realism() validates its settings and simulate_msds() its argument", {
  r <- sim_realism()
  expect_s3_class(r, "mq_sim_realism")
  expect_identical(r$max_resubmissions, 3L)
  expect_identical(r$provisional_from, as.Date("2023-04-01"))
  expect_error(sim_realism(max_resubmissions = 0), "max_resubmissions")
  expect_error(sim_realism(future_appointments = 2), "future_appointments")
  expect_error(sim_realism(provisional_from = "soon"), "provisional_from")
  expect_error(sim_realism(validate = NA), "validate")
  expect_error(simulate_msds(100, realism = list()), "sim_realism")
  expect_output(print(r), "max_resubmissions")
})

test_that("realism = NULL or FALSE gives the clean tables, untouched by the realism stream", {
  a <- simulate_msds(1500, seed = 3, realism = NULL)
  b <- simulate_msds(1500, seed = 3, realism = FALSE)
  expect_s3_class(a, "msds")
  expect_identical(unclass(a)[names(a)], unclass(b)[names(b)])
  expect_type(a$MSD101PregnancyBooking$RecordNumber, "double")  # schema type "record"
  expect_type(a$MSD001MotherDemog$Rank_IMD_Decile_2015, "integer")
  x <- raw_sim(1500, seed = 3)
  expect_s3_class(x, "msds_extract")
  expect_identical(attr(x, "truth"), attr(a, "truth"))
  sa <- attr(a, "simulation")
  sx <- attr(x, "simulation")
  expect_identical(sx[names(sx) != "recording_problem"], sa[names(sa) != "recording_problem"])
  changed <- sx$recording_problem != sa$recording_problem
  expect_true(all(sa$recording_problem[changed] == ""))
  expect_true(all(sx$recording_problem[changed] %in%
                    c("invalid pregnancy outcome code", "invalid phenotypic sex code")))
  # the user's random numbers are left alone
  set.seed(99)
  before <- .Random.seed
  raw_sim(300)
  expect_identical(.Random.seed, before)
})

test_that("record numbers are submission id + 9-digit row, exact doubles, shared by a woman's records", {
  x <- raw_sim()
  for (tab in names(x)) {
    d <- x[[tab]]
    rn <- d$RecordNumber
    expect_type(rn, "double")
    expect_true(all(rn > 1e14 & rn < 2^53 & rn == round(rn)), label = tab)
    expect_identical(floor(rn / 1e9), d$UniqSubmissionID, label = tab)
    expect_true(all(rn - d$UniqSubmissionID * 1e9 >= 1), label = tab)
    expect_true(all(d$RPStartDate == as.Date(format(d$RPStartDate, "%Y-%m-01"))), label = tab)
    expect_true(all(as.POSIXlt(d$RPEndDate + 1)$mday == 1L &
                      d$RPEndDate - d$RPStartDate < 31), label = tab)
    id <- paste0(substr(tab, 1, 6), "_ID")
    expect_identical(d[[id]], as.numeric(seq_len(nrow(d))), label = tab)
  }
  bk <- x$MSD101PregnancyBooking
  md <- x$MSD001MotherDemog
  # one woman, one submission, one RecordNumber: MSD001 and MSD101 agree
  expect_identical(
    md$RecordNumber[match(paste(bk$Person_ID_Mother, bk$UniqSubmissionID),
                          paste(md$Person_ID_Mother, md$UniqSubmissionID))],
    bk$RecordNumber)
  expect_false(anyDuplicated(paste(md$Person_ID_Mother, md$UniqSubmissionID)) > 0)
  expect_false(anyDuplicated(md$RecordNumber) > 0)
  # every pregnancy table's rows carry their booking's RecordNumber in that submission
  pk <- paste(bk$UniqPregID, bk$UniqSubmissionID)
  for (tab in c("MSD102MatCarePlan", "MSD201CareContactPreg", "MSD301LabourDelivery",
                "MSD401BabyDemographics")) {
    d <- x[[tab]]
    expect_identical(bk$RecordNumber[match(paste(d$UniqPregID, d$UniqSubmissionID), pk)],
                     d$RecordNumber, label = tab)
  }
  ct <- x$MSD201CareContactPreg
  ac <- x$MSD202CareActivityPreg
  expect_true(all(paste(ac$CareConID, ac$RecordNumber) %in% paste(ct$CareConID, ct$RecordNumber)))
  lab <- x$MSD301LabourDelivery
  la <- x$MSD302CareActivityLabDel
  expect_true(all(paste(la$LabourDeliveryID, la$RecordNumber) %in%
                    paste(lab$LabourDeliveryID, lab$RecordNumber)))
  bb <- x$MSD401BabyDemographics
  for (tab in c("MSD402NeonatalAdmission", "MSD405CareActivityBaby")) {
    d <- x[[tab]]
    expect_true(all(paste(d$Person_ID_Baby, d$RecordNumber) %in%
                      paste(bb$Person_ID_Baby, bb$RecordNumber)), label = tab)
  }
  # submission ids rise with time; one submission = one provider and month
  subs <- attr(x, "sim_submissions")
  expect_false(anyDuplicated(subs$UniqSubmissionID) > 0)
  m <- match(bk$UniqSubmissionID, subs$UniqSubmissionID)
  expect_identical(bk$OrgCodeProvider, subs$OrgCodeProvider[m])
  expect_identical(bk$RPStartDate, subs$RPStartDate[m])
  expect_false(is.unsorted(tapply(subs$UniqSubmissionID, subs$RPStartDate, min)))
})

test_that("every table is resubmitted, MSD202, MSD302, MSD405 and MSD901 included", {
  x <- raw_sim()
  keys <- list(MSD001MotherDemog = "Person_ID_Mother", MSD101PregnancyBooking = "UniqPregID",
               MSD102MatCarePlan = c("UniqPregID", "CarePlanType", "CarePlanDate"),
               MSD201CareContactPreg = "CareConID",
               MSD202CareActivityPreg = c("CareConID", "CareProfLID", "TeamLocalID"),
               MSD301LabourDelivery = "LabourDeliveryID",
               MSD302CareActivityLabDel = c("LabourDeliveryID", "CareProfLID", "ObsCode"),
               MSD401BabyDemographics = "Person_ID_Baby",
               MSD402NeonatalAdmission = "Person_ID_Baby", MSD405CareActivityBaby = "Person_ID_Baby",
               MSD901StaffDetails = c("OrgCodeProvider", "CareProfLID"))
  for (tab in names(keys)) {
    d <- x[[tab]]
    k <- do.call(paste, unname(as.list(d[keys[[tab]]])))
    expect_gt(mean(duplicated(k)), 0.2, label = tab)
    # a record never twice in one submission (activity rows may repeat a key)
    if (!tab %in% c("MSD202CareActivityPreg", "MSD302CareActivityLabDel")) {
      expect_false(anyDuplicated(paste(k, d$UniqSubmissionID)) > 0, label = tab)
    }
    expect_gt(length(unique(d$UniqSubmissionID)), 100, label = tab)
  }
  # a pregnancy is in at most max_resubmissions months
  bk <- x$MSD101PregnancyBooking
  months <- tapply(bk$RPStartDate, bk$UniqPregID, function(d) length(unique(d)))
  expect_lte(max(months), 3L)
  expect_gt(mean(months == 3L), 0.5)
  ct <- x$MSD201CareContactPreg
  cm <- tapply(ct$RPStartDate[ct$AttendCode != "0"], ct$CareConID[ct$AttendCode != "0"],
               function(d) length(unique(d)))
  expect_lte(max(cm), 1L)
  y <- raw_sim(1000, contact_resubmissions = 2)
  ct <- y$MSD201CareContactPreg
  cm <- tapply(ct$RPStartDate[ct$AttendCode != "0"], ct$CareConID[ct$AttendCode != "0"],
               function(d) length(unique(d)))
  expect_identical(max(cm), 2L)
  # MSD901: every professional of the provider in every submission
  st <- x$MSD901StaffDetails
  subs <- attr(x, "sim_submissions")
  # (RR1's submissions, before April 2018, carry no staff rows: the simulator
  # keeps RR1's professionals under RRK)
  expect_setequal(unique(st$UniqSubmissionID),
                  subs$UniqSubmissionID[subs$OrgCodeProvider %in% st$OrgCodeProvider])
  per <- table(st$UniqSubmissionID)
  expect_true(all(per == per[1]))
  y <- raw_sim(1000, seed = 7, max_resubmissions = 1, contact_resubmissions = 1)
  m1 <- tapply(y$MSD101PregnancyBooking$RPStartDate, y$MSD101PregnancyBooking$UniqPregID,
               function(d) length(unique(d)))
  expect_true(all(m1 == 1L))
})

test_that("information arrives when it happens: contacts, births, discharge", {
  x <- raw_sim()
  ct <- x$MSD201CareContactPreg
  real <- ct$AttendCode != "0"
  expect_true(all(ct$CContactDate[real] <= ct$RPEndDate[real] |
                    ct$RecordNumber[real] == ave(ct$RecordNumber, ct$CareConID, FUN = max)[real]))
  # booked-ahead appointments: AttendCode '0', later in the submission month
  expect_true(all(ct$CContactDate[!real] > ct$RPEndDate[!real]))
  expect_gt(mean(!real), 0.01)
  bb <- x$MSD401BabyDemographics
  expect_true(all(bb$PersonBirthDateBaby <= bb$RPEndDate))
  bk <- x$MSD101PregnancyBooking
  latest <- bk$RecordNumber == ave(bk$RecordNumber, bk$UniqPregID, FUN = max)
  early <- !latest & bk$RPEndDate < bk$AntenatalAppDate + 150
  expect_true(all(is.na(bk$DischargeDateMatService[early]) |
                    bk$DischargeDateMatService[early] <= bk$RPEndDate[early]))
  expect_gt(mean(is.na(bk$DischargeDateMatService[!latest])), 0.5)
})

test_that("provisional and final submissions from April 2023", {
  x <- raw_sim()
  subs <- attr(x, "sim_submissions")
  after <- subs$RPStartDate >= as.Date("2023-04-01")
  expect_setequal(subs$submission[after], c("provisional", "final"))
  expect_true(all(subs$submission[!after] == "single"))
  n <- table(paste(subs$OrgCodeProvider, subs$RPStartDate))
  pm <- paste(subs$OrgCodeProvider, subs$RPStartDate)
  expect_true(all(n[pm[after]] == 2L) && all(n[pm[!after]] == 1L))
  prov <- subs[subs$submission == "provisional", ]
  fin <- subs[subs$submission == "final", ]
  m <- match(paste(prov$OrgCodeProvider, prov$RPStartDate),
             paste(fin$OrgCodeProvider, fin$RPStartDate))
  expect_true(all(fin$UniqSubmissionID[m] > prov$UniqSubmissionID))
  # a record submitted in a paired month is in both submissions
  bk <- x$MSD101PregnancyBooking
  ty <- subs$submission[match(bk$UniqSubmissionID, subs$UniqSubmissionID)]
  k <- paste(bk$UniqPregID, bk$RPStartDate)
  expect_setequal(k[ty == "provisional"], k[ty == "final"])
  expect_gt(sum(ty == "provisional"), 100)
})

test_that("text deciles, Apgar scores and observation values; SNOMED blood loss with a unit", {
  x <- raw_sim()
  dec <- x$MSD001MotherDemog$Rank_IMD_Decile_2015
  expect_type(dec, "character")
  expect_setequal(stats::na.omit(dec),
                  c("01 - Most deprived", sprintf("%02d", 2:9), "10 - Least deprived"))
  ap <- x$MSD405CareActivityBaby$ApgarScore
  expect_type(ap, "character")
  expect_true(all(stats::na.omit(ap) %in% as.character(0:10)))
  la <- x$MSD302CareActivityLabDel
  expect_type(la$ObsValue, "character")
  obs <- !is.na(la$ObsCode)
  # SNOMED CT codes of NHS Digital's CQIMPPH list; RBK records litres
  expect_setequal(unique(la$ObsCode[obs]), c("719051004", "1033591000000101"))
  litre <- la$UCUMUnit %in% "L"
  expect_setequal(unique(la$UCUMUnit[obs]), c("mL", "L"))
  expect_true(all(is.na(la$UCUMUnit[!obs])))
  expect_true(all(grepl("^[0-9]+$", la$ObsValue[obs & !litre])))
  expect_true(all(grepl("^[0-9]+\\.?[0-9]*$", la$ObsValue[litre])))
  lab <- x$MSD301LabourDelivery
  expect_true(all(lab$OrgCodeProvider[match(la$LabourDeliveryID[litre], lab$LabourDeliveryID)] == "RBK"))
  expect_true(all(is.na(la$ObsValue[!obs])))
  bk <- x$MSD101PregnancyBooking
  late <- bk$RPStartDate >= as.Date("2021-01-01")
  expect_true(all(is.na(bk$SmokingStatusBooking[late])) &&
                all(is.na(bk$SmokingStatusDelivery[late])))
  expect_false(all(is.na(bk$SmokingStatusBooking[!late])))
})

test_that("invalid codes appear at roughly the set rates", {
  rates <- list(ethnicity_invalid = 0.02, ethnicity_lower = 0.05, yes_no_lower = 0.05,
                preg_outcome_invalid = 0.03, phen_sex_invalid = 0.03,
                care_plan_type_unknown = 0.05, future_appointments = 0.3, lsoa_late = 0.1)
  x <- do.call(raw_sim, c(list(n = 6000, seed = 21), rates))
  md <- x$MSD001MotherDemog
  w <- !duplicated(md$Person_ID_Mother)
  expect_equal(mean(md$EthnicCategoryMother[w] %in% "X"), 0.02, tolerance = 0.3)
  expect_equal(mean(grepl("^[a-z]$", md$EthnicCategoryMother)), 0.05, tolerance = 0.25)
  bk <- x$MSD101PregnancyBooking
  yn <- c(bk$ComplexSocialFactorsInd, x$MSD102MatCarePlan$ContCarePathInd)
  expect_equal(mean(yn %in% c("y", "n")) / mean(!is.na(yn)), 0.05, tolerance = 0.25)
  bb <- x$MSD401BabyDemographics
  b1 <- !duplicated(bb$Person_ID_Baby)
  expect_equal(mean(bb$PregOutcome[b1] == "98"), 0.03, tolerance = 0.3)
  expect_equal(mean(bb$PersonPhenSex[b1] == "X"), 0.03, tolerance = 0.3)
  # a baby's invalid code is in every submission of it
  expect_true(all(tapply(bb$PregOutcome == "98", bb$Person_ID_Baby,
                         function(v) all(v) || !any(v))))
  cp <- x$MSD102MatCarePlan
  expect_equal(mean(cp$CarePlanType == "99"), 0.05 / 1.05, tolerance = 0.3)
  expect_true(all(cp$CarePlanType %in% c("05", "06", "07", "99")))
  ct <- x$MSD201CareContactPreg
  expect_true(all(ct$AttendCode %in% c("0", matequity:::msds_codes$attend_code)))
  expect_gt(mean(ct$AttendCode == "0"), 0.02)
  sim <- attr(x, "simulation")
  bad <- unique(bb$UniqPregID[bb$PregOutcome == "98"])
  pr <- sim$recording_problem[match(bad, sim$UniqPregID)]
  expect_gt(mean(pr == "invalid pregnancy outcome code"), 0.9)
  # defaults: small but present in a big enough extract
  y <- raw_sim(6000, seed = 21)
  expect_gt(sum(y$MSD001MotherDemog$EthnicCategoryMother %in% "X"), 0)
  expect_gt(sum(y$MSD102MatCarePlan$CarePlanType == "99"), 0)
})

test_that("the latest submission of every record is the clean record", {
  clean <- simulate_msds(3000, seed = 7, realism = NULL)
  expect_latest_is_clean(raw_sim(3000, seed = 7, preg_outcome_invalid = 0, phen_sex_invalid = 0),
                         clean)
  expect_latest_is_clean(raw_sim(3000, seed = 7, preg_outcome_invalid = 0, phen_sex_invalid = 0,
                                 max_resubmissions = 6, contact_resubmissions = 3,
                                 future_appointments = 0.5, provisional_differ = 0.3,
                                 ethnicity_lower = 0.2, yes_no_lower = 0.2, lsoa_late = 0.3),
                         clean)
})

test_that("the same seed gives the same extract, whatever the number of threads", {
  a <- withr_threads(1L, raw_sim(1500, seed = 4))
  b <- withr_threads(2L, raw_sim(1500, seed = 4))
  expect_identical(unclass(a), unclass(b))
  expect_identical(attributes(a)[names(attributes(a)) != "sim_call"],
                   attributes(b)[names(attributes(b)) != "sim_call"])
  c <- raw_sim(1500, seed = 5)
  expect_false(identical(a$MSD101PregnancyBooking, c$MSD101PregnancyBooking))
})
