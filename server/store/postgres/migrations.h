#ifndef TOKEND_SERVER_STORE_POSTGRES_MIGRATIONS_H_
#define TOKEND_SERVER_STORE_POSTGRES_MIGRATIONS_H_

// Schema migrations: the numbered files in migrations/ (0001_initial.sql,
// ...), compiled into the binary, applied in order and recorded in the table
// schema_migrations(version, name, applied_at).

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/postgres/database.h"

namespace tokend::store::postgres {

// The newest migration this binary knows. The build fails when it differs
// from the newest file in migrations/.
inline constexpr int kSchemaVersion = 3;

// The newest migration applied to the database; 0 when none is (an empty
// database). It may exceed kSchemaVersion when a newer binary migrated.
// UNAVAILABLE / DEADLINE_EXCEEDED / INTERNAL as the stores.
absl::StatusOr<int> CurrentSchemaVersion(Database& db);

// Applies every migration newer than the database's, in order, each in its
// own transaction together with its schema_migrations row, so a failure
// leaves the database at the last complete version. Each transaction first
// takes a transaction-scoped advisory lock and re-reads the version, so any
// number of replicas or jobs may run Migrate at once: each migration is
// applied exactly once. Idempotent; does nothing when the database is at or
// past kSchemaVersion. Waits up to 5 minutes in all (for another migrator's
// lock included): DEADLINE_EXCEEDED after that.
absl::Status Migrate(Database& db);

}  // namespace tokend::store::postgres

#endif  // TOKEND_SERVER_STORE_POSTGRES_MIGRATIONS_H_
