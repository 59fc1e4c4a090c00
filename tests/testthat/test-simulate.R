test_that("the same seed gives identical tables and leaves the user's RNG alone", {
  set.seed(99)
  before <- .Random.seed
  a <- simulate_msds(500, seed = 7)
  expect_identical(.Random.seed, before)
  b <- simulate_msds(500, seed = 7)
  expect_identical(unclass(a), unclass(b))
  expect_identical(attr(a, "truth"), attr(b, "truth"))
  c <- simulate_msds(500, seed = 8)
  expect_false(identical(a$MSD101PregnancyBooking, c$MSD101PregnancyBooking))
})

test_that("the attached truth agrees with a Monte Carlo estimate from the potential outcomes", {
  skip_on_cran()
  x <- simulate_msds(60000, seed = 11)
  sim <- attr(x, "simulation")
  truth <- attr(x, "truth")
  tgt <- sim$target
  for (o in c("preterm", "caesarean", "breastmilk_first_feed", "pph_1500")) {
    for (a in 0:1) {
      yv <- sim[[paste0("y", a, "_", o)]][tgt]
      mc <- mean(yv)
      se <- sqrt(mc * (1 - mc) / length(yv))
      tr <- truth[[paste0("risk", a)]][truth$outcome == o & truth$group_var == "overall"]
      expect_lt(abs(mc - tr), 4 * se)
    }
  }
  # by group: CORE20PLUS women, the larger benefit
  c20 <- truth[truth$outcome == "preterm" & truth$group_var == "core20plus", ]
  for (g in c("TRUE", "FALSE")) {
    sel <- tgt & as.character(sim$core20plus) == g
    d <- sim$y1_preterm[sel] - sim$y0_preterm[sel]
    expect_lt(abs(mean(d) - c20$rd[c20$group == g]), 4 * stats::sd(d) / sqrt(sum(sel)))
  }
  # the observed outcome is the potential outcome under the care model received
  obs <- ifelse(sim$coc_placed, sim$y1_preterm, sim$y0_preterm)
  born <- x$MSD401BabyDemographics
  first <- born[!duplicated(born$UniqPregID), ]
  m <- match(sim$UniqPregID, first$UniqPregID)
  sing <- tgt & !is.na(m) & sim$recording_problem != "gestation at birth missing"
  expect_identical(obs[sing], first$GestationLengthBirth[m[sing]] < 259L)
  # the unrecorded gestations are those marked, and only those
  miss <- !is.na(m) & is.na(first$GestationLengthBirth[m])
  expect_gt(sum(miss), 0)
  expect_identical(which(miss),
                   which(!is.na(m) & sim$recording_problem == "gestation at birth missing"))
})

test_that("the four care models' risks and potential outcomes agree with the two-model truth", {
  x <- simulate_msds(3000, seed = 12)
  sim <- attr(x, "simulation")
  cmr <- attr(x, "care_model_risks")
  tcm <- attr(x, "truth_care_model")
  expect_identical(cmr$UniqPregID, sim$UniqPregID)
  expect_identical(cmr$care_model,
                   ifelse(sim$pcsp, ifelse(sim$coc_placed, "both", "pcsp_only"),
                          ifelse(sim$coc_placed, "coc_only", "none")))
  for (o in c("preterm", "stillbirth", "caesarean", "breastmilk_first_feed")) {
    # under the plan received, the four-model risks and potential outcomes
    # are the two-model ones (risk0/y0 without CoC, risk1/y1 with it)
    k0 <- ifelse(sim$pcsp, "pcsp_only", "none")
    k1 <- ifelse(sim$pcsp, "both", "coc_only")
    pick <- function(prefix, k) {
      out <- rep(NA, nrow(cmr))
      for (kk in unique(k)) out[k == kk] <- cmr[[paste0(prefix, kk, "_", o)]][k == kk]
      out
    }
    expect_equal(pick("risk_", k0), sim[[paste0("risk0_", o)]], tolerance = 1e-15)
    expect_equal(pick("risk_", k1), sim[[paste0("risk1_", o)]], tolerance = 1e-15)
    expect_identical(pick("y_", k0), sim[[paste0("y0_", o)]])
    expect_identical(pick("y_", k1), sim[[paste0("y1_", o)]])
    # the truth table is the mean of the risks over the target population
    tr <- tcm[tcm$outcome == o & tcm$group_var == "overall", ]
    expect_identical(tr$care_model, c("none", "pcsp_only", "coc_only", "both"))
    for (k in tr$care_model) {
      expect_equal(tr$risk[tr$care_model == k],
                   mean(cmr[[paste0("risk_", k, "_", o)]][sim$target]), tolerance = 1e-14)
    }
    expect_equal(tr$rd, tr$risk - tr$risk[1], tolerance = 1e-14)
  }
  # both care elements lower the preterm risk in both CORE20PLUS groups
  tg <- tcm[tcm$group_var == "core20plus" & tcm$outcome == "preterm", ]
  expect_true(all(tg$rd[tg$care_model == "both"] < 0))
})

test_that("the tables have MSDS v2's shape and dates", {
  x <- simulate_msds(3000, seed = 5)
  expect_s3_class(x, "msds")
  bk <- x$MSD101PregnancyBooking
  cp <- x$MSD102MatCarePlan
  # care plans only from MSDS v2 (April 2019)
  cp_booking <- bk$AntenatalAppDate[match(cp$UniqPregID, bk$UniqPregID)]
  expect_true(all(cp_booking >= as.Date("2019-04-01")))
  expect_true(all(cp$CarePlanDate >= as.Date("2019-04-01")))
  # the 13 West Midlands trusts, and RR1 before April 2018 (test-geography.R)
  expect_setequal(unique(bk$OrgCodeProvider), msds_providers$org_code)
  expect_true(min(bk$AntenatalAppDate) < as.Date("2016-01-01"))
  expect_true(max(bk$AntenatalAppDate) > as.Date("2025-01-01"))
  # repeated submissions: same pregnancy, several RecordNumbers; the msds
  # object keeps the latest of each and counts the rest
  expect_false(anyDuplicated(bk$UniqPregID) > 0)
  subs <- attr(x, "submissions")
  expect_gt(subs$rows_superseded[subs$table == "MSD101PregnancyBooking"], 0)
  # the truth covers the groups of CORE20PLUS
  tr <- attr(x, "truth")
  expect_setequal(unique(tr$group_var),
                  c("overall", "core20plus", "core20", "ethnic_minority", "core20plus_group", "ethnic_group"))
  expect_true(all(tr$risk0 > 0 & tr$risk0 < 1 & tr$risk1 > 0 & tr$risk1 < 1))
})

test_that("the population mix and allocation look like the West Midlands design", {
  skip_on_cran()
  x <- simulate_msds(40000, seed = 2)
  sim <- attr(x, "simulation")
  # ethnicity: large Pakistani and Indian, Black African populations
  share <- prop.table(table(sim$ethnic_code))
  expect_gt(share[["J"]], 0.08)
  expect_gt(share[["H"]], 0.04)
  expect_gt(share[["N"]], 0.03)
  # IMD skewed to the most deprived
  expect_gt(mean(sim$imd_decile <= 2), 0.3)
  # uptake rises from 2019 to 2022 then falls
  yr <- as.integer(substr(format(x$MSD101PregnancyBooking$AntenatalAppDate[
    match(sim$UniqPregID, x$MSD101PregnancyBooking$UniqPregID)]), 1, 4))
  up <- tapply(sim$coc_placed[sim$target], yr[sim$target], mean)
  expect_gt(up[["2022"]], up[["2019"]])
  expect_gt(up[["2022"]], up[["2025"]])
  # confounded allocation: CORE20PLUS women more often on the pathway
  expect_gt(mean(sim$coc_placed[sim$target & sim$core20plus]),
            mean(sim$coc_placed[sim$target & !sim$core20plus]))
  # being on a pathway raises the share of contacts with the named midwife
  # (the midwife named on the latest antenatal care plan)
  cp <- x$MSD102MatCarePlan
  cp <- cp[cp$CarePlanType == "05" & !is.na(cp$CareProfLID), ]
  cp <- cp[order(cp$UniqPregID, cp$CarePlanDate, decreasing = TRUE), ]
  cp <- cp[!duplicated(cp$UniqPregID), ]
  ct <- x$MSD201CareContactPreg
  act <- x$MSD202CareActivityPreg
  act$UniqPregID <- ct$UniqPregID[match(act$CareConID, ct$CareConID)]
  named <- cp$CareProfLID[match(act$UniqPregID, cp$UniqPregID)]
  on <- act$UniqPregID %in% sim$UniqPregID[sim$coc_placed] & !is.na(named)
  share_on <- mean(act$CareProfLID[on] == named[on], na.rm = TRUE)
  off <- act$UniqPregID %in% sim$UniqPregID[sim$v2 & !sim$coc_joined] & !is.na(named)
  share_off <- mean(act$CareProfLID[off] == named[off], na.rm = TRUE)
  expect_gt(share_on, 0.5)
  expect_lt(share_off, 0.3)
})

test_that("the simulator's output passes as_msds() unchanged, whatever the thread count", {
  x <- simulate_msds(1500, seed = 3, realism = NULL)
  # simulate_msds() skips the full checks of its contact tables, which are
  # valid by construction; as_msds() checks everything and must agree
  tabs <- unclass(x)
  attributes(tabs) <- list(names = names(tabs))
  y <- expect_silent(as_msds(tabs, flags = attr(x, "flags"), quiet = TRUE))
  expect_identical(names(y), names(x))
  for (tab in names(x)) expect_identical(y[[tab]], x[[tab]], label = tab)
  expect_identical(attr(y, "quality"), attr(x, "quality"))
  expect_identical(attr(y, "flags"), attr(x, "flags"))
  # every activity belongs to a contact, every contact to a pregnancy
  expect_true(all(x$MSD202CareActivityPreg$CareConID %in% x$MSD201CareContactPreg$CareConID))
  expect_true(all(x$MSD201CareContactPreg$UniqPregID %in% x$MSD101PregnancyBooking$UniqPregID))
  # the contact engine runs over blocks of pregnancies: one thread or two, same tables
  old <- options(matequity.threads = 1L)
  on.exit(options(old))
  x1 <- simulate_msds(3000, seed = 4)
  options(matequity.threads = 2L)
  x2 <- simulate_msds(3000, seed = 4)
  expect_identical(unclass(x1), unclass(x2))
})

test_that("contact counts and carers follow the documented contact model", {
  skip_on_cran()
  x <- simulate_msds(20000, seed = 6, realism = NULL)  # the contact model itself, before the extract shapes
  sim <- attr(x, "simulation")
  ct <- x$MSD201CareContactPreg
  # attendance: code 6 with probability 0.03, not attended (2, 3, 4, 7) with
  # sim_recording()$unattended = 0.08, attended (5) otherwise
  share <- prop.table(table(factor(ct$AttendCode, c("5", "6", "2", "3", "4", "7"))))
  se <- sqrt(0.25 / nrow(ct))
  expect_lt(abs(share[["5"]] - 0.89), 5 * se)
  expect_lt(abs(share[["6"]] - 0.03), 5 * se)
  expect_lt(abs(sum(share[c("2", "3", "4", "7")]) - 0.08), 5 * se)
  # telephone contacts 10%; a second activity on 12% of contacts
  expect_lt(abs(mean(ct$Medium == "02") - 0.1), 5 * se)
  expect_lt(abs(nrow(x$MSD202CareActivityPreg) / nrow(ct) - 1.12), 5 * se)
  # the contact's gestation is the booking gestation plus the days since booking
  bk <- x$MSD101PregnancyBooking
  bk <- bk[order(bk$UniqPregID, -bk$RecordNumber), ]
  bk <- bk[!duplicated(bk$UniqPregID), ]
  m <- match(ct$UniqPregID, bk$UniqPregID)
  ok <- bk$GestAgeBooking[m] < 400
  expect_identical(ct$GestAgeCContactDate[ok],
                   as.integer(bk$GestAgeBooking[m] + (ct$CContactDate - bk$AntenatalAppDate[m]))[ok])
  # every pregnancy has a contact on its booking date
  expect_true(all(bk$UniqPregID %in% ct$UniqPregID[ct$CContactDate == bk$AntenatalAppDate[m]]))
  # contacts are in date order within a pregnancy
  expect_false(is.unsorted(order(ct$UniqPregID, ct$CContactDate, ct$CContactTime, method = "radix")))
})

test_that("bad simulator arguments are refused", {
  expect_error(simulate_msds(5), "between 10")
  expect_error(simulate_msds(100, effects = list()), "sim_effects")
  expect_error(sim_effects(coc_other = c(nonsense = 1)), "named numeric")
  expect_error(sim_recording(unattended = 2), "between 0 and 0.5")
})
