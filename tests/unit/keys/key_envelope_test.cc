#include "keys/key_envelope.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "crypto/aead.h"
#include "crypto/key_codec.h"
#include "gtest/gtest.h"
#include "unit/crypto/test_keys.h"

namespace tokend::keys {
namespace {

using crypto::Algorithm;

Kek MakeKek(char fill) {
  std::string bytes(32, fill);
  return Kek{.id = KekId(bytes), .bytes = bytes};
}

KekSet Set(std::vector<Kek> keks) {
  absl::StatusOr<KekSet> set = KekSet::New(std::move(keks));
  EXPECT_TRUE(set.ok()) << set.status();
  return *std::move(set);
}

std::string TempFile(const std::string& name, const std::string& contents) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

TEST(KeyEnvelope, ASealedKeyOpensToTheSameKey) {
  for (Algorithm alg : ::tokend::testing::kAllAlgorithms) {
    crypto::EvpPkeyPtr key = ::tokend::testing::GenerateKey(alg);
    KekSet keks = Set({MakeKek('a')});
    absl::StatusOr<SealedKey> sealed = keks.Seal("kid-1", alg, *key);
    ASSERT_TRUE(sealed.ok()) << sealed.status();
    EXPECT_EQ(sealed->kek_id, MakeKek('a').id);
    absl::StatusOr<crypto::EvpPkeyPtr> opened = keks.Open("kid-1", alg, *sealed);
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ(EVP_PKEY_eq(opened->get(), key.get()), 1);
  }
}

TEST(KeyEnvelope, TheSealedBytesHoldNothingOfTheKeyInTheClear) {
  crypto::EvpPkeyPtr key = ::tokend::testing::GenerateKey(Algorithm::kES256);
  absl::StatusOr<std::string> der = crypto::PrivateKeyToDer(*key);
  ASSERT_TRUE(der.ok());
  absl::StatusOr<SealedKey> sealed = Set({MakeKek('a')}).Seal("k", Algorithm::kES256, *key);
  ASSERT_TRUE(sealed.ok());
  // The DER's last 32 bytes hold the public point's tail; its first private
  // bytes sit earlier. No 16-byte window of the DER appears in the sealed text.
  for (size_t i = 0; i + 16 <= der->size(); i += 8) {
    EXPECT_FALSE(absl::StrContains(sealed->sealed, der->substr(i, 16))) << i;
  }
  EXPECT_EQ(sealed->sealed.size(), crypto::kGcmNonceBytes + der->size() + crypto::kGcmTagBytes);
}

TEST(KeyEnvelope, AnyChangedByteOfTheSealedKeyFailsToOpenNamingTheKid) {
  crypto::EvpPkeyPtr key = ::tokend::testing::GenerateKey(Algorithm::kES256);
  KekSet keks = Set({MakeKek('a')});
  absl::StatusOr<SealedKey> sealed = keks.Seal("kid-7", Algorithm::kES256, *key);
  ASSERT_TRUE(sealed.ok());
  for (size_t i = 0; i < sealed->sealed.size(); i += 7) {
    SealedKey tampered = *sealed;
    tampered.sealed[i] ^= 0x01;
    absl::StatusOr<crypto::EvpPkeyPtr> opened = keks.Open("kid-7", Algorithm::kES256, tampered);
    ASSERT_FALSE(opened.ok()) << "byte " << i;
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_TRUE(absl::StrContains(opened.status().message(), "\"kid-7\"")) << opened.status();
    EXPECT_TRUE(absl::StrContains(opened.status().message(), "authentication failed"));
  }
  SealedKey truncated = *sealed;
  truncated.sealed.pop_back();
  EXPECT_EQ(keks.Open("kid-7", Algorithm::kES256, truncated).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(KeyEnvelope, ASealedKeyDoesNotOpenUnderAnotherKidOrAlg) {
  crypto::EvpPkeyPtr key = ::tokend::testing::GenerateKey(Algorithm::kRS256);
  KekSet keks = Set({MakeKek('a')});
  absl::StatusOr<SealedKey> sealed = keks.Seal("kid-1", Algorithm::kRS256, *key);
  ASSERT_TRUE(sealed.ok());
  absl::StatusOr<crypto::EvpPkeyPtr> other_kid = keks.Open("kid-2", Algorithm::kRS256, *sealed);
  EXPECT_EQ(other_kid.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(other_kid.status().message(), "\"kid-2\""));
  EXPECT_EQ(keks.Open("kid-1", Algorithm::kPS256, *sealed).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(KeyEnvelope, AWrongKekUnderTheSameIdFailsWithAClearError) {
  crypto::EvpPkeyPtr key = ::tokend::testing::GenerateKey(Algorithm::kEdDSA);
  absl::StatusOr<SealedKey> sealed = Set({MakeKek('a')}).Seal("kid-9", Algorithm::kEdDSA, *key);
  ASSERT_TRUE(sealed.ok());
  // A KEK file replaced by another key while rows still name the old id.
  Kek wrong = MakeKek('b');
  KekSet other = Set({wrong});
  SealedKey relabelled = *sealed;
  relabelled.kek_id = wrong.id;
  absl::StatusOr<crypto::EvpPkeyPtr> opened = other.Open("kid-9", Algorithm::kEdDSA, relabelled);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(opened.status().message(), "\"kid-9\"")) << opened.status();
  EXPECT_TRUE(absl::StrContains(opened.status().message(), wrong.id)) << opened.status();
}

TEST(KeyEnvelope, AKeySealedUnderAnUnconfiguredKekNamesTheKidAndTheKek) {
  crypto::EvpPkeyPtr key = ::tokend::testing::GenerateKey(Algorithm::kES256);
  absl::StatusOr<SealedKey> sealed = Set({MakeKek('a')}).Seal("kid-3", Algorithm::kES256, *key);
  ASSERT_TRUE(sealed.ok());
  absl::StatusOr<crypto::EvpPkeyPtr> opened =
      Set({MakeKek('b')}).Open("kid-3", Algorithm::kES256, *sealed);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(opened.status().message(), "\"kid-3\""));
  EXPECT_TRUE(absl::StrContains(opened.status().message(), MakeKek('a').id));
}

TEST(KeyEnvelope, EveryConfiguredKekOpensAndTheFirstSeals) {
  crypto::EvpPkeyPtr key = ::tokend::testing::GenerateKey(Algorithm::kES256);
  absl::StatusOr<SealedKey> old = Set({MakeKek('a')}).Seal("k", Algorithm::kES256, *key);
  ASSERT_TRUE(old.ok());
  KekSet both = Set({MakeKek('b'), MakeKek('a')});
  EXPECT_TRUE(both.Open("k", Algorithm::kES256, *old).ok());
  absl::StatusOr<SealedKey> resealed = both.Seal("k", Algorithm::kES256, *key);
  ASSERT_TRUE(resealed.ok());
  EXPECT_EQ(resealed->kek_id, MakeKek('b').id);
}

TEST(KeyEnvelope, RefusesTheSameKekTwice) {
  absl::StatusOr<KekSet> set = KekSet::New({MakeKek('a'), MakeKek('a')});
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(KekSet::New({}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(KekFile, ReadsRawAndBase64KeysToTheSameKek) {
  const std::string bytes(32, '\x5a');
  absl::StatusOr<Kek> raw = ReadKekFile(TempFile("raw.kek", bytes));
  ASSERT_TRUE(raw.ok()) << raw.status();
  absl::StatusOr<Kek> b64 = ReadKekFile(TempFile("b64.kek", absl::Base64Escape(bytes) + "\n"));
  ASSERT_TRUE(b64.ok()) << b64.status();
  EXPECT_EQ(raw->bytes, bytes);
  EXPECT_EQ(b64->bytes, bytes);
  EXPECT_EQ(raw->id, b64->id);
  EXPECT_TRUE(absl::StartsWith(raw->id, "kek-"));
  EXPECT_EQ(raw->id.size(), 12u);
}

TEST(KekFile, RefusesOtherLengthsAndTextWithoutShowingIt) {
  for (const std::string& contents :
       {std::string(31, 'x'), std::string(33, 'x'), absl::Base64Escape(std::string(16, 'a')),
        std::string("not base64 at all!!")}) {
    absl::StatusOr<Kek> kek = ReadKekFile(TempFile("bad.kek", contents));
    ASSERT_FALSE(kek.ok());
    EXPECT_EQ(kek.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(kek.status().message(), "32 random bytes"));
    EXPECT_FALSE(absl::StrContains(kek.status().message(), contents));
  }
  EXPECT_EQ(ReadKekFile(::testing::TempDir() + "/missing.kek").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(Aes256Gcm, OpensOnlyWithTheSameKeyAndAssociatedData) {
  const std::string key(32, 'k');
  absl::StatusOr<std::string> sealed = crypto::Aes256GcmSeal(key, "secret", "aad");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(*crypto::Aes256GcmOpen(key, *sealed, "aad"), "secret");
  EXPECT_EQ(crypto::Aes256GcmOpen(key, *sealed, "aaD").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(crypto::Aes256GcmOpen(std::string(32, 'K'), *sealed, "aad").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(crypto::Aes256GcmSeal("short", "x", "").status().code(),
            absl::StatusCode::kInvalidArgument);
  // Two seals of the same text differ (fresh nonce).
  EXPECT_NE(*crypto::Aes256GcmSeal(key, "secret", "aad"), *sealed);
}

}  // namespace
}  // namespace tokend::keys
