# The main job: the end-to-end analysis on the embedded example data, from the
# MSDS extract to checked outputs and an HTML report for the output checker.
# Run with `make demo` from the package root. The output folder is named at
# the end (default ./matequity-output; set MATEQUITY_OUTPUT to change it).
suppressPackageStartupMessages(library(matequity))
options(matequity.threads = 2L, width = 100)
out_dir <- Sys.getenv("MATEQUITY_OUTPUT", file.path(getwd(), "matequity-output"))
rule <- disclosure_rule("nhse_sde")
cli::cli_h1("matequity: care models and CORE20PLUS disparities (example data)")

cli::cli_h2("1. The MSDS extract, validated once")
msds <- as_msds(msds_example, quiet = TRUE)
print(msds)

cli::cli_h2("2. Data quality by unit and year")
dq <- data_quality(msds, disclosure = rule)
print(dq, n = 12)

cli::cli_h2("3. CORE20PLUS cohort, care models and outcomes")
cohort <- define_cohort(msds, period = c("2019-04-01", "2025-12-31"), require_birth = TRUE)
cohort <- add_care_model(cohort, msds)
cohort <- add_outcomes(cohort, msds)
flow <- cohort_flow(cohort, disclosure = rule)
print(flow)

cli::cli_h2("4. Continuity of carer")
cont <- continuity(cohort, msds)
cohort$named_midwife_share <- cont$named_midwife_share[match(cohort$preg_id, cont$preg_id)]
cohort$coc_receiving <- cont$coc_receiving[match(cohort$preg_id, cont$preg_id)]
cont_summary <- summarise_continuity(
  cont[cont$preg_id %in% cohort$preg_id[cohort$coc_eligible %in% TRUE], ], disclosure = rule)
print(cont_summary)

cli::cli_h2("5. Effect of a continuity-of-carer pathway on preterm birth")
an <- cohort[cohort$coc_eligible %in% TRUE & cohort$preterm_eligible %in% TRUE &
               !is.na(cohort$imd_decile), ]
an$coc <- as.integer(an$coc_placed)
an$preterm01 <- as.integer(an$preterm)
# the propensity model has the allocation's drivers (year, unit); the
# arm-specific outcome models keep to the clinical and social risk factors
covs <- ~ age + nulliparous + prev_caesarean + ethnic_group + core20 + plus_ltc +
  plus_complex_social + pcsp + factor(year) + provider
ocovs <- ~ age + nulliparous + ethnic_group + core20 + plus_ltc + plus_complex_social + pcsp
table1 <- table_one(an, coc, ~ age + nulliparous + prev_caesarean + ethnic_group + core20 +
                       plus_ltc + plus_complex_social + pcsp, disclosure = rule)
print(table1)
fit <- estimate_effect(an, treatment = "coc", outcome = "preterm01", covariates = covs,
                       outcome_covariates = ocovs, method = "aipw", estimand = "ATE",
                       disclosure = rule)
print(fit)
fit_by <- suppressWarnings(estimate_effect(
  an, treatment = "coc", outcome = "preterm01", covariates = covs,
  outcome_covariates = ocovs, method = "aipw", by = "core20plus", disclosure = rule))
effects_by <- tidy(fit_by)
print(effects_by)
truth <- attr(msds_example, "truth")
cli::cli_text("Simulator's truth for preterm birth (risk difference): overall ",
              "{round(truth$rd[truth$outcome == 'preterm' & truth$group_var == 'overall'], 4)}.")
bal <- balance(fit)
print(bal)
ev <- evalue(fit)
print(ev)

cli::cli_h2("6. Disparities and what continuity of carer would do to them")
rates <- outcome_rates(cohort, preterm, by = core20plus_group, disclosure = rule)
print(rates)
disp <- disparity(cohort, preterm, core20plus_group, reference = "Neither", disclosure = rule)
print(disp)
sii <- inequality_index(cohort, preterm, rank = imd_decile, seed = 1, disclosure = rule)
print(sii)
uptake <- care_model_trend(cohort[!is.na(cohort$coc_placed), ], coc_placed,
                           by = core20plus, disclosure = rule)
scen <- disparity_scenarios(an, outcome = "preterm", group = "core20plus_group",
                            treatment = "coc", reference = "Neither",
                            allowable = ~ age + nulliparous,
                            covariates = ~ prev_caesarean + plus_ltc + plus_complex_social,
                            disclosure = rule)
print(scen)

cli::cli_h2("7. Output check and export")
outputs <- list(
  cohort_flow = flow, data_quality = dq, table1 = table1, continuity_summary = cont_summary,
  effect_overall = fit, effects_by_core20plus = effects_by, balance = bal,
  evalue = ev, preterm_rates = rates, preterm_disparity = disp,
  preterm_sii = sii, coc_uptake = uptake, scenarios = scen
)
if (requireNamespace("ggplot2", quietly = TRUE)) {
  outputs$cohort_flow_plot <- ggplot2::autoplot(flow)
  outputs$propensity_overlap <- ggplot2::autoplot(fit)
  outputs$love_plot <- ggplot2::autoplot(bal)
  outputs$coc_uptake_plot <- ggplot2::autoplot(uptake)
  outputs$scenarios_plot <- ggplot2::autoplot(scen)
}
checked <- do.call(disclosure_check, c(outputs, list(disclosure = rule)))
print(checked)
# export_outputs() refuses to write anything while an output fails: hold the
# failing ones back (the report lists what was released) and say which
held <- checked$output[checked$status == "fail"]
if (length(held)) {
  cli::cli_alert_warning("Held back, failing the disclosure check: {.val {held}}")
  for (i in which(checked$status == "fail")) {
    cli::cli_bullets(c(" " = "{checked$output[i]}: {substr(checked$reason[i], 1, 200)}"))
  }
}
paths <- do.call(export_outputs, c(outputs[setdiff(names(outputs), held)],
                                   list(dir = out_dir, disclosure = rule, overwrite = TRUE)))
cli::cli_alert_success("Checked outputs and the output-check report are in {.path {out_dir}}")
cli::cli_text("Open {.path {file.path(out_dir, 'disclosure_report.html')}} in a browser.")
