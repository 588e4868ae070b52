#ifndef TOKEND_SERVER_CRYPTO_PEM_H_
#define TOKEND_SERVER_CRYPTO_PEM_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/openssl_ptr.h"

namespace tokend::crypto {

// Parses a PEM private key: PKCS#8 ("PRIVATE KEY"), SEC1 ("EC PRIVATE KEY")
// or PKCS#1 ("RSA PRIVATE KEY"). Encrypted keys are refused.
// INVALID_ARGUMENT when the text holds no such key.
absl::StatusOr<EvpPkeyPtr> ParsePrivateKeyPem(absl::string_view pem);

// Parses a PEM public key (SubjectPublicKeyInfo, "PUBLIC KEY").
// INVALID_ARGUMENT when the text holds no such key.
absl::StatusOr<EvpPkeyPtr> ParsePublicKeyPem(absl::string_view pem);

// The public half of `key` (which may be private) as SubjectPublicKeyInfo PEM.
absl::StatusOr<std::string> PublicKeyToPem(const EVP_PKEY& key);

// Whether `key` holds private key material.
bool HasPrivateKey(const EVP_PKEY& key);

}  // namespace tokend::crypto

#endif  // TOKEND_SERVER_CRYPTO_PEM_H_
