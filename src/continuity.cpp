// Glue for continuity.hpp: maps the integer columns (zero copy), calls the
// engine, returns the per-pregnancy, per-sequence results as a list.
#include <RcppEigen.h>
#include <matequity/continuity.hpp>

#include <cstring>
#include <limits>
#include <vector>

// The kernel's options from the R arguments.
static matequity::ContinuityOptions kernel_options(const Rcpp::IntegerVector& phases,
                                                   const Rcpp::IntegerVector& min_contacts,
                                                   bool missing_break, bool collapse_same_day) {
  if (min_contacts.size() != 6) Rcpp::stop("`min_contacts` must have 6 entries");
  matequity::ContinuityOptions opt;
  opt.missing = missing_break ? matequity::MissingCarer::brk
                              : matequity::MissingCarer::drop;
  opt.collapse_same_day = collapse_same_day;
  opt.min_upc = min_contacts[0];
  opt.min_coc = min_contacts[1];
  opt.min_hhi = min_contacts[2];
  opt.min_secon = min_contacts[3];
  opt.min_mmci = min_contacts[4];
  opt.min_share = min_contacts[5];
  opt.phases.assign(phases.begin(), phases.end());
  return opt;
}

// The kernel's results as an R list (usual carer 1-based, NaN as NA).
static Rcpp::List result_list(const matequity::ContinuityResult& r) {
  Rcpp::IntegerVector usual(r.usual.size());
  for (std::size_t i = 0; i < r.usual.size(); ++i)
    usual[i] = r.usual[i] < 0 ? NA_INTEGER : r.usual[i] + 1;
  auto dbl = [](const std::vector<double>& v) {
    Rcpp::NumericVector out(v.begin(), v.end());
    for (R_xlen_t i = 0; i < out.size(); ++i)
      if (std::isnan(out[i])) out[i] = NA_REAL;
    return out;
  };
  auto itg = [](const std::vector<int>& v) {
    return Rcpp::IntegerVector(v.begin(), v.end());
  };
  return Rcpp::List::create(
      Rcpp::_["n_contacts"] = itg(r.n), Rcpp::_["n_carers"] = itg(r.m),
      Rcpp::_["usual_carer"] = usual, Rcpp::_["n_named_midwife"] = itg(r.n_named_mw),
      Rcpp::_["n_named_team"] = itg(r.n_named_team),
      Rcpp::_["n_named_any"] = itg(r.n_named_any), Rcpp::_["upc"] = dbl(r.upc),
      Rcpp::_["coc"] = dbl(r.coc), Rcpp::_["hhi"] = dbl(r.hhi),
      Rcpp::_["secon"] = dbl(r.secon), Rcpp::_["mmci"] = dbl(r.mmci),
      Rcpp::_["named_midwife_share"] = dbl(r.share_mw),
      Rcpp::_["named_team_share"] = dbl(r.share_team),
      Rcpp::_["named_any_share"] = dbl(r.share_any));
}

// [[Rcpp::export(name = ".cpp_continuity", rng = false)]]
Rcpp::List cpp_continuity(const Eigen::Map<Eigen::VectorXi>& preg, const Eigen::Map<Eigen::VectorXi>& date,
                          const Eigen::Map<Eigen::VectorXi>& time, const Eigen::Map<Eigen::VectorXi>& contact,
                          const Eigen::Map<Eigen::VectorXi>& carer, const Eigen::Map<Eigen::VectorXi>& phase,
                          const Eigen::Map<Eigen::VectorXi>& named_mw, const Eigen::Map<Eigen::VectorXi>& named_team,
                          int n_preg, int n_carers,
                          const Rcpp::IntegerVector& phases,
                          const Rcpp::IntegerVector& min_contacts,
                          bool missing_break, bool collapse_same_day,
                          int nthreads) {
  const matequity::ContinuityOptions opt =
      kernel_options(phases, min_contacts, missing_break, collapse_same_day);
  const matequity::ContinuityResult r = matequity::continuity_indices(
      preg, date, time, contact, carer, phase, named_mw, named_team, n_preg,
      n_carers, opt, nthreads);
  return result_list(r);
}

// An R integer column as the engine's IntVec, read in place: `shift` is
// subtracted (1-based codes to 0-based) and, with na_max, a missing value
// reads as INT_MAX (sorting last).
namespace {
struct IntColumn {
  const int* p = nullptr;
  std::size_t n = 0;
  int shift = 0;
  bool na_max = false;
  std::size_t size() const { return n; }
  int operator[](std::size_t i) const {
    const int v = p[i];
    if (na_max && v == NA_INTEGER) return std::numeric_limits<int>::max();
    return v - shift;
  }
};
}  // namespace

// Contact codes (continuity.hpp, contact_order_codes()): ids compared in
// C-locale byte order, missing last. preg is 1-based, a missing time sorts
// last; contact i's id is id[at[i]] (1-based; all of id when at is empty).
// The strings' pointers are taken here, before the engine's threads start.
// [[Rcpp::export(name = ".cpp_contact_codes", rng = false)]]
Rcpp::IntegerVector cpp_contact_codes(const Rcpp::IntegerVector& preg,
                                      const Rcpp::IntegerVector& date,
                                      const Rcpp::IntegerVector& time,
                                      const Rcpp::CharacterVector& id,
                                      const Rcpp::IntegerVector& at, int n_preg,
                                      int nthreads) {
  const R_xlen_t n = preg.size();
  if (date.size() != n || time.size() != n) Rcpp::stop("contact columns differ in length");
  const bool all = at.size() == 0;
  if (all ? id.size() != n : at.size() != n)
    Rcpp::stop("`id` must have one entry per contact");
  std::vector<const char*> s(n);
  for (R_xlen_t i = 0; i < n; ++i) {
    R_xlen_t j = i;
    if (!all) {
      if (at[i] == NA_INTEGER || at[i] < 1 || at[i] > id.size()) Rcpp::stop("`at` out of range");
      j = at[i] - 1;
    }
    SEXP el = STRING_ELT(id, j);
    s[i] = el == NA_STRING ? nullptr : CHAR(el);
  }
  for (R_xlen_t i = 0; i < n; ++i)
    if (preg[i] == NA_INTEGER) Rcpp::stop("`preg` is missing at contact %d", static_cast<int>(i + 1));
  auto less = [&s](std::size_t i, std::size_t j) {
    const char* a = s[i];
    const char* b = s[j];
    if (a == b) return false;
    if (!a) return false;  // missing last
    if (!b) return true;
    return std::strcmp(a, b) < 0;
  };
  const std::size_t un = static_cast<std::size_t>(n);
  const IntColumn pg{preg.begin(), un, 1, false}, dt{date.begin(), un, 0, false},
      tm{time.begin(), un, 0, true};
  const std::vector<int> code = matequity::contact_order_codes(pg, dt, tm, n_preg, less, nthreads);
  return Rcpp::IntegerVector(code.begin(), code.end());
}

// A string may be compared by its cache pointer when it carries no encoding
// mark (ASCII and native strings): equal text then shares one pointer.
static bool plain_string(const void* k) {
  SEXP el = static_cast<SEXP>(const_cast<void*>(k));
  return el == NA_STRING || Rf_getCharCE(el) == CE_NATIVE;
}

// match(x, table) for character vectors through continuity.hpp's
// match_keys() on the strings' cache pointers, with whether `table` repeats
// a value. NULL when a string is marked with an encoding; the caller then
// uses match().
static bool match_strings_into(const Rcpp::CharacterVector& x, const Rcpp::CharacterVector& table,
                               int* index, bool& table_unique) {
  const SEXP* px = STRING_PTR_RO(x);
  const SEXP* pt = STRING_PTR_RO(table);
  return matequity::match_keys_into(
      static_cast<std::size_t>(x.size()),
      [px](std::size_t i) { return static_cast<const void*>(px[i]); },
      static_cast<std::size_t>(table.size()),
      [pt](std::size_t i) { return static_cast<const void*>(pt[i]); }, plain_string, index,
      NA_INTEGER, table_unique);
}

// [[Rcpp::export(name = ".cpp_match_strings", rng = false)]]
SEXP cpp_match_strings(const Rcpp::CharacterVector& x, const Rcpp::CharacterVector& table) {
  Rcpp::IntegerVector index(Rcpp::no_init(x.size()));
  bool table_unique = true;
  if (!match_strings_into(x, table, index.begin(), table_unique)) return R_NilValue;
  return Rcpp::List::create(Rcpp::_["index"] = index,
                            Rcpp::_["table_unique"] = table_unique);
}

// x %in% table for character vectors (match_keys() as above), as a logical
// vector, or as 0/1 integers when as_int; NULL as .cpp_match_strings().
// The positions are written into the result and turned into 0/1 in place.
// [[Rcpp::export(name = ".cpp_in_strings", rng = false)]]
SEXP cpp_in_strings(const Rcpp::CharacterVector& x, const Rcpp::CharacterVector& table,
                    bool as_int) {
  const R_xlen_t n = x.size();
  SEXP out = PROTECT(Rf_allocVector(as_int ? INTSXP : LGLSXP, n));
  int* po = as_int ? INTEGER(out) : LOGICAL(out);
  bool table_unique = true;
  if (!match_strings_into(x, table, po, table_unique)) {
    UNPROTECT(1);
    return R_NilValue;
  }
  for (R_xlen_t i = 0; i < n; ++i) po[i] = po[i] != NA_INTEGER;
  UNPROTECT(1);
  return out;
}

// Dense codes in order of first appearance (continuity.hpp,
// first_codes_into(), written into the R vector): list(code, first), code
// NA for a missing value, first the 1-based position of each code's first
// value. For a character vector, NULL when a string is marked with an
// encoding.
template <class At, class Key, class Plain>
static SEXP codes_list(std::size_t n, At at, Key missing, Plain plain) {
  Rcpp::IntegerVector code(Rcpp::no_init(static_cast<R_xlen_t>(n)));
  std::vector<int> first;
  if (!matequity::first_codes_into(n, at, missing, plain, code.begin(), NA_INTEGER, first))
    return R_NilValue;
  Rcpp::IntegerVector first1(first.size());
  for (std::size_t j = 0; j < first.size(); ++j) first1[j] = first[j] + 1;
  return Rcpp::List::create(Rcpp::_["code"] = code, Rcpp::_["first"] = first1);
}

// [[Rcpp::export(name = ".cpp_string_codes", rng = false)]]
SEXP cpp_string_codes(const Rcpp::CharacterVector& x) {
  const SEXP* px = STRING_PTR_RO(x);
  return codes_list(
      static_cast<std::size_t>(x.size()),
      [px](std::size_t i) { return static_cast<const void*>(px[i]); },
      static_cast<const void*>(NA_STRING), plain_string);
}

// As .cpp_string_codes() on x[at] (at 1-based, every value in range),
// without making x[at]: first indexes at.
// [[Rcpp::export(name = ".cpp_string_codes_at", rng = false)]]
SEXP cpp_string_codes_at(const Rcpp::CharacterVector& x, const Rcpp::IntegerVector& at) {
  const SEXP* px = STRING_PTR_RO(x);
  const int* pa = at.begin();
  const R_xlen_t n = x.size();
  for (R_xlen_t i = 0; i < at.size(); ++i) {
    if (pa[i] == NA_INTEGER || pa[i] < 1 || pa[i] > n) Rcpp::stop("string_codes(): index out of range");
  }
  return codes_list(
      static_cast<std::size_t>(at.size()),
      [px, pa](std::size_t i) { return static_cast<const void*>(px[pa[i] - 1]); },
      static_cast<const void*>(NA_STRING), plain_string);
}

// [[Rcpp::export(name = ".cpp_int_codes", rng = false)]]
SEXP cpp_int_codes(const Rcpp::IntegerVector& x) {
  const int* px = x.begin();
  return codes_list(
      static_cast<std::size_t>(x.size()), [px](std::size_t i) { return px[i]; }, NA_INTEGER,
      [](int) { return true; });
}

// Element-wise comparison of x[k] with table[at[k]] (at 1-based, NA allowed)
// on R's string cache pointers: 1 equal, 0 different, NA when either is
// missing. A pair with one pointer is equal; the strings of a pair with two
// are checked for encoding marks. NULL when a string is marked (then equal
// text need not share a pointer; the caller compares in R).
// [[Rcpp::export(name = ".cpp_equal_at", rng = false)]]
SEXP cpp_equal_at(const Rcpp::CharacterVector& x, const Rcpp::CharacterVector& table,
                  const Rcpp::IntegerVector& at) {
  const R_xlen_t n = x.size();
  if (at.size() != n) Rcpp::stop("`at` must have one entry per element of `x`");
  const SEXP* px = STRING_PTR_RO(x);
  const SEXP* pt = STRING_PTR_RO(table);
  for (R_xlen_t i = 0; i < table.size(); ++i)
    if (!plain_string(pt[i])) return R_NilValue;
  Rcpp::LogicalVector out(n);
  int* po = out.begin();
  const int* pa = at.begin();
  const R_xlen_t nt = table.size();
  for (R_xlen_t i = 0; i < n; ++i) {
    SEXP a = px[i];
    const int k = pa[i];
    if (k == NA_INTEGER || k < 1 || k > nt) {
      if (!plain_string(a)) return R_NilValue;
      po[i] = NA_LOGICAL;
      continue;
    }
    SEXP b = pt[k - 1];
    if (a == b) {
      po[i] = a == NA_STRING ? NA_LOGICAL : 1;
      continue;
    }
    if (!plain_string(a)) return R_NilValue;
    po[i] = (a == NA_STRING || b == NA_STRING) ? NA_LOGICAL : 0;
  }
  return out;
}

// continuity.hpp's named_flags(): the named-midwife and named-team flags of
// activity rows from integer codes (NA for missing; preg 1-based).
// [[Rcpp::export(name = ".cpp_named_flags", rng = false)]]
Rcpp::List cpp_named_flags(const Eigen::Map<Eigen::VectorXi>& prof,
                           const Eigen::Map<Eigen::VectorXi>& team,
                           const Eigen::Map<Eigen::VectorXi>& prov,
                           const Eigen::Map<Eigen::VectorXi>& preg,
                           const Eigen::Map<Eigen::VectorXi>& named_mw,
                           const Eigen::Map<Eigen::VectorXi>& named_team,
                           const Eigen::Map<Eigen::VectorXi>& named_prov,
                           const Eigen::Map<Eigen::VectorXi>& named_prov_given) {
  std::vector<int> mw, tm;
  matequity::named_flags(prof, team, prov, preg, named_mw, named_team, named_prov,
                         named_prov_given, NA_INTEGER, 1, mw, tm);
  return Rcpp::List::create(Rcpp::_["mw"] = Rcpp::IntegerVector(mw.begin(), mw.end()),
                            Rcpp::_["tm"] = Rcpp::IntegerVector(tm.begin(), tm.end()));
}

// continuity.hpp's named_any_into(): whether each row is by its pregnancy's
// named midwife or team (at the plan's provider), as a logical vector.
// [[Rcpp::export(name = ".cpp_named_any", rng = false)]]
SEXP cpp_named_any(const Eigen::Map<Eigen::VectorXi>& prof, const Eigen::Map<Eigen::VectorXi>& team,
                   const Eigen::Map<Eigen::VectorXi>& prov, const Eigen::Map<Eigen::VectorXi>& preg,
                   const Eigen::Map<Eigen::VectorXi>& named_mw,
                   const Eigen::Map<Eigen::VectorXi>& named_team,
                   const Eigen::Map<Eigen::VectorXi>& named_prov,
                   const Eigen::Map<Eigen::VectorXi>& named_prov_given) {
  Rcpp::LogicalVector out(Rcpp::no_init(prof.size()));
  matequity::named_any_into(prof, team, prov, preg, named_mw, named_team, named_prov,
                            named_prov_given, NA_INTEGER, 1, out.begin());
  return out;
}

// continuity.hpp's coc_window_counts(): COC_receiving_ongoing's contacts and
// named contacts per pregnancy.
// [[Rcpp::export(name = ".cpp_coc_window_counts", rng = false)]]
Rcpp::List cpp_coc_window_counts(const Eigen::Map<Eigen::VectorXi>& preg,
                                 const Eigen::Map<Eigen::VectorXd>& date,
                                 const Eigen::Map<Eigen::VectorXi>& attended,
                                 const Eigen::Map<Eigen::VectorXi>& key, int n_keys,
                                 const Eigen::Map<Eigen::VectorXi>& contact,
                                 const Eigen::Map<Eigen::VectorXi>& prof,
                                 const Eigen::Map<Eigen::VectorXi>& team,
                                 const Eigen::Map<Eigen::VectorXi>& midwife,
                                 const Eigen::Map<Eigen::VectorXd>& start,
                                 const Eigen::Map<Eigen::VectorXd>& end,
                                 const Eigen::Map<Eigen::VectorXi>& named_mw,
                                 const Eigen::Map<Eigen::VectorXi>& named_team) {
  std::vector<int> n, hit;
  matequity::coc_window_counts(preg, date, attended, key, n_keys, contact, prof, team, midwife,
                               start, end, named_mw, named_team, NA_INTEGER, n, hit);
  return Rcpp::List::create(Rcpp::_["n"] = Rcpp::IntegerVector(n.begin(), n.end()),
                            Rcpp::_["hit"] = Rcpp::IntegerVector(hit.begin(), hit.end()));
}

// continuity.hpp's recorded_triples(): which asked (provider, professional,
// team) triples MSD202's coded rows record.
// [[Rcpp::export(name = ".cpp_recorded_triples", rng = false)]]
Rcpp::LogicalVector cpp_recorded_triples(const Eigen::Map<Eigen::VectorXi>& asked_prov,
                                         const Eigen::Map<Eigen::VectorXi>& asked_prof,
                                         const Eigen::Map<Eigen::VectorXi>& asked_team,
                                         int n_prof, int n_team,
                                         const Eigen::Map<Eigen::VectorXi>& contact,
                                         const Eigen::Map<Eigen::VectorXi>& prof,
                                         const Eigen::Map<Eigen::VectorXi>& team,
                                         const Eigen::Map<Eigen::VectorXi>& contact_prov,
                                         const Eigen::Map<Eigen::VectorXi>& on_prov,
                                         const Eigen::Map<Eigen::VectorXi>& on_prof,
                                         const Eigen::Map<Eigen::VectorXi>& on_team,
                                         int missing_prov) {
  const std::vector<int> seen = matequity::recorded_triples(
      asked_prov, asked_prof, asked_team, n_prof, n_team, contact, prof, team, contact_prov,
      on_prov, on_prof, on_team, missing_prov, NA_INTEGER);
  return Rcpp::LogicalVector(seen.begin(), seen.end());
}

// continuity.hpp's screen_contacts_into(): the kept antenatal and
// postnatal contacts (rows, pregnancies, dates, phases), the rows without a
// pregnancy and the exclusion counts, written straight into R vectors.
// [[Rcpp::export(name = ".cpp_screen_contacts", rng = false)]]
Rcpp::List cpp_screen_contacts(const Eigen::Map<Eigen::VectorXi>& preg,
                               const Eigen::Map<Eigen::VectorXd>& date,
                               const Eigen::Map<Eigen::VectorXd>& booking,
                               const Eigen::Map<Eigen::VectorXd>& discharge,
                               const Eigen::Map<Eigen::VectorXd>& birth, int antenatal,
                               int postnatal) {
  Rcpp::IntegerVector pos, no_preg, kept, pg, dt, phase;
  auto alloc = [&](std::size_t n, std::size_t n_no_preg, std::size_t n_kept) {
    auto make = [](std::size_t m) { return Rcpp::IntegerVector(Rcpp::no_init(static_cast<R_xlen_t>(m))); };
    pos = make(n);
    no_preg = make(n_no_preg);
    kept = make(n_kept);
    pg = make(n_kept);
    dt = make(n_kept);
    phase = make(n_kept);
    return matequity::ContactScreenOut{pos.begin(), no_preg.begin(), kept.begin(),
                                       pg.begin(),  dt.begin(),      phase.begin()};
  };
  const matequity::ContactScreenCounts r = matequity::screen_contacts_into(
      preg, date, booking, discharge, birth, NA_INTEGER, NA_INTEGER, antenatal, postnatal, alloc);
  return Rcpp::List::create(
      Rcpp::_["pos"] = pos, Rcpp::_["no_preg"] = no_preg, Rcpp::_["kept"] = kept,
      Rcpp::_["preg"] = pg, Rcpp::_["date"] = dt, Rcpp::_["phase"] = phase,
      Rcpp::_["no_date"] = static_cast<double>(r.no_date), Rcpp::_["early"] = static_cast<double>(r.early),
      Rcpp::_["late"] = static_cast<double>(r.late),
      Rcpp::_["birth_day"] = static_cast<double>(r.birth_day));
}

// An R integer vector (a named element of a list) as the engine's IntVec,
// without a copy.
namespace {
struct IntView {
  const int* p = nullptr;
  std::size_t n = 0;
  std::size_t size() const { return n; }
  int operator[](std::size_t i) const { return p[i]; }
};

IntView int_view(SEXP x, const char* what) {
  if (TYPEOF(x) != INTSXP) Rcpp::stop("`%s` must be an integer vector", what);
  return IntView{INTEGER(x), static_cast<std::size_t>(Rf_xlength(x))};
}

IntView int_view(const Rcpp::List& l, const char* name) {
  if (!l.containsElementNamed(name)) Rcpp::stop("`%s` is missing", name);
  return int_view(static_cast<SEXP>(l[name]), name);
}
}  // namespace

// continuity.hpp's activity_pairs(): the (provider, professional) pairs of
// block A's rows, for their staff status, and the kept contacts with no
// activity; with rows, each row's kept contact, activity and pair.
// [[Rcpp::export(name = ".cpp_activity_pairs", rng = false)]]
Rcpp::List cpp_activity_pairs(SEXP cc_pos, SEXP kept_row, SEXP cc_prov, SEXP a_contact,
                              SEXP a_prof, bool rows) {
  const matequity::ActivityPairs r = matequity::activity_pairs(
      int_view(cc_pos, "cc_pos"), int_view(kept_row, "kept_row"), int_view(cc_prov, "cc_prov"),
      int_view(a_contact, "a_contact"), int_view(a_prof, "a_prof"), NA_INTEGER, rows);
  auto itg = [](const std::vector<int>& v) { return Rcpp::IntegerVector(v.begin(), v.end()); };
  Rcpp::List out = Rcpp::List::create(Rcpp::_["prov"] = itg(r.prov), Rcpp::_["prof"] = itg(r.prof),
                                      Rcpp::_["n_none"] = static_cast<double>(r.n_none));
  if (rows) {
    out.push_back(itg(r.row_contact), "row_contact");
    out.push_back(itg(r.row_activity), "row_activity");
    out.push_back(itg(r.row_pair), "row_pair");
  }
  return out;
}

// continuity.hpp's assemble_activity_rows() and continuity_indices(): the
// indices from the two levels of activity rows (lists a, b, pairs, named
// with the columns ActivityBlocks names) without building the rows in R.
// Returns the kernel's results, carer_who (each carer code's professional
// or team code) and the exclusion counts.
// [[Rcpp::export(name = ".cpp_continuity_rows", rng = false)]]
Rcpp::List cpp_continuity_rows(const Rcpp::List& a, const Rcpp::List& b, const Rcpp::List& pairs,
                               const Rcpp::List& named, bool attended_only, bool midwifery_only,
                               bool carer_team, int other_staff, int unknown_staff, int n_codes,
                               const Rcpp::IntegerVector& phases,
                               const Rcpp::IntegerVector& min_contacts, bool missing_break,
                               bool collapse_same_day, int nthreads) {
  const matequity::ContinuityOptions kopt =
      kernel_options(phases, min_contacts, missing_break, collapse_same_day);
  const IntView cols[] = {
      int_view(a, "cc_pos"),       int_view(a, "kept_row"),   int_view(a, "preg"),
      int_view(a, "date"),         int_view(a, "time"),       int_view(a, "code"),
      int_view(a, "phase"),        int_view(a, "cc_prov"),    int_view(a, "cc_attended"),
      int_view(a, "contact"),      int_view(a, "prof"),       int_view(a, "team"),
      int_view(b, "preg"),         int_view(b, "date"),       int_view(b, "time"),
      int_view(b, "code"),         int_view(b, "phase"),      int_view(b, "prof"),
      int_view(b, "team"),         int_view(b, "prov"),       int_view(b, "staff"),
      int_view(pairs, "prov"),     int_view(pairs, "prof"),   int_view(pairs, "staff"),
      int_view(named, "mw"),       int_view(named, "team"),   int_view(named, "prov"),
      int_view(named, "prov_given")};
  const matequity::ActivityBlocks<IntView> x{
      &cols[0],  &cols[1],  &cols[2],  &cols[3],  &cols[4],  &cols[5],  &cols[6],
      &cols[7],  &cols[8],  &cols[9],  &cols[10], &cols[11], &cols[12], &cols[13],
      &cols[14], &cols[15], &cols[16], &cols[17], &cols[18], &cols[19], &cols[20],
      &cols[21], &cols[22], &cols[23], &cols[24], &cols[25], &cols[26], &cols[27]};
  matequity::RowOptions opt;
  opt.attended_only = attended_only;
  opt.midwifery_only = midwifery_only;
  opt.carer_team = carer_team;
  opt.other_staff = other_staff;
  opt.unknown_staff = unknown_staff;
  opt.n_codes = n_codes;
  opt.na = NA_INTEGER;
  matequity::AssembledRows rows = matequity::assemble_activity_rows(x, opt);
  const int n_carers = static_cast<int>(rows.carer_who.size());
  const matequity::ContinuityResult r = matequity::continuity_indices(
      rows.preg, rows.date, rows.time, rows.contact, rows.carer, rows.phase, rows.mw, rows.tm,
      static_cast<int>(x.named_mw->size()), n_carers, kopt, nthreads);
  Rcpp::List out = result_list(r);
  out.push_back(Rcpp::IntegerVector(rows.carer_who.begin(), rows.carer_who.end()), "carer_who");
  out.push_back(static_cast<double>(rows.preg.size()), "n_rows");
  out.push_back(static_cast<double>(rows.not_attended), "not_attended");
  out.push_back(static_cast<double>(rows.other_rows), "other_rows");
  out.push_back(static_cast<double>(rows.no_midwifery), "no_midwifery");
  out.push_back(static_cast<double>(rows.unknown_staff), "unknown_staff");
  out.push_back(static_cast<double>(rows.no_carer), "no_carer");
  return out;
}
