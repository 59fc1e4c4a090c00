# Runs every benchmark script in bench/ (bench_*.R), each in its own R
# process, and assembles bench/RESULTS.md from the sections they write to
# bench/results/<topic>.md. Run from the package root: make bench.
scripts <- sort(list.files("bench", pattern = "^bench_.*\\.R$", full.names = TRUE))
# MATEQUITY_BENCH = a pattern runs the matching scripts only; "none" runs
# none and only assembles RESULTS.md from the sections already written.
only <- Sys.getenv("MATEQUITY_BENCH")
if (nzchar(only)) scripts <- if (identical(only, "none")) character() else scripts[grepl(only, scripts)]
dir.create("bench/results", showWarnings = FALSE)
for (s in scripts) {
  message("== ", s)
  status <- system2(file.path(R.home("bin"), "Rscript"), s)
  if (status != 0) message("   failed with status ", status)
}
cpu <- grep("^model name", readLines("/proc/cpuinfo"), value = TRUE)[1]
mem <- grep("^MemTotal", readLines("/proc/meminfo"), value = TRUE)
header <- c(
  "# matequity benchmarks",
  "",
  "Made by `make bench` (bench/run.R), which runs each `bench/bench_*.R` and",
  "collects the sections below. Each section was measured in one run against",
  "its peer on the machine it names; ratios are peer time / matequity time.",
  "",
  sprintf("- assembled: %s", format(Sys.time(), "%Y-%m-%d %H:%M %Z")),
  sprintf("- machine: %s, %s cores, %s", sub("^model name\\s*:\\s*", "", cpu),
          parallel::detectCores(), gsub("\\s+", " ", mem)),
  sprintf("- R: %s; matequity %s", R.version.string, utils::packageVersion("matequity")),
  ""
)
sections <- sort(list.files("bench/results", pattern = "\\.md$", full.names = TRUE))
body <- unlist(lapply(sections, function(f) c(readLines(f), "")))
writeLines(c(header, body), "bench/RESULTS.md")
message("wrote bench/RESULTS.md")
