// Byte-level classification of text values for as_msds()'s type
// conversion: which ids are blank (empty or white space only), and a memo
// of answers about interned strings. Plain C strings, no R types.
#ifndef MATEQUITY_TEXT_HPP
#define MATEQUITY_TEXT_HPP

#include <cstddef>
#include <cstdint>
#include <vector>

namespace matequity {

// A small direct-mapped memo of answers about strings known by identity
// (interned: one pointer per string), so that a column repeating a few
// values reads each string's bytes (a cache miss apiece) about once. An
// entry is replaced by the next pointer mapped to its place; a miss only
// means the caller looks again.
template <class T>
class RecentStrings {
 public:
  explicit RecentStrings(std::size_t size_pow2 = 4096)
      : keys_(size_pow2, nullptr), values_(size_pow2), mask_(size_pow2 - 1) {}
  // Whether p has an answer, and the answer in `out`.
  bool find(const void* p, T& out) const {
    const std::size_t s = place(p);
    if (keys_[s] != p || !p) return false;
    out = values_[s];
    return true;
  }
  void put(const void* p, T v) {
    const std::size_t s = place(p);
    keys_[s] = p;
    values_[s] = v;
  }

 private:
  std::size_t place(const void* p) const {
    std::uint64_t k = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(p));
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return static_cast<std::size_t>(k) & mask_;
  }
  std::vector<const void*> keys_;
  std::vector<T> values_;
  std::size_t mask_;
};

// The answer for one string: not blank, blank, or undecided (it holds
// bytes outside ASCII, whose white-space status the caller's regex engine
// decides).
enum class Blank { no = 0, yes = 1, undecided = 2 };

// ASCII white space as PCRE's \s without Unicode properties: tab, line
// feed, vertical tab, form feed, carriage return, space.
inline bool ascii_space(unsigned char c) { return c == ' ' || (c >= 9 && c <= 13); }

// "" and ASCII white space only are blank; a string with a non-space ASCII
// byte is not; a string of white space and non-ASCII bytes is undecided.
inline Blank blank_class(const char* s) {
  bool high = false;
  for (const unsigned char* p = reinterpret_cast<const unsigned char*>(s); *p; ++p) {
    if (*p >= 0x80) {
      high = true;
    } else if (!ascii_space(*p)) {
      return Blank::no;
    }
  }
  return high ? Blank::undecided : Blank::yes;
}

}  // namespace matequity

#endif
