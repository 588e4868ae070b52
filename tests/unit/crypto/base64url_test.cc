#include "crypto/base64url.h"

#include <string>

#include "gtest/gtest.h"

namespace tokend::crypto {
namespace {

TEST(Base64Url, EncodesRfc4648TestVectorsWithoutPadding) {
  // RFC 4648 section 10, with the padding removed.
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("foob"), "Zm9vYg");
  EXPECT_EQ(Base64UrlEncode("fooba"), "Zm9vYmE");
  EXPECT_EQ(Base64UrlEncode("foobar"), "Zm9vYmFy");
}

TEST(Base64Url, UsesTheUrlSafeAlphabet) {
  EXPECT_EQ(Base64UrlEncode("\xfb\xff\xbf"), "-_-_");  // "+/+/" in standard base64
  std::string decoded;
  ASSERT_TRUE(Base64UrlDecode("-_-_", &decoded));
  EXPECT_EQ(decoded, "\xfb\xff\xbf");
}

TEST(Base64Url, RoundTripsEveryByteAtEveryLength) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (size_t length = 0; length <= bytes.size(); ++length) {
    const std::string input = bytes.substr(256 - length);
    std::string decoded;
    ASSERT_TRUE(Base64UrlDecode(Base64UrlEncode(input), &decoded)) << length;
    EXPECT_EQ(decoded, input) << length;
  }
}

TEST(Base64Url, DecodesTheEmptyText) {
  std::string decoded = "junk";
  ASSERT_TRUE(Base64UrlDecode("", &decoded));
  EXPECT_EQ(decoded, "");
}

TEST(Base64Url, RejectsPadding) {
  std::string decoded;
  EXPECT_FALSE(Base64UrlDecode("Zg==", &decoded));
  EXPECT_FALSE(Base64UrlDecode("Zm8=", &decoded));
  EXPECT_FALSE(Base64UrlDecode("Zm9v=", &decoded));
  EXPECT_FALSE(Base64UrlDecode("=", &decoded));
}

TEST(Base64Url, RejectsWhitespaceAnywhere) {
  std::string decoded;
  for (const char* text : {" Zm9v", "Zm9v ", "Zm 9v", "Zm9v\n", "Zm\r\n9v", "Zm9v\t"}) {
    EXPECT_FALSE(Base64UrlDecode(text, &decoded)) << text;
  }
  EXPECT_FALSE(Base64UrlDecode(std::string("Zm9v\0", 5), &decoded));
  EXPECT_FALSE(Base64UrlDecode(std::string("\0Zm9v", 5), &decoded));
}

TEST(Base64Url, RejectsTheStandardAlphabetsPlusAndSlash) {
  std::string decoded;
  EXPECT_FALSE(Base64UrlDecode("+/+/", &decoded));
  EXPECT_FALSE(Base64UrlDecode("Zm9+", &decoded));
  EXPECT_FALSE(Base64UrlDecode("Zm9/", &decoded));
}

TEST(Base64Url, RejectsCharactersOutsideTheAlphabet) {
  std::string decoded;
  for (const char* text : {"Zm9v.", "Zm9v!", "Zm9v#", "Zm?v", "\xc3\xa9\xc3\xa9", "\xff\xff"}) {
    EXPECT_FALSE(Base64UrlDecode(text, &decoded)) << text;
  }
}

TEST(Base64Url, RejectsALengthOfOneModFour) {
  std::string decoded;
  EXPECT_FALSE(Base64UrlDecode("Z", &decoded));
  EXPECT_FALSE(Base64UrlDecode("Zm9vY", &decoded));
}

TEST(Base64Url, RejectsNonZeroUnusedTrailingBits) {
  std::string decoded;
  // "Zg" is the one spelling of "f"; "Zh".."Zv" carry the same byte with
  // non-zero unused bits.
  ASSERT_TRUE(Base64UrlDecode("Zg", &decoded));
  EXPECT_FALSE(Base64UrlDecode("Zh", &decoded));
  EXPECT_FALSE(Base64UrlDecode("Zv", &decoded));
  // "Zm8" is the one spelling of "fo"; "Zm9" differs only in unused bits.
  ASSERT_TRUE(Base64UrlDecode("Zm8", &decoded));
  EXPECT_FALSE(Base64UrlDecode("Zm9", &decoded));
}

}  // namespace
}  // namespace tokend::crypto
