# Table builders for simulate_msds(): care contacts (MSD201/MSD202) and
# labour, delivery and babies (MSD301/MSD302/MSD401/MSD402/MSD405).
# Everything is vectorised over rows; staff and team ids are looked up by
# integer index so that millions of rows cost no string formatting.

# ifelse() without its overhead on millions of rows: `yes` and `no` have
# length 1 or the test's length; a test with missing values goes to ifelse().
sim_if <- function(test, yes, no) {
  if (anyNA(test)) return(ifelse(test, yes, no))
  n <- length(test)
  out <- if (length(no) == n) no else rep_len(no, n)
  attributes(out) <- NULL
  w <- which(test)
  if (length(w)) out[w] <- if (length(yes) == n) yes[w] else rep_len(yes, n)[w]
  out
}

# rbind() of two tibbles with the same columns, without rbind.data.frame's
# cost per row.
sim_rbind <- function(a, b) {
  stopifnot(identical(names(a), names(b)))
  tibble::new_tibble(Map(function(u, v) c(u, v), as.list(a), as.list(b)),
                     nrow = nrow(a) + nrow(b))
}

sim_staff_index <- function(unit, team, m, n_teams, mw_per_team) {
  ((unit - 1L) * n_teams + (team - 1L)) * mw_per_team + m
}

sim_contacts <- function(n, preg_ids, p, booking, booking_gest, born, birth_date, discharge,
                         coc, late_join, join_gest, team, named, units, n_teams,
                         mw_per_team, n_obs, n_sup, rec) {
  # The contact model (counts, dates, who, attendance, second activities) is
  # in the C++ engine, documented in inst/include/matequity/simulate.hpp. Its
  # generator is seeded from R's stream, so the tables follow `seed`, and
  # does not depend on the number of threads.
  n_units <- length(units)
  staff_ids <- sim_staff(units, n_teams, mw_per_team, n_obs, n_sup)$CareProfLID
  team_ids <- c(sprintf("%sT%02d", rep(units, each = n_teams), rep(seq_len(n_teams), n_units)),
                sprintf("%sOBS", units))
  join_date <- booking + (join_gest - booking_gest)
  seed <- floor(stats::runif(2) * 2^32)
  ct <- .cpp_sim_contacts(
    as.integer(booking), as.integer(booking_gest), as.integer(born), as.integer(birth_date),
    as.integer(discharge), as.integer(p$parity == 0), as.integer(p$ltc),
    as.integer(coc | late_join), as.integer(join_date), as.integer(p$unit),
    as.integer(team), as.integer(named), n_units, as.integer(n_teams),
    as.integer(mw_per_team), as.integer(n_obs), as.integer(n_sup), rec$unattended,
    rec$carer_missing, seed[1], seed[2], matequity_threads()
  )
  nc <- length(ct$preg)
  na <- length(ct$act_con)
  slots <- sprintf("%02d:%02d:00", 8L + (seq_len(36L) - 1L) %/% 4L, 15L * ((seq_len(36L) - 1L) %% 4L))
  # the columns that repeat a few strings first; the millions of new id
  # strings last, so the garbage collector walks them as seldom as possible
  msd201 <- list(
    CareConID = NULL, UniqPregID = preg_ids[ct$preg], RecordNumber = as.numeric(seq_len(nc) + 4L * n),
    OrgCodeProvider = units[ct$unit], CContactDate = structure(ct$date, class = "Date"),
    CContactTime = slots[ct$slot], AttendCode = c("5", "6", "2", "3", "4", "7")[ct$attend],
    ConsultType = c("01", "01", "01", "02")[ct$kind], Medium = c("01", "02")[ct$medium],
    GestAgeCContactDate = ct$gest
  )
  msd202 <- list(
    CareConID = NULL, RecordNumber = as.numeric(seq_len(na) + 4L * n + nc),
    CareProfLID = staff_ids[ct$act_staff], TeamLocalID = team_ids[ct$act_team]
  )
  act_con <- ct$act_con
  con_preg <- ct$preg
  con_date <- ct$date
  rm(ct)
  ids <- .cpp_contact_ids(nc, act_con)
  msd201$CareConID <- ids$contact
  msd202$CareConID <- ids$activity
  # act_con, con_preg, con_date: for the smoking records (simulate_smoking.R)
  list(msd201 = tibble::new_tibble(msd201, nrow = nc),
       msd202 = tibble::new_tibble(msd202, nrow = na),
       act_con = act_con, con_preg = con_preg, con_date = con_date)
}

sim_births <- function(n, preg_ids, p, t, born, twin, gest, still, nnd, y, u, booking,
                       birth_date, coc, team, named, units, n_teams, mw_per_team,
                       n_obs, ud, smoker_weight_shift = 0) {
  n_units <- length(units)
  staff_ids <- sim_staff(units, n_teams, mw_per_team, n_obs, 0L)$CareProfLID
  team_ids <- sprintf("%sT%02d", rep(units, each = n_teams), rep(seq_len(n_teams), n_units))
  n_mw <- n_units * n_teams * mw_per_team
  b <- which(born)
  nb <- length(b)
  lab_id <- sim_ids("L", b)
  # delivery method of the maternity
  cs <- y$caesarean[b]
  elective <- cs & u$cs_type[b] < sim_if(p$prev_cs[b] > 0, 0.6, 0.35) & gest[b] >= 259
  vag <- sample(c("0", "1", "2", "3", "4", "5", "6", "9"), nb, TRUE,
                c(0.80, 0.02, 0.03, 0.03, 0.10, 0.01, 0.005, 0.005))
  method <- sim_if(cs, sim_if(elective, "7", "8"), vag)
  unit <- p$unit[b]
  named_idx <- sim_staff_index(unit, team[b], named[b], n_teams, mw_per_team)
  rnd_idx <- sim_staff_index(unit, sample.int(n_teams, nb, TRUE),
                             sample.int(mw_per_team, nb, TRUE), n_teams, mw_per_team)
  doc_idx <- n_mw + (unit - 1L) * n_obs + sample.int(n_obs, nb, TRUE)
  known <- stats::runif(nb) < sim_if(coc[b], 0.6, 0.05)
  del_idx <- sim_if(cs, doc_idx, sim_if(known, named_idx, rnd_idx))
  del_team <- sim_if(cs, NA_character_,
                     team_ids[sim_if(known, (unit - 1L) * n_teams + team[b],
                                     (del_idx - 1L) %/% mw_per_team + 1L)])
  msd301 <- tibble::tibble(
    LabourDeliveryID = lab_id, UniqPregID = preg_ids[b],
    RecordNumber = as.numeric(seq_len(nb) + 6L * n), OrgCodeProvider = units[unit],
    LabourOnsetMethod = sim_if(method == "7", "4", sim_if(stats::runif(nb) < 0.3, "3", "1")),
    BirthsPerLabandDel = sim_if(twin[b], 2L, 1L),
    SettingIntraCare = sim_if(stats::runif(nb) < 0.02, "02", "01"),
    RobsonGroup = NA_character_
  )
  # intrapartum carers: the delivery professional, one or two others, and the
  # blood-loss observation; tears recorded on the delivery professional's row
  n_other <- 1L + (stats::runif(nb) < 0.4)
  io <- rep.int(seq_len(nb), n_other)
  other_known <- stats::runif(length(io)) < sim_if(coc[b][io], 0.45, 0.05)
  other_idx <- sim_if(other_known, named_idx[io], rnd_idx[io] %% n_mw + 1L)
  other_team <- team_ids[(other_idx - 1L) %/% mw_per_team + 1L]
  vaginal <- method %in% c("0", "1", "2", "3", "4")
  p_tear <- stats::plogis(-3.6 + 0.6 * (p$parity[b] == 0) + 0.8 * (method %in% c("2", "3", "4")) +
                            0.3 * (p$broad[b] == "Asian"))
  tear <- vaginal & stats::runif(nb) < p_tear
  pph <- y$pph_1500[b]
  loss <- sim_if(pph, round(stats::runif(nb, 1500, 3200)),
                 pmin(round(stats::rlnorm(nb, log(330 + 250 * cs), 0.5)), 1499))
  rows <- c(seq_len(nb), io, seq_len(nb))
  kind <- c(rep(1L, nb), rep(2L, length(io)), rep(3L, nb))
  prof <- c(staff_ids[del_idx], staff_ids[other_idx], staff_ids[del_idx])
  tm <- c(del_team, other_team, del_team)
  lesion <- c(sim_if(tear, sim_if(stats::runif(nb) < 0.85, "10217006", "399031001"), NA_character_),
              rep(NA_character_, length(io) + nb))
  oc <- order(rows, kind, method = "radix")
  obs <- kind[oc] == 3L
  rec_bl <- sim_blood_loss_record(unit[rows[oc]])
  msd302 <- tibble::tibble(
    LabourDeliveryID = lab_id[rows[oc]], RecordNumber = as.numeric(seq_along(oc) + 7L * n),
    CareProfLID = prof[oc], TeamLocalID = tm[oc], GenitalTractTraumaticLesion = lesion[oc],
    ObsCode = sim_if(obs, rec_bl$code, NA_character_),
    ObsValue = sim_if(obs, loss[rows[oc]] / sim_if(rec_bl$unit == "L", 1000, 1), NA_real_),
    UCUMUnit = sim_if(obs, rec_bl$unit, NA_character_),
    LabourInductionMethod = NA_character_
  )
  # babies: one per singleton, two per twin maternity
  nbab <- 1L + twin[b]
  bi <- rep.int(seq_len(nb), nbab)
  order2 <- sequence(nbab)
  pi <- b[bi]
  nbb <- length(bi)
  sb <- still[pi]
  sb[order2 == 2L] <- gest[pi][order2 == 2L] >= 168 & stats::runif(sum(order2 == 2L)) <
    stats::plogis(-5.2 + 2.3 * (gest[pi][order2 == 2L] < 259))
  dn <- nnd[pi] & !sb
  dn[order2 == 2L] <- !sb[order2 == 2L] & stats::runif(sum(order2 == 2L)) < 0.01
  male <- stats::runif(nbb) < 0.512
  # smokers' babies: log weight lowered by smoker_weight_shift (see
  # sim_smoking_weight_shift()), so the same draws with smoking's OR at 1
  wt <- sim_weight_median(gest[pi]) *
    exp(stats::rnorm(nbb, 0, sim_weight_log_sd) - smoker_weight_shift * p$smoker[pi]) *
    (1 - 0.15 * twin[pi]) * (1 - 0.1 * sb) + 70 * male - 160 * (p$broad[pi] == "Asian")
  wt <- round(wt)
  wt[stats::runif(nbb) < 0.01] <- NA
  pre <- gest[pi] < 259
  low_apgar <- stats::runif(nbb) < 0.01 + 0.07 * pre
  apgar <- sim_if(low_apgar, sample(0:6, nbb, TRUE), sample(7:10, nbb, TRUE, c(0.05, 0.15, 0.5, 0.3)))
  apgar[sb] <- NA
  apgar[stats::runif(nbb) < 0.03] <- NA
  # some units record a 5-minute Apgar of 0 for a stillborn baby (which the
  # CQIM population includes)
  ub <- cbind(pi, order2)
  apgar[sb & ud$apgar_still[ub] < 0.5] <- 0L
  bf <- y$breastmilk_first_feed[pi]
  feed <- sim_if(bf, sim_if(stats::runif(nbb) < 0.85, "01", "02"), "03")
  feed[sb | stats::runif(nbb) < 0.05] <- NA_character_
  death <- rep(as.Date(NA), nbb)
  death[dn] <- birth_date[pi][dn] + floor(stats::runif(sum(dn)) * 28)
  late_death <- !sb & !dn & stats::runif(nbb) < 0.0008
  death[late_death] <- birth_date[pi][late_death] + 28 + floor(stats::runif(sum(late_death)) * 300)
  outcome <- sim_if(sb, sample(c("02", "03", "04"), nbb, TRUE, c(0.7, 0.2, 0.1)), "01")
  baby_id <- sim_ids("B", seq_len(nbb))
  msd401 <- tibble::tibble(
    Person_ID_Baby = baby_id, LabourDeliveryID = lab_id[bi], UniqPregID = preg_ids[pi],
    RecordNumber = as.numeric(seq_len(nbb) + 9L * n), OrgCodeProvider = units[p$unit[pi]],
    PersonBirthDateBaby = birth_date[pi], PregOutcome = outcome,
    PersonPhenSex = sim_if(male, "1", "2"), GestationLengthBirth = gest[pi],
    DeliveryMethodCode = method[bi], PersonDeathDateBaby = death,
    CareProfLIDDel = staff_ids[del_idx[bi]],
    BabyFirstFeedIndCode = feed,
    FetusPresentation = sim_if(method[bi] %in% c("5", "6"), "02", "01")
  )
  nnu <- !sb & stats::runif(nbb) < 0.05 + 0.5 * pre
  # admissions not to neonatal critical care (transitional or special care
  # recorded as an admission): NeoCritCareInd 'N'
  crit <- ud$neo_crit[ub][nnu] >= sim_if(pre[nnu], 0.1, 0.3)
  msd402 <- tibble::tibble(Person_ID_Baby = baby_id[nnu],
                           NeonatalTransferStartDate = birth_date[pi][nnu],
                           NeoCritCareInd = sim_if(crit, "Y", "N"))
  msd405 <- tibble::tibble(Person_ID_Baby = baby_id, RecordNumber = as.numeric(seq_len(nbb) + 11L * n),
                           ApgarScore = as.integer(apgar), BirthWeight = as.numeric(wt))
  list(msd301 = msd301, msd302 = msd302, msd401 = msd401, msd402 = msd402,
       msd405 = msd405)
}

# Spread of a baby's log birth weight around the median for its gestation.
sim_weight_log_sd <- 0.12

# Blood loss as each unit's system records it: SNOMED CT 719051004 in
# millilitres, except that the fifth unit (RBK) records it in litres and the
# eighth (RJE) under another code of NHS Digital's CQIMPPH list (which
# compares the value as submitted, so the litres are not counted there).
sim_blood_loss_record <- function(unit) {
  list(code = sim_if(unit == 8L, "1033591000000101", "719051004"),
       unit = sim_if(unit == 5L, "L", "mL"))
}

# The stream of the birth and discharge details added after the clean
# tables' first versions (terminations, NeoCritCareInd, Apgar of stillborn
# babies, missing gestation): its own seed derived from the main one, so
# every other table draws exactly the random numbers it drew before.
sim_detail_seed <- function(seed) {
  as.integer((as.numeric(seed) * 69069 + 1234567) %% 2147483647)
}

sim_detail_draws <- function(n) {
  list(termination = stats::runif(n), discharge = stats::runif(n),
       gest_missing = stats::runif(n),
       apgar_still = matrix(stats::runif(2 * n), n, 2L),
       neo_crit = matrix(stats::runif(2 * n), n, 2L))
}

# DischReason (MSD101): 01 after a birth; after a loss before 24 weeks 03
# miscarriage (75%), 04 termination (10%) or 02 transfer to another
# provider (15%); 05 (termination from 24 weeks) for a tenth of the
# pregnancies with a stillborn baby (feticide for a fetal anomaly, assumed:
# MBRRACE-UK excludes these from its rates).
sim_disch_reason <- function(born, stillborn, ud) {
  u <- ud$discharge
  out <- sim_if(born, "01", sim_if(u < 0.75, "03", sim_if(u < 0.85, "04", "02")))
  out[stillborn & ud$termination < 0.1] <- "05"
  out
}
