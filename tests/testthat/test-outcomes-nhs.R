# NHS Digital (CQIM) and MBRRACE-UK outcome definitions (issue 13, items 5-8),
# on a hand-built extract with one pregnancy per rule and boundary, and
# against a plain re-implementation on the realistic simulator. Every
# expected flag below is written from the definition, not from the code:
#   MBRRACE-UK: births from 24+0 weeks (168 days) or, gestation missing,
#     from 400 g; terminations (MSD101 DischReason 04/05) excluded; neonatal
#     death 0-27 days; stillbirths and perinatal deaths per total births,
#     neonatal deaths per live birth.
#   CQIMPreterm: PregOutcome 01, BirthsPerLabandDel 1, 154-258 of 154-315.
#   CQIMApgar: Apgar 0-6 of 0-10, PregOutcome 01-04, 259-315, BPLD 1.
#   CQIMBreastfeeding: first feed 01/02 of 01-03, all babies.
#   CQIMTears: lesion 10217006/399031001, PregOutcome 01-04, 259-315 days,
#     delivery method 0-4, BPLD 1.
#   CQIMPPH: a listed code with INT(ObsValue) >= 1500, women with a baby
#     with PregOutcome 01-04.
#   Neonatal unit admission: MSD402 NeoCritCareInd = 'Y'.

# One baby per row; each pregnancy (preg) has one mother, one booking at
# 70 days (on `book`, default 2021-01-04), one labour L<preg> with `bpl`
# babies (NA: not recorded) and the discharge reason `disch`. A baby is born
# at gestation `gest` (on 2021-07-01 when `gest` is NA) and dies `death`
# days after birth (NA: alive).
nx_babies <- function() {
  b <- function(preg, outcome = "01", gest = 280L, weight = 3300, apgar = NA, feed = NA,
                death = NA, method = "0", bpl = 1L, disch = "01", prov = "RXA",
                book = "2021-01-04", baby = preg) {
    data.frame(preg = preg, baby = baby, outcome = outcome, gest = as.integer(gest),
               weight = weight, apgar = as.integer(apgar), feed = feed, death = death,
               method = method, bpl = as.integer(bpl), disch = disch, prov = prov,
               book = as.Date(book), stringsAsFactors = FALSE)
  }
  rbind(
    # mortality
    b("S01", "02", 168, 600), b("S02", "02", 167, 580), b("S03", "03", NA, 400),
    b("S04", "04", NA, 399), b("S05", "02", NA, NA), b("S06", "02", 250, 1500, disch = "05"),
    b("S07", "01", 168, 650, death = 27), b("S08", "01", 168, 650, death = 28),
    b("S09", "01", 167, 600, death = 0), b("S10", "01", NA, 400, death = 3),
    b("S11", "01", NA, 399, death = 3), b("S12", "01", 280, disch = "04"),
    b("S13", "01", 280, prov = "RR1"),
    # preterm
    b("R01", gest = 258), b("R02", gest = 259), b("R03", gest = 154), b("R04", gest = 153),
    b("R05", gest = 315), b("R06", gest = 316), b("R07", gest = 250, bpl = NA),
    b("W1", "01", 250, 1800, bpl = 2, baby = "W1a"), b("W1", "02", 250, 1500, bpl = 2, baby = "W1b"),
    # low Apgar
    b("A01", apgar = 6), b("A02", apgar = 7), b("A03", "02", apgar = 0),
    b("A04", gest = 258, apgar = 3), b("A05", gest = 259, apgar = 6),
    b("A06", gest = 315, apgar = 6), b("A07", gest = 316, apgar = 6), b("A08"),
    b("A09", apgar = 2, bpl = NA),
    # first feed
    b("F01", feed = "01"), b("F02", feed = "02"), b("F03", feed = "03"),
    b("F04", "98", feed = "01"), b("F05"), b("F06", feed = "04"),
    # neonatal unit admission
    b("N01"), b("N02"), b("N03"), b("N04"), b("N05"), b("N06"),
    # PPH
    b("H01"), b("H02"), b("H03"), b("H04"), b("H05"), b("H06"), b("H07"), b("H09"),
    # tears
    b("T01"), b("T02", method = "4"), b("T03", method = "5"), b("T04", gest = 258),
    b("T05", gest = 259), b("T06", bpl = NA), b("T07", "02"), b("T08"),
    # born in the year after booking
    b("Y01", book = "2021-12-01")
  )
}

nx_tables <- function(bb = nx_babies()) {
  preg <- unique(bb$preg)
  first <- bb[!duplicated(bb$preg), ]
  mothers <- paste0("M", preg)
  md <- data.frame(Person_ID_Mother = mothers, RecordNumber = 1, OrgCodeProvider = "RXA",
                   EthnicCategoryMother = "A", LSOAMother2011 = "E01000001",
                   Rank_IMD_Decile_2015 = 5L, stringsAsFactors = FALSE)
  bk <- data.frame(UniqPregID = preg, Person_ID_Mother = mothers, RecordNumber = 1,
                   OrgCodeProvider = "RXA", AntenatalAppDate = first$book, GestAgeBooking = 70L,
                   AgeAtBookingMother = 30L, ComplexSocialFactorsInd = "N",
                   PreviousLiveBirths = 0L, PreviousStillBirths = 0L,
                   PreviousCaesareanSections = 0L,
                   DischargeDateMatService = as.Date("2022-09-30"), DischReason = first$disch,
                   stringsAsFactors = FALSE)
  ld <- data.frame(LabourDeliveryID = paste0("L", preg), UniqPregID = preg, RecordNumber = 1,
                   OrgCodeProvider = "RXA", BirthsPerLabandDel = first$bpl,
                   stringsAsFactors = FALSE)
  # H09 has a second labour record, with no baby
  ld <- rbind(ld, data.frame(LabourDeliveryID = "LH09b", UniqPregID = "H09", RecordNumber = 1,
                             OrgCodeProvider = "RXA", BirthsPerLabandDel = 1L))
  birth <- bb$book + (bb$gest - 70L)
  birth[is.na(bb$gest)] <- as.Date("2021-07-01")
  babies <- data.frame(Person_ID_Baby = bb$baby, LabourDeliveryID = paste0("L", bb$preg),
                       UniqPregID = bb$preg, RecordNumber = 1, OrgCodeProvider = bb$prov,
                       PersonBirthDateBaby = birth, PregOutcome = bb$outcome,
                       PersonPhenSex = "2", GestationLengthBirth = bb$gest,
                       DeliveryMethodCode = bb$method, PersonDeathDateBaby = birth + bb$death,
                       BabyFirstFeedIndCode = bb$feed, stringsAsFactors = FALSE)
  act <- data.frame(Person_ID_Baby = bb$baby, RecordNumber = 1, ApgarScore = bb$apgar,
                    BirthWeight = bb$weight)
  obs <- function(preg, code, value, unit, lesion = NA, lab = paste0("L", preg)) {
    data.frame(LabourDeliveryID = lab, UniqPregID = preg, RecordNumber = 1, CareProfLID = "MW1",
               TeamLocalID = "T1", GenitalTractTraumaticLesion = lesion, ObsCode = code,
               ObsValue = value, UCUMUnit = unit, stringsAsFactors = FALSE)
  }
  la <- rbind(
    obs("H01", "719051004", 1500, "mL"), obs("H02", "719051004", 1499.9, "mL"),
    obs("H03", "47821001", 2000, "mL"), obs("H04", "1234567", 3000, "mL"),
    obs("H05", "719051004", 1.6, "L"), obs("H06", "719051004", 1600, NA),
    obs("H07", "719051004", 1600, "ml"), obs("H09", "719051004", 2000, "mL", lab = "LH09b"),
    obs("S02", "719051004", 2000, "mL"),
    obs("T01", NA, NA, NA, "10217006"), obs("T02", NA, NA, NA, "399031001"),
    obs("T03", NA, NA, NA, "10217006"), obs("T04", NA, NA, NA, "10217006"),
    obs("T06", NA, NA, NA, "10217006"), obs("T07", NA, NA, NA, "10217006"),
    # not a third or fourth degree tear code
    obs("T08", NA, NA, NA, "11111111")
  )
  nnu <- data.frame(Person_ID_Baby = c("N01", "N02", "N03", "N03", "N05", "N06"),
                    RecordNumber = 1,
                    NeonatalTransferStartDate = as.Date(c("2021-08-02", "2021-08-02", "2021-08-02",
                                                          "2021-08-05", "2021-08-02", "2021-08-02")),
                    NeoCritCareInd = c("Y", "N", "N", "Y", "y", NA), stringsAsFactors = FALSE)
  empty <- function(tab) matequity:::msds_empty_table(tab)
  list(MSD001MotherDemog = md, MSD101PregnancyBooking = bk,
       MSD102MatCarePlan = empty("MSD102MatCarePlan"),
       MSD201CareContactPreg = empty("MSD201CareContactPreg"),
       MSD202CareActivityPreg = empty("MSD202CareActivityPreg"),
       MSD301LabourDelivery = ld, MSD302CareActivityLabDel = la,
       MSD401BabyDemographics = babies, MSD402NeonatalAdmission = nnu,
       MSD405CareActivityBaby = act, MSD901StaffDetails = empty("MSD901StaffDetails"))
}

nx_msds <- function(tables = nx_tables()) as_msds(tables, quiet = TRUE)

nx_outcomes <- function(x = nx_msds(), ...) {
  co <- suppressMessages(define_cohort(x))
  suppressMessages(add_outcomes(co, x, ...))
}

# `expr` with every message muffled except those of class `class`
keep_only <- function(expr, class) {
  withCallingHandlers(expr, message = function(m) {
    if (!inherits(m, class)) invokeRestart("muffleMessage")
  })
}

# values of `column` for the named pregnancies
pick <- function(co, column, preg) unname(by_preg(co, column)[preg])

test_that("the fixture loads and every pregnancy is in the cohort", {
  x <- nx_msds()
  co <- suppressMessages(define_cohort(x))
  expect_setequal(co$preg_id, unique(nx_babies()$preg))
  expect_identical(x$MSD402NeonatalAdmission$NeoCritCareInd, c("Y", "N", "N", "Y", "Y", NA))
})

test_that("stillbirth, MBRRACE-UK: 24+0 weeks, 400 g where gestation is missing, terminations out", {
  co <- nx_outcomes()
  s <- sprintf("S%02d", 1:13)
  # S01 168 d; S02 167 d (not a birth); S03 no gestation, 400 g; S04 399 g;
  # S05 neither known (counted); S06 termination from 24 weeks; S07-S13
  # live births (S09 at 167 d and S11 at 399 g are not births from 24+0
  # weeks; S12 is a pregnancy ended by termination)
  expect_identical(pick(co, "stillbirth", s),
                   c(TRUE, NA, TRUE, NA, TRUE, NA, FALSE, FALSE, NA, FALSE, NA, NA, FALSE))
  expect_identical(pick(co, "stillbirth_eligible", s),
                   c(TRUE, FALSE, TRUE, FALSE, TRUE, FALSE, TRUE, TRUE, FALSE, TRUE, FALSE, FALSE, TRUE))
  expect_identical(attr(co, "outcomes")$definition[attr(co, "outcomes")$outcome == "stillbirth"],
                   "mbrrace")
})

test_that("stillbirth, ONS variant: terminations and live births at any gestation count", {
  co <- nx_outcomes(definitions = c(stillbirth = "ons"))
  s <- sprintf("S%02d", 1:13)
  expect_identical(pick(co, "stillbirth", s),
                   c(TRUE, NA, TRUE, NA, TRUE, TRUE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE))
  expect_identical(pick(co, "stillbirth_eligible", s),
                   c(TRUE, FALSE, TRUE, FALSE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE))
  expect_identical(attr(co, "outcomes")$source[attr(co, "outcomes")$outcome == "stillbirth"],
                   matequity:::src_ons)
})

test_that("neonatal death: 0-27 days, of live births from 24+0 weeks (or 400 g), terminations out", {
  co <- nx_outcomes()
  s <- sprintf("S%02d", 7:13)
  # S07 died at 27 days, S08 at 28; S09 (167 d) and S11 (399 g, no gestation)
  # are before 24+0; S10 (400 g, no gestation) died at 3 days; S12 termination
  expect_identical(pick(co, "neonatal_death", s), c(TRUE, FALSE, NA, TRUE, NA, NA, FALSE))
  expect_identical(pick(co, "neonatal_death_eligible", s),
                   c(TRUE, TRUE, FALSE, TRUE, FALSE, FALSE, TRUE))
  # stillbirths are not live births
  expect_identical(pick(co, "neonatal_death_eligible", c("S01", "S03")), c(FALSE, FALSE))
  ons <- nx_outcomes(definitions = c(neonatal_death = "ons"))
  expect_identical(pick(ons, "neonatal_death", s), c(TRUE, FALSE, TRUE, TRUE, TRUE, FALSE, FALSE))
  expect_true(all(pick(ons, "neonatal_death_eligible", s)))
})

test_that("extended perinatal death: stillbirth or neonatal death among total births from 24+0", {
  co <- nx_outcomes()
  s <- sprintf("S%02d", 1:13)
  expect_identical(pick(co, "perinatal_death", s),
                   c(TRUE, NA, TRUE, NA, TRUE, NA, TRUE, FALSE, NA, TRUE, NA, NA, FALSE))
  expect_identical(pick(co, "perinatal_death_eligible", s), pick(co, "stillbirth_eligible", s))
  ons <- nx_outcomes(definitions = c(perinatal_death = "ons"))
  expect_identical(pick(ons, "perinatal_death", s),
                   c(TRUE, NA, TRUE, NA, TRUE, TRUE, TRUE, FALSE, TRUE, TRUE, TRUE, FALSE, FALSE))
})

test_that("the MBRRACE-UK message counts terminations, early live births and unknown gestations", {
  # exact counts in messages need disclosure control off (otherwise "<10")
  old <- options(matequity.disclosure = "none")
  on.exit(options(old))
  x <- nx_msds()
  co <- suppressMessages(define_cohort(x))
  msgs <- character()
  withCallingHandlers(add_outcomes(co, x, outcomes = "stillbirth"),
                      message = function(m) {
                        msgs <<- c(msgs, conditionMessage(m))
                        invokeRestart("muffleMessage")
                      })
  msgs <- paste(msgs, collapse = "\n")
  # terminations: S06 and S12
  expect_match(msgs, "termination of pregnancy, excluded: 2")
  # live births before 24+0: S09 (167 d), S11 (399 g), R03 (154 d), R04 (153 d)
  expect_match(msgs, "before 24\\+0 weeks \\(or under 400 g with gestation unknown\\), excluded: 4")
  # S05: neither gestation nor weight
  expect_match(msgs, "neither gestation nor birth weight, counted as from 24\\+0 weeks: 1")
})

test_that("without DischReason, terminations cannot be excluded and a message says so", {
  tabs <- nx_tables()
  tabs$MSD101PregnancyBooking$DischReason <- NULL
  x <- nx_msds(tabs)
  co <- suppressMessages(define_cohort(x))
  expect_message(r <- keep_only(add_outcomes(co, x, outcomes = "stillbirth"),
                                "matequity_no_termination_field"),
                 class = "matequity_no_termination_field")
  expect_identical(pick(r, "stillbirth", c("S06", "S12")), c(TRUE, FALSE))
  expect_identical(attr(r, "outcome_settings")$termination_field, NA_character_)
  # the termination codes are a parameter: 05 only leaves S12 in
  r5 <- nx_outcomes(termination_codes = "05")
  expect_identical(pick(r5, "stillbirth_eligible", c("S06", "S12")), c(FALSE, TRUE))
})

test_that("preterm, CQIM: 154-258 of 154-315 days, BirthsPerLabandDel recorded as 1", {
  co <- nx_outcomes()
  r <- c(sprintf("R%02d", 1:7), "W1")
  expect_identical(pick(co, "preterm", r), c(TRUE, FALSE, TRUE, NA, FALSE, NA, NA, NA))
  expect_identical(pick(co, "preterm_eligible", r),
                   c(TRUE, TRUE, TRUE, FALSE, TRUE, FALSE, FALSE, FALSE))
  # the earlier variant counts R07 (labour without BirthsPerLabandDel, one
  # baby record) as a singleton
  v <- nx_outcomes(definitions = c(preterm = "singleton_inferred"))
  expect_identical(pick(v, "preterm", r), c(TRUE, FALSE, TRUE, NA, FALSE, NA, TRUE, NA))
})

test_that("low Apgar, CQIM: 0-6 of 0-10 at 5 minutes, term singletons, stillbirths included", {
  co <- nx_outcomes()
  a <- sprintf("A%02d", 1:9)
  expect_identical(pick(co, "low_apgar", a), c(TRUE, FALSE, TRUE, NA, TRUE, TRUE, NA, NA, NA))
  expect_identical(pick(co, "low_apgar_eligible", a),
                   c(TRUE, TRUE, TRUE, FALSE, TRUE, TRUE, FALSE, FALSE, FALSE))
  # live births only: the stillborn A03 is out; A09 (singleton inferred) in
  v <- nx_outcomes(definitions = c(low_apgar = "live_births"))
  expect_identical(pick(v, "low_apgar", a), c(TRUE, FALSE, NA, NA, TRUE, TRUE, NA, NA, TRUE))
  om <- attr(co, "outcomes")
  expect_identical(om$multiplier[om$outcome == "low_apgar"], 1000)
  expect_identical(attr(v, "outcomes")$multiplier[attr(v, "outcomes")$outcome == "low_apgar"], 100)
})

test_that("breast milk at first feed, CQIM: 01/02 of 01-03, all babies", {
  co <- nx_outcomes()
  f <- sprintf("F%02d", 1:6)
  # F04's baby has PregOutcome 98 (not a valid code): still a baby with a feed
  expect_identical(pick(co, "breastmilk_first_feed", f), c(TRUE, TRUE, FALSE, TRUE, NA, NA))
  expect_identical(pick(co, "breastmilk_first_feed_eligible", f),
                   c(TRUE, TRUE, TRUE, TRUE, FALSE, FALSE))
  v <- nx_outcomes(definitions = c(breastmilk_first_feed = "live_births"))
  expect_identical(pick(v, "breastmilk_first_feed", f), c(TRUE, TRUE, FALSE, NA, NA, NA))
})

test_that("neonatal unit admission: NeoCritCareInd 'Y' on any MSD402 record of the baby", {
  co <- nx_outcomes()
  n <- sprintf("N%02d", 1:6)
  # N02 'N'; N03 'N' then 'Y'; N04 no record; N05 'y' (upper-cased); N06 blank
  expect_identical(pick(co, "nnu_admission", n), c(TRUE, FALSE, TRUE, FALSE, TRUE, FALSE))
  expect_true(all(pick(co, "nnu_admission_eligible", n)))
  v <- nx_outcomes(definitions = c(nnu_admission = "any_record"))
  expect_identical(pick(v, "nnu_admission", n), c(TRUE, TRUE, TRUE, FALSE, TRUE, TRUE))
  # stillbirths are not in the denominator
  expect_false(pick(co, "nnu_admission_eligible", "S01"))
})

test_that("without NeoCritCareInd (or MSD402) neonatal unit admission is NA, with a message", {
  tabs <- nx_tables()
  tabs$MSD402NeonatalAdmission$NeoCritCareInd <- NULL
  x <- nx_msds(tabs)
  co <- suppressMessages(define_cohort(x))
  expect_message(r <- keep_only(add_outcomes(co, x, outcomes = "nnu_admission"),
                                "matequity_no_neocritcare"),
                 class = "matequity_no_neocritcare")
  expect_true(all(is.na(r$nnu_admission)) && all(is.na(r$nnu_admission_eligible)))
  tabs$MSD402NeonatalAdmission <- NULL
  x <- nx_msds(tabs)
  expect_message(r <- keep_only(add_outcomes(co, x, outcomes = "nnu_admission"),
                                "matequity_no_neocritcare"), "no table")
  expect_true(all(is.na(r$nnu_admission)))
  # any_record without the table: nobody admitted
  r2 <- suppressMessages(add_outcomes(co, x, outcomes = "nnu_admission",
                                      definitions = c(nnu_admission = "any_record")))
  expect_false(any(r2$nnu_admission, na.rm = TRUE))
})

test_that("PPH, CQIM: listed code, INT(ObsValue) >= 1500, any labour activity of the pregnancy", {
  co <- nx_outcomes()
  h <- c("H01", "H02", "H03", "H04", "H05", "H06", "H07", "H09", "S02")
  # H01 1500 mL; H02 1499.9; H03 another listed code; H04 an unlisted code;
  # H05 1.6 L (compared as submitted); H06 no unit; H07 'ml'; H09 on the
  # pregnancy's other labour record; S02 a stillbirth code at 167 days
  expect_identical(pick(co, "pph_1500", h), c(TRUE, FALSE, TRUE, FALSE, FALSE, TRUE, TRUE, TRUE, TRUE))
  # the denominator: women with a baby with PregOutcome 01-04, any gestation
  expect_true(all(pick(co, "pph_1500_eligible", h)))
  expect_false(pick(co, "pph_1500_eligible", "F04"))  # PregOutcome 98 only
  conv <- nx_outcomes(outcomes = "pph_1500", pph_units = "convert")
  expect_identical(pick(conv, "pph_1500", h), c(TRUE, FALSE, TRUE, FALSE, TRUE, TRUE, TRUE, TRUE, TRUE))
  ml <- nx_outcomes(outcomes = "pph_1500", pph_units = "ml_only")
  expect_identical(pick(ml, "pph_1500", h), c(TRUE, FALSE, TRUE, FALSE, FALSE, FALSE, TRUE, TRUE, TRUE))
  # NHS Digital's PostpartumBloodLoss: 719051004 in ml only
  dps <- nx_outcomes(outcomes = "pph_1500", pph_units = "ml_only", pph_obs_codes = "719051004")
  expect_identical(pick(dps, "pph_1500", h), c(TRUE, FALSE, FALSE, FALSE, FALSE, FALSE, TRUE, TRUE, TRUE))
  # INT(): 1499.9 is 1499, under a threshold of 1499.5
  int <- nx_outcomes(outcomes = "pph_1500", pph_threshold = 1499.5)
  expect_identical(pick(int, "pph_1500", c("H01", "H02")), c(TRUE, FALSE))
  # the earlier variant: the first baby's labour, among maternities
  v <- nx_outcomes(outcomes = "pph_1500", definitions = c(pph_1500 = "maternities"))
  expect_identical(pick(v, "pph_1500", h), c(TRUE, FALSE, TRUE, FALSE, FALSE, TRUE, TRUE, FALSE, NA))
})

test_that("PPH: litres are counted in a message; the mapped SNOMED code is used when present", {
  # exact counts in messages need disclosure control off (otherwise "<10")
  old <- options(matequity.disclosure = "none")
  on.exit(options(old))
  x <- nx_msds()
  co <- suppressMessages(define_cohort(x))
  expect_message(keep_only(add_outcomes(co, x, outcomes = "pph_1500"), "matequity_pph_units"),
                 "1 blood-loss observation of cohort labours in a unit other than ml \\(L: 1\\)",
                 class = "matequity_pph_units")
  expect_message(keep_only(add_outcomes(co, x, outcomes = "pph_1500", pph_units = "convert"),
                           "matequity_pph_units"),
                 "no unit, taken as ml: 1")
  tabs <- nx_tables()
  la <- tabs$MSD302CareActivityLabDel
  la$MasterSnomedCTObsCode <- la$ObsCode
  # H01's local code maps to 719051004; H07's 719051004 has no mapped code
  la$ObsCode[la$UniqPregID == "H01"] <- "EBL-LOCAL"
  la$MasterSnomedCTObsCode[la$UniqPregID == "H07"] <- NA
  tabs$MSD302CareActivityLabDel <- la
  r <- nx_outcomes(nx_msds(tabs), outcomes = "pph_1500")
  expect_identical(pick(r, "pph_1500", c("H01", "H07")), c(TRUE, FALSE))
  expect_identical(attr(r, "outcome_settings")$pph_code_field,
                   "MSD302CareActivityLabDel.MasterSnomedCTObsCode")
  tabs$MSD302CareActivityLabDel$UCUMUnit <- NULL
  expect_error(nx_outcomes(nx_msds(tabs), outcomes = "pph_1500", pph_units = "ml_only"), "UCUMUnit")
})

test_that("3rd/4th degree tear, CQIM: singleton term vaginal births with PregOutcome 01-04", {
  co <- nx_outcomes()
  t <- sprintf("T%02d", 1:8)
  # T03 breech (5); T04 258 days; T05 259 days, no lesion; T06 labour without
  # BirthsPerLabandDel; T07 a stillbirth code; T08 another lesion code
  expect_identical(pick(co, "tear_3_4", t), c(TRUE, TRUE, NA, NA, FALSE, NA, TRUE, FALSE))
  expect_identical(pick(co, "tear_3_4_eligible", t),
                   c(TRUE, TRUE, FALSE, FALSE, TRUE, FALSE, TRUE, TRUE))
  v <- nx_outcomes(definitions = c(tear_3_4 = "singleton_inferred"))
  expect_identical(pick(v, "tear_3_4", t), c(TRUE, TRUE, NA, NA, FALSE, TRUE, TRUE, FALSE))
})

test_that("birth year, month and provider of birth; one row per baby for rates per birth", {
  co <- nx_outcomes()
  # Y01 booked 2021-12-01 at 70 days, born at 280 days: 2022-06-29
  expect_identical(pick(co, "birth_date", "Y01"), as.Date("2022-06-29"))
  expect_identical(pick(co, "birth_year", c("Y01", "S13")), c(2022L, 2021L))
  expect_identical(pick(co, "year", "Y01"), 2021L)
  # S13 born 2021-01-04 + 210 days at RR1, merged into RRK
  expect_identical(pick(co, "birth_month", "S13"), "2021-08")
  expect_identical(pick(co, "birth_provider", c("S13", "S01")), c("RRK", "RXA"))
  # twins W1: W1a live, W1b stillborn (both 250 days)
  expect_true(pick(co, "stillbirth", "W1"))
  first <- nx_outcomes(multiple_births = "first")
  expect_false(pick(first, "stillbirth", "W1"))
  x <- nx_msds()
  b <- suppressMessages(birth_outcomes(suppressMessages(define_cohort(x)), x))
  w <- b[b$preg_id == "W1", ]
  expect_identical(w$baby_id, c("W1a", "W1b"))
  expect_identical(w$birth_order, 1:2)
  expect_identical(w$stillbirth, c(FALSE, TRUE))
  expect_identical(w$stillbirth_eligible, c(TRUE, TRUE))
  expect_identical(nrow(b), nrow(nx_babies()))
  # per birth: 2021 births from 24+0 weeks, terminations out; stillbirths S01, S03, S05, A03, T07, W1b
  r <- outcome_rates(b, stillbirth, by = birth_year, disclosure = "none")
  expect_identical(r$events[r$birth_year == 2021], 6)
  elig <- b$stillbirth_eligible & b$birth_year == 2021
  expect_identical(r$n[r$birth_year == 2021], as.numeric(sum(elig)))
  expect_error(birth_outcomes(suppressMessages(define_cohort(x)), x, outcomes = "pph_1500"),
               "baby-level")
})

test_that("definitions are checked, and recorded in the outcome attributes", {
  x <- nx_msds()
  co <- suppressMessages(define_cohort(x))
  expect_error(add_outcomes(co, x, definitions = c(stillbirth = "who")), "who")
  expect_error(add_outcomes(co, x, definitions = c(still = "ons")), "still")
  expect_error(add_outcomes(co, x, definitions = "ons"), "named")
  r <- suppressMessages(add_outcomes(co, x, outcomes = c("stillbirth", "low_apgar"),
                                     definitions = list(low_apgar = "live_births")))
  om <- attr(r, "outcomes")
  expect_identical(om$definition, c("mbrrace", "live_births"))
  expect_identical(attr(r, "outcome_settings")$definitions,
                   c(stillbirth = "mbrrace", low_apgar = "live_births"))
  od <- outcome_definitions()
  # one default per outcome, and every source named
  expect_identical(anyDuplicated(od$outcome[od$default]), 0L)
  expect_true(all(nzchar(od$source)))
  cl <- outcome_code_lists()
  expect_identical(length(cl$code[cl$list == "pph_blood_loss"]), 20L)
  expect_true("719051004" %in% cl$code[cl$list == "pph_blood_loss"])
})

# ---- an independent re-implementation on the realistic simulator ----------

# The rules above written out again in plain R, per baby and then per
# pregnancy (a pregnancy has an outcome when any eligible baby has it),
# straight from the msds tables of a realistic extract.
plain_outcomes <- function(x, preg_ids) {
  bb <- as.data.frame(x$MSD401BabyDemographics)
  bb <- bb[bb$UniqPregID %in% preg_ids, ]
  latest_non_missing <- function(tab, field) {
    tab <- as.data.frame(tab)
    tab <- tab[!is.na(tab[[field]]), ]
    tab <- tab[order(-tab$RecordNumber), ]
    tab[[field]][match(bb$Person_ID_Baby, tab$Person_ID_Baby)]
  }
  weight <- latest_non_missing(x$MSD405CareActivityBaby, "BirthWeight")
  apgar <- latest_non_missing(x$MSD405CareActivityBaby, "ApgarScore")
  lab <- as.data.frame(x$MSD301LabourDelivery)
  bpl <- lab$BirthsPerLabandDel[match(paste(bb$UniqPregID, bb$LabourDeliveryID),
                                      paste(lab$UniqPregID, lab$LabourDeliveryID))]
  bk <- as.data.frame(x$MSD101PregnancyBooking)
  top <- bk$DischReason[match(bb$UniqPregID, bk$UniqPregID)] %in% c("04", "05")
  nnu <- x$MSD402NeonatalAdmission
  gest <- bb$GestationLengthBirth
  po <- bb$PregOutcome
  live <- po == "01"
  sb <- po %in% c("02", "03", "04")
  births <- po %in% c("01", "02", "03", "04")
  from24 <- ifelse(!is.na(gest), gest >= 168, ifelse(!is.na(weight), weight >= 400, TRUE))
  age <- as.numeric(bb$PersonDeathDateBaby - bb$PersonBirthDateBaby)
  nnd <- live & !is.na(age) & age <= 27
  term <- !is.na(gest) & gest >= 259 & gest <= 315
  one <- bpl %in% 1
  e <- list(
    stillbirth = (live | sb) & from24 & !top,
    neonatal_death = live & from24 & !top,
    preterm = live & one & !is.na(gest) & gest >= 154 & gest <= 315,
    low_apgar = births & term & one & apgar %in% 0:10,
    breastmilk_first_feed = bb$BabyFirstFeedIndCode %in% c("01", "02", "03"),
    nnu_admission = live)
  e$perinatal_death <- e$stillbirth
  y <- list(
    stillbirth = sb, neonatal_death = nnd, perinatal_death = sb | nnd,
    preterm = !is.na(gest) & gest <= 258, low_apgar = apgar %in% 0:6,
    breastmilk_first_feed = bb$BabyFirstFeedIndCode %in% c("01", "02"),
    nnu_admission = bb$Person_ID_Baby %in% nnu$Person_ID_Baby[nnu$NeoCritCareInd %in% "Y"])
  out <- data.frame(preg_id = preg_ids)
  for (o in names(e)) {
    el <- preg_ids %in% bb$UniqPregID[e[[o]]]
    yy <- preg_ids %in% bb$UniqPregID[e[[o]] & y[[o]]]
    yy[!el] <- NA
    out[[o]] <- yy
    out[[paste0(o, "_eligible")]] <- el
  }
  # women: the first baby (live birth or stillbirth codes first, then birth
  # date, then baby id) for tears; any baby for PPH
  o <- order(bb$UniqPregID, !births, bb$PersonBirthDateBaby, bb$Person_ID_Baby)
  fb <- bb[o, ][!duplicated(bb$UniqPregID[o]), ]
  fi <- match(fb$Person_ID_Baby, bb$Person_ID_Baby)
  la <- as.data.frame(x$MSD302CareActivityLabDel)
  la$preg <- lab$UniqPregID[match(la$LabourDeliveryID, lab$LabourDeliveryID)]
  codes <- outcome_code_lists()
  pph_code <- codes$code[codes$list == "pph_blood_loss"]
  tear_preg <- la$preg[la$GenitalTractTraumaticLesion %in% c("10217006", "399031001")]
  pph_preg <- la$preg[la$ObsCode %in% pph_code & !is.na(la$ObsValue) & trunc(la$ObsValue) >= 1500]
  tear_e <- preg_ids %in% fb$UniqPregID[births[fi] & term[fi] & one[fi] &
                                         fb$DeliveryMethodCode %in% as.character(0:4)]
  out$tear_3_4 <- ifelse(tear_e, preg_ids %in% tear_preg, NA)
  out$tear_3_4_eligible <- tear_e
  pph_e <- preg_ids %in% bb$UniqPregID[births]
  out$pph_1500 <- ifelse(pph_e, preg_ids %in% pph_preg, NA)
  out$pph_1500_eligible <- pph_e
  out$birth_year <- as.integer(format(fb$PersonBirthDateBaby, "%Y"))[match(preg_ids, fb$UniqPregID)]
  list(pregnancies = out, babies = data.frame(baby_id = bb$Person_ID_Baby,
                                              birth_year = as.integer(format(bb$PersonBirthDateBaby, "%Y")),
                                              stillbirth = sb & e$stillbirth,
                                              stillbirth_eligible = e$stillbirth))
}

test_that("a plain re-implementation of the rules agrees on the realistic simulator", {
  skip_on_cran()
  x <- simulate_msds(8000, seed = 21)
  co <- suppressMessages(define_cohort(x))
  got <- suppressMessages(add_outcomes(co, x))
  want <- plain_outcomes(x, co$preg_id)
  p <- want$pregnancies
  for (col in setdiff(names(p), "preg_id")) {
    expect_identical(got[[col]], p[[col]], info = col)
  }
  # the extract exercises each rule
  sim <- attr(x, "simulation")
  expect_gt(sum(co$preg_id %in% sim$UniqPregID[sim$termination] & got$stillbirth_eligible %in% FALSE), 0)
  expect_gt(sum(is.na(got$gestation_birth) & got$stillbirth_eligible %in% TRUE), 0)
  nnu <- x$MSD402NeonatalAdmission
  expect_gt(sum(nnu$NeoCritCareInd == "N"), 0)
  expect_gt(sum(x$MSD302CareActivityLabDel$UCUMUnit %in% "L"), 0)
  # term stillborn babies with an Apgar of 0 are in the CQIM's population
  expect_gt(sum(got$low_apgar & got$stillbirth, na.rm = TRUE), 0)
  # rates per birth by year of birth, as MBRRACE-UK tabulates them
  births <- suppressMessages(birth_outcomes(co, x, outcomes = "stillbirth"))
  b <- want$babies
  expect_setequal(births$baby_id, b$baby_id)
  r <- outcome_rates(births, stillbirth, by = birth_year, disclosure = "none")
  ev <- tapply(b$stillbirth, b$birth_year, sum)
  n <- tapply(b$stillbirth_eligible, b$birth_year, sum)
  expect_identical(r$events, as.numeric(ev[as.character(r$birth_year)]))
  expect_identical(r$n, as.numeric(n[as.character(r$birth_year)]))
  expect_equal(r$rate, 1000 * r$events / r$n)
})
