# Ethnic groups of define_cohort(): the broad census groups, NHS Digital's
# continuity-of-carer grouping, and which codes make plus_ethnic_minority.
# Expected values are read by hand off the fixture's MSD001 rows
# (helper-fixtures.R): P01 A, P02 B, P03 J, P04 Z, P05 99, P06 H, P07 M,
# P12 K, P14 R, P15 S, P16 L.

eth_nhs <- c("White", "Black, Asian and minority ethnic", "Other", "Missing or unknown")

test_that("ethnic_group_nhs_coc follows NHS Digital's CoC breakdown grouping", {
  co <- fixture_cohort()
  expect_identical(levels(co$ethnic_group_nhs_coc), eth_nhs)
  expect_identical(stats::setNames(as.character(co$ethnic_group_nhs_coc), co$preg_id), c(
    P01 = "White", P02 = "White", P03 = eth_nhs[2], P04 = eth_nhs[4], P05 = eth_nhs[4],
    P06 = eth_nhs[2], P07 = eth_nhs[2], P12 = eth_nhs[2], P14 = "Other", P15 = "Other",
    P16 = eth_nhs[2]))
})

test_that("every code, G, lower case, X and missing are grouped as the CoC code does", {
  tabs <- fixture_tables()
  # one mother per code: M01 (the booking's submission, RecordNumber 1) ...
  md <- tabs$MSD001MotherDemog
  md$EthnicCategoryMother[md$Person_ID_Mother == "M14"] <- "G"   # P14: any other mixed
  md$EthnicCategoryMother[md$Person_ID_Mother == "M15"] <- "d"   # P15: as_msds() upper-cases
  md$EthnicCategoryMother[md$Person_ID_Mother == "M16"] <- "X"   # P16: not a code
  md$EthnicCategoryMother[md$Person_ID_Mother == "M12"] <- NA    # P12: missing
  tabs$MSD001MotherDemog <- md
  x <- fixture_msds(tabs)
  co <- fixture_cohort(x)
  g <- function(col) stats::setNames(as.character(co[[col]]), co$preg_id)[c("P12", "P14", "P15", "P16")]
  expect_identical(g("ethnic_group_nhs_coc"),
                   c(P12 = eth_nhs[4], P14 = "Other", P15 = eth_nhs[2], P16 = eth_nhs[4]))
  # the broad groups put G with the mixed codes
  expect_identical(g("ethnic_group"), c(P12 = "Unknown", P14 = "Mixed", P15 = "Mixed", P16 = "Unknown"))
  # the mapping of every code, by hand from NHS Digital's CoC code
  m <- matequity:::ethnic_group_nhs_coc(c(LETTERS[c(1:8, 10:14, 16, 18, 19, 26)], "99", NA))
  expect_identical(as.character(m), c(
    "White", "White", "White",                           # A B C
    eth_nhs[2], eth_nhs[2], eth_nhs[2], "Other",         # D E F G
    eth_nhs[2], eth_nhs[2], eth_nhs[2], eth_nhs[2],      # H J K L
    eth_nhs[2], eth_nhs[2], eth_nhs[2],                  # M N P
    "Other", "Other", eth_nhs[4], eth_nhs[4], eth_nhs[4])) # R S Z 99 NA
})

test_that("plus_ethnic_minority: the default grouping is unchanged, nhs_coc is an option", {
  co <- fixture_cohort()
  # default "not_white_british": every known code except A; NA for Z and 99
  expect_identical(stats::setNames(co$plus_ethnic_minority, co$preg_id), c(
    P01 = FALSE, P02 = TRUE, P03 = TRUE, P04 = NA, P05 = NA, P06 = TRUE, P07 = TRUE,
    P12 = TRUE, P14 = TRUE, P15 = TRUE, P16 = TRUE))
  # the same numbers as giving the old default codes explicitly
  old <- fixture_cohort(ethnic_minority = setdiff(matequity:::msds_codes$ethnic_category,
                                                  c("A", "Z", "99")))
  expect_identical(old$plus_ethnic_minority, co$plus_ethnic_minority)
  expect_identical(old$core20plus, co$core20plus)
  # NHS Digital's CoC group: B (White Irish), R and S are not in it
  nc <- fixture_cohort(ethnic_grouping = "nhs_coc")
  expect_identical(stats::setNames(nc$plus_ethnic_minority, nc$preg_id), c(
    P01 = FALSE, P02 = FALSE, P03 = TRUE, P04 = NA, P05 = NA, P06 = TRUE, P07 = TRUE,
    P12 = TRUE, P14 = FALSE, P15 = FALSE, P16 = TRUE))
  # the grouping only changes plus_ethnic_minority (and what follows from it)
  expect_identical(nc$ethnic_group_nhs_coc, co$ethnic_group_nhs_coc)
  expect_identical(nc$ethnic_group, co$ethnic_group)
})

test_that("the grouping is recorded in attr(cohort, 'definitions')", {
  d <- attr(fixture_cohort(), "definitions")
  expect_named(d, c("column", "definition", "source"))
  expect_identical(d$column, c("ethnic_group", "ethnic_group_nhs_coc", "plus_ethnic_minority"))
  expect_identical(d$definition[3], "not_white_british")
  expect_match(d$source[3], "codes B, C, D, E, F, G, H, J, K, L, M, N, P, R, S;", fixed = TRUE)
  d2 <- attr(fixture_cohort(ethnic_grouping = "nhs_coc"), "definitions")
  expect_identical(d2$definition[3], "nhs_coc")
  expect_match(d2$source[3], "codes D, E, F, H, J, K, L, M, N, P;", fixed = TRUE)
  d3 <- attr(fixture_cohort(ethnic_minority = c("M", "N", "P")), "definitions")
  expect_identical(d3$definition[3], "custom")
  expect_match(d3$source[3], "codes M, N, P;", fixed = TRUE)
})

test_that("ethnic_minority and ethnic_grouping are checked", {
  x <- fixture_msds()
  expect_error(define_cohort(x, ethnic_minority = "M", ethnic_grouping = "nhs_coc"), "not both")
  expect_error(define_cohort(x, ethnic_grouping = "bame"), "ethnic_grouping")
  expect_error(define_cohort(x, ethnic_minority = c("J", "Q")), "Q")
})
