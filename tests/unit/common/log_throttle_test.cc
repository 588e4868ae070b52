#include "common/log_throttle.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace tokend::common {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

TEST(LogThrottle, AdmitsSoManyLinesAnIntervalAndCountsTheRestOnTheNextOne) {
  LogThrottle throttle(2, absl::Seconds(1));
  uint64_t suppressed = 99;
  EXPECT_TRUE(throttle.Admit(kT0, &suppressed));
  EXPECT_EQ(suppressed, 0u);
  EXPECT_TRUE(throttle.Admit(kT0 + absl::Milliseconds(10), &suppressed));
  for (int i = 0; i < 1000; ++i) {
    EXPECT_FALSE(throttle.Admit(kT0 + absl::Milliseconds(20), &suppressed));
  }
  EXPECT_TRUE(throttle.Admit(kT0 + absl::Seconds(1), &suppressed));
  EXPECT_EQ(suppressed, 1000u);
  EXPECT_TRUE(throttle.Admit(kT0 + absl::Seconds(1), &suppressed));
  EXPECT_EQ(suppressed, 0u);  // reported once
}

}  // namespace
}  // namespace tokend::common
