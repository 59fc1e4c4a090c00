# Agreement with FunnelPlotR's funnel_plot() (limits, phi, tau2, outliers),
# with base R's exact Poisson interval (poisson.test) and with the exact
# binomial and Byar formulas written out. PHEindicatormethods needs
# R >= 4.3 on CRAN, so it is not a reference package here.

funnel_units <- function(k = 40, seed = 11, sd = 0.2) {
  set.seed(seed)
  E <- round(stats::runif(k, 8, 400), 4)
  O <- stats::rpois(k, E * exp(stats::rnorm(k, 0, sd)))
  data.frame(unit = sprintf("U%02d", seq_len(k)), O = O, E = E)
}

fpr_by_unit <- function(fp, units) {
  a <- FunnelPlotR::source_data(fp)
  a[match(units, as.character(a$group)), ]
}

test_that("SHMI ratios: limits, phi, tau2 and outliers agree with FunnelPlotR", {
  needs_reference("FunnelPlotR")
  d <- funnel_units()
  got <- unit_variation(d, unit = unit, events = O, expected = E, disclosure = "none")
  for (lev in c(99, 95)) {
    fp <- suppressMessages(FunnelPlotR::funnel_plot(
      d, O, E, unit, data_type = "SR", sr_method = "SHMI", SHMI_rounding = FALSE,
      draw_adjusted = TRUE, limit = lev, trim_by = 0.1))
    a <- fpr_by_unit(fp, got$unit)
    expect_gt(FunnelPlotR::phi(fp), 1)
    expect_equal(got$phi[1], FunnelPlotR::phi(fp), tolerance = 1e-12)
    expect_equal(got$tau2[1], FunnelPlotR::tau2(fp), tolerance = 1e-12)
    expect_equal(got$ratio, a$rr, tolerance = 1e-12)
    expect_equal(got$ll95, a$LCL95, tolerance = 1e-10)
    expect_equal(got$ul95, a$UCL95, tolerance = 1e-10)
    expect_equal(got$ll998, a$LCL99, tolerance = 1e-10)
    expect_equal(got$ul998, a$UCL99, tolerance = 1e-10)
    # FunnelPlotR's z quantiles are 1.959964 and 3.090232, written to 7 figures
    expect_equal(got$od_ll95, a$OD95LCL, tolerance = 1e-7)
    expect_equal(got$od_ul95, a$OD95UCL, tolerance = 1e-7)
    expect_equal(got$od_ll998, a$OD99LCL, tolerance = 1e-7)
    expect_equal(got$od_ul998, a$OD99UCL, tolerance = 1e-7)
    expect_equal(got$z, a$Uzscore, tolerance = 1e-12)
    uv <- unit_variation(d, unit = unit, events = O, expected = E, disclosure = "none",
                         outlier_level = if (lev == 99) 0.998 else 0.95)
    expect_identical(uv$outlier != "none", a$outlier == 1)
    expect_setequal(uv$unit[uv$outlier != "none"],
                    as.character(FunnelPlotR::outliers(fp)$group))
  }
  # some units are outliers against the 95% limits, so the comparison can fail
  expect_gt(sum(uv$outlier != "none"), 0)
  # without the adjustment: FunnelPlotR's exact Poisson limits decide
  fp0 <- suppressMessages(FunnelPlotR::funnel_plot(
    d, O, E, unit, data_type = "SR", SHMI_rounding = FALSE, draw_adjusted = FALSE,
    draw_unadjusted = TRUE, limit = 99))
  a0 <- fpr_by_unit(fp0, got$unit)
  u0 <- unit_variation(d, unit = unit, events = O, expected = E, disclosure = "none",
                       overdispersion = FALSE)
  expect_identical(u0$outlier != "none", a0$outlier == 1)
  expect_gt(sum(u0$outlier != "none"), 0)
})

test_that("the multiplicative model widens the limits by sqrt(phi) (FunnelPlotR's phi)", {
  needs_reference("FunnelPlotR")
  d <- funnel_units(seed = 4)
  fp <- suppressMessages(FunnelPlotR::funnel_plot(d, O, E, unit, data_type = "SR",
                                                  SHMI_rounding = FALSE))
  phi <- FunnelPlotR::phi(fp)
  expect_gt(phi, 1)
  got <- unit_variation(d, unit = unit, events = O, expected = E,
                        od_model = "multiplicative", disclosure = "none")
  a <- fpr_by_unit(fp, d$unit)
  expect_equal(got$od_ul998, exp(qnorm(0.999) * sqrt(phi / d$E)), tolerance = 1e-12)
  expect_equal(got$od_ll95, exp(-qnorm(0.975) * sqrt(phi / d$E)), tolerance = 1e-12)
  expect_equal(got$z_adjusted, a$Uzscore / sqrt(phi), tolerance = 1e-12)
  expect_identical(got$outlier, ifelse(abs(got$z_adjusted) > qnorm(0.999),
                                       ifelse(got$z_adjusted > 0, "high", "low"), "none"))
})

test_that("multiplier scales ratios and limits as FunnelPlotR's does", {
  needs_reference("FunnelPlotR")
  d <- funnel_units(seed = 3)
  fp <- suppressMessages(FunnelPlotR::funnel_plot(
    d, O, E, unit, data_type = "SR", SHMI_rounding = FALSE, multiplier = 100))
  a <- fpr_by_unit(fp, d$unit)
  got <- unit_variation(d, unit = unit, events = O, expected = E, ratio_scale = 100,
                        disclosure = "none")
  expect_equal(got$ul998, a$UCL99, tolerance = 1e-10)
  expect_equal(got$od_ul998, a$OD99UCL, tolerance = 1e-7)
  expect_equal(got$target[1], 100)
  expect_identical(got$outlier != "none", a$outlier == 1)
})

test_that("CQC ratios: phi and tau2 agree with FunnelPlotR, limits squared back", {
  needs_reference("FunnelPlotR")
  d <- funnel_units(seed = 5)
  fp <- suppressMessages(FunnelPlotR::funnel_plot(
    d, O, E, unit, data_type = "SR", sr_method = "CQC", draw_adjusted = TRUE))
  a <- fpr_by_unit(fp, d$unit)
  got <- unit_variation(d, unit = unit, events = O, expected = E, method = "CQC",
                        disclosure = "none")
  expect_gt(FunnelPlotR::phi(fp), 1)
  expect_equal(got$phi[1], FunnelPlotR::phi(fp), tolerance = 1e-12)
  expect_equal(got$tau2[1], FunnelPlotR::tau2(fp), tolerance = 1e-12)
  expect_equal(got$z, a$Uzscore, tolerance = 1e-12)
  # FunnelPlotR draws 1 -/+ z sqrt(s^2 + tau2) on the square-root scale and
  # does not square it back (Spiegelhalter 2005 does): compare on that scale
  expect_equal(sqrt(got$od_ul95), a$OD95UCL, tolerance = 1e-7)
  expect_equal(sqrt(got$od_ll998), pmax(0, a$OD99LCL), tolerance = 1e-7)
  expect_equal(got$ll998, a$LCL99, tolerance = 1e-10)
})

test_that("proportions: adjusted limits, phi and tau2 agree with FunnelPlotR", {
  needs_reference("FunnelPlotR")
  set.seed(8)
  k <- 30
  n <- round(stats::runif(k, 400, 4000))
  p <- stats::plogis(stats::qlogis(0.08) + stats::rnorm(k, 0, 0.25))
  d <- data.frame(unit = sprintf("T%02d", seq_len(k)), x = stats::rbinom(k, n, p), n = n)
  fp <- suppressMessages(FunnelPlotR::funnel_plot(d, x, n, unit, data_type = "PR",
                                                  draw_adjusted = TRUE, limit = 99))
  a <- fpr_by_unit(fp, d$unit)
  got <- unit_variation(d, unit = unit, events = x, n = n, statistic = "proportion",
                        per = 1, disclosure = "none")
  expect_gt(FunnelPlotR::phi(fp), 1)
  expect_equal(got$phi[1], FunnelPlotR::phi(fp), tolerance = 1e-12)
  expect_equal(got$tau2[1], FunnelPlotR::tau2(fp), tolerance = 1e-12)
  expect_equal(got$z, a$Uzscore, tolerance = 1e-12)
  expect_equal(got$proportion, a$rr, tolerance = 1e-12)
  expect_equal(got$target[1], sum(d$x) / sum(d$n), tolerance = 1e-14)
  expect_equal(got$od_ll95, a$OD95LCL, tolerance = 1e-7)
  expect_equal(got$od_ul95, a$OD95UCL, tolerance = 1e-7)
  expect_equal(got$od_ll998, a$OD99LCL, tolerance = 1e-7)
  expect_equal(got$od_ul998, a$OD99UCL, tolerance = 1e-7)
  expect_identical(got$outlier != "none", a$outlier == 1)
  # per 100 by default for an aggregated table
  pc <- unit_variation(d, unit = unit, events = x, n = n, statistic = "proportion",
                       disclosure = "none")
  expect_equal(pc$od_ul95, 100 * a$OD95UCL, tolerance = 1e-7)
})

test_that("exact binomial limits interpolate the binomial quantile (Spiegelhalter 2005)", {
  d <- data.frame(unit = c("a", "b", "c", "d"), x = c(3, 40, 120, 9), n = c(50, 400, 1500, 90))
  got <- unit_variation(d, unit = unit, events = x, n = n, statistic = "proportion",
                        per = 1, disclosure = "none")
  p0 <- sum(d$x) / sum(d$n)
  lim <- function(p, n) {
    r <- qbinom(p, n, p0)
    f <- (pbinom(r, n, p0) - p) / (pbinom(r, n, p0) - pbinom(r - 1, n, p0))
    (r - f) / n
  }
  expect_equal(got$ll95, lim(0.025, d$n), tolerance = 1e-13)
  expect_equal(got$ul95, lim(0.975, d$n), tolerance = 1e-13)
  expect_equal(got$ll998, lim(0.001, d$n), tolerance = 1e-13)
  expect_equal(got$ul998, lim(0.999, d$n), tolerance = 1e-13)
  # the limits lie between consecutive attainable proportions
  r <- qbinom(0.975, d$n, p0)
  expect_true(all(got$ul95 > (r - 1) / d$n & got$ul95 <= r / d$n))
  w <- wilson_ci(d$x, d$n)
  expect_equal(got$conf.low, w$conf.low, tolerance = 1e-13)
})

test_that("ratio intervals: exact below 10 events (poisson.test), Byar's from 10", {
  d <- data.frame(unit = c("a", "b", "c"), O = c(4, 9, 57), E = c(6.25, 5.5, 41.3))
  got <- unit_variation(d, unit = unit, events = O, expected = E, disclosure = "none")
  for (i in 1:2) {
    pt <- stats::poisson.test(d$O[i], d$E[i])$conf.int
    expect_equal(c(got$conf.low[i], got$conf.high[i]), as.numeric(pt), tolerance = 1e-12)
  }
  O <- 57; z <- qnorm(0.975)
  expect_equal(got$conf.low[3], O * (1 - 1 / (9 * O) - z / (3 * sqrt(O)))^3 / 41.3,
               tolerance = 1e-13)
  expect_equal(got$conf.high[3],
               (O + 1) * (1 - 1 / (9 * (O + 1)) + z / (3 * sqrt(O + 1)))^3 / 41.3,
               tolerance = 1e-13)
  expect_equal(got$ratio, d$O / d$E, tolerance = 1e-14)
})

test_that("on a cohort, expected counts come from a logistic model of the whole cohort", {
  set.seed(21)
  n <- 3000
  d <- data.frame(provider = sample(sprintf("P%d", 1:6), n, TRUE),
                  age_band = sample(c("<25", "25-34", "35+"), n, TRUE),
                  nulliparous = sample(c(TRUE, FALSE), n, TRUE))
  d$preterm <- stats::runif(n) < stats::plogis(-2.3 + 0.5 * (d$age_band == "35+") +
                                                 0.3 * d$nulliparous)
  d$preterm_eligible <- TRUE
  d$preterm_eligible[1:40] <- FALSE
  got <- unit_variation(d, preterm, unit = provider, adjust = ~ age_band + nulliparous,
                        per = 100, disclosure = "none")
  e <- d[d$preterm_eligible, ]
  fit <- stats::glm(preterm ~ age_band + nulliparous, family = binomial(), data = e)
  E <- tapply(fitted(fit), e$provider, sum)
  O <- tapply(e$preterm, e$provider, sum)
  expect_equal(got$expected, as.numeric(E[got$provider]), tolerance = 1e-8)
  expect_equal(got$events, as.numeric(O[got$provider]))
  # the score equations of a model with an intercept (to glm's convergence)
  expect_equal(sum(got$expected), sum(got$events), tolerance = 1e-6)
  overall <- mean(e$preterm)
  expect_equal(got$rate, 100 * got$events / got$expected * overall, tolerance = 1e-12)
  expect_equal(got$overall_rate[1], 100 * overall, tolerance = 1e-14)
  # without adjustment the expected count is n times the overall rate
  crude <- unit_variation(d, preterm, unit = provider, per = 100, disclosure = "none")
  expect_equal(crude$expected, crude$n * overall, tolerance = 1e-12)
  expect_equal(crude$rate, 100 * crude$events / crude$n, tolerance = 1e-12)
})

test_that("released statistics rest on released counts; suppressed units say nothing", {
  set.seed(2)
  d <- data.frame(unit = sprintf("U%02d", 1:12),
                  n = c(round(stats::runif(11, 300, 3000)), 40))
  d$x <- stats::rbinom(12, d$n, 0.07)
  d$x[12] <- 4
  d$E <- d$n * sum(d$x) / sum(d$n)
  uv <- unit_variation(d, unit = unit, events = x, n = n, expected = E)
  rule <- resolve_disclosure(NULL)
  expect_true(all(uv$events %% 5 == 0, na.rm = TRUE))
  sup <- is.na(uv$events)
  expect_true(sup[uv$unit == "U12"])
  expect_gte(sum(sup), 2) # secondary suppression along the unit margin
  for (col in c("expected", "ratio", "conf.low", "ll95", "od_ul998", "z", "z_adjusted",
                "rate", "outlier")) {
    expect_true(all(is.na(uv[[col]][sup])), info = col)
  }
  ok <- !sup
  expect_equal(uv$expected[ok], signif(d$E[ok], 3))
  expect_equal(uv$ratio[ok], uv$events[ok] / uv$expected[ok], tolerance = 1e-14)
  fz <- sqrt(uv$expected[ok]) * log(uv$events[ok] / uv$expected[ok])
  expect_equal(uv$z[ok], fz, tolerance = 1e-12)
  tot <- release_value(c(sum(d$x), sum(d$n)), rule)
  expect_equal(uv$overall_rate[1], 100 * tot[1] / tot[2], tolerance = 1e-14)
  expect_identical(disclosure_check(uv = uv)$status, "pass")
})

test_that("autoplot() draws the funnel from released rows and keeps the mark", {
  needs_reference("ggplot2")
  d <- funnel_units(k = 20, seed = 9)
  d$n <- round(d$E * 12)
  d$O[1] <- 3
  uv <- unit_variation(d, unit = unit, events = O, n = n, expected = E)
  p <- ggplot2::autoplot(uv)
  expect_s3_class(p, "ggplot")
  pts <- p$layers[[3]]$data
  expect_s3_class(pts, "mq_sdc")
  expect_s3_class(p$layers[[2]]$data, "mq_sdc")
  expect_equal(nrow(pts), sum(!is.na(uv$ratio)))
  expect_match(p$labels$caption, "suppressed unit")
  expect_identical(disclosure_check(plot = p)$status, "pass")
})

test_that("unit_variation() says what is wrong with its input", {
  d <- data.frame(unit = c("a", "b"), O = c(4, 9), E = c(6, -1), n = c(10, 20))
  expect_error(unit_variation(d, unit = unit, events = O, expected = E,
                              disclosure = "none"), "positive")
  expect_error(unit_variation(d, unit = unit, events = O, disclosure = "none"),
               "expected.*or.*n")
  expect_error(unit_variation(d, unit = unit, events = O, expected = n,
                              statistic = "proportion", disclosure = "none"), "needs the eligible")
  expect_error(unit_variation(d, unit = unit, events = O, n = n, outlier_level = 0.99,
                              disclosure = "none"), "outlier_level")
  d$O[2] <- 30
  expect_error(unit_variation(d, unit = unit, events = O, n = n, disclosure = "none"),
               "must not exceed")
})
