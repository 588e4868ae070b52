// Every vector of Wycheproof's signature files for the algorithms tokend
// implements, run through SignatureAlgorithm::Verify. "valid" must verify,
// "invalid" must not, "acceptable" may go either way (and must not crash).
// A missing file fails the test.

#include <iostream>
#include <string>

#include "crypto/pem.h"
#include "crypto/signature_algorithm.h"
#include "gtest/gtest.h"
#include "unit/crypto/test_keys.h"

namespace tokend::crypto {
namespace {

using ::tokend::testing::HexDecode;
using ::tokend::testing::LoadWycheproof;

struct Counts {
  int total = 0, valid = 0, invalid = 0, acceptable = 0;
};

Counts RunFile(const std::string& file, Algorithm alg) {
  Counts counts;
  const nlohmann::json json = LoadWycheproof(file);
  if (json.is_null()) return counts;
  const SignatureAlgorithm& algorithm = GetAlgorithm(alg);
  for (const auto& group : json["testGroups"]) {
    absl::StatusOr<EvpPkeyPtr> key = ParsePublicKeyPem(group["publicKeyPem"].get<std::string>());
    EXPECT_TRUE(key.ok()) << file << ": " << key.status();
    if (!key.ok()) continue;
    for (const auto& test : group["tests"]) {
      const int id = test["tcId"].get<int>();
      const std::string result = test["result"].get<std::string>();
      const bool verified = algorithm.Verify(**key, HexDecode(test["msg"].get<std::string>()),
                                             HexDecode(test["sig"].get<std::string>()));
      ++counts.total;
      if (result == "valid") {
        ++counts.valid;
        EXPECT_TRUE(verified) << file << " tcId " << id << ": " << test["comment"];
      } else if (result == "invalid") {
        ++counts.invalid;
        EXPECT_FALSE(verified) << file << " tcId " << id << ": " << test["comment"];
      } else {
        ++counts.acceptable;
      }
    }
  }
  EXPECT_EQ(counts.total, json["numberOfTests"].get<int>()) << file;
  std::cout << "Wycheproof " << file << ": " << counts.total << " vectors run (" << counts.valid
            << " valid, " << counts.invalid << " invalid, " << counts.acceptable
            << " acceptable)\n";
  ::testing::Test::RecordProperty("vectors", counts.total);
  return counts;
}

TEST(Wycheproof, Es256VectorsOfEcdsaP256Sha256P1363) {
  Counts counts = RunFile("ecdsa_secp256r1_sha256_p1363_test.json", Algorithm::kES256);
  EXPECT_GT(counts.total, 0);
}

TEST(Wycheproof, Es384VectorsOfEcdsaP384Sha384P1363) {
  Counts counts = RunFile("ecdsa_secp384r1_sha384_p1363_test.json", Algorithm::kES384);
  EXPECT_GT(counts.total, 0);
}

TEST(Wycheproof, EdDsaVectorsOfEd25519) {
  Counts counts = RunFile("ed25519_test.json", Algorithm::kEdDSA);
  EXPECT_GT(counts.total, 0);
}

TEST(Wycheproof, Rs256VectorsOfRsaPkcs1_2048Sha256) {
  Counts counts = RunFile("rsa_signature_2048_sha256_test.json", Algorithm::kRS256);
  EXPECT_GT(counts.total, 0);
}

TEST(Wycheproof, Ps256VectorsOfRsaPss2048Sha256Mgf1Salt32) {
  Counts counts = RunFile("rsa_pss_2048_sha256_mgf1_32_test.json", Algorithm::kPS256);
  EXPECT_GT(counts.total, 0);
}

}  // namespace
}  // namespace tokend::crypto
