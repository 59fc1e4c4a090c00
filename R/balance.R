# Covariate balance before and after weighting or matching, following
# cobalt's conventions (METHODS.md, "Balance diagnostics"):
#   * covariates are expanded as cobalt does: a factor or character column
#     gives one 0/1 row per level (a two-level one only its second level), a
#     logical column one row, a numeric column with two distinct values one
#     row for the larger value ("x_7"); other numeric columns are continuous;
#     formula terms are evaluated first (factor(year) is a factor, I(age^2)
#     and log(x) numeric, a spline basis one column per basis function, an
#     interaction the products of its variables' columns, "a_l * b");
#   * SMD = weighted mean difference (treated - control) / an SD from the
#     full sample: unweighted, the treated SD for ATT, the control SD for
#     ATC, the pooled sqrt((s1^2 + s0^2) / 2) for ATE; for ATO the SD of the
#     whole sample weighted by the adjustment weights (s_d_denom =
#     "weighted", cobalt's default for the ATO and ATM); the same
#     denominator for the unadjusted and adjusted differences;
#     binary rows are raw differences in proportions unless binary = "std",
#     where the SD of a proportion p is sqrt(p (1 - p));
#   * weighted variance: sum w (x - xbar)^2 * sum w / ((sum w)^2 - sum w^2)
#     (reliability weights); a binary row's variance is p (1 - p);
#   * variance ratio treated / control, for continuous rows only;
#   * weighted KS: the largest absolute difference between the two weighted
#     empirical CDFs; for binary rows the absolute difference in proportions;
#   * effective sample size per arm (sum w)^2 / sum w^2.

#' Covariate balance
#'
#' Balance of covariates between treated and control units before and after
#' weighting or matching: standardised mean differences, variance ratios and
#' weighted Kolmogorov-Smirnov statistics, computed as `cobalt::bal.tab()`
#' computes them, plus the effective sample size of each arm.
#' `balance()` takes a fitted effect (from `estimate_effect()`);
#' `balance_table()` takes the raw inputs.
#'
#' @param fit An effect fit (class `"mq_effect"`) with elements `treat`
#'   (0/1), `weights`, `covariates` (a data frame) and `estimand`.
#' @param ... Passed on to `balance_table()` (`binary`, `s_d_denom`).
#' @returns A tibble of class `"mq_balance"` with one row per covariate term
#'   (as cobalt's rows: one per factor level, spline basis function or
#'   interaction column) and columns `term` (covariate, `covariate_level` for
#'   a factor level, `a * b` for an interaction, cobalt's names),
#'   `variable` (the data column, or the formula term it comes from), `type` (`"binary"` or `"continuous"`),
#'   `smd_unadjusted`, `smd_adjusted` (standardised mean difference, or raw
#'   difference in proportions for binary terms when `binary = "raw"`),
#'   `var_ratio_unadjusted`, `var_ratio_adjusted` (treated / control;
#'   `NA` for binary terms), `ks_unadjusted`, `ks_adjusted`. Attribute
#'   `"ess"`: an `mq_sdc` tibble with columns `group` (`"control"`,
#'   `"treated"`), `n`, `ess_unadjusted` and `ess_adjusted`, each with its
#'   `_sdc` flag: arm sizes and effective sample sizes as the disclosure rule
#'   releases counts (rounded to its base, suppressed under its threshold;
#'   exact with `disclosure = "none"`). `print()` shows them under the
#'   table. Attributes `"estimand"`, `"s_d_denom"` and `"binary"` record the
#'   conventions used.
#' @examples
#' set.seed(1)
#' d <- data.frame(a = rbinom(300, 1, 0.4), age = rnorm(300, 30, 5),
#'                 parity = factor(sample(0:2, 300, TRUE)))
#' ps <- fitted(glm(a ~ age + parity, binomial, d))
#' w <- ifelse(d$a == 1, 1 / ps, 1 / (1 - ps))
#' balance_table(d, a, c(age, parity), weights = w, estimand = "ATE")
#' @export
balance <- function(fit, ...) {
  UseMethod("balance")
}

#' @rdname balance
#' @export
balance.mq_effect <- function(fit, ...) {
  need <- c("treat", "weights", "covariates", "estimand")
  miss <- need[!need %in% names(fit) | vapply(need, function(n) is.null(fit[[n]]), TRUE)]
  if (length(miss)) {
    cli::cli_abort(c("{.arg fit} lacks what balance needs.",
                     "x" = "Missing: {.field {miss}}."))
  }
  covs <- fit$covariates
  check_data_frame(covs, arg = "fit$covariates")
  # the fit's own terms and coding (factor levels, spline knots), so that
  # the rows are those of its propensity model
  spec <- fit$covariate_spec %||% names(covs)
  data <- covs
  data$.treat <- fit$treat
  balance_table(data, ".treat", !!spec, weights = fit$weights,
                estimand = fit$estimand, ...,
                disclosure = if (inherits(fit, "mq_effect")) effect_rule(fit) else fit$disclosure)
}

#' @rdname balance
#' @export
balance.default <- function(fit, ...) {
  cli::cli_abort(c("{.fn balance} needs an effect fit from {.fn estimate_effect}.",
                   "x" = "{.arg fit} is {.obj_type_friendly {fit}}.",
                   "i" = "For raw data use {.fn balance_table}."))
}

#' @rdname balance
#' @param data A data frame.
#' @param treatment The treatment column (0/1 or logical), bare name or string.
#' @param covariates Covariate columns: `c(a, b)`, a character vector or a
#'   one-sided formula `~ a + b`. Formula terms are evaluated as in
#'   [stats::model.frame()] (`factor(year)`, `I(age^2)`, `log(x)`,
#'   `splines::ns(age, 3)`, interactions) and expanded as cobalt expands
#'   them.
#' @param weights `NULL` (no adjustment: the adjusted columns are `NA`), a
#'   numeric vector of weights (IPW or matching weights; 0 = excluded) or the
#'   name of a weights column.
#' @param estimand `"ATE"`, `"ATT"`, `"ATC"` or `"ATO"`; chooses the SD in the
#'   SMD denominator as cobalt does: the treated SD for the ATT, the control
#'   SD for the ATC, the pooled SD for the ATE, the weighted full-sample SD
#'   for the ATO.
#' @param binary `"raw"` (difference in proportions, the default) or `"std"`
#'   (standardised) for binary terms.
#' @param s_d_denom `NULL` (by estimand, as above) or one of `"treated"`,
#'   `"control"`, `"pooled"`, `"all"` (full-sample SD) and `"weighted"`
#'   (full-sample SD with the adjustment weights, cobalt's default for the
#'   ATO; without weights it is the unweighted full-sample SD).
#' @param disclosure Disclosure rule (`NULL`: the `matequity.disclosure`
#'   option; `balance()` uses the fit's rule). The arm sizes and effective
#'   sample sizes in attribute `"ess"` are released like counts. Under every
#'   rule but `"none"` the statistics are released to 3 significant figures,
#'   and a binary term with a count under the threshold in either arm (units
#'   with it or without it) has its statistics suppressed: its difference in
#'   proportions, KS statistic and SMD with the arm sizes would give that
#'   count back.
#' @export
balance_table <- function(data, treatment, covariates, weights = NULL,
                          estimand = "ATE", binary = c("raw", "std"),
                          s_d_denom = NULL, disclosure = NULL) {
  check_data_frame(data)
  rule <- resolve_disclosure(disclosure)
  tcol <- resolve_column(data, rlang::enquo(treatment), "treatment")
  cspec <- covariate_spec(data, rlang::enquo(covariates), "covariates")
  if (is.null(cspec) || !length(cspec$labels)) cli::cli_abort("{.arg covariates} names no columns.")
  binary <- match.arg(binary)
  check_string(estimand)
  estimand <- toupper(estimand)
  if (!estimand %in% c("ATE", "ATT", "ATC", "ATO")) {
    cli::cli_abort(c("{.arg estimand} must be one of {.val {c('ATE', 'ATT', 'ATC', 'ATO')}}.",
                     "x" = "It is {.val {estimand}}."))
  }
  s_d_denom <- s_d_denom %||% switch(estimand, ATT = "treated", ATC = "control",
                                     ATO = "weighted", "pooled")
  if (!is.character(s_d_denom) || length(s_d_denom) != 1L ||
      !s_d_denom %in% c("treated", "control", "pooled", "all", "weighted")) {
    cli::cli_abort("{.arg s_d_denom} must be one of {.val {c('treated', 'control', 'pooled', 'all', 'weighted')}}.")
  }
  treat <- balance_treat(data[[tcol]], tcol, rule)
  w <- balance_weights(data, rlang::enquo(weights), nrow(data), rule)
  X <- balance_terms(data, cspec, rule)
  bin <- attr(X, "binary")

  one <- rep(1, length(treat))
  un <- balance_stats(X, bin, treat, one)
  adj <- if (is.null(w)) NULL else balance_stats(X, bin, treat, w)
  wden <- if (s_d_denom == "weighted") w %||% one else one
  denom <- balance_denoms(X, bin, treat, s_d_denom, wden)
  smd <- function(diff) standardise_diff(diff, denom, !bin | binary == "std")
  na <- rep(NA_real_, ncol(X))
  out <- tibble::tibble(
    term = colnames(X),
    variable = attr(X, "variable"),
    type = ifelse(bin, "binary", "continuous"),
    smd_unadjusted = smd(un$diff),
    smd_adjusted = if (is.null(adj)) na else smd(adj$diff),
    var_ratio_unadjusted = ifelse(bin, NA_real_, un$vr),
    var_ratio_adjusted = if (is.null(adj)) na else ifelse(bin, NA_real_, adj$vr),
    ks_unadjusted = un$ks,
    ks_adjusted = if (is.null(adj)) na else adj$ks
  )
  out <- disclose_balance(out, X, bin, treat, rule)
  ess <- function(v) sum(v)^2 / sum(v^2)
  attr(out, "ess") <- balance_ess(tibble::tibble(
    group = c("control", "treated"),
    n = c(sum(treat == 0), sum(treat == 1)),
    ess_unadjusted = c(sum(treat == 0), sum(treat == 1)),
    ess_adjusted = if (is.null(w)) c(NA_real_, NA_real_) else
      c(ess(w[treat == 0]), ess(w[treat == 1]))
  ), rule)
  attr(out, "estimand") <- estimand
  attr(out, "s_d_denom") <- s_d_denom
  attr(out, "binary") <- binary
  class(out) <- c("mq_balance", class(out))
  out
}

# Differences standardised by `denom` where `std` says so (a raw
# difference for binary terms with binary = "raw"); differences of zero
# (to rounding) stay zero rather than 0/0.
standardise_diff <- function(diff, denom, std) {
  out <- diff
  nz <- std & abs(diff) >= sqrt(.Machine$double.eps)
  out[nz] <- diff[nz] / denom[nz]
  out
}

# The balance statistics under the rule. A binary term's difference in
# proportions, its KS statistic (the same difference) and its SMD give the
# count of units with the term in each arm back from the arm sizes, so a
# binary term whose count with or without it is small in either arm has its
# statistics suppressed; the others are released to 3 significant figures
# (exact under "none").
disclose_balance <- function(out, X, bin, treat, rule) {
  stats_cols <- c("smd_unadjusted", "smd_adjusted", "var_ratio_unadjusted",
                  "var_ratio_adjusted", "ks_unadjusted", "ks_adjusted")
  if (rule$preset == "none") {
    log <- tibble::tibble(column = stats_cols, action = "balance statistic (exact)",
                          n = nrow(out))
    return(new_sdc_table(as.list(out), out, rule, log = log))
  }
  hide <- rep(FALSE, nrow(out))
  for (j in which(bin)) {
    x <- X[, j]
    cells <- c(sum(x[treat == 1] == 1), sum(x[treat == 1] == 0),
               sum(x[treat == 0] == 1), sum(x[treat == 0] == 0))
    hide[j] <- any(is_small(cells, rule))
  }
  for (cl in stats_cols) {
    v <- signif(out[[cl]], 3)
    v[hide] <- NA_real_
    out[[cl]] <- v
  }
  log <- tibble::tibble(column = stats_cols,
                        action = "balance statistic, 3 significant figures",
                        n = nrow(out))
  if (any(hide)) {
    log <- rbind_log(list(log, tibble::tibble(
      column = stats_cols,
      action = paste0("suppressed: a binary term with a count under ", rule$threshold,
                      " in an arm (with or without it)"),
      n = sum(hide))))
  }
  new_sdc_table(as.list(out), out, rule, log = log)
}

# Arm sizes and effective sample sizes under the rule: released like counts
# (an ATT's treated ESS is the treated count, a 1:1 matching's control ESS
# the matched controls).
balance_ess <- function(tab, rule) {
  if (rule$preset == "none") return(apply_disclosure(tab, counts = "n", disclosure = rule))
  cols <- c("n", "ess_unadjusted", "ess_adjusted")
  for (cl in cols) tab[[cl]] <- round(tab[[cl]])
  apply_disclosure(tab, counts = cols, disclosure = rule)
}

#' @export
print.mq_balance <- function(x, ...) {
  NextMethod()
  e <- attr(x, "ess")
  if (is.data.frame(e)) {
    rule <- attr(e, "sdc")
    what <- if (inherits(rule, "mq_disclosure_rule")) {
      if (rule$preset == "none") "exact: DISCLOSURE CONTROL OFF" else paste0(rule_name(rule), ", ", describe_rule(rule))
    } else "as computed"
    cat("Effective sample sizes (", what, "):\n", sep = "")
    print(as.data.frame(e)[c("group", "n", "ess_unadjusted", "ess_adjusted")],
          row.names = FALSE, digits = 4)
  }
  invisible(x)
}

balance_treat <- function(x, col, rule = NULL, call = rlang::caller_env()) {
  if (is.logical(x)) x <- as.integer(x)
  if (!is.numeric(x) || anyNA(x) || !all(x %in% c(0, 1))) {
    cli::cli_abort(c("Column {.field {col}} given as {.arg treatment} must be 0/1 or logical without missing values.",
                     "x" = "Values found: {example_values(x)}."), call = call)
  }
  if (sum(x == 1) < 2 || sum(x == 0) < 2) {
    cli::cli_abort(c("Balance needs at least 2 treated and 2 control units.",
                     "x" = "{released_count(sum(x == 1), rule)} treated, {released_count(sum(x == 0), rule)} control.",
                     exact_note(rule)), call = call)
  }
  as.integer(x)
}

balance_weights <- function(data, quo, n, rule = NULL, call = rlang::caller_env()) {
  if (rlang::quo_is_null(quo)) return(NULL)
  expr <- rlang::quo_get_expr(quo)
  w <- if ((is.character(expr) && length(expr) == 1L) ||
           (rlang::is_symbol(expr) && rlang::as_string(expr) %in% names(data))) {
    data[[resolve_column(data, quo, "weights", call = call)]]
  } else {
    rlang::eval_tidy(quo)
  }
  if (is.null(w)) return(NULL)
  if (!is.numeric(w) || length(w) != n) {
    cli::cli_abort(c("{.arg weights} must be a numeric vector with one value per row ({n}) or a column name.",
                     "x" = "It is {.obj_type_friendly {w}} of length {length(w)}."), call = call)
  }
  bad <- is.na(w) | w < 0 | !is.finite(w)
  if (any(bad)) {
    nb <- sum(bad)
    cli::cli_abort(c("{.arg weights} must be finite and non-negative.",
                     "x" = "{released_count(nb, rule)} value{cli::qty(released_qty(nb, rule))}{?s} {?is/are} not: {example_values(w[bad])}.",
                     exact_note(rule)), call = call)
  }
  as.double(w)
}

# Expand covariates into a numeric matrix of terms, as cobalt does
# (get_covs_from_formula()): the spec's terms are evaluated with
# model.frame() (keeping a fit's coding: spline knots, factor levels), a
# matrix-valued term (ns(), poly()) gives one column per basis function
# ("ns(age, df = 3)_1"), and each main effect is expanded by the rules in
# the header of this file. In an interaction term, a categorical or
# two-valued variable gives one dummy per level (all levels) and the
# columns are the products over the variables, named "a_l * b".
balance_terms <- function(data, spec, rule = NULL, call = rlang::caller_env()) {
  df <- data[spec$variables]
  nas <- vapply(df, function(x) sum(is.na(x)), 0)
  if (any(nas > 0)) {
    miss <- paste0(names(nas)[nas > 0], ": ", released_count(nas[nas > 0], rule))
    cli::cli_abort(c("Covariates have missing values.",
                     "x" = "Missing values in {miss}.",
                     "i" = "Impute them or drop those rows first.",
                     exact_note(rule)), call = call)
  }
  mf <- covariate_frame(spec, data, "covariates", call)
  fac <- attr(attr(mf, "terms"), "factors")
  labels <- colnames(fac)
  vars <- lapply(seq_along(mf), function(j) balance_variable(mf[[j]], names(mf)[j], call))
  out <- list(); bin <- logical(); var <- character()
  add <- function(t, x, b, v) {
    out[[t]] <<- x; bin[t] <<- b; var[t] <<- v
  }
  for (k in seq_along(labels)) {
    used <- which(fac[, k] > 0)
    if (length(used) == 1L) {
      for (v in vars[[used]]) balance_main(v, names(mf)[used], add, call)
    } else {
      # every variable as its columns (dummies for all levels), then the
      # products, the first variable varying fastest as in model.matrix()
      parts <- lapply(used, function(j) unlist(lapply(vars[[j]], balance_dummies), recursive = FALSE))
      idx <- expand.grid(lapply(parts, seq_along))
      for (r in seq_len(nrow(idx))) {
        cols <- lapply(seq_along(parts), function(p) parts[[p]][[idx[r, p]]])
        x <- Reduce(`*`, lapply(cols, `[[`, "x"))
        t <- paste(vapply(cols, `[[`, "", "name"), collapse = " * ")
        add(t, x, length(unique(x)) <= 2L, labels[k])
      }
    }
  }
  X <- do.call(cbind, out)
  colnames(X) <- names(out)
  bad <- colSums(!is.finite(X)) > 0
  if (any(bad)) {
    cli::cli_abort(c("Covariate terms have missing or non-finite values.",
                     "x" = "Term{?s}: {.field {colnames(X)[bad]}}.",
                     "i" = "Check the transformations (e.g. {.fn log} of zero or negative values)."),
                   call = call)
  }
  attr(X, "binary") <- unname(bin[names(out)])
  attr(X, "variable") <- unname(var[names(out)])
  X
}

# One model-frame variable as a list of named vectors: itself, or the
# columns of a matrix-valued term named as cobalt names them.
balance_variable <- function(x, name, call) {
  if (is.matrix(x)) {
    cn <- colnames(x)
    nm <- if (is.null(cn) && ncol(x) == 1L) name else if (is.null(cn)) {
      paste0(name, "_", seq_len(ncol(x)))
    } else if (all(!is.na(suppressWarnings(as.numeric(cn))))) paste0(name, "_", cn) else cn
    return(lapply(seq_len(ncol(x)), function(j) list(name = nm[j], x = as.vector(x[, j]))))
  }
  if (!(is.numeric(x) || is.factor(x) || is.character(x) || is.logical(x))) {
    cli::cli_abort(c("Covariate {.field {name}} must be numeric, logical, factor or character.",
                     "x" = "It is {.obj_type_friendly {x}}."), call = call)
  }
  if (is.character(x)) x <- factor(x)
  if (is.factor(x)) x <- droplevels(x)
  list(list(name = name, x = x))
}

# A main effect: a logical gives one row; a factor one 0/1 row per level (a
# two-level one only its second level), named "name_level"; a numeric with
# two values other than 0/1 one row for the larger ("name_7"); other numerics
# are continuous (binary when 0/1).
balance_main <- function(v, label, add, call) {
  x <- v$x
  nm <- v$name
  if (is.logical(x)) {
    add(nm, as.numeric(x), TRUE, label)
  } else if (is.factor(x)) {
    lv <- levels(x)
    if (length(lv) < 2L) {
      cli::cli_abort(c("Covariate {.field {nm}} has a single level.",
                       "x" = "Level: {.val {lv}}."), call = call)
    }
    if (length(lv) == 2L) lv <- lv[2L]
    for (l in lv) add(paste0(nm, "_", l), as.numeric(x == l), TRUE, label)
  } else {
    u <- unique(x)
    if (length(u) == 2L && !all(u %in% c(0, 1))) {
      add(paste0(nm, "_", format(max(u))), as.numeric(x == max(u)), TRUE, label)
    } else {
      add(nm, as.double(x), length(u) <= 2L, label)
    }
  }
}

# A variable inside an interaction: categorical and two-valued variables as
# one dummy per level, other numerics as they are.
balance_dummies <- function(v) {
  x <- v$x
  if (is.logical(x) || (is.numeric(x) && length(unique(x)) == 2L)) x <- factor(x)
  if (!is.factor(x)) return(list(list(name = v$name, x = as.double(x))))
  lapply(levels(x), function(l) list(name = paste0(v$name, "_", l), x = as.numeric(x == l)))
}

# Weighted mean and variance of each column within the rows `idx`.
w_mean <- function(X, w) colSums(X * w) / sum(w)
w_var <- function(X, w, bin) {
  m <- w_mean(X, w)
  sw <- sum(w)
  v <- colSums(w * sweep(X, 2L, m)^2) * sw / (sw^2 - sum(w^2))
  v[bin] <- m[bin] * (1 - m[bin])
  v
}

balance_stats <- function(X, bin, treat, w) {
  t1 <- treat == 1
  if (sum(w[t1] > 0) < 1 || sum(w[!t1] > 0) < 1) {
    cli::cli_abort("Each arm needs at least one unit with a positive weight.",
                   call = rlang::caller_env(2))
  }
  X1 <- X[t1, , drop = FALSE]; X0 <- X[!t1, , drop = FALSE]
  diff <- w_mean(X1, w[t1]) - w_mean(X0, w[!t1])
  vr <- w_var(X1, w[t1], bin) / w_var(X0, w[!t1], bin)
  # KS: signed cumulative weights (treated +w/sum, control -w/sum) in order
  # of x, read at the last unit of each run of tied values.
  sw <- ifelse(t1, w / sum(w[t1]), -w / sum(w[!t1]))
  ks <- vapply(seq_len(ncol(X)), function(j) {
    if (bin[j]) return(abs(diff[j]))
    x <- X[, j]
    o <- order(x)
    cs <- cumsum(sw[o])
    last <- c(diff(x[o]) != 0, TRUE)
    max(abs(cs[last]))
  }, 0)
  list(diff = unname(diff), vr = unname(vr), ks = ks)
}

# Unweighted (or, for "weighted", adjustment-weighted) SDs for the SMD.
balance_denoms <- function(X, bin, treat, s_d_denom, w) {
  one <- rep(1, length(treat))
  t1 <- treat == 1
  v <- switch(
    s_d_denom,
    treated = w_var(X[t1, , drop = FALSE], one[t1], bin),
    control = w_var(X[!t1, , drop = FALSE], one[!t1], bin),
    pooled = (w_var(X[t1, , drop = FALSE], one[t1], bin) +
                w_var(X[!t1, , drop = FALSE], one[!t1], bin)) / 2,
    all = w_var(X, one, bin),
    weighted = w_var(X, w, bin)
  )
  d <- unname(sqrt(v))
  zero <- !is.finite(d) | d < sqrt(.Machine$double.eps)
  if (any(zero)) d[zero] <- unname(sqrt(w_var(X[, zero, drop = FALSE], one, bin[zero])))
  d
}

#' Love plot of covariate balance
#'
#' The plot shows standardised differences only (no counts); made from a
#' balance table with disclosure control off, its subtitle says so.
#'
#' @param object A balance table from [balance()] or [balance_table()].
#' @param threshold Reference lines at plus and minus this SMD (0.1).
#' @param abs Plot absolute differences?
#' @param ... Not used.
#' @returns A ggplot object.
#' @exportS3Method ggplot2::autoplot
autoplot.mq_balance <- function(object, threshold = 0.1, abs = TRUE, ...) {
  rlang::check_installed("ggplot2", "to draw a love plot.")
  f <- if (abs) base::abs else identity
  long <- data.frame(
    term = rep(object$term, 2L),
    sample = rep(c("Unadjusted", "Adjusted"), each = nrow(object)),
    smd = f(c(object$smd_unadjusted, object$smd_adjusted))
  )
  long <- long[!is.na(long$smd), ]
  long$term <- factor(long$term, levels = rev(object$term))
  long$sample <- factor(long$sample, levels = c("Unadjusted", "Adjusted"))
  # plot data from the released table, marked with its rule
  long <- log_columns(sdc_plot_frame(long, object), "smd",
                      "balance statistic from the released balance table")
  lab <- if (attr(object, "binary") == "raw") {
    "Standardised mean difference (binary: raw difference)"
  } else "Standardised mean difference"
  if (abs) lab <- paste0("Absolute ", tolower(substr(lab, 1, 1)), substring(lab, 2))
  p <- ggplot2::ggplot(long, ggplot2::aes(x = .data$smd, y = .data$term,
                                          colour = .data$sample)) +
    ggplot2::geom_vline(xintercept = 0, colour = "grey40") +
    ggplot2::geom_vline(xintercept = c(if (!abs) -threshold, threshold),
                        linetype = "dashed", colour = "grey60") +
    ggplot2::geom_point(size = 2) +
    ggplot2::labs(x = lab, y = NULL, colour = NULL,
                  title = "Covariate balance",
                  subtitle = plot_subtitle(attr(attr(object, "ess"), "sdc"),
                                           paste0("Estimand ", attr(object, "estimand"),
                                                  "; SD denominator: ", attr(object, "s_d_denom")))) +
    ggplot2::theme_minimal()
  p
}
