# Fitting one (sub)group for estimate_effect(): input checks that depend on
# the group, the engine call or matching, and the diagnostics (separation,
# propensity scores near 0 or 1, extreme weights) raised as warnings.

# Convergence tolerance and iteration limit of the IRLS fits (glm.fit's
# rule; tighter than glm.control()'s 1e-8 so that the score equations are
# solved well enough for the sandwich).
irls_epsilon <- function() getOption("matequity.irls_epsilon", 1e-10)
irls_maxit <- function() getOption("matequity.irls_maxit", 100L)

# TMLE bounds the outcome predictions to [q_bound, 1 - q_bound] before the
# fluctuation (the tmle package's default for a binary outcome).
tmle_q_bound <- 5e-4

# The options of the engine's effect calls (.cpp_effect_fit,
# .cpp_effect_boot, .cpp_stack_eval, .cpp_multi_effect) as the one named list
# the glue reads into the engine's spec (src/spec_glue.h checks every field
# by name and type): method and estimand by name, the outcome type, weight
# truncation (NA: none), the TMLE bound, the IRLS control, whether the
# sandwich stacks the propensity model (vcov = "sandwich") or takes the
# weights as known, the thread count, the bootstrap seed (NA: no bootstrap)
# and, for a multi-category treatment, the focal level (0: the ATE).
effect_engine_spec <- function(method, estimand, binary, vcov, nthreads, truncate = NULL,
                               seed = NULL, focal = 0L) {
  list(method = method, estimand = estimand, binary = isTRUE(binary),
       truncate = if (is.null(truncate)) NA_real_ else as.numeric(truncate),
       q_bound = tmle_q_bound, epsilon = irls_epsilon(), maxit = as.integer(irls_maxit()),
       account_ps = identical(vcov, "sandwich"), nthreads = as.integer(nthreads),
       seed = if (is.null(seed)) NA_real_ else as.numeric(seed), focal = as.integer(focal))
}

# The spec of a bare model fit (.cpp_logit_fit, .cpp_multinom_fit): the
# IRLS control and the thread count only, the fields of the same names in
# effect_engine_spec() (which those calls also accept).
irls_control_spec <- function(nthreads = 1L, epsilon = irls_epsilon(), maxit = irls_maxit()) {
  list(epsilon = as.numeric(epsilon), maxit = as.integer(maxit), nthreads = as.integer(nthreads))
}

# The propensity score alone (trimming, matching): logistic IRLS with the
# spec's control.
fit_ps_only <- function(X, a, spec) {
  n <- length(a)
  .cpp_logit_fit(X, as.numeric(a), rep(1, n), rep(0, n), spec)
}

# One (sub)group's fit. `opts` holds the engine spec (`engine`, from
# effect_engine_spec()) and the R-side options: vcov, reps, trim, k,
# replace, caliper. Returns the group's part of the fit object: estimates,
# variances, bootstrap replicates, counts and model summaries, with named
# coefficient vectors, and no n-by-p copies: the design is not kept (its
# column names are the names of the coefficients, `p` its width), nor the
# influence functions or outcome predictions. The per-unit vectors
# (treatment, score, weights, which rows were kept) come back in `units`,
# which effect_units() moves to the fit's top level, one copy each.
fit_one_group <- function(X, Z, a, y, cl, opts, where, rule = NULL, call = rlang::caller_env()) {
  rule <- resolve_disclosure(rule, arg = "disclosure", call = call)
  spec <- opts$engine
  binary <- spec$binary
  label <- if (is.null(where)) "" else paste0(" in subgroup ", where)
  check_arms(a, y, binary, label, call, rule)
  x_names <- colnames(X)
  z_names <- colnames(Z)
  p <- ncol(X)
  # the engine works on centred and scaled designs; the coefficients are put
  # back on the scale of the designs as given
  # (one scaled copy when the outcome design is the propensity design)
  same_design <- identical(Z, X)
  X <- scale_design(X)
  Z <- if (same_design) X else scale_design(Z)
  n_before <- length(a)
  keep <- rep(TRUE, n_before)
  n_trimmed <- 0L
  trim <- opts$trim
  if (!is.null(trim) && trim > 0) {
    ps0 <- fit_ps_only(X, a, spec)$fitted.values
    keep <- ps0 >= trim & ps0 <= 1 - trim
    n_trimmed <- sum(!keep)
    if (n_trimmed > 0L) {
      X <- subset_design(X, keep)
      Z <- if (same_design) X else subset_design(Z, keep)
      a <- a[keep]
      y <- y[keep]
      cl <- cl[keep]
      check_arms(a, y, binary, paste0(label, " after trimming ", released_count(n_trimmed, rule),
                                      " unit(s)"), call, rule)
    }
  }
  clc <- if (is.null(cl)) integer() else group_codes(cl)
  G <- if (is.null(cl)) 0L else max(clc)
  if (!is.null(cl) && G < 2L) {
    cli::cli_abort("The cluster-robust variance needs at least 2 clusters{label}; there is {G}.",
                   call = call)
  }
  matching <- identical(spec$method, "matching")
  matched <- NULL
  if (matching) {
    res <- fit_matching(X, a, y, spec, opts, clc, G, call, rule)
    matched <- res$matched
  } else {
    res <- tryCatch(
      .cpp_effect_fit(X, Z, as.numeric(a), y, clc, spec),
      error = function(e) {
        cli::cli_abort(c("The effect could not be estimated{label}.",
                         "x" = conditionMessage(e),
                         "i" = "Look for covariates that perfectly predict the treatment or the outcome within an arm."),
                       call = call)
      })
  }
  diagnose_fit(res, x_names, z_names, a, label, call, rule)
  boot <- NULL
  if (opts$vcov == "bootstrap") {
    boot <- run_bootstrap(X, Z, a, y, clc, spec, opts$reps, label,
                          starts = boot_starts(res, binary))
  }
  res$ps_model$coefficients <- named_coef(unscale_coef(res$ps_model$coefficients, X), x_names)
  if (!is.null(res$outcome_model)) {
    res$outcome_model$coef1 <- named_coef(unscale_coef(res$outcome_model$coef1, Z), z_names)
    res$outcome_model$coef0 <- named_coef(unscale_coef(res$outcome_model$coef0, Z), z_names)
  }
  w <- res$weights
  list(mu = stats::setNames(res$mu, c("treated", "control")), V = res$vcov, boot = boot,
       n = length(a), n_treated = sum(a == 1L), n_control = sum(a == 0L),
       ess_treated = ess(w[a == 1L]), ess_control = ess(w[a == 0L]),
       n_trimmed = n_trimmed, n_truncated = sum(res$n_truncated),
       converged = isTRUE(res$ps_model$converged) && isTRUE(res$outcome_model$converged %||% TRUE),
       iterations = res$ps_model$iter, n_clusters = if (G > 0L) G else NA_integer_,
       p = p, ps_model = res$ps_model, outcome_model = res$outcome_model, matched = matched,
       sample = sample_counts(a, y, w, binary),
       units = list(treat = as.integer(a), ps = res$ps, weights = w, keep = keep))
}

# Coefficients named by their design columns (a model the method does not
# fit has none).
named_coef <- function(b, nm) if (length(b) == length(nm)) stats::setNames(b, nm) else b

# The counts that the disclosure checks of the fit rest on (glance(),
# print(), tidy(), disclosure_check()), taken when the fit is made, so that
# the fit keeps no outcome vector: per arm the units and (binary outcome)
# events, the same among the units with a non-zero weight (the sample a
# weighted or matched estimate rests on), and each arm's effective sample
# size.
sample_counts <- function(a, y, w, binary) {
  wt <- if (length(w) == length(a)) w else rep(1, length(a))
  used <- wt > 0
  arm <- function(sel) c(treated = sum(sel & a == 1L), control = sum(sel & a == 0L))
  events <- function(sel) c(treated = sum(y[sel & a == 1L]), control = sum(y[sel & a == 0L]))
  list(units = arm(TRUE), units_used = arm(used),
       events = if (binary) events(TRUE), events_used = if (binary) events(used),
       ess = c(treated = ess(wt[a == 1L]), control = ess(wt[a == 0L])))
}

# A group's sample counts (fits made before they were stored kept the
# per-unit vectors in the group) and its propensity design's width.
group_sample <- function(f, binary) {
  f$sample %||% sample_counts(f$treat, f$y, f$weights, binary)
}
group_p <- function(f) f$p %||% (if (is.matrix(f$X)) ncol(f$X) else 0L)

# Designs as the engine sees them: every column but the intercept centred
# (when there is an intercept) and divided by its standard deviation. The
# column space is unchanged, so fitted values, weights, estimates and their
# variances are those of the design as given; but X'WX stays well
# conditioned when a covariate is far from zero relative to its spread
# (calendar years 2019-2025 as a number), where the unscaled information
# matrix loses most of its digits. Constant columns are left as they are.
# One copy of X is made, column by column (the same arithmetic as
# sweep(), without its intermediate copies).
scale_design <- function(X) {
  p <- ncol(X)
  ones <- vapply(seq_len(p), function(j) all(X[, j] == 1), TRUE)
  int <- which(colnames(X) == "(Intercept)" | ones)
  centre <- numeric(p)
  scale <- rep(1, p)
  out <- X
  for (j in setdiff(seq_len(p), int)) {
    v <- X[, j]
    s <- stats::sd(v)
    if (!is.finite(s) || s == 0) next
    if (length(int)) centre[j] <- mean(v)
    scale[j] <- s
    out[, j] <- (v - centre[j]) / s
  }
  attr(out, "centre") <- centre
  attr(out, "scale") <- scale
  attr(out, "intercept") <- int[1L]
  out
}

subset_design <- function(X, keep) {
  out <- X[keep, , drop = FALSE]
  for (a in c("centre", "scale", "intercept")) attr(out, a) <- attr(X, a)
  out
}

# Coefficients of a model fitted on scale_design(X) on the scale of X:
# b_j = b*_j / s_j, and the intercept less sum_j b_j c_j. Aliased (NA)
# coefficients stay NA.
unscale_coef <- function(b, Xs) {
  if (is.null(b) || !length(b) || is.null(attr(Xs, "scale"))) return(b)
  centre <- attr(Xs, "centre")
  out <- b / attr(Xs, "scale")
  int <- attr(Xs, "intercept")
  if (!is.na(int) && length(int)) {
    out[int] <- b[int] - sum((out * centre)[-int], na.rm = TRUE)
  }
  out
}

ess <- function(w) .cpp_ess(as.numeric(w))  # Kish (sum w)^2 / sum w^2, weights.hpp

check_arms <- function(a, y, binary, label, call, rule = NULL) {
  n1 <- sum(a == 1L)
  n0 <- sum(a == 0L)
  rc <- function(n) released_count(n, rule)
  if (length(a) == 0L) cli::cli_abort("No rows{label}.", call = call)
  if (n1 == 0L || n0 == 0L) {
    cli::cli_abort(c("The treatment does not vary{label}.",
                     "x" = "{rc(n1)} treated and {rc(n0)} control row{cli::qty(released_qty(n0, rule))}{?s}.",
                     exact_note(rule)), call = call)
  }
  if (binary) {
    e1 <- sum(y[a == 1L])
    e0 <- sum(y[a == 0L])
    if (e1 == 0 || e0 == 0 || e1 == n1 || e0 == n0) {
      cli::cli_abort(c("The binary outcome has no events (or only events) in an arm{label}.",
                       "x" = "Treated: {rc(e1)} event{cli::qty(released_qty(e1, rule))}{?s} in {rc(n1)}; controls: {rc(e0)} event{cli::qty(released_qty(e0, rule))}{?s} in {rc(n0)}.",
                       "i" = "Risk ratios and odds ratios are not defined.",
                       exact_note(rule)), call = call)
    }
  }
  invisible(TRUE)
}

# Warnings about the fit. Their counts (units with fitted probabilities of 0
# or 1, extreme scores, arm sizes and effective sample sizes) are shown as
# the fit's rule releases them; the extreme scores and weights themselves
# (one unit's values) only with disclosure control off.
diagnose_fit <- function(res, x_names, z_names, a, label, call, rule = NULL) {
  rule <- resolve_disclosure(rule, arg = "disclosure", call = call)
  off <- rule$preset == "none"
  rc <- function(n) released_count(n, rule)
  pm <- res$ps_model
  if (length(pm$aliased)) {
    cli::cli_warn(c("The propensity model has {length(pm$aliased)} aliased column{?s}{label} (coefficient set to NA, as glm does).",
                    "i" = "{.field {x_names[pm$aliased]}}."), call = call)
  }
  if (!isTRUE(pm$converged)) {
    cli::cli_warn("The propensity model did not converge in {pm$iter} iterations{label}.", call = call)
  }
  if (pm$n_fitted_01 > 0L || length(pm$diverging)) {
    cli::cli_warn(c("Separation in the propensity model{label}: {rc(pm$n_fitted_01)} fitted probabilit{cli::qty(released_qty(pm$n_fitted_01, rule))}{?y/ies} numerically 0 or 1.",
                    "x" = if (length(pm$diverging)) "Diverging coefficients: {.field {x_names[pm$diverging]}}.",
                    "i" = "These covariates (nearly) determine the treatment; consider coarsening or dropping them, or trimming."),
                  call = call)
  }
  e <- res$ps
  extreme <- sum(e < 0.01 | e > 0.99)
  if (extreme > 0L) {
    cli::cli_warn(c("{rc(extreme)} propensity score{cli::qty(released_qty(extreme, rule))}{?s} {?is/are} below 0.01 or above 0.99{label}.",
                    "i" = if (off) "Range: [{signif(min(e), 3)}, {signif(max(e), 3)}]; consider {.arg trim} or the ATO." else
                      "Consider {.arg trim} or the ATO.",
                    exact_note(rule)),
                  call = call)
  }
  om <- res$outcome_model
  if (!is.null(om) && !isTRUE(om$converged)) {
    cli::cli_warn("An outcome model did not converge{label}.", call = call)
  }
  if (!is.null(om) && length(c(om$aliased1, om$aliased0))) {
    cli::cli_warn(c("Outcome-model column{?s} aliased within an arm{label} (dropped).",
                    "i" = "Treated arm: {.field {z_names[om$aliased1]}}; control arm: {.field {z_names[om$aliased0]}}."),
                  call = call)
  }
  w <- res$weights
  for (arm in 1:0) {
    wa <- w[a == arm]
    ea <- ess(wa)
    if (length(wa) >= 10L && ea < 0.1 * length(wa)) {
      ess_txt <- if (off) format(round(ea, 1)) else rc(ea)
      cli::cli_warn(c("Extreme weights in the {if (arm == 1) 'treated' else 'control'} arm{label}: effective sample size {ess_txt} of {rc(length(wa))}.",
                      "i" = if (off) "Largest weight {signif(max(wa), 3)} ({signif(100 * max(wa) / sum(wa), 3)}% of the arm's total); consider {.arg trim} or {.arg truncate}." else
                        "A few units carry much of the arm's weight; consider {.arg trim} or {.arg truncate}.",
                      exact_note(rule)),
                    call = call)
    }
  }
  invisible(TRUE)
}

# Nearest-neighbour matching on the logit propensity score, then Hajek means
# with the matching weights. The ATT matches treated units to controls in
# decreasing order of the score; the ATC matches controls to treated units on
# the same score in increasing order (MatchIt's estimand = "ATC": the
# controls become the focal group, m.order = "smallest", and a tie in
# distance goes to the unit with the lower score, as for the ATT).
#
# The variance treats the weights as fixed and is that of the matched sample
# (MatchIt's match_data(): units with a non-zero weight), the treatment
# coefficient of lm(y ~ treat, weights) on it:
# * without replacement, clustered on the matched sets (pair membership):
#   sandwich::vcovCL(type = "HC0") with the G/(G-1) factor, G the number of
#   matched sets; unmatched units are neither observations nor clusters;
# * with `cluster`, clustered on it instead, G the clusters with a matched unit;
# * with replacement (the sets overlap), the HC3 robust variance over units
#   that MatchIt's documentation recommends (Hill and Reiter 2006):
#   sandwich::vcovHC(type = "HC3"); unit i's leverage is its share of its
#   arm's total weight.
fit_matching <- function(X, a, y, spec, opts, clc, G, call, rule = NULL) {
  estimand <- spec$estimand
  replace <- opts$replace
  ns <- asNamespace("matequity")
  if (!exists("match_nearest", envir = ns, inherits = FALSE)) {
    cli::cli_abort("Matching is not available in this build (match_nearest() is missing).",
                   call = call)
  }
  n <- length(a)
  ps_fit <- fit_ps_only(X, a, spec)
  e <- ps_fit$fitted.values
  lp <- stats::qlogis(e)
  focal <- if (estimand == "ATT") a else 1L - a
  m <- get("match_nearest", envir = ns)(ps_logit = lp, treat = focal, k = opts$k,
                                         replace = replace, caliper = opts$caliper,
                                         order = if (estimand == "ATT") "largest" else "smallest",
                                         disclosure = rule, call = call)
  w <- as.numeric(m$weights)
  W <- c(sum(w[a == 1L]), sum(w[a == 0L]))
  # the Hajek means with the matching weights and their influence
  # functions, from the engine's stacked mean blocks (treated, then controls)
  wm <- .cpp_weighted_means(as.numeric(y), 2L - as.integer(a), 2L, w)
  mu <- wm$mu
  IF <- wm$influence
  used <- w > 0
  if (G > 0L || !replace) {
    sc <- if (G > 0L) group_codes(ifelse(used, clc, NA)) else group_codes(m$subclass)
    ncl <- max(0L, sc, na.rm = TRUE)
    if (ncl < 2L) {
      what <- if (G > 0L) "clusters" else "matched sets"
      cli::cli_abort(c("The matched-sample variance needs at least 2 {what}; there {cli::qty(ncl)}{?is/are} {ncl}.",
                       "i" = if (G > 0L) "Only clusters with a matched unit count."),
                     call = call)
    }
    V <- .cpp_vcov_from_if(IF, sc, ncl, 1L)
  } else {
    h <- ifelse(a == 1L, w / W[1], w / W[2])
    V <- crossprod(IF / (1 - h)) / n^2
    ncl <- NA_integer_
  }
  list(mu = mu, vcov = V, ps = e, weights = w, n_truncated = c(0, 0),
       ps_model = list(coefficients = ps_fit$coefficients, converged = ps_fit$converged,
                       iter = ps_fit$iter, aliased = ps_fit$aliased, diverging = ps_fit$diverging,
                       n_fitted_01 = ps_fit$n_fitted_01),
       outcome_model = NULL, n_clusters = ncl,
       matched = list(subclass = m$subclass, n_matched = m$n_matched))
}

# Starting values for the replicates' logistic fits: the full-sample
# coefficients (each replicate then converges in fewer iterations, to the
# same optimum and by the same rule). Empty vectors mean glm.fit's start.
boot_starts <- function(res, binary) {
  cf <- function(x) if (is.null(x) || !all(is.finite(x) | is.na(x))) numeric() else as.numeric(x)
  list(ps = cf(res$ps_model$coefficients),
       out1 = if (binary) cf(res$outcome_model$coef1) else numeric(),
       out0 = if (binary) cf(res$outcome_model$coef0) else numeric())
}

run_bootstrap <- function(X, Z, a, y, clc, spec, reps, label,
                          starts = list(ps = numeric(), out1 = numeric(), out0 = numeric())) {
  R <- as.integer(reps)
  # Chunks of 100 replicates per thread: each engine call sets up its
  # per-thread buffers once; the progress bar and Ctrl-C act between chunks.
  chunk <- max(1L, min(R, 100L * spec$nthreads))
  out <- boot_chunks(R, chunk, paste0("Bootstrap", label), function(b0, b1) {
    .cpp_effect_boot(X, Z, as.numeric(a), y, clc, spec, b0, b1, starts$ps, starts$out1,
                     starts$out0)
  }, ncol = 2L, label = label)
  colnames(out) <- c("treated", "control")
  out
}
