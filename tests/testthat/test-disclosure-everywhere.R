# Issue 7: every exported function that returns counts applies the rule in
# force. Under the default rule (NHS England SDE: counts under 10 suppressed,
# others rounded to 5) no released count may be below 10 or off the 5-grid.

released_counts_ok <- function(tab, label) {
  sdc_cols <- grep("_sdc$", names(tab), value = TRUE)
  counts <- intersect(sub("_sdc$", "", sdc_cols), names(tab))
  expect_true(length(counts) > 0, label = paste(label, "has disclosed count columns"))
  for (cc in counts) {
    v <- tab[[cc]]
    v <- v[!is.na(v)]
    expect_true(all(v == 0 | v >= 10), label = paste0(label, ": ", cc, " has no released count under 10"))
    expect_true(all(v %% 5 == 0), label = paste0(label, ": ", cc, " is rounded to 5"))
  }
}

test_that("no unsuppressed count under the threshold survives the default rule", {
  skip_on_cran()
  withr_opts <- options(matequity.disclosure = NULL)
  on.exit(options(withr_opts))
  x <- simulate_msds(4000, seed = 17)
  cohort <- define_cohort(x, period = c("2019-04-01", "2025-12-31"))
  cohort <- add_care_model(cohort, x)
  cohort <- add_outcomes(cohort, x)
  cont <- continuity(cohort, x)
  an <- cohort[cohort$coc_eligible %in% TRUE & cohort$preterm_eligible %in% TRUE, ]
  an$coc <- as.integer(an$coc_placed)

  outputs <- list(
    msds_quality = msds_quality(x),
    cohort_flow = cohort_flow(cohort),
    data_quality = data_quality(x),
    summarise_continuity = summarise_continuity(cont),
    outcome_rates = outcome_rates(cohort, preterm, by = core20plus_group),
    disparity = disparity(cohort, preterm, core20plus_group, reference = "Neither"),
    dsr = dsr(cohort, caesarean, by = core20plus),
    care_model_trend = care_model_trend(cohort[!is.na(cohort$coc_placed), ], coc_placed,
                                        by = core20plus, interval = "year"),
    disparity_scenarios = disparity_scenarios(an, "preterm", "core20plus", "coc",
                                              reference = FALSE, allowable = ~ nulliparous,
                                              covariates = ~ plus_ltc,
                                              scenarios = c("equalised", "universal")),
    sdc_histogram_data = sdc_histogram_data(an$age, breaks = 30),
    unit_variation = unit_variation(cohort, preterm, unit = provider,
                                    adjust = ~ age_band + nulliparous)
  )
  ae <- suppressWarnings(allocation_equity(cohort, coc_placed, core20plus_group,
                                           need = ~ age_band + nulliparous,
                                           unit = provider, period = booking_date))
  outputs[paste0("allocation_equity$", c("shares", "crude", "adjusted", "trend"))] <-
    ae[c("shares", "crude", "adjusted", "trend")]
  for (nm in names(outputs)) {
    out <- outputs[[nm]]
    expect_s3_class(out, "mq_sdc")
    released_counts_ok(out, nm)
  }
})
