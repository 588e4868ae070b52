#include "ops/metrics.h"

#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "prometheus/check_names.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "prometheus/text_serializer.h"

namespace tokend::ops {
namespace {

constexpr char kRequestsName[] = "tokend_rpc_requests_total";
constexpr char kDurationName[] = "tokend_rpc_duration_seconds";
constexpr size_t kMaxLabelValues = 64;
constexpr absl::string_view kOtherLabel = "other";

// Seconds; from 100us (an Introspect answered from memory) to 5s (a slow
// database round trip near a deadline).
const prometheus::Histogram::BucketBoundaries& DurationBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  return *buckets;
}

}  // namespace

// Values read by callbacks when a scrape collects them.
class Metrics::ScrapeTimeValues : public prometheus::Collectable {
 public:
  struct Entry {
    std::string name;
    std::string help;
    bool is_counter;
    std::function<double()> read;
  };

  // False if `name` is taken.
  bool Add(Entry entry) {
    absl::MutexLock lock(&mu_);
    for (const Entry& e : entries_) {
      if (e.name == entry.name) return false;
    }
    entries_.push_back(std::move(entry));
    return true;
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<Entry> entries;
    {
      // Copied so that the callbacks run without the lock: one that
      // registers another value cannot deadlock.
      absl::MutexLock lock(&mu_);
      entries = entries_;
    }
    std::vector<prometheus::MetricFamily> families;
    families.reserve(entries.size());
    for (const Entry& e : entries) {
      prometheus::MetricFamily family;
      family.name = e.name;
      family.help = e.help;
      prometheus::ClientMetric metric;
      if (e.is_counter) {
        family.type = prometheus::MetricType::Counter;
        metric.counter.value = e.read();
      } else {
        family.type = prometheus::MetricType::Gauge;
        metric.gauge.value = e.read();
      }
      family.metric.push_back(std::move(metric));
      families.push_back(std::move(family));
    }
    return families;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mu_);
};

Metrics::Metrics()
    : registry_(std::make_unique<prometheus::Registry>()),
      requests_(&prometheus::BuildCounter()
                     .Name(kRequestsName)
                     .Help("Finished RPCs by method and status code.")
                     .Register(*registry_)),
      durations_(&prometheus::BuildHistogram()
                      .Name(kDurationName)
                      .Help("RPC latency in seconds, by method.")
                      .Register(*registry_)),
      scrape_time_values_(std::make_unique<ScrapeTimeValues>()) {}

Metrics::~Metrics() = default;

void Metrics::RecordRpc(absl::string_view method, absl::string_view code_name,
                        absl::Duration latency) {
  prometheus::Counter* counter = nullptr;
  prometheus::Histogram* duration = nullptr;
  {
    absl::ReaderMutexLock lock(&mu_);
    auto m = by_method_.find(method);  // heterogeneous: no std::string is built
    if (m != by_method_.end()) {
      duration = m->second.duration;
      auto c = m->second.requests.find(code_name);
      if (c != m->second.requests.end()) counter = c->second;
    }
  }
  if (counter == nullptr || duration == nullptr) {
    // First time for this pair: create the series. Family::Add returns the
    // existing series for known labels, so a race here is harmless.
    absl::MutexLock lock(&mu_);
    // Bounded cardinality: a gRPC method name can come from the client (an
    // unknown method), so past kMaxLabelValues distinct values further ones
    // share the label "other".
    if (!by_method_.contains(method) && by_method_.size() >= kMaxLabelValues) {
      method = kOtherLabel;
    }
    MethodSeries& series = by_method_[method];
    if (!series.requests.contains(code_name) && series.requests.size() >= kMaxLabelValues) {
      code_name = kOtherLabel;
    }
    if (series.duration == nullptr) {
      series.duration = &durations_->Add({{"method", std::string(method)}}, DurationBuckets());
    }
    prometheus::Counter*& slot = series.requests[code_name];
    if (slot == nullptr) {
      slot = &requests_->Add({{"method", std::string(method)}, {"code", std::string(code_name)}});
    }
    counter = slot;
    duration = series.duration;
  }
  counter->Increment();
  duration->Observe(absl::ToDoubleSeconds(latency));
}

absl::Status Metrics::AddCallback(const std::string& name, const std::string& help, bool is_counter,
                                  std::function<double()> read) {
  if (!prometheus::CheckMetricName(name)) {
    return absl::InvalidArgumentError(absl::StrCat("metrics: invalid metric name \"", name, "\""));
  }
  if (!read) {
    return absl::InvalidArgumentError(absl::StrCat("metrics: ", name, " has no read function"));
  }
  if (name == kRequestsName || name == kDurationName ||
      !scrape_time_values_->Add({name, help, is_counter, std::move(read)})) {
    return absl::AlreadyExistsError(absl::StrCat("metrics: ", name, " is already registered"));
  }
  return absl::OkStatus();
}

absl::Status Metrics::AddGauge(const std::string& name, const std::string& help,
                               std::function<double()> read) {
  return AddCallback(name, help, /*is_counter=*/false, std::move(read));
}

absl::Status Metrics::AddCounter(const std::string& name, const std::string& help,
                                 std::function<double()> read) {
  return AddCallback(name, help, /*is_counter=*/true, std::move(read));
}

std::string Metrics::Render() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  std::vector<prometheus::MetricFamily> values = scrape_time_values_->Collect();
  families.insert(families.end(), std::make_move_iterator(values.begin()),
                  std::make_move_iterator(values.end()));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return std::move(out).str();
}

}  // namespace tokend::ops
