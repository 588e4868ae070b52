// PgRevocationStore and PgRevocationFeed: revocations on PostgreSQL.

#ifndef TOKEND_SERVER_STORE_POSTGRES_REVOCATION_STORE_H_
#define TOKEND_SERVER_STORE_POSTGRES_REVOCATION_STORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "store/postgres/database.h"
#include "store/revocation_store.h"

namespace tokend::store::postgres {

class Batcher;  // batcher.h, internal to this folder

// RevocationStore on PostgreSQL (table revocations). Thread-safe.
// Errors beyond revocation_store.h's: INVALID_ARGUMENT for an unknown kind,
// an empty key, text that is not UTF-8 or holds NUL, or an infinite time;
// INTERNAL for anything unexpected (detail logged). Times are kept to the
// microsecond (truncated). Keys may be any such text, several KB long.
class PgRevocationStore final : public RevocationStore {
 public:
  // `db` must outlive this store. Starts the writer threads.
  explicit PgRevocationStore(Database* db);
  ~PgRevocationStore() override;

  // Upserts the row (keeping the later revoked_at and expires_at) and, in the
  // same transaction, NOTIFYs channel "tokend_revocations" with the merged
  // row, which PgRevocationFeed parses. OK means committed. Group-committed
  // (see batcher.h): concurrent calls share one transaction and one commit.
  absl::Status Revoke(const Revocation& revocation,
                      absl::Time deadline) override;

  // Streams through a server-side cursor, 10,000 rows per round trip, so
  // memory stays bounded whatever the row count. `visit` runs on the calling
  // thread, inside the read transaction: keep it fast. Bounded by 5 minutes
  // in all (DEADLINE_EXCEEDED).
  absl::Status ForEachUnexpired(
      absl::Time now,
      const std::function<void(const Revocation&)>& visit) override;

  // Deletes revocations with expires_at <= now, and families with
  // absolute_expires_at <= now together with their tokens, 1,000 rows per
  // transaction (rows locked by others are left for the next run). Returns
  // revocations + families + tokens deleted. Bounded by 5 minutes in all.
  absl::StatusOr<int64_t> PurgeExpired(absl::Time now) override;

  // For PgRevocationFeed: like ForEachUnexpired, but only rows written (by
  // Revoke) after `recorded_after`, a time of the database's clock
  // (InfinitePast: every row). Returns the database's clock at the start of
  // the read, the `recorded_after` of the next incremental read (minus a
  // margin for transactions that were still committing).
  absl::StatusOr<absl::Time> ForEachRecordedAfter(
      absl::Time recorded_after, absl::Time now,
      const std::function<void(const Revocation&)>& visit, absl::Time deadline);

 private:
  Database* const db_;
  std::unique_ptr<Batcher> revoke_;
};

// RevocationFeed on PostgreSQL LISTEN/NOTIFY. A background thread holds its
// own connection (not a pooled one: LISTEN is per session) listening on
// channel "tokend_revocations", and delivers the revocation in each
// notification PgRevocationStore::Revoke sends. It replays from `store`:
//   - every unexpired revocation after each (re)connection, the first one
//     included, because notifications sent while it was not listening are
//     lost;
//   - every resync_interval (by `clock`), and whenever a notification
//     carries no payload (keys too long for NOTIFY), the rows written since
//     the previous replay began, minus 30 seconds for transactions that were
//     still committing.
// When the connection breaks it reconnects with backoff (100 ms doubling to
// 2 s). "Unexpired" is judged by `clock`.
class PgRevocationFeed final : public RevocationFeed {
 public:
  // `listen` gives the DSN and connect_timeout of the dedicated connection
  // (pool_size is ignored). `store` and `clock` must outlive the feed. An
  // invalid DSN is logged by Start and the feed never delivers.
  PgRevocationFeed(const DatabaseOptions& listen, PgRevocationStore* store,
                   absl::Duration resync_interval, const common::Clock* clock);
  ~PgRevocationFeed() override;  // Stop()s.

  PgRevocationFeed(const PgRevocationFeed&) = delete;
  PgRevocationFeed& operator=(const PgRevocationFeed&) = delete;

  // Call once. `deliver` runs on the feed's thread only.
  void Start(std::function<void(const Revocation&)> deliver) override;

  // For a caller that has just read every row itself (start-up, with
  // ForEachRecordedAfter): call before Start, with the time that read
  // returned. The first connection then replays only the rows written after
  // it (minus the margin for late commits, as incremental replays do)
  // instead of every row again; later reconnections replay everything.
  void SetFirstReplayAfter(absl::Time recorded_after) { first_replay_after_ = recorded_after; }

  // Returns within about 200 ms, or the DSN's connect_timeout when a
  // connection attempt is under way.
  void Stop() override;

  // Whether the feed is listening and has replayed since it last connected:
  // from then on it misses nothing. For readiness and tests.
  bool Listening() const { return listening_.load(); }

 private:
  void Run();
  // Sleeps up to `d`; true when Stop() was called.
  bool WaitForStop(absl::Duration d);

  const absl::StatusOr<std::string> dsn_;
  PgRevocationStore* const store_;
  const absl::Duration resync_interval_;
  const common::Clock* const clock_;

  std::function<void(const Revocation&)> deliver_;
  absl::Time first_replay_after_ = absl::InfinitePast();
  std::thread thread_;
  std::atomic<bool> listening_{false};
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace tokend::store::postgres

#endif  // TOKEND_SERVER_STORE_POSTGRES_REVOCATION_STORE_H_
