# E-values (VanderWeele and Ding 2017), as the EValue package computes them.
#
# On the risk-ratio scale, for RR >= 1: E = RR + sqrt(RR * (RR - 1)); a
# protective RR < 1 is first inverted. The E-value for the confidence
# interval uses the limit closer to the null and is 1 when the interval
# includes the null. Other measures are first put on the RR scale:
#   * OR: RR = OR when the outcome is rare (< 15%), else RR ~ sqrt(OR)
#     (VanderWeele 2017, "On a square-root transformation of the odds
#     ratio"), as EValue::evalues.OR(rare = FALSE);
#   * HR: RR = HR when rare, else RR ~ (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR)),
#     as EValue::evalues.HR(rare = FALSE);
#   * RD: RR = 1 + RD / p0 with p0 the risk in the unexposed (control) group,
#     applied to the estimate and to each limit (p0 taken as known).
# A non-null `true` value is handled as EValue does: everything is divided by
# the true value on the RR scale.

#' E-values for unmeasured confounding
#'
#' The E-value (VanderWeele and Ding 2017) is the minimum strength of
#' association, on the risk-ratio scale, that an unmeasured confounder would
#' need with both the treatment and the outcome to explain away an estimate;
#' the E-value for the confidence interval is the same for the limit closer
#' to the null (1 when the interval includes the null). Values agree with the
#' EValue package (`evalues.RR()`, `evalues.OR()`, `evalues.HR()`).
#'
#' @param x An effect fit from `estimate_effect()` (class `"mq_effect"`,
#'   binary outcome), or a number: the estimate on the scale given by `type`.
#' @param ... Not used.
#' @returns A tibble with one row per estimate (per group for a fit with
#'   `by`, then with a first column `group`) and columns `measure` (`"RR"`,
#'   `"OR"`, `"HR"` or `"RD"`), `estimate`, `conf.low`, `conf.high` (as
#'   given), `rr` and `rr_limit` (the estimate and the limit closer to the
#'   null on the risk-ratio scale; `NA` when the interval includes the null),
#'   `evalue_estimate` and `evalue_ci`.
#' @references VanderWeele TJ, Ding P (2017). Sensitivity analysis in
#'   observational research: introducing the E-value. *Annals of Internal
#'   Medicine* 167(4):268-274.
#' @examples
#' # VanderWeele and Ding (2017): RR 3.9 (1.8 to 8.7) -> 7.26 and 3.02
#' evalue(3.9, 1.8, 8.7)
#' # a common outcome's odds ratio
#' evalue(0.6, 0.45, 0.8, type = "OR", rare = FALSE)
#' @export
evalue <- function(x, ...) {
  UseMethod("evalue")
}

#' @rdname evalue
#' @param lo,hi Confidence limits (`NA` when not available).
#' @param type Scale of `x`, `lo` and `hi`: `"RR"`, `"OR"`, `"HR"` or `"RD"`.
#' @param rare For `"OR"` and `"HR"`: is the outcome rare (under 15% at the
#'   end of follow-up)? Required for those types.
#' @param p0 For `"RD"`: the risk in the control (unexposed) group.
#' @param true The true value to test against on the scale of `type`
#'   (1, or 0 for `"RD"`, is the null of no effect).
#' @export
evalue.default <- function(x, lo = NA, hi = NA, type = c("RR", "OR", "HR", "RD"),
                           rare = NULL, p0 = NULL, true = NULL, ...) {
  type <- match.arg(type)
  for (nm in c("x", "lo", "hi")) {
    v <- get(nm)
    if (!is.numeric(v) && !(length(v) == 1L && is.na(v))) {
      cli::cli_abort(c("{.arg {nm}} must be numeric.", "x" = "It is {.obj_type_friendly {v}}."))
    }
  }
  n <- max(length(x), length(lo), length(hi))
  if (any(!c(length(x), length(lo), length(hi)) %in% c(1L, n))) {
    cli::cli_abort("{.arg x}, {.arg lo} and {.arg hi} must have the same length (or length 1).")
  }
  x <- rep_len(as.double(x), n); lo <- rep_len(as.double(lo), n); hi <- rep_len(as.double(hi), n)
  if (anyNA(x)) cli::cli_abort("{.arg x} has {sum(is.na(x))} missing value{?s}.")
  bad <- !is.na(lo) & lo > x | !is.na(hi) & hi < x
  if (any(bad)) {
    cli::cli_abort(c("Confidence limits must bracket the estimate.",
                     "x" = "{sum(bad)} estimate{?s} lie{?s/} outside {?its/their} interval{?s}."))
  }
  if (type %in% c("OR", "HR")) {
    if (!is.logical(rare) || length(rare) != 1L || is.na(rare)) {
      cli::cli_abort(c("{.arg rare} must be TRUE or FALSE for an {type}.",
                       "i" = "Is the outcome rare (under 15%)? A common outcome's {type} is converted to the RR scale."))
    }
  }
  if (type == "RD") {
    if (!is.numeric(p0) || !length(p0) %in% c(1L, n) || anyNA(p0) || any(p0 <= 0 | p0 >= 1)) {
      cli::cli_abort("{.arg p0} (the control-group risk) must be given, strictly between 0 and 1, for a risk difference.")
    }
    p0 <- rep_len(p0, n)
    if (any(p0 + c(x, lo, hi)[!is.na(c(x, lo, hi))] <= 0, na.rm = TRUE)) {
      cli::cli_abort("A risk difference at or below {.code -p0} cannot be put on the risk-ratio scale.")
    }
  } else if (any(c(x, lo, hi) <= 0, na.rm = TRUE)) {
    cli::cli_abort("An {type} and its limits must be positive.")
  }
  to_rr <- switch(
    type,
    RR = function(v) v,
    OR = function(v) if (rare) v else sqrt(v),
    HR = function(v) if (rare) v else (1 - 0.5^sqrt(v)) / (1 - 0.5^sqrt(1 / v)),
    RD = function(v) 1 + v / p0
  )
  true_rr <- if (is.null(true)) 1 else {
    check_number(true)
    if (type == "RD") 1 + true / p0 else to_rr(true)
  }
  rr <- to_rr(x) / true_rr
  rlo <- to_rr(lo) / true_rr
  rhi <- to_rr(hi) / true_rr
  e_point <- evalue_rr(rr)
  # the limit closer to the null, or none when the interval includes it
  lim <- ifelse(rr >= 1, rlo, rhi)
  crosses <- (!is.na(rlo) & rlo <= 1 & rr >= 1) | (!is.na(rhi) & rhi >= 1 & rr < 1)
  e_ci <- ifelse(is.na(lim), NA_real_, ifelse(crosses, 1, evalue_rr(lim)))
  tibble::tibble(
    measure = type, estimate = x, conf.low = lo, conf.high = hi,
    rr = rr, rr_limit = ifelse(crosses, NA_real_, lim),
    evalue_estimate = e_point, evalue_ci = e_ci
  )
}

# E-value of a risk ratio (vectorised; RR < 1 is inverted).
evalue_rr <- function(rr) {
  r <- ifelse(rr < 1, 1 / rr, rr)
  r + sqrt(r * (r - 1))
}

#' @rdname evalue
#' @param measure For a fit: which contrast to assess, `"RR"` (the risk
#'   ratio, default), `"OR"` (the odds ratio; treated as rare when both arm
#'   risks are under 15%) or `"RD"` (the risk difference, on the RR scale
#'   through the control-arm risk).
#' @export
evalue.mq_effect <- function(x, measure = c("RR", "OR", "RD"), ...) {
  measure <- match.arg(measure)
  tt <- generics::tidy(x)
  need <- c("risk_treated", "risk_control", "risk_difference", "risk_ratio", "odds_ratio")
  if (!all(need %in% tt$term)) {
    cli::cli_abort(c("E-values need a fit with a binary outcome.",
                     "x" = "{.fn tidy} of this fit has no {.val {setdiff(need, tt$term)}} term{?s}."))
  }
  groups <- if ("group" %in% names(tt)) unique(tt$group) else NA
  term <- switch(measure, RR = "risk_ratio", OR = "odds_ratio", RD = "risk_difference")
  # subgroups that could not be estimated (NA estimates) get NA E-values
  est <- if (is.na(groups[1])) tt$estimate[tt$term == term] else
    vapply(groups, function(g) tt$estimate[tt$group == g & tt$term == term], 0)
  if (all(is.na(est))) cli::cli_abort("The fit has no estimate to compute an E-value for.")
  rows <- lapply(groups, function(g) {
    s <- if (is.na(g)) tt else tt[tt$group == g, ]
    get1 <- function(term, col = "estimate") s[[col]][s$term == term]
    p0 <- get1("risk_control"); p1 <- get1("risk_treated")
    if (is.na(get1(term))) return(NULL)
    out <- evalue.default(get1(term), get1(term, "conf.low"), get1(term, "conf.high"),
                          type = measure, rare = max(p0, p1) < 0.15, p0 = p0)
    if (!is.na(g)) out <- tibble::add_column(out, group = g, .before = 1L)
    out
  })
  template <- rows[[which(!vapply(rows, is.null, TRUE))[1]]]
  rows <- lapply(seq_along(groups), function(i) {
    if (!is.null(rows[[i]])) return(rows[[i]])
    na_row <- template
    num <- vapply(na_row, is.numeric, TRUE)
    na_row[num] <- lapply(na_row[num], function(v) NA_real_)
    na_row$group <- groups[i]
    na_row
  })
  out <- do.call(rbind, rows)
  # functions of the released estimates (suppressed with them): marked with
  # the fit's rule, every column accounted for
  cols <- names(out)[vapply(out, is.numeric, TRUE)]
  log <- tibble::tibble(column = cols, action = "computed from the fit's released estimates",
                        n = nrow(out))
  new_sdc_table(as.list(out), out, attr(tt, "sdc"), log = log)
}
