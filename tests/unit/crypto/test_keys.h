#ifndef TOKEND_TESTS_UNIT_CRYPTO_TEST_KEYS_H_
#define TOKEND_TESTS_UNIT_CRYPTO_TEST_KEYS_H_

// Test helpers shared by the crypto, keys and jwt unit tests: fresh keys,
// hex, and the Wycheproof files.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/string_view.h"
#include "crypto/openssl_ptr.h"
#include "crypto/signature_algorithm.h"

namespace tokend::testing {

// A fresh private key for `alg`, made with EVP_PKEY_Q_keygen: P-256, P-384,
// Ed25519, or RSA-2048 (e = 65537). Aborts the test binary if OpenSSL fails.
crypto::EvpPkeyPtr GenerateKey(crypto::Algorithm alg);

// The same, shared (as keys::Key holds it).
std::shared_ptr<EVP_PKEY> GenerateSharedKey(crypto::Algorithm alg);

// A copy of the public half of `key` only.
crypto::EvpPkeyPtr PublicOnly(const EVP_PKEY& key);

// The public half of `key` as SubjectPublicKeyInfo PEM ("PUBLIC KEY").
std::string PublicKeyPem(const EVP_PKEY& key);

// A public key from the members of a public JWK: kty "EC" with crv "P-256"
// or "P-384" and x, y; kty "OKP" with crv "Ed25519" and x; kty "RSA" with n
// and e. Values must be strict base64url, EC coordinates full length, and an
// EC point on its curve. Other members (alg, kid, use, private ones) are
// ignored. nullptr otherwise. The server never reads JWKs (its keys come
// from PEM files; keys::ParsePublicJwk is for verifiers outside it); tests
// use this independent reader for published keys (RFC examples, Wycheproof's
// JWS files, tokend's own JWK Set) and to cross-check ParsePublicJwk.
crypto::EvpPkeyPtr PublicKeyFromJwk(const nlohmann::json& jwk);

// Hex (either case) to bytes; aborts on bad hex.
std::string HexDecode(absl::string_view hex);

// Every algorithm tokend implements.
inline constexpr crypto::Algorithm kAllAlgorithms[] = {
    crypto::Algorithm::kES256, crypto::Algorithm::kES384, crypto::Algorithm::kEdDSA,
    crypto::Algorithm::kRS256, crypto::Algorithm::kPS256};

// Reads Wycheproof file `name` from the shared test data. On a missing or
// unparsable file, records a test failure (never a skip) and returns null.
nlohmann::json LoadWycheproof(const std::string& name);

}  // namespace tokend::testing

#endif  // TOKEND_TESTS_UNIT_CRYPTO_TEST_KEYS_H_
