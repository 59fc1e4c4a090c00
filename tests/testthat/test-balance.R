# balance_table()/balance() against cobalt::bal.tab() and against a
# straightforward R computation of the METHODS.md formulas.

bal_data <- function() {
  set.seed(11)
  n <- 400
  d <- data.frame(
    a = rbinom(n, 1, 0.35),
    age = round(rnorm(n, 30, 6), 1),
    bmi = rgamma(n, 8, 0.3),
    smoker = rbinom(n, 1, 0.2),
    parity = factor(sample(c("0", "1", "2+"), n, TRUE)),
    sex = factor(sample(c("f", "m"), n, TRUE)),
    lg = runif(n) < 0.4,
    ethnic = sample(c("White", "Black", "Asian"), n, TRUE),
    two = sample(c(3, 7), n, TRUE),
    stringsAsFactors = FALSE
  )
  d$w <- ifelse(d$a == 1, runif(n, 0.5, 3), runif(n, 0.2, 2))
  d
}
covs <- c("age", "bmi", "smoker", "parity", "sex", "lg", "ethnic", "two")

test_that("balance_table() agrees with cobalt::bal.tab()", {
  # the exact statistics (under a rule they are released to 3 significant figures)
  withr::local_options(matequity.disclosure = "none")
  needs_reference("cobalt")
  d <- bal_data()
  for (est in c("ATE", "ATT", "ATC")) for (bin in c("raw", "std")) {
    ours <- balance_table(d, a, covs, weights = d$w, estimand = est, binary = bin)
    sdd <- switch(est, ATT = "treated", ATC = "control", "pooled")
    ref <- cobalt::bal.tab(d[covs], treat = d$a, weights = d$w, s.d.denom = sdd,
                           binary = bin, continuous = "std",
                           stats = c("mean.diffs", "variance.ratios", "ks.statistics"),
                           un = TRUE, quick = FALSE)$Balance
    label <- paste(est, bin)
    expect_identical(ours$term, rownames(ref), label = label)
    expect_identical(ours$type, ifelse(ref$Type == "Binary", "binary", "continuous"))
    expect_equal(ours$smd_unadjusted, ref$Diff.Un, tolerance = 1e-12, label = label)
    expect_equal(ours$smd_adjusted, ref$Diff.Adj, tolerance = 1e-12, label = label)
    expect_equal(ours$var_ratio_unadjusted, ref$V.Ratio.Un, tolerance = 1e-12)
    expect_equal(ours$var_ratio_adjusted, ref$V.Ratio.Adj, tolerance = 1e-12)
    expect_equal(ours$ks_unadjusted, ref$KS.Un, tolerance = 1e-12)
    expect_equal(ours$ks_adjusted, ref$KS.Adj, tolerance = 1e-12)
  }
})

test_that("effective sample sizes agree with cobalt", {
  needs_reference("cobalt")
  d <- bal_data()
  ours <- balance_table(d, "a", ~ age + bmi, weights = "w", disclosure = "none")
  ref <- cobalt::bal.tab(d[c("age", "bmi")], treat = d$a, weights = d$w,
                         s.d.denom = "pooled")$Observations
  ess <- attr(ours, "ess")
  expect_equal(ess$ess_adjusted, unname(unlist(ref["Adjusted", c("Control", "Treated")])),
               tolerance = 1e-12)
  expect_equal(ess$n, c(sum(d$a == 0), sum(d$a == 1)))
})

test_that("arm sizes and effective sample sizes are released under the rule", {
  d <- bal_data()
  exact <- attr(balance_table(d, "a", ~ age + bmi, weights = "w", disclosure = "none"), "ess")
  ess <- attr(balance_table(d, "a", ~ age + bmi, weights = "w"), "ess")
  expect_s3_class(ess, "mq_sdc")
  to5 <- function(x) 5 * floor(x / 5 + 0.5)
  expect_equal(ess$n, to5(exact$n))
  expect_equal(ess$ess_adjusted, to5(floor(exact$ess_adjusted + 0.5)))
  expect_identical(ess$n_sdc, rep("rounded to 5", 2))
  printed <- capture.output(print(balance_table(d, "a", ~ age + bmi, weights = "w")))
  expect_true(any(grepl("Effective sample sizes (nhse_sde", printed, fixed = TRUE)))
  printed_off <- capture.output(print(balance_table(d, "a", ~ age + bmi, weights = "w",
                                                    disclosure = "none")))
  expect_true(any(grepl("DISCLOSURE CONTROL OFF", printed_off)))
})

test_that("ATO with s_d_denom = 'weighted' is cobalt's ATO convention", {
  # the exact statistics (under a rule they are released to 3 significant figures)
  withr::local_options(matequity.disclosure = "none")
  needs_reference("cobalt")
  d <- bal_data()
  ours <- balance_table(d, a, c(age, bmi, smoker), weights = d$w,
                        estimand = "ATO", s_d_denom = "weighted", binary = "std")
  ref <- cobalt::bal.tab(d[c("age", "bmi", "smoker")], treat = d$a,
                         weights = d$w, estimand = "ATO", binary = "std",
                         un = TRUE)$Balance
  expect_equal(ours$smd_adjusted, ref$Diff.Adj, tolerance = 1e-12)
})

test_that("the ATO's default SD is cobalt's default for the ATO (weighted, issue 15)", {
  # the exact statistics (under a rule they are released to 3 significant figures)
  withr::local_options(matequity.disclosure = "none")
  needs_reference("cobalt")
  d <- bal_data()
  for (bin in c("raw", "std")) {
    ours <- balance_table(d, a, covs, weights = d$w, estimand = "ATO", binary = bin)
    ref <- cobalt::bal.tab(d[covs], treat = d$a, weights = d$w, estimand = "ATO",
                           binary = bin, un = TRUE)$Balance
    expect_identical(attr(ours, "s_d_denom"), "weighted")
    expect_identical(ours$term, rownames(ref))
    expect_equal(ours$smd_unadjusted, ref$Diff.Un, tolerance = 1e-12, label = bin)
    expect_equal(ours$smd_adjusted, ref$Diff.Adj, tolerance = 1e-12, label = bin)
  }
  # an ATO fit's balance() against bal.tab() of WeightIt's ATO weights: the
  # same scores, the same default denominators (prop.score row aside)
  needs_reference("WeightIt")
  d$y <- as.numeric(d$two == 7)
  W <- WeightIt::weightit(a ~ age + bmi + smoker + parity + ethnic, data = d, estimand = "ATO")
  fit <- estimate_effect(d, a, y, ~ age + bmi + smoker + parity + ethnic, estimand = "ATO",
                         method = "ipw")
  ref <- cobalt::bal.tab(W, un = TRUE)$Balance[-1, ]
  ours <- balance(fit)
  expect_identical(ours$term, rownames(ref))
  expect_equal(ours$smd_unadjusted, ref$Diff.Un, tolerance = 1e-7)
  # (the ATO balances the model's terms exactly: adjusted differences are
  # zero up to the fit's convergence)
  expect_lt(max(abs(ours$smd_adjusted - ref$Diff.Adj)), 1e-8)
})

test_that("matching weights from match_nearest() balance as cobalt says", {
  # the exact statistics (under a rule they are released to 3 significant figures)
  withr::local_options(matequity.disclosure = "none")
  needs_reference("cobalt")
  needs_reference("MatchIt", version = FALSE)  # only its data
  data("lalonde", package = "MatchIt", envir = environment())
  ps <- fitted(glm(treat ~ age + educ + race + married + nodegree + re74 + re75,
                   binomial, lalonde))
  m <- match_nearest(qlogis(ps), lalonde$treat)
  cv <- c("age", "educ", "race", "married", "nodegree", "re74", "re75")
  ours <- balance_table(lalonde, treat, cv, weights = m$weights, estimand = "ATT")
  ref <- cobalt::bal.tab(lalonde[cv], treat = lalonde$treat, weights = m$weights,
                         s.d.denom = "treated", un = TRUE,
                         stats = c("m", "v", "ks"))$Balance
  expect_equal(ours$smd_adjusted, ref$Diff.Adj, tolerance = 1e-12)
  expect_equal(ours$ks_adjusted, ref$KS.Adj, tolerance = 1e-12)
})

test_that("the formulas in METHODS.md, computed by hand", {
  # the exact statistics (under a rule they are released to 3 significant figures)
  withr::local_options(matequity.disclosure = "none")
  d <- bal_data()
  t1 <- d$a == 1
  w <- d$w
  wvar <- function(x, w) {
    m <- sum(w * x) / sum(w)
    sum(w * (x - m)^2) * sum(w) / (sum(w)^2 - sum(w^2))
  }
  wmean <- function(x, w) sum(w * x) / sum(w)
  ours <- balance_table(d, a, c(age, smoker, parity), weights = w, estimand = "ATE",
                        disclosure = "none")
  # age: continuous, pooled unweighted SD
  s_pool <- sqrt((var(d$age[t1]) + var(d$age[!t1])) / 2)
  expect_equal(ours$smd_unadjusted[1], (mean(d$age[t1]) - mean(d$age[!t1])) / s_pool,
               tolerance = 1e-13)
  expect_equal(ours$smd_adjusted[1],
               (wmean(d$age[t1], w[t1]) - wmean(d$age[!t1], w[!t1])) / s_pool,
               tolerance = 1e-13)
  expect_equal(ours$var_ratio_adjusted[1], wvar(d$age[t1], w[t1]) / wvar(d$age[!t1], w[!t1]),
               tolerance = 1e-13)
  # weighted KS: largest gap between the weighted ECDFs, at every data value
  F <- function(x, v, w) vapply(v, function(z) sum(w[x <= z]) / sum(w), 0)
  grid <- sort(unique(d$age))
  ks <- max(abs(F(d$age[t1], grid, w[t1]) - F(d$age[!t1], grid, w[!t1])))
  expect_equal(ours$ks_adjusted[1], ks, tolerance = 1e-12)
  ks_un <- max(abs(F(d$age[t1], grid, rep(1, sum(t1))) - F(d$age[!t1], grid, rep(1, sum(!t1)))))
  expect_equal(ours$ks_unadjusted[1], ks_un, tolerance = 1e-12)
  # smoker: binary, raw difference in proportions
  expect_equal(ours$smd_adjusted[2],
               wmean(d$smoker[t1], w[t1]) - wmean(d$smoker[!t1], w[!t1]), tolerance = 1e-13)
  expect_true(is.na(ours$var_ratio_adjusted[2]))
  # parity: one row per level (3 levels)
  expect_identical(ours$term[3:5], c("parity_0", "parity_1", "parity_2+"))
  p1 <- wmean(d$parity[t1] == "2+", w[t1]); p0 <- wmean(d$parity[!t1] == "2+", w[!t1])
  expect_equal(ours$smd_adjusted[5], p1 - p0, tolerance = 1e-13)
  # ATT: treated SD; binary standardised with sqrt(p (1 - p)) of the treated
  att <- balance_table(d, a, c(age, smoker), weights = w, estimand = "ATT", binary = "std")
  expect_equal(att$smd_unadjusted[1], (mean(d$age[t1]) - mean(d$age[!t1])) / sd(d$age[t1]),
               tolerance = 1e-13)
  p <- mean(d$smoker[t1])
  expect_equal(att$smd_adjusted[2],
               (wmean(d$smoker[t1], w[t1]) - wmean(d$smoker[!t1], w[!t1])) / sqrt(p * (1 - p)),
               tolerance = 1e-13)
  # ESS per arm
  expect_equal(attr(ours, "ess")$ess_adjusted,
               c(sum(w[!t1])^2 / sum(w[!t1]^2), sum(w[t1])^2 / sum(w[t1]^2)),
               tolerance = 1e-14)
})

test_that("balance() reads an effect fit", {
  d <- bal_data()
  fit <- structure(list(treat = d$a, ps = rep(0.5, nrow(d)), weights = d$w,
                        covariates = d[c("age", "parity")], estimand = "ATT",
                        method = "ipw"), class = "mq_effect")
  b <- balance(fit)
  expect_s3_class(b, "mq_balance")
  expect_identical(b, balance_table(d, a, c(age, parity), weights = d$w, estimand = "ATT"))
  expect_error(balance(list()), "effect fit")
  fit$weights <- NULL
  expect_error(balance(fit), "weights")
})

test_that("without weights only the unadjusted columns are filled", {
  d <- bal_data()
  b <- balance_table(d, a, c(age, sex))
  expect_true(all(is.na(b$smd_adjusted)))
  expect_false(anyNA(b$smd_unadjusted))
  expect_identical(b$term, c("age", "sex_m"))
})

test_that("bad input is refused", {
  d <- bal_data()
  d2 <- d; d2$age[1:3] <- NA
  expect_error(balance_table(d2, a, age, disclosure = "none"), "age: 3")
  expect_error(balance_table(d2, a, age), "age: <10")
  d3 <- d; d3$a[1] <- 2
  expect_error(balance_table(d3, a, age), "0/1")
  expect_error(balance_table(d, a, age, weights = -d$w), "non-negative")
  expect_error(balance_table(d, a, age, estimand = "ATX"), "estimand")
  d4 <- d; d4$one <- factor("x")
  expect_error(balance_table(d4, a, one), "single level")
})

test_that("autoplot() draws a love plot", {
  needs_reference("ggplot2")
  d <- bal_data()
  b <- balance_table(d, a, c(age, parity), weights = d$w)
  p <- ggplot2::autoplot(b)
  expect_s3_class(p, "ggplot")
  expect_identical(nrow(p$data), 8L)
})
