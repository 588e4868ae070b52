#ifndef TOKEND_SERVER_JWT_PAYLOAD_H_
#define TOKEND_SERVER_JWT_PAYLOAD_H_

// Internal to jwt/: Decode's two readers of a signature-verified payload.
// The fast one reads the plain shape tokend itself writes without building a
// JSON document; the general one (strict JSON, json/strict_json.h) reads
// everything else and alone decides rejections.

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "jwt/claims.h"

namespace tokend::jwt::internal {

// Decode's general path for the (signature-verified) payload bytes: strict
// JSON (json::ParseStrictJson), then the claim rules jwt.h describes.
// UNAUTHENTICATED with a short reason otherwise.
absl::StatusOr<Claims> ParsePayload(absl::string_view payload);

// Reads `payload` when it has the plain shape of tokend's own tokens: one
// JSON object, with whitespace only where JSON allows it, whose members are
// exactly iss, sub, aud, exp, iat, nbf and jti, and optionally client_id,
// scope and sid, each at most once; every string made of printable ASCII
// without '"' or '\' (so no escape), aud a string or an array of such
// strings, and exp, iat and nbf non-negative integers of at most 15 digits in
// jwt::Decode's NumericDate range. Then it fills *claims as Decode's general
// path would and returns true.
//
// Returns false, leaving *claims alone, for anything else (a custom claim,
// an escape, a non-ASCII byte, a float, a missing or repeated member, a
// syntax error...): the caller then runs the general strict parser, which
// accepts or rejects. So this never accepts what the general path rejects,
// and never decides a rejection itself.
bool ParseSimplePayload(absl::string_view payload, Claims* claims);

}  // namespace tokend::jwt::internal

#endif  // TOKEND_SERVER_JWT_PAYLOAD_H_
