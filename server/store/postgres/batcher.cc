#include "store/postgres/batcher.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/time/clock.h"

namespace tokend::store::postgres {
namespace {

// Failures that may belong to one operation of the batch, and that nothing
// was committed for: each operation is then run again as a batch of one.
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

}  // namespace

Batcher::Batcher(ConnectionPool* pool, std::string operation, BatchFn batch, Options options)
    : pool_(pool), operation_(std::move(operation)), batch_(std::move(batch)), options_(options) {
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
  if (options_.coalesce_equal_keys) {
    while (!queue_.empty() && batch->size() < options_.max_batch) {
      batch->push_back(queue_.front());
      queue_.pop_front();
    }
    return !batch->empty();
  }
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
  std::vector<Op*> live(batch.begin(), batch.end());
  // A stable order of rows across concurrent batches, so that two batches
  // locking the same rows take them in the same order (no deadlock).
  std::sort(live.begin(), live.end(), [](const Op* a, const Op* b) { return a->key < b->key; });
  while (true) {
    // Calls whose deadline has passed are answered without running (nothing
    // written), as a call waiting for a connection would be.
    const absl::Time now = absl::Now();
    absl::Time deadline = absl::InfiniteFuture();
    std::vector<Op*> running;
    running.reserve(live.size());
    for (Op* op : live) {
      if (op->deadline <= now) {
        op->status = absl::DeadlineExceededError("database deadline exceeded");
        continue;
      }
      running.push_back(op);
      deadline = std::min(deadline, op->deadline);
    }
    if (running.empty()) return;
    // Under the earliest deadline, so that no write commits after its caller
    // was told DEADLINE_EXCEEDED. When that deadline cuts the statement
    // short nothing committed, and the others run again without it.
    const absl::Status status = RunBatch(running, deadline);
    if (absl::IsDeadlineExceeded(status) &&
        std::any_of(running.begin(), running.end(),
                    [&](const Op* op) { return op->deadline > deadline; })) {
      live = std::move(running);
      continue;
    }
    if (!status.ok() && running.size() > 1 && RetryAlone(status)) {
      // Each on its own, through the same statement: the outcome it would
      // have had alone, whatever its neighbours hold.
      for (Op* const& op : running) {
        op->status = RunBatch(absl::MakeConstSpan(&op, 1), op->deadline);
      }
      return;
    }
    for (Op* op : running) op->status = status;
    return;
  }
}

absl::Status Batcher::RunBatch(absl::Span<Op* const> ops, absl::Time deadline) {
  return RunAutocommit(*pool_, operation_, deadline,
                       [&](pqxx::transaction_base& txn) { batch_(txn, ops); });
}

}  // namespace tokend::store::postgres
