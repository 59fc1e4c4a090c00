# The data-generating model behind simulate_msds(): population mix, care-model
# allocation and outcome risks. Kept apart from the table-building code so the
# model can be read (and documented) on its own.

#' Parameters of the MSDS simulator
#'
#' `sim_effects()` sets the true effects of the care models on the outcomes,
#' on the log-odds scale, separately for CORE20PLUS women and other women;
#' `sim_recording()` sets how often the simulated records carry the recording
#' problems seen in real MSDS extracts. Both feed [simulate_msds()].
#'
#' The defaults are loosely based on the Cochrane review of midwife-led
#' continuity models (Sandall et al. 2016: preterm birth RR about 0.76, fetal
#' loss and neonatal death about 0.84) with larger benefits for women in the
#' most deprived areas and ethnic minority women, as observational caseload
#' studies report.
#'
#' @param coc_core20plus,coc_other Named numeric vectors: log odds ratios of
#'   being placed on a continuity-of-carer pathway for each outcome, among
#'   CORE20PLUS women and among other women. Outcomes: `preterm`,
#'   `stillbirth`, `neonatal_death`, `caesarean`, `pph_1500`,
#'   `breastmilk_first_feed`.
#' @param pcsp Named numeric vector: log odds ratios of a personalised care and
#'   support plan (the same in every group).
#' @param smoking Named numeric vector: odds ratios for women who smoke at
#'   booking (their true status, `smoking_booking` in `attr(x, "simulation")`)
#'   against those who do not, all else equal. Smoking confounds the
#'   care-model effects: smokers are more often placed on a CoC pathway and
#'   have higher risks. `preterm` (default 1.3; Shah and Bracken 2000,
#'   *Am J Obstet Gynecol* 182:465-72, pooled OR 1.27),
#'   `low_birth_weight` (default 2: the odds of a birth weight below the
#'   10th centile of the simulator's weight for gestation, small for
#'   gestational age, as an equal shift of smokers' log birth weight, about
#'   150 g at term; Pereira et al. 2017, *Nicotine Tob Res* 19:497-505, odds
#'   of low birth weight about 2), `stillbirth` (default 1.4, on the stillbirth
#'   risk given gestation, so with the preterm path smokers' odds of
#'   stillbirth are about 1.5 times higher; Marufu et al. 2015, *BMC Public
#'   Health* 15:239, pooled OR 1.47) and `coc` (default 1.4: the odds of
#'   joining a CoC pathway, which targets women with complex social factors).
#'   A value of 1 turns that path off; all at 1 leave smoking outside the
#'   models. Neonatal death rises through preterm birth only.
#' @param preterm_trend Optional change over time in the risk of preterm
#'   birth, for interrupted time series: a list with `date` (a `Date`),
#'   `level` (added to every pregnancy's risk from `date`, probability
#'   scale) and `slope` (added per year after `date`), by booking date. The
#'   risk is clamped to 0-1; the other outcomes are not shifted. `NULL`
#'   (default): no change.
#' @returns `sim_effects()`: a list of class `mq_sim_effects`.
#' @examples
#' sim_effects()
#' sim_effects(coc_other = c(preterm = 0))
#' sim_effects(smoking = c(coc = 1))          # smokers no likelier to get CoC
#' sim_recording(ethnicity_unknown = 0)
#' @export
sim_effects <- function(coc_core20plus = NULL, coc_other = NULL, pcsp = NULL,
                        smoking = NULL, preterm_trend = NULL) {
  if (!is.null(preterm_trend)) {
    ok <- is.list(preterm_trend) && setequal(names(preterm_trend), c("date", "level", "slope")) &&
      inherits(preterm_trend$date, "Date") && length(preterm_trend$date) == 1L &&
      is.numeric(preterm_trend$level) && length(preterm_trend$level) == 1L &&
      is.numeric(preterm_trend$slope) && length(preterm_trend$slope) == 1L
    if (!ok) {
      cli::cli_abort("{.arg preterm_trend} must be a list of {.field date} (one {.cls Date}), {.field level} and {.field slope} (numbers).")
    }
  }
  base_c20 <- c(preterm = -0.45, stillbirth = -0.30, neonatal_death = -0.25,
                caesarean = -0.15, pph_1500 = -0.10, breastmilk_first_feed = 0.35)
  base_oth <- c(preterm = -0.15, stillbirth = -0.12, neonatal_death = -0.10,
                caesarean = -0.08, pph_1500 = -0.05, breastmilk_first_feed = 0.15)
  base_pcsp <- c(preterm = -0.05, stillbirth = 0, neonatal_death = 0,
                 caesarean = -0.05, pph_1500 = 0, breastmilk_first_feed = 0.10)
  merge_effects <- function(base, new, arg) {
    if (is.null(new)) return(base)
    if (!is.numeric(new) || is.null(names(new)) || any(!names(new) %in% names(base))) {
      cli::cli_abort(c("{.arg {arg}} must be a named numeric vector.",
                       "i" = "Names allowed: {.val {names(base)}}."),
                     call = rlang::caller_env(2))
    }
    base[names(new)] <- new
    base
  }
  structure(list(
    coc_core20plus = merge_effects(base_c20, coc_core20plus, "coc_core20plus"),
    coc_other = merge_effects(base_oth, coc_other, "coc_other"),
    pcsp = merge_effects(base_pcsp, pcsp, "pcsp"),
    smoking = sim_smoking_odds_ratios(smoking),
    preterm_trend = preterm_trend
  ), class = "mq_sim_effects")
}

#' @rdname sim_effects
#' @param ethnicity_unknown Share of women whose ethnicity is recorded as not
#'   stated or not known (`Z`, `99`) or left blank.
#' @param lsoa_missing Share of women with no LSOA (and so no IMD decile).
#' @param care_plan_missing Share of MSDS v2 pregnancies not on a continuity
#'   pathway with no antenatal care plan record.
#' @param care_plan_fields_missing Share of care plans missing the personalised
#'   care plan indicator.
#' @param named_carer_missing Share of continuity-pathway care plans missing
#'   the named midwife or team (these pregnancies fail the NHS measure although
#'   the woman is on the pathway).
#' @param late_care_plan Share of women joining a continuity pathway whose
#'   plan is dated after 28+6 weeks (not placed by 28 weeks, by definition).
#' @param repeat_submission Share of booking and demographic records submitted
#'   twice (the later submission has the higher `RecordNumber`).
#' @param unattended Share of care contacts not attended.
#' @param carer_missing Share of care activities with no professional id.
#' @param gestation_missing Share of births with no gestation at birth
#'   (`GestationLengthBirth`), among pregnancies without another recording
#'   problem (marked `"gestation at birth missing"` in `recording_problem`);
#'   MBRRACE-UK's 400 g rule then decides which are births from 24+0 weeks.
#' @param missing_mechanism How unknown ethnicity and missing LSOA (IMD)
#'   arise: `"mcar"` (the default: completely at random, each woman with
#'   probability `ethnicity_unknown` or `lsoa_missing`; the simulated data of a
#'   seed are those of earlier versions), `"mar"` (at random given observed
#'   data: the odds of unknown ethnicity are `missing_odds_ratio` times higher
#'   for women in IMD deciles 1-2, and the odds of a missing LSOA
#'   `missing_odds_ratio` times higher for ethnic-minority women) or `"mnar"`
#'   (not at random: the odds of unknown ethnicity are `missing_odds_ratio`
#'   times higher for ethnic-minority women, those of a missing LSOA for
#'   women in IMD deciles 1-2). Under `"mar"` and `"mnar"` the intercept of
#'   the logistic missingness model is solved so that the expected shares are
#'   still `ethnicity_unknown` and `lsoa_missing`; the true values are in
#'   `attr(x, "simulation")` (`ethnic_code`, `imd_decile`).
#' @param missing_odds_ratio Odds ratio of the `"mar"` and `"mnar"`
#'   mechanisms.
#' @returns `sim_recording()`: a list of class `mq_sim_recording`.
#' @export
sim_recording <- function(ethnicity_unknown = 0.04, lsoa_missing = 0.015,
                          care_plan_missing = 0.05,
                          care_plan_fields_missing = 0.02,
                          named_carer_missing = 0.02, late_care_plan = 0.05,
                          repeat_submission = 0.03, unattended = 0.08,
                          carer_missing = 0.01, gestation_missing = 0.003,
                          missing_mechanism = c("mcar", "mar", "mnar"),
                          missing_odds_ratio = 3) {
  args <- list(ethnicity_unknown = ethnicity_unknown, lsoa_missing = lsoa_missing,
               care_plan_missing = care_plan_missing,
               care_plan_fields_missing = care_plan_fields_missing,
               named_carer_missing = named_carer_missing,
               late_care_plan = late_care_plan,
               repeat_submission = repeat_submission, unattended = unattended,
               carer_missing = carer_missing, gestation_missing = gestation_missing)
  for (nm in names(args)) check_number(args[[nm]], 0, 0.5, arg = nm)
  args$missing_mechanism <- rlang::arg_match(missing_mechanism)
  check_number(missing_odds_ratio, 1e-3, 1e3)
  args$missing_odds_ratio <- missing_odds_ratio
  structure(args, class = "mq_sim_recording")
}

#' @export
print.mq_sim_effects <- function(x, ...) {
  tab <- rbind(coc_core20plus = x$coc_core20plus, coc_other = x$coc_other,
               pcsp = x$pcsp)
  cat("<mq_sim_effects> log odds ratios\n")
  print(round(tab, 3))
  cat("smoking at booking, odds ratios\n")
  print(round(x$smoking, 3))
  invisible(x)
}

# Ethnic category mix of births (NHS Data Dictionary codes), West
# Midlands-like: large Pakistani, Indian, Black African and Caribbean
# populations.
sim_ethnic_mix <- c(A = 0.575, B = 0.005, C = 0.065, D = 0.012, E = 0.006,
                    F = 0.010, G = 0.012, H = 0.055, J = 0.105, K = 0.020,
                    L = 0.025, M = 0.015, N = 0.045, P = 0.010, R = 0.006,
                    S = 0.034)

# Deprivation: national IMD deciles skewed to the most deprived, more so for
# Pakistani, Bangladeshi and Black women.
sim_imd_probs <- function(deprived) {
  base <- c(0.20, 0.14, 0.11, 0.10, 0.09, 0.08, 0.08, 0.07, 0.07, 0.06)
  skew <- c(0.36, 0.20, 0.12, 0.09, 0.07, 0.05, 0.04, 0.03, 0.02, 0.02)
  if (deprived) skew else base
}

# Broad ethnic groups from codes (DOMAIN.md section 2).
ethnic_broad <- function(code) {
  out <- rep("Unknown", length(code))
  out[code %in% c("A", "B", "C")] <- "White"
  out[code %in% c("D", "E", "F", "G")] <- "Mixed"
  out[code %in% c("H", "J", "K", "L")] <- "Asian"
  out[code %in% c("M", "N", "P")] <- "Black"
  out[code %in% c("R", "S")] <- "Other"
  out
}

# Linear predictors shared by allocation and outcomes. `p` is the list of
# pregnancy-level covariates built by simulate_msds().
sim_risk_terms <- function(p) {
  list(
    deprived = as.numeric(p$imd <= 2),
    imd_c = (p$imd - 5.5) / 4.5,
    black = as.numeric(p$broad == "Black"),
    asian = as.numeric(p$broad == "Asian"),
    other_min = as.numeric(p$broad %in% c("Mixed", "Other")),
    age_c = (p$age - 30) / 5,
    age_old = as.numeric(p$age >= 40),
    nullip = as.numeric(p$parity == 0),
    ltc = as.numeric(p$ltc),
    csf = as.numeric(p$csf),
    prev_cs = as.numeric(p$prev_cs > 0),
    prev_sb = as.numeric(p$prev_sb > 0),
    smoker = as.numeric(p$smoker)
  )
}

# Logit of being placed on a continuity-of-carer pathway by 28+6 weeks:
# targeted at CORE20PLUS women, lower for higher-risk women, varying by unit
# and by year (rising from 2019, falling after the national target was
# withdrawn in September 2022).
sim_coc_logit <- function(p, t, unit_eff, effects) {
  year_eff <- c(`2019` = -2.5, `2020` = -1.7, `2021` = -1.0, `2022` = -0.9,
                `2023` = -1.6, `2024` = -1.9, `2025` = -2.1)
  ye <- sim_year_effect(year_eff, p$year)
  ye + unit_eff[p$unit] + 0.55 * t$deprived - 0.15 * t$imd_c + 0.45 * t$black +
    0.35 * t$asian + 0.2 * t$other_min + 0.3 * t$csf - 0.6 * t$ltc -
    0.15 * t$age_c + 0.2 * t$nullip - 0.4 * t$prev_cs + 0.8 * p$pcsp +
    log(effects$smoking[["coc"]]) * t$smoker
}

# The effect of each year (named by year, consecutive years); -Inf (no care
# plans, so no allocation) for years not named.
sim_year_effect <- function(year_eff, year) {
  first <- as.integer(names(year_eff)[1])
  stopifnot(identical(as.integer(names(year_eff)), first + seq_along(year_eff) - 1L))
  idx <- as.integer(year) - first + 1L
  idx[idx < 1L | idx > length(year_eff)] <- NA_integer_
  ye <- unname(year_eff)[idx]
  ye[is.na(ye)] <- -Inf
  ye
}

sim_pcsp_logit <- function(p, t) {
  year_eff <- c(`2019` = -1.0, `2020` = -0.3, `2021` = 0.4, `2022` = 0.7,
                `2023` = 0.8, `2024` = 0.9, `2025` = 1.0)
  ye <- sim_year_effect(year_eff, p$year)
  ye + 0.1 * t$deprived - 0.2 * t$csf + 0.1 * t$nullip
}

# Baseline logits (no care model) for each outcome; calibrated so that rates
# are close to UK figures (preterm about 7%, stillbirth about 3.5 per 1,000,
# neonatal death about 1.7 per 1,000, caesarean about 33%, PPH >= 1500 ml
# about 3%, breast milk at first feed about 72%) with higher risks for Black
# and Asian women and in the most deprived areas.
sim_outcome_logit0 <- function(t, outcome) {
  switch(outcome,
    preterm = -2.85 + 0.25 * t$deprived - 0.10 * t$imd_c + 0.35 * t$black +
      0.15 * t$asian + 0.45 * t$ltc + 0.2 * t$csf + 0.15 * t$age_old +
      0.1 * t$nullip + 0.5 * t$prev_sb,
    # risks given term (the preterm multiplier is added in simulate_msds())
    stillbirth = -6.65 + 0.45 * t$deprived - 0.15 * t$imd_c + 0.75 * t$black +
      0.35 * t$asian + 0.35 * t$ltc + 0.2 * t$csf + 0.35 * t$age_old +
      0.8 * t$prev_sb,
    neonatal_death = -7.7 + 0.35 * t$deprived - 0.15 * t$imd_c + 0.4 * t$black +
      0.4 * t$asian + 0.3 * t$ltc + 0.2 * t$csf,
    caesarean = -0.95 + 0.25 * t$age_c + 0.3 * t$age_old + 1.8 * t$prev_cs +
      0.35 * t$nullip + 0.15 * t$black + 0.2 * t$ltc - 0.05 * t$deprived,
    pph_1500 = -3.55 + 0.3 * t$black + 0.15 * t$asian + 0.2 * t$age_old +
      0.25 * t$prev_cs + 0.15 * t$nullip,
    breastmilk_first_feed = 1.0 - 0.45 * t$deprived + 0.25 * t$imd_c +
      0.9 * t$black + 0.7 * t$asian + 0.6 * t$other_min - 0.2 * t$csf +
      0.15 * t$age_c,
    stop("unknown outcome ", outcome)
  )
}

sim_outcomes <- c("preterm", "stillbirth", "neonatal_death", "caesarean",
                  "pph_1500", "breastmilk_first_feed")

# Risk of each outcome under coc = a, given covariates (smoking at booking
# among them), pcsp and the effect parameters. Stillbirth and neonatal death
# mix their term and preterm risks (preterm multiplies the odds by exp(2.3)
# and exp(3.0)), so the care model and smoking act on them directly and
# through preterm birth.
sim_risks <- function(t, pcsp, c20p, a, effects) {
  eff <- function(o) sim_effect_logit(t, pcsp, c20p, a, effects, o)
  pre <- stats::plogis(sim_outcome_logit0(t, "preterm") + eff("preterm"))
  mix <- function(o, bump) {
    lp <- sim_outcome_logit0(t, o) + eff(o)
    pre * stats::plogis(lp + bump) + (1 - pre) * stats::plogis(lp)
  }
  list(
    preterm = pre,
    stillbirth = mix("stillbirth", 2.3),
    neonatal_death = mix("neonatal_death", 3.0),
    caesarean = stats::plogis(sim_outcome_logit0(t, "caesarean") + eff("caesarean")),
    pph_1500 = stats::plogis(sim_outcome_logit0(t, "pph_1500") + eff("pph_1500")),
    breastmilk_first_feed = stats::plogis(sim_outcome_logit0(t, "breastmilk_first_feed") +
                                            eff("breastmilk_first_feed"))
  )
}

# What the care model received (coc = a, pcsp) and smoking at booking add to
# the baseline logit of outcome `o`; the one place both the risks and the
# potential outcomes take them from.
sim_effect_logit <- function(t, pcsp, c20p, a, effects, o) {
  a * sim_if(c20p, effects$coc_core20plus[[o]], effects$coc_other[[o]]) +
    pcsp * effects$pcsp[[o]] + sim_smoking_logit(t, effects, o)
}

# Median birth weight (g) by gestation (days): a smooth curve through about
# 800 g at 26 weeks, 1,500 g at 31, 2,600 g at 35 and 3,450 g at 40.
sim_weight_median <- function(gest) {
  knots_d <- c(154, 182, 217, 245, 280, 300)
  knots_w <- c(450, 800, 1500, 2600, 3450, 3650)
  exp(stats::approx(knots_d, log(knots_w), xout = pmin(pmax(gest, 154), 300))$y)
}

# Rows of a truth table, overall and by each CORE20PLUS grouping: for each
# group level (pregnancies of the target population) and outcome, the data
# frame `row(sel, outcome)` makes, labelled.
sim_truth_rows <- function(outcomes, in_pop, groups, row) {
  rows <- list()
  for (g in names(groups)) {
    gv <- groups[[g]]
    levs <- if (is.null(gv)) "all" else sort(unique(gv[in_pop & !is.na(gv)]))
    for (lv in levs) {
      sel <- which(if (is.null(gv)) in_pop else in_pop & !is.na(gv) & gv == lv)
      for (o in outcomes) {
        rows[[length(rows) + 1L]] <- data.frame(
          outcome = o, group_var = g, group = as.character(lv), n = length(sel),
          row(sel, o), stringsAsFactors = FALSE)
      }
    }
  }
  tibble::as_tibble(do.call(rbind, rows))
}

# The truth table: mean potential-outcome risks under each care model,
# overall and by CORE20PLUS group, over the simulator's target population.
sim_truth_table <- function(risk0, risk1, in_pop, groups) {
  sim_truth_rows(names(risk0), in_pop, groups, function(sel, o) {
    r0 <- mean(risk0[[o]][sel])
    r1 <- mean(risk1[[o]][sel])
    data.frame(risk0 = r0, risk1 = r1, rd = r1 - r0, rr = r1 / r0,
               or = (r1 / (1 - r1)) / (r0 / (1 - r0)))
  })
}

# The preterm risk shifted by `trend` (sim_effects(preterm_trend)) at each
# booking date: level from trend$date, plus slope per year after it.
sim_trend_shift <- function(risk, booking, trend) {
  if (is.null(trend)) return(risk)
  yrs <- pmax(as.numeric(booking - trend$date), 0) / 365.25
  post <- booking >= trend$date
  pmin(pmax(risk + post * (trend$level + trend$slope * yrs), 0), 1)
}

# The four care models of a personalised care plan (pcsp) and CoC placement.
sim_care_model_grid <- function() {
  data.frame(care_model = c("none", "pcsp_only", "coc_only", "both"),
             pcsp = c(0, 1, 0, 1), coc = c(0, 0, 1, 1), stringsAsFactors = FALSE)
}

sim_care_model_of <- function(pcsp, coc) {
  g <- sim_care_model_grid()
  g$care_model[1L + as.integer(pcsp) + 2L * as.integer(coc)]
}

# Mean potential-outcome risks under each care model, overall and by
# CORE20PLUS group, over the target population, with contrasts against "none".
sim_truth_care_model <- function(risks, in_pop, groups) {
  sim_truth_rows(names(risks[[1]]), in_pop, groups, function(sel, o) {
    r <- vapply(risks, function(rk) mean(rk[[o]][sel]), 0)
    data.frame(care_model = names(risks), risk = unname(r), rd = unname(r - r[1]),
               rr = unname(r / r[1]), or = unname((r / (1 - r)) / (r[1] / (1 - r[1]))))
  })
}
