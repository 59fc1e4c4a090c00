# One vocabulary for the exports: `data` first, the same argument names for
# the same things, old names only as trailing deprecated formals that warn
# and give the same result as the new ones.

# Exports whose first formal is not `data`, and why.
not_data_first <- c(
  # importers and constructors: they make the data
  as_msds = "tables", simulate_msds = "n_pregnancies", disclosure_rule = "preset",
  sim_effects = "coc_core20plus", sim_realism = "max_resubmissions",
  sim_recording = "ethnicity_unknown", matequity_threads = "nthreads", release_log = "reset",
  # functions of vectors or of numbers
  wilson_ci = "x", poisson_ci = "x", pool_rubin = "estimate", ps_weights = "ps",
  sdc_histogram_data = "x", sdc_density_data = "x", sdc_boxplot_data = "x",
  disclosure_check_model = "cell_counts",
  # outputs given through `...`
  disclosure_check = "...", export_outputs = "...",
  # generics: their methods keep the generic's signature
  balance = "fit", evalue = "x", tidy = "x", glance = "x"
)

continuity_demo_fixture <- function() matequity:::continuity_demo_data(60, seed = 3)

export_formals <- function() {
  ns <- asNamespace("matequity")
  ex <- sort(getNamespaceExports("matequity"))
  ex <- ex[vapply(ex, function(n) is.function(get(n, envir = ns)), TRUE)]
  lapply(stats::setNames(ex, ex), function(n) names(formals(get(n, envir = ns))))
}

# The deprecated formals of a function: the first argument of each
# deprecated_arg() call in its body.
deprecated_formals <- function(fun) {
  found <- character()
  walk <- function(e) {
    if (is.call(e)) {
      if (identical(e[[1L]], quote(deprecated_arg)) && is.name(e[[2L]])) {
        found <<- c(found, as.character(e[[2L]]))
      }
      # deprecated_column(rlang::enquo(old), ...)
      if (identical(e[[1L]], quote(deprecated_column)) && is.call(e[[2L]])) {
        found <<- c(found, as.character(e[[2L]][[2L]]))
      }
      for (a in as.list(e)[-1L]) if (!missing(a)) walk(a)
    }
  }
  walk(body(fun))
  unique(found)
}

# Runs `old()` (deprecated) and `new()`; checks that old warns with class
# matequity_deprecated and that both give identical results. Other
# conditions of either call are muffled.
expect_deprecated_same <- function(old, new, compare = expect_identical) {
  rlang::local_options(rlib_warning_verbosity = "verbose")
  classes <- list()
  a <- withCallingHandlers(
    suppressMessages(old()),
    warning = function(w) {
      classes[[length(classes) + 1L]] <<- class(w)
      invokeRestart("muffleWarning")
    })
  b <- suppressWarnings(suppressMessages(new()))
  expect_true(any(vapply(classes, function(k) "matequity_deprecated" %in% k, TRUE)),
              label = "the deprecated call warned with class matequity_deprecated")
  compare(a, b)
}

test_that("every export takes `data` first, apart from the documented exceptions", {
  fm <- export_formals()
  first <- vapply(fm, function(f) if (length(f)) f[[1L]] else "", "")
  first <- first[nzchar(first)]
  odd <- first[first != "data" & !names(first) %in% names(not_data_first)]
  expect_identical(odd, stats::setNames(character(), character()))
  listed <- not_data_first[names(not_data_first) %in% names(first)]
  expect_identical(first[names(listed)], listed)
  expect_false(any(first %in% c("cohort", "msds")))
})

test_that("old names appear only as trailing deprecated formals", {
  ns <- asNamespace("matequity")
  fm <- export_formals()
  old_names <- c("rule", "R", "multiplier", "cohort", "x", "care_model", "conf.level", "B",
                 "n_boot", "threads")
  for (n in names(fm)) {
    f <- fm[[n]]
    dep <- deprecated_formals(get(n, envir = ns))
    # deprecated formals come last, default NULL
    if (length(dep)) {
      expect_setequal(utils::tail(f, length(dep)), dep)
      defaults <- formals(get(n, envir = ns))[dep]
      expect_true(all(vapply(defaults, is.null, TRUE)), label = paste(n, "deprecated defaults"))
    }
    live <- setdiff(f, dep)
    if (n %in% names(not_data_first) && not_data_first[[n]] == "x") live <- setdiff(live, "x")
    expect_identical(as.character(intersect(live, old_names)), character(),
                     label = paste0(n, "()'s formals"))
  }
  expect_false(any(vapply(fm, function(f) "rule" %in% f, TRUE)))
})

test_that("the vocabulary's names are the ones used", {
  fm <- unlist(export_formals(), use.names = FALSE)
  for (nm in c("treatment", "outcome", "covariates", "by", "cluster", "weights", "conf_level",
               "reps", "seed", "nthreads", "disclosure", "vcov", "per")) {
    expect_true(nm %in% fm, label = nm)
  }
  expect_identical(eval(formals(estimate_effect)$vcov), c("sandwich", "robust", "bootstrap"))
  expect_identical(eval(formals(disparity_scenarios)$vcov), c("sandwich", "bootstrap"))
})

test_that("deprecated first-argument names warn and give the same result", {
  m <- msds_example
  co <- suppressMessages(define_cohort(m))
  cm <- suppressMessages(add_care_model(co, m))
  oc <- suppressMessages(add_outcomes(cm, m))
  expect_deprecated_same(function() define_cohort(msds = m), function() define_cohort(m))
  expect_deprecated_same(function() add_care_model(cohort = co, msds = m),
                         function() add_care_model(co, m))
  expect_deprecated_same(function() add_outcomes(cohort = cm, msds = m),
                         function() add_outcomes(cm, m))
  expect_deprecated_same(function() birth_outcomes(cohort = oc, msds = m),
                         function() birth_outcomes(oc, m))
  expect_deprecated_same(function() add_smoking(cohort = co, msds = m),
                         function() add_smoking(co, m))
  expect_deprecated_same(function() cohort_flow(cohort = co, disclosure = "none"),
                         function() cohort_flow(co, disclosure = "none"))
  expect_deprecated_same(function() outcome_rates(cohort = oc, outcome = preterm, by = core20plus_group),
                         function() outcome_rates(oc, preterm, by = core20plus_group))
  expect_deprecated_same(
    function() disparity(cohort = oc, outcome = preterm, group = core20plus_group, disclosure = "none"),
    function() disparity(oc, preterm, core20plus_group, disclosure = "none"))
  expect_deprecated_same(function() care_model_trend(cohort = cm, variable = coc_placed),
                         function() care_model_trend(cm, coc_placed))
  expect_deprecated_same(function() data_quality(x = m), function() data_quality(m))
  expect_deprecated_same(function() msds_quality(x = m), function() msds_quality(m))
  expect_deprecated_same(function() msds_submissions(x = m), function() msds_submissions(m))
  expect_deprecated_same(function() msds_versions(x = m), function() msds_versions(m))
  expect_deprecated_same(function() msds_invalid_codes(x = m), function() msds_invalid_codes(m))
  expect_deprecated_same(function() msds_unmapped(x = m), function() msds_unmapped(m))
  d <- continuity_demo_fixture()
  ct <- continuity(d$cohort, d$msds)
  expect_deprecated_same(function() summarise_continuity(x = ct, disclosure = "none"),
                         function() summarise_continuity(ct, disclosure = "none"))
  # both the old and the new name: an error naming both
  expect_error(outcome_rates(oc, preterm, cohort = oc), "not both")
})

test_that("R, multiplier and vcov = \"influence\" still work, warn and agree", {
  d <- sim_effect_data(600, seed = 2)
  expect_deprecated_same(
    function() estimate_effect(d, a, y, ~ x1 + x2, method = "ipw", vcov = "bootstrap", R = 30, seed = 3),
    function() estimate_effect(d, a, y, ~ x1 + x2, method = "ipw", vcov = "bootstrap", reps = 30, seed = 3))
  expect_error(estimate_effect(d, a, y, ~ x1 + x2, method = "ipw", vcov = "bootstrap",
                               reps = 30, R = 30), "not both")

  set.seed(1)
  n <- 1500
  s <- data.frame(grp = sample(c("Neither", "Core20"), n, TRUE),
                  age = round(stats::runif(n, 18, 42)), parity = stats::rpois(n, 0.8))
  s$coc <- stats::runif(n) < stats::plogis(-1 + 0.8 * (s$grp == "Core20"))
  s$preterm <- stats::runif(n) < stats::plogis(-2.6 + 0.4 * (s$grp == "Core20"))
  s$preterm_eligible <- TRUE
  expect_deprecated_same(
    function() disparity_scenarios(s, preterm, grp, coc, vcov = "bootstrap", R = 20, seed = 4,
                                   nthreads = 1, disclosure = "none"),
    function() disparity_scenarios(s, preterm, grp, coc, vcov = "bootstrap", reps = 20, seed = 4,
                                   nthreads = 1, disclosure = "none"))
  expect_deprecated_same(
    function() disparity_scenarios(s, preterm, grp, care_model = coc, disclosure = "none"),
    function() disparity_scenarios(s, preterm, grp, coc, disclosure = "none"))
  expect_deprecated_same(
    function() disparity_scenarios(s, preterm, grp, coc, vcov = "influence", disclosure = "none"),
    function() disparity_scenarios(s, preterm, grp, coc, vcov = "sandwich", disclosure = "none"))

  q <- data.frame(decile = 1:10,
                  population = c(7291, 7997, 6105, 7666, 5790, 6934, 5918, 5974, 7147, 7534),
                  value = c(75.9, 78.3, 83.8, 83.6, 80.5, 81.1, 81.7, 84.2, 80.6, 86.3),
                  se = c(1.64, 1.58, 1.51, 1.78, 1.7, 1.56, 1.37, 1.4, 2.43, 1.57))
  expect_deprecated_same(
    function() inequality_index(q, rank = decile, population = population, value = value, se = se,
                                type = "other", multiplier = -1, reps = 2000, seed = 1),
    function() inequality_index(q, rank = decile, population = population, value = value, se = se,
                                type = "other", per = -1, reps = 2000, seed = 1))
  expect_error(inequality_index(q, rank = decile, population = population, value = value, se = se,
                                type = "other", per = 1, multiplier = 1, reps = 2000), "not both")

  u <- data.frame(unit = c("a", "b", "c", "d", "e"), O = c(30, 42, 51, 18, 60),
                  E = c(33, 40, 45, 25, 52), n = c(400, 500, 600, 300, 700))
  expect_deprecated_same(
    function() unit_variation(u, unit = unit, events = O, expected = E, multiplier = 100,
                              disclosure = "none"),
    function() unit_variation(u, unit = unit, events = O, expected = E, ratio_scale = 100,
                              disclosure = "none"))
  expect_deprecated_same(
    function() unit_variation(u, unit = unit, events = O, n = n, statistic = "proportion",
                              multiplier = 1, disclosure = "none"),
    function() unit_variation(u, unit = unit, events = O, n = n, statistic = "proportion",
                              per = 1, disclosure = "none"))
  expect_error(unit_variation(u, unit = unit, events = O, n = n, statistic = "proportion",
                              ratio_scale = 100, disclosure = "none"), "ratios only")
})

test_that("continuity() gives the same result in both argument orders", {
  d <- continuity_demo_fixture()
  new <- continuity(d$cohort, d$msds, phase = c("antenatal", "all"))
  expect_deprecated_same(function() continuity(d$msds, d$cohort, phase = c("antenatal", "all")),
                         function() continuity(d$cohort, d$msds, phase = c("antenatal", "all")))
  # named, in either order, and the old name of the cohort
  expect_identical(continuity(msds = d$msds, data = d$cohort, phase = c("antenatal", "all")), new)
  expect_deprecated_same(function() continuity(d$msds, cohort = d$cohort, phase = c("antenatal", "all")),
                         function() new)
  # without a cohort: every pregnancy in MSD101
  all <- suppressMessages(continuity(msds = d$msds))
  expect_deprecated_same(function() continuity(d$msds), function() all)
})

test_that("deprecated names reach every imputed data set in the new names", {
  set.seed(5)
  one <- function() {
    n <- 900
    d <- data.frame(grp = sample(c("Neither", "Core20"), n, TRUE),
                    age = round(stats::runif(n, 18, 42)), parity = stats::rpois(n, 0.8))
    d$coc <- stats::runif(n) < stats::plogis(-1 + 0.8 * (d$grp == "Core20"))
    d$preterm <- stats::runif(n) < stats::plogis(-2.4 + 0.4 * (d$grp == "Core20"))
    d$preterm_eligible <- TRUE
    d
  }
  imp <- list(one(), one(), one())
  expect_deprecated_same(
    function() outcome_rates(cohort = imp, outcome = preterm, by = grp, per = 100, disclosure = "none"),
    function() outcome_rates(imp, preterm, by = grp, per = 100, disclosure = "none"))
  expect_deprecated_same(
    function() disparity_scenarios(cohort = imp, outcome = preterm, group = grp, care_model = coc,
                                   vcov = "influence", per = 100, disclosure = "none"),
    function() disparity_scenarios(imp, preterm, grp, coc, vcov = "sandwich", per = 100,
                                   disclosure = "none"))
})
