#ifndef TOKEND_SERVER_KEYS_JWK_H_
#define TOKEND_SERVER_KEYS_JWK_H_

// The JWK form of keys. Deviation from "keys/ has no JSON": the JWK Set is the
// key ring's published face and RFC 7638's thumbprint (the default kid) is
// defined over it, so it lives beside the ring; nothing else here is JSON.

#include <string>

#include "absl/status/statusor.h"
#include "crypto/signature_algorithm.h"
#include "keys/key_ring.h"

namespace tokend::keys {

// RFC 7638 JWK thumbprint (SHA-256, base64url) of the public half of `pkey`
// as used with `alg`: the hash of the required members only, in
// lexicographic order, without whitespace. INVALID_ARGUMENT if the key does
// not suit `alg`.
absl::StatusOr<std::string> JwkThumbprint(const EVP_PKEY& pkey, crypto::Algorithm alg);

// The JWK Set of every key in `ring` (primary first), as compact JSON:
// {"keys":[...]}. Each JWK has kid, kty, alg, use:"sig" and its public
// members (crv/x/y, n/e), in that order, and never a private or symmetric
// member (it is built from SignatureAlgorithm::PublicMembers only).
// INTERNAL if OpenSSL fails.
absl::StatusOr<std::string> JwksJson(const KeyRing& ring);

// Reads a PEM key file and makes a ring key of it. The file holds a private
// key (PKCS#8, SEC1 or PKCS#1); when `allow_public_only`, a public key
// ("PUBLIC KEY") is accepted too, for a verify-only key. An empty `kid`
// defaults to the RFC 7638 thumbprint. INVALID_ARGUMENT or NOT_FOUND with a
// message naming `path` and the problem.
absl::StatusOr<Key> LoadKeyFile(const std::string& path, crypto::Algorithm alg,
                                const std::string& kid, bool allow_public_only);

}  // namespace tokend::keys

#endif  // TOKEND_SERVER_KEYS_JWK_H_
