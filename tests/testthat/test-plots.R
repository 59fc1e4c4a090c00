# autoplot() of rates, disparities, inequality indices and trends: drawn
# from the released values only, suppressed groups marked, and checked like
# their tables.

plots_cohort <- function() {
  m <- as_msds(msds_example, quiet = TRUE)
  suppressMessages(add_outcomes(add_care_model(define_cohort(m), m), m))
}

test_that("rate, disparity and SII plots draw the released values and pass the check", {
  needs_reference("ggplot2")
  cohort <- plots_cohort()
  r <- outcome_rates(cohort, preterm, by = core20plus_group, disclosure = "nhse_sde")
  pr <- ggplot2::autoplot(r)
  expect_identical(pr$data$rate, r$rate)
  expect_identical(pr$data$.x, as.character(r$core20plus_group))
  d <- disparity(cohort, preterm, core20plus_group, reference = "Neither", disclosure = "nhse_sde")
  pd <- ggplot2::autoplot(d)
  expect_identical(pd$data$estimate, d$estimate)
  s <- suppressWarnings(inequality_index(cohort, preterm, rank = imd_decile, seed = 1,
                                         disclosure = "nhse_sde"))
  ps <- ggplot2::autoplot(s)
  q <- attr(s, "quantiles")
  # relative ranks from the released counts: midpoints of the cumulative shares
  a <- q$n / sum(q$n)
  expect_equal(ps$data$rank_mid, cumsum(a) - a / 2, tolerance = 1e-14)
  # the line runs from the intercept at rank 0 to intercept + SII at rank 1
  line <- ps$layers[[1]]$data
  sii <- s[s$term == "sii", ]
  expect_equal(line$yend - line$y, sii$estimate, tolerance = 1e-12)
  chk <- disclosure_check(rates = pr, disparity = pd, sii = ps, disclosure = "nhse_sde")
  expect_identical(chk$status, rep("pass", 3))
})

test_that("suppressed groups and periods are marked, not drawn", {
  needs_reference("ggplot2")
  cohort <- plots_cohort()
  r <- outcome_rates(cohort, stillbirth, by = c(core20plus_group, year), disclosure = "nhse_sde")
  expect_true(anyNA(r$rate))
  p <- ggplot2::autoplot(r)
  marks <- p$layers[[length(p$layers)]]$data
  expect_identical(nrow(marks), sum(is.na(r$rate)))
  expect_identical(unique(marks$label), "suppressed")
  # the marks hold keys only: no number that a suppressed cell could leak
  expect_false(any(c("events", "n", "rate") %in% names(marks)))
  tr <- care_model_trend(cohort[!is.na(cohort$coc_placed) & cohort$provider == cohort$provider[1], ],
                         coc_placed, by = core20plus, disclosure = "nhse_sde")
  pt <- ggplot2::autoplot(tr)
  hidden <- sum(is.na(tr$rate))
  expect_true(hidden > 0)
  rug <- pt$layers[[length(pt$layers)]]$data
  expect_identical(nrow(rug), hidden)
  expect_match(pt$labels$caption, paste(hidden, "suppressed period"))
  chk <- disclosure_check(rates = p, trend = pt, disclosure = "nhse_sde")
  expect_identical(chk$status, c("pass", "pass"))
})
