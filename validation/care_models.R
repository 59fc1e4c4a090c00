# Simulation study of the four-level care model (issue 16, item 1): bias,
# empirical SE vs mean estimated SE, and 95% interval coverage of the
# multi-category AIPW and IPW estimators (multinomial propensity scores,
# M-estimation sandwich) for the effect on caesarean birth of each care model
# (personalised care plan only, CoC only, both) against neither, on
# simulate_msds() data, against the simulator's four-care-model truth
# (attr(x, "care_model_risks")).
#
# Run from the package root with the package installed:
#   R_LIBS=... Rscript validation/care_models.R [n_reps] [n_pregnancies]
# Writes validation/care_models.md.
suppressPackageStartupMessages(library(matequity))
args <- commandArgs(trailingOnly = TRUE)
n_reps <- if (length(args) >= 1) as.integer(args[1]) else 200L
n_preg <- if (length(args) >= 2) as.integer(args[2]) else 20000L
nthreads <- as.integer(Sys.getenv("MQ_VALIDATION_THREADS", "2"))
failures <- list()
commit <- tryCatch(system("git rev-parse --short HEAD", intern = TRUE), error = function(e) "unknown")
pkg_version <- as.character(utils::packageVersion("matequity"))
outcome <- "caesarean"
levels_cm <- c("none", "pcsp_only", "coc_only", "both")

latest <- function(tab, key) {
  tab <- tab[order(tab[[key]], -tab$RecordNumber), ]
  tab[!duplicated(tab[[key]]), ]
}

# One analysis data set: the target population, the care model received,
# the outcome under it, each pregnancy's risks under the four care models,
# and the confounders of the simulator's allocation and outcome models
# (from the MSDS tables and the latent record, as validation/estimators.R).
analysis_data <- function(x) {
  sim <- attr(x, "simulation")
  cmr <- attr(x, "care_model_risks")
  cmr <- cmr[match(sim$UniqPregID, cmr$UniqPregID), ]
  b <- latest(x$MSD101PregnancyBooking, "UniqPregID")
  b <- b[match(sim$UniqPregID, b$UniqPregID), ]
  eth <- substr(sim$ethnic_code, 1, 1)
  broad <- ifelse(eth %in% c("A", "B", "C"), "White",
                  ifelse(eth %in% c("D", "E", "F", "G"), "Mixed",
                         ifelse(eth %in% c("H", "J", "K", "L"), "Asian",
                                ifelse(eth %in% c("M", "N", "P"), "Black", "Other"))))
  obs <- cmr$care_model
  y <- rep(NA, nrow(cmr))
  for (k in levels_cm) y[obs == k] <- cmr[[paste0("y_", k, "_", outcome)]][obs == k]
  d <- data.frame(
    care = factor(obs, levels = levels_cm), y = as.integer(y),
    group = sim$core20plus_group,
    imd = factor(sim$imd_decile), ethnic = factor(broad),
    ltc = as.integer(sim$long_term_condition),
    csf = as.integer(b$ComplexSocialFactorsInd == "Y"),
    age = b$AgeAtBookingMother, age40 = as.integer(b$AgeAtBookingMother >= 40),
    nullip = as.integer(b$PreviousLiveBirths + b$PreviousStillBirths == 0),
    prev_cs = as.integer(b$PreviousCaesareanSections > 0),
    unit = factor(b$OrgCodeProvider), year = factor(format(b$AntenatalAppDate, "%Y")),
    target = sim$target
  )
  for (k in levels_cm) d[[paste0("risk_", k)]] <- cmr[[paste0("risk_", k, "_", outcome)]]
  d <- d[d$target & !is.na(d$y), ]
  d$care <- droplevels(d$care)
  d
}

covs <- ~ imd + ethnic + ltc + csf + age + age40 + nullip + prev_cs + unit + year
out_covs <- ~ imd + ethnic + ltc + csf + age + age40 + nullip + prev_cs
methods <- c("aipw", "ipw")

one_rep <- function(r) {
  x <- simulate_msds(n_preg, seed = 5000 + r)
  d <- analysis_data(x)
  rows <- list()
  for (m in methods) {
    fit <- tryCatch(suppressWarnings(
      estimate_effect(d, care, y, covs, method = m, outcome_covariates = out_covs,
                      disclosure = "none", nthreads = nthreads)), error = function(e) e)
    if (inherits(fit, "error")) {
      failures[[length(failures) + 1L]] <<- data.frame(rep = r, method = m,
                                                       message = conditionMessage(fit)[1])
      next
    }
    tt <- tidy(fit)
    tt <- tt[tt$term == "risk_difference" & tt$reference %in% "none", ]
    truth <- vapply(tt$level, function(k) mean(d[[paste0("risk_", k)]] - d$risk_none), 0)
    z <- stats::qnorm(0.975)
    rows[[length(rows) + 1L]] <- data.frame(
      rep = r, method = m, contrast = paste(tt$level, "vs none"), truth = truth,
      estimate = tt$estimate, se = tt$std.error,
      covered = abs(tt$estimate - truth) <= z * tt$std.error,
      n_level = paste(table(d$care), collapse = "/"))
  }
  do.call(rbind, rows)
}

t0 <- Sys.time()
write_summary <- function(res) {
  elapsed <- as.numeric(Sys.time() - t0, units = "mins")
  key <- interaction(res$method, res$contrast, drop = TRUE, lex.order = TRUE)
  summ <- do.call(rbind, lapply(split(res, key), function(s) {
    data.frame(method = s$method[1], contrast = s$contrast[1], reps = nrow(s),
               truth = mean(s$truth), bias = mean(s$estimate - s$truth),
               emp_se = stats::sd(s$estimate - s$truth), mean_se = mean(s$se),
               se_ratio = mean(s$se) / stats::sd(s$estimate - s$truth),
               coverage = mean(s$covered),
               mc_se_cov = sqrt(mean(s$covered) * (1 - mean(s$covered)) / nrow(s)))
  }))
  summ <- summ[order(match(summ$method, methods),
                     match(summ$contrast, paste(levels_cm[-1], "vs none"))), ]
  fmt <- function(v, d = 4) formatC(v, digits = d, format = "f")
  md <- c(
    "# Validation: four-level care model (multi-category AIPW and IPW)",
    "",
    paste0("Generated by `validation/care_models.R` on ", format(Sys.time(), "%Y-%m-%d %H:%M %Z"),
           " (", round(elapsed, 1), " min, ", nthreads, " threads)."),
    "",
    paste0("Design: ", length(unique(res$rep)), " replications (of ", n_reps, " planned) of `simulate_msds(",
           n_preg, ", seed = 5000 + r)`. Treatment: the care model, four levels from a personalised ",
           "care plan and placement on a continuity-of-carer pathway by 28+6 weeks (none, pcsp_only, ",
           "coc_only, both; level sizes in the first replication ", res$n_level[1], "); outcome: ", outcome,
           " (the potential outcome under the care model received). Target population: MSDS v2 ",
           "pregnancies that reached 29+0 weeks. Propensity model: multinomial logit on IMD decile, ",
           "broad ethnic group, long-term condition, complex social factors, age, age >= 40, ",
           "nulliparity, previous caesarean, provider and booking year; outcome models (AIPW, one per ",
           "level): the same without provider and year."),
    "",
    paste0("Estimand: the ATE risk difference of each care model against none. Truth in each ",
           "replication: the mean over the sample of the simulator's individual risks under the two ",
           "care models (`attr(x, \"care_model_risks\")`). SEs: M-estimation sandwich of the stacked ",
           "multinomial, outcome-model and mean equations; 95% Wald intervals. The simulator's joint ",
           "allocation (a logistic model for the plan, then one for CoC given the plan) is not exactly ",
           "a multinomial logit with main effects, and the CoC effect differs between CORE20PLUS ",
           "and other women, which the outcome models do not model: both working models are slightly ",
           "misspecified."),
    "",
    paste0("Fits that stopped with an error: ", length(failures), if (length(failures)) {
      f <- do.call(rbind, failures)
      paste0(" (", paste(unique(paste0(f$method, ": ", f$message)), collapse = "; "), ")")
    } else "", ". Code: matequity ", pkg_version, ", git commit ", commit, "."),
    "",
    "| method | contrast | reps | true RD | bias | empirical SE | mean estimated SE | SE ratio | coverage (MC SE) |",
    "|---|---|---|---|---|---|---|---|---|",
    paste0("| ", summ$method, " | ", summ$contrast, " | ", summ$reps, " | ", fmt(summ$truth), " | ",
           fmt(summ$bias, 5), " | ", fmt(summ$emp_se), " | ", fmt(summ$mean_se), " | ",
           fmt(summ$se_ratio, 3), " | ", fmt(100 * summ$coverage, 1), "% (",
           fmt(100 * summ$mc_se_cov, 1), ") |"),
    ""
  )
  writeLines(md, file.path("validation", "care_models.md"))
  invisible(md)
}
res <- NULL
for (r in seq_len(n_reps)) {
  res <- rbind(res, one_rep(r))
  if (r %% 5 == 0 || r == n_reps) {
    message("replicate ", r, " (", round(as.numeric(Sys.time() - t0, units = "mins"), 1), " min)")
    md <- write_summary(res)
  }
}
cat(md, sep = "\n")
