# Care-model exposures: personalised care and support plan (PCSP) and
# placement on a midwifery continuity of carer pathway by 28+6 weeks.

#' Add care-model exposures to a cohort
#'
#' Adds the personalised care and support plan (`pcsp`) and placement on a
#' midwifery continuity of carer pathway by 28+6 weeks (`coc_placed`), as NHS
#' England's MSDS measures define them (DOMAIN.md section 4). Care-plan
#' records (`MSD102MatCarePlan`) are first reduced to the latest submission
#' of each plan (key `UniqPregID`, `CarePlanType`, `CarePlanDate`; highest
#' `RecordNumber`). Gestation on a date is
#' `GestAgeBooking + (date - AntenatalAppDate)`.
#'
#' **Continuity of carer (`COC_by_28weeks`).** A pregnancy is eligible
#' (`coc_eligible`) when it was booked on or after `v2_start` and reached
#' `coc_gest` (203) days' gestation: not born before (first baby's
#' `GestationLengthBirth`, or the gestation on its birth date when that is
#' missing, below 203), not discharged from maternity services at or before
#' 203 days (the NHS code requires discharge gestation above 203), and the
#' date of 203 days not after `data_end`. Among eligible pregnancies the
#' latest antenatal care plan (`CarePlanType` '05') with `ContCarePathInd`
#' recorded and dated at or before 203 days' gestation (ordered by
#' `CarePlanDate`, then `RecordNumber`, as in NHS Digital's published measure
#' code) decides: `coc_placed` is `TRUE` when its `ContCarePathInd` is 'Y'
#' and both `CareProfLID` and `TeamLocalID` are present, and `FALSE`
#' otherwise (including no such plan). "Recorded" means a valid 'Y' or 'N':
#' a value outside the code list, which [as_msds()] keeps and counts, is
#' treated as not recorded (here and for `MatPersCarePlanInd`), and a plan
#' type outside the code list is not an antenatal plan. Ineligible pregnancies get
#' `coc_placed = NA` and a `coc_reason`, never `FALSE`.
#'
#' **Personalised care and support plan.** `pcsp` is the
#' `MatPersCarePlanInd == "Y"` of the latest antenatal care plan (type '05')
#' with `MatPersCarePlanInd` recorded, among plans dated at or before
#' `pcsp_gest` days' gestation (default `Inf`: the latest antenatal plan of
#' the pregnancy). `pcsp_gest = 119` reproduces the antenatal component of
#' the NHS PCSP measure, which takes the latest antenatal plan dated at or
#' before 119 days. No such plan gives `FALSE`.
#'
#' Pregnancies booked before MSDS v2 (`v2_start`, April 2019) have no
#' care-plan fields: `pcsp` and `coc_placed` are `NA` with
#' `coc_reason = "booked before MSDS v2"`.
#'
#' @param cohort A cohort from [define_cohort()].
#' @param msds The `msds` object the cohort was built from.
#' @param v2_start First booking date with MSDS v2 care-plan fields.
#' @param coc_gest Gestation (days) by which placement is assessed (203 =
#'   29+0 weeks, i.e. by the end of 28+6).
#' @param pcsp_gest Latest gestation (days) of the care plan used for `pcsp`.
#' @param data_end Last date covered by the extract; pregnancies that had not
#'   reached `coc_gest` by then are not eligible. Default: the latest booking,
#'   discharge, care-plan, contact or birth date in `msds`.
#' @returns The cohort with columns `pcsp`, `coc_eligible`, `coc_placed`,
#'   `coc_reason` (why `coc_placed` is `NA`: "booked before MSDS v2", "birth
#'   before 203 days", "discharged at or before 203 days", "203 days not
#'   reached by end of data"), `care_plan_date` (the plan `pcsp` came from),
#'   `coc_placed_date` (the date of the plan that placed the pregnancy),
#'   `named_midwife` and `named_team` (`CareProfLID`, `TeamLocalID` of the
#'   latest antenatal plan at or before 203 days, for eligible pregnancies)
#'   and `named_provider` (that plan's `OrgCodeProvider`: the named midwife
#'   and team ids are local to it).
#' @examples
#' cohort <- add_care_model(define_cohort(msds_example), msds_example)
#' table(cohort$coc_placed, cohort$coc_reason, useNA = "ifany")
#' @export
add_care_model <- function(cohort, msds, v2_start = as.Date("2019-04-01"),
                           coc_gest = 203, pcsp_gest = Inf, data_end = NULL) {
  check_cohort(cohort)
  check_msds(msds)
  v2_start <- check_date(v2_start)
  check_number(coc_gest, lower = 0)
  check_number(pcsp_gest, lower = 0)
  data_end <- if (is.null(data_end)) msds_data_end(msds) else check_date(data_end)
  n <- nrow(cohort)
  bdate <- as.numeric(cohort$booking_date)
  bgest <- cohort$booking_gest
  gest_on <- function(date, i) bgest[i] + (as.numeric(date) - bdate[i])

  cp <- msds$MSD102MatCarePlan
  cp <- rows(cp, latest_rows(cp, c("UniqPregID", "CarePlanType", "CarePlanDate")),
             c("UniqPregID", "RecordNumber", "OrgCodeProvider", "CarePlanDate", "CarePlanType",
               "MatPersCarePlanInd", "ContCarePathInd", "CareProfLID", "TeamLocalID"))
  ip <- match(cp$UniqPregID, cohort$preg_id)
  ante <- !is.na(ip) & cp$CarePlanType %in% "05"
  cp <- rows(cp, ante)
  ip <- ip[ante]
  cp_gest <- gest_on(cp$CarePlanDate, ip)

  # PCSP: latest antenatal plan with MatPersCarePlanInd recorded, by pcsp_gest
  # recorded = a valid Y/N (a value outside the code list is not)
  sel <- cp$MatPersCarePlanInd %in% msds_codes$yes_no & cp_gest <= pcsp_gest
  k <- latest_plan(ip[sel], cp$CarePlanDate[sel], cp$RecordNumber[sel], n)
  rows <- which(sel)[k]
  pcsp <- rep(FALSE, n)
  care_plan_date <- rep(as.Date(NA), n)
  pcsp[!is.na(k)] <- cp$MatPersCarePlanInd[rows[!is.na(k)]] == "Y"
  care_plan_date[!is.na(k)] <- cp$CarePlanDate[rows[!is.na(k)]]

  # eligibility for COC_by_28weeks
  babies <- latest_babies(msds, c("UniqPregID", "PregOutcome", "PersonBirthDateBaby",
                                  "Person_ID_Baby", "GestationLengthBirth"))
  first <- first_baby_index(babies, cohort$preg_id)
  bgest_birth <- babies$GestationLengthBirth[first]
  miss <- is.na(bgest_birth) & !is.na(first)
  # (a birth date held to the month only: its month's last day, so that a
  # birth is "before 203 days" only when the day cannot change that)
  bdob <- latest_possible_date(babies$PersonBirthDateBaby, msds, "MSD401BabyDemographics",
                               "PersonBirthDateBaby")
  bgest_birth[miss] <- gest_on(bdob[first[miss]], which(miss))
  disch_gest <- gest_on(cohort$discharge_date, seq_len(n))
  date_at <- bdate + (coc_gest - bgest)
  pre_v2 <- cohort$booking_date < v2_start
  reason <- rep(NA_character_, n)
  reason[is.na(reason) & !is.na(bgest_birth) & bgest_birth < coc_gest] <-
    sprintf("birth before %s days", coc_gest)
  reason[is.na(reason) & !is.na(disch_gest) & disch_gest <= coc_gest] <-
    sprintf("discharged at or before %s days", coc_gest)
  reason[is.na(reason) & is.na(bgest_birth) & date_at > as.numeric(data_end)] <-
    sprintf("%s days not reached by end of data", coc_gest)
  reason[pre_v2] <- "booked before MSDS v2"
  eligible <- is.na(reason)

  # placement: latest antenatal plan with ContCarePathInd recorded, by coc_gest
  sel <- cp$ContCarePathInd %in% msds_codes$yes_no & cp_gest <= coc_gest
  k <- latest_plan(ip[sel], cp$CarePlanDate[sel], cp$RecordNumber[sel], n)
  rows <- which(sel)[k]
  has <- !is.na(k) & eligible
  placed <- rep(NA, n)
  placed[eligible] <- FALSE
  midwife <- rep(NA_character_, n)
  team <- rep(NA_character_, n)
  named_prov <- rep(NA_character_, n)
  placed_date <- rep(as.Date(NA), n)
  r <- rows[has]
  midwife[has] <- cp$CareProfLID[r]
  team[has] <- cp$TeamLocalID[r]
  if (!is.null(cp$OrgCodeProvider)) named_prov[has] <- cp$OrgCodeProvider[r]
  placed[has] <- cp$ContCarePathInd[r] == "Y" & !is.na(cp$CareProfLID[r]) & !is.na(cp$TeamLocalID[r])
  placed_date[has][placed[has]] <- cp$CarePlanDate[r][placed[has]]

  pcsp[pre_v2] <- NA
  care_plan_date[pre_v2] <- as.Date(NA)
  cohort$pcsp <- pcsp
  cohort$coc_eligible <- eligible
  cohort$coc_placed <- placed
  cohort$coc_reason <- reason
  cohort$care_plan_date <- care_plan_date
  cohort$coc_placed_date <- placed_date
  cohort$named_midwife <- midwife
  cohort$named_team <- team
  cohort$named_provider <- named_prov
  attr(cohort, "care_model") <- list(v2_start = v2_start, coc_gest = coc_gest,
                                     pcsp_gest = pcsp_gest, data_end = data_end)
  cohort
}

# For each cohort row 1..n, the index (into the given vectors) of the latest
# plan by date then RecordNumber; NA when the pregnancy has none.
latest_plan <- function(row, date, record, n) {
  out <- rep(NA_integer_, n)
  if (!length(row)) return(out)
  o <- order(row, -as.numeric(date), -as.numeric(record), method = "radix")
  f <- o[!duplicated(row[o])]
  out[row[f]] <- f
  out
}

# Index into babies of each pregnancy's first baby: registrable births
# (live or stillbirth codes) first, then birth date, then Person_ID_Baby.
first_baby_index <- function(babies, preg_id, registrable = c("01", "02", "03", "04")) {
  ip <- match(babies$UniqPregID, preg_id)
  o <- order(ip, !babies$PregOutcome %in% registrable, babies$PersonBirthDateBaby,
             babies$Person_ID_Baby, method = "radix")
  o <- o[!is.na(ip[o])]
  f <- o[!duplicated(ip[o])]
  out <- rep(NA_integer_, length(preg_id))
  out[ip[f]] <- f
  out
}

# Last date covered by an extract.
msds_data_end <- function(msds) {
  d <- c(max_date(msds$MSD101PregnancyBooking$AntenatalAppDate),
         max_date(msds$MSD101PregnancyBooking$DischargeDateMatService),
         max_date(msds$MSD102MatCarePlan$CarePlanDate),
         max_date(msds$MSD201CareContactPreg$CContactDate),
         max_date(msds$MSD401BabyDemographics$PersonBirthDateBaby))
  max_date(d)
}

max_date <- function(x) {
  if (is.null(x) || all(is.na(x))) return(as.Date(NA))
  as.Date(max(x, na.rm = TRUE))
}

check_date <- function(x, arg = rlang::caller_arg(x), call = rlang::caller_env()) {
  d <- tryCatch(as.Date(x), error = function(e) NULL)
  if (is.null(d) || length(d) != 1L || is.na(d)) {
    cli::cli_abort(c("{.arg {arg}} must be one date.",
                     "x" = "It is {.obj_type_friendly {x}}."), call = call)
  }
  d
}
