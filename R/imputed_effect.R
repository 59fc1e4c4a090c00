# estimate_effect() on multiply imputed data: one fit per completed data set,
# each contrast pooled by Rubin's rules on the scale it is estimated on
# (coef()/vcov(): differences as they are, log risk and odds ratios), and a
# pooled fit of class "mq_effect_mi" with tidy(), glance(), print(), coef(),
# vcov(), nobs() and balance() methods.
#
# Complete-data degrees of freedom (Barnard-Rubin): the residual df of the
# propensity model in the (sub)group, n - p with p the columns of its design,
# as mice takes df.residual() of a glm fit (with `by` on an imputed column,
# the mean of n - p over the imputations).
#
# Disclosure: counts in glance() are the mean over the imputations, rounded
# to a whole number and then released under the fit's rule; the model's
# disclosure check must pass in every imputation (a group fails, and its
# estimates are suppressed, if it fails in any).

effect_mi <- function(data, call, env) {
  datasets <- imputed_list(data, "data", call = env)
  fits <- mi_run("estimate_effect", call, "data", datasets, env)
  f1 <- fits[[1]]
  m <- length(fits)
  est <- do.call(rbind, lapply(fits, stats::coef))
  V <- lapply(fits, stats::vcov)
  # each coefficient's group: the rows of $estimates are in coefficient order
  grp <- if ("group" %in% names(f1$estimates)) as.character(f1$estimates$group) else
    rep(names(f1$groups)[1], nrow(f1$estimates))
  dfg <- rowMeans(matrix(vapply(fits, function(f) vapply(f$groups, function(g) g$n - group_p(g), 0),
                                numeric(length(f1$groups))), nrow = length(f1$groups)))
  dfcom <- unname(stats::setNames(dfg, names(f1$groups))[grp])
  dfcom[!is.finite(dfcom) | dfcom <= 0] <- Inf
  ok <- stats::complete.cases(t(est)) & vapply(seq_len(ncol(est)), function(j)
    all(vapply(V, function(v) is.finite(v[j, j]), TRUE)), TRUE)
  pooled <- pool_rubin(est[, ok, drop = FALSE], lapply(V, function(v) v[ok, ok, drop = FALSE]),
                       dfcom = dfcom[ok], conf_level = f1$conf_level)
  full <- tibble::tibble(term = colnames(est), estimate = NA_real_, std.error = NA_real_,
                         df = NA_real_, riv = NA_real_, lambda = NA_real_, fmi = NA_real_,
                         ubar = NA_real_, b = NA_real_, t = NA_real_, dfcom = dfcom)
  for (col in setdiff(names(full), c("term", "dfcom"))) full[[col]][ok] <- pooled[[col]]
  full$group <- grp
  Tm <- matrix(NA_real_, ncol(est), ncol(est), dimnames = list(colnames(est), colnames(est)))
  Tm[ok, ok] <- attr(pooled, "vcov")
  coefs <- stats::setNames(full$estimate, full$term)
  structure(list(
    call = call, fits = fits, m = m, pooled = full, coefficients = coefs, vcov = Tm,
    estimates = mi_effect_table(f1$estimates, full, f1$conf_level),
    method = f1$method, method_label = f1$method_label, estimand = f1$estimand,
    vcov_type = f1$vcov_type, treatment = f1$treatment, outcome = f1$outcome,
    outcome_type = f1$outcome_type, by_name = f1$by_name, cluster_name = f1$cluster_name,
    conf_level = f1$conf_level, disclosure = f1$disclosure, groups_names = names(f1$groups)),
    class = "mq_effect_mi")
}

# The tidy table: the first imputation's layout with the pooled estimates
# (ratios back on their scale), t-based intervals and p-values on the
# Barnard-Rubin df, and the pooling diagnostics.
mi_effect_table <- function(template, pooled, conf_level) {
  tab <- template
  ratio <- tab$scale == "log"
  q <- pooled$estimate
  se <- pooled$std.error
  crit <- stats::qt(1 - (1 - conf_level) / 2, pooled$df)
  contrast <- !is.na(template$statistic) | !grepl("_(treated|control)$", template$term)
  stat <- q / se
  tab$estimate <- ifelse(ratio, exp(q), q)
  tab$std.error <- se
  tab$statistic <- ifelse(contrast, stat, NA_real_)
  tab$p.value <- ifelse(contrast, 2 * stats::pt(-abs(stat), pooled$df), NA_real_)
  tab$conf.low <- ifelse(ratio, exp(q - crit * se), q - crit * se)
  tab$conf.high <- ifelse(ratio, exp(q + crit * se), q + crit * se)
  at <- match("conf.high", names(tab))
  add <- tibble::tibble(df = pooled$df, riv = pooled$riv, lambda = pooled$lambda,
                        fmi = pooled$fmi)
  tibble::as_tibble(cbind(as.data.frame(tab)[seq_len(at)], add,
                          as.data.frame(tab)[-seq_len(at)]))
}

# Each group's disclosure check in each imputation: "fail" if any fails,
# with the reason of the first imputation that fails.
mi_disclosure <- function(x, rule) {
  chk <- lapply(x$fits, function(f) lapply(f$groups, model_disclosure, x = f, rule = rule))
  lapply(x$groups_names, function(g) {
    st <- vapply(chk, function(ci) ci[[g]]$status, "")
    bad <- which(st == "fail")
    if (length(bad)) {
      list(status = "fail", reason = paste0(chk[[bad[1]]][[g]]$reason, " (imputation ", bad[1],
                                            "; fails in ", length(bad), " of ", length(st), ")"))
    } else {
      list(status = st[1], reason = paste0(chk[[1]][[g]]$reason, " (in every imputation)"))
    }
  }) -> out
  stats::setNames(out, x$groups_names)
}

#' Methods for effects pooled over multiple imputations
#'
#' [estimate_effect()] given a `mice::mids` object or a list of completed
#' data sets fits the model in each and pools every contrast by Rubin's
#' rules ([pool_rubin()]) on the scale it is estimated on (log for risk and
#' odds ratios), with Barnard and Rubin's degrees of freedom; the
#' complete-data degrees of freedom are the residual df of the propensity
#' model, `n - p` (with `by` on an imputed column, its mean over the
#' imputations). The fits of the imputations are kept in `$fits`. With
#' `by`, the Wald test of equal effects across groups is not pooled (it
#' needs pooling of a chi-squared statistic) and is not given.
#'
#' @param x,object,fit A pooled fit (class `mq_effect_mi`).
#' @param conf.int,conf.level As for [tidy.mq_effect()]: intervals are
#'   `estimate -/+ qt(1 - alpha/2, df) * std.error` on the estimation scale.
#' @param ... Passed to [balance()] of each imputation's fit.
#' @returns `tidy()`: the columns of [tidy.mq_effect()] plus `df`
#'   (Barnard-Rubin), `riv`, `lambda` and `fmi`; a group whose model fails
#'   its disclosure check in any imputation has its statistics suppressed.
#'   `glance()`: one row per group with the counts of [glance.mq_effect()]
#'   as the mean over the imputations (rounded, then released under the
#'   fit's rule), `m`, `df` (the smallest over the group's contrasts), `fmi`
#'   (the largest), `counts` (`"mean over imputations"`), and
#'   `disclosure_status` / `disclosure_reason`: the check must pass in every
#'   imputation. `balance()`: the balance table of each imputation (column
#'   `imputation`, `"1"` to `"m"`) followed by its average over the
#'   imputations (`imputation == "mean"`). `coef()` and `vcov()`: the pooled
#'   contrasts on their estimation scale and their total covariance
#'   `Ubar + (1 + 1/m) B`.
#' @name mq_effect_mi-methods
NULL

#' @rdname mq_effect_mi-methods
#' @export
tidy.mq_effect_mi <- function(x, conf.int = TRUE, conf.level = NULL, ...) {
  check_flag(conf.int, arg = "conf.int")
  tab <- x$estimates
  if (!is.null(conf.level)) {
    check_conf_level(conf.level, arg = "conf.level")
    tab <- mi_effect_table(x$fits[[1]]$estimates, x$pooled, conf.level)
  }
  if (!conf.int) tab <- tab[setdiff(names(tab), c("conf.low", "conf.high"))]
  rule <- effect_rule(x)
  stats_cols <- intersect(c("estimate", "std.error", "statistic", "p.value", "conf.low",
                            "conf.high", "df", "riv", "lambda", "fmi"), names(tab))
  log <- tibble::tibble(column = stats_cols, n = nrow(tab),
                        action = if (rule$preset == "none") "pooled model estimate (exact: disclosure control off)" else
                          "pooled model estimate, released where the model passes its disclosure check in every imputation")
  if (rule$preset != "none") {
    st <- vapply(mi_disclosure(x, rule), `[[`, "", "status")
    grp <- if ("group" %in% names(tab)) as.character(tab$group) else rep(x$groups_names[1], nrow(tab))
    hide <- st[grp] %in% "fail"
    for (cl in stats_cols) tab[[cl]][hide] <- NA_real_
    if (any(hide)) {
      log <- rbind_log(list(log, tibble::tibble(
        column = stats_cols, action = "suppressed: the model fails its disclosure check", n = sum(hide))))
    }
  }
  new_sdc_table(as.list(tab), tab, rule, log = log)
}

#' @rdname mq_effect_mi-methods
#' @export
glance.mq_effect_mi <- function(x, ...) {
  rule <- effect_rule(x)
  cnt <- c("n", "n_treated", "n_control", "ess_treated", "ess_control", "n_trimmed", "n_truncated")
  chk <- mi_disclosure(x, rule)
  rows <- lapply(x$groups_names, function(g) {
    per <- vapply(x$fits, function(f) vapply(cnt, function(k) as.numeric(f$groups[[g]][[k]]), 0),
                  numeric(length(cnt)))
    mean_cnt <- rowMeans(matrix(per, nrow = length(cnt)))
    pg <- x$pooled[x$pooled$group == g, ]
    contrast <- !grepl("_(treated|control)$", pg$term)
    tibble::tibble(
      n = round(mean_cnt[1]), n_treated = round(mean_cnt[2]), n_control = round(mean_cnt[3]),
      ess_treated = mean_cnt[4], ess_control = mean_cnt[5], n_trimmed = round(mean_cnt[6]),
      n_truncated = round(mean_cnt[7]), n_missing_dropped = 0,
      converged = all(vapply(x$fits, function(f) isTRUE(f$groups[[g]]$converged), TRUE)),
      n_clusters = x$fits[[1]]$groups[[g]]$n_clusters,
      method = x$method, estimand = x$estimand, vcov = x$vcov_type,
      disclosure_status = chk[[g]]$status, disclosure_reason = chk[[g]]$reason)
  })
  out <- do.call(rbind, rows)
  if (!is.null(x$by_name)) out <- tibble::add_column(out, group = x$groups_names, .before = 1L)
  out <- disclose_effect_counts(out, rule)
  dfs <- vapply(x$groups_names, function(g) {
    pg <- x$pooled[x$pooled$group == g & !grepl("_(treated|control)$", x$pooled$term), ]
    c(if (all(is.na(pg$df))) NA_real_ else min(pg$df, na.rm = TRUE),
      if (all(is.na(pg$fmi))) NA_real_ else max(pg$fmi, na.rm = TRUE))
  }, numeric(2))
  extra <- tibble::tibble(m = x$m, df = dfs[1, ], fmi = dfs[2, ], counts = "mean over imputations")
  out2 <- tibble::as_tibble(cbind(as.data.frame(out), extra))
  new_sdc_table(as.list(out2), out2, rule,
                log = rbind_log(list(attr(out, "sdc_log"), tibble::tibble(
                  column = c("df", "fmi"), action = "pooling diagnostic (Rubin's rules)",
                  n = nrow(out2)))))
}

#' @rdname mq_effect_mi-methods
#' @export
coef.mq_effect_mi <- function(object, ...) object$coefficients

#' @rdname mq_effect_mi-methods
#' @export
vcov.mq_effect_mi <- function(object, ...) object$vcov

#' @rdname mq_effect_mi-methods
#' @export
nobs.mq_effect_mi <- function(object, ...) {
  n <- mean(vapply(object$fits, function(f) sum(vapply(f$groups, `[[`, 0L, "n")), 0))
  rule <- effect_rule(object)
  if (rule$preset == "none") return(round(n))
  as.integer(release_value(round(n), rule))
}

#' @export
print.mq_effect_mi <- function(x, digits = 3, ...) {
  rule <- effect_rule(x)
  cli::cli_text("{.strong {x$method_label}}: {x$estimand} of {.field {x$treatment}} on {.field {x$outcome}} ({x$outcome_type} outcome)")
  cli::cli_text("Pooled over {x$m} imputations by Rubin's rules (Barnard-Rubin df); within-imputation variance: {x$vcov_type}. n = {released_count(nobs(x), rule)} (mean over imputations).")
  tab <- as.data.frame(tidy(x))
  num <- vapply(tab, is.numeric, TRUE)
  tab[num] <- lapply(tab[num], function(v) signif(v, digits))
  print(tab, row.names = FALSE)
  if (rule$preset == "none") {
    cli::cli_text("{.strong DISCLOSURE CONTROL OFF} (rule {.val none}): counts are exact; not for release outside the SDE.")
  } else {
    chk <- mi_disclosure(x, rule)
    lines <- paste0(names(chk), ": ", vapply(chk, `[[`, "", "status"), " (",
                    vapply(chk, `[[`, "", "reason"), ")")
    lines <- gsub("([{}])", "\\1\\1", lines)
    cli::cli_text("Disclosure ({rule_name(rule)}, {describe_rule(rule)}): model check in every imputation")
    cli::cli_bullets(stats::setNames(lines, ifelse(vapply(chk, `[[`, "", "status") == "pass", "v", "x")))
  }
  invisible(x)
}

#' @rdname mq_effect_mi-methods
#' @export
balance.mq_effect_mi <- function(fit, ...) {
  bals <- lapply(fit$fits, balance, ...)
  tabs <- lapply(seq_along(bals), function(i) {
    out <- tibble::as_tibble(as.data.frame(bals[[i]]))
    tibble::add_column(out, imputation = as.character(i), .before = 1L)
  })
  all <- do.call(rbind, tabs)
  num <- names(all)[vapply(all, is.numeric, TRUE)]
  key <- paste(all$term, all$variable, sep = "\r")
  k1 <- unique(key)
  avg <- tabs[[1]][match(k1, paste(tabs[[1]]$term, tabs[[1]]$variable, sep = "\r")), ]
  avg$imputation <- "mean"
  for (cn in num) avg[[cn]] <- as.numeric(tapply(all[[cn]], factor(key, levels = k1), mean))
  out <- rbind(all, avg)
  attr(out, "ess") <- do.call(rbind, lapply(seq_along(bals), function(i) {
    e <- attr(bals[[i]], "ess")
    tibble::add_column(tibble::as_tibble(as.data.frame(e)), imputation = as.character(i), .before = 1L)
  }))
  out
}
