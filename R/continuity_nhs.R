# The NHS continuity measures (DOMAIN section 4): COC_receiving_ongoing and
# 'known midwife at birth'. `act` holds the antenatal/postnatal activity rows
# left after the bad-input exclusions (before the attended/midwifery
# options; prof, team and prov coded on `lv`), `ip` the intrapartum rows. `definition` chooses
# COC_receiving_ongoing as NHS Digital computes it ("nhs", from the MSDS
# tables) or the package's earlier rule ("research", from `act`).
nhs_continuity_measures <- function(msds, act, ip, preg, pr, staff_groups,
                                    definition, nthreads, links = activity_links(msds),
                                    lv = NULL, cc_preg = NULL) {
  P <- nrow(preg)
  out <- list(coc_contacts = rep(NA_integer_, P), coc_share = rep(NA_real_, P),
              coc_receiving = rep(NA, P), known_midwife_at_birth = rep(NA, P))
  if (!pr$has_care_model) return(out)
  nm <- preg$named_midwife
  nt <- preg$named_team
  np <- preg$named_provider
  # on the intrapartum rows' codes (ip$levels)
  ilv <- ip$levels
  nm_code <- named_codes(nm, ilv$prof)
  nt_code <- named_codes(nt, ilv$team)
  np_code <- named_codes(np, ilv$prov)
  # the row is by the named midwife or team, unless both its provider and
  # the plan's are known and differ (one engine pass over the codes)
  per_preg <- function(code) if (length(code) == P) as.integer(code) else rep(NA_integer_, P)
  nm_code <- per_preg(nm_code)
  nt_code <- per_preg(nt_code)
  np_code <- per_preg(np_code)
  np_given <- if (is.null(np)) integer(P) else as.integer(!is.na(np))
  is_named <- function(prof, team, p, prov) {
    .cpp_named_any(as.integer(prof), as.integer(team), as.integer(prov), as.integer(p),
                   nm_code, nt_code, np_code, np_given)
  }

  rec <- if (definition == "nhs") {
    coc_receiving_nhs(msds, preg, staff_groups, links, cc_preg)
  } else {
    coc_receiving_research(act, lv, ip, preg, is_named, nthreads)
  }
  out$coc_contacts <- rec$n
  out$coc_share <- ifelse(rec$n > 0L, rec$hit / rec$n, NA_real_)
  if (pr$has_placed) out$coc_receiving <- rec$receiving

  # known midwife at birth
  ia <- ip$act
  # team memberships are local to a provider: (provider, professional, team)
  cp <- msds$MSD102MatCarePlan
  ld <- msds$MSD301LabourDelivery
  la <- msds$MSD302CareActivityLabDel
  in_team <- in_recorded_team(ia$prov, ia$prof, nt[ia$preg], ilv, list(
    team_pairs(cp, function(i) cp$OrgCodeProvider[i]),
    coded_team_pairs(links),
    team_pairs(la, function(i) ld$OrgCodeProvider[links$la_ld$index[i]])))
  known <- group_any(ia$preg, is_named(ia$prof, ia$team, ia$preg, ia$prov) | in_team, P)
  has_labour <- in_strings(preg$preg_id, ip$labours$UniqPregID)
  has_record <- has_labour | tabulate(ia$preg, P) > 0L
  kmb <- rep(NA, P)
  ok <- has_record & !(is.na(nm) & is.na(nt))
  kmb[ok] <- known[ok]
  out$known_midwife_at_birth <- kmb
  out
}

# Professional-team memberships recorded in a table: a function of the
# distinct providers, professionals and teams of interest (uprov starts with
# NA) and of the distinct triples asked about (au: their positions among
# those values, and their triple_code()) saying which of the triples the
# table's (provider, professional, team) rows record. `prov_of(i)` gives the
# providers of rows i (NULL when the table has none).
team_pairs <- function(df, prov_of) {
  function(uprov, uprof, uteam, au) {
    if (is.null(df) || !all(c("CareProfLID", "TeamLocalID") %in% names(df))) return(logical(length(au$code)))
    i <- which(in_strings(df$TeamLocalID, uteam))
    i <- i[in_strings(df$CareProfLID[i], uprof)]
    prov <- prov_of(i)
    if (is.null(prov)) prov <- rep(NA_character_, length(i))
    have <- triple_code(match_strings(as.character(prov), uprov)$index,
                        match_strings(df$CareProfLID[i], uprof)$index,
                        match_strings(df$TeamLocalID[i], uteam)$index, uprof, uteam)
    tabulate(match(have, au$code), length(au$code)) > 0L
  }
}

# team_pairs() for MSD202 through the call's coded columns (links), in one
# engine pass (recorded_triples()): the levels are matched, the rows only
# looked up; an activity's provider is its contact's.
coded_team_pairs <- function(links) {
  function(uprov, uprof, uteam, au) {
    pf <- links$ac_prof
    tm <- links$ac_team
    .cpp_recorded_triples(
      au$prov, au$prof, au$team, length(uprof), length(uteam),
      as.integer(links$ac_cc$index), as.integer(pf$code), as.integer(tm$code),
      as.integer(links$cc_prov$code),
      match(links$cc_prov$levels, uprov), match(pf$levels, uprof), match(tm$levels, uteam),
      1L)  # a missing provider is uprov[1], NA
  }
}

# A (provider, professional, team) triple from its positions among the
# distinct values asked about.
triple_code <- function(pv, pf, tm, uprof, uteam) {
  (as.double(pv) * (length(uprof) + 1) + pf) * (length(uteam) + 1) + tm
}

# Whether each (provider, professional, team) is among the memberships the
# tables record (a missing provider equals a missing provider); FALSE where
# the professional or the team is missing. `prov` and `prof` are codes on
# levels$prov and levels$prof, `team` strings. The triples are coded on the
# few distinct values asked about, so the tables' rows are only looked up.
in_recorded_team <- function(prov, prof, team, levels, tables) {
  out <- logical(length(prof))
  want <- which(!is.na(prof) & !is.na(team))
  if (!length(want)) return(out)
  # the distinct values in order of first appearance, a missing provider
  # first (uprov[1] is NA)
  cv <- string_codes(prov[want])
  uprov <- c(NA_character_, levels$prov[cv$levels])
  pv <- if (anyNA(cv$code)) replace(cv$code, is.na(cv$code), 0L) + 1L else cv$code + 1L
  cf <- string_codes(prof[want])
  ct <- string_codes(team[want])
  uprof <- levels$prof[cf$levels]
  uteam <- ct$levels
  pf <- cf$code
  tm <- ct$code
  asked <- triple_code(pv, pf, tm, uprof, uteam)
  first <- which(!duplicated(asked))
  au <- list(prov = pv[first], prof = pf[first], team = tm[first], code = asked[first])
  seen <- logical(length(first))
  for (f in tables) seen <- seen | f(uprov, uprof, uteam, au)
  out[want] <- seen[match(asked, au$code)]
  out
}

# COC_receiving_ongoing as NHS Digital's code computes it (the published
# COC_receiving_ongoing notebook): for a placed pregnancy, the contacts
# (MSD201, AttendCode 5 or 6) dated from the placing plan's CarePlanDate
# (coc_placed_date) to the latest non-null DischargeDateMatService of the
# pregnancy's MSD101 rows (on or after that plan), with their MSD202
# activities by professionals that MSD901 lists with a midwifery StaffGroup
# (joined on CareProfLID alone, as the code joins); a contact is a distinct
# (CareConID, CContactDate); it involves the named midwife or team when one
# of those activities has the plan's CareProfLID or TeamLocalID. Receiving:
# at least 70% of the contacts do, and, when the pregnancy has an MSD301
# labour record, one of its MSD302 rows (any professional) has the plan's
# CareProfLID or TeamLocalID. Placed but not discharged: FALSE. Returns
# list(n, hit, receiving); n and hit are NA without a window.
coc_receiving_nhs <- function(msds, preg, staff_groups, links = activity_links(msds),
                              cc_preg = NULL) {
  P <- nrow(preg)
  placed <- preg$coc_placed
  nm <- preg$named_midwife
  nt <- preg$named_team
  start <- as.numeric(preg$coc_placed_date)
  start[!placed %in% TRUE] <- NA_real_
  # the latest non-null discharge date over every submission, if on or
  # after the placing plan
  bk <- msds_discharge_rows(msds)
  disch <- as.numeric(bk$DischargeDateMatService)
  ib <- match(bk$UniqPregID, preg$preg_id)
  end <- rep(NA_real_, P)
  ok <- which(!is.na(ib) & !is.na(disch))
  if (length(ok)) {
    o <- ok[order(ib[ok], -disch[ok], method = "radix")]
    f <- o[!duplicated(ib[o])]
    end[ib[f]] <- disch[f]
  }
  end[!is.na(end) & !is.na(start) & end < start] <- NA_real_
  window <- !is.na(start) & !is.na(end)

  cc <- msds$MSD201CareContactPreg
  pc <- cc_preg %||% match(cc$UniqPregID, preg$preg_id)
  cd <- cc$CContactDate
  if (!is.double(cd)) cd <- as.numeric(cd)
  st <- msds$MSD901StaffDetails
  midwives <- unique(st$CareProfLID[!is.na(st$CareProfLID) & st$StaffGroup %in% staff_groups])
  # a contact is a distinct (CareConID, CContactDate) of the pregnancy: its
  # row, when no two contact rows share a CareConID
  key <- if (links$cc_unique_id %||% !anyDuplicated(cc$CareConID)) seq_along(pc) else
    combined_codes(list(pc, cc$CareConID, cd))
  # MSD202's professionals and teams through the call's codes
  pf <- links$ac_prof
  tm <- links$ac_team
  counts <- .cpp_coc_window_counts(
    as.integer(pc), cd, as.integer(links$cc_attended), as.integer(key), length(key),
    links$ac_cc$index, pf$code, tm$code, as.integer(in_strings(pf$levels, midwives)),
    start, end, match(nm, pf$levels), match(nt, tm$levels))
  n <- counts$n
  hit <- counts$hit

  # the labour condition: MSD302 rows of the pregnancy (by UniqPregID, or
  # through their labour record)
  ld <- msds$MSD301LabourDelivery
  has_labour <- in_strings(preg$preg_id, ld$UniqPregID[!is.na(ld$LabourDeliveryID)])
  la <- msds$MSD302CareActivityLabDel
  lp <- if ("UniqPregID" %in% names(la)) la$UniqPregID else rep(NA_character_, n_rows(la))
  via <- is.na(lp)
  if (any(via)) lp[via] <- ld$UniqPregID[links$la_ld$index[via]]
  pl <- match_strings(lp, preg$preg_id)$index
  lab_named <- known_true(equal_at(la$CareProfLID, nm, pl)) | known_true(equal_at(la$TeamLocalID, nt, pl))
  labour_ok <- group_any(pl, lab_named, P)

  receiving <- rep(NA, P)
  receiving[placed %in% FALSE] <- FALSE
  on <- placed %in% TRUE
  # at least 70%, in whole numbers: 10 * hits >= 7 * contacts
  receiving[on] <- (window & n > 0L & 10 * hit >= 7 * n & (!has_labour | labour_ok))[on]
  receiving[on & is.na(preg$coc_placed_date)] <- NA  # placed, but no placing date given
  n[!window] <- NA_integer_
  hit[!window] <- NA_integer_
  list(n = n, hit = hit, receiving = receiving)
}

# COC_receiving_ongoing under the package's earlier rule: attended contacts
# from `act` (bad input already excluded) dated from coc_placed_date to the
# cohort's discharge date having an activity by a midwifery professional
# (MSD901 looked up with the provider), of which at least 70% have an
# activity (by anyone) by the named midwife or team at the plan's provider;
# the labour condition on MSD302 rows at that provider. Placed but not yet
# discharged: NA. Without a placing date n and hit are NA.
coc_receiving_research <- function(act, lv, ip, preg, is_named, nthreads) {
  P <- nrow(preg)
  p <- act$preg
  start <- as.integer(preg$coc_placed_date)[p]
  end <- as.integer(preg$discharge_date)[p]
  in_win <- act$attended & !is.na(start) & act$date >= start &
    (is.na(end) | act$date <= end)
  w <- act[in_win, , drop = FALSE]
  w <- w[w$contact %in% w$contact[w$staff == staff_codes[["midwife"]]], , drop = FALSE]
  # the kernel counts them with one pseudo-carer, so every contact is counted once
  res <- continuity_engine(w, list(code = rep(1L, nrow(w)), first = 1L), lv, preg, "all",
                           c(upc = 1L, coc = 2L, hhi = 1L, secon = 2L, mmci = 1L, share = 1L),
                           "drop", FALSE, nthreads)
  n <- res$n_contacts
  hit <- res$n_named_any
  la <- ip$act[ip$act$labour, , drop = FALSE]
  has_labour <- preg$preg_id %in% ip$labours$UniqPregID
  labour_named <- group_any(la$preg, is_named(la$prof, la$team, la$preg, la$prov), P)
  placed <- preg$coc_placed
  receiving <- ifelse(is.na(placed), NA, FALSE)
  assess <- placed %in% TRUE & !is.na(preg$discharge_date)
  # at least 70%, in whole numbers: 10 * hits >= 7 * contacts
  ok <- n > 0L & 10 * hit >= 7 * n & (!has_labour | labour_named)
  receiving[assess] <- ok[assess]
  receiving[placed %in% TRUE & is.na(preg$discharge_date)] <- NA
  none <- is.na(preg$coc_placed_date)
  receiving[placed %in% TRUE & none] <- NA  # placed, but no placing date given
  n[none] <- NA_integer_
  hit[none] <- NA_integer_
  list(n = n, hit = hit, receiving = receiving)
}
