#include "service/policy.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tokend::service {

absl::StatusOr<std::shared_ptr<const Policy>> Policy::New(std::vector<CallerPolicy> callers) {
  std::shared_ptr<Policy> policy(new Policy());
  policy->longest_max_ttl_ = absl::ZeroDuration();
  for (CallerPolicy& caller : callers) {
    if (caller.id.empty()) {
      return absl::InvalidArgumentError("callers: an id must not be empty");
    }
    if (caller.max_ttl <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat("callers: max_ttl of \"", caller.id, "\" must be positive"));
    }
    policy->longest_max_ttl_ = std::max(policy->longest_max_ttl_, caller.max_ttl);
    std::string id = caller.id;
    if (!policy->callers_.emplace(id, std::move(caller)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("callers: \"", id, "\" is listed more than once"));
    }
  }
  return std::shared_ptr<const Policy>(std::move(policy));
}

const CallerPolicy* Policy::Find(absl::string_view caller_id) const {
  auto it = callers_.find(caller_id);
  return it == callers_.end() ? nullptr : &it->second;
}

absl::StatusOr<const CallerPolicy*> Policy::Allow(absl::string_view caller_id, Rpc rpc) const {
  const CallerPolicy* caller = Find(caller_id);
  if (caller == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("caller \"", caller_id, "\" is not in the policy"));
  }
  if (!caller->rpcs.contains(rpc)) {
    return absl::PermissionDeniedError(
        absl::StrCat("caller \"", caller_id, "\" may not call ", RpcName(rpc)));
  }
  return caller;
}

}  // namespace tokend::service
