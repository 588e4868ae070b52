#include "common/clock.h"

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace tokend::common {
namespace {

TEST(FakeClock, StandsStillUntilAdvancedOrSet) {
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  FakeClock clock(start);
  EXPECT_EQ(clock.Now(), start);
  EXPECT_EQ(clock.Now(), start);
  clock.Advance(absl::Seconds(90));
  EXPECT_EQ(clock.Now(), start + absl::Seconds(90));
  clock.Set(start - absl::Hours(1));  // may move backwards, as a real clock can
  EXPECT_EQ(clock.Now(), start - absl::Hours(1));
}

TEST(RealClock, FollowsTheWallClock) {
  RealClock clock;
  const absl::Time before = absl::Now();
  const absl::Time now = clock.Now();
  const absl::Time after = absl::Now();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

}  // namespace
}  // namespace tokend::common
