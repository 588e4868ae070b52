#ifndef TOKEND_SERVER_COMMON_LOG_THROTTLE_H_
#define TOKEND_SERVER_COMMON_LOG_THROTTLE_H_

#include <cstdint>
#include <initializer_list>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/log.h"

namespace tokend::common {

// Bounds how many lines of one kind are written: at most `lines` per
// `interval`, the rest dropped and counted, so that callers who can make
// tokend log a line per request cannot flood the logs. Thread-safe.
class LogThrottle {
 public:
  LogThrottle(int lines, absl::Duration interval) : lines_(lines), interval_(interval) {}

  // Whether a line may be written at `now`. When it may, `*suppressed` is
  // the number of lines refused since the last one written (then reset).
  bool Admit(absl::Time now, uint64_t* suppressed);

 private:
  const int lines_;
  const absl::Duration interval_;
  absl::Mutex mu_;
  absl::Time window_start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int written_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t suppressed_ ABSL_GUARDED_BY(mu_) = 0;
};

// Log(level, message, fields) if `throttle` admits it now, preceded by a
// line `msg="log lines suppressed" kind=<message> suppressed=N` when N lines
// of this kind were dropped since the last one written.
void LogThrottled(LogThrottle& throttle, LogLevel level, absl::string_view message,
                  std::initializer_list<LogField> fields);

}  // namespace tokend::common

#endif  // TOKEND_SERVER_COMMON_LOG_THROTTLE_H_
