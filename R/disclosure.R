# Disclosure rules: presets for the secure data environments matequity is
# used in, and the checks on model fits. apply_disclosure() (R/apply_disclosure.R)
# applies a rule to a table.

disclosure_presets <- c("nhse_sde", "opensafely", "nhsd_maternity", "acro",
                        "none")

# Parameters of each preset. `threshold` is the smallest count that may be
# released as it is: counts below it are "small".
preset_parameters <- function(preset) {
  base <- list(threshold = 10, rounding = 5, rounding_method = "nearest",
               small = "suppress", small_value = NA_real_, zero = "small",
               totals = "keep", secondary = TRUE,
               rates_from_rounded = TRUE, min_df = 10,
               dominance_n = NA_integer_, dominance_k = NA_real_)
  switch(preset,
    nhse_sde = base,
    opensafely = utils::modifyList(base, list(
      threshold = 8, totals = "recalculate")),
    nhsd_maternity = utils::modifyList(base, list(
      threshold = 8, small = "show_as", small_value = 5, secondary = FALSE)),
    acro = utils::modifyList(base, list(
      rounding = 0, dominance_n = 2L, dominance_k = 0.9)),
    none = utils::modifyList(base, list(
      threshold = 0, rounding = 0, small = "none", zero = "exact",
      secondary = FALSE, rates_from_rounded = FALSE, min_df = 0))
  )
}

#' Disclosure control rules
#'
#' A disclosure rule says which counts may leave a secure data environment
#' (SDE) and in what form. Every matequity function that returns counts, or
#' rates, intervals and indices derived from counts, applies the rule in force
#' through [apply_disclosure()]; pass `disclosure =` to override it per call.
#' The default is `getOption("matequity.disclosure", "nhse_sde")`, the
#' strictest of the common rules.
#'
#' @section Presets:
#' * `"nhse_sde"` (NHS England SDE): counts under 10 are suppressed, other
#'   counts are rounded to the nearest 5.
#' * `"opensafely"`: counts of 7 or fewer are redacted (`threshold = 8`),
#'   other counts rounded to the nearest 5; a total row is recalculated from
#'   the cells left after redaction (then rounded), and rates should come from
#'   the rounded counts. `rounding_method = "midpoint6"` gives OpenSAFELY's
#'   midpoint-6 rounding instead: a positive count `x` is shown as
#'   `6 * ceiling(x / 6) - 3` (so 1-6 show as 3, 7-12 as 9, 13-18 as 15).
#' * `"nhsd_maternity"` (NHS Digital maternity statistics): counts 1-7 are
#'   shown as 5, other counts are rounded to the nearest 5, rates come from the
#'   rounded figures. Nothing is suppressed, so no secondary suppression.
#' * `"acro"` (the ACRO output checker used in many TREs): a cell fails with
#'   fewer than 10 contributors and is suppressed; no rounding; a magnitude
#'   total fails the dominance rule when its 2 largest contributors make up
#'   more than 90% of it (which implies ACRO's p-ratio rule with p = 10%: the
#'   rest under 10% of the largest); models need at least 10 residual degrees of freedom.
#' * `"none"`: no disclosure control, for work inside the SDE. Tables say
#'   loudly in their header that disclosure control is off.
#'
#' Under every preset but `"none"`, rates, percentages, intervals and
#' standard errors are computed from the released (rounded) counts, never
#' from the exact ones, and suppressed with them; a count's complement (the
#' non-events beside the events) is checked like a count; and secondary
#' suppression covers every margin of a table (see [apply_disclosure()]).
#' Sources: NHS England SDE output checking (suppress under 10, round to 5);
#' OpenSAFELY's output-checking guidance (redact 7 or fewer, round to 5 or
#' midpoint-6, rates from the rounded counts); NHS Digital's Maternity
#' Services Monthly Statistics (1-7 shown as 5, others to the nearest 5,
#' rates from the rounded figures); ACRO (Automatic Checking of Research
#' Outputs; minimum 10 contributors per cell, residual df at least 10,
#' dominance).
#'
#' @section Zero counts:
#' A true zero is often said not to be disclosive (NHS England and NHS Digital
#' publish zeros), but a zero in a small group discloses something about
#' everyone in it ("no woman in this group had X"), and ACRO treats zeros as
#' disclosive by default. matequity takes the strictest common reading:
#' under every preset a zero is treated like any other small count
#' (`zero = "small"`): suppressed under `"nhse_sde"`, `"opensafely"` and
#' `"acro"`, shown as 5 under `"nhsd_maternity"`. Set `zero = "exact"` to
#' release zeros as 0 (this reproduces NHS Digital's published tables).
#'
#' @param preset One of `"nhse_sde"`, `"opensafely"`, `"nhsd_maternity"`,
#'   `"acro"`, `"none"`.
#' @param threshold Smallest count that may be shown: counts below it are
#'   small (suppressed, or shown as `small_value`). `NULL` keeps the preset's.
#' @param rounding Base to round released counts to (`5`); `0` or `1` for no
#'   rounding. `NULL` keeps the preset's. Ties round up.
#' @param ... Must be empty.
#' @param rounding_method `"nearest"` (nearest multiple of `rounding`) or
#'   `"midpoint6"` (OpenSAFELY's midpoint-6 rounding; sets `rounding = 6`).
#' @param zero `"small"` (a zero is a small count) or `"exact"` (zeros are
#'   released as 0).
#' @param min_df Smallest residual degrees of freedom a model may have.
#' @returns An object of class `mq_disclosure_rule`: a list with elements
#'   `preset`, `custom` (whether parameters were changed), `threshold`,
#'   `rounding`, `rounding_method`, `small` (`"suppress"`, `"show_as"` or
#'   `"none"`), `small_value`, `zero`, `totals` (`"keep"` or `"recalculate"`),
#'   `secondary`, `rates_from_rounded`, `min_df`, `dominance_n`,
#'   `dominance_k`.
#' @seealso [apply_disclosure()], [disclosure_check()], [export_outputs()].
#' @examples
#' disclosure_rule()
#' disclosure_rule("opensafely", rounding_method = "midpoint6")
#' disclosure_rule("nhse_sde", threshold = 20, rounding = 10)
#' disclosure_rule("none")
#' @export
disclosure_rule <- function(preset = c("nhse_sde", "opensafely",
                                       "nhsd_maternity", "acro", "none"),
                            threshold = NULL, rounding = NULL, ...,
                            rounding_method = NULL, zero = NULL,
                            min_df = NULL) {
  rlang::check_dots_empty()
  if (missing(preset)) {
    preset <- getOption("matequity.disclosure", "nhse_sde")
    if (inherits(preset, "mq_disclosure_rule")) {
      if (is.null(threshold) && is.null(rounding) && is.null(zero) &&
          is.null(rounding_method) && is.null(min_df)) {
        return(preset)
      }
      preset <- preset$preset
    }
  }
  check_string(preset)
  if (!preset %in% disclosure_presets) {
    cli::cli_abort(
      c("{.arg preset} must be one of {.val {disclosure_presets}}.",
        "x" = "It is {.val {preset}}."))
  }
  p <- preset_parameters(preset)
  custom <- FALSE
  if (!is.null(threshold)) {
    check_number(threshold, lower = 0)
    if (threshold != round(threshold)) {
      cli::cli_abort(c("{.arg threshold} must be a whole number.",
                       "x" = "It is {threshold}."))
    }
    custom <- custom || threshold != p$threshold
    p$threshold <- threshold
  }
  if (!is.null(rounding_method)) {
    rounding_method <- rlang::arg_match(rounding_method,
                                        c("nearest", "midpoint6"))
    custom <- custom || (rounding_method != p$rounding_method &&
                           preset != "opensafely")
    p$rounding_method <- rounding_method
    if (rounding_method == "midpoint6") p$rounding <- 6
  }
  if (!is.null(rounding)) {
    check_number(rounding, lower = 0)
    if (rounding != round(rounding)) {
      cli::cli_abort(c("{.arg rounding} must be a whole number.",
                       "x" = "It is {rounding}."))
    }
    if (p$rounding_method == "midpoint6" && rounding != 6) {
      cli::cli_abort(c("Midpoint-6 rounding rounds to 6.",
                       "x" = "{.arg rounding} is {rounding}."))
    }
    custom <- custom || rounding != p$rounding
    p$rounding <- if (rounding <= 1) 0 else rounding
  }
  if (!is.null(zero)) {
    zero <- rlang::arg_match(zero, c("small", "exact"))
    custom <- custom || zero != p$zero
    p$zero <- zero
  }
  if (!is.null(min_df)) {
    check_number(min_df, lower = 0)
    custom <- custom || min_df != p$min_df
    p$min_df <- min_df
  }
  if (preset == "none" && custom) {
    cli::cli_abort(c("The {.val none} rule has no parameters to set.",
                     "i" = "Use another preset with custom parameters."))
  }
  structure(c(list(preset = preset, custom = custom), p),
            class = "mq_disclosure_rule")
}

# One line describing what a rule does to counts.
describe_rule <- function(rule) {
  if (rule$preset == "none") return("no disclosure control")
  th <- rule$threshold
  small <- switch(rule$small,
    suppress = paste0("counts under ", th, " suppressed"),
    show_as = paste0("counts ", if (rule$zero == "small") 0 else 1, "-",
                     th - 1, " shown as ", rule$small_value),
    none = "no small-count rule")
  rnd <- if (rule$rounding_method == "midpoint6") {
    "others midpoint-6 rounded"
  } else if (rule$rounding > 0) {
    paste0("others rounded to ", rule$rounding)
  } else {
    "others exact"
  }
  paste0(small, ", ", rnd)
}

rule_name <- function(rule) {
  paste0(rule$preset, if (isTRUE(rule$custom)) " (custom)" else "")
}

#' @export
format.mq_disclosure_rule <- function(x, ...) {
  if (x$preset == "none") {
    return(c("<disclosure rule: none>",
             "DISCLOSURE CONTROL OFF: counts are exact; not for release outside the SDE."))
  }
  out <- c(
    paste0("<disclosure rule: ", rule_name(x), ">"),
    paste0("Counts:     ", describe_rule(x)),
    paste0("Zeros:      ", if (x$zero == "small") "treated as small counts" else "released as 0"),
    paste0("Secondary:  ", if (x$secondary) "no margin of a table (totals, by groups) gives a suppressed cell back" else "none"),
    paste0("Totals:     ", if (x$totals == "recalculate") "recalculated from released cells" else "kept",
           if (x$rounding > 0) " (then rounded)" else ""),
    paste0("Derived:    rates, intervals and SEs from the released counts; complements checked as counts"),
    paste0("Models:     residual df >= ", x$min_df, ", cell counts >= ", x$threshold))
  if (!is.na(x$dominance_n)) {
    out <- c(out, paste0("Dominance:  ", x$dominance_n, " largest contributors <= ",
                         100 * x$dominance_k, "% of a total"))
  }
  out
}

#' @export
print.mq_disclosure_rule <- function(x, ...) {
  cat(format(x), sep = "\n")
  invisible(x)
}

# Turn NULL (the option's rule), a preset name or a rule into a rule.
# Every function with a `disclosure` argument calls this.
resolve_disclosure <- function(disclosure = NULL,
                               arg = rlang::caller_arg(disclosure),
                               call = rlang::caller_env()) {
  disclosure <- disclosure %||% getOption("matequity.disclosure", "nhse_sde")
  if (inherits(disclosure, "mq_disclosure_rule")) return(disclosure)
  if (is.character(disclosure) && length(disclosure) == 1L &&
      !is.na(disclosure)) {
    if (!disclosure %in% disclosure_presets) {
      cli::cli_abort(
        c("{.arg {arg}} must be a disclosure rule or one of {.val {disclosure_presets}}.",
          "x" = "It is {.val {disclosure}}."), call = call)
    }
    return(disclosure_rule(disclosure))
  }
  cli::cli_abort(
    c("{.arg {arg}} must be a disclosure rule or one of {.val {disclosure_presets}}.",
      "x" = "It is {.obj_type_friendly {disclosure}}.",
      "i" = "Make one with {.fn disclosure_rule}."), call = call)
}

#' Check a model fit against a disclosure rule
#'
#' Model outputs may leave an SDE when every cell they rest on (for example
#' each treatment-by-outcome count) has at least `threshold` contributors,
#' the residual degrees of freedom are at least `min_df` (ACRO's rules,
#' applied under every preset as the strictest common reading) and, for
#' weighted estimates, the effective sample size of each arm is at least
#' `threshold`. Give the counts of the sample the estimate rests on: the
#' matched units for matching, the units with non-zero weight for weighting.
#' [disclosure_check()] does this for [estimate_effect()] fits, group by
#' group.
#'
#' The reason never states a count or a number of degrees of freedom: it
#' names the cells that fail and the limits they fail.
#'
#' @param cell_counts Numeric vector of the counts the fit rests on
#'   (named for clearer reasons).
#' @param df_residual Residual degrees of freedom of the fit.
#' @param disclosure A rule from [disclosure_rule()], a preset name, or
#'   `NULL` for the option's rule.
#' @param ess Optional effective sample sizes ((sum w)^2 / sum w^2) of the
#'   groups a weighted estimate compares, e.g. `c(treated = 52.1, control =
#'   240.7)`; each must be at least `threshold`.
#' @returns A list with `status` (`"pass"`, `"fail"` or `"review"`) and
#'   `reason` (one string naming the cells that fail; it gives neither the
#'   counts nor the residual degrees of freedom, from which the sample size
#'   would follow). Rule `"none"` gives `"review"`: nothing was checked.
#' @examples
#' disclosure_check_model(c(treated_event = 40, control_event = 7), 200)
#' disclosure_check_model(c(a = 40, b = 50), df_residual = 6, disclosure = "acro")
#' disclosure_check_model(c(a = 40, b = 50), 200, ess = c(treated = 6.2, control = 45))
#' @export
disclosure_check_model <- function(cell_counts, df_residual, disclosure = NULL,
                                   ess = NULL) {
  rule <- resolve_disclosure(disclosure)
  if (!is.numeric(cell_counts)) {
    cli::cli_abort(c("{.arg cell_counts} must be numeric.",
                     "x" = "It is {.obj_type_friendly {cell_counts}}."))
  }
  if (!is.numeric(df_residual) || length(df_residual) != 1L) {
    cli::cli_abort(c("{.arg df_residual} must be one number.",
                     "x" = "It is {.obj_type_friendly {df_residual}}."))
  }
  if (!is.null(ess) && !is.numeric(ess) && !(is.logical(ess) && all(is.na(ess)))) {
    cli::cli_abort(c("{.arg ess} must be numeric (effective sample sizes).",
                     "x" = "It is {.obj_type_friendly {ess}}."))
  }
  if (rule$preset == "none") {
    return(list(status = "review",
                reason = "disclosure control off (rule none): not checked"))
  }
  cell_names <- function(x, what) {
    nm <- names(x) %||% paste0(what, " ", seq_along(x))
    nm[is.na(nm) | nm == ""] <- paste0(what, " ", which(is.na(nm) | nm == ""))
    nm
  }
  nm <- cell_names(cell_counts, "cell")
  reasons <- character()
  small <- !is.na(cell_counts) & cell_counts < rule$threshold
  if (any(small)) {
    reasons <- c(reasons, paste0(
      sum(small), " cell count", if (sum(small) > 1) "s", " under ",
      rule$threshold, ": ", paste(utils::head(nm[small], 5), collapse = ", "),
      if (sum(small) > 5) ", ..."))
  }
  if (length(ess)) {
    en <- cell_names(ess, "group")
    low <- !is.na(ess) & ess < rule$threshold
    if (any(low)) {
      reasons <- c(reasons, paste0("effective sample size under ", rule$threshold,
                                   ": ", paste(en[low], collapse = ", ")))
    }
  }
  if (!is.na(df_residual) && df_residual < rule$min_df) {
    # the df itself is not given: n = df + p
    reasons <- c(reasons, paste0("residual df under ", rule$min_df))
  }
  if (length(reasons)) {
    return(list(status = "fail", reason = paste(reasons, collapse = "; ")))
  }
  if (anyNA(cell_counts) || is.na(df_residual) || anyNA(ess)) {
    return(list(status = "review",
                reason = "cell counts, effective sample sizes or residual df missing: check by hand"))
  }
  list(status = "pass",
       reason = paste0("all ", length(cell_counts), " cell counts >= ",
                       rule$threshold,
                       if (length(ess)) paste0("; effective sample sizes >= ", rule$threshold),
                       "; residual df >= ", rule$min_df))
}
