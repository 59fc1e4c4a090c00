# Real-extract shapes for simulate_msds(): a transformer from the clean tables
# the simulator builds to the shapes NHS Digital's MSDS v2 extracts have
# (monthly resubmission of every active record, record numbers built from the
# submission id, provisional and final submissions, text deciles, scores and
# observation values, codes outside the code lists, empty fields).
# Facts and sources: ../shared/docs/REAL_MSDS.md. Everything is vectorised
# over rows: rep()/sequence()/findInterval()/order() on integer codes.

#' Real-extract shapes for the MSDS simulator
#'
#' `sim_realism()` sets how [simulate_msds()] turns its clean tables into the
#' shapes a real NHS Digital MSDS v2 extract has. Real extracts hold every
#' record that is active in a month (a pregnancy from booking until discharge)
#' in that month's submission of its provider, in every table, so a record
#' appears many times; `RecordNumber` is the submission's `UniqSubmissionID`
#' followed by a 9-digit row number, shared by one woman's records across the
#' tables of a submission; since April 2023 each month has a provisional and a
#' final submission. Values arrive as text (`Rank_IMD_Decile_2015`,
#' `ApgarScore`, `ObsValue`), some outside the code lists, and the smoking
#' fields are empty since 2021 (REAL_MSDS.md, from NHS Digital's public MSDS
#' code).
#'
#' What the simulator simplifies: a record is resubmitted in at most
#' `max_resubmissions` of its active months (the first, the last and evenly
#' spaced ones between; real extracts hold every month) and a care contact in
#' at most `contact_resubmissions` of them (the latest ones), so that the tables
#' stay a manageable size. Information arrives as in a real extract: a care
#' plan, contact, labour or baby record first appears in the first submission
#' after it happened, the discharge date and a baby's death date only once they
#' have happened. The latest submission of every record holds the clean
#' record (after upper-casing and parsing text values, as [as_msds()] does),
#' except for the codes documented below as changing what the record says,
#' which are the recording process and are marked in `recording_problem` of
#' `attr(x, "simulation")`. The clean simulator's own superseded copies (see
#' `repeat_submission` in [sim_recording()]) are replaced by the monthly
#' submissions.
#'
#' @param max_resubmissions Most months in which one pregnancy's records are
#'   submitted (default 3; real extracts: every active month, about 8-12).
#' @param contact_resubmissions Most months in which one care contact (with
#'   its MSD202 activities) is submitted: the latest ones (default 1: the
#'   pregnancy's last submitted month, in both its submissions from April
#'   2023, besides the booked-appointment copy of `future_appointments`; 2
#'   adds the first submission after the contact, at about 1.4 times the
#'   memory of 1 for the extract).
#' @param provisional_from First month with a provisional and a final
#'   submission (April 2023, when NHS Digital introduced them); both carry
#'   the month's records, the final one the higher `UniqSubmissionID`.
#' @param provisional_differ Share of provisional booking records with a
#'   booking gestation a week out, and of provisional contacts with no time,
#'   corrected in the final submission (assumption).
#' @param future_appointments Share of care contacts that are also in the
#'   submission before they happen, as a booked appointment with `AttendCode`
#'   `'0'` (appointment in the future), when they fall within 62 days of its
#'   end (assumption; NHS Digital treats `'0'` as not attended).
#' @param ethnicity_invalid Share of women whose ethnicity is delivered as
#'   `'X'` (outside the code list), taken from women whose ethnicity is not
#'   known anyway (`Z`, `99`, blank), so no information changes.
#' @param ethnicity_lower Share of demographic records with the ethnic
#'   category in lower case (NHS Digital upper-cases it).
#' @param yes_no_lower Share of Y/N values (`ComplexSocialFactorsInd`,
#'   `DisabilityIndMother`, `MatPersCarePlanInd`, `ContCarePathInd`)
#'   delivered as `'y'`/`'n'`.
#' @param preg_outcome_invalid Share of babies with `PregOutcome` `'98'` in
#'   every submission (changes the record: not a valid outcome, so not counted
#'   as a birth; marked in `recording_problem`).
#' @param phen_sex_invalid Share of babies with `PersonPhenSex` `'X'` (not
#'   known; changes the record; marked in `recording_problem`).
#' @param care_plan_type_unknown Share of care plans also delivered as a copy
#'   with an unknown `CarePlanType` (`'99'`), which no measure reads.
#' @param lsoa_late Share of women whose first submission has no LSOA (nor
#'   IMD decile): the address is filled in later. Missing LSOAs in every
#'   submission come from `lsoa_missing` in [sim_recording()].
#' @param smoking_empty_from `SmokingStatusBooking` and
#'   `SmokingStatusDelivery` are empty in submissions from this month
#'   (January 2021; NHS Digital derives smoking from SNOMED codes instead).
#' @param first_submission_id `UniqSubmissionID` of the first submission;
#'   ids rise by one per provider-month submission, in the order they were
#'   made, so record numbers are about `first_submission_id * 1e9` (1e14).
#' @param validate If `TRUE`, [simulate_msds()] reads the extract with
#'   [as_msds()] and returns an `msds` object (de-duplicated to the latest
#'   submissions); if `FALSE`, it returns the extract's tables as delivered
#'   (class `msds_extract`), for [as_msds()].
#' @returns A list of class `mq_sim_realism` with the settings above.
#' @examples
#' sim_realism()
#' sim_realism(max_resubmissions = 1, future_appointments = 0)
#' @export
sim_realism <- function(max_resubmissions = 3, contact_resubmissions = 1,
                        provisional_from = as.Date("2023-04-01"),
                        provisional_differ = 0.01, future_appointments = 0.15,
                        ethnicity_invalid = 0.005, ethnicity_lower = 0.005,
                        yes_no_lower = 0.002, preg_outcome_invalid = 0.001,
                        phen_sex_invalid = 0.001, care_plan_type_unknown = 0.005,
                        lsoa_late = 0.03, smoking_empty_from = as.Date("2021-01-01"),
                        first_submission_id = 100000, validate = TRUE) {
  check_number(max_resubmissions, 1, 1000)
  check_number(contact_resubmissions, 1, 1000)
  rates <- list(provisional_differ = provisional_differ,
                future_appointments = future_appointments,
                ethnicity_invalid = ethnicity_invalid, ethnicity_lower = ethnicity_lower,
                yes_no_lower = yes_no_lower, preg_outcome_invalid = preg_outcome_invalid,
                phen_sex_invalid = phen_sex_invalid,
                care_plan_type_unknown = care_plan_type_unknown, lsoa_late = lsoa_late)
  for (nm in names(rates)) check_number(rates[[nm]], 0, 1, arg = nm)
  check_number(first_submission_id, 1, 5e6)
  check_flag(validate)
  dates <- list(provisional_from = provisional_from, smoking_empty_from = smoking_empty_from)
  for (nm in names(dates)) {
    d <- tryCatch(as.Date(dates[[nm]]), error = function(e) NA)
    if (length(d) != 1L || is.na(d)) cli::cli_abort("{.arg {nm}} must be a single date.")
    dates[[nm]] <- d
  }
  structure(c(list(max_resubmissions = as.integer(max_resubmissions),
                   contact_resubmissions = as.integer(contact_resubmissions)),
              dates["provisional_from"], rates, dates["smoking_empty_from"],
              list(first_submission_id = round(first_submission_id), validate = validate)),
            class = "mq_sim_realism")
}

#' @export
print.mq_sim_realism <- function(x, ...) {
  cat("<mq_sim_realism>\n")
  v <- vapply(unclass(x), function(e) format(e), "")
  print(noquote(v))
  invisible(x)
}

#' @export
print.msds_extract <- function(x, ...) {
  subs <- attr(x, "sim_submissions")
  cat(sprintf("<msds_extract> %d tables as delivered, %s submissions (%s providers); read with as_msds()\n",
              length(x), fmt_n(nrow(subs)), fmt_n(length(unique(subs$OrgCodeProvider)))))
  n <- vapply(x, nrow, 1L)
  cat(paste0("  ", format(names(x)), " ", format(fmt_n(n), justify = "right"), " rows"), sep = "\n")
  invisible(x)
}

# The realism stream's seed: derived from the main seed, so the clean tables'
# random numbers are drawn exactly as without realism.
sim_realism_seed <- function(seed) {
  as.integer((as.numeric(seed) * 40503 + 2718281) %% 2147483647)
}

# Month index (months since January 1900) of integer day numbers or Dates.
sim_month <- function(d) {
  d <- as.integer(d)
  u <- unique(d)
  lt <- as.POSIXlt(structure(as.numeric(u), class = "Date"))
  ((lt$year * 12L + lt$mon)[match(d, u)])
}
sim_month_start <- function(m) {
  as.integer(as.Date(sprintf("%04d-%02d-01", m %/% 12L + 1900L, m %% 12L + 1L)))
}

# The latest record of each key in a clean table (the clean simulator's
# superseded copies have lower RecordNumbers).
sim_latest <- function(df, key) {
  o <- order(df$RecordNumber, decreasing = TRUE, method = "radix")
  keep <- sort(o[!duplicated(df[[key]][o])])
  if (length(keep) == nrow(df)) return(df)
  tibble::new_tibble(lapply(as.list(df), `[`, keep), nrow = length(keep))
}

# The transformer. `holder` is an environment holding the clean msds object
# as `x` (so that its tables can be freed as they are transformed);
# `rz` from sim_realism(). Returns a list of class msds_extract with the
# clean object's attributes (truth, simulation, flags, sim_call) and
# `sim_submissions`.
sim_realise <- function(holder, rz) {
  x <- holder$x
  rm("x", envir = holder)
  at <- attributes(x)
  tb <- unclass(x)
  attributes(tb) <- list(names = names(tb))
  rm(x)
  sim <- at$simulation

  tb$MSD101PregnancyBooking <- sim_latest(tb$MSD101PregnancyBooking, "UniqPregID")
  tb$MSD001MotherDemog <- sim_latest(tb$MSD001MotherDemog, "Person_ID_Mother")
  bk <- tb$MSD101PregnancyBooking
  md <- tb$MSD001MotherDemog
  staff <- tb$MSD901StaffDetails
  bb <- tb$MSD401BabyDemographics
  np <- nrow(bk)
  provs <- sort(unique(c(bk$OrgCodeProvider, staff$OrgCodeProvider)))
  nprov <- length(provs)
  prov <- match(bk$OrgCodeProvider, provs)
  mother <- match(bk$Person_ID_Mother, md$Person_ID_Mother)
  bpreg <- match(bb$UniqPregID, bk$UniqPregID)
  birth <- rep(NA_integer_, np)
  birth[bpreg] <- as.integer(bb$PersonBirthDateBaby)
  book <- as.integer(bk$AntenatalAppDate)
  dis <- as.integer(bk$DischargeDateMatService)
  end <- dis
  end[is.na(end)] <- birth[is.na(end)] + 42L
  end[is.na(end)] <- book[is.na(end)] + 280L
  m0 <- sim_month(book)
  m1 <- pmax(sim_month(end), m0)
  mb <- sim_month(birth)

  # ---- the months in which each pregnancy is submitted (capped) -----------
  k <- pmin(rz$max_resubmissions, m1 - m0 + 1L)
  pm <- rep.int(seq_len(np), k)
  kk <- k[pm]
  step <- sim_if(kk > 1L, (m1 - m0)[pm] / pmax(kk - 1L, 1L), 0)
  mon <- m0[pm] + as.integer(round((sequence(k) - 1L) * step))
  m_last <- cumsum(k)                       # index of each pregnancy's last month
  mp <- sim_month(rz$provisional_from)
  pair <- mon >= mp
  # slots: one submission per month, two (provisional, final) from mp
  ns <- 1L + pair
  s_start <- cumsum(ns) - pair              # first slot of each month
  sm <- rep.int(seq_along(mon), ns)
  s_prov <- pair[sm] & sequence(ns) == 1L
  s_preg <- pm[sm]
  s_last <- cumsum(tabulate(s_preg, np))    # each pregnancy's last slot

  # ---- submissions: every provider, every month --------------------------
  M0 <- min(mon)
  M1 <- max(mon)
  nM <- M1 - M0 + 1L
  g_mon <- rep(M0:M1, each = 2L * nprov)
  g_prov <- rep(rep(seq_len(nprov), each = 2L), nM)
  g_provisional <- rep(c(FALSE, TRUE), nprov * nM)
  g_ok <- !g_provisional | g_mon >= mp
  g_time <- g_mon + 1L + (g_mon >= mp & !g_provisional)
  ok <- which(g_ok)
  ord <- ok[order(g_time[ok], g_prov[ok], g_mon[ok], method = "radix")]
  sub_id <- rep(NA_real_, length(g_ok))
  sub_id[ord] <- rz$first_submission_id + seq_along(ord) - 1
  sub_of <- function(p, m, provisional) ((m - M0) * nprov + p - 1L) * 2L + provisional + 1L
  s_sub <- sub_of(prov[s_preg], mon[sm], s_prov)
  rp_start <- sim_month_start(M0:(M1 + 1L))
  s_rpstart <- rp_start[mon[sm] - M0 + 1L]
  s_rpend <- rp_start[mon[sm] - M0 + 2L] - 1L
  s_mother <- mother[s_preg]
  # row numbers: one per woman per submission, shared by her records
  o <- order(s_sub, s_mother, method = "radix")
  a <- s_sub[o]
  b <- s_mother[o]
  nso <- length(o)
  newsub <- c(TRUE, a[-1L] != a[-nso])
  newg <- newsub | c(TRUE, b[-1L] != b[-nso])
  cg <- cumsum(newg)
  rn <- integer(nso)
  rn[o] <- cg - cg[newsub][cumsum(newsub)] + 1L
  s_rec <- sub_id[s_sub] * 1e9 + rn
  first_slot_of_woman <- o[newg]            # one slot per (submission, woman)
  rm(o, a, b, newsub, newg, cg, rn)

  # Copies of child rows: row i belongs to pregnancy ip[i] and is known from
  # month ma[i]; it is in the pregnancy's submitted months from then on (at
  # most `cap` of them, the latest), both submissions of a paired month.
  key <- pm * 1e5 + mon
  expand <- function(ip, ma, cap = .Machine$integer.max) {
    ma[is.na(ma)] <- 0L
    last <- m_last[ip]
    f0 <- pmin(findInterval(ip * 1e5 + ma - 0.5, key) + 1L, last)
    f <- pmax(f0, last - cap + 1L)
    a <- last - f + 1L
    r <- rep.int(seq_along(ip), a)
    mpos <- rep.int(f, a) + sequence(a) - 1L
    n2 <- ns[mpos]
    list(r = rep.int(r, n2), s = rep.int(s_start[mpos], n2) + sequence(n2) - 1L, f0 = f0)
  }
  # the rows in submission order, with the submission's columns
  # (a plain list of columns: made a tibble at the end)
  s_subid <- sub_id[s_sub]
  s_rank <- integer(length(s_rec))
  s_rank[order(s_rec, method = "radix")] <- seq_along(s_rec)
  finish <- function(df, r, s, tab) {
    o <- order(s_rank[s], r, method = "radix")
    r <- r[o]
    s <- s[o]
    cols <- lapply(as.list(df), sim_subset, r)
    cols$RecordNumber <- s_rec[s]
    cols$UniqSubmissionID <- s_subid[s]
    cols$RPStartDate <- structure(s_rpstart[s], class = "Date")
    cols$RPEndDate <- structure(s_rpend[s], class = "Date")
    id <- paste0(substr(tab, 1L, 6L), "_ID")
    cols <- c(stats::setNames(list(as.numeric(seq_along(r))), id), cols)
    list(df = cols, r = r, s = s, o = o)
  }
  u <- function(n) stats::runif(n)
  lower_some <- function(v, rate) {
    w <- which(!is.na(v) & u(length(v)) < rate)
    v[w] <- tolower(v[w])
    v
  }
  not_last <- function(s) s != s_last[s_preg[s]]
  out <- list()

  # ---- MSD001: one row per woman per submission ----------------------------
  s <- first_slot_of_woman
  res <- finish(md, s_mother[s], s, "MSD001MotherDemog")
  d <- res$df
  d$OrgCodeProvider <- provs[prov[s_preg[res$s]]]
  eth <- md$EthnicCategoryMother
  unk <- which(is.na(eth) | eth %in% c("Z", "99"))
  if (length(unk)) {
    px <- min(1, rz$ethnicity_invalid * nrow(md) / length(unk))
    xw <- unk[u(length(unk)) < px]
    d$EthnicCategoryMother[res$r %in% xw] <- "X"
  }
  d$EthnicCategoryMother <- lower_some(d$EthnicCategoryMother, rz$ethnicity_lower)
  late_w <- u(nrow(md)) < rz$lsoa_late
  first_s <- c(1L, s_last[-np] + 1L)[s_preg[res$s]] == res$s
  bl <- late_w[res$r] & first_s & not_last(res$s)
  d$LSOAMother2011[bl] <- NA_character_
  dec <- d$Rank_IMD_Decile_2015
  dec[bl] <- NA_integer_
  d$Rank_IMD_Decile_2015 <- sim_decile_text(dec)
  out$MSD001MotherDemog <- d

  # ---- MSD101: every submitted month ---------------------------------------
  e <- expand(seq_len(np), m0)
  res <- finish(bk, e$r, e$s, "MSD101PregnancyBooking")
  d <- res$df
  nl <- not_last(res$s)
  not_yet <- which(nl & s_rpend[res$s] < dis[res$r])
  d$DischargeDateMatService[not_yet] <- as.Date(NA)
  d$DischReason[not_yet] <- NA_character_
  pv <- which(s_prov[res$s] & u(length(res$r)) < rz$provisional_differ)
  d$GestAgeBooking[pv] <- d$GestAgeBooking[pv] + 7L
  for (f in c("ComplexSocialFactorsInd", "DisabilityIndMother")) {
    d[[f]] <- lower_some(d[[f]], rz$yes_no_lower)
  }
  nosmoke <- d$RPStartDate >= rz$smoking_empty_from
  d$SmokingStatusBooking[nosmoke] <- NA_character_
  d$SmokingStatusDelivery[nosmoke] <- NA_character_
  # smoking at delivery is known once the baby is born
  d$SmokingStatusDelivery[which(!(s_rpend[res$s] >= birth[res$r]))] <- NA_character_
  out$MSD101PregnancyBooking <- d
  tb$MSD001MotherDemog <- tb$MSD101PregnancyBooking <- NULL

  # ---- MSD102: from the month of the plan ----------------------------------
  cp <- tb$MSD102MatCarePlan
  xt <- which(u(nrow(cp)) < rz$care_plan_type_unknown)
  if (length(xt)) {
    extra <- tibble::new_tibble(lapply(as.list(cp), `[`, xt), nrow = length(xt))
    extra$CarePlanType <- "99"
    cp <- sim_rbind(cp, extra)
  }
  e <- expand(match(cp$UniqPregID, bk$UniqPregID), sim_month(cp$CarePlanDate))
  d <- finish(cp, e$r, e$s, "MSD102MatCarePlan")$df
  for (f in c("MatPersCarePlanInd", "ContCarePathInd")) d[[f]] <- lower_some(d[[f]], rz$yes_no_lower)
  out$MSD102MatCarePlan <- d
  tb$MSD102MatCarePlan <- NULL

  # ---- labour and babies: from the month of birth ---------------------------
  lab <- tb$MSD301LabourDelivery
  lpreg <- match(lab$UniqPregID, bk$UniqPregID)
  e <- expand(lpreg, mb[lpreg])
  out$MSD301LabourDelivery <- finish(lab, e$r, e$s, "MSD301LabourDelivery")$df
  la <- tb$MSD302CareActivityLabDel
  ip <- lpreg[match(la$LabourDeliveryID, lab$LabourDeliveryID)]
  la$ObsValue <- sim_if(is.na(la$ObsValue), NA_character_, format_number_text(la$ObsValue))
  e <- expand(ip, mb[ip])
  out$MSD302CareActivityLabDel <- finish(la, e$r, e$s, "MSD302CareActivityLabDel")$df
  nb <- nrow(bb)
  # only pregnancies without another recording problem get an invalid code,
  # so that each one is marked in recording_problem (one problem per record)
  markable <- sim$recording_problem[match(bb$UniqPregID, sim$UniqPregID)] %in% ""
  bad_out <- u(nb) < rz$preg_outcome_invalid & markable
  bad_sex <- u(nb) < rz$phen_sex_invalid & markable & !bad_out
  bb$PregOutcome[bad_out] <- "98"
  bb$PersonPhenSex[bad_sex] <- "X"
  death <- as.integer(bb$PersonDeathDateBaby)
  e <- expand(bpreg, mb[bpreg])
  res <- finish(bb, e$r, e$s, "MSD401BabyDemographics")
  d <- res$df
  d$PersonDeathDateBaby[not_last(res$s) & !is.na(death[res$r]) &
                          s_rpend[res$s] < death[res$r]] <- as.Date(NA)
  out$MSD401BabyDemographics <- d
  for (tab in c("MSD402NeonatalAdmission", "MSD405CareActivityBaby")) {
    t2 <- tb[[tab]]
    if (is.null(t2)) next
    ip <- bpreg[match(t2$Person_ID_Baby, bb$Person_ID_Baby)]
    if (tab == "MSD405CareActivityBaby") {
      t2$ApgarScore <- sim_if(is.na(t2$ApgarScore), NA_character_, as.character(t2$ApgarScore))
    }
    e <- expand(ip, mb[ip])
    out[[tab]] <- finish(t2, e$r, e$s, tab)$df
  }
  tb$MSD301LabourDelivery <- tb$MSD302CareActivityLabDel <- tb$MSD401BabyDemographics <- NULL
  tb$MSD402NeonatalAdmission <- tb$MSD405CareActivityBaby <- NULL
  problem <- sim$recording_problem
  set_problem <- function(i, what) problem[i] <<- what
  set_problem(match(bb$UniqPregID[bad_out], sim$UniqPregID), "invalid pregnancy outcome code")
  set_problem(match(bb$UniqPregID[bad_sex], sim$UniqPregID), "invalid phenotypic sex code")
  sim$recording_problem <- problem

  # ---- MSD901: every professional in every submission of the provider ------
  by_prov <- split(seq_len(nrow(staff)), factor(staff$OrgCodeProvider, levels = provs))
  ok_sub <- ord
  n_per <- lengths(by_prov)[g_prov[ok_sub]]
  sr <- unlist(by_prov[g_prov[ok_sub]], use.names = FALSE)
  sg <- rep.int(ok_sub, n_per)
  women <- tabulate(s_sub[first_slot_of_woman], length(g_ok))
  rn <- women[sg] + sequence(n_per)
  cols <- lapply(as.list(staff), `[`, sr)
  g_rpstart <- rp_start[g_mon - M0 + 1L]
  g_rpend <- rp_start[g_mon - M0 + 2L] - 1L
  out$MSD901StaffDetails <- c(
    list(MSD901_ID = as.numeric(seq_along(sr))), cols,
    list(RecordNumber = sub_id[sg] * 1e9 + rn, UniqSubmissionID = sub_id[sg],
         RPStartDate = structure(g_rpstart[sg], class = "Date"),
         RPEndDate = structure(g_rpend[sg], class = "Date")))

  # ---- contacts last: the biggest tables ------------------------------------
  cc <- tb$MSD201CareContactPreg
  act <- tb$MSD202CareActivityPreg
  tb$MSD201CareContactPreg <- tb$MSD202CareActivityPreg <- NULL
  cpreg <- match(cc$UniqPregID, bk$UniqPregID)
  cmon <- sim_month(cc$CContactDate)
  ac <- match(act$CareConID, cc$CareConID)
  e <- expand(cpreg[ac], cmon[ac], rz$contact_resubmissions)
  rm(ac)
  if (!is.null(act$ObsValue)) {
    act$ObsValue <- sim_if(is.na(act$ObsValue), NA_character_, format_number_text(act$ObsValue))
  }
  out$MSD202CareActivityPreg <- finish(act, e$r, e$s, "MSD202CareActivityPreg")$df
  rm(act, e)
  e <- expand(cpreg, cmon, rz$contact_resubmissions)
  # booked ahead: in the submission before the contact's, with AttendCode 0
  prev <- e$f0 - 1L
  fut <- which(prev >= 1L & e$f0 > c(0L, m_last)[cpreg] + 1L)
  fut <- fut[as.integer(cc$CContactDate[fut]) - rp_start[mon[prev[fut]] - M0 + 2L] < 62L]
  fut <- fut[u(length(fut)) < rz$future_appointments]
  n2 <- ns[prev[fut]]
  fr <- rep.int(fut, n2)
  fs <- rep.int(s_start[prev[fut]], n2) + sequence(n2) - 1L
  res <- finish(cc, c(e$r, fr), c(e$s, fs), "MSD201CareContactPreg")
  d <- res$df
  booked <- res$o > length(e$r)              # the booked-ahead copies
  d$AttendCode[booked] <- "0"
  pv <- which(s_prov[res$s] & u(length(res$r)) < rz$provisional_differ)
  d$CContactTime[pv] <- NA_character_
  out$MSD201CareContactPreg <- d
  rm(d, res, fr, fs, cc, e)

  out <- lapply(out[intersect(names(msds_tables), names(out))],
                function(cols) tibble::new_tibble(cols, nrow = length(cols[[1L]])))
  subs <- tibble::tibble(
    OrgCodeProvider = provs[g_prov[ord]], RPStartDate = structure(g_rpstart[ord], class = "Date"),
    RPEndDate = structure(g_rpend[ord], class = "Date"),
    submission = sim_if(g_provisional[ord], "provisional",
                        sim_if(g_mon[ord] >= mp, "final", "single")),
    UniqSubmissionID = sub_id[ord])
  structure(out, class = "msds_extract", truth = at$truth,
            truth_care_model = at$truth_care_model, care_model_risks = at$care_model_risks,
            simulation = sim,
            flags = at$flags, sim_call = at$sim_call, sim_submissions = subs, realism = rz)
}

# x[i] for the simulator's columns (Dates without `[.Date`'s dispatch).
sim_subset <- function(x, i) {
  if (identical(oldClass(x), "Date")) return(structure(unclass(x)[i], class = "Date"))
  x[i]
}

# Whole numbers as text without scientific notation ("850", "1500").
format_number_text <- function(v) {
  out <- as.character(v)
  w <- which(!is.na(v) & v == round(v))
  out[w] <- sprintf("%.0f", v[w])
  out
}

# Rank_IMD_Decile_2015 as NHS Digital delivers it.
sim_decile_text <- function(d) {
  labs <- c("01 - Most deprived", sprintf("%02d", 2:9), "10 - Least deprived")
  labs[d]
}

# simulate_msds()'s hook: the clean object (`x` in the environment
# `holder`, which is removed from it) to the real shapes, from the realism
# stream; read with as_msds() unless `validate = FALSE`.
sim_realism_apply <- function(holder, rz, seed) {
  ext <- with_seed(sim_realism_seed(seed), sim_realise(holder, rz))
  if (!rz$validate) return(ext)
  at <- attributes(ext)
  attributes(ext) <- list(names = names(ext))
  y <- as_msds(ext, flags = at$flags, quiet = TRUE)
  for (a in c("truth", "truth_care_model", "care_model_risks", "simulation", "sim_call",
              "sim_submissions", "realism")) attr(y, a) <- at[[a]]
  y
}
