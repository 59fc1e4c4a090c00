// Byte-level classification of text values for as_msds()'s type
// conversion: which ids are blank (empty or white space only). Plain C
// strings, no R types.
#ifndef MATEQUITY_TEXT_HPP
#define MATEQUITY_TEXT_HPP

namespace matequity {

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
