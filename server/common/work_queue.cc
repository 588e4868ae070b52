#include "common/work_queue.h"

#include <algorithm>
#include <utility>

namespace tokend::common {

WorkQueue::WorkQueue(size_t threads, size_t max_backlog) : max_backlog_(max_backlog) {
  threads = std::max<size_t>(threads, 1);
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

WorkQueue::~WorkQueue() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
}

bool WorkQueue::TrySubmit(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || tasks_.size() >= max_backlog_) return false;
  tasks_.push_back(std::move(task));
  return true;
}

size_t WorkQueue::backlog() const {
  absl::MutexLock lock(&mu_);
  return tasks_.size();
}

void WorkQueue::Work() {
  while (true) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](WorkQueue* q) ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu_) {
            return q->stopping_ || !q->tasks_.empty();
          },
          this));
      // Drain what was accepted before stopping: every accepted call gets its answer.
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace tokend::common
