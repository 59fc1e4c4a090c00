test_that("summarise_continuity() matches aggregate() by group and phase", {
  d <- matequity:::continuity_demo_data(150, seed = 7)
  x <- continuity(d$cohort, d$msds, phase = c("antenatal", "all"))
  x$coc_placed <- rep(d$cohort$coc_placed, each = 2)
  s <- summarise_continuity(x, by = coc_placed, threshold = 0.5, disclosure = "none")
  expect_named(s, c("coc_placed", "phase", "index", "n", "n_sdc", "mean", "median", "n_above",
                   "n_above_sdc", "share_above"),
               ignore.order = FALSE)
  for (ix in c("upc", "secon", "named_midwife_share", "coc_receiving")) {
    v <- as.numeric(x[[ix]])
    ok <- !is.na(v)
    grp <- list(coc_placed = x$coc_placed[ok], phase = x$phase[ok])
    want <- stats::aggregate(v[ok], grp, function(z) c(length(z), mean(z), stats::median(z), sum(z >= 0.5)))
    got <- s[s$index == ix, ]
    m <- match(paste(want$coc_placed, want$phase), paste(got$coc_placed, got$phase))
    expect_false(anyNA(m))
    expect_equal(got$n[m], as.integer(want$x[, 1]))
    expect_equal(got$mean[m], want$x[, 2], tolerance = 1e-12)
    expect_equal(got$median[m], want$x[, 3], tolerance = 1e-12)
    expect_equal(got$n_above[m], as.integer(want$x[, 4]))
    expect_equal(got$share_above[m], want$x[, 4] / want$x[, 1], tolerance = 1e-12)
  }
  expect_error(summarise_continuity(x, by = nope), "nope")
  expect_error(summarise_continuity(data.frame(a = 1)), "no continuity index")
})

test_that("autoplot() draws index distributions by group", {
  needs_reference("ggplot2")
  d <- matequity:::continuity_demo_data(60, seed = 2)
  x <- continuity(d$cohort, d$msds)
  x$coc_placed <- d$cohort$coc_placed
  p <- ggplot2::autoplot(x, by = coc_placed)
  expect_s3_class(p, "ggplot")
  expect_equal(sort(unique(as.character(p$data$index))), sort(c("upc", "coc", "secon", "named_midwife_share")))
  expect_error(ggplot2::autoplot(x, index = "zzz"), "zzz")
})

test_that("summarise_continuity() applies the disclosure rule to its counts", {
  d <- matequity:::continuity_demo_data(600, seed = 7)
  x <- continuity(d$cohort, d$msds)
  x$coc_placed <- d$cohort$coc_placed
  raw <- summarise_continuity(x, by = coc_placed, disclosure = "none")
  s <- summarise_continuity(x, by = coc_placed, disclosure = "nhse_sde")
  expect_s3_class(s, "mq_sdc")
  # NHS England SDE: counts under 10 suppressed, others rounded to 5
  small <- raw$n_above < 10
  expect_true(all(is.na(s$n_above[small])))
  expect_true(all(is.na(s$share_above[small | raw$n < 10])))
  # the released ones are rounded to 5
  shown <- !is.na(s$n_above)
  expect_true(any(shown))
  expect_equal(s$n_above[shown], 5 * round(raw$n_above[shown] / 5))
  # a small count's partner across the groups (the total over coc_placed is
  # known) is suppressed with it, and so are the women below the threshold
  # when they are few
  cells <- split(is.na(s$n_above), paste(s$phase, s$index))
  expect_true(all(vapply(cells, function(v) sum(v) != 1L, TRUE)))
  below <- raw$n - raw$n_above
  expect_true(all(is.na(s$n_above[below < 10 & raw$n >= 10])))
  # means and medians rest on n alone
  expect_equal(is.na(s$mean), is.na(s$n))
})
