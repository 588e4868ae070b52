#ifndef TOKEND_TESTS_BENCH_CLOSED_LOOP_H_
#define TOKEND_TESTS_BENCH_CLOSED_LOOP_H_

// A closed-loop load engine on gRPC's callback client API: `concurrency`
// slots, each with exactly one call in flight; a slot starts its next call
// from the completion of the previous one, so the offered load is whatever
// the server sustains at that concurrency (no coordinated omission: nothing
// is scheduled at a fixed rate).

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace tokend::bench {

// What a workload did when asked for a slot's next call.
enum class Next {
  kSent,       // a call is in flight; `done` will run once
  kSlotDone,   // this slot has nothing more to do (e.g. its refresh chain broke)
  kExhausted,  // a shared, pre-made supply ran out: the measurement ends now
};

// One RPC mix. Start may run on any thread, concurrently for different
// slots, but never concurrently for the same slot.
class Workload {
 public:
  virtual ~Workload() = default;
  virtual std::string name() const = 0;
  // Starts the next call of `slot` with `context` (deadline set, owned by
  // the engine until `done` ran); on kSent calls `done` exactly once.
  virtual Next Start(size_t slot, grpc::ClientContext* context,
                     std::function<void(grpc::Status)> done) = 0;
};

struct RunOptions {
  size_t concurrency = 64;
  absl::Duration warmup = absl::Seconds(2);
  // Measurement window after the warm-up; InfiniteDuration: until every slot
  // is done (count-limited runs such as minting tokens).
  absl::Duration duration = absl::Seconds(10);
  absl::Duration call_timeout = absl::Seconds(30);
  pid_t server_pid = 0;    // 0: no server CPU / memory figures
  pid_t database_pid = 0;  // PostgreSQL's postmaster; 0: no database CPU figure
};

struct RunResult {
  std::string name;
  double window_seconds = 0;  // measured window (shorter when exhausted)
  uint64_t window_calls = 0;  // calls completed in the window, any status
  uint64_t window_ok = 0;     // of which OK
  double ok_per_second = 0;   // window_ok / window_seconds
  // Latency of the calls completed in the window, in microseconds.
  double p50_us = 0, p90_us = 0, p99_us = 0, max_us = 0;
  // Non-OK answers by status code name, over the whole run (warm-up too).
  std::map<std::string, uint64_t> errors;
  uint64_t total_calls = 0;  // whole run, warm-up included
  bool exhausted = false;    // a pre-made supply ran out early
  // Server figures over the window (when server_pid was given).
  double server_cpu_seconds = 0;
  int64_t server_rss_kib = 0;
  int64_t server_hwm_kib = 0;       // peak RSS of the server's life so far
  double client_cpu_seconds = 0;    // this process, over the window
  double database_cpu_seconds = 0;  // PostgreSQL's processes, over the window
  double machine_cpu_seconds = 0;   // every process on the machine, over the window

  uint64_t error_count() const;
};

// Runs `workload` closed-loop as `options` say and returns what it measured.
RunResult RunClosedLoop(Workload& workload, const RunOptions& options);

// "OK", "UNAVAILABLE", ...
const char* StatusCodeName(grpc::StatusCode code);

}  // namespace tokend::bench

#endif  // TOKEND_TESTS_BENCH_CLOSED_LOOP_H_
