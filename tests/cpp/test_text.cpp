// Tests for text.hpp. Expected values from base R's blank rule of
// convert_character(): !nzchar(x) | grepl("^\\s+$", x, perl = TRUE), e.g.
//   grepl("^\\s+$", c(" \t", "a ", "\v\f\r\n"), perl = TRUE)  # TRUE FALSE TRUE
#include <catch2/catch.hpp>
#include <matequity/text.hpp>

using namespace matequity;

TEST_CASE("empty and ASCII white space only are blank") {
  CHECK(blank_class("") == Blank::yes);
  CHECK(blank_class(" ") == Blank::yes);
  CHECK(blank_class(" \t") == Blank::yes);
  CHECK(blank_class("\v\f\r\n") == Blank::yes);
}

TEST_CASE("a string with any other ASCII byte is not blank") {
  CHECK(blank_class("a ") == Blank::no);
  CHECK(blank_class("  0") == Blank::no);
  CHECK(blank_class("NA") == Blank::no);
  CHECK(blank_class("\xc2\xa0x") == Blank::no);  // NBSP then x
}

TEST_CASE("white space with non-ASCII bytes is left to the regex") {
  CHECK(blank_class("\xc2\xa0") == Blank::undecided);      // NBSP
  CHECK(blank_class(" \xe2\x80\x83 ") == Blank::undecided);  // EM SPACE
}
