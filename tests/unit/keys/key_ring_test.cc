#include "keys/key_ring.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "unit/crypto/test_keys.h"

namespace tokend::keys {
namespace {

using crypto::Algorithm;
using ::tokend::testing::GenerateSharedKey;

Key MakeKey(Algorithm alg, const std::string& kid) {
  return Key{.kid = kid, .alg = alg, .pkey = GenerateSharedKey(alg)};
}

Key PublicOnly(const Key& key) {
  Key copy = key;
  copy.pkey =
      std::shared_ptr<EVP_PKEY>(::tokend::testing::PublicOnly(*key.pkey).release(), EVP_PKEY_free);
  return copy;
}

void ExpectInvalid(const std::vector<Key>& keys, absl::string_view fragment) {
  absl::StatusOr<std::shared_ptr<const KeyRing>> ring = KeyRing::New(keys);
  ASSERT_FALSE(ring.ok());
  EXPECT_EQ(ring.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(ring.status().message(), fragment)) << ring.status();
}

TEST(KeyRing, RefusesNoKeys) { ExpectInvalid({}, "no keys"); }

TEST(KeyRing, RefusesAnEmptyKid) { ExpectInvalid({MakeKey(Algorithm::kES256, "")}, "empty kid"); }

TEST(KeyRing, RefusesARepeatedKid) {
  ExpectInvalid({MakeKey(Algorithm::kES256, "a"), MakeKey(Algorithm::kEdDSA, "a")},
                "\"a\" repeated");
}

TEST(KeyRing, RefusesAMissingKey) {
  ExpectInvalid(
      {MakeKey(Algorithm::kES256, "a"), Key{.kid = "b", .alg = Algorithm::kES256, .pkey = nullptr}},
      "\"b\" is empty");
}

TEST(KeyRing, RefusesAKeyThatDoesNotSuitItsAlgorithm) {
  Key key = MakeKey(Algorithm::kES256, "a");
  key.alg = Algorithm::kES384;  // a P-256 key configured as ES384
  ExpectInvalid({key}, "\"a\"");
  Key ed = MakeKey(Algorithm::kEdDSA, "b");
  ed.alg = Algorithm::kRS256;
  ExpectInvalid({MakeKey(Algorithm::kES256, "a"), ed}, "RSA");
}

TEST(KeyRing, RefusesAPrimaryWithoutPrivateKey) {
  ExpectInvalid({PublicOnly(MakeKey(Algorithm::kES256, "a"))}, "no private key");
}

TEST(KeyRing, AcceptsPublicOnlyVerifyKeysAndKeepsOrder) {
  absl::StatusOr<std::shared_ptr<const KeyRing>> ring = KeyRing::New(
      {MakeKey(Algorithm::kES256, "primary"), PublicOnly(MakeKey(Algorithm::kEdDSA, "old")),
       MakeKey(Algorithm::kES384, "next")});
  ASSERT_TRUE(ring.ok()) << ring.status();
  EXPECT_EQ((*ring)->primary().kid, "primary");
  ASSERT_EQ((*ring)->keys().size(), 3u);
  EXPECT_EQ((*ring)->keys()[1].kid, "old");
  EXPECT_EQ((*ring)->keys()[2].kid, "next");
}

TEST(KeyRing, FindsKeysByExactKidOnly) {
  absl::StatusOr<std::shared_ptr<const KeyRing>> ring =
      KeyRing::New({MakeKey(Algorithm::kES256, "primary"), MakeKey(Algorithm::kEdDSA, "old")});
  ASSERT_TRUE(ring.ok());
  const KeyRing& keys = **ring;
  ASSERT_NE(keys.Find("old"), nullptr);
  EXPECT_EQ(keys.Find("old")->alg, Algorithm::kEdDSA);
  EXPECT_EQ(keys.Find("primary"), &keys.primary());
  for (const char* kid : {"", "Old", "old ", "ol", "olde", "primar"}) {
    EXPECT_EQ(keys.Find(kid), nullptr) << kid;
  }
  EXPECT_EQ(keys.Find(absl::string_view("old\0", 4)), nullptr);
}

}  // namespace
}  // namespace tokend::keys
