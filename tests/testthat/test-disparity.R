disp_cohort <- function(n = 3000, seed = 2) {
  set.seed(seed)
  d <- data.frame(
    group = sample(c("Core20", "PLUS", "Neither"), n, TRUE),
    age_band = sample(c("<25", "25-34", "35+"), n, TRUE, prob = c(0.2, 0.5, 0.3)),
    parity = sample(c("0", "1+"), n, TRUE),
    stringsAsFactors = FALSE
  )
  # age distribution differs by group, so crude and adjusted differ
  old <- d$group == "Core20" & runif(n) < 0.3
  d$age_band[old] <- "35+"
  risk <- 0.05 + 0.03 * (d$group == "Core20") + 0.01 * (d$group == "PLUS") +
    0.04 * (d$age_band == "35+")
  d$preterm <- runif(n) < risk
  d$preterm_eligible <- TRUE
  d
}

test_that("crude disparity gives Wald RD and log-scale RR", {
  d <- disp_cohort()
  got <- disparity(d, preterm, group, reference = "Neither", per = 1000,
                   disclosure = "none")
  expect_named(got, c("group", "reference", "events", "events_sdc", "n", "n_sdc",
                      "rate", "ref_events", "ref_events_sdc", "ref_n", "ref_n_sdc", "ref_rate", "measure", "estimate", "std.error",
                      "se_scale", "statistic", "p.value", "conf.low",
                      "conf.high", "per", "adjustment", "note"))
  x1 <- sum(d$preterm[d$group == "Core20"]); n1 <- sum(d$group == "Core20")
  x0 <- sum(d$preterm[d$group == "Neither"]); n0 <- sum(d$group == "Neither")
  p1 <- x1 / n1; p0 <- x0 / n0
  se_rd <- sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
  se_lrr <- sqrt(1 / x1 - 1 / n1 + 1 / x0 - 1 / n0)
  rd <- got[got$group == "Core20" & got$measure == "rate_difference", ]
  rr <- got[got$group == "Core20" & got$measure == "rate_ratio", ]
  expect_equal(rd$estimate, 1000 * (p1 - p0), tolerance = 1e-12)
  expect_equal(rd$std.error, 1000 * se_rd, tolerance = 1e-12)
  expect_equal(rd$conf.low, 1000 * (p1 - p0 - qnorm(0.975) * se_rd), tolerance = 1e-12)
  expect_equal(rr$estimate, p1 / p0, tolerance = 1e-12)
  expect_equal(rr$std.error, se_lrr, tolerance = 1e-12)
  expect_equal(rr$conf.high, exp(log(p1 / p0) + qnorm(0.975) * se_lrr), tolerance = 1e-12)
  expect_equal(rr$p.value, 2 * pnorm(-abs(log(p1 / p0) / se_lrr)), tolerance = 1e-12)
  expect_equal(rr$se_scale, "log")
  # the log-RR SE equals the Poisson/binomial GLM's for a two-group log-binomial model
  sub <- d[d$group %in% c("Core20", "Neither"), ]
  sub$g <- factor(sub$group, levels = c("Neither", "Core20"))
  fit <- glm(preterm ~ g, family = binomial(link = "log"), data = sub)
  # (glm's vcov uses the IRLS weights of its last iteration, so agreement is
  # to the convergence tolerance, not to machine precision)
  expect_equal(rr$std.error, sqrt(diag(vcov(fit)))[2], tolerance = 1e-4, ignore_attr = TRUE)
  expect_equal(unique(got$group), c("Core20", "PLUS"))
})

test_that("standardised disparity reproduces a hand calculation", {
  d <- disp_cohort()
  got <- disparity(d, preterm, group, reference = "Neither", adjust = age_band,
                   per = 100, disclosure = "none")
  w <- prop.table(table(d$age_band))
  adj <- function(g) {
    s <- d[d$group == g, ]
    p <- tapply(s$preterm, s$age_band, mean)[names(w)]
    n <- table(s$age_band)[names(w)]
    c(rate = sum(w * p), var = sum(w^2 * p * (1 - p) / n))
  }
  a1 <- adj("Core20"); a0 <- adj("Neither")
  rd <- got[got$group == "Core20" & got$measure == "rate_difference", ]
  rr <- got[got$group == "Core20" & got$measure == "rate_ratio", ]
  expect_equal(rd$rate, 100 * a1[["rate"]], tolerance = 1e-12)
  expect_equal(rd$estimate, 100 * (a1[["rate"]] - a0[["rate"]]), tolerance = 1e-12)
  expect_equal(rd$std.error, 100 * sqrt(a1[["var"]] + a0[["var"]]), tolerance = 1e-12)
  expect_equal(rr$std.error, sqrt(a1[["var"]] / a1[["rate"]]^2 + a0[["var"]] / a0[["rate"]]^2),
               tolerance = 1e-12)
  expect_match(rd$adjustment, "standardised: age_band")
})

test_that("g-computation disparity matches glm predictions and the sandwich influence function", {
  needs_reference("sandwich")
  d <- disp_cohort()
  got <- disparity(d, preterm, group, reference = "Neither",
                   adjust = ~ age_band + parity, method = "gcomp", per = 100,
                   disclosure = "none")
  mf <- d
  mf$group <- relevel(factor(mf$group), ref = "Neither")
  fit <- glm(preterm ~ group + age_band + parity, family = binomial, data = mf)
  pred <- function(g) {
    nd <- mf; nd$group <- factor(g, levels = levels(mf$group))
    predict(fit, newdata = nd, type = "response")
  }
  p1 <- pred("Core20"); p0 <- pred("Neither")
  rd <- got[got$group == "Core20" & got$measure == "rate_difference", ]
  expect_equal(rd$estimate, 100 * (mean(p1) - mean(p0)), tolerance = 1e-10)
  # influence function: the exact score X (y - mu) and the bread
  # n (X' diag(mu (1 - mu)) X)^-1 at the estimate, the derivative of the
  # score there (sandwich::bread() and sandwich::estfun() use the working
  # weights of glm's last IRLS iteration, one step behind, which differ from
  # these by the convergence tolerance)
  needs_reference("numDeriv")
  n <- nrow(mf)
  Xf <- model.matrix(fit)
  mu_hat <- fitted(fit)
  bread <- n * solve(crossprod(Xf, Xf * (mu_hat * (1 - mu_hat))))
  # that bread is minus the inverse Jacobian of the mean score (numDeriv)
  J <- numDeriv::jacobian(function(b) colMeans(Xf * (mf$preterm - plogis(drop(Xf %*% b)))),
                          coef(fit))
  expect_equal(bread, -solve(J), tolerance = 1e-7, ignore_attr = TRUE)
  ifun <- function(p, g) {
    nd <- mf; nd$group <- factor(g, levels = levels(mf$group))
    X <- model.matrix(~ group + age_band + parity, nd)
    grad <- colMeans(X * p * (1 - p))
    score <- Xf * (mf$preterm - mu_hat)
    (p - mean(p)) / n + score %*% (bread %*% grad) / n
  }
  phi <- ifun(p1, "Core20") - ifun(p0, "Neither")
  expect_equal(rd$std.error, 100 * sqrt(sum(phi^2)), tolerance = 1e-8)
  # ratio by the delta method on the log scale
  phil <- ifun(p1, "Core20") / mean(p1) - ifun(p0, "Neither") / mean(p0)
  rr <- got[got$group == "Core20" & got$measure == "rate_ratio", ]
  expect_equal(rr$estimate, mean(p1) / mean(p0), tolerance = 1e-10)
  expect_equal(rr$std.error, sqrt(sum(phil^2)), tolerance = 1e-8)
})

test_that("disparity() errors and warns clearly", {
  d <- disp_cohort(600)
  d$preterm_eligible[d$group == "Neither"] <- FALSE
  expect_error(disparity(d, preterm, group, reference = "Neither", per = 100,
                         disclosure = "none"),
               "reference group .*Neither.* has no women eligible")
  d <- disp_cohort(600)
  d$preterm[d$group == "PLUS"] <- FALSE
  expect_warning(got <- disparity(d, preterm, group, reference = "Neither",
                                  per = 100, disclosure = "none"),
                 "no events")
  rr <- got[got$group == "PLUS" & got$measure == "rate_ratio", ]
  expect_true(is.na(rr$estimate))
  expect_match(rr$note, "no events in group")
  expect_false(is.na(got$estimate[got$group == "PLUS" & got$measure == "rate_difference"]))
  d <- disp_cohort(600)
  d$preterm[d$group == "Neither"] <- FALSE
  expect_warning(got <- disparity(d, preterm, group, reference = "Neither",
                                  per = 100, disclosure = "none"),
                 "reference group")
  expect_true(all(is.na(got$estimate[got$measure == "rate_ratio"])))
  d <- disp_cohort(600)
  d$preterm_eligible <- NULL
  expect_error(disparity(d, preterm, group, per = 100, eligible = NULL, disclosure = "none"),
               "add_outcomes")
  attr(d, "outcomes") <- data.frame(outcome = "preterm", eligible = "preterm_eligible",
                                    label = "x", multiplier = 100, level = "baby")
  expect_error(disparity(d, preterm, group, disclosure = "none"), "no eligibility column")
  d <- disp_cohort(600)
  expect_error(disparity(d, preterm, group, reference = "Nobody", per = 100,
                         disclosure = "none"), "must be one value")
  d$age_band[1] <- NA
  expect_error(disparity(d, preterm, group, adjust = age_band, per = 100,
                         disclosure = "none"), "missing value")
  d <- disp_cohort(600)
  d$age_band[d$group == "Neither" & d$age_band == "<25"] <- "25-34"
  expect_error(disparity(d, preterm, group, reference = "Neither", adjust = age_band,
                         per = 100, disclosure = "none"), "stratum")
})

test_that("disparity() goes through disclosure control", {
  skip_if_not(exists("apply_disclosure", asNamespace("matequity")))
  d <- disp_cohort(300)
  got <- disparity(d, preterm, group, reference = "Neither", per = 100)
  expect_true(all(is.na(got$estimate[is.na(got$events)])))
})
