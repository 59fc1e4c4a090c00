# Dense integer codes for grouping keys, in order of first appearance.
# The C++ engine works on these codes; R does the conversion once.
group_codes <- function(x) {
  if (is.factor(x)) x <- as.character(x)
  match(x, unique(x[!is.na(x)]))
}

# Whether any row of each group 1..n has x TRUE (and y TRUE when given):
# tabulate(g[x & y], n) > 0, in one pass without the subset and the counts.
# NA in x or y counts as not TRUE; NA codes, and codes outside 1..n, are
# skipped, as tabulate() skips them. Flags of another length than g (an
# absent field's logical(0), a scalar) select as a logical index does,
# recycled, through the subset itself.
group_any <- function(g, x, n, y = NULL) {
  if (length(x) != length(g) || (!is.null(y) && length(y) != length(g))) {
    sel <- if (is.null(y)) known_true(x) else known_true(x) & known_true(y)
    return(tabulate(g[sel], n) > 0L)
  }
  if (!is.logical(x)) x <- known_true(x)
  if (!is.null(y) && !is.logical(y)) y <- known_true(y)
  if (!is.integer(g)) g <- as.integer(g)
  .cpp_group_any(g, as.integer(n), x, y)
}

# Column sums of a numeric matrix within groups (codes 1..G, NA left out);
# the same bits for any thread count.
grouped_sums <- function(X, group, n_groups = max(0L, group, na.rm = TRUE),
                         nthreads = matequity_threads()) {
  X <- as.matrix(X)
  storage.mode(X) <- "double"
  .cpp_grouped_sums(X, as.integer(group), as.integer(n_groups),
                    resolve_threads(nthreads))
}
