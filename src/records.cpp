// Glue for records.hpp: type conversion only.
#include <Rcpp.h>
#include <matequity/records.hpp>
#include <matequity/text.hpp>

namespace {

using matequity::records::Column;

// Can the engine hash this vector as stored? Integers, logicals and
// doubles, and text whose strings are all in the native encoding (then
// equal strings are one cached CHARSXP, as match() relies on too).
bool hashable(SEXP v) {
  switch (TYPEOF(v)) {
    case INTSXP:
    case LGLSXP:
    case REALSXP:
      return true;
    case STRSXP: {
      // each string is looked at (a read of its header, a cache miss per
      // string) only when not among the last ones seen at its place in a
      // small direct-mapped set: most columns repeat a few values
      matequity::RecentStrings<bool> seen;
      const SEXP* p = STRING_PTR_RO(v);
      const R_xlen_t n = XLENGTH(v);
      bool known = true;
      for (R_xlen_t i = 0; i < n; ++i) {
        SEXP c = p[i];
        if (c == NA_STRING || seen.find(c, known)) continue;
        if (Rf_getCharCE(c) != CE_NATIVE) return false;
        seen.put(c, true);
      }
      return true;
    }
    default:
      return false;
  }
}

// A string the engine may compare by identity: in the native encoding.
bool native_string(const void* p) {
  return Rf_getCharCE(static_cast<SEXP>(const_cast<void*>(p))) == CE_NATIVE;
}

std::vector<Column> columns(const Rcpp::List& cols, R_xlen_t n, const char* what) {
  std::vector<Column> out;
  for (R_xlen_t j = 0; j < cols.size(); ++j) {
    SEXP v = cols[j];
    if (XLENGTH(v) != n) {
      Rcpp::stop("%s: column %d has %d values, not %d", what, static_cast<int>(j + 1),
                 static_cast<int>(XLENGTH(v)), static_cast<int>(n));
    }
    Column c;
    switch (TYPEOF(v)) {
      case INTSXP: c.kind = Column::kInt; c.data = INTEGER(v); break;
      case LGLSXP: c.kind = Column::kInt; c.data = LOGICAL(v); break;
      case REALSXP: c.kind = Column::kReal; c.data = REAL(v); break;
      case STRSXP:
        c.kind = Column::kPtr;
        c.data = static_cast<const void*>(STRING_PTR_RO(v));
        c.na = static_cast<const void*>(NA_STRING);
        c.plain = &native_string;
        break;
      default:
        Rcpp::stop("%s: column %d is of a type the engine cannot hash", what, static_cast<int>(j + 1));
    }
    out.push_back(c);
  }
  return out;
}

R_xlen_t n_rows(const Rcpp::List& cols) {
  if (!cols.size()) Rcpp::stop("no columns");
  return XLENGTH(VECTOR_ELT(cols, 0));
}

std::vector<int> zero_based(const Rcpp::Nullable<Rcpp::IntegerVector>& rows) {
  std::vector<int> out;
  if (rows.isNull()) return out;
  Rcpp::IntegerVector r(rows.get());
  out.resize(r.size());
  for (R_xlen_t i = 0; i < r.size(); ++i) {
    if (r[i] == NA_INTEGER || r[i] < 1) Rcpp::stop("rows must be positive row numbers");
    out[i] = r[i] - 1;
  }
  return out;
}

Rcpp::LogicalVector to_logical(const std::vector<unsigned char>& x) {
  Rcpp::LogicalVector out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = x[i] ? TRUE : FALSE;
  return out;
}

}  // namespace

// [[Rcpp::export(name = ".cpp_latest_per_key", rng = false)]]
Rcpp::List cpp_latest_per_key(const Rcpp::IntegerVector& key, int n_codes, const Rcpp::List& order,
                              bool drop_ties) {
  const R_xlen_t n = key.size();
  std::vector<matequity::records::OrderColumn> oc;
  for (R_xlen_t j = 0; j < order.size(); ++j) {
    SEXP v = order[j];
    if (XLENGTH(v) != n) Rcpp::stop("ordering vector %d has the wrong length", static_cast<int>(j + 1));
    matequity::records::OrderColumn c;
    if (TYPEOF(v) == REALSXP) {
      c.d = REAL(v);
    } else if (TYPEOF(v) == INTSXP) {
      c.i = INTEGER(v);
    } else {
      Rcpp::stop("ordering vector %d must be integer or double", static_cast<int>(j + 1));
    }
    oc.push_back(c);
  }
  const matequity::records::Latest r =
      matequity::records::latest_per_key(INTEGER(key), static_cast<std::size_t>(n), n_codes, oc, drop_ties);
  return Rcpp::List::create(Rcpp::Named("keep") = to_logical(r.keep),
                            Rcpp::Named("superseded") = static_cast<double>(r.superseded),
                            Rcpp::Named("tied") = static_cast<double>(r.tied));
}

// [[Rcpp::export(name = ".cpp_hashable", rng = false)]]
Rcpp::LogicalVector cpp_hashable(const Rcpp::List& cols) {
  Rcpp::LogicalVector out(cols.size());
  for (R_xlen_t j = 0; j < cols.size(); ++j) out[j] = hashable(cols[j]);
  return out;
}

// The row hashes below return NULL when they meet a string that is not in
// the native encoding (records.hpp's NotPlain): the caller codes the
// columns and asks again.

// [[Rcpp::export(name = ".cpp_row_codes", rng = false)]]
SEXP cpp_row_codes(const Rcpp::List& cols, Rcpp::Nullable<Rcpp::IntegerVector> rows = R_NilValue) {
  const R_xlen_t n = n_rows(cols);
  const std::vector<int> r = zero_based(rows);
  try {
    const std::vector<int> c = matequity::records::row_codes(
        columns(cols, n, "row_codes"), static_cast<std::size_t>(n), rows.isNull() ? nullptr : r.data(), r.size());
    return Rcpp::IntegerVector(c.begin(), c.end());
  } catch (const matequity::records::NotPlain&) {
    return R_NilValue;
  }
}

// [[Rcpp::export(name = ".cpp_duplicated_rows", rng = false)]]
SEXP cpp_duplicated_rows(const Rcpp::List& cols, Rcpp::Nullable<Rcpp::IntegerVector> rows = R_NilValue) {
  const R_xlen_t n = n_rows(cols);
  const std::vector<int> r = zero_based(rows);
  try {
    return to_logical(matequity::records::duplicated_rows(
        columns(cols, n, "duplicated_rows"), static_cast<std::size_t>(n), rows.isNull() ? nullptr : r.data(), r.size()));
  } catch (const matequity::records::NotPlain&) {
    return R_NilValue;
  }
}

// [[Rcpp::export(name = ".cpp_place_rows", rng = false)]]
SEXP cpp_place_rows(const Rcpp::List& parent, const Rcpp::LogicalVector& parent_kept,
                    const Rcpp::List& child) {
  const R_xlen_t np = n_rows(parent);
  const R_xlen_t nc = n_rows(child);
  if (parent_kept.size() != np) Rcpp::stop("place_rows: `parent_kept` has the wrong length");
  std::vector<unsigned char> kept(static_cast<std::size_t>(np));
  for (R_xlen_t i = 0; i < np; ++i) kept[i] = parent_kept[i] == TRUE;
  try {
    const std::vector<long long> m = matequity::records::place_rows(
        columns(parent, np, "place_rows (parent)"), static_cast<std::size_t>(np), kept.data(),
        columns(child, nc, "place_rows (child)"), static_cast<std::size_t>(nc));
    Rcpp::IntegerVector out(m.size());
    for (std::size_t i = 0; i < m.size(); ++i) out[i] = m[i] < 0 ? NA_INTEGER : static_cast<int>(m[i] + 1);
    return out;
  } catch (const matequity::records::NotPlain&) {
    return R_NilValue;
  }
}

// records.hpp's place_in_parent(): `parent` and `child` are lists of
// passes, each a list of columns. Returns list(keep: the rows placed in a
// retained submission or in none, superseded: the number placed in a
// superseded one).
// [[Rcpp::export(name = ".cpp_place_in_parent", rng = false)]]
SEXP cpp_place_in_parent(const Rcpp::List& parent, const Rcpp::LogicalVector& parent_kept,
                         const Rcpp::List& child) {
  if (parent.size() != child.size() || !parent.size()) Rcpp::stop("place_in_parent: parent and child need the same passes");
  const R_xlen_t np = n_rows(parent[0]);
  const R_xlen_t nc = n_rows(child[0]);
  if (parent_kept.size() != np) Rcpp::stop("place_in_parent: `parent_kept` has the wrong length");
  std::vector<unsigned char> kept(static_cast<std::size_t>(np));
  for (R_xlen_t i = 0; i < np; ++i) kept[i] = parent_kept[i] == TRUE;
  std::vector<std::vector<Column>> pk, ck;
  for (R_xlen_t p = 0; p < parent.size(); ++p) {
    pk.push_back(columns(parent[p], np, "place_in_parent (parent)"));
    ck.push_back(columns(child[p], nc, "place_in_parent (child)"));
  }
  try {
    const std::vector<signed char> st = matequity::records::place_in_parent(
        pk, static_cast<std::size_t>(np), kept.data(), ck, static_cast<std::size_t>(nc));
    Rcpp::LogicalVector keep(st.size());
    double superseded = 0;
    for (std::size_t i = 0; i < st.size(); ++i) {
      keep[i] = st[i] != 0;
      superseded += st[i] == 0;
    }
    return Rcpp::List::create(Rcpp::Named("keep") = keep, Rcpp::Named("superseded") = superseded);
  } catch (const matequity::records::NotPlain&) {
    return R_NilValue;
  } catch (const std::exception& e) {
    Rcpp::stop(e.what());
  }
}

// records.hpp's orphan_rows(), 1-based.
// [[Rcpp::export(name = ".cpp_orphan_rows", rng = false)]]
SEXP cpp_orphan_rows(const Rcpp::List& parent, const Rcpp::List& child) {
  const R_xlen_t np = n_rows(parent);
  const R_xlen_t nc = n_rows(child);
  try {
    const std::vector<std::size_t> o = matequity::records::orphan_rows(
        columns(parent, np, "orphan_rows (parent)"), static_cast<std::size_t>(np),
        columns(child, nc, "orphan_rows (child)"), static_cast<std::size_t>(nc));
    Rcpp::IntegerVector out(o.size());
    for (std::size_t i = 0; i < o.size(); ++i) out[i] = static_cast<int>(o[i] + 1);
    return out;
  } catch (const matequity::records::NotPlain&) {
    return R_NilValue;
  } catch (const std::exception& e) {
    Rcpp::stop(e.what());
  }
}

// [[Rcpp::export(name = ".cpp_all_whole", rng = false)]]
bool cpp_all_whole(SEXP x) {
  if (TYPEOF(x) == INTSXP || TYPEOF(x) == LGLSXP) return true;
  if (TYPEOF(x) != REALSXP) Rcpp::stop("all_whole: x must be numeric");
  return matequity::records::all_whole(REAL(x), static_cast<std::size_t>(XLENGTH(x)));
}

// The number of values that are not missing (sum(!is.na(x)) for a double or
// integer vector, such as a Date), without a logical vector as long as x.
// [[Rcpp::export(name = ".cpp_n_present", rng = false)]]
double cpp_n_present(SEXP x) {
  const std::size_t n = static_cast<std::size_t>(XLENGTH(x));
  switch (TYPEOF(x)) {
    case REALSXP: return static_cast<double>(n - matequity::records::count_missing(REAL(x), n));
    case INTSXP: return static_cast<double>(n - matequity::records::count_missing(INTEGER(x), n));
    default: Rcpp::stop("n_present: x must be double or integer");
  }
}

// unique(x) of a character vector and, with want_index, match(x, unique(x)),
// by the strings' cached pointers: NULL when a distinct string is not in the
// native encoding (then equal text can be two pointers, and the caller uses
// unique() and match()).
// [[Rcpp::export(name = ".cpp_distinct_strings", rng = false)]]
SEXP cpp_distinct_strings(SEXP x, bool want_index) {
  if (TYPEOF(x) != STRSXP) Rcpp::stop("distinct_strings: x must be character");
  const R_xlen_t n = XLENGTH(x);
  Column c;
  c.kind = Column::kPtr;
  c.data = static_cast<const void*>(STRING_PTR_RO(x));
  c.na = static_cast<const void*>(NA_STRING);
  const matequity::records::Distinct d =
      matequity::records::distinct_values(c, static_cast<std::size_t>(n), want_index);
  for (std::size_t u = 0; u < d.first.size(); ++u) {
    SEXP s = STRING_ELT(x, static_cast<R_xlen_t>(d.first[u]));
    if (s != NA_STRING && Rf_getCharCE(s) != CE_NATIVE) return R_NilValue;
  }
  Rcpp::CharacterVector u(d.first.size());
  for (std::size_t k = 0; k < d.first.size(); ++k) {
    SET_STRING_ELT(u, static_cast<R_xlen_t>(k), STRING_ELT(x, static_cast<R_xlen_t>(d.first[k])));
  }
  if (!want_index) return Rcpp::List::create(Rcpp::Named("u") = u, Rcpp::Named("i") = R_NilValue);
  return Rcpp::List::create(Rcpp::Named("u") = u,
                            Rcpp::Named("i") = Rcpp::IntegerVector(d.code.begin(), d.code.end()));
}
