#include "store/postgres/batcher.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <utility>

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

// Runs `statement` (one statement) in autocommit mode on a pooled connection,
// with statement_timeout from `deadline`: two round trips instead of the four
// of RunTransaction (BEGIN, SET LOCAL, statement, COMMIT). A connection that
// proves dead before the statement was sent is replaced once, as there.
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
      const int64_t ms =
          absl::ToInt64Milliseconds(absl::Ceil(deadline - absl::Now(), absl::Milliseconds(1)));
      txn.exec_prepared(sql::kSetSessionStatementTimeout.name,
                        absl::StrCat(std::clamp<int64_t>(ms, 1, INT32_MAX)));
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
  const int committers = std::max(1, options_.committers);
  committers_.reserve(static_cast<size_t>(committers));
  for (int i = 0; i < committers; ++i) committers_.emplace_back([this] { Commit(); });
}

Batcher::~Batcher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : committers_) t.join();
}

absl::Status Batcher::Run(Op& op) {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::UnavailableError("database writer stopped");
    queue_.push_back(&op);
  }
  op.done.WaitForNotification();
  return op.status;
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

void Batcher::Commit() {
  std::vector<Op*> batch;
  while (true) {
    batch.clear();
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Batcher* b)
               ABSL_EXCLUSIVE_LOCKS_REQUIRED(b->mu_) { return b->stopping_ || !b->queue_.empty(); },
          this));
      // Drain what was queued before stopping: every caller gets an answer.
      if (!TakeBatch(&batch)) return;
    }
    Execute(batch);
  }
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
      op->done.Notify();
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
    for (Op* op : live) {
      op->status = single_(*op);
      op->done.Notify();
    }
    return;
  }
  for (Op* op : live) {
    op->status = status;
    op->done.Notify();
  }
}

}  // namespace tokend::store::postgres
