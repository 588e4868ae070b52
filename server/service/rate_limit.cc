#include "service/rate_limit.h"

#include <algorithm>

namespace tokend::service {

PerCallerRateLimit::PerCallerRateLimit(int per_minute) : per_minute_(std::max(0, per_minute)) {}

bool PerCallerRateLimit::TryTake(absl::string_view caller, absl::Time now) {
  if (per_minute_ == 0) return true;
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = buckets_.try_emplace(caller, Bucket{double(per_minute_), now});
  Bucket& bucket = it->second;
  // A clock that stepped back refills nothing (and takes nothing away).
  const double refill =
      std::max(0.0, absl::ToDoubleMinutes(now - bucket.updated)) * double(per_minute_);
  bucket.tokens = std::min(double(per_minute_), bucket.tokens + refill);
  bucket.updated = std::max(bucket.updated, now);
  if (bucket.tokens < 1.0) return false;
  bucket.tokens -= 1.0;
  return true;
}

}  // namespace tokend::service
