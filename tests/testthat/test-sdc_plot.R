test_that("histogram bins are counted, disclosed and secondary-suppressed", {
  # Bin edges 0, 1, 2, 3, 4: bin counts 3, 12, 25, 30 (total 70).
  x <- c(rep(0.5, 3), rep(1.5, 12), rep(2.5, 25), rep(3.5, 30))
  h <- sdc_histogram_data(x, breaks = 0:4)
  expect_s3_class(h, "mq_sdc")
  expect_identical(h$xmin, c(0, 1, 2, 3))
  expect_identical(h$mid, c(0.5, 1.5, 2.5, 3.5))
  # 3 < 10 suppressed; the group size (70) is known, so the next smallest
  # bin (12) goes too; 25 -> 25, 30 -> 30.
  expect_identical(h$n, c(NA, NA, 25L, 30L))
  expect_identical(h$n_sdc[1:2], c("suppressed (<10)", "secondary suppression"))
  # density from released counts: 25 / (55 * 1), 30 / (55 * 1).
  expect_equal(h$density, c(NA, NA, 25 / 55, 30 / 55))
  expect_equal(attr(h, "breaks"), 0:4)
  # Same as hist()'s counts before disclosure (right-closed there too, but
  # here bins are [a, b) with the last closed: none of x sits on an edge).
  expect_identical(graphics::hist(x, breaks = 0:4, plot = FALSE)$counts,
                   c(3L, 12L, 25L, 30L))
})

test_that("histogram bins per group; rule none keeps every bin", {
  x <- c(rep(0.5, 20), rep(1.5, 4), rep(0.5, 11), rep(1.5, 40))
  g <- rep(c("control", "treated"), c(24, 51))
  h <- sdc_histogram_data(x, breaks = 0:2, group = g, rule = "acro")
  # control: 20 and 4 -> 4 suppressed, 20 secondary; treated: 11 and 40.
  expect_identical(h$group, c("control", "control", "treated", "treated"))
  expect_identical(h$n, c(NA, NA, 11L, 40L))
  off <- sdc_histogram_data(x, breaks = 2, group = g, rule = "none")
  expect_identical(off$n, c(20L, 4L, 11L, 40L))
  expect_snapshot(print(off))
})

test_that("histogram input is checked", {
  expect_error(sdc_histogram_data("a"), "numeric")
  expect_error(sdc_histogram_data(1:5, breaks = c(2, 3)), "outside")
  expect_error(sdc_histogram_data(1:5, breaks = c(3, 1, 6)), "increasing")
  expect_error(sdc_histogram_data(1:5, group = 1:2), "one value per value")
  expect_warning(h <- sdc_histogram_data(c(rep(1, 30), NA), breaks = 1,
                                         rule = "acro"),
                 "1 value")
  expect_identical(h$n, 30L)
})

test_that("densities are hidden over suppressed bins and outside the data", {
  # 150 values in [1, 2), 60 in [2, 3), one at 3.9: the last bin (1 value)
  # is suppressed, and the group size being known, the next smallest bin
  # (60) goes too. Only [min(x), 2) may carry a curve.
  x <- c(seq(1.1, 1.99, length.out = 150), seq(2.01, 2.99, length.out = 60), 3.9)
  d <- sdc_density_data(x, breaks = c(1, 2, 3, 4), n = 64)
  expect_s3_class(d, "mq_sdc")
  expect_true(all(is.na(d$density[d$x >= 2])))
  expect_false(any(d$shown[d$x < 1.1]))
  inside <- d$x >= 1.1 & d$x < 2
  expect_true(all(d$shown[inside]))
  # Where shown, the curve is stats::density() on the same grid.
  ref <- stats::density(x, from = 1, to = 4, n = 64)$y
  expect_equal(d$density[d$shown], ref[d$shown], tolerance = 1e-12)
  # With groups, each group's curve is its own density.
  g <- rep(c("a", "b"), c(105, 106))
  dg <- sdc_density_data(x, group = g, rule = "none", breaks = 3, n = 32)
  expect_identical(unique(dg$group), c("a", "b"))
  xa <- x[g == "a"]
  ra <- stats::density(xa, from = min(x), to = max(x), n = 32)$y
  sa <- dg$shown[dg$group == "a"]
  expect_equal(dg$density[dg$group == "a"][sa], ra[sa], tolerance = 1e-12)
})

test_that("plot data drops rows resting on suppressed counts", {
  trend <- data.frame(quarter = paste0("2021 Q", 1:4),
                      births = c(120, 8, 95, 131), deaths = c(12, 1, 2, 30))
  out <- sdc_plot_data(trend, c(births, deaths))
  # Q2 births 8 < 10; Q2 and Q3 deaths < 10: both rows go.
  expect_identical(out$quarter, c("2021 Q1", "2021 Q4"))
  expect_identical(out$births, c(120, 130))
  expect_identical(attr(out, "sdc_dropped"), 2L)
  expect_s3_class(out, "mq_sdc")
})
