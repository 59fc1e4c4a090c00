# The MSDS v1.5 tables (April 2015 - March 2019) matequity reads, and what
# is known of them. The full v1.5 specification could not be read: the
# fields are those used by NHS Digital's public v1.5 code (the perinatal
# notebook that unions v1.5 and v2) and by a West Midlands ICB's public
# views (REAL_MSDS.md, section v1.5). Only the fields the harmonisation
# needs are required; a site with another layout maps its names with
# as_msds(mapping = ).

# Key names of the regional (SQL Server) views and NHS Digital's names.
v15_regional_keys <- c(Person_ID_Mother = "MSDS_ID_Mother", UniqPregID = "UniquePregID",
                       Person_ID_Baby = "MSDS_ID_Baby")

# Default recodes of v1.5 values to v2 codes, each with its source.
# FetusOutcome: '10' is a live birth in NHS Digital's v1.5 perinatal code
# (a '10' outcome extends the perinatal period past the outcome date; the
# lowest code across babies is taken "selecting live birth if there is one").
# No other FetusOutcome code could be confirmed: other codes are kept as
# "FETUSOUTCOME <code>" (outside the PregOutcome code list, counted) unless
# the site's data dictionary gives them (`v15_codes$fetus_outcome`).
# SmokingStatus / EoPSmokingStatus: v1.5 delivers codes 1-6. Codes 1-4 are
# taken to mean what they mean in v2's SMOKING STATUS list (1 current
# smoker; 2, 3, 4 ex-smoker or non-smoker) [I: not confirmed in a v1.5
# source]; 5 and 6 could not be confirmed and are kept as delivered, so
# add_smoking() counts them as unknown.
v15_default_codes <- function() {
  list(fetus_outcome = c("10" = "01"),
       smoking = c("1" = "1", "2" = "2", "3" = "3", "4" = "4"))
}

v15_code_sources <- tibble::tibble(
  field = c("FetusOutcome", "FetusOutcome", "SmokingStatus", "SmokingStatus", "Month_ID"),
  value = c("10", "other", "1-4", "5, 6", "all"),
  v2 = c("PregOutcome '01' (live birth)", "kept as 'FETUSOUTCOME <code>': not a valid PregOutcome",
         "SmokingStatusBooking / SmokingStatusDelivery, same code",
         "kept as delivered: unknown smoking status", "RPStartDate: month 1 = April 1900"),
  source = c("NHS Digital v1.5 perinatal code (MAT501FetusOutcome: '10' gets the post-birth period; lowest code across babies 'selecting live birth')",
             "no public source found: give the site's codes in v15_codes$fetus_outcome",
             "[I] inferred: v2 SMOKING STATUS code list (1 smoker; 2, 3, 4 ex- or non-smoker)",
             "no public source found",
             "[I] inferred: NHS Digital's UniqMonthID scale (1429 = April 2019)")
)

v15_tables <- list(
  MAT001MotherDemog = list(
    key = character(),
    columns = list(
      Person_ID_Mother = schema_col("character"),
      UniqPregID = schema_col("character", required = FALSE),
      Month_ID = schema_col("integer"),
      MAT001_ID = schema_col("record", required = FALSE),
      RecordNumber = schema_col("record", required = FALSE),
      OrgCodeProvider = schema_col("character", required = FALSE),
      EthnicCategoryMother = schema_col("character", required = FALSE, codes = msds_codes$ethnic_category),
      LSOAMother2011 = schema_col("character", required = FALSE),
      OrgCodeCCGRes = schema_col("character", required = FALSE)
    )
  ),
  MAT003GP = list(
    key = character(), optional_table = TRUE,
    columns = list(
      Person_ID_Mother = schema_col("character"),
      UniqPregID = schema_col("character", required = FALSE),
      Month_ID = schema_col("integer", required = FALSE),
      OrgCodeGMPMother = schema_col("character", required = FALSE),
      OrgCodeCCG_GPP = schema_col("character", required = FALSE),
      EndDateGMPRegistration = schema_col("date", required = FALSE)
    )
  ),
  MAT101Booking = list(
    key = character(),
    columns = list(
      UniqPregID = schema_col("character"),
      Person_ID_Mother = schema_col("character"),
      RecordNumber = schema_col("record"),
      Month_ID = schema_col("integer"),
      IC_USE_BOOKING_APP_FLAG = schema_col("character", codes = msds_codes$yes_no),
      OrgCodeProvider = schema_col("character"),
      AntenatalAppDate = schema_col("date"),
      EDDAgreed = schema_col("date", required = FALSE),
      GestAgeBooking = schema_col("integer", required = FALSE, range = c(0, 315)),
      AgeAtBookingMother = schema_col("integer", required = FALSE, range = c(10, 60)),
      SmokingStatus = schema_col("character", required = FALSE),
      PhysicalDisabilityStatusIndMother = schema_col("character", required = FALSE, codes = msds_codes$yes_no),
      ComplexSocialFactorsInd = schema_col("character", required = FALSE, codes = msds_codes$yes_no),
      PreviousLiveBirths = schema_col("integer", required = FALSE, range = c(0, 25)),
      PreviousStillBirths = schema_col("integer", required = FALSE, range = c(0, 25)),
      PreviousCaesareanSections = schema_col("integer", required = FALSE, range = c(0, 25)),
      PreviousLossesLessThan24Weeks = schema_col("integer", required = FALSE, range = c(0, 40))
    )
  ),
  MAT501FetusOutcome = list(
    key = character(),
    columns = list(
      UniqPregID = schema_col("character"),
      Person_ID_Mother = schema_col("character", required = FALSE),
      RecordNumber = schema_col("record"),
      FetusOutcome = schema_col("character"),
      FetusOutcomeDate = schema_col("date", required = FALSE),
      FetusOutcomeOrder = schema_col("integer", required = FALSE)
    )
  ),
  MAT502BabyDemogAndBirth = list(
    key = character(),
    columns = list(
      Person_ID_Baby = schema_col("character"),
      UniqPregID = schema_col("character"),
      Person_ID_Mother = schema_col("character", required = FALSE),
      RecordNumber = schema_col("record", required = FALSE),
      Month_ID = schema_col("integer", required = FALSE),
      MAT502_ID = schema_col("record", required = FALSE),
      PersonBirthDateBaby = schema_col("date", required = FALSE),
      BirthWeight = schema_col("numeric", required = FALSE, range = c(100, 7000)),
      GestationLengthBirth = schema_col("integer", required = FALSE, range = c(0, 350)),
      DeliveryMethodBaby = schema_col("character", required = FALSE, codes = msds_codes$delivery_method),
      ApgarScore5 = schema_col("integer", required = FALSE, range = c(0, 10)),
      PersonDeathDateTimeBaby = schema_col("date", required = FALSE),
      PersonPhenotypicSex = schema_col("character", required = FALSE, codes = msds_codes$phen_sex),
      BabyFirstFeedBreastMilkStatus = schema_col("character", required = FALSE, codes = msds_codes$first_feed)
    )
  ),
  MAT602PostpartumDischarge = list(
    key = character(), optional_table = TRUE,
    columns = list(
      UniqPregID = schema_col("character"),
      RecordNumber = schema_col("record", required = FALSE),
      Month_ID = schema_col("integer", required = FALSE),
      MaternityDischargeDate = schema_col("date", required = FALSE),
      EoPSmokingStatus = schema_col("character", required = FALSE)
    )
  )
)

#' The MSDS v1.5 tables and fields matequity reads
#'
#' MSDS v1.5 covers bookings from April 2015 to March 2019 (v2 from April
#' 2019). [as_msds()] recognises v1.5 tables by name (`MAT101Booking`, ...)
#' and harmonises them to the v2 object. The full v1.5 specification could
#' not be read: the tables and fields are those used by NHS Digital's public
#' v1.5 code and a West Midlands ICB's public views, and only the fields the
#' harmonisation needs are required. A site's own layout is mapped with
#' `as_msds(mapping = )`.
#'
#' @returns `msds_v15_schema()`: a tibble with the columns of
#'   [msds_schema()] (`table`, `field`, `type`, `required`, `key`, `codes`,
#'   `range`). `msds_v15_codes()`: a tibble `field`, `value`, `v2` (what the
#'   value becomes) and `source` (where the meaning was read, or `[I]` when
#'   it is inferred and could not be confirmed).
#' @examples
#' msds_v15_schema()
#' msds_v15_codes()
#' @export
msds_v15_schema <- function() schema_tibble(v15_tables)

#' @rdname msds_v15_schema
#' @export
msds_v15_codes <- function() v15_code_sources
