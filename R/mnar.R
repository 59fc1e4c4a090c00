# Sensitivity of multiply imputed analyses to data missing not at random
# (MNAR) in a categorical variable such as ethnicity: the imputed values are
# re-drawn from a tilted distribution (delta adjustment on the log-odds
# scale), either with given shifts or with the shifts that make the expected
# mix of the whole cohort match a supplied (census) distribution.

#' Delta adjustment of imputed categories (MNAR sensitivity analysis)
#'
#' Re-draws the imputed values of a categorical variable (for example
#' ethnicity) under a missing-not-at-random assumption, for a sensitivity
#' analysis of results from multiply imputed data (van Buuren 2018, Section
#' 3.9.1, "delta adjustment"; for categorical variables, Leacy, Floyd, Yates
#' and White 2017). Under missing at random, imputation `l` draws row `i`'s
#' category from its predictive distribution `pi_i`; the delta-adjusted
#' imputation model adds `delta_k` to the log-odds of category `k`:
#' `pi'_ik = pi_ik exp(delta_k) / sum_j pi_ij exp(delta_j)`, so that women
#' whose ethnicity is not recorded are `exp(delta_k)` times as likely (in
#' odds) to be of category `k` as the imputation model says.
#'
#' `pi_i` is estimated from the imputations themselves: the share of the
#' `m` imputations that gave row `i` category `k`, smoothed towards the
#' overall imputed mix `p_k` as `(count_ik + p_k) / (m + 1)` (so that every
#' category the imputations use can be reached). Every missing row of every
#' imputation is then re-drawn from `pi'_i`; observed values are unchanged.
#' With `delta = 0` the re-draw has the imputations' own distribution (the
#' analysis differs from the original one only by Monte Carlo error).
#'
#' Calibration: with `target` (the category shares of the whole population,
#' for example from the 2021 Census for the area's births), the shifts are
#' solved so that the expected counts of the cohort, observed plus
#' `sum_i pi'_ik`, equal `target_k * N` (iterative proportional fitting of
#' the `delta_k`, the first category fixed at 0). The target must be
#' reachable: its count of each category must be at least the observed count.
#'
#' Then analyse the returned list as any multiply imputed data (for example
#' `disparity(adjusted, preterm, ethnic_group)`) and compare with the
#' analysis under missing at random, over a range of `delta`.
#'
#' @param data A `mice::mids` object or a list of completed data sets.
#' @param variable The categorical column (bare name or string).
#' @param delta Log-odds shifts: a named numeric vector (names are
#'   categories; categories not named get 0).
#' @param target Category shares of the whole cohort to calibrate to: a
#'   named numeric vector summing to 1. Give `delta` or `target`, not both.
#' @param where For a list of completed data sets: a logical vector, `TRUE`
#'   for the rows whose `variable` was imputed. A `mids` object records it.
#' @param seed Seed of the re-draws (the global random number stream is left
#'   as it was), or `NULL`.
#' @returns A list of completed data sets (class `mq_imputed`) with
#'   attribute `"mnar"`: a list with `variable`, `delta` (the shifts used,
#'   solved ones for `target`), `target`, `expected` (the expected category
#'   shares of the whole cohort after adjustment) and `n_imputed`.
#' @references van Buuren S (2018). *Flexible Imputation of Missing Data*,
#'   2nd ed. Chapman & Hall/CRC, Section 3.9. Leacy FP, Floyd S, Yates TA,
#'   White IR (2017). Analyses of sensitivity to the missing-at-random
#'   assumption using multiple imputation with delta adjustment: application
#'   to a tuberculosis/HIV prevalence survey with incomplete HIV-status data.
#'   *American Journal of Epidemiology* 185, 304-315.
#' @examples
#' if (requireNamespace("mice", quietly = TRUE)) {
#'   set.seed(1)
#'   d <- data.frame(eth = factor(sample(c("White", "Asian", "Black"), 300, TRUE)),
#'                   y = rbinom(300, 1, 0.1))
#'   d$eth[runif(300) < 0.2] <- NA
#'   imp <- mice::mice(d, m = 3, printFlag = FALSE, seed = 1)
#'   adj <- mnar_adjust(imp, eth, delta = c(Black = log(2)), seed = 1)
#'   attr(adj, "mnar")$expected
#' }
#' @export
mnar_adjust <- function(data, variable, delta = NULL, target = NULL, where = NULL,
                        seed = NULL) {
  if (!is_imputed(data)) {
    cli::cli_abort(c("{.arg data} must be a {.cls mids} object or a list of completed data sets.",
                     "x" = "It is {.obj_type_friendly {data}}."))
  }
  if (inherits(data, "mids")) {
    var <- resolve_column(data$data, rlang::enquo(variable), "variable")
    where <- data$where[, var]
  }
  datasets <- imputed_list(data)
  if (!inherits(data, "mids")) var <- resolve_column(datasets[[1]], rlang::enquo(variable), "variable")
  n <- nrow(datasets[[1]])
  if (!is.logical(where) || length(where) != n || anyNA(where)) {
    cli::cli_abort(c("{.arg where} must be a logical vector with one value per row ({n}), without NA.",
                     "i" = "It says which rows of {.field {var}} were imputed."))
  }
  if (is.null(delta) == is.null(target)) {
    cli::cli_abort("Give one of {.arg delta} or {.arg target}.")
  }
  first <- datasets[[1]][[var]]
  if (!(is.factor(first) || is.character(first))) {
    cli::cli_abort("{.field {var}} must be a factor or character column; it is {.obj_type_friendly {first}}.")
  }
  lev <- if (is.factor(first)) levels(first) else sort(unique(unlist(lapply(datasets, `[[`, var))))
  K <- length(lev)
  m <- length(datasets)
  codes <- vapply(datasets, function(d) match(as.character(d[[var]]), lev), integer(n))
  codes <- matrix(codes, nrow = n)
  if (anyNA(codes)) {
    cli::cli_abort("{.field {var}} has missing values in a completed data set.")
  }
  mis <- which(where)
  obs <- tabulate(codes[!where, 1L], K)
  # each imputed row's predictive distribution, from its m imputations
  cnt <- matrix(0, length(mis), K)
  for (l in seq_len(m)) cnt[cbind(seq_along(mis), codes[mis, l])] <- cnt[cbind(seq_along(mis), codes[mis, l])] + 1
  p_mix <- colSums(cnt) / sum(cnt)
  pi0 <- sweep(cnt, 2L, p_mix, "+") / (m + 1)
  tilt <- function(d) {
    p <- sweep(pi0, 2L, exp(d), "*")
    p / rowSums(p)
  }
  if (!is.null(target)) {
    target <- check_shares(target, lev, "target")
    need <- target * n - obs
    if (any(need[p_mix > 0] <= 0) || any(need[p_mix == 0] > 1e-8 * n)) {
      bad <- lev[(need <= 0 & p_mix > 0) | (need > 1e-8 * n & p_mix == 0)]
      cli::cli_abort(c("{.arg target} cannot be reached by re-drawing the imputed values.",
                       "x" = "For {.val {bad}} the observed count already exceeds the target, or no imputation uses the category."))
    }
    d <- numeric(K)
    use <- p_mix > 0
    d[!use] <- -Inf
    for (it in seq_len(1000L)) {
      cur <- colSums(tilt(d))
      step <- log(need[use] / cur[use])
      d[use] <- d[use] + step
      d[use] <- d[use] - d[use][1]
      if (max(abs(step)) < 1e-12) break
    }
    delta_used <- stats::setNames(d, lev)
  } else {
    if (!is.numeric(delta) || is.null(names(delta)) || anyNA(delta)) {
      cli::cli_abort("{.arg delta} must be a named numeric vector (names are categories of {.field {var}}).")
    }
    bad <- setdiff(names(delta), lev)
    if (length(bad)) {
      cli::cli_abort(c("{.arg delta} names categories that {.field {var}} does not have.",
                       "x" = "{.val {bad}}.", "i" = "Categories: {.val {lev}}."))
    }
    delta_used <- stats::setNames(numeric(K), lev)
    delta_used[names(delta)] <- delta
  }
  pt <- tilt(delta_used)
  cum <- t(apply(pt, 1L, cumsum))
  if (K == 1L) cum <- matrix(1, length(mis), 1L)
  out <- with_seed(seed, lapply(seq_len(m), function(l) {
    u <- stats::runif(length(mis))
    k <- 1L + rowSums(cum[, -K, drop = FALSE] < u)
    dl <- datasets[[l]]
    x <- dl[[var]]
    x[mis] <- if (is.factor(x)) factor(lev[k], levels = levels(x)) else lev[k]
    dl[[var]] <- x
    dl
  }))
  expected <- (obs + colSums(pt)) / n
  structure(out, class = c("mq_imputed", "list"),
            mnar = list(variable = var, delta = delta_used, target = target,
                        expected = stats::setNames(expected, lev), n_imputed = length(mis)))
}

check_shares <- function(x, lev, arg, call = rlang::caller_env()) {
  if (!is.numeric(x) || is.null(names(x)) || anyNA(x) || any(x < 0) ||
      abs(sum(x) - 1) > 1e-8) {
    cli::cli_abort("{.arg {arg}} must be named non-negative shares summing to 1.", call = call)
  }
  bad <- setdiff(names(x), lev)
  if (length(bad)) {
    cli::cli_abort(c("{.arg {arg}} names categories not in the data.", "x" = "{.val {bad}}."),
                   call = call)
  }
  out <- stats::setNames(numeric(length(lev)), lev)
  out[names(x)] <- x
  out
}
