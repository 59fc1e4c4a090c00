# Dense integer codes for grouping keys, in order of first appearance.
# The C++ engine works on these codes; R does the conversion once.
group_codes <- function(x) {
  if (is.factor(x)) x <- as.character(x)
  match(x, unique(x[!is.na(x)]))
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
