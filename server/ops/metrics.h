#ifndef TOKEND_SERVER_OPS_METRICS_H_
#define TOKEND_SERVER_OPS_METRICS_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace tokend::ops {

// The server's Prometheus metrics. Thread-safe; create one per process and
// keep it alive longer than everything that records into it (the RPC layer,
// the OpsServer).
//
// Exposed series:
//   tokend_rpc_requests_total{method,code}     counter
//   tokend_rpc_duration_seconds{method}        histogram, 100us .. 5s buckets
//   plus every gauge and counter added with AddGauge/AddCounter.
class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Counts one finished RPC and observes its latency. Hot path: after the
  // first call for a (method, code) pair it costs two hash lookups under a
  // shared (reader) lock and two atomic updates; it never allocates.
  // `method` and `code_name` become label values: pass names from a fixed
  // set (RPC names, status code names). As a guard against names a client
  // chose, at most 64 distinct methods (and 64 codes per method) get their
  // own series; further ones are counted under "other".
  void RecordRpc(absl::string_view method, absl::string_view code_name, absl::Duration latency);

  // Registers a value read at scrape time (pool usage, revocation-set size).
  // `read` runs on an ops-server thread while a scrape is served, possibly
  // concurrently with anything else: it must be thread-safe, fast, and must
  // not throw; it must stay callable for as long as this object lives.
  // INVALID_ARGUMENT when `name` is not a valid metric name or `read` is
  // empty; ALREADY_EXISTS when the name is taken.
  absl::Status AddGauge(const std::string& name, const std::string& help,
                        std::function<double()> read);

  // As AddGauge, for a value that only grows (refresh-token reuse
  // detections). By Prometheus convention `name` should end in "_total".
  absl::Status AddCounter(const std::string& name, const std::string& help,
                          std::function<double()> read);

  // Every series in the Prometheus text exposition format 0.0.4.
  std::string Render() const;

 private:
  struct MethodSeries {
    prometheus::Histogram* duration = nullptr;
    // code name -> counter; pointers owned by requests_ (stable).
    absl::flat_hash_map<std::string, prometheus::Counter*> requests;
  };
  class ScrapeTimeValues;  // a prometheus::Collectable over the callbacks

  absl::Status AddCallback(const std::string& name, const std::string& help, bool is_counter,
                           std::function<double()> read);

  std::unique_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* durations_;
  std::unique_ptr<ScrapeTimeValues> scrape_time_values_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, MethodSeries> by_method_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tokend::ops

#endif  // TOKEND_SERVER_OPS_METRICS_H_
