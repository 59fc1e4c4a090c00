# Multi-category treatments: multinomial generalised propensity scores, IPW
# and AIPW means under each level and their contrasts, against WeightIt
# (weightit(method = "glm") multinomial weights, lm_weightit() /
# glm_weightit() M-estimation variances) and PSweight (multi-group
# augmented weighting).

care4_data <- function(n = 3000, seed = 1) {
  set.seed(seed)
  d <- data.frame(age = rnorm(n, 30, 5), imd = sample(1:5, n, TRUE),
                  parity = factor(sample(c("0", "1", "2+"), n, TRUE)))
  lp <- cbind(0, -0.3 + 0.05 * (d$age - 30) + 0.2 * d$imd,
              -0.5 - 0.1 * d$imd + 0.4 * (d$parity == "0"),
              -0.8 + 0.04 * (d$age - 30) + 0.1 * d$imd)
  p <- exp(lp) / rowSums(exp(lp))
  u <- runif(n)
  k <- 1L + (u > p[, 1]) + (u > p[, 1] + p[, 2]) + (u > p[, 1] + p[, 2] + p[, 3])
  d$care <- factor(c("none", "pcsp", "coc", "both")[k], levels = c("none", "pcsp", "coc", "both"))
  d$preterm <- rbinom(n, 1, plogis(-2 + 0.15 * d$imd - 0.3 * (d$care == "coc") -
                                      0.5 * (d$care == "both") + 0.03 * (d$age - 30)))
  d$bw <- 3.3 + 0.1 * (d$care == "both") - 0.05 * d$imd + 0.01 * (d$age - 30) + rnorm(n, 0, 0.5)
  d
}

rel <- function(a, b) max(abs(a - b) / pmax(abs(b), 1e-300))

test_that("IPW ATE and ATT means and their variances agree with WeightIt", {
  needs_reference("WeightIt")
  d <- care4_data()
  fml <- care ~ age + imd + parity
  for (est in c("ATE", "ATT")) {
    W <- if (est == "ATE") WeightIt::weightit(fml, data = d, method = "glm", estimand = "ATE") else
      WeightIt::weightit(fml, data = d, method = "glm", estimand = "ATT", focal = "coc")
    fit <- estimate_effect(d, care, preterm, ~ age + imd + parity, method = "ipw", estimand = est,
                           focal = if (est == "ATT") "coc", disclosure = "none")
    g <- fit$groups$all
    expect_length(fit$weights, nrow(d))
    expect_lt(rel(fit$weights, W$weights), 1e-6)
    # lm_weightit(y ~ 0 + A): the Hajek mean of each level, with the
    # M-estimation variance that accounts for the multinomial model
    ref <- WeightIt::lm_weightit(preterm ~ 0 + care, data = d, weightit = W, vcov = "asympt")
    expect_lt(rel(unname(g$mu), unname(coef(ref))), 1e-6)
    expect_lt(rel(c(g$V), c(unname(stats::vcov(ref)))), 1e-6)
    # contrasts against the reference: risk difference (identity link),
    # log odds ratio (logit link), log risk ratio (log link)
    tt <- tidy(fit)
    rd <- WeightIt::lm_weightit(preterm ~ care, data = d, weightit = W, vcov = "asympt")
    or <- WeightIt::glm_weightit(preterm ~ care, data = d, weightit = W, vcov = "asympt",
                                 family = binomial())
    rr <- WeightIt::glm_weightit(preterm ~ care, data = d, weightit = W, vcov = "asympt",
                                 family = quasipoisson())
    for (lv in c("pcsp", "coc", "both")) {
      cf <- paste0("care", lv)
      row <- function(term) tt[tt$term == term & tt$level == lv & tt$reference %in% "none", ]
      expect_lt(rel(row("risk_difference")$estimate, coef(rd)[[cf]]), 1e-6)
      expect_lt(rel(row("risk_difference")$std.error, sqrt(stats::vcov(rd)[cf, cf])), 1e-6)
      expect_lt(rel(log(row("odds_ratio")$estimate), coef(or)[[cf]]), 1e-6)
      expect_lt(rel(row("odds_ratio")$std.error, sqrt(stats::vcov(or)[cf, cf])), 1e-6)
      expect_lt(rel(log(row("risk_ratio")$estimate), coef(rr)[[cf]]), 1e-6)
      expect_lt(rel(row("risk_ratio")$std.error, sqrt(stats::vcov(rr)[cf, cf])), 1e-6)
    }
  }
})

test_that("pairwise contrasts and another reference level agree with WeightIt", {
  needs_reference("WeightIt")
  d <- care4_data(seed = 2)
  W <- WeightIt::weightit(care ~ age + imd + parity, data = d, method = "glm", estimand = "ATE")
  fit <- estimate_effect(d, care, bw, ~ age + imd + parity, method = "ipw", reference = "coc",
                         disclosure = "none")
  tt <- tidy(fit)
  d$care2 <- stats::relevel(d$care, "coc")
  ref <- WeightIt::lm_weightit(bw ~ care2, data = d, weightit = W, vcov = "asympt")
  for (lv in c("none", "pcsp", "both")) {
    r <- tt[tt$term == "mean_difference" & tt$level == lv & tt$reference == "coc", ]
    cf <- paste0("care2", lv)
    expect_lt(rel(r$estimate, coef(ref)[[cf]]), 1e-6)
    expect_lt(rel(r$std.error, sqrt(stats::vcov(ref)[cf, cf])), 1e-6)
  }
  # both vs pcsp: a linear contrast of lm_weightit's coefficients
  r <- tt[tt$term == "mean_difference" & tt$level == "both" & tt$reference == "pcsp", ]
  L <- setNames(numeric(4), names(coef(ref)))
  L[c("care2both", "care2pcsp")] <- c(1, -1)
  expect_lt(rel(r$estimate, sum(L * coef(ref))), 1e-6)
  expect_lt(rel(r$std.error, sqrt(drop(t(L) %*% stats::vcov(ref) %*% L))), 1e-6)
  # 3 + 3 pairs, and the four means
  expect_equal(sum(tt$term == "mean_difference"), 6L)
  expect_equal(sum(tt$term == "mean"), 4L)
})

test_that("cluster-robust variance agrees with lm_weightit(cluster =)", {
  needs_reference("WeightIt")
  d <- care4_data(seed = 3)
  d$cl <- sample(1:40, nrow(d), TRUE)
  W <- WeightIt::weightit(care ~ age + imd, data = d, method = "glm", estimand = "ATE")
  ref <- WeightIt::lm_weightit(bw ~ 0 + care, data = d, weightit = W, vcov = "asympt", cluster = ~cl)
  fit <- estimate_effect(d, care, bw, ~ age + imd, method = "ipw", cluster = cl, disclosure = "none")
  expect_lt(rel(c(fit$groups$all$V), c(unname(stats::vcov(ref)))), 1e-6)
})

test_that("AIPW agrees with PSweight's multi-group augmented weighting estimator", {
  needs_reference("PSweight")
  d <- care4_data(seed = 4)
  d$care_i <- as.integer(d$care)
  for (est in c("ATE", "ATT")) {
    wt <- if (est == "ATE") "IPW" else "treated"
    ref <- PSweight::PSweight(ps.formula = care ~ age + imd + parity, yname = "preterm", data = d,
                              weight = wt, trtgrp = if (est == "ATT") "coc",
                              augmentation = TRUE, out.formula = preterm ~ age + imd + parity,
                              family = "binomial")
    fit <- estimate_effect(d, care, preterm, ~ age + imd + parity, method = "aipw",
                           estimand = est, focal = if (est == "ATT") "coc", disclosure = "none")
    g <- fit$groups$all
    ord <- match(names(g$mu), names(ref$muhat))
    # PSweight's multinomial model is nnet::multinom (reltol 1e-8) and its
    # Jacobian numerical (numDeriv)
    expect_lt(rel(unname(g$mu), unname(ref$muhat[ord])), 1e-6)
    expect_lt(rel(sqrt(diag(g$V)), sqrt(diag(ref$covmu))[ord]), 1e-5)
  }
  ref <- PSweight::PSweight(ps.formula = care ~ age + imd + parity, yname = "bw", data = d,
                            weight = "IPW", augmentation = TRUE, out.formula = bw ~ age + imd,
                            family = "gaussian")
  fit <- estimate_effect(d, care, bw, ~ age + imd + parity, method = "aipw",
                         outcome_covariates = ~ age + imd, disclosure = "none")
  g <- fit$groups$all
  ord <- match(names(g$mu), names(ref$muhat))
  expect_lt(rel(unname(g$mu), unname(ref$muhat[ord])), 1e-6)
  expect_lt(rel(sqrt(diag(g$V)), sqrt(diag(ref$covmu))[ord]), 1e-5)
})

test_that("the AIPW sandwich matches one from numerically differentiated equations", {
  needs_reference("numDeriv")
  d <- care4_data(600, seed = 5)
  fit <- estimate_effect(d, care, preterm, ~ age + imd, method = "aipw", estimand = "ATT",
                         focal = "pcsp", disclosure = "none")
  # the stacked estimating equations written out in R (multinomial score,
  # outcome models, tilted means nu_k, weighted residual means r_k)
  X <- stats::model.matrix(~ age + imd, d)
  A <- as.integer(d$care)
  y <- d$preterm
  K <- 4L
  p <- ncol(X)
  n <- nrow(X)
  g <- fit$groups$all
  psi <- function(th) {
    B <- matrix(th[seq_len(p * 3)], p)
    E <- exp(cbind(0, X %*% B))
    E <- E / rowSums(E)
    hh <- E[, 2]
    w <- E[, 2] / E[cbind(seq_len(n), A)]
    G <- matrix(th[p * 3 + seq_len(p * K)], p)
    M <- stats::plogis(X %*% G)
    nu <- th[p * 3 + p * K + seq_len(K)]
    r <- th[p * 3 + p * K + K + seq_len(K)]
    cbind(do.call(cbind, lapply(1:3, function(j) ((A == j + 1) - E[, j + 1]) * X)),
          do.call(cbind, lapply(1:K, function(k) (A == k) * (y - M[, k]) * X)),
          sapply(1:K, function(k) hh * (M[, k] - nu[k])),
          sapply(1:K, function(k) (A == k) * w * (y - M[, k] - r[k])))
  }
  B <- g$ps_model$coefficients
  G <- do.call(cbind, g$outcome_model$coefficients)
  E <- exp(cbind(0, X %*% B))
  E <- E / rowSums(E)
  M <- stats::plogis(X %*% G)
  nu <- colSums(E[, 2] * M) / sum(E[, 2])
  th <- c(c(B), c(G), nu, unname(g$mu) - nu)
  expect_lt(max(abs(colMeans(psi(th)))), 1e-8)
  Aj <- -numDeriv::jacobian(function(t) colMeans(psi(t)), th)
  Ps <- psi(th)
  Ai <- solve(Aj)
  V <- Ai %*% crossprod(Ps) %*% t(Ai) / n^2
  idx <- p * 3 + p * K + seq_len(K)
  L <- cbind(diag(K), diag(K))
  Vmu <- L %*% V[c(idx, idx + K), c(idx, idx + K)] %*% t(L)
  expect_lt(rel(c(g$V), c(Vmu)), 1e-6)
})

test_that("by = fits each subgroup as a separate fit", {
  d <- care4_data(4000, seed = 6)
  d$region <- rep(c("north", "south"), length.out = nrow(d))
  fit <- estimate_effect(d, care, bw, ~ age + imd, method = "aipw", by = region,
                         disclosure = "none")
  one <- estimate_effect(d[d$region == "south", ], care, bw, ~ age + imd, method = "aipw",
                         disclosure = "none")
  expect_equal(unname(fit$groups$south$mu), unname(one$groups$all$mu), tolerance = 1e-12)
  expect_equal(fit$groups$south$V, one$groups$all$V, tolerance = 1e-10)
  tt <- tidy(fit)
  expect_setequal(unique(tt$group), c("north", "south"))
  gl <- glance(fit)
  expect_true(all(c("n_none", "n_pcsp", "n_coc", "n_both", "ess_both") %in% names(gl)))
  expect_equal(gl$n_coc[gl$group == "south"], sum(d$care[d$region == "south"] == "coc"))
})

test_that("multi-category inputs are checked", {
  d <- care4_data(800, seed = 7)
  expect_error(estimate_effect(d, care, preterm, ~ age, method = "gcomp"), "ipw")
  expect_error(estimate_effect(d, care, preterm, ~ age, method = "ipw", estimand = "ATO"), "ATT")
  expect_error(estimate_effect(d, care, preterm, ~ age, method = "ipw", estimand = "ATT"), "focal")
  expect_error(estimate_effect(d, care, preterm, ~ age, method = "ipw", estimand = "ATT",
                               focal = "sometimes"), "focal")
  expect_error(estimate_effect(d, care, preterm, ~ age, method = "ipw", trim = 0.05), "trim")
  expect_error(estimate_effect(d, care, preterm, ~ age, method = "ipw", vcov = "bootstrap"),
               "bootstrap")
  d$pcsp <- rbinom(nrow(d), 1, 0.5)
  expect_error(estimate_effect(d, pcsp, preterm, ~ age, reference = "0"), "multi-category")
  # a character or integer treatment works as the factor does
  d$care_c <- as.character(d$care)
  d$care_i <- as.integer(d$care)
  f1 <- estimate_effect(d, care, bw, ~ age, method = "ipw", disclosure = "none")
  f2 <- estimate_effect(d, care_i, bw, ~ age, method = "ipw", disclosure = "none")
  expect_equal(unname(f1$groups$all$mu), unname(f2$groups$all$mu), tolerance = 1e-12)
  f3 <- estimate_effect(d, care_c, bw, ~ age, method = "ipw", reference = "none", disclosure = "none")
  expect_equal(unname(f3$groups$all$mu[c("none", "pcsp", "coc", "both")]),
               unname(f1$groups$all$mu), tolerance = 1e-12)
})

test_that("glance() and tidy() release counts and estimates under the disclosure rule", {
  d <- care4_data(2000, seed = 8)
  fit <- estimate_effect(d, care, preterm, ~ age + imd, method = "ipw")
  gl <- glance(fit)
  expect_true(all(gl$n_none %% 5 == 0, na.rm = TRUE))
  expect_true(gl$disclosure_status %in% c("pass", "fail", "review"))
  # a level with few units: the model fails its check and the estimates are
  # suppressed
  small <- rbind(d[d$care != "both", ], d[d$care == "both", ][1:6, ])
  small$preterm[small$care == "both"] <- c(1, 0, 0, 1, 0, 0)
  f2 <- suppressWarnings(estimate_effect(small, care, preterm, ~ age, method = "ipw"))
  expect_identical(glance(f2)$disclosure_status, "fail")
  expect_true(all(is.na(tidy(f2)$estimate)))
  expect_true(is.na(glance(f2)$n_both))
  expect_output(suppressMessages(print(fit)), "risk_difference")
  expect_message(print(fit), "multinomial")
})

test_that("balance() of a multi-category fit agrees with cobalt's pairwise bal.tab()", {
  needs_reference("WeightIt")
  needs_reference("cobalt")
  d <- care4_data(2500, seed = 9)
  cases <- list(list(est = "ATE", focal = NULL), list(est = "ATT", focal = "coc"))
  for (cs in cases) {
    W <- WeightIt::weightit(care ~ age + imd + parity, data = d, method = "glm",
                            estimand = cs$est, focal = cs$focal)
    fit <- estimate_effect(d, care, preterm, ~ age + imd + parity, method = "ipw",
                           estimand = cs$est, focal = cs$focal, disclosure = "none")
    # cobalt on the fit's weights (the weights themselves agree with
    # WeightIt's to its optimiser's tolerance, tested above): the balance
    # definitions to 1e-8; on WeightIt's object the adjusted differences,
    # close to 0 after weighting, to that tolerance
    for (pw in c(TRUE, FALSE)) {
      b <- balance(fit, pairwise = pw)
      ref <- cobalt::bal.tab(care ~ age + imd + parity, data = d, weights = fit$weights,
                             method = "weighting", estimand = cs$est, focal = cs$focal,
                             un = TRUE, stats = c("m", "v", "ks"), pairwise = pw,
                             which.treat = .all)$Pair.Balance
      refw <- cobalt::bal.tab(W, un = TRUE, stats = c("m", "v", "ks"), pairwise = pw,
                              which.treat = .all)$Pair.Balance
      expect_identical(names(ref), names(refw))
      for (nm in names(ref)) {
        parts <- strsplit(nm, " vs. ", fixed = TRUE)[[1]]
        rb <- ref[[nm]]$Balance
        # cobalt's statistics are the later level (in level order) less the
        # earlier, whatever order the pair's name gives; "All vs. a" is a less
        # the whole sample
        if (parts[1] == "All") {
          mine <- b[b$level == parts[2] & b$reference == "(all)", ]
        } else {
          o <- parts[order(match(parts, levels(d$care)), decreasing = TRUE)]
          mine <- b[b$level == o[1] & b$reference == o[2], ]
        }
        expect_identical(mine$term, rownames(rb))
        expect_lt(rel(mine$smd_unadjusted, rb$Diff.Un), 1e-8,
                  label = paste(cs$est, pw, nm, "unadjusted SMD"))
        expect_lt(rel(mine$smd_adjusted, rb$Diff.Adj), 1e-8)
        expect_lt(max(abs(mine$smd_adjusted - refw[[nm]]$Balance$Diff.Adj)), 1e-6)
        cont <- mine$type == "continuous"
        vr_u <- mine$var_ratio_unadjusted
        vr_a <- mine$var_ratio_adjusted
        expect_lt(rel(vr_u[cont], rb$V.Ratio.Un[cont]), 1e-8)
        expect_lt(rel(vr_a[cont], rb$V.Ratio.Adj[cont]), 1e-8)
        expect_lt(rel(mine$ks_unadjusted, rb$KS.Un), 1e-8)
        expect_lt(rel(mine$ks_adjusted, rb$KS.Adj), 1e-8)
      }
    }
  }
  # under a rule: 3 significant figures
  fit <- estimate_effect(d, care, preterm, ~ age + imd + parity, method = "ipw")
  b <- balance(fit)
  expect_equal(b$smd_adjusted, signif(b$smd_adjusted, 3))
  expect_equal(nrow(b), 6L * 5L)
})

test_that("the output checker reads a multi-category fit per level", {
  d <- care4_data(3000, seed = 10)
  fit <- estimate_effect(d, care, preterm, ~ age + imd, method = "aipw")
  chk <- disclosure_check(fit)
  expect_identical(chk$status[1], "pass")
  small <- rbind(d[d$care != "both", ], d[d$care == "both", ][1:8, ])
  small$preterm[small$care == "both"] <- c(1, 0, 0, 1, 0, 0, 0, 1)
  f2 <- suppressWarnings(estimate_effect(small, care, preterm, ~ age, method = "ipw"))
  expect_identical(disclosure_check(f2)$status[1], "fail")
  expect_error(evalue(fit), "per contrast")
})

test_that("vcov = \"robust\" treats the weights as known, as lm_weightit(vcov = \"HC0\")", {
  needs_reference("WeightIt")
  d <- care4_data(seed = 11)
  W <- WeightIt::weightit(care ~ age + imd + parity, data = d, method = "glm", estimand = "ATE")
  ref <- WeightIt::lm_weightit(bw ~ 0 + care, data = d, weightit = W, vcov = "HC0")
  fit <- estimate_effect(d, care, bw, ~ age + imd + parity, method = "ipw", vcov = "robust",
                         disclosure = "none")
  expect_lt(rel(c(fit$groups$all$V), c(unname(stats::vcov(ref)))), 1e-6)
  sw <- estimate_effect(d, care, bw, ~ age + imd + parity, method = "ipw", disclosure = "none")
  expect_false(isTRUE(all.equal(sw$groups$all$V, fit$groups$all$V)))
})

test_that("autoplot() of a multi-category fit draws released counts per level", {
  skip_if_not_installed("ggplot2")
  d <- care4_data(2000, seed = 12)
  fit <- estimate_effect(d, care, preterm, ~ age + imd, method = "ipw")
  p <- ggplot2::autoplot(fit)
  expect_s3_class(p, "ggplot")
  expect_setequal(levels(p$data$level), c("none", "pcsp", "coc", "both"))
  # the counts drawn are released counts (rounded to the rule's base)
  expect_true(all(abs(p$data$height) %% 5 == 0, na.rm = TRUE))
})
