// Glue for groups.hpp: type conversion only.
#include <RcppEigen.h>
#include <matequity/groups.hpp>

// [[Rcpp::export(name = ".cpp_dense_codes", rng = false)]]
Rcpp::IntegerVector cpp_dense_codes(const Rcpp::IntegerVector& key) {
  const matequity::DenseCodes dc = matequity::dense_codes(key, NA_INTEGER);
  Rcpp::IntegerVector out(dc.codes.size());
  for (std::size_t i = 0; i < dc.codes.size(); ++i) {
    out[i] = dc.codes[i] < 0 ? NA_INTEGER : dc.codes[i] + 1;
  }
  return out;
}

// [[Rcpp::export(name = ".cpp_grouped_sums", rng = false)]]
Rcpp::NumericMatrix cpp_grouped_sums(const Eigen::Map<Eigen::MatrixXd>& X,
                                     const Rcpp::IntegerVector& group,
                                     int n_groups, int nthreads) {
  if (group.size() != X.rows()) {
    Rcpp::stop("`group` has %d entries but the matrix has %d rows",
               static_cast<int>(group.size()), static_cast<int>(X.rows()));
  }
  std::vector<int> code(group.size());
  for (R_xlen_t i = 0; i < group.size(); ++i) {
    code[i] = group[i] == NA_INTEGER ? -1 : group[i] - 1;
  }
  const matequity::GroupIndex gi = matequity::group_index(code, n_groups);
  const std::vector<double> s = matequity::grouped_sums(X, gi, nthreads);
  Rcpp::NumericMatrix out(n_groups, X.cols());
  for (int g = 0; g < n_groups; ++g)
    for (int j = 0; j < X.cols(); ++j) out(g, j) = s[static_cast<std::size_t>(g) * X.cols() + j];
  return out;
}

// [[Rcpp::export(name = ".cpp_has_openmp", rng = false)]]
bool cpp_has_openmp() { return matequity::has_openmp(); }

// groups.hpp's group_min(): the smallest non-missing value per group.
// [[Rcpp::export(name = ".cpp_group_min", rng = false)]]
Rcpp::NumericVector cpp_group_min(const Rcpp::NumericVector& x, const Rcpp::IntegerVector& g,
                                  int n_groups) {
  const std::vector<double> m = matequity::group_min(x, g, n_groups, NA_INTEGER);
  Rcpp::NumericVector out(m.size());
  for (std::size_t i = 0; i < m.size(); ++i) out[i] = std::isnan(m[i]) ? NA_REAL : m[i];
  return out;
}

// groups.hpp's group_any(): whether any row of each group 1..n_groups has x
// TRUE (and y TRUE when given); NA in x or y counts as not TRUE.
// [[Rcpp::export(name = ".cpp_group_any", rng = false)]]
Rcpp::LogicalVector cpp_group_any(const Rcpp::IntegerVector& g, int n_groups,
                                  const Rcpp::LogicalVector& x, SEXP y) {
  const R_xlen_t n = g.size();
  if (x.size() != n) Rcpp::stop("the groups have %d rows but the flags %d", static_cast<int>(n),
                                static_cast<int>(x.size()));
  if (n_groups < 0) Rcpp::stop("the number of groups is negative");
  Rcpp::LogicalVector out(n_groups);  // zeroed: FALSE
  int* o = LOGICAL(out);
  const int* px = LOGICAL(x);
  if (Rf_isNull(y)) {
    matequity::group_any(g, n_groups, NA_INTEGER,
                         [px](std::size_t i) { return px[i] != 0 && px[i] != NA_LOGICAL; }, o);
  } else {
    if (TYPEOF(y) != LGLSXP || XLENGTH(y) != n)
      Rcpp::stop("the second flags are not a logical vector of the groups' length");
    const int* py = LOGICAL(y);
    matequity::group_any(g, n_groups, NA_INTEGER,
                         [px, py](std::size_t i) {
                           return px[i] != 0 && px[i] != NA_LOGICAL && py[i] != 0 && py[i] != NA_LOGICAL;
                         }, o);
  }
  return out;
}

// known_true() / known_false(): x TRUE (any non-zero value) or FALSE, and
// not NA, for a logical x, in one allocation.
// [[Rcpp::export(name = ".cpp_known_logical", rng = false)]]
Rcpp::LogicalVector cpp_known_logical(const Rcpp::LogicalVector& x, bool value) {
  const R_xlen_t n = x.size();
  Rcpp::LogicalVector out(Rcpp::no_init(n));
  int* o = LOGICAL(out);
  const int* px = LOGICAL(x);
  if (value) {
    for (R_xlen_t i = 0; i < n; ++i) o[i] = px[i] != 0 && px[i] != NA_LOGICAL;
  } else {
    for (R_xlen_t i = 0; i < n; ++i) o[i] = px[i] == 0;
  }
  return out;
}

// groups.hpp's first_unmapped(): the codes of x that `map` leaves NA, over
// the rows i where sel[offset + i] == want, distinct, in order of first
// appearance.
// [[Rcpp::export(name = ".cpp_first_unmapped", rng = false)]]
Rcpp::IntegerVector cpp_first_unmapped(const Rcpp::IntegerVector& x, const Rcpp::LogicalVector& sel,
                                       int offset, bool want, const Rcpp::IntegerVector& map) {
  if (offset < 0 || static_cast<R_xlen_t>(offset) + x.size() > sel.size())
    Rcpp::stop("the selection does not cover the codes");
  struct Window {
    const int* p;
    R_xlen_t n;
    R_xlen_t size() const { return n; }
    int operator[](std::size_t i) const { return p[i]; }
  };
  const Window w{LOGICAL(sel) + offset, x.size()};
  try {
    const std::vector<int> u =
        matequity::first_unmapped(x, w, want ? 1 : 0, map, NA_INTEGER, NA_INTEGER);
    return Rcpp::IntegerVector(u.begin(), u.end());
  } catch (const std::exception& e) {
    Rcpp::stop(e.what());
  }
}
