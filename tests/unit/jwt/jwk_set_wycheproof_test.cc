// Wycheproof's JSON Web Key vectors through the path a verifier outside
// tokend takes: the published ("public") JWK Set read with keys::ParseJwks
// into a verify-only ring, then the JWS checked against it. Every vector
// marked valid must verify; every invalid one must fail, either because the
// set (or the key the kid names) is refused, or because the JWS does not
// verify. Where a group gives only its "private" set, that set is read
// instead: its private JWKs must be refused (a verifier never takes a
// private key from a key set), so a vector signed by one of them does not
// verify, valid or not; its public JWKs behave as above.

#include <nlohmann/json.hpp>
#include <string>

#include "crypto/base64url.h"
#include "gtest/gtest.h"
#include "jwt/jws.h"
#include "keys/jwk.h"
#include "keys/key_ring.h"
#include "unit/crypto/test_keys.h"

namespace tokend::jwt {
namespace {

// The kid of a compact JWS's header, or "" when it has none.
std::string HeaderKid(const std::string& jws) {
  std::string header;
  if (!crypto::Base64UrlDecode(jws.substr(0, jws.find('.')), &header)) return "";
  const nlohmann::json parsed = nlohmann::json::parse(header, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("kid") || !parsed["kid"].is_string()) return "";
  return parsed["kid"].get<std::string>();
}

TEST(Wycheproof, JsonWebKeyVectorsThroughThePublishedJwkSet) {
  const nlohmann::json json = ::tokend::testing::LoadWycheproof("json_web_key_test.json");
  ASSERT_FALSE(json.is_null());
  int total = 0;
  int valid_verified = 0;
  int private_keys_refused = 0;
  for (const auto& group : json["testGroups"]) {
    const bool public_set = group.contains("public");
    const nlohmann::json& set = public_set ? group["public"] : group["private"];
    absl::StatusOr<keys::ParsedJwks> parsed = keys::ParseJwks(set.dump());
    std::shared_ptr<const keys::KeyRing> ring;
    if (parsed.ok()) {
      absl::StatusOr<std::shared_ptr<const keys::KeyRing>> made =
          keys::KeyRing::NewVerifyOnly(parsed->keys);
      ASSERT_TRUE(made.ok()) << made.status();
      ring = *made;
    }
    for (const auto& test : group["tests"]) {
      ++total;
      const std::string jws = test["jws"].get<std::string>();
      const bool verified = ring != nullptr && VerifyCompactJws(jws, *ring, TypRule::kAny).ok();
      // Whether the set's JWK for the vector's kid carries private members.
      bool signed_by_private_jwk = false;
      for (const auto& jwk : set["keys"]) {
        if (jwk.contains("d") || jwk.contains("k")) {
          const std::string kid = jwk.value("kid", "");
          signed_by_private_jwk =
              signed_by_private_jwk ||
              (!kid.empty() && jws.find('.') != std::string::npos && HeaderKid(jws) == kid);
        }
      }
      if (signed_by_private_jwk) {
        EXPECT_FALSE(verified) << "tcId " << test["tcId"] << ": a private JWK was used";
        ++private_keys_refused;
      } else if (test["result"] == "valid") {
        EXPECT_TRUE(verified) << "tcId " << test["tcId"] << " " << test["comment"];
        valid_verified += verified ? 1 : 0;
      } else {
        EXPECT_FALSE(verified) << "tcId " << test["tcId"] << " " << test["comment"];
      }
    }
  }
  EXPECT_EQ(total, json["numberOfTests"].get<int>());
  EXPECT_GT(valid_verified, 0);
  EXPECT_GT(private_keys_refused, 0);
}

}  // namespace
}  // namespace tokend::jwt
