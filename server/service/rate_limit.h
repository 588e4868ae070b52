#ifndef TOKEND_SERVER_SERVICE_RATE_LIMIT_H_
#define TOKEND_SERVER_SERVICE_RATE_LIMIT_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tokend::service {

// A token bucket per caller: each caller may take `per_minute` at once, and
// gets them back at `per_minute` a minute (one every 60/per_minute
// seconds). Thread-safe. One small entry per caller that ever took one;
// callers are those of the policy, so the map stays as small as the policy.
class PerCallerRateLimit {
 public:
  // 0: no limit (TryTake always says yes).
  explicit PerCallerRateLimit(int per_minute);

  // Takes one for `caller` at `now` and says whether it had one to take.
  bool TryTake(absl::string_view caller, absl::Time now);

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
  };
  const int per_minute_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tokend::service

#endif  // TOKEND_SERVER_SERVICE_RATE_LIMIT_H_
