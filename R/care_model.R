# Care-model exposures: personalised care and support plans (PCSP) and
# placement on a midwifery continuity of carer pathway by 28+6 weeks. The
# NHS Digital measures (COC_by_28weeks, PCP_All_Pathways) are in
# care_model_nhs.R; this file holds the entry point and the research rules.

#' Add care-model exposures to a cohort
#'
#' Adds placement on a midwifery continuity of carer pathway by 28+6 weeks
#' (`coc_placed`), NHS Digital's personalised care and support plan measure
#' over all three pathways (`pcsp_all_pathways`) and the package's antenatal
#' personalised care plan flag (`pcsp`). Care-plan records
#' (`MSD102MatCarePlan`) are first reduced to the latest submission of each
#' plan (key `UniqPregID`, `CarePlanType`, `CarePlanDate`; highest
#' `RecordNumber`). Gestation on a date is
#' `GestAgeBooking + (date - AntenatalAppDate)`.
#'
#' @section Continuity of carer, `definition = "nhs"` (default):
#' NHS Digital's `COC_by_28weeks`, as its Maternity Services Monthly
#' Statistics code computes it (the published `COC_by_28weeks` notebook,
#' read for this package; REAL_MSDS.md, "Definitions"):
#' * The booking is, per mother and pregnancy (`Person_ID_Mother`,
#'   `UniqPregID`), the latest `MSD101PregnancyBooking` row with
#'   `GestAgeBooking > 0`, by `AntenatalAppDate` then `RecordNumber`
#'   (latest first). A pregnancy with no such row (`GestAgeBooking` 0) is
#'   not eligible. [as_msds()] keeps one submission per booking, so this is
#'   the cohort's booking unless its `GestAgeBooking` is 0.
#' * The pregnancy counts in the month in which it reaches `coc_gest` (203)
#'   days (`coc_month`), if that month is an MSDS v2 month (on or after
#'   `v2_start`): women booked before April 2019 count when they reach 203
#'   days from April 2019.
#' * It is eligible unless discharged from maternity services
#'   (`DischargeDateMatService`) at or before 203 days' gestation (the code
#'   requires discharge gestation above 203) or the date of 203 days is after
#'   `data_end`. The birth is not looked at: a baby born before 203 days
#'   leaves the mother in the measure until she is discharged.
#' * Numerator: among antenatal plans (`CarePlanType` '05') dated at or
#'   before 203 days' gestation with `ContCarePathInd` recorded (not
#'   missing: any value, after the upper-casing [as_msds()] applies), the
#'   latest by `CarePlanDate`, then `RecordNumber`, decides: `coc_placed` is
#'   `TRUE` when its `ContCarePathInd` is 'Y' and both `CareProfLID` and
#'   `TeamLocalID` are present, else `FALSE` (also with no such plan).
#'
#' NHS Digital computes the measure "as at" each month from the submissions
#' made by then; here it is computed once from the latest submission of each
#' record (a plan submitted only after its month is counted here, not in the
#' published figure).
#'
#' @section Continuity of carer, `definition = "research"`:
#' matequity's rule before the NHS-exact definitions, kept as an option for
#' analyses of exposure among women booked in MSDS v2 who reach 29 weeks
#' pregnant: the cohort's booking; eligible when
#' booked on or after `v2_start`, not born before 203 days (first baby's
#' `GestationLengthBirth`, or the gestation on its birth date when that is
#' missing, below 203; a birth date held to the month only counts as its
#' month's last day), not discharged at or before 203 days, and, without a
#' birth record, the date of 203 days not after `data_end`. The numerator is
#' as above except that "recorded" means a valid 'Y' or 'N' (a value outside
#' the code list is skipped, and an earlier plan decides).
#'
#' Under either definition ineligible pregnancies get `coc_placed = NA` and
#' a `coc_reason`, never `FALSE`.
#'
#' @section Personalised care and support plans:
#' Two measures with different meanings; do not compare one with the other's
#' published figures.
#' * `pcsp_all_pathways` is NHS Digital's `PCP_All_Pathways` (the published
#'   `PCP_All_Pathways` notebook; REAL_MSDS.md): the denominator
#'   (`pcsp_all_pathways_eligible`) is pregnancies whose 259th day of
#'   gestation (`AntenatalAppDate - GestAgeBooking + 259`) falls in an MSDS
#'   v2 month (`pcsp_all_pathways_month`) and not after `data_end`, booked
#'   as above (`GestAgeBooking > 0`), not discharged at or before that day.
#'   The numerator needs all three plans personalised: the latest antenatal
#'   plan ('05') dated by day 119, the latest birth plan ('06') by day 245
#'   and the latest postpartum plan ('07') by day 259, each among plans of
#'   that type with `MatPersCarePlanInd` recorded (not missing), must have
#'   `MatPersCarePlanInd` 'Y'. "Latest" is by `CarePlanDate` then
#'   `RecordNumber` for antenatal and postpartum plans and, as NHS Digital's
#'   code orders them, by `RecordNumber` alone for birth plans (the plan of
#'   the latest submission, whatever its date). Plans tied on the ordering
#'   all count as latest (the code ranks with `rank()`): one 'Y' among them
#'   is enough. The code's separate denominators for the antenatal and birth
#'   parts (discharge after day 119 or 245, that day within the six or two
#'   months before) always hold for a pregnancy in this denominator.
#'   Ineligible pregnancies get `NA` and a `pcsp_all_pathways_reason`.
#' * `pcsp` is the package's antenatal flag, not an NHS Digital measure: the
#'   `MatPersCarePlanInd == "Y"` of the latest antenatal plan (type '05')
#'   with `MatPersCarePlanInd` recorded as 'Y' or 'N', among plans dated at
#'   or before `pcsp_gest` days' gestation (default `Inf`: the latest
#'   antenatal plan of the pregnancy). No such plan gives `FALSE`.
#'   `pcsp_gest = 119` gives the antenatal part of `PCP_All_Pathways` (for
#'   every pregnancy booked in MSDS v2, not only those in its denominator).
#'   Pregnancies booked before `v2_start` get `NA` (`pcsp_eligible` is
#'   `FALSE`): MSDS v1.5 has no care-plan fields.
#'
#' Which definition made each column is recorded in
#' `attr(cohort, "care_model")$measures`.
#'
#' @param data A cohort from [define_cohort()].
#' @param msds The `msds` object the cohort was built from.
#' @param definition `"nhs"` (default: NHS Digital's `COC_by_28weeks`) or
#'   `"research"` (the package's earlier rule) for `coc_placed`; see the
#'   sections below. `pcsp_all_pathways` is always NHS Digital's and `pcsp`
#'   always the package's.
#' @param v2_start First day of the first MSDS v2 month (care-plan fields).
#' @param coc_gest Gestation (days) by which placement is assessed (203 =
#'   29+0 weeks, i.e. by the end of 28+6).
#' @param pcsp_gest Latest gestation (days) of the care plan used for `pcsp`.
#' @param data_end Last date covered by the extract; pregnancies that had not
#'   reached `coc_gest` (or 259 days) by then are not eligible. Default: the
#'   latest booking, discharge, care-plan, contact or birth date in `msds`.
#' @param cohort Deprecated: use `data`.
#' @returns The cohort with columns
#' * `pcsp`, `pcsp_eligible`: the package's antenatal PCSP flag and whether
#'   it is defined (booked on or after `v2_start`);
#' * `coc_eligible`, `coc_placed`, `coc_reason` (why `coc_placed` is `NA`:
#'   under `"nhs"` "GestAgeBooking not above 0 days", "203 days reached
#'   before MSDS v2", "discharged at or before 203 days", "203 days not
#'   reached by end of data"; under `"research"` "booked before MSDS v2",
#'   "birth before 203 days", "discharged at or before 203 days", "203 days
#'   not reached by end of data"), `coc_month` (first day of the month in
#'   which the pregnancy reaches `coc_gest` days: NHS Digital counts
#'   `COC_by_28weeks` in this month, and `COC_receiving_ongoing` four months
#'   later);
#' * `care_plan_date` (the plan `pcsp` came from), `coc_placed_date` (the
#'   date of the plan that placed the pregnancy: [continuity()]'s window for
#'   `COC_receiving_ongoing` starts there), `named_midwife` and `named_team`
#'   (`CareProfLID`, `TeamLocalID` of the plan that decided `coc_placed`, for
#'   eligible pregnancies) and `named_provider` (that plan's
#'   `OrgCodeProvider`);
#' * `pcsp_all_pathways`, `pcsp_all_pathways_eligible`,
#'   `pcsp_all_pathways_reason` ("GestAgeBooking not above 0 days", "259
#'   days reached before MSDS v2", "discharged at or before 259 days", "259
#'   days not reached by end of data") and `pcsp_all_pathways_month` (the
#'   month of day 259, in which NHS Digital counts the measure).
#'
#' Attribute `care_model`: a list of `definition`, `v2_start`, `coc_gest`,
#' `pcsp_gest`, `data_end` and `measures` (a tibble: `column`, `eligible`,
#' `reason`, `definition`, `source`).
#' @examples
#' cohort <- add_care_model(define_cohort(msds_example), msds_example)
#' table(cohort$coc_placed, cohort$coc_reason, useNA = "ifany")
#' attr(cohort, "care_model")$measures
#' @export
add_care_model <- function(data, msds, definition = c("nhs", "research"),
                           v2_start = as.Date("2019-04-01"), coc_gest = 203,
                           pcsp_gest = Inf, data_end = NULL, cohort = NULL) {
  if (inherits(msds, "msds_db")) return(db_add_care_model(environment(), match.call(), parent.frame()))
  if (deprecated_arg(cohort, missing(data), "cohort", "data", "add_care_model")) data <- cohort
  check_cohort(data)
  check_msds(msds)
  definition <- rlang::arg_match(definition)
  v2_start <- check_date(v2_start)
  check_number(coc_gest, lower = 0)
  check_number(pcsp_gest, lower = 0)
  data_end <- if (is.null(data_end)) msds_data_end(msds) else check_date(data_end)
  n <- nrow(data)
  cp <- cohort_care_plans(msds, data$preg_id)
  own <- list(date = as.numeric(data$booking_date), gest = as.numeric(data$booking_gest),
              discharge = as.numeric(data$discharge_date))

  # the package's antenatal PCSP
  pre_v2 <- data$booking_date < v2_start
  pc <- antenatal_pcsp(cp, own, pcsp_gest, n)
  pc$pcsp[pre_v2] <- NA
  pc$date[pre_v2] <- NA

  nhs_bk <- nhs_booking(msds, data)
  coc <- if (definition == "nhs") {
    coc_by_28weeks_nhs(cp, nhs_bk, v2_start, coc_gest, data_end)
  } else {
    coc_by_28weeks_research(msds, data, cp, own, v2_start, coc_gest, data_end)
  }
  pcp <- pcp_all_pathways_nhs(cp, nhs_bk, v2_start, data_end)

  # a pregnancy known only from MSDS v1.5 has no care plans or contacts:
  # its exposures are missing with the reason, never FALSE
  v15 <- (if ("version" %in% names(data)) data$version else rep("v2", n)) %in% "v1.5"
  if (any(v15)) {
    why <- "MSDS v1.5 record only: no care-plan or contact tables before v2"
    pc$pcsp[v15] <- NA
    pc$date[v15] <- NA
    pre_v2 <- pre_v2 | v15
    # only where the pregnancy would otherwise be eligible (a v1.5 booking
    # that reached the gestation before v2 keeps that reason)
    w <- v15 & is.na(coc$reason)
    coc$eligible[w] <- FALSE
    coc$placed[w] <- NA
    coc$reason[w] <- why
    coc$placed_date[w] <- NA
    coc$midwife[w] <- NA
    coc$team[w] <- NA
    coc$provider[w] <- NA
    w <- v15 & is.na(pcp$reason)
    pcp$eligible[w] <- FALSE
    pcp$value[w] <- NA
    pcp$reason[w] <- why
  }
  data$pcsp <- pc$pcsp
  data$pcsp_eligible <- !pre_v2
  data$coc_eligible <- coc$eligible
  data$coc_placed <- coc$placed
  data$coc_reason <- coc$reason
  data$coc_month <- coc$month
  data$care_plan_date <- as.Date(pc$date, origin = "1970-01-01")
  data$coc_placed_date <- coc$placed_date
  data$named_midwife <- coc$midwife
  data$named_team <- coc$team
  data$named_provider <- coc$provider
  data$pcsp_all_pathways <- pcp$value
  data$pcsp_all_pathways_eligible <- pcp$eligible
  data$pcsp_all_pathways_reason <- pcp$reason
  data$pcsp_all_pathways_month <- pcp$month
  attr(data, "care_model") <- list(definition = definition, v2_start = v2_start,
                                     coc_gest = coc_gest, pcsp_gest = pcsp_gest,
                                     data_end = data_end,
                                     measures = care_model_measures(definition, coc_gest, pcsp_gest))
  data
}

# The definition and source of each care-model column.
care_model_measures <- function(definition, coc_gest, pcsp_gest) {
  coc_src <- if (definition == "nhs") {
    "NHS Digital, Maternity Services Monthly Statistics: COC_by_28weeks (published measure code)"
  } else {
    sprintf("matequity research rule: booked in MSDS v2, not born or discharged by %s days (?add_care_model)",
            coc_gest)
  }
  tibble::tibble(
    column = c("coc_placed", "pcsp_all_pathways", "pcsp"),
    eligible = c("coc_eligible", "pcsp_all_pathways_eligible", "pcsp_eligible"),
    reason = c("coc_reason", "pcsp_all_pathways_reason", NA_character_),
    definition = c(definition, "nhs", "research"),
    source = c(coc_src,
               "NHS Digital, Maternity Services Monthly Statistics: PCP_All_Pathways (published measure code)",
               sprintf("matequity: MatPersCarePlanInd of the latest antenatal care plan dated by %s days (?add_care_model)",
                       format(pcsp_gest)))
  )
}

# Care plans of the cohort's pregnancies: the latest submission of each plan
# (UniqPregID, CarePlanType, CarePlanDate), as a list of columns with `ip`,
# the cohort row of each plan.
cohort_care_plans <- function(msds, preg_id) {
  cp <- msds$MSD102MatCarePlan
  cp <- rows(cp, latest_rows(cp, c("UniqPregID", "CarePlanType", "CarePlanDate")),
             c("UniqPregID", "RecordNumber", "OrgCodeProvider", "CarePlanDate", "CarePlanType",
               "MatPersCarePlanInd", "ContCarePathInd", "CareProfLID", "TeamLocalID"))
  ip <- match(cp$UniqPregID, preg_id)
  cp <- lapply(cp, function(v) v[!is.na(ip)])
  cp$ip <- ip[!is.na(ip)]
  cp$date <- as.numeric(cp$CarePlanDate)
  cp$record <- as.numeric(cp$RecordNumber)
  cp
}

# Gestation (days) of each plan, for a booking list(date, gest).
plan_gest <- function(cp, bk) bk$gest[cp$ip] + (cp$date - bk$date[cp$ip])

# The package's antenatal PCSP: latest antenatal plan with MatPersCarePlanInd
# a valid Y/N, dated by pcsp_gest.
antenatal_pcsp <- function(cp, bk, pcsp_gest, n) {
  sel <- which(cp$CarePlanType %in% "05" & cp$MatPersCarePlanInd %in% msds_codes$yes_no &
                 plan_gest(cp, bk) <= pcsp_gest)
  k <- latest_plan(cp$ip[sel], cp$date[sel], cp$record[sel], n)
  r <- sel[k[!is.na(k)]]
  pcsp <- rep(FALSE, n)
  date <- rep(NA_real_, n)
  pcsp[!is.na(k)] <- cp$MatPersCarePlanInd[r] == "Y"
  date[!is.na(k)] <- cp$date[r]
  list(pcsp = pcsp, date = date)
}

# COC_by_28weeks under the package's earlier rule (definition = "research").
coc_by_28weeks_research <- function(msds, cohort, cp, bk, v2_start, coc_gest, data_end) {
  n <- nrow(cohort)
  gest_on <- function(date, i) bk$gest[i] + (as.numeric(date) - bk$date[i])
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
  disch_gest <- gest_on(bk$discharge, seq_len(n))
  date_at <- bk$date + (coc_gest - bk$gest)
  reason <- rep(NA_character_, n)
  reason[is.na(reason) & !is.na(bgest_birth) & bgest_birth < coc_gest] <-
    sprintf("birth before %s days", coc_gest)
  reason[is.na(reason) & !is.na(disch_gest) & disch_gest <= coc_gest] <-
    sprintf("discharged at or before %s days", coc_gest)
  reason[is.na(reason) & is.na(bgest_birth) & date_at > as.numeric(data_end)] <-
    sprintf("%s days not reached by end of data", coc_gest)
  reason[cohort$booking_date < v2_start] <- "booked before MSDS v2"
  # recorded = a valid Y/N (a value outside the code list is not)
  sel <- which(cp$CarePlanType %in% "05" & cp$ContCarePathInd %in% msds_codes$yes_no &
                 plan_gest(cp, bk) <= coc_gest)
  placement(cp, sel, reason, date_at)
}

# coc_placed and the named carers from the deciding plans: `sel` indexes the
# candidate plans, `reason` is NA for eligible pregnancies, `date_at` the
# (numeric) date of coc_gest days.
placement <- function(cp, sel, reason, date_at) {
  n <- length(reason)
  eligible <- is.na(reason)
  k <- latest_plan(cp$ip[sel], cp$date[sel], cp$record[sel], n)
  has <- !is.na(k) & eligible
  r <- sel[k[has]]
  placed <- rep(NA, n)
  placed[eligible] <- FALSE
  midwife <- team <- provider <- rep(NA_character_, n)
  placed_date <- rep(NA_real_, n)
  midwife[has] <- cp$CareProfLID[r]
  team[has] <- cp$TeamLocalID[r]
  if (!is.null(cp$OrgCodeProvider)) provider[has] <- cp$OrgCodeProvider[r]
  yes <- cp$ContCarePathInd[r] == "Y" & !is.na(cp$CareProfLID[r]) & !is.na(cp$TeamLocalID[r])
  placed[has] <- yes
  placed_date[has][yes] <- cp$date[r][yes]
  list(eligible = eligible, placed = placed, reason = reason,
       month = month_start(date_at),
       placed_date = as.Date(placed_date, origin = "1970-01-01"),
       midwife = midwife, team = team, provider = provider)
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

# First day of the month of each (numeric or Date) date; NA stays NA.
month_start <- function(d) {
  d <- as.Date(as.numeric(d), origin = "1970-01-01")
  d - (as.POSIXlt(d)$mday - 1L)
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
