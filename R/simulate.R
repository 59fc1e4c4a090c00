#' Simulate MSDS v2 tables for a synthetic region, with a known truth
#'
#' `simulate_msds()` makes the tables of [msds_schema()] for a synthetic
#' region shaped like the West Midlands: women and pregnancies with its
#' ethnicity mix and deprivation, its 13 maternity trusts, bookings from 2015
#' to 2025 (antenatal care plans, and birth and postpartum plans for half
#' of the births, only from April 2019, as in MSDS v2), confounded
#' allocation of personalised care and support plans (PCSP) and midwifery
#' continuity-of-carer (CoC) pathways, care contacts with carers and teams,
#' births and babies, and the recording problems of real extracts. The data
#' are deterministic given `seed`; the user's random number stream is left as
#' it was.
#'
#' @section The model:
#' Each pregnancy has covariates (IMD decile, ethnicity, age, parity,
#' long-term condition, complex social factors, previous caesarean or
#' stillbirth, smoking at booking, unit, year). A woman has one pregnancy or
#' (22%) two, booked 420-919 days apart, and the window cuts women's
#' histories at both ends (the earlier booking of a pair may fall before
#' `start`, the later after `end`), so parity, age and obstetric history have
#' the same mix in every month of the window. A PCSP is allocated first,
#' then a CoC pathway by 28+6 weeks, by logistic models targeted at
#' CORE20PLUS women, smokers and lower clinical risk, rising from 2019 and
#' falling after September 2022, with fixed differences between units (the
#' same for every seed). Each outcome in `sim_effects()` has a logistic risk
#' model with baseline risks higher for Black and Asian women, in deprived
#' areas and (preterm birth, stillbirth) for smokers, and a care-model effect
#' that differs between CORE20PLUS women (deprivation deciles 1-2,
#' ethnic minority, Traveller, long-term condition or complex social factors)
#' and other women. Both potential outcomes are drawn with common random
#' numbers; the tables record the one under the care model received.
#'
#' @section Geography:
#' Each woman's `LSOAMother2011` is a real LSOA 2011 code of the West Midlands
#' (the six West Midlands ICBs of [imd2019]) whose IMD 2019 national decile is
#' her simulated decile, drawn uniformly among those LSOAs (not tied to her
#' unit). `Rank_IMD_Decile_2015` is written as the same decile, for
#' simplicity: in the simulator the two editions agree, while in real data
#' they differ for some LSOAs. The truth and [define_cohort()]'s default
#' (IMD 2019 from the LSOA) therefore use the same decile.
#'
#' @section Births and discharges:
#' Blood loss is a `MSD302` observation under SNOMED CT `719051004` in `mL`
#' (`UCUMUnit`), except at the fifth unit (RBK), which records it in litres,
#' and the eighth (RJE), which uses another code of NHS Digital's `CQIMPPH`
#' list (`1033591000000101`). Neonatal admissions (`MSD402`) carry
#' `NeonatalTransferStartDate` and `NeoCritCareInd`: `'N'` (an admission not
#' to neonatal critical care) for 30% of term and 10% of preterm admissions.
#' Half of stillborn babies have a 5-minute Apgar of 0 recorded. `DischReason`
#' (`MSD101`) is `01` after a birth, `03` (miscarriage), `04` (termination
#' before 24 weeks) or `02` (transfer) after a loss, and `05` (termination
#' from 24 weeks) for a tenth of pregnancies with a stillborn baby
#' (`termination` in `attr(x, "simulation")`; assumed shares). Gestation at
#' birth is missing for `gestation_missing` of births ([sim_recording()]).
#' These details come from their own random stream, so the other tables
#' are those of earlier versions for the same seed.
#'
#' @section The truth:
#' `attr(x, "truth")` holds the mean risk of each outcome under CoC
#' (`risk1`) and without it (`risk0`), with their difference, ratio and odds
#' ratio, over the target population: MSDS v2 singleton pregnancies that
#' reached 29+0 weeks (203 days) in maternity care, that is, those for whom
#' the NHS 'placed on a CoC pathway by 28 weeks' measure is defined. Rows
#' give the whole population and each group of the true (not the recorded)
#' CORE20PLUS characteristics. `attr(x, "simulation")` has one row per
#' pregnancy with the latent record: true flags, the care model received,
#' what recording problem (if any) was injected, each outcome's risks and
#' potential outcomes (`risk0_*`, `risk1_*`, `y0_*`, `y1_*`) and the true
#' smoking status at booking and at delivery (`smoking_booking`,
#' `smoking_delivery`: "smoker", "ex-smoker" or "never smoked"). Neonatal-death
#' risks are per birth; rates per live birth differ by the stillbirth share.
#'
#' @section The four care models:
#' `attr(x, "truth_care_model")` holds the mean risk of each outcome under
#' each of the four care models that a personalised care plan and CoC
#' placement make (`care_model`: `"none"`, `"pcsp_only"`, `"coc_only"`,
#' `"both"`), over the same target population and groups as `truth`, with
#' `rd`, `rr` and `or` against `"none"`. `attr(x, "care_model_risks")` has
#' one row per pregnancy: `UniqPregID`, the care model received
#' (`care_model`; `"none"` outside MSDS v2) and, for each care model `k` and
#' outcome `o`, the risk `risk_k_o` and potential outcome `y_k_o` (the same
#' uniforms as `y0_*` and `y1_*`, so the potential outcome under the care
#' model received is the observed one). Nothing extra is drawn: the other
#' tables and attributes are those of earlier versions for the same seed.
#'
#' @section Smoking:
#' A woman smokes at booking with probability 0.06 + 0.08 in IMD deciles 1-2;
#' a quarter of smokers stop before delivery; 12% are ex-smokers. Smoking at
#' booking confounds the care-model effects: with the defaults of
#' [sim_effects()] (`smoking`, odds ratios for smokers against other women,
#' all else equal) smokers' odds of joining a CoC pathway are 1.4 times
#' higher, of preterm birth 1.3 times and of stillbirth given gestation 1.4
#' times (about 1.5 with the preterm path), and their babies' log birth
#' weight (normal around the median for gestation, sd 0.12) is lowered so
#' that their odds of a weight below its 10th centile are twice the others'
#' (by 0.045, about 150 g at term). The smoking terms are in both
#' potential-outcome risks, so the truth tables hold the effects of the care
#' models with smoking in the population, and an analysis that leaves
#' smoking out is confounded. The true status is drawn from a stream of its
#' own before the models (so it is not the status the same seed gave before
#' smoking entered them); with every odds ratio at 1 the other tables are
#' those of earlier versions for the same seed. `SmokingStatusBooking` and
#' `SmokingStatusDelivery` (MSD101) hold the NHS Data Dictionary codes (`1` smoker, `2` ex-smoker,
#' `4` never smoked; delivery only for births), emptied from 2021 by
#' [sim_realism()]. The records NHS Digital derives smoking from (see
#' [add_smoking()]) are written too: on the first care activity of the
#' booking contact (for 12% of women, of the second contact, which may be
#' more than 3 days away; 6% have none) a SNOMED CT or Read finding code on
#' 92% of them (`FindingCode`; 3% the 'unknown' finding), and a CO reading
#' on 70% (`ObsCode` `251900003`, `ObsValue` in ppm to one decimal;
#' `UCUMUnit` `ppm` for 85%, `coppm` 8%, `PPM` 5%, none 2%; smokers'
#' readings log-normal around 11 ppm, sd 0.6 on the log scale, others'
#' exponential with mean 0.9 ppm) or cigarettes per day on 10%
#' (`230056004`); at delivery a finding code on a labour care activity
#' (MSD302 `FindingCode`, for 85% of labours) dated (`ClinInterDateMother`)
#' on the birth or, for 15%, 1-6 days after, with MSD301 `LabourOnsetDate`
#' (the birth or the day before; none for an elective caesarean) and
#' `CaesareanDate`. The records follow the true status with realistic
#' noise, so the NHS-derived status is not always the truth: where it is
#' known at booking it says smoker or not as the truth does for about 99% of
#' women (a CO reading of 4 ppm or more, which outranks a finding, makes
#' about 0.9% of non-smokers smokers; a reading below 4 ppm makes about 0.3%
#' of smokers, those without a smoker finding, non-smokers). Their random
#' numbers come from their own streams.
#'
#' @param n_pregnancies Number of pregnancies.
#' @param seed Seed for the random numbers.
#' @param start,end Booking dates covered.
#' @param n_units Number of maternity units (providers), 1 to 13. Units are
#'   the West Midlands trusts of [msds_providers] by their ODS codes, the
#'   units serving the most deprived women first: RXK, RRK, RQ3, RL4, RBK,
#'   RNA, RKB, RJE, RXW, RLT, RWP, RJC, RLQ (a smaller `n_units` takes the
#'   first ones; there are no more than 13). Pregnancies booked before
#'   1 April 2018 at the unit that became RRK carry RR1 (Heart of England) in
#'   every table (MSD901 staff stay under RRK).
#' @param effects True care-model effects, from [sim_effects()].
#' @param recording Recording problems, from [sim_recording()].
#' @param v2_start Start of MSDS v2 (care-plan fields recorded from then).
#' @param realism The shapes of a real NHS Digital extract, from
#'   [sim_realism()] (the default): monthly resubmission of every active
#'   record in every table (capped at a few months per record; real extracts
#'   hold every month), record numbers about 1e14 built from the submission
#'   id, provisional and final submissions from April 2023, text deciles,
#'   Apgar scores and observation values, codes outside the code lists and empty smoking fields. The realism random
#'   numbers come from their own stream, so the clean tables are the same
#'   with or without it. `NULL` or `FALSE` gives the clean tables (one
#'   record per key except for `repeat_submission`, schema types).
#' @returns An `msds` object (see [as_msds()]) with attributes `truth`,
#'   `simulation`, `flags` (Traveller and long-term-condition flags, which
#'   MSDS does not hold) and `sim_call`; with realism, the extract read by
#'   [as_msds()], also with `sim_submissions` (one row per provider-month
#'   submission). With `sim_realism(validate = FALSE)`, the extract's tables as
#'   delivered: a list of class `msds_extract` with the same attributes.
#' @examples
#' x <- simulate_msds(2000, seed = 42)
#' x
#' attr(x, "truth")
#' @export
simulate_msds <- function(n_pregnancies = 20000, seed = 1,
                          start = as.Date("2015-04-01"),
                          end = as.Date("2025-12-31"), n_units = 13,
                          effects = sim_effects(), recording = sim_recording(),
                          v2_start = as.Date("2019-04-01"), realism = sim_realism()) {
  check_number(n_pregnancies, 10, 5e7)
  check_number(seed, -.Machine$integer.max, .Machine$integer.max)
  check_number(n_units, 1, 13)
  if (!inherits(effects, "mq_sim_effects")) {
    cli::cli_abort("{.arg effects} must come from {.fn sim_effects}.")
  }
  if (!inherits(recording, "mq_sim_recording")) {
    cli::cli_abort("{.arg recording} must come from {.fn sim_recording}.")
  }
  start <- as.Date(start)
  end <- as.Date(end)
  if (is.na(start) || is.na(end) || end <= start + 730) {
    cli::cli_abort("{.arg end} must be a date at least two years after {.arg start}.")
  }
  if (isFALSE(realism)) realism <- NULL
  if (!is.null(realism) && !inherits(realism, "mq_sim_realism")) {
    cli::cli_abort("{.arg realism} must come from {.fn sim_realism}, or be {.code NULL}.")
  }
  x <- with_seed(seed, sim_build(as.integer(n_pregnancies), start, end,
                                 as.integer(n_units), effects, recording,
                                 as.Date(v2_start), match.call(), seed))
  if (is.null(realism)) return(x)
  # the transformer takes `x` out of this frame, to free the clean tables early
  sim_realism_apply(environment(), realism, seed)
}

# Each woman's probability that a field is missing under the recording's
# mechanism: the share itself (MCAR, the same draws as before the option
# existed), or plogis(a + log(OR) * driver) with `a` solved so that the mean
# probability is the share; the driver is an observed characteristic (MAR)
# or the field's own true value (MNAR).
sim_missing_prob <- function(rec, field, mar, mnar) {
  share <- rec[[field]]
  mech <- rec$missing_mechanism %||% "mcar"
  if (mech == "mcar" || share <= 0) return(share)
  z <- if (mech == "mar") mar else mnar
  b <- log(rec$missing_odds_ratio)
  a <- stats::uniroot(function(a) mean(stats::plogis(a + b * z)) - share,
                      c(-40, 40), tol = 1e-12)$root
  stats::plogis(a + b * z)
}

# Runs `code` with the given seed (Mersenne-Twister) and restores the
# caller's RNG kind and state; `seed = NULL` runs it in the caller's stream.
# The one seed helper of the package (simulator, SII simulation).
with_seed <- function(seed, code) {
  if (is.null(seed)) return(force(code))
  check_number(seed, arg = "seed")
  genv <- globalenv()
  had <- exists(".Random.seed", envir = genv, inherits = FALSE)
  old <- if (had) get(".Random.seed", envir = genv, inherits = FALSE)
  old_kind <- RNGkind()
  on.exit({
    do.call(RNGkind, as.list(old_kind))
    if (had) assign(".Random.seed", old, envir = genv) else
      rm(".Random.seed", envir = genv, inherits = FALSE)
  }, add = TRUE)
  RNGkind("Mersenne-Twister", "Inversion", "Rejection")
  set.seed(seed)
  code
}

# Ids "<prefix><zero-padded number>" (as sprintf("%s%08d"), made in C++).
sim_ids <- function(prefix, i, width = 8L) .cpp_format_ids(prefix, as.integer(i), as.integer(width))

sim_build <- function(n, start, end, n_units, effects, recording, v2_start, call, seed = 1) {
  rec <- recording
  preg_ids <- sim_ids("P", seq_len(n))
  # details of births and discharges drawn from their own stream (see
  # sim_detail_draws()), so the other tables are those of earlier versions
  ud <- with_seed(sim_detail_seed(seed), sim_detail_draws(n))
  # ---- women and pregnancies ----------------------------------------------
  tl <- sim_timeline(n, start, end)
  n_w <- tl$n_women
  w <- tl$woman
  booking <- tl$booking
  eth_w <- sample(names(sim_ethnic_mix), n_w, TRUE, sim_ethnic_mix)
  skew <- eth_w %in% c("J", "K", "M", "N", "P")
  imd_w <- integer(n_w)
  imd_w[skew] <- sample.int(10L, sum(skew), TRUE, sim_imd_probs(TRUE))
  imd_w[!skew] <- sample.int(10L, sum(!skew), TRUE, sim_imd_probs(FALSE))
  lsoa_w <- sim_lsoa(imd_w)
  age0_w <- pmin(pmax(stats::rnorm(n_w, 29.5 - 1.2 * (eth_w %in% c("J", "K")), 5.5), 16), 45)
  # her first booking in the extract (the RR1 successor map below)
  first_w <- tl$first_in_window
  birth_mother_w <- tl$first_pregnancy - round(age0_w * 365.25)
  traveller_w <- stats::runif(n_w) < 0.004
  ltc_w <- stats::runif(n_w) < stats::plogis(-1.9 + 0.04 * (age0_w - 30))
  parity0_w <- sample(0:4, n_w, TRUE, c(0.42, 0.33, 0.14, 0.06, 0.05))

  p <- list(
    imd = imd_w[w], eth = eth_w[w], broad = ethnic_broad(eth_w[w]),
    age = as.numeric(booking - birth_mother_w[w]) / 365.25,
    parity = parity0_w[w] + tl$later, ltc = ltc_w[w],
    traveller = traveller_w[w]
  )
  p$csf <- stats::runif(n) < stats::plogis(-2.6 + 0.7 * (p$imd <= 2) + 1.2 * p$traveller)
  p$prev_cs <- sim_if(p$parity > 0, stats::rbinom(n, 1, 0.22), 0L)
  p$prev_sb <- sim_if(p$parity > 0, stats::rbinom(n, 1, 0.012), 0L)
  p$year <- as.POSIXlt(booking)$year + 1900L
  unit_prob_dep <- stats::dbeta((seq_len(n_units) - 0.5) / n_units, 1.3, 2.2)
  unit_prob_oth <- stats::dbeta((seq_len(n_units) - 0.5) / n_units, 2.2, 1.3)
  p$unit <- integer(n)
  dep <- p$imd <= 3
  p$unit[dep] <- sample.int(n_units, sum(dep), TRUE, unit_prob_dep)
  p$unit[!dep] <- sample.int(n_units, sum(!dep), TRUE, unit_prob_oth)
  # Units' CoC uptake effects are a fixed property of the synthetic region (the
  # same for every seed, spread over units by a golden-ratio sequence, so not
  # ordered by the units' deprivation mix): replications with different seeds
  # are then samples from one superpopulation, whose truth they share.
  unit_eff <- seq(-0.6, 0.6, length.out = n_units)[rank((seq_len(n_units) * 0.6180339887) %% 1)]
  units <- sim_unit_codes[seq_len(n_units)]
  v2 <- booking >= v2_start
  p$v2 <- v2

  booking_gest <- as.integer(56 + round(stats::rgamma(n, 2, scale = 7)) +
                               (stats::runif(n) < 0.06 + 0.06 * (p$imd <= 2)) *
                               round(stats::runif(n, 20, 90)))
  # ---- fate of the pregnancy ------------------------------------------------
  u_fate <- stats::runif(n)
  lost <- u_fate < 0.03 & booking_gest < 190          # miscarriage or moved away
  twin <- !lost & stats::runif(n) < 0.016
  early <- !lost & stats::runif(n) < sim_if(twin, 0.08, 0.008)   # born < 203 days
  reach <- !lost & !early
  target <- reach & v2 & !twin

  # ---- smoking at booking, before the models it enters ----------------------
  smoke_seeds <- sim_smoking_seeds(seed)
  smk <- with_seed(smoke_seeds[3], sim_smoking_truth(stats::runif(n), p$imd <= 2, !lost))
  p$smoker <- smk$booking == "smoker"

  # ---- care models ----------------------------------------------------------
  t <- sim_risk_terms(p)
  p$pcsp <- v2 & stats::runif(n) < stats::plogis(sim_pcsp_logit(p, t))
  coc_join <- v2 & !lost & stats::runif(n) < stats::plogis(sim_coc_logit(p, t, unit_eff, effects))
  late_join <- coc_join & stats::runif(n) < rec$late_care_plan
  coc <- coc_join & !late_join                       # placed by 28+6 weeks
  core20 <- p$imd <= 2
  minority <- p$eth != "A"
  c20p <- core20 | minority | p$traveller | p$ltc | p$csf

  # ---- outcomes: both potential outcomes, common random numbers ------------
  r0 <- sim_risks(t, p$pcsp, c20p, 0, effects)
  r1 <- sim_risks(t, p$pcsp, c20p, 1, effects)
  r0$preterm <- sim_trend_shift(r0$preterm, booking, effects$preterm_trend)
  r1$preterm <- sim_trend_shift(r1$preterm, booking, effects$preterm_trend)
  u <- lapply(stats::setNames(nm = c(sim_outcomes, "gest", "cs_type", "feed")),
              function(o) stats::runif(n))
  pot <- function(r, a, pc = p$pcsp) {
    pre <- u$preterm < r$preterm
    lp <- function(o) sim_outcome_logit0(t, o) + sim_effect_logit(t, pc, c20p, a, effects, o)
    list(
      preterm = pre,
      stillbirth = u$stillbirth < stats::plogis(lp("stillbirth") + 2.3 * pre),
      neonatal_death = u$neonatal_death < stats::plogis(lp("neonatal_death") + 3.0 * pre),
      caesarean = u$caesarean < r$caesarean,
      pph_1500 = u$pph_1500 < r$pph_1500,
      breastmilk_first_feed = u$breastmilk_first_feed < r$breastmilk_first_feed
    )
  }
  y0 <- pot(r0, 0)
  y1 <- pot(r1, 1)
  # the four care models (personalised care plan x CoC placement): risks and
  # potential outcomes under each, from the same uniforms (nothing is drawn,
  # so every other output is as it was for the seed)
  cm <- sim_care_model_grid()
  r_cm <- lapply(seq_len(nrow(cm)), function(k) sim_risks(t, cm$pcsp[k], c20p, cm$coc[k], effects))
  y_cm <- lapply(seq_len(nrow(cm)), function(k) pot(r_cm[[k]], cm$coc[k], cm$pcsp[k]))
  names(r_cm) <- names(y_cm) <- cm$care_model
  a <- as.numeric(coc)
  y <- Map(function(o0, o1) sim_if(coc, o1, o0), y0, y1)

  # gestation at birth (days)
  gest <- sim_if(y$preterm, 258L - pmin(floor(stats::qexp(u$gest, 1 / 12)), 55L),
                 pmin(pmax(round(stats::qnorm(u$gest, 280, 8)), 259L), 300L))
  gest[twin & reach] <- pmin(gest[twin & reach], 259L + floor(u$gest[twin & reach] * 10))
  gest[early] <- as.integer(161 + floor(stats::runif(sum(early)) * 42))
  gest <- as.integer(gest)
  still <- y$stillbirth
  still[early] <- stats::runif(sum(early)) < 0.08
  still[gest < 168] <- FALSE
  nnd <- y$neonatal_death & !still
  nnd[early] <- !still[early] & stats::runif(sum(early)) < 0.15
  born <- !lost
  birth_date <- booking + (gest - booking_gest)
  discharge <- birth_date + round(stats::runif(n, 28, 60))
  lost_gest <- pmin(booking_gest + 7L + floor(stats::runif(n) * 120), 200L)
  discharge[lost] <- booking[lost] + (lost_gest[lost] - booking_gest[lost])

  # ---- named carers -----------------------------------------------------------
  n_teams <- 10L
  mw_per_team <- 8L
  n_obs <- 12L
  n_sup <- 8L
  team <- sample.int(n_teams, n, TRUE)
  named <- sample.int(mw_per_team, n, TRUE)
  staff <- sim_staff(units, n_teams, mw_per_team, n_obs, n_sup)
  mw_id <- function(unit, tm, m) {
    staff$CareProfLID[sim_staff_index(unit, tm, m, n_teams, mw_per_team)]
  }
  team_id <- function(unit, tm) staff_team_ids[(unit - 1L) * n_teams + tm]
  staff_team_ids <- sprintf("%sT%02d", rep(units, each = n_teams), rep(seq_len(n_teams), length(units)))

  # ---- care plans (MSD102) ----------------------------------------------------
  problem <- rep("", n)
  gest_on <- function(d) booking_gest + as.integer(d - booking)
  has_plan <- v2 & !(stats::runif(n) < rec$care_plan_missing & !coc_join)
  problem[v2 & !has_plan] <- "no care plan"
  plan_gest <- pmin(booking_gest + floor(stats::runif(n) * 14), 202L)
  # pathway joiners: placed between booking and 28+6, or late (after 28+6)
  join_gest <- sim_if(late_join, 204L + floor(stats::runif(n) * 40),
                      pmin(booking_gest + floor(stats::rexp(n, 1 / 21)), 203L))
  plan_rows <- which(has_plan & (born | gest_on(discharge) > plan_gest))
  first_plan <- data.frame(i = plan_rows, g = plan_gest[plan_rows], path = "N",
                           stringsAsFactors = FALSE)
  first_plan$path[coc[plan_rows] & join_gest[plan_rows] <= plan_gest[plan_rows]] <- "Y"
  second <- which(coc_join & join_gest > plan_gest & (!early & !lost | join_gest < gest))
  second <- second[join_gest[second] < sim_if(born[second], gest[second], lost_gest[second])]
  second_plan <- data.frame(i = second, g = join_gest[second], path = "Y",
                            stringsAsFactors = FALSE)
  cp <- rbind(first_plan, second_plan)
  cp$date <- booking[cp$i] + (cp$g - booking_gest[cp$i])
  named_missing <- cp$path == "Y" & stats::runif(nrow(cp)) < rec$named_carer_missing
  mid <- sim_if(cp$path == "Y" | stats::runif(nrow(cp)) < 0.5,
                mw_id(p$unit[cp$i], team[cp$i], named[cp$i]), NA_character_)
  tid <- sim_if(cp$path == "Y" | stats::runif(nrow(cp)) < 0.5,
                team_id(p$unit[cp$i], team[cp$i]), NA_character_)
  which_missing <- stats::runif(nrow(cp)) < 0.5
  mid[named_missing & which_missing] <- NA_character_
  tid[named_missing & !which_missing] <- NA_character_
  problem[cp$i[named_missing & cp$g <= 203]] <- "named carer missing"
  problem[late_join & problem == ""] <- "late care plan"
  pcsp_ind <- sim_if(p$pcsp[cp$i], "Y", "N")
  pcsp_ind[stats::runif(nrow(cp)) < rec$care_plan_fields_missing] <- NA_character_
  n_cp <- nrow(cp)
  msd102 <- tibble::tibble(
    UniqPregID = preg_ids[cp$i], RecordNumber = seq_len(n_cp) + 3L * n,
    OrgCodeProvider = units[p$unit[cp$i]], CarePlanDate = cp$date,
    CarePlanType = "05", MatPersCarePlanInd = pcsp_ind, ContCarePathInd = cp$path,
    CareProfLID = mid, TeamLocalID = tid
  )
  # birth ('06') and postpartum ('07') plans for some pregnancies; their
  # timing comes from a stream of their own, so the main stream (and every
  # other table) is as it was before they were simulated
  bp <- which(v2 & born & stats::runif(n) < 0.5)
  pw <- with_seed(sim_plan_seed(seed), sim_pathway_plans(bp, booking, booking_gest, gest, rec))
  path_plans <- function(i, type, date, pers, rn) tibble::tibble(
    UniqPregID = preg_ids[i], RecordNumber = rn, OrgCodeProvider = units[p$unit[i]],
    CarePlanDate = date, CarePlanType = type, MatPersCarePlanInd = pers,
    ContCarePathInd = sim_if(coc_join[i], "Y", "N"),
    CareProfLID = mw_id(p$unit[i], team[i], named[i]), TeamLocalID = team_id(p$unit[i], team[i]))
  rn_bp <- seq_along(bp) + 3L * n + n_cp
  msd102 <- sim_rbind(msd102, path_plans(bp, "06", pw$birth_date, sim_if(p$pcsp[bp], "Y", "N"), rn_bp))
  # a postpartum plan is in the same submission as the birth plan
  pp <- bp[pw$post]
  msd102 <- sim_rbind(msd102, path_plans(pp, "07", pw$post_date[pw$post],
                                        sim_if(pw$post_pers_missing[pw$post], NA_character_,
                                               sim_if(p$pcsp[pp], "Y", "N")),
                                        rn_bp[pw$post]))
  msd102 <- msd102[order(msd102$UniqPregID, msd102$CarePlanDate, method = "radix"), ]

  # ---- labour, babies ---------------------------------------------------------
  lb <- sim_births(n, preg_ids, p, t, born, twin, gest, still, nnd, y, u, booking, birth_date,
                   coc, team, named, units, n_teams, mw_per_team, n_obs, ud,
                   sim_smoking_weight_shift(effects$smoking[["low_birth_weight"]]))

  # ---- booking, demographics, staff --------------------------------------------
  mother_ids <- sim_ids("M", seq_len(n_w))
  eth_rec_w <- eth_w
  minority_w <- eth_w != "A"
  unk <- stats::runif(n_w) < sim_missing_prob(rec, "ethnicity_unknown",
                                               mar = imd_w <= 2L, mnar = minority_w)
  eth_rec_w[unk] <- sample(c("Z", "99", NA), sum(unk), TRUE, c(0.6, 0.25, 0.15))
  lsoa_rec_w <- lsoa_w
  imd_rec_w <- imd_w
  nolsoa <- stats::runif(n_w) < sim_missing_prob(rec, "lsoa_missing",
                                                  mar = minority_w, mnar = imd_w <= 2L)
  lsoa_rec_w[nolsoa] <- NA_character_
  imd_rec_w[nolsoa] <- NA_integer_
  first_unit_w <- p$unit[match(seq_len(n_w), w)]
  msd001 <- tibble::tibble(
    Person_ID_Mother = mother_ids, RecordNumber = 2L * seq_len(n_w),
    OrgCodeProvider = units[first_unit_w], PersonBirthDateMother = birth_mother_w,
    EthnicCategoryMother = eth_rec_w, LSOAMother2011 = lsoa_rec_w,
    Rank_IMD_Decile_2015 = imd_rec_w
  )
  bad_gest <- stats::runif(n) < 0.0005
  # drawn in the order the columns below use them
  disability <- stats::runif(n) < 0.03
  prev_losses <- as.integer(stats::rbinom(n, 2, 0.1))
  # the uniforms the smoking status was drawn from before it had a stream of
  # its own: still drawn, so that the later draws of the main stream (and the
  # shipped example data) stay as they are
  stats::runif(n)
  bmi <- round(stats::rlnorm(n, log(26), 0.18), 1)
  msd101 <- tibble::tibble(
    UniqPregID = preg_ids, Person_ID_Mother = mother_ids[w],
    RecordNumber = 2L * seq_len(n), OrgCodeProvider = units[p$unit],
    AntenatalAppDate = booking,
    GestAgeBooking = sim_if(bad_gest, 400L, booking_gest),
    EDDAgreed = booking + (280L - booking_gest),
    AgeAtBookingMother = as.integer(floor(p$age)),
    ComplexSocialFactorsInd = sim_if(p$csf, "Y", "N"),
    DisabilityIndMother = sim_if(disability, "Y", "N"),
    PreviousLiveBirths = as.integer(p$parity - p$prev_sb),
    PreviousStillBirths = as.integer(p$prev_sb),
    PreviousCaesareanSections = as.integer(p$prev_cs),
    PreviousLossesLessThan24Weeks = prev_losses,
    DischargeDateMatService = discharge,
    DischReason = sim_disch_reason(born, preg_ids %in% lb$msd401$UniqPregID[lb$msd401$PregOutcome != "01"], ud),
    SmokingStatusBooking = unname(smk$msd101_booking),
    SmokingStatusDelivery = smk$msd101_delivery,
    PersonBMIBooking = bmi
  )
  lb <- sim_smoking_labour(lb, preg_ids, smk$delivery, smoke_seeds[2])
  problem[bad_gest] <- "impossible booking gestation"
  # gestation at birth not recorded (the 400 g rule decides births)
  no_gest <- born & problem == "" & ud$gest_missing < rec$gestation_missing
  lb$msd401$GestationLengthBirth[lb$msd401$UniqPregID %in% preg_ids[no_gest]] <- NA_integer_
  problem[no_gest] <- "gestation at birth missing"
  # repeated submissions: an earlier version of the record, superseded
  rep_b <- which(stats::runif(n) < rec$repeat_submission)
  old_b <- msd101[rep_b, ]
  old_b$RecordNumber <- old_b$RecordNumber - 1L
  old_b$DischargeDateMatService <- as.Date(NA)
  old_b$DischReason <- NA_character_
  old_b$GestAgeBooking <- old_b$GestAgeBooking + 7L
  msd101 <- sim_rbind(msd101, old_b)
  rep_m <- which(stats::runif(n_w) < rec$repeat_submission)
  old_m <- msd001[rep_m, ]
  old_m$RecordNumber <- old_m$RecordNumber - 1L
  old_m$EthnicCategoryMother <- "Z"
  msd001 <- sim_rbind(msd001, old_m)

  # ---- the truth --------------------------------------------------------------
  grp <- sim_if(core20 & (minority | p$traveller | p$ltc | p$csf), "Core20 and PLUS",
                sim_if(core20, "Core20 only",
                       sim_if(c20p, "PLUS only", "Neither")))
  groups <- list(overall = NULL, core20plus = c20p, core20 = core20,
                 ethnic_minority = minority, core20plus_group = grp,
                 ethnic_group = p$broad)
  truth <- sim_truth_table(r0, r1, target, groups)
  truth_cm <- sim_truth_care_model(r_cm, target, groups)
  cm_risks <- tibble::tibble(UniqPregID = preg_ids,
                             care_model = sim_care_model_of(p$pcsp, coc))
  for (k in cm$care_model) for (o in sim_outcomes) {
    cm_risks[[paste0("risk_", k, "_", o)]] <- r_cm[[k]][[o]]
    cm_risks[[paste0("y_", k, "_", o)]] <- y_cm[[k]][[o]]
  }
  sim <- tibble::tibble(
    UniqPregID = preg_ids, Person_ID_Mother = mother_ids[w],
    v2 = v2, target = target, lost = lost, early_birth = early, twin = twin,
    core20 = core20, ethnic_minority = minority, ethnic_code = p$eth,
    imd_decile = p$imd, traveller = p$traveller, long_term_condition = p$ltc,
    complex_social = p$csf, core20plus = c20p, core20plus_group = grp,
    pcsp = p$pcsp, coc_joined = coc_join, coc_placed = coc, propensity_coc =
      sim_if(v2 & !lost, stats::plogis(sim_coc_logit(p, t, unit_eff, effects)) *
               (1 - rec$late_care_plan), 0),
    recording_problem = problem, gestation_birth = sim_if(born, gest, NA_integer_),
    smoking_booking = smk$booking, smoking_delivery = smk$delivery,
    termination = msd101$DischReason[seq_len(n)] %in% c("04", "05")
  )
  for (o in sim_outcomes) {
    sim[[paste0("risk0_", o)]] <- r0[[o]]
    sim[[paste0("risk1_", o)]] <- r1[[o]]
    sim[[paste0("y0_", o)]] <- y0[[o]]
    sim[[paste0("y1_", o)]] <- y1[[o]]
  }

  # ---- tables; contacts (MSD201, MSD202) last -------------------------------
  # The other tables are validated with empty stand-ins for the contact
  # tables; the contacts, valid by construction, are made afterwards and get
  # only their cheap checks (test-simulate.R checks that as_msds() agrees), so
  # that neither the checks nor the garbage collector walk their millions of
  # rows more than needed.
  contact_tables <- c("MSD201CareContactPreg", "MSD202CareActivityPreg")
  tables <- list(
    MSD001MotherDemog = msd001, MSD101PregnancyBooking = msd101,
    MSD102MatCarePlan = msd102,
    MSD201CareContactPreg = msds_empty_table("MSD201CareContactPreg"),
    MSD202CareActivityPreg = msds_empty_table("MSD202CareActivityPreg"),
    MSD301LabourDelivery = lb$msd301,
    MSD302CareActivityLabDel = lb$msd302, MSD401BabyDemographics = lb$msd401,
    MSD402NeonatalAdmission = lb$msd402, MSD405CareActivityBaby = lb$msd405,
    MSD901StaffDetails = staff
  )
  flags <- tibble::tibble(Person_ID_Mother = mother_ids, traveller = traveller_w,
                          long_term_condition = ltc_w)
  rr1 <- sim_rr1_pregnancies(preg_ids, units[p$unit], booking)
  tables <- lapply(tables, sim_rr1_codes, rr1 = rr1)
  tables$MSD001MotherDemog$OrgCodeProvider[
    tables$MSD001MotherDemog$OrgCodeProvider == "RRK" &
      first_w[match(tables$MSD001MotherDemog$Person_ID_Mother, mother_ids)] < sim_rr1_end] <- "RR1"
  x <- msds_build(tables, NULL, flags, quiet = TRUE)
  rm(tables, msd001, msd101, msd102, lb)
  ct <- sim_contacts(n, preg_ids, p, booking, booking_gest, born, birth_date, discharge,
                     coc, late_join, join_gest, team, named, units, n_teams,
                     mw_per_team, n_obs, n_sup, rec)
  ct$msd201 <- sim_rr1_codes(ct$msd201, rr1)
  ct$msd202 <- sim_smoking_contacts(ct$msd202, ct$act_con, ct$con_preg, ct$con_date,
                                    smk$booking, smoke_seeds[1])
  x <- msds_add_trusted(x, list(MSD201CareContactPreg = ct$msd201,
                                MSD202CareActivityPreg = ct$msd202))
  attr(x, "truth") <- truth
  attr(x, "truth_care_model") <- truth_cm
  attr(x, "care_model_risks") <- cm_risks
  attr(x, "simulation") <- sim
  attr(x, "sim_call") <- call
  x
}

# The birth and postpartum plans' stream: its seed is derived from the main
# seed (see sim_realism_seed()).
sim_plan_seed <- function(seed) {
  as.integer((as.numeric(seed) * 69069 + 1234567) %% 2147483647)
}

# Timing of the birth plans ('06') and postpartum plans ('07') of the
# pregnancies `i` (all born), as personalised care guidance times them: a
# birth plan at 31+0 to 35+6 weeks (217-251 days) and, for 85% of them, a
# postpartum plan up to three weeks later. A plan that would fall after the
# birth is dated the day before it (birth plan) or on it (postpartum plan).
# The personalised-plan field of a postpartum plan is missing as often as
# sim_recording()'s care_plan_fields_missing says.
sim_pathway_plans <- function(i, booking, booking_gest, gest, rec) {
  m <- length(i)
  g_birth <- 217L + as.integer(floor(stats::runif(m) * 35))
  g_post <- g_birth + as.integer(floor(stats::runif(m) * 21))
  post <- stats::runif(m) < 0.85
  missing <- stats::runif(m) < rec$care_plan_fields_missing
  g_birth <- pmax(pmin(g_birth, gest[i] - 1L), booking_gest[i] + 1L)
  g_post <- pmax(pmin(g_post, gest[i]), g_birth)
  list(birth_date = booking[i] + (g_birth - booking_gest[i]),
       post_date = booking[i] + (g_post - booking_gest[i]),
       post = post, post_pers_missing = missing)
}

# The simulator's units: the 13 current West Midlands trusts (ODS codes),
# those serving the most deprived women first (the unit-choice model puts
# deprived women in the low-numbered units).
sim_unit_codes <- c("RXK", "RRK", "RQ3", "RL4", "RBK", "RNA", "RKB", "RJE", "RXW",
                    "RLT", "RWP", "RJC", "RLQ")
# RR1 Heart of England became part of RRK on this date.
sim_rr1_end <- as.Date("2018-04-01")

# Real LSOA 2011 codes of the West Midlands ICBs with the given IMD 2019
# deciles: one uniform draw per woman among her decile's LSOAs.
sim_lsoa <- function(decile) {
  tab <- matequity::imd2019
  wm <- tab$icb22 %in% unique(matequity::msds_providers$icb)
  d <- tab$imd_decile[wm]
  pool <- tab$lsoa11[wm][order(d, tab$lsoa11[wm], method = "radix")]
  cnt <- tabulate(d, 10L)
  start <- cumsum(c(0L, cnt[-10L]))
  pool[start[decile] + 1L + as.integer(floor(stats::runif(length(decile)) * cnt[decile]))]
}

# Pregnancies booked at RRK's unit before April 2018 (then RR1).
sim_rr1_pregnancies <- function(preg_ids, unit_code, booking) {
  preg_ids[unit_code == "RRK" & booking < sim_rr1_end]
}

# RRK -> RR1 on the rows of those pregnancies, in a table with UniqPregID.
sim_rr1_codes <- function(tab, rr1) {
  if (!length(rr1) || !all(c("UniqPregID", "OrgCodeProvider") %in% names(tab))) return(tab)
  i <- which(tab$OrgCodeProvider == "RRK")
  i <- i[tab$UniqPregID[i] %in% rr1]
  if (length(i)) tab$OrgCodeProvider[i] <- "RR1"
  tab
}

sim_staff <- function(units, n_teams, mw_per_team, n_obs, n_sup) {
  mw <- expand.grid(m = seq_len(mw_per_team), t = seq_len(n_teams), u = seq_along(units))
  ob <- expand.grid(k = seq_len(n_obs), u = seq_along(units))
  su <- expand.grid(k = seq_len(n_sup), u = seq_along(units))
  tibble::tibble(
    CareProfLID = c(sprintf("%sT%02dM%d", units[mw$u], mw$t, mw$m),
                    sprintf("%sD%02d", units[ob$u], ob$k),
                    sprintf("%sS%02d", units[su$u], su$k)),
    StaffGroup = c(rep(c("05", "06", "07"), length.out = nrow(mw)),
                   rep("01", nrow(ob)), rep("10", nrow(su))),
    OrgCodeProvider = c(units[mw$u], units[ob$u], units[su$u])
  )
}
