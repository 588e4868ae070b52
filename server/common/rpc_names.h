#ifndef TOKEND_SERVER_COMMON_RPC_NAMES_H_
#define TOKEND_SERVER_COMMON_RPC_NAMES_H_

#include <optional>

#include "absl/strings/string_view.h"

namespace tokend::common {

// The API's RPCs. Here, below both, because the configuration names them in a
// caller's `rpcs` and the service checks calls against them.
enum class Rpc { kIssue, kRefresh, kIntrospect, kRevoke, kGetJwks, kWatchRevocations };

// Every Rpc, in the order of the API.
inline constexpr Rpc kAllRpcs[] = {Rpc::kIssue,  Rpc::kRefresh, Rpc::kIntrospect,
                                   Rpc::kRevoke, Rpc::kGetJwks, Rpc::kWatchRevocations};

// The method's name in the proto service: "Issue", "Refresh", "Introspect",
// "Revoke", "GetJwks", "WatchRevocations".
absl::string_view RpcName(Rpc rpc);

// Inverse of RpcName; exact, case-sensitive match.
std::optional<Rpc> RpcFromName(absl::string_view name);

}  // namespace tokend::common

#endif  // TOKEND_SERVER_COMMON_RPC_NAMES_H_
