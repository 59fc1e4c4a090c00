# Simulator benchmark: simulate_msds() with 1,000,000 pregnancies.
# Time and peak memory (VmHWM of a child R process that only simulates).
# Writes bench/results/simulate.md.
n <- as.numeric(Sys.getenv("MATEQUITY_BENCH_N", "1e6"))
child <- tempfile(fileext = ".R")
writeLines(c(
  "library(matequity)",
  sprintf("t <- system.time(x <- simulate_msds(%.0f, seed = 1))[['elapsed']]", n),
  "hwm <- sub('.*:\\\\s*', '', grep('VmHWM', readLines('/proc/self/status'), value = TRUE))",
  "cat(t, hwm, nrow(x$MSD201CareContactPreg), nrow(x$MSD202CareActivityPreg), sep = '\\n')"
), child)
out <- system2(file.path(R.home("bin"), "Rscript"), child, stdout = TRUE)
out <- utils::tail(out, 4)
cpu <- sub("^model name\\s*:\\s*", "", grep("^model name", readLines("/proc/cpuinfo"), value = TRUE)[1])
lines <- c(
  "## Simulator (`simulate_msds()`)",
  "",
  sprintf("Measured %s on %s (%d cores) by `bench/bench_simulate.R`.",
          format(Sys.Date()), cpu, parallel::detectCores()),
  "No peer package exists; the target is under 60 s and a few GB.",
  "",
  "| pregnancies | contacts (MSD201) | contact activities (MSD202) | elapsed (s) | peak memory (VmHWM) |",
  "|---:|---:|---:|---:|---:|",
  sprintf("| %s | %s | %s | %.1f | %s |", format(n, big.mark = ",", scientific = FALSE),
          format(as.numeric(out[3]), big.mark = ","), format(as.numeric(out[4]), big.mark = ","),
          as.numeric(out[1]), out[2])
)
dir.create("bench/results", showWarnings = FALSE)
writeLines(lines, "bench/results/simulate.md")
cat(lines, sep = "\n")
