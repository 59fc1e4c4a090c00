# Writing a simulated extract in both MSDS versions: v1.5 tables (MAT...)
# for bookings before April 2019, v2 tables from then on, with pregnancies
# that span the change written in both (as they flowed) and the drop in
# completeness of 2015 and early v2.

# The simulator's FetusOutcome codes. Only '10' (live birth) is confirmed in
# a public source (msds_v15_codes()); the simulator writes its own codes for
# the other outcomes, and the extract carries this map in attr "v15_codes"
# for as_msds(v15_codes = ).
sim_v15_fetus_codes <- c("10" = "01", "20" = "02", "30" = "03", "40" = "04")

#' Write a simulated extract in MSDS v1.5 and v2 layouts
#'
#' Turns an extract from [simulate_msds()] (without `realism`) into the raw
#' tables of both MSDS versions, ready for [as_msds()]: pregnancies booked
#' before `v2_start` as MSDS v1.5 tables (`MAT001MotherDemog`,
#' `MAT101Booking`, `MAT501FetusOutcome`, `MAT502BabyDemogAndBirth`,
#' `MAT602PostpartumDischarge`), the others as v2 tables. A pregnancy booked
#' before `v2_start` that ends (birth, or discharge) on or after it flowed in
#' both: it is written in both, and as_msds() keeps its v2 record.
#'
#' Each v1.5 pregnancy has a booking record in its booking month and one in
#' its last v1.5 month (both flagged `IC_USE_BOOKING_APP_FLAG = 'Y'`, sharing
#' a `RecordNumber` per submission across tables; outcomes on the last one);
#' every tenth has an extra unflagged record with an earlier booking date,
#' which NHS Digital's rule ignores. Completeness: each provider-month from
#' April to December 2015 is submitted with probability `complete_2015`
#' (only 80 providers submitted for October 2015), and each provider-month
#' from `v2_start` for six months with probability `complete_v2_early`;
#' pregnancies booked in a month their provider did not submit are not
#' written (unless they flowed in the other version).
#'
#' @param data An extract from [simulate_msds()] with `realism = NULL`.
#' @param v2_start First day of MSDS v2.
#' @param complete_2015,complete_v2_early Probabilities that a
#'   provider-month was submitted (2015; the first six v2 months).
#' @param seed Random seed for the completeness draws.
#' @param x Deprecated: use `data`.
#' @returns A named list of data frames (v2 and v1.5 tables) with attributes
#'   `truth` and `simulation` (of `data`), `v15_codes` (the simulator's
#'   `FetusOutcome` codes, for `as_msds(v15_codes = )`) and `written` (a
#'   tibble `preg_id`, `written`: `"v1.5"`, `"v2"`, `"both"` or `"not
#'   submitted"`).
#' @examples
#' x <- simulate_msds(2000, seed = 3, realism = NULL)
#' tabs <- sim_msds_versions(x)
#' table(attr(tabs, "written")$written)
#' m <- as_msds(tabs, v15_codes = attr(tabs, "v15_codes"), quiet = TRUE)
#' msds_versions(m, disclosure = "none")
#' @export
sim_msds_versions <- function(data, v2_start = as.Date("2019-04-01"), complete_2015 = 0.75,
                              complete_v2_early = 0.85, seed = 1, x = NULL) {
  if (deprecated_arg(x, missing(data), "x", "data", "sim_msds_versions")) data <- x
  check_msds(data)
  check_number(complete_2015, 0, 1)
  check_number(complete_v2_early, 0, 1)
  v2_start <- check_date(v2_start)
  if (!all(c("MSD101PregnancyBooking", "MSD401BabyDemographics", "MSD405CareActivityBaby") %in% names(data)) ||
      !is.double(data$MSD101PregnancyBooking$RecordNumber) && !is.integer(data$MSD101PregnancyBooking$RecordNumber)) {
    cli::cli_abort("{.arg data} must come from {.code simulate_msds(realism = NULL)}.")
  }
  with_seed(seed, sim_versions_build(data, v2_start, complete_2015, complete_v2_early))
}

sim_versions_build <- function(x, v2_start, complete_2015, complete_v2_early) {
  bk <- x$MSD101PregnancyBooking
  n <- nrow(bk)
  babies <- x$MSD401BabyDemographics
  ib <- match(babies$UniqPregID, bk$UniqPregID)
  first_birth <- as.Date(rep(NA_real_), origin = "1970-01-01")[seq_len(n)]
  fb <- tapply(as.numeric(babies$PersonBirthDateBaby), ib, min)
  first_birth[as.integer(names(fb))] <- as.Date(fb, origin = "1970-01-01")
  edd <- bk$AntenatalAppDate + (280 - bk$GestAgeBooking)
  end <- pmax(first_birth, bk$DischargeDateMatService, na.rm = TRUE)
  end[is.na(end)] <- edd[is.na(end)]
  pre <- bk$AntenatalAppDate < v2_start
  spans <- pre & end >= v2_start
  # provider-months that were not submitted
  m_b <- date_month_id(bk$AntenatalAppDate)
  pm <- paste(bk$OrgCodeProvider, m_b)
  ups <- unique(pm)
  yr15 <- bk$AntenatalAppDate >= as.Date("2015-01-01") & bk$AntenatalAppDate < as.Date("2016-01-01")
  early <- !pre & m_b < date_month_id(v2_start) + 6L
  draw <- stats::runif(length(ups))
  sent <- draw[match(pm, ups)]
  miss15 <- pre & !spans & yr15 & sent >= complete_2015
  miss2 <- early & sent >= complete_v2_early
  in15 <- pre & !miss15
  in2 <- (!pre | spans) & !miss2
  written <- ifelse(in15 & in2, "both", ifelse(in15, "v1.5", ifelse(in2, "v2", "not submitted")))

  v2 <- sim_v2_subset(x, bk$UniqPregID[in2])
  v15 <- sim_v15_tables(x, which(in15), end, v2_start)
  structure(c(v2, v15), truth = attr(x, "truth"), simulation = attr(x, "simulation"),
            v15_codes = list(fetus_outcome = sim_v15_fetus_codes),
            written = tibble::tibble(preg_id = bk$UniqPregID, written = written))
}

# The v2 tables of the pregnancies in `keep` (every table filtered through
# its parent).
sim_v2_subset <- function(x, keep) {
  t <- lapply(unclass(x), as.data.frame)
  f <- function(df, col, ids) df[df[[col]] %in% ids, , drop = FALSE]
  b <- f(t$MSD101PregnancyBooking, "UniqPregID", keep)
  out <- list(MSD101PregnancyBooking = b)
  md <- t$MSD001MotherDemog
  out$MSD001MotherDemog <- md[md$Person_ID_Mother %in% b$Person_ID_Mother, , drop = FALSE]
  out$MSD102MatCarePlan <- f(t$MSD102MatCarePlan, "UniqPregID", keep)
  out$MSD201CareContactPreg <- f(t$MSD201CareContactPreg, "UniqPregID", keep)
  out$MSD202CareActivityPreg <- f(t$MSD202CareActivityPreg, "CareConID", out$MSD201CareContactPreg$CareConID)
  out$MSD301LabourDelivery <- f(t$MSD301LabourDelivery, "UniqPregID", keep)
  out$MSD302CareActivityLabDel <- f(t$MSD302CareActivityLabDel, "LabourDeliveryID",
                                    out$MSD301LabourDelivery$LabourDeliveryID)
  out$MSD401BabyDemographics <- f(t$MSD401BabyDemographics, "UniqPregID", keep)
  for (tab in c("MSD402NeonatalAdmission", "MSD405CareActivityBaby")) {
    if (!is.null(t[[tab]])) out[[tab]] <- f(t[[tab]], "Person_ID_Baby", out$MSD401BabyDemographics$Person_ID_Baby)
  }
  out$MSD901StaffDetails <- t$MSD901StaffDetails
  out
}

# MAT tables of the pregnancies `i` (rows of MSD101) as they flowed in v1.5.
sim_v15_tables <- function(x, i, end, v2_start) {
  bk <- as.data.frame(x$MSD101PregnancyBooking)[i, , drop = FALSE]
  n <- nrow(bk)
  last_m <- date_month_id(v2_start) - 1L
  m1 <- date_month_id(bk$AntenatalAppDate)
  m2 <- pmax(pmin(date_month_id(end[i]), last_m), m1)
  rn1 <- 5e13 + 10 * seq_len(n)
  rn2 <- rn1 + 1
  extra <- seq_len(n) %% 10L == 0L
  two <- m2 > m1
  rows <- c(seq_len(n), which(two), which(extra))
  kind <- c(rep(1L, n), rep(2L, sum(two)), rep(3L, sum(extra)))
  rn <- ifelse(kind == 1L, rn1[rows], ifelse(kind == 2L, rn2[rows], rn2[rows] + 5))
  # the final record: the one in the last month (rn2 when two records)
  final_rn <- ifelse(two, rn2, rn1)
  md <- as.data.frame(x$MSD001MotherDemog)
  # the mother's demographics of the booking's submission, else her latest
  im <- match(paste(bk$Person_ID_Mother, bk$RecordNumber), paste(md$Person_ID_Mother, md$RecordNumber))
  md_last <- md[order(md$Person_ID_Mother, -md$RecordNumber), , drop = FALSE]
  md_last <- md_last[!duplicated(md_last$Person_ID_Mother), , drop = FALSE]
  im[is.na(im)] <- match(md_last$Person_ID_Mother[match(bk$Person_ID_Mother[is.na(im)], md_last$Person_ID_Mother)],
                         md$Person_ID_Mother)
  mat101 <- data.frame(
    UniqPregID = bk$UniqPregID[rows], Person_ID_Mother = bk$Person_ID_Mother[rows],
    Month_ID = ifelse(kind == 1L, m1[rows], m2[rows]),
    IC_USE_BOOKING_APP_FLAG = ifelse(kind == 3L, "N", "Y"),
    RecordNumber = whole_text(rn), OrgCodeProvider = bk$OrgCodeProvider[rows],
    AntenatalAppDate = bk$AntenatalAppDate[rows] - (kind == 3L),
    EDDAgreed = bk$AntenatalAppDate[rows] + (280L - bk$GestAgeBooking[rows]),
    AgeAtBookingMother = bk$AgeAtBookingMother[rows],
    SmokingStatus = bk$SmokingStatusBooking[rows],
    PhysicalDisabilityStatusIndMother = bk$DisabilityIndMother[rows],
    ComplexSocialFactorsInd = bk$ComplexSocialFactorsInd[rows],
    PreviousLiveBirths = bk$PreviousLiveBirths[rows], PreviousStillBirths = bk$PreviousStillBirths[rows],
    PreviousCaesareanSections = bk$PreviousCaesareanSections[rows],
    PreviousLossesLessThan24Weeks = bk$PreviousLossesLessThan24Weeks[rows],
    stringsAsFactors = FALSE)
  mat001 <- data.frame(
    Person_ID_Mother = bk$Person_ID_Mother[rows], UniqPregID = bk$UniqPregID[rows],
    Month_ID = mat101$Month_ID, MAT001_ID = seq_along(rows),
    RecordNumber = mat101$RecordNumber, OrgCodeProvider = bk$OrgCodeProvider[rows],
    EthnicCategoryMother = md$EthnicCategoryMother[im][rows],
    LSOAMother2011 = md$LSOAMother2011[im][rows], stringsAsFactors = FALSE)
  # babies born before v2 only (later births flowed in v2)
  b <- as.data.frame(x$MSD401BabyDemographics)
  j <- match(b$UniqPregID, bk$UniqPregID)
  b <- b[!is.na(j) & b$PersonBirthDateBaby < v2_start, , drop = FALSE]
  j <- match(b$UniqPregID, bk$UniqPregID)
  act <- as.data.frame(x$MSD405CareActivityBaby)
  act <- act[order(act$Person_ID_Baby, -act$RecordNumber), , drop = FALSE]
  act <- act[!duplicated(act$Person_ID_Baby), , drop = FALSE]
  ia <- match(b$Person_ID_Baby, act$Person_ID_Baby)
  fcode <- names(sim_v15_fetus_codes)[match(b$PregOutcome, sim_v15_fetus_codes)]
  mat501 <- data.frame(UniqPregID = b$UniqPregID, Person_ID_Mother = bk$Person_ID_Mother[j],
                       RecordNumber = whole_text(final_rn[j]), FetusOutcome = fcode,
                       FetusOutcomeDate = b$PersonBirthDateBaby,
                       FetusOutcomeOrder = stats::ave(seq_along(j), j, FUN = seq_along),
                       stringsAsFactors = FALSE)
  mat502 <- data.frame(
    Person_ID_Baby = b$Person_ID_Baby, UniqPregID = b$UniqPregID,
    Person_ID_Mother = bk$Person_ID_Mother[j], RecordNumber = whole_text(final_rn[j]),
    Month_ID = m2[j], PersonBirthDateBaby = b$PersonBirthDateBaby,
    BirthWeight = act$BirthWeight[ia], GestationLengthBirth = b$GestationLengthBirth,
    DeliveryMethodBaby = b$DeliveryMethodCode, ApgarScore5 = act$ApgarScore[ia],
    PersonDeathDateTimeBaby = b$PersonDeathDateBaby, PersonPhenotypicSex = b$PersonPhenSex,
    BabyFirstFeedBreastMilkStatus = b$BabyFirstFeedIndCode, stringsAsFactors = FALSE)
  dd <- bk$DischargeDateMatService
  has_d <- !is.na(dd) & dd < v2_start
  mat602 <- data.frame(UniqPregID = bk$UniqPregID[has_d], RecordNumber = whole_text(final_rn[has_d]),
                       Month_ID = m2[has_d], MaternityDischargeDate = dd[has_d],
                       EoPSmokingStatus = bk$SmokingStatusDelivery[has_d], stringsAsFactors = FALSE)
  list(MAT001MotherDemog = mat001, MAT101Booking = mat101, MAT501FetusOutcome = mat501,
       MAT502BabyDemogAndBirth = mat502, MAT602PostpartumDischarge = mat602)
}
