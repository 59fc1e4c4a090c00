# Variances of effect contrasts: from influence functions (delta method),
# from bootstrap replicates, and the Wald test of equal effects across
# subgroups.

# Contrast parameters on the scale where they are estimated (identity for
# means and differences, log for ratios), and their Jacobian in (mu1, mu0).
contrast_spec <- function(binary) {
  if (binary) {
    list(terms = c("risk_treated", "risk_control", "risk_difference", "risk_ratio", "odds_ratio"),
         scale = c("identity", "identity", "identity", "log", "log"),
         f = function(m) c(m[1], m[2], m[1] - m[2], log(m[1]) - log(m[2]),
                           stats::qlogis(m[1]) - stats::qlogis(m[2])),
         J = function(m) rbind(c(1, 0), c(0, 1), c(1, -1), c(1 / m[1], -1 / m[2]),
                               c(1 / (m[1] * (1 - m[1])), -1 / (m[2] * (1 - m[2])))))
  } else {
    list(terms = c("mean_treated", "mean_control", "mean_difference"),
         scale = rep("identity", 3L),
         f = function(m) c(m[1], m[2], m[1] - m[2]),
         J = function(m) rbind(c(1, 0), c(0, 1), c(1, -1)))
  }
}

# Estimates, SEs and intervals of every contrast for one group.
effect_terms <- function(fit, binary, conf_level) {
  cs <- contrast_spec(binary)
  m <- unname(fit$mu)
  theta <- cs$f(m)
  J <- cs$J(m)
  Vt <- J %*% fit$V %*% t(J)
  se <- sqrt(diag(Vt))
  z <- stats::qnorm(1 - (1 - conf_level) / 2)
  lo <- theta - z * se
  hi <- theta + z * se
  if (!is.null(fit$boot)) {
    bt <- t(apply(fit$boot[stats::complete.cases(fit$boot), , drop = FALSE], 1L, cs$f))
    # a replicate with a risk of 0 or 1 in an arm has an infinite log ratio:
    # the ratio's bootstrap SE is then undefined (NA, said once); its
    # percentile interval is still read off the replicates
    inf <- colSums(!is.finite(bt))
    se <- apply(bt, 2L, stats::sd)
    Vt <- stats::cov(bt)
    se[inf > 0] <- NA_real_
    Vt[inf > 0, ] <- Vt[, inf > 0] <- NA_real_
    if (any(inf > 0)) {
      cli::cli_warn(c("{max(inf)} of {nrow(bt)} bootstrap replicate{?s} ha{?s/ve} a risk of 0 or 1 in an arm, so {.val {cs$terms[inf > 0]}} {?is/are} infinite there.",
                      "i" = "Their bootstrap standard error is not defined (NA); the percentile interval is given unless a replicate has no risk in either arm (0/0)."),
                    class = "matequity_bootstrap_infinite")
    }
    alpha <- (1 - conf_level) / 2
    # (0/0 in a replicate: the ratio is undefined there, and so is its interval)
    pct <- function(p) apply(bt, 2L, function(v) if (anyNA(v)) NA_real_ else
      stats::quantile(v, p, names = FALSE))
    lo <- pct(alpha)
    hi <- pct(1 - alpha)
  }
  is_contrast <- !grepl("_(treated|control)$", cs$terms)
  if (!is.null(fit$failed)) theta[] <- se[] <- lo[] <- hi[] <- NA_real_
  stat <- ifelse(is_contrast, theta / se, NA_real_)
  ratio <- cs$scale == "log"
  tibble::tibble(
    term = cs$terms,
    estimate = ifelse(ratio, exp(theta), theta),
    std.error = se,
    statistic = stat,
    p.value = ifelse(is_contrast, 2 * stats::pnorm(-abs(stat)), NA_real_),
    conf.low = ifelse(ratio, exp(lo), lo),
    conf.high = ifelse(ratio, exp(hi), hi),
    scale = cs$scale
  ) -> tab
  attr(tab, "theta") <- stats::setNames(theta, ifelse(ratio, paste0("log_", cs$terms), cs$terms))
  attr(tab, "vcov") <- Vt
  tab
}

assemble_effect <- function(fits, glev, by_col, binary, conf_level) {
  tabs <- lapply(fits, effect_terms, binary = binary, conf_level = conf_level)
  st <- stack_groups(tabs, fits, glev, by_col)
  est <- st$est
  theta <- st$theta
  V <- st$V
  failed <- st$failed
  het <- if (sum(!failed) > 1L) heterogeneity_test(tabs[!failed], binary) else NULL
  list(estimates = est, coefficients = theta, vcov = V, heterogeneity = het)
}

# The subgroups' tables stacked (with a `group` column under `by`, and a
# `note` saying why a subgroup's estimates are NA when one is), their
# estimation-scale coefficients named "group:term", and their block-diagonal
# covariance (subgroups are independent samples).
stack_groups <- function(tabs, fits, glev, by_col) {
  failed <- vapply(fits, function(f) !is.null(f$failed), TRUE)
  est <- do.call(rbind, lapply(seq_along(tabs), function(i) {
    t <- tabs[[i]]
    if (any(failed)) t$note <- if (failed[i]) fits[[i]]$failed else NA_character_
    if (!is.null(by_col)) t <- tibble::add_column(t, group = glev[i], .before = 1L)
    t
  }))
  theta <- unlist(lapply(seq_along(tabs), function(i) {
    th <- attr(tabs[[i]], "theta")
    if (!is.null(by_col)) names(th) <- paste0(glev[i], ":", names(th))
    th
  }))
  V <- block_diag(lapply(tabs, attr, "vcov"))
  dimnames(V) <- list(names(theta), names(theta))
  list(est = est, theta = theta, V = V, failed = failed)
}

block_diag <- function(mats) {
  d <- vapply(mats, nrow, 0L)
  out <- matrix(0, sum(d), sum(d))
  off <- 0L
  for (i in seq_along(mats)) {
    idx <- off + seq_len(d[i])
    out[idx, idx] <- mats[[i]]
    off <- off + d[i]
  }
  out
}

# Wald test that a contrast is equal in every subgroup (subgroups are
# disjoint sets of units, hence independent): Q = sum (theta_g - pooled)^2 /
# v_g with the inverse-variance pooled estimate, chi-squared on G - 1 df.
heterogeneity_test <- function(tabs, binary) {
  cs <- contrast_spec(binary)
  terms <- cs$terms[!grepl("_(treated|control)$", cs$terms)]
  rows <- lapply(terms, function(tm) {
    j <- match(tm, cs$terms)
    th <- vapply(tabs, function(t) attr(t, "theta")[[j]], 0)
    v <- vapply(tabs, function(t) attr(t, "vcov")[j, j], 0)
    ok <- is.finite(th) & is.finite(v) & v > 0
    th <- th[ok]
    v <- v[ok]
    if (length(th) < 2L) {
      return(tibble::tibble(term = tm, scale = if (cs$scale[j] == "log") "multiplicative" else "additive",
                            statistic = NA_real_, df = NA_integer_, p.value = NA_real_))
    }
    pooled <- sum(th / v) / sum(1 / v)
    q <- sum((th - pooled)^2 / v)
    df <- length(th) - 1L
    tibble::tibble(term = tm,
                   scale = if (cs$scale[j] == "log") "multiplicative" else "additive",
                   statistic = q, df = df,
                   p.value = stats::pchisq(q, df, lower.tail = FALSE))
  })
  do.call(rbind, rows)
}

# Runs the replicates 1..R in chunks of `chunk` through `run(b0, b1)` (an
# engine call returning the replicates' rows, with attribute "reason": NA, or
# why the replicate could not be fitted), with a progress bar. Returns the
# matrix with attribute "failures": a tibble of the reasons and how many
# replicates each left out (none: zero rows), also said in one warning.
boot_chunks <- function(R, chunk, title, run, ncol, label = "") {
  out <- matrix(NA_real_, R, ncol)
  why <- rep(NA_character_, R)
  cli::cli_progress_bar(title, total = R, clear = TRUE)
  for (b0 in seq(0L, R - 1L, by = chunk)) {
    b1 <- min(R, b0 + chunk)
    B <- run(b0, b1)
    out[(b0 + 1L):b1, ] <- B
    why[(b0 + 1L):b1] <- attr(B, "reason")
    cli::cli_progress_update(set = b1)
  }
  cli::cli_progress_done()
  bad <- !stats::complete.cases(out)
  why[bad & is.na(why)] <- "the estimate is not finite"
  tab <- table(why[bad])
  failures <- tibble::tibble(reason = as.character(names(tab)), n_replicates = as.integer(tab))
  failures <- failures[order(-failures$n_replicates, failures$reason), , drop = FALSE]
  if (any(bad)) {
    nbad <- sum(bad)
    cli::cli_warn(c("{nbad} of {R} bootstrap replicate{cli::qty(nbad)}{?s} could not be fitted{label} and {cli::qty(nbad)}{?is/are} left out:",
                    stats::setNames(sprintf("%s (%d)", failures$reason, failures$n_replicates),
                                    rep("*", nrow(failures)))),
                  class = "matequity_bootstrap_failures")
  }
  attr(out, "failures") <- failures
  out
}
