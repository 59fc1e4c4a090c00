# Shared data for the causal-estimation tests: MatchIt's lalonde with a
# binary outcome (any 1978 earnings), earnings in thousands (so that the
# numerical Jacobians of reference packages are accurate) and 40 synthetic
# clusters.
lalonde_data <- function() {
  needs_reference("MatchIt", version = FALSE)  # only its data
  d <- get(utils::data("lalonde", package = "MatchIt", envir = environment()))
  d$y <- as.numeric(d$re78 > 0)
  d$re74 <- d$re74 / 1000
  d$re75 <- d$re75 / 1000
  d$re78k <- d$re78 / 1000
  d$cl <- rep(seq_len(40), length.out = nrow(d))
  d
}
lalonde_covs <- c("age", "educ", "married", "nodegree", "re74", "re75")
lalonde_ps_formula <- treat ~ age + educ + married + nodegree + re74 + re75

# Relative difference, elementwise.
rel_diff <- function(x, y) max(abs(x - y) / pmax(abs(y), .Machine$double.xmin))

# Simulated data with a known structure.
sim_effect_data <- function(n = 3000, seed = 1) {
  set.seed(seed)
  d <- data.frame(x1 = stats::rnorm(n), x2 = stats::rbinom(n, 1, 0.4),
                  g = factor(sample(c("a", "b", "c"), n, TRUE)))
  d$a <- stats::rbinom(n, 1, stats::plogis(-0.3 + 0.6 * d$x1 - 0.4 * d$x2))
  d$y <- stats::rbinom(n, 1, stats::plogis(-1 + 0.5 * d$a + 0.4 * d$x1 + 0.3 * d$x2))
  d$bw <- 3300 + 120 * d$a + 150 * d$x1 - 80 * d$x2 + stats::rnorm(n, 0, 400)
  d$site <- sample(seq_len(30), n, TRUE)
  d
}

# MASS::birthwt (smoke, low, bwt) with a race factor.
birthwt_data <- function() {
  skip_if_not_installed("MASS")  # data only (a recommended package)
  d <- get(utils::data("birthwt", package = "MASS", envir = environment()))
  d$race_f <- factor(d$race, labels = c("white", "black", "other"))
  # decades and tens of pounds: PSweight's numerical Jacobian is accurate on
  # this scale
  d$age10 <- d$age / 10
  d$lwt10 <- d$lwt / 10
  d
}
