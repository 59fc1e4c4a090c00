# The MSDS v2 data contract: the tables and fields matequity reads, their
# types, keys, parent keys and code lists. One table drives validation,
# documentation and the simulator, so they cannot drift apart.

# type: "character" (ids, codes), "integer", "numeric", "date" or "record"
# (RecordNumber and other submission record numbers: whole numbers up to
# 2^53 - 1 stored exactly as doubles). format: how text is read besides the
# type's default, "decile" (IMD decile labels '01 - Most deprived') or
# "time" (contact times).
schema_col <- function(type, required = TRUE, codes = NULL, range = NULL, format = NULL) {
  list(type = type, required = required, codes = codes, range = range, format = format)
}

# Code lists (DOMAIN.md section 2).
msds_codes <- list(
  ethnic_category = c(LETTERS[c(1:8, 10:14, 16, 18, 19, 26)], "99"),
  yes_no = c("Y", "N"),
  care_plan_type = c("05", "06", "07"),
  attend_code = c("2", "3", "4", "5", "6", "7"),
  preg_outcome = c("01", "02", "03", "04", "05", "06"),
  delivery_method = as.character(0:9),
  phen_sex = c("1", "2", "9", "X"),
  first_feed = c("01", "02", "03"),
  births_per_lab_del = as.character(1:6),
  # DischReason (MSD101): 01 discharge following delivery, 02 transfer, 03
  # miscarriage, 04 termination < 24 weeks, 05 termination >= 24 weeks, 06
  # no further contact, 07 maternal death (check; outcome_code_lists()).
  disch_reason = c("01", "02", "03", "04", "05", "06", "07"),
  # SNOMED CT genital tract traumatic lesions: third and fourth degree tears.
  tear_3_4 = c("10217006", "399031001")
)

#' The MSDS v2 tables and fields matequity uses
#'
#' The data contract checked by [as_msds()]: one row per field, with its
#' table, storage type, whether it is required, the table's key and the code
#' list or range a value must fall in.
#'
#' @returns A tibble with columns `table`, `field`, `type` (`"character"`,
#'   `"integer"`, `"numeric"`, `"date"` or `"record"`: a record number such as
#'   `RecordNumber`, a whole number below 2^53 held exactly as a double),
#'   `required`, `key` (is the field
#'   part of the table's record key), `codes` (allowed values, or `NA`) and
#'   `range` (allowed numeric range, or `NA`).
#' @examples
#' msds_schema()
#' @export
msds_schema <- function() schema_tibble(msds_tables)

schema_tibble <- function(tables) {
  rows <- lapply(names(tables), function(tab) {
    spec <- tables[[tab]]
    tibble::tibble(
      table = tab,
      field = names(spec$columns),
      type = unname(vapply(spec$columns, `[[`, "", "type")),
      required = unname(vapply(spec$columns, `[[`, TRUE, "required")),
      key = names(spec$columns) %in% spec$key,
      codes = unname(vapply(spec$columns, function(x) {
        if (is.null(x$codes)) NA_character_ else paste(x$codes, collapse = ",")
      }, "")),
      range = unname(vapply(spec$columns, function(x) {
        if (is.null(x$range)) NA_character_ else paste(x$range, collapse = "-")
      }, ""))
    )
  })
  do.call(rbind, rows)
}

# key: the fields identifying one record across monthly submissions (as
# NHS Digital keys it; REAL_MSDS.md); as_msds() keeps the latest submission
# per key (see msds_record_keys()). key_scope: optional columns that qualify
# the key when present (MSD901: the provider). Child tables without a key
# take the rows of their parent's retained submission.
# parent: list(table, by, id): `by` lists the join keys for orphan checks,
# most specific first (the first whose columns both tables have is used);
# `id` is the provider-local id a child row is matched to its parent on.
# RecordNumber and UniqSubmissionID are "record": exact whole doubles (~1e14).
msds_tables <- list(
  MSD001MotherDemog = list(
    key = c("Person_ID_Mother", "RecordNumber"),
    columns = list(
      Person_ID_Mother = schema_col("character"),
      RecordNumber = schema_col("record"),
      OrgCodeProvider = schema_col("character"),
      PersonBirthDateMother = schema_col("date", required = FALSE),
      EthnicCategoryMother = schema_col("character", codes = msds_codes$ethnic_category),
      LSOAMother2011 = schema_col("character"),
      Rank_IMD_Decile_2015 = schema_col("integer", range = c(1, 10), format = "decile")
    )
  ),
  MSD101PregnancyBooking = list(
    key = c("Person_ID_Mother", "UniqPregID"),
    parent = list(table = "MSD001MotherDemog", by = list("Person_ID_Mother"), id = "Person_ID_Mother"),
    columns = list(
      UniqPregID = schema_col("character"),
      Person_ID_Mother = schema_col("character"),
      RecordNumber = schema_col("record"),
      OrgCodeProvider = schema_col("character"),
      AntenatalAppDate = schema_col("date"),
      GestAgeBooking = schema_col("integer", range = c(0, 315)),
      EDDAgreed = schema_col("date", required = FALSE),
      AgeAtBookingMother = schema_col("integer", range = c(10, 60)),
      ComplexSocialFactorsInd = schema_col("character", codes = msds_codes$yes_no),
      DisabilityIndMother = schema_col("character", required = FALSE, codes = msds_codes$yes_no),
      PreviousLiveBirths = schema_col("integer", range = c(0, 25)),
      PreviousStillBirths = schema_col("integer", range = c(0, 25)),
      PreviousCaesareanSections = schema_col("integer", range = c(0, 25)),
      PreviousLossesLessThan24Weeks = schema_col("integer", required = FALSE, range = c(0, 40)),
      DischargeDateMatService = schema_col("date", required = FALSE),
      DischReason = schema_col("character", required = FALSE, codes = msds_codes$disch_reason),
      SmokingStatusBooking = schema_col("character", required = FALSE),
      SmokingStatusDelivery = schema_col("character", required = FALSE),
      PersonBMIBooking = schema_col("numeric", required = FALSE, range = c(10, 90))
    )
  ),
  MSD102MatCarePlan = list(
    key = c("UniqPregID", "CarePlanType", "CarePlanDate"),
    parent = list(table = "MSD101PregnancyBooking", by = list("UniqPregID"), id = "UniqPregID"),
    columns = list(
      UniqPregID = schema_col("character"),
      RecordNumber = schema_col("record"),
      OrgCodeProvider = schema_col("character"),
      CarePlanDate = schema_col("date"),
      CarePlanType = schema_col("character", codes = msds_codes$care_plan_type),
      MatPersCarePlanInd = schema_col("character", codes = msds_codes$yes_no),
      ContCarePathInd = schema_col("character", codes = msds_codes$yes_no),
      CareProfLID = schema_col("character"),
      TeamLocalID = schema_col("character")
    )
  ),
  MSD201CareContactPreg = list(
    key = c("UniqPregID", "CareConID"),
    parent = list(table = "MSD101PregnancyBooking", by = list("UniqPregID"), id = "UniqPregID"),
    columns = list(
      CareConID = schema_col("character"),
      UniqPregID = schema_col("character"),
      RecordNumber = schema_col("record"),
      OrgCodeProvider = schema_col("character"),
      CContactDate = schema_col("date"),
      CContactTime = schema_col("character", required = FALSE, format = "time"),
      AttendCode = schema_col("character", codes = msds_codes$attend_code),
      ConsultType = schema_col("character", required = FALSE),
      Medium = schema_col("character", required = FALSE),
      GestAgeCContactDate = schema_col("integer", required = FALSE, range = c(0, 350))
    )
  ),
  MSD202CareActivityPreg = list(
    key = character(),
    parent = list(table = "MSD201CareContactPreg", by = list(c("UniqPregID", "CareConID"), "CareConID"),
                  id = "CareConID"),
    columns = list(
      CareConID = schema_col("character"),
      UniqPregID = schema_col("character", required = FALSE),
      RecordNumber = schema_col("record", required = FALSE),
      CareProfLID = schema_col("character"),
      TeamLocalID = schema_col("character"),
      # smoking records (add_smoking()): findings, observations and the
      # DSP-derived cigarettes per day and CO reading (ppm)
      FindingCode = schema_col("character", required = FALSE),
      ObsCode = schema_col("character", required = FALSE),
      ObsValue = schema_col("numeric", required = FALSE),
      UCUMUnit = schema_col("character", required = FALSE),
      CigarettesPerDay = schema_col("numeric", required = FALSE),
      COMonReading = schema_col("numeric", required = FALSE)
    )
  ),
  MSD301LabourDelivery = list(
    key = c("UniqPregID", "LabourDeliveryID"),
    parent = list(table = "MSD101PregnancyBooking", by = list("UniqPregID"), id = "UniqPregID"),
    columns = list(
      LabourDeliveryID = schema_col("character"),
      UniqPregID = schema_col("character"),
      RecordNumber = schema_col("record"),
      OrgCodeProvider = schema_col("character"),
      LabourOnsetMethod = schema_col("character", required = FALSE),
      BirthsPerLabandDel = schema_col("integer", range = c(1, 6)),
      SettingIntraCare = schema_col("character", required = FALSE),
      RobsonGroup = schema_col("character", required = FALSE),
      LabourOnsetDate = schema_col("date", required = FALSE),
      CaesareanDate = schema_col("date", required = FALSE)
    )
  ),
  MSD302CareActivityLabDel = list(
    key = character(),
    parent = list(table = "MSD301LabourDelivery",
                  by = list(c("UniqPregID", "LabourDeliveryID"), "LabourDeliveryID"),
                  id = "LabourDeliveryID"),
    columns = list(
      LabourDeliveryID = schema_col("character"),
      UniqPregID = schema_col("character", required = FALSE),
      RecordNumber = schema_col("record", required = FALSE),
      CareProfLID = schema_col("character"),
      TeamLocalID = schema_col("character"),
      GenitalTractTraumaticLesion = schema_col("character", required = FALSE),
      ObsCode = schema_col("character", required = FALSE),
      MasterSnomedCTObsCode = schema_col("character", required = FALSE),
      ObsValue = schema_col("numeric", required = FALSE),
      LabourInductionMethod = schema_col("character", required = FALSE),
      FindingCode = schema_col("character", required = FALSE),
      UCUMUnit = schema_col("character", required = FALSE),
      ClinInterDateMother = schema_col("date", required = FALSE)
    )
  ),
  MSD401BabyDemographics = list(
    key = c("UniqPregID", "Person_ID_Baby"),
    parent = list(table = "MSD301LabourDelivery", by = list(c("UniqPregID", "LabourDeliveryID")),
                  id = "LabourDeliveryID"),
    columns = list(
      Person_ID_Baby = schema_col("character"),
      LabourDeliveryID = schema_col("character"),
      UniqPregID = schema_col("character"),
      RecordNumber = schema_col("record"),
      OrgCodeProvider = schema_col("character"),
      PersonBirthDateBaby = schema_col("date"),
      PregOutcome = schema_col("character", codes = msds_codes$preg_outcome),
      PersonPhenSex = schema_col("character", required = FALSE, codes = msds_codes$phen_sex),
      GestationLengthBirth = schema_col("integer", range = c(0, 350)),
      DeliveryMethodCode = schema_col("character", codes = msds_codes$delivery_method),
      PersonDeathDateBaby = schema_col("date", required = FALSE),
      CareProfLIDDel = schema_col("character", required = FALSE),
      BabyFirstFeedIndCode = schema_col("character", required = FALSE, codes = msds_codes$first_feed),
      FetusPresentation = schema_col("character", required = FALSE)
    )
  ),
  MSD402NeonatalAdmission = list(
    key = character(),
    parent = list(table = "MSD401BabyDemographics", by = list("Person_ID_Baby"), id = "Person_ID_Baby"),
    optional_table = TRUE,
    columns = list(
      Person_ID_Baby = schema_col("character"),
      RecordNumber = schema_col("record", required = FALSE),
      NeonatalTransferStartDate = schema_col("date", required = FALSE),
      NeoCritCareInd = schema_col("character", required = FALSE, codes = msds_codes$yes_no)
    )
  ),
  MSD405CareActivityBaby = list(
    key = character(),
    parent = list(table = "MSD401BabyDemographics", by = list("Person_ID_Baby"), id = "Person_ID_Baby"),
    columns = list(
      Person_ID_Baby = schema_col("character"),
      RecordNumber = schema_col("record", required = FALSE),
      ApgarScore = schema_col("integer", required = FALSE, range = c(0, 10)),
      BirthWeight = schema_col("numeric", required = FALSE, range = c(100, 7000))
    )
  ),
  MSD901StaffDetails = list(
    key = "CareProfLID",
    key_scope = "OrgCodeProvider",
    columns = list(
      CareProfLID = schema_col("character"),
      StaffGroup = schema_col("character"),
      OrgCodeProvider = schema_col("character", required = FALSE)
    )
  )
)

# Optional submission columns every table may carry (REAL_MSDS.md).
for (.tab in names(msds_tables)) {
  msds_tables[[.tab]]$columns[c("RPStartDate", "RPEndDate", "UniqSubmissionID")] <- list(
    schema_col("date", required = FALSE), schema_col("date", required = FALSE),
    schema_col("record", required = FALSE))
}
rm(.tab)
