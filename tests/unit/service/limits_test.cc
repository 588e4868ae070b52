// What bounds one caller's use of the service: the per-caller rate limit of
// subject revocations (RESOURCE_EXHAUSTED at once, nothing written), and the
// caller option that keeps Introspect to the caller's own audiences.

#include <memory>
#include <string>

#include "common/clock.h"
#include "gtest/gtest.h"
#include "service/rate_limit.h"
#include "service/token_service.h"
#include "tests/support/fake_stores.h"
#include "tests/support/service_calls.h"
#include "unit/crypto/test_keys.h"

namespace tokend::service {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);
constexpr char kLogin[] = "spiffe://test/login";    // every RPC, issues for others
constexpr char kOrders[] = "spiffe://test/orders";  // default rights
constexpr char kScoped[] = "spiffe://test/scoped";  // introspect_own_audiences_only

TEST(PerCallerRateLimit, AllowsABurstOfAMinutesWorthThenRefillsAtThatRate) {
  PerCallerRateLimit limit(3);
  EXPECT_TRUE(limit.TryTake("a", kT0));
  EXPECT_TRUE(limit.TryTake("a", kT0));
  EXPECT_TRUE(limit.TryTake("a", kT0));
  EXPECT_FALSE(limit.TryTake("a", kT0));
  EXPECT_TRUE(limit.TryTake("b", kT0));  // each caller has its own
  // One comes back every 20 s.
  EXPECT_FALSE(limit.TryTake("a", kT0 + absl::Seconds(19)));
  EXPECT_TRUE(limit.TryTake("a", kT0 + absl::Seconds(20)));
  EXPECT_FALSE(limit.TryTake("a", kT0 + absl::Seconds(21)));
  // Never more than the burst, however long the caller waited.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limit.TryTake("a", kT0 + absl::Hours(5)));
  EXPECT_FALSE(limit.TryTake("a", kT0 + absl::Hours(5)));
  // A clock stepping back gives nothing back.
  EXPECT_FALSE(limit.TryTake("a", kT0));
}

TEST(PerCallerRateLimit, ZeroMeansNoLimit) {
  PerCallerRateLimit limit(0);
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(limit.TryTake("a", kT0));
}

class LimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ring = keys::KeyRing::New(
        {keys::Key{.kid = "k1",
                   .alg = crypto::Algorithm::kES256,
                   .pkey = testing::GenerateSharedKey(crypto::Algorithm::kES256)}});
    ASSERT_TRUE(ring.ok()) << ring.status();
    CallerPolicy login{
        .id = kLogin,
        .rpcs = {Rpc::kIssue, Rpc::kRefresh, Rpc::kIntrospect, Rpc::kRevoke, Rpc::kGetJwks},
        .issue_for_others = true,
        .audiences = {"api://orders", "api://billing"},
        .max_ttl = absl::Hours(1)};
    CallerPolicy orders{.id = kOrders,
                        .rpcs = {Rpc::kIntrospect, Rpc::kRevoke, Rpc::kGetJwks},
                        .max_ttl = absl::Minutes(5)};
    CallerPolicy scoped{.id = kScoped,
                        .rpcs = {Rpc::kIntrospect},
                        .audiences = {"api://orders"},
                        .max_ttl = absl::Minutes(5),
                        .introspect_own_audiences_only = true};
    auto policy = Policy::New({login, orders, scoped});
    ASSERT_TRUE(policy.ok()) << policy.status();
    auto service = TokenService::New(ServiceOptions{.issuer = "https://tokend.test",
                                                    .access_ttl = absl::Minutes(15),
                                                    .refresh_idle_ttl = absl::Hours(720),
                                                    .refresh_absolute_ttl = absl::Hours(2160),
                                                    .leeway = absl::Seconds(5),
                                                    .refresh_retry_window = absl::Seconds(60),
                                                    .refresh_successor_key = std::string(32, 'k'),
                                                    .subject_revocations_per_minute = 3},
                                     *policy, *ring, &refresh_tokens_, &revocations_,
                                     &revocation_set_, &clock_);
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
  }

  absl::Status RevokeSubject(const char* caller, const std::string& subject) {
    return testing::RevokeAs(*service_, caller, RevokeParams{.subject = subject});
  }

  IssuedTokens MustIssue(std::vector<std::string> audience, bool refresh) {
    absl::StatusOr<IssuedTokens> issued = testing::IssueAs(
        *service_, kLogin,
        IssueParams{.subject = "alice", .audience = audience, .include_refresh_token = refresh});
    EXPECT_TRUE(issued.ok()) << issued.status();
    return issued.ok() ? *issued : IssuedTokens{};
  }

  bool ActiveFor(const char* caller, const std::string& token) {
    absl::StatusOr<Introspection> seen = testing::IntrospectAs(*service_, caller, token);
    EXPECT_TRUE(seen.ok()) << seen.status();
    if (seen.ok() && !seen->active) EXPECT_TRUE(seen->subject.empty());  // nothing else set
    return seen.ok() && seen->active;
  }

  common::FakeClock clock_{kT0};
  testing::FakeRevocationStore revocations_;
  testing::FakeRefreshTokenStore refresh_tokens_{revocations_};
  RevocationSet revocation_set_;
  std::unique_ptr<TokenService> service_;
};

TEST_F(LimitsTest, SubjectRevocationsBeyondTheCallersRateAreResourceExhaustedAndWriteNothing) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(RevokeSubject(kOrders, kOrders).ok());
    clock_.Advance(absl::Seconds(1));
  }
  const absl::Time recorded =
      revocations_.Get(store::Revocation::Kind::kSubject, kOrders)->revoked_at;
  absl::Status refused = RevokeSubject(kOrders, kOrders);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  EXPECT_EQ(revocations_.Get(store::Revocation::Kind::kSubject, kOrders)->revoked_at, recorded);
  // Another caller has a budget of its own.
  EXPECT_TRUE(RevokeSubject(kLogin, "bob").ok());
  // And the refused caller gets one back after 20 s (3 a minute).
  clock_.Advance(absl::Seconds(18));
  EXPECT_TRUE(RevokeSubject(kOrders, kOrders).ok());
  EXPECT_EQ(RevokeSubject(kOrders, kOrders).code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(LimitsTest, AdmitRevokeRefusesOverTheLimitBeforeAnythingRuns) {
  absl::StatusOr<AuthorizedCall> call = testing::AuthorizeAs(*service_, kOrders, Rpc::kRevoke);
  ASSERT_TRUE(call.ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(service_->AdmitRevoke(*call, RevokeParams{.subject = kOrders}).ok());
  }
  absl::StatusOr<AdmittedRevoke> fourth =
      service_->AdmitRevoke(*call, RevokeParams{.subject = kOrders});
  EXPECT_EQ(fourth.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(revocations_.size(), 0u);  // admitting writes nothing
  // Malformed and forbidden requests are refused as before and take nothing.
  EXPECT_EQ(service_->AdmitRevoke(*call, RevokeParams{}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(service_->AdmitRevoke(*call, RevokeParams{.subject = "bob"}).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(LimitsTest, TokenRevocationsAreNotCountedAgainstTheSubjectLimit) {
  for (int i = 0; i < 10; ++i) {
    IssuedTokens issued = MustIssue({"api://orders"}, false);
    EXPECT_TRUE(
        testing::RevokeAs(*service_, kOrders, RevokeParams{.token = issued.access_token}).ok());
  }
  EXPECT_TRUE(RevokeSubject(kOrders, kOrders).ok());
}

TEST_F(LimitsTest, IntrospectOwnAudiencesOnlyHidesTokensOfOtherAudiences) {
  IssuedTokens orders = MustIssue({"api://orders"}, true);
  IssuedTokens billing = MustIssue({"api://billing"}, true);
  IssuedTokens both = MustIssue({"api://billing", "api://orders"}, false);
  EXPECT_TRUE(ActiveFor(kScoped, orders.access_token));
  EXPECT_TRUE(ActiveFor(kScoped, orders.refresh_token));
  EXPECT_TRUE(ActiveFor(kScoped, both.access_token));
  EXPECT_FALSE(ActiveFor(kScoped, billing.access_token));
  EXPECT_FALSE(ActiveFor(kScoped, billing.refresh_token));
  // Off by default: a caller without the option sees every active token.
  EXPECT_TRUE(ActiveFor(kOrders, billing.access_token));
  EXPECT_TRUE(ActiveFor(kOrders, billing.refresh_token));
}

}  // namespace
}  // namespace tokend::service
