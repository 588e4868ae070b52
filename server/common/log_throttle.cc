#include "common/log_throttle.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace tokend::common {

bool LogThrottle::Admit(absl::Time now, uint64_t* suppressed) {
  absl::MutexLock lock(&mu_);
  if (now - window_start_ >= interval_ || now < window_start_) {
    window_start_ = now;
    written_ = 0;
  }
  if (written_ >= lines_) {
    ++suppressed_;
    return false;
  }
  ++written_;
  *suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

void LogThrottled(LogThrottle& throttle, LogLevel level, absl::string_view message,
                  std::initializer_list<LogField> fields) {
  uint64_t suppressed = 0;
  if (!throttle.Admit(absl::Now(), &suppressed)) return;
  if (suppressed > 0) {
    Log(level, "log lines suppressed",
        {{"kind", message}, {"suppressed", absl::StrCat(suppressed)}});
  }
  Log(level, message, fields);
}

}  // namespace tokend::common
