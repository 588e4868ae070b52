#ifndef TOKEND_SERVER_CRYPTO_HASH_H_
#define TOKEND_SERVER_CRYPTO_HASH_H_

#include <array>
#include <string>

#include "absl/strings/string_view.h"

namespace tokend::crypto {

// SHA-256 of `data`: 32 raw bytes.
std::string Sha256(absl::string_view data);

// The same digest without allocating, for hot paths (cache keys). Uses a
// SHA-256 implementation fetched from OpenSSL once per process.
std::array<unsigned char, 32> Sha256Digest(absl::string_view data);

// HMAC-SHA256 of `data` under `key`: 32 raw bytes.
std::string HmacSha256(absl::string_view key, absl::string_view data);

}  // namespace tokend::crypto

#endif  // TOKEND_SERVER_CRYPTO_HASH_H_
