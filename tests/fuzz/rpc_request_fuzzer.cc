// Request messages as the gRPC handlers take them (rpc/token_service_impl.cc):
// protobuf bytes parsed as IssueRequest, RefreshRequest, IntrospectRequest or
// RevokeRequest, converted (rpc/proto_conversion.h), authorized and run by
// the real TokenService (on in-memory stores and a fake clock, fresh for each
// input), its answer converted back and its status mapped for the caller.
//
// An input is a sequence of calls, each [selector][length: 2 bytes, little
// endian][message]: selector & 3 picks the RPC (Issue, Refresh, Introspect,
// Revoke), (selector >> 2) % 3 the caller (one that may issue for others,
// one that may not, one that may only introspect), and selector & 0x80 moves
// the clock 20 minutes on first. A token field "#<digit><rest>" is replaced by
// the digit-th token (modulo their number) handed out earlier in the same
// input, followed by <rest>, so that refresh, reuse and revocation run on real
// tokens.
//
// Properties: never crashes; no call answers a code that only a bug in tokend
// can cause (INTERNAL, UNKNOWN...); an active introspection with custom
// claims converts them back to a Struct.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "fuzz/fuzz_support.h"
#include "rpc/proto_conversion.h"
#include "rpc/status_mapping.h"
#include "service/policy.h"
#include "service/revocation_set.h"
#include "service/token_service.h"
#include "tests/support/fake_stores.h"
#include "tokend/v1/token_service.pb.h"

namespace {

using tokend::fuzz::Fail;
namespace service = tokend::service;
namespace v1 = tokend::v1;

constexpr const char* kCallers[] = {"spiffe://test/login", "spiffe://test/orders",
                                    "orders.internal"};

std::shared_ptr<const service::Policy> MakePolicy() {
  using service::Rpc;
  service::CallerPolicy login{
      .id = kCallers[0],
      .rpcs = {Rpc::kIssue, Rpc::kRefresh, Rpc::kIntrospect, Rpc::kRevoke, Rpc::kGetJwks},
      .issue_for_others = true,
      .audiences = {"api://orders", "api://billing"},
      .scopes = {"orders:read", "orders:write"},
      .max_ttl = absl::Hours(1)};
  service::CallerPolicy orders = login;
  orders.id = kCallers[1];
  orders.issue_for_others = false;
  orders.max_ttl = absl::Minutes(5);
  orders.introspect_own_audiences_only = true;
  service::CallerPolicy reader{
      .id = kCallers[2], .rpcs = {Rpc::kIntrospect}, .max_ttl = absl::Minutes(1)};
  absl::StatusOr<std::shared_ptr<const service::Policy>> policy =
      service::Policy::New({login, orders, reader});
  if (!policy.ok()) Fail(absl::StrCat("policy: ", policy.status().ToString()));
  return *policy;
}

// The codes the API lets a call answer with in-memory stores that never fail.
void CheckAnswer(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kResourceExhausted:
      break;
    default:
      Fail(absl::StrCat("a call answered ", status.ToString()));
  }
  if (tokend::rpc::ToGrpcStatus(status).error_code() == grpc::StatusCode::INTERNAL) {
    Fail(absl::StrCat("mapped to INTERNAL: ", status.ToString()));
  }
}

// One fresh service, and the tokens it handed out.
class Session {
 public:
  Session() : clock_(absl::FromUnixSeconds(1767225600)) {  // 2026-01-01T00:00:00Z
    static const std::shared_ptr<const service::Policy> policy = MakePolicy();
    static const std::shared_ptr<const tokend::keys::KeyRing> ring(
        std::shared_ptr<const tokend::keys::KeyRing>(), &tokend::fuzz::KeyRing());
    absl::StatusOr<std::unique_ptr<service::TokenService>> made = service::TokenService::New(
        service::ServiceOptions{.issuer = "https://tokend.test",
                                .access_ttl = absl::Minutes(15),
                                .refresh_idle_ttl = absl::Hours(720),
                                .refresh_absolute_ttl = absl::Hours(2160),
                                .leeway = absl::Seconds(5),
                                .refresh_retry_window = absl::Seconds(30),
                                .refresh_successor_key = std::string(32, 'k'),
                                .subject_revocations_per_minute = 3,
                                .introspect_cache_bytes = 1 << 16},
        policy, ring, &refresh_tokens_, &revocations_, &revocation_set_, &clock_);
    if (!made.ok()) Fail(absl::StrCat("service: ", made.status().ToString()));
    service_ = *std::move(made);
  }

  void Call(uint8_t selector, absl::string_view message) {
    if (selector & 0x80) clock_.Advance(absl::Minutes(20));
    const service::RequestContext ctx{.caller_id = kCallers[(selector >> 2) % 3]};
    switch (selector & 3) {
      case 0:
        Issue(ctx, message);
        break;
      case 1:
        Refresh(ctx, message);
        break;
      case 2:
        Introspect(ctx, message);
        break;
      case 3:
        Revoke(ctx, message);
        break;
    }
  }

 private:
  template <typename Request>
  static bool Parse(absl::string_view message, Request* request) {
    return request->ParseFromArray(message.data(), static_cast<int>(message.size()));
  }

  // "#<digit><rest>": the digit-th token handed out so far, then <rest>.
  std::string Resolve(const std::string& token) const {
    if (tokens_.empty() || token.size() < 2 || token[0] != '#' || token[1] < '0' ||
        token[1] > '9') {
      return token;
    }
    return tokens_[static_cast<size_t>(token[1] - '0') % tokens_.size()] + token.substr(2);
  }

  void Keep(const service::IssuedTokens& issued) {
    tokens_.push_back(issued.access_token);
    if (!issued.refresh_token.empty()) tokens_.push_back(issued.refresh_token);
  }

  void Issue(const service::RequestContext& ctx, absl::string_view message) {
    v1::IssueRequest request;
    if (!Parse(message, &request)) return;
    absl::StatusOr<service::AuthorizedCall> call = service_->Authorize(ctx, service::Rpc::kIssue);
    if (!call.ok()) return CheckAnswer(call.status());
    absl::StatusOr<service::IssueParams> params = tokend::rpc::FromProto(request);
    if (!params.ok()) return CheckAnswer(params.status());
    absl::StatusOr<service::IssuedTokens> issued = service_->Issue(*call, *params);
    CheckAnswer(issued.status());
    if (!issued.ok()) return;
    v1::IssueResponse response;
    tokend::rpc::ToProto(*issued, &response);
    Keep(*issued);
  }

  void Refresh(const service::RequestContext& ctx, absl::string_view message) {
    v1::RefreshRequest request;
    if (!Parse(message, &request)) return;
    request.set_refresh_token(Resolve(request.refresh_token()));
    absl::StatusOr<service::AuthorizedCall> call = service_->Authorize(ctx, service::Rpc::kRefresh);
    if (!call.ok()) return CheckAnswer(call.status());
    absl::StatusOr<service::IssuedTokens> issued =
        service_->Refresh(*call, tokend::rpc::FromProto(request));
    CheckAnswer(issued.status());
    if (!issued.ok()) return;
    v1::RefreshResponse response;
    tokend::rpc::ToProto(*issued, &response);
    Keep(*issued);
  }

  void Introspect(const service::RequestContext& ctx, absl::string_view message) {
    v1::IntrospectRequest request;
    if (!Parse(message, &request)) return;
    request.set_token(Resolve(request.token()));
    absl::StatusOr<service::AuthorizedCall> call =
        service_->Authorize(ctx, service::Rpc::kIntrospect);
    if (!call.ok()) return CheckAnswer(call.status());
    absl::StatusOr<service::Introspection> result = service_->Introspect(
        *call, request.token(), tokend::rpc::FromProto(request.token_type_hint()));
    CheckAnswer(result.status());
    if (!result.ok()) return;
    v1::IntrospectResponse response;
    tokend::rpc::ToProto(*result, &response);
    if (result->active && !result->custom_claims_json.empty() && !response.has_claims()) {
      Fail("the custom claims of an active token do not convert back to a Struct");
    }
  }

  void Revoke(const service::RequestContext& ctx, absl::string_view message) {
    v1::RevokeRequest request;
    if (!Parse(message, &request)) return;
    if (request.has_token()) request.set_token(Resolve(request.token()));
    absl::StatusOr<service::AuthorizedCall> call = service_->Authorize(ctx, service::Rpc::kRevoke);
    if (!call.ok()) return CheckAnswer(call.status());
    absl::StatusOr<service::AdmittedRevoke> admitted =
        service_->AdmitRevoke(*call, tokend::rpc::FromProto(request));
    if (!admitted.ok()) return CheckAnswer(admitted.status());
    CheckAnswer(service_->Revoke(*admitted));
  }

  tokend::common::FakeClock clock_;
  tokend::testing::FakeRevocationStore revocations_;
  tokend::testing::FakeRefreshTokenStore refresh_tokens_{revocations_};
  service::RevocationSet revocation_set_;
  std::unique_ptr<service::TokenService> service_;
  std::vector<std::string> tokens_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Session session;
  while (size >= 3) {
    const uint8_t selector = data[0];
    const size_t length = std::min<size_t>(size - 3, data[1] | (size_t{data[2]} << 8));
    session.Call(selector, tokend::fuzz::AsText(data + 3, length));
    data += 3 + length;
    size -= 3 + length;
  }
  return 0;
}
