# Expected counts worked out by hand from the fixture rows (helper-fixtures.R).

dq_cell <- function(dq, provider, year, field, col) {
  dq[[col]][dq$provider == provider & dq$year == year & dq$field == field]
}

test_that("data_quality on an msds object counts completeness and validity", {
  dq <- data_quality(fixture_msds(), disclosure = "none")
  expect_s3_class(dq, "mq_data_quality")
  expect_true(all(c("provider", "year", "field", "n", "n_complete", "pct_complete", "n_valid",
                    "pct_valid") %in% names(dq)))
  # RXB 2020 bookings: P03 (J), P04 (Z), P07 (M): 3 recorded, 2 stated
  expect_identical(dq_cell(dq, "RXB", 2020L, "ethnicity", "n"), 3L)
  expect_identical(dq_cell(dq, "RXB", 2020L, "ethnicity", "n_complete"), 3L)
  expect_identical(dq_cell(dq, "RXB", 2020L, "ethnicity", "n_valid"), 2L)
  expect_equal(dq_cell(dq, "RXB", 2020L, "ethnicity", "pct_valid"), 200 / 3, tolerance = 1e-12)
  # RXA 2020 bookings (latest submission): P01, P02, P06, P08, P09, P10; only
  # P01, P02, P06 have an antenatal care plan
  expect_identical(dq_cell(dq, "RXA", 2020L, "MatPersCarePlanInd", "n"), 6L)
  expect_identical(dq_cell(dq, "RXA", 2020L, "MatPersCarePlanInd", "n_complete"), 3L)
  # RXB 2020: P04's plan has midwife MW04 (not in MSD901) and no team
  expect_identical(dq_cell(dq, "RXB", 2020L, "named_midwife", "n_complete"), 3L)
  expect_identical(dq_cell(dq, "RXB", 2020L, "named_midwife", "n_valid"), 2L)
  expect_identical(dq_cell(dq, "RXB", 2020L, "named_team", "n_complete"), 2L)
  # pre-v2 years have no care-plan rows
  expect_false(any(dq$year == 2018L & dq$field == "ContCarePathInd"))
  # RXA 2018: P05's mother has no LSOA and no decile; ethnicity 99 not valid
  expect_identical(dq_cell(dq, "RXA", 2018L, "lsoa", "n_complete"), 0L)
  expect_identical(dq_cell(dq, "RXA", 2018L, "ethnicity", "n_valid"), 0L)
  # RXA 2021 babies: B12, B15, B17; weight missing for B17; Apgar among the
  # live births B12 and B17, recorded for B12 only
  expect_identical(dq_cell(dq, "RXA", 2021L, "birth_weight", "n"), 3L)
  expect_identical(dq_cell(dq, "RXA", 2021L, "birth_weight", "n_complete"), 2L)
  expect_identical(dq_cell(dq, "RXA", 2021L, "apgar", "n"), 2L)
  expect_identical(dq_cell(dq, "RXA", 2021L, "apgar", "n_complete"), 1L)
  # RXB 2021: P16's mother has LSOA "X123" (recorded, not a valid code)
  expect_identical(dq_cell(dq, "RXB", 2021L, "lsoa", "n_valid"), 1L)
  expect_true(all(dq$n_valid <= dq$n_complete))
})

test_that("data_quality on a cohort counts only the cohort's pregnancies", {
  x <- fixture_msds()
  co <- fixture_cohort(x)
  dq <- data_quality(co, msds = x, disclosure = "none")
  # cohort RXA 2020: P01, P02, P06 (P08-P10 were excluded)
  expect_identical(dq_cell(dq, "RXA", 2020L, "ethnicity", "n"), 3L)
  expect_identical(dq_cell(dq, "RXA", 2020L, "MatPersCarePlanInd", "n_complete"), 3L)
  expect_error(data_quality(co), "msds")
  by_year <- data_quality(x, by = "year", disclosure = "none")
  expect_false("provider" %in% names(by_year))
  expect_identical(by_year$n[by_year$year == 2020L & by_year$field == "ethnicity"], 9L)
  expect_error(data_quality(x, by = "unit"), "by")
  expect_error(data_quality(list()), "msds")
})

test_that("autoplot draws a heat map", {
  needs_reference("ggplot2")
  dq <- data_quality(fixture_msds(), disclosure = "none")
  p <- ggplot2::autoplot(dq)
  expect_s3_class(p, "ggplot")
  expect_s3_class(ggplot2::autoplot(dq, measure = "pct_complete"), "ggplot")
})
