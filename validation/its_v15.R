# Validation of its() on simulated extracts written in both MSDS versions:
# does the segmented regression of preterm birth around 2016-01-01 recover
# the level and slope changes the simulator builds in?
# Run from the package root with the package installed:
#   R_LIBS=... MQ_VALIDATION_REPS=200 Rscript validation/its_v15.R
# Writes validation/its_v15.md.
#
# Each replication: simulate_msds() 2015-04-01 to 2025-12-31 with a preterm
# risk shifted by `level` from 2016-01-01 plus `slope` per year after it
# (sim_effects(preterm_trend)), the care models' effects on preterm birth
# set to 0 (so only the built-in change moves the rate); the extract
# written in both versions (sim_msds_versions(): v1.5 tables before April
# 2019, with the 2015 and early-v2 completeness drops); as_msds(),
# define_cohort(), add_outcomes(); its() of preterm birth by booking
# month (MQ_INTERVAL) with one break at 2016-01-01 and the level-change term at April
# 2019 (version_level = TRUE; the simulator has no step there, so its true
# value is 0).
#
# Truth on the rate scale (per 1,000), by construction: in period j after
# the break (j = 0, 1, ...; k periods a year) the mean shift is
# level + slope (j + 1/2) / k (bookings spread evenly over the period), so
# its() estimates
#   level change = 1000 (level + slope / (2 k)),  slope change = 1000 slope / k
# per period. Preterm births are counted among live singleton births, and
# a preterm baby is more often stillborn, so the shift on the risk among
# live births is slightly smaller (about 3% relative): the table also gives
# the "pooled" truth, the same model fitted to the quarterly rates of all
# replications pooled (the superpopulation coefficients).
suppressPackageStartupMessages(library(matequity))
n_rep <- as.integer(Sys.getenv("MQ_VALIDATION_REPS", "200"))
n_preg <- as.integer(Sys.getenv("MQ_VALIDATION_N", "20000"))
level <- 0.02
slope <- 0.004
brk <- as.Date("2016-01-01")
eff <- sim_effects(coc_core20plus = c(preterm = 0), coc_other = c(preterm = 0),
                   pcsp = c(preterm = 0),
                   preterm_trend = list(date = brk, level = level, slope = slope))
# rates per 1,000 (preterm birth's multiplier in add_outcomes())
per <- 1000
# MQ_INTERVAL: "month" (default; 9 periods before the break) or "quarter"
# (only 3 before it: the pre-break slope is then barely identified)
MQ_INTERVAL <- Sys.getenv("MQ_INTERVAL", "month")
k <- if (MQ_INTERVAL == "month") 12 else 4
truth <- c(level = per * (level + slope / (2 * k)), slope = per * slope / k, v2 = 0)
terms <- c(level = "level_2016-01-01", slope = "slope_2016-01-01", v2 = "level_msds_v2")

quiet <- function(e) suppressWarnings(suppressMessages(e))
one_rep <- function(r) {
  x <- simulate_msds(n_preg, seed = 5000 + r, effects = eff, realism = NULL,
                     start = as.Date("2015-04-01"), end = as.Date("2025-12-31"))
  tabs <- sim_msds_versions(x, seed = 5000 + r)
  m <- as_msds(tabs, v15_codes = attr(tabs, "v15_codes"), quiet = TRUE)
  co <- quiet(add_outcomes(define_cohort(m), m))
  # births up to the end of 2024 only (later bookings have not all given birth)
  co <- co[co$booking_date < as.Date("2025-01-01"), ]
  tr <- quiet(care_model_trend(co, preterm, interval = MQ_INTERVAL, disclosure = "none"))
  stopifnot(tr$per[1] == per)
  fits <- lapply(c(ar1 = "ar1", nw = "newey-west"), function(v)
    tidy(quiet(its(tr, breaks = brk, version_level = TRUE, vcov = v))))
  pick <- function(tt) tt[match(terms, tt$term), c("estimate", "std.error", "conf.low", "conf.high")]
  list(est = pick(fits$ar1), est_nw = pick(fits$nw),
       counts = tr[c("period", "events", "n")], twice = anyDuplicated(m$MSD101PregnancyBooking$UniqPregID) > 0)
}

t0 <- Sys.time()
res <- lapply(seq_len(n_rep), function(r) tryCatch(one_rep(r), error = function(e) conditionMessage(e)))
secs <- as.numeric(difftime(Sys.time(), t0, units = "secs"))
ok <- vapply(res, is.list, TRUE)
res_ok <- res[ok]

# pooled truth: the same model on the pooled quarterly counts
pool <- do.call(rbind, lapply(res_ok, `[[`, "counts"))
agg <- stats::aggregate(cbind(events, n) ~ period, data = pool, FUN = sum)
pooled_tr <- structure(tibble::tibble(period = agg$period, period_label = format(agg$period),
                                      events = agg$events, n = agg$n, n_missing = 0L,
                                      rate = per * agg$events / agg$n, conf.low = NA_real_,
                                      conf.high = NA_real_, per = per),
                       trend = list(variable = "preterm", by = character(), interval = MQ_INTERVAL,
                                    version_change = msds_v2_date),
                       class = c("mq_trend", "tbl_df", "tbl", "data.frame"))
pf <- tidy(its(pooled_tr, breaks = brk, version_level = TRUE, vcov = "newey-west"))
pooled <- stats::setNames(pf$estimate[match(terms, pf$term)], names(terms))

rows <- lapply(c(outer(names(terms), c("est", "est_nw"), paste)), function(kk) {
  k <- sub(" .*", "", kk); el <- sub(".* ", "", kk)
  e <- vapply(res_ok, function(r) r[[el]]$estimate[match(k, names(terms))], 0)
  se <- vapply(res_ok, function(r) r[[el]]$std.error[match(k, names(terms))], 0)
  lo <- vapply(res_ok, function(r) r[[el]]$conf.low[match(k, names(terms))], 0)
  hi <- vapply(res_ok, function(r) r[[el]]$conf.high[match(k, names(terms))], 0)
  data.frame(term = terms[[k]], vcov = if (el == "est") "ar1 (default)" else "newey-west",
             reps = length(e), truth = truth[[k]], pooled = pooled[[k]],
             mean_estimate = mean(e), bias = mean(e) - truth[[k]], empirical_se = stats::sd(e),
             mean_se = mean(se), coverage = mean(lo <= truth[[k]] & hi >= truth[[k]]),
             coverage_pooled = mean(lo <= pooled[[k]] & hi >= pooled[[k]]))
})
tab <- do.call(rbind, rows)
twice <- sum(vapply(res_ok, `[[`, TRUE, "twice"))
fmt <- function(v, d = 4) formatC(v, format = "f", digits = d)
md <- c(
  "# Validation: its() of preterm birth around 2016-01-01 on extracts in both MSDS versions",
  "",
  sprintf("Run %s; %d replications of `simulate_msds(%d)` (2015-04 to 2025-12) written by `sim_msds_versions()` and read by `as_msds()`, %.1f minutes. Replications that failed: %d. Replications with a pregnancy counted twice across the version change: %d. Code: matequity %s, git commit %s.",
          format(Sys.Date()), n_rep, n_preg, secs / 60, sum(!ok), twice,
          as.character(utils::packageVersion("matequity")),
          tryCatch(system("git rev-parse --short HEAD", intern = TRUE), error = function(e) "unknown")),
  "",
  sprintf("Built-in change: preterm risk + %.3f from 2016-01-01, + %.3f per year after it (probability scale); care models' effect on preterm 0. Model: rate per 1,000 live singleton births by booking %s (bookings before 2025), one break at 2016-01-01, a level-change term at 2019-04-01 (`version_level = TRUE`, true value 0), 95%% t intervals; fitted with its() default (`vcov = \"ar1\"`: GLS with AR(1) errors by REML) and with `vcov = \"newey-west\"` (least squares, Newey-West SEs).", level, slope, MQ_INTERVAL),
  "",
  "Truth: by construction (see the header of `validation/its_v15.R`); `pooled` is the least-squares fit of the same model to the counts per period of all replications pooled (the superpopulation coefficients).",
  "",
  "| term | vcov | reps | truth | pooled | mean estimate | bias | empirical SE | mean SE | coverage | coverage (pooled) |",
  "|---|---|---|---|---|---|---|---|---|---|---|",
  sprintf("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %.1f%% | %.1f%% |", tab$term, tab$vcov, tab$reps, fmt(tab$truth),
          fmt(tab$pooled), fmt(tab$mean_estimate), fmt(tab$bias), fmt(tab$empirical_se), fmt(tab$mean_se),
          100 * tab$coverage, 100 * tab$coverage_pooled)
)
writeLines(md, "validation/its_v15.md")
cat(md, sep = "\n")
