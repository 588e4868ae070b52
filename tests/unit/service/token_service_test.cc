#include "service/token_service.h"

#include <atomic>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "crypto/base64url.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/fake_stores.h"
#include "tests/support/service_calls.h"
#include "unit/crypto/test_keys.h"

namespace tokend::service {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);
constexpr char kIssuer[] = "https://tokend.test";
constexpr char kLogin[] = "spiffe://test/login";    // may issue for others
constexpr char kOrders[] = "spiffe://test/orders";  // only for itself
constexpr char kReader[] = "orders.internal";       // Introspect only

nlohmann::json Segment(const std::string& token, int index) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  std::string json;
  EXPECT_TRUE(crypto::Base64UrlDecode(parts.at(index), &json));
  return nlohmann::json::parse(json);
}

class TokenServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    revocation_set_ = std::make_unique<RevocationSet>(max_staleness_);
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
        .scopes = {"orders:read", "orders:write"},
        .max_ttl = absl::Hours(1)};
    CallerPolicy orders = login;
    orders.id = kOrders;
    orders.issue_for_others = false;
    orders.max_ttl = absl::Minutes(5);
    CallerPolicy reader{.id = kReader, .rpcs = {Rpc::kIntrospect}, .max_ttl = absl::Minutes(1)};
    auto policy = Policy::New({login, orders, reader});
    ASSERT_TRUE(policy.ok()) << policy.status();
    auto service = TokenService::New(ServiceOptions{.issuer = kIssuer,
                                                    .access_ttl = absl::Minutes(15),
                                                    .refresh_idle_ttl = absl::Hours(720),
                                                    .refresh_absolute_ttl = absl::Hours(2160),
                                                    .leeway = absl::Seconds(5),
                                                    .refresh_retry_window = retry_window_,
                                                    .refresh_successor_key = std::string(32, 'k')},
                                     *policy, *ring, &refresh_tokens_, &revocations_,
                                     revocation_set_.get(), &clock_);
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
  }

  IssuedTokens MustIssue(IssueParams params, const char* caller = kLogin) {
    absl::StatusOr<IssuedTokens> issued = testing::IssueAs(*service_, caller, params);
    EXPECT_TRUE(issued.ok()) << issued.status();
    return issued.ok() ? *issued : IssuedTokens{};
  }

  static IssueParams ForAlice(bool refresh = false) {
    return IssueParams{.subject = "alice",
                       .audience = {"api://orders"},
                       .scopes = {"orders:read", "orders:write"},
                       .include_refresh_token = refresh};
  }

  bool Active(const std::string& token) {
    absl::StatusOr<Introspection> seen =
        testing::IntrospectAs(*service_, kReader, token, TokenType::kUnspecified);
    EXPECT_TRUE(seen.ok()) << seen.status();
    return seen.ok() && seen->active;
  }

  // Off, so that every repeat of a redemption is reuse; the retry tests
  // below turn it on.
  absl::Duration retry_window_ = absl::ZeroDuration();
  common::FakeClock clock_{kT0};
  testing::FakeRevocationStore revocations_;
  testing::FakeRefreshTokenStore refresh_tokens_{revocations_};
  // Unbounded unless a test fixture below bounds it.
  absl::Duration max_staleness_ = absl::InfiniteDuration();
  std::unique_ptr<RevocationSet> revocation_set_;  // made by SetUp, with max_staleness_
  std::unique_ptr<TokenService> service_;
};

TEST_F(TokenServiceTest, IssuesAnAccessTokenCarryingTheContractsClaims) {
  IssueParams params = ForAlice();
  params.custom_claims_json = R"({"tenant":"acme","roles":["a","b"]})";
  IssuedTokens issued = MustIssue(params);
  nlohmann::json header = Segment(issued.access_token, 0);
  EXPECT_EQ(header["alg"], "ES256");
  EXPECT_EQ(header["typ"], "at+jwt");
  EXPECT_EQ(header["kid"], "k1");
  nlohmann::json payload = Segment(issued.access_token, 1);
  EXPECT_EQ(payload["iss"], kIssuer);
  EXPECT_EQ(payload["sub"], "alice");
  EXPECT_EQ(payload["aud"], "api://orders");  // one audience: a string
  EXPECT_EQ(payload["client_id"], kLogin);
  EXPECT_EQ(payload["scope"], "orders:read orders:write");
  EXPECT_EQ(payload["iat"], absl::ToUnixSeconds(kT0));
  EXPECT_EQ(payload["nbf"], absl::ToUnixSeconds(kT0));
  EXPECT_EQ(payload["exp"], absl::ToUnixSeconds(kT0 + absl::Minutes(15)));
  EXPECT_GE(payload["jti"].get<std::string>().size(), 22u);  // 128 bits, base64url
  EXPECT_EQ(payload["tenant"], "acme");
  EXPECT_FALSE(payload.contains("sid"));  // no refresh family
  EXPECT_EQ(issued.expires_at, kT0 + absl::Minutes(15));
  EXPECT_TRUE(issued.refresh_token.empty());
  EXPECT_EQ(refresh_tokens_.family_count(), 0u);
}

TEST_F(TokenServiceTest, WritesSeveralAudiencesAsAnArrayAndOmitsAnEmptyScope) {
  IssuedTokens issued =
      MustIssue(IssueParams{.subject = "alice", .audience = {"api://orders", "api://billing"}});
  nlohmann::json payload = Segment(issued.access_token, 1);
  EXPECT_EQ(payload["aud"], nlohmann::json::array({"api://orders", "api://billing"}));
  EXPECT_FALSE(payload.contains("scope"));
}

TEST_F(TokenServiceTest, IssuesForTheCallerItselfWhenTheSubjectIsEmpty) {
  IssuedTokens issued = MustIssue(IssueParams{.audience = {"api://orders"}}, kOrders);
  EXPECT_EQ(Segment(issued.access_token, 1)["sub"], kOrders);
}

TEST_F(TokenServiceTest, GivesEveryTokenADistinctJti) {
  std::string a = Segment(MustIssue(ForAlice()).access_token, 1)["jti"];
  std::string b = Segment(MustIssue(ForAlice()).access_token, 1)["jti"];
  EXPECT_NE(a, b);
}

TEST_F(TokenServiceTest, CapsTheDefaultTtlAtTheCallersMaximum) {
  IssuedTokens issued = MustIssue(IssueParams{.audience = {"api://orders"}}, kOrders);
  EXPECT_EQ(issued.expires_at, kT0 + absl::Minutes(5));
}

TEST_F(TokenServiceTest, RejectsMalformedIssueRequestsNamingTheField) {
  struct Case {
    const char* name;
    IssueParams params;
    const char* field;
  };
  IssueParams no_audience = ForAlice();
  no_audience.audience.clear();
  IssueParams zero_ttl = ForAlice();
  zero_ttl.ttl = absl::ZeroDuration();
  IssueParams negative_ttl = ForAlice();
  negative_ttl.ttl = absl::Seconds(-5);
  IssueParams fractional_ttl = ForAlice();
  fractional_ttl.ttl = absl::Milliseconds(1500);
  IssueParams long_ttl = ForAlice();
  long_ttl.ttl = absl::Hours(2);
  IssueParams reserved_claim = ForAlice();
  reserved_claim.custom_claims_json = R"({"sub":"mallory"})";
  IssueParams huge_claims = ForAlice();
  huge_claims.custom_claims_json = R"({"x":")" + std::string(5000, 'a') + R"("})";
  IssueParams bad_scope = ForAlice();
  bad_scope.scopes = {"two words"};
  for (const Case& c : std::vector<Case>{{"no audience", no_audience, "audience"},
                                         {"zero ttl", zero_ttl, "ttl"},
                                         {"negative ttl", negative_ttl, "ttl"},
                                         {"fractional ttl", fractional_ttl, "ttl"},
                                         {"ttl over max", long_ttl, "ttl"},
                                         {"reserved claim", reserved_claim, "claims"},
                                         {"claims over 4 KiB", huge_claims, "claims"},
                                         {"scope with a space", bad_scope, "scopes"}}) {
    absl::StatusOr<IssuedTokens> issued = testing::IssueAs(*service_, kLogin, c.params);
    EXPECT_EQ(issued.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(issued.status().message(), HasSubstr(c.field)) << c.name;
  }
}

TEST_F(TokenServiceTest, DeniesIssueRequestsBeyondTheCallersRights) {
  IssueParams other_audience = ForAlice();
  other_audience.audience = {"api://payroll"};
  IssueParams other_scope = ForAlice();
  other_scope.scopes = {"orders:delete"};
  for (const IssueParams& params : {other_audience, other_scope}) {
    EXPECT_EQ(testing::IssueAs(*service_, kLogin, params).status().code(),
              absl::StatusCode::kPermissionDenied);
  }
  // kOrders may not issue for another subject.
  EXPECT_EQ(testing::IssueAs(*service_, kOrders, ForAlice()).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(testing::IssueAs(*service_, "spiffe://test/stranger", ForAlice()).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(TokenServiceTest, ChecksTheRpcBeforeTheRequestAndTheRequestBeforeTheRights) {
  IssueParams malformed_and_beyond = ForAlice();
  malformed_and_beyond.audience = {"api://payroll"};
  malformed_and_beyond.ttl = absl::Milliseconds(10);
  // kReader may not call Issue at all: denied before the request is read.
  EXPECT_EQ(testing::IssueAs(*service_, kReader, malformed_and_beyond).status().code(),
            absl::StatusCode::kPermissionDenied);
  // kOrders may call Issue: the malformed ttl wins over the foreign subject.
  EXPECT_EQ(testing::IssueAs(*service_, kOrders, malformed_and_beyond).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(TokenServiceTest, IntrospectsAnIssuedAccessTokenAsActiveWithWhatItCarries) {
  IssueParams params = ForAlice();
  params.custom_claims_json = R"({"tenant":"acme"})";
  IssuedTokens issued = MustIssue(params);
  absl::StatusOr<Introspection> seen =
      testing::IntrospectAs(*service_, kReader, issued.access_token, TokenType::kRefreshToken);
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_TRUE(seen->active);  // a wrong hint still finds it
  EXPECT_EQ(seen->token_type, TokenType::kAccessToken);
  EXPECT_EQ(seen->subject, "alice");
  EXPECT_EQ(seen->client_id, kLogin);
  EXPECT_EQ(seen->issuer, kIssuer);
  EXPECT_EQ(seen->scopes, (std::vector<std::string>{"orders:read", "orders:write"}));
  EXPECT_EQ(seen->expires_at, kT0 + absl::Minutes(15));
  EXPECT_EQ(nlohmann::json::parse(seen->custom_claims_json), R"({"tenant":"acme"})"_json);
}

TEST_F(TokenServiceTest, AnswersInactiveWithNothingElseForExpiredOrForgedTokens) {
  IssuedTokens issued = MustIssue(ForAlice());
  std::string altered = issued.access_token;
  altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
  for (const std::string& token :
       {altered, std::string("garbage"), std::string("a.b.c"), std::string(20000, 'x')}) {
    absl::StatusOr<Introspection> seen =
        testing::IntrospectAs(*service_, kReader, token, TokenType::kAccessToken);
    ASSERT_TRUE(seen.ok()) << seen.status();
    EXPECT_FALSE(seen->active);
    EXPECT_TRUE(seen->subject.empty());
    EXPECT_EQ(seen->token_type, TokenType::kUnspecified);
  }
  clock_.Advance(absl::Minutes(15) + absl::Seconds(6));  // past exp and the 5 s leeway
  EXPECT_FALSE(Active(issued.access_token));
}

TEST_F(TokenServiceTest, RejectsAnEmptyTokenToIntrospectOrRevoke) {
  EXPECT_EQ(testing::IntrospectAs(*service_, kReader, "", TokenType::kUnspecified).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(testing::RevokeAs(*service_, kLogin, RevokeParams{.token = ""}).code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status neither = testing::RevokeAs(*service_, kLogin, RevokeParams{});
  EXPECT_EQ(neither.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(neither.message(), HasSubstr("token or subject"));
}

TEST_F(TokenServiceTest, RevokesAnAccessTokenDurablyAndAtOnce) {
  IssuedTokens issued = MustIssue(ForAlice());
  IssuedTokens other = MustIssue(ForAlice());
  ASSERT_TRUE(
      testing::RevokeAs(*service_, kLogin, RevokeParams{.token = issued.access_token}).ok());
  EXPECT_FALSE(Active(issued.access_token));
  EXPECT_TRUE(Active(other.access_token));
  EXPECT_EQ(revocations_.size(), 1u);
}

TEST_F(TokenServiceTest, RevokingUnknownOrMalformedTokensAnswersOkAndRecordsNothing) {
  for (std::string token :
       {std::string("garbage"), std::string("tkdrt_unknown"), std::string("e30.e30.AAAA")}) {
    EXPECT_TRUE(testing::RevokeAs(*service_, kLogin, RevokeParams{.token = token}).ok()) << token;
  }
  EXPECT_EQ(revocations_.size(), 0u);
}

TEST_F(TokenServiceTest, DoesNotRecordARevocationThatTheDatabaseDidNotAccept) {
  IssuedTokens issued = MustIssue(ForAlice());
  revocations_.SetUnavailable(true);
  EXPECT_EQ(testing::RevokeAs(*service_, kLogin, RevokeParams{.token = issued.access_token}).code(),
            absl::StatusCode::kUnavailable);
  // Access tokens are still introspected from memory while the database is down.
  EXPECT_TRUE(Active(issued.access_token));
  EXPECT_EQ(testing::IssueAs(*service_, kLogin, ForAlice(/*refresh=*/true)).status().code(),
            absl::StatusCode::kUnavailable);
  revocations_.SetUnavailable(false);
  EXPECT_EQ(refresh_tokens_.family_count(), 0u);
  EXPECT_EQ(revocations_.size(), 0u);
}

TEST_F(TokenServiceTest, RevokesEveryTokenOfASubjectIssuedUpToThatMoment) {
  IssuedTokens before = MustIssue(ForAlice(/*refresh=*/true));
  IssuedTokens bob = MustIssue(IssueParams{.subject = "bob", .audience = {"api://orders"}});
  clock_.Advance(absl::Milliseconds(300));
  ASSERT_TRUE(testing::RevokeAs(*service_, kLogin, RevokeParams{.subject = "alice"}).ok());
  EXPECT_FALSE(Active(before.access_token));
  EXPECT_FALSE(Active(before.refresh_token));
  EXPECT_TRUE(Active(bob.access_token));
  EXPECT_EQ(testing::RefreshAs(*service_, kLogin, {.refresh_token = before.refresh_token})
                .status()
                .code(),
            absl::StatusCode::kUnauthenticated);
  clock_.Advance(absl::Seconds(2));
  IssuedTokens after = MustIssue(ForAlice(/*refresh=*/true));
  EXPECT_TRUE(Active(after.access_token));
  EXPECT_TRUE(Active(after.refresh_token));
}

TEST_F(TokenServiceTest, LetsOnlyCallersThatIssueForOthersRevokeAnotherSubject) {
  EXPECT_EQ(testing::RevokeAs(*service_, kOrders, RevokeParams{.subject = "alice"}).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(testing::RevokeAs(*service_, kOrders, RevokeParams{.subject = kOrders}).ok());
}

TEST_F(TokenServiceTest, RotatesARefreshTokenKeepingSubjectAudienceAndClaims) {
  IssueParams params = ForAlice(/*refresh=*/true);
  params.custom_claims_json = R"({"tenant":"acme"})";
  IssuedTokens first = MustIssue(params);
  EXPECT_TRUE(absl::StartsWith(first.refresh_token, "tkdrt_"));
  EXPECT_EQ(first.refresh_expires_at, kT0 + absl::Hours(720));
  clock_.Advance(absl::Minutes(1));
  absl::StatusOr<IssuedTokens> second =
      testing::RefreshAs(*service_, kLogin, {.refresh_token = first.refresh_token});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(second->refresh_token, first.refresh_token);
  nlohmann::json payload = Segment(second->access_token, 1);
  EXPECT_EQ(payload["sub"], "alice");
  EXPECT_EQ(payload["aud"], "api://orders");
  EXPECT_EQ(payload["tenant"], "acme");
  EXPECT_EQ(payload["sid"], Segment(first.access_token, 1)["sid"]);
  EXPECT_FALSE(Active(first.refresh_token));  // used
  EXPECT_TRUE(Active(second->refresh_token));
}

TEST_F(TokenServiceTest, RevokesTheWholeFamilyWhenAUsedRefreshTokenComesBack) {
  IssuedTokens first = MustIssue(ForAlice(/*refresh=*/true));
  absl::StatusOr<IssuedTokens> second =
      testing::RefreshAs(*service_, kLogin, {.refresh_token = first.refresh_token});
  ASSERT_TRUE(second.ok());
  absl::StatusOr<IssuedTokens> replay =
      testing::RefreshAs(*service_, kLogin, {.refresh_token = first.refresh_token});
  EXPECT_EQ(replay.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(service_->counters().refresh_reuse_detected.load(), 1u);
  EXPECT_FALSE(Active(first.access_token));
  EXPECT_FALSE(Active(second->access_token));
  EXPECT_FALSE(Active(second->refresh_token));
  EXPECT_EQ(testing::RefreshAs(*service_, kLogin, {.refresh_token = second->refresh_token})
                .status()
                .code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(TokenServiceTest, LetsExactlyOneOfManyConcurrentRedemptionsWin) {
  IssuedTokens first = MustIssue(ForAlice(/*refresh=*/true));
  std::atomic<int> won{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      absl::StatusOr<IssuedTokens> r =
          testing::RefreshAs(*service_, kLogin, {.refresh_token = first.refresh_token});
      if (r.ok()) {
        won++;
      } else if (r.status().code() == absl::StatusCode::kUnauthenticated) {
        refused++;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(refused.load(), 15);
  EXPECT_FALSE(Active(first.access_token));  // reuse revoked the family
}

TEST_F(TokenServiceTest, RefusesARefreshTokenPresentedByAnotherCallerWithoutRevokingIt) {
  IssuedTokens first = MustIssue(ForAlice(/*refresh=*/true));
  EXPECT_EQ(testing::RefreshAs(*service_, kOrders, {.refresh_token = first.refresh_token})
                .status()
                .code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(revocations_.size(), 0u);
  EXPECT_TRUE(testing::RefreshAs(*service_, kLogin, {.refresh_token = first.refresh_token}).ok());
}

TEST_F(TokenServiceTest, NeverRevokesAnythingForGarbageRefreshTokens) {
  IssuedTokens first = MustIssue(ForAlice(/*refresh=*/true));
  std::string truncated = first.refresh_token.substr(0, first.refresh_token.size() - 1);
  for (const std::string& token : {truncated, std::string("tkdrt_"), std::string("nonsense")}) {
    EXPECT_EQ(testing::RefreshAs(*service_, kLogin, {.refresh_token = token}).status().code(),
              absl::StatusCode::kUnauthenticated);
  }
  EXPECT_EQ(testing::RefreshAs(*service_, kLogin, {.refresh_token = ""}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(revocations_.size(), 0u);
  EXPECT_TRUE(Active(first.refresh_token));
}

TEST_F(TokenServiceTest, KeepsADownScopedGrantForEverySuccessor) {
  IssuedTokens first = MustIssue(ForAlice(/*refresh=*/true));
  absl::StatusOr<IssuedTokens> narrowed = testing::RefreshAs(
      *service_, kLogin, {.refresh_token = first.refresh_token, .scopes = {"orders:read"}});
  ASSERT_TRUE(narrowed.ok()) << narrowed.status();
  EXPECT_EQ(narrowed->scopes, std::vector<std::string>{"orders:read"});
  EXPECT_EQ(Segment(narrowed->access_token, 1)["scope"], "orders:read");
  absl::StatusOr<IssuedTokens> widened = testing::RefreshAs(
      *service_, kLogin, {.refresh_token = narrowed->refresh_token, .scopes = {"orders:write"}});
  EXPECT_EQ(widened.status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<IssuedTokens> kept =
      testing::RefreshAs(*service_, kLogin, {.refresh_token = narrowed->refresh_token});
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(kept->scopes, std::vector<std::string>{"orders:read"});
}

TEST_F(TokenServiceTest, ExpiresRefreshTokensAtTheirIdleAndTheFamilysAbsoluteLifetime) {
  IssuedTokens first = MustIssue(ForAlice(/*refresh=*/true));
  clock_.Advance(absl::Hours(720));
  EXPECT_FALSE(Active(first.refresh_token));
  EXPECT_EQ(
      testing::RefreshAs(*service_, kLogin, {.refresh_token = first.refresh_token}).status().code(),
      absl::StatusCode::kUnauthenticated);

  const absl::Time family_start = clock_.Now();
  IssuedTokens family = MustIssue(ForAlice(/*refresh=*/true));
  std::string current = family.refresh_token;
  // Rotating every 29 days keeps a family alive only until its 90 days are up.
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(absl::Hours(24 * 29));
    absl::StatusOr<IssuedTokens> next =
        testing::RefreshAs(*service_, kLogin, {.refresh_token = current});
    ASSERT_TRUE(next.ok()) << "rotation " << i << ": " << next.status();
    EXPECT_LE(next->refresh_expires_at, family_start + absl::Hours(2160));
    current = next->refresh_token;
  }
  clock_.Advance(absl::Hours(24 * 4));  // 91 days after the family began
  EXPECT_EQ(testing::RefreshAs(*service_, kLogin, {.refresh_token = current}).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(TokenServiceTest, RevokingARefreshTokenRevokesItsFamilyIncludingAccessTokens) {
  IssuedTokens first = MustIssue(ForAlice(/*refresh=*/true));
  absl::StatusOr<IssuedTokens> second =
      testing::RefreshAs(*service_, kLogin, {.refresh_token = first.refresh_token});
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(
      testing::RevokeAs(*service_, kLogin, RevokeParams{.token = second->refresh_token}).ok());
  EXPECT_FALSE(Active(first.access_token));
  EXPECT_FALSE(Active(second->access_token));
  EXPECT_FALSE(Active(second->refresh_token));
}

TEST_F(TokenServiceTest, PublishesAJwkSetWithThePrimaryKey) {
  nlohmann::json jwks = nlohmann::json::parse(service_->Jwks());
  ASSERT_THAT(jwks["keys"], SizeIs(1));
  EXPECT_EQ(jwks["keys"][0]["kid"], "k1");
  EXPECT_EQ(jwks["keys"][0]["use"], "sig");
  EXPECT_FALSE(jwks["keys"][0].contains("d"));
}

// With the retry window of the contract's default (60 s).
class RefreshRetryTest : public TokenServiceTest {
 protected:
  RefreshRetryTest() { retry_window_ = absl::Seconds(60); }
};

TEST_F(RefreshRetryTest, ARepeatWithinTheWindowGetsTheSameSuccessorAndIsNotReuse) {
  IssuedTokens first = MustIssue(ForAlice(/*refresh=*/true));
  absl::StatusOr<IssuedTokens> second =
      testing::RefreshAs(*service_, kLogin, {.refresh_token = first.refresh_token});
  ASSERT_TRUE(second.ok()) << second.status();
  clock_.Advance(absl::Seconds(59));
  absl::StatusOr<IssuedTokens> repeat =
      testing::RefreshAs(*service_, kLogin, {.refresh_token = first.refresh_token});
  ASSERT_TRUE(repeat.ok()) << repeat.status();
  EXPECT_EQ(repeat->refresh_token, second->refresh_token);
  EXPECT_EQ(repeat->refresh_expires_at, second->refresh_expires_at);
  EXPECT_EQ(repeat->scopes, second->scopes);
  EXPECT_NE(repeat->access_token, second->access_token);
  EXPECT_EQ(service_->counters().refresh_reuse_detected.load(), 0u);
  EXPECT_TRUE(Active(first.access_token));
  EXPECT_TRUE(Active(second->access_token));
  EXPECT_TRUE(Active(repeat->access_token));
  EXPECT_TRUE(Active(second->refresh_token));
  // The successor is still redeemed once.
  absl::StatusOr<IssuedTokens> third =
      testing::RefreshAs(*service_, kLogin, {.refresh_token = second->refresh_token});
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_NE(third->refresh_token, second->refresh_token);
}

TEST_F(RefreshRetryTest, ARepeatOnceTheSuccessorWasRedeemedIsReuse) {
  IssuedTokens first = MustIssue(ForAlice(/*refresh=*/true));
  absl::StatusOr<IssuedTokens> second =
      testing::RefreshAs(*service_, kLogin, {.refresh_token = first.refresh_token});
  ASSERT_TRUE(second.ok()) << second.status();
  absl::StatusOr<IssuedTokens> third =
      testing::RefreshAs(*service_, kLogin, {.refresh_token = second->refresh_token});
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(
      testing::RefreshAs(*service_, kLogin, {.refresh_token = first.refresh_token}).status().code(),
      absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(service_->counters().refresh_reuse_detected.load(), 1u);
  EXPECT_FALSE(Active(third->access_token));
  EXPECT_FALSE(Active(third->refresh_token));
}

TEST_F(RefreshRetryTest, ARepeatAfterTheWindowIsReuse) {
  IssuedTokens first = MustIssue(ForAlice(/*refresh=*/true));
  absl::StatusOr<IssuedTokens> second =
      testing::RefreshAs(*service_, kLogin, {.refresh_token = first.refresh_token});
  ASSERT_TRUE(second.ok()) << second.status();
  clock_.Advance(absl::Seconds(61));
  EXPECT_EQ(
      testing::RefreshAs(*service_, kLogin, {.refresh_token = first.refresh_token}).status().code(),
      absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(service_->counters().refresh_reuse_detected.load(), 1u);
  EXPECT_FALSE(Active(second->refresh_token));
  EXPECT_FALSE(Active(second->access_token));
}

TEST_F(RefreshRetryTest, ARepeatByAnotherCallerIsRefusedAndRevokesNothing) {
  IssuedTokens first = MustIssue(ForAlice(/*refresh=*/true));
  absl::StatusOr<IssuedTokens> second =
      testing::RefreshAs(*service_, kLogin, {.refresh_token = first.refresh_token});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(testing::RefreshAs(*service_, kOrders, {.refresh_token = first.refresh_token})
                .status()
                .code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(service_->counters().refresh_reuse_detected.load(), 0u);
  EXPECT_TRUE(Active(second->refresh_token));
}

TEST_F(RefreshRetryTest, ConcurrentRedemptionsByTheSameCallerAllGetTheOneSuccessor) {
  IssuedTokens first = MustIssue(ForAlice(/*refresh=*/true));
  std::vector<std::string> successors(16);
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<IssuedTokens> r =
          testing::RefreshAs(*service_, kLogin, {.refresh_token = first.refresh_token});
      if (r.ok()) successors[i] = r->refresh_token;
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& successor : successors) {
    EXPECT_FALSE(successor.empty());
    EXPECT_EQ(successor, successors[0]);
  }
  EXPECT_EQ(service_->counters().refresh_reuse_detected.load(), 0u);
  EXPECT_TRUE(Active(successors[0]));
}

TEST_F(RefreshRetryTest, ARepeatAfterTheFamilyWasRevokedIsRefused) {
  IssuedTokens first = MustIssue(ForAlice(/*refresh=*/true));
  absl::StatusOr<IssuedTokens> second =
      testing::RefreshAs(*service_, kLogin, {.refresh_token = first.refresh_token});
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_TRUE(testing::RevokeAs(*service_, kLogin, {.token = second->refresh_token}).ok());
  EXPECT_EQ(
      testing::RefreshAs(*service_, kLogin, {.refresh_token = first.refresh_token}).status().code(),
      absl::StatusCode::kUnauthenticated);
}

// Issue with a refresh token and an idempotency key, under the same window.
class IssueRetryTest : public RefreshRetryTest {
 protected:
  static IssueParams KeyedForAlice(std::string key = "7d1f0c9e-request-1") {
    IssueParams params = ForAlice(/*refresh=*/true);
    params.idempotency_key = std::move(key);
    return params;
  }
  absl::StatusCode IssueCode(const IssueParams& params, const char* caller = kLogin) {
    return testing::IssueAs(*service_, caller, params).status().code();
  }
};

TEST_F(IssueRetryTest, ARepeatWithTheSameKeyWithinTheWindowGetsTheSameRefreshToken) {
  IssuedTokens first = MustIssue(KeyedForAlice());
  clock_.Advance(absl::Seconds(59));
  IssuedTokens repeat = MustIssue(KeyedForAlice());
  EXPECT_EQ(repeat.refresh_token, first.refresh_token);
  EXPECT_EQ(repeat.refresh_expires_at, first.refresh_expires_at);
  EXPECT_NE(repeat.access_token, first.access_token);
  EXPECT_EQ(Segment(repeat.access_token, 1)["sid"], Segment(first.access_token, 1)["sid"]);
  EXPECT_TRUE(Active(first.access_token));
  EXPECT_TRUE(Active(repeat.access_token));
  // One family: its one first token is redeemed once, and then the key is spent.
  absl::StatusOr<IssuedTokens> refreshed =
      testing::RefreshAs(*service_, kLogin, {.refresh_token = first.refresh_token});
  ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  EXPECT_EQ(IssueCode(KeyedForAlice()), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Active(refreshed->refresh_token));
}

TEST_F(IssueRetryTest, ARepeatAfterTheWindowIsRefusedAndLeavesTheFamilyAlone) {
  IssuedTokens first = MustIssue(KeyedForAlice());
  clock_.Advance(absl::Seconds(61));
  EXPECT_EQ(IssueCode(KeyedForAlice()), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Active(first.refresh_token));
}

TEST_F(IssueRetryTest, TheSameKeyForADifferentRequestIsInvalidArgument) {
  IssuedTokens first = MustIssue(KeyedForAlice());
  IssueParams other_subject = KeyedForAlice();
  other_subject.subject = "bob";
  IssueParams other_scopes = KeyedForAlice();
  other_scopes.scopes = {"orders:read"};
  IssueParams other_claims = KeyedForAlice();
  other_claims.custom_claims_json = R"({"tenant":"acme"})";
  for (const IssueParams& params : {other_subject, other_scopes, other_claims}) {
    absl::StatusOr<IssuedTokens> refused = testing::IssueAs(*service_, kLogin, params);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(refused.status().message(), HasSubstr("idempotency_key"));
  }
  EXPECT_TRUE(Active(first.refresh_token));
}

TEST_F(IssueRetryTest, TheSameKeyFromAnotherCallerOrADifferentKeyStartsAnotherFamily) {
  IssueParams for_orders = KeyedForAlice();
  for_orders.subject = "";
  IssuedTokens by_login = MustIssue(for_orders);
  IssuedTokens by_orders = MustIssue(for_orders, kOrders);
  IssuedTokens other_key = MustIssue(KeyedForAlice("7d1f0c9e-request-2"));
  IssuedTokens no_key = MustIssue(ForAlice(/*refresh=*/true));
  IssuedTokens no_key_again = MustIssue(ForAlice(/*refresh=*/true));
  const std::set<std::string> tokens = {by_login.refresh_token, by_orders.refresh_token,
                                        other_key.refresh_token, no_key.refresh_token,
                                        no_key_again.refresh_token};
  EXPECT_EQ(tokens.size(), 5u);
}

TEST_F(IssueRetryTest, AKeyThatIsTooLongOrNotPrintableAsciiIsInvalidArgument) {
  for (const std::string& key : {std::string(129, 'k'), std::string("with space"),
                                 std::string("caf\xc3\xa9"), std::string("nul\0", 4)}) {
    absl::StatusOr<IssuedTokens> refused = testing::IssueAs(*service_, kLogin, KeyedForAlice(key));
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << key;
    EXPECT_THAT(refused.status().message(), HasSubstr("idempotency_key"));
  }
  EXPECT_TRUE(testing::IssueAs(*service_, kLogin, KeyedForAlice(std::string(128, 'k'))).ok());
}

TEST_F(IssueRetryTest, ConcurrentRepeatsWithTheSameKeyAllGetTheOneRefreshToken) {
  std::vector<std::string> tokens(16);
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<IssuedTokens> r = testing::IssueAs(*service_, kLogin, KeyedForAlice());
      if (r.ok()) tokens[i] = r->refresh_token;
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& token : tokens) {
    EXPECT_FALSE(token.empty());
    EXPECT_EQ(token, tokens[0]);
  }
}

// With a revocation view that may be at most 10 s old.
class StaleViewTest : public TokenServiceTest {
 protected:
  StaleViewTest() { max_staleness_ = absl::Seconds(10); }
};

TEST_F(StaleViewTest, AnAccessTokenIsUnavailableUntilTheViewIsCaughtUpAndAgainOnceItIsStale) {
  IssuedTokens issued = MustIssue(ForAlice());
  auto introspect = [&](const std::string& token) {
    return testing::IntrospectAs(*service_, kReader, token, TokenType::kUnspecified);
  };
  // Never caught up: it cannot vouch for the token.
  EXPECT_EQ(introspect(issued.access_token).status().code(), absl::StatusCode::kUnavailable);
  revocation_set_->MarkCaughtUp(clock_.Now());
  EXPECT_TRUE(Active(issued.access_token));
  clock_.Advance(absl::Seconds(10));
  EXPECT_TRUE(Active(issued.access_token));
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(introspect(issued.access_token).status().code(), absl::StatusCode::kUnavailable);
  // What is inactive anyway is still said to be.
  absl::StatusOr<Introspection> garbage = introspect("not-a-token");
  ASSERT_TRUE(garbage.ok()) << garbage.status();
  EXPECT_FALSE(garbage->active);
  revocation_set_->MarkCaughtUp(clock_.Now());
  EXPECT_TRUE(Active(issued.access_token));
}

}  // namespace
}  // namespace tokend::service
