#include "store/postgres/sql.h"

#include <pqxx/pqxx>

namespace tokend::store::postgres::sql {

// A timestamptz column as bigint microseconds since the Unix epoch. EXTRACT
// returns numeric (PostgreSQL 14+), so this is exact.
#define TOKEND_MICROS(col) "(EXTRACT(EPOCH FROM " col ") * 1000000)::bigint"

const Statement kSetTransactionTimeoutAndDefaultPlans = {
    "set_transaction_timeout_default_plans",
    // SET LOCAL: the timeout ends with the transaction. The planner settings
    // are PostgreSQL's defaults for the transaction, whatever a batch left on
    // the session (see kSetSessionTimeoutAndIndexPlans).
    "SELECT set_config('statement_timeout', $1, true),"
    " set_config('plan_cache_mode', 'auto', true),"
    " set_config('enable_seqscan', 'on', true),"
    " set_config('enable_hashjoin', 'on', true),"
    " set_config('enable_mergejoin', 'on', true)"};

const Statement kSetSessionTimeoutAndIndexPlans = {
    "set_session_timeout_index_plans",
    // For the session, not the transaction: group commit runs one statement
    // in autocommit mode (see RunAutocommit). Every transaction of
    // RunTransaction sets its own with kSetTransactionTimeoutAndDefaultPlans,
    // so a value left on a pooled connection never governs anything else.
    //
    // Generic plans for the batch statements: with custom plans PostgreSQL
    // plans every execution again (an array parameter's size changes the
    // estimates, so the generic plan never looks cheaper), a large share of
    // its CPU per call (BENCHMARKS.md).
    //
    // A generic plan is made once per connection, from the statistics of
    // that moment, and kept: made on a new, empty database it would join
    // refresh_families by a sequential scan (and the foreign key checks
    // would scan it too), and every batch would grow slower as the tables
    // fill. Every batch statement (and foreign key check) is a lookup by
    // key, so the index plan is right whatever the statistics say; these
    // settings make it the only one the planner picks. With hash and merge
    // joins off, no batch statement may join two of its own row sets (that
    // nested loop would compare every row of a batch with every other).
    "SELECT set_config('statement_timeout', $1, false),"
    " set_config('plan_cache_mode', 'force_generic_plan', false),"
    " set_config('enable_seqscan', 'off', false),"
    " set_config('enable_hashjoin', 'off', false),"
    " set_config('enable_mergejoin', 'off', false)"};

const Statement kPing = {"ping", "SELECT 1"};

const Statement kReadSharedSecret = {"read_shared_secret",
                                     "SELECT value FROM tokend_secrets WHERE name = $1"};

const Statement kMigrationLock = {"migration_lock", "SELECT pg_advisory_xact_lock($1::bigint)"};

const Statement kMigrationsTableExists = {"migrations_table_exists",
                                          "SELECT to_regclass('schema_migrations') IS NOT NULL"};

const Statement kCreateMigrationsTable = {"create_migrations_table",
                                          "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                          " version integer PRIMARY KEY,"
                                          " name text NOT NULL,"
                                          " applied_at timestamptz NOT NULL DEFAULT now())"};

const Statement kCurrentSchemaVersion = {"current_schema_version",
                                         "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"};

const Statement kRecordMigration = {
    "record_migration", "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)"};

const Statement kFindTokens = {
    "find_tokens",
    // Each token found, with its family and revocation state, each row
    // ending with its hash (hashes not found give no row).
    "SELECT t.family_id, t.scopes,"
    " " TOKEND_MICROS("t.issued_at") ","
    " " TOKEND_MICROS("t.expires_at") ","
    " " TOKEND_MICROS("t.used_at") ","
    " f.client_id, f.subject, f.audience, f.custom_claims,"
    " " TOKEND_MICROS("f.created_at") ","
    " " TOKEND_MICROS("f.absolute_expires_at") ","
    // A scalar subquery, not EXISTS: PostgreSQL may run an EXISTS as one
    // hashed scan of every family revocation per execution, and a generic
    // plan made while there were few keeps doing so when there are many.
    " (SELECT true FROM revocations r WHERE r.kind = 2"
    "  AND r.key_hash = tokend_revocation_key_hash(f.family_id)"
    "  AND r.key = f.family_id) IS NOT NULL,"
    " (SELECT " TOKEND_MICROS("r.revoked_at") " FROM revocations r"
    "  WHERE r.kind = 3"
    "  AND r.key_hash = tokend_revocation_key_hash(f.subject)"
    "  AND r.key = f.subject),"
    " t.token_hash"
    " FROM refresh_tokens t"
    " JOIN refresh_families f ON f.family_id = t.family_id"
    " WHERE t.token_hash = ANY($1::bytea[])"};

const Statement kCreateFamilies = {
    "create_families",
    // Each family and its first token, in one statement: all of them commit
    // together, or (on any error, such as a duplicate key) none. The tokens
    // come straight from the input, not from a join with the inserted
    // families: the batch session allows only nested-loop joins (see
    // kSetSessionTimeoutAndIndexPlans), and a join of two CTEs would compare
    // every row with every other. The foreign key checks run at the end of
    // the statement and see the families.
    "WITH input AS ("
    " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
    "  $6::timestamptz[], $7::timestamptz[], $8::bytea[], $9::text[], $10::timestamptz[],"
    "  $11::timestamptz[])"
    "  AS i(family_id, client_id, subject, audience, custom_claims, created_at,"
    "   absolute_expires_at, token_hash, scopes, issued_at, expires_at)),"
    " families AS ("
    " INSERT INTO refresh_families"
    "  (family_id, client_id, subject, audience, custom_claims, created_at,"
    "   absolute_expires_at)"
    " SELECT family_id, client_id, subject, audience::text[], custom_claims, created_at,"
    "  absolute_expires_at FROM input)"
    " INSERT INTO refresh_tokens"
    "  (token_hash, family_id, scopes, issued_at, expires_at)"
    " SELECT token_hash, family_id, scopes::text[], issued_at, expires_at FROM input"};

const Statement kRotateTokens = {
    "rotate_tokens",
    // Redeems each presented token (distinct: see batcher.h) and stores its
    // successor in the presented token's family. Why one statement: the
    // UPDATE is the linearization point. Concurrent callers queue on the row
    // lock; after the winner commits, read committed re-checks
    // `used_at IS NULL` for each waiter, which is now false, so their UPDATE
    // matches no row and they insert nothing.
    // Each input row finds its token through the primary key (the only
    // join the batch session's planner settings leave is that nested loop),
    // and the UPDATE returns the successor's columns along with the family,
    // so the INSERT needs no second join. Returns the hashes that were
    // rotated; the others were already used (or unknown), and got no
    // successor.
    "WITH used AS ("
    " UPDATE refresh_tokens t SET used_at = i.used_at"
    " FROM unnest($1::bytea[], $2::timestamptz[], $3::bytea[], $4::text[],"
    "  $5::timestamptz[], $6::timestamptz[])"
    "  AS i(presented, used_at, successor, scopes, issued_at, expires_at)"
    " WHERE t.token_hash = i.presented AND t.used_at IS NULL"
    " RETURNING t.token_hash, t.family_id, i.successor, i.scopes, i.issued_at,"
    "  i.expires_at),"
    " successors AS ("
    " INSERT INTO refresh_tokens"
    "  (token_hash, family_id, scopes, issued_at, expires_at)"
    " SELECT successor, family_id, scopes::text[], issued_at, expires_at FROM used"
    " RETURNING 1)"
    " SELECT token_hash FROM used"};

const Statement kRevokeMany = {
    "revoke_many",
    // Upserts each revocation (distinct (kind, key): RevokeMany merges equal ones) keeping
    // the later times, then notifies every replica of each merged row in the
    // same transaction (PostgreSQL delivers at commit, never before): one
    // statement, one commit. Payload: "<kind> <revoked_at us> <expires_at us>
    // <key>", the key last because it may contain spaces. NOTIFY payloads
    // must be shorter than 8000 bytes; a longer one is sent empty and the
    // listener re-reads recent rows instead.
    "WITH input AS ("
    " SELECT * FROM unnest($1::smallint[], $2::text[], $3::timestamptz[],"
    "  $4::timestamptz[]) AS i(kind, key, revoked_at, expires_at)),"
    " up AS ("
    " INSERT INTO revocations AS r (kind, key, revoked_at, expires_at)"
    " SELECT kind, key, revoked_at, expires_at FROM input"
    " ON CONFLICT (kind, key_hash) DO UPDATE SET"
    "  revoked_at = GREATEST(r.revoked_at, EXCLUDED.revoked_at),"
    "  expires_at = GREATEST(r.expires_at, EXCLUDED.expires_at),"
    "  recorded_at = clock_timestamp()"
    " RETURNING kind, key, revoked_at, expires_at),"
    " payload AS ("
    " SELECT kind::text"
    "  || ' ' || " TOKEND_MICROS("revoked_at") "::text"
    "  || ' ' || " TOKEND_MICROS("expires_at") "::text"
    "  || ' ' || key AS p FROM up)"
    " SELECT pg_notify('tokend_revocations',"
    "  CASE WHEN octet_length(p) < 8000 THEN p ELSE '' END) FROM payload"};

const Statement kDeclareRevocations = {
    "declare_revocations",
    "DECLARE tokend_revocations_cursor NO SCROLL CURSOR FOR"
    " SELECT kind, key, " TOKEND_MICROS("revoked_at") ","
    " " TOKEND_MICROS("expires_at") " FROM revocations"
    " WHERE recorded_at > $1::timestamptz AND expires_at > $2::timestamptz"};

const Statement kFetchRevocations = {"fetch_revocations",
                                     "FETCH FORWARD 10000 FROM tokend_revocations_cursor"};

const Statement kTransactionTime = {"transaction_time", "SELECT " TOKEND_MICROS("now()")};

const Statement kPurgeRevocations = {"purge_revocations",
                                     "DELETE FROM revocations WHERE (kind, key_hash) IN ("
                                     " SELECT kind, key_hash FROM revocations"
                                     " WHERE expires_at <= $1::timestamptz"
                                     " LIMIT $2::integer FOR UPDATE SKIP LOCKED)"};

const Statement kPurgeFamilies = {
    "purge_families",
    // The tokens are deleted explicitly (rather than only by the cascade) so
    // that they can be counted.
    "WITH doomed AS ("
    " SELECT family_id FROM refresh_families"
    " WHERE absolute_expires_at <= $1::timestamptz"
    " LIMIT $2::integer FOR UPDATE SKIP LOCKED),"
    " tokens AS (DELETE FROM refresh_tokens"
    "  WHERE family_id IN (SELECT family_id FROM doomed) RETURNING 1),"
    " families AS (DELETE FROM refresh_families"
    "  WHERE family_id IN (SELECT family_id FROM doomed) RETURNING 1)"
    " SELECT (SELECT count(*) FROM families), (SELECT count(*) FROM tokens)"};

const Statement kSigningKeyLock = {"signing_key_lock", "SELECT pg_advisory_xact_lock($1::bigint)"};

const Statement kListSigningKeys = {
    "list_signing_keys",
    "SELECT kid, alg, kek_id, encode(sealed_key, 'hex'),"
    " " TOKEND_MICROS("publish_from") ","
    " " TOKEND_MICROS("signs_from") ","
    " " TOKEND_MICROS("signs_until") ","
    " " TOKEND_MICROS("delete_after") ","
    " " TOKEND_MICROS("revoked_at") ","
    " " TOKEND_MICROS("created_at") ","
    " imported"
    " FROM tokend_signing_keys ORDER BY signs_from"};

const Statement kInsertSigningKey = {
    "insert_signing_key",
    "INSERT INTO tokend_signing_keys (kid, alg, kek_id, sealed_key, publish_from, signs_from,"
    " signs_until, delete_after, revoked_at, imported)"
    " VALUES ($1, $2, $3, decode($4, 'hex'), $5::timestamptz, $6::timestamptz, $7::timestamptz,"
    " $8::timestamptz, NULLIF($9, '')::timestamptz, $10::boolean)"};

const Statement kUpdateSigningKey = {
    "update_signing_key",
    "UPDATE tokend_signing_keys SET alg = $2, kek_id = $3, sealed_key = decode($4, 'hex'),"
    " publish_from = $5::timestamptz, signs_from = $6::timestamptz,"
    " signs_until = $7::timestamptz, delete_after = $8::timestamptz,"
    " revoked_at = NULLIF($9, '')::timestamptz, imported = $10::boolean WHERE kid = $1"};

const Statement kDeleteSigningKey = {"delete_signing_key",
                                     "DELETE FROM tokend_signing_keys WHERE kid = $1"};

const Statement kNotifySigningKeys = {"notify_signing_keys",
                                      "SELECT pg_notify('tokend_signing_keys', '')"};

#undef TOKEND_MICROS

absl::Span<const Statement* const> AllStatements() {
  static const Statement* const kAll[] = {
      &kSetTransactionTimeoutAndDefaultPlans,
      &kSetSessionTimeoutAndIndexPlans,
      &kPing,
      &kReadSharedSecret,
      &kMigrationLock,
      &kMigrationsTableExists,
      &kCreateMigrationsTable,
      &kCurrentSchemaVersion,
      &kRecordMigration,
      &kFindTokens,
      &kCreateFamilies,
      &kRotateTokens,
      &kRevokeMany,
      &kDeclareRevocations,
      &kFetchRevocations,
      &kTransactionTime,
      &kPurgeRevocations,
      &kPurgeFamilies,
      &kSigningKeyLock,
      &kListSigningKeys,
      &kInsertSigningKey,
      &kUpdateSigningKey,
      &kDeleteSigningKey,
      &kNotifySigningKeys,
  };
  return kAll;
}

void PrepareAll(pqxx::connection_base& conn) {
  for (const Statement* s : AllStatements()) conn.prepare(s->name, s->text);
}

}  // namespace tokend::store::postgres::sql
