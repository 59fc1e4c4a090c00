# The contact assembly behind continuity() (ordering codes, the links of
# activities to contacts, MSD901 lookups, named-carer matching): literal
# tables, expected values worked out by hand in the comments.

two_preg <- function(contacts, acts, staff = NULL) {
  preg <- data.frame(id = c("P1", "P2"), booking = 0, discharge = 300, birth = NA,
                     del_prof = NA)
  list(msds = mini_msds(preg, contacts, acts, staff = staff), cohort = mini_cohort(preg))
}

test_that("ties in date and time go by contact id in C-locale order, missing times last", {
  # P1, one day: C2 08:00 (B), C1 08:00 (A), C10 no time (A), C3 no time (B).
  # Order: C1 A, C2 B (08:00, id), then the untimed C10 A, C3 B ("C10" < "C3"
  # byte by byte): A B A B, N 4, M 2, SECON 0, UPC 1/2, usual carer A (first
  # seen). Were the untimed ordered C3, C10: A B B A, SECON 1/3.
  # P2: the same contacts on two days, C3 the day before: B | A B A, SECON 0.
  contacts <- data.frame(con = c("C2", "C1", "C10", "C3", "D2", "D1", "D10", "D3"),
                         preg = rep(c("P1", "P2"), each = 4),
                         date = c(20, 20, 20, 20, 21, 21, 21, 20),
                         time = c("08:00", "08:00", NA, NA, "08:00", "08:00:00", NA, NA),
                         attend = "5")
  acts <- data.frame(con = contacts$con, prof = c("B", "A", "A", "B", "B", "A", "A", "B"),
                     team = "T")
  d <- two_preg(contacts, acts)
  x <- continuity(d$cohort, d$msds, nthreads = 1)
  expect_identical(x$n_contacts, c(4L, 4L))
  expect_identical(x$secon, c(0, 0))
  expect_identical(x$upc, c(1 / 2, 1 / 2))
  expect_identical(x$usual_carer, c("A", "B"))
  expect_identical(continuity(d$cohort, d$msds, nthreads = 2), x)
})

test_that("an activity whose CareConID is used by two contacts is not placed, and is counted", {
  # P1 has C1 (day 10) and C5; P2 has C1 (day 10) and C6. The C1 activity
  # carries a RecordNumber neither contact has and no UniqPregID, so it
  # cannot be placed: excluded (1 row), both C1 contacts then have no
  # activity (2 contacts, no carer); each pregnancy keeps one contact.
  contacts <- data.frame(con = c("C1", "C5", "C1", "C6"), preg = c("P1", "P1", "P2", "P2"),
                         date = c(10, 11, 10, 12), time = NA, attend = "5")
  acts <- data.frame(con = c("C1", "C5", "C6"), prof = c("A", "B", "B"), team = "T")
  d <- two_preg(contacts, acts)
  d$msds$MSD202CareActivityPreg$RecordNumber <- c(2L, 1L, 1L)
  expect_warning(x <- continuity(d$cohort, d$msds), class = "matequity_continuity_input")
  ex <- attr(x, "exclusions")
  n_of <- function(pattern) ex$n_rows[grepl(pattern, ex$reason, fixed = TRUE)]
  expect_identical(n_of("activity whose CareConID is used by several contacts"), 1L)
  expect_identical(n_of("contact with no activity record"), 2L)
  expect_identical(x$n_contacts, c(1L, 1L))
  expect_identical(x$usual_carer, c("B", "B"))
})

test_that("a professional absent from MSD901 is kept and counted; MSD901 is read with the provider", {
  # C1 by Z (not in MSD901: kept, counted), C2 by D (StaffGroup 01: dropped,
  # its contact left without a midwifery activity), C3 by A. MSD901 lists A
  # twice: "01" at R2 and "05" at R1; the contacts are at R1, so A is a
  # midwife (looked up on the id alone, the first row would make A other
  # staff). N 2 (Z, A), M 2, SECON 0.
  contacts <- data.frame(con = c("C1", "C2", "C3"), preg = "P1", date = 10:12, time = NA,
                         attend = "5")
  acts <- data.frame(con = c("C1", "C2", "C3"), prof = c("Z", "D", "A"), team = "T")
  preg <- data.frame(id = "P1", booking = 0, discharge = 300, birth = NA, del_prof = NA)
  m <- mini_msds(preg, contacts, acts)
  m$MSD901StaffDetails <- tibble::tibble(CareProfLID = c("D", "A", "A"),
                                         OrgCodeProvider = c("R1", "R2", "R1"),
                                         StaffGroup = c("01", "01", "05"))
  x <- continuity(mini_cohort(preg), m)
  ex <- attr(x, "exclusions")
  n_of <- function(pattern) ex$n_rows[grepl(pattern, ex$reason, fixed = TRUE)]
  expect_identical(n_of("professional not in MSD901"), 1L)
  expect_identical(n_of("activity by non-midwifery staff"), 1L)
  expect_identical(n_of("contact with no midwifery activity"), 1L)
  expect_identical(x$n_contacts, 2L)
  expect_identical(x$n_carers, 2L)
  expect_identical(x$usual_carer, "Z")
})

test_that("a named midwife or team recorded at another provider does not count", {
  # Two contacts at R1, both by MWN of team TN. With the plan's provider R1
  # the named-midwife and named-team shares are 2/2; with R2 they are 0/2
  # (the ids are local to a provider), not missing.
  contacts <- data.frame(con = c("C1", "C2"), preg = "P1", date = 10:11, time = NA, attend = "5")
  acts <- data.frame(con = c("C1", "C2"), prof = "MWN", team = "TN")
  preg <- data.frame(id = "P1", booking = 0, discharge = 300, birth = NA, del_prof = NA)
  m <- mini_msds(preg, contacts, acts)
  co <- mini_cohort(preg)
  co$named_provider <- "R1"
  x <- continuity(co, m)
  expect_identical(c(x$named_midwife_share, x$named_team_share), c(1, 1))
  co$named_provider <- "R2"
  x <- continuity(co, m)
  expect_identical(c(x$named_midwife_share, x$named_team_share), c(0, 0))
})

test_that("the string passes agree with match(), %in% and == on literal vectors", {
  # first positions, NA matching NA, a repeated table value
  r <- matequity:::match_strings(c("b", NA, "a", "a", "z"), c("a", "b", "a", NA))
  expect_identical(r$index, c(2L, 4L, 1L, 1L, NA))
  expect_false(r$table_unique)
  expect_true(matequity:::match_strings("x", c("x", "y"))$table_unique)
  expect_identical(matequity:::in_strings(c("5", "6", "1", NA), c("5", "6")),
                   c(TRUE, TRUE, FALSE, FALSE))
  expect_identical(matequity:::in_strings(c("5", "6", "1", NA), c("5", "6"), as_int = TRUE),
                   c(1L, 1L, 0L, 0L))
  expect_identical(matequity:::attended_codes(c(" 5", "6", "5", NA, "05")), c(0L, 1L, 1L, 0L, 0L))
  expect_identical(matequity:::equal_at(c("a", "b", NA, "a"), c("a", NA), c(1L, 1L, 1L, 2L)),
                   c(TRUE, FALSE, NA, NA))
  # a string marked UTF-8 and its latin1 twin are equal text, not one pointer
  u <- enc2utf8("caf\u00e9")
  l <- iconv(u, "UTF-8", "latin1")
  expect_identical(matequity:::match_strings(u, l)$index, 1L)
  expect_identical(matequity:::equal_at(u, l, 1L), TRUE)
  expect_identical(matequity:::in_strings(c(u, "x"), l, as_int = TRUE), c(1L, 0L))
  expect_identical(matequity:::parse_contact_time(c("09:30", NA, "9:30:15", "25:00", "09:30")),
                   c(34200L, NA, 34215L, NA, 34200L))
})

test_that("contact times of a subset are parsed without making the subset, with the unparseable counted", {
  x <- c("09:30", NA, "9:30:15", "25:00", "09:30", "noon", "2024-05-01T23:59:00Z", "25:00")
  at <- c(8L, 1L, 2L, 4L, 7L, 1L, 6L)
  r <- matequity:::contact_times(x, at)
  # by hand: x[at] is "25:00", "09:30", NA, "25:00", "23:59" (date-time), "09:30", "noon"
  expect_identical(r$time, c(NA, 34200L, NA, NA, 86340L, 34200L, NA))
  expect_identical(r$unparsed, 3L)
  expect_identical(matequity:::contact_times(x)$unparsed, 3L)
  expect_identical(matequity:::contact_times(x)$time, matequity:::parse_contact_time(x))
  s <- matequity:::string_codes(x, at)
  expect_identical(s$levels, c("25:00", "09:30", "2024-05-01T23:59:00Z", "noon"))
  expect_identical(s$code, c(1L, 2L, NA, 1L, 3L, 2L, 4L))
  expect_error(matequity:::string_codes(x, 9L), "out of range")
  # a column that is not text has no times; its values present are unparseable
  r2 <- matequity:::contact_times(c(930, NA, 1015), c(3L, 2L))
  expect_identical(r2$time, c(NA_integer_, NA_integer_))
  expect_identical(r2$unparsed, 1L)
})

test_that("code_parts_onto() codes two tables' rows onto existing levels, dated rows first", {
  # levels already held: "P1", "P2". Part 1 (labour activities) rows use
  # its own levels c("P3", "P1", "P9"); part 2 (deliveries) c("P9", "P4").
  parts <- list(list(code = c(1L, 2L, NA, 3L), levels = c("P3", "P1", "P9")),
                list(code = c(2L, 1L, 1L), levels = c("P9", "P4")))
  # rows as strings: P3 P1 NA P9 | P4 P9 P9; row 4 (P9) and row 5 (P4) undated
  dated <- c(TRUE, TRUE, TRUE, FALSE, FALSE, TRUE, TRUE)
  r <- matequity:::code_parts_onto(parts, dated, c("P1", "P2"))
  # dated rows bring P3 (3) and P9 (4, first seen on row 6); then P4 (5)
  expect_identical(r$levels, c("P1", "P2", "P3", "P9", "P4"))
  expect_identical(r$code, c(3L, 1L, NA, 4L, 5L, 4L, 4L))
  expect_identical(r$n_dated, 4L)
  # what coding the strings with match() and unique() gives, dated rows first
  onto <- function(x, levels) {
    code <- match(x, levels)
    new <- which(is.na(code) & !is.na(x))
    u <- unique(x[new])
    code[new] <- length(levels) + match(x[new], u)
    list(code = code, levels = c(levels, u))
  }
  s <- c("P3", "P1", NA, "P9", "P4", "P9", "P9")
  a <- onto(s[dated], c("P1", "P2"))
  b <- onto(s[!dated], a$levels)
  expect_identical(r$levels, b$levels)
  expect_identical(r$code[dated], a$code)
  expect_identical(r$code[!dated], b$code)
  # a part with no rows and no levels
  none <- matequity:::code_parts_onto(list(list(code = integer(), levels = character())), logical(), "A")
  expect_identical(none$code, integer())
  expect_identical(none$levels, "A")
  expect_error(matequity:::.cpp_first_unmapped(1:3, c(TRUE, TRUE), 0L, TRUE, rep(NA_integer_, 3)),
               "does not cover")
})
