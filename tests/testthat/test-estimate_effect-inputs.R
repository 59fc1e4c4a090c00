# Bad input: clear errors and warnings that name the problem and count rows.

test_that("the treatment must be binary and vary", {
  d <- sim_effect_data(300)
  # a non-integer treatment; a whole-number one with three values is a
  # multi-category treatment (test-effect_multi.R)
  d$a3 <- d$a + 0.5 * (d$x1 > 1)
  expect_error(estimate_effect(d, a3, y, ~ x1), "must be binary")
  d$a3i <- d$a + (d$x1 > 1)
  expect_s3_class(estimate_effect(d, a3i, y, ~ x1, method = "ipw"), "mq_effect_multi")
  d$a1 <- 1
  expect_error(estimate_effect(d, a1, y, ~ x1), "does not vary")
  d$af <- factor(ifelse(d$a == 1, "yes", "no"), levels = c("no", "yes"))
  f1 <- estimate_effect(d, af, y, ~ x1, method = "ipw")
  f2 <- estimate_effect(d, a, y, ~ x1, method = "ipw")
  expect_identical(coef(f1), coef(f2))
  d$al <- d$a == 1
  expect_identical(coef(estimate_effect(d, "al", "y", c("x1"), method = "ipw")), coef(f2))
})

test_that("the outcome must be binary or numeric, with events in each arm", {
  d <- sim_effect_data(300)
  d$ych <- ifelse(d$y == 1, "yes", "no")
  expect_error(estimate_effect(d, a, ych, ~ x1), "must be logical, 0/1 or numeric")
  d$y0 <- ifelse(d$a == 1, 0, d$y)
  expect_error(estimate_effect(d, a, y0, ~ x1), "no events")
  expect_error(estimate_effect(d, a, y0, ~ x1, disclosure = "none"), "Treated: 0 events in")
  # under the default rule the counts in the error are released ones
  expect_error(estimate_effect(d, a, y0, ~ x1), "Treated: <10 events in ~")
})

test_that("missing values stop with counts per variable unless complete_case", {
  d <- sim_effect_data(300)
  d$x1[1:4] <- NA
  d$y[5] <- NA
  expect_error(estimate_effect(d, a, y, ~ x1 + x2, disclosure = "none"),
               "5 rows of `data` have missing values")
  expect_error(estimate_effect(d, a, y, ~ x1 + x2, disclosure = "none"), "x1: 4 missing")
  expect_error(estimate_effect(d, a, y, ~ x1 + x2), "<10 rows of `data` have missing values")
  expect_error(estimate_effect(d, a, y, ~ x1 + x2), "x1: <10 missing")
  fit <- estimate_effect(d, a, y, ~ x1 + x2, missing = "complete_case", method = "ipw",
                         disclosure = "none")
  expect_identical(glance(fit)$n_missing_dropped, 5L)
  # under the default rule (nhse_sde) the 5 dropped rows are a small count
  # and the arm sizes are rounded to 5
  g <- glance(estimate_effect(d, a, y, ~ x1 + x2, missing = "complete_case", method = "ipw"))
  expect_true(is.na(g$n_missing_dropped))
  expect_identical(g$n_missing_dropped_sdc, "suppressed (<10)")
  expect_equal(g$n, 295)
  expect_equal(g$n_treated %% 5, 0)
  expect_identical(abs(g$n_treated - glance(fit)$n_treated) <= 2, TRUE)
  expect_identical(nobs(fit), 295L)
  expect_identical(nobs(estimate_effect(d, a, y, ~ x1 + x2, missing = "complete_case",
                                        method = "ipw")), 295L)
  ref <- estimate_effect(d[-(1:5), ], a, y, ~ x1 + x2, method = "ipw")
  expect_identical(coef(fit), coef(ref))
})

test_that("single-level factors, unknown combinations and arguments are refused", {
  d <- sim_effect_data(300)
  d$one <- "only"
  expect_error(estimate_effect(d, a, y, ~ x1 + one), "single level")
  expect_error(estimate_effect(d, a, y, ~ x1, method = "tmle", estimand = "ATT"),
               "not defined for `method` = \"tmle\"")
  expect_error(estimate_effect(d, a, y, ~ x1, method = "matching", estimand = "ATE"),
               "not defined")
  expect_error(estimate_effect(d, a, y, ~ x1, method = "matching", estimand = "ATT",
                               vcov = "bootstrap"), "not available")
  expect_error(estimate_effect(d, a, y, ~ x1, method = "lasso"), "must be one of")
  expect_error(estimate_effect(d, a, y, ~ x1, estimand = "ATX"), "must be one of")
  expect_error(estimate_effect(d, a, y, ~ nope), "not in the data")
  expect_error(estimate_effect(d, a, y, ~ x1 + y), "cannot also be covariates")
})

test_that("separation, extreme scores and extreme weights are reported", {
  set.seed(3)
  n <- 400
  d <- data.frame(x = stats::rnorm(n), z = stats::rnorm(n))
  d$a <- as.integer(d$x > 0)
  d$a[1:3] <- 1L - d$a[1:3]
  d$sep <- as.integer(d$x > 0 & !(seq_len(n) %in% 1:3))
  d$y <- stats::rbinom(n, 1, 0.3)
  expect_warning(
    expect_warning(
      expect_warning(
        try(estimate_effect(d, a, y, ~ z + sep, method = "ipw"), silent = TRUE),
        "Separation in the propensity model"),
      "propensity scores? (is|are) below 0.01"),
    "Extreme weights")
  w <- tryCatch(estimate_effect(d, a, y, ~ z + sep, method = "ipw"), warning = function(w) w)
  expect_match(conditionMessage(w), "sep")
})

test_that("trimming and truncation are counted and reported", {
  d <- sim_effect_data(2000, seed = 6)
  fit <- estimate_effect(d, a, y, ~ x1 + x2, method = "ipw", trim = 0.2, disclosure = "none")
  X <- stats::model.matrix(~ x1 + x2, d)
  ps <- stats::fitted(stats::glm(a ~ x1 + x2, binomial(), d))
  expect_identical(glance(fit)$n_trimmed, sum(ps < 0.2 | ps > 0.8))
  expect_identical(nobs(fit), sum(ps >= 0.2 & ps <= 0.8))
  # under the default rule both are released rounded to 5
  fit5 <- estimate_effect(d, a, y, ~ x1 + x2, method = "ipw", trim = 0.2)
  expect_identical(glance(fit5)$n_trimmed %% 5L, 0L)
  expect_true(abs(nobs(fit5) - nobs(fit)) <= 2)
  ft <- estimate_effect(d, a, y, ~ x1 + x2, method = "ipw", truncate = 0.9, disclosure = "none")
  w0 <- estimate_effect(d, a, y, ~ x1 + x2, method = "ipw")$weights
  # one cap for both arms (the ATE): the type-3 90% quantile of all weights
  cap <- unname(stats::quantile(w0, 0.9, type = 3))
  expect_identical(glance(ft)$n_truncated, as.numeric(sum(w0 > cap)))
  expect_identical(max(ft$weights), cap)
  expect_identical(ft$weights, pmin(w0, cap))
})

test_that("empty subgroups and subgroups without variation are named", {
  d <- sim_effect_data(600)
  d$grp <- factor(ifelse(d$x1 > 0, "hi", "lo"), levels = c("hi", "lo", "none"))
  expect_warning(fit <- estimate_effect(d, a, y, ~ x1, method = "ipw", by = grp), "no rows")
  expect_identical(unique(tidy(fit)$group), c("hi", "lo"))
  d$grp2 <- ifelse(d$a == 1 & d$x1 > 0, "treated_only", "mixed")
  # a subgroup that cannot be estimated gets NA and the reason; the others are fitted
  expect_warning(fit2 <- estimate_effect(d, a, y, ~ x1, by = grp2, disclosure = "none"),
                 "subgroup grp2 = treated_only")
  tt <- tidy(fit2)
  bad <- tt[tt$group == "treated_only", ]
  expect_true(all(is.na(bad$estimate)) && all(is.na(bad$std.error)))
  expect_match(unique(bad$note), "treatment does not vary")
  ok <- tt[tt$group == "mixed", ]
  expect_true(all(is.na(ok$note)))
  alone <- estimate_effect(d[d$grp2 == "mixed", ], a, y, ~ x1, disclosure = "none")
  expect_identical(ok$estimate, tidy(alone)$estimate)
  expect_identical(ok$std.error, tidy(alone)$std.error)
  g <- glance(fit2)
  expect_identical(g$n[g$group == "treated_only"], sum(d$grp2 == "treated_only"))
  expect_true(is.na(g$converged[g$group == "treated_only"]))
  expect_null(fit2$heterogeneity)
})

test_that("a failing subgroup among several leaves the others and the test of equal effects", {
  d <- sim_effect_data(3000, seed = 5)
  d$y[d$g == "c" & d$a == 1] <- 0  # no events among the treated in c
  expect_warning(fit <- estimate_effect(d, a, y, ~ x1 + x2, method = "aipw", by = g),
                 "subgroup g = c")
  tt <- tidy(fit)
  expect_true(all(is.na(tt$estimate[tt$group == "c"])))
  expect_match(unique(tt$note[tt$group == "c"]), "no events")
  expect_false(grepl("\n", unique(tt$note[tt$group == "c"])))
  # E-values for the estimated subgroups, NA for the other
  ev <- evalue(fit)
  expect_identical(ev$group, c("a", "b", "c"))
  expect_true(is.na(ev$evalue_estimate[3]) && all(is.finite(ev$evalue_estimate[1:2])))
  for (lv in c("a", "b")) {
    alone <- estimate_effect(d[d$g == lv, ], a, y, ~ x1 + x2, method = "aipw")
    expect_identical(tt$estimate[tt$group == lv], tidy(alone)$estimate)
  }
  # the heterogeneity test uses the estimated subgroups only (1 df)
  expect_identical(unique(fit$heterogeneity$df), 1L)
  # without `by` the same failure is an error
  expect_error(estimate_effect(d[d$g == "c", ], a, y, ~ x1 + x2, method = "aipw"), "no events")
})

test_that("by = c(a, b) estimates the crossed subgroups", {
  d <- sim_effect_data(4000, seed = 6)
  d$h <- ifelse(d$x2 == 1, "yes", "no")
  fit <- estimate_effect(d, a, y, ~ x1, method = "ipw", by = c(g, h), disclosure = "none")
  tt <- tidy(fit)
  expect_identical(unique(tt$group),
                   c("a / no", "a / yes", "b / no", "b / yes", "c / no", "c / yes"))
  for (lv in c("a", "c")) for (hv in c("no", "yes")) {
    alone <- estimate_effect(d[d$g == lv & d$h == hv, ], a, y, ~ x1, method = "ipw")
    expect_identical(tt$estimate[tt$group == paste(lv, hv, sep = " / ")], tidy(alone)$estimate)
  }
  expect_identical(fit$by_name, c("g", "h"))
  expect_identical(glance(fit)$group, unique(tt$group))
  expect_identical(unique(fit$heterogeneity$df), 5L)
  # the same as strings or a formula
  f2 <- estimate_effect(d, a, y, ~ x1, method = "ipw", by = c("g", "h"), disclosure = "none")
  f3 <- estimate_effect(d, a, y, ~ x1, method = "ipw", by = ~ g + h, disclosure = "none")
  expect_identical(tidy(f2), tt)
  expect_identical(tidy(f3), tt)
  expect_error(estimate_effect(d, a, y, ~ x1, by = c(g, nope)), "nope")
})

test_that("tidy() honours conf.level and conf.int", {
  d <- sim_effect_data(1500, seed = 8)
  for (m in c("ipw", "aipw", "matching")) {
    est <- if (m == "matching") "ATT" else "ATE"
    f95 <- suppressWarnings(estimate_effect(d, a, y, ~ x1 + x2, method = m, estimand = est,
                                            by = g))
    f80 <- suppressWarnings(estimate_effect(d, a, y, ~ x1 + x2, method = m, estimand = est,
                                            by = g, conf_level = 0.8))
    expect_identical(tidy(f95, conf.level = 0.8), tidy(f80))
    expect_identical(tidy(f80, conf.level = 0.95), tidy(f95))
    t80 <- tidy(f95, conf.level = 0.8)
    z <- stats::qnorm(0.9)
    lin <- t80$scale == "identity"
    expect_equal(t80$conf.low[lin], t80$estimate[lin] - z * t80$std.error[lin], tolerance = 1e-12)
    expect_equal(t80$conf.high[!lin], exp(log(t80$estimate[!lin]) + z * t80$std.error[!lin]),
                 tolerance = 1e-12)
    expect_false(any(c("conf.low", "conf.high") %in% names(tidy(f95, conf.int = FALSE))))
  }
  # bootstrap: the percentiles of the same replicates
  fb <- estimate_effect(d, a, y, ~ x1 + x2, method = "ipw", vcov = "bootstrap", reps = 60, seed = 3)
  tb <- tidy(fb, conf.level = 0.8)
  bt <- fb$groups$all$boot
  rd <- bt[, "treated"] - bt[, "control"]
  expect_equal(tb$conf.low[tb$term == "risk_difference"],
               unname(stats::quantile(rd, 0.1)), tolerance = 1e-12)
  expect_error(tidy(fb, conf.level = 95), "conf.level")
})


test_that("printed output is stable", {
  d <- sim_effect_data(1000, seed = 21)
  fit <- estimate_effect(d, a, y, ~ x1 + x2, method = "aipw", by = g)
  expect_snapshot(print(fit))
  expect_snapshot(print(summary(estimate_effect(d, a, bw, ~ x1 + x2, method = "ipw"))))
  expect_snapshot(print(estimate_effect(d, a, y, ~ x1 + x2, method = "ipw", disclosure = "none")))
})

test_that("ps_weights() follows WeightIt's conventions", {
  ps <- c(0.2, 0.5, 0.8, 0.3)
  a <- c(1, 0, 1, 0)
  expect_equal(as.numeric(ps_weights(ps, a, "ATE")), c(1 / 0.2, 1 / 0.5, 1 / 0.8, 1 / 0.7))
  expect_equal(as.numeric(ps_weights(ps, a, "ATT")), c(1, 1, 1, 0.3 / 0.7))
  expect_equal(as.numeric(ps_weights(ps, a, "ATC")), c(0.8 / 0.2, 1, 0.2 / 0.8, 1))
  expect_equal(as.numeric(ps_weights(ps, a, "ATO")), c(0.8, 0.5, 0.2, 0.3))
  w <- ps_weights(ps, a, "ATE")
  expect_equal(attr(w, "ess")[["treated"]], (5 + 1.25)^2 / (25 + 1.5625))
  expect_error(ps_weights(c(0, 0.5), c(1, 0)), "strictly between 0 and 1")
  needs_reference("WeightIt")
  set.seed(1)
  e <- stats::runif(50, 0.05, 0.95)
  t <- stats::rbinom(50, 1, e)
  for (est in c("ATE", "ATT", "ATC", "ATO")) {
    expect_equal(as.numeric(ps_weights(e, t, est)),
                 WeightIt::get_w_from_ps(e, t, estimand = est), tolerance = 1e-14)
  }
})

test_that("autoplot draws the propensity overlap", {
  needs_reference("ggplot2")
  d <- sim_effect_data(500, seed = 2)
  fit <- estimate_effect(d, a, y, ~ x1 + x2, method = "ipw", by = g, disclosure = "none")
  p <- ggplot2::autoplot(fit)
  expect_s3_class(p, "ggplot")
  # Without disclosure control the bars sum to the arm sizes (controls below zero).
  expect_identical(sum(abs(p$data$height)), 500)
  expect_identical(sum(p$data$height[p$data$arm == "treated"]), sum(d$a == 1) * 1)
  # Under the default rule no bar rests on a count under 10, and every drawn
  # count is a multiple of 5 (suppressed bins stay in the data as NA).
  fit_sdc <- estimate_effect(d, a, y, ~ x1 + x2, method = "ipw", by = g)
  q <- ggplot2::autoplot(fit_sdc)
  drawn <- q$data$height[!is.na(q$data$height)]
  expect_true(all(abs(drawn) >= 10))
  expect_true(all(abs(drawn) %% 5 == 0))
  expect_s3_class(q$data, "mq_sdc")
})

test_that("a column argument given by an expression: NULL leaves it out, a string names it", {
  d <- sim_effect_data(300)
  d$site <- rep(1:30, 10)
  base <- estimate_effect(d, a, y, ~ x1, method = "ipw", disclosure = "none")
  by_site <- FALSE
  same <- estimate_effect(d, a, y, ~ x1, method = "ipw", cluster = if (by_site) "site",
                          disclosure = "none")
  expect_identical(tidy(same), tidy(base))
  by_site <- TRUE
  cl <- estimate_effect(d, a, y, ~ x1, method = "ipw", cluster = if (by_site) "site",
                        disclosure = "none")
  expect_identical(tidy(cl), tidy(estimate_effect(d, a, y, ~ x1, method = "ipw", cluster = site,
                                                  disclosure = "none")))
  expect_false(identical(tidy(cl)$std.error, tidy(base)$std.error))
  # a required column cannot be left out this way, and a number is not a name
  expect_error(estimate_effect(d, if (by_site) NULL, y, ~ x1), "is required")
  expect_error(estimate_effect(d, a, y, ~ x1, cluster = if (by_site) 3), "must be a column name or a string")
})
