# Counterfactual disparity scenarios for a care model: the disparity that
# would remain with the care model distributed as in the reference group
# (Jackson 2021), with everyone or no one on it, with uptake raised to a
# target in CORE20PLUS groups, and the Yu and Elwert (2025) decomposition.
# The numerical work is in inst/include/matequity/scenarios.hpp; the
# contrasts, intervals and the table are made here.

#' Counterfactual disparity scenarios for a care model
#'
#' For each group `g` against the reference group `r`, among the women
#' eligible for `outcome` whose care model is known, estimates the observed
#' disparity and the disparity under counterfactual distributions of the care
#' model `A`:
#'
#' * `"observed"`: `D = P(Y=1 | g) - P(Y=1 | r)` (and the ratio).
#' * `"equalised"` (Jackson and VanderWeele 2018; Jackson 2021): `A` drawn in
#'   group `g` from the reference group's uptake given the allowable
#'   covariates, `P(A=1 | allowable, r)`, with the other covariates as they are
#'   in `g`. Term `"residual"` = `E[Y(A ~ r) | g] - P(Y=1 | r)` (the disparity
#'   remaining; also as a ratio) and `"reduction"` = `D - residual`.
#' * `"universal"`: everyone on the care model (scenario `"universal_on"`,
#'   `E[Y^1 | g] - E[Y^1 | r]`) and no one (`"universal_off"`, `E[Y^0]`).
#' * `"target"`: a stochastic intervention raising uptake in each targeted
#'   group to `target_uptake`: in a targeted group with uptake `p < t`, each
#'   woman not on the care model is placed on it with probability
#'   `(t - p) / (1 - p)` (women already on it stay), so that
#'   `E[Y | g] = P(Y=1 | g) + (t - p) ATC_g` with `ATC_g` the effect among
#'   the women not on it; groups with `p >= t` and groups not targeted are
#'   unchanged (their observed risk).
#' * `"decomposition"` (Yu and Elwert 2025, the cdgd package's unconditional
#'   decomposition with `g` as its group 1 and `r` as group 0):
#'   `D = baseline + prevalence + effect + selection` with baseline
#'   `E[Y^0|g] - E[Y^0|r]`, prevalence `(P(A|g) - P(A|r)) ATE_r`, effect
#'   `P(A|g) (ATE_g - ATE_r)` and selection the rest, `Cov_g(A, Y^1 - Y^0) -
#'   Cov_r(A, Y^1 - Y^0)`.
#'
#' `method = "gcomp"` fits logistic outcome models separately in each group
#' and arm (`Y ~ allowable + covariates`, fitted by the engine's IRLS) and
#' averages their predictions; the uptake model `P(A=1 | allowable)` is a
#' logistic regression in the reference group. `method = "weighting"` uses
#' Hajek inverse probability weights from a propensity model fitted in each
#' group (`A ~ allowable + covariates`); the equalised scenario uses the
#' ratio-of-mediator-probability weights `P(A=a | allowable, r) / P(A=a |
#' allowable, covariates, g)`. With categorical covariates whose
#' combinations all occur, both models are saturated and the two methods give
#' the nonparametric g-formula.
#'
#' Intervals: `vcov = "sandwich"` stacks the models' score equations with
#' the estimators (M-estimation sandwich; the covariance between groups
#' through the reference group's uptake model is kept), delta method for the
#' contrasts, Wald intervals (ratios on the log scale). `vcov = "bootstrap"`
#' resamples the whole eligible cohort `reps` times and refits every model
#' (seeded; the same replicates for any number of threads), percentile
#' intervals. Rows with identical values of every variable used are
#' collapsed into one weighted row first, which gives the same answers faster.
#'
#' Empty cells: each scenario predicts, for the women of a group, from a
#' model fitted on part of the data (the outcome model of one arm of the care
#' model within the group, or the reference group's uptake model; for
#' weighting, the weights of one arm). When a cell of the categorical
#' covariates (the combination of their values) has women in the group but
#' none in that model's data, the prediction there is an extrapolation: the
#' estimates that rest on it keep their value with a `note` saying so
#' (`extrapolated` in [glance()]); when a level of a covariate is missing from
#' the model's data altogether its effect is not identified, and those
#' estimates are `NA` with the reason (`estimated = FALSE`). Either way a
#' warning names the models and covariates. Numeric covariates are not
#' checked.
#'
#' @param data A cohort (one row per pregnancy) with the outcome, its
#'   `<outcome>_eligible` column, the group and the care model.
#' @param outcome The outcome column (logical or 0/1).
#' @param group The group column (e.g. `core20plus_group`, `ethnic_group`).
#' @param treatment The care-model column (logical or 0/1, e.g.
#'   `coc_placed`, `pcsp`); rows where it is missing are left out (counted).
#' @param reference The reference group. Defaults to `"Neither"` when the
#'   group has that level (`core20plus_group`), else the first level.
#' @param allowable Allowable covariates (differences by them are not counted
#'   as unfair): a one-sided formula, `c(a, b)` or a character vector. A
#'   formula's terms (`factor()`, `I()`, interactions, splines) are those of
#'   the models, through [stats::model.matrix()].
#' @param covariates Other confounders of the care model and the outcome.
#' @param scenarios Any of `"equalised"`, `"universal"`, `"target"` and
#'   `"decomposition"`; `"observed"` is always given.
#' @param target_uptake The uptake `t` reached in targeted groups (0.75 is the
#'   CORE20PLUS5 continuity-of-carer ambition).
#' @param target_groups Groups whose uptake is raised. `NULL`: all levels but
#'   `"Neither"` when there is such a level (the CORE20PLUS groups of
#'   `core20plus_group`), otherwise all groups but the reference.
#' @param method `"gcomp"` or `"weighting"`.
#' @param vcov `"sandwich"` or `"bootstrap"` (`"influence"`, the old name of
#'   `"sandwich"`, is deprecated).
#' @param reps Number of bootstrap replicates.
#' @param cohort,R,care_model Deprecated: use `data`, `reps` and `treatment`.
#' @param seed Bootstrap seed; `NULL` draws one from R's generator.
#' @param conf_level Confidence level.
#' @param nthreads Number of threads (bootstrap replicates run in parallel).
#' @param disclosure Disclosure rule for the counts (`NULL`: the
#'   `matequity.disclosure` option).
#' @param per Multiplier of differences (100 for per cent, 1000 per 1,000).
#'   Defaults to the outcome's multiplier in `attr(cohort, "outcomes")`, else 1
#'   (risks as proportions).
#' @returns A tibble of class `mq_scenarios` (after disclosure control) with
#'   columns `group`, `reference`, `scenario` (`"observed"`, `"equalised"`,
#'   `"universal_on"`, `"universal_off"`, `"target"`, `"decomposition"`),
#'   `term` (`"disparity"`, `"residual"`, `"reduction"`, `"baseline"`,
#'   `"prevalence"`, `"effect"`, `"selection"`), `measure` (`"difference"` or
#'   `"ratio"`), `estimate`, `std.error` (of the log ratio for ratios,
#'   `se_scale = "log"`), `se_scale`, `statistic`, `p.value`, `conf.low`,
#'   `conf.high`, `risk` and `ref_risk` (the two risks compared, per `per`;
#'   `NA` for reduction and decomposition terms), `n`, `events` (eligible
#'   women and events in the group), `ref_n`, `ref_events`, `per` and `note`
#'   (why an estimate is missing, or that it is a model-based extrapolation;
#'   see Empty cells). [glance()] gives one row per group with
#'   uptake and model diagnostics; [tidy()] the table; `autoplot()` a forest
#'   plot.
#' @references Jackson JW, VanderWeele TJ (2018). Decomposition analysis to
#'   identify intervention targets for reducing disparities. Epidemiology
#'   29:825-835. Jackson JW (2021). Meaningful causal decompositions in health
#'   equity research. Epidemiology 32:282-290. Yu A, Elwert F (2025).
#'   Nonparametric causal decomposition of group disparities. Annals of
#'   Applied Statistics 19:821-845.
#' @examples
#' set.seed(1)
#' n <- 4000
#' d <- data.frame(grp = sample(c("Neither", "Core20"), n, TRUE),
#'                 age = round(runif(n, 18, 42)), parity = rpois(n, 0.8))
#' d$coc <- runif(n) < plogis(-1 + 0.8 * (d$grp == "Core20"))
#' d$preterm <- runif(n) < plogis(-2.6 + 0.4 * (d$grp == "Core20") - 0.3 * d$coc)
#' d$preterm_eligible <- TRUE
#' sc <- disparity_scenarios(d, preterm, grp, coc, per = 100,
#'                           disclosure = "none")
#' sc
#' glance(sc)
#' @export
disparity_scenarios <- function(data, outcome, group, treatment, reference = NULL,
                                allowable = ~ age + parity, covariates = NULL,
                                scenarios = c("equalised", "universal", "target", "decomposition"),
                                target_uptake = 0.75, target_groups = NULL,
                                method = c("gcomp", "weighting"),
                                vcov = c("sandwich", "bootstrap"), reps = 999, seed = NULL,
                                conf_level = 0.95, nthreads = matequity_threads(),
                                disclosure = NULL, per = NULL, cohort = NULL, R = NULL,
                                care_model = NULL) {
  if (deprecated_arg(cohort, missing(data), "cohort", "data", "disparity_scenarios")) data <- cohort
  tq <- rlang::enquo(treatment)
  if (deprecated_column(rlang::enquo(care_model), missing(treatment), "care_model", "treatment",
                        "disparity_scenarios")) {
    tq <- rlang::enquo(care_model)
  }
  if (deprecated_arg(R, missing(reps), "R", "reps", "disparity_scenarios")) reps <- R
  vcov <- deprecated_value(vcov, c(influence = "sandwich"), "vcov", "disparity_scenarios")
  if (is_imputed(data)) {
    call <- current_call(match.call(), c(cohort = "data", R = "reps", care_model = "treatment"), list(vcov = vcov))
    return(disparity_mi("disparity_scenarios", call, "data",
                        imputed_list(data, "data"), parent.frame(), conf_level, disclosure,
                        c("group", "scenario", "term", "measure")))
  }
  check_data_frame(data)
  check_conf_level(conf_level)
  method <- rlang::arg_match(method)
  vcov <- rlang::arg_match(vcov)
  scenarios <- rlang::arg_match(scenarios, c("equalised", "universal", "target", "decomposition"),
                                multiple = TRUE)
  check_number(target_uptake, 0, 1)
  nthreads <- resolve_threads(nthreads)
  if (vcov == "bootstrap") {
    check_number(reps, 2, 1e7)
    reps <- as.integer(reps)
    seed <- seed %||% sample.int(.Machine$integer.max, 1L)
    check_number(seed, 0, 2^52)
  }
  if (is.null(per) && is.null(attr(data, "outcomes"))) per <- 1
  spec <- outcome_spec(data, rlang::enquo(outcome), rlang::quo(NULL), per)
  group <- resolve_column(data, rlang::enquo(group), "group")
  care <- resolve_column(data, tq, "treatment")
  aspec <- covariate_spec(data, rlang::enquo(allowable), "allowable")
  cspec <- covariate_spec(data, rlang::enquo(covariates), "covariates")
  zspec <- combine_specs(data, aspec, cspec, "covariates")
  allow <- aspec$variables %||% character()
  covs <- setdiff(cspec$variables, allow)
  clash <- intersect(c(allow, covs), c(group, care, spec$outcome, spec$eligible))
  if (length(clash)) {
    cli::cli_abort(c("{.arg allowable} and {.arg covariates} cannot include the group, care model or outcome.",
                     "x" = "Remove {.field {clash}}."))
  }
  prep <- scenario_data(data, spec, group, care, allow, covs, reference, target_groups)
  d <- prep$data
  lev <- prep$levels
  r <- prep$ref
  K <- length(lev)
  counts <- prep$counts
  ok <- prep$ok

  # Designs and collapsing identical rows into weighted patterns.
  # centred and scaled for the engine (scale_design(): the same fitted
  # values, a well-conditioned information matrix with calendar years)
  Z <- scale_design(covariate_design(zspec, d, "covariates")$X)
  L <- scale_design(covariate_design(aspec, d, "allowable")$X)
  use <- ok[prep$g]
  eng <- cumsum(ok)        # engine code of each usable group
  pat <- collapse_rows(cbind(prep$g, prep$a, prep$y, Z, L)[use, , drop = FALSE])
  first <- which(use)[pat$first]
  gp <- eng[prep$g[first]]
  target <- as.integer(lev[ok] %in% prep$target_groups)
  engine <- scenario_engine_spec(sum(ok), eng[r] - 1L, target, target_uptake,
                                 method == "weighting", nthreads,
                                 seed = if (vcov == "bootstrap") seed)
  fit <- tryCatch(
    .cpp_scenarios_fit(Z[first, , drop = FALSE], L[first, , drop = FALSE],
                       as.numeric(prep$a[first]), as.numeric(prep$y[first]), gp - 1L,
                       as.numeric(pat$weight), engine, FALSE),
    error = function(e) {
      cli::cli_abort(c("The scenario models could not be fitted.", "x" = conditionMessage(e),
                       "i" = "Look for covariates that perfectly predict the care model or the outcome within a group; coarsen or drop them."))
    })
  diagnose_scenarios(fit, lev[ok], colnames(Z), colnames(L), method)
  gaps <- scenario_gaps(d, prep, allow, covs, target_uptake)
  boot <- NULL
  if (vcov == "bootstrap") {
    boot <- scenario_bootstrap(Z[first, , drop = FALSE], L[first, , drop = FALSE],
                               as.numeric(prep$a[first]), as.numeric(prep$y[first]), gp - 1L,
                               pat$code, engine, reps)
  }
  table_args <- list(theta = fit$theta, V = fit$vcov, boot = boot, lev = lev, ok = ok, r = r,
                     counts = counts, scenarios = scenarios, per = spec$per,
                     notes = prep$notes, gaps = gaps)
  tab <- do.call(scenario_table, c(table_args, list(conf_level = conf_level)))
  warn_scenario_gaps(tab, gaps, lev)
  out <- release_scenarios(tab, disclosure)
  theta <- matrix(fit$theta, nrow = 6L, dimnames = list(theta_names, lev[ok]))
  attr(out, "scenario_info") <- list(
    outcome = spec$outcome, group = group, care_model = care,
    allowable = aspec$labels %||% character(),
    covariates = setdiff(zspec$labels %||% character(), aspec$labels), reference = lev[r], method = method, vcov = vcov,
    reps = if (vcov == "bootstrap") reps, seed = if (vcov == "bootstrap") seed,
    target_uptake = target_uptake, target_groups = prep$target_groups,
    conf_level = conf_level, per = spec$per, theta = theta, theta_vcov = fit$vcov,
    boot = boot, n_patterns = length(first), exclusions = prep$exclusions,
    glance = scenario_glance(fit, counts, lev, ok, prep, method, vcov, gaps),
    table_args = table_args)
  class(out) <- c("mq_scenarios", class(out))
  out
}

# The table as released: model-based estimates suppressed with the counts,
# 3 significant figures.
release_scenarios <- function(tab, disclosure) {
  apply_disclosure(tab, counts = c("n", "events", "ref_n", "ref_events"),
                   estimates = c("estimate", "std.error", "statistic", "p.value",
                                 "conf.low", "conf.high", "risk", "ref_risk"),
                   complements = list(events = ~ n - events, ref_events = ~ ref_n - ref_events),
                   keys = "per", disclosure = disclosure)
}

theta_names <- c("risk", "uptake", "risk_all_on", "risk_all_off", "risk_equalised", "risk_target")

# Rows used, group levels, reference, counts and which groups the models can
# be fitted in.
scenario_data <- function(cohort, spec, group, care, allow, covs, reference, target_groups,
                          call = rlang::caller_env()) {
  rows <- outcome_rows(cohort, spec, call = call)
  gall <- cohort[[group]]
  lev <- if (is.factor(gall)) levels(gall) else sort(unique(as.character(gall[!is.na(gall)])))
  reference <- reference %||% (if ("Neither" %in% lev) "Neither" else lev[1])
  if (length(reference) != 1L || !as.character(reference) %in% lev) {
    cli::cli_abort(c("{.arg reference} must be one value of {.field {group}}.",
                     "x" = "{.arg reference} is {example_values(reference)}.",
                     "i" = "Values of {.field {group}}: {example_values(lev, 10)}."), call = call)
  }
  reference <- as.character(reference)
  av <- cohort[[care]]
  if (is.numeric(av) && all(av[!is.na(av)] %in% c(0, 1))) av <- av == 1
  if (!is.logical(av)) {
    vals <- unique(av[!is.na(av)])
    cli::cli_abort(c("The care model {.field {care}} must be binary (logical or 0/1).",
                     "x" = "It is {.obj_type_friendly {av}} with {length(vals)} distinct value{?s}: {example_values(vals)}.",
                     "i" = "Recode it to TRUE (on the care model) and FALSE, e.g. {.code {care} == \"Y\"}."),
                   call = call)
  }
  excl <- list(c("eligible for the outcome", sum(rows$use)))
  use <- rows$use
  drop_na <- function(use, x, what) {
    miss <- use & is.na(x)
    if (any(miss)) {
      r <- message_rule(call)
      k <- sum(miss)
      cli::cli_warn(c("{released_count(k, r)} eligible row{cli::qty(released_qty(k, r))}{?s} with missing {what} {cli::qty(released_qty(k, r))}{?is/are} left out.",
                      "i" = if (what == paste0("care model ", care)) "The care model is missing when a woman is not eligible for it or booked before MSDS v2.", exact_note(r)),
                    call = call)
    }
    use & !is.na(x)
  }
  use <- drop_na(use, gall, paste0("group ", group))
  use <- drop_na(use, av, paste0("care model ", care))
  for (v in c(allow, covs)) use <- drop_na(use, cohort[[v]], paste0("covariate ", v))
  n_excl <- sum(rows$use) - sum(use)
  d <- cohort[use, , drop = FALSE]
  check_covariates(d, c(allow, covs), call = call)
  g <- match(as.character(d[[group]]), lev)
  a <- as.integer(av[use])
  y <- rows$y[use]
  K <- length(lev)
  n1 <- tabulate(g[a == 1L], K)
  n0 <- tabulate(g[a == 0L], K)
  e1 <- tabulate(g[a == 1L & y == 1], K)
  e0 <- tabulate(g[a == 0L & y == 1], K)
  counts <- data.frame(group = lev, n = n1 + n0, events = e1 + e0, n_treated = n1,
                       n_control = n0, events_treated = e1, events_control = e0)
  r <- match(reference, lev)
  if (counts$n[r] == 0) {
    cli::cli_abort(c(
      "The reference group {.val {reference}} has no women eligible for {.field {spec$outcome}} with a known {.field {care}}.",
      "i" = "Choose another {.arg reference}; groups with eligible women: {example_values(lev[counts$n > 0], 10)}."
    ), call = call)
  }
  why <- ifelse(counts$n == 0, "no eligible women in group",
         ifelse(n1 == 0 | n0 == 0, "care model does not vary in group",
         ifelse(e1 + e0 == 0, "no events in group",
         ifelse(e1 == 0 | e0 == 0 | e1 == n1 | e0 == n0,
                "no events (or only events) in an arm of the care model in group", NA_character_))))
  if (!is.na(why[r])) {
    cli::cli_abort(c("The counterfactual scenarios cannot be estimated: {why[r]} {.val {reference}} (the reference).",
                     "x" = "On the care model: {n1[r]} women, {e1[r]} event{?s}; not on it: {n0[r]} women, {e0[r]} event{?s}.",
                     "i" = "Choose a larger {.arg reference} group or a more common outcome."), call = call)
  }
  bad <- which(!is.na(why) & counts$n > 0)
  if (length(bad)) {
    cli::cli_warn(c("Counterfactual scenarios are not estimated (NA) for {length(bad)} group{?s}: {.val {lev[bad]}}.",
                    stats::setNames(paste0(lev[bad], ": ", why[bad]), rep("x", length(bad))),
                    "i" = "Only the observed disparity is given for them; merge small groups or choose a more common outcome."),
                  call = call)
  }
  tg <- target_groups %||% (if ("Neither" %in% lev) setdiff(lev, "Neither") else setdiff(lev, reference))
  if (!all(tg %in% lev)) {
    cli::cli_abort(c("{.arg target_groups} must be values of {.field {group}}.",
                     "x" = "Not found: {example_values(setdiff(tg, lev))}."), call = call)
  }
  list(data = d, g = g, a = a, y = y, levels = lev, ref = r, counts = counts,
       ok = is.na(why), notes = why, target_groups = as.character(tg), n_excluded = n_excl,
       exclusions = tibble::tibble(step = c("eligible for the outcome", "left out (missing group, care model or covariates)", "analysed"),
                                   n = c(sum(rows$use), n_excl, sum(use))))
}

# Empty cells. A scenario predicts, for the women of group k, from models
# fitted on part of the data: the outcome model of arm a on the women of k in
# arm a (g-computation; for weighting, the propensity weights of arm a need
# women of k in arm a in each cell), and the uptake model on the reference
# group. A cell of the categorical covariates (factor, character or logical;
# the combination of their values) with women of k but none in the model's
# data is predicted by extrapolation: from the other cells through the
# model's additive form or, when a level of a covariate is absent from the
# model's data altogether, not at all (its coefficient is not identified).
# Numeric covariates are not checked. Returns, per engine theta (6 per usable
# group: risk, uptake, risk_all_on, risk_all_off, risk_equalised,
# risk_target), the reason ("" none) and whether it is a missing level.
scenario_gaps <- function(d, prep, allow, covs, target_uptake) {
  ok <- prep$ok
  m <- 6L * sum(ok)
  out <- list(reason = character(m), level = logical(m))
  is_cat <- function(v) {
    x <- d[[v]]
    is.factor(x) || is.character(x) || is.logical(x)
  }
  vz <- Filter(is_cat, c(allow, covs))
  vl <- Filter(is_cat, allow)
  if (!length(vz)) return(out)
  key <- function(vars) do.call(paste, c(lapply(vars, function(v) as.character(d[[v]])), sep = "\r"))
  kz <- key(vz)
  kl <- if (length(vl)) key(vl) else NULL
  # which covariates of `vars` have a level among `target` rows absent from
  # `fit` rows
  absent <- function(vars, target, fit) {
    vars[vapply(vars, function(v) {
      x <- as.character(d[[v]])
      any(!unique(x[target]) %in% x[fit])
    }, TRUE)]
  }
  add <- function(j, why, level) {
    out$reason[j] <<- ifelse(nzchar(out$reason[j]), paste(out$reason[j], why, sep = "; "), why)
    out$level[j] <<- out$level[j] | level
  }
  lev <- prep$levels
  eng <- cumsum(ok)
  ref <- prep$g == prep$ref
  for (k in which(ok)) {
    in_k <- prep$g == k
    base <- (eng[k] - 1L) * 6L
    p <- mean(prep$a[in_k])
    targeted <- lev[k] %in% prep$target_groups && p < target_uptake
    for (arm in 1:0) {
      fit_rows <- in_k & prep$a == arm
      empty <- in_k & !kz %in% kz[fit_rows]
      if (!any(empty)) next
      miss <- absent(vz, in_k, fit_rows)
      level <- length(miss) > 0L
      what <- paste0("the outcome model of women ", if (arm == 1) "on" else "not on",
                     " the care model in group ", lev[k])
      why <- if (level) {
        paste0(what, " has no women with a level of ", paste(miss, collapse = ", "),
               " that occurs in the group")
      } else {
        paste0(what, " has no women in some cells of ", paste(vz, collapse = " x "),
               " that occur in the group (extrapolated)")
      }
      js <- if (arm == 1) c(3L, 5L, if (targeted) 6L) else c(4L, 5L)
      add(base + js, why, level)
    }
    if (length(vl) && k != prep$ref) {
      empty <- in_k & !kl %in% kl[ref]
      if (any(empty)) {
        miss <- absent(vl, in_k, ref)
        level <- length(miss) > 0L
        what <- paste0("the uptake model (reference group ", lev[prep$ref], ")")
        why <- if (level) {
          paste0(what, " has no women with a level of ", paste(miss, collapse = ", "),
                 " that occurs in group ", lev[k])
        } else {
          paste0(what, " has no women in some cells of ", paste(vl, collapse = " x "),
                 " that occur in group ", lev[k], " (extrapolated)")
        }
        add(base + 5L, why, level)
      }
    }
  }
  out
}

# One warning for the rows that rest on empty cells.
warn_scenario_gaps <- function(tab, gaps, lev, call = rlang::caller_env()) {
  if (!any(nzchar(gaps$reason))) return(invisible())
  why <- unique(unlist(strsplit(gaps$reason[nzchar(gaps$reason)], "; ", fixed = TRUE)))
  na_rows <- any(gaps$level)
  cli::cli_warn(c(
    "Some scenarios predict for covariate cells with no women in the model they are predicted from.",
    stats::setNames(why, rep("x", length(why))),
    "i" = if (na_rows) "Estimates that need a covariate level absent from a model's data are NA (not estimable); see the {.field note} column.",
    "i" = "Estimates resting on cells that are empty only in combination are model-based extrapolations; their {.field note} says so.",
    "i" = "Coarsen or merge the covariates' categories, or leave them out of {.arg allowable}/{.arg covariates}."),
    call = call)
}

scenario_design <- function(d, vars) {
  if (!length(vars)) return(matrix(1, nrow(d), 1L, dimnames = list(NULL, "(Intercept)")))
  design_matrix(d, vars)
}

# Identical rows collapse into one pattern with a frequency weight. Codes
# are built column by column with exact matching (no rounding).
collapse_rows <- function(M) {
  codes <- vapply(seq_len(ncol(M)), function(j) match(M[, j], unique(M[, j])), integer(nrow(M)))
  if (is.null(dim(codes))) codes <- matrix(codes, nrow = nrow(M))
  key <- do.call(paste, c(lapply(seq_len(ncol(codes)), function(j) codes[, j]), sep = "."))
  code <- match(key, unique(key))
  list(code = code, first = match(seq_len(max(code)), code), weight = tabulate(code))
}

# The options of the engine's scenario calls (.cpp_scenarios_fit,
# .cpp_scenarios_boot) as the one named list the glue reads into the
# engine's ScenarioSpec (src/spec_glue.h checks every field by name and
# type): the number of usable groups, the reference group's 0-based engine
# code, the targeted groups (0/1, one per group), the target uptake,
# weighting or g-computation, the IRLS control, the thread count and the
# bootstrap seed (NA: no bootstrap).
scenario_engine_spec <- function(n_groups, ref, target, target_uptake, weighting, nthreads,
                                 seed = NULL) {
  list(n_groups = as.integer(n_groups), ref = as.integer(ref), target = as.integer(target),
       target_uptake = as.numeric(target_uptake), weighting = isTRUE(weighting),
       epsilon = irls_epsilon(), maxit = as.integer(irls_maxit()),
       nthreads = as.integer(nthreads), seed = if (is.null(seed)) NA_real_ else as.numeric(seed))
}

# Bootstrap replicates of theta in chunks; `spec` from scenario_engine_spec()
# (with its seed).
scenario_bootstrap <- function(Z, L, a, y, g, code, spec, R) {
  chunk <- max(1L, min(R, 50L * spec$nthreads))
  boot_chunks(R, chunk, "Bootstrap", function(b0, b1) {
    .cpp_scenarios_boot(Z, L, a, y, g, code, spec, b0, b1)
  }, ncol = 6L * spec$n_groups)
}

diagnose_scenarios <- function(fit, lev, zn, ln, method, call = rlang::caller_env()) {
  up <- fit$uptake
  if (!isTRUE(up$converged) || up$n_fitted_01 > 0L) {
    r <- message_rule(call)
    cli::cli_warn(c("The reference group's uptake model did not converge or predicts uptake of 0 or 1 for {released_count(up$n_fitted_01, r)} row{cli::qty(released_qty(up$n_fitted_01, r))}{?s}.",
                    "i" = "Coarsen the allowable covariates ({.field {ln[-1]}}).", exact_note(r)), call = call)
  }
  for (k in seq_along(lev)) {
    for (nm in names(fit$models[[k]])) {
      m <- fit$models[[k]][[nm]]
      what <- if (nm == "ps") "propensity model" else paste0("outcome model (", if (nm == "outcome1") "on" else "not on", " the care model)")
      if (!isTRUE(m$converged) || m$n_diverging > 0L) {
        cli::cli_warn(c("The {what} in group {.val {lev[k]}} did not converge or has diverging coefficients (separation).",
                        "i" = "Coarsen or drop covariates that (nearly) determine the outcome or the care model in this group."),
                      call = call)
      }
    }
  }
  if (method == "weighting") {
    ext <- which(fit$ps_min < 0.01 | fit$ps_max > 0.99)
    if (length(ext)) {
      cli::cli_warn(c("Propensity scores below 0.01 or above 0.99 in group{?s} {.val {lev[ext]}}: weights are extreme.",
                      "i" = "Consider {.code method = \"gcomp\"} or coarser covariates."), call = call)
    }
  }
  invisible(TRUE)
}
