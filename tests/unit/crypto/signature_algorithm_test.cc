#include "crypto/signature_algorithm.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "crypto/pem.h"
#include "gtest/gtest.h"
#include "unit/crypto/test_keys.h"

namespace tokend::crypto {
namespace {

using ::tokend::testing::GenerateKey;
using ::tokend::testing::kAllAlgorithms;
using ::tokend::testing::PublicOnly;

TEST(AlgorithmName, RoundTripsThroughAlgorithmFromName) {
  for (Algorithm alg : kAllAlgorithms) {
    std::optional<Algorithm> parsed = AlgorithmFromName(AlgorithmName(alg));
    ASSERT_TRUE(parsed.has_value()) << AlgorithmName(alg);
    EXPECT_EQ(*parsed, alg);
    EXPECT_EQ(GetAlgorithm(alg).id(), alg);
  }
  EXPECT_EQ(AlgorithmName(Algorithm::kES256), "ES256");
  EXPECT_EQ(AlgorithmName(Algorithm::kES384), "ES384");
  EXPECT_EQ(AlgorithmName(Algorithm::kEdDSA), "EdDSA");
  EXPECT_EQ(AlgorithmName(Algorithm::kRS256), "RS256");
  EXPECT_EQ(AlgorithmName(Algorithm::kPS256), "PS256");
}

TEST(AlgorithmFromName, RefusesNoneHmacOtherCaseAndUnknownNames) {
  for (const char* name :
       {"none", "None", "", "HS256", "HS384", "HS512", "es256", "Es256", "ES256 ", " ES256",
        "EDDSA", "eddsa", "RS384", "RS512", "PS384", "ES512", "ES256K", "Ed25519"}) {
    EXPECT_FALSE(AlgorithmFromName(name).has_value()) << name;
  }
}

class EveryAlgorithm : public ::testing::TestWithParam<Algorithm> {};

std::string AlgorithmTestName(const ::testing::TestParamInfo<Algorithm>& info) {
  return std::string(AlgorithmName(info.param));
}

INSTANTIATE_TEST_SUITE_P(SignatureAlgorithm, EveryAlgorithm, ::testing::ValuesIn(kAllAlgorithms),
                         AlgorithmTestName);

TEST_P(EveryAlgorithm, SignsAndVerifiesWithAFreshKey) {
  const SignatureAlgorithm& alg = GetAlgorithm(GetParam());
  EvpPkeyPtr key = GenerateKey(GetParam());
  ASSERT_TRUE(alg.CheckKey(*key).ok());
  absl::StatusOr<std::string> signature = alg.Sign(*key, "header.payload");
  ASSERT_TRUE(signature.ok()) << signature.status();
  EXPECT_TRUE(alg.Verify(*key, "header.payload", *signature));
  // The public half alone verifies too.
  EXPECT_TRUE(alg.Verify(*PublicOnly(*key), "header.payload", *signature));
}

TEST_P(EveryAlgorithm, RejectsAnAlteredMessage) {
  const SignatureAlgorithm& alg = GetAlgorithm(GetParam());
  EvpPkeyPtr key = GenerateKey(GetParam());
  absl::StatusOr<std::string> signature = alg.Sign(*key, "header.payload");
  ASSERT_TRUE(signature.ok());
  EXPECT_FALSE(alg.Verify(*key, "header.payloaD", *signature));
  EXPECT_FALSE(alg.Verify(*key, "header.payload ", *signature));
  EXPECT_FALSE(alg.Verify(*key, "", *signature));
}

TEST_P(EveryAlgorithm, RejectsEveryOneBitChangeOfTheSignature) {
  const SignatureAlgorithm& alg = GetAlgorithm(GetParam());
  EvpPkeyPtr key = GenerateKey(GetParam());
  absl::StatusOr<std::string> signature = alg.Sign(*key, "header.payload");
  ASSERT_TRUE(signature.ok());
  for (size_t i = 0; i < signature->size(); i += 7) {
    std::string altered = *signature;
    altered[i] = static_cast<char>(altered[i] ^ 0x01);
    EXPECT_FALSE(alg.Verify(*key, "header.payload", altered)) << "byte " << i;
  }
}

TEST_P(EveryAlgorithm, RejectsASignatureByAnotherKey) {
  const SignatureAlgorithm& alg = GetAlgorithm(GetParam());
  EvpPkeyPtr key = GenerateKey(GetParam());
  EvpPkeyPtr other = GenerateKey(GetParam());
  absl::StatusOr<std::string> signature = alg.Sign(*other, "header.payload");
  ASSERT_TRUE(signature.ok());
  EXPECT_FALSE(alg.Verify(*key, "header.payload", *signature));
}

TEST_P(EveryAlgorithm, RejectsEmptyTruncatedAndExtendedSignatures) {
  const SignatureAlgorithm& alg = GetAlgorithm(GetParam());
  EvpPkeyPtr key = GenerateKey(GetParam());
  absl::StatusOr<std::string> signature = alg.Sign(*key, "m");
  ASSERT_TRUE(signature.ok());
  EXPECT_FALSE(alg.Verify(*key, "m", ""));
  EXPECT_FALSE(alg.Verify(*key, "m", signature->substr(1)));
  EXPECT_FALSE(alg.Verify(*key, "m", signature->substr(0, signature->size() - 1)));
  EXPECT_FALSE(alg.Verify(*key, "m", *signature + std::string(1, '\0')));
  EXPECT_FALSE(alg.Verify(*key, "m", std::string(1, '\0') + *signature));
}

TEST_P(EveryAlgorithm, RefusesToSignWithAPublicOnlyKey) {
  const SignatureAlgorithm& alg = GetAlgorithm(GetParam());
  EvpPkeyPtr key = PublicOnly(*GenerateKey(GetParam()));
  absl::StatusOr<std::string> signature = alg.Sign(*key, "m");
  ASSERT_FALSE(signature.ok());
  EXPECT_EQ(signature.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(signature.status().message().find("EVP_"), std::string::npos)
      << signature.status();  // names the OpenSSL call
}

TEST_P(EveryAlgorithm, CheckKeyRefusesKeysOfOtherTypes) {
  const SignatureAlgorithm& alg = GetAlgorithm(GetParam());
  for (Algorithm other : kAllAlgorithms) {
    EvpPkeyPtr key = GenerateKey(other);
    const bool same_type = other == GetParam() ||
                           (GetParam() == Algorithm::kRS256 && other == Algorithm::kPS256) ||
                           (GetParam() == Algorithm::kPS256 && other == Algorithm::kRS256);
    absl::Status status = alg.CheckKey(*key);
    EXPECT_EQ(status.ok(), same_type) << AlgorithmName(other) << ": " << status;
    if (!same_type) {
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    }
  }
}

TEST_P(EveryAlgorithm, PublicMembersDescribeThePublicKey) {
  // Read back as a JWK by the tests' own reader, independent of
  // PublicKeyFromMembers (which the next test checks).
  const SignatureAlgorithm& alg = GetAlgorithm(GetParam());
  EvpPkeyPtr key = GenerateKey(GetParam());
  absl::StatusOr<PublicJwkMembers> members = alg.PublicMembers(*key);
  ASSERT_TRUE(members.ok()) << members.status();
  for (size_t i = 1; i < members->members.size(); ++i) {
    EXPECT_LT(members->members[i - 1].first, members->members[i].first);  // sorted
  }
  nlohmann::json jwk = nlohmann::json::object();
  for (const auto& [name, value] : members->members) jwk[name] = value;
  EvpPkeyPtr rebuilt = ::tokend::testing::PublicKeyFromJwk(jwk);
  ASSERT_NE(rebuilt, nullptr) << jwk.dump();
  EXPECT_EQ(EVP_PKEY_eq(rebuilt.get(), key.get()), 1);
  EXPECT_FALSE(HasPrivateKey(*rebuilt));
  absl::StatusOr<std::string> signature = alg.Sign(*key, "m");
  ASSERT_TRUE(signature.ok());
  EXPECT_TRUE(alg.Verify(*rebuilt, "m", *signature));
}

TEST_P(EveryAlgorithm, PublicKeyFromMembersRebuildsThePublicKeyAndItsSignaturesVerify) {
  const SignatureAlgorithm& alg = GetAlgorithm(GetParam());
  EvpPkeyPtr key = GenerateKey(GetParam());
  absl::StatusOr<PublicJwkMembers> members = alg.PublicMembers(*key);
  ASSERT_TRUE(members.ok()) << members.status();
  // Order does not matter, and members it does not use are not looked at.
  std::reverse(members->members.begin(), members->members.end());
  members->members.emplace_back("kid", "ignored");
  absl::StatusOr<EvpPkeyPtr> rebuilt = alg.PublicKeyFromMembers(*members);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(EVP_PKEY_eq(rebuilt->get(), key.get()), 1);
  EXPECT_FALSE(HasPrivateKey(**rebuilt));
  EXPECT_TRUE(alg.CheckKey(**rebuilt).ok());
  absl::StatusOr<std::string> signature = alg.Sign(*key, "m");
  ASSERT_TRUE(signature.ok());
  EXPECT_TRUE(alg.Verify(**rebuilt, "m", *signature));
}

TEST_P(EveryAlgorithm, PublicKeyFromMembersRefusesAnotherAlgorithmsKeyAndRepeatedMembers) {
  const SignatureAlgorithm& alg = GetAlgorithm(GetParam());
  for (Algorithm other : kAllAlgorithms) {
    const SignatureAlgorithm& other_alg = GetAlgorithm(other);
    absl::StatusOr<PublicJwkMembers> members = other_alg.PublicMembers(*GenerateKey(other));
    ASSERT_TRUE(members.ok());
    absl::StatusOr<EvpPkeyPtr> rebuilt = alg.PublicKeyFromMembers(*members);
    // RS256 and PS256 share their keys; every other pair differs.
    const bool same_kind = other == GetParam() ||
                           (other == Algorithm::kRS256 && GetParam() == Algorithm::kPS256) ||
                           (other == Algorithm::kPS256 && GetParam() == Algorithm::kRS256);
    EXPECT_EQ(rebuilt.ok(), same_kind) << AlgorithmName(other) << ": " << rebuilt.status();
    if (!rebuilt.ok()) {
      EXPECT_EQ(rebuilt.status().code(), absl::StatusCode::kInvalidArgument);
    }
    if (same_kind) {
      members->members.push_back(members->members.back());
      rebuilt = alg.PublicKeyFromMembers(*members);
      EXPECT_FALSE(rebuilt.ok());
      EXPECT_NE(rebuilt.status().message().find("repeated"), std::string::npos) << rebuilt.status();
    }
  }
  EXPECT_FALSE(alg.PublicKeyFromMembers(PublicJwkMembers{}).ok());
}

TEST_P(EveryAlgorithm, SignsAndVerifiesConcurrentlyWithOneSharedKey) {
  const SignatureAlgorithm& alg = GetAlgorithm(GetParam());
  const EvpPkeyPtr key = GenerateKey(GetParam());
  const EVP_PKEY& shared = *key;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const std::string message = "thread " + std::to_string(t) + " message " + std::to_string(i);
        absl::StatusOr<std::string> signature = alg.Sign(shared, message);
        if (!signature.ok() || !alg.Verify(shared, message, *signature) ||
            alg.Verify(shared, message + "!", *signature)) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace tokend::crypto
