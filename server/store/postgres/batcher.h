#ifndef TOKEND_SERVER_STORE_POSTGRES_BATCHER_H_
#define TOKEND_SERVER_STORE_POSTGRES_BATCHER_H_

// Group commit for the stores' durable writes (and batched reads). Internal
// to store/postgres.
//
// Callers that want to write at the same moment are served by one
// transaction: one of the waiting callers' own threads (the leader) takes
// every waiting operation (up to a bound), runs them as one multi-row
// statement in autocommit mode (a single statement is its own transaction:
// atomic, and durable once it returns), and only then lets each caller go
// with its own outcome. There is no thread of its own: a caller that finds
// fewer than `leaders` batches in flight leads the next one, so no hand-off
// to another thread is added to a call. So one WAL flush serves many
// callers, and every answer still follows its own commit. A caller alone is
// a batch of one, through the same statement. When a batch of several fails
// for a reason that may belong to one operation only (a duplicate key, a
// conflict with another transaction, an unexpected error), each operation
// is run again as a batch of one, so one bad operation never fails its
// neighbours and each gets the outcome it would have had alone. When it
// fails because the database is unreachable, every operation of the batch
// gets that status (nothing was committed; an in-doubt commit is reported as
// UNAVAILABLE to all, as it would be to a caller alone).
//
// Deadlines: operations whose deadline has passed leave the batch before it
// runs (DEADLINE_EXCEEDED, nothing written), and a batch runs under its
// earliest member's deadline (its statement_timeout may reach 200 ms past
// it), so no write commits after its caller was told DEADLINE_EXCEEDED.
// When that deadline cuts a batch short, nothing committed, and the members
// with later deadlines run again without the expired ones.

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "store/postgres/connection_pool.h"

namespace tokend::store::postgres {

class Batcher {
 public:
  // One caller's write. Subclasses add the parameters and any per-operation
  // result the batch function fills in.
  struct Op {
    virtual ~Op() = default;
    // Operations with equal keys never share a batch (the later one waits
    // for the next), so a batch statement never touches a row twice; unless
    // Options::coalesce_equal_keys, where they do and the batch function
    // merges them into one row.
    std::string key;
    absl::Time deadline = absl::InfiniteFuture();
    absl::Status status;  // set by the batcher before `finished`

   private:
    friend class Batcher;
    bool finished = false;  // guarded by the batcher's mutex
  };

  // Runs `ops` (1 or more, sorted by key; distinct keys unless
  // Options::coalesce_equal_keys) as exactly one statement on `txn`, an autocommit session (see
  // RunAutocommit): when it returns, that statement has committed. It fills in the per-operation
  // results (and resets them first: a failed batch's operations run again).
  // An exception (classified by ClassifyException) means nothing committed,
  // unless the connection broke (UNAVAILABLE: in doubt).
  using BatchFn = std::function<void(pqxx::transaction_base& txn, absl::Span<Op* const> ops)>;

  struct Options {
    size_t max_batch = 256;
    // Batches of this kind in flight at once (each on its own pooled
    // connection). One is classic group commit: while a batch executes and
    // waits for its WAL flush, the next one gathers every caller that
    // arrives. More overlap the flushes but split the callers into smaller
    // batches, and every statement costs the database CPU of its own; where
    // that CPU is the bound, as on a small machine, one does more calls per
    // second (measured in BENCHMARKS.md). The cost: a batch stuck on a row
    // lock holds up the next batch of its kind, for at most that lock's
    // holder's commit.
    int leaders = 1;
    // Whether queued operations with equal keys may share a batch, for
    // writes where several equal ones are the same as one merged one (a
    // revocation: the upsert keeps the later times either way). Each of them
    // then shares that one row's outcome, and a burst of repeats costs one
    // statement, not one commit each, so repeating a write cannot hold up
    // the others of its kind. Operations already in a running batch are
    // never touched: a repeat that arrives then waits for the next batch.
    bool coalesce_equal_keys = false;
  };

  // `pool` must outlive the batcher.
  Batcher(ConnectionPool* pool, std::string operation, BatchFn batch, Options options);
  // No call may be running.
  ~Batcher();

  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues `op`, waits until its batch has committed (or failed), and returns
  // its status; the calling thread may run a batch (of others' operations
  // too) meanwhile. DEADLINE_EXCEEDED, without running it, when op.deadline
  // has passed before its batch starts.
  absl::Status Run(Op& op);

 private:
  // Moves up to max_batch queued operations with distinct keys (or any keys
  // when coalescing) into `batch`.
  bool TakeBatch(std::vector<Op*>* batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs the batch and sets every operation's status (not `finished`).
  void Execute(std::vector<Op*>& batch);
  // `ops` as one statement of batch_, bounded by `deadline`.
  absl::Status RunBatch(absl::Span<Op* const> ops, absl::Time deadline);

  ConnectionPool* const pool_;
  const std::string operation_;
  const BatchFn batch_;
  Options options_;

  absl::Mutex mu_;
  std::deque<Op*> queue_ ABSL_GUARDED_BY(mu_);
  int leading_ ABSL_GUARDED_BY(mu_) = 0;  // batches in flight
};

}  // namespace tokend::store::postgres

#endif  // TOKEND_SERVER_STORE_POSTGRES_BATCHER_H_
