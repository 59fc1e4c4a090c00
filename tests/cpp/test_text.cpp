// Tests for text.hpp. Expected values from base R's blank rule of
// convert_character(): !nzchar(x) | grepl("^\\s+$", x, perl = TRUE), e.g.
//   grepl("^\\s+$", c(" \t", "a ", "\v\f\r\n"), perl = TRUE)  # TRUE FALSE TRUE
#include <catch2/catch.hpp>
#include <matequity/text.hpp>
#include <vector>

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

TEST_CASE("the memo of recent strings answers for the pointers put, until replaced") {
  const char pool[3] = {'a', 'b', 0};
  RecentStrings<Blank> memo(2);  // two places: later pointers replace earlier ones
  Blank b = Blank::yes;
  CHECK_FALSE(memo.find(pool, b));
  memo.put(pool, Blank::no);
  REQUIRE(memo.find(pool, b));
  CHECK(b == Blank::no);
  CHECK_FALSE(memo.find(nullptr, b));  // the empty place is no pointer's
  // many pointers through two places: each found right after its put, and
  // never with another's answer
  std::vector<int> cells(64);
  for (std::size_t i = 0; i < cells.size(); ++i) {
    memo.put(&cells[i], i % 2 ? Blank::yes : Blank::undecided);
    REQUIRE(memo.find(&cells[i], b));
    CHECK(b == (i % 2 ? Blank::yes : Blank::undecided));
  }
  int found = 0;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (memo.find(&cells[i], b)) {
      ++found;
      CHECK(b == (i % 2 ? Blank::yes : Blank::undecided));
    }
  }
  CHECK(found <= 2);
}
