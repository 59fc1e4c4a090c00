// Tests for simulate.hpp: the care-contact generator of simulate_msds().
// Expected shares are the model's parameters (see the header comment), e.g.
// off a pathway, a contact is with the named midwife with probability 0.18;
// on it (after the join date), 0.72.
#include <catch2/catch.hpp>
#include <matequity/simulate.hpp>

#include <cmath>
#include <cstring>
#include <vector>

using namespace matequity;

namespace {

// All blocks in one table (act_con made global), as the R glue copies them
// block by block.
ContactTable concatenate_contacts(const std::vector<ContactTable>& blocks) {
  ContactTable out;
  for (const ContactTable& b : blocks) {
    const int base = static_cast<int>(out.preg.size());
    out.preg.insert(out.preg.end(), b.preg.begin(), b.preg.end());
    out.date.insert(out.date.end(), b.date.begin(), b.date.end());
    out.gest.insert(out.gest.end(), b.gest.begin(), b.gest.end());
    out.staff_team.insert(out.staff_team.end(), b.staff_team.begin(), b.staff_team.end());
    out.unit.insert(out.unit.end(), b.unit.begin(), b.unit.end());
    out.slot.insert(out.slot.end(), b.slot.begin(), b.slot.end());
    out.kind.insert(out.kind.end(), b.kind.begin(), b.kind.end());
    out.attend.insert(out.attend.end(), b.attend.begin(), b.attend.end());
    out.medium.insert(out.medium.end(), b.medium.begin(), b.medium.end());
    for (int c : b.act_con) out.act_con.push_back(c + base);
    out.act_staff.insert(out.act_staff.end(), b.act_staff.begin(), b.act_staff.end());
    out.act_team.insert(out.act_team.end(), b.act_team.begin(), b.act_team.end());
  }
  return out;
}

ContactTable simulate_contacts(const ContactInputs& in, const ContactParams& pr,
                                      std::uint64_t seed, int nthreads) {
  return concatenate_contacts(simulate_contact_blocks(in, pr, seed, nthreads));
}


// n identical pregnancies: booked on day 1000 at 70 days, born on day 1210,
// discharged on day 1250; unit 2, team 3, named midwife 4.
struct Cohort {
  std::vector<int> booking, gest, born, birth, discharge, nullip, ltc, path, join, unit, team,
      named;
  explicit Cohort(std::size_t n, int on_path = 0, int ltc_v = 0)
      : booking(n, 1000), gest(n, 70), born(n, 1), birth(n, 1210), discharge(n, 1250),
        nullip(n, 0), ltc(n, ltc_v), path(n, on_path), join(n, 1000), unit(n, 2), team(n, 3),
        named(n, 4) {}
  ContactInputs inputs() const {
    ContactInputs in;
    in.n = booking.size();
    in.booking = booking.data();
    in.booking_gest = gest.data();
    in.born = born.data();
    in.birth = birth.data();
    in.discharge = discharge.data();
    in.nullip = nullip.data();
    in.ltc = ltc.data();
    in.path = path.data();
    in.join_date = join.data();
    in.unit = unit.data();
    in.team = team.data();
    in.named = named.data();
    return in;
  }
};

ContactParams params() {
  ContactParams pr;
  pr.n_units = 3;
  pr.n_teams = 5;
  pr.mw_per_team = 8;
  pr.n_obs = 4;
  pr.n_sup = 2;
  pr.unattended = 0.08;
  pr.carer_missing = 0.0;
  return pr;
}

bool same(const ContactTable& a, const ContactTable& b) {
  return a.preg == b.preg && a.date == b.date && a.gest == b.gest && a.slot == b.slot &&
         a.kind == b.kind && a.attend == b.attend && a.medium == b.medium &&
         a.staff_team == b.staff_team && a.unit == b.unit && a.act_con == b.act_con &&
         a.act_staff == b.act_staff && a.act_team == b.act_team;
}

}  // namespace

TEST_CASE("uniform01 lies in [0, 1) and Poisson counts have the right mean and variance") {
  Xoshiro256ss rng(3, 0);
  double s = 0, s2 = 0;
  const int n = 200000;
  for (int k = 0; k < n; ++k) {
    const double u = uniform01(rng);
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
  }
  for (int k = 0; k < n; ++k) {
    const double x = poisson_inversion(rng, 6.5);
    s += x;
    s2 += x * x;
  }
  const double mean = s / n, var = s2 / n - mean * mean;
  // mean 6.5, sd of the mean sqrt(6.5 / 2e5) = 0.0057: 5 sd = 0.029
  CHECK(std::abs(mean - 6.5) < 0.029);
  CHECK(std::abs(var - 6.5) < 0.15);
  // P(X = 0) = exp(-2.5) = 0.0821 for Poisson(2.5)
  int zeros = 0;
  for (int k = 0; k < n; ++k) zeros += poisson_inversion(rng, 2.5) == 0;
  CHECK(std::abs(zeros / double(n) - std::exp(-2.5)) < 5 * std::sqrt(0.0821 * 0.9179 / n));
  CHECK(poisson_inversion(rng, 0.0) == 0);
  CHECK_THROWS_AS(poisson_inversion(rng, -1.0), std::invalid_argument);
}

TEST_CASE("contacts are deterministic by seed and the same for 1 and 2 threads") {
  Cohort c(5000);
  for (std::size_t i = 0; i < c.path.size(); i += 3) c.path[i] = 1;
  const ContactInputs in = c.inputs();
  const ContactTable a = simulate_contacts(in, params(), 42, 1);
  const ContactTable b = simulate_contacts(in, params(), 42, 2);
  const ContactTable a2 = simulate_contacts(in, params(), 42, 1);
  const ContactTable d = simulate_contacts(in, params(), 43, 2);
  REQUIRE(a.size() > 0);
  CHECK(same(a, a2));
  CHECK(same(a, b));
  CHECK_FALSE(same(a, d));
  // more than one block: the blocks are concatenated in order
  REQUIRE(c.path.size() > 2 * kSimBlock);
  for (std::size_t r = 1; r < a.size(); ++r) REQUIRE(a.preg[r] >= a.preg[r - 1]);
  for (std::size_t r = 1; r < a.n_activities(); ++r) REQUIRE(a.act_con[r] >= a.act_con[r - 1]);
}

TEST_CASE("contact counts, dates and ordering follow the model") {
  Cohort c(20000);
  const ContactTable t = simulate_contacts(c.inputs(), params(), 7, 2);
  // dur = min(1210, 1250) - 1 - 1000 = 209, floor(209 / 5) = 41 never binds:
  // antenatal 1 + Poisson(6.5), postnatal 1 + Poisson(2.5): 11 a pregnancy.
  const double per_preg = t.size() / 20000.0;
  CHECK(std::abs(per_preg - 11.0) < 5 * std::sqrt(9.0 / 20000));
  std::size_t ante = 0, post = 0;
  for (std::size_t r = 0; r < t.size(); ++r) {
    REQUIRE(t.date[r] >= 1000);
    REQUIRE(t.date[r] <= 1250);
    REQUIRE((t.date[r] <= 1209 || t.date[r] >= 1211));
    REQUIRE(t.gest[r] == 70 + t.date[r] - 1000);
    REQUIRE(t.slot[r] < 36);
    if (r > 0 && t.preg[r] == t.preg[r - 1]) {
      REQUIRE((t.date[r] > t.date[r - 1] ||
               (t.date[r] == t.date[r - 1] && t.slot[r] >= t.slot[r - 1])));
    }
    (t.date[r] <= 1209 ? ante : post)++;
  }
  CHECK(std::abs(ante / 20000.0 - 7.5) < 5 * std::sqrt(6.5 / 20000));
  CHECK(std::abs(post / 20000.0 - 3.5) < 5 * std::sqrt(2.5 / 20000));
  // every pregnancy has its booking contact
  std::vector<int> booked(20000, 0);
  for (std::size_t r = 0; r < t.size(); ++r) booked[t.preg[r]] |= t.date[r] == 1000;
  for (int b : booked) REQUIRE(b == 1);

  // a lost pregnancy (not born) has antenatal contacts only, capped by dur / 5
  Cohort lost(2000);
  for (auto& b : lost.born) b = 0;
  for (auto& d : lost.discharge) d = 1010;  // dur = 9: at most 1 + 1 contacts
  const ContactTable l = simulate_contacts(lost.inputs(), params(), 7, 2);
  std::vector<int> cnt(2000, 0);
  for (std::size_t r = 0; r < l.size(); ++r) {
    REQUIRE(l.date[r] <= 1009);
    cnt[l.preg[r]]++;
  }
  for (int k : cnt) REQUIRE((k == 1 || k == 2));
}

TEST_CASE("a continuity pathway raises the share of contacts with the named midwife") {
  const ContactParams pr = params();
  // named midwife of unit 2 (0-based 1), team 3 (0-based 2), midwife 4:
  const int named_staff = (1 * pr.n_teams + 2) * pr.mw_per_team + 3;
  const int named_team = 1 * pr.n_teams + 2;
  const int n_mw = pr.n_units * pr.n_teams * pr.mw_per_team;
  auto shares = [&](int on_path, int ltc) {
    Cohort c(30000, on_path, ltc);
    const ContactTable t = simulate_contacts(c.inputs(), pr, 11, 2);
    double named = 0, team = 0, doctor = 0;
    for (std::size_t r = 0; r < t.size(); ++r) {
      named += t.kind[r] == 1;
      team += t.staff_team[r] == named_team;
      doctor += t.kind[r] == 4;
    }
    // the primary activity names the midwife of the kind drawn
    std::size_t r = 0;
    for (std::size_t a = 0; a < t.n_activities(); ++a) {
      if (a > 0 && t.act_con[a] == t.act_con[a - 1]) continue;  // second activity
      r = static_cast<std::size_t>(t.act_con[a]);
      if (t.kind[r] == 1) REQUIRE(t.act_staff[a] == named_staff);
      if (t.kind[r] == 2) {
        REQUIRE(t.act_staff[a] != named_staff);
        REQUIRE(t.act_staff[a] / pr.mw_per_team == named_team);
      }
      if (t.kind[r] == 4) REQUIRE(t.act_staff[a] >= n_mw);
    }
    const double n = static_cast<double>(t.size());
    return std::vector<double>{named / n, team / n, doctor / n, n};
  };
  // off the pathway: named 0.18; named team (kinds 1, 2 and kind 3 drawing the
  // team): 0.40 + 0.45 / 5 = 0.49; doctor 0.15
  const auto off = shares(0, 0);
  const double tol = 5 * std::sqrt(0.25 / off[3]);
  CHECK(std::abs(off[0] - 0.18) < tol);
  CHECK(std::abs(off[1] - 0.49) < tol);
  CHECK(std::abs(off[2] - 0.15) < tol);
  // on the pathway from booking: named 0.72, team 0.90 + 0.07 / 5 = 0.914, doctor 0.03
  const auto on = shares(1, 0);
  CHECK(std::abs(on[0] - 0.72) < tol);
  CHECK(std::abs(on[1] - 0.914) < tol);
  CHECK(std::abs(on[2] - 0.03) < tol);
  // long-term condition off the pathway: doctor 1 - 0.70 = 0.30
  const auto ltc = shares(0, 1);
  CHECK(std::abs(ltc[2] - 0.30) < tol);
}

TEST_CASE("the pathway counts only from the join date") {
  Cohort c(20000, 1);
  for (auto& j : c.join) j = 1100;
  const ContactTable t = simulate_contacts(c.inputs(), params(), 5, 1);
  double before = 0, nb = 0, after = 0, na = 0;
  for (std::size_t r = 0; r < t.size(); ++r) {
    if (t.date[r] < 1100) {
      nb++;
      before += t.kind[r] == 1;
    } else {
      na++;
      after += t.kind[r] == 1;
    }
  }
  CHECK(std::abs(before / nb - 0.18) < 5 * std::sqrt(0.18 * 0.82 / nb));
  CHECK(std::abs(after / na - 0.72) < 5 * std::sqrt(0.72 * 0.28 / na));
}

TEST_CASE("attendance, medium, second activities and missing carers follow their shares") {
  Cohort c(20000);
  ContactParams pr = params();
  pr.carer_missing = 0.1;
  const ContactTable t = simulate_contacts(c.inputs(), pr, 9, 2);
  const double n = static_cast<double>(t.size());
  std::vector<double> att(6, 0);
  double tel = 0;
  for (std::size_t r = 0; r < t.size(); ++r) {
    att[t.attend[r]]++;
    tel += t.medium[r];
  }
  const double tol = 5 * std::sqrt(0.25 / n);
  // codes {"5","6","2","3","4","7"}: 6 with 0.03, each of 2/3/4/7 with 0.08 / 4
  CHECK(std::abs(att[0] / n - 0.89) < tol);
  CHECK(std::abs(att[1] / n - 0.03) < tol);
  for (int k = 2; k < 6; ++k) CHECK(std::abs(att[k] / n - 0.02) < tol);
  CHECK(std::abs(tel / n - 0.1) < tol);
  const double extra = (t.n_activities() - n) / n;
  CHECK(std::abs(extra - 0.12) < tol);
  double missing = 0;
  for (int s : t.act_staff) missing += s < 0;
  CHECK(std::abs(missing / t.n_activities() - 0.1) < tol);
}

TEST_CASE("bad inputs are refused") {
  Cohort c(10);
  c.unit[3] = 9;
  CHECK_THROWS_AS(simulate_contacts(c.inputs(), params(), 1, 2), std::invalid_argument);
  ContactParams pr = params();
  pr.mw_per_team = 1;
  CHECK_THROWS_AS(simulate_contacts(Cohort(10).inputs(), pr, 1, 1), std::invalid_argument);
}

TEST_CASE("ids are zero-padded like sprintf") {
  char buf[64];
  // sprintf("%s%09d", "C", 42L) == "C000000042"
  std::size_t len = format_id(buf, "C", 1, 42, 9);
  CHECK(std::string(buf, len) == "C000000042");
  // sprintf("%s%06d", "E01", 1234567L) == "E011234567" (wider than the width)
  len = format_id(buf, "E01", 3, 1234567, 6);
  CHECK(std::string(buf, len) == "E011234567");
  len = format_id(buf, "P", 1, 0, 8);
  CHECK(std::string(buf, len) == "P00000000");
}
