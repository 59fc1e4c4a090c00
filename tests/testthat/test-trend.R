trend_cohort <- function(n = 6000, seed = 3) {
  set.seed(seed)
  d <- data.frame(booking_date = as.Date("2019-04-01") + sample(0:1825, n, TRUE),
                  group = sample(c("Core20", "Other"), n, TRUE))
  late <- d$booking_date >= as.Date("2022-09-21")
  d$coc_placed <- runif(n) < ifelse(late, 0.12, 0.3) + 0.02 * (d$group == "Other")
  d$coc_placed[sample(n, 25)] <- NA
  d
}

test_that("documented default dates are right", {
  expect_equal(better_births_date, as.Date("2016-02-23"))
  expect_equal(mcoc_withdrawal_date, as.Date("2022-09-21"))
  expect_equal(formals(its)$breaks, quote(c(better_births_date, mcoc_withdrawal_date)))
})

test_that("care_model_trend() counts by calendar quarter with Wilson limits", {
  d <- trend_cohort()
  got <- care_model_trend(d, coc_placed, by = group, disclosure = "none")
  expect_s3_class(got, "mq_trend")
  q <- as.POSIXlt(d$booking_date)
  lab <- sprintf("%d Q%d", q$year + 1900, q$mon %/% 3 + 1)
  s <- d[lab == "2020 Q3" & d$group == "Core20", ]
  row <- got[got$period_label == "2020 Q3" & got$group == "Core20", ]
  expect_equal(row$period, as.Date("2020-07-01"))
  expect_equal(row$events, sum(s$coc_placed, na.rm = TRUE))
  expect_equal(row$n, sum(!is.na(s$coc_placed)))
  expect_equal(row$n_missing, sum(is.na(s$coc_placed)))
  ci <- suppressWarnings(prop.test(row$events, row$n, correct = FALSE))$conf.int
  expect_equal(c(row$conf.low, row$conf.high), 100 * ci[1:2], tolerance = 1e-12)
  expect_equal(sum(got$n + got$n_missing), nrow(d))
  yr <- care_model_trend(d, coc_placed, interval = "year", disclosure = "none")
  expect_equal(yr$period_label, as.character(2019:2024))
  mo <- care_model_trend(d, coc_placed, interval = "month", disclosure = "none")
  expect_equal(nrow(mo), 60)
})

test_that("care_model_trend() uses an outcome's eligibility and rejects bad input", {
  d <- trend_cohort()
  d$sga <- runif(nrow(d)) < 0.1
  d$sga_eligible <- runif(nrow(d)) < 0.9
  got <- care_model_trend(d, sga, interval = "year", disclosure = "none")
  expect_equal(sum(got$n), sum(d$sga_eligible))
  expect_error(care_model_trend(d, group, disclosure = "none"), "must be logical")
  d$booking_date <- as.character(d$booking_date)
  expect_error(care_model_trend(d, coc_placed, disclosure = "none"), "Date")
})

test_that("newey_west() agrees with sandwich::NeweyWest()", {
  needs_reference("sandwich")
  set.seed(8)
  n <- 40
  x <- cbind(1, 1:n, rep(0:1, each = 20))
  e <- as.vector(arima.sim(list(ar = 0.6), n))
  y <- 2 + 0.1 * x[, 2] + x[, 3] + e
  fit <- lm(y ~ x - 1)
  for (L in c(0, 1, 3)) for (adj in c(TRUE, FALSE)) {
    ref <- sandwich::NeweyWest(fit, lag = L, prewhite = FALSE, adjust = adj)
    got <- matequity:::newey_west(x, residuals(fit), L, adj)
    expect_equal(unname(got), unname(ref), tolerance = 1e-12)
  }
})

test_that("its() fits the segmented model with Newey-West errors", {
  needs_reference("sandwich")
  d <- trend_cohort()
  expect_warning(fit <- its(d, coc_placed, disclosure = "none", vcov = "newey-west"), "dropped")
  expect_s3_class(fit, "mq_its")
  td <- tidy(fit)
  expect_equal(td$term, c("(Intercept)", "time", "level_2022-09-21", "slope_2022-09-21"))
  tr <- care_model_trend(d, coc_placed, disclosure = "none")
  tr$time <- seq_len(nrow(tr))
  # 2022-09-21 lies in 2022 Q3, so the first post-break period is 2022 Q4
  tk <- which(tr$period == as.Date("2022-10-01"))
  tr$post <- as.numeric(tr$time >= tk)
  tr$since <- (tr$time - tk) * tr$post
  ref <- lm(rate ~ time + post + since, data = tr)
  expect_equal(td$estimate, unname(coef(ref)), tolerance = 1e-10)
  L <- floor(4 * (nrow(tr) / 100)^(2 / 9))
  V <- sandwich::NeweyWest(ref, lag = L, prewhite = FALSE, adjust = TRUE)
  expect_equal(td$std.error, unname(sqrt(diag(V))), tolerance = 1e-10)
  expect_equal(td$conf.low, unname(coef(ref) - qt(0.975, df.residual(ref)) * sqrt(diag(V))),
               tolerance = 1e-10)
  gl <- glance(fit)
  expect_equal(gl$lag, L)
  expect_equal(gl$r.squared, summary(ref)$r.squared, tolerance = 1e-10)
  # a trend table is accepted too, and lag can be set
  fit2 <- its(tr[, setdiff(names(tr), c("time", "post", "since"))] |>
                structure(class = class(tr), trend = attr(tr, "trend")),
              breaks = mcoc_withdrawal_date, lag = 2, vcov = "newey-west")
  V2 <- sandwich::NeweyWest(ref, lag = 2, prewhite = FALSE, adjust = TRUE)
  expect_equal(tidy(fit2)$std.error, unname(sqrt(diag(V2))), tolerance = 1e-10)
})

test_that("its(vcov = \"ar1\") agrees with nlme::gls(corAR1, REML), gaps included", {
  needs_reference("nlme")
  d <- trend_cohort()
  tr <- care_model_trend(d, coc_placed, interval = "month", disclosure = "none")
  fit <- its(tr, breaks = mcoc_withdrawal_date)
  expect_identical(fit$vcov, "ar1")
  s <- as.data.frame(fit$fitted)
  tk <- min(s$time[s$period >= as.Date("2022-10-01")])
  s$post <- as.numeric(s$time >= tk)
  s$since <- (s$time - tk) * s$post
  ref <- nlme::gls(rate ~ time + post + since, data = s,
                   correlation = nlme::corAR1(form = ~ time), method = "REML")
  td <- tidy(fit)
  expect_equal(td$estimate, unname(coef(ref)), tolerance = 1e-6)
  expect_equal(td$std.error, unname(sqrt(diag(vcov(ref)))), tolerance = 1e-5)
  rho <- unname(coef(ref$modelStruct$corStruct, unconstrained = FALSE))
  # rho as nlme's optimiser finds it, and a REML log-likelihood at least as high
  expect_lt(abs(glance(fit)$rho - rho), 1e-4)
  ll_at <- function(r) {
    f <- nlme::gls(rate ~ time + post + since, data = s, method = "REML",
                   correlation = nlme::corAR1(r, form = ~ time, fixed = TRUE))
    as.numeric(logLik(f))
  }
  expect_gte(ll_at(glance(fit)$rho), as.numeric(logLik(ref)) - 1e-9)
  expect_equal(td$conf.low, unname(coef(ref) - qt(0.975, nrow(s) - 4) * sqrt(diag(vcov(ref)))),
               tolerance = 1e-5)
  # periods left out (suppressed) are gaps in the AR(1) correlation, not neighbours
  keep <- !seq_len(nrow(tr)) %in% c(5, 6, 30)
  tr2 <- tr[keep, ]
  attributes(tr2)[c("trend", "class")] <- attributes(tr)[c("trend", "class")]
  fit2 <- suppressWarnings(its(tr2, breaks = mcoc_withdrawal_date))
  s2 <- as.data.frame(fit2$fitted)
  expect_true(any(diff(s2$time) > 1))
  s2$post <- as.numeric(s2$time >= tk)
  s2$since <- (s2$time - tk) * s2$post
  ref2 <- nlme::gls(rate ~ time + post + since, data = s2,
                    correlation = nlme::corAR1(form = ~ time), method = "REML")
  expect_equal(tidy(fit2)$estimate, unname(coef(ref2)), tolerance = 1e-6)
  expect_equal(tidy(fit2)$std.error, unname(sqrt(diag(vcov(ref2)))), tolerance = 1e-5)
  expect_message(print(fit), "AR\\(1\\)")
  expect_error(its(tr, breaks = mcoc_withdrawal_date, vcov = "hc3"), "vcov")
})

test_that("its() by group and bad input", {
  d <- trend_cohort()
  fit <- its(d, coc_placed, by = group, breaks = mcoc_withdrawal_date,
             disclosure = "none")
  expect_equal(nrow(tidy(fit)), 8)
  expect_equal(unique(tidy(fit)$group), c("Core20", "Other"))
  expect_error(its(d, coc_placed, breaks = "2022-09-21", disclosure = "none"), "Date")
  expect_error(suppressWarnings(its(d, coc_placed, breaks = as.Date("2010-01-01"),
                                    disclosure = "none")), "No break")
  expect_error(its(d, coc_placed, breaks = mcoc_withdrawal_date, lag = -1,
                   disclosure = "none", vcov = "newey-west"), "lag")
  expect_error(its(d, coc_placed, breaks = mcoc_withdrawal_date, lag = 2,
                   disclosure = "none"), "newey-west")
})

test_that("autoplot() methods draw and hide suppressed points", {
  needs_reference("ggplot2")
  d <- trend_cohort()
  tr <- care_model_trend(d, coc_placed, by = group, disclosure = "none")
  tr$rate[1:3] <- NA
  p <- ggplot2::autoplot(tr)
  expect_s3_class(p, "ggplot")
  # the whole table is the plot's data; the suppressed periods are not
  # drawn (their lines break) and are marked on the axis instead
  expect_equal(nrow(p$data), nrow(tr))
  expect_equal(sum(!is.na(ggplot2::layer_data(p, 2)$y)), nrow(tr) - 3)
  expect_equal(nrow(p$layers[[3]]$data), 3)
  expect_match(p$labels$caption, "3 suppressed")
  fit <- its(d, coc_placed, breaks = mcoc_withdrawal_date, disclosure = "none")
  fit$shown$rate[2] <- NA
  p2 <- ggplot2::autoplot(fit)
  expect_s3_class(p2, "ggplot")
  expect_equal(nrow(ggplot2::layer_data(p2, 1)), nrow(fit$shown) - 1)
})

test_that("tidy() of an its() fit honours conf.level (t intervals, residual df)", {
  d <- trend_cohort()
  f95 <- its(d, coc_placed, by = group, breaks = mcoc_withdrawal_date, disclosure = "none")
  f80 <- its(d, coc_placed, by = group, breaks = mcoc_withdrawal_date, disclosure = "none",
             conf_level = 0.8)
  expect_equal(tidy(f95, conf.level = 0.8), tidy(f80), tolerance = 1e-12)
  t80 <- tidy(f95, conf.level = 0.8)
  g <- glance(f95)
  df <- g$df.residual[match(t80$group, g$group)]
  expect_equal(t80$conf.low, t80$estimate - stats::qt(0.9, df) * t80$std.error, tolerance = 1e-12)
  expect_identical(tidy(f95), f95$coefficients)
  expect_false("conf.low" %in% names(tidy(f95, conf.int = FALSE)))
})
