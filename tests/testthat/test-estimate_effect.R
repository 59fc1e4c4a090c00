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
  f2 <- matequity:::.cpp_logit_fit(X, as.numeric(d$treat), w, off,
                                   matequity:::irls_control_spec(2L, epsilon = 1e-14, maxit = 100L))
  expect_lt(rel_diff(f2$coefficients, unname(coef(ref2))), 1e-8)
  expect_equal(f2$deviance, ref2$deviance, tolerance = 1e-10)
  # At glm's default epsilon both stop at the same iteration.
  ref3 <- stats::glm(lalonde_ps_formula, binomial(), d)
  f3 <- matequity:::.cpp_logit_fit(X, as.numeric(d$treat), rep(1, nrow(d)), rep(0, nrow(d)),
                                   matequity:::irls_control_spec(1L, epsilon = 1e-8, maxit = 25L))
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
                                  matequity:::irls_control_spec(1L, epsilon = 1e-10, maxit = 100L))
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
  # the initial Q: the fit's arm-specific outcome models predicted for every
  # unit (the fit keeps their coefficients, not the n predictions)
  Z <- stats::model.matrix(stats::reformulate(lalonde_covs), d)
  expect_identical(names(g$outcome_model$coef1), colnames(Z))
  Q <- cbind(stats::plogis(drop(Z %*% g$outcome_model$coef0)),
             stats::plogis(drop(Z %*% g$outcome_model$coef1)))
  ref <- suppressMessages(tmle::tmle(d$y, d$treat, d[lalonde_covs], Q = Q, g1W = fit$ps,
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

# Matching: the variance is that of the matched sample (MatchIt's
# match_data(): units with a non-zero weight), the treatment coefficient of
# lm(y ~ treat, weights) on it, clustered on the matched sets (vcovCL, HC0,
# G/(G-1) with G the matched sets) without replacement, and HC3 (what
# MatchIt's documentation recommends) with replacement. MatchIt is given our
# logit propensity score as its distance, so that both match on the same
# numbers.
matchit_md <- function(d, fit, estimand, k = 1, replace = FALSE, caliper = NULL) {
  m <- suppressWarnings(MatchIt::matchit(lalonde_ps_formula, data = d,
                                         distance = stats::qlogis(fit$ps),
                                         method = "nearest", estimand = estimand, ratio = k,
                                         replace = replace, caliper = caliper))
  list(m = m, md = MatchIt::match_data(m))
}

test_that("matching SEs are vcovCL on MatchIt's matched sets, and HC3 with replacement", {
  needs_reference("sandwich")
  needs_reference("MatchIt")
  d <- lalonde_data()
  cfgs <- list(list(est = "ATT", k = 1, replace = FALSE, caliper = NULL),
               list(est = "ATT", k = 2, replace = FALSE, caliper = NULL),
               list(est = "ATT", k = 1, replace = FALSE, caliper = 0.1),
               list(est = "ATC", k = 1, replace = FALSE, caliper = NULL),
               list(est = "ATC", k = 3, replace = FALSE, caliper = 0.2),
               list(est = "ATT", k = 1, replace = TRUE, caliper = NULL),
               list(est = "ATT", k = 3, replace = TRUE, caliper = NULL),
               list(est = "ATC", k = 2, replace = TRUE, caliper = 0.2))
  for (cfg in cfgs) {
    label <- paste(cfg$est, cfg$k, cfg$replace, format(cfg$caliper))
    for (yv in c("re78k", "y")) {
      fit <- suppressWarnings(estimate_effect(d, treat, !!rlang::sym(yv), lalonde_covs,
                                              method = "matching", estimand = cfg$est,
                                              k = cfg$k, replace = cfg$replace,
                                              caliper = cfg$caliper, disclosure = "none"))
      r <- matchit_md(d, fit, cfg$est, cfg$k, cfg$replace, cfg$caliper)
      expect_equal(fit$weights, unname(r$m$weights), tolerance = 1e-12, label = label)
      lmf <- stats::lm(stats::reformulate("treat", yv), data = r$md, weights = weights)
      V <- if (cfg$replace) sandwich::vcovHC(lmf, type = "HC3") else
        sandwich::vcovCL(lmf, cluster = ~subclass, type = "HC0")
      tt <- tidy(fit)
      diff_term <- if (yv == "y") "risk_difference" else "mean_difference"
      # (the 1:1 risk difference is exactly 0 here: absolute error)
      expect_lt(abs(tt$estimate[tt$term == diff_term] - coef(lmf)[["treat"]]), 1e-12)
      expect_lt(rel_diff(tt$std.error[tt$term == diff_term], sqrt(V[2, 2])), 1e-8)
      # the control mean is the intercept
      expect_lt(rel_diff(tt$std.error[grepl("_control$", tt$term)], sqrt(V[1, 1])), 1e-8)
    }
  }
})

test_that("matching with cluster = clusters the matched sample on it (vcovCL)", {
  needs_reference("sandwich")
  needs_reference("MatchIt")
  d <- lalonde_data()
  for (est in c("ATT", "ATC")) {
    fit <- suppressWarnings(estimate_effect(d, treat, re78k, lalonde_covs, method = "matching",
                                            estimand = est, cluster = cl, caliper = 0.05,
                                            disclosure = "none"))
    r <- matchit_md(d, fit, est, caliper = 0.05)
    lmf <- stats::lm(re78k ~ treat, data = r$md, weights = weights)
    V <- sandwich::vcovCL(lmf, cluster = ~cl, type = "HC0")
    tt <- tidy(fit)
    expect_lt(rel_diff(tt$std.error[tt$term == "mean_difference"], sqrt(V[2, 2])), 1e-8)
  }
})

test_that("the 1:1 lalonde match agrees with MatchIt's default call and vcovCL", {
  needs_reference("sandwich")
  needs_reference("MatchIt")
  data("lalonde", package = "MatchIt", envir = environment())
  m <- MatchIt::matchit(treat ~ age + educ + race + married + nodegree + re74 + re75,
                        data = lalonde)
  md <- MatchIt::match_data(m)
  lmf <- stats::lm(re78 ~ treat, data = md, weights = weights)
  se_ref <- sqrt(sandwich::vcovCL(lmf, cluster = ~subclass, type = "HC0")[2, 2])
  fit <- suppressWarnings(estimate_effect(lalonde, treat, re78,
                                          ~ age + educ + race + married + nodegree + re74 + re75,
                                          method = "matching", estimand = "ATT",
                                          disclosure = "none"))
  tt <- tidy(fit)
  expect_identical(fit$weights, unname(m$weights))
  expect_lt(rel_diff(tt$estimate[tt$term == "mean_difference"], coef(lmf)[["treat"]]), 1e-10)
  expect_lt(rel_diff(tt$std.error[tt$term == "mean_difference"], se_ref), 1e-8)
})

test_that("ATC matching on tied scores gives MatchIt's matched sets and SEs", {
  needs_reference("sandwich")
  needs_reference("MatchIt")
  set.seed(4)
  n <- 600
  d <- data.frame(x1 = sample(0:3, n, TRUE), x2 = sample(0:1, n, TRUE))
  d$a <- rbinom(n, 1, plogis(-0.3 + 0.4 * d$x1 - 0.5 * d$x2))
  d$y <- rnorm(n, d$x1 + d$a)
  for (k in 1:2) for (rep in c(FALSE, TRUE)) {
    fit <- suppressWarnings(estimate_effect(d, a, y, c("x1", "x2"), method = "matching",
                                            estimand = "ATC", k = k, replace = rep,
                                            disclosure = "none"))
    # eight covariate patterns: MatchIt on the same (tied) scores
    m <- suppressWarnings(MatchIt::matchit(a ~ x1 + x2, data = d, distance = qlogis(fit$ps),
                                           method = "nearest", estimand = "ATC", ratio = k,
                                           replace = rep))
    expect_equal(fit$weights, unname(m$weights), tolerance = 1e-12)
    md <- MatchIt::match_data(m)
    lmf <- stats::lm(y ~ a, data = md, weights = weights)
    V <- if (rep) sandwich::vcovHC(lmf, type = "HC3") else
      sandwich::vcovCL(lmf, cluster = ~subclass, type = "HC0")
    tt <- tidy(fit)
    expect_lt(rel_diff(tt$std.error[tt$term == "mean_difference"], sqrt(V[2, 2])), 1e-8)
  }
})

# Calendar years (2019-2025) as a number: far from zero relative to their
# spread. glm() fits these models; so must the engine, with the same answers.
year_data <- function(n = 4000, seed = 7) {
  set.seed(seed)
  d <- data.frame(year = sample(2019:2025, n, TRUE), x = stats::rnorm(n),
                  imd = sample(1:5, n, TRUE))
  d$a <- stats::rbinom(n, 1, stats::plogis(-0.2 + 0.15 * (d$year - 2022) + 0.5 * d$x))
  d$y <- stats::rbinom(n, 1, stats::plogis(-1 + 0.4 * d$a - 0.1 * (d$year - 2022) + 0.3 * d$x))
  d$bw <- 3300 + 100 * d$a + 20 * (d$year - 2022) + 80 * d$x + stats::rnorm(n, 0, 300)
  d
}

test_that("calendar years as a covariate fit as glm() does", {
  d <- year_data()
  ref <- stats::glm(a ~ year + x + imd, binomial(), d,
                    control = stats::glm.control(epsilon = 1e-14, maxit = 100))
  for (m in c("ipw", "gcomp", "aipw", "tmle")) {
    fit <- estimate_effect(d, a, y, ~ year + x + imd, method = m)
    expect_lt(rel_diff(fit$groups$all$ps_model$coefficients, unname(coef(ref))), 1e-8)
    expect_lt(rel_diff(fit$ps, unname(fitted(ref))), 1e-8)
    expect_true(all(is.finite(tidy(fit)$std.error)))
  }
  # g-computation: each arm's outcome model is glm()'s, averaged over everyone
  fit <- estimate_effect(d, a, y, ~ year + x + imd, method = "gcomp")
  pr <- vapply(1:0, function(arm) {
    g <- stats::glm(y ~ year + x + imd, binomial(), d[d$a == arm, ],
                    control = stats::glm.control(epsilon = 1e-14, maxit = 100))
    mean(stats::predict(g, d, type = "response"))
  }, 0)
  expect_lt(rel_diff(unname(coef(fit)[c("risk_treated", "risk_control")]), pr), 1e-8)
  expect_lt(rel_diff(fit$groups$all$outcome_model$coef1,
                     unname(coef(stats::glm(y ~ year + x + imd, binomial(), d[d$a == 1, ],
                                            control = stats::glm.control(epsilon = 1e-14))))),
            1e-7)
})

test_that("calendar years: IPW sandwich SEs agree with WeightIt", {
  needs_reference("WeightIt")
  d <- year_data()
  for (est in c("ATE", "ATT")) {
    W <- WeightIt::weightit(a ~ year + x + imd, data = d, estimand = est)
    ref <- WeightIt::lm_weightit(bw ~ a, data = d, weightit = W, vcov = "asympt")
    fit <- estimate_effect(d, a, bw, ~ year + x + imd, estimand = est, method = "ipw")
    expect_lt(rel_diff(coef(fit)[["mean_difference"]], coef(ref)[[2]]), 1e-8)
    expect_lt(rel_diff(sqrt(vcov(fit)[3, 3]), sqrt(vcov(ref)[2, 2])), 1e-6)
  }
})

test_that("calendar years with a rare covariate level: AIPW as glm() gives it", {
  # A level with a handful of women, none with the outcome in one arm: glm()
  # fits every model (with its warning about fitted probabilities of 0); the
  # information matrix on the unscaled design (years ~ 2000, rare dummies ~
  # 0) lost the digits that told its small pivots from zero.
  set.seed(2)
  n <- 4000
  d <- data.frame(year = sample(2019:2025, n, TRUE), age = round(runif(n, 16, 45)),
                  e = factor(sample(c("a", "b", "c"), n, TRUE, prob = c(0.98, 0.01, 0.01))))
  d$a <- stats::rbinom(n, 1, stats::plogis(-0.2 + 0.15 * (d$year - 2022) + 0.02 * (d$age - 30)))
  d$y <- stats::rbinom(n, 1, stats::plogis(-3 + 0.4 * d$a - 0.1 * (d$year - 2022)))
  fit <- estimate_effect(d, a, y, ~ age + year + e, method = "aipw")
  ctl <- stats::glm.control(epsilon = 1e-14, maxit = 100)
  ps <- stats::fitted(stats::glm(a ~ age + year + e, binomial(), d, control = ctl))
  m1 <- stats::predict(suppressWarnings(stats::glm(y ~ age + year + e, binomial(), d[d$a == 1, ],
                                                   control = ctl)), d, type = "response")
  m0 <- stats::predict(stats::glm(y ~ age + year + e, binomial(), d[d$a == 0, ], control = ctl),
                       d, type = "response")
  w1 <- d$a / ps
  w0 <- (1 - d$a) / (1 - ps)
  # PSweight's augmented IPW for the ATE
  mu <- c(mean(m1) + sum(w1 * (d$y - m1)) / sum(w1), mean(m0) + sum(w0 * (d$y - m0)) / sum(w0))
  expect_lt(rel_diff(unname(fit$groups$all$mu), mu), 1e-7)
  expect_lt(rel_diff(fit$ps, unname(ps)), 1e-8)
  expect_true(all(is.finite(tidy(fit)$std.error)))
})

test_that("a fit keeps no n-by-p copies: its size grows with n, not with the design's width", {
  # n = 20,000; the wide design ~ x + g has p = 10 columns (intercept, x
  # and the 8 dummies of the 9-level factor g), the narrow one ~ x + s 3
  # (s has 2 levels): the same data columns (a double and a factor), so the
  # same per-unit storage. A fit holds the per-unit vectors treat (4 bytes
  # a unit), ps and weights (8 each), `by` (4) and the covariate columns
  # (8 + 4): about 36 bytes a unit, whatever p. A design matrix kept on the
  # fit would be 8 p = 80 bytes a unit more, and each further column 8.
  set.seed(15)
  n <- 20000
  d <- data.frame(x = stats::rnorm(n), g = factor(sample(sprintf("g%d", 1:9), n, TRUE)),
                  s = factor(sample(c("u", "v"), n, TRUE)))
  d$a <- stats::rbinom(n, 1, stats::plogis(0.3 * d$x))
  d$y <- stats::rbinom(n, 1, stats::plogis(-1 + 0.4 * d$a + 0.2 * d$x))
  d$z <- factor(sample(c("p", "q", "r"), n, TRUE))
  size <- function(...) as.numeric(utils::object.size(suppressWarnings(estimate_effect(d, ...))))
  for (m in c("ipw", "aipw", "tmle", "matching")) {
    est <- if (m == "matching") "ATT" else "ATE"
    narrow <- size(a, y, ~ x + s, method = m, estimand = est)
    wide <- size(a, y, ~ x + g, method = m, estimand = est)
    expect_lt(wide, 6 * 8 * n, label = paste(m, "fit size"))
    # 7 more design columns add coefficients, not n-vectors
    expect_lt(wide - narrow, 0.1 * 8 * n, label = paste(m, "growth with p"))
  }
  # subgroups and a multi-category treatment: still one copy of each vector
  expect_lt(size(a, y, ~ x + g, method = "aipw", by = s), 6 * 8 * n)
  expect_lt(size(z, y, ~ x + g, method = "aipw"), (6 + 2) * 8 * n)  # ps: n x 3
  # and what the methods read is there: balance() rebuilds the design from
  # the covariate columns and the formula's terms
  fit <- estimate_effect(d, a, y, ~ x + g, method = "ipw", disclosure = "none")
  expect_identical(fit$groups$all$p, 10L)
  expect_identical(names(fit$groups$all$ps_model$coefficients),
                   colnames(stats::model.matrix(~ x + g, d)))
  expect_identical(nrow(balance(fit)), 10L)  # x and one row per level of g, as cobalt
  expect_identical(glance(fit)$n, as.integer(n))
})
