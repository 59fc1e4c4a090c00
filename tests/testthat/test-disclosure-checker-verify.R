# The checker verifies what it passes (issue 14, item 6, and "every output
# of make demo passes the check without hand review wherever the counts
# allow"): suppressed tables pass only when their secondary suppression
# checks out again from the table's own margins, every numeric column is
# accounted for (counts, derived columns, estimates, keys), and the outputs
# that are not counts (balance tables, model estimates, E-values, the SII)
# carry their rule. Hand-made tables with the true counts written out.

test_that("a by= table whose suppression checks out passes; undoing a secondary suppression fails", {
  # Two units, three ethnic groups; the units' totals are published
  # elsewhere (by = unit). True counts: U1 40, 4, 30; U2 50, 20, 25.
  tab <- tibble::tibble(unit = rep(c("U1", "U2"), each = 3),
                        eth = rep(c("A", "B", "C"), 2),
                        n = c(40, 4, 30, 50, 20, 25))
  safe <- apply_disclosure(tab, n, by = unit, disclosure = "nhse_sde")
  # the 4 is suppressed, and U1's next smallest (30) with it
  expect_identical(safe$n, c(40, NA, NA, 50, 20, 25))
  chk <- disclosure_check(safe = safe, disclosure = "nhse_sde")
  expect_identical(chk$status, "pass")
  expect_match(chk$reason, "no suppressed cell recoverable by subtraction within the 2 sets")
  # put the 30 back (rounded, flagged as if rounded): U1's total less 40
  # and 30 gives the 4 back, and the checker says so
  tampered <- safe
  tampered$n[3] <- 30
  tampered$n_sdc[3] <- "rounded to 5"
  chk <- disclosure_check(tampered = tampered, disclosure = "nhse_sde")
  expect_identical(chk$status, "fail")
  expect_match(chk$reason, "n: 1 suppressed cell recoverable by subtraction")
})

test_that("margins are verified along every cross-classifying column", {
  # A 2 x 3 table (unit by group) whose margins are both published: the
  # row and column sums are known, so one suppressed cell needs three more.
  tab <- tibble::tibble(unit = rep(c("U1", "U2"), each = 3),
                        grp = rep(c("A", "B", "C"), 2),
                        n = c(40, 3, 35, 60, 45, 50))
  safe <- apply_disclosure(tab, n, margins = c(unit, grp), disclosure = "nhse_sde")
  expect_identical(sum(is.na(safe$n)), 4L)
  expect_identical(disclosure_check(safe = safe, disclosure = "nhse_sde")$status, "pass")
  # releasing U2/B again (45 -> 45) leaves column B with one suppressed cell
  tampered <- safe
  i <- which(tab$unit == "U2" & tab$grp == "B")
  tampered$n[i] <- 45
  tampered$n_sdc[i] <- "rounded to 5"
  chk <- disclosure_check(tampered = tampered, disclosure = "nhse_sde")
  expect_identical(chk$status, "fail")
})

test_that("a suppressed table whose rows were changed after disclosure is for review", {
  tab <- tibble::tibble(unit = rep(c("U1", "U2"), each = 3),
                        eth = rep(c("A", "B", "C"), 2),
                        n = c(40, 4, 30, 50, 20, 25))
  safe <- apply_disclosure(tab, n, by = unit, disclosure = "nhse_sde")
  # dropping a row: the stored margins no longer describe the table
  dropped <- safe[-6, ]
  chk <- disclosure_check(dropped = dropped, disclosure = "nhse_sde")
  expect_identical(chk$status, "review")
  expect_match(chk$reason, "margins are not known to the checker")
})

test_that("a single suppressed cell is for review: the grand total may be published", {
  # No margins declared: 40 + 4 + 25, whose total (the cohort size, 69)
  # a reader may well know, gives the 4 back.
  one <- apply_disclosure(tibble::tibble(g = c("A", "B", "C"), n = c(40, 4, 25)), n,
                          disclosure = "nhse_sde")
  chk <- disclosure_check(one = one, disclosure = "nhse_sde")
  expect_identical(chk$status, "review")
  expect_match(chk$reason, "one suppressed cell in n")
  # two suppressed cells (4 and 6) leave a pair that the total cannot split
  two <- apply_disclosure(tibble::tibble(g = c("A", "B", "C"), n = c(40, 4, 6)), n,
                          disclosure = "nhse_sde")
  expect_identical(disclosure_check(two = two, disclosure = "nhse_sde")$status, "pass")
})

test_that("keys are released as they are and accounted for; a key cannot be a statistic", {
  tab <- tibble::tibble(year = c(2021, 2022), per = 1000, events = c(12, 40), n = c(300, 410))
  rel <- apply_disclosure(tab, c(events, n), derived = list(rate = ~ per * events / n),
                          keys = per, margins = year, disclosure = "nhse_sde")
  expect_identical(rel$per, c(1000, 1000))
  expect_identical(rel$year, c(2021, 2022))
  log <- attr(rel, "sdc_log")
  expect_setequal(log$column[grepl("^key", log$action)], c("per", "year"))
  expect_identical(disclosure_check(rel = rel, disclosure = "nhse_sde")$status, "pass")
  # without the key the multiplier is a number the checker cannot place
  nokey <- apply_disclosure(tab, c(events, n), derived = list(rate = ~ per * events / n),
                            margins = year, disclosure = "nhse_sde")
  chk <- disclosure_check(nokey = nokey, disclosure = "nhse_sde")
  expect_identical(chk$status, "review")
  expect_match(chk$reason, "numeric column per not accounted for")
  expect_error(apply_disclosure(tab, c(events, n), keys = n), "must not be count")
})

test_that("balance statistics of a binary term with a small cell are suppressed; the rest to 3 significant figures", {
  # 3 of 200 treated smoke: the raw difference in proportions (and the KS
  # statistic, the same number) with the arm sizes would give the 3 back.
  set.seed(3)
  d <- data.frame(a = rep(c(1, 0), c(200, 300)), age = round(stats::rnorm(500, 30, 5), 1))
  d$smoker <- c(rep(1, 3), rep(0, 197), rep(c(1, 0), c(60, 240)))
  d$w <- 1
  rel <- balance_table(d, a, c(age, smoker), weights = "w", disclosure = "nhse_sde")
  exact <- balance_table(d, a, c(age, smoker), weights = "w", disclosure = "none")
  expect_true(all(is.na(unlist(rel[rel$term == "smoker", c("smd_unadjusted", "ks_unadjusted", "smd_adjusted")]))))
  # by hand: 3/200 - 60/300
  expect_equal(exact$smd_unadjusted[exact$term == "smoker"], 3 / 200 - 60 / 300, tolerance = 1e-12)
  expect_identical(rel$smd_unadjusted[rel$term == "age"], signif(exact$smd_unadjusted[exact$term == "age"], 3))
  chk <- disclosure_check(rel = rel, disclosure = "nhse_sde")
  expect_identical(chk$status, "pass")
  expect_match(chk$reason, "suppressed: a binary term with a count under 10")
})

test_that("tidy() suppresses the estimates of a subgroup whose model fails its disclosure check", {
  # group "b" has 6 treated units: its cells are under 10
  set.seed(11)
  n_a <- 400
  d <- data.frame(g = rep(c("a", "b"), c(n_a, 60)), x = stats::rnorm(n_a + 60))
  d$t <- c(stats::rbinom(n_a, 1, 0.4), rep(c(1, 0), c(6, 54)))
  d$y <- stats::rbinom(nrow(d), 1, 0.3)
  fit <- suppressWarnings(estimate_effect(d, t, y, ~ x, method = "ipw", by = g,
                                          disclosure = "nhse_sde"))
  tt <- tidy(fit)
  expect_true(all(is.na(tt$estimate[tt$group == "b"])))
  expect_false(anyNA(tt$estimate[tt$group == "a"]))
  # what is released for "a" is what was estimated
  expect_identical(tt$estimate[tt$group == "a"], fit$estimates$estimate[fit$estimates$group == "a"])
  printed <- paste(capture.output(print(fit)), collapse = "\n")
  b_rd <- fit$estimates$estimate[fit$estimates$group == "b" & fit$estimates$term == "risk_difference"]
  expect_false(grepl(format(signif(b_rd, 3)), printed, fixed = TRUE))
  chk <- disclosure_check(tt = tt, disclosure = "nhse_sde")
  expect_identical(chk$status, "pass")
})

test_that("the outputs of the demo analysis pass the check without hand review", {
  needs_reference("ggplot2")
  rule <- disclosure_rule("nhse_sde")
  msds <- as_msds(msds_example, quiet = TRUE)
  cohort <- suppressMessages(define_cohort(msds, period = c("2019-04-01", "2025-12-31"),
                                           require_birth = TRUE))
  cohort <- suppressMessages(add_outcomes(add_care_model(cohort, msds), msds))
  an <- cohort[cohort$coc_eligible %in% TRUE & cohort$preterm_eligible %in% TRUE &
                 !is.na(cohort$imd_decile), ]
  an$coc <- as.integer(an$coc_placed)
  an$preterm01 <- as.integer(an$preterm)
  fit <- estimate_effect(an, coc, preterm01, ~ age + nulliparous + core20 + plus_ltc,
                         method = "ipw", disclosure = rule)
  bal <- balance(fit)
  uptake <- care_model_trend(cohort[!is.na(cohort$coc_placed), ], coc_placed,
                             by = core20plus, disclosure = rule)
  outputs <- list(
    flow = cohort_flow(cohort, disclosure = rule),
    dq = data_quality(msds, disclosure = rule),
    rates = outcome_rates(cohort, preterm, by = core20plus_group, disclosure = rule),
    disp = disparity(cohort, preterm, core20plus_group, reference = "Neither", disclosure = rule),
    sii = inequality_index(cohort, preterm, rank = imd_decile, seed = 1, disclosure = rule),
    uptake = uptake, fit = fit, effects = tidy(fit), balance = bal, evalue = evalue(fit),
    overlap = ggplot2::autoplot(fit), love = ggplot2::autoplot(bal),
    uptake_plot = ggplot2::autoplot(uptake))
  chk <- do.call(disclosure_check, c(outputs, list(disclosure = rule)))
  expect_identical(chk$status[chk$status != "pass"], character(),
                   label = paste(chk$output[chk$status != "pass"], collapse = ", "))
})
