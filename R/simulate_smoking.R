# Smoking in simulate_msds(): each woman's true smoking status at booking and
# at delivery, the MSD101 fields (codes of the NHS Data Dictionary SMOKING
# STATUS list), and the records NHS Digital derives smoking from since 2021:
# SNOMED CT (a few Read) finding codes, CO readings (ppm) and cigarettes per
# day on the booking contact's care activity (MSD202), and a finding code on a
# labour care activity (MSD302) dated around the birth, with the labour onset
# and caesarean dates (MSD301) they are compared with. See add_smoking().
#
# The true status is drawn from a stream of its own (seed derived from the
# main one), before the care models and outcomes, which it enters: smoker at
# booking with probability 0.06 + 0.08 (IMD decile 1-2); a quarter of them
# (the lowest uniforms) stop before delivery; ex-smoker at booking with
# probability 0.12; otherwise never smoked. Smoking at booking is a
# confounder of the simulated care-model effects (sim_effects(smoking)): it
# raises the odds of joining a CoC pathway, of preterm birth and of
# stillbirth (so both potential-outcome risks, r0 and r1, carry it) and
# lowers birth weight. The records' random numbers come from their own
# streams too, derived from the seed, so the rest of the simulation is the
# same as without them.

# Smoking's odds ratios of sim_effects(): the defaults with the user's
# values put in, checked (positive, finite, known names).
sim_smoking_odds_ratios <- function(smoking, call = rlang::caller_env()) {
  base <- c(preterm = 1.3, low_birth_weight = 2, stillbirth = 1.4, coc = 1.4)
  if (is.null(smoking)) return(base)
  ok <- is.numeric(smoking) && !is.null(names(smoking)) && all(names(smoking) %in% names(base)) &&
    !anyDuplicated(names(smoking)) && all(is.finite(smoking)) && all(smoking > 0)
  if (!ok) {
    cli::cli_abort(c("{.arg smoking} must be a named numeric vector of positive odds ratios.",
                     "i" = "Names allowed: {.val {names(base)}}; 1 turns a path off."),
                   call = call)
  }
  base[names(smoking)] <- smoking
  base
}

# What smoking at booking adds to the logit of outcome `o` (preterm birth
# and stillbirth; 0 for the others).
sim_smoking_logit <- function(t, effects, o) {
  if (!o %in% c("preterm", "stillbirth")) return(0)
  log(effects$smoking[[o]]) * t$smoker
}

# The shift of smokers' log birth weight that makes their odds of a weight
# below the 10th centile of the simulator's spread around the median for
# gestation (normal on the log scale, sd `sd`) `or` times the others'.
sim_smoking_weight_shift <- function(or, sd = sim_weight_log_sd) {
  p1 <- or * 0.1 / (0.9 + or * 0.1)
  sd * (stats::qnorm(p1) - stats::qnorm(0.1))
}

sim_smoking_truth <- function(u, deprived, born) {
  p <- 0.06 + 0.08 * deprived
  booking <- ifelse(u < p, "smoker", ifelse(u < p + 0.12, "ex-smoker", "never smoked"))
  delivery <- ifelse(u < 0.25 * p, "ex-smoker", booking)
  delivery[!born] <- NA_character_
  list(booking = booking, delivery = delivery,
       msd101_booking = c(smoker = "1", `ex-smoker` = "2", `never smoked` = "4")[booking],
       msd101_delivery = unname(c(smoker = "1", `ex-smoker` = "2", `never smoked` = "4")[delivery]))
}

# Seeds of the smoking streams: the booking records, the delivery records
# and the true status.
sim_smoking_seeds <- function(seed) {
  s <- as.numeric(seed)
  as.integer(c((s * 69069 + 1013904223) %% 2147483647, (s * 48271 + 362436069) %% 2147483647,
               (s * 16807 + 521288629) %% 2147483647))
}

# A finding code for each status (smoker, ex-smoker, never smoked), with a
# few 'unknown' findings (266927001) and Read codes.
sim_smoking_finding <- function(status) {
  n <- length(status)
  out <- rep(NA_character_, n)
  pick <- function(sel, codes, prob) {
    if (any(sel)) out[sel] <<- sample(codes, sum(sel), TRUE, prob)
  }
  pick(status %in% "smoker", c("77176002", "65568007", "160603005", "137R."), c(0.6, 0.2, 0.15, 0.05))
  pick(status %in% "ex-smoker", c("8517006", "281018007"), c(0.8, 0.2))
  pick(status %in% "never smoked", c("266919005", "8392000", "1371."), c(0.7, 0.25, 0.05))
  out[stats::runif(n) < 0.03] <- "266927001"
  out
}

# MSD202 smoking columns: for pregnancies with a recorded status (94%), on
# the first activity of the booking contact (or, for 12%, of the pregnancy's
# second contact, which may fall outside the 3-day window): a finding code
# (92%), and a CO reading (70%: ppm, a few 'coppm', 'PPM' or no unit) or
# cigarettes per day (10%).
sim_smoking_contacts <- function(msd202, act_con, con_preg, con_date, status, seed) {
  na <- nrow(msd202)
  np <- length(status)
  cols <- with_seed(seed, {
    first_con <- match(seq_len(np), con_preg)          # contacts are grouped by pregnancy
    n_con <- tabulate(con_preg, np)
    has <- !is.na(first_con)
    rec <- has & stats::runif(np) < 0.94
    second <- rec & n_con >= 2L & stats::runif(np) < 0.12
    con <- first_con + second
    act <- match(con, act_con)                          # first activity of that contact
    i <- which(rec & !is.na(act))
    s <- status[i]
    smoker <- s == "smoker"
    finding <- sim_smoking_finding(s)
    finding[stats::runif(length(i)) >= 0.92] <- NA_character_
    u_obs <- stats::runif(length(i))
    co <- u_obs < 0.7
    cig <- !co & u_obs < 0.8
    co_val <- sim_if(smoker, round(exp(stats::rnorm(length(i), log(11), 0.6)), 1),
                     round(stats::rexp(length(i), 1 / 0.9), 1))
    unit <- sample(c("ppm", "coppm", "PPM", NA), length(i), TRUE, c(0.85, 0.08, 0.05, 0.02))
    cig_val <- sim_if(smoker, 1 + stats::rpois(length(i), 8), 0)
    list(i = act[i], finding = finding,
         obs = sim_if(co, "251900003", sim_if(cig, "230056004", NA_character_)),
         value = sim_if(co, co_val, sim_if(cig, as.numeric(cig_val), NA_real_)),
         unit = sim_if(co, unit, NA_character_))
  })
  msd202$FindingCode <- rep(NA_character_, na)
  msd202$ObsCode <- rep(NA_character_, na)
  msd202$ObsValue <- rep(NA_real_, na)
  msd202$UCUMUnit <- rep(NA_character_, na)
  msd202$FindingCode[cols$i] <- cols$finding
  msd202$ObsCode[cols$i] <- cols$obs
  msd202$ObsValue[cols$i] <- cols$value
  msd202$UCUMUnit[cols$i] <- cols$unit
  msd202
}

# MSD301 labour onset and caesarean dates, MSD302 intervention dates and a
# smoking finding at delivery (85% of labours) on each labour's second
# activity (another carer), dated on the birth or, for 15%, 1-6 days after.
# preg_ids: the simulator's pregnancy ids; status: true status at delivery.
sim_smoking_labour <- function(lb, preg_ids, status, seed) {
  ld <- lb$msd301
  la <- lb$msd302
  bb <- lb$msd401
  first <- match(ld$LabourDeliveryID, bb$LabourDeliveryID)
  birth <- bb$PersonBirthDateBaby[first]
  method <- bb$DeliveryMethodCode[first]
  r <- with_seed(seed, {
    nl <- nrow(ld)
    onset_lag <- as.integer(stats::runif(nl) < 0.3)
    rec <- stats::runif(nl) < 0.85
    late <- stats::runif(nl) < 0.15
    lag <- sample.int(6L, nl, TRUE)
    finding <- sim_smoking_finding(status[match(ld$UniqPregID, preg_ids)])
    list(onset_lag = onset_lag, rec = rec, lag = lag * late, finding = finding)
  })
  ld$LabourOnsetDate <- sim_if(method == "7", as.Date(NA), birth - r$onset_lag)
  class(ld$LabourOnsetDate) <- "Date"
  ld$CaesareanDate <- structure(sim_if(method %in% c("7", "8"), as.numeric(birth), NA_real_),
                                class = "Date")
  il <- match(la$LabourDeliveryID, ld$LabourDeliveryID)
  second <- sim_second_rows(la$LabourDeliveryID)
  smk <- second & r$rec[il]
  la$FindingCode <- sim_if(smk, r$finding[il], NA_character_)
  la$ClinInterDateMother <- structure(as.numeric(birth[il]) + sim_if(smk, r$lag[il], 0L),
                                      class = "Date")
  lb$msd301 <- ld
  lb$msd302 <- la
  lb
}

# The second row of each run of equal ids (rows of one labour are adjacent).
sim_second_rows <- function(id) {
  n <- length(id)
  if (!n) return(logical())
  start <- c(TRUE, id[-1L] != id[-n])
  pos <- seq_len(n) - cummax(ifelse(start, seq_len(n), 0L)) + 1L
  pos == 2L
}
