# disparity_scenarios(): worked example by hand, a plain-R stacked
# M-estimation reference with numerical derivatives, estimate_effect() as the
# reference for within-group effects, bootstrap, threads and bad input.

theta_of <- function(sc) attr(sc, "scenario_info")$theta
pick <- function(sc, scen, term = "disparity", measure = "difference", group = NULL) {
  r <- sc[sc$scenario == scen & sc$term == term & sc$measure == measure, ]
  if (!is.null(group)) r <- r[r$group == group, ]
  r
}

test_that("worked example: saturated models reproduce the hand-computed g-formula", {
  old <- options(matequity.irls_epsilon = 1e-15)  # converge fully to the saturated MLE
  on.exit(options(old))
  d <- scen_worked()
  # Hand calculation (cells from scen_cells()):
  # Neither: young A0 20/200 = .10, A1 3/50 = .06; old A0 24/150 = .16, A1 8/100 = .08
  # Core20:  young A0 45/300 = .15, A1 12/150 = .08; old A0 20/100 = .20, A1 6/50 = .12
  # reference uptake given stratum: pi(young) = 50/250 = .2, pi(old) = 100/250 = .4
  # Core20 stratum shares: young 450/600 = .75, old .25
  # equalised risk in Core20 = .75 (.2 * .08 + .8 * .15) + .25 (.4 * .12 + .6 * .20) = .144
  # observed risks: Core20 83/600, Neither 55/500 = .11
  mu_c <- 83 / 600
  mu_n <- 0.11
  eq <- 0.75 * (0.2 * 0.08 + 0.8 * 0.15) + 0.25 * (0.4 * 0.12 + 0.6 * 0.20)
  expect_equal(eq, 0.144)
  # everyone on / off: Core20 .75 * .08 + .25 * .12 = .09 and .75 * .15 + .25 * .20 = .1625;
  # Neither (strata 250/250): .5 * .06 + .5 * .08 = .07 and .5 * .10 + .5 * .16 = .13
  on_c <- 0.75 * 0.08 + 0.25 * 0.12
  off_c <- 0.75 * 0.15 + 0.25 * 0.20
  on_n <- 0.5 * 0.06 + 0.5 * 0.08
  off_n <- 0.5 * 0.10 + 0.5 * 0.16
  # target .75 in Core20 (uptake p = 200/600): risk = mu + (.75 - p) * ATC, ATC among the
  # 400 untreated: strata young 300, old 100 -> .75 (.08 - .15) + .25 (.12 - .20) = -.0725
  p_c <- 200 / 600
  atc_c <- 0.75 * (0.08 - 0.15) + 0.25 * (0.12 - 0.20)
  tgt_c <- mu_c + (0.75 - p_c) * atc_c
  # decomposition (Yu and Elwert): uptake Neither 150/500 = .3
  p_n <- 0.3
  ate_c <- on_c - off_c
  ate_n <- on_n - off_n
  base <- off_c - off_n
  prev <- (p_c - p_n) * ate_n
  eff <- p_c * (ate_c - ate_n)
  sel <- (mu_c - mu_n) - base - prev - eff
  for (m in c("gcomp", "weighting")) {
    sc <- disparity_scenarios(d, preterm, grp, coc, allowable = ~ stratum, method = m,
                              disclosure = "none")
    tol <- 1e-9
    expect_equal(pick(sc, "observed")$estimate, mu_c - mu_n, tolerance = tol)
    expect_equal(pick(sc, "observed", measure = "ratio")$estimate, mu_c / mu_n, tolerance = tol)
    expect_equal(pick(sc, "equalised", "residual")$estimate, eq - mu_n, tolerance = tol)
    expect_equal(pick(sc, "equalised", "residual", "ratio")$estimate, eq / mu_n, tolerance = tol)
    expect_equal(pick(sc, "equalised", "reduction")$estimate, mu_c - eq, tolerance = tol)
    expect_equal(pick(sc, "universal_on")$estimate, on_c - on_n, tolerance = tol)
    expect_equal(pick(sc, "universal_off")$estimate, off_c - off_n, tolerance = tol)
    expect_equal(pick(sc, "target")$estimate, tgt_c - mu_n, tolerance = tol)
    expect_equal(pick(sc, "decomposition", "baseline")$estimate, base, tolerance = tol)
    expect_equal(pick(sc, "decomposition", "prevalence")$estimate, prev, tolerance = tol)
    expect_equal(pick(sc, "decomposition", "effect")$estimate, eff, tolerance = tol)
    expect_equal(pick(sc, "decomposition", "selection")$estimate, sel, tolerance = tol)
    # the observed difference has the binomial standard error
    expect_equal(pick(sc, "observed")$std.error,
                 sqrt(mu_c * (1 - mu_c) / 600 + mu_n * (1 - mu_n) / 500), tolerance = 1e-9)
  }
})

test_that("target uptake already reached leaves the group unchanged; per scales differences", {
  d <- scen_worked()
  sc <- disparity_scenarios(d, preterm, grp, coc, allowable = ~ stratum, target_uptake = 0.2,
                            disclosure = "none", per = 1000)
  expect_equal(pick(sc, "target")$estimate, pick(sc, "observed")$estimate, tolerance = 1e-12)
  expect_equal(pick(sc, "observed")$estimate, 1000 * (83 / 600 - 0.11), tolerance = 1e-9)
})

# Plain-R stacked M-estimation: Theta = (model coefficients, functionals),
# psi_i(Theta) estimating functions, V = A^-1 B A^-T / n with A from central
# differences of the mean estimating function.
ref_stack_vcov <- function(Theta, psi_fun, n) {
  Psi <- psi_fun(Theta)
  B <- crossprod(Psi) / n
  A <- vapply(seq_along(Theta), function(j) {
    h <- 1e-6 * max(1, abs(Theta[j]))
    tp <- Theta; tm <- Theta
    tp[j] <- tp[j] + h; tm[j] <- tm[j] - h
    (colMeans(psi_fun(tp)) - colMeans(psi_fun(tm))) / (2 * h)
  }, numeric(length(Theta)))
  Ai <- solve(A)
  Ai %*% B %*% t(Ai) / n
}

ref_scenarios <- function(d, t = 0.75, weighting = FALSE) {
  lev <- sort(unique(d$grp))
  ref <- "Neither"
  Z <- model.matrix(~ age + parity + imd, d)
  L <- model.matrix(~ age + parity, d)
  a <- as.numeric(d$coc)
  y <- as.numeric(d$preterm)
  n <- nrow(d)
  gi <- lapply(lev, function(g) d$grp == g)
  fitm <- function(X, resp, w) suppressWarnings(
    stats::glm.fit(X, resp, weights = w, family = stats::binomial(),
                   control = stats::glm.control(epsilon = 1e-12, maxit = 100))$coefficients)
  alpha <- fitm(L, a, as.numeric(d$grp == ref))
  coefs <- list()
  for (k in seq_along(lev)) {
    if (weighting) {
      coefs[[length(coefs) + 1L]] <- fitm(Z, a, as.numeric(gi[[k]]))
    } else {
      coefs[[length(coefs) + 1L]] <- fitm(Z, y, as.numeric(gi[[k]] & a == 1))
      coefs[[length(coefs) + 1L]] <- fitm(Z, y, as.numeric(gi[[k]] & a == 0))
    }
  }
  q <- ncol(Z)
  nm <- length(coefs)
  K <- length(lev)
  # functionals per group: mu, p, psi1, psi0, eq, nu1, nu0 (weighting) or atc (gcomp), tgt
  nf <- 8L
  est_theta <- function() {
    pi <- plogis(drop(L %*% alpha))
    out <- c()
    for (k in seq_len(K)) {
      g <- gi[[k]]
      mu <- mean(y[g]); p <- mean(a[g])
      if (weighting) {
        e <- plogis(drop(Z %*% coefs[[k]]))
        psi1 <- sum((a * y / e)[g]) / sum((a / e)[g])
        psi0 <- sum(((1 - a) * y / (1 - e))[g]) / sum(((1 - a) / (1 - e))[g])
        W <- ifelse(a == 1, pi / e, (1 - pi) / (1 - e))
        eq <- sum((W * y)[g]) / sum(W[g])
        wc <- (1 - e) / e
        f6 <- sum((a * wc * y)[g]) / sum((a * wc)[g])
        f7 <- mean(y[g & a == 0])
        atc <- f6 - f7
      } else {
        m1 <- plogis(drop(Z %*% coefs[[2 * k - 1]]))
        m0 <- plogis(drop(Z %*% coefs[[2 * k]]))
        psi1 <- mean(m1[g]); psi0 <- mean(m0[g])
        eq <- mean((pi * m1 + (1 - pi) * m0)[g])
        f6 <- mean((m1 - m0)[g & a == 0]); f7 <- 0
        atc <- f6
      }
      tgt <- if (lev[k] != ref) mu + max(0, t - p) * atc else mu
      out <- c(out, mu, p, psi1, psi0, eq, f6, f7, tgt)
    }
    out
  }
  Theta <- c(unlist(coefs), alpha, est_theta())
  psi_fun <- function(Th) {
    off <- 0
    cf <- lapply(seq_len(nm), function(j) Th[off + (j - 1) * q + seq_len(q)])
    off <- nm * q
    al <- Th[off + seq_len(ncol(L))]
    off <- off + ncol(L)
    pi <- plogis(drop(L %*% al))
    cols <- list()
    for (k in seq_len(K)) {
      g <- as.numeric(gi[[k]])
      if (weighting) {
        e <- plogis(drop(Z %*% cf[[k]]))
        cols[[length(cols) + 1L]] <- g * (a - e) * Z
      } else {
        m1 <- plogis(drop(Z %*% cf[[2 * k - 1]])); m0 <- plogis(drop(Z %*% cf[[2 * k]]))
        cols[[length(cols) + 1L]] <- g * a * (y - m1) * Z
        cols[[length(cols) + 1L]] <- g * (1 - a) * (y - m0) * Z
      }
    }
    cols[[length(cols) + 1L]] <- as.numeric(d$grp == ref) * (a - pi) * L
    for (k in seq_len(K)) {
      g <- as.numeric(gi[[k]])
      th <- Th[off + (k - 1) * nf + seq_len(nf)]
      if (weighting) {
        e <- plogis(drop(Z %*% cf[[k]]))
        W <- ifelse(a == 1, pi / e, (1 - pi) / (1 - e))
        s6 <- g * a * (1 - e) / e * (y - th[6])
        s7 <- g * (1 - a) * (y - th[7])
        s3 <- g * a / e * (y - th[3]); s4 <- g * (1 - a) / (1 - e) * (y - th[4])
        s5 <- g * W * (y - th[5])
        atc <- th[6] - th[7]
      } else {
        m1 <- plogis(drop(Z %*% cf[[2 * k - 1]])); m0 <- plogis(drop(Z %*% cf[[2 * k]]))
        s3 <- g * (m1 - th[3]); s4 <- g * (m0 - th[4])
        s5 <- g * (pi * m1 + (1 - pi) * m0 - th[5])
        s6 <- g * (1 - a) * (m1 - m0 - th[6]); s7 <- rep(th[7], n)
        atc <- th[6]
      }
      s8 <- rep(th[8] - (if (lev[k] != ref) th[1] + max(0, t - th[2]) * atc else th[1]), n)
      cols[[length(cols) + 1L]] <- cbind(g * (y - th[1]), g * (a - th[2]), s3, s4, s5, s6, s7, s8)
    }
    do.call(cbind, cols)
  }
  V <- ref_stack_vcov(Theta, psi_fun, n)
  fidx <- length(Theta) - K * nf + as.vector(outer(c(1:5, 8), (seq_len(K) - 1) * nf, "+"))
  list(theta = Theta[fidx], V = V[fidx, fidx])
}

test_that("influence-function covariance equals a plain-R stacked M-estimation sandwich", {
  d <- scen_sim()
  for (w in c(FALSE, TRUE)) {
    sc <- disparity_scenarios(d, preterm, grp, coc, covariates = ~ imd, disclosure = "none",
                              method = if (w) "weighting" else "gcomp")
    ref <- ref_scenarios(d, weighting = w)
    info <- attr(sc, "scenario_info")
    expect_equal(as.vector(info$theta), unname(ref$theta), tolerance = 1e-7)
    expect_equal(unname(info$theta_vcov), unname(ref$V), tolerance = 1e-5)
  }
})

test_that("within-group effects agree with estimate_effect() (g-computation and IPW)", {
  d <- scen_sim()
  for (m in c("gcomp", "weighting")) {
    sc <- disparity_scenarios(d, preterm, grp, coc, covariates = ~ imd, disclosure = "none",
                              method = m)
    info <- attr(sc, "scenario_info")
    th <- info$theta
    V <- info$theta_vcov
    for (k in seq_len(ncol(th))) {
      sub <- d[d$grp == colnames(th)[k], ]
      ee <- estimate_effect(sub, coc, preterm, ~ age + parity + imd,
                            method = if (m == "gcomp") "gcomp" else "ipw", vcov = "sandwich")
      rd <- tidy(ee)[tidy(ee)$term == "risk_difference", ]
      i1 <- (k - 1) * 6 + 3
      expect_equal(th["risk_all_on", k] - th["risk_all_off", k], rd$estimate, tolerance = 1e-8)
      se <- sqrt(V[i1, i1] + V[i1 + 1, i1 + 1] - 2 * V[i1, i1 + 1])
      expect_equal(se, rd$std.error, tolerance = 1e-6)
      # target: risk = observed + (t - p) * ATC, ATC from estimate_effect(estimand = "ATC")
      ea <- estimate_effect(sub, coc, preterm, ~ age + parity + imd, estimand = "ATC",
                            method = if (m == "gcomp") "gcomp" else "ipw", vcov = "sandwich")
      atc <- tidy(ea)$estimate[tidy(ea)$term == "risk_difference"]
      p <- mean(sub$coc)
      expected <- mean(sub$preterm) + if (colnames(th)[k] != "Neither") max(0, 0.75 - p) * atc else 0
      expect_equal(th["risk_target", k], expected, tolerance = 1e-8)
    }
  }
})

test_that("bootstrap: same replicates for 1 and 2 threads, SEs close to the influence SEs", {
  skip_on_cran()
  d <- scen_sim(n = 2500)
  b1 <- disparity_scenarios(d, preterm, grp, coc, covariates = ~ imd, vcov = "bootstrap",
                            reps = 300, seed = 42, nthreads = 1, disclosure = "none")
  b2 <- disparity_scenarios(d, preterm, grp, coc, covariates = ~ imd, vcov = "bootstrap",
                            reps = 300, seed = 42, nthreads = 2, disclosure = "none")
  expect_identical(attr(b1, "scenario_info")$boot, attr(b2, "scenario_info")$boot)
  expect_identical(b1$std.error, b2$std.error)
  inf <- disparity_scenarios(d, preterm, grp, coc, covariates = ~ imd, disclosure = "none")
  expect_identical(inf$estimate, b1$estimate)
  ratio <- b1$std.error / inf$std.error
  expect_true(all(ratio > 0.8 & ratio < 1.25), info = paste(round(ratio, 2), collapse = " "))
  # replicate means are near the estimates
  th <- attr(b1, "scenario_info")$theta
  bm <- colMeans(attr(b1, "scenario_info")$boot)
  expect_lt(max(abs(bm - as.vector(th))), 0.01)
})

test_that("estimates do not depend on the thread count or on row order", {
  d <- scen_sim(n = 1500)
  a1 <- withr_threads(1, disparity_scenarios(d, preterm, grp, coc, disclosure = "none"))
  a2 <- withr_threads(2, disparity_scenarios(d, preterm, grp, coc, disclosure = "none"))
  expect_identical(a1$estimate, a2$estimate)
  expect_identical(a1$std.error, a2$std.error)
  set.seed(3)
  a3 <- disparity_scenarios(d[sample(nrow(d)), ], preterm, grp, coc, disclosure = "none")
  expect_equal(a3$estimate, a1$estimate, tolerance = 1e-8)
  expect_equal(a3$std.error, a1$std.error, tolerance = 1e-8)
})

test_that("works on a cohort-like tibble built from simulate_msds()", {
  skip_on_cran()
  x <- simulate_msds(4000, seed = 5)
  co <- scen_from_sim(x)
  sc <- disparity_scenarios(co, preterm, core20plus_group, coc_placed,
                            covariates = ~ imd_decile + ltc + csf + pcsp, disclosure = "none")
  expect_s3_class(sc, "mq_scenarios")
  expect_setequal(unique(sc$group), c("Core20 and PLUS", "Core20 only", "PLUS only"))
  expect_identical(unique(sc$reference), "Neither")
  g <- glance(sc)
  expect_equal(sum(g$n), sum(co$preterm_eligible & !is.na(co$coc_placed)))
  expect_true(all(g$targeted == (g$group != "Neither")))
  tid <- tidy(sc)
  expect_false(inherits(tid, "mq_scenarios"))
  expect_output(print(sc), "Reference: Neither")
  needs_reference("ggplot2")
  expect_s3_class(ggplot2::autoplot(sc), "ggplot")
})

test_that("disclosure control suppresses small groups", {
  d <- scen_worked()
  d <- rbind(d, data.frame(stratum = "young", coc = c(TRUE, FALSE, TRUE), grp = "Tiny",
                           preterm = c(TRUE, FALSE, FALSE), preterm_eligible = TRUE))
  expect_warning(sc <- disparity_scenarios(d, preterm, grp, coc, allowable = ~ stratum,
                                           disclosure = "nhse_sde"), "not estimated")
  tiny <- sc[sc$group == "Tiny", ]
  expect_true(all(is.na(tiny$n)))
  expect_true(all(is.na(tiny$estimate)))
})

test_that("bad input gives clear errors and warnings", {
  d <- scen_worked()
  expect_error(disparity_scenarios(d, preterm, grp, coc, reference = "Nobody",
                                   allowable = ~ stratum, disclosure = "none"),
               "must be one value")
  d2 <- d
  d2$preterm_eligible[d2$grp == "Neither"] <- FALSE
  d2$grp <- factor(d2$grp, levels = c("Neither", "Core20"))
  expect_error(disparity_scenarios(d2, preterm, grp, coc, allowable = ~ stratum,
                                   disclosure = "none"),
               "has no women eligible")
  d3 <- d
  d3$preterm[d3$grp == "Core20"] <- FALSE
  expect_warning(sc <- disparity_scenarios(d3, preterm, grp, coc, allowable = ~ stratum,
                                           disclosure = "none"),
                 "no events in group")
  expect_identical(unique(sc$scenario), "observed")
  expect_equal(pick(sc, "observed")$estimate, -0.11, tolerance = 1e-12)
  d4 <- d
  d4$preterm_eligible <- NULL
  expect_error(disparity_scenarios(d4, preterm, grp, coc, allowable = ~ stratum),
               "no eligibility column")
  d5 <- d
  d5$coc <- ifelse(d5$coc, "Y", "N")
  expect_error(disparity_scenarios(d5, preterm, grp, coc, allowable = ~ stratum,
                                   disclosure = "none"),
               "must be binary")
  d6 <- d
  d6$coc <- sample(0:2, nrow(d6), TRUE)
  expect_error(disparity_scenarios(d6, preterm, grp, coc, allowable = ~ stratum,
                                   disclosure = "none"),
               "must be binary")
  d7 <- d
  d7$coc[d7$grp == "Neither"] <- FALSE
  expect_error(disparity_scenarios(d7, preterm, grp, coc, allowable = ~ stratum,
                                   disclosure = "none"),
               "does not vary")
  d8 <- d
  d8$coc[1:5] <- NA
  expect_warning(disparity_scenarios(d8, preterm, grp, coc, allowable = ~ stratum,
                                     disclosure = "none"),
                 "5 eligible rows with missing care model")
  expect_error(disparity_scenarios(d, preterm, grp, coc, allowable = ~ stratum,
                                   target_groups = "Elsewhere", disclosure = "none"),
               "target_groups")
})

test_that("agreement with cdgd's parametric decomposition (saturated models)", {
  needs_reference("cdgd")
  d <- scen_worked()
  d$G <- as.numeric(d$grp == "Core20")
  d$D <- as.numeric(d$coc)
  d$Y <- as.numeric(d$preterm)
  d$s <- as.numeric(d$stratum == "old")
  d$Gs <- d$G * d$s   # makes cdgd's D*G + D*X outcome model and G + X treatment model saturated
  res <- cdgd::cdgd0_pa(Y = "Y", D = "D", G = "G", X = c("s", "Gs"), data = d)$results
  sc <- disparity_scenarios(d, preterm, grp, coc, allowable = ~ stratum, disclosure = "none")
  for (tm in c("baseline", "prevalence", "effect", "selection")) {
    expect_equal(pick(sc, "decomposition", tm)$estimate, res[tm, "point"], tolerance = 1e-8)
    expect_equal(pick(sc, "decomposition", tm)$std.error, res[tm, "se"], tolerance = 0.05)
  }
})

test_that("agreement with cfdecomp's Monte Carlo g-formula (equalised uptake)", {
  needs_reference("cfdecomp")
  skip_on_cran()
  d <- scen_worked()
  d$grp <- factor(d$grp, levels = c("Neither", "Core20"))
  d$coc01 <- as.numeric(d$coc)
  d$y01 <- as.numeric(d$preterm)
  set.seed(1)
  cf <- cfdecomp::cfd.mean(formula.y = "y01 ~ grp * coc01 * stratum",
                           formula.m = "coc01 ~ grp * stratum", mediator = "coc01",
                           group = "grp", data = d, family.y = "binomial",
                           family.m = "binomial", bs.size = 50, mc.size = 50)
  sc <- disparity_scenarios(d, preterm, grp, coc, allowable = ~ stratum, disclosure = "none")
  eq <- theta_of(sc)["risk_equalised", "Core20"]
  expect_equal(mean(cf$out_cf_y[, 2]), eq, tolerance = 0.05)
})

test_that("agreement with causal.decomp's single-mediator imputation (equalised uptake)", {
  needs_reference("causal.decomp")
  skip_on_cran()
  # causal.decomp::smi() with conditional = TRUE reports each group's risk at
  # the centred allowable covariate (the intercept of a linear regression on
  # it), which is the group's marginal risk when every group has the same
  # share of each stratum: here half of each group is "old". Its mediator is
  # imputed by random draws, so the data are repeated 40 times to make the
  # imputation error small (about 4e-4); the models are saturated (per group
  # and care model in the stratum), so repetition does not change the fits.
  cells <- expand.grid(stratum = c("young", "old"), coc = c(FALSE, TRUE),
                       grp = c("Neither", "Core20"), stringsAsFactors = FALSE)
  cells$n <- c(200, 150, 50, 100, 150, 200, 100, 50)
  cells$events <- c(20, 24, 3, 8, 24, 40, 7, 6)
  d <- scen_worked(cells)
  sc <- disparity_scenarios(d, preterm, grp, coc, allowable = ~ stratum, disclosure = "none")
  # Hand calculation: reference uptake 50/250 (young), 100/250 (old); Core20
  # risks young 24/150 (off), 7/100 (on); old 40/200 (off), 6/50 (on).
  eq_hand <- 0.5 * (0.2 * 7 / 100 + 0.8 * 24 / 150) + 0.5 * (0.4 * 6 / 50 + 0.6 * 40 / 200)
  obs_ref <- (20 + 24 + 3 + 8) / 500
  expect_equal(pick(sc, "equalised", "residual")$estimate, eq_hand - obs_ref, tolerance = 1e-10)

  big <- d[rep(seq_len(nrow(d)), 40), ]
  big$R <- factor(big$grp, levels = c("Neither", "Core20"))
  big$M <- factor(as.integer(big$coc))
  big$Y <- as.numeric(big$preterm)
  big$C <- as.numeric(big$stratum == "old") - 0.5
  fit_m <- stats::glm(M ~ R * C, family = stats::binomial(), data = big)
  fit_y <- stats::glm(Y ~ R * M * C, family = stats::binomial(), data = big)
  res <- suppressMessages(causal.decomp::smi(fit.m = fit_m, fit.y = fit_y, group = "R",
                                             covariates = "C", sims = 2, seed = 1))$result
  expect_equal(res[1, "estimate"], pick(sc, "observed")$estimate, tolerance = 1e-8)
  # imputation Monte Carlo SE about 4e-4: allow 4 SEs
  expect_lt(abs(res[2, "estimate"] - pick(sc, "equalised", "residual")$estimate), 1.6e-3)
  expect_lt(abs(res[3, "estimate"] - pick(sc, "equalised", "reduction")$estimate), 1.6e-3)
  expect_equal(res[2, "estimate"] + res[3, "estimate"], res[1, "estimate"], tolerance = 1e-10)
})

# Empty cells: a scenario predicting for women in covariate cells that the
# model it predicts from has no women in.
scen_cells_data <- function(cells) {
  d <- do.call(rbind, lapply(seq_len(nrow(cells)), function(i) {
    data.frame(stratum = cells$stratum[i], par = cells$par[i], coc = cells$coc[i],
               grp = cells$grp[i],
               preterm = rep(c(TRUE, FALSE), c(cells$events[i], cells$n[i] - cells$events[i])))
  }))
  d$preterm_eligible <- TRUE
  d
}

test_that("no empty cells: no notes, nothing flagged", {
  d <- scen_worked()
  expect_no_warning(sc <- disparity_scenarios(d, preterm, grp, coc, allowable = ~ stratum,
                                              disclosure = "none"))
  expect_true(all(is.na(sc$note)))
  g <- glance(sc)
  expect_false(any(g$extrapolated))
  expect_true(all(g$estimated))
})

test_that("a cell empty in one arm (levels present) is flagged as an extrapolation", {
  old <- options(matequity.irls_epsilon = 1e-15)
  on.exit(options(old))
  cells <- expand.grid(stratum = c("young", "old"), par = c("0", "1+"), coc = c(FALSE, TRUE),
                       grp = c("Neither", "Core20"), stringsAsFactors = FALSE)
  set.seed(1)
  cells$n <- sample(60:120, nrow(cells), TRUE)
  cells$events <- round(cells$n * runif(nrow(cells), 0.08, 0.2))
  # Core20 women on the care model: none who are old with parity 1+
  empty <- cells$grp == "Core20" & cells$coc & cells$stratum == "old" & cells$par == "1+"
  cells <- cells[!empty, ]
  d <- scen_cells_data(cells)
  expect_warning(sc <- disparity_scenarios(d, preterm, grp, coc, allowable = ~ stratum,
                                           covariates = ~ par, disclosure = "none"),
                 "no women in the model")
  on <- pick(sc, "universal_on", group = "Core20")
  expect_match(on$note, "model-based extrapolation")
  expect_match(on$note, "on the care model in group Core20")
  expect_match(on$note, "stratum x par")
  # the estimate is the main-effects logistic model's prediction (glm)
  c20 <- d[d$grp == "Core20", ]
  g1 <- stats::glm(preterm ~ stratum + par, binomial(), c20[c20$coc, ],
                   control = stats::glm.control(epsilon = 1e-14, maxit = 100))
  expect_equal(on$risk, mean(stats::predict(g1, c20, type = "response")), tolerance = 1e-9)
  # rows not resting on that model carry no note
  expect_true(is.na(pick(sc, "universal_off", group = "Core20")$note))
  expect_true(is.na(pick(sc, "observed", group = "Core20")$note))
  expect_match(pick(sc, "equalised", "residual", group = "Core20")$note, "extrapolation")
  g <- glance(sc)
  expect_identical(g$extrapolated[g$group == "Core20"], TRUE)
  expect_identical(g$estimated[g$group == "Core20"], TRUE)
  expect_identical(g$extrapolated[g$group == "Neither"], FALSE)
})

test_that("a covariate level absent from a model's data makes its estimates NA", {
  d <- scen_worked()
  # Core20 women aged "mid", none of them on the care model
  set.seed(2)
  extra <- data.frame(stratum = "mid", coc = FALSE, grp = "Core20",
                      preterm = runif(80) < 0.15, preterm_eligible = TRUE)
  extra_ref <- data.frame(stratum = "mid", coc = rep(c(TRUE, FALSE), 40), grp = "Neither",
                          preterm = runif(80) < 0.12, preterm_eligible = TRUE)
  d2 <- rbind(d, extra, extra_ref)
  expect_warning(sc <- disparity_scenarios(d2, preterm, grp, coc, allowable = ~ stratum,
                                           disclosure = "none"),
                 "no women in the model")
  on <- pick(sc, "universal_on", group = "Core20")
  expect_true(is.na(on$estimate) && is.na(on$std.error) && is.na(on$risk))
  expect_match(on$note, "not estimable")
  expect_match(on$note, "no women with a level of stratum")
  for (sc_term in list(c("equalised", "residual"), c("target", "disparity"),
                       c("decomposition", "effect"))) {
    expect_true(is.na(pick(sc, sc_term[1], sc_term[2], group = "Core20")$estimate))
  }
  # the control arm's model has every level: universal_off is estimated, as glm gives it
  off <- pick(sc, "universal_off", group = "Core20")
  expect_true(is.na(off$note))
  c20 <- d2[d2$grp == "Core20", ]
  g0 <- stats::glm(preterm ~ stratum, binomial(), c20[!c20$coc, ],
                   control = stats::glm.control(epsilon = 1e-14, maxit = 100))
  expect_equal(off$risk, mean(stats::predict(g0, c20, type = "response")), tolerance = 1e-7)
  expect_false(is.na(pick(sc, "observed", group = "Core20")$estimate))
  g <- glance(sc)
  expect_identical(g$estimated[g$group == "Core20"], FALSE)
})

test_that("an allowable level absent from the reference group leaves the equalised scenario NA", {
  d <- scen_worked()
  set.seed(3)
  extra <- data.frame(stratum = "mid", coc = rep(c(TRUE, FALSE), 50), grp = "Core20",
                      preterm = runif(100) < 0.15, preterm_eligible = TRUE)
  d2 <- rbind(d, extra)
  expect_warning(sc <- disparity_scenarios(d2, preterm, grp, coc, allowable = ~ stratum,
                                           disclosure = "none"),
                 "uptake model")
  eq <- pick(sc, "equalised", "residual", group = "Core20")
  expect_true(is.na(eq$estimate))
  expect_match(eq$note, "uptake model \\(reference group Neither\\)")
  expect_true(is.na(pick(sc, "equalised", "reduction", group = "Core20")$estimate))
  # universal scenarios need no uptake model
  expect_false(is.na(pick(sc, "universal_on", group = "Core20")$estimate))
  expect_true(is.na(pick(sc, "universal_on", group = "Core20")$note))
})

test_that("tidy() honours conf.level (influence and bootstrap) under the table's rule", {
  d <- scen_sim(2000, seed = 4)
  for (v in c("sandwich", "bootstrap")) for (rule in c("none", "nhse_sde")) {
    a <- suppressWarnings(disparity_scenarios(d, preterm, grp, coc, vcov = v, reps = 40, seed = 9,
                                              disclosure = rule))
    b <- suppressWarnings(disparity_scenarios(d, preterm, grp, coc, vcov = v, reps = 40, seed = 9,
                                              disclosure = rule, conf_level = 0.8))
    expect_identical(tidy(a, conf.level = 0.8), tidy(b))
    expect_identical(tidy(b, conf.level = 0.95), tidy(a))
  }
  expect_false("conf.high" %in% names(tidy(a, conf.int = FALSE)))
  expect_error(tidy(a, conf.level = 1.2), "conf.level")
})

test_that("calendar years as a covariate: g-computation risks as glm() predicts them", {
  old <- options(matequity.irls_epsilon = 1e-14)
  on.exit(options(old))
  d <- scen_sim(3000, seed = 8)
  d$year <- sample(2019:2025, nrow(d), TRUE)
  sc <- disparity_scenarios(d, preterm, grp, coc, allowable = ~ age, covariates = ~ year,
                            disclosure = "none")
  for (g in c("Core20", "PLUS")) {
    dg <- d[d$grp == g, ]
    on <- stats::glm(preterm ~ age + year, binomial(), dg[dg$coc, ],
                     control = stats::glm.control(epsilon = 1e-14, maxit = 100))
    expect_equal(pick(sc, "universal_on", group = g)$risk,
                 mean(stats::predict(on, dg, type = "response")), tolerance = 1e-9)
  }
  expect_true(all(is.finite(sc$std.error[!is.na(sc$estimate)])))
})

test_that("a bootstrap replicate with a zero risk gives the ratio no SE, with a note", {
  set.seed(8)
  d <- data.frame(grp = rep(c("Neither", "PLUS"), c(370, 30)),
                  coc = c(stats::rbinom(370, 1, 0.5) == 1, rep(c(TRUE, FALSE), 15)),
                  preterm_eligible = TRUE)
  # two events in PLUS, one in each arm
  d$preterm <- c(stats::rbinom(370, 1, 0.3) == 1, c(TRUE, TRUE, rep(FALSE, 28)))
  sc <- suppressWarnings(disparity_scenarios(d, preterm, grp, coc, allowable = NULL,
                                             disclosure = "none", vcov = "bootstrap",
                                             reps = 200, seed = 2))
  obs <- sc[sc$group == "PLUS" & sc$scenario == "observed" & sc$term == "disparity", ]
  ratio <- obs[obs$measure == "ratio", ]
  diff <- obs[obs$measure == "difference", ]
  expect_true(is.na(ratio$std.error) && !is.nan(ratio$std.error))
  expect_match(ratio$note, "bootstrap SE undefined: [0-9]+ replicates with a zero risk")
  # a resample draws neither event with probability (28/30)^30 = 0.126
  k <- as.integer(sub(".*undefined: ([0-9]+) .*", "\\1", ratio$note))
  expect_gt(k, 200 * 0.126 - 4 * 4.7)
  expect_lt(k, 200 * 0.126 + 4 * 4.7)
  expect_true(is.finite(diff$std.error))
  expect_true(is.na(diff$note))
})

test_that("the engine's scenario spec is checked field by field, by name", {
  set.seed(3)
  n <- 200
  g <- rep(0:1, each = n / 2)
  a <- as.numeric(stats::rbinom(n, 1, 0.4 + 0.2 * g))
  y <- as.numeric(stats::rbinom(n, 1, 0.2))
  Z <- matrix(1, n, 1L)
  sp <- matequity:::scenario_engine_spec(2L, 0L, c(0L, 1L), 0.75, FALSE, 1L, seed = 5)
  fit <- matequity:::.cpp_scenarios_fit(Z, Z, a, y, g, rep(1, n), sp, FALSE)
  expect_length(fit$theta, 12L)
  for (f in c("n_groups", "ref", "target", "target_uptake", "weighting", "epsilon", "maxit")) {
    expect_error(matequity:::.cpp_scenarios_fit(Z, Z, a, y, g, rep(1, n), sp[names(sp) != f], FALSE),
                 paste0("engine spec has no field '", f, "'"), fixed = TRUE)
  }
  for (f in c("nthreads", "seed")) {
    expect_error(matequity:::.cpp_scenarios_boot(Z, Z, a, y, g, seq_len(n), sp[names(sp) != f], 0, 2),
                 paste0("engine spec has no field '", f, "'"), fixed = TRUE)
  }
  expect_error(matequity:::.cpp_scenarios_fit(Z, Z, a, y, g, rep(1, n),
                                              utils::modifyList(sp, list(weighting = "yes")), FALSE),
               "field 'weighting' must be TRUE or FALSE", fixed = TRUE)
  expect_error(matequity:::.cpp_scenarios_fit(Z, Z, a, y, g, rep(1, n),
                                              utils::modifyList(sp, list(target = 1L)), FALSE),
               "field 'target' must have length 2", fixed = TRUE)
  expect_error(matequity:::.cpp_scenarios_boot(Z, Z, a, y, g, seq_len(n),
                                               utils::modifyList(sp, list(seed = NA_real_)), 0, 2),
               "field 'seed' must be a non-negative number", fixed = TRUE)
})
