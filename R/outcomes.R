# UK maternity outcome definitions (DOMAIN.md section 6), each with its
# eligibility column so a rate always uses the right denominator.

outcome_catalogue <- function() {
  tibble::tribble(
    ~outcome, ~label, ~multiplier, ~level,
    "stillbirth", "Stillbirth (per 1,000 total births)", 1000, "baby",
    "neonatal_death", "Neonatal death (per 1,000 live births)", 1000, "baby",
    "perinatal_death", "Extended perinatal death (per 1,000 total births)", 1000, "baby",
    "preterm", "Preterm birth, singleton live births (per 1,000)", 1000, "baby",
    "low_birth_weight", "Low birth weight < 2500 g, live births (%)", 100, "baby",
    "term_low_birth_weight", "Term low birth weight, term live births (%)", 100, "baby",
    "sga", "Small for gestational age, live births (%)", 100, "baby",
    "low_apgar", "5-minute Apgar 0-6, term singleton live births (%)", 100, "baby",
    "tear_3_4", "3rd or 4th degree tear, singleton term vaginal births (%)", 100, "maternity",
    "pph_1500", "Postpartum haemorrhage >= 1500 ml, maternities (%)", 100, "maternity",
    "caesarean", "Caesarean birth, maternities (%)", 100, "maternity",
    "caesarean_elective", "Elective caesarean, maternities (%)", 100, "maternity",
    "caesarean_emergency", "Emergency caesarean, maternities (%)", 100, "maternity",
    "breastmilk_first_feed", "Breast milk at first feed, feed recorded (%)", 100, "baby",
    "nnu_admission", "Neonatal unit admission, live births (%)", 100, "baby"
  )
}

#' Add UK maternity outcomes to a cohort
#'
#' Adds, for each outcome, a logical column `<outcome>` and its denominator
#' `<outcome>_eligible`; a rate uses the rows with `<outcome>_eligible`
#' `TRUE` (the outcome is `NA` elsewhere). Definitions follow DOMAIN.md
#' section 6 (UK reporting, MBRRACE-UK, NHS Digital):
#'
#' * babies are the latest submission of each `MSD401BabyDemographics`
#'   record; birth weight and Apgar come from `MSD405CareActivityBaby` (per
#'   baby, the value of the latest record that has one; `ApgarScore` is taken
#'   as the 5-minute score); neonatal unit admission is any
#'   `MSD402NeonatalAdmission` record;
#' * **stillbirth**: `PregOutcome` in `stillbirth_codes` at >= 168 days
#'   (24+0), or >= 400 g when gestation is unknown (a stillbirth code with
#'   neither known is counted, as a registered stillbirth); stillbirth codes
#'   below the threshold are not births. Total births = live births
#'   (`live_codes`) plus these stillbirths. Other outcome codes (for example
#'   terminations or miscarriages) are neither.
#' * **neonatal death**: live birth with `PersonDeathDateBaby - birth date < 28`
#'   days; denominator live births. When [as_msds()] read the birth (or
#'   death) date to the month only (see `attr(msds, "formats")`), a death is
#'   counted only when it is under 28 days whatever the day, ruled out when it
#'   is 28 days or more whatever the day, and otherwise unknown: such a baby
#'   is left out of the neonatal and perinatal death denominators (`NA`
#'   eligibility), with a message. **perinatal death**: stillbirth or
#'   neonatal death; denominator total births.
#' * **preterm**: singleton live birth at 154-258 days among singleton live
#'   births at 154-315 days. Singleton: `BirthsPerLabandDel == 1` of the
#'   baby's labour record (if missing: the pregnancy has one baby record).
#' * **low birth weight**: live birth < 2500 g among live births with a
#'   weight; **term** version among live births at 259-315 days.
#' * **sga**: live birth below the 10th centile of `sga_centiles` for sex and
#'   gestation. No INTERGROWTH-21st newborn-standard package was on CRAN
#'   for this R version when this was written, so the centiles must be
#'   supplied: a data frame with `gestation_days` or `gestation_weeks`
#'   (completed weeks), `p10` (grams) and optionally `sex` (MSDS
#'   `PersonPhenSex` codes "1" male, "2" female). Without it `sga` and
#'   `sga_eligible` are `NA`. Babies outside the table are not eligible.
#' * **low Apgar**: 0-6 among term singleton live births with a score.
#' * **breast milk at first feed**: `BabyFirstFeedIndCode` in
#'   `breastmilk_codes` among live births with 01-03 recorded.
#' * **maternity outcomes** use the pregnancy's first baby (registrable
#'   births first, then birth date, then `Person_ID_Baby`) and its labour
#'   (`LabourDeliveryID`): **caesarean** = its `DeliveryMethodCode` 7 or 8
#'   (elective 7, emergency 8) among maternities with a recorded method;
#'   **tear_3_4** = any `GenitalTractTraumaticLesion` in `tear_codes` on that
#'   labour, among singleton term (259-315 days) vaginal births (method 0-4);
#'   **pph_1500** = any `MSD302` observation with `ObsCode` in `pph_obs_codes`
#'   and `ObsValue >= pph_threshold` ml, among maternities.
#'
#' Multiple births: with `multiple_births = "any"` (default) a baby-level
#' outcome is `TRUE` for a pregnancy when any eligible baby has it, and the
#' pregnancy is eligible when any baby is (so a twin pregnancy with one
#' stillbirth has `stillbirth = TRUE`); with `"first"` the first baby alone
#' decides. For rates per baby, use the baby-level definitions directly.
#' `birth_weight` and `gestation_birth` are the first baby's.
#'
#' @param cohort A cohort from [define_cohort()].
#' @param msds The `msds` object the cohort was built from.
#' @param outcomes Outcome names (default all; see the `outcome` column of
#'   `attr(result, "outcomes")`).
#' @param multiple_births `"any"` or `"first"`, see above.
#' @param sga_centiles Optional centile table, see above.
#' @param stillbirth_codes `PregOutcome` codes for stillbirth (check:
#'   antepartum, intrapartum, indeterminate).
#' @param live_codes `PregOutcome` codes for a live birth.
#' @param pph_obs_codes `ObsCode` values that hold blood loss in ml (check):
#'   SNOMED CT 719051004, the code NHS Digital's MSDS derivation of
#'   postpartum blood loss uses, and the code [simulate_msds()] writes.
#' @param pph_threshold Blood loss (ml) defining the haemorrhage.
#' @param tear_codes SNOMED CT codes for third and fourth degree tears.
#' @param breastmilk_codes First-feed codes meaning breast milk.
#' @returns The cohort with `<outcome>` and `<outcome>_eligible` logical
#'   columns for each chosen outcome, `birth_weight` (g), `gestation_birth`
#'   (days) and `n_babies` (baby records), and attribute `outcomes`: a tibble
#'   with `outcome`, `eligible` (the eligibility column), `label`,
#'   `multiplier` (100 or 1000) and `level` ("baby" or "maternity").
#' @examples
#' cohort <- add_outcomes(define_cohort(msds_example), msds_example)
#' attr(cohort, "outcomes")
#' # rate of preterm birth per 1,000 among eligible pregnancies
#' with(cohort, 1000 * mean(preterm[preterm_eligible]))
#' @export
add_outcomes <- function(cohort, msds, outcomes = outcome_catalogue()$outcome,
                         multiple_births = c("any", "first"), sga_centiles = NULL,
                         stillbirth_codes = c("02", "03", "04"), live_codes = "01",
                         pph_obs_codes = unique(c("719051004", msds_codes$blood_loss_obs)),
                         pph_threshold = 1500, tear_codes = msds_codes$tear_3_4,
                         breastmilk_codes = c("01", "02")) {
  check_cohort(cohort)
  check_msds(msds)
  multiple_births <- rlang::arg_match(multiple_births)
  cat_all <- outcome_catalogue()
  bad <- setdiff(outcomes, cat_all$outcome)
  if (!is.character(outcomes) || length(bad)) {
    cli::cli_abort(c("{.arg outcomes} names outcomes matequity does not define.",
                     "x" = "Unknown: {example_values(bad)}.",
                     "i" = "Available: {cat_all$outcome}."))
  }
  check_number(pph_threshold, lower = 0)
  n <- nrow(cohort)
  b <- baby_outcomes(cohort, msds, stillbirth_codes, live_codes, sga_centiles, breastmilk_codes)
  first <- b$first
  agg <- function(y, e) {
    if (multiple_births == "any") {
      el <- tabulate(b$ip[e %in% TRUE], n) > 0L
      yy <- tabulate(b$ip[e %in% TRUE & y %in% TRUE], n) > 0L
    } else {
      el <- e[first] %in% TRUE
      yy <- y[first] %in% TRUE
    }
    if (anyNA(e)) {
      unk <- if (multiple_births == "any") tabulate(b$ip[is.na(e)], n) > 0L & !el else is.na(e[first])
      el[unk] <- NA
    }
    yy[!el %in% TRUE] <- NA
    list(y = yy, e = el)
  }
  res <- list()
  for (nm in intersect(cat_all$outcome[cat_all$level == "baby"], outcomes)) {
    res[[nm]] <- agg(b$y[[nm]], b$e[[nm]])
  }
  if (is.null(sga_centiles) && "sga" %in% outcomes) res$sga <- list(y = rep(NA, n), e = rep(NA, n))
  m <- maternity_outcomes(b, msds, n, pph_obs_codes, pph_threshold, tear_codes)
  for (nm in intersect(cat_all$outcome[cat_all$level == "maternity"], outcomes)) {
    res[[nm]] <- m[[nm]]
  }
  for (nm in cat_all$outcome[cat_all$outcome %in% outcomes]) {
    cohort[[nm]] <- res[[nm]]$y
    cohort[[paste0(nm, "_eligible")]] <- res[[nm]]$e
  }
  cohort$birth_weight <- b$weight[first]
  cohort$gestation_birth <- b$babies$GestationLengthBirth[first]
  cohort$n_babies <- tabulate(b$ip, n)
  cat_sel <- cat_all[cat_all$outcome %in% outcomes, ]
  attr(cohort, "outcomes") <- tibble::tibble(
    outcome = cat_sel$outcome, eligible = paste0(cat_sel$outcome, "_eligible"),
    label = cat_sel$label, multiplier = cat_sel$multiplier, level = cat_sel$level)
  attr(cohort, "outcome_settings") <- list(multiple_births = multiple_births,
                                           stillbirth_codes = stillbirth_codes,
                                           pph_obs_codes = pph_obs_codes,
                                           pph_threshold = pph_threshold, tear_codes = tear_codes)
  cohort
}

# Baby-level outcomes for every baby of a cohort pregnancy.
baby_outcomes <- function(cohort, msds, stillbirth_codes, live_codes, sga_centiles,
                          breastmilk_codes, call = rlang::caller_env()) {
  babies <- latest_babies(msds, c("Person_ID_Baby", "LabourDeliveryID", "UniqPregID",
                                  "PersonBirthDateBaby", "PregOutcome", "PersonPhenSex",
                                  "GestationLengthBirth", "DeliveryMethodCode",
                                  "PersonDeathDateBaby", "BabyFirstFeedIndCode"))
  ip <- match(babies$UniqPregID, cohort$preg_id)
  babies <- rows(babies, !is.na(ip))
  ip <- ip[!is.na(ip)]
  n <- nrow(cohort)
  registrable <- c(live_codes, stillbirth_codes)
  first <- first_baby_index(babies, cohort$preg_id, registrable)
  act <- msds$MSD405CareActivityBaby
  ib <- match(act$Person_ID_Baby, babies$Person_ID_Baby)
  weight <- latest_value(act$BirthWeight, ib, act$RecordNumber, n_rows(babies))
  apgar <- latest_value(act$ApgarScore, ib, act$RecordNumber, n_rows(babies))
  gest <- babies$GestationLengthBirth
  po <- babies$PregOutcome
  live <- po %in% live_codes
  still <- po %in% stillbirth_codes &
    !(!is.na(gest) & gest < 168) & !(is.na(gest) & !is.na(weight) & weight < 400)
  total <- live | still
  report_not_births(po, live, still, stillbirth_codes)
  lab <- msds$MSD301LabourDelivery
  lab <- rows(lab, latest_rows(lab, c("UniqPregID", "LabourDeliveryID")))
  # LabourDeliveryID is local to a provider: joined with UniqPregID
  bpl <- lab$BirthsPerLabandDel[match_rows(list(babies$UniqPregID, babies$LabourDeliveryID),
                                           list(lab$UniqPregID, lab$LabourDeliveryID))]
  n_babies <- tabulate(ip, n)
  singleton <- bpl == 1L
  singleton[is.na(bpl)] <- (n_babies[ip] == 1L)[is.na(bpl)]
  term <- !is.na(gest) & gest >= 259 & gest <= 315
  nd <- neonatal_death_flags(babies, live, msds)
  nnd <- nd$nnd
  nnu <- babies$Person_ID_Baby %in% msds$MSD402NeonatalAdmission$Person_ID_Baby
  feed <- babies$BabyFirstFeedIndCode
  sga <- sga_flags(babies, weight, live, sga_centiles, call = call)
  y <- list(
    stillbirth = still, neonatal_death = nnd, perinatal_death = still | nnd,
    preterm = gest <= 258, low_birth_weight = weight < 2500,
    term_low_birth_weight = weight < 2500, sga = sga$y, low_apgar = apgar <= 6,
    breastmilk_first_feed = feed %in% breastmilk_codes, nnu_admission = nnu)
  e <- list(
    stillbirth = total, neonatal_death = live, perinatal_death = total,
    preterm = live & singleton %in% TRUE & !is.na(gest) & gest >= 154 & gest <= 315,
    low_birth_weight = live & !is.na(weight),
    term_low_birth_weight = live & term & !is.na(weight), sga = sga$e,
    low_apgar = live & term & singleton %in% TRUE & !is.na(apgar),
    breastmilk_first_feed = live & feed %in% c("01", "02", "03"), nnu_admission = live)
  # age at death unknown (dates held to the month only): not decidable
  e$neonatal_death[nd$unknown] <- NA
  e$perinatal_death[nd$unknown & !still] <- NA
  list(babies = babies, ip = ip, first = first, y = y, e = e, weight = weight,
       singleton = singleton, term = term, total = total)
}

sga_flags <- function(babies, weight, live, centiles, call) {
  nb <- n_rows(babies)
  if (is.null(centiles)) {
    cli::cli_inform(c("i" = "{.field sga} is {.code NA}: no {.arg sga_centiles} table was given.",
                      " " = "Supply the 10th centile of birth weight by sex and gestation from the chart you use (e.g. INTERGROWTH-21st)."),
                    class = "matequity_no_sga_chart")
    return(list(y = rep(NA, nb), e = rep(NA, nb)))
  }
  check_data_frame(centiles, arg = "sga_centiles", call = call)
  wk <- "gestation_weeks" %in% names(centiles)
  gcol <- if ("gestation_days" %in% names(centiles)) "gestation_days" else if (wk) "gestation_weeks" else NULL
  if (is.null(gcol) || !"p10" %in% names(centiles)) {
    cli::cli_abort(c("{.arg sga_centiles} needs a gestation column and a {.field p10} column.",
                     "x" = "Columns: {.field {names(centiles)}}.",
                     "i" = "Use {.field gestation_days} or {.field gestation_weeks}, {.field p10} (grams), optionally {.field sex}."),
                   call = call)
  }
  g <- babies$GestationLengthBirth
  if (gcol == "gestation_weeks") g <- g %/% 7L
  has_sex <- "sex" %in% names(centiles)
  sex_map <- c(`1` = "1", `2` = "2", male = "1", female = "2", m = "1", f = "2", M = "1", F = "2")
  key_tab <- if (has_sex) paste(sex_map[as.character(centiles$sex)], centiles[[gcol]]) else as.character(centiles[[gcol]])
  if (anyDuplicated(key_tab)) {
    cli::cli_abort("{.arg sga_centiles} has more than one row per sex and gestation.", call = call)
  }
  key <- if (has_sex) paste(babies$PersonPhenSex, g) else as.character(g)
  p10 <- as.numeric(centiles$p10)[match(key, key_tab)]
  e <- live & !is.na(weight) & !is.na(p10)
  out <- live & !is.na(weight) & !is.na(g) & is.na(p10)
  if (any(out)) {
    cli::cli_inform(c("!" = "{released_count(sum(out))} live birth{cli::qty(released_qty(sum(out)))}{?s} with weight and gestation not covered by {.arg sga_centiles} (not eligible for {.field sga}).",
                      " " = if (resolve_disclosure(NULL)$preset == "none") "Examples (sex gestation): {example_values(key[out])}.", exact_note()),
                    class = "matequity_sga_uncovered")
  }
  list(y = weight < p10, e = e)
}

# Maternity-level outcomes from the first baby's labour.
maternity_outcomes <- function(b, msds, n, pph_obs_codes, pph_threshold, tear_codes) {
  first <- b$first
  has <- !is.na(first)
  maternity <- has & b$total[first] %in% TRUE
  dm <- b$babies$DeliveryMethodCode[first]
  lab_id <- b$babies$LabourDeliveryID[first]
  act <- msds$MSD302CareActivityLabDel
  # labour activities to the first baby's labour on UniqPregID + LabourDeliveryID
  act_preg <- if ("UniqPregID" %in% names(act)) act$UniqPregID else {
    ld <- msds$MSD301LabourDelivery
    ld$UniqPregID[scoped_match(act, ld, "LabourDeliveryID")$index]
  }
  il <- match_rows(list(act_preg, act$LabourDeliveryID),
                   list(b$babies$UniqPregID[first], lab_id))
  tear_any <- tabulate(il[!is.na(il) & act[["GenitalTractTraumaticLesion"]] %in% tear_codes], n) > 0L
  pph_any <- tabulate(il[!is.na(il) & act[["ObsCode"]] %in% pph_obs_codes &
                           !is.na(act[["ObsValue"]]) & act[["ObsValue"]] >= pph_threshold], n) > 0L
  dm_known <- maternity & dm %in% msds_codes$delivery_method
  vaginal <- dm %in% as.character(0:4)
  tear_e <- maternity & b$singleton[first] %in% TRUE & b$term[first] %in% TRUE & vaginal
  mk <- function(y, e) {
    y <- y %in% TRUE
    y[!e] <- NA
    list(y = y, e = e)
  }
  list(
    caesarean = mk(dm %in% c("7", "8"), dm_known),
    caesarean_elective = mk(dm %in% "7", dm_known),
    caesarean_emergency = mk(dm %in% "8", dm_known),
    tear_3_4 = mk(tear_any, tear_e),
    pph_1500 = mk(pph_any, maternity)
  )
}

# Neonatal death (live birth, death before 28 days). When as_msds() found a
# birth or death date column held to the month only (stored as the 1st), the
# age at death is known only between bounds: a death is counted when even
# the longest possible age is under 28 days, ruled out when the shortest is
# 28 or more, and otherwise unknown (the baby is then not in the neonatal or
# perinatal death denominators, with a message) rather than computed from
# the 1st of the month.
neonatal_death_flags <- function(babies, live, msds) {
  birth <- babies$PersonBirthDateBaby
  death <- babies$PersonDeathDateBaby %||% as.Date(rep(NA_real_, n_rows(babies)))  # optional column
  bm <- msds_month_precision(msds, "MSD401BabyDemographics", "PersonBirthDateBaby")
  dm <- msds_month_precision(msds, "MSD401BabyDemographics", "PersonDeathDateBaby")
  age_min <- as.numeric(death - (if (bm) month_end(birth) else birth))
  age_max <- as.numeric((if (dm) month_end(death) else death) - birth)
  died <- live & !is.na(age_max)
  nnd <- died & age_max < 28
  unknown <- died & !nnd & !is.na(age_min) & age_min < 28
  unknown[is.na(unknown)] <- FALSE
  nnd[unknown] <- NA
  if (any(unknown)) {
    cli::cli_inform(c("!" = "{released_count(sum(unknown))} live birth{cli::qty(released_qty(sum(unknown)))}{?s} with a death date: age at death unknown (birth or death date held to the month only); not in the neonatal or perinatal death denominators.", exact_note()),
                    class = "matequity_month_precision")
  }
  list(nnd = nnd, unknown = unknown)
}

# Per target 1..n, the non-missing value from the record with the highest
# RecordNumber (ties: later row).
latest_value <- function(x, target, record, n) {
  out <- rep(NA_real_, n)
  ok <- !is.na(x) & !is.na(target)
  if (!any(ok)) return(out)
  rec <- if (is.null(record)) rep(0, length(x)) else as.numeric(record)
  rec[is.na(rec)] <- -Inf
  idx <- which(ok)
  o <- order(target[idx], -rec[idx], -idx, method = "radix")
  f <- idx[o][!duplicated(target[idx][o])]
  out[target[f]] <- x[f]
  out
}

# Says which baby records are not counted as births, with their codes.
report_not_births <- function(po, live, still, stillbirth_codes) {
  other <- !live & !po %in% stillbirth_codes
  early <- po %in% stillbirth_codes & !still
  if (!any(other) && !any(early)) return(invisible())
  tab <- table(ifelse(is.na(po[other]), "missing", po[other]))
  lines <- c(if (any(other)) sprintf("PregOutcome %s: %s", names(tab), released_count(as.integer(tab))),
             if (any(early)) sprintf("stillbirth code below 24+0 weeks (or under 400 g with gestation unknown): %s", released_count(sum(early))))
  cli::cli_inform(c("i" = "Baby records not counted as births (outside every birth denominator):",
                    stats::setNames(lines, rep("*", length(lines))), exact_note()),
                  class = "matequity_not_births")
}
