# The database path on PostgreSQL (issue 18 item 4): a simulated extract as
# delivered (monthly resubmissions) loaded into PostgreSQL with
# DBI::dbWriteTable() (RPostgres uses COPY), then the user's calls on the
# lazy object, each timed with its peak R RSS:
#   as_msds(con, lazy = TRUE), define_cohort(), add_care_model(),
#   add_outcomes(), continuity() (chunked, phase antenatal and all).
#
#   Rscript bench/bench_db.R load N RAW.rds   write the raw tables into
#                                             database matequity_bench_N
#   Rscript bench/bench_db.R run N [CHUNK]    the calls, in a fresh process
#                                             (so its peak RSS is theirs)
# Needs a server: eval "$(bash tools/pg.sh start)". At n >= 1e6 run it under
# flock /work/bench.lock. Results: bench/results/db_N.rds and a text summary
# on stdout for bench/RESULTS.md.
args <- commandArgs(trailingOnly = TRUE)
mode <- args[1]
n <- as.numeric(args[2])
if (!nzchar(Sys.getenv("TZ"))) Sys.setenv(TZ = "UTC")
suppressPackageStartupMessages(library(matequity))
dbname <- sprintf("matequity_bench_%d", as.integer(n))
pg <- function(db) {
  DBI::dbConnect(RPostgres::Postgres(), host = Sys.getenv("MATEQUITY_PG_HOST"),
                 port = as.integer(Sys.getenv("MATEQUITY_PG_PORT")), dbname = db,
                 user = Sys.getenv("MATEQUITY_PG_USER", "postgres"))
}
# peak RSS of this process since the last reset (Linux: VmHWM, reset by
# writing 5 to clear_refs)
peak_mb <- function() {
  s <- readLines("/proc/self/status")
  as.numeric(sub("[^0-9]*([0-9]+).*", "\\1", grep("^VmHWM", s, value = TRUE))) / 1024
}
reset_peak <- function() try(writeLines("5", "/proc/self/clear_refs"), silent = TRUE)

if (mode == "load") {
  con0 <- pg(Sys.getenv("MATEQUITY_PG_DB", "matequity_test"))
  if (!nrow(DBI::dbGetQuery(con0, sprintf("SELECT 1 FROM pg_database WHERE datname = '%s'", dbname)))) {
    DBI::dbExecute(con0, sprintf("CREATE DATABASE %s", dbname))
  }
  DBI::dbDisconnect(con0)
  t_read <- system.time(raw <- readRDS(args[3]))[["elapsed"]]
  con <- pg(dbname)
  rows <- vapply(raw, nrow, 1)
  t_load <- system.time(for (nm in names(raw)) {
    DBI::dbWriteTable(con, nm, as.data.frame(raw[[nm]]), overwrite = TRUE)
    raw[[nm]] <- NULL
    gc(FALSE)
  })[["elapsed"]]
  # the index an SDE database would have on the pregnancy id (continuity's
  # chunks are ranges of it) and on the contact id (MSD202 has no UniqPregID)
  t_index <- system.time({
    for (nm in names(rows)) {
      cols <- DBI::dbListFields(con, nm)
      for (f in intersect(c("UniqPregID", "CareConID", "LabourDeliveryID"), cols)) {
        DBI::dbExecute(con, sprintf('CREATE INDEX ON "%s" ("%s")', nm, f))
      }
    }
    DBI::dbExecute(con, "ANALYZE")
  })[["elapsed"]]
  size <- DBI::dbGetQuery(con, "SELECT pg_size_pretty(pg_database_size(current_database())) AS s")$s
  cat(sprintf("n = %s: readRDS %.0f s; dbWriteTable (COPY) of %s rows %.0f s; indexes + ANALYZE %.0f s; database %s\n",
              format(n, big.mark = ","), t_read, format(sum(rows), big.mark = ","), t_load, t_index, size))
  saveRDS(list(n = n, rows = rows, t_read = t_read, t_load = t_load, t_index = t_index, size = size),
          sprintf("bench/results/db_load_%d.rds", as.integer(n)))
  DBI::dbDisconnect(con)
}

if (mode == "run") {
  if (length(args) >= 3) options(matequity.db_chunk_size = as.integer(args[3]))
  options(matequity.disclosure = "none")
  con <- pg(dbname)
  res <- list()
  step <- function(name, expr) {
    gc(FALSE)
    reset_peak()
    t <- system.time(v <- suppressMessages(suppressWarnings(expr)))
    res[[name]] <<- c(elapsed = t[["elapsed"]], cpu = t[["user.self"]] + t[["sys.self"]], peak_mb = peak_mb())
    v
  }
  x <- step("as_msds(con, lazy = TRUE)", as_msds(con, quiet = TRUE, lazy = TRUE))
  co <- step("define_cohort", define_cohort(x))
  co <- step("add_care_model", add_care_model(co, x))
  co <- step("add_outcomes", add_outcomes(co, x))
  ct <- step("continuity (chunked)", continuity(co, x, phase = c("antenatal", "all")))
  tab <- do.call(rbind, res)
  tab <- rbind(tab, total = c(colSums(tab[, 1:2]), max(tab[, 3])))
  chunk <- getOption("matequity.db_chunk_size", 50000L)
  cat(sprintf("n = %s, cohort %s pregnancies, continuity rows %s, chunk size %s, load: %s\n",
              format(n, big.mark = ","), format(nrow(co), big.mark = ","),
              format(nrow(ct), big.mark = ","), format(chunk, big.mark = ","),
              paste(readLines("/proc/loadavg"), collapse = "")))
  print(round(tab, 1))
  saveRDS(list(n = n, chunk = chunk, steps = tab, cohort = nrow(co), load = readLines("/proc/loadavg"),
               date = format(Sys.time(), tz = "UTC", usetz = TRUE)),
          sprintf("bench/results/db_run_%d.rds", as.integer(n)))
  DBI::dbDisconnect(con)
}
