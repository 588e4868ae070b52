#ifndef TOKEND_SERVER_COMMON_LOG_H_
#define TOKEND_SERVER_COMMON_LOG_H_

#include <initializer_list>
#include <utility>

#include "absl/strings/string_view.h"

namespace tokend::common {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// One structured field of a log line.
using LogField = std::pair<absl::string_view, absl::string_view>;

// Writes one logfmt line to stderr:
//   ts=2026-11-28T17:00:00.123Z level=info msg="..." key=value ...
// Values are quoted when they need it. Thread-safe; lines never interleave.
// Callers must never pass token text, key material or SQL.
void Log(LogLevel level, absl::string_view message, std::initializer_list<LogField> fields = {});

// Lines below this level are dropped. Default kInfo.
void SetMinLogLevel(LogLevel level);

}  // namespace tokend::common

#endif  // TOKEND_SERVER_COMMON_LOG_H_
