# A connection to the PostgreSQL server that `make test` starts for the run
# (tools/pg.sh exports MATEQUITY_PG_HOST, _PORT, _DB and _USER), closed when
# the calling test ends. Without a server the test skips, except under
# CI=true, where .ci/run's `make test` starts one and a missing server is a
# failure: the database path must not pass CI untested.
pg_test_connection <- function(env = parent.frame()) {
  needs_reference("DBI")
  # RPostgres loads lubridate, whose Sys.timezone() warns on machines
  # without timedatectl unless TZ is set; the tests use dates only
  if (!nzchar(Sys.getenv("TZ"))) withr::local_envvar(TZ = "UTC", .local_envir = env)
  needs_reference("RPostgres")
  ci <- identical(tolower(Sys.getenv("CI")), "true")
  give_up <- function(msg) {
    if (ci) stop(msg, " (CI=true: the PostgreSQL tests must run)", call. = FALSE)
    testthat::skip(msg)
  }
  host <- Sys.getenv("MATEQUITY_PG_HOST")
  if (!nzchar(host)) {
    give_up(paste("no PostgreSQL server: MATEQUITY_PG_HOST is unset (`make test` starts one",
                  "with tools/pg.sh, as root or where initdb is installed)"))
  }
  con <- tryCatch(
    DBI::dbConnect(RPostgres::Postgres(), host = host,
                   port = as.integer(Sys.getenv("MATEQUITY_PG_PORT", "5432")),
                   dbname = Sys.getenv("MATEQUITY_PG_DB", "matequity_test"),
                   user = Sys.getenv("MATEQUITY_PG_USER", "postgres")),
    error = function(e) give_up(paste0("cannot connect to PostgreSQL at ", host, ": ",
                                       conditionMessage(e))))
  withr::defer(DBI::dbDisconnect(con), envir = env)
  con
}

# Writes a list of data frames to `con`, one table each, replacing any table
# of the same name (the server is a throwaway one, used by one run).
db_write_tables <- function(con, tables) {
  for (nm in names(tables)) {
    DBI::dbWriteTable(con, nm, as.data.frame(tables[[nm]]), overwrite = TRUE)
  }
  invisible(names(tables))
}

# Rows of a data frame in a canonical order (every column, C-locale), row
# names reset: for comparing tables whose row order a database chose.
sorted_rows <- function(df) {
  df <- as.data.frame(df)
  if (!nrow(df)) return(df)
  o <- do.call(order, c(unname(as.list(df)), list(method = "radix", na.last = TRUE)))
  df <- df[o, , drop = FALSE]
  rownames(df) <- NULL
  df
}

# A function returning (once built, then cached) a realistic simulated
# extract of `n` (default 3,000) pregnancies with monthly resubmissions, provisional and
# final submissions, as plain data frames. A database keeps a date's value,
# not R's storage mode: the simulator's integer-backed Dates become the
# double-backed ones a driver returns, on both paths (values unchanged).
db_test_extract <- function(seed, n = 3000) {
  ext <- NULL
  function() {
    if (is.null(ext)) {
      e <- unclass(simulate_msds(n, seed = seed, realism = sim_realism(validate = FALSE)))
      attributes(e) <- list(names = names(e))
      e <- lapply(e, function(df) {
        d <- vapply(df, function(v) inherits(v, "Date") && is.integer(unclass(v)), TRUE)
        df[d] <- lapply(df[d], function(v) structure(as.double(unclass(v)), class = "Date"))
        df
      })
      ext <<- e
    }
    ext
  }
}
