# Contrasts of the scenario functionals (delta method by complex-step
# derivatives, or bootstrap replicates), the returned table, and the methods
# of "mq_scenarios" objects.

# The contrasts of group k against reference r, as functions of the
# parameter vector th (6 per engine group: risk, uptake, risk_all_on,
# risk_all_off, risk_equalised, risk_target). Each returns c(value, risk,
# ref_risk); ratios are on the log scale.
scenario_contrasts <- function(ik, ir, scenarios) {
  v <- function(th, i, j) th[(i - 1L) * 6L + j]
  ate <- function(th, i) v(th, i, 3L) - v(th, i, 4L)
  pair <- function(scen, jg, jr = jg) {
    list(list(scenario = scen, term = if (scen == "equalised") "residual" else "disparity",
              measure = "difference", f = function(th) v(th, ik, jg) - v(th, ir, jr),
              risks = c(jg, jr)),
         list(scenario = scen, term = if (scen == "equalised") "residual" else "disparity",
              measure = "ratio", f = function(th) log(v(th, ik, jg)) - log(v(th, ir, jr)),
              risks = c(jg, jr)))
  }
  one <- function(scen, term, f) list(list(scenario = scen, term = term, measure = "difference",
                                           f = f, risks = NULL))
  out <- pair("observed", 1L)
  if ("equalised" %in% scenarios) {
    out <- c(out, pair("equalised", 5L, 1L),
             one("equalised", "reduction", function(th) v(th, ik, 1L) - v(th, ik, 5L)))
  }
  if ("universal" %in% scenarios) out <- c(out, pair("universal_on", 3L), pair("universal_off", 4L))
  if ("target" %in% scenarios) out <- c(out, pair("target", 6L))
  if ("decomposition" %in% scenarios) {
    base <- function(th) v(th, ik, 4L) - v(th, ir, 4L)
    prev <- function(th) (v(th, ik, 2L) - v(th, ir, 2L)) * ate(th, ir)
    eff <- function(th) v(th, ik, 2L) * (ate(th, ik) - ate(th, ir))
    out <- c(out, one("decomposition", "baseline", base),
             one("decomposition", "prevalence", prev),
             one("decomposition", "effect", eff),
             one("decomposition", "selection", function(th) {
               v(th, ik, 1L) - v(th, ir, 1L) - base(th) - prev(th) - eff(th)
             }))
  }
  out
}

# Gradient of f at th by the complex step (exact to rounding for the
# analytic functions used here).
complex_grad <- function(f, th, h = 1e-20) {
  vapply(seq_along(th), function(j) {
    z <- complex(real = th, imaginary = 0)
    z[j] <- complex(real = th[j], imaginary = h)
    Im(f(z)) / h
  }, 0)
}

# gaps: scenario_gaps(): per engine theta, why it rests on an empty cell; a
# row depending on one gets the reason in its note, and is NA when a covariate
# level is missing from the model's data.
scenario_table <- function(theta, V, boot, lev, ok, r, counts, scenarios, per, conf_level,
                           notes, gaps = NULL) {
  z <- stats::qnorm(1 - (1 - conf_level) / 2)
  alpha <- (1 - conf_level) / 2
  eng <- cumsum(ok)
  rows <- list()
  for (k in setdiff(seq_along(lev), r)) {
    if (counts$n[k] == 0) next
    if (ok[k]) {
      th <- theta
      Vk <- V
      bk <- boot
      cons <- scenario_contrasts(eng[k], eng[r], scenarios)
    } else {
      # observed disparity only: the group's crude risk is independent of
      # the reference group's estimates
      mu <- counts$events[k] / counts$n[k]
      th <- c(theta, mu)
      Vk <- rbind(cbind(V, 0), c(rep(0, ncol(V)), mu * (1 - mu) / counts$n[k]))
      bk <- NULL
      ig <- length(th)
      ir6 <- (eng[r] - 1L) * 6L + 1L
      cons <- list(
        list(scenario = "observed", term = "disparity", measure = "difference",
             f = function(t) t[ig] - t[ir6], risks = NULL),
        list(scenario = "observed", term = "disparity", measure = "ratio",
             f = function(t) log(t[ig]) - log(t[ir6]), risks = NULL))
    }
    for (cc in cons) {
      est <- Re(cc$f(th))
      if (!is.null(bk)) {
        rep_vals <- apply(bk[stats::complete.cases(bk), , drop = FALSE], 1L, cc$f)
        # a replicate with a zero risk has an infinite log ratio (no SE),
        # or an undefined one when both risks are zero (no interval either)
        n_inf <- sum(!is.finite(rep_vals))
        n_nan <- sum(is.nan(rep_vals))
        se <- if (n_inf) NA_real_ else stats::sd(rep_vals)
        lo <- if (n_nan) NA_real_ else stats::quantile(rep_vals, alpha, names = FALSE)
        hi <- if (n_nan) NA_real_ else stats::quantile(rep_vals, 1 - alpha, names = FALSE)
      } else {
        gr <- complex_grad(cc$f, th)
        se <- sqrt(max(0, drop(t(gr) %*% Vk %*% gr)))
        lo <- est - z * se
        hi <- est + z * se
      }
      ratio <- cc$measure == "ratio"
      risk <- ref_risk <- NA_real_
      if (!is.null(cc$risks)) {
        risk <- theta[(eng[k] - 1L) * 6L + cc$risks[1]] * per
        ref_risk <- theta[(eng[r] - 1L) * 6L + cc$risks[2]] * per
      } else if (cc$scenario == "observed") {
        risk <- counts$events[k] / counts$n[k] * per
        ref_risk <- theta[(eng[r] - 1L) * 6L + 1L] * per
      }
      note <- if (ok[k]) NA_character_ else notes[k]
      if (ok[k] && !is.null(gaps) && any(nzchar(gaps$reason))) {
        # the thetas the contrast depends on: NaN in, NaN out
        uses <- which(nzchar(gaps$reason))
        uses <- uses[vapply(uses, function(j) {
          t2 <- theta
          t2[j] <- NaN
          is.nan(Re(cc$f(t2)))
        }, TRUE)]
        if (length(uses)) {
          why <- unique(unlist(strsplit(gaps$reason[uses], "; ", fixed = TRUE)))
          if (any(gaps$level[uses])) {
            note <- paste0("not estimable: ", paste(why, collapse = "; "))
            est <- se <- lo <- hi <- risk <- ref_risk <- NA_real_
          } else {
            note <- paste0("model-based extrapolation: ", paste(why, collapse = "; "))
          }
        }
      }
      if (!is.null(bk) && n_inf && is.na(note)) {
        note <- sprintf("bootstrap SE undefined: %d replicate%s with a zero risk (%s)",
                        n_inf, if (n_inf == 1L) "" else "s",
                        if (n_nan) sprintf("no interval: %d undefined", n_nan) else "percentile interval given")
      }
      if (ratio && !is.na(est) && !is.finite(est)) {
        note <- "no events: ratio undefined"
        est <- se <- lo <- hi <- NA_real_
      }
      scale <- if (ratio) 1 else per
      rows[[length(rows) + 1L]] <- data.frame(
        group = lev[k], reference = lev[r], scenario = cc$scenario, term = cc$term,
        measure = cc$measure, estimate = if (ratio) exp(est) else est * scale,
        std.error = se * scale, se_scale = if (ratio) "log" else "identity",
        statistic = est / se, conf.low = if (ratio) exp(lo) else lo * scale,
        conf.high = if (ratio) exp(hi) else hi * scale, risk = risk, ref_risk = ref_risk,
        n = counts$n[k], events = counts$events[k], ref_n = counts$n[r],
        ref_events = counts$events[r], per = per, note = note, stringsAsFactors = FALSE)
    }
  }
  out <- do.call(rbind, rows)
  out$p.value <- 2 * stats::pnorm(-abs(out$statistic))
  tibble::as_tibble(out[c("group", "reference", "scenario", "term", "measure", "estimate",
                          "std.error", "se_scale", "statistic", "p.value", "conf.low",
                          "conf.high", "risk", "ref_risk", "n", "events", "ref_n",
                          "ref_events", "per", "note")])
}

scenario_glance <- function(fit, counts, lev, ok, prep, method, vcov, gaps = NULL) {
  eng <- cumsum(ok)
  # per group: does any of its scenario estimates rest on an empty cell (own
  # models), and is any not estimable because of one
  gap_of <- function(what) vapply(seq_along(lev), function(k) {
    if (!ok[k] || is.null(gaps)) return(FALSE)
    j <- (eng[k] - 1L) * 6L + 3:6
    if (what == "level") any(gaps$level[j]) else any(nzchar(gaps$reason[j]))
  }, TRUE)
  not_estimable <- gap_of("level")
  extrapolated <- gap_of("any") & !not_estimable
  conv <- vapply(seq_along(lev), function(k) {
    if (!ok[k]) return(NA)
    all(vapply(fit$models[[eng[k]]], function(m) isTRUE(m$converged), TRUE))
  }, TRUE)
  tibble::tibble(
    group = lev, reference = lev == lev[prep$ref], n = counts$n, events = counts$events,
    n_on_care_model = counts$n_treated, uptake = ifelse(counts$n > 0, counts$n_treated / counts$n, NA_real_),
    targeted = lev %in% prep$target_groups, estimated = ok & !not_estimable,
    extrapolated = extrapolated, converged = conv,
    uptake_model_converged = isTRUE(fit$uptake$converged), n_excluded = prep$n_excluded,
    method = method, vcov = vcov)
}

#' Methods for counterfactual disparity scenarios
#'
#' @param x,object An `mq_scenarios` table from [disparity_scenarios()].
#' @param measure For `autoplot()`: `"difference"` or `"ratio"`.
#' @param conf.int For `tidy()`: include `conf.low` and `conf.high`?
#' @param conf.level For `tidy()`: confidence level of the intervals; by
#'   default the `conf_level` given to [disparity_scenarios()]. Another level
#'   recomputes them from the fit (Wald from its covariance, or percentiles of
#'   its bootstrap replicates), under the table's disclosure rule.
#' @param ... Unused.
#' @returns `tidy()`: the table as a tibble (see [disparity_scenarios()]).
#'   `glance()`: one row per group with `group`, `reference` (logical), `n`,
#'   `events`, `n_on_care_model`, `uptake`, `targeted`, `estimated` (whether
#'   the counterfactual scenarios could be estimated: `FALSE` also when one of
#'   them needs a covariate level that the model it is predicted from has no
#'   women with), `extrapolated` (whether one of them predicts for cells of
#'   the categorical covariates with no women in its model's data, from the
#'   model's additive form), `converged`,
#'   `uptake_model_converged`, `n_excluded`, `method` and `vcov` (counts
#'   after disclosure control). `autoplot()`: a ggplot forest plot.
#' @name mq_scenarios-methods
#' @examples
#' set.seed(2)
#' n <- 3000
#' d <- data.frame(grp = sample(c("Neither", "Core20"), n, TRUE),
#'                 age = round(runif(n, 18, 42)), parity = rpois(n, 0.8))
#' d$coc <- runif(n) < plogis(-1 + 0.8 * (d$grp == "Core20"))
#' d$preterm <- runif(n) < plogis(-2.6 + 0.4 * (d$grp == "Core20") - 0.3 * d$coc)
#' d$preterm_eligible <- TRUE
#' sc <- disparity_scenarios(d, preterm, grp, coc, per = 100, disclosure = "none")
#' tidy(sc)
#' glance(sc)
#' if (requireNamespace("ggplot2", quietly = TRUE)) ggplot2::autoplot(sc)
NULL

#' @rdname mq_scenarios-methods
#' @export
tidy.mq_scenarios <- function(x, conf.int = TRUE, conf.level = NULL, ...) {
  info <- attr(x, "scenario_info")
  conf.level <- conf.level %||% info$conf_level
  check_flag(conf.int, arg = "conf.int")
  check_conf_level(conf.level, arg = "conf.level")
  out <- x
  if (!isTRUE(all.equal(conf.level, info$conf_level, tolerance = 0))) {
    if (is.null(info$table_args)) {
      cli::cli_abort(c("This table was made by an older version of matequity: its intervals cannot be recomputed.",
                       "i" = "Run {.fn disparity_scenarios} again with {.code conf_level = {conf.level}}."))
    }
    # the same table at another level (Wald from the stored covariance or
    # percentiles of the stored replicates), released under the same rule
    tab <- do.call(scenario_table, c(info$table_args, list(conf_level = conf.level)))
    out <- release_scenarios(tab, attr(x, "sdc"))
  }
  if (!conf.int) out <- out[setdiff(names(out), c("conf.low", "conf.high"))]
  class(out) <- setdiff(class(out), "mq_scenarios")
  attr(out, "scenario_info") <- NULL
  out
}

#' @rdname mq_scenarios-methods
#' @export
glance.mq_scenarios <- function(x, ...) {
  info <- attr(x, "scenario_info")
  # uptake from the released counts; the women on (and off) the care model
  # and with (and without) the outcome are checked like counts; the groups
  # add up to the cohort
  apply_disclosure(info$glance, counts = c("n", "events", "n_on_care_model", "n_excluded"),
                   derived = list(uptake = ~ n_on_care_model / n),
                   complements = list(events = ~ n - events,
                                      n_on_care_model = ~ n - n_on_care_model),
                   margins = "group", disclosure = attr(x, "sdc"))
}

#' @rdname mq_scenarios-methods
#' @export
print.mq_scenarios <- function(x, ...) {
  info <- attr(x, "scenario_info")
  cat("<mq_scenarios> ", info$outcome, " by ", info$group, ", care model ", info$care_model,
      "\n", sep = "")
  cat("Reference: ", info$reference, "; method: ", info$method, "; intervals: ",
      if (info$vcov == "bootstrap") paste0("bootstrap (reps = ", info$reps, ", seed = ", info$seed, ")")
      else "influence functions", " at ", 100 * info$conf_level, "%\n", sep = "")
  cat("Allowable: ", if (length(info$allowable)) paste(info$allowable, collapse = " + ") else "none",
      "; other covariates: ", if (length(info$covariates)) paste(info$covariates, collapse = " + ") else "none",
      "\n", sep = "")
  cat("Target: uptake ", info$target_uptake, " in ", paste(info$target_groups, collapse = ", "),
      "; differences per ", info$per, "\n", sep = "")
  NextMethod()
  invisible(x)
}

#' @rdname mq_scenarios-methods
#' @exportS3Method ggplot2::autoplot
autoplot.mq_scenarios <- function(object, measure = c("difference", "ratio"), ...) {
  rlang::check_installed("ggplot2", "to plot disparity scenarios.")
  measure <- rlang::arg_match(measure)
  d <- as.data.frame(tidy.mq_scenarios(object))
  d <- d[d$measure == measure & !is.na(d$estimate), , drop = FALSE]
  d$what <- ifelse(d$term %in% c("disparity", "residual"), d$scenario,
                   paste(d$scenario, d$term, sep = ": "))
  d$what <- factor(d$what, levels = rev(unique(d$what)))
  null <- if (measure == "ratio") 1 else 0
  p <- ggplot2::ggplot(d, ggplot2::aes(x = .data$estimate, y = .data$what)) +
    ggplot2::geom_vline(xintercept = null, linetype = 2, colour = "grey50") +
    ggplot2::geom_errorbar(ggplot2::aes(xmin = .data$conf.low, xmax = .data$conf.high),
                           width = 0.2, orientation = "y") +
    ggplot2::geom_point() +
    ggplot2::facet_wrap(~ group) +
    ggplot2::labs(x = paste0(if (measure == "ratio") "Ratio" else "Difference",
                             " vs ", d$reference[1]), y = NULL,
                  title = paste0("Disparity scenarios: ", attr(object, "scenario_info")$outcome),
                  subtitle = plot_subtitle(attr(object, "sdc")))
  if (measure == "ratio") p <- p + ggplot2::scale_x_log10()
  p
}
