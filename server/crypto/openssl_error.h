#ifndef TOKEND_SERVER_CRYPTO_OPENSSL_ERROR_H_
#define TOKEND_SERVER_CRYPTO_OPENSSL_ERROR_H_

// Internal to crypto/: turning OpenSSL's thread-local error queue into Status.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tokend::crypto {

// A Status with `code` whose message names the OpenSSL `call` that failed
// and the first reason on this thread's OpenSSL error queue, for example
// "EVP_DigestSign failed: bad signature". Empties the queue, so that a stale
// error never shows up under a later call. OpenSSL reasons never contain key
// material.
absl::Status OpenSslError(absl::string_view call,
                          absl::StatusCode code = absl::StatusCode::kInternal);

// Empties this thread's OpenSSL error queue (after an expected failure, such
// as a signature that does not verify).
void ClearOpenSslErrors();

}  // namespace tokend::crypto

#endif  // TOKEND_SERVER_CRYPTO_OPENSSL_ERROR_H_
