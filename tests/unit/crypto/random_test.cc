#include "crypto/random.h"

#include "gtest/gtest.h"

namespace tokend::crypto {
namespace {

TEST(RandomBytes, ReturnsExactlyTheBytesAskedFor) {
  for (size_t n : {0u, 1u, 16u, 32u, 1000u}) {
    absl::StatusOr<std::string> bytes = RandomBytes(n);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    EXPECT_EQ(bytes->size(), n);
  }
}

TEST(RandomBytes, DiffersBetweenCalls) {
  absl::StatusOr<std::string> a = RandomBytes(32);
  absl::StatusOr<std::string> b = RandomBytes(32);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);  // a collision has probability 2^-256
}

}  // namespace
}  // namespace tokend::crypto
