#include "store/postgres/revocation_notification.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "store/record_checks.h"

namespace tokend::store::postgres {

std::optional<Revocation> ParseRevocationNotification(absl::string_view payload) {
  // The key, last, keeps its own spaces.
  const std::vector<absl::string_view> parts = absl::StrSplit(payload, absl::MaxSplits(' ', 3));
  if (parts.size() != 4) return std::nullopt;
  int kind = 0;
  int64_t revoked = 0;
  int64_t expires = 0;
  if (!absl::SimpleAtoi(parts[0], &kind) || !IsRevocationKind(kind) ||
      !absl::SimpleAtoi(parts[1], &revoked) || !absl::SimpleAtoi(parts[2], &expires) ||
      parts[3].empty()) {
    return std::nullopt;
  }
  Revocation r;
  r.kind = static_cast<Revocation::Kind>(kind);
  r.key = std::string(parts[3]);
  r.revoked_at = absl::FromUnixMicros(revoked);
  r.expires_at = absl::FromUnixMicros(expires);
  return r;
}

}  // namespace tokend::store::postgres
