# Deprecated argument names, values and argument orders: the one place that
# maps them to the package's vocabulary (`data` first, then `treatment`,
# `outcome`, `covariates`, `by`, `cluster`, `weights`, `conf_level`, `reps`,
# `seed`, `nthreads`, `disclosure`, `vcov`, `per`). Each old name is a
# trailing formal of its export, kept for one release: given, it warns (class
# `matequity_deprecated`, at most every 8 hours per export and name unless
# `options(rlib_warning_verbosity = "verbose")`) and stands for the new name;
# given together with the new name, it is an error.

# Whether the deprecated argument `old` (its value) was given for `new`; the
# caller then uses it: `if (deprecated_arg(R, missing(reps), "R", "reps")) reps <- R`.
# `new_missing` is whether the caller's new argument was left out (`missing()`).
deprecated_arg <- function(old, new_missing, old_name, new_name, fn,
                           call = rlang::caller_env()) {
  if (is.null(old)) return(FALSE)
  if (!new_missing) {
    cli::cli_abort(c("Give {.arg {new_name}} or the deprecated {.arg {old_name}}, not both.",
                     "i" = "{.arg {old_name}} is an old name of {.arg {new_name}}."),
                   call = call)
  }
  deprecation_warning(fn, old_name,
                      "{.arg {old_name}} of {.fn {fn}} is deprecated; use {.arg {new_name}}.",
                      old_name = old_name, new_name = new_name)
  TRUE
}

# deprecated_arg() for a column argument (tidy evaluation): `old` is the
# deprecated argument's quosure, so the column name is never evaluated.
deprecated_column <- function(old, new_missing, old_name, new_name, fn,
                              call = rlang::caller_env()) {
  deprecated_arg(if (!rlang::quo_is_null(old)) TRUE, new_missing, old_name, new_name, fn,
                 call = call)
}

# A value of `arg` kept as an alias of the vocabulary's value: `value` with
# each alias in `aliases` (named: old = new) replaced, warning when one is.
deprecated_value <- function(value, aliases, arg, fn) {
  if (!is.character(value) || length(value) != 1L || is.na(value) ||
      !value %in% names(aliases)) {
    return(value)
  }
  new <- aliases[[value]]
  deprecation_warning(fn, paste0(arg, "=", value),
                      "{.code {arg} = \"{value}\"} of {.fn {fn}} is deprecated; use {.code {arg} = \"{new}\"}.",
                      arg = arg, value = value, new = new)
  new
}

# The old argument order of a pipeline verb: warns that `first` now comes
# after `data`.
deprecated_order <- function(fn, first) {
  deprecation_warning(fn, "order",
                      c("The order {.code {fn}({first}, data)} is deprecated; use {.code {fn}(data, {first})}.",
                        "i" = "{.arg data} (the cohort) comes first in every pipeline verb."),
                      first = first)
}

deprecation_warning <- function(fn, what, message, ...) {
  env <- list2env(list(...), parent = environment())
  env$fn <- fn
  cli::cli_warn(c("!" = message[[1L]], message[-1L]),
                class = c("matequity_deprecated", "deprecatedWarning"),
                .envir = env, .frequency = "regularly",
                .frequency_id = paste0("matequity_deprecated_", fn, "_", what))
}

# The caller's matched call with its deprecated argument names (`renames`:
# old = new) replaced by the new ones, in the order of the formals, and
# `values` (a named list) set where given: the call the new names make, for
# storing it and re-running it on each imputed data set.
current_call <- function(call, renames, values = list(), fun = sys.function(sys.parent())) {
  nm <- names(call)
  hit <- nm %in% names(renames)
  nm[hit] <- renames[nm[hit]]
  names(call) <- nm
  for (v in names(values)) if (!is.null(call[[v]])) call[v] <- list(values[[v]])
  match.call(fun, call)
}
