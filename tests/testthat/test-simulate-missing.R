# sim_recording(missing_mechanism = ): unknown ethnicity and missing LSOA by a
# known mechanism; the default (MCAR) leaves the simulated data of a seed
# unchanged.

mother_flags <- function(x) {
  sim <- attr(x, "simulation")
  d <- x$MSD001MotherDemog
  d <- d[order(d$Person_ID_Mother, -d$RecordNumber), ]
  d <- d[!duplicated(d$Person_ID_Mother), ]
  w <- !duplicated(sim$Person_ID_Mother)
  s <- sim[w, ]
  m <- match(s$Person_ID_Mother, d$Person_ID_Mother)
  data.frame(unknown = is.na(d$EthnicCategoryMother[m]) | d$EthnicCategoryMother[m] %in% c("Z", "99"),
             minority = s$ethnic_minority, deprived = s$imd_decile <= 2)
}

test_that("the default mechanism gives the data of earlier versions", {
  a <- simulate_msds(400, seed = 3)
  b <- simulate_msds(400, seed = 3, recording = sim_recording(missing_mechanism = "mcar",
                                                               missing_odds_ratio = 5))
  for (tab in names(a)) expect_identical(a[[tab]], b[[tab]], label = tab)
  expect_identical(attr(a, "simulation"), attr(b, "simulation"))
  expect_identical(attr(a, "truth"), attr(b, "truth"))
  expect_identical(sim_recording()$missing_mechanism, "mcar")
  # and the shipped example is still what its script makes (data-raw/msds_example.R)
  skip_on_cran()
  x <- simulate_msds(n_pregnancies = 20000, seed = 20160223, realism = sim_realism())
  for (tab in names(x)) expect_identical(x[[tab]], msds_example[[tab]], label = tab)
  expect_identical(attr(x, "simulation"), attr(msds_example, "simulation"))
})

test_that("MAR and MNAR missingness follow their odds ratios", {
  skip_on_cran()
  for (mech in c("mnar", "mar")) {
    x <- simulate_msds(12000, seed = 11,
                       recording = sim_recording(ethnicity_unknown = 0.2, missing_mechanism = mech,
                                                 missing_odds_ratio = 3))
    f <- mother_flags(x)
    driver <- if (mech == "mnar") f$minority else f$deprived
    fit <- stats::glm(unknown ~ driver, family = stats::binomial, data = f)
    # the log odds ratio of the mechanism, within sampling error
    se <- sqrt(diag(stats::vcov(fit)))[2]
    expect_lt(abs(stats::coef(fit)[2] - log(3)), 4 * se)
    # the overall share is kept (up to the extract's other unknown codes)
    expect_lt(abs(mean(f$unknown) - 0.2), 0.02)
  }
  expect_error(sim_recording(missing_mechanism = "nmar"), "must be one of")
})
