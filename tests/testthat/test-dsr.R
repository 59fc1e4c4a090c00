# Expected values by the Dobson et al. (1991) method as phe_dsr() documents it,
# written out by hand below.
test_that("dsr() reproduces the Dobson formula with a given standard", {
  d <- data.frame(area = rep(c("A", "B"), each = 3),
                  age = rep(c("<25", "25-34", "35+"), 2),
                  x = c(12, 30, 25, 20, 22, 15),
                  n = c(3000, 8000, 4000, 5000, 6000, 2000))
  w <- c("<25" = 0.3, "25-34" = 0.5, "35+" = 0.2)
  got <- dsr(d, standard = age, by = area, events = x, n = n, std_pop = w,
             per = 1000, disclosure = "none")
  s <- d[d$area == "B", ]
  val <- sum(w * s$x / s$n) / sum(w)
  v <- sum(s$x * (w / s$n)^2) / sum(w)^2
  O <- sum(s$x); z <- qnorm(0.975)
  bl <- O * (1 - 1 / (9 * O) - z / (3 * sqrt(O)))^3
  bu <- (O + 1) * (1 - 1 / (9 * (O + 1)) + z / (3 * sqrt(O + 1)))^3
  row <- got[got$area == "B", ]
  expect_equal(row$rate, 1000 * val, tolerance = 1e-13)
  expect_equal(row$conf.low, 1000 * (val + sqrt(v / O) * (bl - O)), tolerance = 1e-13)
  expect_equal(row$conf.high, 1000 * (val + sqrt(v / O) * (bu - O)), tolerance = 1e-13)
  expect_equal(row$events, O)
  expect_equal(row$method, "dobson")
})

test_that("dsr() on a cohort standardises to the whole cohort by default", {
  set.seed(4)
  n <- 4000
  d <- data.frame(g = sample(c("x", "y"), n, TRUE),
                  age_band = sample(c("a", "b", "c"), n, TRUE, prob = c(.2, .5, .3)))
  d$sga <- runif(n) < ifelse(d$age_band == "c", 0.15, 0.08)
  d$sga_eligible <- TRUE
  got <- dsr(d, sga, by = g, per = 100, disclosure = "none")
  w <- table(d$age_band)
  s <- d[d$g == "x", ]
  r <- tapply(s$sga, s$age_band, mean)[names(w)]
  expect_equal(got$rate[got$g == "x"], 100 * sum(w * r) / sum(w), tolerance = 1e-13)
  # standardising to the cohort itself returns the crude rate overall
  all <- dsr(d, sga, per = 100, disclosure = "none")
  expect_equal(all$rate, 100 * mean(d$sga), tolerance = 1e-13)
})

test_that("dsr() withholds unreliable rates and rejects bad input", {
  d <- data.frame(age = c("a", "b"), x = c(3, 4), n = c(100, 100))
  got <- dsr(d, standard = age, events = x, n = n, per = 100, disclosure = "none")
  expect_true(is.na(got$rate))
  expect_match(got$note, "fewer than 10")
  expect_error(dsr(d, standard = age, events = x, n = n, std_pop = c(a = 1),
                   disclosure = "none"), "no weight")
  d2 <- data.frame(area = c("A", "A", "B"), age = c("a", "b", "a"),
                   x = c(30, 40, 50), n = c(100, 100, 100))
  got2 <- dsr(d2, standard = age, by = area, events = x, n = n, per = 100,
              disclosure = "none")
  expect_match(got2$note[got2$area == "B"], "cannot standardise")
  d$x[1] <- -1
  expect_error(dsr(d, standard = age, events = x, n = n, disclosure = "none"), "zero or more")
})
