#include "crypto/hash.h"

#include "gtest/gtest.h"
#include "unit/crypto/test_keys.h"

namespace tokend::crypto {
namespace {

using ::tokend::testing::HexDecode;

TEST(Sha256, MatchesFips180KnownAnswers) {
  // FIPS 180-2 appendix B.1 ("abc") and the empty string.
  EXPECT_EQ(Sha256("abc"),
            HexDecode("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  EXPECT_EQ(Sha256(""),
            HexDecode("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
}

TEST(Sha256, ReturnsThirtyTwoRawBytes) { EXPECT_EQ(Sha256("anything").size(), 32u); }

}  // namespace
}  // namespace tokend::crypto
