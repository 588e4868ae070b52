#ifndef TOKEND_SERVER_CRYPTO_RANDOM_H_
#define TOKEND_SERVER_CRYPTO_RANDOM_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace tokend::crypto {

// `n` bytes from OpenSSL's CSPRNG. UNAVAILABLE if the generator fails (for
// example, it cannot be seeded); never returns predictable bytes.
absl::StatusOr<std::string> RandomBytes(size_t n);

}  // namespace tokend::crypto

#endif  // TOKEND_SERVER_CRYPTO_RANDOM_H_
