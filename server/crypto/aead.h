#ifndef TOKEND_SERVER_CRYPTO_AEAD_H_
#define TOKEND_SERVER_CRYPTO_AEAD_H_

// AES-256-GCM, for keeping secrets at rest (managed signing keys). One format:
// a random 96-bit nonce, the ciphertext, then the 128-bit tag. The nonce is
// drawn fresh for every Seal, so one key may seal about 2^32 messages before
// a nonce repeats with any real chance; tokend seals a handful per rotation.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokend::crypto {

inline constexpr size_t kAes256KeyBytes = 32;
inline constexpr size_t kGcmNonceBytes = 12;
inline constexpr size_t kGcmTagBytes = 16;

// nonce || ciphertext || tag of `plaintext` under the 32-byte `key`, with
// `aad` authenticated but not encrypted. INVALID_ARGUMENT for a key of
// another size; INTERNAL or UNAVAILABLE (no randomness) from OpenSSL.
absl::StatusOr<std::string> Aes256GcmSeal(absl::string_view key, absl::string_view plaintext,
                                          absl::string_view aad);

// The plaintext Seal took, when `sealed` was made by Seal under `key` with
// exactly `aad` and not altered since. DATA_LOSS "authentication failed"
// otherwise (wrong key, other aad, any changed or missing byte): GCM does not
// say which, and nothing of the plaintext is returned. INVALID_ARGUMENT for a
// key of another size.
absl::StatusOr<std::string> Aes256GcmOpen(absl::string_view key, absl::string_view sealed,
                                          absl::string_view aad);

}  // namespace tokend::crypto

#endif  // TOKEND_SERVER_CRYPTO_AEAD_H_
