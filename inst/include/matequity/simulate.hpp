// matequity: the care-contact generator of simulate_msds() (MSD201 care
// contacts and MSD202 care activities), seeded and multithreaded, giving the
// same rows for any number of threads.
//
// The model, per pregnancy i (dates are days since 1970-01-01):
//   end_ante = (born ? min(birth, discharge) : discharge) - 1
//   dur      = max(end_ante - booking, 0)
//   antenatal contacts: 1 + min(Poisson(6.5 + 2 nulliparous + 2 ltc), floor(dur / 5));
//     the first on the booking date, the others on booking + 1 + floor(U dur)
//   postnatal contacts (born only): 1 + Poisson(2.5), on
//     min(birth + 1 + floor(U span), discharge), span = max(min(discharge - birth, 28), 1)
//   each contact has a time slot, uniform on 36 quarter-hours from 08:00; contacts are
//     ordered by (date, slot), antenatal before postnatal on ties.
//   on_path = (on a continuity pathway, by 28+6 or later) and date >= join date.
//   who: with U uniform, cut1 = 0.18 + 0.54 on_path, cut2 = 0.40 + 0.50 on_path,
//     cut3 = 0.85 - 0.15 ltc + (0.12 + 0.15 ltc) on_path,
//     kind = 1 + (U >= cut1) + (U >= cut2) + (U >= cut3):
//     1 the named midwife; 2 another midwife of the named team (uniform on the
//     other mw_per_team - 1); 3 any midwife of the unit (uniform team and midwife);
//     4 an obstetrician of the unit (uniform on n_obs), team "<unit>OBS",
//     consultation type "02" (others "01").
//   attendance: with U uniform, U < 0.03 gives code "6", U > 1 - unattended gives
//     one of "2", "3", "4", "7" (uniform), else "5".
//   medium: "02" (telephone) with probability 0.1, else "01".
//   a second activity with probability 0.12: half support workers (uniform on n_sup),
//     half obstetricians (uniform on n_obs), team "<unit>OBS".
//   each activity's professional id is missing with probability carer_missing.
// Poisson counts are drawn by inversion (sequential search of the cdf).
//
// Random numbers: pregnancies are cut into blocks of kSimBlock; block b draws
// from its own xoshiro256** stream (seed, b), so the rows do not depend on the
// number of threads; blocks are concatenated in order.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "bootstrap.hpp"
#include "parallel.hpp"

namespace matequity {

// Uniform double in [0, 1) with 53 random bits.
inline double uniform01(Xoshiro256ss& rng) {
  return static_cast<double>(rng.next() >> 11) * 0x1.0p-53;
}

inline bool bernoulli(Xoshiro256ss& rng, double p) { return uniform01(rng) < p; }

// Poisson(lambda) by inversion: smallest k with U < F(k). For the small means
// used here (below about 30) this is exact up to rounding and fast.
inline int poisson_inversion(Xoshiro256ss& rng, double lambda) {
  if (!(lambda >= 0.0) || lambda > 500.0) throw std::invalid_argument("Poisson mean out of range");
  const double u = uniform01(rng);
  double p = std::exp(-lambda);
  double cdf = p;
  int k = 0;
  while (u >= cdf && k < 10000) {
    ++k;
    p *= lambda / k;
    cdf += p;
    if (p <= 0.0 && cdf <= u) break;  // the tail underflowed: stop at k
  }
  return k;
}

constexpr std::size_t kSimBlock = 1024;

// Per-pregnancy inputs (length n each). Flags are 0/1; unit, team and named
// are 1-based as in R; join_date is only read when path is 1.
struct ContactInputs {
  std::size_t n = 0;
  const int* booking = nullptr;
  const int* booking_gest = nullptr;
  const int* born = nullptr;
  const int* birth = nullptr;
  const int* discharge = nullptr;
  const int* nullip = nullptr;
  const int* ltc = nullptr;
  const int* path = nullptr;       // on a pathway (placed by 28+6 or late)
  const int* join_date = nullptr;
  const int* unit = nullptr;
  const int* team = nullptr;
  const int* named = nullptr;
};

struct ContactParams {
  int n_units = 1, n_teams = 1, mw_per_team = 2, n_obs = 1, n_sup = 1;
  double unattended = 0.08, carer_missing = 0.01;
};

// Contacts and activities. Staff indices are 0-based into the staff list of
// sim_staff(): midwives ((unit * n_teams + team) * mw_per_team + m), then
// obstetricians (n_mw + unit * n_obs + k), then support workers
// (n_mw + n_units * n_obs + unit * n_sup + k); -1 is a missing id. Team codes
// are 0-based: unit * n_teams + team for midwife teams, n_units * n_teams +
// unit for the unit's obstetric team. attend indexes {"5","6","2","3","4","7"}.
struct ContactTable {
  std::vector<int> preg, date, gest, staff_team, unit;
  std::vector<std::uint8_t> slot, kind, attend, medium;
  std::vector<int> act_con, act_staff, act_team;
  std::size_t size() const { return preg.size(); }
  std::size_t n_activities() const { return act_con.size(); }
};

namespace detail {

struct Pending {
  int date;
  int slot;
};

inline void check_params(const ContactParams& pr) {
  if (pr.n_units < 1 || pr.n_teams < 1 || pr.mw_per_team < 2 || pr.n_obs < 1 || pr.n_sup < 1)
    throw std::invalid_argument("staff counts must be positive (at least 2 midwives per team)");
  if (!(pr.unattended >= 0 && pr.unattended <= 0.5) ||
      !(pr.carer_missing >= 0 && pr.carer_missing <= 1))
    throw std::invalid_argument("recording shares out of range");
}

// Contacts of pregnancies [from, to) drawn from stream `block`; contact
// indices in act_con are local to the block.
inline void contacts_block(const ContactInputs& in, const ContactParams& pr,
                           std::uint64_t seed, std::uint64_t block, std::size_t from,
                           std::size_t to, ContactTable& out) {
  Xoshiro256ss rng(seed, block);
  const int n_mw = pr.n_units * pr.n_teams * pr.mw_per_team;
  std::vector<Pending> pend;
  // about 12 contacts a pregnancy: reserve a little more to avoid regrowth
  const std::size_t guess = 14 * (to - from);
  for (auto* v : {&out.preg, &out.date, &out.gest, &out.staff_team, &out.unit}) v->reserve(guess);
  for (auto* v : {&out.slot, &out.kind, &out.attend, &out.medium}) v->reserve(guess);
  for (auto* v : {&out.act_con, &out.act_staff, &out.act_team}) v->reserve(guess + guess / 8);
  for (std::size_t i = from; i < to; ++i) {
    const int unit0 = in.unit[i] - 1;
    if (unit0 < 0 || unit0 >= pr.n_units || in.team[i] < 1 || in.team[i] > pr.n_teams ||
        in.named[i] < 1 || in.named[i] > pr.mw_per_team)
      throw std::out_of_range("unit, team or named midwife out of range");
    const bool born = in.born[i] != 0;
    const int end_ante = (born ? std::min(in.birth[i], in.discharge[i]) : in.discharge[i]) - 1;
    const int dur = std::max(end_ante - in.booking[i], 0);
    const double lambda = 6.5 + 2.0 * (in.nullip[i] != 0) + 2.0 * (in.ltc[i] != 0);
    const int n_ante = 1 + std::min(poisson_inversion(rng, lambda), dur / 5);
    const int n_post = born ? 1 + poisson_inversion(rng, 2.5) : 0;
    pend.clear();
    for (int k = 0; k < n_ante; ++k) {
      const int off = k == 0 ? 0 : 1 + static_cast<int>(std::floor(uniform01(rng) * dur));
      pend.push_back({in.booking[i] + off, 0});
    }
    if (n_post > 0) {
      const int span = std::max(std::min(in.discharge[i] - in.birth[i], 28), 1);
      for (int k = 0; k < n_post; ++k) {
        const int d = in.birth[i] + 1 + static_cast<int>(std::floor(uniform01(rng) * span));
        pend.push_back({std::min(d, in.discharge[i]), 0});
      }
    }
    for (auto& c : pend) c.slot = static_cast<int>(rng.below(36));
    std::stable_sort(pend.begin(), pend.end(), [](const Pending& a, const Pending& b) {
      return a.date < b.date || (a.date == b.date && a.slot < b.slot);
    });
    const bool path = in.path[i] != 0;
    const bool ltc = in.ltc[i] != 0;
    for (const Pending& c : pend) {
      const bool on = path && c.date >= in.join_date[i];
      const double cut1 = 0.18 + 0.54 * on;
      const double cut2 = 0.40 + 0.50 * on;
      const double cut3 = 0.85 - 0.15 * ltc + (0.12 + 0.15 * ltc) * on;
      const double u = uniform01(rng);
      const int kind = 1 + (u >= cut1) + (u >= cut2) + (u >= cut3);
      int team0 = in.team[i] - 1;
      int m0 = in.named[i] - 1;
      int staff = 0;
      int team_code = 0;
      if (kind == 2) {
        m0 = static_cast<int>((m0 + 1 + rng.below(pr.mw_per_team - 1)) % pr.mw_per_team);
      } else if (kind == 3) {
        team0 = static_cast<int>(rng.below(pr.n_teams));
        m0 = static_cast<int>(rng.below(pr.mw_per_team));
      }
      if (kind == 4) {
        staff = n_mw + unit0 * pr.n_obs + static_cast<int>(rng.below(pr.n_obs));
        team_code = pr.n_units * pr.n_teams + unit0;
      } else {
        staff = (unit0 * pr.n_teams + team0) * pr.mw_per_team + m0;
        team_code = unit0 * pr.n_teams + team0;
      }
      const double ua = uniform01(rng);
      std::uint8_t attend = 0;
      if (ua < 0.03) {
        attend = 1;
      } else if (ua > 1.0 - pr.unattended) {
        attend = static_cast<std::uint8_t>(2 + rng.below(4));
      }
      const std::uint8_t medium = bernoulli(rng, 0.1) ? 1 : 0;
      const int con = static_cast<int>(out.preg.size());
      out.preg.push_back(static_cast<int>(i));
      out.date.push_back(c.date);
      out.gest.push_back(in.booking_gest[i] + (c.date - in.booking[i]));
      out.slot.push_back(static_cast<std::uint8_t>(c.slot));
      out.kind.push_back(static_cast<std::uint8_t>(kind));
      out.attend.push_back(attend);
      out.medium.push_back(medium);
      out.unit.push_back(unit0);
      out.staff_team.push_back(team_code);
      out.act_con.push_back(con);
      out.act_staff.push_back(bernoulli(rng, pr.carer_missing) ? -1 : staff);
      out.act_team.push_back(team_code);
      if (bernoulli(rng, 0.12)) {
        int staff2;
        if (bernoulli(rng, 0.5)) {
          staff2 = n_mw + pr.n_units * pr.n_obs + unit0 * pr.n_sup +
                   static_cast<int>(rng.below(pr.n_sup));
        } else {
          staff2 = n_mw + unit0 * pr.n_obs + static_cast<int>(rng.below(pr.n_obs));
        }
        out.act_con.push_back(con);
        out.act_staff.push_back(bernoulli(rng, pr.carer_missing) ? -1 : staff2);
        out.act_team.push_back(pr.n_units * pr.n_teams + unit0);
      }
    }
  }
}

}  // namespace detail

// The contacts of every pregnancy, one table per block of kSimBlock
// pregnancies (in order; act_con local to the block). Blocks run in parallel.
inline std::vector<ContactTable> simulate_contact_blocks(const ContactInputs& in,
                                                         const ContactParams& pr,
                                                         std::uint64_t seed, int nthreads) {
  detail::check_params(pr);
  const std::size_t n_blocks = (in.n + kSimBlock - 1) / kSimBlock;
  std::vector<ContactTable> blocks(n_blocks);
  const int nt = effective_threads(nthreads);
  std::string error;
  bool failed = false;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic)
#endif
  for (long long b = 0; b < static_cast<long long>(n_blocks); ++b) {
    const std::size_t from = static_cast<std::size_t>(b) * kSimBlock;
    const std::size_t to = std::min(in.n, from + kSimBlock);
    try {
      detail::contacts_block(in, pr, seed, static_cast<std::uint64_t>(b), from, to,
                             blocks[static_cast<std::size_t>(b)]);
    } catch (const std::exception& e) {
#ifdef _OPENMP
#pragma omp critical(matequity_sim_error)
#endif
      {
        if (!failed) error = e.what();
        failed = true;
      }
    }
  }
  (void)nt;
  if (failed) throw std::invalid_argument(error);
  return blocks;
}

// Zero-padded ids "<prefix><number>" written into buf (no allocation);
// returns the length. width is the minimum number of digits.
inline std::size_t format_id(char* buf, const char* prefix, std::size_t prefix_len,
                             long long number, int width) {
  char digits[24];
  int nd = 0;
  unsigned long long v = number < 0 ? 0ULL : static_cast<unsigned long long>(number);
  do {
    digits[nd++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v > 0 && nd < 24);
  std::size_t len = 0;
  for (std::size_t k = 0; k < prefix_len; ++k) buf[len++] = prefix[k];
  for (int k = nd; k < width; ++k) buf[len++] = '0';
  while (nd > 0) buf[len++] = digits[--nd];
  return len;
}

}  // namespace matequity
