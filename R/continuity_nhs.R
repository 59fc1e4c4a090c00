# The NHS continuity measures (DOMAIN section 4): COC_receiving_ongoing and
# 'known midwife at birth'. `act` holds the antenatal/postnatal activity rows
# left after the bad-input exclusions (before the attended/midwifery
# options), `ip` the intrapartum rows.
nhs_continuity_measures <- function(msds, act, ip, preg, pr, staff_groups,
                                    nthreads) {
  P <- nrow(preg)
  out <- list(coc_contacts = rep(NA_integer_, P), coc_share = rep(NA_real_, P),
              coc_receiving = rep(NA, P), known_midwife_at_birth = rep(NA, P))
  if (!pr$has_care_model) return(out)
  nm <- preg$named_midwife
  nt <- preg$named_team
  np <- preg$named_provider
  is_named <- function(prof, team, p, prov) {
    ((!is.na(prof) & !is.na(nm[p]) & prof == nm[p]) |
      (!is.na(team) & !is.na(nt[p]) & team == nt[p])) & same_provider(prov, np[p])
  }

  # 70% rule: attended contacts with a midwifery activity, care plan to
  # discharge, involving the named midwife or team. The kernel counts them
  # with one pseudo-carer, so every contact is counted once.
  p <- act$preg
  start <- as.integer(preg$care_plan_date)[p]
  end <- as.integer(preg$discharge_date)[p]
  in_win <- act$attended & !is.na(start) & act$date >= start &
    (is.na(end) | act$date <= end)
  w <- act[in_win, , drop = FALSE]
  w <- w[w$contact %in% w$contact[w$staff == "midwife"], , drop = FALSE]
  res <- continuity_engine(w, rep("any", nrow(w)), preg, "all",
                           c(upc = 1L, coc = 2L, hhi = 1L, secon = 2L, mmci = 1L, share = 1L),
                           "drop", FALSE, nthreads)
  n <- res$n_contacts
  hit <- res$n_named_any
  out$coc_contacts <- n
  out$coc_share <- ifelse(n > 0L, hit / n, NA_real_)

  la <- ip$act[ip$act$source == "labour", , drop = FALSE]
  has_labour <- preg$preg_id %in% ip$labours$UniqPregID
  labour_named <- seq_len(P) %in% la$preg[is_named(la$prof, la$team, la$preg, la$prov)]
  if (pr$has_placed) {
    placed <- preg$coc_placed
    rec <- ifelse(is.na(placed), NA, FALSE)
    assess <- placed %in% TRUE & !is.na(preg$discharge_date)
    # at least 70%, in whole numbers: 10 * hits >= 7 * contacts
    ok <- n > 0L & 10 * hit >= 7 * n & (!has_labour | labour_named)
    rec[assess] <- ok[assess]
    rec[placed %in% TRUE & is.na(preg$discharge_date)] <- NA
    out$coc_receiving <- rec
  }

  # known midwife at birth
  ia <- ip$act
  # team memberships are local to a provider: (provider, professional, team)
  cp <- msds$MSD102MatCarePlan
  cc <- msds$MSD201CareContactPreg
  ac <- msds$MSD202CareActivityPreg
  ld <- msds$MSD301LabourDelivery
  la <- msds$MSD302CareActivityLabDel
  pairs <- unique(c(
    team_pairs(cp, cp$OrgCodeProvider),
    team_pairs(ac, cc$OrgCodeProvider[scoped_match(ac, cc, "CareConID")$index]),
    team_pairs(la, ld$OrgCodeProvider[scoped_match(la, ld, "LabourDeliveryID")$index])))
  in_team <- !is.na(ia$prof) & !is.na(nt[ia$preg]) &
    paste(ia$prov, ia$prof, nt[ia$preg], sep = "\r") %in% pairs
  known <- seq_len(P) %in% ia$preg[is_named(ia$prof, ia$team, ia$preg, ia$prov) | in_team]
  has_record <- has_labour | seq_len(P) %in% ia$preg
  kmb <- rep(NA, P)
  ok <- has_record & !(is.na(nm) & is.na(nt))
  kmb[ok] <- known[ok]
  out$known_midwife_at_birth <- kmb
  out
}

# Professional-team memberships recorded in a table.
team_pairs <- function(df, prov) {
  if (is.null(df) || !all(c("CareProfLID", "TeamLocalID") %in% names(df))) return(character())
  if (is.null(prov)) prov <- rep(NA_character_, nrow(df))
  ok <- !is.na(df$CareProfLID) & !is.na(df$TeamLocalID)
  unique(paste(prov[ok], df$CareProfLID[ok], df$TeamLocalID[ok], sep = "\r"))
}
