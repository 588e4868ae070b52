#ifndef TOKEND_SERVER_RPC_INTERCEPTORS_H_
#define TOKEND_SERVER_RPC_INTERCEPTORS_H_

#include <memory>
#include <vector>

#include <grpcpp/support/server_interceptor.h>

#include "ops/metrics.h"

namespace tokend::rpc {

// Interceptors for every call on the API port:
//  - a request that does not parse as its message (for example a string
//    field that is not UTF-8) reaches no handler, and gRPC's callback API
//    answers it UNIMPLEMENTED with no message; it is answered
//    INVALID_ARGUMENT "request: not a valid <method> message" instead;
//  - every call's method, status code and latency go to `metrics` (if not null).
// `metrics` must outlive the server.
std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
MakeServerInterceptors(ops::Metrics* metrics);

// The canonical name of a gRPC status code: "OK", "INVALID_ARGUMENT", ...
const char* StatusCodeName(grpc::StatusCode code);

}  // namespace tokend::rpc

#endif  // TOKEND_SERVER_RPC_INTERCEPTORS_H_
