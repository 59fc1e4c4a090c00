// Glue for simulate.hpp: type conversion only.
#include <Rcpp.h>
#include <matequity/simulate.hpp>

#include <climits>
#include <string>

namespace {

// The data of an integer vector of length n. Missing values are refused
// everywhere, or, with `where`, only in rows where `where` is non-zero (a
// birth date for births, a join date on a pathway).
const int* int_ptr(const Rcpp::IntegerVector& x, R_xlen_t n, const char* name,
                   const Rcpp::IntegerVector* where = nullptr) {
  if (x.size() != n) Rcpp::stop("`%s` must have %d entries", name, static_cast<int>(n));
  for (R_xlen_t i = 0; i < n; ++i) {
    if (x[i] == NA_INTEGER && (where == nullptr || (*where)[i]))
      Rcpp::stop("`%s` has a missing value at %d", name, static_cast<int>(i + 1));
  }
  return x.begin();
}

}  // namespace

// Contacts (MSD201) and activities (MSD202) of every pregnancy; 1-based codes,
// dates as days since 1970-01-01 (doubles), missing staff as NA.
// [[Rcpp::export(name = ".cpp_sim_contacts", rng = false)]]
Rcpp::List cpp_sim_contacts(const Rcpp::IntegerVector& booking,
                            const Rcpp::IntegerVector& booking_gest,
                            const Rcpp::IntegerVector& born, const Rcpp::IntegerVector& birth,
                            const Rcpp::IntegerVector& discharge,
                            const Rcpp::IntegerVector& nullip, const Rcpp::IntegerVector& ltc,
                            const Rcpp::IntegerVector& path,
                            const Rcpp::IntegerVector& join_date,
                            const Rcpp::IntegerVector& unit, const Rcpp::IntegerVector& team,
                            const Rcpp::IntegerVector& named, int n_units, int n_teams,
                            int mw_per_team, int n_obs, int n_sup, double unattended,
                            double carer_missing, double seed_hi, double seed_lo,
                            int nthreads) {
  const R_xlen_t n = booking.size();
  matequity::ContactInputs in;
  in.n = static_cast<std::size_t>(n);
  in.booking = int_ptr(booking, n, "booking");
  in.booking_gest = int_ptr(booking_gest, n, "booking_gest");
  in.born = int_ptr(born, n, "born");
  in.birth = int_ptr(birth, n, "birth", &born);
  in.discharge = int_ptr(discharge, n, "discharge");
  in.nullip = int_ptr(nullip, n, "nullip");
  in.ltc = int_ptr(ltc, n, "ltc");
  in.path = int_ptr(path, n, "path");
  in.join_date = int_ptr(join_date, n, "join_date", &path);
  in.unit = int_ptr(unit, n, "unit");
  in.team = int_ptr(team, n, "team");
  in.named = int_ptr(named, n, "named");
  matequity::ContactParams pr;
  pr.n_units = n_units;
  pr.n_teams = n_teams;
  pr.mw_per_team = mw_per_team;
  pr.n_obs = n_obs;
  pr.n_sup = n_sup;
  pr.unattended = unattended;
  pr.carer_missing = carer_missing;
  const std::uint64_t seed = (static_cast<std::uint64_t>(seed_hi) << 32) |
                             static_cast<std::uint64_t>(seed_lo);
  std::vector<matequity::ContactTable> blocks;
  try {
    blocks = matequity::simulate_contact_blocks(in, pr, seed, nthreads);
  } catch (const std::exception& e) {
    Rcpp::stop(e.what());
  }
  std::size_t nc = 0, na = 0;
  for (const auto& b : blocks) {
    nc += b.size();
    na += b.n_activities();
  }
  if (nc > static_cast<std::size_t>(INT_MAX) || na > static_cast<std::size_t>(INT_MAX))
    Rcpp::stop("too many contacts for R integer indices");
  Rcpp::IntegerVector preg(nc), gest(nc), slot(nc), kind(nc), attend(nc), medium(nc),
      cunit(nc), cteam(nc), act_con(na), act_staff(na), act_team(na);
  Rcpp::NumericVector date(nc);
  std::size_t c0 = 0, a0 = 0;
  for (auto& b : blocks) {
    for (std::size_t k = 0; k < b.size(); ++k) {
      const std::size_t r = c0 + k;
      preg[r] = b.preg[k] + 1;
      date[r] = b.date[k];
      gest[r] = b.gest[k];
      slot[r] = b.slot[k] + 1;
      kind[r] = b.kind[k];
      attend[r] = b.attend[k] + 1;
      medium[r] = b.medium[k] + 1;
      cunit[r] = b.unit[k] + 1;
      cteam[r] = b.staff_team[k] + 1;
    }
    for (std::size_t k = 0; k < b.n_activities(); ++k) {
      const std::size_t r = a0 + k;
      act_con[r] = static_cast<int>(c0) + b.act_con[k] + 1;
      act_staff[r] = b.act_staff[k] < 0 ? NA_INTEGER : b.act_staff[k] + 1;
      act_team[r] = b.act_team[k] + 1;
    }
    c0 += b.size();
    a0 += b.n_activities();
    b = matequity::ContactTable();  // free the block
  }
  return Rcpp::List::create(
      Rcpp::Named("preg") = preg, Rcpp::Named("date") = date, Rcpp::Named("gest") = gest,
      Rcpp::Named("slot") = slot, Rcpp::Named("kind") = kind, Rcpp::Named("attend") = attend,
      Rcpp::Named("medium") = medium, Rcpp::Named("unit") = cunit,
      Rcpp::Named("team") = cteam, Rcpp::Named("act_con") = act_con,
      Rcpp::Named("act_staff") = act_staff, Rcpp::Named("act_team") = act_team);
}

// Ids "<prefix><number>", numbers zero-padded to `width` digits, for the
// numbers in `number` (sprintf("%s%0*d") without its cost per row).
// [[Rcpp::export(name = ".cpp_format_ids", rng = false)]]
Rcpp::CharacterVector cpp_format_ids(const std::string& prefix,
                                     const Rcpp::IntegerVector& number, int width) {
  if (width < 0 || width > 18) Rcpp::stop("`width` must be between 0 and 18");
  const R_xlen_t n = number.size();
  Rcpp::CharacterVector out(n);
  std::vector<char> buf(prefix.size() + 32);
  for (R_xlen_t i = 0; i < n; ++i) {
    if (number[i] == NA_INTEGER) {
      SET_STRING_ELT(out, i, NA_STRING);
      continue;
    }
    if (number[i] < 0) Rcpp::stop("`number` must not be negative");
    const std::size_t len =
        matequity::format_id(buf.data(), prefix.data(), prefix.size(), number[i], width);
    SET_STRING_ELT(out, i, Rf_mkCharLenCE(buf.data(), static_cast<int>(len), CE_UTF8));
  }
  return out;
}

// Contact ids "C<9 digits>" for MSD201 (contact r gets number r + 1) and the
// same strings for MSD202's activities (act_con: 1-based contact of each
// activity). Both vectors are allocated before any id is made, so that R's
// garbage collector does not walk millions of new ids while they are filled.
// [[Rcpp::export(name = ".cpp_contact_ids", rng = false)]]
Rcpp::List cpp_contact_ids(int n_contacts, const Rcpp::IntegerVector& act_con) {
  if (n_contacts < 0) Rcpp::stop("`n_contacts` must not be negative");
  const R_xlen_t na = act_con.size();
  for (R_xlen_t a = 0; a < na; ++a) {
    if (act_con[a] == NA_INTEGER || act_con[a] < 1 || act_con[a] > n_contacts)
      Rcpp::stop("`act_con` must hold contact numbers between 1 and %d", n_contacts);
    if (a > 0 && act_con[a] < act_con[a - 1]) Rcpp::stop("`act_con` must be sorted");
  }
  Rcpp::CharacterVector con(n_contacts), act(na);
  char buf[32];
  R_xlen_t a = 0;
  for (int r = 0; r < n_contacts; ++r) {
    const std::size_t len = matequity::format_id(buf, "C", 1, r + 1, 9);
    SEXP id = Rf_mkCharLenCE(buf, static_cast<int>(len), CE_UTF8);
    SET_STRING_ELT(con, r, id);
    while (a < na && act_con[a] == r + 1) SET_STRING_ELT(act, a++, id);
  }
  return Rcpp::List::create(Rcpp::Named("contact") = con, Rcpp::Named("activity") = act);
}
