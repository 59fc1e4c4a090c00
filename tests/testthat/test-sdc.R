test_that("without apply_disclosure() tables pass through with a warning unless disclosure is off", {
  skip_if(exists("apply_disclosure", asNamespace("matequity")))
  d <- data.frame(events = 1, n = 2, rate = 50)
  expect_identical(matequity:::sdc_table(d, "events", "rate", "none"), d)
  rlang::local_options(rlib_warning_verbosity = "verbose")
  expect_warning(matequity:::sdc_table(d, "events", "rate", NULL), "not suppressed")
})
