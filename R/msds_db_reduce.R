# as_msds(con, reduce = "database"): the reduction to the latest submission
# (msds_reduce_submissions()'s rules) run in SQL, so that only the retained
# rows leave the database; they are then collected and validated in R.
#
# Per table, as in memory: rows after `as_at` are dropped (counted); a keyed
# table keeps its latest row per record key (db_latest_per_key()); a child
# table (MSD202, MSD302, MSD402, MSD405) keeps the rows placed in its
# parent's retained submission (matched on the pregnancy when both tables
# have it, the local id and RecordNumber, else UniqSubmissionID; rows placed
# in no submission are kept) and then drops exact repeats (SELECT DISTINCT).
# The counts, the submissions log and the superseded discharge dates
# (later_discharges()) come from SQL too. A database has no row order: the
# collected rows are put in the order of the table's MSDS row id
# (`MSD202_ID`, ...), the order of the extract.

# Returns list(tables = collected data frames, log = the submissions log,
# problems, discharge_superseded), like msds_reduce_submissions(). With
# `collect = FALSE` the tables stay lazy (dbplyr tables of the retained
# rows) and the log's rows_kept are counted in SQL: as_msds(con, lazy = TRUE).
db_reduce_submissions <- function(con, as_at = NULL, collect = TRUE, call = rlang::caller_env()) {
  check_db_packages(call)
  present <- DBI::dbListTables(con)
  if (any(names(v15_tables) %in% present)) {
    cli::cli_abort(c("{.code reduce = \"database\"} reads MSDS v2 tables only.",
                     "x" = "The database holds v1.5 tables: {.val {intersect(names(v15_tables), present)}}.",
                     "i" = "Use {.code as_msds(con)} (read into R), which harmonises them."),
                   call = call)
  }
  plan <- db_reduce_plan(con, as_at, intersect(names(msds_tables), present), call = call)
  n_rows_db <- function(x) db_count(x)
  out <- list()
  log <- list()
  problems <- list()
  discharge_superseded <- NULL
  for (tab in names(plan)) {
    pl <- plan[[tab]]
    spec <- msds_tables[[tab]]
    # rows as read, after `as_at` and undated (an undated row is never after
    # it), in one scan
    after <- 0L
    undated <- 0L
    if (!pl$dated) {
      n_in <- n_rows_db(pl$base)
    } else {
      late <- if (is.null(as_at)) rlang::expr(0L) else
        rlang::expr(dplyr::if_else(!is.na(.data$RPStartDate) & .data$RPStartDate > !!as_at, 1L, 0L))
      cn0 <- dplyr::collect(dplyr::summarise(
        pl$base, rows = dplyr::n(), after = sum(!!late, na.rm = TRUE),
        undated = sum(dplyr::if_else(is.na(.data$RPStartDate), 1L, 0L), na.rm = TRUE)))
      # SUM() over no rows is NULL
      n0 <- function(v) if (is.na(v)) 0L else as.integer(v)
      n_in <- n0(cn0$rows)
      after <- n0(cn0$after)
      undated <- n0(cn0$undated)
    }
    sup <- 0L
    dup <- 0L
    # the retained rows, where a count above already holds them (each count
    # of a keyed or child table re-runs its window query)
    kept <- NULL
    if (pl$kind == "keyed") {
      cn <- vapply(dplyr::collect(pl$counts), as.integer, 0L)
      sup <- cn[["superseded"]]
      dup <- cn[["duplicate"]]
      kept <- cn[["kept"]]
      if (tab == "MSD101PregnancyBooking") discharge_superseded <- db_later_discharges(plan[[tab]]$ranked)
    } else if (pl$kind == "child") {
      n1 <- n_rows_db(pl$in_at)
      n2 <- n_rows_db(pl$placed)
      kept <- n_rows_db(pl$rows)
      sup <- n1 - n2
      dup <- n2 - kept
    } else if (pl$kind == "orphan") {
      kept <- n_rows_db(pl$rows)
      dup <- n_rows_db(pl$in_at) - kept
    }
    if (collect) {
      df <- db_collect_in_order(pl$rows, tab)
      out[[tab]] <- df
      kept <- nrow(df)
    } else {
      out[[tab]] <- pl$rows
      if (is.null(kept)) kept <- n_rows_db(pl$rows)
    }
    log[[tab]] <- tibble::tibble(table = tab, rows_in = n_in, rows_after_as_at = after,
                                 rows_superseded = sup, rows_duplicate = dup,
                                 rows_kept = kept, rows_undated = undated)
    if (length(spec$key) && dup) {
      problems[[length(problems) + 1L]] <- new_problem(
        tab, paste(pl$key, collapse = " + "),
        "record submitted twice in one submission (same key, RPStartDate, UniqSubmissionID and RecordNumber; one kept)",
        dup, severity = "warning")
    }
  }
  lg <- if (length(log)) do.call(rbind, unname(log)) else empty_submissions_log()
  attr(lg, "as_at") <- as_at
  list(tables = out, log = lg, problems = problems, discharge_superseded = discharge_superseded)
}

# Rows of a lazy table, counted in SQL.
db_count <- function(x) {
  as.integer(dplyr::pull(dplyr::collect(dplyr::summarise(x, n = dplyr::n()))))
}

# The lazy reduction of tables `tabs` (msds_reduce_submissions()'s rules),
# without running any query but the column-type checks. `where`, when
# given, is a function applied to every base table first (the pregnancies
# of one chunk, see db_continuity()): the rules keep or drop a row from the
# rows of its own pregnancy only when the record key and the child tables'
# placement hold UniqPregID, which the chunked path checks. Returns per
# table list(kind = "keyed", "child", "orphan" (a child table whose parent
# is absent) or "plain"; base (as read), in_at (after as_at), rows (the
# retained rows), dated, key; keyed: counts, ranked; child: placed (before
# DISTINCT)). `get_tbl` gives a base table by name (dbplyr's simulated
# connections for the rendered SQL in the tests).
db_reduce_plan <- function(con, as_at, tabs, where = NULL, get_tbl = function(tab) dplyr::tbl(con, tab),
                           call = rlang::caller_env()) {
  plan <- list()
  ranked <- list()  # keyed tables after as_at, with .mq_kept (1 = retained)
  for (tab in tabs) {
    spec <- msds_tables[[tab]]
    base <- get_tbl(tab)
    if (!is.null(where)) base <- db_where(get_tbl, base, tab, where)
    cols <- colnames(base)
    dated <- "RPStartDate" %in% cols
    x <- base
    if (!is.null(as_at) && dated) {
      x <- dplyr::filter(x, is.na(.data$RPStartDate) | .data$RPStartDate <= !!as_at)
    }
    pl <- list(kind = "plain", base = base, in_at = x, rows = x, dated = dated, key = character())
    key <- c(intersect(spec$key_scope, cols), spec$key)
    if (length(spec$key) && all(key %in% cols)) {
      r <- db_latest_per_key(x, key, intersect(submission_order_cols, cols), call = call)
      ranked[[tab]] <- dplyr::mutate(r$ranked, .mq_kept = dplyr::if_else(.data$.mq_rn == 1L, 1L, 0L))
      pl <- c(pl[c("base", "in_at", "dated")],
              list(kind = "keyed", rows = r$rows, key = key, counts = r$counts, ranked = ranked[[tab]]))
    } else if (!is.null(spec$parent) && !is.null(ranked[[spec$parent$table]])) {
      placed <- db_child_in_retained(x, ranked[[spec$parent$table]], spec$parent$id)
      pl$kind <- "child"
      pl$placed <- placed
      pl$rows <- dplyr::distinct(placed)
    } else if (!is.null(spec$parent)) {
      pl$kind <- "orphan"
      pl$rows <- dplyr::distinct(x)
    }
    plan[[tab]] <- pl
  }
  plan
}

# `where` applied to a base table: directly when it has UniqPregID, else (a
# child table placed through its parent's local id) to the rows whose id
# the parent's rows within `where` use. as_msds_lazy() checks that no such
# id is used by two pregnancies, so each child row is in one chunk.
db_where <- function(get_tbl, base, tab, where) {
  if ("UniqPregID" %in% colnames(base)) return(where(base))
  par <- msds_tables[[tab]]$parent
  if (is.null(par)) return(where(base))
  ids <- dplyr::distinct(dplyr::select(where(get_tbl(par$table)), dplyr::all_of(par$id)))
  dplyr::semi_join(base, ids, by = par$id)
}

# The rows of child table `x` that belong to the retained submission of their
# parent record (msds_reduce_submissions()'s `state`): placed on the parent's
# (pregnancy, local id, RecordNumber), else (..., UniqSubmissionID), in any
# parent row; kept when a retained parent row has it, or when no parent row
# places it (own record numbers). Equality joins never match a NULL, as
# match_rows() never matches a missing value.
db_child_in_retained <- function(x, parent_ranked, id) {
  cols <- colnames(x)
  pcols <- colnames(parent_ranked)
  scope <- if ("UniqPregID" %in% cols && "UniqPregID" %in% pcols) "UniqPregID"
  placed <- list()
  for (sub_col in c("RecordNumber", "UniqSubmissionID")) {
    if (!sub_col %in% cols || !sub_col %in% pcols) next
    by <- unique(c(scope, id, sub_col))
    k <- paste0(".mq_k_", sub_col)
    kept_any <- stats::setNames(list(rlang::expr(max(.data$.mq_kept, na.rm = TRUE))), k)
    p <- dplyr::summarise(dplyr::group_by(parent_ranked, !!!rlang::syms(by)), !!!kept_any,
                          .groups = "drop")
    x <- dplyr::left_join(x, p, by = by)
    placed <- c(placed, list(rlang::sym(k)))
  }
  if (!length(placed)) return(x)
  # the first submission column that places the row decides
  x <- dplyr::filter(x, dplyr::coalesce(!!!placed, 1L) == 1L)
  dplyr::select(x, dplyr::all_of(cols))
}

# later_discharges() in SQL: MSD101 rows of superseded submissions whose
# discharge date is later than every retained row of the same pregnancy (or
# the retained rows have none). NULL when there are none.
db_later_discharges <- function(ranked) {
  cols <- intersect(c("Person_ID_Mother", "UniqPregID", "DischargeDateMatService"), colnames(ranked))
  if (!"DischargeDateMatService" %in% cols) return(NULL)
  by <- setdiff(cols, "DischargeDateMatService")
  best <- dplyr::summarise(
    dplyr::group_by(dplyr::filter(ranked, .data$.mq_kept == 1L), !!!rlang::syms(by)),
    .mq_best = max(.data$DischargeDateMatService, na.rm = TRUE), .groups = "drop")
  x <- dplyr::filter(ranked, .data$.mq_kept == 0L, !is.na(.data$DischargeDateMatService))
  x <- dplyr::left_join(x, best, by = by)
  x <- dplyr::filter(x, is.na(.data$.mq_best) | .data$DischargeDateMatService > .data$.mq_best)
  idc <- grep("^MSD[0-9]+_ID$", colnames(ranked), value = TRUE)
  df <- dplyr::collect(dplyr::select(x, dplyr::all_of(c(idc, cols))))
  if (!nrow(df)) return(NULL)
  df <- df[order_by_row_id(df, idc), , drop = FALSE]
  tibble::as_tibble(as.data.frame(df)[cols])
}

# Collects a lazy table as a data frame in the order of its MSDS row id.
db_collect_in_order <- function(x, tab) {
  df <- as.data.frame(dplyr::collect(x))
  idc <- paste0(sub("^(MSD[0-9]+).*", "\\1", tab), "_ID")
  if (idc %in% names(df) && nrow(df)) df <- df[order_by_row_id(df, idc), , drop = FALSE]
  rownames(df) <- NULL
  df
}

order_by_row_id <- function(df, idc) {
  if (!length(idc)) return(seq_len(nrow(df)))
  v <- df[[idc[1L]]]
  if (inherits(v, "integer64")) v <- as.numeric(as.character(v))
  order(v, method = "radix", na.last = TRUE)
}
