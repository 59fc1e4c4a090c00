# Validation helpers shared by every topic. Each one aborts with a cli error
# that names the argument (and the table and column where there is one),
# says what is wrong and shows a few offending values.

# A few example values for an error message.
example_values <- function(x, n = 5L) {
  x <- unique(x)
  more <- length(x) > n
  x <- utils::head(x, n)
  x <- ifelse(is.na(x), "NA", paste0("\"", as.character(x), "\""))
  paste0(paste(x, collapse = ", "), if (more) ", ..." else "")
}

check_data_frame <- function(x, arg = rlang::caller_arg(x),
                             call = rlang::caller_env()) {
  if (!is.data.frame(x)) {
    cli::cli_abort(c("{.arg {arg}} must be a data frame.",
                     "x" = "It is {.obj_type_friendly {x}}."), call = call)
  }
  invisible(x)
}

check_string <- function(x, arg = rlang::caller_arg(x),
                         call = rlang::caller_env()) {
  if (!is.character(x) || length(x) != 1L || is.na(x)) {
    cli::cli_abort(c("{.arg {arg}} must be a single string.",
                     "x" = "It is {.obj_type_friendly {x}}."), call = call)
  }
  invisible(x)
}

check_number <- function(x, lower = -Inf, upper = Inf,
                         arg = rlang::caller_arg(x),
                         call = rlang::caller_env()) {
  if (!is.numeric(x) || length(x) != 1L || is.na(x) || x < lower || x > upper) {
    cli::cli_abort(
      c("{.arg {arg}} must be a single number between {lower} and {upper}.",
        "x" = "It is {.obj_type_friendly {x}}{if (is.numeric(x) && length(x) == 1L) paste0(' (', x, ')') else ''}."),
      call = call)
  }
  invisible(x)
}

check_flag <- function(x, arg = rlang::caller_arg(x),
                       call = rlang::caller_env()) {
  if (!is.logical(x) || length(x) != 1L || is.na(x)) {
    cli::cli_abort(c("{.arg {arg}} must be {.code TRUE} or {.code FALSE}.",
                     "x" = "It is {.obj_type_friendly {x}}."), call = call)
  }
  invisible(x)
}

# A key column that must not repeat (one row per LSOA, per mother, ...).
check_unique_key <- function(x, what, arg, call = rlang::caller_env()) {
  if (anyDuplicated(x)) {
    d <- x[duplicated(x)]
    cli::cli_abort(c("{.arg {arg}} has more than one row per {what}.",
                     "x" = "{length(d)} duplicate{?s}, e.g. {example_values(d)}."),
                   call = call)
  }
  invisible(x)
}

# Columns that must be present in a data frame.
check_columns <- function(data, columns, table = NULL,
                          arg = rlang::caller_arg(data),
                          call = rlang::caller_env()) {
  miss <- setdiff(columns, names(data))
  if (length(miss)) {
    where <- table %||% arg
    cli::cli_abort(
      c("{.arg {arg}} lacks {length(miss)} required column{?s}.",
        "x" = "Missing from {.field {where}}: {.field {miss}}."),
      call = call)
  }
  invisible(data)
}

# Resolve a column given as a bare name or a string (tidy evaluation).
# Returns the column name.
resolve_column <- function(data, quo, arg, required = TRUE,
                           call = rlang::caller_env()) {
  if (rlang::quo_is_null(quo)) {
    if (required) cli::cli_abort("{.arg {arg}} is required.", call = call)
    return(NULL)
  }
  expr <- rlang::quo_get_expr(quo)
  name <- if (is.character(expr)) {
    expr
  } else if (rlang::is_symbol(expr)) {
    rlang::as_string(expr)
  } else {
    val <- rlang::eval_tidy(quo)
    # an expression that gives NULL (`cluster = if (by_site) "site"`) is the
    # argument left out
    if (is.null(val)) {
      if (required) cli::cli_abort("{.arg {arg}} is required.", call = call)
      return(NULL)
    }
    if (!is.character(val)) {
      cli::cli_abort("{.arg {arg}} must be a column name or a string.",
                     call = call)
    }
    val
  }
  if (length(name) != 1L) {
    cli::cli_abort("{.arg {arg}} must name one column, not {length(name)}.",
                   call = call)
  }
  if (!name %in% names(data)) {
    cli::cli_abort(
      c("Column {.field {name}} given as {.arg {arg}} is not in the data.",
        "i" = "Columns available: {.field {utils::head(names(data), 20)}}."),
      call = call)
  }
  name
}

# Resolve several columns given as a character vector, c(a, b), or a
# one-sided formula (~ a + b). Returns the column names. For columns only
# (by, counts, ...): a formula term that is not a column (factor(x), x:z) is
# an error, not silently read as its variables. Covariates go through
# covariate_spec() (design.R), where such terms are terms of the model.
resolve_columns <- function(data, quo, arg, call = rlang::caller_env()) {
  if (rlang::quo_is_null(quo)) return(character())
  expr <- rlang::quo_get_expr(quo)
  names <- if (rlang::is_formula(expr) || (rlang::is_call(expr, "~"))) {
    formula_columns(rlang::eval_tidy(quo), arg, call)
  } else if (rlang::is_call(expr, "c") &&
             all(vapply(as.list(expr)[-1], function(e) rlang::is_symbol(e) || is.character(e), TRUE))) {
    vapply(as.list(expr)[-1], function(e) if (is.character(e)) e else rlang::as_string(e), "")
  } else if (rlang::is_symbol(expr) && !rlang::as_string(expr) %in% names(data)) {
    val <- rlang::eval_tidy(quo)
    if (rlang::is_formula(val)) formula_columns(val, arg, call) else as.character(val)
  } else if (rlang::is_symbol(expr)) {
    rlang::as_string(expr)
  } else {
    val <- rlang::eval_tidy(quo)
    if (rlang::is_formula(val)) formula_columns(val, arg, call) else as.character(val)
  }
  miss <- setdiff(names, names(data))
  if (length(miss)) {
    cli::cli_abort(
      c("{.arg {arg}} names {length(miss)} column{?s} not in the data.",
        "x" = "Not found: {.field {miss}}."),
      call = call)
  }
  names
}

# The columns of a formula of column names (~ a + b).
formula_columns <- function(f, arg, call) {
  vars <- all.vars(f)
  labs <- tryCatch(gsub("`", "", attr(stats::terms(f), "term.labels"), fixed = TRUE),
                   error = function(e) vars)
  bad <- labs[!labs %in% vars]
  if (length(bad)) {
    cli::cli_abort(c("{.arg {arg}} takes column names, not formula terms.",
                     "x" = "Not a column: {.code {bad}}.",
                     "i" = "Add the column to the data first."), call = call)
  }
  vars
}
