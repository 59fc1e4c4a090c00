# Covariates given as formulas: every term (factor(), I(), log(),
# interactions, splines) reaches the models, as it does in glm(), WeightIt,
# PSweight and cobalt given the same formula.

# factor(), I(x^2), log(), an interaction and a natural spline
rich_formula <- ~ factor(race) + I(age^2) + log(lwt) + age * lwt + splines::ns(age, df = 3) + ht

test_that("IPW on MASS::birthwt with factor(ftv) agrees with WeightIt (issue 15)", {
  needs_reference("WeightIt")
  d <- birthwt_data()
  W <- WeightIt::weightit(smoke ~ factor(ftv) + age + lwt, data = d, estimand = "ATE")
  ref <- WeightIt::lm_weightit(low ~ smoke, data = d, weightit = W, vcov = "asympt")
  fit <- suppressWarnings(
    estimate_effect(d, smoke, low, ~ factor(ftv) + age + lwt, method = "ipw"))
  expect_lt(rel_diff(coef(fit)[["risk_difference"]], coef(ref)[[2]]), 1e-8)
  expect_lt(rel_diff(coef(fit)[["risk_difference"]], 0.13272272), 1e-7)
  expect_lt(rel_diff(sqrt(vcov(fit)[3, 3]), sqrt(vcov(ref)[2, 2])), 1e-6)
  # (one unit with ftv = 6 has a score near 1: the two IRLS stop a little
  # apart on its weight)
  expect_lt(rel_diff(fit$weights, unname(W$weights)), 1e-5)
  # the dummies of factor(ftv) are in the propensity model
  expect_identical(names(fit$groups$all$ps_model$coefficients),
                   colnames(stats::model.matrix(~ factor(ftv) + age + lwt, d)))
})

test_that("IPW with factor(), I(), log(), an interaction and ns() agrees with WeightIt", {
  needs_reference("WeightIt")
  d <- birthwt_data()
  for (est in c("ATE", "ATT", "ATC", "ATO")) {
    W <- WeightIt::weightit(stats::update(rich_formula, smoke ~ .), data = d, estimand = est)
    ref <- WeightIt::lm_weightit(low ~ smoke, data = d, weightit = W, vcov = "asympt")
    fit <- suppressWarnings(estimate_effect(d, smoke, low, rich_formula, estimand = est,
                                            method = "ipw"))
    expect_lt(rel_diff(fit$weights, unname(W$weights)), 1e-7)
    expect_lt(rel_diff(coef(fit)[["risk_control"]], coef(ref)[[1]]), 1e-8)
    expect_lt(rel_diff(coef(fit)[["risk_difference"]], coef(ref)[[2]]), 1e-8)
    expect_lt(rel_diff(sqrt(vcov(fit)[3, 3]), sqrt(vcov(ref)[2, 2])), 1e-6)
    expect_lt(rel_diff(sqrt(vcov(fit)[2, 2]), sqrt(vcov(ref)[1, 1])), 1e-6)
  }
})

test_that("AIPW with formula terms in both models agrees with PSweight", {
  needs_reference("PSweight")
  needs_reference("numDeriv")
  d <- birthwt_data()
  ofo <- low ~ factor(race) + log(lwt) + I(age10^2) + ht
  for (psf in list(smoke ~ factor(race) + I(age10^2) + log(lwt) + age10 * lwt10,
                   smoke ~ factor(race) + splines::ns(age, df = 3) + log(lwt) + age10:lwt10))
  for (wt in c("IPW", "treated", "overlap")) {
    est <- c(IPW = "ATE", treated = "ATT", overlap = "ATO")[[wt]]
    ref <- PSweight::PSweight(ps.formula = psf, yname = "low", data = d, weight = wt,
                              augmentation = TRUE, out.formula = ofo, family = "binomial")
    fit <- suppressWarnings(estimate_effect(d, smoke, low, psf[-2], estimand = est,
                                            method = "aipw", outcome_covariates = ofo[-2]))
    expect_lt(rel_diff(unname(fit$groups$all$mu), unname(ref$muhat[2:1])), 1e-8)
    # PSweight's Jacobian is numerical (numDeriv)
    expect_lt(rel_diff(sqrt(diag(fit$groups$all$V)), unname(sqrt(diag(ref$covmu)))[2:1]), 1e-6)
  }
})

test_that("g-computation predicts with the outcome formula's terms (glm per arm)", {
  d <- birthwt_data()
  of <- ~ factor(race) + splines::ns(lwt, df = 3) + I(age^2) + ht:age
  fit <- estimate_effect(d, smoke, bwt, ~ age + lwt, method = "gcomp",
                         outcome_covariates = of, vcov = "robust")
  # glm()'s subset evaluates ns() on all rows first: both arms' models have
  # the same basis, as the fit's, and predict() keeps it
  f1 <- stats::glm(stats::update(of, bwt ~ .), data = d, subset = smoke == 1)
  f0 <- stats::glm(stats::update(of, bwt ~ .), data = d, subset = smoke == 0)
  m1 <- mean(stats::predict(f1, newdata = d))
  m0 <- mean(stats::predict(f0, newdata = d))
  expect_lt(rel_diff(unname(fit$groups$all$mu), c(m1, m0)), 1e-9)
})

test_that("names, strings and c() still give the formula of those names", {
  d <- sim_effect_data(800, seed = 2)
  f <- estimate_effect(d, a, y, ~ x1 + x2 + g, method = "ipw")
  for (cv in list(c("x1", "x2", "g"), quote(c(x1, x2, g)))) {
    fit <- eval(bquote(estimate_effect(d, a, y, .(cv), method = "ipw")))
    expect_identical(coef(fit), coef(f))
    expect_identical(names(fit$groups$all$ps_model$coefficients), c("(Intercept)", "x1", "x2", "gb", "gc"))
  }
  covs <- c("x1", "x2", "g")
  expect_identical(coef(estimate_effect(d, a, y, covs, method = "ipw")), coef(f))
  fml <- ~ x1 + x2 + g
  expect_identical(coef(estimate_effect(d, a, y, fml, method = "ipw")), coef(f))
})

test_that("missing values in a variable of a formula term are counted, not dropped silently", {
  d <- sim_effect_data(800, seed = 2)
  d$x3 <- exp(d$x1)
  d$x3[c(3, 10, 50)] <- NA
  expect_error(estimate_effect(d, a, y, ~ log(x3) + factor(x2), method = "ipw",
                               disclosure = "none"),
               "x3: 3 missing")
  fit <- estimate_effect(d, a, y, ~ log(x3) + factor(x2), method = "ipw",
                         missing = "complete_case", disclosure = "none")
  expect_identical(glance(fit)$n_missing_dropped, 3L)
  expect_identical(nobs(fit), 797L)
  ref <- stats::glm(a ~ log(x3) + factor(x2), binomial(), d)
  expect_lt(rel_diff(fit$ps, unname(stats::fitted(ref))), 1e-7)
  # a transformation that is not finite is an error naming the term
  d$x4 <- d$x1
  expect_error(suppressWarnings(estimate_effect(d[-c(3, 10, 50), ], a, y, ~ log(x4),
                                                method = "ipw")),
               "log\\(x4\\)")
  expect_error(estimate_effect(d, a, y, a ~ x1), "one-sided")
  expect_error(estimate_effect(d, a, y, ~ x1 - 1), "intercept")
  expect_error(estimate_effect(d, a, y, ~ factor(x1 > 100)), "single level")
  expect_error(estimate_effect(d, a, y, ~ log(nope)), "not in the data")
  expect_error(estimate_effect(d, a, y, ~ I(y^2)), "cannot also be covariates")
  # a constant of the formula's environment is not a column
  k <- 3
  fit <- estimate_effect(d[-c(3, 10, 50), ], a, y, ~ splines::ns(x1, df = k), method = "ipw")
  expect_identical(fit$groups$all$p, 4L)
})

test_that("balance() of a formula fit has cobalt's rows and statistics", {
  needs_reference("cobalt")
  d <- birthwt_data()
  d$ui_l <- d$ui == 1
  d$ch <- c("p", "q")[(d$ptl > 0) + 1]
  f <- ~ factor(race) + I(age^2) + log(lwt) + age * lwt + splines::ns(age, df = 3) +
    race_f:age + ui_l + ch + ui_l:lwt
  for (est in c("ATE", "ATT", "ATC", "ATO")) for (bin in c("raw", "std")) {
    fit <- suppressWarnings(estimate_effect(d, smoke, low, f, estimand = est, method = "ipw",
                                            disclosure = "none"))
    ours <- balance(fit, binary = bin)
    ref <- cobalt::bal.tab(f, data = d, treat = d$smoke, weights = fit$weights,
                           estimand = est, binary = bin, un = TRUE, quick = FALSE,
                           stats = c("mean.diffs", "variance.ratios", "ks.statistics"))$Balance
    label <- paste(est, bin)
    expect_identical(ours$term, rownames(ref), label = label)
    expect_identical(ours$type, ifelse(ref$Type == "Binary", "binary", "continuous"), label = label)
    expect_equal(ours$smd_unadjusted, ref$Diff.Un, tolerance = 1e-10, label = label)
    expect_equal(ours$smd_adjusted, ref$Diff.Adj, tolerance = 1e-10, label = label)
    expect_equal(ours$var_ratio_unadjusted, ref$V.Ratio.Un, tolerance = 1e-10, label = label)
    expect_equal(ours$var_ratio_adjusted, ref$V.Ratio.Adj, tolerance = 1e-10, label = label)
    expect_equal(ours$ks_adjusted, ref$KS.Adj, tolerance = 1e-10, label = label)
  }
  # balance_table() takes the same formula
  w <- fit$weights
  expect_identical(balance_table(d, smoke, f, weights = w, estimand = "ATO", binary = "std",
                                disclosure = "none"),
                   ours)
})

test_that("subgroups: each is the formula fitted on its rows (WeightIt on the subset)", {
  needs_reference("WeightIt")
  d <- birthwt_data()
  d$older <- d$age > 22
  # ns() is data-dependent: a subgroup's basis is that of its own rows
  fml <- ~ factor(race) + I(age10^2) + log(lwt) + age10:lwt10 + splines::ns(lwt, df = 2)
  fit <- suppressWarnings(estimate_effect(d, smoke, low, fml, method = "ipw", by = older,
                                          disclosure = "none"))
  got <- tidy(fit)
  for (g in c("FALSE", "TRUE")) {
    sub <- d[d$older == as.logical(g), ]
    W <- WeightIt::weightit(stats::update(fml, smoke ~ .), data = sub, estimand = "ATE")
    ref <- WeightIt::lm_weightit(low ~ smoke, data = sub, weightit = W, vcov = "asympt")
    rd <- got[got$group == g & got$term == "risk_difference", ]
    expect_lt(rel_diff(rd$estimate, coef(ref)[[2]]), 1e-8, label = g)
    expect_lt(rel_diff(rd$std.error, sqrt(vcov(ref)[2, 2])), 1e-6, label = g)
    sep <- suppressWarnings(estimate_effect(sub, smoke, low, fml, method = "ipw"))
    expect_equal(rd$estimate, coef(sep)[["risk_difference"]], tolerance = 1e-12)
  }
  # a factor level a subgroup lacks is an aliased column (a warning), and the
  # estimate is that of the subgroup's own fit
  s <- sim_effect_data(1500, seed = 3)
  s$half <- s$x1 > 0
  s$f <- factor(ifelse(s$half, sample(c("p", "q", "r"), nrow(s), TRUE),
                       sample(c("p", "q"), nrow(s), TRUE)))
  expect_warning(fb <- estimate_effect(s, a, y, ~ x2 + f, method = "ipw", by = half),
                 "aliased")
  own <- estimate_effect(s[!s$half, ], a, y, ~ x2 + f, method = "ipw")
  tb <- tidy(fb)
  expect_equal(tb$estimate[tb$group == "FALSE" & tb$term == "risk_difference"],
               coef(own)[["risk_difference"]], tolerance = 1e-10)
})

test_that("disparity(method = 'gcomp') uses the adjustment formula's terms", {
  d <- birthwt_data()
  d$grp <- d$race_f
  d$low_eligible <- TRUE
  adj <- ~ I(age^2) + log(lwt) + factor(ftv > 0) + splines::ns(age, df = 2)
  got <- disparity(d, low, grp, reference = "white", adjust = adj, method = "gcomp",
                   disclosure = "none", per = 1)
  g <- stats::glm(low ~ grp + I(age^2) + log(lwt) + factor(ftv > 0) + splines::ns(age, df = 2),
                  binomial(), d)
  risk <- function(k) {
    nd <- d
    nd$grp <- factor(k, levels = levels(d$grp))
    mean(stats::predict(g, newdata = nd, type = "response"))
  }
  rd <- got[got$group == "black" & got$measure == "rate_difference", ]
  expect_equal(rd$estimate, risk("black") - risk("white"), tolerance = 1e-10)
  expect_match(rd$adjustment, "I(age^2)", fixed = TRUE)
})

test_that("disparity_scenarios() takes formula terms in allowable and covariates", {
  d <- scen_sim(2000, seed = 5)
  # factor(parity) as a term spans the same models as a factor column
  d$parity_f <- factor(d$parity)
  a <- disparity_scenarios(d, preterm, grp, coc, allowable = ~ age + factor(parity),
                           covariates = ~ I(imd^2) + imd, disclosure = "none")
  d$imd2 <- d$imd^2
  b <- disparity_scenarios(d, preterm, grp, coc, allowable = c(age, parity_f),
                           covariates = c(imd2, imd), disclosure = "none")
  expect_equal(a$estimate, b$estimate, tolerance = 1e-10)
  # the universal-on risk of a group is the mean of its on-care-model
  # outcome model's predictions (glm with the same terms)
  info <- attr(a, "scenario_info")
  sub <- d[d$grp == "PLUS", ]
  m1 <- stats::glm(preterm ~ age + factor(parity) + I(imd^2) + imd, binomial(),
                   sub[sub$coc, ], control = stats::glm.control(epsilon = 1e-12))
  expect_equal(info$theta["risk_all_on", "PLUS"],
               mean(stats::predict(m1, newdata = sub, type = "response")), tolerance = 1e-8)
  expect_identical(info$allowable, c("age", "factor(parity)"))
})

test_that("arguments that take columns only refuse formula terms instead of dropping them", {
  d <- data.frame(x = 1:4, z = c("a", "b", "a", "b"))
  expect_identical(matequity:::resolve_columns(d, rlang::quo(~ x + z), "by"), c("x", "z"))
  expect_error(matequity:::resolve_columns(d, rlang::quo(~ factor(x) + z), "by"),
               "factor\\(x\\)")
  expect_error(matequity:::resolve_columns(d, rlang::quo(~ x:z), "by"), "not formula terms")
})

test_that("disparity(method = 'standardise') stratifies by the formula's terms as evaluated", {
  d <- birthwt_data()
  d$grp <- d$race_f
  d$low_eligible <- TRUE
  got <- disparity(d, low, grp, reference = "white", per = 100, disclosure = "none",
                   adjust = ~ cut(age, c(0, 20, 25, 50)) + I(ftv > 0))
  # the hand calculation: strata are the age bands crossed with any visit
  s <- paste(cut(d$age, c(0, 20, 25, 50)), d$ftv > 0)
  w <- prop.table(table(s))
  adj <- function(g) {
    k <- d$grp == g
    p <- tapply(d$low[k], s[k], mean)[names(w)]
    n <- table(s[k])[names(w)]
    c(rate = sum(w * p), var = sum(w^2 * p * (1 - p) / n))
  }
  a1 <- adj("other"); a0 <- adj("white")
  rd <- got[got$group == "other" & got$measure == "rate_difference", ]
  expect_equal(rd$estimate, 100 * (a1[["rate"]] - a0[["rate"]]), tolerance = 1e-12)
  expect_equal(rd$std.error, 100 * sqrt(a1[["var"]] + a0[["var"]]), tolerance = 1e-12)
  expect_match(rd$adjustment, "standardised: cut(age", fixed = TRUE)
  expect_error(disparity(d, low, grp, reference = "white", per = 100, disclosure = "none",
                         adjust = ~ splines::ns(age, df = 2)), "categorical")
})
