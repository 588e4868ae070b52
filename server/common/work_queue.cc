#include "common/work_queue.h"

#include <algorithm>
#include <utility>

namespace tokend::common {

WorkQueue::WorkQueue(size_t threads, size_t max_backlog, size_t max_in_flight_per_key)
    : max_backlog_(max_backlog), max_in_flight_per_key_(max_in_flight_per_key) {
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

WorkQueue::Admission WorkQueue::Submit(absl::string_view key, std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  auto it = keys_.find(key);
  if ((it == keys_.end() ? 0 : it->second.in_flight) >= max_in_flight_per_key_) {
    return Admission::kKeyOverLimit;
  }
  if (stopping_ || backlog_ >= max_backlog_) return Admission::kFull;
  if (it == keys_.end()) {
    it = keys_.emplace(std::string(key), KeyQueue{}).first;
    it->second.key = it->first;
  }
  KeyQueue& queue = it->second;
  if (queue.tasks.empty()) turns_.push_back(&queue);  // its turn comes round
  queue.tasks.push_back(std::move(task));
  ++queue.in_flight;
  ++backlog_;
  return Admission::kAccepted;
}

size_t WorkQueue::backlog() const {
  absl::MutexLock lock(&mu_);
  return backlog_;
}

void WorkQueue::Work() {
  while (true) {
    std::function<void()> task;
    KeyQueue* queue = nullptr;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](WorkQueue* q)
               ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu_) { return q->stopping_ || !q->turns_.empty(); },
          this));
      // Drain what was accepted before stopping: every accepted call gets its answer.
      if (turns_.empty()) return;
      queue = turns_.front();
      turns_.pop_front();
      task = std::move(queue->tasks.front());
      queue->tasks.pop_front();
      --backlog_;
      // Round robin: a key with more waiting goes to the back of the line.
      if (!queue->tasks.empty()) turns_.push_back(queue);
    }
    task();
    task = nullptr;  // release what it holds before the key may go
    absl::MutexLock lock(&mu_);
    if (--queue->in_flight == 0) keys_.erase(keys_.find(queue->key));
  }
}

}  // namespace tokend::common
