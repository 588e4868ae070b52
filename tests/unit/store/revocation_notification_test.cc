#include "store/postgres/revocation_notification.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace tokend::store::postgres {
namespace {

TEST(RevocationNotification, ReadsKindTimesAndAKeyThatKeepsItsSpaces) {
  std::optional<Revocation> r =
      ParseRevocationNotification("3 1700000000000001 1700000360000000 alice in wonderland");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, Revocation::Kind::kSubject);
  EXPECT_EQ(r->revoked_at, absl::FromUnixMicros(1700000000000001));
  EXPECT_EQ(r->expires_at, absl::FromUnixMicros(1700000360000000));
  EXPECT_EQ(r->key, "alice in wonderland");
}

TEST(RevocationNotification, RefusesWhatKRevokeManyDoesNotSend) {
  for (const char* payload : {"", "1 2 3", "1 2 3 ", "4 1 2 k", "0 1 2 k", "x 1 2 k", "1 1.5 2 k",
                              "1 1 99999999999999999999 k", "1  1 2 k"}) {
    EXPECT_FALSE(ParseRevocationNotification(payload).has_value()) << payload;
  }
}

}  // namespace
}  // namespace tokend::store::postgres
