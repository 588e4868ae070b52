#ifndef TOKEND_SERVER_STORE_POSTGRES_SQL_H_
#define TOKEND_SERVER_STORE_POSTGRES_SQL_H_

// Every SQL statement tokend runs, as named constants. Each is prepared once
// per connection under its name (see PrepareAll), so a statement text is
// parsed and planned by PostgreSQL once per connection, and no SQL is ever
// assembled from request data. Migrations are the only other SQL; they live in
// migrations/*.sql.
//
// Conventions: times go in as text in UTC with microseconds
// ("2026-01-02 03:04:05.123456+00", see codec.h) and come out as bigint
// microseconds since the Unix epoch; text arrays go in as array literals.

#include "absl/types/span.h"

namespace pqxx {
class connection_base;
}

namespace tokend::store::postgres::sql {

struct Statement {
  const char* name;
  const char* text;
};

// The notification channel of revocations (see PgRevocationFeed); kRevoke
// names it literally.
inline constexpr char kRevocationChannel[] = "tokend_revocations";

// The advisory lock key that serializes Migrate() across processes: the
// bytes "tokend" as an integer.
inline constexpr long long kMigrationLockKey = 0x746F6B656E64LL;

// Session settings ($1: statement_timeout, text milliseconds).
// For RunTransaction: the statement timeout and PostgreSQL's default planner
// settings, both for the transaction only.
extern const Statement kSetTransactionTimeoutAndDefaultPlans;
// For RunAutocommit, whose one statement is its own transaction: the
// statement timeout, generic plans, and plans by index lookups and nested
// loops only, all for the session.
extern const Statement kSetSessionTimeoutAndIndexPlans;
extern const Statement kPing;

// Migrations.
extern const Statement kMigrationLock;          // $1 lock key
extern const Statement kMigrationsTableExists;  // -> bool
extern const Statement kCreateMigrationsTable;
extern const Statement kCurrentSchemaVersion;  // -> int
extern const Statement kRecordMigration;       // $1 version, $2 name

// Refresh tokens.
extern const Statement kCreateFamily;  // family $1..$7, first token $8..$11
extern const Statement kFindToken;     // $1 token hash
extern const Statement
    kRotateToken;  // $1 presented, $2 used_at, successor $3..$6

// Group commit (see batcher.h): the statements above for many rows at once
// (and reads batched the same way).
// Every parameter is an array with one element per row; text[] and bytea[]
// columns of a row travel as the text of an array literal.
extern const Statement kFindTokens;      // $1 token hashes -> kFindToken's columns + hash
extern const Statement kCreateFamilies;  // arrays of kCreateFamily's $1..$11
extern const Statement kRotateTokens;    // arrays of kRotateToken's $1..$6 -> rotated hashes
extern const Statement kRevokeMany;      // arrays of kRevoke's $1..$4

// Revocations.
extern const Statement
    kRevoke;  // $1 kind, $2 key, $3 revoked_at, $4 expires_at
extern const Statement kDeclareRevocations;  // $1 recorded after, $2 now
extern const Statement kFetchRevocations;
extern const Statement kTransactionTime;   // -> now() in microseconds
extern const Statement kPurgeRevocations;  // $1 now, $2 batch -> deleted
extern const Statement kPurgeFamilies;  // $1 now, $2 batch -> families, tokens

// All of the above.
absl::Span<const Statement* const> AllStatements();

// Registers every statement with `conn` (libpqxx prepares each on the
// server the first time it runs). Throws only what libpqxx throws.
void PrepareAll(pqxx::connection_base& conn);

}  // namespace tokend::store::postgres::sql

#endif  // TOKEND_SERVER_STORE_POSTGRES_SQL_H_
