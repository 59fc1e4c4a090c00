# Input data: the example of PHEindicatormethods' phe_sii() documentation
# (man/phe_sii.Rd, Area1 and Area2). PHEindicatormethods publishes its expected
# SII/RII values only in binary spreadsheets (tests/testthat/testdata_SII.xlsx),
# so expected values here are computed independently: the point estimate by
# stats::lm() with weights, and the simulated limits by a direct
# re-implementation of phe_sii()'s published algorithm (normal draws on the
# transformed scale, column per repetition; least squares of y*sqrt(a) on
# sqrt(a) and b*sqrt(a); order statistics at round(reps * alpha/2) and
# round(reps * (1 - alpha/2))) with the same seed.
phe_example <- data.frame(
  area = rep(c("Area1", "Area2"), each = 10),
  decile = rep(1:10, 2),
  population = c(7291, 7997, 6105, 7666, 5790, 6934, 5918, 5974, 7147, 7534, 21675,
                 20065, 19750, 24713, 20112, 19618, 22408, 19752, 18939, 19312),
  value = c(75.9, 78.3, 83.8, 83.6, 80.5, 81.1, 81.7, 84.2, 80.6, 86.3, 70.5,
            71.6, 72.5, 73.5, 73.1, 76.2, 78.7, 80.6, 80.9, 80),
  lowerCL = c(72.7, 75.3, 80.9, 80.2, 77.1, 78, 79, 81.4, 75.8, 83.2,
              70.1, 71.1, 72, 73.1, 72.7, 75.7, 78.2, 80.1, 80.4, 79.5),
  upperCL = c(79.1, 81.4, 86.8, 87.1, 83.8, 84.2, 84.4, 86.9, 85.4,
              89.4, 71, 72.1, 73.2, 73.7, 75.8, 78.8, 79.8, 81.2, 81.3, 80.9),
  se = c(1.64, 1.58, 1.51, 1.78, 1.7, 1.56, 1.37, 1.4, 2.43,
         1.57, 0.23, 0.26, 0.3, 0.16, 0.79, 0.78, 0.4, 0.28, 0.23, 0.35)
)

# phe_sii()'s algorithm, written out independently for one area.
ref_sii <- function(pop, value, se, fwd, inv, reps, seed, conf = 0.95,
                    multiplier = 1, transform = FALSE) {
  a <- pop / sum(pop)
  b <- c(a[1] / 2, a[-1] / 2 + cumsum(a)[-length(a)])
  sqrt_a <- sqrt(a); b_sqrt_a <- b * sqrt_a
  vt <- fwd(value)
  yv <- if (transform) vt else value
  fit <- lm(I(yv * sqrt_a) ~ sqrt_a + b_sqrt_a - 1)
  set.seed(seed)
  yvals <- matrix(rnorm(reps * length(value), vt, se), ncol = reps)
  if (!transform) yvals <- inv(yvals)
  m <- rbind(sqrt_a, b_sqrt_a)
  params <- solve(m %*% t(m)) %*% m %*% (yvals * sqrt_a)
  cv <- conf + (1 - conf) / 2
  pos <- c(round(reps * (1 - cv)), round(reps * cv))
  list(coef = unname(coef(fit)), slope_ci = sort(multiplier * params[2, ])[pos],
       slope_t = sort(params[2, ])[pos],
       rii_ci = sort((params[1, ] + params[2, ]) / params[1, ])[pos])
}

test_that("SII and RII point estimates are weighted least squares on the cumulative midpoint", {
  d <- phe_example[phe_example$area == "Area1", ]
  got <- inequality_index(d, rank = decile, population = population, value = value,
                          se = se, type = "other", reps = 1000, seed = 1)
  a <- d$population / sum(d$population)
  b <- cumsum(a) - a / 2
  fit <- lm(value ~ b, data = data.frame(value = d$value, b = b), weights = a)
  expect_equal(got$estimate[got$term == "sii"], unname(coef(fit)[2]), tolerance = 1e-12)
  expect_equal(got$estimate[got$term == "rii"], unname(sum(coef(fit)) / coef(fit)[1]),
               tolerance = 1e-12)
  expect_equal(got$intercept[1], unname(coef(fit)[1]), tolerance = 1e-12)
  expect_named(got, c("term", "estimate", "conf.low", "conf.high", "intercept",
                      "n_quantiles", "transform", "multiplier", "reps"))
})

test_that("simulated limits follow phe_sii() draw for draw (normal, SE given)", {
  d <- phe_example[phe_example$area == "Area2", ]
  got <- inequality_index(d, rank = decile, population = population, value = value,
                          se = se, type = "other", reps = 5000, seed = 42)
  ref <- ref_sii(d$population, d$value, d$se, identity, identity, 5000, 42)
  expect_equal(got$conf.low[1], ref$slope_ci[1], tolerance = 1e-10)
  expect_equal(got$conf.high[1], ref$slope_ci[2], tolerance = 1e-10)
  expect_equal(got$conf.low[2], ref$rii_ci[1], tolerance = 1e-10)
  expect_equal(got$conf.high[2], ref$rii_ci[2], tolerance = 1e-10)
  expect_equal(got$estimate[1], ref$coef[2], tolerance = 1e-12)
})

test_that("rates: SE from log limits; transform = TRUE back-transforms", {
  d <- phe_example[phe_example$area == "Area1", ]
  se_log <- (log(d$upperCL) - log(d$lowerCL)) / (2 * qnorm(0.975))
  got <- inequality_index(d, rank = decile, population = population, value = value,
                          lower = lowerCL, upper = upperCL, type = "rate",
                          reps = 2000, seed = 3, per = -1)
  ref <- ref_sii(d$population, d$value, se_log, log, exp, 2000, 3, multiplier = -1)
  expect_equal(got$estimate[1], -ref$coef[2], tolerance = 1e-12)
  expect_equal(c(got$conf.low[1], got$conf.high[1]), ref$slope_ci, tolerance = 1e-10)
  # negative multiplier inverts the RII
  expect_equal(got$estimate[2], ref$coef[1] / sum(ref$coef), tolerance = 1e-12)

  tr <- inequality_index(d, rank = decile, population = population, value = value,
                         lower = lowerCL, upper = upperCL, type = "rate",
                         transform = TRUE, reps = 2000, seed = 3)
  reft <- ref_sii(d$population, d$value, se_log, log, exp, 2000, 3, transform = TRUE)
  b0 <- reft$coef[1]; b1 <- reft$coef[2]
  expect_equal(tr$estimate[1], exp(b0 + b1) - exp(b0), tolerance = 1e-12)
  expect_equal(tr$estimate[2], exp(b1), tolerance = 1e-12)
  mid <- b0 + b1 / 2
  lo <- exp(mid + reft$slope_t[1] / 2) - exp(mid - reft$slope_t[1] / 2)
  hi <- exp(mid + reft$slope_t[2] / 2) - exp(mid - reft$slope_t[2] / 2)
  expect_equal(c(tr$conf.low[1], tr$conf.high[1]), c(lo, hi), tolerance = 1e-10)
  expect_equal(c(tr$conf.low[2], tr$conf.high[2]), exp(reft$slope_t), tolerance = 1e-10)
  expect_equal(tr$transform[1], "log")
})

test_that("proportions with logit transform and grouped input", {
  d <- phe_example
  d$prop <- d$value / 100
  d$lo <- d$lowerCL / 100; d$hi <- d$upperCL / 100
  got <- inequality_index(d, rank = decile, by = area, population = population,
                          value = prop, lower = lo, upper = hi, type = "proportion",
                          transform = TRUE, per = 100, reps = 1000, seed = 9)
  expect_equal(nrow(got), 4)
  s <- d[d$area == "Area2", ]
  a <- s$population / sum(s$population); b <- cumsum(a) - a / 2
  fit <- lm(qlogis(prop) ~ b, data = data.frame(prop = s$prop, b = b), weights = a)
  y0 <- plogis(coef(fit)[1]); y1 <- plogis(sum(coef(fit)))
  row <- got[got$area == "Area2" & got$term == "sii", ]
  expect_equal(row$estimate, unname(100 * (y1 - y0)), tolerance = 1e-12)
  expect_equal(row$intercept, unname(100 * y0), tolerance = 1e-12)
})

test_that("a cohort gives the same index as its aggregated counts", {
  set.seed(5)
  n <- 5000
  d <- data.frame(imd_decile = sample(1:10, n, TRUE))
  d$preterm <- runif(n) < 0.1 - 0.005 * d$imd_decile
  d$preterm_eligible <- TRUE
  got <- inequality_index(d, preterm, per = 100, reps = 1000, seed = 11,
                          disclosure = "none")
  agg <- aggregate(cbind(x = preterm, n = 1) ~ imd_decile, data = d, FUN = sum)
  lim <- wilson_ci(agg$x, agg$n)
  agg$p <- agg$x / agg$n; agg$lo <- lim$conf.low; agg$hi <- lim$conf.high
  ref <- inequality_index(agg, rank = imd_decile, population = n, value = p,
                          lower = lo, upper = hi, type = "proportion",
                          per = 100, reps = 1000, seed = 11)
  expect_equal(got$estimate, ref$estimate, tolerance = 1e-12)
  expect_equal(got$conf.low, ref$conf.low, tolerance = 1e-12)
  expect_equal(got$multiplier[1], 100)
  q <- attr(got, "quantiles")
  expect_equal(q$events, agg$x)
  # events-only aggregated input derives Wilson limits itself
  ev <- inequality_index(agg, rank = imd_decile, population = n, events = x,
                         per = 100, reps = 1000, seed = 11)
  expect_equal(ev$conf.high, ref$conf.high, tolerance = 1e-12)
})

test_that("the seed is honoured and the global random stream left alone", {
  d <- phe_example[phe_example$area == "Area1", ]
  set.seed(123); before <- .Random.seed
  a <- inequality_index(d, rank = decile, population = population, value = value,
                        se = se, type = "other", reps = 1000, seed = 7)
  expect_identical(.Random.seed, before)
  b <- inequality_index(d, rank = decile, population = population, value = value,
                        se = se, type = "other", reps = 1000, seed = 7)
  expect_identical(a, b)
})

test_that("inequality_index() rejects unsuitable input", {
  d <- phe_example[phe_example$area == "Area1", ]
  q4 <- d[d$decile <= 4, ]
  expect_error(inequality_index(q4, rank = decile, population = population,
                                value = value, se = se, type = "other"),
               "at least 5 quantiles")
  expect_error(inequality_index(d, rank = decile, population = population,
                                value = value, se = se, type = "other", reps = 10),
               "reps")
  expect_error(inequality_index(d, rank = decile, population = population,
                                value = value, se = se, type = "other", transform = TRUE),
               "transform")
  expect_error(inequality_index(d, rank = decile, population = population,
                                value = value, type = "other"), "lower")
  bad <- d; bad$population[2] <- 0
  expect_error(inequality_index(bad, rank = decile, population = population,
                                value = value, se = se, type = "other"), "positive")
  expect_error(inequality_index(d, rank = decile, population = population,
                                value = value, se = se, type = "proportion"),
               "strictly between 0 and 1")
  g <- phe_example[-3, ]
  expect_warning(r <- inequality_index(g, rank = decile, by = area, population = population,
                                       value = value, se = se, type = "other", reps = 1000),
                 "lacks some quantiles")
  expect_equal(unique(r$area), "Area2")
  set.seed(1)
  c0 <- data.frame(imd_decile = rep(1:10, each = 20), preterm = FALSE, preterm_eligible = TRUE)
  c0$preterm[c0$imd_decile > 1][1:30] <- TRUE
  expect_error(inequality_index(c0, preterm, per = 100, disclosure = "none"), "no events")
})
