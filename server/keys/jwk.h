#ifndef TOKEND_SERVER_KEYS_JWK_H_
#define TOKEND_SERVER_KEYS_JWK_H_

// The JWK form of keys. Deviation from "keys/ has no JSON": the JWK Set is the
// key ring's published face and RFC 7638's thumbprint (the default kid) is
// defined over it, so it lives beside the ring; nothing else here is JSON.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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

// Reads one public JWK (a JSON object) into a verify-only ring key, the way
// a verifier outside tokend reads tokend's JWK Set. The JWK must name its
// "alg" (one of tokend's algorithms: the key is only ever used with it, never
// with an alg a token names) and a non-empty "kid"; "kty" must suit the alg,
// "use", when present, must be "sig", and "key_ops", when present, must
// list "verify". A JWK carrying a private or symmetric member (d, p, q, dp,
// dq, qi, oth, k) is refused: a public key set that holds one is a leak,
// not something to use. The key itself comes from the algorithm's
// PublicKeyFromMembers (fixed lengths, the point on its curve, RSA size and
// exponent). Members not named here ("x5c", "x5t", ...) are ignored.
// INVALID_ARGUMENT naming the problem (and the kid, when known) otherwise.
absl::StatusOr<Key> ParsePublicJwk(const nlohmann::json& jwk);

// A JWK Set read with ParsePublicJwk.
struct ParsedJwks {
  std::vector<Key> keys;  // the usable keys, in the set's order
  // Why each other JWK was left out, one line each: a JWK of an algorithm
  // this build does not know is skipped (RFC 7517 section 5), and so is an
  // unusable one, so that one bad key does not hide the good ones; tokens
  // naming a skipped kid then find no key and are refused.
  std::vector<std::string> skipped;
};

// Parses `text`, a JWK Set ({"keys":[...]}) as GetJwks serves it, with the
// strict JSON parser (no repeated member names). INVALID_ARGUMENT when it is
// not such a set, when two JWKs share a kid (lookup is by kid alone), or
// when no JWK in it is usable.
absl::StatusOr<ParsedJwks> ParseJwks(absl::string_view text);

}  // namespace tokend::keys

#endif  // TOKEND_SERVER_KEYS_JWK_H_
