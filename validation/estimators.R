# Simulation study of the causal estimators (issue 5): bias, empirical SE vs
# mean estimated SE, and 95% interval coverage of IPW, AIPW, TMLE (and
# matching, when match_nearest() is available) for the effect of being
# placed on a continuity-of-carer pathway on caesarean birth, overall and by
# CORE20PLUS group, on simulate_msds() data, against the simulator's truth.
#
# Run from the package root with the package installed:
#   R_LIBS=... Rscript validation/estimators.R [n_reps] [n_pregnancies]
# Writes validation/estimators.md.
suppressPackageStartupMessages(library(matequity))
args <- commandArgs(trailingOnly = TRUE)
n_reps <- if (length(args) >= 1) as.integer(args[1]) else 200L
n_preg <- if (length(args) >= 2) as.integer(args[2]) else 20000L
nthreads <- as.integer(Sys.getenv("MQ_VALIDATION_THREADS", "2"))
failures <- list()
commit <- tryCatch(system("git rev-parse --short HEAD", intern = TRUE), error = function(e) "unknown")
pkg_version <- as.character(utils::packageVersion("matequity"))
outcome <- "caesarean"
ns <- asNamespace("matequity")
has_matching <- exists("match_nearest", envir = ns, inherits = FALSE)

latest <- function(tab, key) {
  tab <- tab[order(tab[[key]], -tab$RecordNumber), ]
  tab[!duplicated(tab[[key]]), ]
}

# One analysis data set: the target population (MSDS v2 pregnancies that
# reached 29+0 weeks), the care model received, the outcome under it, and
# the confounders of the simulator's allocation and outcome models, taken
# from the simulated MSDS tables (age, parity, previous caesarean, complex
# social factors, provider, booking year) and the latent record (true IMD,
# ethnicity, long-term condition, personalised care plan).
analysis_data <- function(x) {
  sim <- attr(x, "simulation")
  b <- latest(x$MSD101PregnancyBooking, "UniqPregID")
  b <- b[match(sim$UniqPregID, b$UniqPregID), ]
  eth <- substr(sim$ethnic_code, 1, 1)
  broad <- ifelse(eth %in% c("A", "B", "C"), "White",
                  ifelse(eth %in% c("D", "E", "F", "G"), "Mixed",
                         ifelse(eth %in% c("H", "J", "K", "L"), "Asian",
                                ifelse(eth %in% c("M", "N", "P"), "Black", "Other"))))
  d <- data.frame(
    coc = as.integer(sim$coc_placed),
    y = ifelse(sim$coc_placed, sim[[paste0("y1_", outcome)]], sim[[paste0("y0_", outcome)]]),
    risk1 = sim[[paste0("risk1_", outcome)]], risk0 = sim[[paste0("risk0_", outcome)]],
    group = sim$core20plus_group,
    imd = factor(sim$imd_decile), ethnic = factor(broad),
    ltc = as.integer(sim$long_term_condition), pcsp = as.integer(sim$pcsp),
    csf = as.integer(b$ComplexSocialFactorsInd == "Y"),
    age = b$AgeAtBookingMother, age40 = as.integer(b$AgeAtBookingMother >= 40),
    nullip = as.integer(b$PreviousLiveBirths + b$PreviousStillBirths == 0),
    prev_cs = as.integer(b$PreviousCaesareanSections > 0),
    unit = factor(b$OrgCodeProvider), year = factor(format(b$AntenatalAppDate, "%Y")),
    target = sim$target
  )
  d <- d[d$target & !is.na(d$coc) & !is.na(d$y), ]
  d$y <- as.integer(d$y)
  d
}

covs <- ~ imd + ethnic + ltc + pcsp + csf + age + age40 + nullip + prev_cs + unit + year
# The outcome model leaves out provider and booking year: they drive
# allocation, not the outcome, in the simulator, and arm-specific outcome
# models with 14 provider and 7 year dummies are quasi-separated in the
# smaller CORE20PLUS subgroups (some provider-year cells have no events).
out_covs <- ~ imd + ethnic + ltc + pcsp + csf + age + age40 + nullip + prev_cs
methods <- list(ipw = list(method = "ipw", estimand = "ATE"),
                aipw = list(method = "aipw", estimand = "ATE"),
                tmle = list(method = "tmle", estimand = "ATE"))
if (has_matching) {
  # MatchIt's default (1:1 without replacement) and with replacement: without
  # replacement the treated outnumber the close controls in the groups the
  # pathway targets, so its matched controls are too far and it is biased
  # (it is not a consistent estimator of the ATT there); with replacement it is.
  methods$matching <- list(method = "matching", estimand = "ATT", replace = FALSE)
  methods$matching_replace <- list(method = "matching", estimand = "ATT", replace = TRUE)
}

one_rep <- function(r) {
  x <- simulate_msds(n_preg, seed = 1000 + r)
  d <- analysis_data(x)
  rows <- list()
  for (m in names(methods)) {
    spec <- methods[[m]]
    for (by in c(FALSE, TRUE)) {
      fit <- tryCatch(suppressWarnings(
        if (by) estimate_effect(d, coc, y, covs, method = spec$method, estimand = spec$estimand,
                                by = group, outcome_covariates = out_covs,
                                replace = isTRUE(spec$replace), nthreads = nthreads)
        else estimate_effect(d, coc, y, covs, method = spec$method, estimand = spec$estimand,
                             outcome_covariates = out_covs, replace = isTRUE(spec$replace),
                             nthreads = nthreads)),
        error = function(e) e)
      if (inherits(fit, "error")) {
        failures[[length(failures) + 1L]] <<- data.frame(
          rep = r, method = m, by = by, message = conditionMessage(fit)[1])
        next
      }
      tt <- tidy(fit)
      tt <- tt[tt$term == "risk_difference", ]
      grp <- if (by) tt$group else "Overall"
      truth <- vapply(grp, function(g) {
        s <- if (g == "Overall") d else d[d$group == g, ]
        if (spec$estimand == "ATT") s <- s[s$coc == 1L, ]
        mean(s$risk1 - s$risk0)
      }, 0)
      z <- stats::qnorm(0.975)
      rows[[length(rows) + 1L]] <- data.frame(
        rep = r, method = m, group = grp, truth = truth, estimate = tt$estimate,
        se = tt$std.error, covered = abs(tt$estimate - truth) <= z * tt$std.error)
    }
  }
  do.call(rbind, rows)
}

t0 <- Sys.time()
write_summary <- function(res, done) {
  elapsed <- as.numeric(Sys.time() - t0, units = "mins")
  key <- interaction(res$method, res$group, drop = TRUE, lex.order = TRUE)
  summ <- do.call(rbind, lapply(split(res, key), function(s) {
    data.frame(method = s$method[1], group = s$group[1], reps = nrow(s),
               truth = mean(s$truth), bias = mean(s$estimate - s$truth),
               emp_se = stats::sd(s$estimate - s$truth), mean_se = mean(s$se),
               se_ratio = mean(s$se) / stats::sd(s$estimate - s$truth),
               coverage = mean(s$covered),
               mc_se_cov = sqrt(mean(s$covered) * (1 - mean(s$covered)) / nrow(s)))
  }))
  grp_order <- c("Overall", "Core20 and PLUS", "Core20 only", "PLUS only", "Neither")
  summ <- summ[order(match(summ$method, names(methods)), match(summ$group, grp_order)), ]

  fmt <- function(v, d = 4) formatC(v, digits = d, format = "f")
  md <- c(
    "# Validation: causal estimators on simulated MSDS data",
    "",
    paste0("Generated by `validation/estimators.R` on ", format(Sys.time(), "%Y-%m-%d %H:%M %Z"),
           " (", round(elapsed, 1), " min, ", nthreads, " threads)."),
    "",
    paste0("Design: ", length(unique(res$rep)), " replications (of ", n_reps, " planned) of `simulate_msds(", n_preg, ", seed = 1000 + r)`. ",
           "Treatment: placed on a continuity-of-carer pathway by 28+6 weeks (`coc_placed`); ",
           "outcome: ", outcome, " (the potential outcome under the care model received, from ",
           "the simulator's latent record). Target population: MSDS v2 pregnancies that reached ",
           "29+0 weeks (the simulator's `target`). Covariates: IMD decile, broad ethnic group, ",
           "long-term condition, personalised care plan, complex social factors, age, age >= 40, ",
           "nulliparity, previous caesarean, provider and booking year (the confounders of the ",
           "simulator's allocation and outcome models; age is the recorded whole years) in the ",
           "propensity model; the outcome models (g-computation part of AIPW and TMLE) use the same ",
           "terms without provider and year, which do not affect the outcome."),
    "",
    paste0("Estimand: the risk difference (ATE for IPW, AIPW and TMLE; ATT for matching, 1:1 on the logit propensity score, without replacement as MatchIt does by default, and with replacement). ",
           "Truth in each replication: the mean of the simulator's individual risks under and ",
           "without CoC over the target population (over the treated for the ATT), overall and ",
           "within each CORE20PLUS group. This conditions on the sample's covariates, so coverage ",
           "against it is, if anything, slightly conservative. SEs: M-estimation sandwich ",
           "(IPW, AIPW), influence function (TMLE), cluster-robust on the matched sets (matching ",
           "without replacement), robust with the matching weights fixed (with replacement); ",
           "95% Wald intervals."),
    "",
    paste0("Fits that stopped with an error: ", length(failures), if (length(failures)) {
      f <- do.call(rbind, failures)
      paste0(" (", paste(unique(paste0(f$method, ifelse(f$by, " by group", ""), ": ",
                                       f$message)), collapse = "; "), ")")
    } else "", "."),
    paste0("Code: matequity ", pkg_version, ", git commit ",
           commit,
           "."),
    "",
    "| method | group | reps | true RD | bias | empirical SE | mean estimated SE | SE ratio | coverage (MC SE) |",
    "|---|---|---|---|---|---|---|---|---|",
    paste0("| ", summ$method, " | ", summ$group, " | ", summ$reps, " | ", fmt(summ$truth), " | ",
           fmt(summ$bias, 5), " | ", fmt(summ$emp_se), " | ", fmt(summ$mean_se), " | ",
           fmt(summ$se_ratio, 3), " | ", fmt(100 * summ$coverage, 1), "% (",
           fmt(100 * summ$mc_se_cov, 1), ") |"),
    ""
  )
  writeLines(md, file.path("validation", "estimators.md"))
  invisible(md)
}
res <- NULL
for (r in seq_len(n_reps)) {
  res <- rbind(res, one_rep(r))
  if (r %% 5 == 0 || r == n_reps) {
    message("replicate ", r, " (", round(as.numeric(Sys.time() - t0, units = "mins"), 1), " min)")
    md <- write_summary(res, r)
  }
}
cat(md, sep = "\n")
