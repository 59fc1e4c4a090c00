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
