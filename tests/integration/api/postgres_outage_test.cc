// PostgreSQL goes away under a running tokend: calls that need it answer
// UNAVAILABLE within their deadline and write nothing, calls that do not
// need it keep working, and once PostgreSQL is back the same calls succeed
// without restarting tokend. A tokend started while PostgreSQL is still down
// waits for it.

#include <iostream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/api/api_test_util.h"

namespace tokend::testing {
namespace {

constexpr absl::Duration kCallTimeout = absl::Seconds(5);

// Starts PostgreSQL again if a test left it stopped.
struct RestartPostgresOnExit {
  ~RestartPostgresOnExit() {
    if (!Cluster().running()) {
      absl::Status s = Cluster().StartAgain();
      EXPECT_TRUE(s.ok()) << s;
    }
  }
};

std::string Families() {
  absl::StatusOr<std::string> n =
      Cluster().Psql("tokend_api", "SELECT count(*) FROM refresh_families");
  EXPECT_TRUE(n.ok()) << n.status();
  return n.ok() ? std::string(absl::StripAsciiWhitespace(*n)) : "";
}

// Runs `call` (returning a status) and checks it is UNAVAILABLE and came
// back well within the call's deadline.
template <typename Call>
void ExpectUnavailableInTime(const char* what, Call call) {
  const absl::Time start = absl::Now();
  absl::Status status = call();
  const absl::Duration took = absl::Now() - start;
  EXPECT_TRUE(HasCode(status, absl::StatusCode::kUnavailable)) << what;
  EXPECT_LT(took, kCallTimeout) << what << " took " << took;
}

TEST(PostgresOutage, CallsNeedingTheDatabaseAreUnavailableAndRecoverWithoutARestart) {
  RestartPostgresOnExit restart_postgres;
  std::unique_ptr<client::TokenClient> c = ClientFor(Bed().pki().client_uri(), kCallTimeout);
  absl::StatusOr<v1::IssueResponse> family =
      c->Issue(IssueRequest({"api://orders"}, {"orders:read"}, true));
  absl::StatusOr<v1::IssueResponse> access = c->Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(family.ok() && access.ok());
  const std::string subject = Unique("leo");
  absl::StatusOr<v1::IssueResponse> of_subject =
      c->Issue(IssueRequest({"api://orders"}, {}, false, subject));
  ASSERT_TRUE(of_subject.ok());
  const std::string families_before = Families();
  absl::StatusOr<HttpResponse> ready = HttpGet(Server().ops_port(), "/readyz");
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(ready->status, 200);

  ASSERT_TRUE(Cluster().Stop().ok());

  ExpectUnavailableInTime("Issue with a refresh token", [&] {
    return c->Issue(IssueRequest({"api://orders"}, {}, true)).status();
  });
  ExpectUnavailableInTime(
      "Refresh", [&] { return c->Refresh(RefreshRequest(family->refresh_token())).status(); });
  ExpectUnavailableInTime("Revoke of an access token", [&] {
    return c->Revoke(RevokeTokenRequest(access->access_token())).status();
  });
  ExpectUnavailableInTime("Revoke of a refresh token", [&] {
    return c->Revoke(RevokeTokenRequest(family->refresh_token())).status();
  });
  ExpectUnavailableInTime("Revoke of a subject",
                          [&] { return c->Revoke(RevokeSubjectRequest(subject)).status(); });
  ExpectUnavailableInTime("Introspect of a refresh token", [&] {
    return c->Introspect(IntrospectRequest(family->refresh_token())).status();
  });

  // What needs no database still works, and the failed revocations were not
  // applied in memory either.
  EXPECT_TRUE(IsActive(*c, access->access_token()));
  EXPECT_TRUE(IsActive(*c, family->access_token()));
  EXPECT_TRUE(IsActive(*c, of_subject->access_token()));
  EXPECT_TRUE(c->Issue(IssueRequest({"api://orders"})).ok());
  EXPECT_TRUE(c->GetJwks(v1::GetJwksRequest()).ok());
  absl::StatusOr<client::ServingStatus> health = c->CheckHealth();
  EXPECT_TRUE(health.ok()) << health.status();
  // The ops port: alive, but not ready.
  absl::StatusOr<HttpResponse> healthz = HttpGet(Server().ops_port(), "/healthz");
  ASSERT_TRUE(healthz.ok()) << healthz.status();
  EXPECT_EQ(healthz->status, 200);
  ready = HttpGet(Server().ops_port(), "/readyz");
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(ready->status, 503);

  ASSERT_TRUE(Cluster().StartAgain().ok());
  // Nothing half-written while it was down.
  EXPECT_EQ(Families(), families_before);

  // The same calls succeed again, without restarting tokend. Connections
  // broken by the outage may cost a failed call or two while the pool
  // replaces them.
  const absl::Time back = absl::Now();
  int attempts = 0;
  absl::StatusOr<v1::IssueResponse> issued;
  do {
    ++attempts;
    issued = c->Issue(IssueRequest({"api://orders"}, {}, true));
    if (!issued.ok()) {
      EXPECT_TRUE(HasCode(issued.status(), absl::StatusCode::kUnavailable));
      absl::SleepFor(absl::Milliseconds(100));
    }
  } while (!issued.ok() && absl::Now() - back < absl::Seconds(15));
  ASSERT_TRUE(issued.ok()) << issued.status();
  std::cerr << "[outage] Issue succeeded again after " << attempts << " attempt(s), "
            << absl::FormatDuration(absl::Now() - back) << "\n";

  EXPECT_TRUE(IsActive(*c, family->refresh_token())) << "the failed Refresh used nothing up";
  absl::StatusOr<v1::RefreshResponse> refreshed =
      c->Refresh(RefreshRequest(family->refresh_token()));
  EXPECT_TRUE(refreshed.ok()) << refreshed.status();
  EXPECT_TRUE(c->Revoke(RevokeTokenRequest(access->access_token())).ok());
  EXPECT_TRUE(IntrospectsBareInactive(*c, access->access_token()));
  EXPECT_TRUE(c->Revoke(RevokeSubjectRequest(subject)).ok());
  EXPECT_TRUE(IntrospectsBareInactive(*c, of_subject->access_token()));
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  do {
    ready = HttpGet(Server().ops_port(), "/readyz");
    if (ready.ok() && ready->status == 200) break;
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < give_up);
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status, 200);
}

TEST(PostgresOutage, AServerStartedWhilePostgresIsDownWaitsForItThenServes) {
  RestartPostgresOnExit restart_postgres;
  ASSERT_TRUE(Cluster().Stop().ok());
  std::thread bring_back([] {
    absl::SleepFor(absl::Seconds(3));
    absl::Status s = Cluster().StartAgain();
    EXPECT_TRUE(s.ok()) << s;
  });
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<TokendServer>> server = Bed().StartServer();
  bring_back.join();
  ASSERT_TRUE(server.ok()) << server.status();
  std::cerr << "[outage] serving " << absl::FormatDuration(absl::Now() - start)
            << " after start, PostgreSQL back after 3s\n";
  EXPECT_NE((*server)->log().find("database not reachable yet; retrying"), std::string::npos)
      << (*server)->log();
  absl::StatusOr<std::unique_ptr<client::TokenClient>> c = Bed().Client(**server);
  ASSERT_TRUE(c.ok()) << c.status();
  absl::StatusOr<v1::IssueResponse> issued = (*c)->Issue(IssueRequest({"api://orders"}, {}, true));
  EXPECT_TRUE(issued.ok()) << issued.status();
}

}  // namespace
}  // namespace tokend::testing
