#ifndef TOKEND_SERVER_RPC_PROTO_CONVERSION_H_
#define TOKEND_SERVER_RPC_PROTO_CONVERSION_H_

#include "absl/status/statusor.h"
#include "service/token_service.h"
#include "tokend/v1/token_service.pb.h"

namespace tokend::rpc {

// Translations between the wire messages and the service's plain structs.
// Only shape is checked here (what cannot be expressed in the service's
// types); every business rule is the service's.

// INVALID_ARGUMENT "claims: ..." when the Struct has no JSON form (NaN,
// infinity, a value with no kind).
absl::StatusOr<service::IssueParams> FromProto(const v1::IssueRequest& request);
service::RefreshParams FromProto(const v1::RefreshRequest& request);
service::RevokeParams FromProto(const v1::RevokeRequest& request);
service::TokenType FromProto(v1::TokenType type);

void ToProto(const service::IssuedTokens& issued, v1::IssueResponse* response);
void ToProto(const service::IssuedTokens& issued, v1::RefreshResponse* response);
// An inactive introspection leaves every field but `active` unset.
void ToProto(const service::Introspection& introspection, v1::IntrospectResponse* response);
// A revocation of the view as watchers see it: revoked_before only for a
// subject (the view keeps no revocation time of tokens and families).
void ToProto(const store::Revocation& revocation, v1::WatchedRevocation* out);

}  // namespace tokend::rpc

#endif  // TOKEND_SERVER_RPC_PROTO_CONVERSION_H_
