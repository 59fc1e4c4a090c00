idx_cols <- c("preg_id", "n_contacts", "n_carers", "usual_carer", "upc", "coc",
              "hhi", "secon", "mmci", "named_midwife_share", "named_team_share")

test_that("the engine agrees exactly with a straightforward R implementation", {
  d <- matequity:::continuity_demo_data(120, seed = 3)
  settings <- list(
    list(phase = "antenatal"),
    list(phase = "postnatal"),
    list(phase = "antenatal", missing = "break"),
    list(phase = "antenatal", carer = "team"),
    list(phase = "antenatal", collapse = TRUE, missing = "break")
  )
  for (s in settings) {
    carer <- s$carer %||% "professional"
    missing <- s$missing %||% "drop"
    collapse <- s$collapse %||% FALSE
    got <- suppressWarnings(continuity(d$cohort, d$msds, phase = s$phase, carer = carer,
                                       missing_carer = missing, collapse_same_day = collapse,
                                       nthreads = 1))
    want <- ref_continuity(d$msds, d$cohort, s$phase, carer, missing, collapse)
    expect_identical(as.data.frame(unclass(got)[idx_cols]), as.data.frame(unclass(want)[idx_cols]),
                     label = paste(unlist(s), collapse = " "))
  }
})

test_that("one and two threads give identical results", {
  d <- matequity:::continuity_demo_data(150, seed = 5)
  ph <- c("antenatal", "intrapartum", "postnatal", "all")
  a <- continuity(d$cohort, d$msds, phase = ph, nthreads = 1)
  b <- continuity(d$cohort, d$msds, phase = ph, nthreads = 2)
  expect_identical(a, b)
  expect_equal(nrow(a), 4 * 150)
  # identity COC = (N HHI - 1) / (N - 1)
  ok <- !is.na(a$coc)
  expect_equal(a$coc[ok], (a$n_contacts[ok] * a$hhi[ok] - 1) / (a$n_contacts[ok] - 1),
               tolerance = 1e-12)
})

# One pregnancy with contacts on days 10.. and activities as given.
one_preg <- function(acts, contacts = NULL, birth = NA, del_prof = NA) {
  preg <- data.frame(id = "P1", booking = 0, discharge = 300, birth = birth,
                     del_prof = del_prof)
  if (is.null(contacts)) {
    con <- unique(acts$con)
    contacts <- data.frame(con = con, preg = "P1", date = 10 + seq_along(con),
                           time = NA_character_, attend = "5")
  }
  list(msds = mini_msds(preg, contacts, acts), cohort = mini_cohort(preg))
}

test_that("a contact with two carers counts once, for its first activity's carer", {
  # C1: X then the named midwife MWN; C2: MWN. Carers X, MWN: N 2, M 2,
  # SECON 0; named-midwife share 2/2 since C1 involves MWN.
  d <- one_preg(data.frame(con = c("C1", "C1", "C2"), prof = c("X", "MWN", "MWN"),
                           team = "T9"))
  x <- continuity(d$cohort, d$msds)
  expect_equal(x$n_contacts, 2L)
  expect_equal(x$n_carers, 2L)
  expect_identical(x$usual_carer, "X")
  expect_identical(x$secon, 0)
  expect_identical(x$named_midwife_share, 1)
})

test_that("ties in time are ordered by time, then contact id", {
  # same day: C2 09:00 (A), C1 10:00 (B), C3 10:00 (A) -> A B A, SECON 0;
  # by id only it would be B A A (SECON 1/2).
  acts <- data.frame(con = c("C1", "C2", "C3"), prof = c("B", "A", "A"), team = "T")
  contacts <- data.frame(con = c("C1", "C2", "C3"), preg = "P1", date = 20,
                         time = c("10:00", "09:00", "10:00"), attend = "5")
  x <- continuity(one_preg(acts, contacts)$cohort, one_preg(acts, contacts)$msds)
  expect_identical(x$secon, 0)
  contacts$time <- NA
  d <- one_preg(acts, contacts)
  expect_identical(continuity(d$cohort, d$msds)$secon, 1 / 2)
})

test_that("a missing carer is dropped or breaks the sequence", {
  # A, (none), A, B: drop -> A A B, SECON 1/2; break -> SECON 0.
  acts <- data.frame(con = c("C1", "C2", "C3", "C4"), prof = c("A", NA, "A", "B"), team = "T")
  d <- one_preg(acts)
  drop <- continuity(d$cohort, d$msds)
  brk <- continuity(d$cohort, d$msds, missing_carer = "break")
  expect_equal(c(drop$n_contacts, brk$n_contacts), c(3L, 3L))
  expect_identical(drop$secon, 1 / 2)
  expect_identical(brk$secon, 0)
  ex <- attr(drop, "exclusions")
  expect_equal(ex$n_rows[grepl("no professional recorded", ex$reason)], 1L)
})

test_that("one contact gives N = 1 with COC and SECON missing", {
  d <- one_preg(data.frame(con = "C1", prof = "A", team = "T"))
  x <- continuity(d$cohort, d$msds)
  expect_equal(x$n_contacts, 1L)
  expect_identical(c(x$upc, x$hhi, x$mmci), c(1, 1, 1))
  expect_true(is.na(x$coc) && is.na(x$secon))
  y <- continuity(d$cohort, d$msds, min_contacts = c(upc = 2))
  expect_true(is.na(y$upc))
  expect_identical(y$hhi, 1)
})

test_that("same-day repeat contacts can be collapsed", {
  # day 20: A, B, A; day 21: A -> A B A A (SECON 1/3), collapsed A B A (0).
  acts <- data.frame(con = paste0("C", 1:4), prof = c("A", "B", "A", "A"), team = "T")
  contacts <- data.frame(con = paste0("C", 1:4), preg = "P1", date = c(20, 20, 20, 21),
                         time = c("09:00", "10:00", "11:00", NA), attend = "5")
  d <- one_preg(acts, contacts)
  expect_identical(continuity(d$cohort, d$msds)$secon, 1 / 3)
  x <- continuity(d$cohort, d$msds, collapse_same_day = TRUE)
  expect_equal(x$n_contacts, 3L)
  expect_identical(x$secon, 0)
})

test_that("non-attended contacts and non-midwifery activities follow the options", {
  acts <- data.frame(con = paste0("C", 1:3), prof = c("A", "DOC", "A"), team = "T")
  contacts <- data.frame(con = paste0("C", 1:3), preg = "P1", date = 11:13,
                         time = NA, attend = c("5", "5", "3"))
  preg <- data.frame(id = "P1", booking = 0, discharge = 300, birth = NA, del_prof = NA)
  m <- mini_msds(preg, contacts, acts, staff = c(A = "05", DOC = "03"))
  co <- mini_cohort(preg)
  expect_equal(continuity(co, m)$n_contacts, 1L)
  expect_equal(continuity(co, m, attended_only = FALSE)$n_contacts, 2L)
  expect_equal(continuity(co, m, attended_only = FALSE, midwifery_only = FALSE)$n_contacts, 3L)
})

test_that("bad input is counted and reported, not silently used", {
  preg <- data.frame(id = c("P1", "P2"), booking = 10, discharge = 100, birth = NA, del_prof = NA)
  contacts <- data.frame(con = paste0("C", 1:5), preg = c("P1", "P1", "P1", "P1", "P2"),
                         date = c(5, 20, 30, 150, 20), time = NA, attend = "5")
  acts <- data.frame(con = paste0("C", 1:5), prof = "A", team = "T")
  m <- mini_msds(preg, contacts, acts)
  co <- mini_cohort(preg[1, ])
  expect_message(
    expect_warning(x <- continuity(co, m), class = "matequity_continuity_input"),
    class = "matequity_continuity_outside_cohort")
  ex <- attr(x, "exclusions")
  n <- function(pat) ex$n_rows[grepl(pat, ex$reason)]
  expect_equal(n("not in the cohort"), 1L)
  expect_equal(n("before booking"), 1L)
  expect_equal(n("after discharge"), 1L)
  expect_equal(x$n_contacts, 2L)
  msg <- tryCatch(suppressMessages(continuity(co, m)), warning = conditionMessage)
  # counts in messages as the option's disclosure rule (default nhse_sde)
  # releases them
  expect_match(msg, "after discharge: <10 rows")
})

test_that("duplicate contact ids: latest submission used, ties reported", {
  preg <- data.frame(id = "P1", booking = 0, discharge = 300, birth = NA, del_prof = NA)
  contacts <- data.frame(con = c("C1", "C2"), preg = "P1", date = 11:12, time = NA, attend = "5")
  acts <- data.frame(con = c("C1", "C2"), prof = "A", team = "T")
  m <- mini_msds(preg, contacts, acts)
  tabs <- unclass(m)
  cc <- tabs$MSD201CareContactPreg
  later <- cc[1, ]
  later$RecordNumber <- 2L
  later$CContactDate <- later$CContactDate + 5L  # the resubmission moves C1 to day 16
  tabs$MSD201CareContactPreg <- rbind(cc, later)
  # a resubmission re-sends the contact's activities with its RecordNumber
  ac <- tabs$MSD202CareActivityPreg
  ac_later <- ac[ac$CareConID == "C1", ]
  ac_later$RecordNumber <- 2L
  tabs$MSD202CareActivityPreg <- rbind(ac, ac_later)
  m2 <- as_msds(tabs, quiet = TRUE)
  x <- continuity(mini_cohort(preg), m2)
  ex <- attr(x, "exclusions")
  expect_equal(ex$n_rows[grepl("earlier submission of a contact", ex$reason)], 1L)
  expect_equal(x$n_contacts, 2L)
  # same CareConID at the same RecordNumber (an object not built by as_msds)
  tabs$MSD201CareContactPreg <- rbind(cc, cc[1, ])
  m3 <- structure(tabs, class = "msds")
  expect_warning(y <- continuity(mini_cohort(preg), m3), "ambiguous")
  expect_equal(y$n_contacts, 1L)
})

# NHS measure: pregnancy with n contacts in the window, k of them by the
# named midwife MWN (the rest by OTHER of another team).
nhs_case <- function(n, k, labour = NULL, discharge = 300, birth = NA,
                     del_prof = NA, placed = TRUE) {
  con <- sprintf("C%03d", seq_len(n))
  acts <- data.frame(con = con, prof = rep(c("MWN", "OTHER"), c(k, n - k)),
                     team = rep(c("TN", "TX"), c(k, n - k)))
  contacts <- data.frame(con = con, preg = "P1", date = 10 + seq_len(n) %% 200,
                         time = NA, attend = "5")
  preg <- data.frame(id = "P1", booking = 0, discharge = discharge, birth = birth,
                     del_prof = del_prof)
  lab <- if (!is.null(labour)) data.frame(preg = "P1", prof = labour[1], team = labour[2])
  m <- mini_msds(preg, contacts, acts, labour = lab)
  co <- mini_cohort(preg, coc_placed = placed)
  if (is.na(discharge)) co$discharge_date <- as.Date(NA)
  continuity(co, m)
}

test_that("COC_receiving_ongoing: exactly 70% passes, 69% does not", {
  x <- nhs_case(10, 7)
  expect_equal(c(x$coc_contacts, x$coc_share), c(10, 0.7))
  expect_true(x$coc_receiving)
  expect_true(nhs_case(100, 70)$coc_receiving)
  expect_false(nhs_case(100, 69)$coc_receiving)
  expect_false(nhs_case(10, 7, placed = FALSE)$coc_receiving)
  expect_true(is.na(nhs_case(10, 7, placed = NA)$coc_receiving))
})

test_that("COC_receiving_ongoing: the labour condition", {
  # labour record, labour care by someone else: fails; by the named team: passes
  expect_false(nhs_case(10, 10, labour = c("OTHER", "TX"), birth = 250)$coc_receiving)
  expect_true(nhs_case(10, 10, labour = c("OTHER2", "TN"), birth = 250)$coc_receiving)
  expect_true(nhs_case(10, 10, labour = c("MWN", "TX"), birth = 250)$coc_receiving)
})

test_that("COC_receiving_ongoing counts only contacts in the window", {
  # contacts on days 11..20; the named midwife on days 11..17 (7/10 overall)
  preg <- data.frame(id = "P1", booking = 0, discharge = 300, birth = NA, del_prof = NA)
  con <- sprintf("C%02d", 1:10)
  acts <- data.frame(con = con, prof = rep(c("MWN", "OTHER"), c(7, 3)), team = rep(c("TN", "TX"), c(7, 3)))
  contacts <- data.frame(con = con, preg = "P1", date = 10 + 1:10, time = NA, attend = "5")
  m <- mini_msds(preg, contacts, acts)
  # care plan on day 14: window has days 14..20, named on 14..17 -> 4/7 < 70%
  x <- continuity(mini_cohort(preg, care_plan = 14), m)
  expect_equal(x$coc_contacts, 7L)
  expect_false(x$coc_receiving)
  expect_true(continuity(mini_cohort(preg, care_plan = 0), m)$coc_receiving)
})

test_that("COC_receiving_ongoing: placed but not discharged is FALSE (nhs), NA (research)", {
  expect_false(nhs_case(10, 10, discharge = NA)$coc_receiving)
  preg <- data.frame(id = "P1", booking = 0, discharge = NA, birth = NA, del_prof = NA)
  contacts <- data.frame(con = "C1", preg = "P1", date = 11, time = NA, attend = "5")
  m <- mini_msds(preg, contacts, data.frame(con = "C1", prof = "MWN", team = "TN"))
  expect_true(is.na(continuity(mini_cohort(preg), m, definition = "research")$coc_receiving))
})

test_that("known midwife at birth", {
  expect_true(nhs_case(3, 3, birth = 250, del_prof = "MWN")$known_midwife_at_birth)
  expect_false(nhs_case(3, 3, birth = 250, del_prof = "OTHER")$known_midwife_at_birth)
  # OTHER2 is recorded with the named team in labour care
  expect_true(nhs_case(3, 3, birth = 250, labour = c("OTHER2", "TN"),
                       del_prof = "OTHER")$known_midwife_at_birth)
  expect_true(is.na(nhs_case(3, 3)$known_midwife_at_birth))
})

test_that("argument checks name the argument", {
  d <- one_preg(data.frame(con = "C1", prof = "A", team = "T"))
  expect_error(continuity(d$cohort, d$msds, min_contacts = c(foo = 2)), "min_contacts")
  expect_error(continuity(d$cohort, list()), "msds")
  expect_error(continuity(d$cohort, d$msds, missing_carer = "keep"), "missing_carer")
  expect_error(continuity(rbind(d$cohort, d$cohort), d$msds), "one row per pregnancy")
})

test_that("named-carer shares follow the simulator's continuity pattern", {
  skip_on_cran()
  skip_if_not(exists("simulate_msds", mode = "function"))
  x <- simulate_msds(4000, seed = 11)
  sim <- attr(x, "simulation")
  # named carers: the latest antenatal care plan; the NHS window starts at the
  # first antenatal plan on the pathway (the simulator puts women on the
  # pathway on or before that plan's date)
  cp <- x$MSD102MatCarePlan
  cp <- cp[cp$CarePlanType == "05", ]
  cp <- cp[order(cp$UniqPregID, cp$CarePlanDate, cp$RecordNumber, method = "radix"), ]
  last <- cp[!duplicated(cp$UniqPregID, fromLast = TRUE), ]
  ycp <- cp[cp$ContCarePathInd == "Y", ]
  ycp <- ycp[!duplicated(ycp$UniqPregID), ]
  keep <- sim$UniqPregID %in% last$UniqPregID & !sim$lost
  s <- sim[keep, ]
  m <- match(s$UniqPregID, last$UniqPregID)
  cohort <- tibble::tibble(
    preg_id = s$UniqPregID, coc_placed = s$coc_placed,
    coc_placed_date = ycp$CarePlanDate[match(s$UniqPregID, ycp$UniqPregID)],
    named_midwife = last$CareProfLID[m], named_team = last$TeamLocalID[m])
  res <- suppressMessages(continuity(cohort, x, phase = "antenatal"))
  # The simulator (R/simulate_tables.R) picks each contact's midwife as the
  # named midwife with probability 0.72 on the pathway and 0.18 off it,
  # another midwife of the named team with 0.18 / 0.22, anyone in the unit
  # up to 0.97 / (0.85 - 0.15 LTC), else a doctor. Doctor-only contacts are
  # dropped (midwifery_only), so among counted contacts the named-midwife
  # share is 0.18 / (0.85 - 0.15 LTC) off the pathway, and the share with
  # the named midwife or team is 0.90 / 0.97 on it.
  never <- !s$coc_joined & !is.na(res$named_midwife_share)
  expected <- 0.18 / (0.85 - 0.15 * s$long_term_condition[never])
  n <- res$n_contacts[never]
  pooled <- sum(res$named_midwife_share[never] * n) / sum(n)
  expect_lt(abs(pooled - sum(expected * n) / sum(n)), 0.02)
  placed <- s$coc_placed %in% TRUE & !is.na(res$coc_share)
  expect_gt(sum(placed), 200)
  w <- res$coc_contacts[placed]
  pooled_nhs <- sum(res$coc_share[placed] * w) / sum(w)
  expect_lt(abs(pooled_nhs - 0.90 / 0.97), 0.02)
  # and women on the pathway have much higher named-midwife shares
  on <- s$coc_placed %in% TRUE
  expect_gt(mean(res$named_midwife_share[on], na.rm = TRUE) -
              mean(res$named_midwife_share[never], na.rm = TRUE), 0.3)
})
