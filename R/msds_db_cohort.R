# define_cohort(), add_care_model(), add_outcomes() and continuity() on an
# msds_db object (as_msds(con, lazy = TRUE)). Each is the in-memory
# function run on what it reads, read from the database and validated as
# as_msds() validates it (db_read_msds()), so the results are the in-memory
# results:
# * the cohort and outcome steps read the tables with about one row per
#   pregnancy, baby, labour or care plan (MSD001, MSD101, MSD102, MSD301,
#   MSD302, MSD401, MSD402, MSD405) whole; of the contact tables only the
#   distinct contact dates (add_care_model()'s end of data);
# * continuity() reads the contact tables (MSD201, MSD202) and the labour
#   and baby tables in chunks of pregnancies (ranges of UniqPregID in the
#   database's order, each chunk's rows reduced to the latest submission in
#   SQL) and runs the in-memory continuity() on each chunk; the rows, the
#   exclusion counts (summed) and the messages are those of one call.
# Each is called first thing by the in-memory function with its frame and
# call, and calls it again with the arguments the user gave (their values,
# already evaluated in that frame, so nothing is evaluated twice) and the
# msds_db object replaced by what was read.
db_args <- function(frame, call) {
  args <- as.list(call)[-1L]
  for (nm in names(args)) args[[nm]] <- get(nm, envir = frame)
  args
}

db_define_cohort <- function(frame, call, env) {
  args <- db_args(frame, call)
  args$data <- db_read_msds(args$data, c("MSD001MotherDemog", "MSD101PregnancyBooking",
                                         "MSD401BabyDemographics"), call = env)
  do.call(define_cohort, args, envir = env)
}

db_add_care_model <- function(frame, call, env) {
  args <- db_args(frame, call)
  x <- args$msds
  m <- db_read_msds(x, c("MSD101PregnancyBooking", "MSD102MatCarePlan", "MSD401BabyDemographics"),
                    call = env)
  # the default end of data reads the latest contact date: the contact
  # dates are read as their distinct values
  if (is.null(args$data_end)) {
    md <- m
    dates <- db_distinct_values(x, "MSD201CareContactPreg", "CContactDate")
    if (!is.null(dates)) md$MSD201CareContactPreg <- tibble::tibble(CContactDate = dates)
    args$data_end <- msds_data_end(md)
  }
  args$msds <- m
  do.call(add_care_model, args, envir = env)
}

db_add_outcomes <- function(frame, call, env) {
  args <- db_args(frame, call)
  args$msds <- db_read_msds(args$msds, c("MSD101PregnancyBooking", "MSD301LabourDelivery",
                                         "MSD302CareActivityLabDel", "MSD401BabyDemographics",
                                         "MSD402NeonatalAdmission", "MSD405CareActivityBaby"),
                            call = env)
  do.call(add_outcomes, args, envir = env)
}

# continuity() on an msds_db object, in chunks of pregnancies.
db_continuity <- function(frame, call, env) {
  args <- db_args(frame, call)
  # continuity(data, msds) or the old order continuity(msds, cohort)
  if (inherits(args$data, "msds_db")) {
    x <- args$data
    cohort <- args$cohort %||% args$msds
  } else {
    x <- args$msds
    cohort <- args$data %||% args$cohort
  }
  args$cohort <- NULL
  check_db_packages(env)
  size <- db_chunk_size(env)
  # the definition of COC_receiving_ongoing follows the cohort's care model
  if (is.null(args$definition) && !is.null(attr(cohort, "care_model")$definition)) {
    args$definition <- attr(cohort, "care_model")$definition
  }
  whole <- db_read_msds(x, c("MSD101PregnancyBooking", "MSD102MatCarePlan", "MSD901StaffDetails"),
                        call = env)
  whole$MSD102MatCarePlan <- db_with_team_memberships(x, whole$MSD102MatCarePlan)
  ids <- db_chunk_ids(x)
  conv <- convert_field(ids, schema_col("character"))$value
  starts <- seq(1L, max(length(ids), 1L), by = size)
  bk_ids <- whole$MSD101PregnancyBooking$UniqPregID
  res <- vector("list", length(starts))
  conds <- list()
  zeroed <- attr(whole, "submissions")
  if (!is.null(zeroed)) zeroed$rows_superseded[] <- 0L
  if (!is.null(zeroed)) zeroed$rows_duplicate[] <- 0L
  for (k in seq_along(starts)) {
    i <- if (length(ids)) starts[k]:min(starts[k] + size - 1L, length(ids)) else integer()
    lo <- ids[i[1L]]
    hi <- ids[i[length(i)]]
    where <- if (length(i)) function(t) dplyr::filter(t, .data$UniqPregID >= !!lo & .data$UniqPregID <= !!hi) else
      function(t) dplyr::filter(t, 0L == 1L)
    plan <- db_reduce_plan(x$con, x$as_at, intersect(db_chunked_tables, names(x$tables)), where, call = env)
    m <- db_read_msds(x, db_chunked_tables, lazy = lapply(plan, `[[`, "rows"), call = env)
    in_chunk <- conv[i]
    m$MSD101PregnancyBooking <- whole$MSD101PregnancyBooking[bk_ids %in% in_chunk, , drop = FALSE]
    m$MSD102MatCarePlan <- whole$MSD102MatCarePlan
    m$MSD901StaffDetails <- whole$MSD901StaffDetails
    # the rows removed at the door are counted once, by the first chunk
    if (k > 1L) attr(m, "submissions") <- zeroed
    ch <- args
    ch["data"] <- list(if (is.null(cohort)) NULL else cohort[cohort$preg_id %in% in_chunk, , drop = FALSE])
    ch$msds <- m
    res[[k]] <- withCallingHandlers(do.call(continuity, ch, envir = env),
      message = function(cnd) {
        conds[[length(conds) + 1L]] <<- cnd
        invokeRestart("muffleMessage")
      },
      warning = function(cnd) {
        conds[[length(conds) + 1L]] <<- cnd
        invokeRestart("muffleWarning")
      })
  }
  out <- db_bind_continuity(res, order_ids = if (is.null(cohort)) bk_ids else cohort$preg_id)
  db_resignal(conds, attr(out, "exclusions"))
  out
}

# Every pregnancy id of the chunked tables and MSD101 (as stored), in the
# database's order: chunks are ranges of it, so that each chunk's rows are
# read with `UniqPregID BETWEEN first AND last` (an index on UniqPregID
# serves it), compared as the database compares them.
db_chunk_ids <- function(x) dplyr::collect(db_chunk_ids_query(x))$UniqPregID

db_chunk_ids_query <- function(x, get_tbl = function(tab) dplyr::tbl(x$con, tab)) {
  tabs <- intersect(c("MSD101PregnancyBooking", db_chunked_tables), names(x$tables))
  q <- NULL
  for (tab in tabs) {
    if (!"UniqPregID" %in% colnames(x$tables[[tab]])) next
    t <- dplyr::distinct(dplyr::select(get_tbl(tab), "UniqPregID"))
    t <- dplyr::filter(t, !is.na(.data$UniqPregID))
    q <- if (is.null(q)) t else dplyr::union(q, t)
  }
  dplyr::arrange(q, .data$UniqPregID)
}

# The care plans, with one more row (only provider, professional and team
# set) for each distinct (OrgCodeProvider, CareProfLID, TeamLocalID) of the
# activity tables, their provider that of their contact or labour:
# continuity()'s "known midwife at birth" looks a delivery's professional
# and team up among the memberships recorded in MSD102, MSD202 and MSD302,
# across every pregnancy, so a chunk needs those of the other chunks.
db_with_team_memberships <- function(x, cp) {
  pairs <- list()
  links <- list(c("MSD202CareActivityPreg", "MSD201CareContactPreg", "CareConID"),
                c("MSD302CareActivityLabDel", "MSD301LabourDelivery", "LabourDeliveryID"))
  for (l in links) {
    q <- db_team_membership_query(x, l)
    if (is.null(q)) next
    df <- dplyr::collect(q)
    spec <- msds_tables$MSD102MatCarePlan$columns
    pairs[[length(pairs) + 1L]] <- lapply(c(OrgCodeProvider = "OrgCodeProvider", CareProfLID = "CareProfLID",
                                            TeamLocalID = "TeamLocalID"),
                                          function(f) convert_field(df[[f]], spec[[f]])$value)
  }
  if (!length(pairs)) return(cp)
  add <- lapply(names(pairs[[1L]]), function(f) unlist(lapply(pairs, `[[`, f), use.names = FALSE))
  names(add) <- names(pairs[[1L]])
  n <- length(add[[1L]])
  extra <- lapply(cp, function(v) v[rep(NA_integer_, n)])
  extra[names(add)] <- add
  tibble::as_tibble(rbind(as.data.frame(cp), as.data.frame(extra, stringsAsFactors = FALSE)))
}

# The distinct (OrgCodeProvider, CareProfLID, TeamLocalID) of activity
# table l[1] with its parent l[2] by local id l[3], as a lazy table (NULL
# when the table has no professional and team).
db_team_membership_query <- function(x, l) {
  ac <- x$tables[[l[1]]]
  pa <- x$tables[[l[2]]]
  if (is.null(ac) || !all(c("CareProfLID", "TeamLocalID") %in% colnames(ac))) return(NULL)
  ac <- dplyr::filter(ac, !is.na(.data$CareProfLID) & !is.na(.data$TeamLocalID))
  # an activity's contact or labour as continuity() finds it: on the
  # pregnancy and the local id, or the id alone (used by one pregnancy
  # only, see as_msds_lazy())
  by <- c(intersect("UniqPregID", intersect(colnames(ac), colnames(pa))), l[3])
  ac <- dplyr::select(ac, dplyr::all_of(c(by, "CareProfLID", "TeamLocalID")))
  if (!is.null(pa) && "OrgCodeProvider" %in% colnames(pa)) {
    pa <- dplyr::select(pa, dplyr::all_of(c(by, "OrgCodeProvider")))
    ac <- dplyr::left_join(ac, pa, by = by)
  } else {
    ac <- dplyr::mutate(ac, OrgCodeProvider = NA_character_)
  }
  dplyr::distinct(dplyr::select(ac, "OrgCodeProvider", "CareProfLID", "TeamLocalID"))
}

# The chunks' continuity() results as one: rows in the order of the
# pregnancies (`order_ids`), exclusion counts summed, the first chunk's
# other attributes.
db_bind_continuity <- function(res, order_ids) {
  first <- res[[1L]]
  cols <- lapply(stats::setNames(names(first), names(first)),
                 function(nm) do.call(c, lapply(res, function(r) r[[nm]])))
  o <- order(match(cols$preg_id, order_ids), method = "radix")
  cols <- lapply(cols, `[`, o)
  logs <- lapply(res, attr, "exclusions")
  log <- logs[[1L]]
  same <- vapply(logs, function(l) identical(l[c("step", "reason", "kind")], log[c("step", "reason", "kind")]), TRUE)
  if (!all(same)) {
    cli::cli_abort("The chunks of {.fn continuity} gave exclusion logs of different rows; please report this.",
                   .internal = TRUE)
  }
  log$n_rows <- as.integer(Reduce(`+`, lapply(logs, `[[`, "n_rows")))
  at <- attributes(first)
  at <- at[setdiff(names(at), c("names", "row.names", "class", "exclusions"))]
  out <- do.call(tibble::new_tibble, c(list(cols, nrow = length(o), class = "mq_continuity"), at))
  attr(out, "exclusions") <- log
  out
}

# The chunks' messages and warnings, once: those with counts again from the
# summed exclusion log, the others (the same in every chunk) once each.
db_resignal <- function(conds, log) {
  counted <- c("matequity_continuity_input", "matequity_continuity_outside_cohort")
  seen <- character()
  reported <- FALSE
  for (cnd in conds) {
    if (inherits(cnd, counted)) {
      if (!reported) report_continuity_input(log, list(no_placed_date = FALSE, has_care_model = TRUE))
      reported <- TRUE
      next
    }
    key <- paste(class(cnd)[1L], conditionMessage(cnd))
    if (key %in% seen) next
    seen <- c(seen, key)
    if (inherits(cnd, "warning")) warning(cnd) else message(cnd)
  }
  invisible()
}
