# Rubin's rules against mice::pool() and mice::pool.scalar() on the same
# per-imputation estimates and variances.

mice_fits <- function(seed = 1, m = 5) {
  set.seed(seed)
  n <- 300
  d <- data.frame(x1 = rnorm(n), x2 = factor(sample(c("a", "b", "c"), n, TRUE)))
  d$y <- rbinom(n, 1, plogis(-0.5 + 0.8 * d$x1 + 0.4 * (d$x2 == "b")))
  d$z <- 1 + d$x1 + rnorm(n)
  d$x1[runif(n) < 0.25] <- NA
  d$x2[runif(n) < 0.2] <- NA
  imp <- mice::mice(d, m = m, seed = seed, printFlag = FALSE)
  list(imp = imp, fit = with(imp, stats::glm(y ~ x1 + x2, family = stats::binomial)),
       lm = with(imp, stats::lm(z ~ x1 + x2)))
}

per_imputation <- function(fit) {
  ana <- fit$analyses
  list(est = do.call(rbind, lapply(ana, stats::coef)),
       var = do.call(rbind, lapply(ana, function(f) diag(stats::vcov(f)))),
       cov = lapply(ana, stats::vcov),
       dfcom = stats::df.residual(ana[[1]]))
}

test_that("pool_rubin() agrees with mice::pool() on glm and lm fits", {
  needs_reference("mice")
  needs_reference("dplyr")  # mice::pool() summarises with dplyr
  f <- mice_fits()
  for (model in list(f$fit, f$lm)) {
    p <- per_imputation(model)
    ref <- mice::pool(model)$pooled
    ours <- pool_rubin(p$est, p$var, dfcom = p$dfcom)
    expect_identical(ours$term, as.character(ref$term))
    expect_equal(ours$m, ref$m)
    for (col in c("estimate", "ubar", "b", "t", "dfcom", "df", "riv", "lambda", "fmi")) {
      expect_equal(ours[[col]], ref[[col]], tolerance = 1e-12, info = col)
    }
    s <- summary(mice::pool(model), conf.int = TRUE, conf.level = 0.9)
    ours90 <- pool_rubin(p$est, p$var, dfcom = p$dfcom, conf_level = 0.9)
    expect_equal(ours90$std.error, s$std.error, tolerance = 1e-12)
    expect_equal(ours90$statistic, s$statistic, tolerance = 1e-12)
    expect_equal(ours90$p.value, s$p.value, tolerance = 1e-10)
    expect_equal(ours90$conf.low, s[["5 %"]], tolerance = 1e-12)
    expect_equal(ours90$conf.high, s[["95 %"]], tolerance = 1e-12)
    # the covariance form pools the same diagonals
    oc <- pool_rubin(p$est, p$cov, dfcom = p$dfcom)
    expect_equal(oc$t, ref$t, tolerance = 1e-12)
    expect_equal(unname(diag(attr(oc, "vcov"))), ref$t, tolerance = 1e-12)
  }
})

test_that("pool_rubin() agrees with mice::pool.scalar() (finite and infinite dfcom)", {
  needs_reference("mice")
  set.seed(3)
  for (m in c(2L, 5L, 20L)) {
    q <- rnorm(m, 0.3, 0.05)
    u <- rexp(m, 1 / 0.002)
    for (n in c(30, 1000, Inf)) {
      ref <- mice::pool.scalar(q, u, n = n, k = 1)
      ours <- pool_rubin(q, u, dfcom = n - 1)
      expect_equal(ours$estimate, ref$qbar, tolerance = 1e-14)
      expect_equal(ours$ubar, ref$ubar, tolerance = 1e-14)
      expect_equal(ours$b, ref$b, tolerance = 1e-14)
      expect_equal(ours$t, ref$t, tolerance = 1e-14)
      expect_equal(ours$df, ref$df, tolerance = 1e-12)
      expect_equal(ours$riv, ref$r, tolerance = 1e-12)
      expect_equal(ours$fmi, ref$fmi, tolerance = 1e-12)
    }
  }
  # no between-imputation variance: lambda floored at 1e-4 in the df, as mice
  ref <- mice::pool.scalar(rep(0.2, 4), rep(0.01, 4), n = 101, k = 1)
  ours <- pool_rubin(rep(0.2, 4), rep(0.01, 4), dfcom = 100)
  expect_equal(ours$df, ref$df, tolerance = 1e-12)
  expect_equal(ours$fmi, ref$fmi, tolerance = 1e-12)
})

test_that("the pooled covariance is Ubar + (1 + 1/m) B", {
  needs_reference("mice")
  p <- per_imputation(mice_fits(seed = 2)$fit)
  ours <- pool_rubin(p$est, p$cov, dfcom = p$dfcom)
  m <- nrow(p$est)
  expect_equal(attr(ours, "vcov"),
               Reduce(`+`, p$cov) / m + (1 + 1 / m) * stats::cov(p$est), tolerance = 1e-12,
               ignore_attr = TRUE)
})

test_that("pool_rubin() rejects malformed input", {
  expect_error(pool_rubin(0.1, 0.01), "at least 2 imputations")
  expect_error(pool_rubin(c(0.1, 0.2), c(0.01, 0.01, 0.01)), "shape")
  expect_error(pool_rubin(c(0.1, 0.2), c(0.01, -0.01)), "negative")
  expect_error(pool_rubin(c(0.1, 0.2), c(0.01, 0.01), dfcom = -1), "dfcom")
  expect_error(pool_rubin(matrix(1:4 / 10, 2), list(diag(2))), "one covariance matrix")
})
