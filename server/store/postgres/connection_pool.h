#ifndef TOKEND_SERVER_STORE_POSTGRES_CONNECTION_POOL_H_
#define TOKEND_SERVER_STORE_POSTGRES_CONNECTION_POOL_H_

// The bounded pool of libpq connections behind Database, and the transaction
// runner every store method goes through. Internal to store/postgres: only
// this folder includes libpqxx.

#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tokend::store::postgres {

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

    pqxx::connection& conn() { return *conn_; }
    // The connection is closed instead of returned to the pool.
    void MarkBroken() { broken_ = true; }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, std::unique_ptr<pqxx::connection> conn);
    ConnectionPool* pool_;
    std::unique_ptr<pqxx::connection> conn_;
    bool broken_ = false;
  };

  // A connection: an idle one that still looks alive, else a new one.
  // Waits for a free slot until `deadline` at most: DEADLINE_EXCEEDED.
  // UNAVAILABLE when a new connection cannot be opened (bounded by the DSN's
  // connect_timeout, which may outlast `deadline`). `operation` names the
  // caller in logs.
  absl::StatusOr<Lease> Acquire(absl::Time deadline,
                                absl::string_view operation);

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
  absl::StatusOr<std::unique_ptr<pqxx::connection>> Connect(
      absl::string_view operation);
  void Release(std::unique_ptr<pqxx::connection> conn, bool broken);

  const std::string dsn_;
  const int size_;
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle, in use, or being opened
  int in_use_ ABSL_GUARDED_BY(mu_) = 0;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
};

// Opens a libpq connection to `dsn` with tokend's statements registered and
// libpqxx's silent reconnection turned off (we reconnect deliberately, so a
// retry never hides from the caller). Throws what libpqxx throws.
std::unique_ptr<pqxx::connection> OpenConnection(const std::string& dsn);

// Runs `body` in one READ COMMITTED transaction on a pooled connection and
// commits it when `body` returns OK (a non-OK status rolls back and is
// returned). statement_timeout is set from `deadline` for the transaction, so
// a statement still running at the deadline is cancelled and the transaction
// rolls back: nothing half-written. Exceptions from `body` or libpqxx are
// classified by ClassifyException. A connection that proves dead before
// `body` ran (for example idle across a server restart) is replaced once.
absl::Status RunTransaction(ConnectionPool& pool, absl::string_view operation,
                            absl::Time deadline,
                            absl::FunctionRef<absl::Status(pqxx::work&)> body);

}  // namespace tokend::store::postgres

#endif  // TOKEND_SERVER_STORE_POSTGRES_CONNECTION_POOL_H_
