# Attacks on released tables: each test tries to recover an exact count (or
# a suppressed cell) from what a function releases under the default rule
# (nhse_sde: under 10 suppressed, others rounded to 5) and shows it fails.
# The data are small and hand-made, so the true counts are known.

# Every (events, n) pair that rounds to the released pair, with the
# statistics an attacker recomputes from it.
candidates <- function(events, n, base = 5) {
  e <- seq(max(0, events - base / 2), events + base / 2 - 1)
  m <- seq(max(1, n - base / 2), n + base / 2 - 1)
  g <- expand.grid(e = ceiling(e), n = ceiling(m))
  g[g$e <= g$n & g$e >= 10, ]
}
matches <- function(got, want) abs(got - want) <= 1e-9 * pmax(1, abs(want))

test_that("a rate and its interval do not solve to the exact counts (brute force over the rounding window)", {
  d <- data.frame(y = rep(c(TRUE, FALSE), c(12, 125)), y_eligible = TRUE)
  r <- outcome_rates(d, y, per = 100)
  expect_identical(c(r$events, r$n), c(10, 135))
  cand <- candidates(r$events, r$n)
  expect_true(any(cand$e == 12 & cand$n == 137))  # the truth is in the window
  lim <- matequity:::wilson_limits(cand$e, cand$n, 0.95)
  hit <- matches(100 * cand$e / cand$n, r$rate) & matches(100 * lim$lower, r$conf.low) &
    matches(100 * lim$upper, r$conf.high)
  # only the released pair itself reproduces the released statistics
  expect_identical(unname(as.matrix(cand[hit, ])), matrix(c(10, 135), 1))
})

test_that("a rate difference and its SE do not give the groups' exact sizes", {
  d <- data.frame(g = rep(c("a", "b"), c(137, 212)),
                  y = c(rep(c(TRUE, FALSE), c(12, 125)), rep(c(TRUE, FALSE), c(33, 179))),
                  y_eligible = TRUE)
  ds <- disparity(d, y, g, per = 1)
  rd <- ds[ds$measure == "rate_difference", ]
  # the statistics are those of the released counts
  p1 <- rd$events / rd$n
  p0 <- rd$ref_events / rd$ref_n
  expect_equal(rd$estimate, p1 - p0)
  expect_equal(rd$std.error, sqrt(p1 * (1 - p1) / rd$n + p0 * (1 - p0) / rd$ref_n))
  # brute force: no pair of true counts in the window but the released one
  # reproduces the SE, so the truth (12/137, 33/212) is not recovered
  c1 <- candidates(rd$events, rd$n)
  c0 <- candidates(rd$ref_events, rd$ref_n)
  grid <- merge(c1, c0, by = NULL)
  se <- with(grid, sqrt((e.x / n.x) * (1 - e.x / n.x) / n.x + (e.y / n.y) * (1 - e.y / n.y) / n.y))
  hit <- matches(se, rd$std.error)
  expect_false(any(hit & grid$e.x == 12 & grid$n.x == 137 & grid$e.y == 33 & grid$n.y == 212))
})

test_that("complements: 12 events of 14 and 12 of 12 give no count of the rest", {
  d <- data.frame(g = rep(c("a", "b", "c"), c(14, 12, 300)),
                  y = c(rep(c(TRUE, FALSE), c(12, 2)), rep(TRUE, 12), rep(c(TRUE, FALSE), c(60, 240))),
                  y_eligible = TRUE)
  r <- outcome_rates(d, y, by = g, per = 100)
  # a: 2 non-events; b: none; both small: the events and the rate go, and
  # along the margin (the groups add up to the whole table) a second
  # group's events go with them
  expect_true(all(is.na(r$events[r$g %in% c("a", "b")])))
  expect_true(all(is.na(r$rate[r$g %in% c("a", "b")])))
  expect_false(any(r$rate %in% 100))
})

test_that("margin differencing: a by= table and its total give no suppressed cell back", {
  set.seed(3)
  d <- data.frame(eth = rep(c("A", "B", "C", "D"), c(400, 250, 30, 320)))
  d$y <- c(rep(c(TRUE, FALSE), c(40, 360)), rep(c(TRUE, FALSE), c(22, 228)),
           rep(c(TRUE, FALSE), c(2, 28)), rep(c(TRUE, FALSE), c(31, 289)))
  d$y_eligible <- TRUE
  by_eth <- outcome_rates(d, y, by = eth, per = 1000)
  total <- outcome_rates(d, y, per = 1000)
  # C (2 events) is suppressed; without secondary suppression 95 - (40 + 20
  # + 30) would give it back to within the rounding
  sup <- is.na(by_eth$events)
  expect_true(sup[by_eth$eth == "C"])
  expect_gte(sum(sup), 2L)
  # what the attacker can get is the sum of two or more suppressed cells
  left <- total$events - sum(by_eth$events, na.rm = TRUE)
  expect_false(isTRUE(abs(left - 2) < 2.5 && sum(sup) == 1L))
  # two-way tables: no row or column margin holds a single suppressed cell
  d$unit <- rep(c("U1", "U2"), length.out = nrow(d))
  two <- outcome_rates(d, y, by = c(eth, unit), per = 1000)
  for (s in split(is.na(two$events), two$eth)) expect_false(sum(s) == 1L)
  for (s in split(is.na(two$events), two$unit)) expect_false(sum(s) == 1L)
})

test_that("trend tables: rates from released counts, and a zero n_missing does not blank them", {
  d <- data.frame(booking_date = rep(as.Date(c("2021-01-15", "2021-04-15", "2021-07-15")), each = 137),
                  x = rep(rep(c(TRUE, FALSE), c(52, 85)), 3))
  tr <- care_model_trend(d, x)
  expect_true(all(!is.na(tr$rate)))
  expect_equal(tr$rate, 100 * tr$events / tr$n)
  expect_true(all(is.na(tr$n_missing)))  # the zeros are small counts
  # the demo's uptake table shows its rates
  co <- add_care_model(suppressMessages(define_cohort(msds_example)), msds_example)
  up <- care_model_trend(co[!is.na(co$coc_placed), ], coc_placed, by = core20plus)
  expect_gt(mean(!is.na(up$rate)), 0.5)
  expect_equal(up$rate, 100 * up$events / up$n)
})

test_that("shares and percentages rest on released counts (data quality)", {
  q <- data_quality(msds_example, by = "provider")
  q0 <- data_quality(msds_example, by = "provider", disclosure = "none")
  expect_identical(q$field, q0$field)
  ok <- !is.na(q$pct_complete)
  expect_true(any(ok))
  expect_equal(q$pct_complete[ok], 100 * q$n_complete[ok] / q$n[ok])
  # no released percentage stands for fewer than 10 incomplete records (or
  # for all records complete, which is a zero)
  expect_true(all(q0$n[ok] - q0$n_complete[ok] >= 10))
  okv <- !is.na(q$pct_valid)
  expect_true(all(q0$n[okv] - q0$n_valid[okv] >= 10))
})

test_that("standardised rates are estimates: 3 significant figures, suppressed with their counts", {
  d <- data.frame(area = rep(c("A", "B"), each = 3),
                  age = rep(c("<25", "25-34", "35+"), 2),
                  x = c(12, 30, 25, 20, 22, 15),
                  n = c(3000, 8000, 4000, 5000, 6000, 2000))
  w <- c("<25" = 0.3, "25-34" = 0.5, "35+" = 0.2)
  got <- dsr(d, standard = age, by = area, events = x, n = n, std_pop = w, per = 1000)
  exact <- dsr(d, standard = age, by = area, events = x, n = n, std_pop = w, per = 1000,
               disclosure = "none")
  expect_equal(got$rate, signif(exact$rate, 3))
  expect_equal(got$conf.low, signif(exact$conf.low, 3))
  expect_false(any(got$rate == exact$rate))
})
