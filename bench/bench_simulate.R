# Simulator benchmark: simulate_msds() with 1,000,000 pregnancies.
# Time and peak memory (VmHWM of a child R process that only simulates), with
# 2 threads (the default) and with 1 thread; CPU time (user + system) and the
# load average are recorded too, since elapsed time on a shared machine
# depends on what else runs. Writes bench/results/simulate.md.
n <- as.numeric(Sys.getenv("MATEQUITY_BENCH_N", "1e6"))
run_child <- function(threads) {
  child <- tempfile(fileext = ".R")
  writeLines(c(
    "library(matequity)",
    sprintf("options(matequity.threads = %dL)", threads),
    sprintf("t <- system.time(x <- simulate_msds(%.0f, seed = 1))", n),
    "hwm <- sub('.*:\\\\s*', '', grep('VmHWM', readLines('/proc/self/status'), value = TRUE))",
    "cat(t[['elapsed']], t[['user.self']] + t[['sys.self']], hwm,",
    "    nrow(x$MSD201CareContactPreg), nrow(x$MSD202CareActivityPreg), sep = '\\n')"
  ), child)
  load <- readLines("/proc/loadavg")
  out <- utils::tail(system2(file.path(R.home("bin"), "Rscript"), child, stdout = TRUE), 5)
  list(threads = threads, elapsed = as.numeric(out[1]), cpu = as.numeric(out[2]),
       hwm = out[3], contacts = as.numeric(out[4]), activities = as.numeric(out[5]),
       load = strsplit(load, " ")[[1]][1])
}
runs <- list(run_child(2L), run_child(1L))
cpu <- sub("^model name\\s*:\\s*", "", grep("^model name", readLines("/proc/cpuinfo"), value = TRUE)[1])
fmt <- function(x) format(x, big.mark = ",", scientific = FALSE)
lines <- c(
  "## Simulator (`simulate_msds()`)",
  "",
  sprintf("Measured %s on %s (%d cores) by `bench/bench_simulate.R`.",
          format(Sys.Date()), cpu, parallel::detectCores()),
  "No peer package exists; the target is under 60 s and a few GB.",
  "",
  "| pregnancies | threads | contacts (MSD201) | contact activities (MSD202) | elapsed (s) | CPU user + system (s) | peak memory (VmHWM) | load average at start |",
  "|---:|---:|---:|---:|---:|---:|---:|---:|",
  vapply(runs, function(r) {
    sprintf("| %s | %d | %s | %s | %.1f | %.1f | %s | %s |", fmt(n), r$threads,
            fmt(r$contacts), fmt(r$activities), r$elapsed, r$cpu, r$hwm, r$load)
  }, "")
)
dir.create("bench/results", showWarnings = FALSE)
writeLines(lines, "bench/results/simulate.md")
cat(lines, sep = "\n")
