#ifndef TOKEND_TESTS_UNIT_JWT_JWT_TEST_UTIL_H_
#define TOKEND_TESTS_UNIT_JWT_JWT_TEST_UTIL_H_

// Helpers for the jwt unit tests: rings of fresh keys, sample claims, and
// tokens with hand-written header and payload, properly signed, so that a
// rejection is known to come from the content and not from the signature.

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "crypto/base64url.h"
#include "gtest/gtest.h"
#include "jwt/claims.h"
#include "keys/jwk.h"
#include "keys/key_ring.h"
#include "unit/crypto/test_keys.h"

namespace tokend::jwt::testing {

inline keys::Key MakeKey(crypto::Algorithm alg, const std::string& kid) {
  return keys::Key{.kid = kid, .alg = alg, .pkey = ::tokend::testing::GenerateSharedKey(alg)};
}

// The verify-only key an outside verifier makes of a published public JWK:
// its public members, its "alg" and its "kid" (RFC 7638 thumbprint when
// absent). nullopt when the JWK has no algorithm tokend implements or its
// members do not make a key.
inline std::optional<keys::Key> KeyFromPublishedJwk(const nlohmann::json& jwk) {
  if (!jwk.is_object() || !jwk.contains("alg") || !jwk["alg"].is_string()) return std::nullopt;
  const std::optional<crypto::Algorithm> alg =
      crypto::AlgorithmFromName(jwk["alg"].get<std::string>());
  crypto::EvpPkeyPtr pkey = ::tokend::testing::PublicKeyFromJwk(jwk);
  if (!alg.has_value() || pkey == nullptr) return std::nullopt;
  keys::Key key{.kid = "", .alg = *alg, .pkey = {pkey.release(), EVP_PKEY_free}};
  if (jwk.contains("kid") && jwk["kid"].is_string()) {
    key.kid = jwk["kid"].get<std::string>();
  } else {
    absl::StatusOr<std::string> thumbprint = keys::JwkThumbprint(*key.pkey, *alg);
    if (!thumbprint.ok()) return std::nullopt;
    key.kid = *thumbprint;
  }
  return key;
}

inline std::shared_ptr<const keys::KeyRing> MakeRing(std::vector<keys::Key> keys) {
  absl::StatusOr<std::shared_ptr<const keys::KeyRing>> ring = keys::KeyRing::New(std::move(keys));
  EXPECT_TRUE(ring.ok()) << ring.status();
  return ring.ok() ? *ring : nullptr;
}

// iat = nbf = 2023-11-14T22:13:20Z (1700000000), exp five minutes later.
inline Claims SampleClaims() {
  Claims claims;
  claims.issuer = "https://tokend.example";
  claims.subject = "alice";
  claims.audience = {"api"};
  claims.issued_at = absl::FromUnixSeconds(1700000000);
  claims.not_before = absl::FromUnixSeconds(1700000000);
  claims.expires_at = absl::FromUnixSeconds(1700000300);
  claims.token_id = "jti-1";
  claims.client_id = "spiffe://example/client";
  claims.scopes = {"read", "write"};
  return claims;
}

// The header tokend writes for `key`: {"alg":..,"typ":"at+jwt","kid":..}.
inline std::string StandardHeader(const keys::Key& key) {
  return absl::StrCat(R"({"alg":")", crypto::AlgorithmName(key.alg), R"(","typ":"at+jwt","kid":")",
                      key.kid, R"("})");
}

// SampleClaims() as tokend writes them.
inline constexpr char kStandardPayload[] =
    R"({"iss":"https://tokend.example","sub":"alice","aud":"api","exp":1700000300,)"
    R"("iat":1700000000,"nbf":1700000000,"jti":"jti-1","client_id":"spiffe://example/client",)"
    R"("scope":"read write"})";

// kStandardPayload with the member `name` replaced by `"name":<json>` (or
// removed when json is empty), for type and presence tests.
inline std::string PayloadWith(const std::string& name, const std::string& json) {
  std::string payload = kStandardPayload;
  const std::string needle = "\"" + name + "\":";
  const size_t start = payload.find(needle);
  if (start == std::string::npos) {
    return json.empty() ? payload
                        : payload.substr(0, payload.size() - 1) + "," + needle + json + "}";
  }
  size_t end = start + needle.size();
  if (payload[end] == '"') {
    end = payload.find('"', end + 1) + 1;
  } else {
    end = payload.find_first_of(",}", end);
  }
  if (json.empty()) {
    const size_t from = payload[start - 1] == ',' ? start - 1 : start;
    const size_t to = (payload[start - 1] == ',' || payload[end] != ',') ? end : end + 1;
    return payload.substr(0, from) + payload.substr(to);
  }
  return payload.substr(0, start) + needle + json + payload.substr(end);
}

// base64url(header) "." base64url(payload) "." base64url(signature by key).
inline std::string SignRaw(const keys::Key& key, const std::string& header,
                           const std::string& payload) {
  const std::string input =
      crypto::Base64UrlEncode(header) + "." + crypto::Base64UrlEncode(payload);
  absl::StatusOr<std::string> signature = key.algorithm().Sign(*key.pkey, input);
  EXPECT_TRUE(signature.ok()) << signature.status();
  return input + "." + crypto::Base64UrlEncode(signature.ok() ? *signature : "");
}

inline std::string DecodeSegment(const std::string& token, int index) {
  size_t start = 0;
  for (int i = 0; i < index; ++i) start = token.find('.', start) + 1;
  const size_t end = token.find('.', start);
  std::string out;
  EXPECT_TRUE(crypto::Base64UrlDecode(
      token.substr(start, end == std::string::npos ? std::string::npos : end - start), &out));
  return out;
}

}  // namespace tokend::jwt::testing

#endif  // TOKEND_TESTS_UNIT_JWT_JWT_TEST_UTIL_H_
