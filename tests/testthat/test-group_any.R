# group_any() and known_true()/known_false(): the one-pass forms of
# tabulate(g[x], n) > 0 and x %in% TRUE / FALSE; expected values by hand.

test_that("group_any() marks the groups with a TRUE row; NA flags, NA and out-of-range codes are skipped", {
  g <- c(2L, 1L, NA, 3L, 2L, 0L, 5L, 3L)
  x <- c(FALSE, TRUE, TRUE, NA, TRUE, TRUE, TRUE, FALSE)
  # group 1: row 2; group 2: row 5; group 3: rows 4 (NA) and 8 (FALSE); group
  # 4: no rows; rows 3 (NA code), 6 (code 0) and 7 (code 5) skipped
  expect_identical(matequity:::group_any(g, x, 4), c(TRUE, TRUE, FALSE, FALSE))
  # both flags TRUE: row 2 has y NA, row 5 has y TRUE
  y <- c(TRUE, NA, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE)
  expect_identical(matequity:::group_any(g, x, 4, y), c(FALSE, TRUE, FALSE, FALSE))
  # as tabulate() reads them: double codes, a non-logical flag (x %in% TRUE)
  # an integer flag reads as x %in% TRUE: 1 is TRUE (rows 2 and 5)
  expect_identical(matequity:::group_any(g, as.integer(x), 4), c(TRUE, TRUE, FALSE, FALSE))
  expect_identical(matequity:::group_any(as.numeric(g), x, 4), tabulate(g[x], 4) > 0L)
  expect_identical(matequity:::group_any(integer(), logical(), 3), c(FALSE, FALSE, FALSE))
  expect_identical(matequity:::group_any(integer(), logical(), 0), logical())
  # flags of another length select as a logical index: none for an absent
  # field's logical(0), every row for a TRUE scalar, recycled otherwise
  expect_identical(matequity:::group_any(g, logical(), 4), c(FALSE, FALSE, FALSE, FALSE))
  expect_identical(matequity:::group_any(g, x, 4, logical()), c(FALSE, FALSE, FALSE, FALSE))
  expect_identical(matequity:::group_any(g, TRUE, 4), c(TRUE, TRUE, TRUE, FALSE))
  # c(TRUE, FALSE) recycled: rows 1, 3, 5, 7 (codes 2, NA, 2, 5)
  expect_identical(matequity:::group_any(g, c(TRUE, FALSE), 4), c(FALSE, TRUE, FALSE, FALSE))
  expect_error(matequity:::.cpp_group_any(g, 4L, x[-1], NULL), "8 rows but the flags 7")
})

test_that("known_true() and known_false() give x %in% TRUE and x %in% FALSE", {
  x <- c(TRUE, FALSE, NA, TRUE)
  expect_identical(matequity:::known_true(x), c(TRUE, FALSE, FALSE, TRUE))
  expect_identical(matequity:::known_false(x), c(FALSE, TRUE, FALSE, FALSE))
  expect_identical(matequity:::known_true(logical()), logical())
  # attributes kept as `&` keeps them; other types through %in%
  named <- c(a = TRUE, b = NA)
  expect_identical(matequity:::known_true(named), c(a = TRUE, b = FALSE))
  expect_identical(matequity:::known_true(c(1, 0, NA)), c(TRUE, FALSE, FALSE))
  expect_identical(matequity:::known_false(c("FALSE", "x", NA)), c(TRUE, FALSE, FALSE))
})
