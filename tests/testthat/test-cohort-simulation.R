# The derived cohort, exposures and outcomes agree with the simulator's own
# latent record (attr(x, "simulation")), apart from the recording problems
# it injected, which must show up where they belong.

sim_pipeline <- local({
  cache <- NULL
  function() {
    if (is.null(cache)) {
      x <- simulate_msds(20000, seed = 3)
      co <- suppressMessages(define_cohort(x))
      co <- add_care_model(co, x)
      co <- suppressMessages(add_outcomes(co, x))
      sim <- attr(x, "simulation")
      cache <<- list(x = x, co = co, sim = sim, s = sim[match(co$preg_id, sim$UniqPregID), ])
    }
    cache
  }
})

test_that("injected recording problems appear in the exclusion log with the right counts", {
  skip_on_cran()
  p <- sim_pipeline()
  log <- attr(p$co, "exclusions")
  # superseded submissions: every booking record beyond one per pregnancy
  # (removed by as_msds() and reported from its submissions log)
  subs <- attr(p$x, "submissions")
  n_in <- subs$rows_in[subs$table == "MSD101PregnancyBooking"]
  expect_identical(nrow(p$x$MSD101PregnancyBooking), nrow(p$sim))
  expect_identical(log$n_excluded[1], n_in - nrow(p$sim))
  expect_identical(log$n_after[1], nrow(p$sim))
  # impossible booking gestations (written as 400 days)
  expect_identical(log$n_excluded[log$rule == "booking gestation outside 0-315 days"],
                   sum(p$sim$recording_problem == "impossible booking gestation"))
  expect_false(any(p$co$preg_id %in%
                     p$sim$UniqPregID[p$sim$recording_problem == "impossible booking gestation"]))
  expect_identical(sum(log$n_excluded), log$n_before[1] - log$n_after[nrow(log)])
  expect_identical(nrow(p$co), log$n_after[nrow(log)])
})

test_that("CoC eligibility and placement agree with the simulator", {
  skip_on_cran()
  p <- sim_pipeline()
  co <- p$co
  s <- p$s
  # NHS COC_by_28weeks: 203 days reached in an MSDS v2 month (whenever
  # booked) and by the end of the data, not lost before then, and not
  # discharged by then after an early birth (a birth itself does not count)
  d203 <- co$booking_date + (203 - co$booking_gest)
  disch_gest <- co$booking_gest + as.numeric(co$discharge_date - co$booking_date)
  early_out <- s$early_birth & !is.na(disch_gest) & disch_gest <= 203
  data_end <- attr(co, "care_model")$data_end
  expect_identical(co$coc_eligible, d203 >= as.Date("2019-04-01") & d203 <= data_end &
                     !s$lost & !early_out)
  expect_gt(sum(co$coc_eligible & !s$v2), 100)
  expect_gt(sum(co$coc_eligible & s$early_birth), 20)
  # the research rule: booked in MSDS v2, neither lost nor born before 203 days
  res <- add_care_model(co, p$x, definition = "research")
  expect_identical(res$coc_eligible, s$v2 & !s$lost & !s$early_birth)
  e <- co$coc_eligible
  differ <- co$coc_placed[e] != s$coc_placed[e]
  # the only disagreements: placed on the pathway but the named midwife or
  # team was not recorded on the care plan
  expect_true(all(s$recording_problem[e][differ] == "named carer missing"))
  expect_true(all(!co$coc_placed[e][differ]))
  expect_gt(sum(!differ & s$coc_placed[e]), 100)
  # late care plans (placed after 28+6) are not counted as placed
  late <- e & s$recording_problem == "late care plan"
  expect_false(any(co$coc_placed[late]))
  # ineligible pregnancies are NA, never FALSE
  expect_true(all(is.na(co$coc_placed[!e])))
  expect_true(all(is.na(co$pcsp[!s$v2])))
})

test_that("PCSP agrees with the simulator apart from missing care-plan records", {
  skip_on_cran()
  p <- sim_pipeline()
  co <- p$co
  s <- p$s
  e <- co$coc_eligible
  differ <- which(e & co$pcsp != s$pcsp)
  cp <- p$x$MSD102MatCarePlan
  cp <- cp[cp$CarePlanType == "05", ]
  recorded <- unique(cp$UniqPregID[!is.na(cp$MatPersCarePlanInd)])
  # a disagreement is a pregnancy with no care plan, or whose antenatal plans
  # all lack MatPersCarePlanInd (the simulator's care_plan_fields_missing)
  explained <- s$recording_problem[differ] == "no care plan" | !co$preg_id[differ] %in% recorded
  expect_true(all(explained))
  expect_true(all(!co$pcsp[differ]))
})

test_that("CORE20PLUS flags agree with the true characteristics where recorded", {
  skip_on_cran()
  p <- sim_pipeline()
  co <- p$co
  s <- p$s
  known <- !is.na(co$core20)
  expect_identical(co$core20[known], s$core20[known])
  known <- !is.na(co$plus_ethnic_minority)
  expect_identical(co$plus_ethnic_minority[known], s$ethnic_minority[known])
  expect_identical(co$ethnic_code[known], s$ethnic_code[known])
  expect_identical(co$plus_traveller, s$traveller)
  expect_identical(co$plus_ltc, s$long_term_condition)
  expect_identical(co$plus_complex_social, s$complex_social)
  # with everything recorded, the groups agree
  full <- !is.na(co$core20) & !is.na(co$plus_ethnic_minority)
  expect_identical(as.character(co$core20plus_group[full]), s$core20plus_group[full])
  # unknown ethnicity is reported with its count
  u <- attr(co, "unknown_codes")
  # (not stated, not known, missing, or a code outside the list such as 'X')
  n_unknown <- sum(!co$ethnic_code %in% setdiff(msds_codes$ethnic_category, c("Z", "99")))
  expect_identical(sum(u$n[grepl("^EthnicCategoryMother", u$field)]), n_unknown)
})

test_that("outcomes agree with the outcome under the care model received", {
  skip_on_cran()
  p <- sim_pipeline()
  co <- p$co
  s <- p$s
  # the simulator's target: v2 singleton pregnancies reaching 203 days, less
  # those whose baby record carries an invalid code (the extract's shapes)
  # and those whose gestation at birth was not recorded
  t <- s$target & !s$recording_problem %in% c("invalid pregnancy outcome code",
                                              "invalid phenotypic sex code",
                                              "gestation at birth missing")
  observed <- function(o) ifelse(s$coc_placed, s[[paste0("y1_", o)]], s[[paste0("y0_", o)]])
  still <- observed("stillbirth")
  # MBRRACE-UK: a stillbirth after a termination of pregnancy (DischReason
  # 05) is neither a death nor a birth
  top <- s$termination
  expect_gt(sum(t & top), 0)
  expect_true(all(still[t & top]))
  expect_identical(co$stillbirth[t & !top], still[t & !top])
  expect_true(all(co$stillbirth_eligible[t & !top]))
  expect_false(any(co$stillbirth_eligible[t & top]))
  live <- t & !still
  expect_identical(co$neonatal_death[live], observed("neonatal_death")[live])
  e <- t & co$preterm_eligible
  expect_identical(co$preterm[e], observed("preterm")[e])
  expect_identical(sum(e), sum(live))
  for (o in c("caesarean", "pph_1500")) {
    expect_true(all(co[[paste0(o, "_eligible")]][t]), info = o)
  }
  expect_identical(co$caesarean[t], observed("caesarean")[t])
  # NHS Digital's CQIMPPH compares the value as submitted: a loss recorded in
  # litres (one unit does) is not counted; converted, every one is
  la <- p$x$MSD302CareActivityLabDel
  lab <- p$x$MSD301LabourDelivery
  in_litres <- co$preg_id %in%
    lab$UniqPregID[match(la$LabourDeliveryID[la$UCUMUnit %in% "L"], lab$LabourDeliveryID)]
  expect_gt(sum(t & in_litres & observed("pph_1500")), 0)
  expect_identical(co$pph_1500[t], (observed("pph_1500") & !in_litres)[t])
  conv <- suppressMessages(add_outcomes(co, p$x, outcomes = "pph_1500", pph_units = "convert"))
  expect_identical(conv$pph_1500[t], observed("pph_1500")[t])
  e <- t & co$breastmilk_first_feed_eligible
  expect_identical(co$breastmilk_first_feed[e], observed("breastmilk_first_feed")[e])
  expect_identical(co$gestation_birth[t], s$gestation_birth[t])
})

test_that("data quality counts the injected recording problems", {
  skip_on_cran()
  p <- sim_pipeline()
  dq <- data_quality(p$co, msds = p$x, disclosure = "none")
  eth <- dq[dq$field == "ethnicity", ]
  expect_identical(sum(eth$n), nrow(p$co))
  expect_identical(sum(eth$n - eth$n_valid),
                   sum(!p$co$ethnic_code %in% setdiff(msds_codes$ethnic_category, c("Z", "99"))))
  # v2 pregnancies with no care plan at all are incomplete for the care-plan fields
  mp <- dq[dq$field == "MatPersCarePlanInd", ]
  v2 <- p$co$booking_date >= as.Date("2019-04-01")
  expect_identical(sum(mp$n), sum(v2))
  no_plan <- sum(p$s$recording_problem == "no care plan")
  expect_gte(sum(mp$n - mp$n_complete), no_plan)
})
