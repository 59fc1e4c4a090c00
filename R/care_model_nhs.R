# NHS Digital's care-model measures, as the Maternity Services Monthly
# Statistics code computes them (published notebooks COC_by_28weeks and
# PCP_All_Pathways; REAL_MSDS.md, "Definitions"), per pregnancy of a cohort.
# Dates are handled as day numbers.

# The booking NHS Digital's CoC and PCSP measures use: per mother and
# pregnancy, the latest MSD101 row with GestAgeBooking > 0, by
# AntenatalAppDate then RecordNumber (latest first; a missing value sorts
# last, as Spark's DESC). Returns, per cohort row, list(row, date, gest,
# discharge) with NA where the pregnancy has no such row.
nhs_booking <- function(msds, cohort) {
  bk <- msds$MSD101PregnancyBooking
  gest <- as.numeric(bk$GestAgeBooking)
  i <- which(!is.na(gest) & gest > 0)
  by_mother <- "mother_id" %in% names(cohort) && "Person_ID_Mother" %in% names(bk)
  key <- if (by_mother) list(bk$Person_ID_Mother[i], bk$UniqPregID[i]) else list(bk$UniqPregID[i])
  code <- if (length(i)) combined_codes(key) else integer()
  record <- if ("RecordNumber" %in% names(bk)) as.numeric(bk$RecordNumber)[i] else rep(NA_real_, length(i))
  o <- order(code, -as.numeric(bk$AntenatalAppDate[i]), -record, method = "radix", na.last = TRUE)
  first <- i[o[!duplicated(code[o])]]
  want <- if (by_mother) list(cohort$mother_id, cohort$preg_id) else list(cohort$preg_id)
  have <- if (by_mother) list(bk$Person_ID_Mother[first], bk$UniqPregID[first]) else
    list(bk$UniqPregID[first])
  row <- first[match_rows(want, have)]
  list(row = row, date = as.numeric(bk$AntenatalAppDate[row]), gest = gest[row],
       discharge = as.numeric(bk$DischargeDateMatService[row]))
}

# Why a pregnancy is outside an NHS measure's denominator reached at `days`
# days' gestation (NA: inside): no booking with GestAgeBooking > 0, the day
# before MSDS v2, discharged at or before the day, the day after data_end.
nhs_denominator_reason <- function(bk, days, v2_start, data_end) {
  at <- bk$date + (days - bk$gest)
  disch_gest <- bk$gest + (bk$discharge - bk$date)
  reason <- rep(NA_character_, length(at))
  reason[is.na(bk$row)] <- "GestAgeBooking not above 0 days"
  reason[is.na(reason) & at < as.numeric(v2_start)] <- sprintf("%s days reached before MSDS v2", days)
  reason[is.na(reason) & !is.na(disch_gest) & disch_gest <= days] <-
    sprintf("discharged at or before %s days", days)
  reason[is.na(reason) & at > as.numeric(data_end)] <- sprintf("%s days not reached by end of data", days)
  list(reason = reason, at = at)
}

# COC_by_28weeks (definition = "nhs"). Denominator: the day of coc_gest days
# is in an MSDS v2 month, GestAgeBooking > 0, not discharged at or before it
# (birth not looked at). Numerator: the latest antenatal plan at or before
# coc_gest days with ContCarePathInd not missing says Y and names a midwife
# and a team.
coc_by_28weeks_nhs <- function(cp, bk, v2_start, coc_gest, data_end) {
  den <- nhs_denominator_reason(bk, coc_gest, v2_start, data_end)
  sel <- which(cp$CarePlanType %in% "05" & !is.na(cp$ContCarePathInd) &
                 plan_gest(cp, bk) <= coc_gest)
  placement(cp, sel, den$reason, den$at)
}

# PCP_All_Pathways. Denominator: day 259 of gestation in an MSDS v2 month,
# GestAgeBooking > 0, not discharged at or before day 259. Numerator: the
# latest antenatal plan by day 119, birth plan by day 245 and postpartum
# plan by day 259 (each among plans with MatPersCarePlanInd not missing)
# are all personalised.
pcp_all_pathways_nhs <- function(cp, bk, v2_start, data_end) {
  n <- length(bk$row)
  den <- nhs_denominator_reason(bk, 259, v2_start, data_end)
  start <- bk$date - bk$gest
  ante <- latest_plan_personalised(cp, "05", start + 119, by_date = TRUE, n)
  # NHS Digital's code orders birth plans by the booking's AntenatalAppDate
  # (one value per pregnancy) and RecordNumber: the latest submission wins
  birth <- latest_plan_personalised(cp, "06", start + 245, by_date = FALSE, n)
  post <- latest_plan_personalised(cp, "07", start + 259, by_date = TRUE, n)
  eligible <- is.na(den$reason)
  value <- rep(NA, n)
  value[eligible] <- (ante & birth & post)[eligible]
  list(value = value, eligible = eligible, reason = den$reason, month = month_start(den$at))
}

# For each cohort row, whether a latest plan of `type` dated by `by` (a day
# number per row), among plans with MatPersCarePlanInd not missing, says Y.
# Latest: by CarePlanDate then RecordNumber (by_date) or RecordNumber only;
# all plans tied at the top count (the code's rank() = 1), so one Y among
# them is enough. A missing RecordNumber sorts last.
latest_plan_personalised <- function(cp, type, by, by_date, n) {
  sel <- which(cp$CarePlanType %in% type & !is.na(cp$MatPersCarePlanInd) &
                 !is.na(cp$date) & cp$date <= by[cp$ip])
  out <- rep(FALSE, n)
  if (!length(sel)) return(out)
  ip <- cp$ip[sel]
  d <- if (by_date) cp$date[sel] else rep(0, length(sel))
  rn <- cp$record[sel]
  rn[is.na(rn)] <- -Inf
  o <- order(ip, -d, -rn, method = "radix")
  f <- o[!duplicated(ip[o])]
  top_d <- top_rn <- rep(NA_real_, n)
  top_d[ip[f]] <- d[f]
  top_rn[ip[f]] <- rn[f]
  top <- d == top_d[ip] & rn == top_rn[ip]
  out[unique(ip[top & cp$MatPersCarePlanInd[sel] == "Y"])] <- TRUE
  out
}
