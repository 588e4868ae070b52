#ifndef TOKEND_SERVER_JWT_JWS_H_
#define TOKEND_SERVER_JWT_JWS_H_

// The compact-JWS layer under Decode: structure, header rules and the
// signature, without looking into the payload. Decode is the API for access
// tokens; this is exposed for tests that run generic JWS vectors
// (Wycheproof) through the same code.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "keys/key_ring.h"

namespace tokend::jwt {

// Longest token text looked at; anything longer is rejected unread.
inline constexpr size_t kMaxTokenBytes = size_t{16} * 1024;

// What the "typ" header must say.
enum class TypRule {
  kAccessToken,  // "at+jwt" or "application/at+jwt" (RFC 9068); Decode's rule
  kAny,          // not checked: for generic JWS test vectors only
};

// The reason VerifyCompactJws (and so Decode) gives when the header's kid
// names no key of the ring: a verifier outside tokend refetches the JWK Set
// on it (a key published after it last looked).
inline constexpr absl::string_view kUnknownKidReason = "header: unknown kid";

struct VerifiedJws {
  const keys::Key* key = nullptr;  // the ring's key that verified it; owned by the ring
  std::string payload;             // the decoded payload bytes, not yet parsed
};

// Authenticates a compact JWS: at most kMaxTokenBytes (checked before
// anything else), exactly three non-empty segments of strict base64url (no
// padding, no whitespace), a header that is a JSON object without repeated
// member names, with string "kid" naming a key of `ring` (no fallback to any
// other key), string "alg" equal to that key's algorithm, no "crit", and
// "typ" as `typ` says; "jwk", "jku", "x5u", "x5c" and other members are
// ignored. Then the signature over the first two segments must verify with
// that key. Only then is the payload decoded. UNAUTHENTICATED with a short
// reason otherwise (the reason never quotes the token).
absl::StatusOr<VerifiedJws> VerifyCompactJws(absl::string_view token, const keys::KeyRing& ring,
                                             TypRule typ);

// The kid that the header of compact JWS `token` names, read as
// VerifyCompactJws reads it (strict base64url, a strict JSON object, a
// string "kid") but authenticating nothing: for a caller that verified the
// token earlier (its claims came from a cache) and must now judge the key
// that signed it. UNAUTHENTICATED with a short reason when there is none.
absl::StatusOr<std::string> HeaderKid(absl::string_view token);

}  // namespace tokend::jwt

#endif  // TOKEND_SERVER_JWT_JWS_H_
