# Simulation study of multiple imputation for missing ethnicity (issue 16,
# item 2): bias and 95% interval coverage of the share of Black and Asian
# women among pregnancies, estimated with outcome_rates() on multiply imputed
# data (mice, pooled by Rubin's rules with Barnard-Rubin df), against
# complete-case analysis, on simulate_msds() data whose unknown ethnicity
# arises by a known mechanism (sim_recording(missing_mechanism = )):
#   * MAR: the odds of unknown ethnicity are `or` times higher in IMD deciles
#     1-2 (observed), where Black and Asian women are over-represented, so the
#     complete cases under-represent them and MI given IMD corrects it;
#   * MNAR: the odds are `or` times higher for ethnic-minority women; MI under
#     MAR is then biased, and mnar_adjust() with the true shift
#     delta = log(or) for every minority group is the sensitivity analysis
#     that recovers the truth.
# Truth: the simulator draws each woman's ethnic category from
# sim_ethnic_mix, independently of the number of her pregnancies, so the
# share of pregnancies in a broad group is the sum of its categories' shares.
#
# Run from the package root with the package installed:
#   R_LIBS=... Rscript validation/imputation.R [n_reps] [n_pregnancies] [m]
# Writes validation/imputation.md.
suppressPackageStartupMessages({library(matequity); library(mice)})
args <- commandArgs(trailingOnly = TRUE)
n_reps <- if (length(args) >= 1) as.integer(args[1]) else 200L
n_preg <- if (length(args) >= 2) as.integer(args[2]) else 5000L
m <- if (length(args) >= 3) as.integer(args[3]) else 10L
unknown <- 0.25
or <- 4
commit <- tryCatch(system("git rev-parse --short HEAD", intern = TRUE), error = function(e) "unknown")
mix <- matequity:::sim_ethnic_mix
truth <- c(Asian = sum(mix[c("H", "J", "K", "L")]), Black = sum(mix[c("M", "N", "P")])) / sum(mix)
broad <- function(code) {
  e <- substr(code, 1, 1)
  factor(ifelse(e %in% c("A", "B", "C"), "White", ifelse(e %in% c("D", "E", "F", "G"), "Mixed",
         ifelse(e %in% c("H", "J", "K", "L"), "Asian", ifelse(e %in% c("M", "N", "P"), "Black",
         ifelse(e %in% c("R", "S"), "Other", NA))))),
         levels = c("White", "Mixed", "Asian", "Black", "Other"))
}

# one data set: a row per pregnancy, the recorded broad ethnic group (NA when
# not known), the true IMD decile (always observed here) and age
one_data <- function(r, mech) {
  x <- simulate_msds(n_preg, seed = 5000 + r,
                     recording = sim_recording(ethnicity_unknown = unknown, missing_mechanism = mech,
                                               missing_odds_ratio = or))
  sim <- attr(x, "simulation")
  d <- x$MSD001MotherDemog
  d <- d[order(d$Person_ID_Mother, -d$RecordNumber), ]
  d <- d[!duplicated(d$Person_ID_Mother), ]
  rec <- d$EthnicCategoryMother[match(sim$Person_ID_Mother, d$Person_ID_Mother)]
  rec[rec %in% c("Z", "99", "X")] <- NA
  data.frame(eth = broad(rec), imd = factor(sim$imd_decile),
             deprived = as.integer(sim$imd_decile <= 2))
}

estimate <- function(done, lab) {
  rows <- lapply(names(truth), function(g) {
    dl <- lapply(done, function(d) { d$y <- d$eth == g; d$y_eligible <- TRUE; d })
    r <- if (length(dl) == 1L) outcome_rates(dl[[1]], y, per = 100, disclosure = "none") else
      outcome_rates(dl, y, per = 100, disclosure = "none")
    se <- if (length(dl) == 1L) sqrt(r$rate * (100 - r$rate) / r$n) else r$std.error
    data.frame(analysis = lab, group = g, estimate = r$rate / 100, se = se / 100,
               low = r$conf.low / 100, high = r$conf.high / 100,
               fmi = if (is.null(r$fmi)) NA_real_ else r$fmi)
  })
  do.call(rbind, rows)
}

t0 <- Sys.time()
res <- list()
for (mech in c("mar", "mnar")) for (r in seq_len(n_reps)) {
  d <- one_data(r, mech)
  cc <- d[!is.na(d$eth), ]
  imp <- mice(d[c("eth", "imd")], m = m, seed = r, printFlag = FALSE)
  out <- rbind(estimate(list(cc), "complete cases"),
               estimate(lapply(seq_len(m), function(i) complete(imp, i)), "MI (mice, MAR)"))
  if (mech == "mnar") {
    adj <- mnar_adjust(imp, eth, delta = c(Mixed = log(or), Asian = log(or), Black = log(or),
                                           Other = log(or)), seed = r)
    out <- rbind(out, estimate(adj, "MI + mnar_adjust(delta = log(OR))"))
  }
  out$mechanism <- toupper(mech)
  out$rep <- r
  res[[length(res) + 1L]] <- out
}
res <- do.call(rbind, res)
res$truth <- truth[res$group]
res$cover <- res$low <= res$truth & res$high >= res$truth
mins <- as.numeric(difftime(Sys.time(), t0, units = "mins"))
key <- unique(res[c("mechanism", "analysis", "group")])
tab <- do.call(rbind, lapply(seq_len(nrow(key)), function(i) {
  s <- res[res$mechanism == key$mechanism[i] & res$analysis == key$analysis[i] &
             res$group == key$group[i], ]
  cv <- mean(s$cover)
  data.frame(key[i, ], reps = nrow(s), truth = s$truth[1], bias = mean(s$estimate - s$truth),
             emp_se = stats::sd(s$estimate), mean_se = mean(s$se), cover = cv,
             mc = sqrt(cv * (1 - cv) / nrow(s)), fmi = mean(s$fmi))
}))
fmt <- function(x, d = 4) formatC(x, digits = d, format = "f")
lines <- c(
  "# Validation: multiple imputation of missing ethnicity on simulated MSDS data", "",
  sprintf("Generated by `validation/imputation.R` on %s (%.1f min).", format(Sys.time(), "%Y-%m-%d %H:%M UTC", tz = "UTC"), mins), "",
  sprintf(paste0("Design: %d replications per mechanism of `simulate_msds(%d, seed = 5000 + r, recording = ",
                 "sim_recording(ethnicity_unknown = %.2f, missing_mechanism = , missing_odds_ratio = %g))`. ",
                 "Estimand: the share of pregnancies to Black and to Asian women (truth from `sim_ethnic_mix`). ",
                 "MI: `mice()` (polytomous regression of the broad ethnic group on the IMD decile), m = %d, ",
                 "`outcome_rates()` on the completed data sets pooled by Rubin's rules, 95%% t intervals on the ",
                 "Barnard-Rubin df. Complete cases: Wilson interval. MAR: unknown ethnicity more likely (odds x%g) in ",
                 "IMD deciles 1-2; MNAR: more likely (odds x%g) for ethnic-minority women."),
          n_reps, n_preg, unknown, or, m, or, or), "",
  sprintf("Code: matequity %s, git commit %s.", utils::packageVersion("matequity"), commit), "",
  paste("Rows are pregnancies, clustered by mother (up to two with the same ethnicity), which",
        "`outcome_rates()` treats as independent: standard errors of every analysis fall a little",
        "short of the empirical SE for that reason, not because of the pooling."), "",
  "| mechanism | analysis | group | reps | truth | bias | empirical SE | mean SE | coverage (MC SE) | mean fmi |",
  "|---|---|---|---|---|---|---|---|---|---|",
  sprintf("| %s | %s | %s | %d | %s | %s | %s | %s | %.1f%% (%.1f) | %s |", tab$mechanism, tab$analysis,
          tab$group, tab$reps, fmt(tab$truth), fmt(tab$bias, 5), fmt(tab$emp_se, 5), fmt(tab$mean_se, 5),
          100 * tab$cover, 100 * tab$mc, ifelse(is.na(tab$fmi), "", fmt(tab$fmi, 3))))
writeLines(lines, "validation/imputation.md")
cat(lines, sep = "\n")
