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

// The notification channel of revocations (see PgRevocationFeed);
// kRevokeMany names it literally.
inline constexpr char kRevocationChannel[] = "tokend_revocations";

// The notification channel of managed signing key changes (see
// PgSigningKeyStore); kNotifySigningKeys names it literally.
inline constexpr char kSigningKeyChannel[] = "tokend_signing_keys";

// The advisory lock key that serializes SigningKeyStore::Change across
// processes: the bytes "tokkeys" as an integer.
inline constexpr long long kSigningKeyLockKey = 0x746F6B6B657973LL;

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
extern const Statement kReadSharedSecret;  // $1 name -> value bytea

// Migrations.
extern const Statement kMigrationLock;          // $1 lock key
extern const Statement kMigrationsTableExists;  // -> bool
extern const Statement kCreateMigrationsTable;
extern const Statement kCurrentSchemaVersion;  // -> int
extern const Statement kRecordMigration;       // $1 version, $2 name

// Refresh tokens and revocations, group-committed (see batcher.h): each
// statement serves any number of calls, one row per call (a call alone is a
// row alone). Every parameter is an array with one element per row; text[]
// and bytea[] columns of a row travel as the text of an array literal.
//   kFindTokens      $1 token hashes -> per token found: its columns, then
//                    its hash
//   kCreateFamilies  family $1 id, $2 client, $3 subject, $4 audience,
//                    $5 custom claims, $6 created_at, $7 absolute_expires_at;
//                    first token $8 hash, $9 scopes, $10 issued_at,
//                    $11 expires_at
//   kRotateTokens    $1 presented hash, $2 used_at; successor $3 hash,
//                    $4 scopes, $5 issued_at, $6 expires_at -> rotated hashes
//   kRevokeMany      $1 kind, $2 key, $3 revoked_at, $4 expires_at
extern const Statement kFindTokens;
extern const Statement kCreateFamilies;
extern const Statement kRotateTokens;
extern const Statement kRevokeMany;

// Revocations, read and purged.
extern const Statement kDeclareRevocations;  // $1 recorded after, $2 now
extern const Statement kFetchRevocations;
extern const Statement kTransactionTime;   // -> now() in microseconds
extern const Statement kPurgeRevocations;  // $1 now, $2 batch -> deleted
extern const Statement kPurgeFamilies;     // $1 now, $2 batch -> families, tokens

// Managed signing keys (table tokend_signing_keys). Times in and out as
// everywhere; sealed_key in and out as hex text.
//   kSigningKeyLock     $1 lock key
//   kListSigningKeys    -> kid, alg, kek_id, sealed hex, publish_from,
//                          signs_from, signs_until, delete_after, revoked_at
//                          (NULL: not revoked), created_at, imported
//   kInsertSigningKey   $1 kid, $2 alg, $3 kek_id, $4 sealed hex,
//                       $5 publish_from, $6 signs_from, $7 signs_until,
//                       $8 delete_after, $9 revoked_at ("": NULL), $10 imported
//   kUpdateSigningKey   the same columns, matched by $1 kid
//   kDeleteSigningKey   $1 kid
//   kNotifySigningKeys  tells every replica's feed to re-read the keys
extern const Statement kSigningKeyLock;
extern const Statement kListSigningKeys;
extern const Statement kInsertSigningKey;
extern const Statement kUpdateSigningKey;
extern const Statement kDeleteSigningKey;
extern const Statement kNotifySigningKeys;

// All of the above.
absl::Span<const Statement* const> AllStatements();

// Registers every statement with `conn` (libpqxx prepares each on the
// server the first time it runs). Throws only what libpqxx throws.
void PrepareAll(pqxx::connection_base& conn);

}  // namespace tokend::store::postgres::sql

#endif  // TOKEND_SERVER_STORE_POSTGRES_SQL_H_
