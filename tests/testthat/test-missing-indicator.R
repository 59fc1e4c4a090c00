# estimate_effect(missing = "indicator") against glm() on the data recoded by
# hand: the propensity model and the IPW (Hajek) estimate.

mind_data <- function(seed = 21, n = 800) {
  set.seed(seed)
  d <- data.frame(age = rnorm(n, 30, 5),
                  eth = sample(c("White", "Asian", "Black"), n, TRUE, c(0.6, 0.25, 0.15)))
  d$a <- rbinom(n, 1, plogis(-0.5 + 0.06 * (d$age - 30) + 0.5 * (d$eth == "Black")))
  d$y <- rbinom(n, 1, plogis(-1.5 + 0.4 * d$a + 0.05 * (d$age - 30)))
  d$age[runif(n) < 0.2] <- NA
  d$eth[runif(n) < 0.15] <- NA
  d
}

test_that("missing = 'indicator' fits the propensity model glm() fits on the recoded data", {
  withr::local_options(matequity.disclosure = "none")
  d <- mind_data()
  fit <- estimate_effect(d, a, y, ~ age + eth, method = "ipw", missing = "indicator")
  # by hand: the observed mean for missing ages, a 0/1 indicator, a level "Missing"
  r <- d
  r$age_missing <- as.integer(is.na(d$age))
  r$age[is.na(r$age)] <- mean(d$age, na.rm = TRUE)
  r$eth[is.na(r$eth)] <- "Missing"
  ref <- stats::glm(a ~ age + eth + age_missing, family = stats::binomial, data = r,
                    control = stats::glm.control(epsilon = 1e-12, maxit = 50))
  ours <- fit$groups[[1]]$ps_model$coefficients
  expect_equal(unname(ours), unname(stats::coef(ref)), tolerance = 1e-7)
  e <- stats::fitted(ref)
  w <- ifelse(r$a == 1, 1 / e, 1 / (1 - e))
  mu1 <- sum((w * r$y)[r$a == 1]) / sum(w[r$a == 1])
  mu0 <- sum((w * r$y)[r$a == 0]) / sum(w[r$a == 0])
  tab <- tidy(fit)
  expect_equal(tab$estimate[tab$term == "risk_difference"], mu1 - mu0, tolerance = 1e-7)
  expect_identical(fit$missing_indicators, "age_missing")
  expect_identical(glance(fit)$n, nrow(d))
  expect_true("age_missing" %in% names(fit$groups[[1]]$ps_model$coefficients))
  expect_true("ethMissing" %in% names(fit$groups[[1]]$ps_model$coefficients))
  # missing values of the treatment are still an error
  d$a[1] <- NA
  expect_error(estimate_effect(d, a, y, ~ age + eth, missing = "indicator"), "missing values")
})

test_that("missing_indicator() recodes and checks", {
  d <- data.frame(x = c(1, NA, 3), f = factor(c("u", NA, "v")), l = c(TRUE, NA, FALSE))
  out <- missing_indicator(d)
  expect_identical(names(out), c("x", "x_missing", "f", "l"))
  expect_equal(out$x, c(1, 2, 3))
  expect_identical(out$x_missing, c(0L, 1L, 0L))
  expect_identical(levels(out$f), c("u", "v", "Missing"))
  expect_identical(as.character(out$l), c("TRUE", "Missing", "FALSE"))
  d$x_missing <- 0
  expect_error(missing_indicator(d, "x"), "overwrite")
  expect_error(missing_indicator(d, "zz"), "not in")
})
