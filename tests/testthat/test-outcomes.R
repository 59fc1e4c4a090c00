# Expected outcomes written out from the fixture rows (helper-fixtures.R).

oc_fixture <- function(...) {
  x <- fixture_msds()
  suppressMessages(add_outcomes(fixture_cohort(x), x, ...))
}

test_that("every outcome has its eligibility column and catalogue entry", {
  co <- oc_fixture()
  oc <- attr(co, "outcomes")
  expect_named(oc, c("outcome", "eligible", "label", "multiplier", "level", "definition",
                     "source"))
  expect_identical(oc$outcome, c(
    "stillbirth", "neonatal_death", "perinatal_death", "preterm", "low_birth_weight",
    "term_low_birth_weight", "sga", "low_apgar", "tear_3_4", "pph_1500", "caesarean",
    "caesarean_elective", "caesarean_emergency", "breastmilk_first_feed", "nnu_admission"))
  expect_true(all(c(oc$outcome, oc$eligible, "birth_weight", "gestation_birth") %in% names(co)))
  expect_identical(oc$multiplier[oc$outcome %in% c("stillbirth", "neonatal_death", "preterm")],
                   c(1000, 1000, 1000))
  # each column says which definition made it, the NHS / MBRRACE-UK one by default
  expect_identical(oc$definition[match(c("stillbirth", "preterm", "low_apgar", "pph_1500",
                                         "breastmilk_first_feed", "nnu_admission"), oc$outcome)],
                   c("mbrrace", "cqim", "cqim", "cqim", "cqim", "neocritcare"))
  expect_true(all(nzchar(oc$source)))
  # outcome is NA exactly where not eligible
  for (i in seq_len(nrow(oc))) {
    e <- co[[oc$eligible[i]]]
    y <- co[[oc$outcome[i]]]
    expect_identical(is.na(y), !(e %in% TRUE), info = oc$outcome[i])
  }
  sub <- oc_fixture(outcomes = c("stillbirth", "caesarean"))
  expect_identical(attr(sub, "outcomes")$outcome, c("stillbirth", "caesarean"))
  expect_false("preterm" %in% names(sub))
  expect_error(oc_fixture(outcomes = "death"), "death")
})

test_that("a twin pregnancy with one stillbirth: any baby vs first baby", {
  any <- oc_fixture()
  first <- oc_fixture(multiple_births = "first")
  # P04: B04a live, B04b stillborn at 230 days (same date; B04a is first)
  expect_true(by_preg(any, "stillbirth")[["P04"]])
  expect_false(by_preg(first, "stillbirth")[["P04"]])
  expect_true(by_preg(any, "perinatal_death")[["P04"]])
  expect_identical(by_preg(any, "n_babies")[["P04"]], 2L)
  # twins are not in the singleton preterm denominator
  expect_false(by_preg(any, "preterm_eligible")[["P04"]])
  # low birth weight among live births: B04a 1200 g
  expect_true(by_preg(any, "low_birth_weight")[["P04"]])
})

test_that("stillbirth: 24+0 weeks, or 400 g when gestation is unknown", {
  co <- oc_fixture()
  # P15: stillbirth code at 160 days -> not a registrable birth at all
  expect_false(by_preg(co, "stillbirth_eligible")[["P15"]])
  # P16: stillbirth code, gestation unknown, 450 g -> stillbirth
  expect_true(by_preg(co, "stillbirth")[["P16"]])
  expect_identical(unname(by_preg(co, "stillbirth")[c("P01", "P05", "P07")]), c(FALSE, FALSE, FALSE))
  # at 390 g with unknown gestation it is not counted
  tabs <- fixture_tables()
  tabs$MSD405CareActivityBaby$BirthWeight[tabs$MSD405CareActivityBaby$Person_ID_Baby == "B16"] <- 390
  x <- fixture_msds(tabs)
  co2 <- suppressMessages(add_outcomes(fixture_cohort(x), x))
  expect_false(by_preg(co2, "stillbirth_eligible")[["P16"]])
  # the stillbirth codes are a parameter
  co3 <- oc_fixture(stillbirth_codes = c("02", "04"))
  expect_false(by_preg(co3, "stillbirth_eligible")[["P16"]])
})

test_that("neonatal death is death before 28 completed days", {
  co <- oc_fixture()
  expect_true(by_preg(co, "neonatal_death")[["P05"]])   # died at 27 days
  expect_false(by_preg(co, "neonatal_death")[["P06"]])  # died at 28 days
  expect_false(by_preg(co, "neonatal_death_eligible")[["P16"]])  # no live birth
  expect_true(by_preg(co, "perinatal_death")[["P05"]])
})

test_that("preterm: singleton live births 154-258 among 154-315 days", {
  co <- oc_fixture()
  expect_identical(unname(by_preg(co, "preterm")[c("P01", "P05", "P06", "P07", "P12")]),
                   c(FALSE, TRUE, FALSE, TRUE, FALSE))
  # P06 baby: 250 days in RecordNumber 1, 270 in RecordNumber 2 -> term
  expect_identical(by_preg(co, "gestation_birth")[["P06"]], 270L)
  expect_false(by_preg(co, "preterm_eligible")[["P15"]])  # stillbirth code
})

test_that("birth weight, term LBW, Apgar from MSD405 (latest submission)", {
  co <- oc_fixture()
  # P06: MSD405 rows come from the retained MSD401 submission (RecordNumber 2),
  # whose birth weight is missing; RecordNumber 1's 3000 g is superseded
  expect_identical(unname(by_preg(co, "birth_weight")[c("P01", "P06", "P12")]), c(3400, NA, 2400))
  expect_identical(unname(by_preg(co, "term_low_birth_weight")[c("P01", "P12")]), c(FALSE, TRUE))
  expect_false(by_preg(co, "term_low_birth_weight_eligible")[["P05"]])  # 250 days
  # P06: Apgar 9 in RecordNumber 1, 5 in RecordNumber 2 -> low Apgar
  expect_true(by_preg(co, "low_apgar")[["P06"]])
  expect_false(by_preg(co, "low_apgar")[["P01"]])
  expect_false(by_preg(co, "low_apgar_eligible")[["P07"]])  # preterm
  expect_false(by_preg(co, "low_apgar_eligible")[["P04"]])  # twins, preterm
})

test_that("maternity outcomes: caesarean, tears, PPH", {
  co <- oc_fixture()
  expect_identical(unname(by_preg(co, "caesarean")[c("P01", "P04", "P06", "P16")]),
                   c(FALSE, TRUE, TRUE, FALSE))
  expect_identical(unname(by_preg(co, "caesarean_elective")[c("P04", "P06")]), c(FALSE, TRUE))
  expect_identical(unname(by_preg(co, "caesarean_emergency")[c("P04", "P06")]), c(TRUE, FALSE))
  expect_false(by_preg(co, "caesarean_eligible")[["P03"]])  # no birth
  # P02 third-degree tear (10217006) on a term singleton spontaneous birth
  expect_true(by_preg(co, "tear_3_4")[["P02"]])
  expect_false(by_preg(co, "tear_3_4")[["P01"]])
  # P06 fourth-degree code but a caesarean -> not in the denominator
  expect_false(by_preg(co, "tear_3_4_eligible")[["P06"]])
  expect_false(by_preg(co, "tear_3_4_eligible")[["P07"]])  # preterm
  # PPH: 1499 ml no, 1600 ml yes, 1500 ml (another code of the CQIMPPH list) yes
  expect_identical(unname(by_preg(co, "pph_1500")[c("P01", "P05", "P12", "P02")]),
                   c(FALSE, TRUE, TRUE, FALSE))
  # only the configured observation codes count
  co2 <- oc_fixture(pph_obs_codes = "719051004")
  expect_false(by_preg(co2, "pph_1500")[["P12"]])
  co3 <- oc_fixture(pph_threshold = 1000)
  expect_true(by_preg(co3, "pph_1500")[["P01"]])
})

test_that("first feed and neonatal unit admission", {
  co <- oc_fixture()
  expect_identical(unname(by_preg(co, "breastmilk_first_feed")[c("P01", "P02", "P06")]),
                   c(TRUE, TRUE, FALSE))
  expect_false(by_preg(co, "breastmilk_first_feed_eligible")[["P07"]])  # not recorded
  expect_true(by_preg(co, "nnu_admission")[["P07"]])
  expect_false(by_preg(co, "nnu_admission")[["P01"]])
})

test_that("SGA needs a user centile table; without one it is NA with a message", {
  x <- fixture_msds()
  co <- fixture_cohort(x)
  suppressMessages(expect_message(r <- add_outcomes(co, x), "sga_centiles"))
  expect_true(all(is.na(r$sga)) && all(is.na(r$sga_eligible)))
  # an illustrative table (not a real chart): 10th centile 3350 g at 40 weeks
  # for girls and 3300 g at 39 weeks for boys; weeks = completed weeks
  tab <- data.frame(sex = c("female", "male", "male"), gestation_weeks = c(40, 39, 40),
                    p10 = c(3350, 3300, 3000))
  r <- suppressMessages(add_outcomes(co, x, sga_centiles = tab))
  # P01: girl, 280 days = 40 weeks, 3400 g >= 3350 -> not SGA
  expect_false(by_preg(r, "sga")[["P01"]])
  # P02: boy, 275 days = 39 weeks, 3300 g is not below 3300 -> not SGA
  expect_false(by_preg(r, "sga")[["P02"]])
  # P12: boy, 40 weeks, 2400 g < 3000 -> SGA
  expect_true(by_preg(r, "sga")[["P12"]])
  # P06: girl at 38 weeks is not in the table -> not eligible, with a message
  expect_false(by_preg(r, "sga_eligible")[["P06"]])
  suppressMessages(expect_message(add_outcomes(co, x, sga_centiles = tab, outcomes = "sga"),
                                  "not covered"))
  expect_error(suppressMessages(add_outcomes(co, x, sga_centiles = data.frame(g = 1))), "gestation")
})

test_that("baby records that are not births are counted and reported", {
  tabs <- fixture_tables()
  # P12's baby recorded with outcome code 05 (not a live birth or stillbirth)
  tabs$MSD401BabyDemographics$PregOutcome[tabs$MSD401BabyDemographics$Person_ID_Baby == "B12"] <- "05"
  x <- fixture_msds(tabs)
  co <- fixture_cohort(x)
  msgs <- character()
  r <- withCallingHandlers(add_outcomes(co, x, outcomes = "stillbirth"),
                           message = function(m) {
                             msgs <<- c(msgs, conditionMessage(m))
                             invokeRestart("muffleMessage")
                           })
  msgs <- paste(msgs, collapse = "\n")
  # counts in messages as the option's disclosure rule (default nhse_sde)
  # releases them
  expect_match(msgs, "PregOutcome 05: <10")
  # P15's stillbirth code at 160 days
  expect_match(msgs, "below 24\\+0 weeks.*: <10")
  expect_false(by_preg(r, "stillbirth_eligible")[["P12"]])
})
