# Expected values are computed independently of the package: Wilson limits
# from stats::prop.test(correct = FALSE) (the Wilson score interval), exact
# Poisson limits from stats::poisson.test() (Garwood), Byar's limits from the
# formula of Breslow and Day (1987), written out below.

test_that("wilson_ci() agrees with prop.test(correct = FALSE)", {
  x <- c(0, 1, 65, 1045, 100)
  n <- c(10, 1, 100, 5000, 100)
  for (cl in c(0.95, 0.998, 0.9)) {
    got <- wilson_ci(x, n, conf_level = cl)
    ref <- t(mapply(function(xx, nn) {
      suppressWarnings(stats::prop.test(xx, nn, conf.level = cl, correct = FALSE))$conf.int
    }, x, n))
    expect_equal(got$conf.low, ref[, 1], tolerance = 1e-12)
    expect_equal(got$conf.high, ref[, 2], tolerance = 1e-12)
    expect_equal(got$estimate, x / n)
  }
  expect_named(wilson_ci(1, 2), c("x", "n", "estimate", "conf.low", "conf.high"))
  expect_s3_class(wilson_ci(1, 2), "tbl_df")
})

test_that("wilson_ci() matches the PHEindicatormethods formula written out", {
  # PHEindicatormethods' wilson_lower/upper: (2x + z^2 -/+ z sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2))
  x <- 65; n <- 100; z <- qnorm(0.975)
  lo <- (2 * x + z^2 - z * sqrt(z^2 + 4 * x * (1 - x / n))) / 2 / (n + z^2)
  hi <- (2 * x + z^2 + z * sqrt(z^2 + 4 * x * (1 - x / n))) / 2 / (n + z^2)
  got <- wilson_ci(x, n)
  expect_equal(got$conf.low, lo, tolerance = 1e-14)
  expect_equal(got$conf.high, hi, tolerance = 1e-14)
})

test_that("poisson_ci() is exact below 10 and Byar's from 10", {
  x <- c(0, 1, 9, 10, 65, 1045)
  got <- poisson_ci(x)
  expect_equal(got$method, rep(c("exact", "byar"), each = 3))
  exact <- t(sapply(x[1:3], function(xx) stats::poisson.test(xx)$conf.int))
  expect_equal(got$conf.low[1:3], exact[, 1], tolerance = 1e-10)
  expect_equal(got$conf.high[1:3], exact[, 2], tolerance = 1e-10)
  # Byar's (Breslow and Day 1987, eq. 2.11 as used by PHE):
  z <- qnorm(0.975)
  xb <- x[4:6]
  lo <- xb * (1 - 1 / (9 * xb) - z / (3 * sqrt(xb)))^3
  hi <- (xb + 1) * (1 - 1 / (9 * (xb + 1)) + z / (3 * sqrt(xb + 1)))^3
  expect_equal(got$conf.low[4:6], lo, tolerance = 1e-14)
  expect_equal(got$conf.high[4:6], hi, tolerance = 1e-14)
  # Byar's is close to exact for large counts
  ex <- stats::poisson.test(1045)$conf.int
  expect_equal(got$conf.low[6], ex[1], tolerance = 1e-3)
})

test_that("poisson_ci() rates divide by person-time; methods can be forced", {
  got <- poisson_ci(c(12, 4), n = c(2500, 800), conf_level = 0.998)
  ex <- stats::poisson.test(4, T = 800, conf.level = 0.998)$conf.int
  expect_equal(got$conf.low[2], ex[1], tolerance = 1e-10)
  expect_equal(got$conf.high[2], ex[2], tolerance = 1e-10)
  z <- qnorm(0.999)
  expect_equal(got$conf.high[1], 13 * (1 - 1 / (9 * 13) + z / (3 * sqrt(13)))^3 / 2500,
               tolerance = 1e-14)
  ex_all <- poisson_ci(c(0, 50), method = "exact")
  expect_equal(ex_all$conf.high[2], stats::poisson.test(50)$conf.int[2], tolerance = 1e-10)
  expect_equal(poisson_ci(0, method = "byar")$conf.low, 0)
})

test_that("interval functions reject bad input clearly", {
  expect_error(wilson_ci(-1, 10), "zero or more")
  expect_error(wilson_ci(11, 10), "must not exceed")
  expect_error(wilson_ci(1, 0), "greater than zero")
  expect_error(wilson_ci(1.5, 10), "whole numbers")
  expect_error(wilson_ci(NA_real_, 10), "missing")
  expect_error(wilson_ci(1:3, 1:2 + 5), "same length")
  expect_error(wilson_ci(1, 10, conf_level = 95), "strictly between 0 and 1")
  expect_error(poisson_ci("a"), "numeric")
  expect_error(poisson_ci(1, method = "wald"), "must be one of")
})

test_that("dobson_limits() follow Dobson et al. (1991)", {
  # two strata, weights 0.6/0.4
  x <- c(30, 20); n <- c(1000, 500); w <- c(600, 400)
  dsr <- sum(w * x / n) / sum(w)
  v <- sum(x * (w / n)^2) / sum(w)^2
  O <- sum(x); z <- qnorm(0.975)
  lo <- dsr + sqrt(v / O) * (O * (1 - 1 / (9 * O) - z / (3 * sqrt(O)))^3 - O)
  got <- matequity:::dobson_limits(dsr, v, O, 0.95)
  expect_equal(got$lower, lo, tolerance = 1e-14)
})
