#ifndef TOKEND_SERVER_JWT_JWT_H_
#define TOKEND_SERVER_JWT_JWT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "jwt/claims.h"
#include "keys/key_ring.h"

namespace tokend::jwt {

// Pure functions of (token, key ring, options, now): no clock, no I/O.

// Checks custom claims given as JSON text. OK for an empty text or a JSON
// object of at most kMaxCustomClaimsBytes with no registered name at its top
// level. INVALID_ARGUMENT whose message names the problem ("claims: ...")
// otherwise. Returns the canonical compact text to store in
// Claims::custom_claims_json ("" for an empty object).
absl::StatusOr<std::string> CanonicalCustomClaims(absl::string_view json);

// Signs `claims` with `key` (which must hold a private key) as a compact JWS
// with header {"alg":<key's alg>,"typ":"at+jwt","kid":<key's kid>}.
// INVALID_ARGUMENT if claims.custom_claims_json is not a JSON object;
// INTERNAL if OpenSSL fails.
absl::StatusOr<std::string> Sign(const Claims& claims, const keys::Key& key);

// Longest token text Decode looks at; anything longer is rejected unread.
inline constexpr size_t kMaxTokenBytes = 16 * 1024;

// Decodes and authenticates a compact JWS access token, without any time or
// issuer check. It must be canonical (three unpadded base64url segments, no
// whitespace), its header a JSON object with a kid that names a key of `ring`,
// an alg equal to that key's algorithm (the header's alg is never trusted on
// its own), typ "at+jwt" (or "application/at+jwt"), and no crit; jwk, jku,
// x5u and x5c are ignored. The signature must verify, and the payload must be
// a JSON object with integer exp, iat, nbf, and string jti; duplicate member
// names anywhere are rejected. On any failure: UNAUTHENTICATED with a short
// reason for logs (callers answer "inactive" whatever the reason).
absl::StatusOr<Claims> Decode(absl::string_view token, const keys::KeyRing& ring);

struct ValidationOptions {
  std::string issuer;                // required value of iss
  absl::Duration leeway;             // clock skew allowed on nbf, iat and exp
};

// Checks decoded claims at time `now`: iss equals the issuer, and
// nbf - leeway <= now < exp + leeway, and iat <= now + leeway.
// UNAUTHENTICATED with a short reason otherwise.
absl::Status Validate(const Claims& claims, const ValidationOptions& options,
                      absl::Time now);

}  // namespace tokend::jwt

#endif  // TOKEND_SERVER_JWT_JWT_H_
