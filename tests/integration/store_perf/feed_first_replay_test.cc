// PgRevocationFeed::Start reads every row itself, on the calling thread (as
// tokend does at start-up); the feed's first replay then covers only what
// was written since (minus the late-commit margin), and from then on it
// delivers every new revocation as before.

#include <atomic>
#include <string>
#include <thread>

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

  common::RealClock clock;
  PgRevocationFeed feed(DatabaseOptions{.dsn = tdb->dsn, .pool_size = 1}, &revocations,
                        absl::Hours(1), &clock);
  Collector collected;
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<int> read_at_start_up{0};
  absl::Status started = feed.Start(
      [&](const store::Revocation& r) {
        if (std::this_thread::get_id() == caller) ++read_at_start_up;
        collected.Add(r);
      },
      nullptr);
  ASSERT_TRUE(started.ok()) << started;
  // Start read every row before returning, on this thread.
  EXPECT_EQ(read_at_start_up.load(), 2);
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (!feed.Listening() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(20));
  ASSERT_TRUE(feed.Listening());
  // Within the late-commit margin: replayed (a duplicate is harmless).
  EXPECT_GE(collected.WaitForCount(Kind::kToken, "recent", 2, absl::Seconds(5)), 2u);
  // Read at start-up and long settled: not replayed.
  EXPECT_EQ(collected.WaitForCount(Kind::kToken, "old", 2, absl::Milliseconds(300)), 1u);
  // New revocations arrive as ever, from the feed's thread.
  ASSERT_TRUE(revocations.Revoke(MakeRevocation(Kind::kToken, "new", now, later), deadline).ok());
  EXPECT_TRUE(collected.WaitFor(Kind::kToken, "new", absl::Seconds(5)).has_value());
  EXPECT_EQ(read_at_start_up.load(), 2);
  feed.Stop();
}

}  // namespace
}  // namespace tokend::testing
