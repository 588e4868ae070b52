#include "store/postgres/batcher.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "store/postgres/errors.h"
#include "store/postgres/sql.h"

namespace tokend::store::postgres {
namespace {

// Failures that may belong to one operation of the batch, and that nothing
// was committed for: each operation is then retried on its own.
//   ALREADY_EXISTS    a duplicate key (23505)
//   ABORTED           a deadlock or serialization failure with another batch
//   INVALID_ARGUMENT  a value the database refused
//   INTERNAL          anything unexpected
// UNAVAILABLE and DEADLINE_EXCEEDED concern the whole batch (and an in-doubt
// COMMIT is UNAVAILABLE: it must not run again).
bool RetryAlone(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kInternal:
      return true;
    default:
      return false;
  }
}

// The session-level statement_timeout each pooled connection was last given
// here, keyed by connection and backend pid (a new connection at a freed
// connection's address has another pid). Shared by every Batcher: they share
// the pool's connections.
class SessionTimeouts {
 public:
  // Whether a connection whose session timeout is `current_ms` (0: unknown)
  // must be given `wanted_ms`: when its timeout would cancel the statement
  // before the deadline, or let it run more than kSlack past it.
  static bool NeedsSet(int64_t current_ms, int64_t wanted_ms) {
    return current_ms == 0 || current_ms < wanted_ms || current_ms > wanted_ms + kSlackMs;
  }
  int64_t Get(const pqxx::connection_base& conn) {
    absl::MutexLock lock(&mu_);
    auto it = by_connection_.find(Key(conn));
    return it == by_connection_.end() ? 0 : it->second;
  }
  void Set(const pqxx::connection_base& conn, int64_t ms) {
    absl::MutexLock lock(&mu_);
    // Entries of closed connections are never looked up again; forgetting
    // them all now and then only costs each live connection one more SET.
    if (by_connection_.size() >= kMaxEntries) by_connection_.clear();
    if (ms == 0) {
      by_connection_.erase(Key(conn));
    } else {
      by_connection_[Key(conn)] = ms;
    }
  }

 public:
  static constexpr int64_t kSlackMs = 1000;
  static constexpr size_t kMaxEntries = 4096;

 private:
  using ConnectionKey = std::pair<const void*, int>;
  static ConnectionKey Key(const pqxx::connection_base& conn) { return {&conn, conn.backendpid()}; }
  absl::Mutex mu_;
  absl::flat_hash_map<ConnectionKey, int64_t> by_connection_ ABSL_GUARDED_BY(mu_);
};

SessionTimeouts& Timeouts() {
  static SessionTimeouts* const timeouts = new SessionTimeouts();
  return *timeouts;
}

// Runs `statement` (one statement) in autocommit mode on a pooled connection:
// one round trip, where RunTransaction needs four (BEGIN, SET LOCAL,
// statement, COMMIT). statement_timeout is the session's, set from
// `deadline` (a second round trip) only when the connection's current one
// would end the statement before the deadline or more than a second after
// it. A connection that proves dead before the statement was sent is
// replaced once, as in RunTransaction.
absl::Status RunAutocommit(ConnectionPool& pool, absl::string_view operation, absl::Time deadline,
                           absl::FunctionRef<void(pqxx::transaction_base&)> statement) {
  for (int attempt = 0;; ++attempt) {
    if (absl::Now() >= deadline) return absl::DeadlineExceededError("database deadline exceeded");
    auto lease = pool.Acquire(deadline, operation);
    if (!lease.ok()) return lease.status();
    bool sent = false;
    try {
      pqxx::nontransaction txn(lease->conn());
      // At least 1 ms (0 would mean none); deadlines are at most minutes away.
      const int64_t ms = std::clamp<int64_t>(
          absl::ToInt64Milliseconds(absl::Ceil(deadline - absl::Now(), absl::Milliseconds(1))), 1,
          INT32_MAX);
      if (SessionTimeouts::NeedsSet(Timeouts().Get(lease->conn()), ms)) {
        // Half the slack on top, so that the next batches' slightly later
        // deadlines (most are "now + the RPC layer's cap") need no new SET.
        const int64_t set_ms = ms + SessionTimeouts::kSlackMs / 2;
        Timeouts().Set(lease->conn(), 0);  // unknown until the SET is known to be done
        txn.exec_prepared(sql::kSetSessionStatementTimeout.name, absl::StrCat(set_ms));
        Timeouts().Set(lease->conn(), set_ms);
      }
      sent = true;
      statement(txn);
      return absl::OkStatus();
    } catch (...) {
      DatabaseError error = ClassifyException(std::current_exception(), operation);
      if (error.connection_lost) lease->MarkBroken();
      if (error.connection_lost && !sent && attempt == 0) continue;
      return error.status;
    }
  }
}

}  // namespace

Batcher::Batcher(ConnectionPool* pool, std::string operation, BatchFn batch, SingleFn single,
                 Options options)
    : pool_(pool),
      operation_(std::move(operation)),
      batch_(std::move(batch)),
      single_(std::move(single)),
      options_(options) {
  options_.leaders = std::max(1, options_.leaders);
}

Batcher::~Batcher() = default;

absl::Status Batcher::Run(Op& op) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(&op);
  while (true) {
    if (op.finished) return op.status;
    if (leading_ < options_.leaders && !queue_.empty()) {
      // Lead the next batch (it holds `op` unless others queued first).
      std::vector<Op*> batch;
      TakeBatch(&batch);
      ++leading_;
      mu_.Unlock();
      Execute(batch);
      mu_.Lock();
      --leading_;
      for (Op* o : batch) o->finished = true;  // wakes their callers
      continue;
    }
    // Until our batch is done, or a batch can be led again.
    struct Wait {
      Batcher* batcher;
      Op* op;
    } wait{this, &op};
    mu_.Await(absl::Condition(
        +[](Wait* w) ABSL_NO_THREAD_SAFETY_ANALYSIS {
          return w->op->finished || (w->batcher->leading_ < w->batcher->options_.leaders &&
                                     !w->batcher->queue_.empty());
        },
        &wait));
  }
}

bool Batcher::TakeBatch(std::vector<Op*>* batch) {
  absl::flat_hash_set<absl::string_view> keys;
  std::deque<Op*> later;
  while (!queue_.empty() && batch->size() < options_.max_batch) {
    Op* op = queue_.front();
    queue_.pop_front();
    if (keys.insert(op->key).second) {
      batch->push_back(op);
    } else {
      later.push_back(op);  // same key as one in this batch: the next batch
    }
  }
  // Put back the deferred ones ahead of the rest, in their order.
  queue_.insert(queue_.begin(), later.begin(), later.end());
  return !batch->empty();
}

void Batcher::Execute(std::vector<Op*>& batch) {
  // Calls whose deadline passed while they waited are answered without
  // running (nothing written), as a call waiting for a connection would be.
  const absl::Time now = absl::Now();
  std::vector<Op*> live;
  live.reserve(batch.size());
  absl::Time deadline = absl::InfinitePast();
  for (Op* op : batch) {
    if (op->deadline <= now) {
      op->status = absl::DeadlineExceededError("database deadline exceeded");
      continue;
    }
    live.push_back(op);
    deadline = std::max(deadline, op->deadline);
  }
  if (live.empty()) return;
  // A stable order of rows across concurrent batches, so that two batches
  // locking the same rows take them in the same order (no deadlock).
  std::sort(live.begin(), live.end(), [](const Op* a, const Op* b) { return a->key < b->key; });

  absl::Status status =
      RunAutocommit(*pool_, operation_, deadline,
                    [&](pqxx::transaction_base& txn) { batch_(txn, absl::MakeConstSpan(live)); });
  if (!status.ok() && live.size() > 1 && RetryAlone(status)) {
    for (Op* op : live) op->status = single_(*op);
    return;
  }
  for (Op* op : live) op->status = status;
}

}  // namespace tokend::store::postgres
