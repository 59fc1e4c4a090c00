# Multi-category treatments in estimate_effect() (for example the four care
# models none / personalised plan only / CoC only / both): multinomial
# generalised propensity scores, Hajek IPW and augmented IPW means of the
# outcome under each level, every pairwise contrast, M-estimation sandwich
# variances (multinomial.hpp), and the per-level disclosure check.

# Is the treatment multi-category: a factor with more than two levels
# present, or a character / whole-number column with more than two values?
is_multi_treatment <- function(x) {
  vals <- unique(x[!is.na(x)])
  if (length(vals) <= 2L) return(FALSE)
  is.factor(x) || is.character(x) || (is.numeric(x) && all(vals == round(vals)))
}

# The levels of a multi-category treatment: factor levels present, else the
# sorted values; `reference` (NULL: the first) is moved to the front.
multi_levels <- function(x, name, reference, focal, call) {
  lev <- if (is.factor(x)) levels(droplevels(x)) else as.character(sort(unique(x[!is.na(x)])))
  check_level <- function(v, arg) {
    if (is.null(v)) return(NULL)
    if (length(v) != 1L || !as.character(v) %in% lev) {
      cli::cli_abort(c("{.arg {arg}} must be one level of the treatment {.field {name}}.",
                       "x" = "It is {.val {as.character(v)}}.",
                       "i" = "Levels: {.val {lev}}."), call = call)
    }
    as.character(v)
  }
  list(levels = lev, reference = check_level(reference, "reference") %||% lev[1],
       focal = check_level(focal, "focal"))
}

estimate_effect_multi <- function(data, trt, out, cspec, ospec, same_oc, by_col, cl_col,
                                  estimand, method, vcov, vcov_default, conf_level, trim,
                                  truncate, missing, reference, focal, rule, nthreads,
                                  call, top) {
  if (!method %in% c("ipw", "aipw")) {
    cli::cli_abort(c("With a multi-category treatment {.arg method} must be {.val ipw} or {.val aipw}.",
                     "x" = "It is {.val {method}}.",
                     "i" = "{.field {trt}} has {length(unique(data[[trt]]))} levels."), call = top)
  }
  if (!estimand %in% c("ATE", "ATT")) {
    cli::cli_abort(c("With a multi-category treatment {.arg estimand} must be {.val ATE} or {.val ATT}.",
                     "x" = "It is {.val {estimand}}."), call = top)
  }
  if (vcov_default) vcov <- "sandwich"
  if (!vcov %in% c("sandwich", "robust")) {
    cli::cli_abort(c("{.arg vcov} = {.val {vcov}} is not available for a multi-category treatment.",
                     "i" = "Available: {.val {c('sandwich', 'robust')}}."), call = top)
  }
  if (!is.null(trim) || !is.null(truncate)) {
    cli::cli_abort("{.arg trim} and {.arg truncate} are not available for a multi-category treatment.",
                   call = top)
  }
  check_number(conf_level, 0, 1)
  if (conf_level <= 0 || conf_level >= 1)
    cli::cli_abort("{.arg conf_level} must be strictly between 0 and 1.", call = top)
  lv <- multi_levels(data[[trt]], trt, reference, focal, top)
  if (estimand == "ATT" && is.null(lv$focal)) {
    cli::cli_abort(c("The ATT of a multi-category treatment needs a {.arg focal} level.",
                     "i" = "Levels of {.field {trt}}: {.val {lv$levels}}."), call = top)
  }
  if (estimand == "ATE" && !is.null(lv$focal)) {
    cli::cli_abort("{.arg focal} is used with {.code estimand = \"ATT\"} only.", call = top)
  }
  if (is.null(cspec) || !length(cspec$labels))
    cli::cli_abort("{.arg covariates} must name at least one column.", call = top)
  covs <- cspec$variables
  ocovs <- ospec$variables
  if (trt %in% c(covs, ocovs) || out %in% c(covs, ocovs))
    cli::cli_abort("The treatment and outcome cannot also be covariates.", call = top)
  used <- unique(c(trt, out, covs, ocovs, by_col, cl_col))
  mis <- handle_missing(data, used, missing, rule, call = top)
  data <- mis$data
  lev <- lv$levels
  a <- match(as.character(data[[trt]]), lev)
  yinfo <- outcome_vector(data[[out]], out, rule, call = top)
  sub <- subgroups(data, by_col, call = top)
  glev <- sub$levels
  cl <- if (is.null(cl_col)) NULL else group_codes(data[[cl_col]])
  des <- effect_designs(cspec, ospec, same_oc, data, rule)
  X <- des$X
  Z <- des$Z
  cspec <- des$cspec
  ospec <- des$ospec
  group_design <- subgroup_design(data, rule, grouped = !is.null(by_col))
  spec <- effect_engine_spec(method, estimand, yinfo$binary, vcov, nthreads,
                             focal = if (is.null(lv$focal)) 0L else match(lv$focal, lev))
  fits <- vector("list", length(glev))
  names(fits) <- glev
  group_rows <- fits
  for (gi in seq_along(glev)) {
    rows <- if (is.null(by_col)) seq_len(nrow(data)) else which(sub$code == gi)
    group_rows[[gi]] <- rows
    where <- if (is.null(by_col)) NULL else sub$where[gi]
    fit_group <- function() fit_multi_group(
      group_design(cspec, X, rows, "covariates"),
      group_design(ospec, Z, rows, "outcome_covariates"), a[rows], lev, yinfo$y[rows],
      spec, if (is.null(cl)) NULL else cl[rows], where, rule, top)
    fits[[gi]] <- if (is.null(by_col)) fit_group() else tryCatch(fit_group(), error = function(e) {
      why <- condition_text(e)
      cli::cli_warn(c("The effect could not be estimated in subgroup {where}; its estimates are NA.",
                      "x" = "{why}"), call = top)
      failed_multi_group(a[rows], lev, yinfo$y[rows], ncol(X), why)
    })
  }
  rm(X, Z, des)
  res <- assemble_multi(fits, glev, by_col, lev, lv$reference, yinfo$binary, conf_level)
  units <- effect_units(fits, group_rows, glev, by_col, data, covs)
  units$top$treat <- factor(lev[units$top$treat], levels = lev)
  units$top$ps <- do.call(rbind, lapply(fits, function(f) f$units$ps))
  label <- c(ipw = "Inverse probability weighting (Hajek), multinomial propensity scores",
             aipw = "Augmented IPW (doubly robust), multinomial propensity scores")[[method]]
  structure(c(res, units$top, list(
    call = call, method = method, method_label = label,
    estimand = if (estimand == "ATT") paste0("ATT (focal ", lv$focal, ")") else "ATE",
    estimand_code = estimand, focal = lv$focal, reference = lv$reference, levels = lev,
    vcov_type = vcov, treatment = trt, outcome = out, covariate_names = covs,
    outcome_covariate_names = ocovs, covariate_spec = cspec, outcome_covariate_spec = ospec,
    outcome_type = if (yinfo$binary) "binary" else "continuous",
    by_name = by_col, cluster_name = cl_col, conf_level = conf_level,
    n_missing_dropped = mis$n_dropped, missing_by_variable = mis$counts, trim = NULL,
    truncate = NULL, disclosure = rule, groups = units$groups)),
    class = c("mq_effect_multi", "mq_effect"))
}

# One (sub)group's multi-category fit; as fit_one_group(), the per-unit
# vectors come back in `units` for effect_units() and the design is not kept.
fit_multi_group <- function(X, Z, a, lev, y, spec, cl, where, rule, call) {
  binary <- spec$binary
  method <- spec$method
  label <- if (is.null(where)) "" else paste0(" in subgroup ", where)
  K <- length(lev)
  rc <- function(n) released_count(n, rule)
  nk <- tabulate(a, K)
  if (any(nk == 0L)) {
    cli::cli_abort(c("Every treatment level needs units{label}.",
                     "x" = "No rows at level{?s} {.val {lev[nk == 0L]}}."), call = call)
  }
  if (binary) {
    ev <- vapply(seq_len(K), function(k) sum(y[a == k]), 0)
    bad <- ev == 0 | ev == nk
    if (any(bad)) {
      cli::cli_abort(c("The binary outcome has no events (or only events) at a treatment level{label}.",
                       "x" = "Level{?s} {.val {lev[bad]}}.",
                       "i" = "Risk ratios and odds ratios are not defined."), call = call)
    }
  }
  clc <- if (is.null(cl)) integer() else group_codes(cl)
  G <- if (is.null(cl)) 0L else max(clc)
  if (!is.null(cl) && G < 2L) {
    cli::cli_abort("The cluster-robust variance needs at least 2 clusters{label}; there is {G}.",
                   call = call)
  }
  x_names <- colnames(X)
  z_names <- colnames(Z)
  p <- ncol(X)
  q <- ncol(Z)
  Xs <- scale_design(X)
  Zs <- if (identical(Z, X)) Xs else scale_design(Z)
  rm(X, Z)
  res <- tryCatch(
    .cpp_multi_effect(Xs, Zs, as.integer(a), K, y, clc, spec),
    error = function(e) {
      cli::cli_abort(c("The effect could not be estimated{label}.",
                       "x" = conditionMessage(e),
                       "i" = "Look for covariates that perfectly predict the treatment or the outcome within a level."),
                     call = call)
    })
  pm <- res$ps_model
  if (length(pm$aliased)) {
    cli::cli_warn(c("The propensity model has {length(pm$aliased)} aliased column{?s}{label} (coefficients set to NA).",
                    "i" = "{.field {x_names[pm$aliased]}}."), call = call)
  }
  if (!isTRUE(pm$converged)) {
    cli::cli_warn("The multinomial propensity model did not converge in {pm$iter} iterations{label}.",
                  call = call)
  }
  if (pm$n_fitted_01 > 0L) {
    cli::cli_warn(c("Separation in the propensity model{label}: {rc(pm$n_fitted_01)} fitted probabilit{cli::qty(released_qty(pm$n_fitted_01, rule))}{?y/ies} numerically 0 or 1.",
                    "i" = "Some covariates (nearly) determine the treatment level."), call = call)
  }
  if (method == "aipw" && !isTRUE(res$outcome_model$converged)) {
    cli::cli_warn("An outcome model did not converge{label}.", call = call)
  }
  cf <- apply(res$ps_model$coefficients, 2L, unscale_coef, Xs = Xs)
  cf <- matrix(cf, p, K - 1L, dimnames = list(x_names, lev[-1]))
  res$ps_model$coefficients <- cf
  if (method == "aipw") {
    res$outcome_model$coefficients <- stats::setNames(
      lapply(res$outcome_model$coefficients, function(b) stats::setNames(unscale_coef(b, Zs), z_names)),
      lev)
  }
  w <- res$weights
  ps <- res$ps
  colnames(ps) <- lev
  ess_k <- vapply(seq_len(K), function(k) ess(w[a == k]), 0)
  off <- rule$preset == "none"
  for (k in seq_len(K)) {
    if (nk[k] >= 10L && ess_k[k] < 0.1 * nk[k]) {
      cli::cli_warn(c("Extreme weights at level {.val {lev[k]}}{label}: effective sample size {if (off) format(round(ess_k[k], 1)) else rc(ess_k[k])} of {rc(nk[k])}.",
                      "i" = "A few units carry much of the level's weight."), call = call)
    }
  }
  list(mu = stats::setNames(res$mu, lev), V = res$vcov, n = length(a),
       n_level = stats::setNames(nk, lev), ess_level = stats::setNames(ess_k, lev),
       converged = isTRUE(pm$converged) && isTRUE(res$outcome_model$converged),
       iterations = pm$iter, n_clusters = if (G > 0L) G else NA_integer_, p = p,
       ps_model = res$ps_model,
       outcome_model = if (method == "aipw") res$outcome_model[c("coefficients", "aliased", "converged")],
       q = if (method == "aipw") q else 0L,
       sample = sample_counts_multi(a, lev, y, w, binary),
       units = list(treat = a, ps = ps, weights = w, keep = rep(TRUE, length(a))))
}

# The counts of a multi-category group's disclosure check, taken at fit
# time: per level, the units with a non-zero weight and (binary outcome)
# their events.
sample_counts_multi <- function(a, lev, y, w, binary) {
  used <- if (length(w) == length(a)) w > 0 else rep(TRUE, length(a))
  k <- seq_along(lev)
  list(units_used = stats::setNames(vapply(k, function(l) sum(a == l & used), 0L), lev),
       events_used = if (binary) stats::setNames(vapply(k, function(l) sum(y[a == l & used]), 0), lev))
}

failed_multi_group <- function(a, lev, y, p, why) {
  K <- length(lev)
  nk <- tabulate(a, K)
  list(mu = stats::setNames(rep(NA_real_, K), lev), V = matrix(NA_real_, K, K),
       n = length(a), n_level = stats::setNames(nk, lev),
       ess_level = stats::setNames(rep(NA_real_, K), lev),
       converged = NA, iterations = NA_integer_, n_clusters = NA_integer_, p = p, ps_model = NULL,
       outcome_model = NULL, q = 0L, sample = NULL,
       units = list(treat = integer(), ps = matrix(numeric(), 0L, K), weights = numeric(),
                    keep = logical()),
       failed = why)
}

# The contrasts: each level against the reference first, then the other
# pairs (j, k) with j after k in level order.
multi_pairs <- function(lev, reference) {
  others <- setdiff(lev, reference)
  pairs <- lapply(others, function(l) c(l, reference))
  if (length(others) > 1L) {
    cmb <- utils::combn(others, 2L)
    pairs <- c(pairs, lapply(seq_len(ncol(cmb)), function(j) rev(cmb[, j])))
  }
  pairs
}

# Estimates, SEs and intervals of the level means and every pairwise
# contrast of one group (delta method on the level means' covariance).
multi_terms <- function(fit, lev, reference, binary, conf_level) {
  m <- unname(fit$mu)
  K <- length(lev)
  pairs <- multi_pairs(lev, reference)
  rows <- list()
  add <- function(term, level, ref, theta, g, scale) {
    rows[[length(rows) + 1L]] <<- list(term = term, level = level, reference = ref,
                                       theta = theta, g = g, scale = scale)
  }
  for (k in seq_len(K)) {
    g <- numeric(K)
    g[k] <- 1
    add(if (binary) "risk" else "mean", lev[k], NA_character_, m[k], g, "identity")
  }
  for (pr in pairs) {
    j <- match(pr[1], lev)
    k <- match(pr[2], lev)
    g <- numeric(K)
    g[j] <- 1
    g[k] <- -1
    add(if (binary) "risk_difference" else "mean_difference", pr[1], pr[2], m[j] - m[k], g,
        "identity")
    if (binary) {
      g <- numeric(K)
      g[j] <- 1 / m[j]
      g[k] <- -1 / m[k]
      add("risk_ratio", pr[1], pr[2], log(m[j]) - log(m[k]), g, "log")
      g <- numeric(K)
      g[j] <- 1 / (m[j] * (1 - m[j]))
      g[k] <- -1 / (m[k] * (1 - m[k]))
      add("odds_ratio", pr[1], pr[2], stats::qlogis(m[j]) - stats::qlogis(m[k]), g, "log")
    }
  }
  J <- do.call(rbind, lapply(rows, `[[`, "g"))
  theta <- vapply(rows, `[[`, 0, "theta")
  Vt <- J %*% fit$V %*% t(J)
  se <- sqrt(pmax(diag(Vt), 0))
  if (!is.null(fit$failed)) theta[] <- se[] <- NA_real_
  z <- stats::qnorm(1 - (1 - conf_level) / 2)
  scale <- vapply(rows, `[[`, "", "scale")
  ratio <- scale == "log"
  contrast <- !is.na(vapply(rows, `[[`, "", "reference"))
  stat <- ifelse(contrast, theta / se, NA_real_)
  term <- vapply(rows, `[[`, "", "term")
  tab <- tibble::tibble(
    term = term, level = vapply(rows, `[[`, "", "level"),
    reference = vapply(rows, `[[`, "", "reference"),
    estimate = ifelse(ratio, exp(theta), theta), std.error = se, statistic = stat,
    p.value = ifelse(contrast, 2 * stats::pnorm(-abs(stat)), NA_real_),
    conf.low = ifelse(ratio, exp(theta - z * se), theta - z * se),
    conf.high = ifelse(ratio, exp(theta + z * se), theta + z * se), scale = scale)
  nm <- ifelse(contrast, paste0(ifelse(ratio, paste0("log_", term), term), "[", tab$level, " vs ",
                                tab$reference, "]"),
               paste0(term, "[", tab$level, "]"))
  attr(tab, "theta") <- stats::setNames(theta, nm)
  attr(tab, "vcov") <- Vt
  tab
}

assemble_multi <- function(fits, glev, by_col, lev, reference, binary, conf_level) {
  tabs <- lapply(fits, multi_terms, lev = lev, reference = reference, binary = binary,
                 conf_level = conf_level)
  st <- stack_groups(tabs, fits, glev, by_col)
  est <- st$est
  theta <- st$theta
  V <- st$V
  list(estimates = est, coefficients = theta, vcov = V, heterogeneity = NULL)
}

# The model's disclosure check for a multi-category fit: events and
# non-events per level (level sizes for a continuous outcome) among units
# with a non-zero weight, each level's effective sample size, and the
# residual df (the propensity model's n - p (K - 1), each level's outcome
# model's n_k - q).
model_disclosure_multi <- function(f, x, rule) {
  lev <- x$levels
  binary <- x$outcome_type == "binary"
  s <- f$sample
  if (is.null(s) && length(f$treat)) {
    # a fit made before the counts were stored kept the group's units
    s <- sample_counts_multi(match(as.character(f$treat), lev), lev, f$y, f$weights, binary)
  }
  cells <- if (is.null(s)) f$n_level else unlist(lapply(lev, function(l) {
    if (binary) {
      e <- s$events_used[[l]]
      stats::setNames(c(e, s$units_used[[l]] - e), paste0(l, c("_events", "_non_events")))
    } else {
      stats::setNames(s$units_used[[l]], l)
    }
  }))
  ess_l <- stats::setNames(f$ess_level, paste0("ess_", lev))
  df <- f$n - group_p(f) * (length(lev) - 1L)
  if (f$q > 0L) df <- min(df, f$n_level - f$q)
  disclosure_check_model(c(cells, ess_l), df, rule)
}

#' @export
tidy.mq_effect_multi <- function(x, conf.int = TRUE, conf.level = NULL, ...) {
  check_flag(conf.int, arg = "conf.int")
  if (!is.null(conf.level)) check_conf_level(conf.level, arg = "conf.level")
  out <- if (is.null(conf.level)) x$estimates else
    assemble_multi(x$groups, names(x$groups), x$by_name, x$levels, x$reference,
                   x$outcome_type == "binary", conf.level)$estimates
  if (!conf.int) out <- out[setdiff(names(out), c("conf.low", "conf.high"))]
  released_estimates(x, out)
}

#' @export
glance.mq_effect_multi <- function(x, ...) {
  rule <- effect_rule(x)
  lev <- x$levels
  rows <- lapply(names(x$groups), function(g) {
    f <- x$groups[[g]]
    chk <- model_disclosure(f, x, rule)
    counts <- stats::setNames(as.list(as.numeric(f$n_level)), paste0("n_", lev))
    esss <- stats::setNames(as.list(unname(f$ess_level)), paste0("ess_", lev))
    tibble::as_tibble(c(list(n = f$n), counts, esss, list(
      n_missing_dropped = x$n_missing_dropped, converged = f$converged,
      iterations = f$iterations, n_clusters = f$n_clusters, method = x$method,
      estimand = x$estimand, vcov = x$vcov_type, disclosure_status = chk$status,
      disclosure_reason = chk$reason)))
  })
  out <- do.call(rbind, rows)
  if (!is.null(x$by_name)) out <- tibble::add_column(out, group = names(x$groups), .before = 1L)
  disclose_multi_counts(out, paste0("n_", lev), paste0("ess_", lev), rule)
}

# glance()'s counts under the rule: level sizes and the group size released
# as counts, effective sample sizes likewise (rounded first) and suppressed
# with their level. Under a rule that does not round, n is the sum of the
# level sizes, so one suppressed level takes the next smallest with it.
disclose_multi_counts <- function(out, ncols, ecols, rule) {
  if (rule$preset == "none") {
    return(apply_disclosure(out, counts = !!c("n", ncols, "n_missing_dropped"), disclosure = rule))
  }
  for (e in ecols) out[[e]] <- round(out[[e]])
  out <- apply_disclosure(out, counts = !!c("n", ncols, ecols, "n_missing_dropped"),
                          disclosure = rule)
  extra <- list()
  if (released_exactly(rule)) {
    why <- "secondary suppression (n = sum of the level sizes)"
    for (i in seq_len(nrow(out))) {
      v <- vapply(ncols, function(cl) as.numeric(out[[cl]][i]), 0)
      if (sum(is.na(v)) == 1L && !is.na(out$n[i])) {
        nxt <- ncols[!is.na(v)][which.min(v[!is.na(v)])]
        out[[nxt]][i] <- NA
        out[[paste0(nxt, "_sdc")]][i] <- why
        extra[[length(extra) + 1L]] <- tibble::tibble(column = nxt, action = why, n = 1L)
      }
    }
  }
  for (j in seq_along(ncols)) {
    rows <- is.na(out[[ncols[j]]]) & !is.na(out[[ecols[j]]])
    if (any(rows)) {
      out[[ecols[j]]][rows] <- NA
      out[[paste0(ecols[j], "_sdc")]][rows] <- paste0("suppressed with ", ncols[j])
      extra[[length(extra) + 1L]] <- tibble::tibble(column = ecols[j],
                                                    action = paste0("suppressed with ", ncols[j]),
                                                    n = sum(rows))
    }
  }
  if (length(extra)) attr(out, "sdc_log") <- rbind_log(c(list(attr(out, "sdc_log")), extra))
  out
}

#' @export
print.summary.mq_effect_multi <- function(x, ...) {
  print(x$fit)
  g <- as.data.frame(x$glance)
  lev <- x$fit$levels
  cli::cli_text("Sample and weights per level (NA = suppressed):")
  print(g[intersect(c("group", "n", paste0("n_", lev), paste0("ess_", lev), "converged"), names(g))],
        row.names = FALSE, digits = 4)
  invisible(x)
}

#' @export
summary.mq_effect_multi <- function(object, ...) {
  structure(list(fit = object, glance = glance(object)),
            class = c("summary.mq_effect_multi", "summary.mq_effect"))
}

#' Covariate balance of a multi-category treatment fit
#'
#' Balance of a multi-category [estimate_effect()] fit, per pair of levels,
#' as `cobalt::bal.tab()` gives it for a multinomial `weightit()` object:
#' with `pairwise = TRUE` (cobalt's default) every pair of levels; with `pairwise = FALSE`, for the ATE each level against the
#' whole sample (cobalt's `"All vs. a"`: the level's mean less the sample's)
#' and for the ATT the focal level against each other level. Each pair is
#' oriented as cobalt computes it, the later level in level order (`level`)
#' against the earlier (`reference`). The SMD
#' denominator is cobalt's for multi-category treatments: for the ATE the
#' square root of the mean of the unweighted variances of all levels (not
#' only the pair's), for the ATT the focal level's unweighted SD; binary
#' terms are raw differences in proportions unless `binary = "std"`.
#' Variance ratios are `level` over `reference`.
#'
#' @param fit A multi-category fit from [estimate_effect()].
#' @param pairwise See above.
#' @param binary `"raw"` or `"std"`, as for [balance_table()].
#' @param ... Unused.
#' @returns A tibble of class `"mq_balance"` with columns `level`,
#'   `reference`, then those of [balance_table()] (`term`, `variable`,
#'   `type`, `smd_*`, `var_ratio_*`, `ks_*`), one row per pair and covariate
#'   term, released as [balance_table()] releases them (3 significant
#'   figures; a binary term with a count under the threshold in either
#'   level of the pair, with or without it, suppressed). Attribute `"ess"`:
#'   per level its size and effective sample sizes, released like counts.
#' @examples
#' set.seed(1)
#' n <- 1500
#' d <- data.frame(age = rnorm(n, 30, 5), imd = sample(1:5, n, TRUE))
#' d$care <- factor(sample(c("none", "pcsp", "coc", "both"), n, TRUE),
#'                  levels = c("none", "pcsp", "coc", "both"))
#' d$preterm <- rbinom(n, 1, plogis(-2 + 0.1 * d$imd))
#' fit <- estimate_effect(d, care, preterm, ~ age + imd, method = "ipw")
#' balance(fit)
#' balance(fit, pairwise = FALSE)
#' @export
balance.mq_effect_multi <- function(fit, pairwise = TRUE, binary = c("raw", "std"), ...) {
  check_flag(pairwise, arg = "pairwise")
  binary <- match.arg(binary)
  rule <- effect_rule(fit)
  data <- fit$covariates
  X <- balance_terms(data, fit$covariate_spec, rule)
  bin <- attr(X, "binary")
  lev <- fit$levels
  tr <- as.character(fit$treat)
  w <- fit$weights
  one <- rep(1, length(tr))
  att <- identical(fit$estimand_code, "ATT")
  denom <- if (att) {
    sqrt(w_var(X[tr == fit$focal, , drop = FALSE], one[tr == fit$focal], bin))
  } else {
    sqrt(rowMeans(vapply(lev, function(l) w_var(X[tr == l, , drop = FALSE], one[tr == l], bin),
                         numeric(ncol(X)))))
  }
  denom <- unname(denom)
  smd <- function(diff) standardise_diff(diff, denom, !bin | binary == "std")
  # pairs are oriented as cobalt computes them: the later level in level
  # order vs the earlier
  pairs <- if (pairwise) multi_pairs(lev, lev[1]) else if (att) {
    lapply(setdiff(lev, fit$focal), function(l) {
      if (match(l, lev) > match(fit$focal, lev)) c(l, fit$focal) else c(fit$focal, l)
    })
  } else lapply(lev, function(l) c(l, "(all)"))
  tabs <- lapply(pairs, function(pr) {
    if (pr[2] == "(all)") {
      # the level against the whole sample: a copy of the level's rows as
      # "treated", every row as "control" (adjusted: weighted as the fit's
      # target population, which for the ATE is the unweighted sample)
      rows <- c(which(tr == pr[1]), seq_along(tr))
      t1 <- c(rep(1L, sum(tr == pr[1])), rep(0L, length(tr)))
      wa <- c(w[tr == pr[1]], one)
    } else {
      rows <- which(tr %in% pr)
      t1 <- as.integer(tr[rows] == pr[1])
      wa <- w[rows]
    }
    Xp <- X[rows, , drop = FALSE]
    un <- balance_stats(Xp, bin, t1, rep(1, length(rows)))
    adj <- balance_stats(Xp, bin, t1, wa)
    out <- tibble::tibble(
      term = colnames(X), variable = attr(X, "variable"),
      type = ifelse(bin, "binary", "continuous"),
      smd_unadjusted = smd(un$diff), smd_adjusted = smd(adj$diff),
      var_ratio_unadjusted = ifelse(bin, NA_real_, un$vr),
      var_ratio_adjusted = ifelse(bin, NA_real_, adj$vr),
      ks_unadjusted = un$ks, ks_adjusted = adj$ks)
    out <- disclose_balance(out, Xp, bin, t1, rule)
    res <- tibble::add_column(tibble::as_tibble(as.list(out)), level = pr[1], reference = pr[2],
                              .before = 1L)
    attr(res, "log") <- attr(out, "sdc_log")
    res
  })
  # one log for the table: each action's rows summed over the pairs
  log <- as.data.frame(rbind_log(lapply(tabs, attr, "log")))
  log <- stats::aggregate(n ~ column + action, data = log, FUN = sum)
  log <- tibble::as_tibble(log[order(match(log$column, unique(log$column))), , drop = FALSE])
  out <- do.call(rbind, lapply(tabs, function(t) {
    attr(t, "log") <- NULL
    t
  }))
  out <- new_sdc_table(as.list(out), out, rule, log = log)
  ess <- function(v) sum(v)^2 / sum(v^2)
  attr(out, "ess") <- balance_ess(tibble::tibble(
    group = lev, n = vapply(lev, function(l) sum(tr == l), 0),
    ess_unadjusted = vapply(lev, function(l) sum(tr == l), 0),
    ess_adjusted = vapply(lev, function(l) ess(w[tr == l]), 0)), rule)
  attr(out, "estimand") <- fit$estimand
  attr(out, "s_d_denom") <- if (att) "focal" else "pooled (all levels)"
  attr(out, "binary") <- binary
  attr(out, "pairwise") <- pairwise
  class(out) <- c("mq_balance", setdiff(class(out), "mq_balance"))
  out
}

#' @export
evalue.mq_effect_multi <- function(x, ...) {
  cli::cli_abort(c("E-values of a multi-category fit are per contrast.",
                   "i" = "Take a row of {.fn tidy} (a {.val risk_ratio} of one {.field level} vs its {.field reference}) and pass its {.field estimate}, {.field conf.low} and {.field conf.high} to {.fn evalue}."))
}

# autoplot() of a multi-category fit: for each level k, the distribution of
# the generalised propensity score e_k among the units at level k (above
# zero) and the others (below), from counts released under the fit's rule.
#' @exportS3Method ggplot2::autoplot
autoplot.mq_effect_multi <- function(object, bins = 40, ...) {
  rlang::check_installed("ggplot2")
  rule <- effect_rule(object)
  lev <- object$levels
  tr <- as.character(object$treat)
  n <- length(tr)
  score <- unlist(lapply(lev, function(l) object$ps[, l]), use.names = FALSE)
  panel <- rep(lev, each = n)
  at <- ifelse(rep(tr, length(lev)) == panel, "at the level", "other levels")
  h <- sdc_histogram_data(score, breaks = seq(0, 1, length.out = bins + 1L),
                          group = paste(panel, at, sep = "\r"), disclosure = rule)
  parts <- strsplit(as.character(h$group), "\r", fixed = TRUE)
  h$level <- factor(vapply(parts, `[`, "", 1L), levels = lev)
  h$arm <- vapply(parts, `[`, "", 2L)
  h$mid <- (h$xmin + h$xmax) / 2
  h$height <- ifelse(h$arm == "at the level", 1, -1) * h$n
  h <- log_columns(h, "height", "released count, negative for the other levels (plot position)")
  ggplot2::ggplot(h, ggplot2::aes(x = .data$mid, y = .data$height, fill = .data$arm)) +
    ggplot2::geom_col(width = 1 / bins, na.rm = TRUE) +
    ggplot2::geom_hline(yintercept = 0) +
    ggplot2::facet_wrap(ggplot2::vars(.data$level)) +
    ggplot2::labs(x = "Generalised propensity score of the panel's level",
                  y = "Count (other levels below zero)", fill = NULL,
                  title = paste0("Generalised propensity score overlap: ", object$treatment),
                  subtitle = plot_subtitle(rule),
                  caption = "Bins with counts suppressed by the disclosure rule are not drawn.") +
    ggplot2::scale_y_continuous(labels = abs)
}
