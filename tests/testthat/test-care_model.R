# Expected flags written out from the fixture rows (helper-fixtures.R), for
# the package's research rule (definition = "research"); NHS Digital's
# definitions are tested in test-care_model-nhs.R.

cm_fixture <- function(..., definition = "research") {
  x <- fixture_msds()
  add_care_model(fixture_cohort(x), x, definition = definition, ...)
}

test_that("add_care_model adds the documented columns", {
  co <- cm_fixture()
  expect_true(all(c("pcsp", "pcsp_eligible", "coc_eligible", "coc_placed", "coc_reason",
                    "coc_month", "care_plan_date", "coc_placed_date", "named_midwife",
                    "named_team", "named_provider", "pcsp_all_pathways",
                    "pcsp_all_pathways_eligible", "pcsp_all_pathways_reason",
                    "pcsp_all_pathways_month") %in% names(co)))
  expect_s3_class(co, "mq_cohort")
  expect_identical(attr(co, "care_model")$definition, "research")
  expect_identical(attr(cm_fixture(definition = "nhs"), "care_model")$definition, "nhs")
  expect_error(cm_fixture(definition = "both"), "definition")
})

test_that("a care plan dated at 203 days places the pregnancy; one at 204 days does not", {
  co <- cm_fixture()
  # P01: antenatal plan at exactly 203 days, ContCarePathInd Y, midwife and team
  expect_true(by_preg(co, "coc_eligible")[["P01"]])
  expect_true(by_preg(co, "coc_placed")[["P01"]])
  expect_identical(by_preg(co, "coc_placed_date")[["P01"]], as.Date("2020-01-10") + 133)
  expect_identical(by_preg(co, "named_midwife")[["P01"]], "MW01")
  expect_identical(by_preg(co, "named_team")[["P01"]], "TEAM1")
  # P02: plan at 100 days says N, the Y plan is at 204 days -> not placed
  expect_true(by_preg(co, "coc_eligible")[["P02"]])
  expect_false(by_preg(co, "coc_placed")[["P02"]])
  expect_true(is.na(by_preg(co, "coc_placed_date")[["P02"]]))
  expect_identical(by_preg(co, "named_midwife")[["P02"]], "MW02")
  # moving the assessment point to 204 days places P02
  co204 <- cm_fixture(coc_gest = 204)
  expect_true(by_preg(co204, "coc_placed")[["P02"]])
})

test_that("placement needs both a named midwife and a team", {
  co <- cm_fixture()
  # P04: ContCarePathInd Y at 150 days but TeamLocalID missing
  expect_true(by_preg(co, "coc_eligible")[["P04"]])
  expect_false(by_preg(co, "coc_placed")[["P04"]])
  # P12: the only plan has ContCarePathInd missing -> no qualifying plan -> FALSE
  expect_false(by_preg(co, "coc_placed")[["P12"]])
  expect_true(is.na(by_preg(co, "named_midwife")[["P12"]]))
  # P16: no care plan at all -> eligible, not placed
  expect_false(by_preg(co, "coc_placed")[["P16"]])
})

test_that("a repeated submission of a care plan: the latest wins", {
  co <- cm_fixture()
  # P06: the plan at 180 days was N in RecordNumber 1 and Y in RecordNumber 2
  expect_true(by_preg(co, "coc_placed")[["P06"]])
  expect_true(by_preg(co, "pcsp")[["P06"]])
})

test_that("not reaching 203 days makes a pregnancy ineligible, never unexposed", {
  co <- cm_fixture()
  ineligible <- c("P03", "P05", "P07", "P14", "P15")
  expect_identical(unname(by_preg(co, "coc_eligible")[ineligible]), rep(FALSE, 5))
  expect_true(all(is.na(by_preg(co, "coc_placed")[ineligible])))
  expect_identical(unname(by_preg(co, "coc_reason")[ineligible]), c(
    "discharged at or before 203 days",   # P03 discharged at 150 days
    "booked before MSDS v2",              # P05 booked 2018-06-01
    "birth before 203 days",              # P07 born at 190 days
    "203 days not reached by end of data",# P14 booked 2023-05-01 at 60 days
    "birth before 203 days"))             # P15 born at 160 days
  eligible <- setdiff(co$preg_id, ineligible)
  expect_true(all(is.na(by_preg(co, "coc_reason")[eligible])))
  expect_false(anyNA(by_preg(co, "coc_placed")[eligible]))
  # P03's plan at 100 days was Y: still NA, because she left the service first
  expect_true(is.na(by_preg(co, "named_midwife")[["P03"]]))
  # with data_end after P14's 203-day date she becomes eligible (no plan: FALSE)
  co2 <- cm_fixture(data_end = "2024-01-01")
  expect_true(by_preg(co2, "coc_eligible")[["P14"]])
  expect_false(by_preg(co2, "coc_placed")[["P14"]])
})

test_that("discharge exactly at 203 days is ineligible, at 204 days eligible", {
  tabs <- fixture_tables()
  i <- which(tabs$MSD101PregnancyBooking$UniqPregID == "P16")
  tabs$MSD101PregnancyBooking$DischargeDateMatService[i] <- fx_at("2021-03-01", 70, 203)
  x <- fixture_msds(tabs)
  co <- add_care_model(fixture_cohort(x), x, definition = "research")
  expect_false(by_preg(co, "coc_eligible")[["P16"]])
  expect_false(by_preg(add_care_model(fixture_cohort(x), x), "coc_eligible")[["P16"]])
  tabs$MSD101PregnancyBooking$DischargeDateMatService[i] <- fx_at("2021-03-01", 70, 204)
  x <- fixture_msds(tabs)
  co <- add_care_model(fixture_cohort(x), x, definition = "research")
  expect_true(by_preg(co, "coc_eligible")[["P16"]])
  expect_true(by_preg(add_care_model(fixture_cohort(x), x), "coc_eligible")[["P16"]])
})

test_that("birth gestation falls back to the birth date when not recorded", {
  tabs <- fixture_tables()
  # P07 born at 190 days; without GestationLengthBirth the date gives 190 too
  tabs$MSD401BabyDemographics$GestationLengthBirth[tabs$MSD401BabyDemographics$Person_ID_Baby == "B07"] <- NA
  x <- fixture_msds(tabs)
  co <- add_care_model(fixture_cohort(x), x, definition = "research")
  expect_identical(by_preg(co, "coc_reason")[["P07"]], "birth before 203 days")
})

test_that("pcsp: latest antenatal plan, optionally by a gestation", {
  co <- cm_fixture()
  expect_identical(unname(by_preg(co, "pcsp")[c("P01", "P02", "P03", "P12", "P14", "P16")]),
                   c(TRUE, TRUE, TRUE, FALSE, FALSE, FALSE))
  # the birth plan ('06') of P01 (N, at 250 days) is not an antenatal plan
  expect_identical(by_preg(co, "care_plan_date")[["P01"]], as.Date("2020-01-10") + 133)
  # by 203 days P02's latest antenatal plan is the N one at 100 days
  co203 <- cm_fixture(pcsp_gest = 203)
  expect_false(by_preg(co203, "pcsp")[["P02"]])
  expect_identical(by_preg(co203, "care_plan_date")[["P02"]], as.Date("2020-02-01") + 20)
})

test_that("pre-MSDS-v2 pregnancies get NA exposures with a reason", {
  co <- cm_fixture()
  expect_true(is.na(by_preg(co, "pcsp")[["P05"]]))
  expect_true(is.na(by_preg(co, "coc_placed")[["P05"]]))
  expect_identical(by_preg(co, "coc_reason")[["P05"]], "booked before MSDS v2")
  expect_identical(unname(by_preg(co, "pcsp_eligible")[c("P05", "P01")]), c(FALSE, TRUE))
  # v2_start is a parameter: a start in 2021 makes every 2020 booking pre-v2
  co21 <- cm_fixture(v2_start = "2021-01-01")
  expect_true(is.na(by_preg(co21, "pcsp")[["P01"]]))
  expect_identical(by_preg(co21, "coc_reason")[["P01"]], "booked before MSDS v2")
  expect_error(cm_fixture(v2_start = "not a date"), "v2_start")
})
