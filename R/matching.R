# Greedy nearest-neighbour matching on the logit of the propensity score
# (engine: inst/include/matequity/matching.hpp). match_nearest() is the
# internal entry point used by estimate_effect(method = "matching");
# match_units() is the user-facing wrapper for a score already in the data.

# Internal. ps_logit: logit of the propensity score (or any scalar distance);
# treat: 0/1 or logical. caliper is in standard deviations of ps_logit over
# all units (MatchIt's std.caliper = TRUE: sd(distance) over the units not
# discarded). Returns
#   weights   matching weights (MatchIt's convention; 0 = unmatched),
#   subclass  matched-set id per unit (NA = unmatched; all NA with
#             replacement, where the sets overlap),
#   n_matched c(treated = , control = ) matched units (distinct controls),
#   pairs     tibble(treated, control, subclass, match, distance): one row per
#             matched pair, row indices into the input, `subclass` the treated
#             unit's set (defined with and without replacement), `match` the
#             round (1..k) in which the control was chosen,
#   match_matrix  n1 x k control row indices (rows = treated in data order),
#   caliper   the caliper on the distance scale (NULL when none).
# The counts in its warning are shown as `disclosure` (a rule, preset name or
# NULL for the option's rule) releases them.
match_nearest <- function(ps_logit, treat, k = 1, replace = FALSE,
                          caliper = NULL, order = "largest",
                          nthreads = matequity_threads(), disclosure = NULL,
                          call = rlang::caller_env()) {
  rule <- resolve_disclosure(disclosure, call = call)
  check_match_inputs(ps_logit, treat, k, replace, caliper, order, call = call)
  treat <- as.integer(treat)
  order <- match.arg(order, c("largest", "smallest", "data"))
  nthreads <- resolve_threads(nthreads, call = call)
  cal_abs <- if (is.null(caliper)) NULL else caliper * stats::sd(ps_logit)
  storage.mode(ps_logit) <- "double"
  res <- .cpp_match_nearest(ps_logit, treat, as.integer(k), replace,
                            if (is.null(cal_abs)) Inf else cal_abs,
                            match(order, c("largest", "smallest", "data")),
                            nthreads)
  mm <- res$match_matrix
  n1 <- nrow(mm)
  has <- !is.na(mm)
  set_id <- cumsum(has[, 1L])
  tr_rows <- matrix(res$treated, n1, ncol(mm))[has]
  ct_rows <- mm[has]
  set_rows <- matrix(set_id, n1, ncol(mm))[has]
  round_rows <- base::col(mm)[has]  # the package has its own col()
  o <- order(set_rows, round_rows)
  pairs <- tibble::tibble(
    treated = tr_rows[o],
    control = ct_rows[o],
    subclass = set_rows[o],
    match = round_rows[o],
    distance = abs(ps_logit[tr_rows[o]] - ps_logit[ct_rows[o]])
  )
  n_unmatched <- n1 - res$n_matched_treated
  if (n_unmatched > 0) {
    rc <- function(n) released_count(n, rule)
    n0 <- sum(treat == 0)
    why <- if (!is.null(caliper)) {
      "no control within the caliper of {signif(caliper, 3)} SD ({signif(cal_abs, 3)} on the logit scale)"
    } else {
      "too few controls ({rc(n0)}) for {rc(n1)} treated unit{cli::qty(released_qty(n1, rule))}{?s} without replacement"
    }
    cli::cli_warn(c("{rc(n_unmatched)} treated unit{cli::qty(released_qty(n_unmatched, rule))}{?s} {?was/were} left unmatched, out of {rc(n1)}.",
                    "i" = paste0("Reason: ", why, "."),
                    "i" = "They get weight 0 and are excluded from the matched sample.",
                    exact_note(rule)),
                  call = call)
  }
  list(
    weights = res$weights,
    subclass = res$subclass,
    n_matched = c(treated = res$n_matched_treated,
                  control = res$n_matched_control),
    pairs = pairs,
    match_matrix = mm,
    caliper = cal_abs
  )
}

check_match_inputs <- function(ps_logit, treat, k, replace, caliper, order,
                               call = rlang::caller_env()) {
  if (!is.numeric(ps_logit) || any(!is.finite(ps_logit))) {
    bad <- if (is.numeric(ps_logit)) sum(!is.finite(ps_logit)) else length(ps_logit)
    cli::cli_abort(c("The matching distance must be finite numbers.",
                     "x" = "{bad} value{?s} {?is/are} missing or not finite."),
                   call = call)
  }
  tv <- if (is.logical(treat)) as.integer(treat) else treat
  if (!is.numeric(tv) || anyNA(tv) || any(!tv %in% c(0, 1))) {
    cli::cli_abort(c("The treatment must be 0/1 or logical without missing values.",
                     "x" = "Values found: {example_values(treat)}."),
                   call = call)
  }
  if (length(tv) != length(ps_logit)) {
    cli::cli_abort("The treatment has {length(tv)} value{?s} but the distance has {length(ps_logit)}.",
                   call = call)
  }
  if (sum(tv == 1) == 0 || sum(tv == 0) == 0) {
    cli::cli_abort(c("Matching needs both treated and control units.",
                     "x" = "{sum(tv == 1)} treated and {sum(tv == 0)} control unit{?s}."),
                   call = call)
  }
  if (!is.numeric(k) || length(k) != 1L || is.na(k) || k < 1 || k != round(k)) {
    cli::cli_abort(c("{.arg k} must be one positive whole number.",
                     "x" = "It is {.obj_type_friendly {k}}."), call = call)
  }
  check_flag(replace, arg = "replace", call = call)
  if (!is.null(caliper)) {
    check_number(caliper, lower = 0, arg = "caliper", call = call)
    if (caliper <= 0) {
      cli::cli_abort("{.arg caliper} must be positive (it is in standard deviations of the logit score).",
                     call = call)
    }
  }
  if (!is.character(order) || length(order) != 1L ||
      !order %in% c("largest", "smallest", "data")) {
    cli::cli_abort(c("{.arg order} must be one of {.val largest}, {.val smallest} or {.val data}.",
                     "x" = "It is {.val {order}}."), call = call)
  }
  invisible(TRUE)
}

#' Nearest-neighbour matching on a propensity score
#'
#' Greedy 1:`k` nearest-neighbour matching on the logit of a propensity score
#' already in the data, with or without replacement and with an optional
#' caliper. The matched sets are those of `MatchIt::matchit(method =
#' "nearest")` given the same distance: treated units are matched in
#' decreasing order of the score (`order = "largest"`, MatchIt's default for
#' the ATT), each receives the nearest eligible control, the lower-score
#' control wins a tie, and `k` controls are assigned in `k` rounds over all
#' treated units. Matching weights follow MatchIt: 1 for matched treated
#' units; each control gets the sum, over the treated units it is matched to,
#' of 1 / (number of controls matched to that treated unit), rescaled so the
#' control weights sum to the number of matched controls.
#'
#' @param data A data frame.
#' @param treatment The treatment column (0/1 or logical), bare name or string.
#' @param score The propensity score column, bare name or string.
#' @param k Number of controls per treated unit.
#' @param replace Match with replacement?
#' @param caliper `NULL` (none) or a caliper in standard deviations of the
#'   logit score over all units: a treated unit is not matched to a control
#'   farther away than `caliper * sd(logit score)`.
#' @param order Order in which treated units are matched: `"largest"` score
#'   first (default), `"smallest"` first, or `"data"` order.
#' @param scale Is `score` a probability (`"probability"`, matched on its
#'   logit) or already on the logit scale (`"logit"`)?
#' @param nthreads Number of threads (used with replacement).
#' @param disclosure Disclosure rule for the counts in the warning about
#'   unmatched units (`NULL`: the `matequity.disclosure` option; `"none"` for
#'   exact counts). The returned data are unit-level and not for release.
#' @returns A tibble: `data` with the columns `.match_weight` (0 for
#'   unmatched units) and `.subclass` (matched set; `NA` for unmatched units
#'   and for every unit when `replace = TRUE`, where sets overlap). Attribute
#'   `"pairs"`: a tibble with one row per matched pair and columns `treated`
#'   and `control` (row numbers in `data`), `subclass` (the treated unit's
#'   set), `match` (the round, 1 to `k`) and `distance` (absolute difference
#'   in logit score). Attribute `"n_matched"`: matched treated units and
#'   distinct matched controls.
#' @examples
#' set.seed(1)
#' d <- data.frame(a = rbinom(200, 1, 0.3), ps = runif(200, 0.05, 0.9))
#' m <- match_units(d, a, ps, k = 2, caliper = 0.2)
#' attr(m, "n_matched")
#' head(attr(m, "pairs"))
#' @export
match_units <- function(data, treatment, score, k = 1, replace = FALSE,
                        caliper = NULL, order = c("largest", "smallest", "data"),
                        scale = c("probability", "logit"),
                        nthreads = matequity_threads(), disclosure = NULL) {
  check_data_frame(data)
  order <- match.arg(order)
  scale <- match.arg(scale)
  tcol <- resolve_column(data, rlang::enquo(treatment), "treatment")
  scol <- resolve_column(data, rlang::enquo(score), "score")
  s <- data[[scol]]
  if (!is.numeric(s)) {
    cli::cli_abort(c("Column {.field {scol}} given as {.arg score} must be numeric.",
                     "x" = "It is {.obj_type_friendly {s}}."))
  }
  if (scale == "probability") {
    bad <- is.na(s) | s <= 0 | s >= 1
    if (any(bad)) {
      cli::cli_abort(c("Column {.field {scol}} must hold probabilities strictly between 0 and 1.",
                       "x" = "{sum(bad)} row{?s} {?is/are} missing or outside (0, 1): {example_values(s[bad])}."))
    }
    s <- stats::qlogis(s)
  }
  tr <- data[[tcol]]
  if (anyNA(tr) || !(is.logical(tr) || (is.numeric(tr) && all(tr %in% c(0, 1))))) {
    cli::cli_abort(c("Column {.field {tcol}} given as {.arg treatment} must be 0/1 or logical without missing values.",
                     "x" = "Values found: {example_values(tr)}."))
  }
  m <- match_nearest(s, as.integer(tr), k = k, replace = replace,
                     caliper = caliper, order = order, nthreads = nthreads,
                     disclosure = disclosure, call = rlang::current_env())
  out <- tibble::as_tibble(data)
  out$.match_weight <- m$weights
  out$.subclass <- m$subclass
  attr(out, "pairs") <- m$pairs
  attr(out, "n_matched") <- m$n_matched
  out
}
