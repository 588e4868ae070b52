// Wycheproof's whole-JWS files run through the code under Decode:
// jwt::VerifyCompactJws (typ not checked: these are generic JWS, not access
// tokens), with each JWK in scope made a verify-only key of the ring, as an
// operator would configure it (its alg pinned, CheckKey run by the ring).
//
// Expectations: "invalid" must be rejected. "valid" must verify when tokend
// implements the case (the key's alg is ES256, ES384, EdDSA, RS256 or PS256
// and the token's header alg equals it, and the JWK is for signing); a
// "valid" vector outside that (HS256, RS384, PS512, ES512, a PS384 token for
// a PS256 key, ...) must be rejected, since tokend verifies nothing else.
// Likewise a "valid" JWS with an empty payload segment must be rejected:
// tokend's tokens have three non-empty segments (an access token's payload
// is a JSON object), and VerifyCompactJws refuses empty segments up front.
// A missing file fails the test.

#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "crypto/base64url.h"
#include "gtest/gtest.h"
#include "jwt/jws.h"
#include "unit/jwt/jwt_test_util.h"

namespace tokend::jwt {
namespace {

using crypto::Algorithm;

struct Counts {
  int total = 0;
  int valid_verified = 0;
  int valid_outside_tokend_rejected = 0;
  int valid_empty_payload_rejected = 0;
  int invalid_rejected = 0;
  int errata_not_asserted = 0;
};

void Print(const std::string& file, const Counts& counts) {
  std::cout << "Wycheproof " << file << ": " << counts.total << " vectors run ("
            << counts.valid_verified << " valid verified, " << counts.valid_outside_tokend_rejected
            << " valid but outside tokend's algorithms rejected, "
            << counts.valid_empty_payload_rejected << " valid with an empty payload rejected, "
            << counts.invalid_rejected << " invalid rejected, " << counts.errata_not_asserted
            << " known errata not asserted)\n";
}

// Whether tokend implements verification with this JWK, judged from the test
// data alone (not from tokend's own parser, which is under test).
bool JwkInScope(const nlohmann::json& jwk) {
  if (!jwk.contains("alg") || !jwk["alg"].is_string()) return false;
  if (!crypto::AlgorithmFromName(jwk["alg"].get<std::string>()).has_value()) return false;
  if (jwk.contains("use") && jwk["use"] != "sig") return false;
  if (jwk.contains("key_ops")) {
    bool verify = false;
    for (const auto& op : jwk["key_ops"]) verify = verify || op == "verify";
    if (!verify) return false;
  }
  return jwk.value("kty", "") != "oct";
}

// The "alg" and "kid" of a token's header, read leniently; empty if unreadable.
std::pair<std::string, std::string> HeaderAlgAndKid(const std::string& token) {
  std::string header;
  if (!crypto::Base64UrlDecode(token.substr(0, token.find('.')), &header)) return {};
  const nlohmann::json json = nlohmann::json::parse(header, nullptr, false);
  if (!json.is_object()) return {};
  return {json.value("alg", ""), json.value("kid", "")};
}

// A verifier's ring: a private primary of the test's own under a kid no
// vector uses, then each JWK's public key as a verify-only key. nullptr when
// any JWK is out of scope (tokend could not be configured with it), makes no
// key, or fails its algorithm's CheckKey (KeyRing::New runs it).
std::shared_ptr<const keys::KeyRing> RingFromJwks(const std::vector<nlohmann::json>& jwks) {
  std::vector<keys::Key> keys = {testing::MakeKey(Algorithm::kEdDSA, "tokend-test-primary")};
  for (const nlohmann::json& jwk : jwks) {
    if (!JwkInScope(jwk)) return nullptr;
    std::optional<keys::Key> key = testing::KeyFromPublishedJwk(jwk);
    if (!key.has_value()) return nullptr;
    keys.push_back(*std::move(key));
  }
  absl::StatusOr<std::shared_ptr<const keys::KeyRing>> ring = keys::KeyRing::New(std::move(keys));
  return ring.ok() ? *ring : nullptr;
}

void Check(const std::string& file, const nlohmann::json& test, const nlohmann::json* jwk_for_kid,
           const keys::KeyRing* ring, bool errata, Counts* counts) {
  ++counts->total;
  const int id = test["tcId"].get<int>();
  const std::string result = test["result"].get<std::string>();
  const std::string token =
      test["jws"].is_string() ? test["jws"].get<std::string>() : test["jws"].dump();
  absl::StatusOr<VerifiedJws> verified =
      ring == nullptr ? absl::StatusOr<VerifiedJws>(absl::UnauthenticatedError("key refused"))
                      : VerifyCompactJws(token, *ring, TypRule::kAny);
  if (errata) {
    ++counts->errata_not_asserted;
    return;
  }
  const auto [header_alg, header_kid] = HeaderAlgAndKid(token);
  const size_t dot1 = token.find('.');
  const bool empty_payload = dot1 != std::string::npos && token.find('.', dot1 + 1) == dot1 + 1;
  const bool in_scope = jwk_for_kid != nullptr && JwkInScope(*jwk_for_kid) &&
                        header_alg == (*jwk_for_kid)["alg"].get<std::string>() && !empty_payload;
  if (result == "valid" && in_scope) {
    EXPECT_TRUE(verified.ok()) << file << " tcId " << id << " (" << test["comment"]
                               << "): " << verified.status();
    if (verified.ok()) ++counts->valid_verified;
  } else {
    EXPECT_FALSE(verified.ok()) << file << " tcId " << id << " (" << test["comment"] << ", "
                                << result << ") verified";
    if (!verified.ok()) {
      if (result != "valid") {
        ++counts->invalid_rejected;
      } else if (empty_payload) {
        ++counts->valid_empty_payload_rejected;
      } else {
        ++counts->valid_outside_tokend_rejected;
      }
    }
  }
}

TEST(Wycheproof, JsonWebSignatureVectors) {
  const std::string file = "json_web_signature_test.json";
  const nlohmann::json json = ::tokend::testing::LoadWycheproof(file);
  ASSERT_FALSE(json.is_null());
  Counts counts;
  for (const auto& group : json["testGroups"]) {
    const nlohmann::json& jwk = group.contains("public") ? group["public"] : group["private"];
    std::shared_ptr<const keys::KeyRing> ring = RingFromJwks({jwk});
    for (const auto& test : group["tests"]) {
      // README of the test data: in group "base64", tcId 367 and 370 equal a
      // valid token but are marked invalid, and 372 and 373 cannot verify
      // but are marked valid. They are run, not asserted.
      const int id = test["tcId"].get<int>();
      const bool errata =
          group["comment"] == "base64" && (id == 367 || id == 370 || id == 372 || id == 373);
      const auto [alg, kid] =
          HeaderAlgAndKid(test["jws"].is_string() ? test["jws"].get<std::string>() : "");
      const nlohmann::json* jwk_for_kid = jwk.value("kid", "") == kid ? &jwk : nullptr;
      Check(file, test, jwk_for_kid, ring.get(), errata, &counts);
    }
  }
  EXPECT_EQ(counts.total, json["numberOfTests"].get<int>());
  EXPECT_GT(counts.valid_verified, 0);
  Print(file, counts);
  RecordProperty("vectors", counts.total);
}

TEST(Wycheproof, JsonWebKeyVectors) {
  const std::string file = "json_web_key_test.json";
  const nlohmann::json json = ::tokend::testing::LoadWycheproof(file);
  ASSERT_FALSE(json.is_null());
  Counts counts;
  for (const auto& group : json["testGroups"]) {
    std::vector<nlohmann::json> jwks;
    for (const auto& jwk : group["private"]["keys"]) jwks.push_back(jwk);
    std::shared_ptr<const keys::KeyRing> ring = RingFromJwks(jwks);
    for (const auto& test : group["tests"]) {
      const auto [alg, kid] = HeaderAlgAndKid(test["jws"].get<std::string>());
      // In scope only if every key of the set is (a set tokend cannot load
      // whole is refused whole), and one of them is named by the kid.
      const nlohmann::json* jwk_for_kid = nullptr;
      bool all_in_scope = true;
      for (const auto& jwk : jwks) {
        all_in_scope = all_in_scope && JwkInScope(jwk);
        if (jwk.value("kid", "") == kid) jwk_for_kid = &jwk;
      }
      Check(file, test, all_in_scope ? jwk_for_kid : nullptr, ring.get(), false, &counts);
    }
  }
  EXPECT_EQ(counts.total, json["numberOfTests"].get<int>());
  EXPECT_GT(counts.valid_verified, 0);
  Print(file, counts);
  RecordProperty("vectors", counts.total);
}

}  // namespace
}  // namespace tokend::jwt
