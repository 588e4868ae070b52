// PgRevocationFeed against the real cluster: notifications, long keys,
// replays after reconnects and on schedule, and a server restart.

#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "store/postgres/database.h"
#include "store/postgres/pg_revocation_feed.h"
#include "store/postgres/pg_revocation_store.h"
#include "tests/integration/store/store_test_util.h"

namespace tokend::testing {
namespace {

using store::Revocation;
using store::postgres::Database;
using store::postgres::DatabaseOptions;
using store::postgres::PgRevocationFeed;
using store::postgres::PgRevocationStore;
using Kind = store::Revocation::Kind;

absl::Time Later() { return absl::Now() + absl::Seconds(30); }

bool WaitUntil(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

// A feed on its own Database (as on another replica) plus a store on a
// second Database through which the test revokes.
struct FeedFixture {
  TestDatabase feed_db;                 // the feed's replica
  std::unique_ptr<Database> writer_db;  // another replica
  std::unique_ptr<PgRevocationStore> feed_store;
  std::unique_ptr<PgRevocationStore> writer;
  std::unique_ptr<PgRevocationFeed> feed;
  Collector delivered;
  std::atomic<int64_t> caught_up_micros{0};  // the latest caught_up(as_of)
  absl::Time caught_up() const { return absl::FromUnixMicros(caught_up_micros.load()); }

  // `feed_dsn` makes the feed's DSN from the new database (default: its DSN).
  absl::Status SetUp(absl::string_view prefix, const common::Clock* clock,
                     absl::Duration resync_interval,
                     std::function<std::string(const TestDatabase&)> feed_dsn = nullptr) {
    auto db = NewMigratedDatabase(prefix, 2);
    if (!db.ok()) return db.status();
    feed_db = *std::move(db);
    DatabaseOptions options;
    options.dsn = feed_db.dsn;
    auto writer_or = Database::Open(options);
    if (!writer_or.ok()) return writer_or.status();
    writer_db = *std::move(writer_or);
    feed_store = std::make_unique<PgRevocationStore>(feed_db.db.get());
    writer = std::make_unique<PgRevocationStore>(writer_db.get());
    DatabaseOptions listen;
    listen.dsn = feed_dsn ? feed_dsn(feed_db) : feed_db.dsn;
    feed = std::make_unique<PgRevocationFeed>(listen, feed_store.get(), resync_interval, clock);
    return absl::OkStatus();
  }
  absl::Status Start() {
    return feed->Start([this](const Revocation& r) { delivered.Add(r); },
                       [this](absl::Time as_of) { caught_up_micros = absl::ToUnixMicros(as_of); });
  }
};

TEST(PgRevocationFeed, DeliversARevocationFromAnotherReplicaWithinOneSecond) {
  common::RealClock clock;
  FeedFixture f;
  ASSERT_TRUE(f.SetUp("feed_basic", &clock, absl::Hours(1)).ok());
  ASSERT_TRUE(f.Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return f.feed->Listening(); }, absl::Seconds(5)));

  const std::string key = "subject with spaces and ünïcode";
  const absl::Time revoked = absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()));
  const absl::Time start = absl::Now();
  ASSERT_TRUE(
      f.writer
          ->Revoke(MakeRevocation(Kind::kSubject, key, revoked, revoked + absl::Hours(1)), Later())
          .ok());
  auto got = f.delivered.WaitFor(Kind::kSubject, key, absl::Seconds(1));
  const absl::Duration took = absl::Now() - start;
  std::fprintf(stderr, "[feed] delivered after %s\n", absl::FormatDuration(took).c_str());
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->revoked_at, revoked);
  EXPECT_EQ(got->expires_at, revoked + absl::Hours(1));

  // A second revocation of the same key delivers the merged (later) times.
  ASSERT_TRUE(f.writer
                  ->Revoke(MakeRevocation(Kind::kSubject, key, revoked - absl::Hours(1),
                                          revoked + absl::Hours(2)),
                           Later())
                  .ok());
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto r = f.delivered.WaitFor(Kind::kSubject, key, absl::ZeroDuration());
        return r.has_value() && r->expires_at == revoked + absl::Hours(2);
      },
      absl::Seconds(1)));
  EXPECT_EQ(f.delivered.WaitFor(Kind::kSubject, key, absl::ZeroDuration())->revoked_at, revoked);
  f.feed->Stop();
}

TEST(PgRevocationFeed, DeliversKeysTooLongForANotificationPayload) {
  common::RealClock clock;
  FeedFixture f;
  ASSERT_TRUE(f.SetUp("feed_long", &clock, absl::Hours(1)).ok());
  ASSERT_TRUE(f.Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return f.feed->Listening(); }, absl::Seconds(5)));
  const std::string key = std::string(9000, 's');  // NOTIFY payloads stop at 8000 bytes
  const absl::Time start = absl::Now();
  ASSERT_TRUE(
      f.writer
          ->Revoke(MakeRevocation(Kind::kSubject, key, absl::Now(), absl::Now() + absl::Hours(1)),
                   Later())
          .ok());
  auto got = f.delivered.WaitFor(Kind::kSubject, key, absl::Seconds(1));
  std::fprintf(stderr, "[feed] long key delivered after %s\n",
               absl::FormatDuration(absl::Now() - start).c_str());
  EXPECT_TRUE(got.has_value());
}

TEST(PgRevocationFeed, ReadsThroughThePoolWhileItCannotListenAndListensAgainLater) {
  // The feed listens as its own role so the test can keep it out, while the
  // pool (another role) still reaches the database.
  ASSERT_TRUE(Cluster().Psql("postgres", "CREATE ROLE tokend_feed LOGIN").ok());
  common::RealClock clock;
  FeedFixture f;
  ASSERT_TRUE(f.SetUp("feed_replay", &clock, absl::Hours(1), [](const TestDatabase& db) {
                 return absl::StrCat("host=127.0.0.1 port=", Cluster().port(),
                                     " user=tokend_feed dbname=", db.name);
               }).ok());
  ASSERT_TRUE(f.Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return f.feed->Listening(); }, absl::Seconds(5)));

  // Keep the feed's LISTEN session out, and write rows no notification
  // announces to it.
  ASSERT_TRUE(Cluster()
                  .Psql(f.feed_db.name,
                        "ALTER ROLE tokend_feed NOLOGIN; SELECT "
                        "pg_terminate_backend(pid) FROM "
                        "pg_stat_activity WHERE usename = 'tokend_feed'")
                  .ok());
  ASSERT_TRUE(WaitUntil([&] { return !f.feed->Listening(); }, absl::Seconds(5)));
  ASSERT_TRUE(Cluster()
                  .Psql(f.feed_db.name,
                        "INSERT INTO revocations (kind, key, revoked_at, expires_at) "
                        "VALUES (1, 'jti-silent', now(), now() + interval '1 hour')")
                  .ok());
  const absl::Time written = absl::Now();
  // Delivered through the pool within 2 s, and the view keeps being proved
  // current although nothing listens.
  EXPECT_TRUE(f.delivered.WaitFor(Kind::kToken, "jti-silent", absl::Seconds(2)).has_value());
  ASSERT_TRUE(WaitUntil([&] { return f.caught_up() > written; }, absl::Seconds(2)));
  EXPECT_FALSE(f.feed->Listening());

  // Let it back in: it listens again, and misses nothing written meanwhile.
  ASSERT_TRUE(Cluster().Psql("postgres", "ALTER ROLE tokend_feed LOGIN").ok());
  EXPECT_TRUE(WaitUntil([&] { return f.feed->Listening(); }, absl::Seconds(10)));
  ASSERT_TRUE(f.writer
                  ->Revoke(MakeRevocation(Kind::kToken, "jti-after", absl::Now(),
                                          absl::Now() + absl::Hours(1)),
                           Later())
                  .ok());
  EXPECT_TRUE(f.delivered.WaitFor(Kind::kToken, "jti-after", absl::Seconds(1)).has_value());
  f.feed->Stop();
}

TEST(PgRevocationFeed, StopsProvingTheViewCurrentWhileTheDatabaseIsDown) {
  common::RealClock clock;
  FeedFixture f;
  ASSERT_TRUE(f.SetUp("feed_down", &clock, absl::Hours(1)).ok());
  ASSERT_TRUE(f.Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return f.feed->Listening(); }, absl::Seconds(5)));
  const absl::Time before = absl::Now();
  ASSERT_TRUE(WaitUntil([&] { return f.caught_up() > before; }, absl::Seconds(3)));

  struct RestartOnExit {
    ~RestartOnExit() {
      if (!Cluster().running()) {
        EXPECT_TRUE(Cluster().StartAgain().ok());
      }
    }
  } restart;
  ASSERT_TRUE(Cluster().Stop().ok());
  const absl::Time stopped = absl::Now();
  absl::SleepFor(absl::Seconds(3));
  EXPECT_LT(f.caught_up(), stopped);
  ASSERT_TRUE(Cluster().StartAgain().ok());
  const absl::Time started = absl::Now();
  EXPECT_TRUE(WaitUntil([&] { return f.caught_up() > started; }, absl::Seconds(10)));
  f.feed->Stop();
}

TEST(PgRevocationFeed, ReplaysRecentRowsEveryResyncInterval) {
  common::FakeClock clock(absl::Now());
  FeedFixture f;
  ASSERT_TRUE(f.SetUp("feed_resync", &clock, absl::Minutes(1)).ok());
  ASSERT_TRUE(f.Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return f.feed->Listening(); }, absl::Seconds(5)));

  // A row written without a notification (as by a transaction whose NOTIFY
  // was lost) is not delivered...
  ASSERT_TRUE(Cluster()
                  .Psql(f.feed_db.name,
                        "INSERT INTO revocations (kind, key, revoked_at, expires_at) "
                        "VALUES (2, 'fam-silent', now(), now() + interval '1 hour')")
                  .ok());
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_FALSE(f.delivered.WaitFor(Kind::kFamily, "fam-silent", absl::ZeroDuration()).has_value());
  // ...until the resync interval passes.
  clock.Advance(absl::Minutes(1));
  EXPECT_TRUE(f.delivered.WaitFor(Kind::kFamily, "fam-silent", absl::Seconds(2)).has_value());
  f.feed->Stop();
}

TEST(PgRevocationFeed, SurvivesAServerRestart) {
  common::RealClock clock;
  FeedFixture f;
  ASSERT_TRUE(f.SetUp("feed_restart", &clock, absl::Hours(1)).ok());
  ASSERT_TRUE(f.Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return f.feed->Listening(); }, absl::Seconds(5)));

  struct RestartOnExit {
    ~RestartOnExit() {
      if (!Cluster().running()) {
        EXPECT_TRUE(Cluster().StartAgain().ok());
      }
    }
  } restart;
  ASSERT_TRUE(Cluster().Stop().ok());
  EXPECT_TRUE(WaitUntil([&] { return !f.feed->Listening(); }, absl::Seconds(5)));
  absl::SleepFor(absl::Milliseconds(500));  // a few failed reconnects
  ASSERT_TRUE(Cluster().StartAgain().ok());
  const absl::Time restarted = absl::Now();
  ASSERT_TRUE(WaitUntil([&] { return f.feed->Listening(); }, absl::Seconds(10)));
  std::fprintf(stderr, "[feed] listening again %s after the server came back\n",
               absl::FormatDuration(absl::Now() - restarted).c_str());

  ASSERT_TRUE(f.writer
                  ->Revoke(MakeRevocation(Kind::kToken, "jti-after-restart", absl::Now(),
                                          absl::Now() + absl::Hours(1)),
                           Later())
                  .ok());
  EXPECT_TRUE(f.delivered.WaitFor(Kind::kToken, "jti-after-restart", absl::Seconds(1)).has_value());

  const absl::Time stop_start = absl::Now();
  f.feed->Stop();
  EXPECT_LT(absl::Now() - stop_start, absl::Seconds(1));
}

TEST(PgRevocationFeed, StopsPromptlyWhileItCannotConnect) {
  common::RealClock clock;
  FeedFixture f;
  // Port 1 on loopback: nothing listens there, so every connect is refused.
  ASSERT_TRUE(f.SetUp("feed_stop", &clock, absl::Hours(1), [](const TestDatabase&) {
                 return std::string("host=127.0.0.1 port=1 user=postgres");
               }).ok());
  ASSERT_TRUE(f.Start().ok());
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_FALSE(f.feed->Listening());
  const absl::Time start = absl::Now();
  f.feed->Stop();
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
  EXPECT_EQ(f.delivered.count(), 0u);
}

TEST(PgRevocationFeed, StartFailsAndStartsNothingWhenTheStoreCannotBeRead) {
  // The store connects as its own role so the test can keep it out.
  ASSERT_TRUE(Cluster()
                  .Psql("postgres",
                        // Idempotent, so that --gtest_repeat works.
                        "DO $$ BEGIN CREATE ROLE tokend_feed_start; EXCEPTION WHEN"
                        " duplicate_object THEN NULL; END $$; ALTER ROLE tokend_feed_start LOGIN")
                  .ok());
  auto tdb = NewMigratedDatabase("feed_start_fails", 1);
  ASSERT_TRUE(tdb.ok()) << tdb.status();
  auto store_db = Database::Open(
      DatabaseOptions{.dsn = absl::StrCat("host=127.0.0.1 port=", Cluster().port(),
                                          " user=tokend_feed_start dbname=", tdb->name),
                      .pool_size = 1});
  ASSERT_TRUE(store_db.ok()) << store_db.status();
  PgRevocationStore store(store_db->get());
  ASSERT_TRUE(Cluster()
                  .Psql(tdb->name,
                        "ALTER ROLE tokend_feed_start NOLOGIN; SELECT pg_terminate_backend(pid)"
                        " FROM pg_stat_activity WHERE usename = 'tokend_feed_start'")
                  .ok());
  common::RealClock clock;
  PgRevocationFeed feed(DatabaseOptions{.dsn = tdb->dsn}, &store, absl::Hours(1), &clock);
  Collector delivered;
  const absl::Status started = feed.Start([&](const Revocation& r) { delivered.Add(r); }, nullptr);
  EXPECT_EQ(started.code(), absl::StatusCode::kUnavailable) << started;

  // Nothing was started: a revocation committed now is never delivered.
  PgRevocationStore writer(tdb->db.get());
  ASSERT_TRUE(writer
                  .Revoke(MakeRevocation(Kind::kToken, "jti-unseen", absl::Now(),
                                         absl::Now() + absl::Hours(1)),
                          Later())
                  .ok());
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_FALSE(feed.Listening());
  EXPECT_EQ(delivered.count(), 0u);
  feed.Stop();
}

TEST(PgRevocationFeed, StartRefusesAnInvalidDsnBeforeReadingAnything) {
  auto tdb = NewMigratedDatabase("feed_bad_dsn", 1);
  ASSERT_TRUE(tdb.ok()) << tdb.status();
  PgRevocationStore store(tdb->db.get());
  ASSERT_TRUE(
      store
          .Revoke(MakeRevocation(Kind::kToken, "jti-1", absl::Now(), absl::Now() + absl::Hours(1)),
                  Later())
          .ok());
  common::RealClock clock;
  PgRevocationFeed feed(DatabaseOptions{.dsn = "not a dsn"}, &store, absl::Hours(1), &clock);
  Collector delivered;
  EXPECT_EQ(feed.Start([&](const Revocation& r) { delivered.Add(r); }, nullptr).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(delivered.count(), 0u);
  EXPECT_FALSE(feed.Listening());
}

}  // namespace
}  // namespace tokend::testing
