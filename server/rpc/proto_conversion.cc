#include "rpc/proto_conversion.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <cmath>
#include <string>

#include "common/log.h"

namespace tokend::rpc {
namespace {

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

template <typename Response>
void IssuedToProto(const service::IssuedTokens& issued, Response* response) {
  response->set_access_token(issued.access_token);
  response->set_token_type("Bearer");
  *response->mutable_expires_at() = ToTimestamp(issued.expires_at);
  if (!issued.refresh_token.empty()) {
    response->set_refresh_token(issued.refresh_token);
    *response->mutable_refresh_expires_at() = ToTimestamp(issued.refresh_expires_at);
  }
  for (const std::string& scope : issued.scopes) response->add_scopes(scope);
}

// Whether `value` has a JSON form: protobuf's printer would otherwise quietly
// write NaN and infinity as strings and drop values with no kind.
bool HasJsonForm(const google::protobuf::Value& value) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kNumberValue:
      return std::isfinite(value.number_value());
    case google::protobuf::Value::kStructValue:
      for (const auto& [name, field] : value.struct_value().fields()) {
        if (!HasJsonForm(field)) return false;
      }
      return true;
    case google::protobuf::Value::kListValue:
      for (const google::protobuf::Value& item : value.list_value().values()) {
        if (!HasJsonForm(item)) return false;
      }
      return true;
    case google::protobuf::Value::KIND_NOT_SET:
      return false;
    default:
      return true;
  }
}

// google.protobuf.Duration's own rules: seconds within +-10000 years, nanos
// within +-999,999,999 and of the same sign as seconds. (Protobuf 3.21 has
// the bounds but no public check.)
bool IsValidDuration(const google::protobuf::Duration& d) {
  constexpr int32_t kMaxNanos = 999999999;
  if (d.seconds() < TimeUtil::kDurationMinSeconds || d.seconds() > TimeUtil::kDurationMaxSeconds) {
    return false;
  }
  if (d.nanos() < -kMaxNanos || d.nanos() > kMaxNanos) return false;
  return !((d.seconds() < 0 && d.nanos() > 0) || (d.seconds() > 0 && d.nanos() < 0));
}

v1::TokenType ToProto(service::TokenType type) {
  switch (type) {
    case service::TokenType::kAccessToken:
      return v1::TOKEN_TYPE_ACCESS_TOKEN;
    case service::TokenType::kRefreshToken:
      return v1::TOKEN_TYPE_REFRESH_TOKEN;
    case service::TokenType::kUnspecified:
      break;
  }
  return v1::TOKEN_TYPE_UNSPECIFIED;
}

}  // namespace

service::TokenType FromProto(v1::TokenType type) {
  switch (type) {
    case v1::TOKEN_TYPE_ACCESS_TOKEN:
      return service::TokenType::kAccessToken;
    case v1::TOKEN_TYPE_REFRESH_TOKEN:
      return service::TokenType::kRefreshToken;
    default:
      return service::TokenType::kUnspecified;
  }
}

absl::StatusOr<service::IssueParams> FromProto(const v1::IssueRequest& request) {
  service::IssueParams params;
  params.subject = request.subject();
  params.audience.assign(request.audience().begin(), request.audience().end());
  params.scopes.assign(request.scopes().begin(), request.scopes().end());
  if (request.has_ttl()) {
    // Why: an out-of-range Duration (nanos of 2e9, or nanos whose sign
    // differs from the seconds') would otherwise add up to a plausible ttl.
    if (!IsValidDuration(request.ttl())) {
      return absl::InvalidArgumentError("ttl: not a valid google.protobuf.Duration");
    }
    params.ttl = absl::Seconds(request.ttl().seconds()) + absl::Nanoseconds(request.ttl().nanos());
  }
  if (request.has_claims() && request.claims().fields_size() > 0) {
    std::string json;
    google::protobuf::Value claims;
    *claims.mutable_struct_value() = request.claims();
    if (!HasJsonForm(claims) ||
        !google::protobuf::util::MessageToJsonString(request.claims(), &json).ok()) {
      return absl::InvalidArgumentError(
          "claims: not representable as JSON (NaN, infinity or a value with no kind)");
    }
    params.custom_claims_json = std::move(json);
  }
  params.include_refresh_token = request.include_refresh_token();
  params.idempotency_key = request.idempotency_key();
  return params;
}

service::RefreshParams FromProto(const v1::RefreshRequest& request) {
  service::RefreshParams params;
  params.refresh_token = request.refresh_token();
  params.scopes.assign(request.scopes().begin(), request.scopes().end());
  return params;
}

service::RevokeParams FromProto(const v1::RevokeRequest& request) {
  service::RevokeParams params;
  switch (request.target_case()) {
    case v1::RevokeRequest::kToken:
      params.token = request.token();
      break;
    case v1::RevokeRequest::kSubject:
      params.subject = request.subject();
      break;
    case v1::RevokeRequest::TARGET_NOT_SET:
      break;
  }
  params.token_type_hint = FromProto(request.token_type_hint());
  return params;
}

void ToProto(const service::IssuedTokens& issued, v1::IssueResponse* response) {
  IssuedToProto(issued, response);
}

void ToProto(const service::IssuedTokens& issued, v1::RefreshResponse* response) {
  IssuedToProto(issued, response);
}

void ToProto(const service::Introspection& introspection, v1::IntrospectResponse* response) {
  response->Clear();
  if (!introspection.active) return;
  response->set_active(true);
  response->set_token_type(ToProto(introspection.token_type));
  response->set_subject(introspection.subject);
  for (const std::string& aud : introspection.audience) response->add_audience(aud);
  for (const std::string& scope : introspection.scopes) response->add_scopes(scope);
  response->set_client_id(introspection.client_id);
  response->set_issuer(introspection.issuer);
  *response->mutable_issued_at() = ToTimestamp(introspection.issued_at);
  *response->mutable_expires_at() = ToTimestamp(introspection.expires_at);
  *response->mutable_not_before() = ToTimestamp(introspection.not_before);
  response->set_token_id(introspection.token_id);
  if (!introspection.custom_claims_json.empty()) {
    if (!google::protobuf::util::JsonStringToMessage(introspection.custom_claims_json,
                                                     response->mutable_claims())
             .ok()) {
      // Claims were checked when the token was minted, so this is a bug;
      // answer without them rather than fail the introspection.
      common::Log(common::LogLevel::kError, "introspect: custom claims not convertible",
                  {{"jti", introspection.token_id}});
      response->clear_claims();
    }
  }
}

void ToProto(const store::Revocation& revocation, v1::WatchedRevocation* out) {
  using Kind = store::Revocation::Kind;
  switch (revocation.kind) {
    case Kind::kToken:
      out->set_token_id(revocation.key);
      break;
    case Kind::kFamily:
      out->set_refresh_family_id(revocation.key);
      break;
    case Kind::kSubject:
      out->set_subject(revocation.key);
      *out->mutable_revoked_before() = ToTimestamp(revocation.revoked_at);
      break;
    case Kind::kSigningKey:
      out->set_signing_key_id(revocation.key);
      break;
  }
  *out->mutable_expires_at() = ToTimestamp(revocation.expires_at);
}

}  // namespace tokend::rpc
