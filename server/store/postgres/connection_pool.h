#ifndef TOKEND_SERVER_STORE_POSTGRES_CONNECTION_POOL_H_
#define TOKEND_SERVER_STORE_POSTGRES_CONNECTION_POOL_H_

// The bounded pool of libpq connections behind Database, and the two ways
// every store method runs SQL on one (RunTransaction, RunAutocommit).
// Internal to store/postgres: only this folder includes libpqxx.

#include <cstdint>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tokend::store::postgres {

// Watches one connection's notices for PostgreSQL's report that a commit
// stopped waiting for its synchronous standby because the wait was cancelled
// (pg_cancel_backend): that transaction committed on the primary, and no
// standby may have it, so a failover can undo it. Matched by its text
// because libpqxx 6 passes notices on as text only; that is PostgreSQL's
// English text (lc_messages C or en_*), which a server translating its
// messages does not send. Used by the connection's thread only.
class SyncWaitWatch final : public pqxx::errorhandler {
 public:
  explicit SyncWaitWatch(pqxx::connection_base& conn) : pqxx::errorhandler(conn) {}
  bool operator()(const char msg[]) noexcept override;
  // Whether such a notice arrived since the previous call.
  bool TakeCancelled() { return std::exchange(cancelled_, false); }

 private:
  bool cancelled_ = false;
};

// Up to `size` connections to one DSN, opened on demand. A connection is used
// by one thread at a time (libpq forbids sharing one). A connection found
// broken is closed and a fresh one is opened by a later Acquire, so the pool
// heals by itself when PostgreSQL comes back. Thread-safe.
class ConnectionPool {
 public:
  // `dsn` must already carry connect_timeout (see Database::Open).
  ConnectionPool(std::string dsn, int size);
  ~ConnectionPool();  // Every Lease must have been returned.

  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Exclusive use of one connection until destroyed.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();

    pqxx::connection& conn() { return *conn_.conn; }
    // The statement_timeout RunAutocommit last gave this connection's
    // session, in milliseconds; 0 when unknown. It stays with the connection
    // while it is pooled and goes when it is closed.
    int64_t& session_timeout_ms() { return conn_.session_timeout_ms; }
    // The connection is closed instead of returned to the pool.
    void MarkBroken() { broken_ = true; }
    // Whether a commit on this connection stopped waiting for its
    // synchronous standby since the previous call (see SyncWaitWatch).
    bool TakeCancelledSyncWait() { return conn_.watch->TakeCancelled(); }

   private:
    friend class ConnectionPool;
    struct Pooled {
      std::unique_ptr<pqxx::connection> conn;
      // Registered with `conn`; declared after it, so destroyed before it.
      std::unique_ptr<SyncWaitWatch> watch;
      int64_t session_timeout_ms = 0;
    };
    Lease(ConnectionPool* pool, Pooled conn);
    ConnectionPool* pool_;
    Pooled conn_;
    bool broken_ = false;
  };

  // A connection: an idle one that still looks alive, else a new one.
  // Waits for a free slot until `deadline` at most: DEADLINE_EXCEEDED.
  // UNAVAILABLE when a new connection cannot be opened (bounded by the DSN's
  // connect_timeout, which may outlast `deadline`). `operation` names the
  // caller in logs.
  absl::StatusOr<Lease> Acquire(absl::Time deadline, absl::string_view operation);

  struct Stats {
    int size = 0;
    int open = 0;
    int in_use = 0;
    int waiting = 0;
  };
  Stats stats() const;

  // Opens one connection and keeps it idle: Database::Open's eager check.
  absl::Status Warm();

 private:
  absl::StatusOr<std::unique_ptr<pqxx::connection>> Connect(absl::string_view operation);
  void Release(Lease::Pooled conn, bool broken);

  const std::string dsn_;
  const int size_;
  mutable absl::Mutex mu_;
  std::vector<Lease::Pooled> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle, in use, or being opened
  int in_use_ ABSL_GUARDED_BY(mu_) = 0;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
};

// Opens a libpq connection to `dsn` with tokend's statements registered and
// libpqxx's silent reconnection turned off (we reconnect deliberately, so a
// retry never hides from the caller). Throws what libpqxx throws.
std::unique_ptr<pqxx::connection> OpenConnection(const std::string& dsn);

// Both runners below: wait for a pooled connection until `deadline`
// (DEADLINE_EXCEEDED, or UNAVAILABLE when none can be opened), bound the SQL
// by `deadline` with statement_timeout (a statement still running then is
// cancelled and rolled back: nothing half-written), and turn exceptions into
// a Status with ClassifyException. A connection that proves dead before
// anything that could commit was sent (for example idle across a server
// restart) is replaced once. A commit that PostgreSQL reports as no longer
// waiting for its synchronous standby (SyncWaitWatch) is UNAVAILABLE, not
// OK: it is on the primary only, and the caller's retry is safe.

// Runs `body` in one READ COMMITTED transaction and commits it when `body`
// returns OK (a non-OK status rolls back and is returned). The transaction
// plans with PostgreSQL's default settings, whatever RunAutocommit left on
// the session.
absl::Status RunTransaction(ConnectionPool& pool, absl::string_view operation, absl::Time deadline,
                            absl::FunctionRef<absl::Status(pqxx::work&)> body);

// Runs `statement`, which must send exactly one statement, in autocommit
// mode: that statement is its own transaction, committed when it returns.
// One round trip, where RunTransaction needs four (BEGIN, settings,
// statement, COMMIT). The session plans with generic plans limited to index
// lookups and nested loops (see sql.h kSetSessionTimeoutAndIndexPlans); its
// statement_timeout is set (a second round trip) only when the connection's
// current one would end the statement before `deadline` or more than a
// second after it.
absl::Status RunAutocommit(ConnectionPool& pool, absl::string_view operation, absl::Time deadline,
                           absl::FunctionRef<void(pqxx::transaction_base&)> statement);

}  // namespace tokend::store::postgres

#endif  // TOKEND_SERVER_STORE_POSTGRES_CONNECTION_POOL_H_
