#ifndef TOKEND_SERVER_JWT_JWT_H_
#define TOKEND_SERVER_JWT_JWT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "jwt/claims.h"
#include "jwt/jws.h"
#include "keys/key_ring.h"

namespace tokend::jwt {

// Sign, Decode and Validate read no clock and do no I/O: each answer depends
// only on the arguments (token, key ring, options, now). Decode is not pure in
// the strict sense: each thread remembers the last few JWS headers it found
// good (see jws.cc), which saves work and never changes an answer.

// Checks custom claims given as JSON `text`. OK for an empty text or a JSON
// object (parsed strictly: no repeated member names at any depth) whose
// canonical text is at most kMaxCustomClaimsBytes, with no registered name
// at its top level (nested objects may use any name). INVALID_ARGUMENT whose
// message names the problem otherwise, for example
//   claims: "iss" is a registered claim name
//   claims: larger than 4096 bytes
//   claims: must be a JSON object
//   claims: duplicate member name
// Returns the canonical text to store in Claims::custom_claims_json: compact,
// members sorted by name ("" for an empty object).
absl::StatusOr<std::string> CanonicalCustomClaims(absl::string_view text);

// Signs `claims` with `key` (which must hold a private key) as a compact JWS
// with header {"alg":<key's alg>,"typ":"at+jwt","kid":<key's kid>} (exactly
// these bytes) and payload members in this order: iss, sub, aud (a string
// when one audience, else an array), exp, iat, nbf (integer seconds), jti,
// client_id, scope (space-separated; omitted when no scopes), sid (omitted
// when session_id is empty), then the custom claims' members.
// INVALID_ARGUMENT if claims.custom_claims_json is not a JSON object or uses
// a registered name, a string is not UTF-8, or the token would exceed
// kMaxTokenBytes; INTERNAL if OpenSSL fails (for example, no private key).
absl::StatusOr<std::string> Sign(const Claims& claims, const keys::Key& key);

// Decodes and authenticates a compact JWS access token, without any time or
// issuer check. It must be canonical (three unpadded base64url segments, no
// whitespace), its header a JSON object with a kid that names a key of `ring`,
// an alg equal to that key's algorithm (the header's alg is never trusted on
// its own), typ "at+jwt" (or "application/at+jwt"), and no crit; jwk, jku,
// x5u and x5c are ignored. The signature must verify (it is checked before
// the payload is parsed), and the payload must be a JSON object with integer
// exp, iat, nbf (JSON integers in [0, 253402300799]: 1.5, 1e3, 1000.0 or
// "1000" are refused), string iss, sub and jti, aud a string or an array of
// strings, and client_id, scope and sid strings when present; duplicate
// member names anywhere are rejected. Every other member except the
// registered names (see kRegisteredClaimNames) goes to custom_claims_json,
// in CanonicalCustomClaims' form ("" when none). On any failure:
// UNAUTHENTICATED with a short reason for logs (callers answer "inactive"
// whatever the reason). Never crashes or throws on any input.
absl::StatusOr<Claims> Decode(absl::string_view token, const keys::KeyRing& ring);

struct ValidationOptions {
  std::string issuer;     // required value of iss
  absl::Duration leeway;  // clock skew allowed on nbf, iat and exp
};

// Checks decoded claims at time `now`: iss equals the issuer, and
// nbf - leeway <= now < exp + leeway, and iat <= now + leeway.
// UNAUTHENTICATED with a short reason otherwise.
absl::Status Validate(const Claims& claims, const ValidationOptions& options, absl::Time now);

}  // namespace tokend::jwt

#endif  // TOKEND_SERVER_JWT_JWT_H_
