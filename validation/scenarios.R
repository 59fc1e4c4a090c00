# Validation of disparity_scenarios() against simulate_msds()'s truth.
# Run from the package root with the package installed:
#   R_LIBS=... Rscript validation/scenarios.R
# Writes validation/scenarios.md.
#
# Each replication simulates an MSDS extract (no recording problems, so the
# analyst's covariates are the simulator's), builds a cohort-like table from
# the latent record (preterm birth observed under the care model received,
# eligible = the simulator's target population, group = true CORE20PLUS
# group, care model = coc_placed), and estimates every scenario for preterm
# birth by g-computation and by weighting with influence-function intervals.
#
# Allowable covariates L: age 40+ x nulliparous (4 cells, so the uptake model
# is saturated). Other covariates: exactly the terms of the simulator's
# preterm risk model (deprived, IMD decile, Black, Asian, long-term
# condition, complex social factors, previous stillbirth, PCSP), so the
# group-and-arm-specific outcome models are correctly specified.
#
# The truth (superpopulation, aggregated over all replications from the
# per-pregnancy true risks risk1/risk0 and true propensity e = P(A=1 | X)):
#   E[Y | g]            = E[e risk1 + (1 - e) risk0 | g]
#   E[Y^a | g]          = E[risk_a | g],  p_g = E[e | g]
#   pi_r(l)             = E[e | L = l, r]          (reference uptake given L)
#   equalised risk in g = sum_l P(l | g) (pi_r(l) E[risk1 | g, l] + (1 - pi_r(l)) E[risk0 | g, l])
#   ATC_g               = E[(1 - e)(risk1 - risk0) | g] / (1 - p_g)
#   target risk in g    = E[Y | g] + max(0, t - p_g) ATC_g (targeted groups)
#   decomposition: baseline E[Y^0|g] - E[Y^0|r]; prevalence (p_g - p_r) ATE_r;
#   effect p_g (ATE_g - ATE_r); selection = D - the three.
suppressPackageStartupMessages(library(matequity))
n_rep <- as.integer(Sys.getenv("MQ_VALIDATION_REPS", "200"))
n_preg <- as.integer(Sys.getenv("MQ_VALIDATION_N", "10000"))
t_up <- 0.75
rec <- sim_recording(ethnicity_unknown = 0, lsoa_missing = 0, named_carer_missing = 0,
                     late_care_plan = 0, care_plan_missing = 0)
groups <- c("Core20 and PLUS", "Core20 only", "Neither", "PLUS only")
lcells <- c("<40:parous", "<40:nulliparous", "40+:parous", "40+:nulliparous")

one_rep <- function(r) {
  x <- simulate_msds(n_preg, seed = 1000 + r, recording = rec)
  s <- attr(x, "simulation")
  b <- x$MSD101PregnancyBooking
  b <- b[order(b$UniqPregID, -b$RecordNumber), ]
  b <- b[!duplicated(b$UniqPregID), ]
  i <- match(s$UniqPregID, b$UniqPregID)
  age <- b$AgeAtBookingMother[i]
  parity <- b$PreviousLiveBirths[i] + b$PreviousStillBirths[i]
  co <- data.frame(
    grp = s$core20plus_group, coc = s$coc_placed,
    preterm = ifelse(s$coc_placed, s$y1_preterm, s$y0_preterm), preterm_eligible = s$target,
    lcell = factor(paste0(ifelse(age >= 40, "40+", "<40"), ":",
                          ifelse(parity == 0, "nulliparous", "parous")), levels = lcells),
    deprived = s$imd_decile <= 2, imd = s$imd_decile,
    black = s$ethnic_code %in% c("M", "N", "P"), asian = s$ethnic_code %in% c("H", "J", "K", "L"),
    ltc = s$long_term_condition, csf = s$complex_social,
    prev_sb = b$PreviousStillBirths[i] > 0, pcsp = s$pcsp)
  # truth ingredients by group x allowable cell, target population only
  tp <- s$target
  key <- interaction(factor(s$core20plus_group[tp], levels = groups), co$lcell[tp])
  e <- s$propensity_coc[tp]
  r1 <- s$risk1_preterm[tp]
  r0 <- s$risk0_preterm[tp]
  sums <- rowsum(cbind(n = 1, e = e, r1 = r1, r0 = r0, er1 = e * r1, er0 = e * r0), key,
                 reorder = FALSE)
  sums <- sums[match(levels(key), rownames(sums)), ]
  sums[is.na(sums)] <- 0
  rownames(sums) <- levels(key)
  fits <- lapply(c("gcomp", "weighting"), function(m) {
    sc <- tryCatch(suppressWarnings(disparity_scenarios(
      co, preterm, grp, coc, allowable = ~ lcell,
      covariates = ~ deprived + imd + black + asian + ltc + csf + prev_sb + pcsp,
      method = m, target_uptake = t_up, nthreads = 1, disclosure = "none")),
      error = function(e) NULL)
    if (is.null(sc)) return(NULL)
    d <- as.data.frame(tidy(sc))[c("group", "scenario", "term", "measure", "estimate",
                                   "conf.low", "conf.high", "std.error")]
    d$method <- m
    d
  })
  list(sums = sums, est = do.call(rbind, fits))
}

commit <- tryCatch(system("git rev-parse --short HEAD", intern = TRUE), error = function(e) "unknown")
t0 <- Sys.time()
res <- parallel::mclapply(seq_len(n_rep), one_rep, mc.cores = 2L)
elapsed <- as.numeric(difftime(Sys.time(), t0, units = "mins"))

# ---- superpopulation truth ------------------------------------------------
S <- Reduce(`+`, lapply(res, `[[`, "sums"))
cell_g <- sub("\\..*$", "", rownames(S))
cell_l <- sub("^.*\\.", "", rownames(S))
tru <- list()
ref <- "Neither"
pi_r <- setNames(S[cell_g == ref, "e"] / S[cell_g == ref, "n"], cell_l[cell_g == ref])
for (g in groups) {
  Sg <- S[cell_g == g, , drop = FALSE]
  N <- sum(Sg[, "n"])
  p <- sum(Sg[, "e"]) / N
  r1 <- sum(Sg[, "r1"]) / N
  r0 <- sum(Sg[, "r0"]) / N
  mu <- (sum(Sg[, "er1"]) + sum(Sg[, "r0"]) - sum(Sg[, "er0"])) / N
  pl <- pi_r[cell_l[cell_g == g]]
  eq <- sum(pl * Sg[, "r1"] + (1 - pl) * Sg[, "r0"]) / N
  atc <- (sum(Sg[, "r1"] - Sg[, "r0"]) - sum(Sg[, "er1"] - Sg[, "er0"])) / N / (1 - p)
  tgt <- if (g != ref) mu + max(0, t_up - p) * atc else mu
  tru[[g]] <- c(mu = mu, p = p, r1 = r1, r0 = r0, eq = eq, tgt = tgt)
}
truth_rows <- list()
for (g in setdiff(groups, ref)) {
  a <- tru[[g]]; b <- tru[[ref]]
  base <- a[["r0"]] - b[["r0"]]
  prev <- (a[["p"]] - b[["p"]]) * (b[["r1"]] - b[["r0"]])
  eff <- a[["p"]] * ((a[["r1"]] - a[["r0"]]) - (b[["r1"]] - b[["r0"]]))
  D <- a[["mu"]] - b[["mu"]]
  add <- function(s, tm, ms, v) truth_rows[[length(truth_rows) + 1L]] <<-
    data.frame(group = g, scenario = s, term = tm, measure = ms, truth = v)
  add("observed", "disparity", "difference", D)
  add("observed", "disparity", "ratio", a[["mu"]] / b[["mu"]])
  add("equalised", "residual", "difference", a[["eq"]] - b[["mu"]])
  add("equalised", "residual", "ratio", a[["eq"]] / b[["mu"]])
  add("equalised", "reduction", "difference", a[["mu"]] - a[["eq"]])
  add("universal_on", "disparity", "difference", a[["r1"]] - b[["r1"]])
  add("universal_on", "disparity", "ratio", a[["r1"]] / b[["r1"]])
  add("universal_off", "disparity", "difference", a[["r0"]] - b[["r0"]])
  add("universal_off", "disparity", "ratio", a[["r0"]] / b[["r0"]])
  add("target", "disparity", "difference", a[["tgt"]] - b[["mu"]])
  add("target", "disparity", "ratio", a[["tgt"]] / b[["mu"]])
  add("decomposition", "baseline", "difference", base)
  add("decomposition", "prevalence", "difference", prev)
  add("decomposition", "effect", "difference", eff)
  add("decomposition", "selection", "difference", D - base - prev - eff)
}
truth <- do.call(rbind, truth_rows)

est <- do.call(rbind, lapply(seq_along(res), function(i) {
  e <- res[[i]]$est
  if (is.null(e)) return(NULL)
  e$rep <- i
  e
}))
m <- merge(est, truth, by = c("group", "scenario", "term", "measure"))
m$covered <- m$conf.low <= m$truth & m$truth <= m$conf.high
rt <- m$measure == "ratio"
m$err <- m$estimate - m$truth
m$err[rt] <- log(m$estimate[rt]) - log(m$truth[rt])
key <- with(m, paste(method, group, scenario, term, measure, sep = "|"))
summ <- do.call(rbind, lapply(split(m, key), function(d) {
  data.frame(method = d$method[1], group = d$group[1], scenario = d$scenario[1],
             term = d$term[1], measure = d$measure[1], reps = sum(!is.na(d$estimate)),
             truth = d$truth[1], mean_est = mean(d$estimate, na.rm = TRUE),
             bias = mean(d$err, na.rm = TRUE), emp_se = stats::sd(d$err, na.rm = TRUE),
             mean_se = mean(d$std.error, na.rm = TRUE),
             coverage = mean(d$covered, na.rm = TRUE))
}))
ord <- c("observed", "equalised", "universal_on", "universal_off", "target", "decomposition")
summ <- summ[order(summ$method, summ$group, match(summ$scenario, ord), summ$term, summ$measure), ]
fmt <- function(x, d = 4) formatC(x, digits = d, format = "f")

n_failed <- sum(vapply(res, function(r) is.null(r$est), TRUE))
lines <- c(
  "# Validation: disparity_scenarios() against simulate_msds()'s truth", "",
  paste0("Run ", format(Sys.Date()), " on ", parallel::detectCores(), " cores (",
         sub(".*: ", "", grep("model name", readLines("/proc/cpuinfo"), value = TRUE)[1]), "); ",
         n_rep, " replications of `simulate_msds(", n_preg, ")` (about ",
         round(mean(vapply(res, function(r) sum(r$sums[, "n"]), 0))), " target-population ",
         "pregnancies each), ", fmt(elapsed, 1), " minutes. Replications that failed: ", n_failed,
         ". Code: matequity ", utils::packageVersion("matequity"), ", git commit ", commit, "."),
  "",
  "Outcome: preterm birth; groups: true CORE20PLUS group, reference `Neither`; care model:",
  "`coc_placed`; allowable: age 40+ x nulliparous (saturated uptake model); covariates: the",
  "terms of the simulator's preterm model (the outcome models are correctly specified; the",
  "propensity model for weighting omits unit and year, which drive uptake but not the",
  "outcome, so it is a misspecified but valid balancing model). Intervals: influence",
  "functions, 95%. Target uptake 75% in the three CORE20PLUS groups.", "",
  "The truth is the superpopulation value aggregated over all replications from the",
  "per-pregnancy true risks and true CoC propensity (see the header of",
  "`validation/scenarios.R` for the formulas). Bias and empirical SE are of the difference",
  "(or of the log ratio for ratios); `mean_se` is the mean reported SE on the same scale.", "",
  "| method | group | scenario | term | measure | reps | truth | mean estimate | bias | empirical SE | mean SE | coverage |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|",
  with(summ, paste0("| ", method, " | ", group, " | ", scenario, " | ", term, " | ", measure, " | ",
                    reps, " | ", fmt(truth), " | ", fmt(mean_est), " | ", fmt(bias, 5), " | ",
                    fmt(emp_se, 5), " | ", fmt(mean_se, 5), " | ", fmt(100 * coverage, 1), "% |")),
  "",
  paste0("Coverage over all rows: g-computation ", fmt(100 * mean(m$covered[m$method == "gcomp"], na.rm = TRUE), 1),
         "%, weighting ", fmt(100 * mean(m$covered[m$method == "weighting"], na.rm = TRUE), 1),
         "%. Range by row: ", fmt(100 * min(summ$coverage), 1), "% to ", fmt(100 * max(summ$coverage), 1),
         "%. With ", n_rep, " replications a true 95% coverage is estimated within about +-",
         fmt(200 * sqrt(0.95 * 0.05 / n_rep), 1), " points (2 Monte Carlo SEs).")
)
writeLines(lines, "validation/scenarios.md")
cat(tail(lines, 1), "\n")
