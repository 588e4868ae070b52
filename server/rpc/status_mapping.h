#ifndef TOKEND_SERVER_RPC_STATUS_MAPPING_H_
#define TOKEND_SERVER_RPC_STATUS_MAPPING_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace tokend::rpc {

// The one table that turns the service's absl::Status into the status a
// caller sees. Codes the API documents (docs/api.md) pass through with their
// message.
// Codes that can only mean a bug in tokend (UNKNOWN, INTERNAL, DATA_LOSS, ...)
// become INTERNAL with a generic message; the detail is logged, never sent.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace tokend::rpc

#endif  // TOKEND_SERVER_RPC_STATUS_MAPPING_H_
