# The analytic bread of the stacked M-estimator, thread independence and the
# bootstrap.

# The engine spec of these calls: the package's builder, with the tight fit
# (epsilon 1e-12, 50 iterations) that the derivative check needs.
engine_spec <- function(method, estimand, binary, truncate = NULL, account_ps = TRUE,
                        nthreads = 1L, seed = NULL) {
  sp <- matequity:::effect_engine_spec(method, estimand, binary,
                                       if (account_ps) "sandwich" else "robust", nthreads,
                                       truncate = truncate, seed = seed)
  sp
}

num_bread <- function(X, Z, a, y, est, method, binary, truncate, account_ps) {
  sp <- engine_spec(method, est, binary, truncate, account_ps)
  sp$epsilon <- 1e-12
  sp$maxit <- 50L
  at <- function(th) matequity:::.cpp_stack_eval(X, Z, a, y, sp, th)
  s <- at(NULL)
  th <- s$theta
  num <- vapply(seq_along(th), function(j) {
    h <- 1e-5 * max(abs(th[j]), 1e-2)
    -(at(replace(th, j, th[j] + h))$psibar - at(replace(th, j, th[j] - h))$psibar) / (2 * h)
  }, numeric(length(th)))
  list(analytic = s$A, numeric = num, psibar = s$psibar)
}

test_that("the analytic bread matches central differences for every method and estimand", {
  d <- sim_effect_data(800, seed = 11)
  X <- stats::model.matrix(~ x1 + x2 + g, d)
  y_bin <- as.numeric(d$y)
  y_cont <- d$bw / 1000
  for (method in c("ipw", "gcomp", "aipw")) for (est in c("ATE", "ATT", "ATC", "ATO"))
    for (binary in c(TRUE, FALSE)) {
    y <- if (binary) y_bin else y_cont
    r <- num_bread(X, X, as.numeric(d$a), y, est, method, binary, NULL, TRUE)
    # Scale-free comparison: error relative to the largest entry of A.
    expect_lt(max(abs(r$numeric - r$analytic)) / max(abs(r$analytic)), 1e-7)
    # The estimating equations are solved at the fit.
    expect_lt(max(abs(r$psibar)), 1e-8)
  }
  # Truncated weights are fixed for the truncated units.
  r <- num_bread(X, X, as.numeric(d$a), y_bin, "ATE", "aipw", TRUE, 0.95, TRUE)
  expect_lt(max(abs(r$numeric - r$analytic)) / max(abs(r$analytic)), 1e-7)
})

test_that("results are identical for 1 and 2 threads", {
  d <- sim_effect_data(5000, seed = 4)
  for (m in c("ipw", "aipw", "tmle", "gcomp")) {
    f1 <- estimate_effect(d, a, y, ~ x1 + x2 + g, method = m, cluster = site, nthreads = 1)
    f2 <- estimate_effect(d, a, y, ~ x1 + x2 + g, method = m, cluster = site, nthreads = 2)
    expect_identical(coef(f1), coef(f2))
    expect_identical(vcov(f1), vcov(f2))
  }
  b1 <- estimate_effect(d, a, y, ~ x1 + x2, method = "aipw", vcov = "bootstrap", reps = 60,
                        seed = 42, nthreads = 1)
  b2 <- estimate_effect(d, a, y, ~ x1 + x2, method = "aipw", vcov = "bootstrap", reps = 60,
                        seed = 42, nthreads = 2)
  expect_identical(b1$groups$all$boot, b2$groups$all$boot)
  expect_identical(tidy(b1), tidy(b2))
  b3 <- estimate_effect(d, a, y, ~ x1 + x2, method = "aipw", vcov = "bootstrap", reps = 60,
                        seed = 43, nthreads = 2)
  expect_false(identical(b1$groups$all$boot, b3$groups$all$boot))
})

test_that("bootstrap replicates are refits on resamples and agree with the sandwich", {
  d <- sim_effect_data(2000, seed = 8)
  X <- stats::model.matrix(~ x1 + x2, d)
  # Replicates b0..b1 computed in two chunks equal one call.
  boot <- function(b0, b1, nthreads) {
    matequity:::.cpp_effect_boot(X, X, as.numeric(d$a), as.numeric(d$y), integer(),
                                 engine_spec("ipw", "ATE", TRUE, nthreads = nthreads, seed = 7),
                                 b0, b1, numeric(), numeric(), numeric())
  }
  full <- boot(0, 20, 2L)
  part <- rbind(boot(0, 9, 1L), boot(9, 20, 2L))
  expect_identical(attr(full, "reason"), rep(NA_character_, 20))
  attr(full, "reason") <- NULL
  expect_identical(full, part)
  # A replicate with all counts 1 would be the original fit: check the
  # estimator with case weights against an explicit resample instead.
  fit <- estimate_effect(d, a, y, ~ x1 + x2, method = "ipw")
  bt <- estimate_effect(d, a, y, ~ x1 + x2, method = "ipw", vcov = "bootstrap", reps = 400, seed = 3)
  se_s <- tidy(fit)$std.error[3]
  se_b <- tidy(bt)$std.error[3]
  expect_lt(abs(se_b / se_s - 1), 0.15)
  expect_identical(tidy(bt)$estimate, tidy(fit)$estimate)
})

test_that("case weights equal row replication (what the bootstrap relies on)", {
  d <- sim_effect_data(600, seed = 9)
  X <- stats::model.matrix(~ x1 + x2, d)
  cnt <- rep(c(0, 1, 2, 3), length.out = nrow(d))
  rows <- rep(seq_len(nrow(d)), cnt)
  ref <- estimate_effect(d[rows, ], a, y, ~ x1 + x2, method = "aipw")
  f <- matequity:::.cpp_logit_fit(X, as.numeric(d$a), cnt, rep(0, nrow(d)),
                                  matequity:::irls_control_spec(1L, epsilon = 1e-10, maxit = 100L))
  expect_lt(rel_diff(f$coefficients, ref$groups$all$ps_model$coefficients), 1e-8)
})

test_that("cluster bootstrap resamples whole clusters", {
  d <- sim_effect_data(1500, seed = 12)
  fit <- estimate_effect(d, a, y, ~ x1 + x2, method = "ipw", cluster = site, vcov = "bootstrap",
                         reps = 50, seed = 1)
  expect_identical(dim(fit$groups$all$boot), c(50L, 2L))
  expect_identical(glance(fit)$n_clusters, 30L)
})

test_that("warm-started replicates equal cold-started ones, for every method", {
  d <- sim_effect_data(1500, seed = 21)
  X <- stats::model.matrix(~ x1 + x2 + g, d)
  a <- as.numeric(d$a)
  for (m in c("ipw", "gcomp", "aipw", "tmle")) {
    for (yname in c("y", "bw")) {
      y <- as.numeric(d[[yname]])
      binary <- yname == "y"
      fit <- estimate_effect(d, a, !!rlang::sym(yname), ~ x1 + x2 + g, method = m)
      res <- fit$groups$all
      st <- matequity:::boot_starts(list(ps_model = res$ps_model, outcome_model = res$outcome_model),
                                    binary)
      sp1 <- engine_spec(m, "ATE", binary, nthreads = 1L, seed = 11)
      sp2 <- engine_spec(m, "ATE", binary, nthreads = 2L, seed = 11)
      cold <- matequity:::.cpp_effect_boot(X, X, a, y, integer(), sp1, 0, 8,
                                           numeric(), numeric(), numeric())
      warm1 <- matequity:::.cpp_effect_boot(X, X, a, y, integer(), sp1, 0, 8,
                                            st$ps, st$out1, st$out0)
      warm2 <- matequity:::.cpp_effect_boot(X, X, a, y, integer(), sp2, 0, 8,
                                            st$ps, st$out1, st$out0)
      expect_identical(warm1, warm2)
      expect_true(all(is.finite(warm1)))
      expect_lt(rel_diff(warm1, cold), 1e-8)
    }
  }
})

test_that("bootstrap replicates that cannot be fitted are left out with their reason", {
  # two treated units in 16: a replicate draws neither with probability
  # (14/16)^16 = 0.118, and then has no treated arm
  set.seed(1)
  d <- data.frame(a = c(1, 1, rep(0, 14)), y = c(1, 0, rbinom(14, 1, 0.4)), x = rnorm(16))
  w <- NULL
  fit <- withCallingHandlers(
    estimate_effect(d, a, y, ~ x, method = "ipw", vcov = "bootstrap", reps = 200, seed = 1,
                    disclosure = "none"),
    matequity_bootstrap_failures = function(cnd) {
      w <<- cnd
      invokeRestart("muffleWarning")
    },
    # the replicates drawing only the treated unit with y = 0 have risk 0
    matequity_bootstrap_infinite = function(cnd) invokeRestart("muffleWarning"))
  expect_s3_class(w, "matequity_bootstrap_failures")
  msg <- cli::ansi_strip(conditionMessage(w))
  expect_match(msg, "an arm has no rows in the replicate")
  k <- as.integer(sub(" of 200.*", "", msg))
  # about 0.118 of 200 (binomial SD 4.6)
  expect_gt(k, 23.6 - 4 * 4.6)
  expect_lt(k, 23.6 + 4 * 4.6)
  expect_match(msg, sprintf("(%d)", k), fixed = TRUE)
  expect_match(msg, if (k == 1) "replicate could not" else "replicates could not")
  expect_match(msg, if (k == 1) " is left out" else " are left out")
  td <- tidy(fit)
  expect_true(is.finite(td$std.error[td$term == "risk_difference"]))
})

test_that("a bootstrap replicate with no events in an arm leaves the ratio SEs NA, not NaN", {
  # 15 treated women, one event among them: about a third of resamples
  # draw none of it, where the log risk ratio is -Inf
  set.seed(4)
  d <- data.frame(a = rep(c(1L, 0L), c(15, 185)), x = stats::rnorm(200))
  d$y <- c(1, rep(0, 14), stats::rbinom(185, 1, 0.3))
  expect_warning(
    f <- estimate_effect(d, a, y, ~ x, method = "ipw", vcov = "bootstrap", reps = 200,
                         seed = 1, disclosure = "none"),
    class = "matequity_bootstrap_infinite")
  tt <- generics::tidy(f)
  b <- f$groups$all$boot
  b <- b[stats::complete.cases(b), , drop = FALSE]
  zero <- sum(b[, 1] == 0)
  expect_gt(zero, 20)
  expect_true(is.na(tt$std.error[tt$term == "risk_ratio"]) && !is.nan(tt$std.error[tt$term == "risk_ratio"]))
  expect_true(is.na(tt$std.error[tt$term == "odds_ratio"]))
  # the difference is finite in every replicate: its SE is the replicates' SD
  expect_equal(unname(tt$std.error[tt$term == "risk_difference"]), stats::sd(b[, 1] - b[, 2]),
               tolerance = 1e-12)
  # the ratio's percentile interval is read off the replicates, -Inf included
  expect_equal(unname(tt$conf.low[tt$term == "risk_ratio"]),
               exp(unname(stats::quantile(log(b[, 1] / b[, 2]), 0.025))))
})
