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
  h <- sdc_histogram_data(x, breaks = 0:2, group = g, disclosure = "acro")
  # control: 20 and 4 -> 4 suppressed, 20 secondary; treated: 11 and 40.
  expect_identical(h$group, c("control", "control", "treated", "treated"))
  expect_identical(h$n, c(NA, NA, 11L, 40L))
  off <- sdc_histogram_data(x, breaks = c(0.5, 1, 1.5), group = g, disclosure = "none")
  expect_identical(off$n, c(20L, 4L, 11L, 40L))
  expect_snapshot(print(off))
})

test_that("histogram input is checked", {
  expect_error(sdc_histogram_data("a"), "numeric")
  expect_error(sdc_histogram_data(1:5, breaks = c(2, 3)), "outside")
  expect_error(sdc_histogram_data(1:5, breaks = c(3, 1, 6)), "increasing")
  expect_error(sdc_histogram_data(1:5, group = 1:2), "one value per value")
  expect_warning(h <- sdc_histogram_data(c(rep(1, 30), NA), breaks = 1,
                                         disclosure = "acro"),
                 "<10 values")
  expect_identical(h$n, 30L)
  expect_warning(sdc_histogram_data(c(rep(1, 30), NA), breaks = 1, disclosure = "none"),
                 "1 value of")
})

test_that("chosen edges are rounded, and say nothing of the extremes", {
  # ages 20-40, 15 women each, and one woman of 47: the rounded edges run in
  # steps of 2 from 20. The bins from 42 up hold only her, or no one, and are
  # suppressed; since together they hold fewer than 10 (the total less the
  # released bins would say 1), the smallest released bin (40-42, 15 women)
  # goes with them. Suppressed bins at the end of the range are dropped.
  ages <- c(rep(20:40, each = 15), 47)
  h <- sdc_histogram_data(ages, breaks = 15)
  expect_equal(attr(h, "breaks"), seq(20, 40, by = 2))
  expect_equal(h$xmin, seq(20, 38, by = 2))
  expect_identical(h$n, rep(30L, 10))
  expect_false(any(grepl("suppress", h$n_sdc)))
  expect_identical(h$density, rep(30 / (300 * 2), 10))
  # a maximum on the closed top edge of the last bin gets a bin of its own
  top <- c(rep(seq(0.5, 9.5, by = 1), each = 12), 10)
  ht <- sdc_histogram_data(top, breaks = 10, disclosure = "none")
  expect_identical(max(attr(ht, "breaks")), 11)
  expect_identical(ht$n[ht$xmin == 10], 1L)
  # given edges are kept as they are, suppressed bins included
  hg <- sdc_histogram_data(ages, breaks = seq(20, 48, by = 4))
  expect_identical(attr(hg, "breaks"), seq(20, 48, by = 4))
  expect_identical(nrow(hg), 7L)
})

test_that("densities are smoothed from the released bins and shown only over them", {
  # 150 values in [1, 2), 60 in [2, 3), one at 3.9: the last bin (1 value)
  # is suppressed, and the group size being known, the next smallest bin
  # (60) goes too. Only [1, 2) may carry a curve.
  x <- c(seq(1.1, 1.99, length.out = 150), seq(2.01, 2.99, length.out = 60), 3.9)
  d <- sdc_density_data(x, breaks = c(1, 2, 3, 4), n = 64)
  expect_s3_class(d, "mq_sdc")
  expect_identical(d$shown, d$x < 2)
  expect_true(all(is.na(d$density[d$x >= 2])))
  # The curve is the density of the released bins' midpoints weighted by
  # their counts: one bin (150, midpoint 1.5), bandwidth half its width.
  ref <- stats::density(1.5, weights = 1, bw = 0.5, from = 1, to = 4, n = 64)$y
  expect_equal(d$density[d$shown], ref[d$shown], tolerance = 1e-12)
  # With groups, each group's curve comes from its own bins.
  g <- rep(c("a", "b"), c(105, 106))
  dg <- sdc_density_data(x, group = g, disclosure = "none", breaks = c(1, 2, 3, 4), n = 32,
                         bw = 0.3)
  expect_identical(unique(dg$group), c("a", "b"))
  h <- sdc_histogram_data(x, breaks = c(1, 2, 3, 4), group = g, disclosure = "none")
  ha <- h[h$group == "a" & h$n > 0, ]
  ra <- stats::density(ha$mid, weights = ha$n / sum(ha$n), bw = 0.3, from = 1, to = 4,
                       n = 32)$y
  sa <- dg$shown[dg$group == "a"]
  expect_equal(dg$density[dg$group == "a"][sa], ra[sa], tolerance = 1e-12)
  expect_error(sdc_density_data(x, bw = "SJ"), "released bins")
})

test_that("box-plot statistics come from merged bins of released counts", {
  # bins of width 0.25 holding 12, 3, 9 and 16 values: merged until each
  # holds 10, they are [0, 0.25) 12, [0.25, 0.75) 12, [0.75, 1] 16, released
  # as 10, 10, 15; quantiles spread values evenly within a bin.
  x <- c(seq(0.01, 0.24, length.out = 12), seq(0.26, 0.49, length.out = 3),
         seq(0.51, 0.74, length.out = 9), seq(0.76, 0.99, length.out = 16))
  b <- sdc_boxplot_data(x, breaks = seq(0, 1, by = 0.25))
  expect_s3_class(b, "mq_sdc")
  expect_identical(b$n, 40L)
  expect_equal(attr(b, "bins")$xmin, c(0, 0.25, 0.75))
  expect_equal(attr(b, "bins")$n, c(10, 10, 15))
  # (released to 3 significant figures, as estimates)
  N <- 35
  expect_equal(b$median, signif(0.25 + (0.5 * N - 10) / 10 * 0.5, 3))
  expect_equal(b$q1, signif(0.25 * 0.25 * N / 10, 3))
  expect_equal(b$q3, signif(0.75 + (0.75 * N - 20) / 15 * 0.25, 3))
  expect_equal(b$p10, signif(0.25 * 0.1 * N / 10, 3))
  expect_equal(b$p90, signif(0.75 + (0.9 * N - 20) / 15 * 0.25, 3))
  # a group under the threshold gets no box, and (its size being a part of
  # a known total) takes the next smallest group with it
  g <- c(rep("big", 40), rep("small", 7), rep("other", 30))
  y <- c(x, seq(0.1, 0.7, length.out = 7), seq(0.2, 0.8, length.out = 30))
  bg <- sdc_boxplot_data(y, group = g, breaks = seq(0, 1, by = 0.25))
  expect_identical(bg$group, c("big", "small", "other"))
  expect_identical(is.na(bg$n), c(FALSE, TRUE, TRUE))
  expect_true(all(is.na(bg$median[2:3])))
  expect_identical(unique(attr(bg, "bins")$group), "big")
  # with rule none, the exact quantiles
  off <- sdc_boxplot_data(x, breaks = seq(0, 1, by = 0.25), disclosure = "none")
  expect_equal(unlist(off[c("p10", "q1", "median", "q3", "p90")], use.names = FALSE),
               stats::quantile(x, c(0.1, 0.25, 0.5, 0.75, 0.9), names = FALSE))
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
