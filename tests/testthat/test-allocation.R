# allocation_equity(): crude shares by hand, the adjusted disparity against
# glm() g-computation with the stacked estimating-equation sandwich
# (numDeriv's Jacobian), the trend per period and its time series against
# lm() + sandwich::NeweyWest(), and the disclosure rule.

alloc_cohort <- function(n = 3000, seed = 11) {
  set.seed(seed)
  grp <- sample(c("Neither", "Core20", "PLUS"), n, TRUE, prob = c(0.4, 0.35, 0.25))
  d <- data.frame(
    group = grp,
    age_band = sample(c("<25", "25-34", "35+"), n, TRUE),
    nulliparous = runif(n) < ifelse(grp == "Core20", 0.5, 0.4),
    provider = sample(paste0("U", 1:5), n, TRUE, prob = c(0.3, 0.25, 0.2, 0.15, 0.1)),
    booking_date = as.Date("2019-01-01") + sample(0:(6 * 365), n, TRUE),
    stringsAsFactors = FALSE
  )
  lp <- -1 + 0.5 * (d$group == "Core20") + 0.2 * (d$group == "PLUS") +
    0.3 * (d$age_band == "35+") - 0.2 * d$nulliparous +
    c(U1 = 0, U2 = 0.4, U3 = -0.5, U4 = 0.8, U5 = -0.2)[d$provider] -
    0.5 * (d$booking_date >= as.Date("2022-09-21"))
  d$coc_placed <- runif(n) < plogis(lp)
  d
}

# g-computation written out: glm(), predictions with everyone's group set to
# g averaged over the standard population (rows `std`), and the sandwich of
# the stacked estimating equations (score of the model; w_i (p_gi - mu_g)),
# its bread from numDeriv's Jacobian.
gcomp_reference <- function(d, f, std, groups, reference) {
  d$group <- relevel(factor(d$group), ref = reference)
  fit <- glm(f, family = binomial, data = d)
  X <- model.matrix(fit)
  y <- d$coc_placed
  Xg <- lapply(groups, function(g) {
    nd <- d
    nd$group <- factor(g, levels = levels(d$group))
    model.matrix(delete.response(terms(fit)), nd)
  })
  w <- as.numeric(std)
  k <- ncol(X)
  psi <- function(theta) {
    b <- theta[seq_len(k)]
    mu <- theta[-seq_len(k)]
    cbind(X * (y - plogis(drop(X %*% b))),
          vapply(seq_along(groups), function(j) w * (plogis(drop(Xg[[j]] %*% b)) - mu[j]),
                 numeric(nrow(d))))
  }
  mu <- vapply(Xg, function(Z) sum(w * plogis(drop(Z %*% coef(fit)))) / sum(w), 1)
  theta <- c(coef(fit), mu)
  A <- numDeriv::jacobian(function(t) colMeans(psi(t)), theta)
  P <- psi(theta)
  Ai <- solve(A)
  V <- Ai %*% (crossprod(P) / nrow(d)) %*% t(Ai) / nrow(d)
  V <- V[-seq_len(k), -seq_len(k), drop = FALSE]
  names(mu) <- groups
  dimnames(V) <- list(groups, groups)
  list(mu = mu, V = V)
}

contrast <- function(ref, g, r) {
  rd <- ref$mu[[g]] - ref$mu[[r]]
  se <- sqrt(ref$V[g, g] + ref$V[r, r] - 2 * ref$V[g, r])
  lse <- sqrt(ref$V[g, g] / ref$mu[[g]]^2 + ref$V[r, r] / ref$mu[[r]]^2 -
                2 * ref$V[g, r] / (ref$mu[[g]] * ref$mu[[r]]))
  list(rd = rd, se = se, rr = ref$mu[[g]] / ref$mu[[r]], lse = lse)
}

test_that("crude shares and intervals come from the released counts, by hand", {
  # Neither 50 of 200, Core20 60 of 150, PLUS 7 of 100
  d <- data.frame(group = rep(c("Neither", "Core20", "PLUS"), c(200, 150, 100)),
                  provider = "U1")
  d$coc_placed <- c(rep(c(TRUE, FALSE), c(50, 150)), rep(c(TRUE, FALSE), c(60, 90)),
                    rep(c(TRUE, FALSE), c(7, 93)))
  ae <- allocation_equity(d, coc_placed, group, unit = NULL, disclosure = "none")
  s <- ae$shares
  expect_identical(s$group, c("Core20", "Neither", "PLUS"))
  expect_identical(s$allocated, c(60, 50, 7))
  expect_identical(s$n, c(150, 200, 100))
  expect_equal(s$share, c(40, 25, 7), tolerance = 1e-12)
  ci <- prop.test(60, 150, correct = FALSE)$conf.int
  expect_equal(c(s$conf.low[1], s$conf.high[1]), 100 * as.numeric(ci), tolerance = 1e-10)
  # no need, no unit: the adjusted disparity is the crude one, 40 - 25
  rd <- ae$adjusted[ae$adjusted$group == "Core20" & ae$adjusted$measure == "rate_difference", ]
  expect_equal(rd$estimate, 15, tolerance = 1e-12)
  expect_equal(rd$std.error, 100 * sqrt(0.4 * 0.6 / 150 + 0.25 * 0.75 / 200), tolerance = 1e-12)

  # NHS England SDE rule: PLUS's 7 is suppressed, and with it the next
  # smallest cell of the margin (Neither's 50), so Core20's 60 cannot be
  # had from a total; Core20's share is 60 / 150 from the released counts.
  ae <- allocation_equity(d, coc_placed, group, unit = NULL, disclosure = "nhse_sde")
  s <- ae$shares
  expect_identical(s$allocated, c(60, NA, NA))
  expect_identical(s$allocated_sdc, c("rounded to 5", "secondary suppression", "suppressed (<10)"))
  expect_equal(s$share, c(40, NA, NA), tolerance = 1e-12)
  # comparisons with a suppressed reference are suppressed with it
  expect_true(all(is.na(ae$adjusted$estimate)))
  # the shares pass; disparity()'s tables, whose rows repeat the reference
  # group's counts, leave their suppressed cells for review
  chk <- disclosure_check(shares = s, crude = ae$crude, adjusted = ae$adjusted,
                          disclosure = "nhse_sde")
  expect_identical(chk$status, c("pass", "review", "review"))
})

test_that("the need- and unit-adjusted disparity agrees with glm() g-computation and its sandwich", {
  needs_reference("numDeriv")
  d <- alloc_cohort()
  f <- coc_placed ~ group + age_band + nulliparous + factor(provider)
  groups <- c("Core20", "PLUS", "Neither")
  for (standard in c("reference", "cohort")) {
    ae <- allocation_equity(d, coc_placed, group, need = ~ age_band + nulliparous,
                            unit = provider, standard = standard, disclosure = "none")
    std <- if (standard == "reference") d$group == "Neither" else rep(TRUE, nrow(d))
    ref <- gcomp_reference(d, f, std, groups, "Neither")
    for (g in c("Core20", "PLUS")) {
      k <- contrast(ref, g, "Neither")
      got <- ae$adjusted[ae$adjusted$group == g, ]
      rd <- got[got$measure == "rate_difference", ]
      rr <- got[got$measure == "rate_ratio", ]
      expect_equal(rd$rate, 100 * ref$mu[[g]], tolerance = 1e-8)
      expect_equal(rd$ref_rate, 100 * ref$mu[["Neither"]], tolerance = 1e-8)
      expect_equal(rd$estimate, 100 * k$rd, tolerance = 1e-8)
      expect_equal(rd$std.error, 100 * k$se, tolerance = 1e-6)
      expect_equal(rr$estimate, k$rr, tolerance = 1e-8)
      expect_equal(rr$std.error, k$lse, tolerance = 1e-6)
      expect_equal(rd$conf.low, 100 * (k$rd - qnorm(0.975) * k$se), tolerance = 1e-6)
      expect_equal(rr$conf.high, exp(log(k$rr) + qnorm(0.975) * k$lse), tolerance = 1e-6)
    }
    expect_match(rd$adjustment, "age_band + nulliparous + factor(provider)", fixed = TRUE)
  }
  # standardised to the reference group, its adjusted rate is its crude rate
  ae <- allocation_equity(d, coc_placed, group, need = ~ age_band + nulliparous,
                          unit = provider, disclosure = "none")
  expect_equal(ae$adjusted$ref_rate[1], 100 * mean(d$coc_placed[d$group == "Neither"]),
               tolerance = 1e-8)
})

test_that("disparity(standard = 'reference') standardises directly to the reference group's strata", {
  d <- alloc_cohort(2000, seed = 3)
  d$coc_placed_eligible <- TRUE
  got <- disparity(d, coc_placed, group, reference = "Neither", adjust = c(age_band, provider),
                   method = "standardise", standard = "reference", per = 100,
                   disclosure = "none")
  s <- paste(d$age_band, d$provider)
  w <- prop.table(table(s[d$group == "Neither"]))
  adj <- function(g) {
    x <- d[d$group == g, ]
    sx <- paste(x$age_band, x$provider)
    p <- tapply(x$coc_placed, sx, mean)[names(w)]
    n <- table(sx)[names(w)]
    c(rate = sum(w * p), var = sum(w^2 * p * (1 - p) / n))
  }
  a1 <- adj("Core20"); a0 <- adj("Neither")
  rd <- got[got$group == "Core20" & got$measure == "rate_difference", ]
  expect_equal(rd$rate, 100 * a1[["rate"]], tolerance = 1e-12)
  expect_equal(rd$ref_rate, 100 * mean(d$coc_placed[d$group == "Neither"]), tolerance = 1e-12)
  expect_equal(rd$estimate, 100 * (a1[["rate"]] - a0[["rate"]]), tolerance = 1e-12)
  expect_equal(rd$std.error, 100 * sqrt(a1[["var"]] + a0[["var"]]), tolerance = 1e-12)
  expect_match(rd$adjustment, "to the reference group")
  # a stratum the reference group lacks has weight 0: no other group needs it
  d2 <- d[!(d$group == "Neither" & d$provider == "U5"), ]
  d2 <- d2[!(d2$group == "PLUS" & d2$provider == "U5"), ]
  got2 <- disparity(d2, coc_placed, group, reference = "Neither", adjust = c(age_band, provider),
                    method = "standardise", standard = "reference", per = 100,
                    disclosure = "none")
  expect_false(anyNA(got2$estimate))
  # method = "standardise" through allocation_equity(): need crossed with unit
  ae <- allocation_equity(d, coc_placed, group, need = ~ age_band, unit = provider,
                          method = "standardise", disclosure = "none")
  rd2 <- ae$adjusted[ae$adjusted$group == "Core20" & ae$adjusted$measure == "rate_difference", ]
  expect_equal(rd2$estimate, 100 * (a1[["rate"]] - a0[["rate"]]), tolerance = 1e-12)
})

test_that("the trend refits the adjusted disparity per period, and its time series agrees with lm() and NeweyWest()", {
  needs_reference("numDeriv")
  needs_reference("sandwich")
  d <- alloc_cohort(6000, seed = 5)
  ae <- allocation_equity(d, coc_placed, group, need = ~ age_band + nulliparous,
                          unit = provider, period = booking_date, interval = "year",
                          disclosure = "none")
  tr <- ae$trend
  expect_identical(sort(unique(tr$period_label)), as.character(2019:2024))
  f <- coc_placed ~ group + age_band + nulliparous + factor(provider)
  yr <- format(d$booking_date, "%Y")
  for (y in c("2019", "2023")) {
    dy <- d[yr == y, ]
    ref <- gcomp_reference(dy, f, dy$group == "Neither", c("Core20", "PLUS", "Neither"), "Neither")
    k <- contrast(ref, "Core20", "Neither")
    row <- tr[tr$period_label == y & tr$group == "Core20", ]
    expect_equal(row$allocated, sum(dy$coc_placed[dy$group == "Core20"]))
    expect_equal(row$n, sum(dy$group == "Core20"))
    expect_equal(row$rate, 100 * ref$mu[["Core20"]], tolerance = 1e-8)
    expect_equal(row$difference, 100 * k$rd, tolerance = 1e-8)
    expect_equal(row$difference_se, 100 * k$se, tolerance = 1e-6)
    expect_equal(row$ratio, k$rr, tolerance = 1e-8)
    expect_equal(row$ratio_low, exp(log(k$rr) - qnorm(0.975) * k$lse), tolerance = 1e-6)
  }
  # reference rows carry their adjusted rate and no comparison
  expect_true(all(is.na(tr$difference[tr$group == "Neither"])))
  # the interrupted time series of Core20's difference: lm() on the yearly
  # differences with a level and slope change from 2023 (the first period
  # starting after 21 September 2022), Newey-West errors
  s <- tr[tr$group == "Core20", ]
  s <- s[order(s$period), ]
  t <- seq_len(nrow(s))
  post <- as.numeric(s$period >= as.Date("2023-01-01"))
  fit <- lm(s$difference ~ t + post + I((t - 5) * post))
  lag <- floor(4 * (nrow(s) / 100)^(2 / 9))
  V <- sandwich::NeweyWest(fit, lag = lag, prewhite = FALSE, adjust = TRUE)
  co <- ae$its$coefficients[ae$its$coefficients$group == "Core20", ]
  expect_identical(co$term, c("(Intercept)", "time", "level_2022-09-21", "slope_2022-09-21"))
  expect_equal(co$estimate, unname(coef(fit)), tolerance = 1e-10)
  expect_equal(co$std.error, unname(sqrt(diag(V))), tolerance = 1e-8)
})

test_that("under a disclosure rule every output passes disclosure_check()", {
  skip_if_not_installed("ggplot2")
  d <- alloc_cohort(6000, seed = 5)
  # a quarter in which the reference group has few women allocated: its row
  # is suppressed, and every comparison of that quarter with it
  q <- format(d$booking_date, "%Y-%m") %in% c("2020-04", "2020-05", "2020-06")
  few <- which(d$group == "Neither" & q & d$coc_placed)
  d$coc_placed[few[-(1:6)]] <- FALSE
  ae <- allocation_equity(d, coc_placed, group, need = ~ age_band + nulliparous,
                          unit = provider, period = booking_date, interval = "quarter",
                          disclosure = "nhse_sde")
  tr <- ae$trend
  r20 <- tr$period_label == "2020 Q2"
  expect_true(is.na(tr$allocated[r20 & tr$group == "Neither"]))
  expect_true(all(is.na(tr$difference[r20])))
  expect_true(all(is.na(tr$ratio_low[r20])))
  # estimates released to 3 significant figures, counts rounded to 5
  ok <- !is.na(tr$difference)
  expect_true(any(ok))
  expect_equal(tr$difference[ok], signif(tr$difference[ok], 3))
  expect_true(all(tr$n %% 5 == 0, na.rm = TRUE))
  adj <- ae$adjusted
  expect_equal(adj$std.error, signif(adj$std.error, 3))
  # the time series sees only the released differences (2020 Q2 left out)
  expect_s3_class(ae$its, "mq_its")
  expect_false(any(ae$its$fitted$period == as.Date("2020-04-01")))
  expect_setequal(ae$its$fitted$period[ae$its$fitted$group == "PLUS"],
                  tr$period[tr$group == "PLUS" & !is.na(tr$difference)])
  p <- ggplot2::autoplot(ae)
  p2 <- ggplot2::autoplot(ae, type = "shares")
  chk <- disclosure_check(shares = ae$shares, crude = ae$crude, adjusted = ae$adjusted,
                          trend = tr, plot = p, shares_plot = p2, disclosure = "nhse_sde")
  expect_identical(chk$status, rep("pass", 6))
  # the plot shows the non-reference groups, breaks marked
  expect_identical(levels(factor(ggplot2::ggplot_build(p)$plot$scales$get_scales("colour")$get_breaks())),
                   c("Core20", "PLUS"))
  expect_s3_class(tidy(ae), "mq_disparity")
  expect_message(expect_output(print(ae), "rate_difference"), "Adjusted disparity in allocation")
})

test_that("allocation_equity() errors clearly on bad input", {
  d <- alloc_cohort(500)
  expect_error(allocation_equity(d, coc_placed, group, reference = "Other", disclosure = "none"),
               "must be one value of")
  d2 <- d; d2$coc_placed <- ifelse(d2$coc_placed, "yes", "no")
  expect_error(allocation_equity(d2, coc_placed, group, disclosure = "none"),
               "must be logical")
  expect_error(allocation_equity(d, coc_placed, group, need = ~ group + age_band,
                                 disclosure = "none"),
               "must not include the allocation, group or unit column")
  expect_error(allocation_equity(d, coc_placed, group, need = ~ provider,
                                 disclosure = "none"),
               "must not include")
  d3 <- d; d3$age_band[1:3] <- NA
  expect_error(allocation_equity(d3, coc_placed, group, need = ~ age_band, disclosure = "none"),
               "age_band.*need.*3 missing values")
  d4 <- d; d4$provider[2] <- NA
  expect_error(allocation_equity(d4, coc_placed, group, disclosure = "none"),
               "provider.*unit.*1 missing value")
  d5 <- d; d5$booking_date <- as.character(d5$booking_date)
  expect_error(allocation_equity(d5, coc_placed, group, period = booking_date,
                                 disclosure = "none"),
               "must be a <Date>")
  expect_error(allocation_equity(d, coc_placed, group, breaks = "2022-09-21",
                                 disclosure = "none"),
               "breaks")
  expect_error(allocation_equity(d, nonexistent, group, disclosure = "none"),
               "nonexistent.*not in the data")
  d6 <- d; d6$coc_placed[1:4] <- NA
  expect_warning(allocation_equity(d6, coc_placed, group, disclosure = "none"),
                 "4 rows with missing")
  d7 <- d; d7$provider <- "U1"
  expect_error(allocation_equity(d7, coc_placed, group, disclosure = "none"),
               "one value only")
  # a period whose reference group has no women: a note and a warning, the
  # other periods estimated
  d8 <- d[!(d$group == "Neither" & format(d$booking_date, "%Y") == "2021"), ]
  expect_warning(ae8 <- allocation_equity(d8, coc_placed, group, period = booking_date,
                                          disclosure = "none"),
                 "could not be estimated in 1 period: 2021")
  expect_identical(unique(ae8$trend$note[ae8$trend$period_label == "2021"]),
                   "no women in the reference group")
  expect_false(anyNA(ae8$trend$difference[ae8$trend$period_label == "2022" &
                                            ae8$trend$group != "Neither"]))
  ae <- allocation_equity(d, coc_placed, group, disclosure = "none")
  skip_if_not_installed("ggplot2")
  expect_error(ggplot2::autoplot(ae), "without .*period")
})
