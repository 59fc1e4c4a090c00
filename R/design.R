# Covariates as a design matrix, one helper for every function that takes
# covariates (estimate_effect(), balance_table(), disparity(),
# disparity_scenarios()). A formula goes through stats::model.frame() and
# stats::model.matrix(), so factor(), I(), log(), interactions and splines
# mean what they mean in glm(); bare names, c(a, b) and character vectors
# become the formula of those names. The terms (with their predvars: spline
# knots, polynomial coefficients), the factor levels and the contrasts of the
# first build are kept, so that other rows or counterfactual data are coded
# the same way.

# Read a covariates argument (a quosure) into a specification: class
# "mq_covariates", a list with the one-sided `formula`, its `terms`,
# `labels` (term labels), `variables` (the data columns it uses) and, once
# built, the coding (`xlevels`, `contrasts`). NULL stays NULL.
covariate_spec <- function(data, quo, arg, call = rlang::caller_env()) {
  if (rlang::quo_is_null(quo)) return(NULL)
  expr <- rlang::quo_get_expr(quo)
  val <- if (rlang::is_call(expr, "~")) {
    rlang::eval_tidy(quo)
  } else if (rlang::is_call(expr, "c") &&
             all(vapply(as.list(expr)[-1], function(e) rlang::is_symbol(e) || is.character(e), TRUE))) {
    vapply(as.list(expr)[-1], function(e) if (is.character(e)) e else rlang::as_string(e), "")
  } else if (rlang::is_symbol(expr) && rlang::as_string(expr) %in% names(data)) {
    rlang::as_string(expr)
  } else {
    rlang::eval_tidy(quo)
  }
  if (inherits(val, "mq_covariates")) return(val)
  if (is.null(val)) return(NULL)
  if (rlang::is_formula(val)) return(spec_from_formula(data, val, arg, call))
  if (!is.character(val) || anyNA(val)) {
    cli::cli_abort(c("{.arg {arg}} must be a one-sided formula, {.code c(a, b)} or a character vector of column names.",
                     "x" = "It is {.obj_type_friendly {val}}."), call = call)
  }
  miss <- setdiff(val, names(data))
  if (length(miss)) {
    cli::cli_abort(
      c("{.arg {arg}} names {length(miss)} column{?s} not in the data.",
        "x" = "Not found: {.field {miss}}."),
      call = call)
  }
  if (!length(val)) return(spec_from_formula(data, ~ 1, arg, call))
  f <- stats::reformulate(paste0("`", unique(val), "`"), env = baseenv())
  spec_from_formula(data, f, arg, call)
}

spec_from_formula <- function(data, f, arg, call) {
  if (length(f) == 3L) {
    cli::cli_abort(c("{.arg {arg}} must be a one-sided formula.",
                     "x" = "It has a left-hand side: {.code {deparse1(f)}}.",
                     "i" = "Give the covariates only, e.g. {.code ~ {deparse1(f[[3]])}}."),
                   call = call)
  }
  tt <- tryCatch(stats::terms(f), error = function(e) {
    cli::cli_abort(c("{.arg {arg}} is not a usable formula.", "x" = conditionMessage(e),
                     "i" = "Name the covariates ({.code .} is not allowed)."), call = call)
  })
  if (length(attr(tt, "offset"))) {
    cli::cli_abort("{.arg {arg}} must not contain an {.fn offset} term.", call = call)
  }
  if (attr(tt, "intercept") == 0L) {
    cli::cli_abort(c("{.arg {arg}} must keep the intercept.",
                     "x" = "{.code {deparse1(f)}} removes it."), call = call)
  }
  vars <- all.vars(f)
  env <- environment(f) %||% baseenv()
  in_data <- vars %in% names(data)
  # names that are not columns may be constants of the formula's
  # environment (ns(age, df = k)); anything else is a missing column
  const <- !in_data & vapply(vars, function(v) {
    exists(v, envir = env) && length(get(v, envir = env)) == 1L
  }, TRUE)
  miss <- vars[!in_data & !const]
  if (length(miss)) {
    cli::cli_abort(
      c("{.arg {arg}} names {length(miss)} column{?s} not in the data.",
        "x" = "Not found: {.field {miss}}."),
      call = call)
  }
  structure(list(formula = f, terms = tt, labels = attr(tt, "term.labels"),
                 variables = vars[in_data], xlevels = NULL, contrasts = NULL, built = FALSE),
            class = "mq_covariates")
}

# Two specifications as one (scenario models: allowable + covariates): the
# term labels of both, those of `a` first, each once.
combine_specs <- function(data, a, b, arg, call = rlang::caller_env()) {
  if (is.null(b) || !length(b$labels)) return(a)
  if (is.null(a) || !length(a$labels)) return(b)
  labs <- unique(c(a$labels, b$labels))
  # a user's formula's environment (its constants) over that of names
  env <- environment(a$formula)
  if (identical(env, baseenv())) env <- environment(b$formula)
  f <- stats::reformulate(labs, env = env)
  spec_from_formula(data, f, arg, call)
}

# Build the design matrix of `spec` on `data` (rows with missing values are
# dealt with before: an NA or a non-finite value here is an error naming the
# term). The first build fixes the coding; returns list(X, spec) with the
# spec carrying it. With `rebase`, a built spec's data-dependent bases
# (ns(), poly(), scale()) are recomputed on `data`, as a separate fit on
# these rows would have them, while factor levels and contrasts stay the
# spec's (a subgroup: a level it lacks is a column of zeros, aliased).
covariate_design <- function(spec, data, arg = "covariates", rule = NULL, rebase = FALSE,
                             call = rlang::caller_env()) {
  n <- nrow(data)
  if (is.null(spec) || !length(spec$labels)) {
    return(list(X = matrix(1, n, 1L, dimnames = list(NULL, "(Intercept)")), spec = spec))
  }
  mf <- covariate_frame(spec, data, arg, call, rebase = rebase)
  first <- !isTRUE(spec$built)
  if (first) check_design_frame(mf, arg, call)
  tt <- attr(mf, "terms")
  X <- tryCatch(
    stats::model.matrix(tt, mf, contrasts.arg = spec$contrasts),
    error = function(e) {
      cli::cli_abort(c("The design of {.arg {arg}} could not be built.", "x" = conditionMessage(e)),
                     call = call)
    })
  # column by column first: the n-by-p logical matrix only when a value is bad
  if (!all(vapply(seq_len(ncol(X)), function(j) all(is.finite(X[, j])), TRUE))) {
    bad <- !is.finite(X)
    cols <- colnames(X)[colSums(bad) > 0L]
    nb <- sum(rowSums(bad) > 0L)
    cli::cli_abort(c("{.arg {arg}} gives missing or non-finite values in {released_count(nb, rule)} row{cli::qty(released_qty(nb, rule))}{?s}.",
                     "x" = "Term{?s}: {.field {cols}}.",
                     "i" = "Check the transformations (e.g. {.fn log} of zero or negative values).",
                     exact_note(rule)), call = call)
  }
  if (first) {
    spec$terms <- tt
    spec$xlevels <- stats::.getXlevels(tt, mf)
    spec$contrasts <- attr(X, "contrasts")
    spec$built <- TRUE
  }
  attr(X, "assign") <- NULL
  attr(X, "contrasts") <- NULL
  storage.mode(X) <- "double"
  list(X = X, spec = spec)
}

# The model frame of the spec's terms on `data` (rows kept as they are).
covariate_frame <- function(spec, data, arg = "covariates", call = rlang::caller_env(),
                            rebase = FALSE) {
  first <- !isTRUE(spec$built)
  tt <- if (rebase) stats::terms(spec$formula) else spec$terms
  tryCatch(
    stats::model.frame(tt, data[spec$variables], na.action = stats::na.pass,
                       drop.unused.levels = first, xlev = spec$xlevels),
    error = function(e) {
      cli::cli_abort(c("The covariates of {.arg {arg}} could not be evaluated.",
                       "x" = conditionMessage(e)), call = call)
    })
}

# Each variable of the model frame must be numeric, logical, factor or
# character, and a categorical one must have two levels or more.
check_design_frame <- function(mf, arg, call) {
  nm <- names(mf)
  ok <- vapply(mf, function(x) is.numeric(x) || is.factor(x) || is.character(x) || is.logical(x), TRUE)
  if (!all(ok)) {
    cli::cli_abort("Covariate{?s} {.field {nm[!ok]}} must be numeric, logical, factor or character.",
                   call = call)
  }
  single <- nm[vapply(mf, function(x) {
    (is.factor(x) || is.character(x) || is.logical(x)) && length(unique(x[!is.na(x)])) < 2L
  }, TRUE)]
  if (length(single)) {
    cli::cli_abort(c("{length(single)} categorical covariate{?s} {?has/have} a single level.",
                     "x" = paste0(single, ": ", vapply(single, function(v) example_values(mf[[v]]), ""), collapse = "; "),
                     "i" = "Drop {cli::qty(length(single))}{?it/them} from {.arg {arg}}."), call = call)
  }
  invisible(TRUE)
}

# The designs of an effect fit: the propensity model's (X) and the outcome
# models' (Z, the same matrix when the formulas are the same), each with its
# coding (levels, spline knots) kept for balance() and predictions.
effect_designs <- function(cspec, ospec, same_oc, data, rule) {
  des <- covariate_design(cspec, data, "covariates", rule)
  out <- list(X = des$X, cspec = des$spec, Z = des$X, ospec = des$spec)
  if (!same_oc) {
    odes <- covariate_design(ospec, data, "outcome_covariates", rule)
    out$Z <- odes$X
    out$ospec <- odes$spec
  }
  out
}

# A subgroup's design: the whole data's factor levels, its own spline and
# polynomial bases (as a separate fit on its rows); without subgroups the
# whole design `M`.
subgroup_design <- function(data, rule, grouped) {
  function(spec, M, rows, arg) {
    if (!grouped) return(M)
    covariate_design(spec, data[rows, , drop = FALSE], arg, rule, rebase = TRUE)$X
  }
}
