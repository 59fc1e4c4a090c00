// Glue for text.hpp: loops over a character vector's strings.
#include <Rcpp.h>
#include <matequity/text.hpp>

// 1-based positions of the blank strings of x ("" or white space only;
// NA is not blank) and, separately, of the strings text.hpp cannot decide
// (white space mixed with non-ASCII bytes), for the caller to test with its
// regex.
// [[Rcpp::export(name = ".cpp_blank_positions", rng = false)]]
Rcpp::List cpp_blank_positions(const Rcpp::CharacterVector& x) {
  std::vector<double> blank, undecided;
  const R_xlen_t n = x.size();
  // a string seen lately is not read again (ids repeat down a column)
  matequity::RecentStrings<matequity::Blank> seen;
  const SEXP* p = STRING_PTR_RO(x);
  for (R_xlen_t i = 0; i < n; ++i) {
    SEXP s = p[i];
    if (s == NA_STRING) continue;
    matequity::Blank b;
    if (!seen.find(s, b)) {
      b = matequity::blank_class(CHAR(s));
      seen.put(s, b);
    }
    if (b == matequity::Blank::yes) blank.push_back(static_cast<double>(i + 1));
    if (b == matequity::Blank::undecided) undecided.push_back(static_cast<double>(i + 1));
  }
  return Rcpp::List::create(Rcpp::Named("blank") = Rcpp::wrap(blank),
                            Rcpp::Named("undecided") = Rcpp::wrap(undecided));
}
