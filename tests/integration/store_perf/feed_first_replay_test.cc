// PgRevocationFeed::SetFirstReplayAfter: after a caller has read every row
// itself (as tokend does at start-up), the feed's first replay covers only
// what was written since (minus the late-commit margin), and from then on it
// delivers every new revocation as before.

#include <string>

#include "absl/time/clock.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "store/postgres/pg_revocation_feed.h"
#include "store/postgres/pg_revocation_store.h"
#include "tests/integration/store/store_test_util.h"

namespace tokend::testing {
namespace {

using store::postgres::DatabaseOptions;
using store::postgres::PgRevocationFeed;
using store::postgres::PgRevocationStore;
using Kind = store::Revocation::Kind;

TEST(FeedFirstReplay, ReplaysOnlyWhatTheStartUpReadCannotHaveSeen) {
  auto tdb = NewMigratedDatabase("feed_first");
  ASSERT_TRUE(tdb.ok()) << tdb.status();
  PgRevocationStore revocations(tdb->db.get());
  const absl::Time now = absl::Now();
  const absl::Time later = now + absl::Hours(1);
  const absl::Time deadline = now + absl::Seconds(30);
  ASSERT_TRUE(revocations.Revoke(MakeRevocation(Kind::kToken, "old", now, later), deadline).ok());
  ASSERT_TRUE(
      revocations.Revoke(MakeRevocation(Kind::kToken, "recent", now, later), deadline).ok());
  // "old" was written an hour ago, long before the start-up read.
  ASSERT_TRUE(Cluster()
                  .Psql(tdb->name,
                        "UPDATE revocations SET recorded_at = now() - interval '1 hour'"
                        " WHERE key = 'old'")
                  .ok());
  int read_at_start_up = 0;
  absl::StatusOr<absl::Time> read_up_to = revocations.ForEachRecordedAfter(
      absl::InfinitePast(), absl::Now(), [&](const store::Revocation&) { ++read_at_start_up; },
      deadline);
  ASSERT_TRUE(read_up_to.ok()) << read_up_to.status();
  EXPECT_EQ(read_at_start_up, 2);

  common::RealClock clock;
  PgRevocationFeed feed(DatabaseOptions{.dsn = tdb->dsn, .pool_size = 1}, &revocations,
                        absl::Hours(1), &clock);
  feed.SetFirstReplayAfter(*read_up_to);
  Collector collected;
  feed.Start([&](const store::Revocation& r) { collected.Add(r); });
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (!feed.Listening() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(20));
  ASSERT_TRUE(feed.Listening());
  // Within the late-commit margin: replayed (a duplicate is harmless).
  EXPECT_TRUE(collected.WaitFor(Kind::kToken, "recent", absl::Seconds(5)).has_value());
  // Read at start-up and long settled: not replayed.
  EXPECT_FALSE(collected.WaitFor(Kind::kToken, "old", absl::Milliseconds(300)).has_value());
  // New revocations arrive as ever.
  ASSERT_TRUE(revocations.Revoke(MakeRevocation(Kind::kToken, "new", now, later), deadline).ok());
  EXPECT_TRUE(collected.WaitFor(Kind::kToken, "new", absl::Seconds(5)).has_value());
  feed.Stop();
}

}  // namespace
}  // namespace tokend::testing
