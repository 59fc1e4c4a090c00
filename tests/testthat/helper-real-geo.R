# Literal fixture for the geography tests (test-geography.R): seven mothers
# with one pregnancy each. Expected IMD 2019 deciles were looked up by hand in
# the IMD package's imd_england_lsoa data (not in matequity's imd2019):
#   E01021988 rank 1 decile 1; E01017787 rank 32844 decile 10;
#   E01008881 rank 3924 decile 2; E01009417 decile 7.
# Rank_IMD_Decile_2015 is deliberately different where it can be, so that a
# test can tell the editions apart.
geo_tables <- function() {
  tabs <- lapply(stats::setNames(nm = names(matequity:::msds_tables)), matequity:::msds_empty_table)
  tabs$MSD001MotherDemog <- data.frame(
    Person_ID_Mother = sprintf("G%d", 1:7),
    RecordNumber = 1L,
    OrgCodeProvider = c("RR1", "RRK", "RXK", "RJE", "ZZZ", "RQ3", "RLQ"),
    EthnicCategoryMother = "A",
    LSOAMother2011 = c("E01021988", "E01017787", "E01008881", "E01009417", "W01000001",
                       "E01999999", NA),
    Rank_IMD_Decile_2015 = c(3L, 9L, 2L, 6L, 4L, 5L, NA),
    stringsAsFactors = FALSE)
  tabs$MSD101PregnancyBooking <- data.frame(
    UniqPregID = sprintf("GP%d", 1:7),
    Person_ID_Mother = sprintf("G%d", 1:7),
    RecordNumber = 1L,
    OrgCodeProvider = c("RR1", "RRK", "RXK", "RJE", "ZZZ", "RQ3", "RLQ"),
    AntenatalAppDate = as.Date(c("2017-06-01", "2019-05-01", "2019-06-01", "2020-01-01",
                                 "2020-02-01", "2021-03-01", "2022-04-01")),
    GestAgeBooking = 70L,
    AgeAtBookingMother = 30L,
    ComplexSocialFactorsInd = "N",
    PreviousLiveBirths = 0L, PreviousStillBirths = 0L, PreviousCaesareanSections = 0L,
    DischargeDateMatService = as.Date(NA),
    stringsAsFactors = FALSE)
  tabs
}

geo_msds <- function(tables = geo_tables()) as_msds(tables, quiet = TRUE)

geo_cohort <- function(...) suppressMessages(define_cohort(geo_msds(), ...))
