# The portable SQL core of the database path (issue 18): the latest record per
# key as a ROW_NUMBER() window with its counts from GROUP BY, and day
# differences between dates in each dialect. Written with dbplyr (Suggests),
# so one definition renders for PostgreSQL, SQL Server and Spark SQL; no
# QUALIFY, no NULLS LAST, no windowed COUNT(DISTINCT), no difftime().

# dbplyr and DBI, checked once per call of a database function.
check_db_packages <- function(call = rlang::caller_env()) {
  rlang::check_installed(c("DBI", "dplyr", "dbplyr"), "to run matequity's database path.",
                         call = call)
}

# The dialect of a DBI connection, from its class (the drivers' classes and
# dbplyr's simulated connections): "postgres", "mssql", "spark" or "sqlite".
db_dialect <- function(con, call = rlang::caller_env()) {
  if (inherits(con, c("PqConnection", "PostgreSQLConnection", "PostgreSQL",
                      "RedshiftConnection"))) return("postgres")
  if (inherits(con, "Microsoft SQL Server")) return("mssql")
  if (inherits(con, c("Spark SQL", "Databricks", "DatabricksConnection"))) return("spark")
  if (inherits(con, "SQLiteConnection")) return("sqlite")
  cli::cli_abort(c("matequity has no day-difference translation for this database connection.",
                   "x" = "Its class is {.cls {class(con)}}.",
                   "i" = "Supported: PostgreSQL, SQL Server, Spark SQL (Databricks) and SQLite."),
                 call = call)
}

# SQL for the number of days from date column `from` to date column `to`
# (`to - from`: positive when `to` is later), in the connection's dialect:
#   PostgreSQL  "to" - "from"              (date - date is an integer)
#   SQL Server  DATEDIFF(day, [from], [to])
#   Spark SQL   DATEDIFF(`to`, `from`)      (end first)
#   SQLite      CAST(julianday(to) - julianday(from) AS INTEGER), for dates
#               stored as ISO text
# dbplyr's own difftime() translation has had the wrong sign on SQL Server,
# PostgreSQL and Spark, hence this one helper. Returns a dbplyr::sql() for
# mutate()/filter() (with !!).
db_day_diff <- function(con, to, from, call = rlang::caller_env()) {
  check_db_packages(call)
  for (a in list(to, from)) {
    if (!rlang::is_string(a) || !nzchar(a)) {
      cli::cli_abort("{.arg to} and {.arg from} must be column names (strings).", call = call)
    }
  }
  t <- dbplyr::escape(dbplyr::ident(to), con = con)
  f <- dbplyr::escape(dbplyr::ident(from), con = con)
  dbplyr::sql(switch(db_dialect(con, call),
    postgres = paste0("(", t, " - ", f, ")"),
    mssql = paste0("DATEDIFF(day, ", f, ", ", t, ")"),
    spark = paste0("DATEDIFF(", t, ", ", f, ")"),
    sqlite = paste0("CAST(julianday(", t, ") - julianday(", f, ") AS INTEGER)")
  ))
}

# The window order of latest_per_key() in SQL: for each ordering column, a
# 0/1 term that is 1 when the value is present, then the value, both
# descending. The first term puts missing values below every value without
# NULLS LAST (which SQL Server lacks), the same way in every dialect.
# Returns list(add = named expressions for helper columns, order = window
# order expressions).
db_latest_order <- function(order) {
  add <- list()
  ord <- list()
  for (i in seq_along(order)) {
    o <- rlang::sym(order[i])
    h <- paste0(".mq_has", i)
    add[[h]] <- rlang::expr(dplyr::case_when(is.na(!!o) ~ 0L, TRUE ~ 1L))
    ord <- c(ord, list(rlang::expr(dplyr::desc(!!rlang::sym(h))), rlang::expr(dplyr::desc(!!o))))
  }
  list(add = add, order = ord)
}

# latest_per_key() in the database. `tbl` is a dbplyr table, `key` and
# `order` column names (order: latest first, e.g. RPStartDate,
# UniqSubmissionID, RecordNumber). Returns list(
#   rows  = a lazy table of the kept rows, one per key, with tbl's columns
#           (ROW_NUMBER() OVER (PARTITION BY key ORDER BY ...) = 1);
#   counts = a lazy one-row table: rows, kept, superseded, duplicate;
#   ranked = every row with its rank .mq_rn, see db_rank_latest()).
# The counts come from GROUP BY key and ordering values (which group NULLs
# together, as latest_per_key() compares missing values equal): per key, the
# top group (the same window over the groups) holds the kept row and the
# rows tying it (`duplicate` = its size - 1); every other row is
# `superseded`. So they equal latest_per_key()'s `tied` and `superseded`.
# Which of the tied rows is kept is the database's choice (a table has no
# input order): rows tying on the key and every ordering value are one
# record submitted twice, and the counts are the same either way.
db_latest_per_key <- function(tbl, key, order = character(), call = rlang::caller_env()) {
  check_db_packages(call)
  cols <- colnames(tbl)
  miss <- setdiff(c(key, order), cols)
  if (length(miss)) {
    cli::cli_abort(c("The database table lacks the columns of its record key or order.",
                     "x" = "Missing: {.field {miss}}."), call = call)
  }
  if (!length(key)) cli::cli_abort("{.arg key} must name at least one column.", call = call)
  db_check_order_types(tbl, order, call)
  ranked <- function(x) db_rank_latest(x, key, order)
  all_ranked <- ranked(tbl)
  rows <- dplyr::filter(all_ranked, .data$.mq_rn == 1L)
  rows <- dplyr::select(rows, dplyr::all_of(cols))
  # a key column may also order (MSD001's RecordNumber): grouped once
  groups <- dplyr::summarise(dplyr::group_by(tbl, !!!rlang::syms(unique(c(key, order)))),
                             .mq_n = dplyr::n(), .groups = "drop")
  top <- dplyr::filter(ranked(groups), .data$.mq_rn == 1L)
  counts <- dplyr::summarise(top, kept = dplyr::n(), top = sum(.data$.mq_n, na.rm = TRUE))
  total <- dplyr::summarise(tbl, rows = dplyr::n())
  counts <- dplyr::cross_join(total, counts)
  counts <- dplyr::transmute(counts, rows = .data$rows, kept = .data$kept,
                             superseded = .data$rows - .data$top,
                             duplicate = .data$top - .data$kept)
  list(rows = rows, counts = counts, ranked = all_ranked)
}

# `tbl` ranked within each key, latest first: column .mq_rn (1 = the row
# kept), plus the 0/1 helper columns .mq_has1, ... of the window order.
db_rank_latest <- function(tbl, key, order) {
  lo <- db_latest_order(order)
  x <- dplyr::mutate(tbl, !!!lo$add)
  x <- dplyr::group_by(x, !!!rlang::syms(key))
  x <- dbplyr::window_order(x, !!!lo$order)
  x <- dplyr::mutate(x, .mq_rn = dplyr::row_number())
  dplyr::ungroup(x)
}

# The ordering columns must order as their values do: numbers and dates, not
# text ("9" sorts after "10" as text; dates as text order only in ISO form).
db_check_order_types <- function(tbl, order, call) {
  # dbplyr's simulated connections (SQL rendering only) hold no data
  if (!length(order) || inherits(dbplyr::remote_con(tbl), "TestConnection")) return(invisible())
  proto <- dplyr::collect(utils::head(dplyr::select(tbl, dplyr::all_of(order)), 0L))
  bad <- order[!vapply(proto[order], function(v) {
    is.numeric(v) || inherits(v, c("Date", "POSIXt", "integer64"))
  }, TRUE)]
  if (length(bad)) {
    tab <- tryCatch(as.character(dbplyr::remote_name(tbl)), error = function(e) character())
    cli::cli_abort(c("The ordering columns of the latest record must be numbers or dates in the database.",
                     "x" = "{cli::qty(length(bad))}Column{?s} {.field {bad}} of table {.val {tab}} {?is/are} {.cls {vapply(proto[bad], function(v) class(v)[1], '')}}.",
                     "i" = "Text orders \"9\" after \"10\"; cast the column in a view, or use {.code as_msds(con)} (read into R, converted there)."),
                   call = call)
  }
  invisible()
}
