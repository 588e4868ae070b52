#include "common/rpc_names.h"

#include <iterator>

namespace tokend::common {

namespace {

// In the order of Rpc's enumerators.
constexpr absl::string_view kNames[] = {"Issue",  "Refresh", "Introspect",
                                        "Revoke", "GetJwks", "WatchRevocations"};

}  // namespace

absl::string_view RpcName(Rpc rpc) {
  const size_t i = static_cast<size_t>(rpc);
  return i < std::size(kNames) ? kNames[i] : "";
}

std::optional<Rpc> RpcFromName(absl::string_view name) {
  for (Rpc rpc : kAllRpcs) {
    if (RpcName(rpc) == name) return rpc;
  }
  return std::nullopt;
}

}  // namespace tokend::common
