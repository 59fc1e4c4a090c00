# Interval functions against values printed in the methods literature (typed
# in from the publications, not produced by matequity). PHEindicatormethods
# cannot be installed on R 4.2 here (it is no longer on CRAN); these are the
# published values its Wilson and exact-Poisson methods reproduce.

test_that("wilson_ci() reproduces Newcombe (1998), Table II, method 3", {
  # Newcombe RG. Two-sided confidence intervals for the single proportion:
  # comparison of seven methods. Stat Med 1998;17:857-872. Wilson score
  # interval without continuity correction, printed to 4 decimals.
  got <- wilson_ci(c(81, 15, 0, 1), c(263, 148, 20, 29))
  published_low <- c(0.2553, 0.0624, 0.0000, 0.0061)
  published_high <- c(0.3662, 0.1605, 0.1611, 0.1718)
  expect_equal(round(got$conf.low, 4), published_low)
  expect_equal(round(got$conf.high, 4), published_high)
})

test_that("poisson_ci() exact limits reproduce the classical tables", {
  # Exact (Garwood 1936) 95% limits for a Poisson count, as tabulated e.g. in
  # Ulm K. A simple method to calculate the confidence interval of a
  # standardized mortality ratio. Am J Epidemiol 1990;131:373-375, and in
  # Documenta Geigy Scientific Tables: 0: 0-3.689; 1: 0.0253-5.572;
  # 2: 0.2422-7.225; 5: 1.6235-11.668; 9: 4.1150-17.085.
  got <- poisson_ci(c(0, 1, 2, 5, 9))
  expect_equal(got$method, rep("exact", 5))
  expect_equal(got$conf.low[-1], c(0.0253, 0.2422, 1.6235, 4.1150), tolerance = 1e-3)
  expect_equal(got$conf.low[1], 0)
  expect_equal(got$conf.high, c(3.689, 5.572, 7.225, 11.668, 17.085), tolerance = 2e-4)
})
