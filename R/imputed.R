# Multiply imputed data: a `mice::mids` object or a list of completed
# cohorts in estimate_effect(), outcome_rates(), disparity(),
# inequality_index() and disparity_scenarios(). Each function is run on
# every completed data set and the results are pooled by Rubin's rules
# (pool_rubin(), R/pool.R) on the scale each statistic is estimated on.

# Is `x` multiply imputed data (a mids object, or a list of at least two
# data frames)?
is_imputed <- function(x) {
  inherits(x, "mids") ||
    (is.list(x) && !is.data.frame(x) && length(x) >= 1L && all(vapply(x, is.data.frame, TRUE)))
}

# The completed data sets of `x`: mice::complete() of each imputation of a
# mids object (the attributes of the data given to mice(), such as a
# cohort's "outcomes", are kept), or the list as given after checks.
imputed_list <- function(x, arg = "data", call = rlang::caller_env()) {
  if (inherits(x, "mids")) {
    rlang::check_installed("mice", reason = "to complete a `mids` object.")
    keep <- setdiff(names(attributes(x$data)), c("names", "row.names", "class"))
    out <- lapply(seq_len(x$m), function(i) {
      d <- mice::complete(x, i)
      for (a in keep) attr(d, a) <- attr(x$data, a)
      d
    })
  } else {
    out <- unname(x)
  }
  m <- length(out)
  if (m < 2L) {
    cli::cli_abort(c("Multiply imputed {.arg {arg}} needs at least 2 completed data sets.",
                     "x" = "It has {m}."), call = call)
  }
  nr <- vapply(out, nrow, 0L)
  nm <- lapply(out, names)
  if (length(unique(nr)) > 1L || !all(vapply(nm, identical, TRUE, nm[[1]]))) {
    cli::cli_abort(c("The completed data sets in {.arg {arg}} must have the same rows and columns.",
                     "x" = "Rows: {unique(nr)}."), call = call)
  }
  out
}

# Run `fun`'s call once per completed data set: the call as the user made
# it (bare column names and all), with the data argument replaced by the
# data set and `overrides` set. Warnings that every imputation raises in the
# same words are given once, saying in how many imputations they arose;
# with `quiet` (the runs without disclosure control, whose messages carry
# exact counts) they are not given.
mi_run <- function(fun, call, arg, datasets, env, overrides = list(), quiet = FALSE) {
  call[[1L]] <- call("::", quote(matequity), as.symbol(fun))
  msgs <- character()
  res <- lapply(seq_along(datasets), function(i) {
    cl <- call
    # the completed data set by name, so that messages do not print it
    here <- new.env(parent = env)
    assign(".imputed_data", datasets[[i]], envir = here)
    cl[[arg]] <- as.symbol(".imputed_data")
    for (nm in names(overrides)) cl[nm] <- list(overrides[[nm]])
    withCallingHandlers(eval(cl, here), warning = function(w) {
      msgs <<- c(msgs, condition_text(w))
      invokeRestart("muffleWarning")
    })
  })
  if (length(msgs) && !quiet) {
    tab <- table(factor(msgs, levels = unique(msgs)))
    for (k in names(tab)) {
      cli::cli_warn(c("{k}", "i" = "In {tab[[k]]} of {length(datasets)} imputation{?s}."),
                    call = env)
    }
  }
  res
}

# Pool the rows of per-imputation tables with columns `estimate`,
# `std.error` and `se_scale` (`"log"`: `estimate` is a ratio and
# `std.error` that of its log), matched by `keys`. Returns the first
# table with estimate, std.error, statistic, p.value and the intervals
# replaced by their pooled values (ratios pooled on the log scale), and
# columns m, df, riv, lambda, fmi added after conf.high.
pool_rows <- function(tabs, keys, dfcom, conf_level) {
  key <- function(t) do.call(paste, c(lapply(keys, function(k) as.character(t[[k]])), sep = "\r"))
  k1 <- key(tabs[[1]])
  m <- length(tabs)
  logs <- if ("se_scale" %in% names(tabs[[1]])) tabs[[1]]$se_scale == "log" else rep(FALSE, length(k1))
  get <- function(col) {
    vapply(tabs, function(t) {
      v <- as.numeric(t[[col]][match(k1, key(t))])
      if (col == "estimate") v[logs] <- log(v[logs])
      v
    }, numeric(length(k1)))
  }
  Q <- matrix(get("estimate"), ncol = m)
  U <- matrix(get("std.error"), ncol = m)^2
  dfcom <- rep_len(dfcom, length(k1))
  dfcom[!is.finite(dfcom) | dfcom <= 0] <- Inf
  pooled <- lapply(seq_along(k1), function(i) {
    if (anyNA(Q[i, ]) || anyNA(U[i, ])) return(NULL)
    pool_rubin(Q[i, ], U[i, ], dfcom = dfcom[i], conf_level = conf_level)
  })
  out <- tabs[[1]]
  pick <- function(col) vapply(pooled, function(p) if (is.null(p)) NA_real_ else p[[col]], 0)
  est <- pick("estimate")
  out$estimate <- ifelse(logs, exp(est), est)
  out$std.error <- pick("std.error")
  if ("statistic" %in% names(out)) {
    out$statistic <- ifelse(is.na(tabs[[1]]$statistic), NA_real_, pick("statistic"))
  }
  if ("p.value" %in% names(out)) {
    out$p.value <- ifelse(is.na(tabs[[1]]$p.value) & is.na(tabs[[1]]$statistic), NA_real_,
                          pick("p.value"))
  }
  lo <- pick("conf.low")
  hi <- pick("conf.high")
  if ("conf.low" %in% names(out)) out$conf.low <- ifelse(logs, exp(lo), lo)
  if ("conf.high" %in% names(out)) out$conf.high <- ifelse(logs, exp(hi), hi)
  add <- tibble::tibble(m = m, df = pick("df"), riv = pick("riv"), lambda = pick("lambda"),
                        fmi = pick("fmi"))
  at <- if ("conf.high" %in% names(out)) match("conf.high", names(out)) else ncol(out)
  out <- tibble::as_tibble(cbind(as.data.frame(out)[seq_len(at)], add,
                                 as.data.frame(out)[-seq_len(at)]))
  out
}

# Counts of per-imputation released tables: the mean across imputations
# (rounded to a whole number) where every imputation releases the count,
# NA (suppressed) where any imputation suppresses it. `exact` are the tables
# without disclosure control, `released` those under the rule, matched by
# `keys`.
mi_counts <- function(exact, released, keys, counts) {
  key <- function(t) do.call(paste, c(lapply(keys, function(k) as.character(t[[k]])), sep = "\r"))
  k1 <- key(exact[[1]])
  out <- list()
  for (cn in counts) {
    ex <- vapply(exact, function(t) as.numeric(t[[cn]])[match(k1, key(t))], numeric(length(k1)))
    rl <- vapply(released, function(t) as.numeric(t[[cn]])[match(k1, key(t))], numeric(length(k1)))
    ex <- matrix(ex, nrow = length(k1))
    rl <- matrix(rl, nrow = length(k1))
    v <- round(rowMeans(ex))
    v[rowSums(is.na(rl)) > 0L] <- NA_real_
    out[[cn]] <- v
  }
  out
}

# The mean of column `col` over the per-imputation tables, for the rows of
# the first (matched by `keys`).
mi_mean <- function(tabs, keys, col) {
  key <- function(t) do.call(paste, c(lapply(keys, function(k) as.character(t[[k]])), sep = "\r"))
  k1 <- key(tabs[[1]])
  v <- vapply(tabs, function(t) as.numeric(t[[col]])[match(k1, key(t))], numeric(length(k1)))
  rowMeans(matrix(v, nrow = length(k1)))
}

# Round a mean count as the rule rounds counts (the released mean).
mi_release_counts <- function(v, rule) {
  if (rule$preset == "none") return(v)
  ifelse(is.na(v), NA_real_, release_value(v, rule))
}

# ---- outcome_rates() ---------------------------------------------------------

# Rates pooled by Rubin's rules: each imputation's proportion p with its
# binomial variance p (1 - p) / n (events / T^2 for person-time rates),
# pooled on the proportion scale with dfcom = n - 1, n the group's mean size
# over the imputations (the residual df of an intercept-only model; Inf for
# person-time). Counts are the released means.
rates_mi <- function(call, datasets, env, conf_level, disclosure) {
  rule <- resolve_disclosure(disclosure)
  exact <- mi_run("outcome_rates", call, "data", datasets, env, list(disclosure = "none"),
                  quiet = TRUE)
  rel <- mi_run("outcome_rates", call, "data", datasets, env, list(disclosure = rule))
  info <- attr(exact[[1]], "rates")
  by <- info$by
  per <- info$per
  pt <- !all(is.na(exact[[1]]$method)) && !any(exact[[1]]$method %in% "wilson")
  tabs <- lapply(exact, function(t) {
    p <- t$events / t$n
    t$estimate <- p
    t$std.error <- if (pt) sqrt(t$events) / t$n else sqrt(p * (1 - p) / t$n)
    t$se_scale <- "identity"
    t
  })
  keys <- c(by, "outcome")
  pooled <- pool_rows(tabs, keys, dfcom = if (pt) Inf else mi_mean(tabs, keys, "n") - 1,
                      conf_level)
  cnt <- mi_counts(exact, rel, keys, c("events", "n"))
  out <- pooled[c(by, "outcome")]
  out$events <- mi_release_counts(cnt$events, rule)
  out$n <- if (pt) pooled$n else mi_release_counts(cnt$n, rule)
  hide <- is.na(cnt$events) | is.na(cnt$n)
  sup <- function(v) ifelse(hide, NA_real_, v)
  out$rate <- sup(pooled$estimate * per)
  out$std.error <- sup(pooled$std.error * per)
  out$conf.low <- sup(pooled$conf.low * per)
  out$conf.high <- sup(pooled$conf.high * per)
  out$df <- sup(pooled$df)
  out$fmi <- sup(pooled$fmi)
  out$m <- length(datasets)
  out$per <- per
  out$method <- "rubin"
  out <- tibble::as_tibble(out)
  log <- tibble::tibble(
    column = c("events", "n", "rate", "std.error", "conf.low", "conf.high", "df", "fmi"),
    action = c(rep("mean over imputations, rounded; suppressed if any imputation's is", 2L),
               rep("pooled by Rubin's rules; suppressed with its counts", 6L)),
    n = nrow(out))
  res <- new_sdc_table(as.list(out), out, rule, log = log)
  attr(res, "rates") <- c(info, list(m = length(datasets), pooled = "rubin"))
  class(res) <- unique(c("mq_rates", class(res)))
  res
}

# ---- disparity() and disparity_scenarios() ------------------------------------

# Differences pooled as they are, ratios on the log scale; dfcom is the
# number of women in the two groups compared (mean over imputations) less 2 (the residual df of a
# two-parameter model of the outcome on the pair of groups).
disparity_mi <- function(fun, call, arg, datasets, env, conf_level, disclosure, keys) {
  rule <- resolve_disclosure(disclosure)
  exact <- mi_run(fun, call, arg, datasets, env, list(disclosure = "none"),
                  quiet = TRUE)
  rel <- mi_run(fun, call, arg, datasets, env, list(disclosure = rule))
  n_pair <- mi_mean(exact, keys, "n") + mi_mean(exact, keys, "ref_n") - 2
  pooled <- pool_rows(exact, keys, dfcom = n_pair, conf_level)
  cnt <- mi_counts(exact, rel, keys, intersect(c("events", "n", "ref_events", "ref_n"),
                                               names(exact[[1]])))
  hide <- is.na(cnt$events) | is.na(cnt$n) | is.na(cnt$ref_events) | is.na(cnt$ref_n)
  for (cn in names(cnt)) pooled[[cn]] <- mi_release_counts(cnt[[cn]], rule)
  per <- pooled$per %||% 1
  for (col in intersect(c("rate", "ref_rate", "risk", "ref_risk"), names(pooled))) {
    # the groups' rates: the mean over imputations
    v <- matrix(vapply(exact, function(t) as.numeric(t[[col]]), numeric(nrow(pooled))),
                nrow = nrow(pooled))
    pooled[[col]] <- rowMeans(v)
  }
  stats_cols <- intersect(c("rate", "ref_rate", "risk", "ref_risk", "estimate", "std.error",
                            "statistic", "p.value", "conf.low", "conf.high", "df", "riv",
                            "lambda", "fmi"), names(pooled))
  for (col in stats_cols) pooled[[col]][hide] <- NA_real_
  if (rule$preset != "none") {
    for (col in stats_cols) pooled[[col]] <- signif(pooled[[col]], 3)
  }
  pooled <- pooled[!grepl("_sdc$", names(pooled))]
  log <- rbind_log(list(
    tibble::tibble(column = intersect(c("events", "n", "ref_events", "ref_n"), names(pooled)),
                   action = "mean over imputations, rounded; suppressed if any imputation's is",
                   n = nrow(pooled)),
    tibble::tibble(column = stats_cols,
                   action = if (rule$preset == "none") "pooled by Rubin's rules" else
                     "pooled by Rubin's rules, suppressed with its counts, 3 significant figures",
                   n = nrow(pooled))))
  res <- new_sdc_table(as.list(pooled), tibble::as_tibble(pooled), rule, log = log)
  for (a in c("disparity", "scenarios")) {
    if (!is.null(attr(exact[[1]], a))) attr(res, a) <- c(attr(exact[[1]], a), list(m = length(datasets)))
  }
  class(res) <- unique(c(setdiff(class(exact[[1]]), class(res)), class(res)))
  res
}

# ---- inequality_index() --------------------------------------------------------

# The SII pooled as it is and the RII on the log scale; each imputation's
# standard error is taken from its simulated interval,
# (g(upper) - g(lower)) / (2 z), g the identity or log. dfcom = Inf (the
# intervals are large-sample).
inequality_mi <- function(call, datasets, env, conf_level, disclosure) {
  rule <- resolve_disclosure(disclosure)
  tabs <- mi_run("inequality_index", call, "data", datasets, env, list(disclosure = rule))
  z <- stats::qnorm(1 - (1 - conf_level) / 2)
  by <- setdiff(names(tabs[[1]]), c("term", "estimate", "conf.low", "conf.high", "intercept",
                                    "n_quantiles", "transform", "multiplier", "reps"))
  by <- by[!grepl("_sdc$", by)]
  tabs <- lapply(tabs, function(t) {
    t$se_scale <- ifelse(t$term == "rii", "log", "identity")
    lg <- t$se_scale == "log"
    g <- function(v) replace(v, lg, log(v[lg]))
    t$std.error <- (g(t$conf.high) - g(t$conf.low)) / (2 * z)
    t$statistic <- NA_real_
    t
  })
  out <- pool_rows(tabs, c(by, "term"), dfcom = Inf, conf_level)
  out$intercept <- rowMeans(matrix(vapply(tabs, function(t) as.numeric(t$intercept),
                                          numeric(nrow(out))), nrow = nrow(out)))
  out$statistic <- NULL
  attr(out, "quantiles") <- NULL
  out <- tibble::as_tibble(out)
  new_sdc_table(as.list(out), out, rule, log = tibble::tibble(
    column = c("estimate", "std.error", "conf.low", "conf.high"),
    action = "pooled by Rubin's rules from each imputation's released index", n = nrow(out)))
}
