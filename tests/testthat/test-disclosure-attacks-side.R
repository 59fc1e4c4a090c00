# Attacks on what matequity releases besides its tables (issue 14, items 3-5):
# model summaries (glance(), nobs(), print(), summary(), reason strings,
# effective sample sizes), printed objects, messages, warnings and errors,
# and the data behind plots. Each test tries, as an attacker would, to
# recover an exact count (or one woman's value) from what is released, on
# small hand-made data whose true counts are known, and asserts that the
# attempt fails. Every attack here succeeded against matequity before these
# fixes (main at f6e951d).

default_rule <- function() {
  old <- options(matequity.disclosure = NULL)
  rlang::eval_bare(rlang::expr(on.exit(options(!!old), add = TRUE)), parent.frame())
}

# Whole numbers written in text ("1,240" is 1240); decimals and numbers that
# are part of a word or an identifier ("MSD101") are not counts.
ints_in <- function(txt) {
  txt <- cli::ansi_strip(paste(txt, collapse = "\n"))
  txt <- gsub("(?<=[0-9]),(?=[0-9]{3})", "", txt, perl = TRUE)
  tok <- regmatches(txt, gregexpr("(?<![A-Za-z0-9._])[0-9]+(\\.[0-9]+)?(?![A-Za-z0-9_])",
                                  txt, perl = TRUE))[[1]]
  as.numeric(tok[!grepl(".", tok, fixed = TRUE)])
}

# Everything an expression prints, says or warns.
all_output <- function(expr) {
  said <- character()
  out <- withCallingHandlers(
    utils::capture.output(expr),
    message = function(m) {
      said <<- c(said, conditionMessage(m))
      invokeRestart("muffleMessage")
    },
    warning = function(w) {
      said <<- c(said, conditionMessage(w))
      invokeRestart("muffleWarning")
    })
  cli::ansi_strip(c(out, said))
}

conditions_of <- function(expr) {
  said <- character()
  withCallingHandlers(
    tryCatch(expr, error = function(e) said <<- c(said, conditionMessage(e))),
    message = function(m) {
      said <<- c(said, conditionMessage(m))
      invokeRestart("muffleMessage")
    },
    warning = function(w) {
      said <<- c(said, conditionMessage(w))
      invokeRestart("muffleWarning")
    })
  cli::ansi_strip(said)
}

# 1,005 rows, 3 of them incomplete: the fit rests on 1,002.
attack_effect_data <- function() {
  set.seed(14)
  n <- 1005
  d <- data.frame(x1 = stats::rnorm(n), x2 = stats::rbinom(n, 1, 0.4))
  d$a <- stats::rbinom(n, 1, stats::plogis(-0.3 + 0.6 * d$x1))
  d$y <- stats::rbinom(n, 1, stats::plogis(-1 + 0.5 * d$a + 0.4 * d$x1))
  d$x1[c(5, 50, 500)] <- NA
  d
}

test_that("attack: glance()'s reason string gives n back as residual df + p", {
  default_rule()
  d <- attack_effect_data()
  fit <- estimate_effect(d, a, y, ~ x1 + x2, method = "ipw", missing = "complete_case")
  n_true <- 1002
  p <- fit$groups[[1]]$p
  reason <- glance(fit)$disclosure_reason
  expect_false(any((ints_in(reason) + p) == n_true))
  expect_false(any(ints_in(reason) == n_true - p))
  # the same for a model checked by hand: "residual df 6" says n = 6 + p
  chk <- disclosure_check_model(c(a = 40, b = 50), df_residual = 6)
  expect_false(6 %in% ints_in(chk$reason))
  expect_identical(chk$status, "fail")
})

test_that("attack: nobs(), glance(), print() and summary() give the exact sample size", {
  default_rule()
  d <- attack_effect_data()
  fit <- estimate_effect(d, a, y, ~ x1 + x2, method = "ipw", missing = "complete_case")
  cc <- d[stats::complete.cases(d), ]
  truth <- c(n = 1002, dropped = 3, treated = sum(cc$a == 1), control = sum(cc$a == 0))
  expect_true(all(truth %% 5 != 0))  # else rounding to 5 would show them
  expect_false(nobs(fit) %in% truth)
  g <- glance(fit)
  expect_false(any(unlist(g[c("n", "n_treated", "n_control", "n_missing_dropped")]) %in% truth,
                   na.rm = TRUE))
  printed <- all_output(print(fit))
  expect_false(any(truth %in% ints_in(printed)))
  summarised <- all_output(print(summary(fit)))
  expect_false(any(truth %in% ints_in(summarised)))
  # the printed fit says which rule its counts are under
  expect_true(any(grepl("Disclosure \\(nhse_sde", printed)))
  # with control off the counts are exact, and the print says so
  off <- estimate_effect(d, a, y, ~ x1 + x2, method = "ipw", missing = "complete_case",
                         disclosure = "none")
  expect_identical(nobs(off), 1002L)
  printed_off <- all_output(print(off))
  expect_true(all(c(1002, 3) %in% ints_in(printed_off)))
  expect_true(any(grepl("DISCLOSURE CONTROL OFF", printed_off)))
})

test_that("attack: the ATT's treated effective sample size is the exact treated count", {
  default_rule()
  d <- attack_effect_data()
  d <- d[stats::complete.cases(d), ]
  fit <- estimate_effect(d, a, y, ~ x1 + x2, method = "ipw", estimand = "ATT")
  n1 <- sum(d$a == 1)
  expect_true(n1 %% 5 != 0)
  g <- glance(fit)
  expect_false(isTRUE(g$ess_treated == n1))
  expect_true(is.na(g$ess_treated) || g$ess_treated %% 5 == 0)
  expect_true(is.na(g$ess_control) || g$ess_control %% 5 == 0)
  expect_false(n1 %in% ints_in(all_output(print(summary(fit)))))
  # and through balance(): its "ess" attribute and its print
  b <- balance(fit)
  e <- attr(b, "ess")
  expect_false(any(c(e$n, e$ess_unadjusted, e$ess_adjusted) == n1, na.rm = TRUE))
  expect_false(any(c(n1, sum(d$a == 0)) %in% ints_in(all_output(print(b)))))
})

# 400 treated, 400 controls, but within the caliper only 7 treated women find
# a control: the estimate rests on 7 matched pairs.
seven_pairs <- function() {
  n1 <- 400
  x <- c(seq(-0.3, 0.3, length.out = 7), seq(4, 6, length.out = n1 - 7),
         seq(-2, 1, length.out = 400))
  a <- rep(c(1L, 0L), c(n1, 400))
  set.seed(7)
  data.frame(a = a, x = x, y = stats::rbinom(800, 1, 0.4))
}

test_that("attack: a matching estimate on 7 matched pairs passes as resting on 800 women", {
  default_rule()
  d <- seven_pairs()
  said <- conditions_of(
    fit <- estimate_effect(d, a, y, ~ x, method = "matching", estimand = "ATT", caliper = 0.01))
  expect_identical(unname(fit$groups$all$matched$n_matched), c(7L, 7L))
  g <- glance(fit)
  expect_identical(g$disclosure_status, "fail")
  expect_match(g$disclosure_reason, "matched")
  # the effective sample sizes are the 7 matched units of each arm
  expect_false(any(c(g$ess_treated, g$ess_control) == 7, na.rm = TRUE))
  # the warning about unmatched women: 393 of 400 unmatched means 7 matched
  expect_false(any(c(393, 7) %in% ints_in(said)))
})

test_that("attack: a suppressed subgroup size is nobs() minus the other subgroups (ACRO)", {
  set.seed(3)
  d <- data.frame(g = rep(c("A", "B", "C"), c(8, 303, 251)), x = stats::rnorm(562))
  d$a <- stats::rbinom(562, 1, 0.5)
  d$y <- stats::rbinom(562, 1, 0.4)
  d$a[d$g == "A"] <- c(1, 1, 1, 1, 0, 0, 0, 0)
  d$y[d$g == "A"] <- c(1, 0, 1, 0, 1, 0, 0, 1)
  fit <- suppressWarnings(estimate_effect(d, a, y, ~ x, method = "ipw", by = g,
                                          disclosure = "acro"))
  g <- glance(fit)
  # each other group's size is its n, or its two arms added up
  size <- ifelse(is.na(g$n), g$n_treated + g$n_control, g$n)
  recovered <- nobs(fit) - sum(size[g$group != "A"])
  expect_false(isTRUE(recovered == 8))
  expect_false(isTRUE(nobs(fit) - sum(g$n[g$group != "A"]) == 8))
  expect_true(is.na(g$n[g$group == "A"]))
  expect_true(all(g$disclosure_status[g$group == "A"] == "fail"))
})

test_that("attack: a suppressed arm is n minus the other arm (ACRO, no rounding)", {
  set.seed(5)
  d <- data.frame(x = stats::rnorm(308), a = rep(c(1L, 0L), c(8, 300)))
  d$y <- c(c(1, 1, 1, 0, 0, 0, 0, 0), stats::rbinom(300, 1, 0.4))
  fit <- suppressWarnings(estimate_effect(d, a, y, ~ x, method = "ipw", disclosure = "acro"))
  g <- glance(fit)
  expect_true(is.na(g$n_treated))
  expect_false(isTRUE(g$n - g$n_control == 8))
  expect_false(isTRUE(nobs(fit) - g$n_control == 8))
})

test_that("attack: errors and warnings of estimate_effect() and matching count rows exactly", {
  default_rule()
  d <- attack_effect_data()
  d$y[7] <- NA
  # 4 rows with a missing value: 3 x1, 1 y
  said <- conditions_of(estimate_effect(d, a, y, ~ x1 + x2))
  expect_length(said, 1L)
  expect_false(any(c(3, 4) %in% ints_in(said)))
  # separation: the arm sizes, the count of extreme scores and the largest weight
  set.seed(3)
  n <- 400
  s <- data.frame(x = stats::rnorm(n), z = stats::rnorm(n))
  s$a <- as.integer(s$x > 0)
  s$a[1:3] <- 1L - s$a[1:3]
  s$sep <- as.integer(s$x > 0 & !(seq_len(n) %in% 1:3))
  s$y <- stats::rbinom(n, 1, 0.3)
  said <- conditions_of(estimate_effect(s, a, y, ~ z + sep, method = "ipw"))
  expect_true(any(grepl("Extreme weights", said)))
  arms <- c(sum(s$a == 1), sum(s$a == 0))
  expect_true(all(arms %% 5 != 0))
  expect_false(any(arms %in% ints_in(said)))
  expect_false(any(grepl("Largest weight", said)))
  # match_units(): 1 of 3 treated units left unmatched
  m <- data.frame(a = c(1, 0, 1, 0, 0, 0, 1), lp = c(10, 2, 6, 5, 9, 3, 7))
  said <- conditions_of(match_units(m, a, lp, caliper = 0.5, scale = "logit"))
  expect_match(said, "left unmatched")
  expect_false(any(c(1, 3) %in% ints_in(said)))
  exact <- conditions_of(match_units(m, a, lp, caliper = 0.5, scale = "logit",
                                     disclosure = "none"))
  expect_match(exact, "1 treated unit was left unmatched, out of 3", fixed = TRUE)
  expect_match(exact, "disclosure control is off", fixed = TRUE)
})

small_quality_msds <- function() {
  x <- simulate_msds(300, seed = 3)
  tabs <- unclass(x)
  attributes(tabs) <- list(names = names(tabs))
  tabs$MSD101PregnancyBooking$GestAgeBooking[1:3] <- 400L
  tabs
}

test_that("attack: print(msds), summary(msds) and as_msds()' warning show exact small counts and dates", {
  default_rule()
  tabs <- small_quality_msds()
  said <- conditions_of(x <- as_msds(tabs))
  q <- attr(x, "quality")
  small <- q$n_rows[q$n_rows < 10]
  expect_true(3 %in% small)
  expect_false(any(grepl("(3 rows)", said, fixed = TRUE)))
  printed <- all_output(print(x))
  lines <- printed[grepl("GestAgeBooking", printed)]
  expect_false(any(grepl("(3)", lines, fixed = TRUE)))
  for (i in which(q$n_rows < 10 | q$n_rows %% 5 != 0)) {
    line <- printed[grepl(q$problem[i], printed, fixed = TRUE) &
                      grepl(paste0(q$table[i], ".", q$field[i]), printed, fixed = TRUE)]
    expect_false(any(grepl(paste0("(", q$n_rows[i], ")"), line, fixed = TRUE)))
  }
  truth <- c(women = length(unique(x$MSD001MotherDemog$Person_ID_Mother)),
             rows = vapply(unclass(x), nrow, 1L))
  truth <- truth[truth %% 5 != 0]
  expect_false(any(truth %in% ints_in(printed)))
  rows <- summary(x)$rows
  expect_false(any(rows %in% truth, na.rm = TRUE))
  # the first and last booking dates are one woman's dates
  rng <- format(range(x$MSD101PregnancyBooking$AntenatalAppDate, na.rm = TRUE))
  expect_false(any(grepl(rng[1], printed, fixed = TRUE) | grepl(rng[2], printed, fixed = TRUE)))
  off <- all_output(print(x, disclosure = "none"))
  expect_true(any(grepl("(3)", off, fixed = TRUE)))
  expect_true(any(grepl("DISCLOSURE CONTROL OFF", off)))
})

test_that("attack: cohort and outcome messages count single pregnancies and babies", {
  default_rule()
  # two unknown ethnicity codes, one pregnancy each
  said <- conditions_of(define_cohort(fixture_msds(), period = fixture_period, imd = "2015"))
  unknown <- said[grepl("Unknown or unmatched", said)]
  expect_length(unknown, 1L)
  expect_false(grepl("(1)", unknown, fixed = TRUE))
  # one pregnancy's demographics from another submission
  said <- conditions_of(define_cohort(as_msds(subs_tables(), quiet = TRUE), imd = "2015"))
  fb <- said[grepl("Demographics \\(MSD001\\)", said)]
  expect_length(fb, 1L)
  expect_false(grepl("submission: 1\\b", fb))
  # two babies whose age at death is unknown, one early stillbirth code
  xr <- rt_msds("month_birth")
  ch <- fixture_cohort(xr)
  said <- conditions_of(add_outcomes(ch, xr))
  age <- said[grepl("age at death unknown", said)]
  expect_length(age, 1L)
  expect_false(2 %in% ints_in(age))
  nb <- said[grepl("not counted as births", said)]
  expect_false(grepl("gestation unknown): 1", nb, fixed = TRUE))
})

test_that("attack: warnings of rates, disparities and trends count rows exactly", {
  default_rule()
  d <- data.frame(y = c(rep(TRUE, 12), rep(FALSE, 125), NA, NA, NA), y_eligible = TRUE)
  said <- conditions_of(outcome_rates(d, y, per = 100))
  expect_match(said, "eligible rows? ha(s|ve) a missing")
  expect_false(3 %in% ints_in(said))
  # under disclosure = "none" the count is exact, and marked
  said_off <- conditions_of(outcome_rates(d, y, per = 100, disclosure = "none"))
  expect_match(said_off[1], "3 eligible rows have a missing", fixed = TRUE)
  expect_match(said_off[1], "disclosure control is off", fixed = TRUE)
  # disparity(): a group without events is a zero count for everyone in it
  set.seed(2)
  g <- data.frame(grp = rep(c("A", "B", "C"), c(200, 150, 40)), y_eligible = TRUE)
  g$y <- stats::runif(390) < 0.2
  g$y[g$grp == "C"] <- FALSE
  g$grp[1:3] <- NA
  said <- conditions_of(disparity(g, y, grp, reference = "A", per = 100))
  expect_false(any(grepl("no events", said)))
  expect_false(3 %in% ints_in(said))
  # care_model_trend(): 3 pregnancies without a booking date
  t <- data.frame(booking_date = as.Date("2021-01-01") + c(rep(0:3, 50), NA, NA, NA),
                  v = rep(c(TRUE, FALSE), length.out = 203))
  said <- conditions_of(care_model_trend(t, v))
  expect_match(said, "missing")
  expect_false(3 %in% ints_in(said))
  # sdc_histogram_data(): 3 missing values
  said <- conditions_of(sdc_histogram_data(c(stats::runif(100), NA, NA, NA), breaks = 5))
  expect_false(3 %in% ints_in(said))
})

test_that("attack: histogram edges give the oldest woman's age", {
  default_rule()
  ages <- c(rep(20:40, each = 15), 47)
  h <- sdc_histogram_data(ages, breaks = 15)
  edges <- c(attr(h, "breaks"), h$xmin, h$xmax)
  expect_false(47 %in% edges)
  expect_false(any(h$xmin <= 47 & h$xmax >= 47))
  # nor the youngest, when she is alone in her bin
  young <- c(16, rep(20:40, each = 15))
  hy <- sdc_histogram_data(young, breaks = 15)
  expect_false(16 %in% c(attr(hy, "breaks"), hy$xmin, hy$xmax))
  expect_false(any(hy$xmin <= 16 & hy$xmax > 16))
})

test_that("attack: a density curve starts at the smallest value", {
  default_rule()
  x <- c(1.137, seq(1.2, 1.49, length.out = 40), seq(1.5, 2.9, length.out = 200))
  d <- sdc_density_data(x, breaks = c(1, 1.5, 2, 2.5, 3), n = 512)
  step <- diff(d$x[1:2])
  first <- min(d$x[d$shown])
  expect_false(abs(first - min(x)) < step)
  # the curve is made from the released bins, not from the values: moving
  # the smallest value within its bin does not move the curve
  x2 <- x
  x2[1] <- 1.01
  d2 <- sdc_density_data(x2, breaks = c(1, 1.5, 2, 2.5, 3), n = 512)
  expect_identical(d$density, d2$density)
})

test_that("attack: box-plot whiskers, outliers and notches give single values and group sizes", {
  needs_reference("ggplot2")
  default_rule()
  vals <- list(a = c(0.02, seq(0.3, 0.9, length.out = 36), 1),
               b = c(seq(0.1, 0.7, length.out = 22), 0.98))
  obj <- tibble::tibble(phase = "antenatal", upc = unlist(vals),
                        grp = rep(names(vals), lengths(vals)))
  class(obj) <- c("mq_continuity", class(obj))
  p <- ggplot2::autoplot(obj, index = "upc", by = grp)
  ld <- ggplot2::layer_data(p, 1)
  # a notch is middle +- 1.58 IQR / sqrt(n): it gives n
  if (all(c("notchupper", "upper", "lower", "middle") %in% names(ld))) {
    n_hat <- (1.58 * (ld$upper - ld$lower) / (ld$notchupper - ld$middle))^2
    expect_false(any(abs(n_hat - lengths(vals)) < 0.5))
  }
  expect_false("relvarwidth" %in% names(ld))
  # whiskers at observed values; outliers as values
  whisk <- lapply(vals, function(v) grDevices::boxplot.stats(v)$stats[c(1, 5)])
  expect_false(any(c(ld$ymin, ld$ymax) %in% unlist(whisk)))
  expect_false(any(c(ld$ymin, ld$ymax) %in% unlist(vals)))
  if ("outliers" %in% names(ld)) expect_length(unlist(ld$outliers), 0L)
  # the plot data is a disclosed table: no group size under the threshold
  # or off the rounding base
  expect_s3_class(p$data, "mq_sdc")
  expect_true(all(p$data$n %% 5 == 0 & p$data$n >= 10, na.rm = TRUE))
})

trend_attack_data <- function() {
  starts <- seq(as.Date("2020-01-01"), by = "3 months", length.out = 10)
  ev <- c(60, 62, 58, 4, 61, 40, 42, 38, 41, 39)
  do.call(rbind, lapply(seq_along(starts), function(i) data.frame(
    booking_date = starts[i] + 10,
    v = c(rep(TRUE, ev[i]), rep(FALSE, 200 - ev[i]), rep(NA, 12)))))
}

test_that("attack: its()$fitted and its plot give the exact rate of a suppressed quarter", {
  default_rule()
  d <- trend_attack_data()
  fit <- suppressWarnings(its(d, v, breaks = as.Date("2021-04-15")))
  q4 <- as.Date("2020-10-01")
  expect_true(is.na(fit$shown$rate[fit$shown$period == q4]))
  shown_rate <- fit$fitted$rate[fit$fitted$period == q4]
  expect_false(isTRUE(any(abs(shown_rate * 200 / 100 - 4) < 1e-8)))
  # inverting the regression: least-squares residuals sum to zero, so the
  # fitted values less the other quarters' released rates give the rate of
  # a quarter that was in the model
  others <- fit$shown$rate[fit$shown$period != q4]
  y4 <- sum(fit$fitted$fitted) - sum(others, na.rm = TRUE)
  expect_false(isTRUE(abs(y4 * 200 / 100 - 4) < 0.5))
  if (requireNamespace("ggplot2", quietly = TRUE)) {
    p <- ggplot2::autoplot(fit)
    layer_vals <- unlist(lapply(p$layers, function(l) {
      if (is.data.frame(l$data)) unlist(l$data[intersect(c("rate", "fitted", "conf.low", "conf.high"),
                                                         names(l$data))]) else NULL
    }))
    expect_false(any(abs(layer_vals - 2) < 1e-8))
  }
})

test_that("attack: a plot made without disclosure control is not marked", {
  needs_reference("ggplot2")
  marked <- function(p) {
    lab <- p$labels
    any(grepl("DISCLOSURE CONTROL OFF", unlist(lab[c("title", "subtitle", "caption")])))
  }
  d <- attack_effect_data()
  d <- d[stats::complete.cases(d), ]
  off <- estimate_effect(d, a, y, ~ x1 + x2, method = "ipw", disclosure = "none")
  on <- estimate_effect(d, a, y, ~ x1 + x2, method = "ipw", disclosure = "nhse_sde")
  expect_true(marked(ggplot2::autoplot(off)))
  expect_false(marked(ggplot2::autoplot(on)))
  expect_true(marked(ggplot2::autoplot(balance(off))))
  td <- trend_attack_data()
  expect_true(marked(ggplot2::autoplot(care_model_trend(td, v, disclosure = "none"))))
  expect_false(marked(ggplot2::autoplot(care_model_trend(td, v, disclosure = "nhse_sde"))))
  expect_true(marked(ggplot2::autoplot(suppressWarnings(
    its(td, v, breaks = as.Date("2021-04-15"), disclosure = "none")))))
  obj <- tibble::tibble(phase = "antenatal", upc = seq(0, 1, length.out = 50))
  class(obj) <- c("mq_continuity", class(obj))
  expect_true(marked(ggplot2::autoplot(obj, index = "upc", disclosure = "none")))
  expect_true(marked(ggplot2::autoplot(data_quality(msds_example, disclosure = "none"))))
})
