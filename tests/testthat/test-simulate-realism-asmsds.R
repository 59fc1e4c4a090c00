# The simulator's real-extract shapes read by as_msds(). These need as_msds()
# to accept real shapes (big record numbers, text values, codes outside the
# code lists: helper `types`) and to keep the latest submission of each
# record (helper `subs`); they fail before those merge.

test_that("simulate_msds() with realism (the default) returns a validated msds object", {
  x <- simulate_msds(3000, seed = 7)
  expect_s3_class(x, "msds")
  expect_false(anyDuplicated(x$MSD101PregnancyBooking$UniqPregID) > 0)
  expect_false(anyDuplicated(paste(x$MSD201CareContactPreg$UniqPregID,
                                   x$MSD201CareContactPreg$CareConID)) > 0)
  expect_type(x$MSD101PregnancyBooking$RecordNumber, "double")
  expect_true(all(x$MSD101PregnancyBooking$RecordNumber > 1e14))
  expect_type(x$MSD001MotherDemog$Rank_IMD_Decile_2015, "integer")
  expect_true(all(x$MSD001MotherDemog$Rank_IMD_Decile_2015 %in% c(1:10, NA)))
  expect_type(x$MSD405CareActivityBaby$ApgarScore, "integer")
  expect_type(x$MSD302CareActivityLabDel$ObsValue, "double")
  expect_true(all(x$MSD001MotherDemog$EthnicCategoryMother == toupper(x$MSD001MotherDemog$EthnicCategoryMother),
                  na.rm = TRUE))
  for (a in c("truth", "simulation", "flags", "submissions", "sim_submissions")) expect_false(is.null(attr(x, a)), label = a)
  # the codes outside the code lists are counted, not errors
  q <- msds_quality(x, disclosure = "none")
  expect_true(any(q$table == "MSD401BabyDemographics" & q$field == "PregOutcome"))
  expect_true(any(q$table == "MSD102MatCarePlan" & q$field == "CarePlanType"))
  expect_true(any(q$table == "MSD001MotherDemog" & q$field == "EthnicCategoryMother"))
})

test_that("as_msds() of the raw extract is simulate_msds()'s object", {
  raw <- simulate_msds(2000, seed = 9, realism = sim_realism(validate = FALSE))
  a <- as_msds(raw, flags = attr(raw, "flags"), quiet = TRUE)
  b <- simulate_msds(2000, seed = 9)
  expect_identical(unclass(a)[names(a)], unclass(b)[names(b)])
  expect_identical(attr(a, "quality"), attr(b, "quality"))
})

test_that("after as_msds() every table holds the clean records", {
  clean <- simulate_msds(3000, seed = 7, realism = NULL)
  raw <- simulate_msds(3000, seed = 7, realism = sim_realism(
    validate = FALSE, preg_outcome_invalid = 0, phen_sex_invalid = 0))
  x <- as_msds(raw, flags = attr(raw, "flags"), quiet = TRUE)
  expect_latest_is_clean(x, clean, unique_rows = TRUE)
  heavy <- simulate_msds(3000, seed = 7, realism = sim_realism(
    validate = FALSE, preg_outcome_invalid = 0, phen_sex_invalid = 0,
    max_resubmissions = 6, contact_resubmissions = 3, future_appointments = 0.5,
    provisional_differ = 0.3, ethnicity_lower = 0.2, yes_no_lower = 0.2, lsoa_late = 0.3))
  expect_latest_is_clean(as_msds(heavy, flags = attr(heavy, "flags"), quiet = TRUE), clean,
                         unique_rows = TRUE)
})

# The columns of a per-pregnancy table in pregnancy order, without its
# attributes: the row order follows the bookings' order in the object, which
# the submissions reorder, and the demographics route differs by design (the
# real shapes share record numbers across tables, the clean tables do not).
by_preg <- function(d) {
  d <- unclass(d)[names(d)]
  o <- order(d$preg_id)
  lapply(d, function(v) v[o])
}

test_that("cohort, care model and outcomes are the same on the real shapes as on the clean tables", {
  skip_on_cran()
  rz <- sim_realism(preg_outcome_invalid = 0, phen_sex_invalid = 0, ethnicity_invalid = 0)
  pipe <- function(x) {
    co <- suppressMessages(define_cohort(x))
    co <- add_care_model(co, x)
    suppressMessages(add_outcomes(co, x))
  }
  clean <- simulate_msds(8000, seed = 13, realism = NULL)
  real <- simulate_msds(8000, seed = 13, realism = rz)
  a <- pipe(real)
  b <- pipe(clean)
  expect_identical(sort(a$preg_id), sort(b$preg_id))
  expect_equal(by_preg(a), by_preg(b))
  # the exclusion log agrees after its first row, which counts the superseded
  # booking submissions (many in the real shapes, the simulator's own
  # repeat_submission records in the clean tables)
  ea <- attr(a, "exclusions")
  eb <- attr(b, "exclusions")
  expect_equal(ea[-1, c("step", "n_excluded")], eb[-1, c("step", "n_excluded")])
  # rates, disparities and effects downstream: the same numbers (the rows
  # come in another order, so the fits agree to rounding)
  rates <- function(co) outcome_rates(co, preterm, by = core20plus, disclosure = "none")
  expect_equal(rates(a), rates(b), ignore_attr = TRUE)
  disp <- function(co) disparity(co, preterm, core20plus, disclosure = "none")
  expect_equal(disp(a), disp(b), ignore_attr = TRUE, tolerance = 1e-10)
  eff <- function(co) {
    d <- co[!is.na(co$coc_placed) & co$preterm_eligible %in% TRUE, ]
    d <- d[order(d$preg_id), ]
    tidy(estimate_effect(d, coc_placed, preterm, ~ age + imd_quintile + nulliparous,
                         method = "aipw", missing = "complete_case", disclosure = "none"))
  }
  expect_equal(eff(a), eff(b), tolerance = 1e-10)
  # a resubmitted month changes nothing: more resubmissions, same answers
  more <- simulate_msds(8000, seed = 13, realism = sim_realism(
    preg_outcome_invalid = 0, phen_sex_invalid = 0, ethnicity_invalid = 0,
    max_resubmissions = 6, contact_resubmissions = 3))
  expect_equal(by_preg(pipe(more)), by_preg(b))
  # with the default invalid codes, only the marked pregnancies differ
  dflt <- simulate_msds(8000, seed = 13)
  d <- pipe(dflt)
  sim <- attr(dflt, "simulation")
  marked <- sim$UniqPregID[sim$recording_problem %in%
                             c("invalid pregnancy outcome code", "invalid phenotypic sex code")]
  keep_a <- !d$preg_id %in% marked
  keep_b <- !b$preg_id %in% marked
  oc <- intersect(outcome_catalogue()$outcome, names(b))
  out_cols <- c("preg_id", oc, paste0(oc, "_eligible"))
  out_cols <- intersect(out_cols, names(d))
  expect_equal(by_preg(d[keep_a, out_cols]), by_preg(b[keep_b, out_cols]))
})

test_that("the continuity indices are the same on the real shapes as on the clean tables", {
  skip_on_cran()
  rz <- sim_realism(preg_outcome_invalid = 0, phen_sex_invalid = 0, ethnicity_invalid = 0,
                    contact_resubmissions = 2, future_appointments = 0.5)
  clean <- simulate_msds(4000, seed = 17, realism = NULL)
  real <- simulate_msds(4000, seed = 17, realism = rz)
  ci <- function(x) {
    co <- suppressMessages(add_care_model(define_cohort(x), x))
    suppressMessages(continuity(co, x))
  }
  expect_equal(by_preg(ci(real)), by_preg(ci(clean)))
})
