make_cohort <- function(n = 2000, seed = 1) {
  set.seed(seed)
  d <- data.frame(
    group = sample(c("A", "B", "C"), n, TRUE, prob = c(0.5, 0.3, 0.2)),
    age_band = sample(c("<25", "25-34", "35+"), n, TRUE),
    stringsAsFactors = FALSE
  )
  risk <- 0.05 + 0.04 * (d$group == "B") + 0.02 * (d$age_band == "35+")
  d$preterm <- runif(n) < risk
  d$preterm_eligible <- runif(n) > 0.05
  d$preterm[!d$preterm_eligible & runif(n) < 0.5] <- NA
  attr(d, "outcomes") <- data.frame(outcome = "preterm", eligible = "preterm_eligible",
                                    label = "Preterm birth", multiplier = 100,
                                    level = "baby")
  d
}

test_that("outcome_rates() counts eligible denominators and Wilson limits", {
  d <- make_cohort()
  got <- outcome_rates(d, preterm, by = group, disclosure = "none")
  expect_s3_class(got, "tbl_df")
  expect_named(got, c("group", "outcome", "events", "events_sdc", "n", "n_sdc",
                      "rate", "conf.low", "conf.high", "per", "method"))
  for (g in c("A", "B", "C")) {
    e <- d[d$group == g & d$preterm_eligible, ]
    x <- sum(e$preterm); n <- nrow(e)
    row <- got[got$group == g, ]
    expect_equal(row$events, x)
    expect_equal(row$n, n)
    expect_equal(row$rate, 100 * x / n, tolerance = 1e-14)
    ci <- suppressWarnings(stats::prop.test(x, n, correct = FALSE))$conf.int
    expect_equal(row$conf.low, 100 * ci[1], tolerance = 1e-12)
    expect_equal(row$conf.high, 100 * ci[2], tolerance = 1e-12)
  }
  all <- outcome_rates(d, "preterm", disclosure = "none")
  expect_equal(all$n, sum(d$preterm_eligible))
  expect_equal(all$per, 100)
})

test_that("outcome_rates() takes eligible and per when metadata is absent", {
  d <- make_cohort()
  attr(d, "outcomes") <- NULL
  expect_error(outcome_rates(d, preterm, disclosure = "none"), "add_outcomes")
  expect_equal(outcome_rates(d, preterm, per = 100, disclosure = "none")$n, sum(d$preterm_eligible))
  got <- outcome_rates(d, preterm, eligible = preterm_eligible, per = 1000,
                       disclosure = "none")
  expect_equal(got$rate, 1000 * sum(d$preterm[d$preterm_eligible]) / sum(d$preterm_eligible))
})

test_that("outcome_rates() uses Poisson limits with person-time", {
  d <- make_cohort()
  d$years <- rep(c(0.5, 1, 2), length.out = nrow(d))
  got <- outcome_rates(d, preterm, by = group, person_time = years,
                       disclosure = "none")
  e <- d[d$group == "C" & d$preterm_eligible, ]
  pt <- sum(e$years); x <- sum(e$preterm)
  z <- qnorm(0.975)
  row <- got[got$group == "C", ]
  expect_equal(row$n, pt)
  expect_equal(row$method, "byar")
  expect_equal(row$conf.high, 100 * (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * sqrt(x + 1)))^3 / pt,
               tolerance = 1e-13)
})

test_that("outcome_rates() reports eligible rows lacking an outcome and bad input", {
  d <- make_cohort()
  d$preterm[which(d$preterm_eligible)[1:3]] <- NA
  expect_warning(got <- outcome_rates(d, preterm, disclosure = "none"),
                 "3 eligible rows have a missing")
  expect_equal(got$n, sum(d$preterm_eligible) - 3)
  d2 <- make_cohort()
  d2$preterm_eligible <- NULL
  expect_error(outcome_rates(d2, preterm, disclosure = "none"), "no eligibility column")
  d3 <- make_cohort()
  d3$preterm <- as.character(d3$preterm)
  expect_error(outcome_rates(d3, preterm, disclosure = "none"), "must be logical")
  expect_error(outcome_rates(d, nothing, disclosure = "none"), "not in the data")
  expect_error(outcome_rates(list(), preterm), "data frame")
})

test_that("outcome_rates() gives the same numbers with 1 and 2 threads", {
  d <- make_cohort()
  a <- withr_threads(1, outcome_rates(d, preterm, by = c(group, age_band), disclosure = "none"))
  b <- withr_threads(2, outcome_rates(d, preterm, by = c(group, age_band), disclosure = "none"))
  expect_identical(a, b)
})

test_that("outcome_rates() goes through disclosure control", {
  skip_if_not(exists("apply_disclosure", asNamespace("matequity")))
  d <- make_cohort(200)
  got <- outcome_rates(d, preterm, by = c(group, age_band))
  none <- outcome_rates(d, preterm, by = c(group, age_band), disclosure = "none")
  expect_equal(nrow(got), nrow(none))
  expect_true(all(c("events", "n", "rate") %in% names(got)))
  # suppressed counts carry through to the derived columns
  expect_true(all(is.na(got$rate[is.na(got$events)])))
})
