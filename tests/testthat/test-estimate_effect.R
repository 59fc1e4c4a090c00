# Agreement of estimate_effect() with reference packages.

test_that("propensity coefficients agree with glm() at 1e-8 relative", {
  d <- lalonde_data()
  ref <- stats::glm(lalonde_ps_formula, binomial(), d,
                    control = stats::glm.control(epsilon = 1e-14, maxit = 100))
  fit <- estimate_effect(d, treat, y, lalonde_covs, method = "ipw")
  expect_lt(rel_diff(fit$groups$all$ps_model$coefficients, unname(coef(ref))), 1e-8)
  expect_lt(rel_diff(fit$ps, unname(fitted(ref))), 1e-8)
  # Weighted, with an offset, through the engine directly.
  X <- stats::model.matrix(lalonde_ps_formula, d)
  w <- seq(0.5, 2, length.out = nrow(d))
  off <- 0.1 * d$age / 10
  d$w_ <- w
  d$off_ <- off
  ref2 <- suppressWarnings(stats::glm(lalonde_ps_formula, binomial(), d, weights = w_,
                                      offset = off_,
                                      control = stats::glm.control(epsilon = 1e-14, maxit = 100)))
  f2 <- matequity:::.cpp_logit_fit(X, as.numeric(d$treat), w, off, 1e-14, 100L, 2L)
  expect_lt(rel_diff(f2$coefficients, unname(coef(ref2))), 1e-8)
  expect_equal(f2$deviance, ref2$deviance, tolerance = 1e-10)
  # At glm's default epsilon both stop at the same iteration.
  ref3 <- stats::glm(lalonde_ps_formula, binomial(), d)
  f3 <- matequity:::.cpp_logit_fit(X, as.numeric(d$treat), rep(1, nrow(d)), rep(0, nrow(d)),
                                   1e-8, 25L, 1L)
  expect_identical(f3$iter, ref3$iter)
  expect_lt(rel_diff(f3$coefficients, unname(coef(ref3))), 1e-8)
})

test_that("aliased columns get NA coefficients, as in glm()", {
  d <- lalonde_data()
  d$age2 <- 2 * d$age
  # glm's QR tolerance is min(1e-7, epsilon / 1000): 1e-10 keeps it able to
  # see the exact collinearity.
  ref <- stats::glm(treat ~ age + educ + age2 + re74, binomial(), d,
                    control = stats::glm.control(epsilon = 1e-10, maxit = 100))
  X <- stats::model.matrix(~ age + educ + age2 + re74, d)
  f <- matequity:::.cpp_logit_fit(X, as.numeric(d$treat), rep(1, nrow(d)), rep(0, nrow(d)),
                                  1e-10, 100L, 1L)
  expect_identical(is.na(f$coefficients), unname(is.na(coef(ref))))
  expect_identical(f$aliased, 4L)
  ok <- !is.na(coef(ref))
  expect_lt(rel_diff(f$coefficients[ok], unname(coef(ref))[ok]), 1e-8)
})

test_that("IPW estimates and M-estimation SEs agree with WeightIt for every estimand", {
  needs_reference("WeightIt")
  d <- lalonde_data()
  for (est in c("ATE", "ATT", "ATC", "ATO")) {
    W <- WeightIt::weightit(lalonde_ps_formula, data = d, estimand = est)
    ref <- WeightIt::lm_weightit(y ~ treat, data = d, weightit = W, vcov = "asympt")
    refc <- WeightIt::lm_weightit(y ~ treat, data = d, weightit = W, vcov = "asympt", cluster = ~cl)
    fit <- estimate_effect(d, treat, y, lalonde_covs, estimand = est, method = "ipw")
    fitc <- estimate_effect(d, treat, y, lalonde_covs, estimand = est, method = "ipw", cluster = cl)
    # lm_weightit's intercept is mu_0 and its slope the risk difference.
    expect_lt(rel_diff(coef(fit)[["risk_control"]], coef(ref)[[1]]), 1e-8)
    expect_lt(rel_diff(coef(fit)[["risk_difference"]], coef(ref)[[2]]), 1e-8)
    expect_lt(rel_diff(sqrt(vcov(fit)[3, 3]), sqrt(vcov(ref)[2, 2])), 1e-7)
    expect_lt(rel_diff(sqrt(vcov(fit)[2, 2]), sqrt(vcov(ref)[1, 1])), 1e-7)
    expect_lt(rel_diff(sqrt(vcov(fitc)[3, 3]), sqrt(vcov(refc)[2, 2])), 1e-7)
  }
})

test_that("truncation is WeightIt's trim(): type-3 quantile, one cap for the non-focal arms", {
  needs_reference("WeightIt")
  d <- birthwt_data()
  fml <- smoke ~ race_f + age + lwt + ht
  for (est in c("ATE", "ATT", "ATC", "ATO")) for (q in c(0.9, 0.75, 0.05)) {
    W <- WeightIt::weightit(fml, data = d, estimand = est)
    Wt <- suppressMessages(WeightIt::trim(W, at = q))
    fit <- estimate_effect(d, smoke, low, fml[-2], estimand = est, method = "ipw",
                           truncate = q, vcov = "robust", disclosure = "none")
    label <- paste(est, q)
    expect_lt(rel_diff(fit$weights, unname(Wt$weights)), 1e-7, label = label)
    expect_identical(glance(fit)$n_truncated,
                     as.numeric(sum(abs(Wt$weights - W$weights) > 1e-12)), label = label)
    # lm_weightit() on trimmed weights: HC0, the weights taken as known
    ref <- WeightIt::lm_weightit(low ~ smoke, data = d, weightit = Wt, vcov = "HC0")
    expect_lt(rel_diff(coef(fit)[["risk_difference"]], coef(ref)[[2]]), 1e-7, label = label)
    expect_lt(rel_diff(sqrt(vcov(fit)[3, 3]), sqrt(vcov(ref)[2, 2])), 1e-7, label = label)
    # and as trim() on the weights alone, given the treatment
    w0 <- estimate_effect(d, smoke, low, fml[-2], estimand = est, method = "ipw")$weights
    expect_lt(rel_diff(fit$weights,
                       suppressMessages(WeightIt::trim(w0, at = q, treat = d$smoke))), 1e-12,
              label = label)
  }
})

test_that("AIPW and IPW agree with PSweight (estimates and sandwich SEs)", {
  needs_reference("PSweight")
  needs_reference("numDeriv")
  d <- lalonde_data()
  ofo <- y ~ age + educ + married + nodegree + re74 + re75
  for (wt in c("IPW", "treated", "overlap")) {
    est <- c(IPW = "ATE", treated = "ATT", overlap = "ATO")[[wt]]
    ref <- PSweight::PSweight(ps.formula = lalonde_ps_formula, yname = "y", data = d, weight = wt,
                              augmentation = TRUE, out.formula = ofo, family = "binomial")
    fit <- estimate_effect(d, treat, y, lalonde_covs, estimand = est, method = "aipw")
    # PSweight orders the arms (0, 1); its Jacobian is numerical (numDeriv),
    # hence 1e-6 on the SEs.
    expect_lt(rel_diff(unname(fit$groups$all$mu), unname(ref$muhat[2:1])), 1e-8)
    expect_lt(rel_diff(sqrt(diag(fit$groups$all$V)), unname(sqrt(diag(ref$covmu)))[2:1]), 1e-6)
  }
  ref <- PSweight::PSweight(ps.formula = lalonde_ps_formula, yname = "y", data = d, weight = "IPW")
  fit <- estimate_effect(d, treat, y, lalonde_covs, method = "ipw")
  expect_lt(rel_diff(unname(fit$groups$all$mu), unname(ref$muhat[2:1])), 1e-8)
  expect_lt(rel_diff(sqrt(diag(fit$groups$all$V)), unname(sqrt(diag(ref$covmu)))[2:1]), 1e-6)
  # Continuous outcome with linear outcome models.
  ref <- PSweight::PSweight(ps.formula = lalonde_ps_formula, yname = "re78k", data = d,
                            weight = "IPW", augmentation = TRUE,
                            out.formula = re78k ~ age + educ + married + nodegree + re74 + re75,
                            family = "gaussian")
  fit <- estimate_effect(d, treat, re78k, lalonde_covs, method = "aipw")
  expect_identical(fit$outcome_type, "continuous")
  expect_lt(rel_diff(unname(fit$groups$all$mu), unname(ref$muhat[2:1])), 1e-8)
  expect_lt(rel_diff(sqrt(diag(fit$groups$all$V)), unname(sqrt(diag(ref$covmu)))[2:1]), 1e-6)
})

test_that("g-computation matches a direct R implementation and its sandwich", {
  d <- sim_effect_data(1500, seed = 3)
  fit <- estimate_effect(d, a, y, ~ x1 + x2, method = "gcomp")
  m1 <- stats::glm(y ~ x1 + x2, binomial(), d[d$a == 1, ], control = list(epsilon = 1e-14))
  m0 <- stats::glm(y ~ x1 + x2, binomial(), d[d$a == 0, ], control = list(epsilon = 1e-14))
  p1 <- stats::predict(m1, d, type = "response")
  p0 <- stats::predict(m0, d, type = "response")
  expect_lt(rel_diff(unname(fit$groups$all$mu), c(mean(p1), mean(p0))), 1e-8)
  # Sandwich written out in R: theta = (gamma1, gamma0, mu1, mu0), bread by
  # central differences of the mean estimating function.
  Z <- cbind(1, d$x1, d$x2)
  psi <- function(th) {
    g1 <- th[1:3]; g0 <- th[4:6]
    q1 <- stats::plogis(drop(Z %*% g1)); q0 <- stats::plogis(drop(Z %*% g0))
    cbind(Z * d$a * (d$y - q1), Z * (1 - d$a) * (d$y - q0), q1 - th[7], q0 - th[8])
  }
  th <- c(coef(m1), coef(m0), mean(p1), mean(p0))
  A <- sapply(seq_along(th), function(j) {
    h <- 1e-6 * max(1, abs(th[j])); e <- replace(numeric(8), j, h)
    -(colMeans(psi(th + e)) - colMeans(psi(th - e))) / (2 * h)
  })
  Ai <- solve(A)
  V <- Ai %*% crossprod(psi(th)) %*% t(Ai) / nrow(d)^2
  expect_lt(rel_diff(diag(fit$groups$all$V), diag(V)[7:8]), 1e-6)
})

test_that("fixed-weight SEs agree with survey::svyglm and sandwich::vcovCL", {
  needs_reference("survey")
  needs_reference("sandwich")
  d <- lalonde_data()
  fit <- estimate_effect(d, treat, y, lalonde_covs, method = "ipw", vcov = "robust")
  d$w <- fit$weights
  des <- survey::svydesign(ids = ~1, weights = ~w, data = d)
  ref <- survey::svyglm(y ~ treat, design = des)
  n <- nrow(d)
  # survey's linearisation variance carries the factor n / (n - 1).
  expect_lt(rel_diff(coef(fit)[["risk_difference"]], coef(ref)[[2]]), 1e-10)
  expect_lt(rel_diff(vcov(fit)[3, 3] * n / (n - 1), vcov(ref)[2, 2]), 1e-8)
  # Clustered, weights fixed: vcovCL (HC0, G/(G-1)) on lm(y ~ treat, weights).
  fitc <- estimate_effect(d, treat, y, lalonde_covs, method = "ipw", vcov = "robust", cluster = cl)
  lmw <- stats::lm(y ~ treat, data = d, weights = w)
  refc <- sandwich::vcovCL(lmw, cluster = ~cl, type = "HC0", cadjust = TRUE)
  expect_lt(rel_diff(vcov(fitc)[3, 3], refc[2, 2]), 1e-8)
  expect_lt(rel_diff(vcov(fitc)[2, 2], refc[1, 1]), 1e-8)
  expect_identical(glance(fitc)$n_clusters, 40L)
})

test_that("TMLE agrees with the tmle package given the same Q and g", {
  needs_reference("tmle")
  d <- lalonde_data()
  fit <- estimate_effect(d, treat, y, lalonde_covs, method = "tmle")
  g <- fit$groups$all
  Q <- cbind(g$outcome_model$m0, g$outcome_model$m1)
  ref <- suppressMessages(tmle::tmle(d$y, d$treat, d[lalonde_covs], Q = Q, g1W = g$ps,
                                     family = "binomial", gbound = c(1e-10, 1), alpha = 0.9995))
  expect_lt(rel_diff(coef(fit)[["risk_difference"]], ref$estimates$ATE$psi), 1e-7)
  expect_lt(rel_diff(coef(fit)[["risk_treated"]], ref$estimates$EY1$psi), 1e-7)
  # tmle uses var(IC) / n (denominator n - 1); matequity sum(IC^2) / n^2.
  n <- nrow(d)
  expect_lt(rel_diff(vcov(fit)[3, 3] * n / (n - 1), ref$estimates$ATE$var.psi), 1e-6)
})

test_that("subgroup fits and the Wald test of equal effects", {
  d <- sim_effect_data(3000, seed = 5)
  fit <- estimate_effect(d, a, y, ~ x1 + x2, method = "ipw", by = g)
  sep <- lapply(c("a", "b", "c"), function(l)
    estimate_effect(d[d$g == l, ], a, y, ~ x1 + x2, method = "ipw"))
  tt <- tidy(fit)
  expect_identical(unique(tt$group), c("a", "b", "c"))
  rd <- vapply(sep, function(f) coef(f)[["risk_difference"]], 0)
  v <- vapply(sep, function(f) vcov(f)[3, 3], 0)
  expect_equal(tt$estimate[tt$term == "risk_difference"], rd, tolerance = 1e-12)
  pooled <- sum(rd / v) / sum(1 / v)
  q <- sum((rd - pooled)^2 / v)
  h <- fit$heterogeneity
  expect_equal(h$statistic[h$term == "risk_difference"], q, tolerance = 1e-10)
  expect_equal(h$p.value[h$term == "risk_difference"], stats::pchisq(q, 2, lower.tail = FALSE),
               tolerance = 1e-10)
  expect_identical(h$scale, c("additive", "multiplicative", "multiplicative"))
  expect_identical(nrow(glance(fit)), 3L)
})

test_that("ratios are reported on the ratio scale with log-scale SEs", {
  d <- sim_effect_data(2000, seed = 2)
  fit <- estimate_effect(d, a, y, ~ x1 + x2, method = "aipw", conf_level = 0.9)
  tt <- tidy(fit)
  rr <- tt[tt$term == "risk_ratio", ]
  mu <- fit$groups$all$mu
  expect_equal(rr$estimate, mu[[1]] / mu[[2]], tolerance = 1e-12)
  J <- c(1 / mu[[1]], -1 / mu[[2]])
  se <- sqrt(drop(t(J) %*% fit$groups$all$V %*% J))
  expect_equal(rr$std.error, se, tolerance = 1e-12)
  expect_equal(rr$conf.low, exp(log(rr$estimate) - stats::qnorm(0.95) * se), tolerance = 1e-12)
  expect_identical(rr$scale, "log")
})

test_that("matching dispatches to match_nearest()", {
  skip_if_not(exists("match_nearest", asNamespace("matequity")))
  d <- lalonde_data()
  fit <- estimate_effect(d, treat, y, lalonde_covs, method = "matching", estimand = "ATT")
  m <- matequity:::match_nearest(stats::qlogis(fit$ps), d$treat)
  expect_identical(fit$weights, as.numeric(m$weights))
  w <- m$weights
  expect_equal(coef(fit)[["risk_control"]], sum((w * d$y)[d$treat == 0]) / sum(w[d$treat == 0]),
               tolerance = 1e-12)
})
