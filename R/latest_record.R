# The latest record per key: the package's one rule for picking, among rows
# of an MSDS table that share a key, the one that stands for the record
# (as_msds()'s resubmissions, define_cohort(), continuity(), the v1.5
# harmonisation).
#
# Within a key the rows are ordered by the ordering vectors in turn, each
# descending (the larger value is the later record): as_msds() orders by
# RPStartDate, UniqSubmissionID, RecordNumber; the other callers by
# RecordNumber alone. The larger RecordNumber therefore breaks ties of the
# earlier vectors. A missing ordering value sorts below every value: the row
# is the latest only when no row of its key has that value, and no row is
# ever dropped because its ordering value is missing (a key whose rows all
# lack it still keeps one). A missing key value is a key value like any
# other.
#
# Rows that tie with the latest on every ordering vector (the same record
# submitted twice) are `tied`: `ties = "first"` keeps the first of them in
# input order, `ties = "drop"` keeps none (continuity(): a contact recorded
# twice at one RecordNumber is ambiguous and excluded). Either way they are
# counted, never dropped silently.
#
# The ranking runs in the engine (records.hpp, latest_per_key()) on integer
# key codes, one pass per row. Returns list(keep = logical in input order,
# superseded = rows older than their key's latest, tied = rows tying the
# latest that are not kept).
latest_per_key <- function(key, order = list(), ties = c("first", "drop")) {
  ties <- match.arg(ties)
  n <- length(key)
  if (!n) return(list(keep = logical(), superseded = 0L, tied = 0L))
  r <- .cpp_latest_per_key(key_codes(key), n, lapply(unname(order), order_values),
                           ties == "drop")
  list(keep = r$keep, superseded = as.integer(r$superseded), tied = as.integer(r$tied))
}

# Integer codes 1..length(key) of a key vector (equal values, equal codes):
# the key itself when it already is such integers (the codes of
# combined_codes() and row_key()), else the engine's row codes of it.
key_codes <- function(key) {
  n <- length(key)
  if (is.integer(key) && !is.factor(key) && !anyNA(key)) {
    # min() and max(), not range(), which copies the key
    if (min(key) >= 1L && max(key) <= n) return(key)
  }
  combined_codes(list(key))
}

# An ordering vector as the engine reads it: integers or doubles, missing
# as NA (dates and times by their numbers as stored, other classes,
# logicals and text through as.numeric()).
order_values <- function(v) {
  if (inherits(v, c("Date", "POSIXct")) && (is.integer(v) || is.double(v))) return(v)
  if (is.object(v) || !(is.integer(v) || is.double(v))) v <- as.numeric(v)
  v
}

# Ranks of a vector in C-locale (radix) order, missing values kept missing:
# an ordering vector for latest_per_key() from codes (`-` for the lowest).
radix_rank <- function(x) match(x, sort(unique(x[!is.na(x)]), method = "radix"))

# Element-wise equality with two missing values equal.
same_value <- function(a, b) (is.na(a) & is.na(b)) | (!is.na(a) & !is.na(b) & a == b)
