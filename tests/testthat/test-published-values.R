# Rates, intervals, SII/RII and DSRs against published values (typed in from
# the publications, or read from the reference's own test data in fixtures/;
# never produced by matequity). PHEindicatormethods 2.1.2 is on CRAN but needs
# R >= 4.3, so it cannot be installed on this R 4.2 machine: its published
# test values stand in for it.

test_that("wilson_ci() reproduces Newcombe (1998), Table II, method 3", {
  # Newcombe RG. Two-sided confidence intervals for the single proportion:
  # comparison of seven methods. Stat Med 1998;17:857-872. Wilson score
  # interval without continuity correction, printed to 4 decimals.
  got <- wilson_ci(c(81, 15, 0, 1), c(263, 148, 20, 29))
  published_low <- c(0.2553, 0.0624, 0.0000, 0.0061)
  published_high <- c(0.3662, 0.1605, 0.1611, 0.1718)
  expect_equal(round(got$conf.low, 4), published_low)
  expect_equal(round(got$conf.high, 4), published_high)
})

test_that("poisson_ci() exact limits reproduce the classical tables", {
  # Exact (Garwood 1936) 95% limits for a Poisson count, as tabulated e.g. in
  # Ulm K. A simple method to calculate the confidence interval of a
  # standardized mortality ratio. Am J Epidemiol 1990;131:373-375, and in
  # Documenta Geigy Scientific Tables: 0: 0-3.689; 1: 0.0253-5.572;
  # 2: 0.2422-7.225; 5: 1.6235-11.668; 9: 4.1150-17.085.
  got <- poisson_ci(c(0, 1, 2, 5, 9))
  expect_equal(got$method, rep("exact", 5))
  expect_equal(got$conf.low[-1], c(0.0253, 0.2422, 1.6235, 4.1150), tolerance = 1e-3)
  expect_equal(got$conf.low[1], 0)
  expect_equal(got$conf.high, c(3.689, 5.572, 7.225, 11.668, 17.085), tolerance = 2e-4)
})

test_that("Wilson and Byar's limits reproduce PHEindicatormethods' published test values", {
  # PHEindicatormethods 2.1.2 (CRAN; needs R >= 4.3, so it cannot be installed
  # here): tests/testthat/testdata_Byars_Wilson.xlsx, sheet testdata_B_W, the
  # expected values of its wilson_lower/upper and byars_lower/upper tests
  # (computed in PHE's APHO Excel tool). Typed in from that file.
  byar95 <- poisson_ci(c(65, 1045, 1), method = "byar")
  expect_equal(byar95$conf.low, c(50.16318771, 982.59320181, 0.01307213), tolerance = 1e-8)
  expect_equal(byar95$conf.high, c(82.8491385, 1110.3312130, 5.5637556), tolerance = 1e-8)
  byar998 <- poisson_ci(c(65, 1045, 10, 1), conf_level = 0.998, method = "byar")
  expect_equal(byar998$conf.low[1:3], c(42.88026147, 947.94070356, 2.91631837), tolerance = 1e-8)
  expect_equal(byar998$conf.high, c(94.0002908, 1148.8061610, 24.1937249, 9.3621802),
               tolerance = 1e-8)
  # (the file's third Wilson case, 0.445 of 1, is a fractional count, which
  # wilson_ci() refuses: it takes counts of events)
  w95 <- wilson_ci(c(65, 1045), c(100, 5000))
  expect_equal(w95$conf.low, c(0.55254443, 0.19795550), tolerance = 1e-7)
  expect_equal(w95$conf.high, c(0.7363575, 0.2204913), tolerance = 1e-7)
  w998 <- wilson_ci(c(65, 1045), c(100, 5000), conf_level = 0.998)
  expect_equal(w998$conf.low, c(0.49549466, 0.19179382), tolerance = 1e-7)
  expect_equal(w998$conf.high, c(0.7783541, 0.2273156), tolerance = 1e-7)
})

test_that("inequality_index() reproduces PHEindicatormethods' published SII/RII test values", {
  skip_on_cran()
  # fixtures/phe_sii_published.csv: four test cases (records 1-20, 71-90,
  # 91-110 and 306-325) of PHEindicatormethods 2.1.2's
  # tests/testthat/testdata_SII.xlsx (inputs per quantile and the expected
  # SII, RII and 95% limits, computed in PHE's Excel tool): a default
  # (normal) indicator with standard errors, a rate with standard errors, a
  # proportion with confidence limits, and a rate with limits and the log
  # transform. The package itself needs R >= 4.3 and cannot be installed here.
  # PHE's own tests allow 5% on the simulated limits; the point estimates are
  # exact.
  ref <- utils::read.csv(test_path("fixtures", "phe_sii_published.csv"))
  specs <- list(other_se = list(type = "other", use = "se", transform = FALSE),
                rate_se = list(type = "rate", use = "se", transform = FALSE),
                proportion_cl = list(type = "proportion", use = "cl", transform = FALSE),
                rate_log_cl = list(type = "rate", use = "cl", transform = TRUE))
  for (cs in names(specs)) {
    sp <- specs[[cs]]
    x <- ref[ref$case == cs, ]
    args <- list(data = x, rank = "Quantile", by = "Area", population = "Population",
                 value = "Value", type = sp$type, transform = sp$transform, reps = 20000,
                 seed = 2, disclosure = "none")
    if (sp$use == "se") args$se <- "StandardError" else {
      args$lower <- "LowerCL"
      args$upper <- "UpperCL"
    }
    got <- as.data.frame(do.call(inequality_index, args))
    exp <- x[!is.na(x$sii), ]
    for (tm in c("sii", "rii")) {
      g <- got[got$term == tm, ]
      g <- g[match(exp$Area, g$Area), ]
      expect_equal(g$estimate, exp[[tm]], tolerance = 1e-7, info = paste(cs, tm))
      expect_equal(g$conf.low, exp[[paste0(tm, "_lowercl_1")]], tolerance = 0.02,
                   info = paste(cs, tm, "lower"))
      expect_equal(g$conf.high, exp[[paste0(tm, "_uppercl_1")]], tolerance = 0.02,
                   info = paste(cs, tm, "upper"))
    }
  }
})

test_that("dsr() reproduces PHEindicatormethods' published DSR test values", {
  # fixtures/phe_dsr_published.csv: sheet testdata_multiarea of
  # PHEindicatormethods 2.1.2's tests/testthat/testdata_DSR_ISR.xlsx (three
  # areas x 19 age bands; its one missing count, which PHE counts as zero,
  # is entered as 0). Expected values: sheet testresults_DSR, rows 5-7
  # (European Standard Population 2013, per 100,000, Dobson limits), typed in.
  d <- utils::read.csv(test_path("fixtures", "phe_dsr_published.csv"))
  esp2013 <- c(5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000,
               5500, 5000, 4000, 2500, 1500, 1000)
  names(esp2013) <- d$ageband[1:19]
  g95 <- dsr(d, standard = "ageband", by = "area", events = "count", n = "pop",
             std_pop = esp2013, per = 100000, disclosure = "none")
  g998 <- dsr(d, standard = "ageband", by = "area", events = "count", n = "pop",
              std_pop = esp2013, per = 100000, conf_level = 0.998, disclosure = "none")
  expect_equal(g95$area, c("testdata_big", "testdata_small", "testdata_tiny"))
  expect_equal(g95$events, c(895, 91, 9))
  expect_equal(g95$rate[1:2], c(10430.248, 1103.212), tolerance = 1e-7)
  expect_equal(g95$conf.low[1:2], c(9717.7091, 877.4558), tolerance = 1e-7)
  expect_equal(g95$conf.high[1:2], c(11178.941, 1367.088), tolerance = 1e-7)
  expect_equal(g998$conf.low[1:2], c(9323.288, 763.642), tolerance = 1e-6)
  expect_equal(g998$conf.high[1:2], c(11620.596, 1530.033), tolerance = 1e-6)
  # PHE: no DSR for fewer than 10 events
  expect_true(all(is.na(c(g95$rate[3], g95$conf.low[3], g95$conf.high[3]))))
})
