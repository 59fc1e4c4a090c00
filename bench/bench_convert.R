# as_msds()'s type conversion and validation (validate_msds_table() on every
# table) and the cohort steps (define_cohort(), add_care_model(),
# add_outcomes()) on a raw extract as delivered (simulate_msds(n, seed = 1,
# realism = sim_realism(validate = FALSE)), each call timed with its peak
# memory: gc(), the peak reset (5 to /proc/self/clear_refs), VmRSS before,
# VmHWM after; "extra RSS peak MB" = VmHWM - VmRSS before the call (a lower
# bound: R reuses the pages it freed earlier in the process) and "R heap
# peak MB" = gc()'s "max used" during the call minus "used" before it.
#
# Run from the package root with the package installed, under the shared
# lock at n >= 1e6:
#   flock /work/bench.lock Rscript bench/bench_convert.R /work/cache/raw1e6.rds
# The argument is an RDS file holding the list of raw tables. Writes
# bench/results/convert.md.
library(matequity)
args <- commandArgs(trailingOnly = TRUE)
path <- if (length(args)) args[1] else "/tmp/raw2e5.rds"
status_mb <- function(field) {
  x <- grep(paste0("^", field, ":"), readLines("/proc/self/status"), value = TRUE)
  as.numeric(gsub("[^0-9]", "", x)) / 1024
}
measure <- function(label, expr) {
  g0 <- gc(reset = TRUE)
  writeLines("5", "/proc/self/clear_refs")
  before <- status_mb("VmRSS")
  t <- system.time(value <- force(expr))[["elapsed"]]
  peak <- status_mb("VmHWM")
  g1 <- gc()
  heap <- sum(g1[, 6]) - sum(g0[, 2])
  cat(sprintf("%-28s %8.1f s %8.0f MB extra RSS peak %8.0f MB R heap peak\n", label, t,
              peak - before, heap))
  rows[[length(rows) + 1L]] <<- data.frame(step = label, seconds = t,
                                           extra_peak_mb = round(peak - before),
                                           heap_peak_mb = round(heap))
  invisible(value)
}
rows <- list()
raw <- readRDS(path)
input_mb <- sum(vapply(raw, function(t) as.numeric(utils::object.size(t)), 0)) / 2^20
n_rows <- sum(vapply(raw, nrow, 0L))
ns <- asNamespace("matequity")
measure("validate_msds_table, all", {
  for (tab in intersect(names(ns$msds_tables), names(raw))) {
    res <- ns$validate_msds_table(tab, raw[[tab]])
    rm(res)
  }
  NULL
})
msds <- measure("as_msds", suppressWarnings(as_msds(raw, quiet = TRUE)))
rm(raw)
cohort <- measure("define_cohort", suppressMessages(define_cohort(msds)))
cm <- measure("add_care_model", add_care_model(cohort, msds))
oc <- measure("add_outcomes", suppressMessages(suppressWarnings(add_outcomes(cm, msds))))
res <- do.call(rbind, rows)
out <- c(sprintf("# as_msds() conversion and cohort steps (%s)", format(Sys.time(), "%Y-%m-%d %H:%M UTC", tz = "UTC")), "",
         sprintf("Input %s: %s rows in %d tables, %.0f MB; %s pregnancies in the cohort. Load: %s.",
                 basename(path), format(n_rows, big.mark = ","), length(ns$msds_tables),
                 input_mb, format(nrow(cohort), big.mark = ","),
                 trimws(sub(".*load average:", "", system("uptime", intern = TRUE)))), "",
         "| step | s | extra RSS peak MB | R heap peak MB |", "|---|---:|---:|---:|",
         sprintf("| %s | %.1f | %s | %s |", res$step, res$seconds,
                 format(res$extra_peak_mb, big.mark = ","), format(res$heap_peak_mb, big.mark = ",")))
dir.create("bench/results", showWarnings = FALSE, recursive = TRUE)
writeLines(out, "bench/results/convert.md")
cat(out, sep = "\n")
