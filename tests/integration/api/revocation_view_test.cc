// A replica's revocation view under faults: a replica whose LISTEN session is
// gone keeps catching up through its pool, and one that cannot read
// revocations at all stops vouching for access tokens (UNAVAILABLE, /readyz
// 503, health NOT_SERVING) until it catches up again, by itself.

#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/api/api_test_util.h"
#include "tests/support/pg_proxy/pg_proxy.h"

namespace tokend::testing {
namespace {

// Starts PostgreSQL again if a test left it stopped.
struct RestartPostgresOnExit {
  ~RestartPostgresOnExit() {
    if (!Cluster().running()) {
      absl::Status s = Cluster().StartAgain();
      EXPECT_TRUE(s.ok()) << s;
    }
  }
};

// The number of rows of `from` ("table WHERE ...") in the test database.
int64_t CountRows(absl::string_view from) {
  absl::StatusOr<std::string> n =
      Cluster().Psql("tokend_api", absl::StrCat("SELECT count(*) FROM ", from));
  int64_t count = -1;
  EXPECT_TRUE(n.ok()) << n.status();
  if (n.ok()) EXPECT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(*n), &count)) << *n;
  return count;
}

int64_t CountSessions(absl::string_view where) {
  return CountRows(absl::StrCat("pg_stat_activity WHERE ", where));
}

// Calls `probe` until it returns true or `timeout` passes; how long it took.
template <typename Probe>
std::optional<absl::Duration> TimeUntil(Probe probe, absl::Duration timeout) {
  const absl::Time start = absl::Now();
  while (absl::Now() - start < timeout) {
    if (probe()) return absl::Now() - start;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return std::nullopt;
}

int ReadyzStatus(const TokendServer& server) {
  absl::StatusOr<HttpResponse> ready = HttpGet(server.ops_port(), "/readyz", absl::Seconds(5));
  return ready.ok() ? ready->status : 0;
}

bool HealthIs(client::TokenClient& client, client::ServingStatus want) {
  for (const char* service : {"", "tokend.v1.TokenService"}) {
    absl::StatusOr<client::ServingStatus> health = client.CheckHealth(service);
    if (!health.ok() || *health != want) return false;
  }
  return true;
}

// A configuration whose replica connects as its own role `role` (created
// here), so that its LISTEN session alone can be kept out (KeepFeedOut)
// while its pool stays connected.
TokendConfig ConfigWithOwnRole(absl::string_view role) {
  absl::StatusOr<std::string> made = Cluster().Psql(
      "tokend_api",
      absl::StrCat("CREATE ROLE ", role, " LOGIN; GRANT USAGE ON SCHEMA public TO ", role,
                   "; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "
                   "public TO ",
                   role));
  EXPECT_TRUE(made.ok()) << made.status();
  TokendConfig config = Bed().Config();
  config.dsn =
      absl::StrCat("host=127.0.0.1 port=", Cluster().port(), " user=", role, " dbname=tokend_api");
  return config;
}

std::string FeedSessionOf(absl::string_view role) {
  return absl::StrCat("usename = '", role, "' AND application_name = 'tokend-feed'");
}

// Leaves `role` no room for more sessions than its pool holds now, and ends
// its feed's LISTEN session. False (the test has failed) when it could not.
bool KeepFeedOut(absl::string_view role) {
  const int64_t pool_sessions =
      CountSessions(absl::StrCat("usename = '", role, "' AND application_name <> 'tokend-feed'"));
  EXPECT_GE(pool_sessions, 1);
  absl::StatusOr<std::string> done = Cluster().Psql(
      "tokend_api", absl::StrCat("ALTER ROLE ", role, " CONNECTION LIMIT ", pool_sessions,
                                 "; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE ",
                                 FeedSessionOf(role)));
  EXPECT_TRUE(done.ok()) << done.status();
  absl::SleepFor(absl::Seconds(1));
  const int64_t feeds = CountSessions(FeedSessionOf(role));
  EXPECT_EQ(feeds, 0);
  return pool_sessions >= 1 && done.ok() && feeds == 0;
}

TEST(RevocationView, AReplicaThatCannotListenCatchesUpAndOneThatCannotReadStopsVouching) {
  RestartPostgresOnExit restart_postgres;
  TokendConfig config_a = ConfigWithOwnRole("tokend_a");
  config_a.revocation_max_staleness = "3s";
  absl::StatusOr<std::unique_ptr<TokendServer>> a = Bed().StartServer(config_a);
  ASSERT_TRUE(a.ok()) << a.status();
  absl::StatusOr<std::unique_ptr<TokendServer>> b = Bed().StartServer();
  ASSERT_TRUE(b.ok()) << b.status();
  std::unique_ptr<client::TokenClient> ca = ClientFor(**a, Bed().pki().client_uri());
  std::unique_ptr<client::TokenClient> cb = ClientFor(**b, Bed().pki().client_uri());
  ASSERT_TRUE(ca != nullptr && cb != nullptr);

  const std::string kFeedOfA = FeedSessionOf("tokend_a");
  ASSERT_TRUE(TimeUntil([&] { return CountSessions(kFeedOfA) == 1; }, absl::Seconds(10)));
  absl::StatusOr<v1::IssueResponse> issued = cb->Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(issued.ok()) << issued.status();
  ASSERT_TRUE(IsActive(*ca, issued->access_token()));

  // Keep A's LISTEN session out: no room for another session of its role.
  ASSERT_TRUE(KeepFeedOut("tokend_a"));

  // A revocation through B takes effect on A within 2 s, with nothing listening.
  ASSERT_TRUE(cb->Revoke(RevokeTokenRequest(issued->access_token())).ok());
  std::optional<absl::Duration> took =
      TimeUntil([&] { return !IsActive(*ca, issued->access_token()); }, absl::Seconds(2));
  ASSERT_TRUE(took.has_value()) << "revoked token still active on A after 2 s";
  std::cerr << "[view] revoked through B, inactive on A (not listening) after "
            << absl::FormatDuration(*took) << "\n";
  EXPECT_EQ(CountSessions(kFeedOfA), 0) << "the test meant A not to listen";
  EXPECT_EQ(ReadyzStatus(**a), 200);
  EXPECT_TRUE(HealthIs(*ca, client::ServingStatus::kServing));
  ASSERT_TRUE(Cluster().Psql("tokend_api", "ALTER ROLE tokend_a CONNECTION LIMIT -1").ok());

  // No database at all: past the bound (3 s) A no longer vouches for access
  // tokens, and says so to probes; garbage is still plainly inactive.
  absl::StatusOr<v1::IssueResponse> live = ca->Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(live.ok()) << live.status();
  ASSERT_TRUE(Cluster().Stop().ok());
  const absl::Time stopped = absl::Now();
  took = TimeUntil(
      [&] {
        return HasCode(ca->Introspect(IntrospectRequest(live->access_token())).status(),
                       absl::StatusCode::kUnavailable);
      },
      absl::Seconds(10));
  ASSERT_TRUE(took.has_value()) << "A still vouches 10 s into the outage";
  std::cerr << "[view] A answers UNAVAILABLE " << absl::FormatDuration(absl::Now() - stopped)
            << " into the outage\n";
  EXPECT_GE(absl::Now() - stopped, absl::Seconds(2));
  EXPECT_EQ(ReadyzStatus(**a), 503);
  EXPECT_TRUE(TimeUntil([&] { return HealthIs(*ca, client::ServingStatus::kNotServing); },
                        absl::Seconds(2)));
  EXPECT_TRUE(IntrospectsBareInactive(*ca, "not-a-token"));

  // Back: A serves again by itself.
  ASSERT_TRUE(Cluster().StartAgain().ok());
  took = TimeUntil(
      [&] {
        absl::StatusOr<v1::IntrospectResponse> seen =
            ca->Introspect(IntrospectRequest(live->access_token()));
        return seen.ok() && seen->active();
      },
      absl::Seconds(15));
  ASSERT_TRUE(took.has_value()) << "A did not recover within 15 s";
  std::cerr << "[view] A vouches again " << absl::FormatDuration(*took)
            << " after PostgreSQL is back\n";
  EXPECT_TRUE(TimeUntil([&] { return ReadyzStatus(**a) == 200; }, absl::Seconds(10)));
  EXPECT_TRUE(
      TimeUntil([&] { return HealthIs(*ca, client::ServingStatus::kServing); }, absl::Seconds(5)));
}

// While a replica cannot listen (as right after PostgreSQL comes back, when
// its LISTEN session waits out its reconnect backoff), each revocation made
// through another replica reaches it well within a second: every one of ten,
// made at unrelated moments of its read cycle.
TEST(RevocationView, EveryRevocationReachesAReplicaThatCannotListenWellWithinASecond) {
  absl::StatusOr<std::unique_ptr<TokendServer>> c =
      Bed().StartServer(ConfigWithOwnRole("tokend_c"));
  ASSERT_TRUE(c.ok()) << c.status();
  std::unique_ptr<client::TokenClient> cc = ClientFor(**c, Bed().pki().client_uri());
  ASSERT_TRUE(cc != nullptr);
  ASSERT_TRUE(
      TimeUntil([&] { return CountSessions(FeedSessionOf("tokend_c")) == 1; }, absl::Seconds(10)));
  // A token proves the pool has a session; then no room for the feed's.
  absl::StatusOr<v1::IssueResponse> warm = cc->Issue(IssueRequest({"api://orders"}, {}, true));
  ASSERT_TRUE(warm.ok()) << warm.status();
  ASSERT_TRUE(KeepFeedOut("tokend_c"));

  absl::Duration slowest;
  for (int i = 0; i < 10; ++i) {
    absl::StatusOr<v1::IssueResponse> issued = Caller().Issue(IssueRequest({"api://orders"}));
    ASSERT_TRUE(issued.ok()) << issued.status();
    ASSERT_TRUE(Caller().Revoke(RevokeTokenRequest(issued->access_token())).ok());
    const absl::Time revoked = absl::Now();
    ASSERT_FALSE(WaitUntilActiveIs(*cc, issued->access_token(), false, absl::Seconds(3)));
    slowest = std::max(slowest, absl::Now() - revoked);
    absl::SleepFor(absl::Milliseconds(137));  // another moment of the read cycle
  }
  std::cerr << "[view] slowest of ten revocations to reach a replica that cannot listen: "
            << absl::FormatDuration(slowest) << "\n";
  EXPECT_LT(slowest, absl::Milliseconds(600));
  EXPECT_EQ(CountSessions(FeedSessionOf("tokend_c")), 0) << "the test meant C not to listen";
  ASSERT_TRUE(Cluster().Psql("tokend_api", "ALTER ROLE tokend_c CONNECTION LIMIT -1").ok());
}

TEST(RevocationView, ARefreshRetriedThroughAnotherReplicaGetsTheSameSuccessor) {
  absl::StatusOr<std::unique_ptr<TokendServer>> a = Bed().StartServer();
  ASSERT_TRUE(a.ok()) << a.status();
  std::unique_ptr<client::TokenClient> ca = ClientFor(**a, Bed().pki().client_uri());
  absl::StatusOr<v1::IssueResponse> issued =
      Caller().Issue(IssueRequest({"api://orders"}, {"orders:read"}, true));
  ASSERT_TRUE(issued.ok()) << issued.status();
  absl::StatusOr<v1::RefreshResponse> first =
      Caller().Refresh(RefreshRequest(issued->refresh_token()));
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<v1::RefreshResponse> retried =
      ca->Refresh(RefreshRequest(issued->refresh_token()));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->refresh_token(), first->refresh_token());
  EXPECT_TRUE(IsActive(*ca, first->refresh_token()));
}

// Another session holds the token's row lock past the caller's deadline, so
// the caller never learns whether its Refresh committed; its retry must
// still succeed, and the family stay usable (not be taken as reuse).
TEST(RefreshRetry, ARefreshWhoseAnswerWasLostBehindARowLockSucceedsWhenRetried) {
  absl::StatusOr<v1::IssueResponse> issued =
      Caller().Issue(IssueRequest({"api://orders"}, {"orders:read"}, true));
  ASSERT_TRUE(issued.ok()) << issued.status();
  std::thread locker([] {
    absl::StatusOr<std::string> held = Cluster().Psql(
        "tokend_api",
        "BEGIN; SELECT count(*) FROM (SELECT 1 FROM refresh_tokens FOR UPDATE) AS locked; "
        "SELECT pg_sleep(1.9); COMMIT;");
    EXPECT_TRUE(held.ok()) << held.status();
  });
  EXPECT_TRUE(TimeUntil(
      [] {
        return CountSessions(
                   "query LIKE '%pg_sleep(1.9)%' AND state = 'active' AND "
                   "pid <> pg_backend_pid()") == 1;
      },
      absl::Seconds(10)));
  std::unique_ptr<client::TokenClient> impatient =
      ClientFor(Server(), Bed().pki().client_uri(), absl::Milliseconds(1500));
  absl::StatusOr<v1::RefreshResponse> lost =
      impatient->Refresh(RefreshRequest(issued->refresh_token()));
  locker.join();
  EXPECT_FALSE(lost.ok()) << "the row lock was not in the way";
  absl::StatusOr<v1::RefreshResponse> retried =
      Caller().Refresh(RefreshRequest(issued->refresh_token()));
  ASSERT_TRUE(retried.ok()) << retried.status();
  absl::StatusOr<v1::RefreshResponse> next =
      Caller().Refresh(RefreshRequest(retried->refresh_token()));
  EXPECT_TRUE(next.ok()) << next.status();
}

// The rotation commits, and the connection breaks before tokend hears so:
// the caller is told UNAVAILABLE, its retry gets the successor the
// rotation stored, and that successor is redeemable once, like any other.
TEST(RefreshRetry, ARotationCommittedButCutOffBeforeItsAnswerIsRedeemedAgainOnRetry) {
  absl::StatusOr<std::unique_ptr<PgProxy>> proxy = PgProxy::Start(Cluster().port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  TokendConfig config = Bed().Config();
  config.dsn = absl::StrCat("host=127.0.0.1 port=", (*proxy)->port(),
                            " user=postgres dbname=tokend_api sslmode=disable gssencmode=disable");
  absl::StatusOr<std::unique_ptr<TokendServer>> server = Bed().StartServer(config);
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<client::TokenClient> client = ClientFor(**server, Bed().pki().client_uri());
  absl::StatusOr<v1::IssueResponse> issued =
      client->Issue(IssueRequest({"api://orders"}, {"orders:read"}, true));
  ASSERT_TRUE(issued.ok()) << issued.status();

  (*proxy)->CutAfterCommitOf("rotate_tokens");
  absl::StatusOr<v1::RefreshResponse> lost =
      client->Refresh(RefreshRequest(issued->refresh_token()));
  ASSERT_EQ((*proxy)->cuts(), 1) << "the rotation's connection was not cut";
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kUnavailable) << lost.status();

  absl::StatusOr<v1::RefreshResponse> retried =
      client->Refresh(RefreshRequest(issued->refresh_token()));
  ASSERT_TRUE(retried.ok()) << retried.status();
  absl::StatusOr<v1::RefreshResponse> second =
      client->Refresh(RefreshRequest(retried->refresh_token()));
  ASSERT_TRUE(second.ok()) << second.status();
  absl::StatusOr<v1::RefreshResponse> third =
      client->Refresh(RefreshRequest(second->refresh_token()));
  ASSERT_TRUE(third.ok()) << third.status();
  // Its successor redeemed, a repeat of the retried successor is reuse.
  EXPECT_EQ(client->Refresh(RefreshRequest(retried->refresh_token())).status().code(),
            absl::StatusCode::kUnauthenticated);
}

// The same for Issue with a refresh token: the new family commits and the
// connection breaks before tokend hears so. A retry with the same
// idempotency key answers the refresh token that commit stored, and the
// subject still has exactly one family.
TEST(IssueRetry, AnIssueCommittedButCutOffBeforeItsAnswerGivesTheSameRefreshTokenOnRetry) {
  absl::StatusOr<std::unique_ptr<PgProxy>> proxy = PgProxy::Start(Cluster().port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  TokendConfig config = Bed().Config();
  config.dsn = absl::StrCat("host=127.0.0.1 port=", (*proxy)->port(),
                            " user=postgres dbname=tokend_api sslmode=disable gssencmode=disable");
  absl::StatusOr<std::unique_ptr<TokendServer>> server = Bed().StartServer(config);
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<client::TokenClient> client = ClientFor(**server, Bed().pki().client_uri());
  const std::string subject = Unique("issue-retry");
  v1::IssueRequest request = IssueRequest({"api://orders"}, {"orders:read"}, true, subject);
  request.set_idempotency_key(Unique("key"));

  (*proxy)->CutAfterCommitOf("create_families");
  absl::StatusOr<v1::IssueResponse> lost = client->Issue(request);
  ASSERT_EQ((*proxy)->cuts(), 1) << "the new family's connection was not cut";
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kUnavailable) << lost.status();

  absl::StatusOr<v1::IssueResponse> retried = client->Issue(request);
  ASSERT_TRUE(retried.ok()) << retried.status();
  absl::StatusOr<v1::IssueResponse> again = client->Issue(request);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->refresh_token(), retried->refresh_token());
  EXPECT_EQ(CountRows(absl::StrCat("refresh_families WHERE subject = '", subject, "'")), 1);
  absl::StatusOr<v1::RefreshResponse> refreshed =
      client->Refresh(RefreshRequest(retried->refresh_token()));
  ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  // Once its refresh token was redeemed, the key cannot hand it out again.
  EXPECT_EQ(client->Issue(request).status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace tokend::testing
