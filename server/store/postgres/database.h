#ifndef TOKEND_SERVER_STORE_POSTGRES_DATABASE_H_
#define TOKEND_SERVER_STORE_POSTGRES_DATABASE_H_

// The PostgreSQL database tokend keeps its refresh tokens and revocations in.
// This header names no libpqxx type, so main.cc and tests can include it.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tokend::store::postgres {

class ConnectionPool;  // connection_pool.h, internal to this folder

struct DatabaseOptions {
  // A libpq connection string, key=value or postgresql:// URI, of one server
  // or several (see EffectiveDsn). When it names no connect_timeout,
  // connect_timeout below is appended.
  std::string dsn;
  // Most connections open at once; callers beyond it wait (until their
  // deadline) for one to be returned. 1..1000.
  int pool_size = 8;
  // Bound on opening one connection. libpq counts whole seconds, at least 2:
  // it is rounded up to that.
  absl::Duration connect_timeout = absl::Seconds(5);
  // Shown in pg_stat_activity, unless the DSN names one: operators (and
  // tests) tell the feed's LISTEN session ("tokend-feed") from the pool's.
  std::string application_name = "tokend";
};

// A bounded pool of connections to one database. Connections are opened on
// demand (Open opens the first to check the database is reachable), closed
// when found broken, and re-opened by a later call, so after PostgreSQL
// restarts or fails over calls succeed again without restarting anything.
// Thread-safe. Must outlive every store and feed made from it.
class Database {
 public:
  // INVALID_ARGUMENT naming the option when `options` are invalid (an
  // unparsable DSN included; the message never repeats the DSN, which may
  // hold a password). Opens one connection eagerly: UNAVAILABLE when it
  // cannot. Does not check the schema (see migrations.h).
  static absl::StatusOr<std::unique_ptr<Database>> Open(const DatabaseOptions& options);

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs a trivial query, for readiness: OK, UNAVAILABLE, or
  // DEADLINE_EXCEEDED when `deadline` passes first.
  absl::Status Ping(absl::Time deadline);

  // The secret called `name` in table tokend_secrets (migration 0002), which
  // every replica shares: "refresh_successor_key". NOT_FOUND when there is
  // none; UNAVAILABLE / DEADLINE_EXCEEDED as Ping.
  absl::StatusOr<std::string> SharedSecret(absl::string_view name, absl::Time deadline);

  struct PoolStats {
    int size;     // pool_size
    int in_use;   // connections lent out (or being opened) right now
    int waiting;  // callers waiting for a connection
    int open;     // connections open (idle or in use)
  };
  PoolStats stats() const;

  // For the stores in this folder.
  ConnectionPool& pool() { return *pool_; }

 private:
  explicit Database(std::unique_ptr<ConnectionPool> pool);

  std::unique_ptr<ConnectionPool> pool_;
};

// `options.dsn` with connect_timeout appended when it names none. Exposed for
// PgRevocationFeed, which opens its own connection. INVALID_ARGUMENT when the
// DSN cannot be parsed, an option is out of range, or the servers it lists
// cannot be told apart: host, hostaddr and port lists of different lengths,
// a port outside 1..65535, an unknown target_session_attrs (libpq itself
// finds these only when connecting, and then fails like an unreachable
// server). A DSN may list several servers (host=a,b port=p,q): every
// connection is opened through the whole list, and, unless the DSN names
// another target_session_attrs, kept only on a server that accepts writes
// (target_session_attrs=read-write is appended), so after a failover new
// connections reach the new primary.
absl::StatusOr<std::string> EffectiveDsn(const DatabaseOptions& options);

}  // namespace tokend::store::postgres

#endif  // TOKEND_SERVER_STORE_POSTGRES_DATABASE_H_
