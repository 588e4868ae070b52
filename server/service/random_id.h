#ifndef TOKEND_SERVER_SERVICE_RANDOM_ID_H_
#define TOKEND_SERVER_SERVICE_RANDOM_ID_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace tokend::service {

// Random bytes of a jti or a refresh family id: 128 bits, as the contract asks.
inline constexpr size_t kIdRandomBytes = 16;

// `bytes` fresh random bytes as base64url without padding. INTERNAL only if
// the random generator fails.
absl::StatusOr<std::string> RandomId(size_t bytes);

}  // namespace tokend::service

#endif  // TOKEND_SERVER_SERVICE_RANDOM_ID_H_
