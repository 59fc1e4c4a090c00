# NHS Digital's continuity-of-carer data-quality measures and the gates they
# decide (see ?nhs_measures, section "Data-quality gates"). Written from the
# definitions in NHS Digital's published Maternity Services Monthly
# Statistics notebooks COCDQ05 to COCDQ09, COC_by_28weeks,
# COC_receiving_ongoing and the CoC output notebook (COC_Geographies).

# The data-quality measures computed, and the gate each main measure needs.
nhs_dq_names <- c("COC_DQ05", "COC_DQ06", "COC_DQ07", "COC_DQ08", "COC_DQ09")
nhs_dq_receiving <- c("COC_DQ06", "COC_DQ07", "COC_DQ08", "COC_DQ09")

# MSD901 staff groups whose activities count as a professional's in COC_DQ08.
nhs_dq08_staff <- c(sprintf("%02d", 1:16), "98")

# Index into `preg` (the measure's pregnancies: preg_id and, when known,
# mother_id) of each row of an MSDS table, joined as NHS Digital joins: on
# Person_ID_Mother and UniqPregID when both sides have the mother, else on
# UniqPregID.
nhs_preg_rows <- function(tab, preg) {
  if (is.null(tab) || !n_rows(tab) || !"UniqPregID" %in% names(tab)) return(rep(NA_integer_, n_rows(tab)))
  if ("mother_id" %in% names(preg) && "Person_ID_Mother" %in% names(tab)) {
    return(match_rows(list(as.character(tab$Person_ID_Mother), as.character(tab$UniqPregID)),
                      list(as.character(preg$mother_id), as.character(preg$preg_id))))
  }
  match(as.character(tab$UniqPregID), as.character(preg$preg_id))
}

# COC_DQ06 to COC_DQ09 per placed pregnancy. `preg`: the placed women of the
# COC_receiving_ongoing denominator (taken as at month M - 4), with preg_id,
# mother_id and coc_placed_date (the placing plan's CarePlanDate); `msds` the
# tables as at month M. Returns, per row of preg:
# * discharged (COC_DQ06 numerator): an MSD101 row of the pregnancy has a
#   DischargeDateMatService on or after the placing plan's date;
# * contacts (COC_DQ07: numerator when >= 3): distinct non-missing CareConIDs
#   of MSD201 contacts (any AttendCode) dated from the plan's date to the
#   latest such discharge date (no end when there is none);
# * dq08_den, dq08_num (COC_DQ08): those contacts counted as NHS Digital's
#   rank() keeps them (per pregnancy and CareConID, the rows tied at the
#   latest CContactDate then RecordNumber; a missing CareConID is one group),
#   and the distinct CareConIDs among them with AttendCode 5 or 6 and an
#   MSD202 activity (same UniqPregID and CareConID) by a CareProfLID that
#   MSD901 lists with a StaffGroup 01-16 or 98 (joined on CareProfLID alone);
# * labour (COC_DQ09 denominator): an MSD301 row of the pregnancy;
#   labour_prof (numerator): an MSD302 row of one of its labours with a
#   CareProfLID.
nhs_dq_placed <- function(msds, preg) {
  P <- nrow(preg)
  start <- as.numeric(preg$coc_placed_date)
  # the latest discharge date (over every submission) on or after the
  # placing plan's date
  bk <- msds_discharge_rows(msds)
  ib <- nhs_preg_rows(bk, preg)
  disch <- as.numeric(bk$DischargeDateMatService)
  end <- rep(NA_real_, P)
  ok <- which(!is.na(ib) & !is.na(disch))
  ok <- ok[(disch[ok] >= start[ib[ok]]) %in% TRUE]
  if (length(ok)) {
    o <- ok[order(ib[ok], -disch[ok], method = "radix")]
    f <- o[!duplicated(ib[o])]
    end[ib[f]] <- disch[f]
  }

  # contacts in the window
  cc <- msds$MSD201CareContactPreg
  nc <- n_rows(cc)
  pc <- nhs_preg_rows(cc, preg)
  cd <- if (nc) as.numeric(cc$CContactDate) else numeric()
  win <- which(!is.na(pc) & !is.na(cd))
  win <- win[(cd[win] >= start[pc[win]]) %in% TRUE &
               (is.na(end[pc[win]]) | cd[win] <= end[pc[win]])]
  con <- if (nc) as.character(cc$CareConID) else character()
  p <- pc[win]
  cid <- con[win]
  named_con <- !is.na(cid)
  grp <- combined_codes(list(p, cid))  # position of the group's first row
  contacts <- tabulate(p[!duplicated(grp) & named_con], P)

  # COC_DQ08 denominator: per (pregnancy, CareConID) the rows tied at the top
  # of CContactDate DESC, RecordNumber DESC (a missing RecordNumber last)
  rec <- if ("RecordNumber" %in% names(cc)) as.numeric(cc$RecordNumber)[win] else rep(NA_real_, length(win))
  d <- cd[win]
  o <- order(grp, -d, -rec, method = "radix", na.last = TRUE)
  f <- o[!duplicated(grp[o])]
  top_d <- top_r <- rep(NA_real_, length(grp))
  top_d[grp[f]] <- d[f]
  top_r[grp[f]] <- rec[f]
  tr <- top_r[grp]
  rank1 <- d == top_d[grp] & ((is.na(rec) & is.na(tr)) | (rec == tr) %in% TRUE)
  dq08_den <- tabulate(p[rank1], P)

  # COC_DQ08 numerator: attended rank-1 contacts with a professional's activity
  attended <- rank1 & cc$AttendCode[win] %in% c("5", "6") & named_con
  ac <- msds$MSD202CareActivityPreg
  st <- msds$MSD901StaffDetails
  prof_ids <- unique(as.character(st$CareProfLID[!is.na(st$CareProfLID) &
                                                   st$StaffGroup %in% nhs_dq08_staff]))
  qual <- character()
  if (n_rows(ac) && length(prof_ids)) {
    pa <- if ("UniqPregID" %in% names(ac)) {
      match(as.character(ac$UniqPregID), as.character(preg$preg_id))
    } else {
      pc[scoped_match(ac, cc, "CareConID")$index]
    }
    by_prof <- which(!is.na(pa) & !is.na(ac$CareConID) & as.character(ac$CareProfLID) %in% prof_ids)
    qual <- unique(paste(pa[by_prof], as.character(ac$CareConID[by_prof]), sep = "\r"))
  }
  hit <- attended & paste(p, cid, sep = "\r") %in% qual
  dq08_num <- tabulate(p[unique(grp[hit])], P)

  # COC_DQ09: a labour record, and one of its MSD302 rows names a professional
  ld <- msds$MSD301LabourDelivery
  pl <- nhs_preg_rows(ld, preg)
  labour <- seq_len(P) %in% pl
  la <- msds$MSD302CareActivityLabDel
  labour_prof <- rep(FALSE, P)
  if (n_rows(la) && n_rows(ld) && "CareProfLID" %in% names(la)) {
    il <- scoped_match(la, ld, "LabourDeliveryID")$index
    lp <- pl[il]
    lp[is.na(ld$LabourDeliveryID[il])] <- NA_integer_
    labour_prof <- seq_len(P) %in% lp[!is.na(la$CareProfLID)]
  }

  list(discharged = !is.na(end), contacts = contacts, dq08_den = dq08_den, dq08_num = dq08_num,
       labour = labour, labour_prof = labour_prof & labour)
}

# A rate rounded to one decimal half up, as Spark SQL's round() does on the
# decimal value (R's round() would take 0.25 to 0.2); x >= 0. The offset is
# far below the gap between a rate of whole counts and a half-way value.
nhs_rate_round <- function(x) floor(x * 10 + 0.5 + 1e-9) / 10

# The published Rounded_Rate of counts (NA for a zero denominator).
nhs_rounded_rate <- function(num, den) {
  rr <- nhs_rate_round(100 * nhs_round(num) / nhs_round(den))
  rr[!is.finite(rr) | den == 0] <- NA_real_
  rr
}

# over_dq_threshold and dq_gate for the provider rows `prov` (all indicators
# computed, with unrounded numerator and denominator).
nhs_gates <- function(prov, dq04 = "unknown") {
  n <- nrow(prov)
  over <- rep(NA, n)
  gate <- rep(NA_character_, n)
  rr <- nhs_rounded_rate(prov$numerator, prov$denominator)
  ind <- prov$indicator

  pcp <- ind == "PCP_All_Pathways"
  over[pcp] <- rr[pcp] >= 5
  gate[pcp] <- "PCP_All_Pathways rounded rate >= 5"

  # each DQ measure: passes with a rounded rate above 5 (a provider expected
  # but without a denominator fails)
  dq <- ind %in% nhs_dq_names
  over[dq] <- prov$denominator[dq] > 0 & (rr[dq] > 5) %in% TRUE
  gate[dq] <- ifelse(prov$denominator[dq] > 0, paste(ind[dq], "rounded rate > 5"),
                     paste("no", ind[dq], "denominator"))

  key <- paste(prov$rp_start_date, prov$org_code, sep = "\r")
  status <- function(measure, rows) {
    i <- which(ind == measure)
    m <- match(key[rows], key[i])
    has <- !is.na(m) & prov$denominator[i][m] > 0
    list(has = has, pass = has & over[i][m] %in% TRUE)
  }

  c28 <- which(ind == "COC_by_28weeks")
  if (length(c28)) {
    s5 <- status("COC_DQ05", c28)
    assumed <- identical(dq04, "assume_pass")
    over[c28] <- ifelse(s5$pass, if (assumed) TRUE else NA, FALSE)
    gate[c28] <- ifelse(!s5$has, "no COC_DQ05 denominator",
                        ifelse(s5$pass,
                               if (assumed) "COC_DQ05 passed; COC_DQ04 assumed passed (dq04 = \"assume_pass\")"
                               else "COC_DQ05 passed; COC_DQ04 not published, so undecided",
                               "COC_DQ05 rounded rate not above 5"))
  }
  rec <- which(ind == "COC_receiving_ongoing")
  if (length(rec)) {
    st <- lapply(nhs_dq_receiving, status, rows = rec)
    pass <- Reduce(`&`, lapply(st, `[[`, "pass"))
    why <- vapply(seq_along(rec), function(k) {
      bad <- vapply(st, function(s) if (s$pass[k]) NA_character_ else if (s$has[k]) "rounded rate not above 5" else "no denominator", "")
      f <- which(!is.na(bad))
      if (!length(f)) return("COC_DQ06 to COC_DQ09 passed")
      paste0("failed ", paste0(nhs_dq_receiving[f], " (", bad[f], ")", collapse = ", "))
    }, "")
    over[rec] <- pass
    gate[rec] <- why
  }
  list(over = over, gate = gate)
}

# Rows for the providers NHS Digital expects in the DQ measures of a month
# (those with any CoC denominator that month) but that have no row of a DQ
# measure: numerator and denominator 0 (published as 0, 0, 0, 'Fail').
nhs_dq_expected <- function(prov) {
  coc <- prov$indicator != "PCP_All_Pathways" & prov$denominator > 0
  exp <- unique(prov[coc, c("rp_start_date", "rp_end_date", "org_code")])
  if (!nrow(exp)) return(prov[0, ])
  have <- paste(prov$rp_start_date, prov$org_code, prov$indicator, sep = "\r")
  add <- lapply(nhs_dq_names, function(m) {
    miss <- !paste(exp$rp_start_date, exp$org_code, m, sep = "\r") %in% have
    if (!any(miss)) return(NULL)
    tibble::tibble(exp[miss, c("rp_start_date", "rp_end_date", "org_code")], org_level = "Provider",
                   indicator = m, numerator = 0, denominator = 0)
  })
  out <- do.call(rbind, add)
  if (is.null(out)) prov[0, ] else out[names(prov)]
}

# National rows of the two CoC measures as NHS Digital publishes them: the
# providers whose gate passed, added up; NA when a provider's gate is
# undecided.
nhs_coc_national <- function(prov, over) {
  main <- prov$indicator %in% c("COC_by_28weeks", "COC_receiving_ongoing")
  if (!any(main)) return(NULL)
  p <- prov[main, ]
  o <- over[main]
  g <- split(seq_len(nrow(p)), list(p$indicator, format(p$rp_start_date)), drop = TRUE)
  rows <- lapply(g, function(i) {
    undecided <- anyNA(o[i])
    pass <- i[o[i] %in% TRUE]
    tibble::tibble(rp_start_date = p$rp_start_date[i[1]], rp_end_date = p$rp_end_date[i[1]],
                   org_code = "National", org_level = "National", indicator = p$indicator[i[1]],
                   numerator = if (undecided) NA_real_ else sum(p$numerator[pass]),
                   denominator = if (undecided) NA_real_ else sum(p$denominator[pass]),
                   gate = if (undecided) "providers passing the gate; undecided while a provider's gate is NA"
                          else "providers passing the gate, added up")
  })
  do.call(rbind, rows)
}
