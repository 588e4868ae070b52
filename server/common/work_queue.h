#ifndef TOKEND_SERVER_COMMON_WORK_QUEUE_H_
#define TOKEND_SERVER_COMMON_WORK_QUEUE_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace tokend::common {

// A fixed set of threads running submitted tasks, with a bounded backlog,
// shared fairly between keys (callers). It exists so that calls which block
// on the database run off gRPC's callback threads, and so that the number of
// such calls in flight, and therefore database load, is bounded: when the
// backlog is full, Submit refuses and the caller sheds the request.
//
// Fairness: each key has its own FIFO, and a free worker takes the oldest
// task of the next key in turn (round robin over the keys with tasks
// waiting), so a key with a thousand tasks waiting delays another key's
// task by at most one task per key ahead of it, not by its whole backlog.
// And a key may have at most `max_in_flight_per_key` tasks waiting or
// running at once, so that no key holds the whole backlog. Tasks of one key
// start in the order they were submitted. Thread-safe.
class WorkQueue {
 public:
  static constexpr size_t kUnlimited = std::numeric_limits<size_t>::max();

  // Starts `threads` workers (at least 1); at most `max_backlog` tasks wait
  // in all; at most `max_in_flight_per_key` tasks of one key wait or run.
  WorkQueue(size_t threads, size_t max_backlog, size_t max_in_flight_per_key = kUnlimited);
  // Runs every task already accepted, then joins the workers.
  ~WorkQueue();

  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  enum class Admission {
    kAccepted,
    kKeyOverLimit,  // `key` already has max_in_flight_per_key tasks in flight
    kFull,          // the backlog is full, or the queue is shutting down
  };

  // Queues `task` under `key`. Unless kAccepted, `task` is dropped unrun. The
  // key's limit is checked first: a key over its share is told so even when
  // the backlog is also full.
  Admission Submit(absl::string_view key, std::function<void()> task);

  // Submit under one key for every task (plain FIFO); false unless accepted.
  bool TrySubmit(std::function<void()> task) {
    return Submit("", std::move(task)) == Admission::kAccepted;
  }

  // Tasks waiting, not counting those running. For metrics.
  size_t backlog() const;

 private:
  struct KeyQueue {
    std::string key;
    std::deque<std::function<void()>> tasks;  // waiting, oldest first
    size_t in_flight = 0;                     // waiting + running
  };

  void Work();

  const size_t max_backlog_;
  const size_t max_in_flight_per_key_;
  mutable absl::Mutex mu_;
  // Keys with tasks in flight (node map: `turns_` points into it).
  absl::node_hash_map<std::string, KeyQueue> keys_ ABSL_GUARDED_BY(mu_);
  // Keys with tasks waiting, in the order their next task runs; each once.
  std::deque<KeyQueue*> turns_ ABSL_GUARDED_BY(mu_);
  size_t backlog_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace tokend::common

#endif  // TOKEND_SERVER_COMMON_WORK_QUEUE_H_
