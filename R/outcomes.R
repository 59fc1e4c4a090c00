# UK maternity outcome definitions (NHS Digital's CQIMs, MBRRACE-UK; the
# rules and their sources are in outcome_definitions.R), each with its
# eligibility column so a rate always uses the right denominator.

#' Add UK maternity outcomes to a cohort
#'
#' Adds, for each outcome, a logical column `<outcome>` and its denominator
#' `<outcome>_eligible`; a rate uses the rows with `<outcome>_eligible`
#' `TRUE` (the outcome is `NA` elsewhere). Each outcome has a default
#' definition, the one NHS Digital (the CQIMs of the Maternity Services
#' Monthly Statistics) or MBRRACE-UK publish, and research variants chosen
#' with `definitions`; [outcome_definitions()] lists them all with their
#' sources and [outcome_code_lists()] the codes. `attr(result, "outcomes")`
#' says which definition made each column.
#'
#' * Babies are the latest submission of each `MSD401BabyDemographics`
#'   record; birth weight and Apgar come from `MSD405CareActivityBaby` (per
#'   baby, the value of the latest record that has one; `ApgarScore` is the
#'   5-minute score, the only one MSDS v2 holds).
#' * **Births from 24+0 weeks** (MBRRACE-UK): gestation at birth
#'   (`GestationLengthBirth`) of 168 days or more; where gestation is
#'   missing, a birth weight of 400 g or more; where both are missing the
#'   birth is counted (a stillbirth code is a registered stillbirth), with a
#'   message. A stillbirth code below the threshold is not a birth.
#' * **Terminations of pregnancy** (MBRRACE-UK excludes them): pregnancies
#'   whose booking record (`MSD101`) has `DischReason` in
#'   `termination_codes`. Without that field they cannot be identified, and a
#'   message says so.
#' * **stillbirth**, **neonatal_death**, **perinatal_death**, `"mbrrace"`
#'   (default): stillbirth codes (`stillbirth_codes`) from 24+0 weeks among
#'   total births (live births and stillbirths) from 24+0 weeks; neonatal
#'   death (death 0-27 completed days after birth, `PersonDeathDateBaby -
#'   PersonBirthDateBaby < 28`) among live births (`live_codes`) from 24+0
#'   weeks; extended perinatal death (either) among total births;
#'   terminations excluded from numerators and denominators. `"ons"`:
#'   terminations included, and neonatal deaths and live births at any
#'   gestation. MBRRACE-UK reports by year of birth: `outcome_rates(cohort,
#'   stillbirth, by = birth_year)`. When [as_msds()] read the birth (or
#'   death) date to the month only (see `attr(msds, "formats")`), a death is
#'   counted only when it is under 28 days whatever the day, ruled out when it
#'   is 28 days or more whatever the day, and otherwise unknown: such a baby
#'   is left out of the neonatal and perinatal death denominators (`NA`
#'   eligibility), with a message.
#' * **preterm**, `"cqim"` (default): live birth at 154-258 days among live
#'   births at 154-315 days whose labour (`MSD301`, joined on `UniqPregID` +
#'   `LabourDeliveryID`) has `BirthsPerLabandDel == 1`.
#'   `"singleton_inferred"`: a labour without `BirthsPerLabandDel` counts as
#'   singleton when the pregnancy has one baby record.
#' * **low birth weight**: live birth < 2500 g among live births with a
#'   weight; **term** version among live births at 259-315 days.
#' * **sga**: live birth below the 10th centile of `sga_centiles` for sex and
#'   gestation. No INTERGROWTH-21st newborn-standard package was on CRAN
#'   for this R version when this was written, so the centiles must be
#'   supplied: a data frame with `gestation_days` or `gestation_weeks`
#'   (completed weeks), `p10` (grams) and optionally `sex` (MSDS
#'   `PersonPhenSex` codes "1" male, "2" female). Without it `sga` and
#'   `sga_eligible` are `NA`. Babies outside the table are not eligible.
#' * **low Apgar**, `"cqim"` (default): 5-minute Apgar 0-6 among babies with
#'   a live birth or stillbirth code (stillbirths included, as NHS Digital's
#'   `CQIMApgar`), 259-315 days, `BirthsPerLabandDel == 1` and a score
#'   0-10. `"live_births"`: term singleton live births with a score
#'   (singleton inferred as for preterm).
#' * **breast milk at first feed**, `"cqim"` (default):
#'   `BabyFirstFeedIndCode` in `breastmilk_codes` among all babies with
#'   `01`-`03` recorded; `"live_births"`: live births only.
#' * **neonatal unit admission**, `"neocritcare"` (default): a
#'   `MSD402NeonatalAdmission` record of the baby with `NeoCritCareInd`
#'   `'Y'` (admitted to neonatal critical care), among live births. Without
#'   the field (or the table) it is `NA`, with a message. `"any_record"`: any
#'   MSD402 record.
#' * **Maternity outcomes** use the pregnancy's first baby (registrable
#'   births first, then birth date, then `Person_ID_Baby`). A maternity is a
#'   pregnancy whose first baby is a live birth, or a stillbirth from 24+0
#'   weeks. **caesarean** = its `DeliveryMethodCode` 7 or 8 (elective 7,
#'   emergency 8) among maternities with a recorded method.
#'   **tear_3_4**, `"cqim"` (default): a `GenitalTractTraumaticLesion` in
#'   `tear_codes` on any `MSD302` row of the pregnancy, among pregnancies
#'   whose first baby has a live birth or stillbirth code, 259-315 days,
#'   delivery method 0-4 and `BirthsPerLabandDel == 1`;
#'   `"singleton_inferred"`: on the first baby's labour only, among
#'   maternities, singleton inferred. **pph_1500**, `"cqim"` (default): an
#'   `MSD302` row of the pregnancy with a blood-loss code (`pph_obs_codes`)
#'   and `trunc(ObsValue) >= pph_threshold` (NHS Digital's `INT(ObsValue)`),
#'   among pregnancies with a baby with a live birth or stillbirth code at any
#'   gestation; `"maternities"`: the first baby's labour only, among
#'   maternities. The code is the mapped SNOMED CT code
#'   `MasterSnomedCTObsCode` when the extract has it, else `ObsCode`.
#'   `pph_units` says how `UCUMUnit` is used: `"ignore"` (default, as
#'   `CQIMPPH`: the value is compared as submitted, so a loss recorded in
#'   litres is not counted, and a message counts such observations),
#'   `"convert"` (litres times 1,000; a missing unit taken as millilitres and
#'   other units not counted, both with a message) or `"ml_only"` (only
#'   observations in millilitres, as NHS Digital's derived
#'   `PostpartumBloodLoss`, which also keeps only `719051004`:
#'   `pph_obs_codes = "719051004"`).
#'
#' Multiple births: with `multiple_births = "any"` (default) a baby-level
#' outcome is `TRUE` for a pregnancy when any eligible baby has it, and the
#' pregnancy is eligible when any baby is (so a twin pregnancy with one
#' stillbirth has `stillbirth = TRUE`); with `"first"` the first baby alone
#' decides. Rates over these columns are per pregnancy; MBRRACE-UK and NHS
#' Digital count babies: [birth_outcomes()] gives one row per baby with the
#' same definitions. `birth_weight`, `gestation_birth`, `birth_date`,
#' `birth_year`, `birth_month` and `birth_provider` are the first baby's.
#'
#' @param data A cohort from [define_cohort()].
#' @param msds The `msds` object the cohort was built from.
#' @param outcomes Outcome names (default all; see [outcome_definitions()]).
#' @param multiple_births `"any"` or `"first"`, see above.
#' @param sga_centiles Optional centile table, see above.
#' @param definitions Definitions other than the defaults: a named character
#'   vector, `c(outcome = "definition")`, for example
#'   `c(stillbirth = "ons", low_apgar = "live_births")`; see
#'   [outcome_definitions()].
#' @param stillbirth_codes `PregOutcome` codes for stillbirth (check:
#'   antepartum, intrapartum, timing unknown).
#' @param live_codes `PregOutcome` codes for a live birth.
#' @param termination_codes `DischReason` codes (MSD101) that mark a
#'   termination of pregnancy; `NULL` for the `termination` list of
#'   [outcome_code_lists()] (`04`, `05`).
#' @param pph_obs_codes Observation codes of blood loss; `NULL` for the 20
#'   codes of NHS Digital's `CQIMPPH` (the `pph_blood_loss` list of
#'   [outcome_code_lists()]).
#' @param pph_threshold Blood loss (ml) defining the haemorrhage.
#' @param pph_units `"ignore"`, `"convert"` or `"ml_only"`, see above.
#' @param tear_codes SNOMED CT codes for third and fourth degree tears.
#' @param breastmilk_codes First-feed codes meaning breast milk.
#' @param cohort Deprecated: use `data`.
#' @section MSDS v1.5 records:
#' Pregnancies whose booking record is from MSDS v1.5 (cohort column
#' `version`, see [as_msds()]) have their baby-level outcomes from the
#' harmonised v1.5 tables; `pph_1500` and `tear_3_4` need the labour
#' care-activity table (MSD302), which v1.5 does not have, so they are `NA`
#' and not eligible there (attribute `unavailable` says so).
#' @returns The cohort with `<outcome>` and `<outcome>_eligible` logical
#'   columns for each chosen outcome, `birth_weight` (g), `gestation_birth`
#'   (days), `n_babies` (baby records), `birth_date`, `birth_year`,
#'   `birth_month` (`"2021-03"`) and `birth_provider` (the first baby's
#'   `OrgCodeProvider`, mapped through [provider_successors] as NHS Digital
#'   merges providers), and attributes `outcomes`: a tibble with `outcome`,
#'   `eligible` (the eligibility column), `label`, `multiplier` (100 or
#'   1000), `level` ("baby" or "maternity"), `definition` and `source`; and
#'   `outcome_settings`: the codes and options used.
#' @examples
#' cohort <- add_outcomes(define_cohort(msds_example), msds_example)
#' attr(cohort, "outcomes")
#' # rate of preterm birth per 1,000 among eligible pregnancies
#' with(cohort, 1000 * mean(preterm[preterm_eligible]))
#' # the earlier, live-birth population for low Apgar
#' co2 <- add_outcomes(define_cohort(msds_example), msds_example,
#'                     outcomes = "low_apgar", definitions = c(low_apgar = "live_births"))
#' attr(co2, "outcomes")$definition
#' @export
add_outcomes <- function(data, msds, outcomes = outcome_catalogue()$outcome,
                         multiple_births = c("any", "first"), sga_centiles = NULL,
                         definitions = NULL,
                         stillbirth_codes = c("02", "03", "04"), live_codes = "01",
                         termination_codes = NULL, pph_obs_codes = NULL,
                         pph_threshold = 1500, pph_units = c("ignore", "convert", "ml_only"),
                         tear_codes = c("10217006", "399031001"),
                         breastmilk_codes = c("01", "02"), cohort = NULL) {
  if (inherits(msds, "msds_db")) return(db_add_outcomes(environment(), match.call(), parent.frame()))
  if (deprecated_arg(cohort, missing(data), "cohort", "data", "add_outcomes")) data <- cohort
  check_cohort(data)
  check_msds(msds)
  multiple_births <- rlang::arg_match(multiple_births)
  s <- outcome_settings(outcomes, definitions, stillbirth_codes, live_codes,
                        termination_codes, pph_obs_codes, pph_threshold,
                        rlang::arg_match(pph_units), tear_codes, breastmilk_codes,
                        sga_centiles)
  outcomes <- s$outcomes
  n <- nrow(data)
  b <- baby_outcomes(data, msds, s)
  s$termination_field <- b$termination_field
  first <- b$first
  agg <- function(y, e) {
    if (multiple_births == "any") {
      el <- group_any(b$ip, e, n)
      yy <- group_any(b$ip, e, n, y)
    } else {
      el <- known_true(e[first])
      yy <- known_true(y[first])
    }
    if (anyNA(e)) {
      unk <- if (multiple_births == "any") group_any(b$ip, is.na(e), n) & !el else is.na(e[first])
      el[unk] <- NA
    }
    yy[!known_true(el)] <- NA
    list(y = yy, e = el)
  }
  cat_all <- outcome_catalogue()
  res <- list()
  for (nm in intersect(cat_all$outcome[cat_all$level == "baby"], outcomes)) {
    res[[nm]] <- agg(b$y[[nm]], b$e[[nm]])
  }
  for (nm in intersect(c("sga", "nnu_admission"), outcomes)) {
    if (all(is.na(b$e[[nm]]))) res[[nm]] <- list(y = rep(NA, n), e = rep(NA, n))
  }
  if (any(cat_all$outcome[cat_all$level == "maternity"] %in% outcomes)) {
    m <- maternity_outcomes(b, data, msds, s)
    s$pph_code_field <- m$pph_code_field
    for (nm in intersect(cat_all$outcome[cat_all$level == "maternity"], outcomes)) {
      res[[nm]] <- m[[nm]]
    }
  }
  # MSDS v1.5 has no labour-activity table (MSD302): its blood loss and
  # perineal trauma are not recorded, so those outcomes are missing there
  v15 <- (data[["version"]] %||% rep("v2", n)) %in% "v1.5"
  no15 <- intersect(c("pph_1500", "tear_3_4"), outcomes)
  if (any(v15)) {
    for (nm in no15) {
      res[[nm]]$y[v15] <- NA
      res[[nm]]$e[v15] <- FALSE
    }
  }
  for (nm in outcomes) {
    data[[nm]] <- res[[nm]]$y
    data[[paste0(nm, "_eligible")]] <- res[[nm]]$e
  }
  data$birth_weight <- b$weight[first]
  data$gestation_birth <- b$babies$GestationLengthBirth[first]
  data$n_babies <- tabulate(b$ip, n)
  bc <- birth_columns(b$babies, first)
  for (nm in names(bc)) data[[nm]] <- bc[[nm]]
  attr(data, "outcomes") <- outcome_meta(outcomes, s$definitions)
  attr(data, "outcome_settings") <- settings_attr(s, multiple_births)
  if (any(v15) && length(no15)) {
    attr(data, "unavailable") <- tibble::tibble(
      outcome = no15, version = "v1.5", n = sum(v15),
      reason = "MSDS v1.5 has no labour and delivery care-activity table (MSD302): not recorded")
  }
  data
}

#' Outcomes per baby, as MBRRACE-UK and NHS Digital count them
#'
#' `birth_outcomes()` gives one row per baby record (the latest submission
#' of each `MSD401BabyDemographics` record) of the cohort's pregnancies, with
#' the pregnancy's cohort columns and the baby-level outcomes of
#' [add_outcomes()] by the same definitions, so that rates count births:
#' stillbirths per 1,000 total births from 24+0 weeks by year of birth, as
#' MBRRACE-UK reports them, or a CQIM by month and provider of birth.
#' Maternity-level outcomes (caesarean, tears, PPH) count women: use
#' [add_outcomes()] for those.
#'
#' @inheritParams add_outcomes
#' @param outcomes Baby-level outcome names (default all; see
#'   [outcome_definitions()], `level == "baby"`).
#' @param ... Further settings of [add_outcomes()]: `sga_centiles`,
#'   `stillbirth_codes`, `live_codes`, `termination_codes`,
#'   `breastmilk_codes`.
#' @param cohort Deprecated: use `data`.
#' @returns A tibble with one row per baby: the cohort's columns, then
#'   `baby_id`, `birth_order` (1 for the first baby), `birth_weight`,
#'   `gestation_birth`, `birth_date`, `birth_year`, `birth_month`,
#'   `birth_provider`, and `<outcome>` and `<outcome>_eligible` for each
#'   outcome; attributes `outcomes` and `outcome_settings` as in
#'   [add_outcomes()]. Pregnancies without a baby record have no row (a
#'   message counts them).
#' @examples
#' cohort <- define_cohort(msds_example)
#' births <- birth_outcomes(cohort, msds_example, outcomes = c("stillbirth", "neonatal_death"))
#' outcome_rates(births, stillbirth, by = birth_year, disclosure = "none")
#' @export
birth_outcomes <- function(data, msds, outcomes = NULL, definitions = NULL, ...,
                           cohort = NULL) {
  if (deprecated_arg(cohort, missing(data), "cohort", "data", "birth_outcomes")) data <- cohort
  check_cohort(data)
  check_msds(msds)
  cat_all <- outcome_catalogue()
  baby_level <- cat_all$outcome[cat_all$level == "baby"]
  if (is.null(outcomes)) outcomes <- baby_level
  mat <- intersect(outcomes, cat_all$outcome[cat_all$level == "maternity"])
  if (length(mat)) {
    cli::cli_abort(c("{.fn birth_outcomes} gives baby-level outcomes only.",
                     "x" = "Maternity-level: {.field {mat}}.",
                     "i" = "Use {.fn add_outcomes} for outcomes that count women."))
  }
  dots <- list(...)
  allowed <- c("sga_centiles", "stillbirth_codes", "live_codes", "termination_codes",
               "breastmilk_codes")
  bad <- setdiff(names(dots), allowed)
  if (length(dots) && (is.null(names(dots)) || length(bad) || any(!nzchar(names(dots))))) {
    cli::cli_abort(c("{.arg ...} takes named settings of {.fn add_outcomes}.",
                     "x" = "Not allowed: {example_values(if (length(bad)) bad else '(unnamed)')}.",
                     "i" = "Allowed: {.arg {allowed}}."))
  }
  arg <- function(nm, default) if (nm %in% names(dots)) dots[[nm]] else default
  s <- outcome_settings(outcomes, definitions, arg("stillbirth_codes", c("02", "03", "04")),
                        arg("live_codes", "01"), arg("termination_codes", NULL), NULL, 1500,
                        "ignore", c("10217006", "399031001"),
                        arg("breastmilk_codes", c("01", "02")), arg("sga_centiles", NULL))
  outcomes <- s$outcomes
  b <- baby_outcomes(data, msds, s)
  s$termination_field <- b$termination_field
  no_baby <- sum(tabulate(b$ip, nrow(data)) == 0L)
  if (no_baby) {
    cli::cli_inform(c("i" = "{released_count(no_baby)} cohort pregnanc{cli::qty(released_qty(no_baby))}{?y/ies} without a baby record: no row in the births table.", exact_note()),
                    class = "matequity_no_baby_record")
  }
  o <- order(b$ip, b$order_in_preg, method = "radix")
  out <- tibble::as_tibble(lapply(unclass(data), function(v) v[b$ip[o]]))
  out$baby_id <- b$babies$Person_ID_Baby[o]
  out$birth_order <- b$order_in_preg[o]
  out$birth_weight <- b$weight[o]
  out$gestation_birth <- b$babies$GestationLengthBirth[o]
  bc <- birth_columns(b$babies, o)
  for (nm in names(bc)) out[[nm]] <- bc[[nm]]
  for (nm in outcomes) {
    y <- b$y[[nm]][o]
    e <- b$e[[nm]][o]
    y[!known_true(e)] <- NA
    out[[nm]] <- y
    out[[paste0(nm, "_eligible")]] <- e
  }
  attr(out, "outcomes") <- outcome_meta(outcomes, s$definitions)
  attr(out, "outcome_settings") <- settings_attr(s, "each")
  out
}

# Checked settings shared by add_outcomes() and birth_outcomes().
outcome_settings <- function(outcomes, definitions, stillbirth_codes, live_codes,
                             termination_codes, pph_obs_codes, pph_threshold, pph_units,
                             tear_codes, breastmilk_codes, sga_centiles,
                             call = rlang::caller_env()) {
  cat_all <- outcome_catalogue()
  bad <- setdiff(outcomes, cat_all$outcome)
  if (!is.character(outcomes) || length(bad)) {
    cli::cli_abort(c("{.arg outcomes} names outcomes matequity does not define.",
                     "x" = "Unknown: {example_values(bad)}.",
                     "i" = "Available: {cat_all$outcome}."), call = call)
  }
  check_number(pph_threshold, lower = 0, call = call)
  codes <- list(stillbirth_codes = stillbirth_codes, live_codes = live_codes,
                tear_codes = tear_codes, breastmilk_codes = breastmilk_codes)
  if (!is.null(termination_codes)) codes$termination_codes <- termination_codes
  if (!is.null(pph_obs_codes)) codes$pph_obs_codes <- pph_obs_codes
  for (nm in names(codes)) {
    v <- codes[[nm]]
    if (!is.character(v) || !length(v) || anyNA(v)) {
      cli::cli_abort(c("{.arg {nm}} must be a character vector of codes without missing values.",
                       "x" = "It is {.obj_type_friendly {v}}."), call = call)
    }
  }
  list(outcomes = cat_all$outcome[cat_all$outcome %in% outcomes],
       definitions = resolve_definitions(definitions, call = call),
       stillbirth_codes = stillbirth_codes, live_codes = live_codes,
       termination_codes = termination_codes %||% code_list("termination"),
       pph_obs_codes = pph_obs_codes %||% code_list("pph_blood_loss"),
       pph_threshold = pph_threshold, pph_units = pph_units, tear_codes = tear_codes,
       breastmilk_codes = breastmilk_codes, sga_centiles = sga_centiles, call = call)
}

outcome_meta <- function(outcomes, chosen) {
  d <- chosen_definitions(outcomes, chosen)
  tibble::tibble(outcome = d$outcome, eligible = paste0(d$outcome, "_eligible"),
                 label = d$label, multiplier = d$multiplier, level = d$level,
                 definition = d$definition, source = d$source)
}

settings_attr <- function(s, multiple_births) {
  list(multiple_births = multiple_births, definitions = s$definitions[s$outcomes],
       stillbirth_codes = s$stillbirth_codes, live_codes = s$live_codes,
       termination_codes = s$termination_codes,
       termination_field = s$termination_field %||% NA_character_,
       pph_obs_codes = s$pph_obs_codes, pph_threshold = s$pph_threshold,
       pph_units = s$pph_units, pph_code_field = s$pph_code_field %||% NA_character_,
       tear_codes = s$tear_codes, breastmilk_codes = s$breastmilk_codes)
}

# Birth date, year, month and provider of the babies at rows `i`.
birth_columns <- function(babies, i) {
  d <- babies$PersonBirthDateBaby[i]
  lt <- as.POSIXlt(d)
  month <- sprintf("%04d-%02d", lt$year + 1900L, lt$mon + 1L)
  month[is.na(d)] <- NA_character_
  list(birth_date = d, birth_year = as.integer(lt$year + 1900L), birth_month = month,
       birth_provider = map_successors(babies$OrgCodeProvider[i], matequity::provider_successors))
}
