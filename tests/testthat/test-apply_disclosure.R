# The table every preset is checked on: counts 0, 3, 7, 9, 10, 12 and their
# total 41.
cells <- function() {
  tibble::tibble(group = c("a", "b", "c", "d", "e", "f", "Total"),
                 n = c(0L, 3L, 7L, 9L, 10L, 12L, 41L))
}

test_that("nhse_sde: under 10 suppressed, others to nearest 5", {
  out <- apply_disclosure(cells(), n, disclosure = "nhse_sde",
                          total = group == "Total")
  # 0, 3, 7, 9 < 10 -> suppressed (zero too: strictest reading);
  # 10 -> 10; 12 -> 10 (12/5 = 2.4 -> 2); total 41 -> 40 (8.2 -> 8).
  # Four cells suppressed, so the total reveals none of them alone: no
  # secondary suppression.
  expect_identical(out$n, c(NA, NA, NA, NA, 10L, 10L, 40L))
  expect_identical(out$n_sdc, c(rep("suppressed (<10)", 4),
                                rep("rounded to 5", 3)))
  expect_s3_class(out, "mq_sdc")
  expect_equal(attr(out, "sdc")$preset, "nhse_sde")
  expect_identical(names(out), c("group", "n", "n_sdc"))
})

test_that("opensafely: 7 or fewer redacted, total recalculated, then rounded", {
  out <- apply_disclosure(cells(), n, disclosure = "opensafely",
                          total = group == "Total")
  # 0, 3, 7 <= 7 redacted; 9 -> 10 (1.8 -> 2), 10 -> 10, 12 -> 10;
  # total recalculated from the cells left: 9 + 10 + 12 = 31 -> 30.
  expect_identical(out$n, c(NA, NA, NA, 10L, 10L, 10L, 30L))
  expect_identical(out$n_sdc, c(rep("suppressed (<8)", 3),
                                rep("rounded to 5", 3),
                                "total recalculated from released cells; rounded to 5"))
})

test_that("opensafely midpoint-6 rounding", {
  rule <- disclosure_rule("opensafely", rounding_method = "midpoint6")
  out <- apply_disclosure(cells(), n, disclosure = rule, total = group == "Total")
  # midpoint 6: x -> 6 * ceiling(x / 6) - 3; 9, 10, 12 -> 12 - 3 = 9;
  # total 9 + 10 + 12 = 31 -> 36 - 3 = 33.
  expect_identical(out$n, c(NA, NA, NA, 9L, 9L, 9L, 33L))
  expect_identical(out$n_sdc[4], "midpoint-6 rounded")
  # 1..6 -> 3, 13 -> 15, 18 -> 15, 19 -> 21 when nothing is redacted.
  rule0 <- disclosure_rule("opensafely", threshold = 0,
                           rounding_method = "midpoint6")
  x <- apply_disclosure(data.frame(n = c(1, 6, 13, 18, 19)), n, disclosure = rule0)
  expect_identical(x$n, c(3, 3, 15, 15, 21))
})

test_that("nhsd_maternity: 0-7 shown as 5, others rounded to 5", {
  out <- apply_disclosure(cells(), n, disclosure = "nhsd_maternity",
                          total = group == "Total")
  # 0, 3, 7 -> 5 (zero treated as small); 9 -> 10; 10 -> 10; 12 -> 10;
  # 41 -> 40. Nothing suppressed.
  expect_identical(out$n, c(5L, 5L, 5L, 10L, 10L, 10L, 40L))
  expect_identical(out$n_sdc, c(rep("shown as 5 (0-7)", 3),
                                rep("rounded to 5", 4)))
  # zero = "exact" reproduces NHS Digital's published zeros.
  ex <- apply_disclosure(cells(), n,
                         disclosure = disclosure_rule("nhsd_maternity", zero = "exact"))
  expect_identical(ex$n, c(0L, 5L, 5L, 10L, 10L, 10L, 40L))
  expect_identical(ex$n_sdc[1:2], c("rounded to 5", "shown as 5 (1-7)"))
})

test_that("acro: under 10 suppressed, no rounding", {
  out <- apply_disclosure(cells(), n, disclosure = "acro", total = group == "Total")
  # 0, 3, 7, 9 < 10 fail and are suppressed (zeros disclosive in ACRO);
  # 10, 12 and 41 released exactly.
  expect_identical(out$n, c(NA, NA, NA, NA, 10L, 12L, 41L))
  expect_identical(out$n_sdc, c(rep("suppressed (<10)", 4), "", "", ""))
})

test_that("none: counts exact and the header says control is off", {
  out <- apply_disclosure(cells(), n, disclosure = "none", total = group == "Total")
  expect_identical(out$n, cells()$n)
  expect_identical(out$n_sdc, rep("", 7))
  expect_snapshot(print(out))
})

test_that("the printed header names the rule and what was done", {
  out <- apply_disclosure(cells(), n, total = group == "Total")
  expect_snapshot(print(out))
})

test_that("one suppressed cell beside a total takes the next smallest with it", {
  tab <- tibble::tibble(site = c("x", "y", "z", "all"),
                        n = c(3L, 15L, 20L, 38L))
  out <- apply_disclosure(tab, n, total = site == "all")
  # 3 < 10 suppressed; alone it is 38 - 15 - 20 = 3, so the next smallest
  # (15) goes too; 20 -> 20, 38 -> 40 (7.6 -> 8).
  expect_identical(out$n, c(NA, NA, 20L, 40L))
  expect_identical(out$n_sdc, c("suppressed (<10)", "secondary suppression",
                                "rounded to 5", "rounded to 5"))
  # No total row and no `by`: nothing to add up to, no secondary.
  nt <- apply_disclosure(tab[1:3, ], n)
  expect_identical(nt$n, c(NA, 15L, 20L))
  # Within `by` groups the margin is taken as known.
  tb <- tibble::tibble(region = rep(c("R1", "R2"), each = 3),
                       n = c(3L, 15L, 20L, 11L, 30L, 40L))
  bo <- apply_disclosure(tb, n, by = region)
  expect_identical(bo$n, c(NA, NA, 20L, 10L, 30L, 40L))
  # A total row per group.
  tt <- tibble::tibble(region = rep(c("R1", "R2"), each = 3),
                       g = rep(c("a", "b", "T"), 2),
                       n = c(4L, 50L, 54L, 12L, 30L, 42L))
  to <- apply_disclosure(tt, n, by = region, total = g == "T")
  # R1: 4 suppressed, only other cell 50 goes with it; 54 -> 55.
  # R2: nothing small; 12 -> 10, 30 -> 30, 42 -> 40.
  expect_identical(to$n, c(NA, NA, 55L, 10L, 30L, 40L))
  # A group whose only cell is suppressed: the total goes instead.
  t1 <- tibble::tibble(g = c("a", "T"), n = c(4L, 4L))
  o1 <- apply_disclosure(t1, n, total = g == "T")
  expect_identical(o1$n, c(NA_integer_, NA_integer_))
})

test_that("a rate is computed from the released counts and suppressed with them", {
  tab <- tibble::tibble(group = c("A", "B", "C"),
                        births = c(400, 250, 120),
                        stillbirths = c(12, 4, 30))
  out <- apply_disclosure(tab, c(births, stillbirths),
                          derived = list(rate = ~ 1000 * stillbirths / births,
                                         half = ~ 500 * stillbirths / births))
  # B has 4 stillbirths < 10: its rate and interval go; births 250 stays.
  # A: 12 -> 10 of 400, rate 25 (not 30: that would give 12 back); C: 30 of
  # 120, 250.
  expect_identical(out$stillbirths, c(10, NA, 30))
  expect_identical(out$births, c(400, 250, 120))
  expect_equal(out$rate, c(25, NA, 250))
  expect_equal(out$half, c(12.5, NA, 125))
  expect_true(any(attr(out, "sdc_log")$action == "computed from released counts"))
  # nhsd_maternity: B: 4 -> 5 and 250 -> 250, rate 1000 * 5 / 250 = 20.
  nd <- apply_disclosure(tab, c(births, stillbirths),
                         derived = list(rate = ~ 1000 * stillbirths / births),
                         disclosure = "nhsd_maternity")
  expect_equal(nd$rate, c(25, 20, 250))
  # under "none" the exact counts: A 30
  no <- apply_disclosure(tab, c(births, stillbirths),
                         derived = list(rate = ~ 1000 * stillbirths / births),
                         disclosure = "none")
  expect_equal(no$rate, c(30, 16, 250))
  # a rate computed beforehand is refused under a rule: it gives the exact
  # counts back
  tab$rate <- 1000 * tab$stillbirths / tab$births
  expect_error(apply_disclosure(tab, c(births, stillbirths), derived = rate),
               "computed before disclosure")
  expect_equal(apply_disclosure(tab, c(births, stillbirths), derived = rate,
                                disclosure = "none")$rate, tab$rate)
})

test_that("a derived column is suppressed only with the counts it uses", {
  tab <- tibble::tibble(events = c(40, 30), n = c(200, 150), n_missing = c(0, 12))
  out <- apply_disclosure(tab, c(events, n, n_missing),
                          derived = list(rate = ~ events / n, miss = ~ n_missing / n))
  # n_missing 0 is small (suppressed) in row 1: the rate beside it stays
  expect_identical(out$n_missing, c(NA, 10))
  expect_equal(out$rate, c(0.2, 0.2))
  expect_equal(out$miss, c(NA, 10 / 150))
})

test_that("complements are checked like counts", {
  tab <- tibble::tibble(g = c("a", "b", "c"), events = c(12, 12, 40), n = c(14, 12, 200))
  out <- apply_disclosure(tab, c(events, n), derived = list(p = ~ events / n),
                          complements = list(events = ~ n - events))
  # a: 2 non-events, b: 0 non-events (both small): events suppressed; c: 160
  expect_identical(out$events, c(NA, NA, 40))
  expect_identical(out$n, c(15, 10, 200))
  expect_equal(out$p, c(NA, NA, 0.2))
  expect_match(out$events_sdc[1], "complement")
  expect_error(apply_disclosure(tab, c(events, n), complements = list(zz = ~ n - events)),
               "complements")
})

test_that("secondary suppression covers every margin of a cross-table", {
  # 2 x 3 table of counts; the row totals, column totals and grand total
  # are published elsewhere (margins = c(a, b)).
  tab <- tibble::tibble(a = rep(c("x", "y"), each = 3), b = rep(c("p", "q", "r"), 2),
                        n = c(4, 50, 60, 70, 80, 90))
  out <- apply_disclosure(tab, n, margins = c(a, b))
  # x/p (4) is small. Along b within a = x: the next smallest, x/q (50),
  # goes. Along a within b = p: y/p (70) goes; within b = q: x/q is now
  # alone, so y/q (80) goes; within a = y: y/p and y/q are both gone.
  expect_identical(is.na(out$n), c(TRUE, TRUE, FALSE, TRUE, TRUE, FALSE))
  # no margin holds exactly one suppressed cell
  for (g in split(is.na(out$n), tab$a)) expect_false(sum(g) == 1L)
  for (g in split(is.na(out$n), tab$b)) expect_false(sum(g) == 1L)
})

test_that("applying the same rule twice changes nothing", {
  tab <- tibble::tibble(g = c("x", "y", "z", "T"), n = c(3L, 13L, 22L, 38L))
  once <- apply_disclosure(tab, n, total = g == "T")
  twice <- apply_disclosure(once, n, total = g == "T")
  expect_identical(twice$n, once$n)
  expect_identical(twice$n_sdc, once$n_sdc)
  expect_identical(attr(twice, "sdc_log"), attr(once, "sdc_log"))
  expect_error(apply_disclosure(once, n, disclosure = "acro"), "already disclosed")
})

test_that("custom thresholds and rounding", {
  rule <- disclosure_rule("nhse_sde", threshold = 20, rounding = 10)
  out <- apply_disclosure(cells(), n, disclosure = rule, total = group == "Total")
  # All of 0..12 < 20 are suppressed; 41 -> 40 (4.1 -> 4).
  expect_identical(out$n, c(rep(NA, 6), 40L))
  expect_identical(out$n_sdc[1], "suppressed (<20)")
  r3 <- disclosure_rule("acro", threshold = 3)
  o3 <- apply_disclosure(cells(), n, disclosure = r3)
  expect_identical(o3$n, c(NA, 3L, 7L, 9L, 10L, 12L, 41L))
  # Ties round up: 15 with rounding 10 -> 20, 25 -> 30.
  r10 <- disclosure_rule("nhse_sde", rounding = 10)
  expect_identical(apply_disclosure(data.frame(n = c(15, 25, 14)), n,
                                    disclosure = r10)$n, c(20, 30, 10))
})

test_that("attributes and classes of the input are kept", {
  tab <- tibble::new_tibble(list(n = c(20L, 30L)), nrow = 2L,
                            class = "mq_rates")
  attr(tab, "outcomes") <- "x"
  out <- apply_disclosure(tab, "n")
  expect_s3_class(out, c("mq_sdc", "mq_rates", "tbl_df"))
  expect_equal(attr(out, "outcomes"), "x")
})

test_that("bad input is refused naming the column and values", {
  tab <- tibble::tibble(g = c("a", "b", "c"), n = c(1, 2, 3),
                        s = c("1", "2", "x"), neg = c(5, -2, -3),
                        frac = c(1, 2.5, 3))
  expect_error(apply_disclosure(tab, s), "s.*numeric")
  expect_snapshot(apply_disclosure(tab, neg), error = TRUE)
  expect_error(apply_disclosure(tab, neg), "-2")
  expect_error(apply_disclosure(tab, frac), "2.5")
  expect_error(apply_disclosure(tab, c(n, missing_col)), "missing_col")
  expect_error(apply_disclosure(tab, n, disclosure = "wmsde"), "wmsde")
  expect_error(apply_disclosure(tab, n, derived = n), "both")
  expect_error(apply_disclosure(tab, n, total = c(TRUE, NA, FALSE)), "missing")
  expect_error(apply_disclosure(tab, n, total = g), "logical")
  expect_error(apply_disclosure(tab, n, total = g != "a"), "more than one")
  expect_error(apply_disclosure(tab, n, derived = list(rate = "x")), "formulas")
  expect_error(apply_disclosure(list(n = 1), n), "data frame")
  tab$n_sdc <- "x"
  expect_error(apply_disclosure(tab, n), "n_sdc")
})

test_that("acro dominance and p-ratio rules on contributor values", {
  tab <- tibble::tibble(provider = c("P1", "P2", "P3", "P4"),
                        n = c(20L, 15L, 30L, 12L),
                        spend = c(100, 100, 100, 100))
  tab$contrib <- list(
    c(50, 45, 5),            # 2 largest 95 > 90% of 100: dominance fails
    c(30, 30, 20, 20),       # 60 <= 90; rest 40 >= 10% of 30: passes
    c(60, 25, 5),            # 85 > 81 = 90% of 90 (rest 5 < 6 = p-ratio too)
    c(40, 30, 10, 10, 10))   # 70 <= 90% of 100: passes
  out <- apply_disclosure(tab, n, derived = spend, disclosure = "acro",
                          contributors = contrib)
  expect_identical(out$dominance_sdc,
                   c("dominance (2 largest > 90%)", "",
                     "dominance (2 largest > 90%)", ""))
  expect_identical(out$spend, c(NA, 100, NA, 100))
  # Counts are >= 10 and kept exactly under acro.
  expect_identical(out$n, tab$n)
  # Individual contributions never leave with the table.
  expect_false("contrib" %in% names(out))
  # Other presets have no dominance rule but still drop the contributors.
  ns <- apply_disclosure(tab, n, derived = spend, contributors = "contrib")
  expect_false(any(c("contrib", "dominance_sdc") %in% names(ns)))
  expect_identical(ns$spend, rep(100, 4))
  bad <- tab
  bad$contrib[[2]] <- c(-1, 3)
  expect_error(apply_disclosure(bad, n, disclosure = "acro", contributors = contrib),
               "non-negative")
})

test_that("column names and formulas can come from variables, as callers pass them", {
  tab <- tibble::tibble(n = c(40L, 50L), events = c(3L, 20L))
  cnt <- c("n", "events")
  f <- list(rate = ~ events / n)
  out <- apply_disclosure(tab, counts = cnt, derived = f, disclosure = NULL)
  # events 3 < 10 suppressed, its rate too; 40, 50, 20 rounded (unchanged).
  expect_identical(out$events, c(NA, 20L))
  expect_equal(out$rate, c(NA, 0.4))
  fo <- apply_disclosure(tab, counts = cnt, derived = f, disclosure = "opensafely")
  # opensafely: 3 <= 7 redacted; rate from released counts 20 / 50.
  expect_equal(fo$rate, c(NA, 0.4))
  tab$rate <- tab$events / tab$n
  der <- "rate"
  expect_equal(apply_disclosure(tab, counts = cnt, derived = der, disclosure = "none")$rate,
               c(0.075, 0.4))
  expect_error(apply_disclosure(tab, counts = cnt, derived = der), "computed before")
})
