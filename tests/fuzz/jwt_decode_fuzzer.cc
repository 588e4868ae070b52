// Access tokens as Introspect reads them (jwt/jwt.h Decode, jwt/jws.h), with
// the fixed ring of one key per algorithm, so that the signature path runs.
//
// An input is either a token, taken as it is, or, when it starts with '{',
// "<header>\n<payload>": both are base64url-encoded and signed here with
// the ring's key whose kid the header names in quotes (else the primary), so
// that the checks behind the signature (header rules, payload readers) see
// arbitrary bytes too.
//
// Properties: never crashes or throws; a refusal is UNAUTHENTICATED; a
// decoded token verifies as a JWS with a key of the ring, validates without
// crashing, and signing its claims again with that key gives a token that
// decodes to the same claims.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "crypto/base64url.h"
#include "fuzz/claims_equal.h"
#include "fuzz/fuzz_support.h"
#include "jwt/jws.h"
#include "jwt/jwt.h"

namespace {

using tokend::fuzz::Fail;

// "<header>\n<payload>" as a compact JWS signed with the key the header names.
std::string SignedHere(absl::string_view input) {
  const size_t newline = input.find('\n');
  const absl::string_view header = input.substr(0, newline);
  const absl::string_view payload =
      newline == absl::string_view::npos ? absl::string_view() : input.substr(newline + 1);
  const tokend::keys::KeyRing& ring = tokend::fuzz::KeyRing();
  const tokend::keys::Key* key = &ring.primary();
  for (const tokend::keys::Key& candidate : ring.keys()) {
    if (absl::StrContains(header, absl::StrCat("\"", candidate.kid, "\""))) {
      key = &candidate;
      break;
    }
  }
  std::string token = absl::StrCat(tokend::crypto::Base64UrlEncode(header), ".",
                                   tokend::crypto::Base64UrlEncode(payload));
  absl::StatusOr<std::string> signature = key->algorithm().Sign(*key->pkey, token);
  if (!signature.ok()) Fail(absl::StrCat("cannot sign: ", signature.status().ToString()));
  absl::StrAppend(&token, ".", tokend::crypto::Base64UrlEncode(*signature));
  return token;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const tokend::keys::KeyRing& ring = tokend::fuzz::KeyRing();
  const absl::string_view input = tokend::fuzz::AsText(data, size);
  const std::string token = absl::StartsWith(input, "{") ? SignedHere(input) : std::string(input);

  // Generic JWS rules too (Wycheproof's vectors are not access tokens).
  (void)tokend::jwt::VerifyCompactJws(token, ring, tokend::jwt::TypRule::kAny);

  absl::StatusOr<tokend::jwt::Claims> claims = tokend::jwt::Decode(token, ring);
  if (!claims.ok()) {
    if (claims.status().code() != absl::StatusCode::kUnauthenticated) {
      Fail(absl::StrCat("refused with an unexpected code: ", claims.status().ToString()));
    }
    return 0;
  }
  absl::StatusOr<tokend::jwt::VerifiedJws> jws =
      tokend::jwt::VerifyCompactJws(token, ring, tokend::jwt::TypRule::kAccessToken);
  if (!jws.ok() || jws->key == nullptr) Fail("decoded, but does not verify as a JWS");
  (void)tokend::jwt::Validate(
      *claims, {.issuer = "https://tokend.test", .leeway = absl::Seconds(5)}, claims->issued_at);

  absl::StatusOr<std::string> again = tokend::jwt::Sign(*claims, *jws->key);
  if (!again.ok()) {
    // Only the size limit may stop a decoded token's claims from being signed
    // again (their JSON form may be longer than the original's).
    if (!absl::StrContains(again.status().message(), "token would be larger than")) {
      Fail(absl::StrCat("decoded claims cannot be signed again: ", again.status().ToString()));
    }
    return 0;
  }
  absl::StatusOr<tokend::jwt::Claims> reread = tokend::jwt::Decode(*again, ring);
  if (!reread.ok()) {
    Fail(absl::StrCat("a token signed from decoded claims does not decode: ",
                      reread.status().ToString()));
  }
  if (!tokend::fuzz::ClaimsEqual(*claims, *reread)) {
    Fail("a token signed from decoded claims decodes to other claims");
  }
  return 0;
}
