#include "store/postgres/connection_pool.h"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "store/postgres/errors.h"
#include "store/postgres/sql.h"

namespace tokend::store::postgres {

std::unique_ptr<pqxx::connection> OpenConnection(const std::string& dsn) {
  auto conn = std::make_unique<pqxx::connection>(dsn);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  // Without this libpqxx 6 silently reconnects a broken connection on next
  // use, outside any deadline, and re-issues session state we do not track.
  conn->inhibit_reactivation(true);
#pragma GCC diagnostic pop
  sql::PrepareAll(*conn);
  return conn;
}

namespace {

// Whether an idle connection still looks usable. Reads whatever the server
// sent while it was idle (without blocking): a server that shut down or
// restarted has sent an error and closed the socket.
bool LooksAlive(pqxx::connection& conn) {
  try {
    // Twice: the first read may only consume the server's farewell message
    // (57P01 on shutdown); the second then meets the closed socket.
    for (int i = 0; i < 2 && conn.is_open(); ++i) conn.get_notifs();
  } catch (...) {
    return false;
  }
  return conn.is_open();
}

}  // namespace

ConnectionPool::ConnectionPool(std::string dsn, int size)
    : dsn_(std::move(dsn)), size_(size) {}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Lease::Lease(ConnectionPool* pool,
                             std::unique_ptr<pqxx::connection> conn)
    : pool_(pool), conn_(std::move(conn)) {}

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      conn_(std::move(other.conn_)),
      broken_(other.broken_) {}

ConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->Release(std::move(conn_), broken_);
}

absl::StatusOr<std::unique_ptr<pqxx::connection>> ConnectionPool::Connect(
    absl::string_view operation) {
  try {
    return OpenConnection(dsn_);
  } catch (...) {
    return ClassifyException(std::current_exception(), operation).status;
  }
}

absl::StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire(
    absl::Time deadline, absl::string_view operation) {
  std::unique_ptr<pqxx::connection> conn;
  {
    absl::MutexLock lock(&mu_);
    auto can_take = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < size_;
    };
    if (!can_take()) {
      ++waiting_;
      const bool ready =
          mu_.AwaitWithDeadline(absl::Condition(&can_take), deadline);
      --waiting_;
      if (!ready) {
        return absl::DeadlineExceededError(
            "deadline exceeded waiting for a database connection");
      }
    }
    ++in_use_;
    if (!idle_.empty()) {
      conn = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_;  // reserve the slot; connect outside the lock
    }
  }
  if (conn != nullptr && !LooksAlive(*conn)) {
    common::Log(common::LogLevel::kInfo, "dropping dead database connection",
                {{"op", operation}});
    conn.reset();  // keeps the slot, opens a fresh one below
  }
  if (conn == nullptr) {
    auto opened = Connect(operation);
    if (!opened.ok()) {
      absl::MutexLock lock(&mu_);
      --open_;
      --in_use_;
      return opened.status();
    }
    conn = std::move(*opened);
  }
  return Lease(this, std::move(conn));
}

void ConnectionPool::Release(std::unique_ptr<pqxx::connection> conn,
                             bool broken) {
  if (broken || conn == nullptr || !conn->is_open()) {
    conn.reset();  // closes the socket outside the lock
    absl::MutexLock lock(&mu_);
    --open_;
    --in_use_;
    return;
  }
  absl::MutexLock lock(&mu_);
  --in_use_;
  idle_.push_back(std::move(conn));
}

ConnectionPool::Stats ConnectionPool::stats() const {
  absl::MutexLock lock(&mu_);
  return Stats{size_, open_, in_use_, waiting_};
}

absl::Status ConnectionPool::Warm() {
  auto lease = Acquire(absl::InfiniteFuture(), "open");
  return lease.status();  // the lease returns the connection to the pool
}

absl::Status RunTransaction(ConnectionPool& pool, absl::string_view operation,
                            absl::Time deadline,
                            absl::FunctionRef<absl::Status(pqxx::work&)> body) {
  for (int attempt = 0;; ++attempt) {
    const absl::Time now = absl::Now();
    if (now >= deadline)
      return absl::DeadlineExceededError("database deadline exceeded");
    auto lease = pool.Acquire(deadline, operation);
    if (!lease.ok()) return lease.status();
    bool body_started = false;
    try {
      pqxx::work txn(lease->conn());
      // statement_timeout 0 would mean "none": at least 1 ms; at most what
      // PostgreSQL accepts (INT_MAX ms, about 24 days).
      std::string timeout_ms = "0";
      if (deadline != absl::InfiniteFuture()) {
        const int64_t ms = absl::ToInt64Milliseconds(
            absl::Ceil(deadline - absl::Now(), absl::Milliseconds(1)));
        timeout_ms = absl::StrCat(std::clamp<int64_t>(ms, 1, INT32_MAX));
      }
      txn.exec_prepared(sql::kSetStatementTimeout.name, timeout_ms);
      body_started = true;
      absl::Status status = body(txn);
      if (!status.ok()) return status;  // ~work rolls back
      txn.commit();
      return absl::OkStatus();
    } catch (...) {
      DatabaseError error =
          ClassifyException(std::current_exception(), operation);
      if (error.connection_lost) lease->MarkBroken();
      // A connection that died while idle fails on BEGIN, before anything
      // was sent that could commit: safe to retry once on a fresh one.
      if (error.connection_lost && error.before_commit && !body_started &&
          attempt == 0) {
        continue;
      }
      return error.status;
    }
  }
}

}  // namespace tokend::store::postgres
