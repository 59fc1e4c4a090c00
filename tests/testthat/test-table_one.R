# table_one(): counts, percentages and summaries by group, by hand and
# against cobalt's SMDs, and what the disclosure rule does to them.

t1_data <- function() {
  # 30 on the pathway, 50 not; smokers 12 and 4 (one missing in each arm)
  data.frame(
    arm = rep(c("off", "on"), c(50, 30)),
    smoker = c(rep(TRUE, 4), rep(FALSE, 45), NA, rep(TRUE, 12), rep(FALSE, 17), NA),
    eth = c(rep(c("A", "B", "C"), c(30, 15, 5)), rep(c("A", "B", "C"), c(10, 12, 8))),
    age = c(seq(20, 44.5, by = 0.5), seq(25, 39.5, by = 0.5)),
    stringsAsFactors = FALSE)
}

test_that("counts, percentages and summaries are those written by hand (no control)", {
  d <- t1_data()
  t1 <- table_one(d, arm, c(smoker, eth, age), disclosure = "none")
  get <- function(v, l, g, col) t1[[col]][t1$variable == v & t1$level == l & t1$group == g]
  expect_identical(get("N", "", "off", "n"), 50)
  expect_identical(get("N", "", "Overall", "n"), 80)
  expect_identical(get("smoker", "TRUE", "on", "n"), 12)
  expect_identical(get("smoker", "FALSE", "off", "n"), 45)
  expect_identical(get("smoker", "Missing", "Overall", "n"), 2)
  expect_equal(get("smoker", "TRUE", "on", "pct"), 100 * 12 / 30, tolerance = 1e-14)
  expect_identical(get("eth", "C", "off", "n"), 5)
  # age: 20, 20.5, ..., 44.5 (50 values): mean 32.25, median 32.25
  expect_equal(get("age", "", "off", "mean"), 32.25, tolerance = 1e-14)
  expect_equal(get("age", "", "off", "sd"), stats::sd(seq(20, 44.5, by = 0.5)), tolerance = 1e-14)
  expect_equal(get("age", "", "on", "q1"), unname(stats::quantile(seq(25, 39.5, by = 0.5), 0.25)),
               tolerance = 1e-14)
  # every variable's levels add up to the group sizes
  sums <- tapply(t1$n[t1$variable == "eth"], t1$group[t1$variable == "eth"], sum)
  expect_identical(as.numeric(sums[c("off", "on", "Overall")]), c(50, 30, 80))
  # a continuous variable with no missing values has no Missing row
  expect_false(any(t1$variable == "age" & t1$level == "Missing"))
})

test_that("SMDs agree with cobalt's (binary standardised, pooled SD)", {
  needs_reference("cobalt")
  d <- t1_data()
  d <- d[!is.na(d$smoker), ]
  t1 <- table_one(d, arm, c(smoker, age), disclosure = "none", overall = FALSE)
  ref <- cobalt::bal.tab(data.frame(smoker = d$smoker, age = d$age), treat = as.integer(d$arm == "on"),
                         s.d.denom = "pooled", binary = "std", continuous = "std",
                         un = TRUE, quick = FALSE)$Balance
  ours_s <- t1$smd[t1$variable == "smoker" & t1$level == "TRUE" & t1$group == "on"]
  ours_a <- t1$smd[t1$variable == "age" & t1$group == "on"]
  expect_equal(ours_s, ref["smoker", "Diff.Un"], tolerance = 1e-10)
  expect_equal(ours_a, ref["age", "Diff.Un"], tolerance = 1e-10)
})

test_that("under the rule: small counts suppressed along both margins, percentages from released counts", {
  d <- t1_data()
  t1 <- table_one(d, arm, c(smoker, eth, age), disclosure = "nhse_sde")
  get <- function(v, l, g, col) t1[[col]][t1$variable == v & t1$level == l & t1$group == g]
  # smoker TRUE off is 4: suppressed, and (its column adds up to 50, its
  # row to the overall 16) enough others with it that neither margin
  # gives it back
  expect_true(is.na(get("smoker", "TRUE", "off", "n")))
  sm <- t1[t1$variable == "smoker", ]
  for (g in unique(sm$group)) expect_false(sum(is.na(sm$n[sm$group == g])) == 1L)
  for (l in unique(sm$level)) expect_false(sum(is.na(sm$n[sm$level == l])) == 1L)
  # percentages are released count / released group size
  ok <- t1$type %in% c("categorical", "missing") & !is.na(t1$n)
  expect_equal(t1$pct[ok], 100 * t1$n[ok] / t1$group_n[ok], tolerance = 1e-14)
  expect_true(all(t1$n[!is.na(t1$n)] %% 5 == 0))
  # means to 3 significant figures
  expect_identical(get("age", "", "off", "mean"), signif(32.25, 3))
  chk <- disclosure_check(t1 = t1, disclosure = "nhse_sde")
  expect_identical(chk$status, "pass")
  # the formatted table says "suppressed", never a number, for those cells
  f <- format(t1)
  expect_identical(f$off[f$variable == "smoker" & f$level == "TRUE"], "suppressed")
})

test_that("bad input is refused with the column named", {
  d <- t1_data()
  expect_error(table_one(d, arm, c(arm, age)), "both")
  d$when <- as.Date("2020-01-01") + seq_len(nrow(d))
  expect_error(table_one(d, arm, when, disclosure = "none"), "when")
  expect_error(table_one(d, nope, age), "nope")
})
