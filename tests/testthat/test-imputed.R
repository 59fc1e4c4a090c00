# Multiply imputed data: each function run on every completed data set and
# pooled by Rubin's rules. Expected values come from mice::pool.scalar() (and
# cobalt::bal.tab() for balance across imputations) on the per-imputation
# estimates and variances.

mi_data <- function(seed = 7, n = 1200, m = 5) {
  set.seed(seed)
  d <- data.frame(age = round(rnorm(n, 30, 5), 1),
                  imd = factor(sample(1:5, n, TRUE)),
                  eth = factor(sample(c("White", "Asian", "Black"), n, TRUE, c(0.6, 0.25, 0.15))))
  d$pcsp <- rbinom(n, 1, plogis(-1 + 0.05 * (d$age - 30) + 0.2 * as.integer(d$imd)))
  d$preterm <- rbinom(n, 1, plogis(-1.6 - 0.3 * d$pcsp + 0.1 * as.integer(d$imd) +
                                     0.4 * (d$eth == "Black")))
  d$preterm_eligible <- TRUE
  d$imd[runif(n) < 0.15] <- NA
  d$eth[runif(n) < plogis(-2 + 0.8 * d$preterm)] <- NA
  # preterm_eligible is constant: mice keeps it in the data, not as a predictor
  imp <- mice::mice(d, m = m, seed = seed, printFlag = FALSE)
  done <- lapply(seq_len(m), function(i) mice::complete(imp, i))
  list(d = d, imp = imp, done = done)
}

# the CI and p-value from the reference's pooled quantities
ref_interval <- function(ref, level = 0.95) {
  se <- sqrt(ref$t)
  crit <- stats::qt(1 - (1 - level) / 2, ref$df)
  c(low = ref$qbar - crit * se, high = ref$qbar + crit * se,
    p = 2 * stats::pt(-abs(ref$qbar / se), ref$df))
}

test_that("estimate_effect() on a mids object pools each contrast as mice::pool.scalar()", {
  needs_reference("mice")
  needs_reference("dplyr")  # mice::pool() summarises with dplyr
  withr::local_options(matequity.disclosure = "none")
  x <- mi_data()
  fit <- estimate_effect(x$imp, pcsp, preterm, ~ age + imd, method = "aipw")
  expect_s3_class(fit, "mq_effect_mi")
  per <- lapply(seq_len(x$imp$m), function(i)
    estimate_effect(mice::complete(x$imp, i), pcsp, preterm, ~ age + imd, method = "aipw"))
  p <- per[[1]]$groups[[1]]$p
  n <- nrow(x$d)
  tab <- tidy(fit)
  for (j in seq_along(coef(per[[1]]))) {
    q <- vapply(per, function(f) coef(f)[[j]], 0)
    u <- vapply(per, function(f) vcov(f)[j, j], 0)
    ref <- mice::pool.scalar(q, u, n = n, k = p)
    term <- names(coef(per[[1]]))[j]
    expect_equal(unname(coef(fit)[j]), ref$qbar, tolerance = 1e-12, info = term)
    expect_equal(fit$pooled$ubar[j], ref$ubar, tolerance = 1e-12, info = term)
    expect_equal(fit$pooled$b[j], ref$b, tolerance = 1e-12, info = term)
    expect_equal(fit$pooled$t[j], ref$t, tolerance = 1e-12, info = term)
    expect_equal(tab$df[j], ref$df, tolerance = 1e-10, info = term)
    expect_equal(tab$riv[j], ref$r, tolerance = 1e-10, info = term)
    expect_equal(tab$fmi[j], ref$fmi, tolerance = 1e-10, info = term)
    expect_equal(tab$std.error[j], sqrt(ref$t), tolerance = 1e-12, info = term)
    ci <- ref_interval(ref)
    ratio <- grepl("^log_", term)
    tr <- if (ratio) exp else identity
    expect_equal(tab$conf.low[j], tr(ci[["low"]]), tolerance = 1e-10, info = term)
    expect_equal(tab$conf.high[j], tr(ci[["high"]]), tolerance = 1e-10, info = term)
    expect_equal(tab$estimate[j], tr(ref$qbar), tolerance = 1e-12, info = term)
    if (!is.na(tab$p.value[j])) expect_equal(tab$p.value[j], ci[["p"]], tolerance = 1e-8)
  }
  expect_equal(diag(vcov(fit)), fit$pooled$t, ignore_attr = TRUE, tolerance = 1e-12)
  # mice::pool() on the same fits (through their tidy()): the terms on the
  # identity scale (tidy() gives ratios on the ratio scale, with log-scale SEs)
  mp <- mice::pool(mice::as.mira(per), dfcom = n - p)$pooled
  id <- tab$scale == "identity"
  expect_identical(as.character(mp$term[id]), tab$term[id])
  for (col in c("estimate", "ubar", "b", "t", "dfcom", "df", "riv", "lambda", "fmi")) {
    expect_equal(fit$pooled[[col]][id], mp[[col]][id], tolerance = 1e-12, info = col)
  }
  # another level: the same pooled quantities, intervals on qt(df)
  t90 <- tidy(fit, conf.level = 0.9)
  q <- vapply(per, function(f) coef(f)[["risk_difference"]], 0)
  u <- vapply(per, function(f) vcov(f)["risk_difference", "risk_difference"], 0)
  ci <- ref_interval(mice::pool.scalar(q, u, n = n, k = p), 0.9)
  expect_equal(t90$conf.low[t90$term == "risk_difference"], ci[["low"]], tolerance = 1e-10)
  # a list of completed data sets gives the same fit
  fit_l <- estimate_effect(lapply(seq_len(x$imp$m), function(i) mice::complete(x$imp, i)),
                           pcsp, preterm, ~ age + imd, method = "aipw")
  expect_equal(coef(fit_l), coef(fit), tolerance = 1e-14)
  expect_equal(tidy(fit_l)$df, tab$df, tolerance = 1e-14)
  g <- glance(fit)
  expect_identical(g$m, 5L)
  expect_equal(g$fmi, max(tab$fmi[!grepl("_(treated|control)$", tab$term)]))
  expect_equal(g$df, min(tab$df[!grepl("_(treated|control)$", tab$term)]))
  expect_equal(g$n_treated, round(mean(vapply(per, function(f) f$groups[[1]]$n_treated, 0))))
  expect_message(print(fit), "Pooled over 5 imputations")
})

test_that("subgroups (by) are pooled per group with their own dfcom", {
  needs_reference("mice")
  withr::local_options(matequity.disclosure = "none")
  x <- mi_data(seed = 8)
  fit <- estimate_effect(x$done, pcsp, preterm, ~ age + imd, method = "ipw", by = eth)
  per <- lapply(x$done, function(d) estimate_effect(d, pcsp, preterm, ~ age + imd,
                                                    method = "ipw", by = eth))
  j <- "Black:risk_difference"
  q <- vapply(per, function(f) coef(f)[[j]], 0)
  u <- vapply(per, function(f) vcov(f)[j, j], 0)
  # dfcom: the mean over imputations of the group's n - p (eth is imputed)
  nb <- mean(vapply(per, function(f) f$groups[["Black"]]$n, 0))
  ref <- mice::pool.scalar(q, u, n = nb, k = per[[1]]$groups[["Black"]]$p)
  tab <- tidy(fit)
  row <- tab$group == "Black" & tab$term == "risk_difference"
  expect_equal(tab$estimate[row], ref$qbar, tolerance = 1e-12)
  expect_equal(tab$df[row], ref$df, tolerance = 1e-10)
  expect_equal(tab$fmi[row], ref$fmi, tolerance = 1e-10)
  expect_identical(glance(fit)$group, c("Asian", "Black", "White"))
})

test_that("the model disclosure check must pass in every imputation", {
  needs_reference("mice")
  x <- mi_data(seed = 9)
  a <- x$done[[1]]
  b <- x$done[[2]]
  # in the second data set only 4 treated women have the outcome
  ev <- which(b$pcsp == 1 & b$preterm == 1)
  b$preterm[ev[-(1:4)]] <- 0
  fit <- estimate_effect(list(a, b), pcsp, preterm, ~ age + imd, method = "ipw",
                         disclosure = "nhse_sde")
  g <- glance(fit)
  expect_identical(g$disclosure_status, "fail")
  expect_match(g$disclosure_reason, "imputation 2")
  expect_true(all(is.na(tidy(fit)$estimate)))
  ok <- estimate_effect(list(a, a), pcsp, preterm, ~ age + imd, method = "ipw",
                        disclosure = "nhse_sde")
  expect_identical(glance(ok)$disclosure_status, "pass")
  expect_false(anyNA(tidy(ok)$estimate))
  # released counts: the rounded mean over imputations, to the rule's base 5
  fa <- estimate_effect(a, pcsp, preterm, ~ age + imd, method = "ipw", disclosure = "none")
  fb <- estimate_effect(b, pcsp, preterm, ~ age + imd, method = "ipw", disclosure = "none")
  m_n1 <- round(mean(c(glance(fa)$n_treated, glance(fb)$n_treated)))
  expect_equal(glance(fit)$n_treated, 5 * floor(m_n1 / 5 + 0.5))
})

test_that("balance() of a pooled fit is per imputation and averaged, as cobalt's across imputations", {
  needs_reference("mice")
  needs_reference("cobalt")
  withr::local_options(matequity.disclosure = "none")
  x <- mi_data(seed = 10)
  fit <- estimate_effect(x$imp, pcsp, preterm, ~ age + imd, method = "ipw")
  b <- balance(fit)
  expect_identical(unique(b$imputation), c(as.character(1:5), "mean"))
  stacked <- do.call(rbind, x$done)
  w <- unlist(lapply(fit$fits, `[[`, "weights"))
  ref <- cobalt::bal.tab(stacked[c("age", "imd")], treat = stacked$pcsp, weights = w,
                         imp = rep(1:5, each = nrow(x$d)), s.d.denom = "pooled",
                         binary = "raw", continuous = "std", un = TRUE, quick = FALSE,
                         stats = c("mean.diffs", "ks.statistics"))
  one <- ref$Imputation.Balance[[2]]$Balance
  b2 <- b[b$imputation == "2", ]
  expect_equal(b2$smd_adjusted, one$Diff.Adj, tolerance = 1e-10)
  across <- ref$Balance.Across.Imputations
  bm <- b[b$imputation == "mean", ]
  expect_equal(bm$smd_adjusted, across$Mean.Diff.Adj, tolerance = 1e-10)
  expect_equal(bm$smd_unadjusted, across$Mean.Diff.Un, tolerance = 1e-10)
  expect_equal(bm$ks_adjusted, across$Mean.KS.Adj, tolerance = 1e-10)
})

test_that("outcome_rates() pools proportions by Rubin's rules", {
  needs_reference("mice")
  x <- mi_data(seed = 11)
  r <- outcome_rates(x$done, preterm, by = eth, per = 100, disclosure = "none")
  for (g in levels(x$d$eth)) {
    ev <- vapply(x$done, function(d) sum(d$preterm[d$eth == g]), 0)
    nn <- vapply(x$done, function(d) sum(d$eth == g), 0)
    p <- ev / nn
    ref <- mice::pool.scalar(p, p * (1 - p) / nn, n = mean(nn), k = 1)
    row <- r[r$eth == g, ]
    # dfcom = n - 1 with n the mean group size
    expect_equal(row$rate, 100 * ref$qbar, tolerance = 1e-12)
    expect_equal(row$std.error, 100 * sqrt(ref$t), tolerance = 1e-12)
    expect_equal(row$df, ref$df, tolerance = 1e-10)
    expect_equal(row$fmi, ref$fmi, tolerance = 1e-10)
    ci <- ref_interval(ref)
    expect_equal(row$conf.low, 100 * ci[["low"]], tolerance = 1e-10)
    expect_equal(row$conf.high, 100 * ci[["high"]], tolerance = 1e-10)
    expect_equal(row$events, round(mean(ev)))
  }
  # under a rule: counts rounded means, suppressed when any imputation's is
  rr <- outcome_rates(x$done, preterm, by = eth, per = 100, disclosure = "nhse_sde")
  expect_true(all(rr$events %% 5 == 0))
  expect_s3_class(rr, "mq_sdc")
})

test_that("disparity() pools differences and log ratios by Rubin's rules", {
  needs_reference("mice")
  x <- mi_data(seed = 12)
  dd <- disparity(x$imp, preterm, eth, reference = "White", per = 100, disclosure = "none")
  for (g in c("Asian", "Black")) {
    stat <- vapply(x$done, function(d) {
      e1 <- sum(d$preterm[d$eth == g]); n1 <- sum(d$eth == g)
      e0 <- sum(d$preterm[d$eth == "White"]); n0 <- sum(d$eth == "White")
      p1 <- e1 / n1; p0 <- e0 / n0
      c(rd = p1 - p0, v_rd = p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0,
        lrr = log(p1 / p0), v_lrr = (1 - p1) / (n1 * p1) + (1 - p0) / (n0 * p0), n = n1 + n0)
    }, numeric(5))
    dfn <- mean(stat["n", ])
    rd <- mice::pool.scalar(stat["rd", ], stat["v_rd", ], n = dfn, k = 2)
    lrr <- mice::pool.scalar(stat["lrr", ], stat["v_lrr", ], n = dfn, k = 2)
    row_d <- dd[dd$group == g & dd$measure == "rate_difference", ]
    row_r <- dd[dd$group == g & dd$measure == "rate_ratio", ]
    expect_equal(row_d$estimate, 100 * rd$qbar, tolerance = 1e-10)
    expect_equal(row_d$std.error, 100 * sqrt(rd$t), tolerance = 1e-8)
    expect_equal(row_d$df, rd$df, tolerance = 1e-8)
    expect_equal(row_r$estimate, exp(lrr$qbar), tolerance = 1e-10)
    expect_equal(row_r$std.error, sqrt(lrr$t), tolerance = 1e-8)
    expect_equal(row_r$fmi, lrr$fmi, tolerance = 1e-8)
    ci <- ref_interval(lrr)
    expect_equal(row_r$conf.low, exp(ci[["low"]]), tolerance = 1e-8)
  }
})

test_that("inequality_index() and disparity_scenarios() pool their estimates", {
  needs_reference("mice")
  x <- mi_data(seed = 13)
  done <- lapply(x$done, function(d) {
    d$imd_decile <- as.integer(d$imd) * 2L
    d$imd_decile[seq(1, nrow(d), 2)] <- d$imd_decile[seq(1, nrow(d), 2)] - 1L
    d
  })
  ii <- inequality_index(done, preterm, rank = imd_decile, reps = 2000, seed = 1,
                         per = 100, disclosure = "none")
  per <- lapply(done, inequality_index, outcome = "preterm", rank = "imd_decile",
                reps = 2000, seed = 1, per = 100, disclosure = "none")
  sii <- vapply(per, function(t) t$estimate[t$term == "sii"], 0)
  se <- vapply(per, function(t) (t$conf.high - t$conf.low)[t$term == "sii"] / (2 * qnorm(0.975)), 0)
  ref <- mice::pool.scalar(sii, se^2)
  expect_equal(ii$estimate[ii$term == "sii"], ref$qbar, tolerance = 1e-12)
  expect_equal(ii$df[ii$term == "sii"], ref$df, tolerance = 1e-10)
  sc <- disparity_scenarios(done, preterm, eth, pcsp, reference = "White", allowable = ~ age,
                            scenarios = "equalised", disclosure = "none")
  per <- lapply(done, disparity_scenarios, outcome = "preterm", group = "eth",
                treatment = "pcsp", reference = "White", allowable = ~ age,
                scenarios = "equalised", disclosure = "none")
  pick <- function(t) t[t$group == "Black" & t$scenario == "equalised" &
                           t$term == "residual" & t$measure == "difference", ]
  q <- vapply(per, function(t) pick(t)$estimate, 0)
  u <- vapply(per, function(t) pick(t)$std.error^2, 0)
  nn <- mean(vapply(per, function(t) pick(t)$n + pick(t)$ref_n, 0))
  ref <- mice::pool.scalar(q, u, n = nn, k = 2)
  expect_equal(pick(sc)$estimate, ref$qbar, tolerance = 1e-12)
  expect_equal(pick(sc)$df, ref$df, tolerance = 1e-10)
  expect_equal(pick(sc)$fmi, ref$fmi, tolerance = 1e-10)
})

test_that("imputed input is checked", {
  needs_reference("mice")
  x <- mi_data(seed = 14, n = 300, m = 2)
  expect_error(estimate_effect(x$done[1], pcsp, preterm, ~ age), "at least 2 completed")
  bad <- x$done
  bad[[2]] <- bad[[2]][-1, ]
  expect_error(outcome_rates(bad, preterm), "same rows and columns")
})
