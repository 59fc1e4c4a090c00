# Shipped geography (imd2019, msds_providers, provider_successors) and its use
# in define_cohort() and simulate_msds(). Expected deciles are written by hand
# from the IMD package's data (see helper-real-geo.R).

test_that("imd2019 holds England's 32,844 LSOAs with national IMD 2019 ranks and deciles", {
  expect_identical(nrow(imd2019), 32844L)
  expect_identical(names(imd2019), c("lsoa11", "imd_rank", "imd_decile", "lad19", "lad19_name", "icb22"))
  expect_false(anyDuplicated(imd2019$lsoa11) > 0)
  expect_true(all(grepl("^E01[0-9]{6}$", imd2019$lsoa11)))
  expect_type(imd2019$imd_rank, "integer")
  expect_type(imd2019$imd_decile, "integer")
  expect_identical(range(imd2019$imd_rank), c(1L, 32844L))
  counts <- tabulate(imd2019$imd_decile, 10L)
  expect_true(all(counts %in% c(3284L, 3285L)))
  expect_identical(sum(counts), 32844L)
  # decile 1 = most deprived tenth of the ranks
  expect_identical(imd2019$imd_decile, as.integer(ceiling(imd2019$imd_rank / 3284.4)))
  # looked up by hand in IMD::imd_england_lsoa
  i <- match(c("E01021988", "E01017787", "E01008881"), imd2019$lsoa11)
  expect_identical(imd2019$imd_decile[i], c(1L, 10L, 2L))
  expect_identical(imd2019$imd_rank[i], c(1L, 32844L, 3924L))
  expect_false(anyNA(imd2019))
})

test_that("imd2019's West Midlands ICBs cover the region's 30 local authority districts", {
  wm <- imd2019[imd2019$icb22 %in% c("QHL", "QUA", "QWU", "QGH", "QOC", "QNC"), ]
  lad <- unique(as.character(wm$lad19))
  expect_length(lad, 30L)
  expect_true(all(c("E08000025", "E08000026", "E06000051", "E06000019") %in% lad))
  expect_identical(unique(as.character(wm$lad19_name[wm$lad19 == "E08000025"])), "Birmingham")
  expect_identical(as.character(imd2019$lad19[imd2019$lsoa11 == "E01008881"]), "E08000025")
})

test_that("msds_providers lists the 13 West Midlands trusts and RR1; RR1 maps to RRK", {
  expect_identical(nrow(msds_providers), 14L)
  expect_false(anyDuplicated(msds_providers$org_code) > 0)
  expect_identical(sort(msds_providers$org_code[msds_providers$current]),
                   sort(c("RRK", "RQ3", "RXK", "RNA", "RBK", "RL4", "RKB", "RLT", "RJC",
                          "RWP", "RLQ", "RXW", "RJE")))
  expect_setequal(msds_providers$icb, c("QHL", "QUA", "QWU", "QGH", "QOC", "QNC"))
  rr1 <- msds_providers[msds_providers$org_code == "RR1", ]
  expect_identical(rr1$icb, "QHL")
  expect_identical(rr1$valid_to, as.Date("2018-03-31"))
  expect_identical(as.data.frame(provider_successors),
                   data.frame(predecessor = "RR1", successor = "RRK", date = as.Date("2018-04-01")))
})

test_that("define_cohort's default deprivation is IMD 2019 from LSOAMother2011", {
  co <- geo_cohort()
  expect_identical(co$preg_id, sprintf("GP%d", 1:7))
  # E01021988 -> 1, E01017787 -> 10, E01008881 -> 2, E01009417 -> 7; Welsh,
  # unknown and missing LSOAs -> NA (no fallback to Rank_IMD_Decile_2015)
  expect_identical(co$imd_decile, c(1L, 10L, 2L, 7L, NA, NA, NA))
  expect_identical(co$imd_quintile, c(1L, 5L, 1L, 4L, NA, NA, NA))
  expect_identical(co$core20, c(TRUE, FALSE, TRUE, FALSE, NA, NA, NA))
  expect_identical(unique(co$imd_edition), "IMD 2019")
})

test_that("LSOA codes are matched after trimming and upper-casing", {
  tabs <- geo_tables()
  tabs$MSD001MotherDemog$LSOAMother2011[1:2] <- c(" e01021988", "E01017787 ")
  co <- suppressMessages(define_cohort(geo_msds(tabs)))
  expect_identical(co$imd_decile[1:2], c(1L, 10L))
})

test_that("Welsh and unknown LSOAs are counted, each under its own reason", {
  expect_message(co <- define_cohort(geo_msds()), "Wales")
  u <- attr(co, "unknown_codes")
  expect_identical(u$value[grepl("Wales", u$field)], "W01000001")
  expect_identical(u$value[grepl("England", u$field)], "E01999999")
  expect_identical(u$n, c(1L, 1L))
})

test_that("imd = \"2015\" keeps MSDS's Rank_IMD_Decile_2015", {
  co <- geo_cohort(imd = "2015")
  expect_identical(co$imd_decile, c(3L, 9L, 2L, 6L, 4L, 5L, NA))
  expect_identical(unique(co$imd_edition), "IMD 2015")
  expect_identical(nrow(attr(co, "unknown_codes")), 0L)
})

test_that("editions are never mixed: imd with imd_lookup, or a mixed lookup, is refused", {
  lk <- data.frame(lsoa = c("E01021988", "W01000001"), decile = c(4, 6), edition = "my IMD")
  co <- geo_cohort(imd_lookup = lk)
  expect_identical(co$imd_decile, c(4L, NA, NA, NA, 6L, NA, NA))
  expect_identical(unique(co$imd_edition), "my IMD")
  expect_error(define_cohort(geo_msds(), imd = "2015", imd_lookup = lk), "not both")
  expect_error(define_cohort(geo_msds(), imd = "2019", imd_lookup = lk), "not both")
  lk2 <- rbind(lk, data.frame(lsoa = "E01017787", decile = 3, edition = "IMD 2015"))
  expect_error(define_cohort(geo_msds(), imd_lookup = lk2), "mixes IMD editions")
  expect_error(define_cohort(geo_msds(), imd = "2010"), "2019")
  expect_error(define_cohort(geo_msds(), imd = c("2019", "2015")), "2019")
  expect_identical(geo_cohort(imd = 2015)$imd_edition[1], "IMD 2015")
})

test_that("an RR1 booking is reported as RRK, with the submitted code kept", {
  co <- geo_cohort()
  expect_identical(co$provider, c("RRK", "RRK", "RXK", "RJE", "ZZZ", "RQ3", "RLQ"))
  expect_identical(co$provider_submitted, c("RR1", "RRK", "RXK", "RJE", "ZZZ", "RQ3", "RLQ"))
  expect_identical(co$icb, c("QHL", "QHL", "QUA", "QNC", NA, "QHL", "QGH"))
  expect_identical(co$lmns[c(1, 3, 5)], c("Birmingham and Solihull", "Black Country", NA))
  raw <- geo_cohort(successors = FALSE)
  expect_identical(raw$provider[1], "RR1")
  expect_identical(raw$icb[1], "QHL")
  # a user map: chains are followed
  chain <- data.frame(predecessor = c("ZZZ", "RR1"), successor = c("RR1", "RRK"))
  co2 <- geo_cohort(successors = chain)
  expect_identical(co2$provider[c(1, 5)], c("RRK", "RRK"))
  expect_error(geo_cohort(successors = data.frame(predecessor = c("A", "B"), successor = c("B", "A"))),
               "cycle")
  expect_error(geo_cohort(successors = "yes"), "successors")
  # grouping by provider: one series for RR1 and RRK
  dq <- data_quality(co, geo_msds(), by = "provider", disclosure = "none")
  expect_false("RR1" %in% dq$provider)
})

test_that("the simulator writes ODS codes and real West Midlands LSOAs of the simulated decile", {
  x <- simulate_msds(2000, seed = 31)
  sim <- attr(x, "simulation")
  md <- x$MSD001MotherDemog
  md <- md[!duplicated(md$Person_ID_Mother), ]
  ok <- !is.na(md$LSOAMother2011)
  i <- match(md$LSOAMother2011[ok], imd2019$lsoa11)
  expect_false(anyNA(i))
  expect_true(all(imd2019$icb22[i] %in% c("QHL", "QUA", "QWU", "QGH", "QOC", "QNC")))
  truth_decile <- sim$imd_decile[match(md$Person_ID_Mother[ok], sim$Person_ID_Mother)]
  expect_identical(imd2019$imd_decile[i], truth_decile)
  expect_identical(md$Rank_IMD_Decile_2015[ok], truth_decile)
  bk <- x$MSD101PregnancyBooking
  expect_true(all(bk$OrgCodeProvider %in% msds_providers$org_code))
  expect_setequal(unique(bk$OrgCodeProvider), msds_providers$org_code)
  expect_true(all(bk$AntenatalAppDate[bk$OrgCodeProvider == "RR1"] < as.Date("2018-04-01")))
  expect_true(all(bk$AntenatalAppDate[bk$OrgCodeProvider == "RRK"] >= as.Date("2018-04-01")))
  for (tab in c("MSD102MatCarePlan", "MSD201CareContactPreg", "MSD301LabourDelivery",
                "MSD401BabyDemographics")) {
    t <- x[[tab]]
    expect_true(all(t$OrgCodeProvider %in% msds_providers$org_code), label = tab)
    pb <- bk$OrgCodeProvider[match(t$UniqPregID, bk$UniqPregID)]
    expect_identical(t$OrgCodeProvider, pb, label = tab)
  }
  # the default cohort's deciles are the simulated (true) ones
  co <- suppressMessages(define_cohort(x))
  expect_identical(unique(co$imd_edition), "IMD 2019")
  known <- !is.na(co$imd_decile)
  expect_gt(mean(known), 0.9)
  expect_identical(co$imd_decile[known], sim$imd_decile[match(co$preg_id[known], sim$UniqPregID)])
  expect_false("RR1" %in% co$provider)
  expect_true("RR1" %in% co$provider_submitted)
  expect_false(anyNA(co$icb))
})

test_that("the simulator takes 1 to 13 units, the first ones of its trust list", {
  x <- simulate_msds(500, seed = 2, n_units = 3)
  expect_setequal(unique(x$MSD101PregnancyBooking$OrgCodeProvider), c("RXK", "RRK", "RR1", "RQ3"))
  expect_error(simulate_msds(500, n_units = 14), "n_units")
})
