#include "store/postgres/connection_pool.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
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

bool SyncWaitWatch::operator()(const char msg[]) noexcept {
  // PostgreSQL's WARNING "canceling wait for synchronous replication due to
  // user request" (src/backend/replication/syncrep.c).
  if (std::strstr(msg, "canceling wait for synchronous replication") != nullptr) cancelled_ = true;
  return true;  // older handlers see it too
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

ConnectionPool::ConnectionPool(std::string dsn, int size) : dsn_(std::move(dsn)), size_(size) {}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Lease::Lease(ConnectionPool* pool, Pooled conn)
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

absl::StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire(absl::Time deadline,
                                                              absl::string_view operation) {
  Lease::Pooled conn;
  {
    absl::MutexLock lock(&mu_);
    auto can_take = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < size_;
    };
    if (!can_take()) {
      ++waiting_;
      const bool ready = mu_.AwaitWithDeadline(absl::Condition(&can_take), deadline);
      --waiting_;
      if (!ready) {
        return absl::DeadlineExceededError("deadline exceeded waiting for a database connection");
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
  if (conn.conn != nullptr && !LooksAlive(*conn.conn)) {
    common::Log(common::LogLevel::kInfo, "dropping dead database connection", {{"op", operation}});
    conn = Lease::Pooled();  // keeps the slot, opens a fresh one below
  }
  if (conn.conn == nullptr) {
    auto opened = Connect(operation);
    if (!opened.ok()) {
      absl::MutexLock lock(&mu_);
      --open_;
      --in_use_;
      return opened.status();
    }
    conn.conn = std::move(*opened);
    conn.watch = std::make_unique<SyncWaitWatch>(*conn.conn);
  }
  return Lease(this, std::move(conn));
}

void ConnectionPool::Release(Lease::Pooled conn, bool broken) {
  if (broken || conn.conn == nullptr || !conn.conn->is_open()) {
    conn.conn.reset();  // closes the socket outside the lock
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

namespace {

// statement_timeout for SQL that must end by `deadline`, in milliseconds: at
// least 1 (0 would mean none), at most what PostgreSQL accepts (INT_MAX ms,
// about 24 days, which an infinite deadline gets).
int64_t TimeoutMs(absl::Time deadline) {
  return std::clamp<int64_t>(
      absl::ToInt64Milliseconds(absl::Ceil(deadline - absl::Now(), absl::Milliseconds(1))), 1,
      INT32_MAX);
}

// How far past a statement's deadline the session's statement_timeout may
// reach before RunAutocommit sets it again: the most a batch may run past its
// earliest member's deadline (see batcher.h). Small, because a write that
// commits after its caller was told DEADLINE_EXCEEDED surprises the caller;
// not zero, because each new value costs a round trip.
constexpr int64_t kSessionTimeoutSlackMs = 200;

// The loop both runners share (see connection_pool.h). `attempt` runs the SQL
// on the leased connection and sets `sent` once it may have sent something
// that could commit; until then a connection found dead is replaced once.
absl::Status RunPooled(
    ConnectionPool& pool, absl::string_view operation, absl::Time deadline,
    absl::FunctionRef<absl::Status(ConnectionPool::Lease&, bool& sent)> attempt) {
  for (int tries = 0;; ++tries) {
    if (absl::Now() >= deadline) return absl::DeadlineExceededError("database deadline exceeded");
    auto lease = pool.Acquire(deadline, operation);
    if (!lease.ok()) return lease.status();
    bool sent = false;
    try {
      lease->TakeCancelledSyncWait();  // forget a notice of an earlier call
      absl::Status status = attempt(*lease, sent);
      if (status.ok() && lease->TakeCancelledSyncWait()) {
        // Committed on this server but perhaps on no standby: an OK answer
        // would promise a durability that a failover can take back. As for
        // an in-doubt commit, the caller is told to retry.
        common::Log(common::LogLevel::kWarning,
                    "database commit not confirmed by a synchronous standby (its wait was "
                    "cancelled); answering unavailable",
                    {{"op", operation}});
        return absl::UnavailableError("database unavailable");
      }
      return status;
    } catch (...) {
      DatabaseError error = ClassifyException(std::current_exception(), operation);
      if (error.connection_lost) lease->MarkBroken();
      // A connection that died while idle fails on its first use, before
      // anything was sent that could commit: safe to retry once on a fresh one.
      if (error.connection_lost && error.before_commit && !sent && tries == 0) continue;
      return error.status;
    }
  }
}

}  // namespace

absl::Status RunTransaction(ConnectionPool& pool, absl::string_view operation, absl::Time deadline,
                            absl::FunctionRef<absl::Status(pqxx::work&)> body) {
  return RunPooled(pool, operation, deadline, [&](ConnectionPool::Lease& lease, bool& sent) {
    pqxx::work txn(lease.conn());
    txn.exec_prepared(sql::kSetTransactionTimeoutAndDefaultPlans.name,
                      absl::StrCat(TimeoutMs(deadline)));
    sent = true;
    absl::Status status = body(txn);
    if (!status.ok()) return status;  // ~work rolls back
    txn.commit();
    return absl::OkStatus();
  });
}

absl::Status RunAutocommit(ConnectionPool& pool, absl::string_view operation, absl::Time deadline,
                           absl::FunctionRef<void(pqxx::transaction_base&)> statement) {
  return RunPooled(pool, operation, deadline, [&](ConnectionPool::Lease& lease, bool& sent) {
    pqxx::nontransaction txn(lease.conn());
    const int64_t ms = TimeoutMs(deadline);
    int64_t& session_ms = lease.session_timeout_ms();
    if (session_ms == 0 || session_ms < ms || session_ms > ms + kSessionTimeoutSlackMs) {
      // Half the slack on top, so that the next statements' slightly later
      // deadlines (most are "now + the RPC layer's cap") need no new SET.
      const int64_t set_ms = std::min<int64_t>(ms + kSessionTimeoutSlackMs / 2, INT32_MAX);
      session_ms = 0;  // unknown until the SET is known to be done
      txn.exec_prepared(sql::kSetSessionTimeoutAndIndexPlans.name, absl::StrCat(set_ms));
      session_ms = set_ms;
    }
    sent = true;
    statement(txn);
    return absl::OkStatus();
  });
}

}  // namespace tokend::store::postgres
