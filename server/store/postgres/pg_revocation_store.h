#ifndef TOKEND_SERVER_STORE_POSTGRES_PG_REVOCATION_STORE_H_
#define TOKEND_SERVER_STORE_POSTGRES_PG_REVOCATION_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
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
  // `db` must outlive this store.
  explicit PgRevocationStore(Database* db);
  ~PgRevocationStore() override;

  // Upserts the row (keeping the later revoked_at and expires_at) and, in the
  // same transaction, NOTIFYs channel "tokend_revocations" with the merged
  // row, which PgRevocationFeed parses. OK means committed. Group-committed
  // (see batcher.h): concurrent calls share one transaction and one commit.
  absl::Status Revoke(const Revocation& revocation, absl::Time deadline) override;

  // Streams through a server-side cursor, 10,000 rows per round trip, so
  // memory stays bounded whatever the row count. `visit` runs on the calling
  // thread, inside the read transaction: keep it fast. Bounded by 5 minutes
  // in all (DEADLINE_EXCEEDED).
  absl::Status ForEachUnexpired(absl::Time now,
                                const std::function<void(const Revocation&)>& visit) override;

  // Deletes revocations with expires_at <= now, and families with
  // absolute_expires_at <= now together with their tokens, 1,000 rows per
  // transaction (rows locked by others are left for the next run). Returns
  // revocations + families + tokens deleted. Bounded by 5 minutes in all.
  absl::StatusOr<int64_t> PurgeExpired(absl::Time now) override;

 private:
  friend class PgRevocationFeed;

  // Like ForEachUnexpired, but only rows written (by Revoke) after
  // `recorded_after`, a time of the database's clock (InfinitePast: every
  // row). Returns the database's clock at the start of the read, the
  // `recorded_after` of the next incremental read (minus a margin for
  // transactions that were still committing).
  absl::StatusOr<absl::Time> ForEachRecordedAfter(
      absl::Time recorded_after, absl::Time now,
      const std::function<void(const Revocation&)>& visit, absl::Time deadline);

  Database* const db_;
  std::unique_ptr<Batcher> revoke_;
};

}  // namespace tokend::store::postgres

#endif  // TOKEND_SERVER_STORE_POSTGRES_PG_REVOCATION_STORE_H_
