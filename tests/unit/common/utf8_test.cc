#include "common/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace tokend::common {
namespace {

TEST(IsUtf8, AcceptsAsciiAndWellFormedSequencesOfEveryLength) {
  EXPECT_TRUE(IsUtf8(""));
  EXPECT_TRUE(IsUtf8("plain ascii"));
  EXPECT_TRUE(IsUtf8("caf\xC3\xA9"));               // U+00E9, two bytes
  EXPECT_TRUE(IsUtf8("\xE2\x82\xAC"));              // U+20AC, three bytes
  EXPECT_TRUE(IsUtf8("\xF0\x9F\x98\x80"));          // U+1F600, four bytes
  EXPECT_TRUE(IsUtf8("\xF4\x8F\xBF\xBF"));          // U+10FFFF, the last code point
  EXPECT_TRUE(IsUtf8("\xEF\xBF\xBF"));              // U+FFFF, a noncharacter but valid
  EXPECT_TRUE(IsUtf8("\xED\x9F\xBF\xEE\x80\x80"));  // U+D7FF and U+E000, around the surrogates
}

TEST(IsUtf8, AcceptsNul) { EXPECT_TRUE(IsUtf8(std::string("a\0b", 3))); }

TEST(IsUtf8, RefusesOverlongForms) {
  EXPECT_FALSE(IsUtf8("\xC0\xAF"));          // '/' in two bytes
  EXPECT_FALSE(IsUtf8("\xC1\xBF"));          // U+007F in two bytes
  EXPECT_FALSE(IsUtf8("\xE0\x80\xAF"));      // '/' in three bytes
  EXPECT_FALSE(IsUtf8("\xE0\x9F\xBF"));      // U+07FF in three bytes
  EXPECT_FALSE(IsUtf8("\xF0\x80\x80\xAF"));  // '/' in four bytes
  EXPECT_FALSE(IsUtf8("\xF0\x8F\xBF\xBF"));  // U+FFFF in four bytes
}

TEST(IsUtf8, RefusesUtf16Surrogates) {
  EXPECT_FALSE(IsUtf8("\xED\xA0\x80"));  // U+D800
  EXPECT_FALSE(IsUtf8("\xED\xBF\xBF"));  // U+DFFF
}

TEST(IsUtf8, RefusesCodePointsPastU10FFFF) {
  EXPECT_FALSE(IsUtf8("\xF4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(IsUtf8("\xF7\xBF\xBF\xBF"));
}

TEST(IsUtf8, RefusesStrayAndMissingContinuationBytes) {
  EXPECT_FALSE(IsUtf8("\x80"));
  EXPECT_FALSE(IsUtf8("a\xBF"));
  EXPECT_FALSE(IsUtf8("\xC3"));  // truncated at the end
  EXPECT_FALSE(IsUtf8("\xE2\x82"));
  EXPECT_FALSE(IsUtf8("\xF0\x9F\x98"));
  EXPECT_FALSE(IsUtf8("\xC3\x41"));  // a lead byte then ASCII
  EXPECT_FALSE(IsUtf8("\xE2\x82\x41"));
}

TEST(IsUtf8, RefusesBytesThatNeverStartASequence) {
  for (int b : {0xF8, 0xFC, 0xFE, 0xFF}) {
    EXPECT_FALSE(IsUtf8(std::string(1, static_cast<char>(b)) + "\x80\x80\x80\x80")) << b;
  }
}

}  // namespace
}  // namespace tokend::common
