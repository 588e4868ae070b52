#ifndef TOKEND_SERVER_CRYPTO_PEM_H_
#define TOKEND_SERVER_CRYPTO_PEM_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/openssl_ptr.h"

namespace tokend::crypto {

// Parses a PEM private key: PKCS#8 ("PRIVATE KEY"), SEC1 ("EC PRIVATE KEY")
// or PKCS#1 ("RSA PRIVATE KEY"). Encrypted keys are refused with
// "pem: encrypted private keys are not supported", and never make OpenSSL ask
// for a passphrase on the terminal. INVALID_ARGUMENT when the text holds no
// such key. The caller still owns `pem` and should WipePem it once parsed.
absl::StatusOr<EvpPkeyPtr> ParsePrivateKeyPem(absl::string_view pem);

// Overwrites the bytes of `pem` (the text of a private key) with zeros, so
// that the key does not linger in freed memory (OPENSSL_cleanse: the
// compiler cannot drop it as a dead store).
void WipePem(std::string& pem);

// Parses a PEM public key (SubjectPublicKeyInfo, "PUBLIC KEY").
// INVALID_ARGUMENT when the text holds no such key.
absl::StatusOr<EvpPkeyPtr> ParsePublicKeyPem(absl::string_view pem);

// Whether `key` holds private key material.
bool HasPrivateKey(const EVP_PKEY& key);

}  // namespace tokend::crypto

#endif  // TOKEND_SERVER_CRYPTO_PEM_H_
