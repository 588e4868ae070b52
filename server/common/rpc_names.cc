#include "common/rpc_names.h"

namespace tokend::common {

absl::string_view RpcName(Rpc rpc) {
  switch (rpc) {
    case Rpc::kIssue:
      return "Issue";
    case Rpc::kRefresh:
      return "Refresh";
    case Rpc::kIntrospect:
      return "Introspect";
    case Rpc::kRevoke:
      return "Revoke";
    case Rpc::kGetJwks:
      return "GetJwks";
  }
  return "";
}

std::optional<Rpc> RpcFromName(absl::string_view name) {
  for (Rpc rpc : kAllRpcs) {
    if (RpcName(rpc) == name) return rpc;
  }
  return std::nullopt;
}

}  // namespace tokend::common
