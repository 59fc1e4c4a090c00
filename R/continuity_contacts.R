# The contact-carer table for continuity(): MSDS tables in; out, the
# antenatal and postnatal contacts and their activities as two levels of
# integer codes (the engine's assemble_activity_rows() makes one row per
# care activity from them; activity_frame() builds the rows in R where a
# measure needs them) and the intrapartum rows, with every excluded row
# counted.

phase_codes <- c(antenatal = 0L, intrapartum = 1L, postnatal = 2L, all = 3L)

# A data frame of equal-length columns, made without data.frame()'s or
# tibble()'s per-column checks: the internal activity tables are large and
# only subset and combined.
plain_frame <- function(...) {
  cols <- list(...)
  n <- length(cols[[1L]])
  stopifnot(all(lengths(cols) == n))
  structure(cols, class = "data.frame", row.names = .set_row_names(n))
}

# An exclusion-log row. kind "bad input" rows are warned about.
excl_row <- function(step, reason, n_rows, kind = "rule") {
  tibble::tibble(step = step, reason = reason, n_rows = as.integer(n_rows),
                 kind = kind)
}

# Rows holding the latest submission (highest RecordNumber) of each key:
# latest_per_key() with ambiguous keys (several rows at their highest
# RecordNumber) kept out entirely and counted in `tied`.
latest_record <- function(key, record) {
  latest_per_key(key, if (is.null(record)) list() else list(record), ties = "drop")
}

# Contact time to seconds after midnight: "HH:MM", "HH:MM:SS[.fff]", or a
# date-time ("YYYY-MM-DD HH:MM[:SS]", "YYYY-MM-DDTHH:MM:SS[.fff][Z]",
# "DD/MM/YYYY HH:MM[:SS]"), whose clock time is taken as written; NA when
# missing or unparseable (an hour over 23 or minutes over 59 included).
parse_contact_time <- function(x) contact_times(x)$time

# parse_contact_time(x[at]) (all of x when `at` is NULL) without making
# x[at], with the number of values present but unparseable (`unparsed`).
contact_times <- function(x, at = NULL) {
  n <- if (is.null(at)) length(x) else length(at)
  if (!is.character(x)) {
    present <- if (is.null(at)) sum(!is.na(x)) else sum(!is.na(x[at]))
    return(list(time = rep(NA_integer_, n), unparsed = present))
  }
  # each distinct value parsed once: a day has at most 86,400 distinct times
  u <- string_codes(x, at)
  su <- parse_clock(u$levels)
  list(time = su[u$code], unparsed = sum(tabulate(u$code, length(su))[is.na(su)]))
}

# parse_contact_time() on distinct values.
parse_clock <- function(u) {
  re <- paste0("^(?:(?:\\d{4}-\\d{2}-\\d{2}|\\d{1,2}/\\d{1,2}/\\d{4})[ T])?",
               "(\\d{1,2}):(\\d{2})(?::(\\d{2})(?:\\.\\d+)?)?(?:Z|[+-]\\d{2}:?\\d{2})?$")
  su <- rep(NA_integer_, length(u))
  ok <- which(grepl(re, u, perl = TRUE))
  if (length(ok)) {
    m <- regmatches(u[ok], regexec(re, u[ok], perl = TRUE))
    g <- matrix(unlist(m, use.names = FALSE), ncol = 4L, byrow = TRUE)
    hh <- as.integer(g[, 2]); mi <- as.integer(g[, 3])
    ss <- suppressWarnings(as.integer(g[, 4]))
    ss[is.na(ss)] <- 0L
    valid <- hh <= 23L & mi <= 59L & ss <= 59L
    su[ok[valid]] <- (hh * 3600L + mi * 60L + ss)[valid]
  }
  su
}

# Pregnancies to work on, with the columns continuity() needs. Columns the
# cohort lacks are taken from MSD101 (booking, discharge) or set to NA
# (care model).
continuity_pregnancies <- function(msds, cohort, call = rlang::caller_env()) {
  bk <- msds$MSD101PregnancyBooking
  lt <- latest_record(row_key(list(bk$Person_ID_Mother, bk$UniqPregID)), bk$RecordNumber)
  bk <- rows(bk, lt$keep, c("UniqPregID", "AntenatalAppDate", "DischargeDateMatService", "version"))
  if (is.null(cohort)) {
    preg <- tibble::tibble(preg_id = bk$UniqPregID)
  } else {
    check_data_frame(cohort, call = call)
    check_columns(cohort, "preg_id", table = "cohort", arg = "data", call = call)
    if (anyDuplicated(cohort$preg_id) || anyNA(cohort$preg_id)) {
      bad <- cohort$preg_id[duplicated(cohort$preg_id) | is.na(cohort$preg_id)]
      cli::cli_abort(c("{.arg data} must have one row per pregnancy.",
                       "x" = "{.field preg_id} is missing or repeated in {length(bad)} row{?s}: {example_values(bad)}."),
                     call = call)
    }
    preg <- tibble::tibble(preg_id = as.character(cohort$preg_id))
  }
  m <- match(preg$preg_id, bk$UniqPregID)
  from <- function(col, fallback) {
    if (!is.null(cohort) && col %in% names(cohort)) cohort[[col]] else fallback
  }
  preg$booking_date <- as.Date(from("booking_date", bk$AntenatalAppDate[m]))
  preg$discharge_date <- as.Date(from("discharge_date", bk$DischargeDateMatService[m]))
  na_chr <- rep(NA_character_, nrow(preg))
  preg$named_midwife <- as.character(from("named_midwife", na_chr))
  preg$named_team <- as.character(from("named_team", na_chr))
  preg$named_provider <- as.character(from("named_provider", na_chr))
  preg$coc_placed_date <- as.Date(from("coc_placed_date", rep(NA_real_, nrow(preg))))
  preg$coc_placed <- as.logical(from("coc_placed", rep(NA, nrow(preg))))
  # MSDS version of the pregnancy's record ("v1.5": no contact tables)
  preg$version <- as.character(from("version", if ("version" %in% names(bk)) bk$version[m] else rep("v2", nrow(preg))))
  has_model <- !is.null(cohort) && all(c("named_midwife", "named_team") %in% names(cohort))
  list(preg = preg, has_care_model = has_model,
       has_placed = !is.null(cohort) && all(c("coc_placed", "coc_placed_date") %in% names(cohort)),
       no_placed_date = !is.null(cohort) && "coc_placed" %in% names(cohort) &&
         !"coc_placed_date" %in% names(cohort))
}

# Staff status of professionals as codes (staff_codes): unknown (missing
# professional, or not in MSD901), midwife, other. The staff groups are read
# per MSD901 row and looked up per activity.
staff_codes <- c(unknown = 1L, midwife = 2L, other = 3L)

# staff_status_coded(): on (provider, professional) given as codes on their
# levels, looked up once per distinct pair.
staff_status_coded <- function(prof, prov, prof_levels, prov_levels, staff, staff_groups) {
  if (!length(prof)) return(integer())
  L <- length(prof_levels) + 1
  key <- as.double(if (anyNA(prov)) replace(prov, is.na(prov), 0L) else prov) * L +
    (if (anyNA(prof)) replace(prof, is.na(prof), 0L) else prof) + 1
  if ((length(prov_levels) + 1) * L <= 1e7) {
    key <- as.integer(key)
    u <- which(tabulate(key, (length(prov_levels) + 1) * L) > 0L)
    at <- integer(max(u))
    at[u] <- seq_along(u)
    at <- at[key]
  } else {
    u <- unique(key)
    at <- match(key, u)
  }
  pv <- (u - 1) %/% L
  pf <- (u - 1) %% L
  st <- staff_status_of(c(NA, prof_levels)[pf + 1], staff, staff_groups, c(NA, prov_levels)[pv + 1])
  st[at]
}

staff_status_of <- function(prof, staff, staff_groups, prov = NULL) {
  i <- staff_index(prof, prov, staff)
  if (!length(i)) return(integer())
  st <- 1L + (!is.na(staff$StaffGroup)) * (1L + !(staff$StaffGroup %in% staff_groups))
  c(st, 1L)[if (anyNA(i)) replace(i, is.na(i), length(st) + 1L) else i]
}

# Row of MSD901 for each professional: CareProfLID is local to a provider,
# so it is looked up with the provider (OrgCodeProvider + CareProfLID) when
# MSD901 has providers. Without a provider on one side, only an id that is
# unique in MSD901 is looked up. The activities' ids and providers are coded
# on MSD901's distinct values (lookups into a small table), and the pairs
# matched as integers.
staff_index <- function(prof, prov, staff) {
  n <- length(prof)
  if (is.null(staff) || !n || !n_rows(staff)) return(rep(NA_integer_, n))
  chr <- function(v) if (is.factor(v)) as.character(v) else v
  sid <- chr(staff$CareProfLID)
  unique_id <- function(p) {
    m <- match(p, sid)
    m[!is.na(m) & p %in% sid[duplicated(sid)]] <- NA_integer_
    m
  }
  if (!"OrgCodeProvider" %in% names(staff) || is.null(prov)) return(unique_id(prof))
  sp <- chr(staff$OrgCodeProvider)
  prof <- chr(prof)
  prov <- chr(prov)
  code_on <- function(x, u) {
    k <- match_strings(x, u)$index
    k[is.na(x)] <- NA_integer_
    k
  }
  su <- unique(sid)
  pu <- unique(sp)
  pc <- code_on(prof, su)
  L <- length(su)
  # a staff row's pair, -1 where either value is missing (never matched)
  key_t <- (as.double(code_on(sp, pu)) - 1) * L + code_on(sid, su)
  key_t[is.na(key_t)] <- -1
  key_x <- (as.double(code_on(prov, pu)) - 1) * L + pc
  idx <- if (length(pu) * L <= 1e7) {
    # a lookup table over the pairs: each pair's first MSD901 row
    lut <- rep(NA_integer_, length(pu) * L)
    r <- rev(which(key_t > 0))
    lut[key_t[r]] <- r
    lut[key_x]
  } else {
    match(key_x, key_t)
  }
  left <- which(is.na(idx) & !is.na(prof))
  if (length(left)) {
    # unique_id() on the codes: the id's first MSD901 row unless repeated there
    first <- match(su, sid)
    first[su %in% sid[duplicated(sid)]] <- NA_integer_
    m <- first[pc[left]]
    ok <- !is.na(m) & (is.na(prov[left]) | is.na(sp[m]))
    idx[left[ok]] <- m[ok]
  }
  idx
}

# Birth dates: the earliest baby's birth date per pregnancy and per labour.
birth_dates <- function(msds, preg_id) {
  bb <- msds$MSD401BabyDemographics
  bb <- rows(bb, latest_record(row_key(list(bb$UniqPregID, bb$Person_ID_Baby)), bb$RecordNumber)$keep,
             c("UniqPregID", "Person_ID_Baby", "LabourDeliveryID", "PersonBirthDateBaby",
               "CareProfLIDDel", "OrgCodeProvider"))
  m <- match_strings(bb$UniqPregID, preg_id)
  d <- if (m$table_unique) {
    min_by(as.numeric(bb$PersonBirthDateBaby), m$index, length(preg_id))
  } else {
    u <- unique(preg_id)
    min_by(as.numeric(bb$PersonBirthDateBaby), match(bb$UniqPregID, u), length(u))[match(preg_id, u)]
  }
  list(babies = bb, preg = as.Date(d, origin = "1970-01-01"))
}

# match(x, table) and whether table repeats a value (!anyDuplicated()), in
# one pass for character vectors (the engine's match_keys() on R's string
# cache), else through match().
match_strings <- function(x, table) {
  if (is.character(x) && is.character(table)) {
    r <- .cpp_match_strings(x, table)
    if (!is.null(r)) return(r)
  }
  list(index = match(x, table), table_unique = !anyDuplicated(table))
}

# Dense integer codes 1..k of x's values in order of first appearance (NA
# for a missing value), with the values: list(code, levels). Character
# vectors are coded on R's string cache in one pass.
string_codes <- function(x, at = NULL) {
  if (!is.null(at)) {
    # x[at] coded without making it (a plain character vector)
    r <- if (is.character(x) && is.null(attributes(x))) .cpp_string_codes_at(x, as.integer(at))
    if (!is.null(r)) return(list(code = r$code, levels = x[at[r$first]]))
    return(string_codes(x[at]))
  }
  if (is.factor(x)) x <- as.character(x)
  r <- if (is.character(x)) .cpp_string_codes(x) else if (is.integer(x) && !is.factor(x)) .cpp_int_codes(x)
  if (!is.null(r)) return(list(code = r$code, levels = x[r$first]))
  lv <- unique(x[!is.na(x)])
  list(code = match(x, lv), levels = lv)
}

# Each pregnancy's named value (strings) as a code on `levels`, for
# comparing with coded rows as the strings compare: NA when missing, 0 (no
# row's code) when not among the levels.
named_codes <- function(named, levels) {
  code <- match_strings(as.character(named), levels)$index
  code[is.na(code) & !is.na(named)] <- 0L
  code
}

# x == table[at] (NA when either is missing), compared on R's string cache
# when the strings carry no encoding mark.
equal_at <- function(x, table, at) {
  if (is.character(x) && is.character(table)) {
    r <- .cpp_equal_at(x, table, as.integer(at))
    if (!is.null(r)) return(r)
  }
  x == table[at]
}

# x %in% TRUE and x %in% FALSE; a plain logical x in one pass (no match(),
# no is.na() and `&` temporaries), one with attributes as `&` keeps them.
known_true <- function(x) {
  if (!is.logical(x)) return(x %in% TRUE)
  if (is.null(attributes(x))) .cpp_known_logical(x, TRUE) else !is.na(x) & x
}
known_false <- function(x) {
  if (!is.logical(x)) return(x %in% FALSE)
  if (is.null(attributes(x))) .cpp_known_logical(x, FALSE) else !is.na(x) & !x
}

# x %in% table through the same pass.
in_strings <- function(x, table, as_int = FALSE) {
  if (is.character(x) && is.character(table)) {
    r <- .cpp_in_strings(x, table, as_int)
    if (!is.null(r)) return(r)
  }
  if (as_int) as.integer(x %in% table) else x %in% table
}

# Each activity's contact (MSD202 -> MSD201) and labour (MSD302 -> MSD301)
# in the msds tables as they are: matched once per continuity() call and
# used by every step that needs them. Returns list(ac_cc, la_ld), each a
# scoped_match() result, cc_unique_id, and the large string columns coded
# once (string_codes(): ac_prof, ac_team of MSD202, cc_prov of MSD201) with
# MSD201's attended flag (cc_attended, 1 for AttendCode 5 or 6, else 0).
activity_links <- function(msds) {
  cc <- msds$MSD201CareContactPreg
  # whether no two contact rows share a CareConID, found once: then an
  # activity's contact is the row of its CareConID and every contact key is
  # one row
  ac <- msds$MSD202CareActivityPreg
  m <- match_strings(ac$CareConID, cc$CareConID)
  unique_id <- m$table_unique
  scoped <- "UniqPregID" %in% names(ac) && "UniqPregID" %in% names(cc)
  list(ac_cc = if (unique_id && !scoped) list(index = m$index, ambiguous = 0L) else
         scoped_match(ac, cc, "CareConID"),
       la_ld = scoped_match(msds$MSD302CareActivityLabDel, msds$MSD301LabourDelivery,
                            "LabourDeliveryID"),
       cc_unique_id = unique_id,
       ac_prof = string_codes(ac$CareProfLID), ac_team = string_codes(ac$TeamLocalID),
       cc_prov = string_codes(cc$OrgCodeProvider),
       cc_attended = attended_codes(cc$AttendCode))
}

# 1 for an attended contact (AttendCode 5 or 6), else 0.
attended_codes <- function(x) in_strings(x, c("5", "6"), as_int = TRUE)

# Antenatal and postnatal contacts from MSD201 + MSD202 + MSD901, in two
# levels (the activity rows are not built): `a` holds the kept contacts
# (preg, date, time, code, phase, and kept_row, their MSD201 row), each
# MSD201 row's position among them (cc_pos), provider (cc_prov) and
# attended flag (cc_attended), and each MSD202 row's contact row (contact),
# professional (prof) and team (team); prof, team and prov are codes on
# `levels` (list(prof, team, prov)). `pairs` gives the staff status
# (staff_codes) of the (provider, professional) pairs of the rows. The rows
# are the activities of kept contacts in record order (a contact's first
# activity first), then one row with no professional per kept contact with
# no activity record; activity_frame() builds them. Works on the columns it
# needs, as plain vectors.
pregnancy_contacts <- function(msds, preg, birth, staff_groups, links = activity_links(msds),
                               nthreads = 1L) {
  log <- list()
  cc <- msds$MSD201CareContactPreg
  cols <- c("UniqPregID", "CareConID", "RecordNumber", "OrgCodeProvider", "CContactDate",
            "CContactTime", "AttendCode")
  # CareConID is local to a provider: a contact is UniqPregID + CareConID.
  # as_msds() already kept the latest submission (counted there); this is a
  # no-op on its objects.
  # (no two rows share a CareConID: every row is its key's latest)
  lt <- if (isTRUE(links$cc_unique_id)) list(keep = NULL, superseded = 0L, tied = 0L) else
    latest_record(row_key(list(cc$UniqPregID, cc$CareConID)), cc$RecordNumber)
  log[[1]] <- excl_row("contacts", "earlier submission of a contact (UniqPregID + CareConID; superseded by the latest)",
                       lt$superseded + submissions_removed(msds, "MSD201CareContactPreg"))
  log[[2]] <- excl_row("contacts", "duplicate contact (UniqPregID + CareConID) at the same RecordNumber (ambiguous, excluded)", lt$tied, "bad input")
  ac <- msds$MSD202CareActivityPreg
  # activities to their contact on UniqPregID + CareConID (or CareConID +
  # RecordNumber), matched against every contact before the cohort filter
  # (the call's links when no contact was superseded here)
  all_kept <- is.null(lt$keep) || all(lt$keep)
  cc <- if (all_kept) unclass(cc)[intersect(cols, names(cc))] else rows(cc, lt$keep, cols)
  sm <- if (all_kept) links$ac_cc else scoped_match(ac, cc, "CareConID")
  log[[11]] <- excl_row("contacts", "activity whose CareConID is used by several contacts and cannot be placed (no UniqPregID or RecordNumber match; excluded)",
                        sm$ambiguous, "bad input")
  p_all <- match_strings(cc$UniqPregID, preg$preg_id)$index
  # the date filters and the phases in one engine pass, on the dates'
  # numbers; it returns the kept contacts' rows, pregnancies and dates
  cd <- cc$CContactDate
  if (!is.double(cd)) cd <- as.numeric(cd)
  sc <- .cpp_screen_contacts(as.integer(p_all), cd, as.numeric(preg$booking_date),
                             as.numeric(preg$discharge_date), as.numeric(birth$preg),
                             phase_codes[["antenatal"]], phase_codes[["postnatal"]])
  known <- cc$UniqPregID[sc$no_preg] %in% msds$MSD101PregnancyBooking$UniqPregID
  log[[3]] <- excl_row("contacts", "contact's pregnancy is not in the cohort", sum(known), "outside cohort")
  log[[10]] <- excl_row("contacts", "contact's pregnancy is not in MSD101", sum(!known), "bad input")
  log[[4]] <- excl_row("contacts", "contact date missing", sc$no_date, "bad input")
  log[[5]] <- excl_row("contacts", "contact dated before booking", sc$early, "bad input")
  log[[6]] <- excl_row("contacts", "contact dated after discharge", sc$late, "bad input")
  pos <- sc$pos  # contact row -> row of the kept contacts
  ki <- sc$kept  # the contacts kept, as rows of cc
  p <- sc$preg
  date <- sc$date
  n_kept <- length(ki)
  has_time <- "CContactTime" %in% names(cc)
  ctm <- if (has_time) contact_times(cc$CContactTime, ki) else list(time = rep(NA_integer_, n_kept), unparsed = 0L)
  tm <- ctm$time
  bad_time <- ctm$unparsed
  rm(ctm)
  log[[7]] <- excl_row("contacts", "contact time unparseable (kept; ordered last within the day)", bad_time)
  log[[8]] <- excl_row("contacts", "contact on the day of birth (classed postnatal)", sc$birth_day)
  cc_prov <- if (all_kept) links$cc_prov else string_codes(cc$OrgCodeProvider)
  a <- list(
    cc_pos = pos, kept_row = ki, preg = p, date = date, time = tm,
    code = contact_codes(p, date, tm, cc$CareConID, nrow(preg), nthreads, at = ki),
    phase = sc$phase, cc_prov = cc_prov$code,
    cc_attended = if (all_kept) links$cc_attended else attended_codes(cc$AttendCode),
    contact = as.integer(sm$index), prof = links$ac_prof$code, team = links$ac_team$code
  )
  lv <- list(prof = links$ac_prof$levels, team = links$ac_team$levels, prov = cc_prov$levels)
  # every activity row of a kept contact is used (as_msds() removed
  # repeats); the staff status looked up once per (provider, professional)
  pairs <- .cpp_activity_pairs(a$cc_pos, a$kept_row, a$cc_prov, a$contact, a$prof, FALSE)
  log[[9]] <- excl_row("contacts", "contact with no activity record (no carer)", pairs$n_none)
  pairs <- list(prov = pairs$prov, prof = pairs$prof,
                staff = staff_status_of(lv$prof[pairs$prof], msds$MSD901StaffDetails, staff_groups,
                                        lv$prov[pairs$prov]))
  # each MSD201 row's pregnancy, for the NHS measure (when cc is the table)
  list(a = a, pairs = pairs, levels = lv, log = log, n_contacts = n_kept,
       cc_preg = if (all_kept) p_all)
}

# The activity rows of pregnancy_contacts() as a data frame (preg, date,
# time, contact, prof, team, phase, attended, staff, prov), for the
# measures that work on them row by row.
activity_frame <- function(pc) {
  a <- pc$a
  # the rows in the engine's order, each with its kept contact, activity and
  # (provider, professional) pair
  r <- .cpp_activity_pairs(a$cc_pos, a$kept_row, a$cc_prov, a$contact, a$prof, TRUE)
  k <- r$row_contact
  i <- r$row_activity
  plain_frame(
    preg = a$preg[k], date = a$date[k], time = a$time[k], contact = a$code[k],
    prof = a$prof[i], team = a$team[i], phase = a$phase[k],
    attended = a$cc_attended[a$kept_row][k] == 1L,
    staff = pc$pairs$staff[r$row_pair],
    prov = a$cc_prov[a$kept_row][k]
  )
}

# Contact codes 1..n for the engine: within a pregnancy they must order
# contacts of the same date and time by CareConID (C locale); contacts at
# different times are ordered by date and time before the code is looked
# at. The engine's contact_order_codes() sorts each pregnancy's contacts by
# (date, time, id, row), comparing id strings only where date and time tie;
# a missing time sorts last. Contact i's id is id[at[i]] (all of id when
# `at` is NULL).
contact_codes <- function(p, date, time, id, n_preg = max(p, 0L), nthreads = 1L, at = NULL) {
  if (!length(p)) return(integer())
  if (!is.character(id)) id <- as.character(id)
  .cpp_contact_codes(as.integer(p), as.integer(date), as.integer(time), id,
                     if (is.null(at)) integer() else as.integer(at),
                     as.integer(n_preg), as.integer(nthreads))
}

# Intrapartum "contacts": each MSD302 labour-care activity, then each baby's
# professional at delivery (MSD401 CareProfLIDDel), dated at the birth.
# `act` holds their pregnancy, date (NA without a birth date), contact code
# (after `base`), professional, team and provider as codes on `levels`
# (pregnancy_contacts()'s, extended: returned as `levels`, the first
# `dated_levels` of each being all the dated rows use), staff status, and
# whether the row is a labour activity (else a delivery).
intrapartum_contacts <- function(msds, preg, birth, staff_groups, base,
                                 links = activity_links(msds), levels) {
  log <- list()
  ld <- msds$MSD301LabourDelivery
  # LabourDeliveryID is local to a provider: a labour is UniqPregID + LabourDeliveryID
  lt <- latest_record(row_key(list(ld$UniqPregID, ld$LabourDeliveryID)), ld$RecordNumber)
  ld <- rows(ld, lt$keep, c("UniqPregID", "LabourDeliveryID", "RecordNumber", "OrgCodeProvider"))
  la <- msds$MSD302CareActivityLabDel
  il <- if (all(lt$keep)) links$la_ld$index else scoped_match(la, ld, "LabourDeliveryID")$index
  in_cohort <- in_strings(ld$UniqPregID, preg$preg_id)
  keep_la <- which(!is.na(il) & in_cohort[il])
  il <- il[keep_la]
  # labour activities in (LabourDeliveryID, UniqPregID, record) order: the
  # labours ranked once (each pair is one labour row after latest_record()),
  # the activities sorted on the integer ranks
  lo <- order(ld$LabourDeliveryID, ld$UniqPregID, method = "radix")
  n_ld <- length(lo)
  ld_rank <- integer(n_ld)
  ld_rank[lo] <- seq_len(n_ld)
  o <- order(ld_rank[il], method = "radix")  # stable: record order within a labour
  keep_la <- keep_la[o]
  il <- il[o]
  lp <- match_strings(ld$UniqPregID[il], preg$preg_id)$index
  bb <- birth$babies
  # a labour's date: its earliest baby's birth date (babies joined on
  # UniqPregID + LabourDeliveryID), else the pregnancy's
  bl <- match_rows(list(bb$UniqPregID, bb$LabourDeliveryID), list(ld$UniqPregID, ld$LabourDeliveryID))
  lab_date <- min_by(bb$PersonBirthDateBaby, bl, n_ld)
  # day numbers (the Date class is not needed: they become integers below)
  ldate <- .subset(lab_date, il)
  miss <- which(is.na(ldate))
  ldate[miss] <- .subset(birth$preg, lp[miss])
  ld_prov <- ld$OrgCodeProvider
  labour_pregs <- ld$UniqPregID[in_cohort]
  bi <- which(in_strings(bb$UniqPregID, preg$preg_id))
  bi <- bi[order(bb$Person_ID_Baby[bi], method = "radix")]
  n_bb <- length(bi)
  n_la <- length(il)
  n <- n_la + n_bb
  date <- c(as.integer(ldate), as.integer(bb$PersonBirthDateBaby[bi]))
  dated <- !is.na(date)
  # professionals, teams and providers coded onto the other rows' levels
  # from each table's own codes, in two parts (labour activities,
  # deliveries), without building string vectors of the rows.
  # CareProfLIDDel is optional: without it no professional at delivery.
  part <- function(x, i) {
    co <- string_codes(x)
    list(code = co$code[i], levels = co$levels)
  }
  no_values <- list(code = rep(NA_integer_, n_bb), levels = character())
  parts <- list(
    prof = list(part(la$CareProfLID, keep_la),
                if ("CareProfLIDDel" %in% names(bb)) part(bb$CareProfLIDDel, bi) else no_values),
    team = list(part(la$TeamLocalID, keep_la), no_values),
    prov = list(part(ld_prov, il), part(bb$OrgCodeProvider, bi)))
  coded <- lapply(stats::setNames(names(parts), names(parts)),
                  function(nm) code_parts_onto(parts[[nm]], dated, levels[[nm]]))
  rm(parts)
  lv <- lapply(coded, `[[`, "levels")
  act <- plain_frame(
    preg = c(lp, match_strings(bb$UniqPregID[bi], preg$preg_id)$index),
    date = date,
    contact = base + seq_len(n),
    prof = coded$prof$code,
    team = coded$team$code,
    staff = staff_status_coded(coded$prof$code, coded$prov$code, lv$prof, lv$prov,
                               msds$MSD901StaffDetails, staff_groups),
    prov = coded$prov$code,
    labour = rep(c(TRUE, FALSE), c(n_la, n_bb))
  )
  log[[1]] <- excl_row("labour", "labour activity or delivery with no birth date (left out of the intrapartum phase)", sum(!dated))
  list(act = act, log = log, labours = list(UniqPregID = labour_pregs), levels = lv,
       dated_levels = vapply(coded, `[[`, 1L, "n_dated"))
}

# The concatenated values of `parts` coded onto `levels` (values already
# there keep their code, new values follow in order of first appearance),
# without building them: each part is list(code, levels), its rows' codes
# on its own levels. The values of the rows marked `dated` (a logical over
# the concatenation) are coded first, so those rows' codes are what coding
# the dated rows alone gives; the other rows' new values follow. Works on the parts' codes
# and distinct values only. Returns list(code, levels, n_dated: the number
# of levels the dated rows use).
code_parts_onto <- function(parts, dated, levels) {
  at <- cumsum(c(0L, vapply(parts, function(p) length(p$code), 1L)))
  maps <- lapply(parts, function(p) rep(NA_integer_, length(p$levels)))  # part level -> level
  n_dated <- NA_integer_
  for (want in c(TRUE, FALSE)) {
    for (k in seq_along(parts)) {
      # the part's values not yet among the levels (an earlier part may have
      # added them)
      open <- which(is.na(maps[[k]]))
      if (length(open)) maps[[k]][open] <- match_strings(parts[[k]]$levels[open], levels)$index
      u <- .cpp_first_unmapped(parts[[k]]$code, dated, at[k], want, maps[[k]])
      if (!length(u)) next
      maps[[k]][u] <- length(levels) + seq_along(u)
      levels <- c(levels, parts[[k]]$levels[u])
    }
    if (want) n_dated <- length(levels)
  }
  code <- unlist(lapply(seq_along(parts), function(k) maps[[k]][parts[[k]]$code]), use.names = FALSE)
  if (is.null(code)) code <- integer()
  list(code = code, levels = levels, n_dated = n_dated)
}
