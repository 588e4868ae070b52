#ifndef TOKEND_SERVER_STORE_POSTGRES_PG_REVOCATION_FEED_H_
#define TOKEND_SERVER_STORE_POSTGRES_PG_REVOCATION_FEED_H_

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "store/postgres/database.h"
#include "store/postgres/pg_revocation_store.h"
#include "store/revocation_store.h"

namespace tokend::store::postgres {

// RevocationFeed on PostgreSQL LISTEN/NOTIFY, with the pool as its fallback.
// A background thread holds its own connection (not a pooled one: LISTEN is
// per session, application_name "tokend-feed") listening on channel
// "tokend_revocations", and delivers the revocation in each notification
// PgRevocationStore::Revoke sends. It reads rows written since its previous
// read (minus 30 seconds for transactions that were still committing)
// through `store`'s pooled connections:
//   - when it (re)connects, because notifications sent while it was not
//     listening are lost;
//   - every resync_interval (by `clock`), and whenever a notification
//     carries no payload (keys too long for NOTIFY);
//   - every 250 ms while it cannot listen (a connection limit, a proxy
//     that drops idle sessions, idle_session_timeout, PostgreSQL just
//     back): the LISTEN session is a shortcut, never the only way
//     revocations arrive.
// It calls `caught_up` at least every second while the database answers:
// after a round trip on the LISTEN session, or after a read. While it cannot listen
// it tries again with backoff (100 ms doubling to 5 s). "Unexpired" is
// judged by `clock`.
class PgRevocationFeed final : public RevocationFeed {
 public:
  // `listen` gives the DSN and connect_timeout of the dedicated connection
  // (pool_size is ignored). `store` and `clock` must outlive the feed.
  PgRevocationFeed(const DatabaseOptions& listen, PgRevocationStore* store,
                   absl::Duration resync_interval, const common::Clock* clock);
  ~PgRevocationFeed() override;  // Stop()s.

  PgRevocationFeed(const PgRevocationFeed&) = delete;
  PgRevocationFeed& operator=(const PgRevocationFeed&) = delete;

  // The first read goes through `store`'s pooled connections, bounded by 5
  // minutes (DEADLINE_EXCEEDED). INVALID_ARGUMENT, before reading anything,
  // when `listen` is invalid; FAILED_PRECONDITION when already started.
  // After it `deliver` runs on the feed's thread only.
  absl::Status Start(std::function<void(const Revocation&)> deliver,
                     std::function<void(absl::Time as_of)> caught_up) override;

  // Before Start: also LISTEN on `channel` on the same session, and call
  // `on_notify` (on the feed's thread; keep it fast) for each notification
  // there and each time the session is (re)opened, when notifications may
  // have been missed. One LISTEN session per replica serves both.
  void AlsoListen(std::string channel, std::function<void()> on_notify);

  // Returns within about 200 ms, or the DSN's connect_timeout when a
  // connection attempt is under way.
  void Stop() override;

  // Whether the feed is listening and has replayed since it last connected:
  // from then on it misses nothing.
  bool Listening() const { return listening_.load(); }

 private:
  void Run();
  // Reads what was written since the previous read; false (logged) when the
  // read fails.
  bool ReadRecent();
  // Sleeps up to `d`; true when Stop() was called.
  bool WaitForStop(absl::Duration d);

  const absl::StatusOr<std::string> dsn_;
  PgRevocationStore* const store_;
  const absl::Duration resync_interval_;
  const common::Clock* const clock_;

  std::function<void(const Revocation&)> deliver_;
  std::function<void(absl::Time)> caught_up_;
  std::string extra_channel_;
  std::function<void()> extra_notify_;
  // The database's clock when the latest successful read began; the next
  // read starts there (minus the late-commit margin). Feed thread only.
  absl::Time watermark_ = absl::InfinitePast();
  bool failing_ = false;  // log one line per outage, not per attempt
  std::thread thread_;
  std::atomic<bool> listening_{false};
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace tokend::store::postgres

#endif  // TOKEND_SERVER_STORE_POSTGRES_PG_REVOCATION_FEED_H_
