// The whole life of tokens through the real tokend binary over mutual TLS,
// with a real PostgreSQL: issue, introspect, refresh (rotation, down-scoping,
// reuse), revoke (token, family, subject), JWKS and health.

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/api/api_test_util.h"

namespace tokend::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

int64_t Seconds(const google::protobuf::Timestamp& ts) { return ts.seconds(); }

google::protobuf::Struct StructFromJson(absl::string_view json) {
  google::protobuf::Struct s;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(std::string(json), &s).ok()) << json;
  return s;
}

TEST(Lifecycle, IssueWithoutRefreshTokenAnswersABearerAccessTokenOnly) {
  const int64_t before = absl::ToUnixSeconds(absl::Now());
  absl::StatusOr<v1::IssueResponse> issued =
      Caller().Issue(IssueRequest({"api://orders"}, {"orders:read"}));
  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_EQ(issued->token_type(), "Bearer");
  EXPECT_THAT(issued->refresh_token(), IsEmpty());
  EXPECT_FALSE(issued->has_refresh_expires_at());
  EXPECT_THAT(issued->scopes(), ElementsAre("orders:read"));
  // Default access_ttl 15m, below this caller's max_ttl of 1h.
  EXPECT_GE(Seconds(issued->expires_at()), before + 900);
  EXPECT_LE(Seconds(issued->expires_at()), absl::ToUnixSeconds(absl::Now()) + 900);
}

TEST(Lifecycle, AnAccessTokenIsACanonicalAtJwtWithTheContractsClaims) {
  v1::IssueRequest request = IssueRequest({"api://orders"}, {"orders:read", "orders:write"});
  request.set_subject("alice");
  absl::StatusOr<v1::IssueResponse> issued = Caller().Issue(request);
  ASSERT_TRUE(issued.ok()) << issued.status();
  absl::StatusOr<DecodedJws> jws = DecodeJws(issued->access_token());
  ASSERT_TRUE(jws.ok()) << jws.status() << ": " << issued->access_token();
  // Header exactly alg, typ, kid.
  EXPECT_EQ(jws->header, (Json{{"alg", "ES256"}, {"typ", "at+jwt"}, {"kid", ServerKid()}}));
  const Json& p = jws->payload;
  EXPECT_EQ(p["iss"], kTestIssuer);
  EXPECT_EQ(p["sub"], "alice");
  EXPECT_EQ(p["aud"], "api://orders") << "one audience is a string";
  EXPECT_EQ(p["client_id"], test::kClientUri);
  EXPECT_EQ(p["scope"], "orders:read orders:write");
  ASSERT_TRUE(p["exp"].is_number_integer());
  ASSERT_TRUE(p["iat"].is_number_integer());
  ASSERT_TRUE(p["nbf"].is_number_integer());
  EXPECT_EQ(p["exp"].get<int64_t>() - p["iat"].get<int64_t>(), 900);
  EXPECT_LE(p["nbf"].get<int64_t>(), p["iat"].get<int64_t>());
  EXPECT_EQ(p["exp"].get<int64_t>(), Seconds(issued->expires_at()));
  ASSERT_TRUE(p["jti"].is_string());
  absl::StatusOr<std::string> jti = B64UrlDecode(p["jti"].get<std::string>());
  // At least 128 random bits.
  if (jti.ok()) {
    EXPECT_GE(jti->size(), 16u);
  } else {
    EXPECT_GE(p["jti"].get<std::string>().size(), 22u);
  }
}

TEST(Lifecycle, SeveralAudiencesAreAnArrayAndNoScopesOmitTheScopeClaim) {
  absl::StatusOr<v1::IssueResponse> issued =
      Caller().Issue(IssueRequest({"api://orders", "api://billing"}));
  ASSERT_TRUE(issued.ok()) << issued.status();
  absl::StatusOr<DecodedJws> jws = DecodeJws(issued->access_token());
  ASSERT_TRUE(jws.ok()) << jws.status();
  EXPECT_EQ(jws->payload["aud"], Json::array({"api://orders", "api://billing"}));
  EXPECT_FALSE(jws->payload.contains("scope")) << jws->payload.dump();
  EXPECT_THAT(issued->scopes(), IsEmpty());

  v1::IntrospectResponse r = Introspect(Caller(), issued->access_token());
  EXPECT_TRUE(r.active());
  EXPECT_THAT(r.audience(), ElementsAre("api://orders", "api://billing"));
  EXPECT_THAT(r.scopes(), IsEmpty());
}

TEST(Lifecycle, IntrospectionOfAnActiveAccessTokenReportsEveryField) {
  v1::IssueRequest request = IssueRequest({"api://billing"}, {"billing:read"});
  request.set_subject("bob");
  *request.mutable_claims() = StructFromJson(
      R"({"tenant":"acme","level":3,"admin":false,"tags":["a","b"],"org":{"id":"o-1","n":null}})");
  request.mutable_ttl()->set_seconds(120);
  absl::StatusOr<v1::IssueResponse> issued = Caller().Issue(request);
  ASSERT_TRUE(issued.ok()) << issued.status();
  absl::StatusOr<DecodedJws> jws = DecodeJws(issued->access_token());
  ASSERT_TRUE(jws.ok());
  // Custom claims are copied into the payload.
  EXPECT_EQ(jws->payload["tenant"], "acme");
  EXPECT_EQ(jws->payload["tags"], Json::array({"a", "b"}));
  EXPECT_EQ(jws->payload["org"]["id"], "o-1");

  v1::IntrospectResponse r = Introspect(Caller(), issued->access_token());
  ASSERT_TRUE(r.active());
  EXPECT_EQ(r.token_type(), v1::TOKEN_TYPE_ACCESS_TOKEN);
  EXPECT_EQ(r.subject(), "bob");
  EXPECT_THAT(r.audience(), ElementsAre("api://billing"));
  EXPECT_THAT(r.scopes(), ElementsAre("billing:read"));
  EXPECT_EQ(r.client_id(), test::kClientUri);
  EXPECT_EQ(r.issuer(), kTestIssuer);
  EXPECT_EQ(r.issued_at().seconds(), jws->payload["iat"].get<int64_t>());
  EXPECT_EQ(r.not_before().seconds(), jws->payload["nbf"].get<int64_t>());
  EXPECT_EQ(r.expires_at().seconds(), jws->payload["exp"].get<int64_t>());
  EXPECT_EQ(r.expires_at().seconds() - r.issued_at().seconds(), 120);
  EXPECT_EQ(r.token_id(), jws->payload["jti"].get<std::string>());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equivalent(r.claims(), request.claims()))
      << r.claims().ShortDebugString();

  // Any caller allowed to introspect sees the same, and a wrong hint still
  // finds the token.
  std::unique_ptr<client::TokenClient> other = ClientFor(Bed().introspect_only_cert());
  absl::StatusOr<v1::IntrospectResponse> hinted =
      other->Introspect(IntrospectRequest(issued->access_token(), v1::TOKEN_TYPE_REFRESH_TOKEN));
  ASSERT_TRUE(hinted.ok()) << hinted.status();
  EXPECT_TRUE(hinted->active());
  EXPECT_EQ(hinted->token_id(), r.token_id());
}

TEST(Lifecycle, AnEmptySubjectIssuesForTheCallerItself) {
  std::unique_ptr<client::TokenClient> dns = ClientFor(Bed().pki().client_dns());
  absl::StatusOr<v1::IssueResponse> issued = dns->Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(issued.ok()) << issued.status();
  // Read from the token: another test revokes this caller's own subject,
  // which makes its tokens of that second inactive.
  absl::StatusOr<DecodedJws> jws = DecodeJws(issued->access_token());
  ASSERT_TRUE(jws.ok());
  EXPECT_EQ(jws->payload["sub"], test::kClientDns);
  EXPECT_EQ(jws->payload["client_id"], test::kClientDns);
  // Its default TTL is capped at its max_ttl of 10m (the default is 15m).
  EXPECT_EQ(jws->payload["exp"].get<int64_t>() - jws->payload["iat"].get<int64_t>(), 600);
}

TEST(Lifecycle, ARefreshTokenIsOpaqueAndIntrospectsActiveWhileRedeemable) {
  v1::IssueRequest request = IssueRequest({"api://orders"}, {"orders:read"}, true, "carol");
  *request.mutable_claims() = StructFromJson(R"({"tenant":"acme"})");
  absl::StatusOr<v1::IssueResponse> issued = Caller().Issue(request);
  ASSERT_TRUE(issued.ok()) << issued.status();
  const std::string& refresh = issued->refresh_token();
  ASSERT_FALSE(refresh.empty());
  EXPECT_EQ(refresh.find('.'), std::string::npos) << "opaque, not a JWT";
  EXPECT_GE(refresh.size(), 43u) << "at least 256 bits";
  ASSERT_TRUE(issued->has_refresh_expires_at());
  // Default idle lifetime 720h from now.
  EXPECT_NEAR(issued->refresh_expires_at().seconds(),
              absl::ToUnixSeconds(absl::Now() + absl::Hours(720)), 5);

  for (v1::TokenType hint :
       {v1::TOKEN_TYPE_UNSPECIFIED, v1::TOKEN_TYPE_ACCESS_TOKEN, v1::TOKEN_TYPE_REFRESH_TOKEN}) {
    absl::StatusOr<v1::IntrospectResponse> r =
        Caller().Introspect(IntrospectRequest(refresh, hint));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->active()) << "hint " << hint;
    EXPECT_EQ(r->token_type(), v1::TOKEN_TYPE_REFRESH_TOKEN);
    EXPECT_EQ(r->subject(), "carol");
    EXPECT_THAT(r->audience(), ElementsAre("api://orders"));
    EXPECT_THAT(r->scopes(), ElementsAre("orders:read"));
    EXPECT_EQ(r->client_id(), test::kClientUri);
    EXPECT_EQ(r->issuer(), kTestIssuer);
    EXPECT_EQ(r->expires_at().seconds(), issued->refresh_expires_at().seconds());
  }
}

TEST(Lifecycle, TheDatabaseHoldsOnlyAHashOfARefreshToken) {
  absl::StatusOr<v1::IssueResponse> issued =
      Caller().Issue(IssueRequest({"api://orders"}, {}, true));
  ASSERT_TRUE(issued.ok());
  const std::string& token = issued->refresh_token();
  // The random part (after any prefix): never stored, in any table or form.
  const std::string secret = token.substr(token.size() - 32);
  absl::StatusOr<std::string> found = Cluster().Psql(
      "tokend_api",
      absl::StrCat("SELECT (SELECT count(*) FROM refresh_tokens WHERE token_hash = '\\x",
                   absl::BytesToHexString(Sha256(token)), "'), ",
                   "(SELECT count(*) FROM refresh_tokens t WHERE row_to_json(t)::text LIKE '%",
                   secret, "%' OR encode(token_hash, 'escape') LIKE '%", secret, "%'), ",
                   "(SELECT count(*) FROM refresh_families f WHERE row_to_json(f)::text LIKE '%",
                   secret, "%'), ",
                   "(SELECT count(*) FROM revocations r WHERE row_to_json(r)::text LIKE '%", secret,
                   "%')"));
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(absl::StripAsciiWhitespace(*found), "1|0|0|0");
}

TEST(Lifecycle, RefreshRotatesAndCarriesTheOriginalSubjectAudienceClientAndClaims) {
  v1::IssueRequest request = IssueRequest({"api://orders", "api://billing"},
                                          {"orders:read", "orders:write"}, true, "dave");
  *request.mutable_claims() = StructFromJson(R"({"tenant":"acme","tier":2})");
  absl::StatusOr<v1::IssueResponse> issued = Caller().Issue(request);
  ASSERT_TRUE(issued.ok()) << issued.status();

  absl::StatusOr<v1::RefreshResponse> refreshed =
      Caller().Refresh(RefreshRequest(issued->refresh_token()));
  ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  EXPECT_EQ(refreshed->token_type(), "Bearer");
  EXPECT_THAT(refreshed->scopes(), ElementsAre("orders:read", "orders:write"));
  EXPECT_NE(refreshed->refresh_token(), issued->refresh_token());
  EXPECT_NE(refreshed->access_token(), issued->access_token());
  EXPECT_TRUE(refreshed->has_expires_at());
  EXPECT_TRUE(refreshed->has_refresh_expires_at());

  v1::IntrospectResponse r = Introspect(Caller(), refreshed->access_token());
  ASSERT_TRUE(r.active());
  EXPECT_EQ(r.subject(), "dave");
  EXPECT_THAT(r.audience(), ElementsAre("api://orders", "api://billing"));
  EXPECT_THAT(r.scopes(), ElementsAre("orders:read", "orders:write"));
  EXPECT_EQ(r.client_id(), test::kClientUri);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equivalent(r.claims(), request.claims()));

  // The presented token is used up; its successor is redeemable; the first
  // access token stays active (rotation is not revocation).
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), issued->refresh_token()));
  EXPECT_TRUE(IsActive(Caller(), refreshed->refresh_token()));
  EXPECT_TRUE(IsActive(Caller(), issued->access_token()));
}

TEST(Lifecycle, DownScopingHoldsForEverySuccessor) {
  absl::StatusOr<v1::IssueResponse> issued = Caller().Issue(
      IssueRequest({"api://orders"}, {"orders:read", "orders:write", "billing:read"}, true));
  ASSERT_TRUE(issued.ok()) << issued.status();
  absl::StatusOr<v1::RefreshResponse> narrowed =
      Caller().Refresh(RefreshRequest(issued->refresh_token(), {"orders:read", "billing:read"}));
  ASSERT_TRUE(narrowed.ok()) << narrowed.status();
  EXPECT_THAT(narrowed->scopes(), UnorderedElementsAre("orders:read", "billing:read"));
  EXPECT_THAT(Introspect(Caller(), narrowed->access_token()).scopes(),
              UnorderedElementsAre("orders:read", "billing:read"));
  EXPECT_THAT(Introspect(Caller(), narrowed->refresh_token()).scopes(),
              UnorderedElementsAre("orders:read", "billing:read"));

  // A scope dropped earlier cannot come back: INVALID_ARGUMENT, and the
  // refresh token is not used up by the refusal.
  absl::StatusOr<v1::RefreshResponse> widened =
      Caller().Refresh(RefreshRequest(narrowed->refresh_token(), {"orders:write"}));
  EXPECT_TRUE(HasCode(widened.status(), absl::StatusCode::kInvalidArgument, "scopes"));

  // Empty keeps the narrowed set.
  absl::StatusOr<v1::RefreshResponse> kept =
      Caller().Refresh(RefreshRequest(narrowed->refresh_token()));
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_THAT(kept->scopes(), UnorderedElementsAre("orders:read", "billing:read"));

  absl::StatusOr<v1::RefreshResponse> narrower =
      Caller().Refresh(RefreshRequest(kept->refresh_token(), {"billing:read"}));
  ASSERT_TRUE(narrower.ok()) << narrower.status();
  EXPECT_THAT(narrower->scopes(), ElementsAre("billing:read"));
  absl::StatusOr<v1::RefreshResponse> last =
      Caller().Refresh(RefreshRequest(narrower->refresh_token()));
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_THAT(last->scopes(), ElementsAre("billing:read"));
  absl::StatusOr<DecodedJws> jws = DecodeJws(last->access_token());
  ASSERT_TRUE(jws.ok());
  EXPECT_EQ(jws->payload["scope"], "billing:read");
}

TEST(Lifecycle, RevokingAnAccessTokenMakesOnlyThatTokenInactive) {
  absl::StatusOr<v1::IssueResponse> a = Caller().Issue(IssueRequest({"api://orders"}));
  absl::StatusOr<v1::IssueResponse> b = Caller().Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(IsActive(Caller(), a->access_token()));
  absl::StatusOr<v1::RevokeResponse> revoked =
      Caller().Revoke(RevokeTokenRequest(a->access_token()));
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), a->access_token()));
  EXPECT_TRUE(IsActive(Caller(), b->access_token()));
  // Revoking again is fine (RFC 7009).
  EXPECT_TRUE(Caller().Revoke(RevokeTokenRequest(a->access_token())).ok());
}

TEST(Lifecycle, RevokingARefreshTokenRevokesItsFamilyWithItsAccessTokens) {
  absl::StatusOr<v1::IssueResponse> issued =
      Caller().Issue(IssueRequest({"api://orders"}, {"orders:read"}, true, "erin"));
  ASSERT_TRUE(issued.ok()) << issued.status();
  absl::StatusOr<v1::RefreshResponse> second =
      Caller().Refresh(RefreshRequest(issued->refresh_token()));
  ASSERT_TRUE(second.ok()) << second.status();
  // Unrelated tokens of the same subject must survive.
  absl::StatusOr<v1::IssueResponse> unrelated =
      Caller().Issue(IssueRequest({"api://orders"}, {"orders:read"}, true, "erin"));
  ASSERT_TRUE(unrelated.ok());

  ASSERT_TRUE(Caller().Revoke(RevokeTokenRequest(second->refresh_token())).ok());
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), second->refresh_token()));
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), second->access_token()));
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), issued->access_token()));
  EXPECT_TRUE(HasCode(Caller().Refresh(RefreshRequest(second->refresh_token())).status(),
                      absl::StatusCode::kUnauthenticated));
  EXPECT_TRUE(IsActive(Caller(), unrelated->access_token()));
  EXPECT_TRUE(IsActive(Caller(), unrelated->refresh_token()));
}

TEST(Lifecycle, RedeemingAUsedRefreshTokenRevokesTheWholeFamily) {
  absl::StatusOr<v1::IssueResponse> issued =
      Caller().Issue(IssueRequest({"api://orders"}, {}, true, "frank"));
  ASSERT_TRUE(issued.ok()) << issued.status();
  absl::StatusOr<v1::RefreshResponse> second =
      Caller().Refresh(RefreshRequest(issued->refresh_token()));
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_TRUE(IsActive(Caller(), second->access_token()));
  // Once the successor is redeemed the first token's repeat is no retry.
  absl::StatusOr<v1::RefreshResponse> third =
      Caller().Refresh(RefreshRequest(second->refresh_token()));
  ASSERT_TRUE(third.ok()) << third.status();

  EXPECT_TRUE(HasCode(Caller().Refresh(RefreshRequest(issued->refresh_token())).status(),
                      absl::StatusCode::kUnauthenticated));
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), third->refresh_token()));
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), third->access_token()));
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), second->access_token()));
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), issued->access_token()));
  EXPECT_TRUE(HasCode(Caller().Refresh(RefreshRequest(third->refresh_token())).status(),
                      absl::StatusCode::kUnauthenticated));
}

TEST(Lifecycle, RevokingASubjectCoversItsTokensUpToThatMomentOnly) {
  const std::string subject = Unique("grace");
  absl::StatusOr<v1::IssueResponse> before =
      Caller().Issue(IssueRequest({"api://orders"}, {}, true, subject));
  absl::StatusOr<v1::IssueResponse> other =
      Caller().Issue(IssueRequest({"api://orders"}, {}, true, Unique("heidi")));
  ASSERT_TRUE(before.ok() && other.ok());

  ASSERT_TRUE(Caller().Revoke(RevokeSubjectRequest(subject)).ok());
  const absl::Time revoked = absl::Now();
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), before->access_token()));
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), before->refresh_token()));
  EXPECT_TRUE(HasCode(Caller().Refresh(RefreshRequest(before->refresh_token())).status(),
                      absl::StatusCode::kUnauthenticated));
  EXPECT_TRUE(IsActive(Caller(), other->access_token()));
  EXPECT_TRUE(IsActive(Caller(), other->refresh_token()));

  // More than one second later (iat has whole seconds), new tokens of the
  // subject are unaffected.
  absl::SleepFor(revoked + absl::Milliseconds(1100) - absl::Now());
  absl::StatusOr<v1::IssueResponse> after =
      Caller().Issue(IssueRequest({"api://orders"}, {}, true, subject));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE(IsActive(Caller(), after->access_token()));
  EXPECT_TRUE(IsActive(Caller(), after->refresh_token()));
  absl::StatusOr<v1::RefreshResponse> refreshed =
      Caller().Refresh(RefreshRequest(after->refresh_token()));
  ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  EXPECT_TRUE(IsActive(Caller(), refreshed->access_token()));
}

TEST(Lifecycle, ACallerMayRevokeItsOwnSubjectWithoutIssueForOthers) {
  std::unique_ptr<client::TokenClient> dns = ClientFor(Bed().pki().client_dns());
  absl::StatusOr<v1::IssueResponse> own = dns->Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(own.ok()) << own.status();
  absl::StatusOr<v1::RevokeResponse> revoked = dns->Revoke(RevokeSubjectRequest(test::kClientDns));
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), own->access_token()));
}

TEST(Lifecycle, ASuccessorNeverOutlivesItsFamilysAbsoluteLifetime) {
  absl::StatusOr<v1::IssueResponse> issued =
      Caller().Issue(IssueRequest({"api://orders"}, {}, true));
  ASSERT_TRUE(issued.ok()) << issued.status();
  // The family ends in ten minutes, well before the idle lifetime (720h).
  absl::StatusOr<std::string> ends = Cluster().Psql(
      "tokend_api",
      absl::StrCat("UPDATE refresh_families SET absolute_expires_at = "
                   "date_trunc('second', now()) + interval '10 minutes' WHERE family_id = "
                   "(SELECT family_id FROM refresh_tokens WHERE token_hash = '\\x",
                   absl::BytesToHexString(Sha256(issued->refresh_token())),
                   "') RETURNING extract(epoch FROM absolute_expires_at)::bigint"));
  ASSERT_TRUE(ends.ok()) << ends.status();
  int64_t family_end = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(*ends), &family_end)) << *ends;
  absl::StatusOr<v1::RefreshResponse> refreshed =
      Caller().Refresh(RefreshRequest(issued->refresh_token()));
  ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  EXPECT_EQ(refreshed->refresh_expires_at().seconds(), family_end);
  EXPECT_EQ(Introspect(Caller(), refreshed->refresh_token()).expires_at().seconds(), family_end);
}

TEST(Lifecycle, RevokingAUsedRefreshTokenStillRevokesItsFamily) {
  absl::StatusOr<v1::IssueResponse> issued =
      Caller().Issue(IssueRequest({"api://orders"}, {}, true));
  ASSERT_TRUE(issued.ok());
  absl::StatusOr<v1::RefreshResponse> second =
      Caller().Refresh(RefreshRequest(issued->refresh_token()));
  ASSERT_TRUE(second.ok());
  v1::RevokeRequest request = RevokeTokenRequest(issued->refresh_token());
  request.set_token_type_hint(v1::TOKEN_TYPE_ACCESS_TOKEN);  // wrong on purpose
  ASSERT_TRUE(Caller().Revoke(request).ok());
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), second->refresh_token()));
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), second->access_token()));
}

TEST(Lifecycle, AnyCallerMayIntrospectAndRevokeTokensIssuedByAnother) {
  absl::StatusOr<v1::IssueResponse> issued =
      Caller().Issue(IssueRequest({"api://orders"}, {}, true, "nina"));
  ASSERT_TRUE(issued.ok());
  std::unique_ptr<client::TokenClient> dns = ClientFor(Bed().pki().client_dns());
  v1::IntrospectResponse r = Introspect(*dns, issued->refresh_token());
  EXPECT_TRUE(r.active());
  EXPECT_EQ(r.client_id(), test::kClientUri);
  v1::RevokeRequest request = RevokeTokenRequest(issued->access_token());
  request.set_token_type_hint(v1::TOKEN_TYPE_REFRESH_TOKEN);  // wrong on purpose
  ASSERT_TRUE(dns->Revoke(request).ok());
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), issued->access_token()));
  ASSERT_TRUE(dns->Revoke(RevokeTokenRequest(issued->refresh_token())).ok());
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), issued->refresh_token()));
}

TEST(Lifecycle, RevokingUnknownOrMalformedTokensAnswersOk) {
  for (const std::string& token : {std::string("not-a-token"), std::string("a.b.c"),
                                   std::string("tkdrt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                                   std::string(20000, 'x')}) {
    absl::StatusOr<v1::RevokeResponse> r = Caller().Revoke(RevokeTokenRequest(token));
    EXPECT_TRUE(r.ok()) << r.status() << " for " << token.substr(0, 40);
  }
}

TEST(Lifecycle, GetJwksPublishesTheKeyThatVerifiesTokensWithPlainOpenSsl) {
  absl::StatusOr<v1::GetJwksResponse> jwks = Caller().GetJwks(v1::GetJwksRequest());
  ASSERT_TRUE(jwks.ok()) << jwks.status();
  Json set = Json::parse(jwks->jwks_json(), nullptr, false);
  ASSERT_TRUE(set.is_object()) << jwks->jwks_json();
  ASSERT_TRUE(set.contains("keys") && set["keys"].is_array());
  ASSERT_THAT(set["keys"], SizeIs(1));
  const Json& jwk = set["keys"][0];
  EXPECT_EQ(jwk.value("kty", ""), "EC");
  EXPECT_EQ(jwk.value("crv", ""), "P-256");
  EXPECT_EQ(jwk.value("alg", ""), "ES256");
  EXPECT_EQ(jwk.value("use", ""), "sig");
  for (const char* secret : {"d", "k", "p", "q", "dp", "dq", "qi"}) {
    EXPECT_FALSE(jwk.contains(secret)) << secret;
  }
  // kid: the RFC 7638 thumbprint, since the config names none.
  const std::string thumbprint_input =
      Json{{"crv", "P-256"}, {"kty", "EC"}, {"x", jwk["x"]}, {"y", jwk["y"]}}.dump();
  EXPECT_EQ(jwk.value("kid", ""), B64UrlEncode(Sha256(thumbprint_input)));

  absl::StatusOr<EvpPkey> key = P256PublicKeyFromJwk(jwk);
  ASSERT_TRUE(key.ok()) << key.status();
  absl::StatusOr<v1::IssueResponse> issued =
      Caller().Issue(IssueRequest({"api://orders"}, {"orders:read"}));
  ASSERT_TRUE(issued.ok());
  absl::StatusOr<DecodedJws> jws = DecodeJws(issued->access_token());
  ASSERT_TRUE(jws.ok());
  EXPECT_EQ(jws->header["kid"], jwk["kid"]);
  EXPECT_TRUE(VerifyEs256(key->get(), jws->SigningInput(), jws->signature));
  // And a negative control: one flipped payload byte does not verify.
  std::string altered = jws->SigningInput();
  altered[altered.size() - 3] ^= 1;
  EXPECT_FALSE(VerifyEs256(key->get(), altered, jws->signature));

  // The ops port serves the same set.
  absl::StatusOr<HttpResponse> http = HttpGet(Server().ops_port(), "/.well-known/jwks.json");
  ASSERT_TRUE(http.ok()) << http.status();
  EXPECT_EQ(http->status, 200);
  EXPECT_EQ(Json::parse(http->body, nullptr, false), set);
}

TEST(Lifecycle, TheHealthServiceAnswersServingOnTheApiPort) {
  absl::StatusOr<client::ServingStatus> health = Caller().CheckHealth("");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, client::ServingStatus::kServing);
}

TEST(Lifecycle, TheHealthServiceAnswersForTheServiceNameToo) {
  absl::StatusOr<client::ServingStatus> health = Caller().CheckHealth("tokend.v1.TokenService");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, client::ServingStatus::kServing);
  EXPECT_EQ(Caller().CheckHealth("tokend.v1.NoSuchService").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tokend::testing
