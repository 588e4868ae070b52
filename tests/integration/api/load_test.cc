// tokend under more database calls than it has connections and workers:
// calls queue and succeed, and past the bounded backlog they are shed with
// UNAVAILABLE, never INTERNAL, and never a hang.

#include <iostream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/api/api_test_util.h"

namespace tokend::testing {
namespace {

TEST(Load, ABurstOnASingleConnectionPoolSucceeds) {
  TokendConfig config = Bed().Config();
  config.pool_size = 1;
  absl::StatusOr<std::unique_ptr<TokendServer>> server = Bed().StartServer(config);
  ASSERT_TRUE(server.ok()) << server.status();
  std::vector<std::unique_ptr<client::TokenClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(ClientFor(**server, Bed().pki().client_uri(), absl::Seconds(20)));
  }
  constexpr int kWorkers = 24;
  std::vector<absl::Status> failures[kWorkers];
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      client::TokenClient& c = *clients[w % clients.size()];
      for (int i = 0; i < 8; ++i) {
        absl::StatusOr<v1::IssueResponse> issued =
            c.Issue(IssueRequest({"api://orders"}, {}, true, Unique("pool1")));
        if (!issued.ok()) {
          failures[w].push_back(issued.status());
          continue;
        }
        absl::StatusOr<v1::RefreshResponse> refreshed =
            c.Refresh(RefreshRequest(issued->refresh_token()));
        if (!refreshed.ok()) {
          failures[w].push_back(refreshed.status());
          continue;
        }
        absl::Status revoked = c.Revoke(RevokeTokenRequest(refreshed->refresh_token())).status();
        if (!revoked.ok()) failures[w].push_back(revoked);
        absl::Status introspected =
            c.Introspect(IntrospectRequest(refreshed->refresh_token())).status();
        if (!introspected.ok()) failures[w].push_back(introspected);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int w = 0; w < kWorkers; ++w) {
    for (const absl::Status& s : failures[w]) ADD_FAILURE() << s;
  }
}

TEST(Load, PastTheBacklogCallsAreShedWithUnavailableNotInternal) {
  TokendConfig config = Bed().Config();
  config.pool_size = 1;  // 16 workers, a backlog of 128
  absl::StatusOr<std::unique_ptr<TokendServer>> server = Bed().StartServer(config);
  ASSERT_TRUE(server.ok()) << server.status();
  std::vector<std::unique_ptr<client::TokenClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(ClientFor(**server, Bed().pki().client_uri(), absl::Seconds(3)));
  }
  // Every refresh-token lookup waits on this lock for a while.
  std::thread locker([] {
    absl::StatusOr<std::string> r = Cluster().Psql(
        "tokend_api",
        "BEGIN; LOCK TABLE refresh_tokens IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(2); COMMIT;",
        absl::Seconds(30), "tokend_test_locker");
    EXPECT_TRUE(r.ok()) << r.status();
  });
  absl::SleepFor(absl::Milliseconds(300));
  constexpr int kCalls = 240;
  std::vector<absl::Status> results(kCalls);
  std::vector<std::thread> threads;
  const absl::Time start = absl::Now();
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] {
      results[i] = clients[i % clients.size()]
                       ->Introspect(IntrospectRequest(
                           absl::StrCat("tkdrt_", B64UrlEncode(Sha256(absl::StrCat(i))))))
                       .status();
    });
  }
  for (std::thread& t : threads) t.join();
  const absl::Duration took = absl::Now() - start;
  locker.join();
  int ok = 0, shed = 0, late = 0;
  for (const absl::Status& s : results) {
    EXPECT_TRUE(NotInternal(s));
    if (s.ok()) ++ok;
    if (s.code() == absl::StatusCode::kUnavailable) ++shed;
    if (s.code() == absl::StatusCode::kDeadlineExceeded) ++late;
  }
  std::cerr << "[load] " << ok << " ok, " << shed << " shed, " << late << " past deadline in "
            << took << "\n";
  EXPECT_EQ(ok + shed + late, kCalls);
  EXPECT_GT(shed, 0) << "a backlog of 128 should have overflowed";
  EXPECT_LT(took, absl::Seconds(6));
  // And it serves normally afterwards.
  std::unique_ptr<client::TokenClient> c = ClientFor(**server, Bed().pki().client_uri());
  absl::StatusOr<v1::IssueResponse> issued = c->Issue(IssueRequest({"api://orders"}, {}, true));
  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_TRUE(c->Refresh(RefreshRequest(issued->refresh_token())).ok());
}

}  // namespace
}  // namespace tokend::testing
