# Hand-built MSDS fixtures for the cohort, care-model, outcome and
# data-quality tests. Every rule has a pregnancy that passes it and one that
# fails it; the expected flags are written out in the tests, derived by hand
# from the rows below (gestation on a date = booking gestation + days since
# booking).

fx_date <- function(x) as.Date(x)
# date at gestation g for a booking on date b at gestation g0
fx_at <- function(b, g0, g) as.Date(b) + (g - g0)

fixture_tables <- function() {
  md <- data.frame(
    Person_ID_Mother = c("M01", "M01", "M02", "M03", "M04", "M05", "M06", "M07", "M08",
                         "M09", "M10", "M11", "M12", "M14", "M15", "M16", "M17"),
    # M01: an older submission (RecordNumber 0) said B, decile 9; the
    # booking's submission (1) says A, decile 2
    RecordNumber = c(0L, 1L, rep(1L, 15)),
    OrgCodeProvider = "RXA",
    EthnicCategoryMother = c("B", "A", "B", "J", "Z", "99", "H", "M", "C", "N", "D", "A",
                             "K", "R", "S", "L", "E"),
    LSOAMother2011 = c("E01000001", "E01000001", "E01000002", "E01000003", "E01000004", NA,
                       "E01000006", "E01000007", "E01000008", "E01000009", "E01000010",
                       "E01000011", "E01000012", "E01000014", "E01000015", "X123", "E01000017"),
    Rank_IMD_Decile_2015 = c(9L, 2L, 3L, 5L, 7L, NA, 1L, 1L, 4L, 4L, 4L, 4L, 2L, 9L, 6L, 6L, 5L),
    stringsAsFactors = FALSE)
  bk <- data.frame(
    UniqPregID = c("P01", "P02", "P03", "P04", "P05", "P06", "P06", "P07", "P08", "P09", "P10",
                   "P11", "P12", "P13", "P14", "P15", "P16", "P17"),
    Person_ID_Mother = c("M01", "M02", "M03", "M04", "M05", "M06", "M06", "M07", "M08", "M09",
                         "M10", "M11", "M12", "M12", "M14", "M15", "M16", "M17"),
    RecordNumber = c(1L, 1L, 1L, 1L, 1L, 1L, 2L, rep(1L, 11)),
    OrgCodeProvider = c("RXA", "RXA", "RXB", "RXB", "RXA", "RXB", "RXA", "RXB", "RXA", "RXA",
                        "RXA", "RXA", "RXA", "RXB", "RXB", "RXA", "RXB", "RXA"),
    AntenatalAppDate = fx_date(c("2020-01-10", "2020-02-01", "2020-03-01", "2020-04-01",
                                 "2018-06-01", "2020-05-01", "2020-05-01", "2020-06-01",
                                 "2020-01-15", "2020-01-20", "2020-02-20", "2017-06-01",
                                 "2021-01-10", "2021-01-24", "2023-05-01", "2021-02-01",
                                 "2021-03-01", "2021-05-01")),
    GestAgeBooking = c(70L, 80L, 60L, 84L, 70L, 90L, 70L, 60L, 320L, 70L, 70L, 70L, 70L, 84L,
                       60L, 70L, 70L, 70L),
    AgeAtBookingMother = c(30L, 25L, 19L, 35L, 41L, 29L, 29L, 22L, 30L, 9L, 28L, 30L, 31L, 31L,
                           33L, 27L, 26L, 24L),
    ComplexSocialFactorsInd = c("N", "N", "Y", "N", "N", "N", "N", "N", "N", "N", "N", "N", "N",
                                "N", "N", "N", "N", "N"),
    PreviousLiveBirths = c(0L, 1L, 0L, 2L, 0L, 1L, 1L, 0L, 0L, 0L, 0L, 0L, 1L, 1L, 0L, 0L, 2L, 0L),
    PreviousStillBirths = c(0L, 0L, 1L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 1L, 0L),
    PreviousCaesareanSections = c(0L, 1L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L,
                                  0L, 0L, 0L),
    DischargeDateMatService = fx_date(c(NA, NA, "2020-05-30", NA, NA, NA, NA, NA, NA, NA,
                                        "2020-02-10", NA, NA, NA, NA, NA, NA, NA)),
    stringsAsFactors = FALSE)
  cp <- data.frame(
    UniqPregID = c("P01", "P01", "P01", "P02", "P02", "P03", "P04", "P06", "P06", "P07", "P12"),
    RecordNumber = c(1L, 1L, 1L, 1L, 1L, 1L, 1L, 1L, 2L, 1L, 1L),
    OrgCodeProvider = "RXA",
    CarePlanDate = c(fx_at("2020-01-10", 70, 100), fx_at("2020-01-10", 70, 203),
                     fx_at("2020-01-10", 70, 250), fx_at("2020-02-01", 80, 100),
                     fx_at("2020-02-01", 80, 204), fx_at("2020-03-01", 60, 100),
                     fx_at("2020-04-01", 84, 150), fx_at("2020-05-01", 70, 180),
                     fx_at("2020-05-01", 70, 180), fx_at("2020-06-01", 60, 100),
                     fx_at("2021-01-10", 70, 120)),
    CarePlanType = c("05", "05", "06", "05", "05", "05", "05", "05", "05", "05", "05"),
    MatPersCarePlanInd = c("N", "Y", "N", "N", "Y", "Y", "Y", "N", "Y", "Y", "N"),
    ContCarePathInd = c("N", "Y", "N", "N", "Y", "Y", "Y", "N", "Y", "Y", NA),
    CareProfLID = c("MW01", "MW01", "MW01", "MW02", "MW02", "MW03", "MW04", "MW06", "MW06",
                    "MW07", "MW12"),
    TeamLocalID = c("TEAM1", "TEAM1", "TEAM1", "TEAM2", "TEAM2", "TEAM3", NA, "TEAM6", "TEAM6",
                    "TEAM7", "TEAM12"),
    stringsAsFactors = FALSE)
  cc <- data.frame(CareConID = "C01", UniqPregID = "P01", RecordNumber = 1L,
                   OrgCodeProvider = "RXA", CContactDate = fx_date("2020-02-09"),
                   AttendCode = "5", stringsAsFactors = FALSE)
  ca <- data.frame(CareConID = "C01", RecordNumber = 1L, CareProfLID = "MW01",
                   TeamLocalID = "TEAM1", stringsAsFactors = FALSE)
  ld <- data.frame(
    LabourDeliveryID = c("L01", "L02", "L04", "L05", "L06", "L07", "L11", "L12", "L15", "L16", "L17"),
    UniqPregID = c("P01", "P02", "P04", "P05", "P06", "P07", "P11", "P12", "P15", "P16", "P17"),
    RecordNumber = 1L, OrgCodeProvider = "RXA",
    BirthsPerLabandDel = c(1L, 1L, 2L, 1L, 1L, 1L, 1L, 1L, 1L, 1L, 1L),
    stringsAsFactors = FALSE)
  la <- data.frame(
    LabourDeliveryID = c("L01", "L02", "L05", "L06", "L12"),
    RecordNumber = 1L, CareProfLID = "MW01", TeamLocalID = "TEAM1",
    GenitalTractTraumaticLesion = c(NA, "10217006", NA, "399031001", NA),
    ObsCode = c("719051004", NA, "719051004", NA, "1033591000000101"),
    ObsValue = c(1499, NA, 1600, NA, 1500),
    stringsAsFactors = FALSE)
  bb <- data.frame(
    Person_ID_Baby = c("B01", "B02", "B04a", "B04b", "B05", "B06", "B06", "B07", "B11", "B12",
                       "B15", "B16", "B17"),
    LabourDeliveryID = c("L01", "L02", "L04", "L04", "L05", "L06", "L06", "L07", "L11", "L12",
                         "L15", "L16", "L17"),
    UniqPregID = c("P01", "P02", "P04", "P04", "P05", "P06", "P06", "P07", "P11", "P12", "P15",
                   "P16", "P17"),
    RecordNumber = c(1L, 1L, 1L, 1L, 1L, 1L, 2L, 1L, 1L, 1L, 1L, 1L, 1L),
    OrgCodeProvider = c("RXA", "RXA", "RXB", "RXB", "RXA", "RXA", "RXA", "RXB", "RXA", "RXA",
                        "RXA", "RXB", "RXA"),
    PersonBirthDateBaby = c(fx_at("2020-01-10", 70, 280), fx_at("2020-02-01", 80, 275),
                            fx_at("2020-04-01", 84, 230), fx_at("2020-04-01", 84, 230),
                            fx_at("2018-06-01", 70, 250), fx_at("2020-05-01", 70, 270),
                            fx_at("2020-05-01", 70, 270), fx_at("2020-06-01", 60, 190),
                            fx_at("2017-06-01", 70, 280), fx_at("2021-01-10", 70, 280),
                            fx_at("2021-02-01", 70, 160), fx_at("2021-03-01", 70, 250),
                            fx_date("2021-04-01")),
    PregOutcome = c("01", "01", "01", "02", "01", "01", "01", "01", "01", "01", "02", "03", "01"),
    PersonPhenSex = c("2", "1", "1", "2", "1", "2", "2", "2", "1", "1", "1", "2", "1"),
    GestationLengthBirth = c(280L, 275L, 230L, 230L, 250L, 250L, 270L, 190L, 280L, 280L, 160L,
                             NA, 270L),
    DeliveryMethodCode = c("0", "1", "8", "8", "0", "0", "7", "4", "0", "0", "0", "0", "0"),
    PersonDeathDateBaby = fx_at("2000-01-01", 0, 0)[c(NA, NA, NA, NA, 1, NA, 1, NA, NA, NA, NA, NA, NA)] +
      c(NA, NA, NA, NA, as.numeric(fx_at("2018-06-01", 70, 250) + 27 - as.Date("2000-01-01")), NA,
        as.numeric(fx_at("2020-05-01", 70, 270) + 28 - as.Date("2000-01-01")), NA, NA, NA, NA, NA, NA),
    BabyFirstFeedIndCode = c("01", "02", "03", NA, "01", "01", "03", NA, "01", NA, NA, NA, "01"),
    stringsAsFactors = FALSE)
  bact <- data.frame(
    Person_ID_Baby = c("B01", "B02", "B04a", "B04b", "B05", "B06", "B06", "B07", "B12", "B15", "B16"),
    RecordNumber = c(1L, 1L, 1L, 1L, 1L, 1L, 2L, 1L, 1L, 1L, 1L),
    ApgarScore = c(9L, 8L, 7L, 0L, 8L, 9L, 5L, 6L, 9L, 0L, 0L),
    BirthWeight = c(3400, 3300, 1200, 1100, 2300, 3000, NA, 1500, 2400, 500, 450))
  nnu <- data.frame(Person_ID_Baby = "B07", NeonatalTransferStartDate = fx_at("2020-06-01", 60, 190),
                    NeoCritCareInd = "Y")
  staff <- data.frame(CareProfLID = c("MW01", "MW02", "MW03", "MW06", "MW07"),
                      StaffGroup = "05", stringsAsFactors = FALSE)
  list(MSD001MotherDemog = md, MSD101PregnancyBooking = bk, MSD102MatCarePlan = cp,
       MSD201CareContactPreg = cc, MSD202CareActivityPreg = ca, MSD301LabourDelivery = ld,
       MSD302CareActivityLabDel = la, MSD401BabyDemographics = bb,
       MSD402NeonatalAdmission = nnu, MSD405CareActivityBaby = bact,
       MSD901StaffDetails = staff)
}

fixture_flags <- function() {
  data.frame(Person_ID_Mother = c("M02", "M03"), traveller = c(FALSE, TRUE),
             long_term_condition = c(TRUE, FALSE), stringsAsFactors = FALSE)
}

fixture_msds <- function(tables = fixture_tables(), flags = fixture_flags()) {
  as_msds(tables, flags = flags, quiet = TRUE)
}

fixture_period <- c("2018-01-01", "2023-12-31")

fixture_cohort <- function(x = fixture_msds(), ...) {
  suppressMessages(define_cohort(x, period = fixture_period, ...))
}

# named logical vector of a cohort column, by pregnancy
by_preg <- function(cohort, column) stats::setNames(cohort[[column]], cohort$preg_id)
