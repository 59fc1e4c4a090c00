# E-values against EValue and against published / hand-calculated values.

test_that("VanderWeele and Ding (2017) worked example", {
  # Annals of Internal Medicine 167:268-274: RR 3.9 (95% CI 1.8 to 8.7)
  # gives E-values 7.26 for the estimate and 3.02 for the lower limit.
  # By hand: 3.9 + sqrt(3.9 * 2.9) = 3.9 + 3.3630 = 7.2630;
  #          1.8 + sqrt(1.8 * 0.8) = 1.8 + 1.2     = 3.0.
  e <- evalue(3.9, 1.8, 8.7)
  expect_equal(round(e$evalue_estimate, 2), 7.26)
  expect_equal(round(e$evalue_ci, 2), 3.00)
  expect_equal(e$evalue_estimate, 3.9 + sqrt(3.9 * 2.9), tolerance = 1e-14)
  expect_equal(e$evalue_ci, 3, tolerance = 1e-14)
})

test_that("hand-calculated values: protective, null-crossing, common OR, HR, RD", {
  # Protective RR 0.80 (0.70, 0.91): 1/0.8 = 1.25 -> 1.25 + sqrt(1.25 * 0.25)
  # = 1.8090; upper limit 0.91 -> 1/0.91 = 1.0989 -> 1.0989 + sqrt(1.0989 *
  # 0.0989) = 1.4286.
  e <- evalue(0.8, 0.7, 0.91)
  expect_equal(e$evalue_estimate, 1.25 + sqrt(1.25 * 0.25), tolerance = 1e-14)
  expect_equal(e$evalue_ci, 1 / 0.91 + sqrt(1 / 0.91 * (1 / 0.91 - 1)), tolerance = 1e-14)
  # Interval including the null: the CI E-value is 1.
  expect_identical(evalue(1.3, 0.9, 1.8)$evalue_ci, 1)
  expect_identical(evalue(0.7, 0.4, 1.1)$evalue_ci, 1)
  # Common-outcome OR 2.25: RR ~ sqrt(2.25) = 1.5 -> 1.5 + sqrt(0.75) = 2.3660.
  expect_equal(evalue(2.25, type = "OR", rare = FALSE)$evalue_estimate,
               1.5 + sqrt(1.5 * 0.5), tolerance = 1e-14)
  # Rare-outcome OR is used as an RR.
  expect_equal(evalue(2.25, type = "OR", rare = TRUE)$evalue_estimate,
               2.25 + sqrt(2.25 * 1.25), tolerance = 1e-14)
  # Common-outcome HR 2: RR ~ (1 - 0.5^sqrt(2)) / (1 - 0.5^sqrt(1/2)).
  rr <- (1 - 0.5^sqrt(2)) / (1 - 0.5^sqrt(0.5))
  expect_equal(evalue(2, type = "HR", rare = FALSE)$evalue_estimate,
               rr + sqrt(rr * (rr - 1)), tolerance = 1e-14)
  # RD 0.05 with control risk 0.10: RR = 1.5 -> 2.3660.
  expect_equal(evalue(0.05, 0.01, 0.09, type = "RD", p0 = 0.1)$evalue_estimate,
               1.5 + sqrt(0.75), tolerance = 1e-14)
  expect_equal(evalue(0.05, 0.01, 0.09, type = "RD", p0 = 0.1)$evalue_ci,
               1.1 + sqrt(1.1 * 0.1), tolerance = 1e-14)
})

test_that("agrees with EValue::evalues.RR/OR/HR", {
  needs_reference("EValue")
  ev_pick <- function(m) {
    # EValue returns the CI E-value in the lower or upper column.
    ci <- m["E-values", c("lower", "upper")]
    c(point = unname(m["E-values", "point"]), ci = unname(ci[!is.na(ci)][1]))
  }
  cases <- list(c(3.9, 1.8, 8.7), c(0.8, 0.7, 0.91), c(1.3, 0.9, 1.8),
                c(0.45, 0.3, 0.66), c(1.05, 1.01, 1.1))
  for (cs in cases) {
    ref <- ev_pick(EValue::evalues.RR(cs[1], cs[2], cs[3]))
    ours <- evalue(cs[1], cs[2], cs[3])
    expect_equal(ours$evalue_estimate, ref[["point"]], tolerance = 1e-12)
    expect_equal(ours$evalue_ci, ref[["ci"]], tolerance = 1e-12)
    for (rare in c(TRUE, FALSE)) {
      ref <- ev_pick(EValue::evalues.OR(cs[1], cs[2], cs[3], rare = rare))
      ours <- evalue(cs[1], cs[2], cs[3], type = "OR", rare = rare)
      expect_equal(ours$evalue_estimate, ref[["point"]], tolerance = 1e-12)
      expect_equal(ours$evalue_ci, ref[["ci"]], tolerance = 1e-12)
      ref <- ev_pick(EValue::evalues.HR(cs[1], cs[2], cs[3], rare = rare))
      ours <- evalue(cs[1], cs[2], cs[3], type = "HR", rare = rare)
      expect_equal(ours$evalue_estimate, ref[["point"]], tolerance = 1e-12)
      expect_equal(ours$evalue_ci, ref[["ci"]], tolerance = 1e-12)
    }
  }
  # a non-null true value
  ref <- ev_pick(EValue::evalues.RR(2.5, 1.6, 3.9, true = 1.5))
  ours <- evalue(2.5, 1.6, 3.9, true = 1.5)
  expect_equal(ours$evalue_estimate, ref[["point"]], tolerance = 1e-12)
  expect_equal(ours$evalue_ci, ref[["ci"]], tolerance = 1e-12)
})

test_that("evalue() of an effect fit uses its risk ratio, odds ratio or risk difference", {
  est <- tibble::tibble(
    term = c("risk_treated", "risk_control", "risk_difference", "risk_ratio", "odds_ratio"),
    estimate = c(0.30, 0.20, 0.10, 1.5, 1.714286),
    conf.low = c(0.27, 0.18, 0.06, 1.3, 1.45),
    conf.high = c(0.33, 0.22, 0.14, 1.75, 2.02)
  )
  fit <- structure(list(estimates = est), class = "mq_effect")
  # estimate_effect()'s tidy() returns x$estimates; stand in for it only
  # when the package does not have it yet.
  if (is.null(utils::getS3method("tidy", "mq_effect", optional = TRUE))) {
    registerS3method("tidy", "mq_effect", function(x, ...) x$estimates,
                     envir = asNamespace("generics"))
  }
  e <- evalue(fit)
  expect_equal(e$evalue_estimate, 1.5 + sqrt(0.75), tolerance = 1e-14)
  expect_equal(e$evalue_ci, 1.3 + sqrt(1.3 * 0.3), tolerance = 1e-14)
  # risk 30% is common: OR -> sqrt(OR)
  o <- evalue(fit, measure = "OR")
  r <- sqrt(1.714286)
  expect_equal(o$evalue_estimate, r + sqrt(r * (r - 1)), tolerance = 1e-14)
  # RD via the control risk 0.20: RR = 1 + 0.10/0.20 = 1.5; limit 1 + 0.06/0.2
  d <- evalue(fit, measure = "RD")
  expect_equal(d$evalue_estimate, 1.5 + sqrt(0.75), tolerance = 1e-14)
  expect_equal(d$evalue_ci, 1.3 + sqrt(1.3 * 0.3), tolerance = 1e-14)
  # by-group fits give a row per group
  est2 <- rbind(cbind(group = "a", est), cbind(group = "b", est))
  fit2 <- structure(list(estimates = tibble::as_tibble(est2)), class = "mq_effect")
  e2 <- evalue(fit2)
  expect_identical(e2$group, c("a", "b"))
  fit3 <- structure(list(estimates = est[4, ]), class = "mq_effect")
  expect_error(evalue(fit3), "binary outcome")
})

test_that("bad input is refused", {
  expect_error(evalue(2, 2.5, 3), "bracket")
  expect_error(evalue(2, type = "OR"), "rare")
  expect_error(evalue(0.05, type = "RD"), "p0")
  expect_error(evalue(-1), "positive")
  expect_error(evalue("a"), "numeric")
})
