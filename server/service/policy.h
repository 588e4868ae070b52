#ifndef TOKEND_SERVER_SERVICE_POLICY_H_
#define TOKEND_SERVER_SERVICE_POLICY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/rpc_names.h"

namespace tokend::service {

using common::Rpc;
using common::RpcFromName;
using common::RpcName;

// What one caller may do. Plain data; main.cc fills it from the configuration.
struct CallerPolicy {
  std::string id;  // URI SAN, else DNS SAN, else CN of the client certificate
  absl::flat_hash_set<Rpc> rpcs;
  bool issue_for_others = false;  // may set IssueRequest.subject to another subject
  absl::flat_hash_set<std::string> audiences;
  absl::flat_hash_set<std::string> scopes;
  absl::Duration max_ttl;  // longest access token it may ask for
  // Introspect answers active only for tokens whose audience includes one of
  // `audiences`; any other token is `active: false` to this caller, so that
  // it cannot read the claims of tokens meant for others.
  bool introspect_own_audiences_only = false;
};

// The caller policy: who may call what. Immutable and thread-safe.
class Policy {
 public:
  // INVALID_ARGUMENT naming the caller when an id is empty or repeated, or a
  // max_ttl is not positive.
  static absl::StatusOr<std::shared_ptr<const Policy>> New(std::vector<CallerPolicy> callers);

  // The policy of `caller_id`, or nullptr if the policy does not name it.
  const CallerPolicy* Find(absl::string_view caller_id) const;

  // The policy of `caller_id` if it is named and may call `rpc` (never
  // null); PERMISSION_DENIED naming the caller and the RPC otherwise.
  absl::StatusOr<const CallerPolicy*> Allow(absl::string_view caller_id, Rpc rpc) const;

  // The longest max_ttl of any caller: how long any access token can live.
  absl::Duration longest_max_ttl() const { return longest_max_ttl_; }

 private:
  Policy() = default;
  absl::flat_hash_map<std::string, CallerPolicy> callers_;
  absl::Duration longest_max_ttl_;
};

}  // namespace tokend::service

#endif  // TOKEND_SERVER_SERVICE_POLICY_H_
