// Signatures made and checked through the per-thread cached contexts are the
// same as OpenSSL's own, whatever the mix of keys, algorithms and threads,
// and the DER written for ECDSA verification is byte for byte OpenSSL's.

#include "crypto/thread_contexts.h"

#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "crypto/ecdsa.h"
#include "crypto/openssl_ptr.h"
#include "crypto/signature_algorithm.h"
#include "gtest/gtest.h"
#include "unit/crypto/test_keys.h"

namespace tokend::crypto {
namespace {

constexpr Algorithm kAll[] = {Algorithm::kES256, Algorithm::kES384, Algorithm::kEdDSA,
                              Algorithm::kRS256, Algorithm::kPS256};

// What OpenSSL itself says, with a fresh context: the reference.
bool OpenSslVerifies(Algorithm alg, EVP_PKEY* key, const std::string& input,
                     const std::string& jws_signature) {
  std::string signature = jws_signature;
  if (alg == Algorithm::kES256 || alg == Algorithm::kES384) {
    const size_t half = jws_signature.size() / 2;
    const auto* raw = reinterpret_cast<const unsigned char*>(jws_signature.data());
    EcdsaSigPtr sig(ECDSA_SIG_new());
    ECDSA_SIG_set0(sig.get(), BN_bin2bn(raw, static_cast<int>(half), nullptr),
                   BN_bin2bn(raw + half, static_cast<int>(half), nullptr));
    unsigned char* der = nullptr;
    const int size = i2d_ECDSA_SIG(sig.get(), &der);
    signature.assign(reinterpret_cast<char*>(der), static_cast<size_t>(size));
    OPENSSL_free(der);
  }
  const char* digest = alg == Algorithm::kES384   ? "SHA384"
                       : alg == Algorithm::kEdDSA ? nullptr
                                                  : "SHA256";
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit_ex(ctx.get(), &pctx, digest, nullptr, nullptr, key, nullptr) != 1) {
    return false;
  }
  if (alg == Algorithm::kPS256) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32);
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                          input.size()) == 1;
}

TEST(ThreadContexts, SignaturesAreOpenSslsOwnForEveryAlgorithm) {
  for (Algorithm alg : kAll) {
    EvpPkeyPtr key = testing::GenerateKey(alg);
    const SignatureAlgorithm& algorithm = GetAlgorithm(alg);
    for (int i = 0; i < 5; ++i) {  // the first call makes the context, later ones reuse it
      const std::string input = "header.payload-" + std::to_string(i);
      absl::StatusOr<std::string> signature = algorithm.Sign(*key, input);
      ASSERT_TRUE(signature.ok()) << AlgorithmName(alg) << ": " << signature.status();
      EXPECT_TRUE(OpenSslVerifies(alg, key.get(), input, *signature)) << AlgorithmName(alg);
      EXPECT_TRUE(algorithm.Verify(*key, input, *signature)) << AlgorithmName(alg);
      EXPECT_FALSE(algorithm.Verify(*key, input + "x", *signature)) << AlgorithmName(alg);
    }
  }
}

TEST(ThreadContexts, AFailedVerificationDoesNotSpoilTheNextOne) {
  for (Algorithm alg : kAll) {
    EvpPkeyPtr key = testing::GenerateKey(alg);
    const SignatureAlgorithm& algorithm = GetAlgorithm(alg);
    absl::StatusOr<std::string> good = algorithm.Sign(*key, "input");
    ASSERT_TRUE(good.ok());
    std::string bad = *good;
    bad[bad.size() / 3] ^= 0x01;
    for (int i = 0; i < 3; ++i) {
      EXPECT_FALSE(algorithm.Verify(*key, "input", bad)) << AlgorithmName(alg);
      EXPECT_TRUE(algorithm.Verify(*key, "input", *good)) << AlgorithmName(alg);
    }
  }
}

TEST(ThreadContexts, EachKeyGetsItsOwnContextBeyondTheCacheSize) {
  // More keys than one thread caches: contexts are evicted and made again,
  // and no signature is ever made or checked with another key's context.
  const SignatureAlgorithm& es256 = GetAlgorithm(Algorithm::kES256);
  std::vector<EvpPkeyPtr> keys;
  for (int i = 0; i < internal::kMaxThreadContexts + 5; ++i) {
    keys.push_back(testing::GenerateKey(Algorithm::kES256));
  }
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < keys.size(); ++i) {
      absl::StatusOr<std::string> signature = es256.Sign(*keys[i], "input");
      ASSERT_TRUE(signature.ok());
      EXPECT_TRUE(es256.Verify(*keys[i], "input", *signature));
      EXPECT_FALSE(es256.Verify(*keys[(i + 1) % keys.size()], "input", *signature));
      EXPECT_TRUE(OpenSslVerifies(Algorithm::kES256, keys[i].get(), "input", *signature));
    }
  }
}

TEST(ThreadContexts, AKeyFreedAndAnotherMadeIsNeverConfusedWithIt) {
  const SignatureAlgorithm& es256 = GetAlgorithm(Algorithm::kES256);
  for (int i = 0; i < 50; ++i) {
    EvpPkeyPtr key = testing::GenerateKey(Algorithm::kES256);
    absl::StatusOr<std::string> signature = es256.Sign(*key, "input");
    ASSERT_TRUE(signature.ok());
    ASSERT_TRUE(es256.Verify(*key, "input", *signature));
    // `key` is freed here (the cache keeps its own reference), and the next
    // key may be allocated anywhere, even where it was.
  }
}

TEST(ThreadContexts, ManyThreadsSignAndVerifyWithSharedKeys) {
  std::vector<std::shared_ptr<EVP_PKEY>> keys;
  for (Algorithm alg : kAll) keys.push_back(testing::GenerateSharedKey(alg));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        const size_t k = static_cast<size_t>(t + i) % keys.size();
        const SignatureAlgorithm& algorithm = GetAlgorithm(kAll[k]);
        const std::string input = "thread " + std::to_string(t) + " call " + std::to_string(i);
        absl::StatusOr<std::string> signature = algorithm.Sign(*keys[k], input);
        if (!signature.ok() || !algorithm.Verify(*keys[k], input, *signature) ||
            algorithm.Verify(*keys[k], input + ".", *signature)) {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

// i2d_ECDSA_SIG of (r, s), the reference for EcdsaRawToDer.
std::string OpenSslDer(const std::string& raw) {
  const size_t half = raw.size() / 2;
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  EcdsaSigPtr sig(ECDSA_SIG_new());
  ECDSA_SIG_set0(sig.get(), BN_bin2bn(bytes, static_cast<int>(half), nullptr),
                 BN_bin2bn(bytes + half, static_cast<int>(half), nullptr));
  unsigned char* der = nullptr;
  const int size = i2d_ECDSA_SIG(sig.get(), &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(size));
  OPENSSL_free(der);
  return out;
}

TEST(EcdsaRawToDer, WritesExactlyWhatOpenSslWrites) {
  for (size_t coordinate : {size_t{32}, size_t{48}}) {
    std::vector<std::string> cases;
    cases.push_back(std::string(2 * coordinate, '\0'));    // r = s = 0
    cases.push_back(std::string(2 * coordinate, '\xff'));  // high bits set
    std::string leading_zeros(2 * coordinate, '\x01');
    for (size_t i = 0; i < 5; ++i) leading_zeros[i] = leading_zeros[coordinate + i] = '\0';
    leading_zeros[5] = '\x80';  // then a high bit
    cases.push_back(leading_zeros);
    for (int i = 0; i < 200; ++i) {
      std::string random(2 * coordinate, '\0');
      RAND_bytes(reinterpret_cast<unsigned char*>(random.data()), static_cast<int>(random.size()));
      if (i % 4 == 0) random[0] = '\0';
      if (i % 5 == 0) random[coordinate] = '\0';
      cases.push_back(random);
    }
    for (const std::string& raw : cases) {
      std::string der;
      ASSERT_TRUE(internal::EcdsaRawToDer(raw, coordinate, &der));
      EXPECT_EQ(der, OpenSslDer(raw));
    }
  }
}

TEST(EcdsaRawToDer, RefusesAnyOtherLength) {
  std::string der;
  EXPECT_FALSE(internal::EcdsaRawToDer(std::string(63, '\x01'), 32, &der));
  EXPECT_FALSE(internal::EcdsaRawToDer(std::string(65, '\x01'), 32, &der));
  EXPECT_FALSE(internal::EcdsaRawToDer("", 32, &der));
  EXPECT_FALSE(internal::EcdsaRawToDer(std::string(64, '\x01'), 48, &der));
}

}  // namespace
}  // namespace tokend::crypto
