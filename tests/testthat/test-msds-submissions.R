# Monthly submissions and provider-scoped keys on the hand-written fixture in
# helper-real-subs.R; every expected value below is read off its rows.

subs_msds <- function(tables = subs_tables(), ...) as_msds(tables, quiet = TRUE, ...)

subs_pipeline <- function(x) {
  co <- suppressMessages(define_cohort(x))
  co <- add_care_model(co, x)
  co <- suppressMessages(add_outcomes(co, x))
  ct <- suppressMessages(continuity(co, x, phase = c("antenatal", "intrapartum")))
  list(cohort = co, continuity = ct)
}

test_that("each table keeps the latest submission of each record, and the log counts the rest", {
  x <- subs_msds()
  s <- msds_submissions(x, disclosure = "none")
  expect_identical(s$table, c("MSD001MotherDemog", "MSD101PregnancyBooking", "MSD102MatCarePlan",
                              "MSD201CareContactPreg", "MSD202CareActivityPreg",
                              "MSD301LabourDelivery", "MSD302CareActivityLabDel",
                              "MSD401BabyDemographics", "MSD405CareActivityBaby",
                              "MSD901StaffDetails"))
  expect_identical(s$rows_in, c(14L, 14L, 7L, 28L, 29L, 11L, 11L, 11L, 11L, 18L))
  # MSD001: one row per mother per submission; RNA's repeated M2 row is a duplicate
  expect_identical(s$rows_kept, c(13L, 4L, 2L, 8L, 8L, 3L, 3L, 3L, 3L, 5L))
  expect_identical(s$rows_superseded, c(0L, 10L, 5L, 20L, 20L, 8L, 8L, 8L, 8L, 13L))
  expect_identical(s$rows_duplicate, c(1L, 0L, 0L, 0L, 1L, 0L, 0L, 0L, 0L, 0L))
  expect_identical(s$rows_after_as_at, rep(0L, 10))
  expect_identical(s$rows_in, s$rows_after_as_at + s$rows_superseded + s$rows_duplicate + s$rows_kept)
  for (tab in s$table) expect_identical(nrow(x[[tab]]), s$rows_kept[s$table == tab], label = tab)
  # the kept rows are the latest: RRK's March final (610004), RNA's (620003)
  bk <- x$MSD101PregnancyBooking
  expect_identical(sort(bk$RecordNumber), c(610004000000001, 610004000000002,
                                            620003000000001, 620003000000002))
  expect_identical(bk$DischargeDateMatService[bk$UniqPregID == "P1"], as.Date("2024-01-20"))
  # MSD901 resubmitted monthly: one row per provider and professional, no error
  st <- x$MSD901StaffDetails
  expect_identical(paste(st$OrgCodeProvider, st$CareProfLID, st$StaffGroup),
                   c("RRK MW1 05", "RRK MW2 05", "RRK MW3 05", "RNA MW1 03", "RNA MW3 05"))
  # printed briefly, and the repeat within a submission is a data-quality count
  expect_match(paste(format(x, disclosure = "none"), collapse = "\n"), "MSD101PregnancyBooking +4 of 14 rows kept")
  q <- msds_quality(x, disclosure = "none")
  expect_identical(q$n_rows[grepl("submitted twice", q$problem)], 1L)
  # the counts pass through the disclosure rule like any other
  expect_true(all(is.na(msds_submissions(x)$rows_kept) | msds_submissions(x)$rows_kept %% 5 == 0))
})

test_that("record keys are documented in a table", {
  k <- msds_record_keys()
  expect_identical(k$key[k$table == "MSD201CareContactPreg"], "UniqPregID + CareConID")
  expect_identical(k$key[k$table == "MSD301LabourDelivery"], "UniqPregID + LabourDeliveryID")
  expect_identical(k$key[k$table == "MSD101PregnancyBooking"], "Person_ID_Mother + UniqPregID")
  expect_identical(k$key[k$table == "MSD001MotherDemog"], "Person_ID_Mother + RecordNumber")
  expect_identical(k$scope[k$table == "MSD901StaffDetails"], "OrgCodeProvider")
  expect_true(is.na(k$key[k$table == "MSD202CareActivityPreg"]))
  expect_match(k$join[k$table == "MSD202CareActivityPreg"], "^UniqPregID \\+ CareConID")
  sch <- msds_schema()
  expect_true(all(c("RPStartDate", "RPEndDate", "UniqSubmissionID") %in%
                    sch$field[sch$table == "MSD405CareActivityBaby"]))
  expect_false(sch$required[sch$table == "MSD202CareActivityPreg" & sch$field == "UniqPregID"])
})

test_that("demographics come from the booking's own submission, with counted fallbacks", {
  x <- subs_msds()
  # imd = "2015": the fixture's deciles are its Rank_IMD_Decile_2015 values
  expect_message(co <- define_cohort(x, imd = "2015"), class = "matequity_demographics_fallback")
  # M3's RRK rows say A / E01000301 / decile 3, her RNA rows H / E01000302 / 8
  expect_identical(unname(subs_by_preg(co, "ethnic_code")[c("P1", "P2", "P3a", "P3b")]),
                   c("A", "M", "A", "H"))
  expect_identical(unname(subs_by_preg(co, "imd_decile")[c("P1", "P2", "P3a", "P3b")]),
                   c(5L, 1L, 3L, 8L))
  # RRK's March final has no MSD001 row for M1: P1 takes M1's latest RRK row
  # at or before its booking's submission (the March provisional)
  dm <- attr(co, "demographics")
  expect_identical(dm$n, c(3L, 1L, 0L, 0L))
  expect_match(dm$source[2], "same provider")
  # data_quality() looks demographics up the same way
  dq <- data_quality(co, x, by = "provider", disclosure = "none")
  eth <- dq[dq$field == "ethnicity", ]
  expect_identical(eth$n_valid[eth$provider == "RNA"], 2L)
})

test_that("contacts, carers and continuity indices per pregnancy (keys scoped by pregnancy and provider)", {
  r <- subs_pipeline(subs_msds())
  ct <- r$continuity
  an <- ct[ct$phase == "antenatal", ]
  an <- an[match(c("P1", "P2", "P3a", "P3b"), an$preg_id), ]
  # P1: C1 MW1, C2 MW2, C4 MW1 (C2's Jan 'did not attend' superseded)
  # P2: C1 by RNA's MW1 is an obstetrician (left out), C2 by RNA's MW3, C9 by
  #     RRK's MW3: two carers, not one
  expect_identical(an$n_contacts, c(3L, 2L, 1L, 1L))
  expect_identical(an$n_carers, c(2L, 2L, 1L, 1L))
  expect_identical(an$usual_carer, c("MW1", "MW3", "MW1", "MW3"))
  expect_equal(an$upc, c(2 / 3, 1 / 2, 1, 1))
  expect_equal(an$coc, c(1 / 3, 0, NA, NA))
  expect_equal(an$hhi, c(5 / 9, 1 / 2, 1, 1))
  expect_equal(an$secon, c(0, 0, NA, NA))
  expect_equal(an$mmci, c((1 - 2 / 3.1) / (1 - 1 / 3.1), (1 - 2 / 2.1) / (1 - 1 / 2.1), 1, 1))
  # P2's named midwife is RNA's MW3: RRK's MW3 at C9 is someone else
  expect_equal(an$named_midwife_share, c(2 / 3, 1 / 2, NA, NA))
  ip <- ct[ct$phase == "intrapartum", ]
  ip <- ip[match(c("P1", "P2", "P3a", "P3b"), ip$preg_id), ]
  # labour L1 at RRK (MW1, MW2) + delivery MW1; L1 at RNA (MW3) + delivery MW3
  expect_identical(ip$n_contacts, c(3L, 2L, 1L, 0L))
  expect_identical(ip$n_carers, c(2L, 1L, 1L, 0L))
  # without the midwifery filter P2 has three carers: RNA MW1, RNA MW3, RRK MW3
  all_staff <- suppressMessages(continuity(r$cohort, subs_msds(), midwifery_only = FALSE))
  expect_identical(subs_by_preg(all_staff, "n_carers")[["P2"]], 3L)
  # activity tables without UniqPregID are matched on CareConID + RecordNumber
  tabs <- subs_tables()
  tabs$MSD202CareActivityPreg$UniqPregID <- NULL
  tabs$MSD302CareActivityLabDel$UniqPregID <- NULL
  r2 <- subs_pipeline(subs_msds(tabs))
  expect_identical(r2$continuity, ct)
  expect_identical(r2$cohort, r$cohort)
})

test_that("care model and outcomes on the latest submission", {
  co <- subs_pipeline(subs_msds())$cohort
  expect_identical(unname(subs_by_preg(co, "coc_placed")[c("P1", "P2", "P3a", "P3b")]),
                   c(TRUE, TRUE, FALSE, NA))
  expect_identical(unname(subs_by_preg(co, "named_provider")[c("P1", "P2")]), c("RRK", "RNA"))
  expect_identical(unname(subs_by_preg(co, "caesarean")[c("P1", "P2", "P3a")]), c(FALSE, TRUE, FALSE))
  # L1 is RRK's labour of P1 (600 ml) and RNA's labour of P2 (1600 ml)
  expect_identical(unname(subs_by_preg(co, "pph_1500")[c("P1", "P2", "P3a")]), c(FALSE, TRUE, FALSE))
  # B1's birth weight was corrected to 3350 g in RRK's March final
  expect_identical(unname(subs_by_preg(co, "birth_weight")[c("P1", "P2", "P3a")]), c(3350, 3500, 3000))
})

test_that("provisional and final submissions: the final (higher UniqSubmissionID) wins", {
  co <- subs_pipeline(subs_msds())$cohort
  # the provisional said 1550 ml for P1; the final says 600
  expect_false(subs_by_preg(co, "pph_1500")[["P1"]])
  # without the final, the provisional is the latest
  tabs <- lapply(subs_tables(), function(t) t[t$UniqSubmissionID != 610004, , drop = FALSE])
  co_p <- subs_pipeline(subs_msds(tabs))$cohort
  expect_true(subs_by_preg(co_p, "pph_1500")[["P1"]])
  expect_identical(subs_by_preg(co_p, "birth_weight")[["P1"]], 3300)
})

test_that("as_at uses only submissions up to the reporting month", {
  x <- subs_msds(as_at = "2024-02")
  s <- msds_submissions(x, disclosure = "none")
  # March: RRK provisional + final, RNA provisional + final
  expect_identical(s$rows_after_as_at[s$table == "MSD101PregnancyBooking"], 8L)
  expect_identical(s$rows_kept[s$table == "MSD101PregnancyBooking"], 4L)
  expect_identical(s$rows_in, s$rows_after_as_at + s$rows_superseded + s$rows_duplicate + s$rows_kept)
  expect_identical(attr(s, "as_at"), as.Date("2024-02-29"))
  co <- subs_pipeline(x)$cohort
  # the March final's 3350 g is ignored
  expect_identical(subs_by_preg(co, "birth_weight")[["P1"]], 3300)
  expect_false(subs_by_preg(co, "pph_1500")[["P1"]])
  # a Date in the month works the same; rows without RPStartDate are kept and counted
  tabs <- subs_tables()
  tabs$MSD901StaffDetails$RPStartDate[18] <- NA
  y <- subs_msds(tabs, as_at = as.Date("2024-02-10"))
  sy <- msds_submissions(y, disclosure = "none")
  expect_identical(sy$rows_undated[sy$table == "MSD901StaffDetails"], 1L)
  expect_identical(subs_by_preg(subs_pipeline(y)$cohort, "birth_weight")[["P1"]], 3300)
  expect_error(subs_msds(as_at = "March 2024"), "reporting month")
  expect_match(paste(format(x), collapse = "\n"), "as at: 2024-02-29")
})

test_that("a resubmitted month changes no index, outcome or count (hand-written fixture)", {
  tabs <- subs_tables()
  x <- subs_msds(tabs)
  y <- subs_msds(subs_resubmit(tabs, from = c(610004, 620003), to = c(610005, 620004),
                               rp = "2024-04-01"))
  a <- subs_pipeline(x)
  b <- subs_pipeline(y)
  expect_identical(subs_strip(b$cohort), subs_strip(a$cohort))
  expect_identical(subs_strip(b$continuity), subs_strip(a$continuity))
  fa <- cohort_flow(a$cohort, disclosure = "none")
  fb <- cohort_flow(b$cohort, disclosure = "none")
  expect_identical(fb$n_after, fa$n_after)
  expect_identical(fb$n_excluded[-1], fa$n_excluded[-1])
  sa <- msds_submissions(x, disclosure = "none")
  sb <- msds_submissions(y, disclosure = "none")
  # MSD001 keeps one row per mother per submission: the new submission's rows
  # are kept too; every other table keeps the same number of rows
  expect_identical(sb$rows_kept[-1], sa$rows_kept[-1])
  # (RRK's re-sent final has M3; RNA's M2, M2 again and M3)
  expect_identical(sb$rows_kept[1], sa$rows_kept[1] + 3L)
  # MSD001's repeated M2 row is now in two kept submissions; MSD202's repeat
  # only in the new one (the old one is superseded)
  expect_identical(sb$rows_duplicate, sa$rows_duplicate + c(1L, rep(0L, 9)))
  ea <- attr(a$continuity, "exclusions")
  eb <- attr(b$continuity, "exclusions")
  expect_identical(eb[-1, ], ea[-1, ])
  expect_identical(attr(b$cohort, "demographics"), attr(a$cohort, "demographics"))
  expect_identical(data_quality(b$cohort, y, disclosure = "none"),
                   data_quality(a$cohort, x, disclosure = "none"))
})

test_that("a resubmitted month changes nothing on simulate_msds() output either", {
  sim <- simulate_msds(1500, seed = 11)
  tabs <- unclass(sim)
  attributes(tabs) <- list(names = names(tabs))
  # the simulator's tables are one submission (UniqSubmissionID 1); re-send
  # every record of the pregnancies booked in one month as submission 2,
  # with new record numbers and unchanged content
  tabs <- lapply(tabs, function(t) { t$UniqSubmissionID <- 1; t })
  bk <- tabs$MSD101PregnancyBooking
  month <- format(bk$AntenatalAppDate, "%Y-%m") == "2021-06"
  pregs <- unique(bk$UniqPregID[month])
  expect_gt(length(pregs), 5)
  mothers <- unique(bk$Person_ID_Mother[month])
  cons <- tabs$MSD201CareContactPreg$CareConID[tabs$MSD201CareContactPreg$UniqPregID %in% pregs]
  labs <- tabs$MSD301LabourDelivery$LabourDeliveryID[tabs$MSD301LabourDelivery$UniqPregID %in% pregs]
  babies <- tabs$MSD401BabyDemographics$Person_ID_Baby[tabs$MSD401BabyDemographics$UniqPregID %in% pregs]
  pick <- list(
    MSD001MotherDemog = function(t) t$Person_ID_Mother %in% mothers,
    MSD101PregnancyBooking = function(t) t$UniqPregID %in% pregs,
    MSD102MatCarePlan = function(t) t$UniqPregID %in% pregs,
    MSD201CareContactPreg = function(t) t$UniqPregID %in% pregs,
    MSD202CareActivityPreg = function(t) t$CareConID %in% cons,
    MSD301LabourDelivery = function(t) t$UniqPregID %in% pregs,
    MSD302CareActivityLabDel = function(t) t$LabourDeliveryID %in% labs,
    MSD401BabyDemographics = function(t) t$UniqPregID %in% pregs,
    MSD402NeonatalAdmission = function(t) t$Person_ID_Baby %in% babies,
    MSD405CareActivityBaby = function(t) t$Person_ID_Baby %in% babies,
    MSD901StaffDetails = function(t) rep(TRUE, nrow(t)))
  re <- tabs
  for (tab in names(pick)) {
    t <- tabs[[tab]]
    new <- t[pick[[tab]](t), , drop = FALSE]
    new$UniqSubmissionID <- 2
    if ("RecordNumber" %in% names(new)) new$RecordNumber <- new$RecordNumber + 1e12
    re[[tab]] <- rbind(t, new)
  }
  flags <- attr(sim, "flags")
  x <- as_msds(tabs, flags = flags, quiet = TRUE)
  y <- as_msds(re, flags = flags, quiet = TRUE)
  sx <- msds_submissions(x, disclosure = "none")
  sy <- msds_submissions(y, disclosure = "none")
  expect_identical(sy$rows_kept[-1], sx$rows_kept[-1])  # MSD001: one row per submission
  expect_gt(sum(sy$rows_superseded), sum(sx$rows_superseded))
  run <- function(m) {
    co <- suppressMessages(define_cohort(m, period = c("2019-04-01", "2024-03-31")))
    co <- add_care_model(co, m)
    co <- suppressMessages(add_outcomes(co, m))
    ct <- suppressMessages(suppressWarnings(continuity(co, m, phase = c("antenatal", "intrapartum", "all"))))
    list(co = co, ct = ct)
  }
  a <- run(x)
  b <- run(y)
  expect_identical(subs_strip(b$co), subs_strip(a$co))
  expect_identical(subs_strip(b$ct), subs_strip(a$ct))
  # only the count of superseded contacts differs in the continuity log
  expect_identical(attr(b$ct, "exclusions")[-1, ], attr(a$ct, "exclusions")[-1, ])
  expect_identical(cohort_flow(b$co, disclosure = "none")$n_after,
                   cohort_flow(a$co, disclosure = "none")$n_after)
  ra <- outcome_rates(a$co, "preterm", by = "core20plus_group", disclosure = "none")
  rb <- outcome_rates(b$co, "preterm", by = "core20plus_group", disclosure = "none")
  expect_identical(rb, ra)
})

test_that("record numbers work as exact doubles and as integers", {
  tabs <- subs_tables()
  x <- subs_msds(tabs)
  # the same fixture with small integer record numbers (row order kept)
  small <- lapply(tabs, function(t) {
    if ("RecordNumber" %in% names(t)) {
      t$RecordNumber <- as.integer(match(t$RecordNumber, sort(unique(unlist(lapply(tabs, `[[`, "RecordNumber"))))))
    }
    t$UniqSubmissionID <- as.integer(t$UniqSubmissionID - 600000)
    t
  })
  y <- subs_msds(small)
  expect_identical(msds_submissions(y, disclosure = "none")$rows_kept,
                   msds_submissions(x, disclosure = "none")$rows_kept)
  a <- subs_pipeline(x)
  b <- subs_pipeline(y)
  expect_identical(b$continuity, a$continuity)
  expect_identical(b$cohort$ethnic_code, a$cohort$ethnic_code)
  expect_identical(b$cohort$pph_1500, a$cohort$pph_1500)
})
