// Durability across restarts: whatever tokend answered OK for is in
// PostgreSQL, so killing tokend (SIGKILL: nothing flushed on the way out) and
// restarting PostgreSQL loses none of it.

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/api/api_test_util.h"

namespace tokend::testing {
namespace {

TEST(Restart, RevocationsAndRefreshStateSurviveSigkillAndADatabaseRestart) {
  // Without a retry window, so that the remembered rotation shows as reuse.
  TokendConfig config = Bed().Config();
  config.refresh_retry_window = "0s";
  absl::StatusOr<std::unique_ptr<TokendServer>> server = Bed().StartServer(config);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string config_path = (*server)->config_path();
  std::unique_ptr<client::TokenClient> c = ClientFor(**server, Bed().pki().client_uri());

  const std::string subject = Unique("kate");
  absl::StatusOr<v1::IssueResponse> revoked_access = c->Issue(IssueRequest({"api://orders"}));
  absl::StatusOr<v1::IssueResponse> revoked_family =
      c->Issue(IssueRequest({"api://orders"}, {}, true));
  absl::StatusOr<v1::IssueResponse> rotated = c->Issue(IssueRequest({"api://orders"}, {}, true));
  absl::StatusOr<v1::IssueResponse> of_subject =
      c->Issue(IssueRequest({"api://orders"}, {}, true, subject));
  absl::StatusOr<v1::IssueResponse> untouched =
      c->Issue(IssueRequest({"api://orders"}, {"orders:read"}, true));
  ASSERT_TRUE(revoked_access.ok() && revoked_family.ok() && rotated.ok() && of_subject.ok() &&
              untouched.ok());

  ASSERT_TRUE(c->Revoke(RevokeTokenRequest(revoked_access->access_token())).ok());
  ASSERT_TRUE(c->Revoke(RevokeTokenRequest(revoked_family->refresh_token())).ok());
  absl::StatusOr<v1::RefreshResponse> successor =
      c->Refresh(RefreshRequest(rotated->refresh_token()));
  ASSERT_TRUE(successor.ok()) << successor.status();
  ASSERT_TRUE(c->Revoke(RevokeSubjectRequest(subject)).ok());

  // No goodbye: SIGKILL right after the answers; then PostgreSQL restarts too.
  (*server)->Kill();
  c.reset();
  ASSERT_TRUE(Cluster().Restart().ok());
  server = TokendServer::Start(config_path);
  ASSERT_TRUE(server.ok()) << server.status();
  c = ClientFor(**server, Bed().pki().client_uri());

  EXPECT_TRUE(IntrospectsBareInactive(*c, revoked_access->access_token()));
  EXPECT_TRUE(IntrospectsBareInactive(*c, revoked_family->access_token()));
  EXPECT_TRUE(IntrospectsBareInactive(*c, revoked_family->refresh_token()));
  EXPECT_TRUE(HasCode(c->Refresh(RefreshRequest(revoked_family->refresh_token())).status(),
                      absl::StatusCode::kUnauthenticated));
  EXPECT_TRUE(IntrospectsBareInactive(*c, of_subject->access_token()));
  EXPECT_TRUE(IntrospectsBareInactive(*c, of_subject->refresh_token()));

  // What was not revoked is still good, with the same key.
  EXPECT_TRUE(IsActive(*c, untouched->access_token()));
  EXPECT_TRUE(IsActive(*c, untouched->refresh_token()));
  absl::StatusOr<v1::RefreshResponse> refreshed =
      c->Refresh(RefreshRequest(untouched->refresh_token()));
  ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  EXPECT_EQ(Introspect(*c, refreshed->access_token()).scopes_size(), 1);

  // The rotation was remembered: the old token is used, its successor
  // redeemable, and redeeming the old one again is reuse.
  EXPECT_TRUE(IntrospectsBareInactive(*c, rotated->refresh_token()));
  EXPECT_TRUE(IsActive(*c, successor->refresh_token()));
  EXPECT_TRUE(HasCode(c->Refresh(RefreshRequest(rotated->refresh_token())).status(),
                      absl::StatusCode::kUnauthenticated));
  EXPECT_TRUE(IntrospectsBareInactive(*c, successor->refresh_token()));
  EXPECT_TRUE(IntrospectsBareInactive(*c, successor->access_token()));

  // The default server of this binary lived through the database restart too.
  absl::StatusOr<v1::IssueResponse> after =
      Caller().Issue(IssueRequest({"api://orders"}, {}, true));
  const absl::Time give_up = absl::Now() + absl::Seconds(15);
  while (!after.ok() && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(200));
    after = Caller().Issue(IssueRequest({"api://orders"}, {}, true));
  }
  EXPECT_TRUE(after.ok()) << after.status();
}

}  // namespace
}  // namespace tokend::testing
