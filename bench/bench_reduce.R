# Benchmark: as_msds() and its reduction to the latest submission
# (msds_reduce_submissions()) on an extract as delivered
# (simulate_msds(n, seed = 1, realism = sim_realism(validate = FALSE)),
# saved once with saveRDS()). Time is elapsed seconds; memory is the
# process's resident set (Linux /proc/self/status): VmRSS when the step
# starts and the peak (VmHWM, reset through /proc/self/clear_refs) during it.
#
# Run from the package root with the package installed, at n >= 1e6 under
# the shared lock:
#   R_LIBS=build/mylib:build/rlib flock /work/bench.lock Rscript bench/bench_reduce.R RAW.rds [REF.rds]
# REF.rds: an as_msds() result of the same extract (from another build) to
# check identical() against.
suppressPackageStartupMessages(library(matequity))
args <- commandArgs(trailingOnly = TRUE)
status_mb <- function(field) {
  s <- readLines("/proc/self/status")
  as.numeric(sub("^[^0-9]*([0-9]+).*$", "\\1", s[startsWith(s, field)])) / 1024
}
reset_peak <- function() writeLines("5", "/proc/self/clear_refs")

t0 <- proc.time()[["elapsed"]]
raw <- readRDS(args[[1L]])
cat(sprintf("read %s: %.1f s, %s rows in %d tables, RSS %.0f MB\n", args[[1L]],
            proc.time()[["elapsed"]] - t0, format(sum(vapply(raw, NROW, 1)), big.mark = ","),
            length(raw), status_mb("VmRSS:")))

ns <- asNamespace("matequity")
reduce <- get("msds_reduce_submissions", ns)
step <- new.env()
timed_reduce <- function(tables, as_at = NULL) {
  step$peak_before <- status_mb("VmHWM:")
  step$rss_in <- status_mb("VmRSS:")
  step$rows <- sum(vapply(tables, NROW, 1))
  reset_peak()
  t <- proc.time()
  out <- reduce(tables, as_at)
  d <- proc.time() - t
  step$seconds <- d[["elapsed"]]
  step$cpu <- d[["user.self"]] + d[["sys.self"]]
  step$peak <- status_mb("VmHWM:")
  out
}
unlockBinding("msds_reduce_submissions", ns)
assign("msds_reduce_submissions", timed_reduce, ns)

gc()
rss0 <- status_mb("VmRSS:")
reset_peak()
t <- proc.time()
x <- suppressWarnings(as_msds(raw))
d <- proc.time() - t
secs <- d[["elapsed"]]
cpu <- d[["user.self"]] + d[["sys.self"]]
peak_all <- max(step$peak_before, status_mb("VmHWM:"))
assign("msds_reduce_submissions", reduce, ns)

cat(sprintf("as_msds(): %.1f s elapsed, %.1f s CPU; RSS %.0f MB at the call, peak %.0f MB\n",
            secs, cpu, rss0, peak_all))
cat(sprintf("msds_reduce_submissions(): %.1f s elapsed, %.1f s CPU on %s rows; RSS %.0f MB at the step, peak %.0f MB (+%.0f MB)\n",
            step$seconds, step$cpu, format(step$rows, big.mark = ","), step$rss_in, step$peak,
            step$peak - step$rss_in))
if (length(args) >= 2L) {
  ref <- readRDS(args[[2L]])
  cat("identical() to", args[[2L]], ":", identical(x, ref), "\n")
}
cat("load:", system("uptime", intern = TRUE), "\n")
