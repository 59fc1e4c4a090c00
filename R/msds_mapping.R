# Mapping a site's own table and field names to MSDS names (v2 or v1.5),
# from a list, a data frame or a CSV file, and the report of every schema
# table or field that was not found after mapping.

# A mapping as as_msds() applies it: NULL, a named character vector, or a
# list of them (with .tables). A data frame or the path of a CSV file with
# columns `table`, `field`, `local_field` and optionally `local_table`
# becomes that list (a row with an empty `field` maps a table name only).
read_mapping <- function(mapping, call = rlang::caller_env()) {
  if (is.null(mapping) || is.list(mapping) && !is.data.frame(mapping)) return(mapping)
  if (is.character(mapping) && length(mapping) == 1L && is.null(names(mapping))) {
    if (!file.exists(mapping)) {
      cli::cli_abort("{.arg mapping} file {.file {mapping}} does not exist.", call = call)
    }
    mapping <- utils::read.csv(mapping, colClasses = "character", na.strings = c("", "NA"),
                               strip.white = TRUE)
  }
  if (!is.data.frame(mapping)) return(mapping)
  need <- c("table", "field", "local_field")
  miss <- setdiff(need, names(mapping))
  if (length(miss)) {
    cli::cli_abort(c("{.arg mapping} table must have columns {.field {need}} (and optionally {.field local_table}).",
                     "x" = "Missing: {.field {miss}}."), call = call)
  }
  m <- lapply(mapping, function(v) { v <- trimws(as.character(v)); v[!nzchar(v)] <- NA; v })
  if (anyNA(m$table)) {
    cli::cli_abort("{.arg mapping} column {.field table} is empty in row{?s} {which(is.na(m$table))}.", call = call)
  }
  out <- list()
  if (!is.null(m$local_table)) {
    lt <- !is.na(m$local_table) & m$local_table != m$table & !duplicated(m$table)
    if (any(lt)) out$.tables <- stats::setNames(m$local_table[lt], m$table[lt])
  }
  fld <- !is.na(m$field) & !is.na(m$local_field)
  half <- xor(is.na(m$field), is.na(m$local_field))
  if (any(half)) {
    cli::cli_abort(c("{.arg mapping} rows need both {.field field} and {.field local_field} (or neither, to map a table name).",
                     "x" = "Row{?s} {which(half)}."), call = call)
  }
  for (tab in unique(m$table[fld])) {
    i <- fld & m$table == tab
    out[[tab]] <- stats::setNames(m$local_field[i], m$field[i])
  }
  out
}

# Every schema table or field (of the versions whose tables are present)
# missing from `tables` after mapping.
unmapped_fields <- function(tables) {
  rows <- list()
  for (ver in c("v2", "v1.5")) {
    spec <- if (ver == "v2") msds_tables else v15_tables
    if (!any(names(tables) %in% names(spec))) next
    for (tab in names(spec)) {
      s <- spec[[tab]]
      if (!tab %in% names(tables)) {
        rows[[length(rows) + 1L]] <- tibble::tibble(
          version = ver, table = tab, field = NA_character_,
          required = !isTRUE(s$optional_table), problem = "table not found")
        next
      }
      miss <- setdiff(names(s$columns), names(tables[[tab]]))
      if (length(miss)) {
        rows[[length(rows) + 1L]] <- tibble::tibble(
          version = ver, table = tab, field = miss,
          required = unname(vapply(s$columns[miss], `[[`, TRUE, "required")),
          problem = "field not found")
      }
    }
  }
  if (!length(rows)) {
    return(tibble::tibble(version = character(), table = character(), field = character(),
                          required = logical(), problem = character()))
  }
  do.call(rbind, rows)
}

report_unmapped <- function(u) {
  u <- u[order(!u$required), , drop = FALSE]
  lines <- sprintf("%s %s%s%s", u$version, u$table, ifelse(is.na(u$field), "", paste0("$", u$field)),
                   ifelse(u$required, " (required)", ""))
  k <- min(length(lines), 30L)
  cli::cli_inform(c("i" = "{nrow(u)} MSDS table{?s} or field{?s} not found after mapping (see {.fn msds_unmapped}):",
                    stats::setNames(gsub("([{}])", "\\1\\1", lines[seq_len(k)]), rep("*", k)),
                    if (length(lines) > k) c(" " = sprintf("... and %d more", length(lines) - k))),
                  class = "matequity_unmapped")
}

#' MSDS tables and fields not found when an `msds` object was built
#'
#' [as_msds()] maps a site's own names (argument `mapping`: a list, or a
#' CSV file or data frame with columns `table`, `field`, `local_field` and
#' optionally `local_table`), then records every table and field of
#' [msds_schema()] (and, for v1.5 tables, [msds_v15_schema()]) it could not
#' find. Required ones are also errors; optional ones are read as missing.
#'
#' @inheritParams msds_quality
#' @returns A tibble `version` (`"v2"` or `"v1.5"`), `table`, `field` (`NA`
#'   for a whole table), `required` and `problem`.
#' @examples
#' msds_unmapped(msds_example)
#' @param x Deprecated: use `data`.
#' @export
msds_unmapped <- function(data, x = NULL) {
  if (deprecated_arg(x, missing(data), "x", "data", "msds_unmapped")) data <- x
  check_msds(data)
  attr(data, "unmapped") %||% unmapped_fields(unclass(data))
}
