#include "rpc/proto_conversion.h"

#include <cmath>
#include <limits>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace tokend::rpc {
namespace {

TEST(ProtoConversion, CarriesEveryIssueField) {
  v1::IssueRequest request;
  request.set_subject("alice");
  request.add_audience("api://a");
  request.add_audience("api://b");
  request.add_scopes("read");
  request.mutable_ttl()->set_seconds(90);
  (*request.mutable_claims()->mutable_fields())["tenant"].set_string_value("acme");
  request.set_include_refresh_token(true);
  request.set_idempotency_key("req-42");
  absl::StatusOr<service::IssueParams> params = FromProto(request);
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_EQ(params->subject, "alice");
  EXPECT_EQ(params->audience, (std::vector<std::string>{"api://a", "api://b"}));
  EXPECT_EQ(params->scopes, std::vector<std::string>{"read"});
  EXPECT_EQ(params->ttl, absl::Seconds(90));
  EXPECT_EQ(params->custom_claims_json, R"({"tenant":"acme"})");
  EXPECT_TRUE(params->include_refresh_token);
  EXPECT_EQ(params->idempotency_key, "req-42");
}

TEST(ProtoConversion, LeavesAnUnsetTtlUnsetAndKeepsFractionsForTheServiceToRefuse) {
  v1::IssueRequest request;
  EXPECT_FALSE(FromProto(request)->ttl.has_value());
  request.mutable_ttl()->set_seconds(1);
  request.mutable_ttl()->set_nanos(500'000'000);
  EXPECT_EQ(FromProto(request)->ttl, absl::Milliseconds(1500));
}

TEST(ProtoConversion, RefusesClaimsThatHaveNoJsonForm) {
  v1::IssueRequest request;
  (*request.mutable_claims()->mutable_fields())["x"].set_number_value(
      std::numeric_limits<double>::quiet_NaN());
  absl::StatusOr<service::IssueParams> params = FromProto(request);
  EXPECT_EQ(params.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(params.status().message(), "claims:"));

  v1::IssueRequest nested;
  auto& list = *(*nested.mutable_claims()->mutable_fields())["deep"].mutable_list_value();
  list.add_values()->set_number_value(std::numeric_limits<double>::infinity());
  EXPECT_EQ(FromProto(nested).status().code(), absl::StatusCode::kInvalidArgument);

  v1::IssueRequest no_kind;
  (*no_kind.mutable_claims()->mutable_fields())["empty"];
  EXPECT_EQ(FromProto(no_kind).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ProtoConversion, TellsRevokeByTokenFromBySubjectFromNeither) {
  v1::RevokeRequest request;
  service::RevokeParams neither = FromProto(request);
  EXPECT_FALSE(neither.token.has_value());
  EXPECT_FALSE(neither.subject.has_value());
  request.set_subject("");  // set, though empty: the service names the field
  EXPECT_EQ(FromProto(request).subject, "");
  request.set_token("t");
  request.set_token_type_hint(v1::TOKEN_TYPE_REFRESH_TOKEN);
  service::RevokeParams by_token = FromProto(request);
  EXPECT_EQ(by_token.token, "t");
  EXPECT_FALSE(by_token.subject.has_value());
  EXPECT_EQ(by_token.token_type_hint, service::TokenType::kRefreshToken);
}

TEST(ProtoConversion, WritesARevokedSigningKeyAsItsKidWithItsExpiryOnly) {
  v1::WatchedRevocation out;
  ToProto(store::Revocation{.kind = store::Revocation::Kind::kSigningKey,
                            .key = "kid-1",
                            .revoked_at = absl::FromUnixSeconds(1'800'000'000),
                            .expires_at = absl::FromUnixSeconds(1'800'003'600)},
          &out);
  EXPECT_EQ(out.target_case(), v1::WatchedRevocation::kSigningKeyId);
  EXPECT_EQ(out.signing_key_id(), "kid-1");
  EXPECT_EQ(out.expires_at().seconds(), 1'800'003'600);
  EXPECT_FALSE(out.has_revoked_before());
}

TEST(ProtoConversion, TreatsAnUnknownHintValueAsUnspecified) {
  EXPECT_EQ(FromProto(static_cast<v1::TokenType>(77)), service::TokenType::kUnspecified);
}

TEST(ProtoConversion, WritesNothingButActiveFalseForAnInactiveToken) {
  v1::IntrospectResponse response;
  response.set_subject("stale");
  ToProto(service::Introspection{}, &response);
  EXPECT_EQ(response.ByteSizeLong(), 0u);
}

TEST(ProtoConversion, WritesAnActiveIntrospectionWithItsTimesAndClaims) {
  service::Introspection seen{.active = true,
                              .token_type = service::TokenType::kAccessToken,
                              .subject = "alice",
                              .audience = {"api://a"},
                              .scopes = {"read"},
                              .client_id = "spiffe://c",
                              .issuer = "https://i",
                              .issued_at = absl::FromUnixSeconds(100),
                              .expires_at = absl::FromUnixSeconds(200),
                              .not_before = absl::FromUnixSeconds(100),
                              .token_id = "jti",
                              .custom_claims_json = R"({"n":1})"};
  v1::IntrospectResponse response;
  ToProto(seen, &response);
  EXPECT_TRUE(response.active());
  EXPECT_EQ(response.token_type(), v1::TOKEN_TYPE_ACCESS_TOKEN);
  EXPECT_EQ(response.expires_at().seconds(), 200);
  EXPECT_EQ(response.issued_at().seconds(), 100);
  EXPECT_EQ(response.token_id(), "jti");
  EXPECT_EQ(response.claims().fields().at("n").number_value(), 1);
}

TEST(ProtoConversion, AnswersBearerAndOmitsAnAbsentRefreshToken) {
  service::IssuedTokens issued{
      .access_token = "a.b.c", .expires_at = absl::FromUnixSeconds(60), .scopes = {"read"}};
  v1::IssueResponse response;
  ToProto(issued, &response);
  EXPECT_EQ(response.token_type(), "Bearer");
  EXPECT_TRUE(response.refresh_token().empty());
  EXPECT_FALSE(response.has_refresh_expires_at());
  EXPECT_EQ(response.scopes_size(), 1);
}

}  // namespace
}  // namespace tokend::rpc
