#include "service/policy.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tokend::service {
namespace {

using ::testing::HasSubstr;

CallerPolicy Caller(std::string id, absl::Duration max_ttl = absl::Hours(1)) {
  CallerPolicy caller;
  caller.id = std::move(id);
  caller.rpcs = {Rpc::kIssue, Rpc::kIntrospect};
  caller.max_ttl = max_ttl;
  return caller;
}

TEST(RpcNames, RoundTripEveryRpcAndRejectNearMisses) {
  for (Rpc rpc : {Rpc::kIssue, Rpc::kRefresh, Rpc::kIntrospect, Rpc::kRevoke, Rpc::kGetJwks}) {
    EXPECT_EQ(RpcFromName(RpcName(rpc)), rpc);
  }
  EXPECT_FALSE(RpcFromName("issue").has_value());
  EXPECT_FALSE(RpcFromName("GetJWKS").has_value());
  EXPECT_FALSE(RpcFromName("").has_value());
}

TEST(Policy, AllowsANamedCallerOnlyTheRpcsItLists) {
  auto policy = Policy::New({Caller("spiffe://a")});
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_TRUE((*policy)->Allow("spiffe://a", Rpc::kIssue).ok());
  absl::Status denied = (*policy)->Allow("spiffe://a", Rpc::kRevoke).status();
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(denied.message(), HasSubstr("Revoke"));
}

TEST(Policy, DeniesACallerItDoesNotName) {
  auto policy = Policy::New({Caller("spiffe://a")});
  ASSERT_TRUE(policy.ok());
  EXPECT_EQ((*policy)->Allow("spiffe://b", Rpc::kIssue).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ((*policy)->Find("spiffe://b"), nullptr);
  // Identities are compared exactly: no case folding, no prefix match.
  EXPECT_EQ((*policy)->Find("SPIFFE://a"), nullptr);
  EXPECT_EQ((*policy)->Find("spiffe://a/"), nullptr);
}

TEST(Policy, RejectsEmptyOrRepeatedIdsAndNonPositiveMaxTtl) {
  EXPECT_EQ(Policy::New({Caller("")}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Policy::New({Caller("a"), Caller("a")}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Policy::New({Caller("a", absl::ZeroDuration())}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Policy, KnowsTheLongestMaxTtlOfAnyCaller) {
  auto policy = Policy::New({Caller("a", absl::Minutes(5)), Caller("b", absl::Hours(2))});
  ASSERT_TRUE(policy.ok());
  EXPECT_EQ((*policy)->longest_max_ttl(), absl::Hours(2));
}

}  // namespace
}  // namespace tokend::service
