# Benchmark: as_msds() + define_cohort() on a real-shaped extract (monthly
# resubmission of every table, record numbers ~1e14, provisional/final pairs,
# text deciles and scores, codes outside the lists: simulate_msds()'s
# sim_realism() default) against the clean extract of the same pregnancies
# (realism = NULL), timed in the same run. Memory is the R heap's peak during
# the call above what was in use before it (gc(reset = TRUE) / "max used").
#
# Run from the package root with the package installed:
#   R_LIBS=build/rlib Rscript bench/bench_msds.R
# Size: MATEQUITY_BENCH_N (default 1e6 pregnancies). Writes
# bench/results/msds.md.
suppressPackageStartupMessages(library(matequity))
n <- as.integer(Sys.getenv("MATEQUITY_BENCH_N", "1000000"))

heap_mb <- function() sum(gc()[, 2])
timed <- function(expr) {
  base <- heap_mb()
  gc(reset = TRUE)
  t <- system.time(value <- force(expr))[["elapsed"]]
  peak <- sum(gc()[, 6])
  list(value = value, seconds = t, extra_mb = peak - base)
}
rows_of <- function(tables) sum(vapply(tables, function(t) NROW(t), 1))

run_one <- function(label, realism) {
  raw <- simulate_msds(n, seed = 1, realism = realism)
  # the tables as an extract delivers them, validated from scratch
  # (with realism, validate = FALSE gives the list of tables as delivered)
  tables <- unclass(raw)
  attributes(tables) <- list(names = names(tables))
  n_rows <- rows_of(tables)
  rm(raw); invisible(gc())
  a <- timed(as_msds(tables, quiet = TRUE))
  rm(tables); invisible(gc())
  b <- timed(define_cohort(a$value))
  data.frame(extract = label, rows_in = n_rows,
             as_msds_s = a$seconds, as_msds_mb = a$extra_mb,
             cohort_s = b$seconds, cohort_mb = b$extra_mb,
             pregnancies = nrow(b$value))
}

res <- rbind(run_one("clean (realism = NULL)", NULL),
             run_one("real-shaped (sim_realism())", sim_realism(validate = FALSE)))
print(res)
ratio <- (res$as_msds_s[2] + res$cohort_s[2]) / (res$as_msds_s[1] + res$cohort_s[1])
fmt <- function(x, d = 1) formatC(x, format = "f", digits = d, big.mark = ",")
lines <- c(
  "## as_msds() + define_cohort(): real-shaped vs clean extract",
  "",
  sprintf("`simulate_msds(%s)`, seed 1; measured %s, load average %s.", fmt(n, 0),
          format(Sys.time(), "%Y-%m-%d %H:%M %Z"),
          paste(utils::head(strsplit(readLines("/proc/loadavg"), " ")[[1]], 3), collapse = " ")),
  "Memory: the R heap's peak during the call above what was in use before it.",
  "",
  "| extract | rows in all tables | as_msds() s | as_msds() MB | define_cohort() s | define_cohort() MB | pregnancies |",
  "|---|---:|---:|---:|---:|---:|---:|",
  sprintf("| %s | %s | %s | %s | %s | %s | %s |", res$extract, fmt(res$rows_in, 0),
          fmt(res$as_msds_s), fmt(res$as_msds_mb, 0), fmt(res$cohort_s), fmt(res$cohort_mb, 0),
          fmt(res$pregnancies, 0)),
  "",
  sprintf("Real-shaped / clean, both calls: %.2fx the time. The same pregnancies come out of both (%s).",
          ratio, if (res$pregnancies[1] == res$pregnancies[2]) "equal counts" else "counts DIFFER")
)
dir.create("bench/results", showWarnings = FALSE)
writeLines(lines, "bench/results/msds.md")
cat(lines, sep = "\n")
