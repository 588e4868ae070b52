// Introspect through TokenService with its verified-token cache: whatever the
// cache holds, revocations (of the token, its family or its subject) and
// expiry take effect at once, and only the exact bytes of a verified token
// are served from it.

#include <openssl/bn.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "crypto/base64url.h"
#include "crypto/openssl_ptr.h"
#include "gtest/gtest.h"
#include "service/token_service.h"
#include "tests/support/fake_stores.h"
#include "tests/support/service_calls.h"
#include "unit/crypto/test_keys.h"

namespace tokend::service {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);
constexpr char kIssuer[] = "https://tokend.test";
constexpr char kLogin[] = "spiffe://test/login";

class IntrospectCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ring = keys::KeyRing::New({k1_});
    ASSERT_TRUE(ring.ok()) << ring.status();
    CallerPolicy login{.id = kLogin,
                       .rpcs = {Rpc::kIssue, Rpc::kRefresh, Rpc::kIntrospect, Rpc::kRevoke},
                       .issue_for_others = true,
                       .audiences = {"api://orders"},
                       .scopes = {"orders:read"},
                       .max_ttl = absl::Hours(1)};
    auto policy = Policy::New({login});
    ASSERT_TRUE(policy.ok()) << policy.status();
    auto service = TokenService::New(ServiceOptions{.issuer = kIssuer,
                                                    .access_ttl = absl::Minutes(15),
                                                    .refresh_idle_ttl = absl::Hours(720),
                                                    .refresh_absolute_ttl = absl::Hours(2160),
                                                    .leeway = absl::Seconds(5),
                                                    .refresh_retry_window = absl::ZeroDuration(),
                                                    .refresh_successor_key = std::string(32, 'k')},
                                     *policy, *ring, &refresh_tokens_, &revocations_,
                                     &revocation_set_, &clock_);
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
  }

  IssuedTokens Issue(const std::string& subject, bool refresh = false) {
    absl::StatusOr<IssuedTokens> issued =
        testing::IssueAs(*service_, kLogin,
                         IssueParams{.subject = subject,
                                     .audience = {"api://orders"},
                                     .scopes = {"orders:read"},
                                     .include_refresh_token = refresh});
    EXPECT_TRUE(issued.ok()) << issued.status();
    return issued.ok() ? *issued : IssuedTokens{};
  }

  bool Active(const std::string& token) {
    absl::StatusOr<Introspection> seen =
        testing::IntrospectAs(*service_, kLogin, token, TokenType::kUnspecified);
    EXPECT_TRUE(seen.ok()) << seen.status();
    return seen.ok() && seen->active;
  }

  void Revoke(RevokeParams params) {
    absl::Status revoked = testing::RevokeAs(*service_, kLogin, params);
    EXPECT_TRUE(revoked.ok()) << revoked;
  }

  common::FakeClock clock_{kT0};
  testing::FakeRevocationStore revocations_;
  testing::FakeRefreshTokenStore refresh_tokens_{revocations_};
  RevocationSet revocation_set_;
  std::unique_ptr<TokenService> service_;
  const keys::Key k1_ = NewKey("k1");
  const keys::Key k2_ = NewKey("k2");

  static keys::Key NewKey(const std::string& kid) {
    return keys::Key{.kid = kid,
                     .alg = crypto::Algorithm::kES256,
                     .pkey = testing::GenerateSharedKey(crypto::Algorithm::kES256)};
  }
  void SetRing(std::vector<keys::Key> ring_keys) {
    auto ring = keys::KeyRing::New(std::move(ring_keys));
    ASSERT_TRUE(ring.ok()) << ring.status();
    ASSERT_TRUE(service_->SetKeyRing(*ring).ok());
  }
  static std::string KidOf(const std::string& token) {
    std::string header;
    EXPECT_TRUE(crypto::Base64UrlDecode(token.substr(0, token.find('.')), &header));
    const size_t at = header.find("\"kid\":\"");
    if (at == std::string::npos) return "";
    const size_t from = at + 7;
    return header.substr(from, header.find('"', from) - from);
  }
};

// The same ECDSA signature with s replaced by n - s: as valid as the original.
std::string HighSTwin(const std::string& token) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  std::string raw;
  EXPECT_TRUE(crypto::Base64UrlDecode(parts.at(2), &raw));
  EXPECT_EQ(raw.size(), 64u);
  BIGNUM* order = nullptr;
  // The order of P-256 (SEC 2, section 2.4.2).
  BN_hex2bn(&order, "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
  crypto::BignumPtr n(order);
  crypto::BignumPtr s(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr));
  crypto::BignumPtr twin(BN_new());
  EXPECT_EQ(BN_sub(twin.get(), n.get(), s.get()), 1);
  std::string twin_bytes(32, '\0');
  EXPECT_EQ(BN_bn2binpad(twin.get(), reinterpret_cast<unsigned char*>(twin_bytes.data()), 32), 32);
  return parts[0] + "." + parts[1] + "." + crypto::Base64UrlEncode(raw.substr(0, 32) + twin_bytes);
}

TEST_F(IntrospectCacheTest, AGoodTokenStaysActiveWhenIntrospectedAgain) {
  const std::string token = Issue("alice").access_token;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Active(token)) << i;
}

TEST_F(IntrospectCacheTest, RevokingACachedTokenMakesItInactiveAtOnce) {
  const std::string token = Issue("alice").access_token;
  ASSERT_TRUE(Active(token));
  ASSERT_TRUE(Active(token));  // now served from the cache
  Revoke(RevokeParams{.token = token});
  EXPECT_FALSE(Active(token));
}

TEST_F(IntrospectCacheTest, ARevocationFromAnotherReplicaAppliesToCachedTokens) {
  const std::string token = Issue("alice").access_token;
  ASSERT_TRUE(Active(token));
  // What the revocation feed delivers: only the in-memory set changes.
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  std::string payload;
  ASSERT_TRUE(crypto::Base64UrlDecode(parts.at(1), &payload));
  const size_t at = payload.find("\"jti\":\"") + 7;
  const std::string jti = payload.substr(at, payload.find('"', at) - at);
  revocation_set_.Add(store::Revocation{.kind = store::Revocation::Kind::kToken,
                                        .key = jti,
                                        .revoked_at = kT0,
                                        .expires_at = kT0 + absl::Hours(1)});
  EXPECT_FALSE(Active(token));
}

TEST_F(IntrospectCacheTest, RevokingTheSubjectAppliesToCachedTokens) {
  const std::string alice = Issue("alice").access_token;
  const std::string bob = Issue("bob").access_token;
  ASSERT_TRUE(Active(alice));
  ASSERT_TRUE(Active(bob));
  Revoke(RevokeParams{.subject = "alice"});
  EXPECT_FALSE(Active(alice));
  EXPECT_TRUE(Active(bob));
}

TEST_F(IntrospectCacheTest, RevokingTheRefreshFamilyAppliesToCachedAccessTokens) {
  IssuedTokens issued = Issue("alice", /*refresh=*/true);
  ASSERT_TRUE(Active(issued.access_token));
  Revoke(RevokeParams{.token = issued.refresh_token});
  EXPECT_FALSE(Active(issued.access_token));
}

TEST_F(IntrospectCacheTest, ACachedTokenExpiresOnTime) {
  const std::string token = Issue("alice").access_token;  // exp = kT0 + 15m, leeway 5s
  ASSERT_TRUE(Active(token));
  clock_.Set(kT0 + absl::Minutes(15) + absl::Seconds(4));
  EXPECT_TRUE(Active(token));
  clock_.Set(kT0 + absl::Minutes(15) + absl::Seconds(5));
  EXPECT_FALSE(Active(token));
  clock_.Set(kT0 + absl::Hours(2));
  EXPECT_FALSE(Active(token));
}

TEST_F(IntrospectCacheTest, AnAlteredCopyOfACachedTokenIsInactive) {
  const std::string token = Issue("alice").access_token;
  ASSERT_TRUE(Active(token));
  std::string altered = token;
  altered.back() = altered.back() == 'A' ? 'B' : 'A';  // another signature
  EXPECT_FALSE(Active(altered));
  std::string padded = token + "=";
  EXPECT_FALSE(Active(padded));
  std::string truncated = token.substr(0, token.size() - 1);
  EXPECT_FALSE(Active(truncated));
  EXPECT_TRUE(Active(token));
}

TEST_F(IntrospectCacheTest, TheHighSTwinIsVerifiedOnItsOwnAndRevokedWithTheOriginal) {
  const std::string token = Issue("alice").access_token;
  const std::string twin = HighSTwin(token);
  ASSERT_NE(twin, token);
  ASSERT_TRUE(Active(token));
  EXPECT_TRUE(Active(twin));  // a different valid signature over the same claims
  Revoke(RevokeParams{.token = token});
  EXPECT_FALSE(Active(token));
  EXPECT_FALSE(Active(twin));  // revocation is keyed by jti, not by bytes
}

TEST_F(IntrospectCacheTest, ManyTokensAreEachAnsweredForThemselves) {
  std::vector<std::string> tokens;
  for (int i = 0; i < 50; ++i) tokens.push_back(Issue("user" + std::to_string(i)).access_token);
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 50; ++i) {
      absl::StatusOr<Introspection> seen =
          testing::IntrospectAs(*service_, kLogin, tokens[i], TokenType::kUnspecified);
      ASSERT_TRUE(seen.ok()) << seen.status();
      EXPECT_TRUE(seen->active);
      EXPECT_EQ(seen->subject, "user" + std::to_string(i));
    }
  }
}

// The cache holds "this token verified under a key of the ring"; once the
// key has left the ring (a revoked managed key, a key file rotated out) the
// token must not be answered from it.
TEST_F(IntrospectCacheTest, ACachedTokenIsInactiveOnceItsKeyLeftTheRing) {
  const IssuedTokens issued = Issue("alice");
  ASSERT_TRUE(Active(issued.access_token));
  ASSERT_TRUE(Active(issued.access_token));  // from the cache
  SetRing({k2_});
  EXPECT_FALSE(Active(issued.access_token));
  EXPECT_EQ(KidOf(Issue("bob").access_token), "k2");
  EXPECT_FALSE(absl::StrContains(service_->Jwks(), "\"k1\""));
}

TEST_F(IntrospectCacheTest, AKeyReplacedUnderItsKidMakesItsTokensInactive) {
  const IssuedTokens issued = Issue("alice");
  ASSERT_TRUE(Active(issued.access_token));
  SetRing({NewKey("k1")});  // other key material, same kid
  EXPECT_FALSE(Active(issued.access_token));
}

TEST_F(IntrospectCacheTest, AKeyAddedOrANewPrimaryKeepsEveryTokenActive) {
  const IssuedTokens before = Issue("alice");
  ASSERT_TRUE(Active(before.access_token));
  SetRing({k1_, k2_});  // the next key, published
  EXPECT_TRUE(Active(before.access_token));
  EXPECT_EQ(KidOf(Issue("bob").access_token), "k1");
  SetRing({k2_, k1_});  // it signs; the old one verifies
  const IssuedTokens after = Issue("carol");
  EXPECT_EQ(KidOf(after.access_token), "k2");
  EXPECT_TRUE(Active(before.access_token));
  EXPECT_TRUE(Active(after.access_token));
  EXPECT_TRUE(absl::StrContains(service_->Jwks(), "\"k1\""));
  EXPECT_TRUE(absl::StrContains(service_->Jwks(), "\"k2\""));
}

// Rings swapped while Issue and Introspect run on other threads: every
// call signs and verifies under one whole ring (TSan covers the swap).
TEST_F(IntrospectCacheTest, ConcurrentRingSwapsNeverFailACall) {
  const IssuedTokens before = Issue("alice");
  std::atomic<bool> stop{false};
  std::thread swapper([&] {
    for (int i = 0; i < 200; ++i)
      SetRing(i % 2 == 0 ? std::vector<keys::Key>{k2_, k1_} : std::vector<keys::Key>{k1_, k2_});
    stop = true;
  });
  std::vector<std::thread> callers;
  for (int t = 0; t < 2; ++t) {
    callers.emplace_back([&] {
      while (!stop.load()) {
        EXPECT_TRUE(Active(before.access_token));
        const IssuedTokens fresh = Issue("bob");
        const std::string kid = KidOf(fresh.access_token);
        EXPECT_TRUE(kid == "k1" || kid == "k2") << kid;
        EXPECT_TRUE(Active(fresh.access_token));
      }
    });
  }
  swapper.join();
  for (std::thread& t : callers) t.join();
}

}  // namespace
}  // namespace tokend::service
