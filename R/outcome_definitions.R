# Which rule makes each outcome column of add_outcomes(), with its source,
# and the NHS Digital code lists the rules use. One table each, so the
# documentation, the defaults and attr(cohort, "outcomes") cannot drift apart.

# NHS Digital's Maternity Services Monthly Statistics: the CQIM measure
# notebook (Clinical Quality Improvement Metrics), public in NHS Digital's
# MSDS code; MBRRACE-UK: the perinatal mortality surveillance technical
# manual and "Why do MBRRACE-UK statistics differ from those published by
# ONS?" (timms.le.ac.uk/mbrrace-uk-perinatal-mortality/surveillance).
src_cqim <- "NHS Digital Maternity Services Monthly Statistics, CQIM measure notebook"
src_mbrrace <- "MBRRACE-UK perinatal mortality surveillance technical manual"
src_ons <- "ONS registration-based definitions, as MBRRACE-UK contrasts them with its own"
src_dps <- "NHS Digital MSDS v2 DPS derivation PostpartumBloodLoss"
src_domain <- "matequity (DOMAIN.md section 6)"

#' The code lists matequity's outcome definitions use
#'
#' One row per code: the observation codes NHS Digital counts as blood loss
#' for postpartum haemorrhage, the genital tract lesions counted as third
#' and fourth degree tears, the discharge reasons that mark a termination
#' of pregnancy, the pregnancy outcome codes of live births and stillbirths,
#' and the first-feed and delivery-method codes. [add_outcomes()] takes its
#' defaults from here.
#'
#' * `pph_blood_loss`: the 20 codes of NHS Digital's `CQIMPPH` rate, matched
#'   against the mapped SNOMED CT observation code of `MSD302`
#'   (`MasterSnomedCTObsCode`; `ObsCode` when an extract has no mapped
#'   code). As in NHS Digital's list, some are SNOMED CT description
#'   identifiers rather than concept identifiers (their partition digits,
#'   the second and third from the right, are `01`). NHS Digital's
#'   data-quality measures `CQIMDQ11`-`CQIMDQ13` write `11452009` where the
#'   rate writes `111452009`; the rate's code is used. `719051004` is also the
#'   single code of the MSDS derivation `PostpartumBloodLoss` (with unit
#'   `ml`).
#' * `tear_3_4`: SNOMED CT `10217006` (third degree) and `399031001` (fourth
#'   degree) in `GenitalTractTraumaticLesion` (`CQIMTears`).
#' * `termination`: `DischReason` (MSD101, discharge reason from the
#'   maternity service) `04` termination of pregnancy before 24 weeks and
#'   `05` termination at 24 weeks or more. (check) The labels are those a
#'   public MSDS v2 analysis applies to the field; NHS Digital's own measures
#'   do not use it. MBRRACE-UK excludes terminations from its mortality
#'   rates.
#' * `live_birth`, `stillbirth`: `PregOutcome` `01`, and `02`-`04`
#'   (antepartum, intrapartum, timing unknown (check)); together the births
#'   NHS Digital's CQIMs count (`PregOutcome IN ('01','02','03','04')`).
#' * `first_feed_recorded`, `breast_milk_first_feed`: `BabyFirstFeedIndCode`
#'   `01`-`03` recorded, `01`/`02` breast milk (`CQIMBreastfeeding`).
#' * `vaginal_birth`: `DeliveryMethodCode` `0`-`4` (`CQIMTears`).
#'
#' @returns A tibble with columns `list` (name of the list), `field` (the
#'   MSDS table and field the codes are matched in), `code` and `source`.
#' @seealso [outcome_definitions()], [add_outcomes()].
#' @examples
#' cl <- outcome_code_lists()
#' cl[cl$list == "pph_blood_loss", ]
#' @export
outcome_code_lists <- function() {
  pph <- c("47821001", "27214003", "1033591000000101", "1033571000000100", "23171006",
           "200025008", "111452009", "49177006", "724496000", "119891000119105",
           "785322012", "1216656013", "1218146019", "79691012", "494929013",
           "1230526013", "719051004", "3314819019", "3314820013", "494930015")
  rows <- list(
    list("pph_blood_loss", "MSD302 MasterSnomedCTObsCode (else ObsCode)", pph,
         paste(src_cqim, "(CQIMPPH)")),
    list("tear_3_4", "MSD302 GenitalTractTraumaticLesion", c("10217006", "399031001"),
         paste(src_cqim, "(CQIMTears)")),
    list("termination", "MSD101 DischReason", c("04", "05"),
         "MSDS v2 discharge reason codes as labelled in public MSDS analysis code (check)"),
    list("live_birth", "MSD401 PregOutcome", "01", src_cqim),
    list("stillbirth", "MSD401 PregOutcome", c("02", "03", "04"), src_cqim),
    list("first_feed_recorded", "MSD401 BabyFirstFeedIndCode", c("01", "02", "03"),
         paste(src_cqim, "(CQIMBreastfeeding)")),
    list("breast_milk_first_feed", "MSD401 BabyFirstFeedIndCode", c("01", "02"),
         paste(src_cqim, "(CQIMBreastfeeding)")),
    list("vaginal_birth", "MSD401 DeliveryMethodCode", as.character(0:4),
         paste(src_cqim, "(CQIMTears)"))
  )
  tibble::tibble(
    list = unlist(lapply(rows, function(r) rep(r[[1]], length(r[[3]])))),
    field = unlist(lapply(rows, function(r) rep(r[[2]], length(r[[3]])))),
    code = unlist(lapply(rows, `[[`, 3)),
    source = unlist(lapply(rows, function(r) rep(r[[4]], length(r[[3]]))))
  )
}

# The codes of one list.
code_list <- function(name) {
  cl <- outcome_code_lists()
  cl$code[cl$list == name]
}

#' The outcome definitions add_outcomes() offers
#'
#' One row per outcome and definition. The default definition of each
#' outcome (`default == TRUE`) is the one NHS Digital or MBRRACE-UK publish
#' where the study compares with published figures; the others are research
#' variants (the package's earlier definitions), chosen with
#' `add_outcomes(definitions = c(outcome = "definition"))`.
#'
#' * Mortality, `"mbrrace"` (default): births from 24+0 weeks (168 days) or,
#'   where gestation is missing, from 400 g; terminations of pregnancy
#'   excluded from numerators and denominators; stillbirths per 1,000 total
#'   births, neonatal deaths (0-27 completed days) per 1,000 live births,
#'   extended perinatal deaths per 1,000 total births. MBRRACE-UK reports by
#'   year of birth: use `birth_year`. `"ons"`: the registration-style
#'   definitions MBRRACE-UK contrasts with its own: stillbirths from 24+0
#'   weeks (400 g rule), neonatal deaths of live births at any gestation,
#'   terminations included.
#' * Preterm, `"cqim"` (default, `CQIMPreterm`): `PregOutcome` `01`,
#'   `BirthsPerLabandDel = 1`, 154-258 of 154-315 days, per 1,000 (NHS
#'   Digital reports it by month and provider of birth: `birth_month`,
#'   `birth_provider`). `"singleton_inferred"`: the same, but a baby whose
#'   labour has no `BirthsPerLabandDel` counts as a singleton when its
#'   pregnancy has one baby record.
#' * Low Apgar, `"cqim"` (default, `CQIMApgar`): 5-minute Apgar 0-6 among
#'   babies with `PregOutcome` `01`-`04` (stillbirths included), 259-315
#'   days, `BirthsPerLabandDel = 1` and a score 0-10, per 1,000.
#'   `"live_births"`: term singleton live births with a score (singleton
#'   inferred as above), per cent.
#' * 3rd/4th degree tear, `"cqim"` (default, `CQIMTears`): a lesion code of
#'   [outcome_code_lists()] on any labour activity of the pregnancy, among
#'   women whose baby has `PregOutcome` `01`-`04`, 259-315 days, delivery
#'   method 0-4 and `BirthsPerLabandDel = 1`, per 1,000.
#'   `"singleton_inferred"`: the first baby's labour only, among maternities,
#'   singleton inferred as above, per cent.
#' * PPH >= 1500 ml, `"cqim"` (default, `CQIMPPH`): a blood-loss observation
#'   of the code list on any labour activity of the pregnancy with
#'   `INT(ObsValue) >= 1500`, among women with a baby with `PregOutcome`
#'   `01`-`04` (any gestation), per 1,000. `"maternities"`: the first baby's
#'   labour only, among maternities (live births, or stillbirths from 24+0
#'   weeks), per cent. Units are set by `pph_units` in [add_outcomes()].
#' * Breast milk at first feed, `"cqim"` (default, `CQIMBreastfeeding`):
#'   `01`/`02` among all babies with `01`-`03` recorded, per cent.
#'   `"live_births"`: among live births only.
#' * Neonatal unit admission, `"neocritcare"` (default): an
#'   `MSD402NeonatalAdmission` record with `NeoCritCareInd = 'Y'` (admitted to
#'   neonatal critical care; NHS Digital's MSDS v2 field) among live births.
#'   `"any_record"`: any MSD402 record, whatever `NeoCritCareInd` says.
#' * Birth weight, SGA and caesarean have one definition each (see
#'   [add_outcomes()]).
#'
#' @returns A tibble with columns `outcome`, `definition`, `default`
#'   (logical), `label`, `multiplier` (100 or 1000), `level` (`"baby"` or
#'   `"maternity"`) and `source`.
#' @seealso [add_outcomes()], [outcome_code_lists()].
#' @examples
#' od <- outcome_definitions()
#' od[od$default, c("outcome", "definition", "source")]
#' @export
outcome_definitions <- function() {
  tibble::tribble(
    ~outcome, ~definition, ~default, ~label, ~multiplier, ~level, ~source,
    "stillbirth", "mbrrace", TRUE,
    "Stillbirth from 24+0 weeks, terminations excluded (per 1,000 total births)", 1000, "baby", src_mbrrace,
    "stillbirth", "ons", FALSE,
    "Stillbirth from 24+0 weeks, terminations included (per 1,000 total births)", 1000, "baby", src_ons,
    "neonatal_death", "mbrrace", TRUE,
    "Neonatal death, births from 24+0 weeks, terminations excluded (per 1,000 live births)", 1000, "baby", src_mbrrace,
    "neonatal_death", "ons", FALSE,
    "Neonatal death, live births at any gestation (per 1,000 live births)", 1000, "baby", src_ons,
    "perinatal_death", "mbrrace", TRUE,
    "Extended perinatal death from 24+0 weeks, terminations excluded (per 1,000 total births)", 1000, "baby", src_mbrrace,
    "perinatal_death", "ons", FALSE,
    "Extended perinatal death, terminations included (per 1,000 total births)", 1000, "baby", src_ons,
    "preterm", "cqim", TRUE,
    "Preterm birth 154-258 days, singleton live births 154-315 days (per 1,000)", 1000, "baby", paste(src_cqim, "(CQIMPreterm)"),
    "preterm", "singleton_inferred", FALSE,
    "Preterm birth, singleton live births, singleton inferred where unrecorded (per 1,000)", 1000, "baby", src_domain,
    "low_birth_weight", "live_births", TRUE,
    "Low birth weight < 2500 g, live births (%)", 100, "baby", src_domain,
    "term_low_birth_weight", "live_births", TRUE,
    "Term low birth weight, term live births (%)", 100, "baby", src_domain,
    "sga", "live_births", TRUE,
    "Small for gestational age, live births (%)", 100, "baby", src_domain,
    "low_apgar", "cqim", TRUE,
    "5-minute Apgar 0-6, term singleton births incl. stillbirths (per 1,000)", 1000, "baby", paste(src_cqim, "(CQIMApgar)"),
    "low_apgar", "live_births", FALSE,
    "5-minute Apgar 0-6, term singleton live births (%)", 100, "baby", src_domain,
    "tear_3_4", "cqim", TRUE,
    "3rd or 4th degree tear, singleton term vaginal births (per 1,000)", 1000, "maternity", paste(src_cqim, "(CQIMTears)"),
    "tear_3_4", "singleton_inferred", FALSE,
    "3rd or 4th degree tear, singleton term vaginal births (%)", 100, "maternity", src_domain,
    "pph_1500", "cqim", TRUE,
    "Postpartum haemorrhage >= 1500 ml, women giving birth (per 1,000)", 1000, "maternity", paste(src_cqim, "(CQIMPPH)"),
    "pph_1500", "maternities", FALSE,
    "Postpartum haemorrhage >= 1500 ml, maternities (%)", 100, "maternity", src_domain,
    "caesarean", "maternities", TRUE,
    "Caesarean birth, maternities (%)", 100, "maternity", src_domain,
    "caesarean_elective", "maternities", TRUE,
    "Elective caesarean, maternities (%)", 100, "maternity", src_domain,
    "caesarean_emergency", "maternities", TRUE,
    "Emergency caesarean, maternities (%)", 100, "maternity", src_domain,
    "breastmilk_first_feed", "cqim", TRUE,
    "Breast milk at first feed, all babies with a first feed recorded (%)", 100, "baby", paste(src_cqim, "(CQIMBreastfeeding)"),
    "breastmilk_first_feed", "live_births", FALSE,
    "Breast milk at first feed, live births with a first feed recorded (%)", 100, "baby", src_domain,
    "nnu_admission", "neocritcare", TRUE,
    "Admission to neonatal critical care (NeoCritCareInd Y), live births (%)", 100, "baby", "NHS Digital MSDS v2 MSD402NeonatalAdmission NeoCritCareInd",
    "nnu_admission", "any_record", FALSE,
    "Any neonatal admission record (MSD402), live births (%)", 100, "baby", src_domain
  )
}

# One row per outcome: the catalogue add_outcomes() validates against (the
# default definitions, in the order of the output columns).
outcome_catalogue <- function() {
  od <- outcome_definitions()
  od[od$default, c("outcome", "label", "multiplier", "level")]
}

# The chosen definition of each outcome: the defaults overridden by
# `definitions` (a named character vector or list: outcome = definition).
resolve_definitions <- function(definitions, call = rlang::caller_env()) {
  od <- outcome_definitions()
  chosen <- stats::setNames(od$definition[od$default], od$outcome[od$default])
  if (is.null(definitions)) return(chosen)
  if (is.list(definitions)) definitions <- unlist(definitions)
  if (!is.character(definitions) || is.null(names(definitions)) ||
      any(!nzchar(names(definitions))) || anyNA(definitions)) {
    cli::cli_abort(c("{.arg definitions} must be a named character vector: {.code c(outcome = \"definition\")}.",
                     "i" = "See {.fn outcome_definitions} for the outcomes and their definitions."),
                   call = call)
  }
  bad_o <- setdiff(names(definitions), od$outcome)
  if (length(bad_o)) {
    cli::cli_abort(c("{.arg definitions} names outcomes matequity does not define.",
                     "x" = "Unknown: {example_values(bad_o)}.",
                     "i" = "Available: {unique(od$outcome)}."), call = call)
  }
  key <- paste(od$outcome, od$definition)
  bad <- !paste(names(definitions), definitions) %in% key
  if (any(bad)) {
    o <- names(definitions)[bad][1]
    cli::cli_abort(c("{.arg definitions} gives a definition {.field {o}} does not have.",
                     "x" = "{.field {o}} = {.val {definitions[bad][1]}}.",
                     "i" = "Definitions of {.field {o}}: {.val {od$definition[od$outcome == o]}}."),
                   call = call)
  }
  chosen[names(definitions)] <- definitions
  chosen
}

# The rows of outcome_definitions() for the chosen outcomes.
chosen_definitions <- function(outcomes, chosen) {
  od <- outcome_definitions()
  od[match(paste(outcomes, chosen[outcomes]), paste(od$outcome, od$definition)), ]
}
