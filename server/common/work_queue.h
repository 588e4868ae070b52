#ifndef TOKEND_SERVER_COMMON_WORK_QUEUE_H_
#define TOKEND_SERVER_COMMON_WORK_QUEUE_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace tokend::common {

// A fixed set of threads running submitted tasks in FIFO order, with a
// bounded backlog. It exists so that calls which block on the database run
// off gRPC's callback threads, and so that the number of such calls in
// flight, and therefore database load, is bounded: when the backlog is full,
// TrySubmit refuses and the caller sheds the request. Thread-safe.
class WorkQueue {
 public:
  // Starts `threads` workers (at least 1); at most `max_backlog` tasks wait.
  WorkQueue(size_t threads, size_t max_backlog);
  // Runs every task already accepted, then joins the workers.
  ~WorkQueue();

  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Queues `task`; false (and `task` is dropped unrun) when the backlog is
  // full or the queue is shutting down.
  bool TrySubmit(std::function<void()> task);

  // Tasks waiting, not counting those running. For metrics.
  size_t backlog() const;

 private:
  void Work();

  const size_t max_backlog_;
  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace tokend::common

#endif  // TOKEND_SERVER_COMMON_WORK_QUEUE_H_
