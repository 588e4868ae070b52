#ifndef TOKEND_SERVER_RPC_INTERCEPTORS_H_
#define TOKEND_SERVER_RPC_INTERCEPTORS_H_

#include <grpcpp/security/auth_context.h>
#include <grpcpp/support/server_interceptor.h>

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "ops/metrics.h"

namespace tokend::rpc {

// Interceptors for every call on the API port:
//  - a request that does not parse as its message (for example a string
//    field that is not UTF-8) reaches no handler, and gRPC's callback API
//    answers it UNIMPLEMENTED with no message; it is answered
//    INVALID_ARGUMENT "request: not a valid <method> message" instead --
//    unless `authorize` (if set) refuses the caller that RPC, which is then
//    answered with its PERMISSION_DENIED: whether the caller may call the
//    RPC at all is checked before its request is read (docs/api.md);
//  - every call's method, status code and latency go to `metrics` (if not null).
// `metrics` and whatever `authorize` uses must outlive the server.
// `authorize` gets the call's auth context and the method's short name
// ("Issue") and answers OK or PERMISSION_DENIED.
using MethodAuthorizer =
    std::function<absl::Status(const grpc::AuthContext& auth, absl::string_view method)>;
std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
MakeServerInterceptors(ops::Metrics* metrics, MethodAuthorizer authorize = nullptr);

}  // namespace tokend::rpc

#endif  // TOKEND_SERVER_RPC_INTERCEPTORS_H_
