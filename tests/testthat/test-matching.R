# match_nearest() against MatchIt::matchit(method = "nearest") on lalonde.
#
# MatchIt 4.5.1 (the Debian version) compares distances through C's integer
# abs(), which truncates |d_t - d_c| to a whole number (kosukeimai/MatchIt#163,
# "Caliper not working as intended on versions 4.5.1 - 4.5.3"), and with
# replace = TRUE and ratio > 1 can give a treated unit the same control twice
# (fixed after 4.5.2, per MatchIt's NEWS). matequity implements the intended
# rule. To compare the matching itself on any MatchIt version, both packages
# get MatchIt's own logit distance put on an integer grid: differences are
# then whole numbers, which the truncation leaves unchanged. A coarse grid
# also creates many tied distances, which exercises the tie rules.

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

# Match matrix as row numbers, rows = treated units in data order.
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

# Straightforward quadratic implementation of the definition (see
# matching.hpp): rounds over treated units in decreasing distance, nearest
# eligible control on each side, caliper, lower side wins ties.
# quirk451 = TRUE models MatchIt 4.5.1-4.5.3's slip in rounds 2..k: the
# controls already matched to a treated unit are compared (0-based) with
# their 1-based row numbers, so the unit in the NEXT row is skipped instead
# (and, with replacement, the same control can come back).
ref_nn <- function(d, treat, k = 1, replace = FALSE, caliper = Inf,
                   quirk451 = FALSE) {
  rk <- integer(length(d)); rk[order(d)] <- seq_along(d)
  tr <- which(treat == 1)
  ord <- tr[order(d[tr], decreasing = TRUE)]
  avail <- which(treat == 0)
  mm <- matrix(NA_integer_, length(tr), k)
  for (r in seq_len(k)) for (t in ord) {
    i <- match(t, tr)
    cand <- setdiff(avail, if (quirk451) mm[i, ] + 1L else mm[i, ])
    L <- cand[rk[cand] < rk[t]]; R <- cand[rk[cand] > rk[t]]
    l <- if (length(L)) L[which.max(rk[L])] else NA
    rr <- if (length(R)) R[which.min(rk[R])] else NA
    if (!is.na(l) && abs(d[t] - d[l]) > caliper) l <- NA
    if (!is.na(rr) && abs(d[t] - d[rr]) > caliper) rr <- NA
    pick <- if (!is.na(l) && !is.na(rr)) {
      if (abs(d[l] - d[t]) <= abs(d[rr] - d[t])) l else rr
    } else if (!is.na(l)) l else rr
    if (is.na(pick)) next
    mm[i, r] <- pick
    if (!replace) avail <- setdiff(avail, pick)
  }
  mm
}

configs <- list(
  list(k = 1, replace = FALSE, caliper = NULL),
  list(k = 2, replace = FALSE, caliper = NULL),
  list(k = 1, replace = TRUE, caliper = NULL),
  list(k = 1, replace = FALSE, caliper = 0.1),
  list(k = 2, replace = FALSE, caliper = 0.2),
  list(k = 1, replace = TRUE, caliper = 0.05),
  list(k = 3, replace = FALSE, caliper = NULL)
)

test_that("matched sets, weights and subclasses are MatchIt's (integer grid)", {
  L <- lalonde_lp()
  for (scale in c(1e6, 20)) {
    d <- round(L$lp * scale)
    for (cfg in configs) {
      label <- paste0("scale ", scale, ", k ", cfg$k, ", replace ", cfg$replace,
                      ", caliper ", format(cfg$caliper))
      m <- matchit_on(L$data, d, ratio = cfg$k, replace = cfg$replace,
                      caliper = cfg$caliper)
      ours <- suppressWarnings(
        match_nearest(d, L$treat, k = cfg$k, replace = cfg$replace,
                      caliper = cfg$caliper))
      mm <- mm_rows(m, L$data)
      if (cfg$k > 1 && utils::packageVersion("MatchIt") <= "4.5.3" &&
          !identical(ours$match_matrix, mm)) {
        # Round 1 is MatchIt's exactly; later rounds differ from MatchIt
        # 4.5.1 only through its slip, which the reference reproduces.
        expect_identical(ours$match_matrix[, 1], mm[, 1], label = label)
        expect_identical(ref_nn(d, L$treat, cfg$k, cfg$replace,
                                (cfg$caliper %||% Inf) * sd(d), quirk451 = TRUE),
                         mm, label = label)
        expect_identical(ours$match_matrix,
                         ref_nn(d, L$treat, cfg$k, cfg$replace,
                                (cfg$caliper %||% Inf) * sd(d)), label = label)
        next
      }
      expect_identical(ours$match_matrix, mm, label = label)
      expect_equal(ours$weights, unname(m$weights), tolerance = 1e-13,
                   label = label)
      if (!cfg$replace) {
        expect_identical(set_owner(ours$subclass, L$treat),
                         set_owner(m$subclass, L$treat), label = label)
      } else {
        expect_true(all(is.na(ours$subclass)))
      }
      if (!is.null(cfg$caliper)) {
        expect_equal(ours$caliper, unname(m$caliper), tolerance = 1e-15)
      }
      expect_identical(unname(ours$n_matched),
                       c(sum(m$weights[L$treat == 1] > 0),
                         sum(m$weights[L$treat == 0] > 0)))
    }
  }
})

test_that("the definition holds on the raw logit score (quadratic reference)", {
  L <- lalonde_lp()
  for (cfg in c(configs, list(list(k = 2, replace = TRUE, caliper = NULL),
                              list(k = 2, replace = TRUE, caliper = 0.1)))) {
    cal <- if (is.null(cfg$caliper)) Inf else cfg$caliper * sd(L$lp)
    ours <- suppressWarnings(
      match_nearest(L$lp, L$treat, k = cfg$k, replace = cfg$replace,
                    caliper = cfg$caliper))
    expect_identical(ours$match_matrix,
                     ref_nn(L$lp, L$treat, cfg$k, cfg$replace, cal))
  }
})

test_that("with replacement and k = 2, sets are the 2 nearest distinct controls", {
  L <- lalonde_lp()
  d <- round(L$lp * 1e6)
  m <- matchit_on(L$data, d, ratio = 2, replace = TRUE)
  ours <- match_nearest(d, L$treat, k = 2, replace = TRUE)
  mm <- mm_rows(m, L$data)
  # The first match is unaffected by MatchIt 4.5.1's repeat-control bug.
  expect_identical(ours$match_matrix[, 1], mm[, 1])
  expect_true(all(ours$match_matrix[, 1] != ours$match_matrix[, 2]))
  expect_identical(ours$match_matrix, ref_nn(d, L$treat, 2, TRUE))
  # Weights by the formula: each match of a treated unit with 2 controls
  # counts 1/2, then control weights are scaled to sum to their number.
  w <- numeric(length(d)); w[L$treat == 1] <- 1
  for (c in as.vector(ours$match_matrix)) w[c] <- w[c] + 1 / 2
  ctl <- L$treat == 0
  w[ctl] <- w[ctl] / mean(w[ctl][w[ctl] > 0])
  expect_equal(ours$weights, w, tolerance = 1e-14)
  if (utils::packageVersion("MatchIt") > "4.5.3") {
    expect_identical(ours$match_matrix, mm)
    expect_equal(ours$weights, unname(m$weights), tolerance = 1e-13)
  }
})

test_that("MatchIt's own distance gives MatchIt's matches (MatchIt > 4.5.3)", {
  L <- lalonde_lp()
  skip_if(utils::packageVersion("MatchIt") <= "4.5.3",
          "MatchIt 4.5.1-4.5.3 truncate distance differences (kosukeimai/MatchIt#163)")
  for (cfg in c(configs, list(list(k = 2, replace = TRUE, caliper = 0.1)))) {
    m <- suppressWarnings(MatchIt::matchit(
      treat ~ age + educ + race + married + nodegree + re74 + re75,
      data = L$data, method = "nearest", distance = "glm",
      link = "linear.logit", ratio = cfg$k, replace = cfg$replace,
      caliper = cfg$caliper))
    ours <- suppressWarnings(match_nearest(unname(m$distance), L$treat, k = cfg$k,
                                           replace = cfg$replace, caliper = cfg$caliper))
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
