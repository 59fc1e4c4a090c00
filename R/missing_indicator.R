# The missing-indicator method for the covariates of estimate_effect()
# (missing = "indicator").

#' Missing-indicator coding of covariates
#'
#' Recodes covariates with missing values so that every row can be kept in
#' the propensity (and outcome) model: a numeric column `x` with missing
#' values gets a 0/1 column `x_missing` (1 where `x` was missing) and its
#' missing values are set to the observed mean of `x` (any constant spans
#' the same model once the indicator is in it; the mean keeps transforms such
#' as `log(x)` defined); a factor, character or logical column gets the level
#' `"Missing"`. [estimate_effect()] with `missing = "indicator"` does this
#' and adds the `x_missing` terms to the covariate formulas.
#'
#' The method gives unbiased effect estimates only under strong assumptions
#' (for example that the covariate is a confounder only where it is
#' observed); with data missing at random multiple imputation is preferred
#' (Groenwold et al. 2012; Blake et al. 2020, for propensity scores).
#'
#' @param data A data frame.
#' @param columns Columns to recode: bare names, strings, `c(...)` or a
#'   one-sided formula; by default all columns with missing values.
#' @returns `data` with the recoded columns and the indicator columns after
#'   them; attribute `"missing_indicators"` names the indicator columns and
#'   `"missing_levels"` the columns that got a `"Missing"` level.
#' @references Groenwold RHH, White IR, Donders ART, Carpenter JR, Altman DG,
#'   Moons KGM (2012). Missing covariate data in clinical research: when and
#'   when not to use the missing-indicator method for analysis. *CMAJ* 184,
#'   1265-1269. Blake HA, Leyrat C, Mansfield KE, et al. (2020). Propensity
#'   scores using missingness pattern information: a practical guide.
#'   *Statistics in Medicine* 39, 1641-1657.
#' @examples
#' d <- data.frame(age = c(25, NA, 31), eth = factor(c("A", NA, "B")))
#' missing_indicator(d)
#' @export
missing_indicator <- function(data, columns = NULL) {
  check_data_frame(data)
  cq <- rlang::enquo(columns)
  columns <- if (rlang::quo_is_null(cq)) names(data)[vapply(data, anyNA, TRUE)] else
    resolve_columns(data, cq, "columns")
  ind <- character()
  lev <- character()
  for (v in columns) {
    x <- data[[v]]
    na <- is.na(x)
    if (!any(na)) next
    if (is.numeric(x)) {
      nm <- paste0(v, "_missing")
      if (nm %in% names(data)) {
        cli::cli_abort(c("The missing indicator of {.field {v}} would overwrite column {.field {nm}}.",
                         "i" = "Rename that column first."))
      }
      if (all(na)) cli::cli_abort("Covariate {.field {v}} is missing in every row.")
      x[na] <- mean(x[!na])
      data[[v]] <- x
      pos <- match(v, names(data))
      data[[nm]] <- as.integer(na)
      data <- data[append(setdiff(names(data), nm), nm, after = pos)]
      ind <- c(ind, nm)
    } else if (is.factor(x) || is.character(x) || is.logical(x)) {
      if (is.logical(x)) x <- factor(x, levels = c(FALSE, TRUE))
      if (is.factor(x)) {
        if ("Missing" %in% levels(x)) {
          cli::cli_abort("Covariate {.field {v}} already has a level {.val Missing}.")
        }
        levels(x) <- c(levels(x), "Missing")
      }
      x[na] <- "Missing"
      data[[v]] <- x
      lev <- c(lev, v)
    } else {
      cli::cli_abort("Covariate {.field {v}} must be numeric, factor, character or logical for the missing-indicator method.")
    }
  }
  attr(data, "missing_indicators") <- ind
  attr(data, "missing_levels") <- lev
  data
}

# estimate_effect(missing = "indicator"): recode the covariates of both
# specifications and add the indicator terms to each formula whose
# variables have them.
missing_indicator_specs <- function(data, cspec, ospec, rule, call = rlang::caller_env()) {
  vars <- unique(c(cspec$variables, ospec$variables))
  vars <- vars[vapply(vars, function(v) anyNA(data[[v]]), TRUE)]
  keep <- attributes(data)[setdiff(names(attributes(data)), c("names", "row.names", "class"))]
  out <- missing_indicator(data, !!vars)
  ind <- attr(out, "missing_indicators")
  for (a in names(keep)) attr(out, a) <- keep[[a]]
  add <- function(spec, arg) {
    if (is.null(spec)) return(NULL)
    new <- ind[sub("_missing$", "", ind) %in% spec$variables]
    if (!length(new)) return(spec)
    f <- stats::reformulate(c(spec$labels, paste0("`", new, "`")),
                            env = environment(spec$formula) %||% baseenv())
    spec_from_formula(out, f, arg, call)
  }
  list(data = out, spec = add(cspec, "covariates"), ospec = add(ospec, "outcome_covariates"),
       indicators = ind)
}
