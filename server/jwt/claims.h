#ifndef TOKEND_SERVER_JWT_CLAIMS_H_
#define TOKEND_SERVER_JWT_CLAIMS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tokend::jwt {

// The claims of a tokend access token (RFC 9068). There is no alg or kid here:
// the signing key supplies them, so rotating keys changes no caller.
struct Claims {
  std::string issuer;                 // iss
  std::string subject;                // sub
  std::vector<std::string> audience;  // aud: a string when one, an array when several
  absl::Time issued_at;               // iat, whole seconds on the wire
  absl::Time not_before;              // nbf, whole seconds on the wire
  absl::Time expires_at;              // exp, whole seconds on the wire
  std::string token_id;               // jti
  std::string client_id;              // client_id: the identity of the issuing caller
  std::vector<std::string> scopes;    // scope: space-separated; omitted when empty
  // sid: the refresh-token family the token was issued with; empty (and
  // omitted) when it was issued without a refresh token.
  std::string session_id;
  // The custom claims as the text of one JSON object, or empty for none.
  // Never contains a registered name (see kRegisteredClaimNames).
  std::string custom_claims_json;
};

// Names custom claims may not use: the claims above plus cnf, act and typ.
inline constexpr const char* kRegisteredClaimNames[] = {"iss", "sub", "aud",       "exp",   "nbf",
                                                        "iat", "jti", "client_id", "scope", "cnf",
                                                        "sid", "act", "typ"};

// Whether `name` is one of kRegisteredClaimNames.
inline bool IsRegisteredClaimName(absl::string_view name) {
  for (const char* registered : kRegisteredClaimNames) {
    if (name == registered) return true;
  }
  return false;
}

// Largest accepted JSON text of the custom claims.
inline constexpr size_t kMaxCustomClaimsBytes = 4096;

// The largest NumericDate (exp, iat, nbf) accepted: the end of year 9999.
// Anything later, or before 1970, is not a time tokend could have written.
inline constexpr int64_t kMaxNumericDate = 253402300799;

}  // namespace tokend::jwt

#endif  // TOKEND_SERVER_JWT_CLAIMS_H_
