# MSDS v1.5 (April 2015 - March 2019) harmonised to the v2 object. Literal
# fixtures, one pregnancy per rule; expected values worked out by hand from
# the rows below and NHS Digital's v1.5 perinatal code (REAL_MSDS.md, v1.5):
# per pregnancy the latest Month_ID with IC_USE_BOOKING_APP_FLAG 'Y', the
# earliest AntenatalAppDate in it, the highest RecordNumber; outcomes from
# that RecordNumber; the lowest FetusOutcome across babies.

v15_fixture <- function() {
  bk <- data.frame(
    UniqPregID = c("Q1", "Q1", "Q1", "Q1", "Q2", "Q2", "Q3", "Q4", "Q5"),
    Person_ID_Mother = c("A1", "A1", "A1", "A1", "A2", "A2", "A3", "A4", "A5"),
    # Q1: month 1400 (older), 1401 twice (latest flagged month), 1402 not flagged
    Month_ID = c(1400L, 1401L, 1401L, 1402L, 1405L, 1405L, 1420L, 1428L, 1428L),
    IC_USE_BOOKING_APP_FLAG = c("Y", "Y", "y", "N", "Y", "Y", "Y", "Y", "Y"),
    RecordNumber = c("100", "200", "150", "300", "400", "410", "500", "600", "700"),
    OrgCodeProvider = c("RXK", "RXK", "RXK", "RXK", "RR1", "RR1", "RXK", "RXK", "RXK"),
    AntenatalAppDate = c("2016-03-01", "2016-03-05", "2016-03-01", "2016-02-01", "2016-07-01",
                         "2016-07-01", "2018-06-01", "2019-02-01", "2019-03-01"),
    EDDAgreed = c(NA, NA, "2016-10-20", NA, "2017-01-10", "2017-01-10", "2018-12-20", NA, NA),
    GestAgeBooking = c(70L, 70L, 70L, 70L, 84L, 84L, NA, 70L, 60L),
    AgeAtBookingMother = c(30L, 30L, 30L, 30L, 25L, 25L, 33L, 28L, 22L),
    SmokingStatus = c("1", "1", "2", "1", "4", "4", "5", "1", "3"),
    ComplexSocialFactorsInd = "N",
    PreviousLiveBirths = 0L, PreviousStillBirths = 0L, PreviousCaesareanSections = 0L,
    stringsAsFactors = FALSE)
  fo <- data.frame(
    UniqPregID = c("Q1", "Q1", "Q2", "Q2", "Q2", "Q3"),
    RecordNumber = c("150", "200", "410", "410", "400", "500"),
    FetusOutcome = c("10", "20", "20", "10", "30", "20"),
    FetusOutcomeDate = c("2016-10-01", "2016-10-02", "2016-12-20", "2016-12-20", "2016-12-21",
                         "2018-11-30"),
    FetusOutcomeOrder = c(1L, 1L, 1L, 2L, 1L, 1L),
    stringsAsFactors = FALSE)
  by <- data.frame(
    Person_ID_Baby = c("B1", "B1", "B2a", "B2b", "B3"),
    UniqPregID = c("Q1", "Q1", "Q2", "Q2", "Q3"),
    RecordNumber = c("150", "200", "410", "410", "500"),
    BirthWeight = c(3300, 1000, 2400, 2300, 900),
    GestationLengthBirth = c(280L, 250L, 245L, 245L, 200L),
    DeliveryMethodBaby = c("0", "0", "7", "7", "0"),
    ApgarScore5 = c(9L, 2L, 8L, 6L, 0L),
    PersonPhenotypicSex = c("1", "1", "2", "1", "2"),
    stringsAsFactors = FALSE)
  md <- data.frame(
    Person_ID_Mother = c("A1", "A1", "A1", "A2", "A3", "A4", "A5"),
    UniqPregID = c("Q1", "Q1", "Q1", "Q2", "Q3", "Q4", "Q5"),
    Month_ID = c(1399L, 1401L, 1401L, 1405L, 1420L, 1428L, 1428L),
    MAT001_ID = c(1, 5, 7, 1, 1, 1, 1),
    EthnicCategoryMother = c("B", "A", "C", "H", "J", "A", "M"),
    LSOAMother2011 = c("E01000001", "E01000001", "E01000002", "E01000003", "E01000004",
                       "E01000005", "E01000006"),
    stringsAsFactors = FALSE)
  pd <- data.frame(UniqPregID = "Q1", RecordNumber = "150",
                   MaternityDischargeDate = "2016-10-05", EoPSmokingStatus = "1")
  list(MAT001MotherDemog = md, MAT101Booking = bk, MAT501FetusOutcome = fo,
       MAT502BabyDemogAndBirth = by, MAT602PostpartumDischarge = pd)
}

# the v2 fixture plus a v2 record of Q4 (booked in v1.5, resubmitted in v2)
v15_with_v2 <- function() {
  v2 <- fixture_tables()
  b <- v2$MSD101PregnancyBooking
  add <- b[1, ]
  add$UniqPregID <- "Q4"; add$Person_ID_Mother <- "A4"; add$RecordNumber <- 9L
  add$AntenatalAppDate <- as.Date("2019-02-01"); add$GestAgeBooking <- 70L
  v2$MSD101PregnancyBooking <- rbind(b, add)
  m <- v2$MSD001MotherDemog
  am <- m[2, ]
  am$Person_ID_Mother <- "A4"; am$RecordNumber <- 9L
  v2$MSD001MotherDemog <- rbind(m, am)
  c(v2, v15_fixture())
}

test_that("the v1.5 latest-record rule keeps NHS Digital's booking of each pregnancy", {
  x <- as_msds(v15_fixture(), quiet = TRUE)
  bk <- x$MSD101PregnancyBooking
  expect_setequal(bk$UniqPregID, c("Q1", "Q2", "Q3", "Q4", "Q5"))
  i <- match(c("Q1", "Q2", "Q3"), bk$UniqPregID)
  # Q1: month 1402 is not flagged; in 1401 the earliest booking (RN 150)
  # Q2: same month and date: the highest RecordNumber
  expect_identical(bk$RecordNumber[i], c(150, 410, 500))
  expect_identical(bk$AntenatalAppDate[i[1]], as.Date("2016-03-01"))
  # month 1401 = December 2016 (1429 = April 2019)
  expect_identical(bk$RPStartDate[i[1]], as.Date("2016-12-01"))
  expect_true(all(bk$version == "v1.5"))
  rule <- attr(msds_versions(x, disclosure = "none"), "v15_rule")
  expect_identical(rule$n_rows, c(9L, 0L, 1L, 1L, 1L, 1L, 5L))
  # Q3 has no GestAgeBooking: 280 - (EDD - booking) = 280 - 202
  expect_identical(bk$GestAgeBooking[i[3]], 78L)
  # as at November 2016 (month 1400) only Q1's first record had flowed
  y <- as_msds(v15_fixture(), quiet = TRUE, as_at = "2016-11")
  expect_identical(y$MSD101PregnancyBooking$RecordNumber[y$MSD101PregnancyBooking$UniqPregID == "Q1"], 100)
  expect_false(any(c("Q2", "Q3") %in% y$MSD101PregnancyBooking$UniqPregID))
})

test_that("outcomes come from the booking's RecordNumber; FetusOutcome '10' is a live birth", {
  x <- as_msds(v15_fixture(), quiet = TRUE)
  b <- x$MSD401BabyDemographics
  expect_setequal(b$Person_ID_Baby, c("B1", "B2a", "B2b", "B3"))
  o <- b[order(b$Person_ID_Baby), ]
  # the lowest FetusOutcome across babies (Q2: '10' over '20'); '20' could
  # not be confirmed and stays outside the PregOutcome code list
  expect_identical(o$PregOutcome, c("01", "01", "01", "FETUSOUTCOME 20"))
  expect_identical(o$PersonBirthDateBaby, as.Date(c("2016-10-01", "2016-12-20", "2016-12-20", "2018-11-30")))
  expect_identical(o$GestationLengthBirth, c(280L, 245L, 245L, 200L))
  expect_true("FETUSOUTCOME 20" %in% msds_invalid_codes(x, disclosure = "none")$value)
  # birth weight and Apgar move to MSD405, from the same record (B1: RN 150)
  a <- x$MSD405CareActivityBaby
  expect_identical(a$BirthWeight[match(c("B1", "B2a", "B3"), a$Person_ID_Baby)], c(3300, 2400, 900))
  expect_identical(a$ApgarScore[match(c("B1", "B2b"), a$Person_ID_Baby)], c(9L, 6L))
  lab <- x$MSD301LabourDelivery
  expect_identical(lab$BirthsPerLabandDel[match(c("Q1", "Q2"), lab$UniqPregID)], c(1L, 2L))
  # a site's data dictionary can give the other codes
  y <- as_msds(v15_fixture(), quiet = TRUE,
               v15_codes = list(fetus_outcome = c("10" = "01", "20" = "02")))
  expect_identical(y$MSD401BabyDemographics$PregOutcome[y$MSD401BabyDemographics$Person_ID_Baby == "B3"], "02")
  expect_error(as_msds(v15_fixture(), quiet = TRUE, v15_codes = list(fetus = "01")), "v15_codes")
})

test_that("demographics, discharge and smoking are harmonised", {
  x <- as_msds(v15_fixture(), quiet = TRUE)
  md <- x$MSD001MotherDemog
  # A1: latest month 1401, highest MAT001_ID (7: C), keyed to the booking's record
  expect_identical(md$EthnicCategoryMother[md$Person_ID_Mother == "A1"], "C")
  expect_identical(md$RecordNumber[md$Person_ID_Mother == "A1"], 150)
  bk <- x$MSD101PregnancyBooking
  i <- match(c("Q1", "Q2", "Q3", "Q5"), bk$UniqPregID)
  expect_identical(bk$DischargeDateMatService[i[1]], as.Date("2016-10-05"))
  # codes 1-4 as in v2; 5 kept as delivered (unknown)
  expect_identical(bk$SmokingStatusBooking[i], c("2", "4", "5", "3"))
  expect_identical(bk$SmokingStatusDelivery[i[1]], "1")
  co <- define_cohort(x)
  r <- co[match(c("Q1", "Q2"), co$preg_id), ]
  # IMD 2019 from the LSOA (v1.5 has no decile) and RR1 -> RRK
  expect_identical(r$imd_decile, matequity::imd2019$imd_decile[match(c("E01000002", "E01000003"), matequity::imd2019$lsoa11)])
  expect_identical(r$imd_edition, c("IMD 2019", "IMD 2019"))
  expect_identical(r$provider, c("RXK", "RRK"))
  expect_identical(r$provider_submitted, c("RXK", "RR1"))
  expect_identical(unique(co$version), "v1.5")
})

test_that("regional views' key names give the same object", {
  t <- v15_fixture()
  ren <- c(Person_ID_Mother = "MSDS_ID_Mother", UniqPregID = "UniquePregID", Person_ID_Baby = "MSDS_ID_Baby")
  t <- lapply(t, function(d) { i <- match(names(d), names(ren)); names(d)[!is.na(i)] <- ren[i[!is.na(i)]]; d })
  expect_true("MSDS_ID_Mother" %in% names(t$MAT101Booking))
  x <- as_msds(t, quiet = TRUE)
  y <- as_msds(v15_fixture(), quiet = TRUE)
  expect_identical(unclass(x)$MSD401BabyDemographics, unclass(y)$MSD401BabyDemographics)
  expect_identical(unclass(x)$MSD101PregnancyBooking, unclass(y)$MSD101PregnancyBooking)
  expect_match(attr(msds_versions(x), "keys"), "regional")
  expect_match(attr(msds_versions(y), "keys"), "NHS Digital")
})

test_that("a pregnancy in both versions is counted once, from its v2 record", {
  x <- as_msds(v15_with_v2(), flags = fixture_flags(), quiet = TRUE)
  bk <- x$MSD101PregnancyBooking
  expect_identical(sum(bk$UniqPregID == "Q4"), 1L)
  expect_identical(bk$version[bk$UniqPregID == "Q4"], "v2")
  expect_identical(bk$RecordNumber[bk$UniqPregID == "Q4"], 9)
  expect_false(any(x$MSD001MotherDemog$Person_ID_Mother == "A4" & x$MSD001MotherDemog$version == "v1.5"))
  v <- msds_versions(x, disclosure = "none")
  expect_identical(v$bookings, c(5L, 19L))
  expect_identical(v$replaced_by_v2, c(1L, 0L))
  expect_identical(v$kept, c(4L, 19L))
  expect_identical(anyDuplicated(bk$UniqPregID), 0L)
  txt <- format(x, disclosure = "none")
  expect_true(any(grepl("v1.5 bookings 5 (1 replaced by their v2 record), v2 bookings 19", txt, fixed = TRUE)))
  expect_match(txt[1], "v1.5 and v2 tables harmonised")
  co <- define_cohort(x)
  expect_identical(co$version[co$preg_id == "Q4"], "v2")
  expect_identical(as.vector(table(co$version)[c("v1.5", "v2")]),
                   c(4L, nrow(co) - 4L))
})

test_that("exposures are NA before v2 with the reason; outcomes are available", {
  x <- as_msds(v15_with_v2(), flags = fixture_flags(), quiet = TRUE)
  co <- add_care_model(define_cohort(x), x)
  r <- co[match(c("Q3", "Q5"), co$preg_id), ]
  # Q3 reached 203 days in 2018; Q5 (booked March 2019 at 60 days) reaches
  # them in July 2019 but has only a v1.5 record: no care plans exist
  expect_identical(r$coc_reason, c("203 days reached before MSDS v2",
                                   "MSDS v1.5 record only: no care-plan or contact tables before v2"))
  expect_identical(r$coc_placed, c(NA, NA))
  expect_identical(r$coc_eligible, c(FALSE, FALSE))
  expect_identical(r$pcsp_all_pathways, c(NA, NA))
  expect_identical(r$pcsp, c(NA, NA))
  expect_identical(r$pcsp_eligible, c(FALSE, FALSE))
  oc <- add_outcomes(co, x)
  q <- oc[match(c("Q1", "Q2"), oc$preg_id), ]
  # Q1: live singleton at 280 days; Q2: live twins at 245 days
  expect_identical(q$preterm, c(FALSE, NA))
})

test_that("continuity indices are NA with the reason for v1.5-only pregnancies, never 0", {
  x <- as_msds(v15_with_v2(), flags = fixture_flags(), quiet = TRUE)
  co <- add_care_model(define_cohort(x), x)
  cc <- suppressMessages(continuity(co, x, phase = c("antenatal", "all")))
  v15 <- co$preg_id[co$version == "v1.5"]
  expect_setequal(v15, c("Q1", "Q2", "Q3", "Q5"))
  r <- cc[cc$preg_id %in% v15, ]
  expect_identical(nrow(r), 8L)
  expect_true(all(is.na(r$n_contacts)))
  expect_true(all(is.na(r$upc)) && all(is.na(r$coc_receiving)) && all(is.na(r$n_carers)))
  expect_identical(unique(r$reason), "MSDS v1.5 record only: no contact tables before v2")
  # v2 pregnancies keep their counts (a v2 pregnancy with contacts has n_contacts > 0)
  v2 <- cc[!cc$preg_id %in% v15, ]
  expect_true(all(is.na(v2$reason)))
  expect_true(all(!is.na(v2$n_contacts)))
  expect_true(any(v2$n_contacts > 0))
})

test_that("a mapping file maps a site's own v1.5 layout and reports what it could not map", {
  t <- v15_fixture()
  names(t)[names(t) == "MAT101Booking"] <- "bookings_v15"
  names(t$bookings_v15)[names(t$bookings_v15) == "AntenatalAppDate"] <- "BookingDate"
  names(t$bookings_v15)[names(t$bookings_v15) == "IC_USE_BOOKING_APP_FLAG"] <- "UseFlag"
  t$bookings_v15$PreviousLiveBirths <- NULL
  f <- tempfile(fileext = ".csv")
  utils::write.csv(data.frame(
    table = c("MAT101Booking", "MAT101Booking", "MAT101Booking"),
    field = c("AntenatalAppDate", "IC_USE_BOOKING_APP_FLAG", NA),
    local_field = c("BookingDate", "UseFlag", NA),
    local_table = c("bookings_v15", "bookings_v15", "bookings_v15")), f, row.names = FALSE)
  expect_message(x <- as_msds(t, mapping = f), "not found after mapping", class = "matequity_unmapped") |>
    suppressWarnings()
  y <- as_msds(v15_fixture(), quiet = TRUE)
  expect_identical(x$MSD101PregnancyBooking$RecordNumber, y$MSD101PregnancyBooking$RecordNumber)
  u <- msds_unmapped(x)
  expect_true(any(u$table == "MAT101Booking" & u$field %in% "PreviousLiveBirths" & !u$required))
  expect_true(any(u$table == "MAT003GP" & is.na(u$field)))
  # the same mapping as a list
  z <- as_msds(t, quiet = TRUE, mapping = list(.tables = c(MAT101Booking = "bookings_v15"),
                                               MAT101Booking = c(AntenatalAppDate = "BookingDate",
                                                                 IC_USE_BOOKING_APP_FLAG = "UseFlag")))
  expect_identical(unclass(z)$MSD101PregnancyBooking, unclass(x)$MSD101PregnancyBooking)
  # a required field that cannot be mapped is an error naming it
  expect_error(as_msds(t, quiet = TRUE), "MAT101Booking", class = "matequity_msds_invalid")
  expect_error(as_msds(t, quiet = TRUE, mapping = list(.tables = c(MAT101Booking = "bookings_v15"))),
               "IC_USE_BOOKING_APP_FLAG", class = "matequity_msds_invalid")
  bad <- tempfile(fileext = ".csv")
  utils::write.csv(data.frame(table = "MAT101Booking", local = "x"), bad, row.names = FALSE)
  expect_error(as_msds(t, mapping = bad), "local_field")
})

test_that("month ids convert both ways", {
  expect_identical(matequity:::month_id_date(c(1L, 1429L, 1440L)), as.Date(c("1900-04-01", "2019-04-01", "2020-03-01")))
  expect_identical(matequity:::date_month_id(as.Date(c("1900-04-15", "2019-04-30", "2020-03-01"))), c(1L, 1429L, 1440L))
  expect_true(all(c("MAT101Booking", "MAT501FetusOutcome", "MAT502BabyDemogAndBirth") %in% msds_v15_schema()$table))
  expect_true(all(c("10") %in% msds_v15_codes()$value))
})
