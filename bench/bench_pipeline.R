# The user's calls at national scale: as_msds(), define_cohort(),
# add_care_model(), add_outcomes() and continuity() on simulate_msds(1e6)
# (the extract as delivered: sim_realism(validate = FALSE), so as_msds()
# reads every resubmission), each step in its own child Rscript that reads
# the previous step's saved result, with its time and memory; and beside it,
# in the same run, the continuity part written with data.table from the
# MSDS tables (MSD201 contacts, MSD202 activities, MSD901 staff, MSD401
# births) and the cohort's named carers to the antenatal indices, checked
# with identical() against continuity()'s columns.
#
# as_msds() is also run on readers of one file per table (the way an extract
# larger than memory twice over is read), in its own cold child, and the
# same calls are then run once more in one child, one after the other as a
# user runs them in a session (--session, as_msds() on those readers), with
# each step's time and peak.
#
# Memory per step: each child reads its inputs, runs gc(), resets the peak
# (writing 5 to /proc/self/clear_refs) and records VmRSS; after the call it
# reads VmHWM. "input MB" is VmRSS after loading minus VmRSS before; "extra
# peak MB" is VmHWM after the call minus VmRSS after loading.
#
# continuity() and data.table are then called again in the same child with 1
# thread and once more with 2 threads: the first call in a session pays for
# the fresh pages it takes from the system (sys time, page faults that cost
# about 6 us each on the virtual machines measured), a repeated call reuses
# them; both are reported.
#
# Run from the package root with the package installed (under the shared
# lock: it needs about 10 GB):
#   flock /work/bench.lock Rscript bench/bench_pipeline.R
# or, for the continuity step alone on saved inputs:
#   Rscript bench/bench_pipeline.R --continuity CM.rds MSDS.rds
# Size: MATEQUITY_BENCH_N (default 1e6 pregnancies); MATEQUITY_BENCH_REALISM
# = "clean" for the extract without resubmissions (realism = NULL);
# MATEQUITY_BENCH_RAW = a saved simulate_msds() result of that size and
# realism to read instead of simulating again (the time reported is then the
# read's). Writes bench/results/pipeline.md.
args <- commandArgs(trailingOnly = TRUE)

status_mb <- function(field) {
  x <- grep(paste0("^", field, ":"), readLines("/proc/self/status"), value = TRUE)
  as.numeric(gsub("[^0-9]", "", x)) / 1024
}
reset_peak <- function() {
  ok <- tryCatch({ writeLines("5", "/proc/self/clear_refs"); TRUE }, error = function(e) FALSE)
  ok
}

# Readers (functions returning one table) on a directory of per-table RDS
# files, as a user reads an extract delivered as one file per table; the time
# spent reading is added up in `env$read_s`.
table_readers <- function(dir, env) {
  files <- list.files(dir, pattern = "[.]rds$", full.names = TRUE)
  env$read_s <- 0
  rd <- lapply(files, function(f) function() {
    t <- system.time(x <- readRDS(f))[["elapsed"]]
    env$read_s <- env$read_s + t
    x
  })
  stats::setNames(rd, sub("[.]rds$", "", basename(files)))
}

index_cols <- c("preg_id", "n_contacts", "n_carers", "usual_carer", "upc", "coc", "hhi",
                "secon", "mmci", "named_midwife_share", "named_team_share")

# ---- the continuity part in data.table --------------------------------------
# Antenatal indices with continuity()'s defaults (professional carers
# qualified by provider, attended contacts only, midwifery activities only
# (MSD901 StaffGroup 05-07 looked up with the provider; professionals not in
# MSD901 kept), missing carer dropped, contacts ordered by date, time
# (missing last), CareConID; a contact's carer its first activity's with a
# professional; a named-carer share counts a contact when any activity
# matches at the plan's provider; v1.5-only pregnancies NA).
parse_time_dt <- function(x) {
  u <- unique(x[!is.na(x)])
  re <- paste0("^(?:(?:\\d{4}-\\d{2}-\\d{2}|\\d{1,2}/\\d{1,2}/\\d{4})[ T])?",
               "(\\d{1,2}):(\\d{2})(?::(\\d{2})(?:\\.\\d+)?)?(?:Z|[+-]\\d{2}:?\\d{2})?$")
  su <- rep(NA_integer_, length(u))
  ok <- grepl(re, u, perl = TRUE)
  hh <- as.integer(sub(re, "\\1", u[ok], perl = TRUE))
  mi <- as.integer(sub(re, "\\2", u[ok], perl = TRUE))
  ss <- suppressWarnings(as.integer(sub(re, "\\3", u[ok], perl = TRUE)))
  ss[is.na(ss)] <- 0L
  su[ok] <- ifelse(hh <= 23L & mi <= 59L & ss <= 59L, hh * 3600L + mi * 60L + ss, NA_integer_)
  su[match(x, u)]
}

continuity_dt <- function(msds, cohort, staff_groups = c("05", "06", "07")) {
  pr <- data.table(preg_id = as.character(cohort$preg_id),
                   booking = as.integer(cohort$booking_date),
                   discharge = as.integer(cohort$discharge_date),
                   nm = cohort$named_midwife, nt = cohort$named_team,
                   np = cohort$named_provider,
                   v15 = cohort$version %in% "v1.5")
  pr[, p := .I]
  # contacts: the latest RecordNumber per (UniqPregID, CareConID); a key
  # tied at its latest is ambiguous and dropped
  cc <- as.data.table(unclass(msds$MSD201CareContactPreg)[c(
    "UniqPregID", "CareConID", "RecordNumber", "OrgCodeProvider", "CContactDate",
    "CContactTime", "AttendCode")])
  if (anyDuplicated(cc, by = c("UniqPregID", "CareConID"))) {
    cc[, `:=`(top = max(RecordNumber), n_top = sum(RecordNumber == max(RecordNumber))),
       by = .(UniqPregID, CareConID)]
    cc <- cc[RecordNumber == top & n_top == 1L][, c("top", "n_top") := NULL]
  }
  cc[, crow := .I]
  # activities to their contact: CareConID + RecordNumber, else a CareConID
  # used by one contact only
  ac <- as.data.table(unclass(msds$MSD202CareActivityPreg)[c(
    "CareConID", "RecordNumber", "CareProfLID", "TeamLocalID")])
  ac[, row := .I]
  ac[cc, crow := i.crow, on = .(CareConID, RecordNumber), mult = "first"]
  if (anyNA(ac$crow)) {
    one <- cc[, .(crow1 = crow[1L], n = .N), by = CareConID][n == 1L]
    idx <- which(is.na(ac$crow))
    set(ac, idx, "crow", one$crow1[match(ac$CareConID[idx], one$CareConID)])
  }
  # births: the earliest baby's birth date per pregnancy (latest record per
  # baby)
  bb <- as.data.table(unclass(msds$MSD401BabyDemographics)[c(
    "UniqPregID", "Person_ID_Baby", "RecordNumber", "PersonBirthDateBaby")])
  if (anyDuplicated(bb, by = c("UniqPregID", "Person_ID_Baby"))) {
    bb[, `:=`(top = max(RecordNumber), n_top = sum(RecordNumber == max(RecordNumber))),
       by = .(UniqPregID, Person_ID_Baby)]
    bb <- bb[RecordNumber == top & n_top == 1L]
  }
  birth <- bb[!is.na(UniqPregID) & !is.na(PersonBirthDateBaby),
              .(birth = min(as.integer(PersonBirthDateBaby))), by = UniqPregID]
  # contacts of the cohort, dated within booking and discharge, antenatal,
  # attended
  cc <- cc[pr, on = .(UniqPregID = preg_id), nomatch = NULL]
  cc[, date := as.integer(CContactDate)]
  cc <- cc[!is.na(date) & (is.na(booking) | date >= booking) & (is.na(discharge) | date <= discharge)]
  cc[birth, birth := i.birth, on = "UniqPregID"]
  cc <- cc[(is.na(birth) | date < birth) & AttendCode %chin% c("5", "6")]
  cc[, time := parse_time_dt(CContactTime)]
  # activities of those contacts, with the contact's columns
  a <- ac[cc, on = "crow", nomatch = NULL,
          .(row, crow, p, date, time, CareConID = i.CareConID, prov = OrgCodeProvider,
            prof = CareProfLID, team = TeamLocalID, nm, nt, np)]
  # midwifery activities only (StaffGroup looked up with the provider; a
  # professional not in MSD901 is kept)
  st <- as.data.table(unclass(msds$MSD901StaffDetails)[c("OrgCodeProvider", "CareProfLID", "StaffGroup")])
  st <- unique(st, by = c("OrgCodeProvider", "CareProfLID"))
  a[st, grp := i.StaffGroup, on = .(prov = OrgCodeProvider, prof = CareProfLID)]
  a <- a[is.na(grp) | grp %chin% staff_groups]
  same_prov <- is.na(a$prov) | is.na(a$np) | a$prov == a$np
  a[, `:=`(mw = as.integer(!is.na(prof) & !is.na(nm) & prof == nm & same_prov),
           tm = as.integer(!is.na(team) & !is.na(nt) & team == nt & same_prov))]
  setorderv(a, c("p", "date", "time", "CareConID", "row"), na.last = TRUE)
  # one row per contact: first professional, any named-carer activity
  flags <- a[, .(mw = max(mw), tm = max(tm)), by = .(p, crow)]
  fc <- unique(a[!is.na(prof), .(crow, prov, prof)], by = "crow")
  con <- fc[flags, on = "crow", nomatch = NULL]
  con[, pos := .I]
  ni <- con[, .(n = .N, first = min(pos)), by = .(p, prov, prof)]
  per <- ni[, .(N = sum(n), M = .N, S = sum(as.numeric(n)^2), mx = max(n)), by = p]
  usual <- ni[order(p, -n, first)][!duplicated(p), .(p, usual = prof)]
  same_carer <- function(x, y) (is.na(x) & is.na(y)) | (!is.na(x) & !is.na(y) & x == y)
  con[, same := p == shift(p) & prof == shift(prof) & same_carer(prov, shift(prov))]
  sq <- con[, .(C = sum(same, na.rm = TRUE), nmw = sum(mw), ntm = sum(tm)), by = p]
  per <- per[usual, on = "p"][sq, on = "p"]
  out <- per[pr[, .(p, preg_id, nm, nt, v15)], on = "p"]
  out[is.na(N), `:=`(N = 0L, M = 0L)]
  N <- as.numeric(out$N)
  na_if <- function(v, ok) ifelse(ok & !out$v15, v, NA_real_)
  res <- list(preg_id = out$preg_id,
              n_contacts = ifelse(out$v15, NA_integer_, as.integer(out$N)),
              n_carers = ifelse(out$v15, NA_integer_, as.integer(out$M)),
              usual_carer = ifelse(out$v15, NA_character_, out$usual),
              upc = na_if(out$mx / N, N >= 1), coc = na_if((out$S - N) / (N * (N - 1)), N >= 2),
              hhi = na_if(out$S / (N * N), N >= 1), secon = na_if(out$C / (N - 1), N >= 2),
              mmci = na_if((1 - out$M / (N + 0.1)) / (1 - 1 / (N + 0.1)), N >= 1),
              named_midwife_share = na_if(out$nmw / N, N >= 1 & !is.na(out$nm)),
              named_team_share = na_if(out$ntm / N, N >= 1 & !is.na(out$nt)))
  res
}

# ---- a child: the whole pipeline in one session ---------------------------------
# As a user runs it: the raw tables, as_msds(), the raw tables dropped (rm()
# and gc(), not timed: the user's housekeeping), then define_cohort(),
# add_care_model(), add_outcomes() and continuity() on the results. The peak
# is reset before each call, so each step's "extra peak" is its own.
if (length(args) && args[1] == "--session") {
  out_file <- args[2]
  suppressPackageStartupMessages(library(matequity))
  reading <- new.env()
  tables <- table_readers(args[3], reading)
  invisible(gc())
  steps <- list()
  run <- function(step, expr) {
    invisible(gc())
    rss <- status_mb("VmRSS")
    reset_peak()
    t <- system.time(res <- expr)[["elapsed"]]
    steps[[length(steps) + 1L]] <<- data.frame(step = step, seconds = t, rss_before_mb = rss,
                                               extra_mb = status_mb("VmHWM") - rss,
                                               hwm_mb = status_mb("VmHWM"))
    res
  }
  m <- run("as_msds", as_msds(tables, quiet = TRUE))
  read_s <- reading$read_s
  rm(tables)
  co <- run("define_cohort", define_cohort(m))
  cm <- run("add_care_model", add_care_model(co, m))
  oc <- run("add_outcomes", add_outcomes(cm, m))
  ct <- run("continuity", suppressMessages(continuity(cm, m, nthreads = 2L)))
  saveRDS(list(steps = do.call(rbind, steps), cont = as.list(ct)[index_cols], read_s = read_s),
          out_file, compress = FALSE)
  quit(save = "no")
}

# ---- a child: one step --------------------------------------------------------
if (length(args) && args[1] == "--child") {
  step <- args[2]
  out_file <- args[3]
  inputs <- args[-(1:3)]
  suppressPackageStartupMessages(library(matequity))
  if (step == "datatable") suppressPackageStartupMessages(library(data.table))
  invisible(gc())
  rss0 <- status_mb("VmRSS")
  reading <- new.env()
  x <- if (step == "as_msds_readers") list(table_readers(inputs[[1]], reading)) else lapply(inputs, readRDS)
  invisible(gc())
  rss_loaded <- status_mb("VmRSS")
  reset <- reset_peak()
  extra <- list()
  t <- system.time(res <- switch(step,
    as_msds = as_msds(x[[1]], quiet = TRUE),
    as_msds_readers = as_msds(x[[1]], quiet = TRUE),
    define_cohort = define_cohort(x[[1]]),
    add_care_model = add_care_model(x[[1]], x[[2]]),
    add_outcomes = add_outcomes(x[[1]], x[[2]]),
    continuity = suppressMessages(continuity(x[[1]], x[[2]], nthreads = 2L)),
    datatable = { setDTthreads(2L); continuity_dt(x[[2]], x[[1]]) }
  ))[["elapsed"]]
  hwm <- status_mb("VmHWM")
  if (step == "continuity") {
    # the same call with one thread gives the same result
    t1 <- system.time(r1 <- suppressMessages(continuity(x[[1]], x[[2]], nthreads = 1L)))[["elapsed"]]
    extra <- list(time_1thread = t1, same_1_2 = identical(r1, res))
    rm(r1)
    # the call again in the same session: the memory the first call took
    # from the system is reused (the first call's sys time is page faults)
    extra$time_repeat <- system.time(suppressMessages(continuity(x[[1]], x[[2]], nthreads = 2L)))[["elapsed"]]
  }
  if (step == "datatable") {
    setDTthreads(1L)
    extra$time_1thread <- system.time(continuity_dt(x[[2]], x[[1]]))[["elapsed"]]
    setDTthreads(2L)
    extra$time_repeat <- system.time(continuity_dt(x[[2]], x[[1]]))[["elapsed"]]
  }
  if (step == "as_msds_readers") {
    # the object the tables in memory gave (step as_msds), after the peak
    extra <- list(read_s = reading$read_s, same = identical(res, readRDS(inputs[[2]])))
  }
  if (step %in% c("continuity", "datatable")) res <- as.list(res)[index_cols]
  saveRDS(res, out_file, compress = FALSE)
  saveRDS(c(list(step = step, seconds = t, input_mb = rss_loaded - rss0,
                 extra_mb = hwm - rss_loaded, hwm_mb = hwm, reset = reset,
                 rows = if (is.data.frame(res)) nrow(res) else if (inherits(res, "msds")) NA_real_ else
                   length(res[[1L]])), extra),
          paste0(out_file, ".stats"))
  quit(save = "no")
}

# ---- parent ---------------------------------------------------------------------
suppressPackageStartupMessages(library(matequity))
rlang::check_installed("data.table")
script <- normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))

# --continuity CM MSDS: only the continuity() and data.table steps, on a
# saved care-model cohort and msds (e.g. /work/cache/cm1e6.rds and
# msds1e6.rds, made once from the 1e6 extract), so that the step can be
# measured without the 15-minute as_msds() before it. Writes
# bench/results/pipeline_continuity.md.
if (length(args) && args[1] == "--continuity") {
  load_start <- readLines("/proc/loadavg")
  dir <- tempfile("bench_continuity_call")
  dir.create(dir)
  run_child <- function(step, out) {
    status <- system2(file.path(R.home("bin"), "Rscript"),
                      c(script, "--child", step, file.path(dir, out), args[2], args[3]))
    if (status != 0) stop("step ", step, " failed")
    readRDS(paste0(file.path(dir, out), ".stats"))
  }
  cont <- run_child("continuity", "cont.rds")
  dts <- run_child("datatable", "dt.rds")
  mq <- readRDS(file.path(dir, "cont.rds"))
  dt <- readRDS(file.path(dir, "dt.rds"))
  same_col <- vapply(index_cols, function(k) identical(mq[[k]], dt[[k]]), TRUE)
  unlink(dir, recursive = TRUE)
  load_end <- readLines("/proc/loadavg")
  cpu <- sub(".*:\\s*", "", grep("model name", readLines("/proc/cpuinfo"), value = TRUE)[1])
  la <- function(x) paste(strsplit(x, " ")[[1]][1:3], collapse = " ")
  md <- c(
    sprintf("Run %s on %s (nproc = %s), R %s, data.table %s; load average %s at the start, %s at the end.",
            format(Sys.time(), "%Y-%m-%d %H:%M UTC", tz = "UTC"), cpu, system("nproc", intern = TRUE),
            getRversion(), utils::packageVersion("data.table"), la(load_start), la(load_end)),
    sprintf("Inputs: %s, %s (%s pregnancies).", args[2], args[3], format(length(mq$preg_id), big.mark = ",")),
    "",
    "Each process loads the inputs, then calls with 2 threads (its first call), 1 thread, and 2 threads again (a repeated call in the session).",
    "",
    "| call | 2 threads, first call (s) | 1 thread (s) | 2 threads, repeated (s) | input MB | extra peak MB | process peak MB |",
    "|---|---:|---:|---:|---:|---:|---:|",
    sprintf("| continuity(cm, msds) | %.2f | %.2f | %.2f | %.0f | %.0f | %.0f |", cont$seconds, cont$time_1thread,
            cont$time_repeat, cont$input_mb, cont$extra_mb, cont$hwm_mb),
    sprintf("| data.table continuity_dt() | %.2f | %.2f | %.2f | %.0f | %.0f | %.0f |", dts$seconds, dts$time_1thread,
            dts$time_repeat, dts$input_mb, dts$extra_mb, dts$hwm_mb),
    "",
    sprintf("1 and 2 threads identical: **%s**. Columns %s identical to data.table's: **%s**.",
            cont$same_1_2, paste(index_cols, collapse = ", "), all(same_col)),
    sprintf("Ratio (data.table's fastest setting / continuity()'s first call with 2 threads): **%.1fx**; with 1 thread each: %.1fx; repeated calls with 2 threads: %.1fx.",
            min(dts$seconds, dts$time_1thread, dts$time_repeat) / cont$seconds,
            dts$time_1thread / cont$time_1thread, dts$time_repeat / cont$time_repeat)
  )
  dir.create("bench/results", showWarnings = FALSE, recursive = TRUE)
  writeLines(c("## continuity() alone at 1e6 (bench/bench_pipeline.R --continuity)", "", md),
             "bench/results/pipeline_continuity.md")
  cat(md, sep = "\n")
  quit(save = "no")
}
n <- as.numeric(Sys.getenv("MATEQUITY_BENCH_N", "1e6"))
realism <- Sys.getenv("MATEQUITY_BENCH_REALISM", "real")
load_start <- readLines("/proc/loadavg")
raw_file <- Sys.getenv("MATEQUITY_BENCH_RAW")
t_sim <- system.time({
  raw <- if (nzchar(raw_file)) readRDS(raw_file) else if (realism == "clean") simulate_msds(n, seed = 1, realism = NULL) else
    simulate_msds(n, seed = 1, realism = sim_realism(validate = FALSE))
  tables <- unclass(raw)
  attributes(tables) <- list(names = names(tables))
  rm(raw)
})[["elapsed"]]
n_rows <- vapply(tables, NROW, 1)
dir <- tempfile("bench_pipeline")
dir.create(dir)
f <- function(name) file.path(dir, paste0(name, ".rds"))
saveRDS(tables, f("tables"), compress = FALSE)
# the same tables as one file each, for as_msds() with readers
dir.create(file.path(dir, "files"))
for (tab in names(tables)) saveRDS(tables[[tab]], file.path(dir, "files", paste0(tab, ".rds")), compress = FALSE)
rm(tables); invisible(gc())

run_step <- function(step, out, inputs, paths = vapply(inputs, f, "")) {
  status <- system2(file.path(R.home("bin"), "Rscript"),
                    c(script, "--child", step, f(out), paths))
  if (status != 0) stop("step ", step, " failed")
  readRDS(paste0(f(out), ".stats"))
}
steps <- list(
  run_step("as_msds", "msds", "tables"),
  run_step("define_cohort", "cohort", "msds"),
  run_step("add_care_model", "cm", c("cohort", "msds")),
  run_step("add_outcomes", "outcomes", c("cm", "msds")),
  run_step("continuity", "cont", c("cm", "msds")),
  run_step("datatable", "dt", c("cm", "msds"))
)
readers_step <- run_step("as_msds_readers", "msds_readers", paths = c(file.path(dir, "files"), f("msds")))
status <- system2(file.path(R.home("bin"), "Rscript"), c(script, "--session", f("session"), file.path(dir, "files")))
if (status != 0) stop("the one-session pipeline failed")
session <- readRDS(f("session"))
mq <- readRDS(f("cont"))
dt <- readRDS(f("dt"))
same_session <- identical(session$cont, mq)
same <- identical(mq, dt)
same_col <- vapply(index_cols, function(k) identical(mq[[k]], dt[[k]]), TRUE)
if (!same) warning("continuity() and data.table differ in: ", paste(index_cols[!same_col], collapse = ", "))
n_preg <- length(mq$preg_id)
unlink(dir, recursive = TRUE)
load_end <- readLines("/proc/loadavg")

st <- do.call(rbind, lapply(steps, function(s) data.frame(
  step = s$step, seconds = s$seconds, input_mb = s$input_mb, extra_mb = s$extra_mb,
  hwm_mb = s$hwm_mb, rows = s$rows)))
print(st)
user <- st[st$step != "datatable", ]
total <- sum(user$seconds)
cont <- steps[[5]]
dts <- steps[[6]]
dt_best <- min(dts$seconds, dts$time_1thread, dts$time_repeat)
cpu <- sub(".*:\\s*", "", grep("model name", readLines("/proc/cpuinfo"), value = TRUE)[1])
fmt <- function(x, d = 1) formatC(x, format = "f", digits = d, big.mark = ",")
md <- c(
  sprintf("## The user's calls at %s pregnancies (bench/bench_pipeline.R)", fmt(n, 0)),
  "",
  sprintf("Run %s on %s (nproc = %s), R %s, data.table %s, matequity %s.",
          format(Sys.time(), "%Y-%m-%d %H:%M UTC", tz = "UTC"), cpu,
          system("nproc", intern = TRUE), getRversion(), utils::packageVersion("data.table"),
          utils::packageVersion("matequity")),
  sprintf("Load average at the start: %s; at the end: %s (the machine is shared).",
          paste(strsplit(load_start, " ")[[1]][1:3], collapse = " "),
          paste(strsplit(load_end, " ")[[1]][1:3], collapse = " ")),
  "",
  sprintf("Input: `simulate_msds(%s, seed = 1, realism = %s)` (%s in %.0f s, not timed below): %s rows in %d tables (MSD201 %s, MSD202 %s).",
          fmt(n, 0), if (realism == "clean") "NULL" else "sim_realism(validate = FALSE)",
          if (nzchar(raw_file)) "read from a saved copy" else "made", t_sim,
          fmt(sum(n_rows), 0), length(n_rows), fmt(n_rows[["MSD201CareContactPreg"]], 0),
          fmt(n_rows[["MSD202CareActivityPreg"]], 0)),
  "Each step runs in its own child Rscript reading the previous step's saved result;",
  "input MB is the process's resident size after loading its inputs minus before,",
  "extra peak MB the peak resident size during the call (VmHWM, reset after loading) minus",
  "the size after loading. continuity() and data.table run with 2 threads.",
  "",
  "| step (user's call) | seconds | input MB | extra peak MB | extra / input | process peak MB | rows out |",
  "|---|---:|---:|---:|---:|---:|---:|",
  sprintf("| %s | %s | %s | %s | %s | %s | %s |", st$step, fmt(st$seconds, 2), fmt(st$input_mb, 0),
          fmt(st$extra_mb, 0), fmt(st$extra_mb / st$input_mb, 2), fmt(st$hwm_mb, 0), fmt(st$rows, 0)),
  sprintf("| **pipeline (as_msds to continuity)** | **%s** | | | | %s (largest step) | |",
          fmt(total, 1), fmt(max(user$hwm_mb), 0)),
  "",
  sprintf("as_msds() given readers instead (one function per table reading its own RDS file, called when as_msds() reaches the table; a cold child that loads nothing first): %.2f s, of which %.2f s in readRDS(), %.2f s without it; process peak **%s MB** (the tables in memory first: %s MB); identical (`identical()`) to the object the tables in memory give: **%s**. The pipeline with it, without the reading: %s s, largest step %s MB.",
          readers_step$seconds, readers_step$read_s, readers_step$seconds - readers_step$read_s,
          fmt(readers_step$hwm_mb, 0), fmt(steps[[1]]$hwm_mb, 0), readers_step$same,
          fmt(total - steps[[1]]$seconds + readers_step$seconds - readers_step$read_s, 1),
          fmt(max(readers_step$hwm_mb, user$hwm_mb[user$step != "as_msds"]), 0)),
  "",
  sprintf("continuity(cohort, msds) with 1 thread: %.2f s; identical to 2 threads: **%s**; repeated in the same session with 2 threads: %.2f s.",
          cont$time_1thread, cont$same_1_2, cont$time_repeat),
  sprintf("data.table, the continuity part from the MSDS tables (MSD201, MSD202, MSD901, MSD401 and the cohort's named carers) to the antenatal indices: %.2f s with 2 threads, %.2f s with 1, %.2f s repeated with 2.",
          dts$seconds, dts$time_1thread, dts$time_repeat),
  sprintf("Columns %s of the %s pregnancies identical (`identical()`) to continuity()'s: **%s**.",
          paste(index_cols, collapse = ", "), fmt(n_preg, 0), same),
  sprintf("**Ratio (data.table's faster thread setting / continuity()): %.1fx.** continuity() also computes the intrapartum and NHS measures (coc_receiving, known midwife at birth) and the exclusion log, which the data.table side does not.",
          dt_best / cont$seconds),
  if (!all(same_col)) sprintf("Columns that differ: %s.", paste(index_cols[!same_col], collapse = ", ")),
  "",
  "### The same calls in one R session",
  "",
  "As a user runs them: one Rscript calls as_msds() on readers of the extract's files (one RDS",
  "file per table, each read when as_msds() reaches it), then the other steps on the results in turn.",
  "A step here reuses the memory earlier steps took from the system, where each child above starts cold.",
  "Extra peak MB is the peak resident size during the call (VmHWM, reset before it) minus the size before it.",
  sprintf("as_msds()'s time includes %.2f s in readRDS(); the pipeline's total below does not.", session$read_s),
  "",
  "| step (user's call) | seconds | size before MB | extra peak MB | process peak MB |",
  "|---|---:|---:|---:|---:|",
  sprintf("| %s | %s | %s | %s | %s |", session$steps$step, fmt(session$steps$seconds, 2),
          fmt(session$steps$rss_before_mb, 0), fmt(session$steps$extra_mb, 0), fmt(session$steps$hwm_mb, 0)),
  sprintf("| **pipeline (as_msds to continuity, without the reading)** | **%s** | | | %s (largest step) |",
          fmt(sum(session$steps$seconds) - session$read_s, 1), fmt(max(session$steps$hwm_mb), 0)),
  "",
  sprintf("continuity() indices identical to the per-step run's: **%s**. Ratio (data.table's faster thread setting above / continuity() in this session): %.1fx.",
          same_session, dt_best / session$steps$seconds[session$steps$step == "continuity"])
)
dir.create("bench/results", showWarnings = FALSE, recursive = TRUE)
writeLines(md, "bench/results/pipeline.md")
cat(md, sep = "\n")
