# match_nearest() against MatchIt::matchit(method = "nearest") on lalonde.
#
# The comparisons need MatchIt >= 4.5.4 (min_version in
# reference-packages.csv; tools/install-deps.R test installs it from CRAN when
# Debian's is older). Older versions compared distances through C's integer
# abs() (kosukeimai/MatchIt#163), could give a treated unit the same control
# twice with replacement, and broke ties in the score by another rule.
# Distances on a coarse integer grid create many exact ties, which exercises
# the tie rules; the raw logit score has none.

lalonde_lp <- function() {
  needs_reference("MatchIt")
  data("lalonde", package = "MatchIt", envir = environment())
  m0 <- MatchIt::matchit(treat ~ age + educ + race + married + nodegree + re74 + re75,
                         data = lalonde, method = NULL, distance = "glm",
                         link = "linear.logit")
  list(data = lalonde, lp = unname(m0$distance), treat = lalonde$treat)
}

matchit_on <- function(dat, distance, ...) {
  suppressWarnings(MatchIt::matchit(
    treat ~ age + educ + race + married + nodegree + re74 + re75,
    data = dat, method = "nearest", distance = distance, ...))
}

# Match matrix as row numbers, rows = focal units in data order.
mm_rows <- function(m, dat) {
  mm <- matrix(match(m$match.matrix, rownames(dat)), nrow(m$match.matrix))
  mm
}

# For every unit, the row of the treated unit whose matched set it is in
# (NA when unmatched): compares the partitions whatever the set labels.
set_owner <- function(subclass, treat) {
  subclass <- as.integer(subclass)
  owner <- tapply(seq_along(treat)[treat == 1], subclass[treat == 1], identity)
  unname(owner[as.character(subclass)])
}

# Straightforward implementation of the definition (see matching.hpp),
# written as MatchIt's search is described: all units in ascending order of
# distance (ties in data order); for each focal unit, in the given order, a
# walk one position at a time, alternately left and right (left first), from
# the outermost positions of the unit and its earlier matches; each side
# stops at a control outside the caliper or beaten by `ratio` nearer ones
# already found; the nearest found wins, the first found among equals.
# Without replacement k rounds of one control each; with replacement one
# walk collecting up to k per side, of which the k nearest are kept (MatchIt
# ranks them with std::partial_sort, which may reorder tied candidates, so
# with replacement and k > 1 the reference is compared set by set).
ref_nn <- function(d, treat, k = 1, replace = FALSE, caliper = Inf,
                   order_by = "largest") {
  n <- length(d)
  o <- order(d)
  pos <- integer(n); pos[o] <- seq_len(n)
  tr <- which(treat == 1)
  ord <- switch(order_by, largest = tr[order(d[tr], decreasing = TRUE)],
                smallest = tr[order(d[tr])], data = tr)
  eligible <- treat == 0
  walk <- function(t, lo, hi, ratio, excl) {
    min_dist <- max(0, abs(d[t] - d[o[c(lo, hi)]])[c(lo, hi) != pos[t]])
    cand <- integer(); cd <- numeric(); nl <- nr <- 0
    il <- lo; ir <- hi; lstop <- rstop <- FALSE; left <- FALSE
    while (!lstop || !rstop) {
      left <- if (lstop) FALSE else if (rstop) TRUE else !left
      if (left) {
        if (il <= 1 || nl == ratio) { lstop <- TRUE; next }
        il <- il - 1; z <- o[il]
      } else {
        if (ir >= n || nr == ratio) { rstop <- TRUE; next }
        ir <- ir + 1; z <- o[ir]
      }
      if (!eligible[z] || z %in% excl) next
      dc <- abs(d[t] - d[z])
      if (dc > caliper || (length(cand) >= ratio && sum(cd < dc) >= ratio)) {
        if (left) lstop <- TRUE else rstop <- TRUE
        next
      }
      if (dc < min_dist) next
      cand <- c(cand, z); cd <- c(cd, dc)
      if (left) { nl <- nl + 1; if (nl == ratio) lstop <- TRUE }
      else { nr <- nr + 1; if (nr == ratio) rstop <- TRUE }
    }
    cand[order(cd)][seq_len(min(ratio, length(cand)))]
  }
  mm <- matrix(NA_integer_, length(tr), k)
  if (replace) {
    for (t in ord) {
      got <- walk(t, pos[t], pos[t], k, integer())
      mm[match(t, tr), seq_along(got)] <- got
    }
    return(mm)
  }
  for (r in seq_len(k)) for (t in ord) {
    i <- match(t, tr)
    if (r > 1 && is.na(mm[i, r - 1])) next
    prev <- stats::na.omit(mm[i, ])
    p <- c(pos[t], pos[prev])
    got <- walk(t, min(p), max(p), 1, prev)
    if (!length(got)) next
    mm[i, r] <- got
    eligible[got] <- FALSE
  }
  mm
}

# The matches of each focal unit as a set (sorted), for comparisons where
# only the order within a row may differ.
row_sets <- function(mm) {
  if (ncol(mm) < 2L) return(mm)
  t(apply(mm, 1L, sort, na.last = TRUE))
}

configs <- list(
  list(k = 1, replace = FALSE, caliper = NULL),
  list(k = 2, replace = FALSE, caliper = NULL),
  list(k = 1, replace = TRUE, caliper = NULL),
  list(k = 1, replace = FALSE, caliper = 0.1),
  list(k = 2, replace = FALSE, caliper = 0.2),
  list(k = 1, replace = TRUE, caliper = 0.05),
  list(k = 3, replace = FALSE, caliper = NULL),
  list(k = 2, replace = TRUE, caliper = NULL),
  list(k = 3, replace = TRUE, caliper = 0.1)
)

# ours and MatchIt's matching on distance `d` for one configuration, ATT or
# ATC (MatchIt's estimand = "ATC": the controls are the focal units, matched
# in increasing order of the distance).
compare_matchit <- function(dat, d, treat, cfg, estimand = "ATT", label = "") {
  m <- matchit_on(dat, d, ratio = cfg$k, replace = cfg$replace, caliper = cfg$caliper,
                  estimand = estimand)
  focal <- if (estimand == "ATT") treat else 1L - treat
  ours <- suppressWarnings(
    match_nearest(d, focal, k = cfg$k, replace = cfg$replace, caliper = cfg$caliper,
                  order = if (estimand == "ATT") "largest" else "smallest"))
  expect_identical(ours$match_matrix, mm_rows(m, dat), label = label)
  expect_equal(ours$weights, unname(m$weights), tolerance = 1e-13, label = label)
  if (!cfg$replace) {
    expect_identical(set_owner(ours$subclass, focal), set_owner(m$subclass, focal),
                     label = label)
  } else {
    expect_true(all(is.na(ours$subclass)))
  }
  if (!is.null(cfg$caliper)) {
    expect_equal(ours$caliper, unname(m$caliper), tolerance = 1e-15)
  }
  expect_identical(unname(ours$n_matched),
                   c(sum(m$weights[focal == 1] > 0), sum(m$weights[focal == 0] > 0)))
  invisible(ours)
}

test_that("matched sets, weights and subclasses are MatchIt's (integer grid, ATT and ATC)", {
  L <- lalonde_lp()
  for (scale in c(1e6, 20, 2)) {
    d <- round(L$lp * scale)
    for (cfg in configs) for (est in c("ATT", "ATC")) {
      label <- paste0(est, ", scale ", scale, ", k ", cfg$k, ", replace ", cfg$replace,
                      ", caliper ", format(cfg$caliper))
      ours <- compare_matchit(L$data, d, L$treat, cfg, est, label)
      # the definition written out
      focal <- if (est == "ATT") L$treat else 1L - L$treat
      ref <- ref_nn(d, focal, cfg$k, cfg$replace, (cfg$caliper %||% Inf) * sd(d),
                    if (est == "ATT") "largest" else "smallest")
      if (cfg$replace) {
        # which of more than k tied candidates MatchIt keeps is up to
        # std::partial_sort (compared with MatchIt above)
        if (cfg$k == 1 || scale == 1e6)
          expect_identical(row_sets(ours$match_matrix), row_sets(ref), label = label)
      } else {
        expect_identical(ours$match_matrix, ref, label = label)
      }
    }
  }
})

test_that("ties in the score are broken as MatchIt does (discrete covariates, ATC)", {
  needs_reference("MatchIt")
  # few covariate patterns: many units share a propensity score exactly
  for (seed in 1:4) {
    set.seed(seed)
    n <- 400
    dat <- data.frame(x1 = sample(0:3, n, TRUE), x2 = sample(0:1, n, TRUE))
    dat$treat <- rbinom(n, 1, plogis(-0.3 + 0.4 * dat$x1 - 0.5 * dat$x2))
    lp <- unname(stats::qlogis(stats::fitted(stats::glm(treat ~ x1 + x2, binomial, dat))))
    for (cfg in configs[c(1, 2, 3, 4, 8)]) for (est in c("ATT", "ATC")) {
      m <- suppressWarnings(MatchIt::matchit(treat ~ x1 + x2, data = dat, distance = lp,
                                             method = "nearest", estimand = est,
                                             ratio = cfg$k, replace = cfg$replace,
                                             caliper = cfg$caliper))
      focal <- if (est == "ATT") dat$treat else 1L - dat$treat
      ours <- suppressWarnings(match_nearest(lp, focal, k = cfg$k, replace = cfg$replace,
                                             caliper = cfg$caliper,
                                             order = if (est == "ATT") "largest" else "smallest"))
      label <- paste(seed, est, cfg$k, cfg$replace, format(cfg$caliper))
      expect_identical(ours$match_matrix, mm_rows(m, dat), label = label)
      expect_equal(ours$weights, unname(m$weights), tolerance = 1e-13, label = label)
    }
  }
})

test_that("the definition holds on the raw logit score (reference implementation)", {
  L <- lalonde_lp()
  for (cfg in configs) for (est in c("ATT", "ATC")) {
    cal <- if (is.null(cfg$caliper)) Inf else cfg$caliper * sd(L$lp)
    focal <- if (est == "ATT") L$treat else 1L - L$treat
    ord <- if (est == "ATT") "largest" else "smallest"
    ours <- suppressWarnings(
      match_nearest(L$lp, focal, k = cfg$k, replace = cfg$replace,
                    caliper = cfg$caliper, order = ord))
    ref <- ref_nn(L$lp, focal, cfg$k, cfg$replace, cal, ord)
    if (cfg$replace) {
      expect_identical(row_sets(ours$match_matrix), row_sets(ref))
    } else {
      expect_identical(ours$match_matrix, ref)
    }
  }
})

test_that("with replacement and k = 2, sets are the 2 nearest distinct controls", {
  L <- lalonde_lp()
  d <- round(L$lp * 1e6)
  m <- matchit_on(L$data, d, ratio = 2, replace = TRUE)
  ours <- match_nearest(d, L$treat, k = 2, replace = TRUE)
  expect_identical(ours$match_matrix, mm_rows(m, L$data))
  expect_true(all(ours$match_matrix[, 1] != ours$match_matrix[, 2]))
  # Weights by the formula: each match of a treated unit with 2 controls
  # counts 1/2, then control weights are scaled to sum to their number.
  w <- numeric(length(d)); w[L$treat == 1] <- 1
  for (c in as.vector(ours$match_matrix)) w[c] <- w[c] + 1 / 2
  ctl <- L$treat == 0
  w[ctl] <- w[ctl] / mean(w[ctl][w[ctl] > 0])
  expect_equal(ours$weights, w, tolerance = 1e-14)
  expect_equal(ours$weights, unname(m$weights), tolerance = 1e-13)
})

test_that("MatchIt's own distance gives MatchIt's matches", {
  L <- lalonde_lp()
  for (cfg in configs) for (est in c("ATT", "ATC")) {
    m <- suppressWarnings(MatchIt::matchit(
      treat ~ age + educ + race + married + nodegree + re74 + re75,
      data = L$data, method = "nearest", distance = "glm",
      link = "linear.logit", ratio = cfg$k, replace = cfg$replace,
      caliper = cfg$caliper, estimand = est))
    focal <- if (est == "ATT") L$treat else 1L - L$treat
    ours <- suppressWarnings(match_nearest(unname(m$distance), focal, k = cfg$k,
                                           replace = cfg$replace, caliper = cfg$caliper,
                                           order = if (est == "ATT") "largest" else "smallest"))
    expect_identical(ours$match_matrix, mm_rows(m, L$data))
    expect_equal(ours$weights, unname(m$weights), tolerance = 1e-13)
  }
})

test_that("pairs list every match with its set and distance", {
  d <- c(10, 2, 6, 5, 9, 3, 7); t <- c(1, 0, 1, 0, 0, 0, 1)
  # By hand (see tests/cpp/test_matching.cpp): treated 1 -> 5 then 2,
  # treated 3 -> 6, treated 7 -> 4.
  m <- match_nearest(d, t, k = 2)
  expect_identical(m$pairs$treated, c(1L, 1L, 3L, 7L))
  expect_identical(m$pairs$control, c(5L, 2L, 6L, 4L))
  expect_identical(m$pairs$subclass, c(1L, 1L, 2L, 3L))
  expect_identical(m$pairs$match, c(1L, 2L, 1L, 1L))
  expect_equal(m$pairs$distance, c(1, 8, 3, 2))
  expect_identical(m$subclass, c(1L, 1L, 2L, 3L, 1L, 2L, 3L))
  expect_identical(m$n_matched, c(treated = 3L, control = 4L))
})

test_that("smallest-first and data order follow MatchIt's m.order", {
  needs_reference("MatchIt")
  d <- c(10, 2, 6, 5, 9, 3, 7); t <- c(1, 0, 1, 0, 0, 0, 1)
  df <- data.frame(t = t, x = seq_along(t))
  for (o in c("smallest", "data", "largest")) {
    m <- MatchIt::matchit(t ~ x, data = df, distance = d, method = "nearest",
                          m.order = o)
    ours <- match_nearest(d, t, order = o)
    expect_identical(ours$match_matrix, mm_rows(m, df))
  }
})

test_that("one and two threads give identical results", {
  set.seed(3)
  n <- 5000
  d <- round(rnorm(n), 2)
  t <- rbinom(n, 1, 0.3)
  for (rep in c(FALSE, TRUE)) {
    a <- suppressWarnings(match_nearest(d, t, k = 3, replace = rep,
                                        caliper = 0.1, nthreads = 1))
    b <- suppressWarnings(match_nearest(d, t, k = 3, replace = rep,
                                        caliper = 0.1, nthreads = 2))
    expect_identical(a, b)
  }
})

test_that("unmatched treated units are counted in a warning", {
  d <- c(10, 2, 6, 5, 9, 3, 7); t <- c(1, 0, 1, 0, 0, 0, 1)
  expect_warning(m <- match_nearest(d, t, caliper = 0.5, disclosure = "none"),
                 "1 treated unit was left unmatched, out of 3")
  expect_identical(m$n_matched[["treated"]], 2L)
  expect_warning(match_nearest(c(1, 2, 3), c(1, 1, 0)), "too few controls")
  # under the default rule the counts are released ones
  expect_warning(match_nearest(d, t, caliper = 0.5, disclosure = "nhse_sde"),
                 "<10 treated units were left unmatched, out of <10")
})

test_that("bad input is refused with clear errors", {
  expect_error(match_nearest(c(1, NA), c(1, 0)), "finite")
  expect_error(match_nearest(c(1, 2), c(1, 2)), "0/1")
  expect_error(match_nearest(c(1, 2), c(1, 1)), "both treated and control")
  expect_error(match_nearest(c(1, 2), c(1, 0), k = 0), "positive whole")
  expect_error(match_nearest(c(1, 2), c(1, 0), caliper = 0), "positive")
  expect_error(match_nearest(c(1, 2), c(1, 0), order = "random"), "order")
  expect_error(match_nearest(c(1, 2, 3), c(1, 0)), "has 2 values")
})

test_that("match_units() matches on the logit of a score column", {
  set.seed(1)
  dat <- data.frame(a = rbinom(300, 1, 0.3), ps = runif(300, 0.05, 0.9))
  expect_warning(out <- match_units(dat, a, "ps", k = 2, caliper = 0.3, disclosure = "none"),
                 "1 treated unit was left unmatched")
  ref <- suppressWarnings(match_nearest(qlogis(dat$ps), dat$a, k = 2, caliper = 0.3))
  expect_s3_class(out, "tbl_df")
  expect_identical(out$.match_weight, ref$weights)
  expect_identical(out$.subclass, ref$subclass)
  expect_identical(attr(out, "pairs"), ref$pairs)
  out2 <- suppressWarnings(match_units(transform(dat, lp = qlogis(ps)), a, lp,
                                       scale = "logit", k = 2, caliper = 0.3))
  expect_identical(out2$.match_weight, ref$weights)
  expect_error(match_units(transform(dat, ps = ps * 2), a, ps), "between 0 and 1")
  expect_error(match_units(dat, a, nope), "not in the data")
})
