# Benchmark: define_cohort() + add_care_model() + add_outcomes() on a large
# simulated extract (target: under 30 s for 1e6 pregnancies), with the
# continuity-of-carer placement checked against, and timed beside, a direct
# data.table translation of NHS Digital's COC_by_28weeks SQL (latest
# antenatal care plan at or before 203 days by CarePlanDate then
# RecordNumber; ContCarePathInd 'Y', CareProfLID and TeamLocalID present).
#
# Run from the package root with the package installed:
#   R_LIBS=... Rscript bench/bench_cohort.R
# Size: MATEQUITY_BENCH_N (default 1e6 pregnancies). Writes
# bench/results/cohort.md.

suppressPackageStartupMessages(library(matequity))
rlang::check_installed(c("data.table", "bench"))
n <- as.integer(Sys.getenv("MATEQUITY_BENCH_N", "1000000"))
runs <- as.integer(Sys.getenv("MATEQUITY_BENCH_RUNS", "3"))

# Large MSDS-shaped tables, used only when simulate_msds() is not available:
# plausible structure (repeated submissions, two antenatal care plans per
# pregnancy, one baby each), not plausible epidemiology.
fallback_tables <- function(n, seed = 1) {
  set.seed(seed)
  pid <- sprintf("P%07d", seq_len(n))
  mid <- sprintf("M%07d", seq_len(n))
  book <- as.Date("2016-01-01") + sample.int(2500, n, TRUE)
  g0 <- sample(56:120, n, TRUE)
  ri <- sample.int(n, n %/% 20)
  nb <- n + length(ri)
  bk <- data.frame(
    UniqPregID = c(pid, pid[ri]), Person_ID_Mother = c(mid, mid[ri]),
    RecordNumber = c(rep(1L, n), rep(2L, length(ri))),
    OrgCodeProvider = sample(sprintf("R%02d", 1:20), nb, TRUE),
    AntenatalAppDate = c(book, book[ri]), GestAgeBooking = c(g0, g0[ri]),
    AgeAtBookingMother = sample(16:45, nb, TRUE),
    ComplexSocialFactorsInd = sample(c("Y", "N"), nb, TRUE, c(0.1, 0.9)),
    PreviousLiveBirths = 0L, PreviousStillBirths = 0L, PreviousCaesareanSections = 0L,
    DischargeDateMatService = c(book, book[ri]) + (320L - c(g0, g0[ri])),
    stringsAsFactors = FALSE)
  md <- data.frame(
    Person_ID_Mother = mid, RecordNumber = 1L, OrgCodeProvider = "R01",
    EthnicCategoryMother = sample(c("A", "B", "H", "J", "M", "N", "Z", "99"), n, TRUE),
    LSOAMother2011 = sprintf("E01%06d", sample.int(30000, n, TRUE)),
    Rank_IMD_Decile_2015 = sample.int(10, n, TRUE), stringsAsFactors = FALSE)
  gcp <- sample(120:230, n, TRUE)
  cp <- data.frame(
    UniqPregID = rep(pid, 2), RecordNumber = 1L, OrgCodeProvider = "R01",
    CarePlanDate = c(book + 5L, book + (gcp - g0)), CarePlanType = "05",
    MatPersCarePlanInd = sample(c("Y", "N"), 2 * n, TRUE),
    ContCarePathInd = sample(c("Y", "N", NA), 2 * n, TRUE, c(0.45, 0.45, 0.1)),
    CareProfLID = sprintf("MW%04d", sample.int(2000, 2 * n, TRUE)),
    TeamLocalID = sample(c(sprintf("T%03d", 1:200), NA), 2 * n, TRUE), stringsAsFactors = FALSE)
  cp <- cp[!duplicated(cp[c("UniqPregID", "CarePlanDate")]), ]
  gb <- as.integer(pmin(300, pmax(170, round(stats::rnorm(n, 278, 14)))))
  lid <- sprintf("L%07d", seq_len(n))
  ld <- data.frame(LabourDeliveryID = lid, UniqPregID = pid, RecordNumber = 1L,
                   OrgCodeProvider = "R01", BirthsPerLabandDel = 1L, stringsAsFactors = FALSE)
  bb <- data.frame(
    Person_ID_Baby = sprintf("B%07d", seq_len(n)), LabourDeliveryID = lid, UniqPregID = pid,
    RecordNumber = 1L, OrgCodeProvider = "R01", PersonBirthDateBaby = book + (gb - g0),
    PregOutcome = sample(c("01", "02"), n, TRUE, c(0.996, 0.004)),
    PersonPhenSex = sample(c("1", "2"), n, TRUE), GestationLengthBirth = gb,
    DeliveryMethodCode = sample(as.character(0:8), n, TRUE), PersonDeathDateBaby = as.Date(NA),
    BabyFirstFeedIndCode = sample(c("01", "02", "03"), n, TRUE), stringsAsFactors = FALSE)
  ba <- data.frame(Person_ID_Baby = bb$Person_ID_Baby, RecordNumber = 1L,
                   ApgarScore = sample(5:10, n, TRUE), BirthWeight = round(stats::rnorm(n, 3300, 500)))
  la <- data.frame(LabourDeliveryID = lid, RecordNumber = 1L, CareProfLID = "MW0001",
                   TeamLocalID = "T001",
                   GenitalTractTraumaticLesion = sample(c(NA, "10217006"), n, TRUE, c(0.97, 0.03)),
                   ObsCode = "BLOOD_LOSS_ML", ObsValue = round(stats::rexp(n, 1 / 400)),
                   stringsAsFactors = FALSE)
  cc <- data.frame(CareConID = sprintf("C%07d", seq_len(n)), UniqPregID = pid, RecordNumber = 1L,
                   OrgCodeProvider = "R01", CContactDate = book, AttendCode = "5",
                   stringsAsFactors = FALSE)
  ca <- data.frame(CareConID = cc$CareConID, RecordNumber = 1L, CareProfLID = "MW0001",
                   TeamLocalID = "T001", stringsAsFactors = FALSE)
  st <- data.frame(CareProfLID = sprintf("MW%04d", 1:2000), StaffGroup = "05",
                   stringsAsFactors = FALSE)
  list(MSD001MotherDemog = md, MSD101PregnancyBooking = bk, MSD102MatCarePlan = cp,
       MSD201CareContactPreg = cc, MSD202CareActivityPreg = ca, MSD301LabourDelivery = ld,
       MSD302CareActivityLabDel = la, MSD401BabyDemographics = bb,
       MSD405CareActivityBaby = ba, MSD901StaffDetails = st)
}

t_data <- system.time({
  if (exists("simulate_msds", envir = asNamespace("matequity"))) {
    data_source <- sprintf("simulate_msds(n_pregnancies = %s, seed = 1)", format(n, big.mark = ","))
    x <- matequity::simulate_msds(n_pregnancies = n, seed = 1)
  } else {
    data_source <- "bench_cohort.R's fallback generator (simulate_msds() not yet on this branch)"
    x <- as_msds(fallback_tables(n), quiet = TRUE)
  }
})[["elapsed"]]
rows <- vapply(unclass(x), nrow, 1L)

pipeline <- function() {
  co <- suppressMessages(define_cohort(x))
  co <- add_care_model(co, x)
  suppressMessages(add_outcomes(co, x))
}
step_times <- function() {
  cpu <- function(t) t[["user.self"]] + t[["sys.self"]]
  t1 <- system.time(co <- suppressMessages(define_cohort(x)))
  t2 <- system.time(co <- add_care_model(co, x))
  t3 <- system.time(co <- suppressMessages(add_outcomes(co, x)))
  list(times = c(define_cohort = t1[["elapsed"]], add_care_model = t2[["elapsed"]],
                 add_outcomes = t3[["elapsed"]]),
       cpu = c(cpu(t1), cpu(t2), cpu(t3)), cohort = co)
}

# The same placement, written directly from the NHS SQL with data.table.
dt_coc_placed <- function(x, cohort, coc_gest = 203) {
  DT <- data.table::as.data.table
  cp <- DT(x$MSD102MatCarePlan)[CarePlanType == "05" & !is.na(ContCarePathInd)]
  den <- DT(cohort)[coc_eligible == TRUE, list(preg_id, booking_date, booking_gest)]
  j <- cp[den, on = list(UniqPregID = preg_id), nomatch = NULL]
  j <- j[booking_gest + as.integer(CarePlanDate - booking_date) <= coc_gest]
  data.table::setorder(j, UniqPregID, -CarePlanDate, -RecordNumber)
  j <- unique(j, by = "UniqPregID")
  placed <- j[ContCarePathInd == "Y" & !is.na(CareProfLID) & !is.na(TeamLocalID), UniqPregID]
  den$preg_id %in% placed
}

res <- lapply(seq_len(runs), function(i) {
  gc()
  step_times()
})
times <- do.call(rbind, lapply(res, `[[`, "times"))
cpu_total <- vapply(res, function(r) sum(r$cpu), 1)
load_avg <- tryCatch(strsplit(readLines("/proc/loadavg"), " ")[[1]][1:3], error = function(e) NA)
co <- res[[1]]$cohort
total <- rowSums(times)
med_total <- stats::median(total)

elig <- co$coc_eligible
peer <- dt_coc_placed(x, co)
agree <- identical(unname(co$coc_placed[elig]), peer)
stopifnot(agree)
t_peer <- stats::median(vapply(seq_len(runs), function(i) {
  system.time(dt_coc_placed(x, co))[["elapsed"]]
}, 1))
t_mine <- stats::median(vapply(seq_len(runs), function(i) {
  system.time(add_care_model(co[, 1:26], x))[["elapsed"]]
}, 1))
mem <- bench::mark(pipeline(), iterations = 1, check = FALSE, filter_gc = FALSE)$mem_alloc

cpu <- sub(".*: ", "", grep("model name", readLines("/proc/cpuinfo"), value = TRUE)[1])
lines <- c(
  "## Cohort, care model and outcomes (bench_cohort.R)", "",
  sprintf("Run %s on %s (%s cores, `nproc`), R %s, matequity %s.", format(Sys.time(), "%Y-%m-%d %H:%M UTC", tz = "UTC"),
          cpu, trimws(system("nproc", intern = TRUE)), getRversion(), utils::packageVersion("matequity")),
  "", sprintf("Data: %s; built in %.0f s (not timed below).", data_source, t_data),
  sprintf("Rows: %s.", paste(sprintf("%s %s", names(rows), format(rows, big.mark = ",")), collapse = ", ")),
  sprintf("Cohort: %s pregnancies; exclusion log excluded %s records/pregnancies in total.",
          format(nrow(co), big.mark = ","), format(sum(attr(co, "exclusions")$n_excluded), big.mark = ",")),
  "", "| step | median seconds | runs |", "|---|---:|---:|",
  sprintf("| %s | %.2f | %s |", colnames(times), apply(times, 2, stats::median),
          apply(times, 2, function(v) paste(sprintf("%.2f", v), collapse = ", "))),
  sprintf("| **total (target < 30 s)** | **%.2f** | %s |", med_total, paste(sprintf("%.1f", total), collapse = ", ")),
  "", sprintf("CPU time (user + system) of the whole pipeline: median %.2f s (%s).", stats::median(cpu_total),
          paste(sprintf("%.1f", cpu_total), collapse = ", ")),
  sprintf("Load average at the end of the run: %s (the machine is shared; elapsed times include waiting).",
          paste(load_avg, collapse = " ")),
  "", sprintf("Memory allocated by one full pipeline run (bench::mark mem_alloc): %s.", format(mem)),
  "", "Peer check: continuity-of-carer placement (`coc_placed` among eligible pregnancies) against a",
  "direct data.table translation of NHS Digital's COC_by_28weeks SQL numerator:",
  sprintf("identical = %s over %s eligible pregnancies (%s placed).", agree,
          format(sum(elig), big.mark = ","), format(sum(peer), big.mark = ",")),
  sprintf("Median time: add_care_model() (whole step: PCSP, eligibility and placement) %.2f s;", t_mine),
  sprintf("data.table numerator only %.2f s (ratio %.2f).", t_peer, t_mine / t_peer), "")
dir.create("bench/results", showWarnings = FALSE, recursive = TRUE)
writeLines(lines, "bench/results/cohort.md")
cat(lines, sep = "\n")
