# Attacks on the output checker (issue 14, item 6, and the release log of
# item 2). Each test tries to get a disclosive output past disclosure_check()
# or export_outputs(), on small hand-made data whose true counts are known,
# and asserts that it is caught.

# apply_disclosure() with the rule given whatever its argument is called
# (`rule` before issue 14, `disclosure` after).
disclose <- function(data, counts, rule, ...) {
  if ("disclosure" %in% names(formals(apply_disclosure))) {
    apply_disclosure(data, counts = counts, disclosure = rule, ...)
  } else {
    apply_disclosure(data, counts = counts, rule = rule, ...)
  }
}

# A fresh, empty folder for one export.
export_dir <- function(name) {
  dir <- file.path(tempdir(), paste0("mq-attack-", name))
  unlink(dir, recursive = TRUE)
  dir
}

written <- function(dir) {
  if (dir.exists(dir)) list.files(dir) else character()
}

# Release log of the session: empty before and after each test that exports.
fresh_log <- function(env = parent.frame()) {
  if (exists("release_log", envir = asNamespace("matequity"))) {
    matequity::release_log(reset = TRUE)
    withr::defer(matequity::release_log(reset = TRUE), envir = env)
  }
}

test_that("counts put back to their exact values after disclosure are caught", {
  # True counts 40, 12, 37: released (nhse_sde) as 40, 10, 35.
  tab <- tibble::tibble(unit = c("U1", "U2", "U3"), n = c(40, 12, 37))
  safe <- disclose(tab, "n", "nhse_sde")
  expect_identical(disclosure_check(safe = safe)$status, "pass")
  tampered <- safe
  tampered$n <- tab$n
  chk <- disclosure_check(tampered = tampered)
  expect_identical(chk$status, "fail")
  expect_match(chk$reason, "n: 2 counts not a multiple of 5")
})

test_that("a table disclosed under a weaker rule fails a stricter check", {
  # ACRO does not round: 12 and 37 are released as they are.
  tab <- tibble::tibble(unit = c("U1", "U2", "U3"), n = c(12, 37, 140))
  acro <- disclose(tab, "n", "acro")
  expect_identical(acro$n, c(12, 37, 140))
  chk <- disclosure_check(acro = acro)
  expect_identical(chk$status, "fail")
  expect_match(chk$reason, "weaker rule")
  expect_match(chk$reason, "not rounded")
  # OpenSAFELY's threshold is 8: a true 8 is released as 10, which the NHS
  # England SDE rule (suppress under 10) would have suppressed.
  loose <- disclose(tibble::tibble(unit = c("U1", "U2"), n = c(8, 40)), "n",
                    "opensafely")
  expect_identical(loose$n, c(10, 40))
  chk <- disclosure_check(loose = loose)
  expect_identical(chk$status, "fail")
  expect_match(chk$reason, "threshold 8 < 10")
})

test_that("count columns added after disclosure are caught", {
  tab <- tibble::tibble(unit = c("U1", "U2", "U3"), n = c(40, 15, 35))
  safe <- disclose(tab, "n", "nhse_sde")
  expect_identical(disclosure_check(safe = safe)$status, "pass")
  # Exact counts under a count-like name, not small ...
  more <- safe
  more$n_women <- c(52, 14, 38)
  chk <- disclosure_check(more = more)
  expect_identical(chk$status, "fail")
  expect_match(chk$reason, "n_women")
  expect_match(chk$reason, "no n_women_sdc flag")
  # ... and small.
  small <- safe
  small$count_stillbirths <- c(3, 0, 2)
  chk <- disclosure_check(small = small)
  expect_identical(chk$status, "fail")
  expect_match(chk$reason, "count_stillbirths: .*3 counts under 10 released")
})

test_that("a rate added after disclosure is not passed unread", {
  # 12 of 137 released as 10 of 135; a rate at full precision from the exact
  # counts, added afterwards, solves back to 12/137.
  tab <- tibble::tibble(group = c("A", "B"), events = c(12, 40), n = c(137, 250))
  safe <- disclose(tab, c("events", "n"), "nhse_sde")
  expect_identical(disclosure_check(safe = safe)$status, "pass")
  safe$rate <- 100 * tab$events / tab$n
  chk <- disclosure_check(safe = safe)
  expect_false(chk$status == "pass")
  expect_match(chk$reason, "numeric column rate not accounted for")
})

test_that("export_outputs refuses tables made with disclosure control off or raw small counts", {
  fresh_log()
  tab <- tibble::tibble(unit = c("U1", "U2", "U3"), n = c(40, 4, 25))
  off <- disclose(tab, "n", "none")
  dir <- export_dir("off")
  expect_error(suppressWarnings(export_outputs(off = off, dir = dir)), "off")
  expect_identical(written(dir), character())
  dir <- export_dir("raw")
  expect_error(suppressWarnings(export_outputs(raw = tab, dir = dir)), "raw")
  expect_identical(written(dir), character())
  # Nothing at all is written when one of several outputs fails.
  safe <- disclose(tab, "n", "nhse_sde")
  dir <- export_dir("mixed")
  expect_error(suppressWarnings(export_outputs(safe = safe, off = off, dir = dir)),
               "fail")
  expect_identical(written(dir), character())
})

test_that("a misplaced or unknown argument is never written out as a file", {
  fresh_log()
  safe <- disclose(tibble::tibble(unit = c("U1", "U2"), n = c(40, 25)), "n",
                   "nhse_sde")
  # The rule is `disclosure`: the old name `rule` is not an output.
  dir <- export_dir("rule")
  expect_error(export_outputs(safe = safe, dir = dir, rule = "acro"),
               "looks like an argument")
  expect_identical(written(dir), character())
  expect_error(disclosure_check(safe = safe, rule = "acro"),
               "looks like an argument")
  # `disclosure` is the rule, not an output called "disclosure".
  dir <- export_dir("disclosure")
  suppressMessages(export_outputs(safe = safe, dir = dir, disclosure = "acro"))
  expect_false(any(grepl("^disclosure\\.", written(dir))))
  # Bare strings and numbers are not outputs: a note with an exact count.
  dir <- export_dir("note")
  expect_error(export_outputs(safe = safe, note = "7 women at unit U3", dir = dir),
               "not an output")
  expect_identical(written(dir), character())
  expect_error(export_outputs(safe = safe, n_total = 7, dir = dir), "not an output")
  expect_identical(written(dir), character())
})

test_that("every group of a by= model is checked", {
  # Group a passes; group b has 5 treated events (true count).
  set.seed(11)
  na <- 600
  nb <- 120
  d <- data.frame(g = rep(c("a", "b"), c(na, nb)), x = rnorm(na + nb))
  d$a <- rbinom(na + nb, 1, ifelse(d$g == "a", plogis(d$x), plogis(-2.2 + 0.3 * d$x)))
  d$y <- rbinom(na + nb, 1, ifelse(d$g == "a", 0.4, 0.35))
  fit <- suppressWarnings(estimate_effect(d, a, y, ~ x, method = "ipw", by = g))
  expect_identical(sum(d$y[d$g == "b" & d$a == 1L]), 5L)
  chk <- disclosure_check(fit = fit)
  expect_identical(chk$status, "fail")
  expect_match(chk$reason, "group b: .*treated_events")
  # Any fit whose glance() reports a check per row: every row is read.
  obj <- structure(list(), class = "mq_attack_fit")
  registerS3method("glance", "mq_attack_fit", function(x, ...) {
    tibble::tibble(group = c("a", "b"), nobs = c(500, 40),
                   disclosure_status = c("pass", "fail"),
                   disclosure_reason = c("all cells >= 10", "1 cell count under 10"))
  }, envir = asNamespace("generics"))
  chk <- disclosure_check(obj = obj)
  expect_identical(chk$status, "fail")
  expect_match(chk$reason, "b: 1 cell count under 10")
})

test_that("matching is checked on the matched pairs, not on all units", {
  # 800 units, 340 treated, but a caliper leaves 6 matched pairs.
  set.seed(3)
  n <- 800
  d <- data.frame(x = rnorm(n))
  d$a <- rbinom(n, 1, plogis(-0.5 + 1.5 * d$x))
  d$y <- rbinom(n, 1, 0.4)
  fit <- suppressWarnings(estimate_effect(d, a, y, ~ x, method = "matching",
                                          estimand = "ATT", caliper = 0.00006))
  f <- fit$groups[[1]]
  expect_identical(unname(f$matched$n_matched), c(6L, 6L))
  expect_identical(f$n_treated, 340L)
  chk <- disclosure_check(matched = fit)
  expect_identical(chk$status, "fail")
  expect_match(chk$reason, "matched_treated")
})

test_that("weighting is checked on the effective sample sizes", {
  # 189 treated with 76 events, but one treated woman far out in the
  # covariate gets weight ~350: the treated arm's effective size is about 7.
  set.seed(5)
  n <- 600
  x <- rnorm(n)
  a <- rbinom(n, 1, plogis(-1 - 1.5 * x))
  x[1] <- 3.6
  a[1] <- 1
  d <- data.frame(x = x, a = a, y = rbinom(n, 1, 0.4))
  fit <- suppressWarnings(estimate_effect(d, a, y, ~ x, method = "ipw"))
  f <- fit$groups[[1]]
  expect_lt(f$ess_treated, 10)
  expect_gt(f$n_treated, 100)
  chk <- disclosure_check(weighted = fit)
  expect_identical(chk$status, "fail")
  expect_match(chk$reason, "effective sample size under 10: treated")
})

test_that("a plot drawn from individual records is checked through what it counts", {
  needs_reference("ggplot2")
  fresh_log()
  # 40 women aged 30 and one each aged 41 and 44: the histogram's bars of 1
  # show them.
  ages <- data.frame(age = c(rep(30, 40), 41, 44))
  p <- ggplot2::ggplot(ages, ggplot2::aes(age)) +
    ggplot2::geom_histogram(binwidth = 1)
  chk <- disclosure_check(p = p)
  expect_identical(chk$status, "fail")
  expect_match(chk$reason, "count: .*under 10")
  dir <- export_dir("plot")
  expect_error(suppressWarnings(export_outputs(p = p, dir = dir)), "fail")
  expect_identical(written(dir), character())
})

# Stillbirths and births by ethnic group at three units. U1 has 2, 2 and 0
# stillbirths in the three groups.
unit_counts <- function() {
  tibble::tibble(
    unit = rep(c("U1", "U2", "U3"), each = 3),
    ethnic_group = rep(c("White", "Asian", "Black"), 3),
    births = c(110, 75, 30, 700, 450, 220, 400, 295, 150),
    stillbirths = c(2, 2, 0, 30, 20, 12, 20, 15, 8))
}
by_group <- function(d) {
  g <- unique(d$ethnic_group)
  tibble::tibble(ethnic_group = g,
                 births = vapply(g, function(x) sum(d$births[d$ethnic_group == x]), 0),
                 stillbirths = vapply(g, function(x) sum(d$stillbirths[d$ethnic_group == x]), 0))
}

test_that("all units and all but one unit: the unit's counts by subtraction", {
  withr::local_options(matequity.disclosure = "acro")
  fresh_log()
  d <- unit_counts()
  all <- disclose(by_group(d), c("births", "stillbirths"), "acro")
  but_u1 <- disclose(by_group(d[d$unit != "U1", ]), c("births", "stillbirths"), "acro")
  # Each passes alone; together they give U1's 2, 2 and 0 back exactly.
  expect_identical(disclosure_check(all = all)$status, "pass")
  expect_identical(disclosure_check(but_u1 = but_u1)$status, "pass")
  expect_identical(all$stillbirths - but_u1$stillbirths, c(2, 2, 0))
  chk <- disclosure_check(all = all, but_u1 = but_u1)
  expect_identical(chk$status, c("fail", "fail"))
  expect_match(chk$reason[1], "differencing with but_u1")
  expect_match(chk$reason[2], "stillbirths for ethnic_group = White")
  # Exported one after the other in the same session: the second is refused.
  d1 <- export_dir("all")
  d2 <- export_dir("but-u1")
  suppressMessages(export_outputs(all = all, dir = d1))
  expect_error(export_outputs(but_u1 = but_u1, dir = d2), "differencing with all")
  expect_identical(written(d2), character())
})

test_that("all units and all but one unit, rounded to 5: a window narrower than the threshold", {
  fresh_log()
  # U1 has 2 stillbirths in each of White and Asian, 0 in Black: every rounded
  # stillbirth count is the same with and without U1, so U1 had fewer than 5
  # in each group.
  all <- tibble::tibble(ethnic_group = c("White", "Asian", "Black"),
                        births = c(1210, 820, 400), stillbirths = c(52, 37, 20))
  but_u1 <- tibble::tibble(ethnic_group = c("White", "Asian", "Black"),
                           births = c(1100, 745, 370), stillbirths = c(50, 35, 20))
  all <- disclose(all, c("births", "stillbirths"), "nhse_sde")
  but_u1 <- disclose(but_u1, c("births", "stillbirths"), "nhse_sde")
  expect_identical(all$stillbirths, but_u1$stillbirths)
  chk <- disclosure_check(all = all, but_u1 = but_u1)
  expect_identical(chk$status, c("fail", "fail"))
  # (0 to 4: 5 possible values)
  expect_match(chk$reason[1], "stillbirths for ethnic_group = White can be narrowed to 5 possible values")
})

test_that("a table and its total give a suppressed cell back", {
  withr::local_options(matequity.disclosure = "acro")
  fresh_log()
  d <- unit_counts()
  # The Black group at U3 has 8 stillbirths (suppressed) and at U1 0
  # (suppressed); 12 at U2 ... but U1 White (2) and Asian (2) are the only
  # suppressed cells of their groups: the total by group gives them back.
  cells <- disclose(d, c("births", "stillbirths"), "acro")
  expect_identical(is.na(cells$stillbirths),
                   c(TRUE, TRUE, TRUE, FALSE, FALSE, FALSE, FALSE, FALSE, TRUE))
  totals <- disclose(by_group(d), c("births", "stillbirths"), "acro")
  chk <- disclosure_check(cells = cells, totals = totals)
  expect_identical(chk$status, c("fail", "fail"))
  expect_match(chk$reason[1], "stillbirths for unit = U1, ethnic_group = White can be recovered exactly")
  expect_match(chk$reason[1], "unit = U1, ethnic_group = Asian")
  # Black: two suppressed cells (0 and 8) in the group: not recovered one by one.
  expect_no_match(chk$reason[1], "ethnic_group = Black")
  # The same with rounding to 5: U1 Asian 3, U2 Asian 40, total 43 (released
  # 45): the cell lies in 1..9 (45 - 40 give or take the rounding).
  two <- tibble::tibble(unit = c("U1", "U2"), ethnic_group = "Asian",
                        stillbirths = c(3, 40))
  withr::local_options(matequity.disclosure = "nhse_sde")
  cells <- disclose(two, "stillbirths", "nhse_sde")
  total <- disclose(tibble::tibble(ethnic_group = "Asian", stillbirths = 43),
                    "stillbirths", "nhse_sde")
  chk <- disclosure_check(cells = cells, total = total)
  expect_identical(chk$status, c("fail", "fail"))
  expect_match(chk$reason[1], "unit = U1 can be narrowed to 9 possible values")
})

test_that("a later export cannot be checked against a weaker rule", {
  fresh_log()
  # Released rounded to 5 (12 shown as 10), then the same table exact under
  # ACRO's rule (no rounding) gives the 12 back.
  tab <- tibble::tibble(unit = c("U1", "U2", "U3"), n = c(40, 12, 37))
  d1 <- export_dir("rounded")
  d2 <- export_dir("exact")
  suppressMessages(export_outputs(rounded = disclose(tab, "n", "nhse_sde"), dir = d1))
  expect_error(export_outputs(exact = disclose(tab, "n", "acro"), dir = d2,
                              disclosure = "acro"),
               "weaker than the rule earlier outputs in this session were checked against")
  expect_identical(written(d2), character())
})

test_that("counts written as text are still counts", {
  # A CSV writes "12" as it writes 12.
  tab <- tibble::tibble(unit = c("U1", "U2", "U3"), n = c(40, 12, 37))
  safe <- disclose(tab, "n", "nhse_sde")
  as_text <- safe
  as_text$n <- as.character(tab$n)
  chk <- disclosure_check(as_text = as_text)
  expect_identical(chk$status, "fail")
  expect_match(chk$reason, "n: 2 counts not a multiple of 5")
  extra <- safe
  extra$n_women <- c("52", "4", "38")
  chk <- disclosure_check(extra = extra)
  expect_identical(chk$status, "fail")
  expect_match(chk$reason, "n_women: count-like column with no n_women_sdc flag.*under 10 released")
  raw <- data.frame(unit = c("U1", "U2"), births = c("4", "40"))
  expect_identical(disclosure_check(raw = raw)$status, "fail")
})

test_that("a margin with a cell the table has no rows for still gives a suppressed cell back", {
  fresh_log()
  # Totals by group for C, A and B; cells by group and sex for A and B only
  # (a disparity table leaves out its reference group). A's total 100 and
  # A/m 95 put A/f at 1..9 (the rounding to 5 gives or take): recovered. The
  # cells of A and B must be matched to their own totals, not shifted onto
  # C's because C has no cells.
  cells <- disclose(tibble::tibble(group = c("A", "A", "B", "B"), sex = c("f", "m", "f", "m"),
                                   n = c(5, 95, 20, 30)), "n", "nhse_sde")
  expect_identical(is.na(cells$n), c(TRUE, FALSE, FALSE, FALSE))
  totals <- disclose(tibble::tibble(group = c("C", "A", "B"), n = c(200, 100, 50)),
                     "n", "nhse_sde")
  expect_no_warning(chk <- disclosure_check(cells = cells, totals = totals,
                                            disclosure = "nhse_sde"))
  expect_identical(chk$status[1], "fail")
  expect_match(chk$reason[1], "n for group = A, sex = f can be narrowed to")
})
