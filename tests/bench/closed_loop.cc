#include "closed_loop.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <memory>
#include <thread>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "proc_stats.h"

namespace tokend::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

int64_t Nanos(SteadyClock::duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

struct Sample {
  int64_t completed_ns;  // since the run started
  int64_t latency_ns;
  bool ok;
};

// Everything one slot owns. Only the slot's own call chain touches it, one
// call at a time; gRPC orders a call's start before its completion callback.
struct SlotState {
  std::unique_ptr<grpc::ClientContext> context;
  SteadyClock::time_point started;
  std::vector<Sample> samples;
  std::array<uint64_t, 17> codes{};
};

class Engine {
 public:
  Engine(Workload& workload, const RunOptions& options)
      : workload_(workload), options_(options), slots_(options.concurrency) {}

  RunResult Run() {
    start_ = SteadyClock::now();
    measure_start_ = start_ + absl::ToChronoNanoseconds(options_.warmup);
    measure_end_ = options_.duration == absl::InfiniteDuration()
                       ? SteadyClock::time_point::max()
                       : measure_start_ + absl::ToChronoNanoseconds(options_.duration);
    {
      absl::MutexLock lock(&mu_);
      active_ = slots_.size();
    }
    for (size_t i = 0; i < slots_.size(); ++i) Kick(i);

    RunResult result;
    result.name = workload_.name();
    const bool timed = measure_end_ != SteadyClock::time_point::max();
    double server_cpu_start = 0, client_cpu_start = 0, machine_cpu_start = 0;
    double database_cpu_start = 0;
    if (timed) {
      std::this_thread::sleep_until(measure_start_);
      if (options_.server_pid > 0) {
        server_cpu_start = ProcessCpuSeconds(options_.server_pid).value_or(0);
      }
      if (options_.database_pid > 0) {
        database_cpu_start = ProcessAndChildrenCpuSeconds(options_.database_pid).value_or(0);
      }
      client_cpu_start = SelfCpuSeconds();
      machine_cpu_start = MachineBusyCpuSeconds().value_or(0);
      window_closed_.WaitForNotificationWithDeadline(
          absl::FromChrono(std::chrono::system_clock::now() + (measure_end_ - SteadyClock::now())));
      if (options_.server_pid > 0) {
        result.server_cpu_seconds =
            ProcessCpuSeconds(options_.server_pid).value_or(0) - server_cpu_start;
      }
      if (options_.database_pid > 0) {
        result.database_cpu_seconds =
            ProcessAndChildrenCpuSeconds(options_.database_pid).value_or(0) - database_cpu_start;
      }
      result.client_cpu_seconds = SelfCpuSeconds() - client_cpu_start;
      result.machine_cpu_seconds = MachineBusyCpuSeconds().value_or(0) - machine_cpu_start;
    }
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](size_t* active) { return *active == 0; }, &active_));
    }
    if (options_.server_pid > 0) {
      if (auto memory = ProcessMemory(options_.server_pid); memory.has_value()) {
        result.server_rss_kib = memory->rss_kib;
        result.server_hwm_kib = memory->hwm_kib;
      }
    }
    Summarize(&result);
    return result;
  }

 private:
  void Kick(size_t i) {
    SlotState& slot = slots_[i];
    while (true) {
      const SteadyClock::time_point now = SteadyClock::now();
      if (stop_.load(std::memory_order_relaxed) || now >= measure_end_) break;
      slot.context = std::make_unique<grpc::ClientContext>();
      slot.context->set_deadline(absl::ToChronoTime(absl::Now() + options_.call_timeout));
      slot.started = now;
      const Next next =
          workload_.Start(i, slot.context.get(), [this, i](grpc::Status s) { Done(i, s); });
      if (next == Next::kSent) return;
      if (next == Next::kExhausted) {
        int64_t at = Nanos(now - start_);
        int64_t expected = std::numeric_limits<int64_t>::max();
        exhausted_at_ns_.compare_exchange_strong(expected, at);
        stop_.store(true);
        if (!window_closed_.HasBeenNotified()) {
          absl::MutexLock lock(&notify_mu_);
          if (!window_closed_.HasBeenNotified()) window_closed_.Notify();
        }
      }
      break;  // kSlotDone, kExhausted, or out of time
    }
    absl::MutexLock lock(&mu_);
    --active_;
  }

  void Done(size_t i, const grpc::Status& status) {
    SlotState& slot = slots_[i];
    const SteadyClock::time_point now = SteadyClock::now();
    slot.samples.push_back(Sample{Nanos(now - start_), Nanos(now - slot.started), status.ok()});
    ++slot.codes[std::min<size_t>(static_cast<size_t>(status.error_code()), 16)];
    Kick(i);
  }

  void Summarize(RunResult* result) {
    const int64_t from = Nanos(measure_start_ - start_);
    int64_t to = measure_end_ == SteadyClock::time_point::max()
                     ? std::numeric_limits<int64_t>::max()
                     : Nanos(measure_end_ - start_);
    const int64_t exhausted = exhausted_at_ns_.load();
    if (exhausted < to) {
      to = exhausted;
      result->exhausted = true;
    }
    std::vector<int64_t> latencies;
    int64_t last_completion = from;
    for (const SlotState& slot : slots_) {
      result->total_calls += slot.samples.size();
      for (size_t code = 1; code < slot.codes.size(); ++code) {
        if (slot.codes[code] > 0) {
          result->errors[StatusCodeName(static_cast<grpc::StatusCode>(code))] += slot.codes[code];
        }
      }
      for (const Sample& s : slot.samples) {
        if (s.completed_ns < from || s.completed_ns > to) continue;
        latencies.push_back(s.latency_ns);
        ++result->window_calls;
        if (s.ok) ++result->window_ok;
        last_completion = std::max(last_completion, s.completed_ns);
      }
    }
    if (to == std::numeric_limits<int64_t>::max()) to = last_completion;  // count-limited
    result->window_seconds = static_cast<double>(to - from) / 1e9;
    if (result->window_seconds > 0) {
      result->ok_per_second = static_cast<double>(result->window_ok) / result->window_seconds;
    }
    if (latencies.empty()) return;
    std::sort(latencies.begin(), latencies.end());
    auto percentile = [&](double p) {
      // Nearest rank.
      size_t rank =
          static_cast<size_t>(p / 100.0 * static_cast<double>(latencies.size()) + 0.999999);
      rank = std::clamp<size_t>(rank, 1, latencies.size());
      return static_cast<double>(latencies[rank - 1]) / 1e3;
    };
    result->p50_us = percentile(50);
    result->p90_us = percentile(90);
    result->p99_us = percentile(99);
    result->max_us = static_cast<double>(latencies.back()) / 1e3;
  }

  Workload& workload_;
  const RunOptions options_;
  std::vector<SlotState> slots_;
  SteadyClock::time_point start_, measure_start_, measure_end_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> exhausted_at_ns_{std::numeric_limits<int64_t>::max()};
  absl::Mutex notify_mu_;
  absl::Notification window_closed_;
  absl::Mutex mu_;
  size_t active_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

uint64_t RunResult::error_count() const {
  uint64_t n = 0;
  for (const auto& [code, count] : errors) n += count;
  return n;
}

RunResult RunClosedLoop(Workload& workload, const RunOptions& options) {
  Engine engine(workload, options);
  return engine.Run();
}

const char* StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

}  // namespace tokend::bench
