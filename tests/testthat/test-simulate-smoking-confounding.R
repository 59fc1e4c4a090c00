# Smoking at booking as a confounder of the simulated care-model effects
# (sim_effects(smoking); ?simulate_msds, sections "Smoking" and "The model").
# Every expected value is a documented odds ratio or a formula of the
# documented model worked out here, never a number the simulator produced.

smk_defaults <- c(preterm = 1.3, low_birth_weight = 2, stillbirth = 1.4, coc = 1.4)
smk_none <- c(preterm = 1, low_birth_weight = 1, stillbirth = 1, coc = 1)

# One largish clean simulation with the default odds ratios and one, from
# the same seed, with smoking outside the models; made once, read by several
# tests. The women, their smoking and the uniforms are the same in both.
smk_pair <- local({
  cache <- NULL
  function() {
    if (is.null(cache)) {
      on <- simulate_msds(60000, seed = 2027, realism = NULL)
      off <- simulate_msds(60000, seed = 2027, realism = NULL,
                           effects = sim_effects(smoking = smk_none))
      cache <<- list(on = on, off = off)
    }
    cache
  }
})

test_that("sim_effects(smoking) holds odds ratios, the documented defaults, checked", {
  expect_identical(sim_effects()$smoking, smk_defaults)
  expect_identical(sim_effects(smoking = c(coc = 1))$smoking,
                   c(preterm = 1.3, low_birth_weight = 2, stillbirth = 1.4, coc = 1))
  expect_error(sim_effects(smoking = c(coc = 0)), "positive odds ratios")
  expect_error(sim_effects(smoking = c(coc = Inf)), "positive odds ratios")
  expect_error(sim_effects(smoking = c(alcohol = 2)), "Names allowed")
  expect_error(sim_effects(smoking = 1.3), "named numeric")
  expect_output(print(sim_effects()), "smoking at booking, odds ratios")
})

test_that("smoking comes from its own stream, before the models: the same women either way", {
  skip_on_cran()
  p <- smk_pair()
  s1 <- attr(p$on, "simulation")
  s0 <- attr(p$off, "simulation")
  for (f in c("smoking_booking", "smoking_delivery", "imd_decile", "ethnic_code", "pcsp",
              "lost", "target", "core20plus")) {
    expect_identical(s1[[f]], s0[[f]], label = f)
  }
  # prevalence at booking: 0.06, plus 0.08 in IMD deciles 1-2
  dep <- s1$imd_decile <= 2
  for (d in c(FALSE, TRUE)) {
    sm <- s1$smoking_booking[dep == d] == "smoker"
    expect_lt(abs(mean(sm) - (0.06 + 0.08 * d)), 4 * sqrt(0.14 * 0.86 / length(sm)))
  }
})

test_that("the risks carry smoking's odds ratios, in both potential outcomes", {
  skip_on_cran()
  p <- smk_pair()
  s1 <- attr(p$on, "simulation")
  s0 <- attr(p$off, "simulation")
  smoker <- s1$smoking_booking == "smoker"
  # preterm birth: the logit moves by log(1.3) for smokers, with CoC and without
  for (a in 0:1) {
    r1 <- s1[[paste0("risk", a, "_preterm")]]
    r0 <- s0[[paste0("risk", a, "_preterm")]]
    expect_equal(stats::qlogis(r1) - stats::qlogis(r0), log(1.3) * smoker, tolerance = 1e-9)
  }
  # stillbirth mixes a term and a preterm risk (preterm multiplies its odds
  # by exp(2.3)); smoking multiplies both odds by 1.4 and raises the preterm
  # share: recover each pregnancy's term logit from the run without smoking
  # (bisection) and rebuild the risk with smoking
  mix <- function(pre, lp) pre * stats::plogis(lp + 2.3) + (1 - pre) * stats::plogis(lp)
  for (a in 0:1) {
    pre0 <- s0[[paste0("risk", a, "_preterm")]]
    pre1 <- s1[[paste0("risk", a, "_preterm")]]
    sb0 <- s0[[paste0("risk", a, "_stillbirth")]]
    lo <- rep(-30, length(sb0))
    hi <- rep(10, length(sb0))
    for (it in 1:80) {
      mid <- (lo + hi) / 2
      up <- mix(pre0, mid) < sb0
      lo[up] <- mid[up]
      hi[!up] <- mid[!up]
    }
    lp <- (lo + hi) / 2
    expected <- ifelse(smoker, mix(pre1, lp + log(1.4)), sb0)
    expect_equal(s1[[paste0("risk", a, "_stillbirth")]], expected, tolerance = 1e-9)
  }
  # the outcomes smoking does not enter keep their risks
  for (o in c("caesarean", "pph_1500", "breastmilk_first_feed")) {
    expect_identical(s1[[paste0("risk0_", o)]], s0[[paste0("risk0_", o)]], label = o)
    expect_identical(s1[[paste0("risk1_", o)]], s0[[paste0("risk1_", o)]], label = o)
  }
  # the four care models' risks carry it too
  c1 <- attr(p$on, "care_model_risks")
  c0 <- attr(p$off, "care_model_risks")
  for (k in c("none", "pcsp_only", "coc_only", "both")) {
    v <- paste0("risk_", k, "_preterm")
    expect_equal(stats::qlogis(c1[[v]]) - stats::qlogis(c0[[v]]), log(1.3) * smoker,
                 tolerance = 1e-9, label = v)
  }
  # the propensity of CoC (joining, times the 95% not placed late) moves by log(1.4)
  el <- s1$propensity_coc > 0
  expect_identical(el, s0$propensity_coc > 0)
  late <- sim_recording()$late_care_plan
  expect_equal(stats::qlogis(s1$propensity_coc[el] / (1 - late)) -
                 stats::qlogis(s0$propensity_coc[el] / (1 - late)),
               log(1.4) * smoker[el], tolerance = 1e-9)
})

test_that("the truth tables are the means of the potential-outcome risks, smoking in both", {
  skip_on_cran()
  p <- smk_pair()
  s <- attr(p$on, "simulation")
  tr <- attr(p$on, "truth")
  groups <- list(overall = rep("all", nrow(s)), core20plus = as.character(s$core20plus),
                 core20plus_group = s$core20plus_group)
  for (g in names(groups)) for (o in c("preterm", "stillbirth", "neonatal_death")) {
    rows <- tr[tr$group_var == g & tr$outcome == o, ]
    expect_gt(nrow(rows), 0)
    for (lv in rows$group) {
      sel <- s$target & groups[[g]] == lv
      r0 <- s[[paste0("risk0_", o)]][sel]
      r1 <- s[[paste0("risk1_", o)]][sel]
      row <- rows[rows$group == lv, ]
      expect_identical(row$n, sum(sel))
      expect_equal(row$risk0, mean(r0), tolerance = 1e-12)
      expect_equal(row$rd, mean(r1 - r0), tolerance = 1e-12)
    }
  }
  # smoking raises the baseline the effects act on: both potential risks of
  # preterm birth are higher than without it, over the same women
  t0 <- attr(p$off, "truth")
  pick <- function(t, col) t[[col]][t$group_var == "overall" & t$outcome == "preterm"]
  expect_gt(pick(tr, "risk0"), pick(t0, "risk0"))
  expect_gt(pick(tr, "risk1"), pick(t0, "risk1"))
  # the four-care-model truth is the mean of its risks, smoking included
  tcm <- attr(p$on, "truth_care_model")
  cmr <- attr(p$on, "care_model_risks")
  row <- tcm[tcm$group_var == "overall" & tcm$outcome == "preterm", ]
  for (k in row$care_model) {
    expect_equal(row$risk[row$care_model == k],
                 mean(cmr[[paste0("risk_", k, "_preterm")]][s$target]), tolerance = 1e-12)
  }
})

test_that("smoking goes with preterm birth and CoC placement at the odds ratios given; not when 1", {
  skip_on_cran()
  p <- smk_pair()
  # Smoking's prevalence depends only on IMD deciles 1-2, which also raise
  # the risks and CoC uptake: given that, smoking is independent of every
  # other covariate, so a logistic fit on smoking and deprivation estimates
  # the odds ratio up to the small attenuation of leaving the other
  # covariates out (non-collapsibility; for CoC placement, whose model has
  # large year, unit and plan terms, about a tenth of log(1.4), well under
  # the 4 standard errors allowed). Preterm birth is the potential outcome
  # without CoC, so CoC's own effect, which smoking confounds, stays out.
  est <- function(x, outcome, sub) {
    s <- attr(x, "simulation")
    d <- data.frame(y = s[[outcome]], smoker = s$smoking_booking == "smoker",
                    deprived = s$imd_decile <= 2)[sub(s), ]
    f <- stats::glm(y ~ smoker + deprived, family = stats::binomial(), data = d)
    c(b = stats::coef(f)[["smokerTRUE"]], se = sqrt(stats::vcov(f)["smokerTRUE", "smokerTRUE"]))
  }
  born <- function(s) !s$lost
  eligible <- function(s) s$v2 & !s$lost
  pre_on <- est(p$on, "y0_preterm", born)
  pre_off <- est(p$off, "y0_preterm", born)
  coc_on <- est(p$on, "coc_joined", eligible)
  coc_off <- est(p$off, "coc_joined", eligible)
  expect_lt(abs(pre_on[["b"]] - log(1.3)), 4 * pre_on[["se"]])
  expect_lt(abs(pre_off[["b"]]), 4 * pre_off[["se"]])
  expect_lt(abs(coc_on[["b"]] - log(1.4)), 4 * coc_on[["se"]])
  expect_lt(abs(coc_off[["b"]]), 4 * coc_off[["se"]])
  # with the same uniforms, smoking only moves smokers' outcomes up
  expect_gt(pre_on[["b"]], pre_off[["b"]])
  expect_gt(coc_on[["b"]], coc_off[["b"]])
  j1 <- attr(p$on, "simulation")$coc_joined
  j0 <- attr(p$off, "simulation")$coc_joined
  smoker <- attr(p$on, "simulation")$smoking_booking == "smoker"
  expect_true(all(j1 >= j0))
  expect_identical(j1[!smoker], j0[!smoker])
  # the sign is clear at this size: more than 3 standard errors above 0
  expect_gt(pre_on[["b"]], 3 * pre_on[["se"]])
  expect_gt(coc_on[["b"]], 3 * coc_on[["se"]])
})

test_that("smokers' babies' birth weights are lowered as the odds ratio of a small baby says", {
  skip_on_cran()
  # only the birth-weight path on, so every draw is the same as without smoking
  off <- simulate_msds(8000, seed = 31, realism = NULL, effects = sim_effects(smoking = smk_none))
  lbw <- simulate_msds(8000, seed = 31, realism = NULL,
                       effects = sim_effects(smoking = replace(smk_none, "low_birth_weight", 2)))
  # the shift of log weight (sd 0.12) that doubles the odds of falling below
  # its 10th centile: P(z < q10 + d / 0.12) = 2 * (1/9) / (1 + 2 * (1/9))
  d <- 0.12 * (stats::qnorm((2 / 9) / (1 + 2 / 9)) - stats::qnorm(0.1))
  b0 <- off$MSD401BabyDemographics
  b1 <- lbw$MSD401BabyDemographics
  expect_identical(b1, b0)
  w0 <- off$MSD405CareActivityBaby$BirthWeight
  w1 <- lbw$MSD405CareActivityBaby$BirthWeight
  expect_identical(is.na(w1), is.na(w0))
  s <- attr(off, "simulation")
  m <- match(b0$UniqPregID, s$UniqPregID)
  smoker <- s$smoking_booking[m] == "smoker"
  # the documented additive terms (70 g for boys, -160 g for Asian mothers)
  # come off before the ratio; weights are rounded to the gram
  asian <- s$ethnic_code[m] %in% c("H", "J", "K", "L")
  adj <- function(w) w - 70 * (b0$PersonPhenSex == "1") + 160 * asian
  k <- !is.na(w0)
  expect_identical(w1[k & !smoker], w0[k & !smoker])
  ks <- k & smoker
  expect_gt(sum(ks), 200)
  a0 <- adj(w0)[ks]
  a1 <- adj(w1)[ks]
  # each rounding moves a log weight by at most 0.5 / weight
  expect_true(all(abs(log(a1 / a0) + d) < 1.5 / pmin(a1, a0)))
})
