# mnar_adjust(): delta adjustment of imputed categories (van Buuren 2018,
# Section 3.9.1; Leacy et al. 2017), pi'_k = pi_k exp(delta_k) / sum_j pi_j exp(delta_j).

mnar_list <- function(n = 20000, seed = 31) {
  set.seed(seed)
  lev <- c("White", "Asian", "Black")
  eth <- factor(sample(lev, n, TRUE, c(0.6, 0.25, 0.15)), levels = lev)
  where <- runif(n) < 0.3
  # two imputations that agree on every row: pi_i is then (2 e_i + p) / 3
  imp <- eth
  imp[where] <- factor(sample(lev, sum(where), TRUE, c(0.5, 0.3, 0.2)), levels = lev)
  d <- data.frame(eth = imp, y = rbinom(n, 1, 0.1), y_eligible = TRUE)
  list(data = list(d, d), where = where, lev = lev)
}

test_that("a delta shift re-draws from the tilted distribution", {
  x <- mnar_list()
  delta <- c(Black = log(2))
  adj <- mnar_adjust(x$data, eth, delta = delta, where = x$where, seed = 1)
  expect_length(adj, 2L)
  # observed values are unchanged
  expect_identical(adj[[1]]$eth[!x$where], x$data[[1]]$eth[!x$where])
  # rows imputed Black in both imputations: pi = (2 + p) / 3 with p the mix
  mis <- x$where
  p <- prop.table(table(x$data[[1]]$eth[mis]))
  black <- mis & x$data[[1]]$eth == "Black"
  pi0 <- (2 * (names(p) == "Black") + as.numeric(p)) / 3
  pit <- pi0 * exp(c(0, 0, log(2)))
  pit <- pit / sum(pit)
  share <- mean(c(adj[[1]]$eth[black], adj[[2]]$eth[black]) == "Black")
  se <- sqrt(pit[3] * (1 - pit[3]) / (2 * sum(black)))
  expect_lt(abs(share - pit[3]), 4 * se)
  expect_equal(unname(attr(adj, "mnar")$delta), c(0, 0, log(2)))
  # the same seed, the same draws
  expect_identical(mnar_adjust(x$data, "eth", delta = delta, where = x$where, seed = 1)[[2]]$eth,
                   adj[[2]]$eth)
  # a very large shift makes every imputed row Black
  all_b <- mnar_adjust(x$data, eth, delta = c(Black = 50), where = x$where, seed = 2)
  expect_true(all(all_b[[1]]$eth[mis] == "Black"))
  # and the adjusted list is imputed data for the analysis functions
  r <- outcome_rates(adj, y, by = eth, per = 100, disclosure = "none")
  expect_identical(as.character(r$eth), x$lev)
})

test_that("calibration to a target mix meets it in expectation", {
  x <- mnar_list(seed = 32)
  target <- c(White = 0.55, Asian = 0.27, Black = 0.18)
  adj <- mnar_adjust(x$data, eth, target = target, where = x$where, seed = 3)
  expect_equal(attr(adj, "mnar")$expected, target, tolerance = 1e-9)
  got <- prop.table(table(adj[[1]]$eth))
  expect_lt(max(abs(as.numeric(got) - target)), 0.01)
  expect_error(mnar_adjust(x$data, eth, target = c(White = 0.1, Asian = 0.45, Black = 0.45),
                           where = x$where), "cannot be reached")
})

test_that("mnar_adjust() reads a mids object and checks its input", {
  needs_reference("mice")
  set.seed(4)
  d <- data.frame(eth = factor(sample(c("A", "B", "C"), 400, TRUE)), y = rbinom(400, 1, 0.2))
  d$eth[runif(400) < 0.2] <- NA
  imp <- mice::mice(d, m = 3, printFlag = FALSE, seed = 4)
  adj <- mnar_adjust(imp, eth, delta = c(C = 1), seed = 5)
  expect_identical(attr(adj, "mnar")$n_imputed, sum(is.na(d$eth)))
  expect_identical(adj[[3]]$eth[!is.na(d$eth)], d$eth[!is.na(d$eth)])
  expect_error(mnar_adjust(imp, eth, delta = c(Z = 1)), "does not have")
  expect_error(mnar_adjust(imp, eth), "one of")
  expect_error(mnar_adjust(d, eth, delta = c(C = 1)), "mids")
  expect_error(mnar_adjust(list(d, d), eth, delta = c(C = 1)), "where")
})
