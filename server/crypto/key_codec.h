#ifndef TOKEND_SERVER_CRYPTO_KEY_CODEC_H_
#define TOKEND_SERVER_CRYPTO_KEY_CODEC_H_

// Private keys made and serialized by tokend itself (managed keys): fresh key
// generation and PKCS#8 DER, the form a key is sealed in before it is stored.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/openssl_ptr.h"
#include "crypto/signature_algorithm.h"

namespace tokend::crypto {

// A fresh private key for `alg` from OpenSSL's CSPRNG: P-256 (ES256), P-384
// (ES384), Ed25519 (EdDSA), RSA-3072 with e = 65537 (RS256, PS256).
// Provider-native. INTERNAL when OpenSSL fails.
absl::StatusOr<EvpPkeyPtr> GeneratePrivateKey(Algorithm alg);

// `key` (which must hold private material) as PKCS#8 PrivateKeyInfo DER. The
// caller owns the secret bytes and should wipe them (WipePem) when done.
absl::StatusOr<std::string> PrivateKeyToDer(const EVP_PKEY& key);

// The inverse: a provider-native private key. INVALID_ARGUMENT when `der`
// is not a PKCS#8 private key.
absl::StatusOr<EvpPkeyPtr> PrivateKeyFromDer(absl::string_view der);

}  // namespace tokend::crypto

#endif  // TOKEND_SERVER_CRYPTO_KEY_CODEC_H_
