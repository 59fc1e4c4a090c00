# Causal effect of a binary treatment (care model) on an outcome:
# input checks, the registry of methods and estimands, and the entry point.

# Which estimands and variance types each method supports. The engine
# (estimators.hpp) fits ipw, gcomp, aipw and tmle, named in the spec list of
# effect_engine_spec(); matching is done in R around match_nearest().
effect_registry <- list(
  ipw = list(label = "Inverse probability weighting (Hajek)",
             estimands = c("ATE", "ATT", "ATC", "ATO"),
             vcov = c("sandwich", "robust", "bootstrap")),
  gcomp = list(label = "G-computation (arm-specific outcome models)",
               estimands = c("ATE", "ATT", "ATC", "ATO"),
               vcov = c("sandwich", "robust", "bootstrap")),
  aipw = list(label = "Augmented IPW (doubly robust)",
              estimands = c("ATE", "ATT", "ATC", "ATO"),
              vcov = c("sandwich", "robust", "bootstrap")),
  tmle = list(label = "Targeted maximum likelihood",
              estimands = "ATE", vcov = c("sandwich", "bootstrap")),
  matching = list(label = "1:k nearest-neighbour matching on the logit PS",
                  estimands = c("ATT", "ATC"), vcov = "robust")
)

effect_estimands <- c("ATE", "ATT", "ATC", "ATO")

#' Estimate the causal effect of a care model
#'
#' One entry point for inverse probability weighting, g-computation,
#' augmented IPW, TMLE and nearest-neighbour matching, for a binary
#' treatment (for example personalised care plan `pcsp` or continuity of
#' carer `coc_placed`) and a binary or continuous outcome.
#'
#' The propensity score is a logistic regression fitted by IRLS with
#' [stats::glm.fit()]'s convergence rule; outcome models are fitted
#' separately in each arm (logistic for a binary outcome, linear for a
#' continuous one). Weights follow WeightIt's conventions and estimates are
#' Hajek (weights normalised within arm); AIPW is PSweight's augmented
#' weighting estimator. Variances: `"sandwich"` stacks the propensity and
#' outcome-model score equations with the effect equations (M-estimation,
#' accounting for the estimated propensity score; for TMLE the influence
#' function); `"robust"` treats the weights as known; `"bootstrap"` resamples
#' units (or clusters) and refits every model in each replicate; a replicate
#' that cannot be fitted is left out, and one warning (class
#' `matequity_bootstrap_failures`) says how many and why (the engine's
#' reason for each, such as an arm with no rows in the replicate). With
#' `cluster`, influence functions are summed within clusters (factor
#' G/(G-1)). See `vignette("causal-methods", package = "matequity")` for the formulas.
#'
#' Not every method defines every estimand: TMLE is implemented for the ATE,
#' matching for the ATT and ATC (matched-set clustered variance). Asking for
#' another combination is an error.
#'
#' @param data A data frame, one row per pregnancy.
#' @param treatment The treatment column (bare name or string): logical, 0/1,
#'   or a factor with two levels (the second is "treated"). A factor,
#'   character or whole-number column with more than two values (for example
#'   the four care models none / personalised plan only / CoC only / both) is
#'   a multi-category treatment: the generalised propensity scores are a
#'   multinomial logistic regression (Newton-Raphson, baseline-category
#'   logits), the weights WeightIt's (ATE `1 / e_A`, ATT `e_focal / e_A`),
#'   and `method = "ipw"` (Hajek) or `"aipw"` (PSweight's multi-group
#'   augmented weighting estimator, outcome models fitted within each
#'   level) give the mean outcome under each level and every pairwise
#'   contrast, with M-estimation sandwich variances of the stacked
#'   multinomial, outcome-model and mean equations. [tidy()] then has columns
#'   `level` and `reference` (the contrast is `level` vs `reference`), and
#'   [glance()] the size `n_<level>` and effective sample size `ess_<level>`
#'   of each level.
#' @param outcome The outcome column: logical or 0/1 (binary) or numeric
#'   (continuous).
#' @param covariates Covariates of the propensity model: a one-sided formula
#'   (`~ age_band + imd_quintile`), `c(a, b)` or a character vector. A
#'   formula means what it means in [stats::glm()]: it goes through
#'   [stats::model.frame()] and [stats::model.matrix()], so `factor(year)`,
#'   `I(age^2)`, `log(x)`, interactions (`a:b`, `a * b`) and splines
#'   (`splines::ns(age, df = 3)`) are terms of the model; factors and
#'   characters are expanded into dummies (the first level the reference).
#'   The intercept is always in the model. Names of the design columns are
#'   those of `model.matrix()`.
#' @param estimand `"ATE"`, `"ATT"`, `"ATC"` or `"ATO"` (overlap).
#' @param method `"ipw"`, `"gcomp"`, `"aipw"`, `"tmle"` or `"matching"`.
#' @param by Optional column, or several (`c(a, b)`, a character vector or a
#'   one-sided formula): the effect is estimated within each of its groups
#'   (with several columns, each combination that occurs, labelled `"x / y"`),
#'   with a Wald test of equal effects across groups. A subgroup whose effect
#'   cannot be estimated (for example no events in an arm) gets `NA`
#'   estimates and the reason in the `note` column of [tidy()], with a
#'   warning; the other subgroups are estimated.
#'   Each group's models are the formulas fitted on its rows, as a separate
#'   fit would have them (spline and polynomial bases of its own rows; a
#'   factor level the group lacks is an aliased column).
#' @param cluster Optional column of clusters (for example provider) for
#'   cluster-robust variances and the cluster bootstrap.
#' @param vcov `"sandwich"`, `"robust"` or `"bootstrap"`. Left unset, the first the
#'   method supports: the M-estimation sandwich, or for matching the robust
#'   variance clustered on matched sets.
#' @param reps Number of bootstrap replicates.
#' @param R Deprecated: use `reps`.
#' @param seed Bootstrap seed (a whole number); `NULL` draws one from R's
#'   random number generator.
#' @param conf_level Confidence level.
#' @param trim Optional propensity trimming threshold t: units with a score
#'   outside \[t, 1 - t\] are dropped and the models refitted on the rest
#'   (as PSweight does).
#' @param truncate Optional weight truncation, as WeightIt's `trim(at =
#'   truncate)` on the same weights: the weights above their `truncate`
#'   quantile are set to it. The quantile is of type 3 (`quantile(type =
#'   3)`, the nearest even order statistic) and one cap is taken from the
#'   weights of every arm but the focal one pooled: both arms for the ATE and
#'   ATO, the controls for the ATT, the treated for the ATC (the focal arm's
#'   weights are all 1 and stay so). A value below 0.5 is read as
#'   `1 - truncate` (`0.01` truncates at the 99th percentile); `0` and `1`
#'   truncate nothing. Truncated weights are treated as fixed in the
#'   sandwich variance; bootstrap replicates recompute the cap.
#' @param outcome_covariates Covariates of the outcome models, given as
#'   `covariates` is (default: the same as `covariates`; `NULL`: intercept
#'   only).
#' @param missing `"error"` (default) stops when a variable used has missing
#'   values; `"complete_case"` drops those rows and reports how many;
#'   `"indicator"` keeps them with the missing-indicator method for the
#'   covariates (see [missing_indicator()]): a numeric covariate with missing
#'   values gets a 0/1 term `<name>_missing` and its missing values are set
#'   to its observed mean; a factor, character or logical one gets a level
#'   `"Missing"`. Missing values of the treatment, outcome, `by` or `cluster`
#'   are still an error. For data missing at random, multiple imputation
#'   (give `data` as a `mice::mids` object or a list of completed data sets)
#'   is the principled alternative: each contrast is then pooled by Rubin's
#'   rules (see [mq_effect_mi-methods]).
#' @param k,replace,caliper Matching options passed to the matcher: number of
#'   controls per treated unit, with or without replacement, caliper in SDs of
#'   the logit score.
#' @param reference Multi-category treatment only: the level every other
#'   level is compared with first (default: the first level).
#' @param focal Multi-category treatment with `estimand = "ATT"`: the focal
#'   level (the ATT is the effect in the population of its units).
#' @param nthreads Number of threads.
#' @param disclosure Disclosure rule of the fit (`NULL`: the
#'   `matequity.disclosure` option, read when the fit is made): it governs
#'   the counts that `glance()`, `nobs()`, `print()`, `summary()`,
#'   `autoplot()` and `balance()` release, the model check in `glance()`, and
#'   the counts in this function's messages, warnings and errors. Use
#'   `"none"` for exact counts inside the SDE.
#' @returns An object of class `mq_effect`, with [tidy()] (columns `group`
#'   when `by` is given, `term`, `estimate`, `std.error`, `statistic`,
#'   `p.value`, `conf.low`, `conf.high`, `scale`), [glance()], `summary()`,
#'   `coef()`, `vcov()`, `nobs()` and `autoplot()` methods. `std.error` of a
#'   ratio term is on the log scale (`scale == "log"`); its estimate and
#'   interval are on the ratio scale. The object also holds, one copy each,
#'   the per-unit vectors `treat`, `ps` and `weights`, `by` (each unit's
#'   group, a factor) and `covariates` (the data columns the formulas use,
#'   for `balance()`; the data's own vectors when every row is analysed),
#'   and `covariate_spec` / `outcome_covariate_spec`: the formulas with their
#'   terms, factor levels and contrasts, from which `balance()` rebuilds the
#'   design. The fit keeps no design matrix, model frame, influence
#'   functions or outcome predictions: each element of `groups` holds the
#'   group's estimates, variances, named model coefficients (their names are
#'   the design's columns, `p` its width), bootstrap replicates and the
#'   counts its disclosure check rests on (`sample`), taken when the fit is
#'   made. Its size grows with n by a few vectors, not with the number of
#'   design columns.
#' @examples
#' set.seed(1)
#' n <- 2000
#' d <- data.frame(age = rnorm(n, 30, 5), imd = sample(1:5, n, TRUE))
#' d$pcsp <- rbinom(n, 1, plogis(-1 + 0.05 * (d$age - 30) + 0.2 * d$imd))
#' d$preterm <- rbinom(n, 1, plogis(-2.5 - 0.3 * d$pcsp + 0.1 * d$imd))
#' fit <- estimate_effect(d, pcsp, preterm, ~ age + imd, method = "aipw")
#' fit
#' tidy(fit)
#' glance(fit)
#' @export
estimate_effect <- function(data, treatment, outcome, covariates,
                            estimand = "ATE", method = "aipw", by = NULL,
                            cluster = NULL,
                            vcov = c("sandwich", "robust", "bootstrap"),
                            reps = 999, seed = NULL, conf_level = 0.95,
                            trim = NULL, truncate = NULL,
                            outcome_covariates = covariates,
                            missing = c("error", "complete_case", "indicator"),
                            k = 1, replace = FALSE, caliper = NULL,
                            reference = NULL, focal = NULL,
                            nthreads = matequity_threads(), disclosure = NULL,
                            R = NULL) {
  if (deprecated_arg(R, missing(reps), "R", "reps", "estimate_effect")) reps <- R
  call <- current_call(match.call(), c(R = "reps"))
  # multiply imputed data: a fit per imputation, pooled (R/imputed_effect.R)
  if (is_imputed(data)) return(effect_mi(data, call, parent.frame()))
  check_data_frame(data)
  rule <- resolve_disclosure(disclosure)
  trt <- resolve_column(data, rlang::enquo(treatment), "treatment")
  out <- resolve_column(data, rlang::enquo(outcome), "outcome")
  cspec <- covariate_spec(data, rlang::enquo(covariates), "covariates")
  oc_quo <- rlang::enquo(outcome_covariates)
  same_oc <- identical(rlang::quo_get_expr(oc_quo), quote(covariates))
  ospec <- if (same_oc) cspec else covariate_spec(data, oc_quo, "outcome_covariates")
  covs <- cspec$variables
  ocovs <- ospec$variables
  by_col <- resolve_columns(data, rlang::enquo(by), "by")
  if (length(by_col) == 0L) by_col <- NULL
  cl_col <- resolve_column(data, rlang::enquo(cluster), "cluster", required = FALSE)
  check_string(estimand)
  check_string(method)
  estimand <- toupper(estimand)
  method <- tolower(method)
  vcov_default <- base::missing(vcov)
  vcov <- rlang::arg_match(vcov)
  # without an explicit choice, each method uses the first variance its
  # registry entry lists (matching: robust, on the matched sets)
  if (vcov_default && method %in% names(effect_registry)) {
    vcov <- effect_registry[[method]]$vcov[1]
  }
  missing <- rlang::arg_match(missing)
  nthreads <- resolve_threads(nthreads)
  # a treatment with more than two levels: multinomial propensity scores
  # (effect_multi.R)
  if (is_multi_treatment(data[[trt]])) {
    return(estimate_effect_multi(data, trt, out, cspec, ospec, same_oc, by_col, cl_col, estimand,
                                 method, vcov, vcov_default, conf_level, trim, truncate, missing,
                                 reference, focal, rule, nthreads, call, rlang::current_env()))
  }
  if (!is.null(reference) || !is.null(focal)) {
    cli::cli_abort("{.arg reference} and {.arg focal} are used with a multi-category treatment only.")
  }
  spec <- check_registry(method, estimand, vcov)
  check_number(conf_level, 0, 1)
  if (conf_level <= 0 || conf_level >= 1)
    cli::cli_abort("{.arg conf_level} must be strictly between 0 and 1.")
  if (!is.null(trim)) check_number(trim, 0, 0.5)
  if (!is.null(truncate)) check_number(truncate, 0, 1)
  if (vcov == "bootstrap") {
    check_number(reps, 2, 1e7)
    seed <- seed %||% sample.int(.Machine$integer.max, 1L)
    check_number(seed, 0, 2^52)
  }
  if (is.null(cspec) || !length(cspec$labels))
    cli::cli_abort("{.arg covariates} must name at least one column.")
  if (trt %in% c(covs, ocovs) || out %in% c(covs, ocovs))
    cli::cli_abort("The treatment and outcome cannot also be covariates.")

  indicators <- character()
  if (missing == "indicator") {
    mi <- missing_indicator_specs(data, cspec, if (same_oc) NULL else ospec, rule)
    data <- mi$data
    cspec <- mi$spec
    if (same_oc) ospec <- cspec else ospec <- mi$ospec
    covs <- cspec$variables
    ocovs <- ospec$variables
    indicators <- mi$indicators
    missing <- "error"
  }
  used <- unique(c(trt, out, covs, ocovs, by_col, cl_col))
  mis <- handle_missing(data, used, missing, rule)
  data <- mis$data
  a <- treatment_vector(data[[trt]], trt, rule)
  yinfo <- outcome_vector(data[[out]], out, rule)
  sub <- subgroups(data, by_col)
  glev <- sub$levels
  groups <- if (is.null(by_col)) NULL else sub$code
  cl <- if (is.null(cl_col)) NULL else group_codes(data[[cl_col]])
  # the designs: formula terms through model.frame()/model.matrix(), the
  # coding (levels, spline knots) kept with the fit for balance()
  des <- effect_designs(cspec, ospec, same_oc, data, rule)
  X <- des$X
  Z <- des$Z
  cspec <- des$cspec
  ospec <- des$ospec
  group_design <- subgroup_design(data, rule, grouped = !is.null(groups))
  opts <- list(engine = effect_engine_spec(method, estimand, yinfo$binary, vcov, nthreads,
                                           truncate = truncate,
                                           seed = if (vcov == "bootstrap") seed),
               vcov = vcov, reps = reps, trim = trim, k = k, replace = replace,
               caliper = caliper)
  fits <- vector("list", length(glev))
  names(fits) <- glev
  group_rows <- fits
  top <- rlang::current_env()
  for (gi in seq_along(glev)) {
    rows <- if (is.null(by_col)) seq_len(nrow(data)) else which(sub$code == gi)
    group_rows[[gi]] <- rows
    where <- if (is.null(by_col)) NULL else sub$where[gi]
    fit_group <- function() fit_one_group(
      group_design(cspec, X, rows, "covariates"),
      group_design(ospec, Z, rows, "outcome_covariates"),
      a[rows], yinfo$y[rows], if (is.null(cl)) NULL else cl[rows], opts, where,
      rule = rule, call = top)
    # Without `by` a failure is the fit's; with `by` it is the subgroup's: its
    # row is NA with the reason, and the other subgroups are estimated.
    fits[[gi]] <- if (is.null(by_col)) fit_group() else tryCatch(fit_group(), error = function(e) {
      why <- condition_text(e)
      cli::cli_warn(c("The effect could not be estimated in subgroup {where}; its estimates are NA.",
                      "x" = "{why}"), call = top)
      failed_group(a[rows], yinfo$y[rows], ncol(X), yinfo$binary, why)
    })
  }
  rm(X, Z, des)
  res <- assemble_effect(fits, glev, by_col, yinfo$binary, conf_level)
  units <- effect_units(fits, group_rows, glev, by_col, data, covs)
  structure(c(res, units$top, list(
    call = call, method = method, method_label = spec$label, estimand = estimand,
    vcov_type = vcov, treatment = trt, outcome = out, covariate_names = covs,
    outcome_covariate_names = ocovs, covariate_spec = cspec, outcome_covariate_spec = ospec,
    outcome_type = if (yinfo$binary) "binary" else "continuous",
    by_name = by_col, cluster_name = cl_col, conf_level = conf_level, reps = if (vcov == "bootstrap") reps,
    seed = if (vcov == "bootstrap") seed, n_missing_dropped = mis$n_dropped,
    missing_by_variable = mis$counts, missing_indicators = indicators, trim = trim, truncate = truncate,
    disclosure = rule, groups = units$groups)), class = "mq_effect")
}

# The per-unit vectors of a fit, one copy each at its top level: the
# groups' treatment, propensity scores and weights concatenated in group
# order, the group of each unit (`by`, a factor; NULL without `by`), and the
# covariate columns of those units for balance() (`covariates`: the data's
# columns the formulas use, not the design; the same vectors as the data's
# when every row is analysed, so no copy is made). The groups keep no
# per-unit vectors but their matched sets. `rows` holds each group's rows
# of `data`; the units of a failed group are left out.
effect_units <- function(fits, rows, glev, by_col, data, covs) {
  units <- lapply(fits, `[[`, "units")
  cat_vec <- function(name) unlist(lapply(units, `[[`, name), use.names = FALSE)
  idx <- unlist(Map(function(r, u) r[u$keep], rows, units), use.names = FALSE)
  all_rows <- length(idx) == nrow(data) && identical(idx, seq_len(nrow(data)))
  # a plain data frame of the columns (any data frame class; with every row
  # analysed, the data's own vectors)
  cols <- unclass(data)[covs]
  if (!all_rows) cols <- lapply(cols, `[`, idx)
  covdf <- list2DF(cols, nrow = length(idx))
  sizes <- vapply(units, function(u) length(u$treat), 0L)
  groups <- lapply(fits, function(f) {
    f$units <- NULL
    f
  })
  list(top = list(treat = cat_vec("treat"), ps = cat_vec("ps"), weights = cat_vec("weights"),
                  covariates = covdf,
                  by = if (is.null(by_col)) NULL else factor(rep(glev, sizes), levels = glev)),
       groups = groups, sizes = sizes)
}

check_registry <- function(method, estimand, vcov, call = rlang::caller_env()) {
  if (!method %in% names(effect_registry)) {
    cli::cli_abort(c("{.arg method} must be one of {.val {names(effect_registry)}}.",
                     "x" = "It is {.val {method}}."), call = call)
  }
  if (!estimand %in% effect_estimands) {
    cli::cli_abort(c("{.arg estimand} must be one of {.val {effect_estimands}}.",
                     "x" = "It is {.val {estimand}}."), call = call)
  }
  spec <- effect_registry[[method]]
  if (!estimand %in% spec$estimands) {
    cli::cli_abort(c("The {.val {estimand}} is not defined for {.arg method} = {.val {method}}.",
                     "i" = "{spec$label} supports: {.val {spec$estimands}}."), call = call)
  }
  if (!vcov %in% spec$vcov) {
    cli::cli_abort(c("{.arg vcov} = {.val {vcov}} is not available for {.arg method} = {.val {method}}.",
                     "i" = "Available: {.val {spec$vcov}}."), call = call)
  }
  spec
}

handle_missing <- function(data, used, missing, rule = NULL, call = rlang::caller_env()) {
  counts <- vapply(used, function(v) sum(is.na(data[[v]])), 0L)
  bad <- counts[counts > 0L]
  if (length(bad) == 0L) return(list(data = data, n_dropped = 0L, counts = counts))
  drop <- !stats::complete.cases(data[used])
  if (missing == "error") {
    nd <- sum(drop)
    cli::cli_abort(c(
      "{released_count(nd, rule)} row{cli::qty(released_qty(nd, rule))}{?s} of {.arg data} {?has/have} missing values in the variables used.",
      stats::setNames(paste0(names(bad), ": ", released_count(bad, rule), " missing"),
                      rep("x", length(bad))),
      "i" = "Use {.code missing = \"complete_case\"} to analyse the complete rows (reported in {.fn glance}).",
      exact_note(rule)),
      call = call)
  }
  list(data = data[!drop, , drop = FALSE], n_dropped = sum(drop), counts = counts)
}

treatment_vector <- function(x, name, rule = NULL, call = rlang::caller_env()) {
  vals <- unique(x)
  a <- if (is.logical(x)) {
    as.integer(x)
  } else if (is.numeric(x) && all(vals %in% c(0, 1))) {
    as.integer(x)
  } else if (is.factor(x) && nlevels(droplevels(x)) == 2L) {
    as.integer(droplevels(x)) - 1L
  } else {
    cli::cli_abort(c("Treatment {.field {name}} must be binary (logical, 0/1, or a two-level factor).",
                     "x" = "It has {length(vals)} distinct value{?s}: {example_values(vals)}."),
                   call = call)
  }
  tab <- tabulate(a + 1L, 2L)
  if (any(tab == 0L)) {
    cli::cli_abort(c("Treatment {.field {name}} does not vary.",
                     "x" = "{released_count(tab[2], rule)} treated and {released_count(tab[1], rule)} control row{cli::qty(released_qty(tab[1], rule))}{?s}.",
                     exact_note(rule)), call = call)
  }
  a
}

outcome_vector <- function(x, name, rule = NULL, call = rlang::caller_env()) {
  if (is.logical(x)) return(list(y = as.numeric(x), binary = TRUE))
  if (is.numeric(x)) {
    if (any(!is.finite(x))) {
      nf <- sum(!is.finite(x))
      cli::cli_abort(c("Outcome {.field {name}} has {released_count(nf, rule)} non-finite value{cli::qty(released_qty(nf, rule))}{?s}.",
                       exact_note(rule)), call = call)
    }
    return(list(y = as.numeric(x), binary = all(x %in% c(0, 1))))
  }
  cli::cli_abort(c("Outcome {.field {name}} must be logical, 0/1 or numeric.",
                   "x" = "It is {.obj_type_friendly {x}}: {example_values(x)}."), call = call)
}

check_covariates <- function(data, covs, call = rlang::caller_env()) {
  single <- covs[vapply(covs, function(v) {
    x <- data[[v]]
    (is.factor(x) || is.character(x) || is.logical(x)) && length(unique(x)) < 2L
  }, TRUE)]
  if (length(single)) {
    cli::cli_abort(c("{length(single)} categorical covariate{?s} {?has/have} a single level.",
                     "x" = paste0(single, ": ", vapply(single, function(v) example_values(data[[v]]), ""), collapse = "; "),
                     "i" = "Drop {cli::qty(length(single))}{?it/them} from {.arg covariates}."), call = call)
  }
  bad <- covs[!vapply(covs, function(v) {
    x <- data[[v]]
    is.numeric(x) || is.factor(x) || is.character(x) || is.logical(x)
  }, TRUE)]
  if (length(bad)) {
    cli::cli_abort("Covariate{?s} {.field {bad}} must be numeric, logical, factor or character.",
                   call = call)
  }
  invisible(TRUE)
}

# The subgroups of `by` (NULL: one group "all"): with one column its levels
# (factor levels present, else sorted values); with several, the combinations
# that occur, ordered by the first column, then the second, ..., labelled
# "x / y". Returns levels, each row's group code and the "a = x, b = y" text
# used in messages.
subgroups <- function(data, by_cols, call = rlang::caller_env()) {
  if (is.null(by_cols)) return(list(levels = "all", code = rep(1L, nrow(data)), where = NULL))
  codes <- lapply(by_cols, function(v) {
    x <- data[[v]]
    if (is.factor(x) && any(table(x) == 0L)) {
      empty <- levels(x)[table(x) == 0L]
      cli::cli_warn(c("{length(empty)} level{?s} of {.field {v}} {?has/have} no rows and {?is/are} left out.",
                      "i" = "Empty: {.val {empty}}."), call = call)
    }
    lev <- if (is.factor(x)) levels(droplevels(x)) else as.character(sort(unique(x)))
    list(code = match(as.character(x), lev), levels = lev)
  })
  key <- do.call(cbind, lapply(codes, `[[`, "code"))
  combos <- unique(key)
  combos <- combos[do.call(order, as.data.frame(combos)), , drop = FALSE]
  lab <- function(sep, named) {
    parts <- lapply(seq_along(by_cols), function(v) {
      val <- codes[[v]]$levels[combos[, v]]
      if (named) paste0(by_cols[v], " = ", val) else val
    })
    do.call(paste, c(parts, sep = sep))
  }
  code <- match(do.call(paste, c(as.data.frame(key), sep = "\r")),
                do.call(paste, c(as.data.frame(combos), sep = "\r")))
  list(levels = lab(" / ", FALSE), code = code, where = lab(", ", TRUE))
}

# An error's message on one line, for a table's note: headline and bullets
# (the counts in them are those the fit's rule releases), without styling.
condition_text <- function(e) {
  lines <- trimws(strsplit(cli::ansi_strip(conditionMessage(e)), "\n", fixed = TRUE)[[1]])
  lines <- sub("^(\u2716|\u2139|\u2714|\u2022|!|x|i|\\*|v) ", "", lines)
  paste(lines[nzchar(lines)], collapse = " ")
}

# A subgroup whose fit failed: its sizes, NA estimates and the reason (the
# note of its rows in tidy()); it has no units in the fit.
failed_group <- function(a, y, p, binary, why) {
  list(mu = c(treated = NA_real_, control = NA_real_), V = matrix(NA_real_, 2L, 2L),
       boot = NULL, n = length(a), n_treated = sum(a == 1L), n_control = sum(a == 0L),
       ess_treated = NA_real_, ess_control = NA_real_, n_trimmed = NA_integer_,
       n_truncated = NA_integer_, converged = NA, iterations = NA_integer_,
       n_clusters = NA_integer_, p = p, ps_model = NULL, outcome_model = NULL, matched = NULL,
       sample = sample_counts(integer(), numeric(), numeric(), binary),
       units = list(treat = integer(), ps = numeric(), weights = numeric(), keep = logical()),
       failed = why)
}

design_matrix <- function(data, covs) {
  df <- data[covs]
  for (v in covs) if (is.character(df[[v]])) df[[v]] <- factor(df[[v]])
  X <- stats::model.matrix(stats::reformulate(paste0("`", covs, "`")), df)
  attr(X, "assign") <- NULL
  attr(X, "contrasts") <- NULL
  storage.mode(X) <- "double"
  X
}
