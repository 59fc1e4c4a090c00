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
# Returns list(keep = logical in input order, superseded = rows older than
# their key's latest, tied = rows tying the latest that are not kept).
latest_per_key <- function(key, order = list(), ties = c("first", "drop")) {
  ties <- match.arg(ties)
  n <- length(key)
  if (!n) return(list(keep = logical(), superseded = 0L, tied = 0L))
  if (is.factor(key)) key <- as.character(key)
  dk <- duplicated(key)
  if (!any(dk)) return(list(keep = rep(TRUE, n), superseded = 0L, tied = 0L))
  # hashing finds the repeated keys; only their rows are sorted
  m <- which(key %in% key[dk])
  ov <- lapply(unname(order), function(v) as.numeric(v)[m])
  o <- do.call(base::order, c(list(key[m]), ov,
                              list(decreasing = c(FALSE, rep(TRUE, length(ov))),
                                   na.last = TRUE, method = "radix")))
  ks <- key[m][o]
  nm <- length(m)
  first <- c(TRUE, !same_value(ks[-1L], ks[-nm]))
  top <- which(first)[cumsum(first)]  # position (in o) of each row's key's latest
  tie <- rep(TRUE, nm)
  for (v in ov) tie <- tie & same_value(v[o], v[o][top])
  keep <- rep(TRUE, n)
  if (ties == "first") {
    keep[m[o]] <- first
    return(list(keep = keep, superseded = sum(!tie), tied = sum(!first & tie)))
  }
  # a key's latest is ambiguous when a second row ties it; all its tied rows go
  amb_key <- rep(FALSE, nm)
  amb_key[top[tie & !first]] <- TRUE
  ambiguous <- tie & amb_key[top]
  keep[m[o]] <- first & !ambiguous
  list(keep = keep, superseded = sum(!tie), tied = sum(ambiguous))
}

# Ranks of a vector in C-locale (radix) order, missing values kept missing:
# an ordering vector for latest_per_key() from codes (`-` for the lowest).
radix_rank <- function(x) match(x, sort(unique(x[!is.na(x)]), method = "radix"))

# Element-wise equality with two missing values equal.
same_value <- function(a, b) (is.na(a) & is.na(b)) | (!is.na(a) & !is.na(b) & a == b)
