# A simulated 2015-2025 extract written in both MSDS versions
# (sim_msds_versions()) and read back by as_msds() gives the outcome rates
# of the simulator's own (all-v2) extract for the same pregnancies: the
# expected values come from the simulator's extract, never from the
# harmonised one.

test_that("both versions give the simulator's outcome rates by year, no pregnancy twice", {
  skip_on_cran()
  x <- simulate_msds(4000, seed = 11, realism = NULL)
  tabs <- sim_msds_versions(x, seed = 11)
  w <- attr(tabs, "written")
  expect_true(all(c("v1.5", "v2", "both", "not submitted") %in% w$written))
  # the drop in completeness: 2015 and the first six v2 months only
  bk <- x$MSD101PregnancyBooking
  lost <- bk$AntenatalAppDate[match(w$preg_id[w$written == "not submitted"], bk$UniqPregID)]
  expect_true(all(lost < as.Date("2016-01-01") |
                    (lost >= as.Date("2019-04-01") & lost < as.Date("2019-10-01"))))
  m <- as_msds(tabs, v15_codes = attr(tabs, "v15_codes"), quiet = TRUE)
  v <- msds_versions(m, disclosure = "none")
  expect_identical(v$replaced_by_v2[1], sum(w$written == "both"))
  bk_m <- m$MSD101PregnancyBooking
  expect_identical(anyDuplicated(bk_m$UniqPregID), 0L)
  expect_setequal(bk_m$UniqPregID, w$preg_id[w$written != "not submitted"])
  expect_identical(bk_m$version[match(w$preg_id[w$written == "both"], bk_m$UniqPregID)],
                   rep("v2", sum(w$written == "both")))

  quiet <- function(e) suppressWarnings(suppressMessages(e))
  co <- quiet(add_outcomes(define_cohort(m), m))
  ref <- quiet(add_outcomes(define_cohort(x), x))
  ref <- ref[ref$preg_id %in% w$preg_id[w$written != "not submitted"], ]
  expect_setequal(co$preg_id, ref$preg_id)
  # multiple births: v1.5 gives every baby the pregnancy's lowest
  # FetusOutcome (NHS Digital), so compare singleton pregnancies
  single <- intersect(co$preg_id[co$n_babies <= 1], ref$preg_id[ref$n_babies <= 1])
  co1 <- co[co$preg_id %in% single, ]
  ref1 <- ref[ref$preg_id %in% single, ]
  for (o in c("preterm", "stillbirth", "neonatal_death", "caesarean", "low_birth_weight",
              "low_apgar", "breastmilk_first_feed")) {
    a <- outcome_rates(co1, !!rlang::sym(o), by = year, disclosure = "none")
    b <- outcome_rates(ref1, !!rlang::sym(o), by = year, disclosure = "none")
    expect_identical(a$year, b$year, label = o)
    expect_identical(a$events, b$events, label = o)
    expect_identical(a$n, b$n, label = o)
    expect_identical(a$msds_version[a$year %in% c(2015, 2019, 2020)], c("v1.5", "v1.5 and v2", "v2"))
  }
  # PPH and tears are not recorded in v1.5
  v15 <- co$version == "v1.5"
  expect_true(all(is.na(co$pph_1500[v15])))
  expect_false(any(co$pph_1500_eligible[v15]))
  expect_identical(ref$pph_1500[match(co$preg_id[!v15], ref$preg_id)], co$pph_1500[!v15])
  expect_identical(attr(co, "unavailable")$outcome, c("pph_1500", "tear_3_4"))
  # exposures: v1.5-only pregnancies have no care plans
  cm <- add_care_model(define_cohort(m), m)
  expect_true(all(is.na(cm$coc_placed[cm$version == "v1.5"])))
  expect_true(all(!is.na(cm$coc_reason[cm$version == "v1.5"])))
})

test_that("sim_effects(preterm_trend) shifts the preterm risk from its date", {
  tr <- list(date = as.Date("2016-01-01"), level = 0.02, slope = 0.01)
  risk <- c(0.05, 0.05, 0.05, 0.995)
  bd <- as.Date(c("2015-12-31", "2016-01-01", "2018-01-01", "2018-01-01"))
  got <- matequity:::sim_trend_shift(risk, bd, tr)
  yrs <- as.numeric(as.Date("2018-01-01") - as.Date("2016-01-01")) / 365.25
  expect_equal(got, c(0.05, 0.07, 0.07 + 0.01 * yrs, 1), tolerance = 1e-12)
  expect_error(sim_effects(preterm_trend = list(date = "2016-01-01", level = 0, slope = 0)),
               "preterm_trend")
})

test_that("its() marks the version change and can add a level-change term", {
  set.seed(5)
  d <- data.frame(booking_date = as.Date("2015-04-01") + sample(0:3650, 20000, TRUE))
  d$version <- ifelse(d$booking_date < as.Date("2019-04-01"), "v1.5", "v2")
  post <- d$booking_date >= as.Date("2016-01-01")
  d$preterm <- runif(20000) < 0.07 + 0.02 * post + 0.03 * (d$version == "v2")
  tr <- care_model_trend(d, preterm, interval = "year", disclosure = "none")
  expect_identical(tr$msds_version, c(rep("v1.5", 4), "v1.5 and v2", rep("v2", 6)))
  expect_identical(attr(tr, "trend")$version_change, msds_v2_date)
  fit <- its(d, preterm, breaks = as.Date("2016-01-01"), interval = "quarter",
             disclosure = "none", version_level = TRUE, vcov = "newey-west")
  # the same design fitted by lm(): the coefficients must agree
  s <- fit$fitted
  tk <- min(s$time[s$period >= as.Date("2016-01-01")])
  tv <- min(s$time[s$period >= as.Date("2019-04-01")])
  ref <- stats::lm(rate ~ time + I(time >= tk) + I((time - tk) * (time >= tk)) + I(time >= tv), data = s)
  expect_equal(unname(fit$coefficients$estimate), unname(stats::coef(ref)), tolerance = 1e-10)
  expect_identical(fit$coefficients$term[5], "level_msds_v2")
  needs_reference("sandwich")
  V <- sandwich::NeweyWest(ref, lag = fit$glance$lag, prewhite = FALSE, adjust = TRUE)
  expect_equal(unname(fit$coefficients$std.error), unname(sqrt(diag(V))), tolerance = 1e-8)
  expect_s3_class(ggplot2::autoplot(fit), "ggplot")
  expect_s3_class(ggplot2::autoplot(tr), "ggplot")
  # without v1.5 records nothing is marked unless asked
  d2 <- d[d$version == "v2", ]
  d2$version <- NULL
  expect_false("msds_version" %in% names(care_model_trend(d2, preterm, interval = "year", disclosure = "none")))
  expect_error(its(d, preterm, breaks = as.Date("2016-01-01"), version_level = "x", disclosure = "none"),
               "version_level")
})
