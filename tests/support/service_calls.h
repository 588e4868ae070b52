#ifndef TOKEND_TESTS_SUPPORT_SERVICE_CALLS_H_
#define TOKEND_TESTS_SUPPORT_SERVICE_CALLS_H_

// The service's RPCs called as the RPC layer calls them: authorize the caller
// for the RPC once, then run it with the authorized call. A caller the policy
// refuses gets Authorize's PERMISSION_DENIED, as over gRPC.

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/token_service.h"

namespace tokend::testing {

inline absl::StatusOr<service::AuthorizedCall> AuthorizeAs(service::TokenService& service,
                                                           absl::string_view caller,
                                                           service::Rpc rpc) {
  return service.Authorize(service::RequestContext{.caller_id = std::string(caller)}, rpc);
}

inline absl::StatusOr<service::IssuedTokens> IssueAs(service::TokenService& service,
                                                     absl::string_view caller,
                                                     const service::IssueParams& params) {
  auto call = AuthorizeAs(service, caller, service::Rpc::kIssue);
  if (!call.ok()) return call.status();
  return service.Issue(*call, params);
}

inline absl::StatusOr<service::IssuedTokens> RefreshAs(service::TokenService& service,
                                                       absl::string_view caller,
                                                       const service::RefreshParams& params) {
  auto call = AuthorizeAs(service, caller, service::Rpc::kRefresh);
  if (!call.ok()) return call.status();
  return service.Refresh(*call, params);
}

inline absl::StatusOr<service::Introspection> IntrospectAs(
    service::TokenService& service, absl::string_view caller, absl::string_view token,
    service::TokenType hint = service::TokenType::kUnspecified) {
  auto call = AuthorizeAs(service, caller, service::Rpc::kIntrospect);
  if (!call.ok()) return call.status();
  return service.Introspect(*call, token, hint);
}

inline absl::Status RevokeAs(service::TokenService& service, absl::string_view caller,
                             const service::RevokeParams& params) {
  auto call = AuthorizeAs(service, caller, service::Rpc::kRevoke);
  if (!call.ok()) return call.status();
  return service.Revoke(*call, params);
}

}  // namespace tokend::testing

#endif  // TOKEND_TESTS_SUPPORT_SERVICE_CALLS_H_
