#include "service/random_id.h"

#include "crypto/base64url.h"
#include "crypto/random.h"

namespace tokend::service {

absl::StatusOr<std::string> RandomId(size_t bytes) {
  absl::StatusOr<std::string> random = crypto::RandomBytes(bytes);
  if (!random.ok()) return random.status();
  return crypto::Base64UrlEncode(*random);
}

}  // namespace tokend::service
