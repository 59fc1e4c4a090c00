# Benchmarks for the causal estimation engine (issues 5 and 15), each against
# its peer in the same run, after checking that the results agree.
# Run from the package root with the package installed (n >= 1e6: under the
# shared lock, up to ~10 GB of RAM):
#   R_LIBS=... flock /work/bench.lock Rscript bench/bench_estimate.R
# Writes bench/results/estimate_e2e.md (the user's call end to end, issue 15)
# and bench/results/estimate.md (the kernels); MATEQUITY_BENCH_PART = "e2e"
# or "kernel" runs one of the two.
suppressPackageStartupMessages(library(matequity))
ns <- asNamespace("matequity")
out_file <- file.path("bench", "results", "estimate.md")
e2e_file <- file.path("bench", "results", "estimate_e2e.md")
part <- Sys.getenv("MATEQUITY_BENCH_PART", "all")
nthreads <- 2L
timeit <- function(expr, times = 1L) {
  e <- substitute(expr)
  pf <- parent.frame()
  t <- vapply(seq_len(times), function(i) system.time(eval(e, pf))[["elapsed"]], 0)
  stats::median(t)
}
lines <- character()
add <- function(...) lines <<- c(lines, paste0(...))
load_now <- function() trimws(sub(".*load average:", "", system("uptime", intern = TRUE)))

cpu <- tryCatch(sub(".*: ", "", grep("model name", readLines("/proc/cpuinfo"), value = TRUE)[1]),
                error = function(e) "unknown")

## 0. End to end: the user's estimate_effect() call, n = 1e6, p = 30 -------
# From a data frame and a formula with factors, as a user calls it, against
# what a user would write with glm() and WeightIt: time, agreement, the
# size of the fit and the peak memory of each call (the process's peak
# resident set, VmHWM, reset before each call through /proc/self/clear_refs,
# less the resident set at the start of the call: it counts C++ buffers
# too, which gc() does not).
vm_mb <- function(field) {
  v <- grep(paste0("^", field, ":"), readLines("/proc/self/status"), value = TRUE)
  as.numeric(gsub("[^0-9]", "", v)) / 1024
}
measure <- function(expr) {
  e <- substitute(expr)
  pf <- parent.frame()
  invisible(gc())
  can_reset <- tryCatch({
    writeLines("5", "/proc/self/clear_refs")
    TRUE
  }, error = function(err) FALSE, warning = function(w) FALSE)
  base <- vm_mb("VmRSS")
  t <- system.time(value <- eval(e, pf))[["elapsed"]]
  list(value = value, time = t,
       peak = if (can_reset) vm_mb("VmHWM") - base else NA_real_)
}

# The AIPW a user would write around WeightIt (which has none): WeightIt's
# propensity scores, glm() outcome models by arm, the augmented weighting
# estimator with normalised (Hajek) residual terms, mu_a = mean(m_a) +
# sum w_a (Y - m_a) / sum w_a (what PSweight with augmentation = TRUE and
# matequity compute), its plug-in influence-function SE (nuisance models
# treated as known), and the textbook unnormalised form
# mean(m_a + 1{A=a}(Y - m_a)/P(A=a|X)).
weightit_aipw <- function(d, ps_fml, out_fml) {
  W <- WeightIt::weightit(ps_fml, data = d, method = "glm", estimand = "ATE")
  e <- W$ps
  g1 <- stats::glm(out_fml, family = stats::binomial(), data = d[d$a == 1L, ])
  g0 <- stats::glm(out_fml, family = stats::binomial(), data = d[d$a == 0L, ])
  m1 <- stats::predict(g1, newdata = d, type = "response")
  m0 <- stats::predict(g0, newdata = d, type = "response")
  w1 <- d$a / e
  w0 <- (1 - d$a) / (1 - e)
  r1 <- sum(w1 * (d$y - m1)) / sum(w1)
  r0 <- sum(w0 * (d$y - m0)) / sum(w0)
  if1 <- (m1 - mean(m1)) + w1 * (d$y - m1 - r1) / mean(w1)
  if0 <- (m0 - mean(m0)) + w0 * (d$y - m0 - r0) / mean(w0)
  list(rd = (mean(m1) + r1) - (mean(m0) + r0), se = sqrt(sum((if1 - if0)^2)) / nrow(d),
       rd_ht = mean(m1 + w1 * (d$y - m1)) - mean(m0 + w0 * (d$y - m0)),
       coef1 = stats::coef(g1), coef0 = stats::coef(g0))
}
if (part %in% c("all", "e2e") && requireNamespace("WeightIt", quietly = TRUE)) {
  lines <- character()
  set.seed(15)
  # MATEQUITY_BENCH_E2E_N: a smaller n to try the section out
  n <- as.numeric(Sys.getenv("MATEQUITY_BENCH_E2E_N", "1e6"))
  n_num <- 17
  d <- as.data.frame(matrix(rnorm(n * n_num), n, n_num))
  names(d) <- paste0("x", seq_len(n_num))
  d$region <- factor(sample(paste0("r", 1:7), n, TRUE))
  d$imd <- factor(sample(1:5, n, TRUE))
  d$parity <- factor(sample(c("0", "1", "2+"), n, TRUE, prob = c(0.4, 0.35, 0.25)))
  fml <- stats::reformulate(c(names(d)[seq_len(n_num)], "region", "imd", "parity"))
  Xb <- stats::model.matrix(fml, d)
  p <- ncol(Xb)
  stopifnot(p == 30L)
  b_ps <- c(-0.4, rep(c(0.25, -0.15, 0.1), length.out = p - 1L))
  b_y <- c(-1.2, rep(c(0.1, 0.2, -0.1), length.out = p - 1L))
  d$a <- as.integer(runif(n) < plogis(drop(Xb %*% b_ps)))
  d$y <- as.integer(runif(n) < plogis(drop(Xb %*% b_y) + 0.4 * d$a))
  rm(Xb)
  add("# End-to-end `estimate_effect()`: n = ", format(n, scientific = TRUE), ", p = 30, from a data frame")
  add("")
  add("Machine: ", parallel::detectCores(), " cores, ", cpu, "; R ", getRversion(),
      "; WeightIt ", as.character(utils::packageVersion("WeightIt")), "; matequity ",
      as.character(utils::packageVersion("matequity")), " with ", nthreads, " threads. Date: ",
      format(Sys.time(), "%Y-%m-%d %H:%M %Z"), ". Load average at the start (`uptime`): ",
      load_now(), ". The machine is shared with other jobs: times are of one call each and ",
      "noisy; the ratios are from the same run.")
  add("")
  add("The user's call, `estimate_effect(d, a, y, ~ x1 + ... + x17 + region + imd + parity, ",
      "method = m)` on a data frame of ", format(n, big.mark = ","), " rows (17 numeric covariates and three factors ",
      "of 7, 5 and 3 levels: 30 design columns with the intercept), M-estimation sandwich, ",
      "against the peer a user would write: `WeightIt::weightit(a ~ ..., method = \"glm\")` ",
      "for the propensity score, then for IPW `WeightIt::lm_weightit(y ~ a, vcov = ",
      "\"asympt\")` (Hajek risk difference with the M-estimation SE that accounts for the ",
      "estimated score: the same estimator and variance), and for AIPW two `glm()` outcome ",
      "models (one per arm, predicted for every unit) and the augmented weighting estimator ",
      "with the plug-in influence-function SE. Each time includes building the design from ",
      "the formula. Peak memory: the peak resident set of the call less the resident set ",
      "when it started (VmHWM after /proc/self/clear_refs), C++ buffers included.")
  add("")
  fit_mq <- function(m) estimate_effect(d, a, y, fml, method = m, nthreads = nthreads,
                                        disclosure = "none")
  # one warm-up on a small slice, so that lazy loading is not timed
  invisible(estimate_effect(d[1:2000, ], a, y, fml, method = "ipw", disclosure = "none"))
  r_ipw <- measure(fit_mq("ipw"))
  r_aipw <- measure(fit_mq("aipw"))
  ps_fml <- stats::update(fml, a ~ .)
  r_wi <- measure({
    W <- WeightIt::weightit(ps_fml, data = d, method = "glm", estimand = "ATE")
    fw <- WeightIt::lm_weightit(y ~ a, data = d, weightit = W, vcov = "asympt")
    list(W = W, fw = fw)
  })
  out_fml <- stats::update(fml, y ~ .)
  r_pa <- measure(weightit_aipw(d, ps_fml, out_fml))
  fi <- r_ipw$value
  fa <- r_aipw$value
  rd_wi <- stats::coef(r_wi$value$fw)[["a"]]
  se_wi <- sqrt(stats::vcov(r_wi$value$fw)["a", "a"])
  rel <- function(x, ref) abs(x / ref - 1)
  agree_ipw <- rel(coef(fi)[["risk_difference"]], rd_wi)
  agree_aipw <- rel(coef(fa)[["risk_difference"]], r_pa$value$rd)
  agree_ps <- max(rel(fi$ps, r_wi$value$W$ps))
  agree <- max(agree_ipw, agree_aipw, agree_ps) < 1e-6
  mb <- function(x) as.numeric(utils::object.size(x)) / 2^20
  cov_mb <- mb(fa$covariates)
  add("| call | time (s) | risk difference | SE | fit size (MB) | peak memory (MB) |")
  add("|---|---|---|---|---|---|")
  row <- function(label, r, rd, se, size) {
    add("| ", label, " | ", round(r$time, 2), " | ", signif(rd, 10), " | ", signif(se, 8), " | ",
        size, " | ", if (is.na(r$peak)) "n/a" else round(r$peak), " |")
  }
  row("matequity `estimate_effect(method = \"ipw\")`", r_ipw, coef(fi)[["risk_difference"]],
      sqrt(vcov(fi)[3, 3]), round(mb(fi), 1))
  row("WeightIt `weightit(method = \"glm\")` + `lm_weightit(vcov = \"asympt\")`", r_wi, rd_wi,
      se_wi, paste0(round(mb(r_wi$value$W) + mb(r_wi$value$fw), 1), " (weightit + lm_weightit objects)"))
  row("matequity `estimate_effect(method = \"aipw\")`", r_aipw, coef(fa)[["risk_difference"]],
      sqrt(vcov(fa)[3, 3]), round(mb(fa), 1))
  row("WeightIt `weightit(method = \"glm\")` + 2 x `glm()` + AIPW formula", r_pa, r_pa$value$rd,
      r_pa$value$se, "-")
  add("")
  add("Agreement (relative): IPW risk difference ", signif(agree_ipw, 2), ", its SE ",
      signif(rel(sqrt(vcov(fi)[3, 3]), se_wi), 2), ", propensity scores (largest) ",
      signif(agree_ps, 2), "; AIPW risk difference ", signif(agree_aipw, 2), " (",
      if (agree) "all < 1e-6" else "**not all < 1e-6**", "; ",
      "glm() stops at epsilon = 1e-8, matequity at 1e-10). The AIPW SEs differ by ",
      signif(100 * (sqrt(vcov(fa)[3, 3]) / r_pa$value$se - 1), 2), "%: the peer's plug-in SE ",
      "treats the nuisance models as known, matequity's sandwich stacks them.")
  add("")
  add("Speed-up of the user's call: IPW **", round(r_wi$time / r_ipw$time, 1), "x** against ",
      "WeightIt; AIPW **", round(r_pa$time / r_aipw$time, 1), "x** against the WeightIt + glm() ",
      "AIPW. Peak memory ratio (peer / matequity): IPW ",
      round(r_wi$peak / r_ipw$peak, 1), "x, AIPW ", round(r_pa$peak / r_aipw$peak, 1), "x.")
  add("")
  add("Fit size: `object.size()` of the AIPW fit is ", round(mb(fa), 1), " MB (",
      round(mb(fa) * 2^20 / n, 1), " bytes a row), of which ", round(cov_mb, 1),
      " MB are its `covariates` element, the data's own 20 covariate columns, which the fit ",
      "shares with `d` (all rows analysed: no copy is made; `object.size()` counts them ",
      "anyway); the rest is `treat`, `ps` and `weights` (20 bytes a row) and small summaries. ",
      "It keeps no design matrix (", p, " columns: ", round(n * p * 8 / 2^20), " MB), influence ",
      "functions or outcome ",
      "predictions. Before this change (main at e5f8784) the same kind of fit kept the design ",
      "twice, the covariates twice and those vectors twice: 115 MB at n = 2e5 with 19 design ",
      "columns (604 bytes a row) against 10 MB now.")
  add("")
  add("Load average when the section finished (`uptime`): ", load_now(), ".")
  add("")
  writeLines(lines, e2e_file)
  cat(lines, sep = "\n")
  rm(d, fi, fa, r_ipw, r_aipw, r_wi, r_pa)
  invisible(gc())
}
if (part == "e2e") quit(save = "no")
lines <- character()
add("# Causal estimation engine benchmarks")
add("")
add("Machine: ", parallel::detectCores(), " cores (`nproc` ", system("nproc", intern = TRUE),
    "), ", cpu, "; R ", getRversion(), "; matequity with ", nthreads, " threads. Date: ",
    format(Sys.time(), "%Y-%m-%d %H:%M %Z"), ". The machine is shared with other jobs, so ",
    "absolute times are noisy; ratios are from the same run.")
add("")
add("Load average at the start (`uptime`): ",
    trimws(sub(".*load average:", "", system("uptime", intern = TRUE))),
    " (another job may be using one of the cores).")
add("")

## 1. Propensity model, n = 1e6, p = 30 ---------------------------------
set.seed(1)
n <- 1e6
p_cont <- 20
Xc <- matrix(rnorm(n * p_cont), n, p_cont)
cat1 <- sample(1:6, n, TRUE)
cat2 <- sample(1:5, n, TRUE)
X <- cbind(1, Xc, outer(cat1, 2:6, `==`) * 1, outer(cat2, 2:5, `==`) * 1)
storage.mode(X) <- "double"
beta <- c(-0.5, rnorm(ncol(X) - 1, 0, 0.15))
a <- as.numeric(runif(n) < plogis(drop(X %*% beta)))
t_mq <- timeit(f_mq <- ns$.cpp_logit_fit(X, a, rep(1, n), rep(0, n),
                                         ns$irls_control_spec(nthreads, epsilon = 1e-8, maxit = 25L)), 3L)
t_glm <- timeit(f_glm <- stats::glm.fit(X, a, family = stats::binomial()), 1L)
rd <- max(abs(f_mq$coefficients - f_glm$coefficients) / abs(f_glm$coefficients))
add("## Propensity model: n = 1e6, p = ", ncol(X), " (20 continuous, two factors, intercept)")
add("")
add("| implementation | time (s) | iterations |")
add("|---|---|---|")
add("| `stats::glm.fit` (binomial) | ", round(t_glm, 2), " | ", f_glm$iter, " |")
add("| matequity IRLS (", nthreads, " threads, median of 3) | ", round(t_mq, 2), " | ", f_mq$iter, " |")
add("")
add("Speed-up: **", round(t_glm / t_mq, 1), "x** (target >= 10x). Same convergence rule ",
    "(epsilon = 1e-8), same iteration count; largest relative coefficient difference ",
    signif(rd, 2), ".")
add("")
rm(Xc)

## 2. AIPW ATE with sandwich SE, n = 1e6 -----------------------------------
set.seed(2)
p2 <- 10
d <- as.data.frame(matrix(rnorm(n * p2), n, p2))
names(d) <- paste0("x", seq_len(p2))
lp <- -0.3 + as.matrix(d) %*% rep(c(0.3, -0.2), p2 / 2)
d$a <- as.integer(runif(n) < plogis(drop(lp)))
d$y <- as.integer(runif(n) < plogis(-1 + 0.4 * d$a + drop(as.matrix(d[1:p2]) %*% rep(0.1, p2))))
covs <- paste0("x", seq_len(p2))
t_aipw <- timeit(fa <- estimate_effect(d, a, y, covs, method = "aipw", nthreads = nthreads), 3L)
t_ipw <- timeit(fi <- estimate_effect(d, a, y, covs, method = "ipw", nthreads = nthreads), 3L)
add("## AIPW ATE with M-estimation sandwich SE: n = 1e6, p = ", p2 + 1)
add("")
if (requireNamespace("WeightIt", quietly = TRUE)) {
  fo <- stats::reformulate(covs, "a")
  t_wi <- timeit({
    W <- WeightIt::weightit(fo, data = d, estimand = "ATE")
    fw <- WeightIt::lm_weightit(y ~ a, data = d, weightit = W, vcov = "asympt")
  }, 1L)
  se_mq <- sqrt(vcov(fi)[3, 3])
  se_wi <- sqrt(stats::vcov(fw)[2, 2])
  add("WeightIt has no AIPW estimator; its closest equivalent is IPW with M-estimation ",
      "(`weightit()` + `lm_weightit(vcov = \"asympt\")`), which estimates the same risk ",
      "difference by weighting alone. We time that against matequity's IPW (the same ",
      "estimator: the results are checked equal) and report matequity's AIPW (IPW plus two ",
      "arm-specific outcome models and the larger stacked sandwich) alongside.")
  add("")
  add("| implementation | estimator | time (s) | risk difference | SE |")
  add("|---|---|---|---|---|")
  add("| WeightIt `weightit` + `lm_weightit(vcov = \"asympt\")` | IPW | ", round(t_wi, 2), " | ",
      signif(stats::coef(fw)[[2]], 8), " | ", signif(se_wi, 8), " |")
  add("| matequity `estimate_effect(method = \"ipw\")` | IPW | ", round(t_ipw, 2), " | ",
      signif(coef(fi)[["risk_difference"]], 8), " | ", signif(se_mq, 8), " |")
  add("| matequity `estimate_effect(method = \"aipw\")` | AIPW | ", round(t_aipw, 2), " | ",
      signif(coef(fa)[["risk_difference"]], 8), " | ", signif(sqrt(vcov(fa)[3, 3]), 8), " |")
  add("")
  add("IPW: relative differences matequity vs WeightIt: estimate ",
      signif(abs(coef(fi)[["risk_difference"]] / stats::coef(fw)[[2]] - 1), 2), ", SE ",
      signif(abs(se_mq / se_wi - 1), 2), ". Speed-up IPW vs WeightIt: **",
      round(t_wi / t_ipw, 1), "x**; matequity AIPW vs WeightIt IPW: **",
      round(t_wi / t_aipw, 1), "x**.")
} else {
  add("WeightIt is not installed: matequity AIPW took ", round(t_aipw, 2), " s (no peer run).")
}
add("")

# A WeightIt-based AIPW, built as a user would: the propensity score from
# weightit(method = "glm"), a logistic outcome model per arm by glm(), the
# augmented estimator, and the plug-in influence-function SE.
if (requireNamespace("WeightIt", quietly = TRUE)) {
  ofo <- stats::reformulate(covs, "y")
  peer_aipw <- function() weightit_aipw(d, stats::reformulate(covs, "a"), ofo)
  t_pa <- timeit(pa <- peer_aipw(), 1L)
  rd_mq <- coef(fa)[["risk_difference"]]
  se_mqa <- sqrt(vcov(fa)[3, 3])
  add("### AIPW against a WeightIt-based AIPW")
  add("")
  add("WeightIt has no AIPW estimator, so the peer is the one a user would write around it: ",
      "the propensity score from `weightit(method = \"glm\")`, a logistic outcome model per ",
      "arm by `glm()` (predicted for every unit), the augmented weighting estimator ",
      "mu_a = mean(m_a) + sum w_a (Y - m_a) / sum w_a (the normalised form that PSweight's ",
      "`augmentation = TRUE` and matequity use), and the SE from the plug-in influence ",
      "function, which treats the fitted propensity and outcome models as known. ",
      "matequity's SE is the M-estimation sandwich that stacks the propensity and both ",
      "outcome models. PSweight (`augmentation = TRUE`, same estimator; the tests compare ",
      "with it on lalonde) was not timed here: its sandwich uses a numerical Jacobian ",
      "(numDeriv) of the stacked equations, impractical at n = 1e6.")
  add("")
  add("| implementation | time (s) | risk difference | SE | SE method |")
  add("|---|---|---|---|---|")
  add("| WeightIt `weightit` + 2 x `glm` + AIPW formula | ", round(t_pa, 2), " | ",
      signif(pa$rd, 8), " | ", signif(pa$se, 8), " | plug-in influence function |")
  add("| matequity `estimate_effect(method = \"aipw\")` (", nthreads, " threads, median of 3) | ",
      round(t_aipw, 2), " | ", signif(rd_mq, 8), " | ", signif(se_mqa, 8),
      " | M-estimation sandwich (stacked nuisance models) |")
  add("")
  add("Relative difference of the estimates: ", signif(abs(rd_mq / pa$rd - 1), 2),
      " (glm() stops at epsilon = 1e-8, matequity at 1e-10). The SEs differ by ",
      signif(100 * (se_mqa / pa$se - 1), 2), "%: the plug-in SE ignores that the nuisance ",
      "models are estimated; for AIPW of the ATE with both models fitted by maximum ",
      "likelihood that correction is small, which is why the two nearly agree. The ",
      "unnormalised (Horvitz-Thompson) AIPW on the same fits gives ", signif(pa$rd_ht, 8),
      ". Speed-up matequity AIPW vs the WeightIt-based AIPW: **", round(t_pa / t_aipw, 1),
      "x**.")
  add("")
}
rm(d)

## 3. 999 bootstrap replicates of IPW, n = 1e5 ----------------------------
set.seed(3)
n3 <- 1e5
d3 <- as.data.frame(matrix(rnorm(n3 * p2), n3, p2))
names(d3) <- covs
d3$a <- as.integer(runif(n3) < plogis(-0.3 + as.matrix(d3) %*% rep(c(0.3, -0.2), p2 / 2)))
d3$y <- as.integer(runif(n3) < plogis(-1 + 0.4 * d3$a + d3$x1 * 0.2))
R <- 999L
t_mqb <- timeit(fb <- estimate_effect(d3, a, y, covs, method = "ipw", vcov = "bootstrap",
                                      reps = R, seed = 1, nthreads = nthreads), 1L)
t_mqb1 <- timeit(fb1 <- estimate_effect(d3, a, y, covs, method = "ipw", vcov = "bootstrap",
                                        reps = R, seed = 1, nthreads = 1L), 1L)
t_mqf <- timeit(estimate_effect(d3, a, y, covs, method = "ipw", nthreads = nthreads), 3L)
t_mqf1 <- timeit(estimate_effect(d3, a, y, covs, method = "ipw", nthreads = 1L), 3L)
stopifnot(identical(fb$groups$all$boot, fb1$groups$all$boot))
ipw_stat <- function(dd, idx) {
  s <- dd[idx, ]
  e <- stats::glm.fit(cbind(1, as.matrix(s[covs])), s$a, family = stats::binomial())$fitted.values
  w <- ifelse(s$a == 1, 1 / e, 1 / (1 - e))
  sum((w * s$y)[s$a == 1]) / sum(w[s$a == 1]) - sum((w * s$y)[s$a == 0]) / sum(w[s$a == 0])
}
R_peer <- 100L
set.seed(4)
t_boot <- timeit(bp <- boot::boot(d3, ipw_stat, R = R_peer), 1L)
t_boot_999 <- t_boot * R / R_peer
se_boot <- stats::sd(bp$t[, 1])
se_mq <- tidy(fb)$std.error[3]
add("## 999 bootstrap replicates of IPW (ATE, refitting the propensity model): n = 1e5, p = ", p2 + 1)
add("")
add("| implementation | replicates run | time (s) | time for 999 (s) | bootstrap SE of RD |")
add("|---|---|---|---|---|")
add("| `boot::boot` + `glm.fit` | ", R_peer, " | ", round(t_boot, 2), " | ",
    round(t_boot_999, 1), " (extrapolated linearly) | ", signif(se_boot, 4), " |")
add("| matequity (1 thread) | ", R, " | ", round(t_mqb1, 2), " | ", round(t_mqb1, 2),
    " | ", signif(tidy(fb1)$std.error[3], 4), " |")
add("| matequity (", nthreads, " threads) | ", R, " | ", round(t_mqb, 2), " | ", round(t_mqb, 2),
    " | ", signif(se_mq, 4), " |")
add("")
add("Per replicate: `boot` + `glm.fit` ", signif(t_boot / R_peer, 3), " s; matequity ",
    signif((t_mqb1 - t_mqf1) / R, 3), " s with 1 thread and ", signif((t_mqb - t_mqf) / R, 3),
    " s with ", nthreads, " threads (the full-sample fit with its sandwich, ", round(t_mqf1, 2),
    " s with 1 thread and ", round(t_mqf, 2), " s with ", nthreads, ", subtracted). The replicates are identical for 1 and ", nthreads, " threads. ",
    "Each replicate is fitted on the rows it drew, warm-started from the full-sample ",
    "coefficients, in buffers each thread reuses.")
add("")
add("Speed-up: **", round(t_boot_999 / t_mqb, 1), "x** (target >= 50x). The peer ran ", R_peer,
    " replicates, extrapolated linearly to 999. The two SEs come from different random ",
    "resamples and agree to Monte Carlo error; the point estimate of `boot` (t0) is ",
    signif(bp$t0, 8), " and matequity's ", signif(coef(fb)[["risk_difference"]], 8), ".")
add("")
add("Load average when the run finished (`uptime`): ",
    trimws(sub(".*load average:", "", system("uptime", intern = TRUE))), ".")
add("")
writeLines(lines, out_file)
cat(lines, sep = "\n")
