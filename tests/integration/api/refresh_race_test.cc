// One refresh token redeemed by many threads at the same moment, against the
// real tokend and PostgreSQL: exactly one redemption wins, every other one is
// reuse, and reuse revokes the whole family, the winner's tokens included.

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/barrier.h"
#include "gtest/gtest.h"
#include "tests/integration/api/api_test_util.h"

namespace tokend::testing {
namespace {

constexpr int kThreads = 32;
constexpr int kRounds = 4;

// Redeems `refresh_token` from kThreads threads at once over `clients`.
std::vector<absl::StatusOr<v1::RefreshResponse>> RedeemAtOnce(
    std::vector<std::unique_ptr<client::TokenClient>>& clients, const std::string& refresh_token) {
  std::vector<absl::StatusOr<v1::RefreshResponse>> results(kThreads, absl::UnknownError("not run"));
  absl::Barrier* start = new absl::Barrier(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      if (start->Block()) delete start;
      results[t] = clients[t % clients.size()]->Refresh(RefreshRequest(refresh_token));
    });
  }
  for (std::thread& t : threads) t.join();
  return results;
}

TEST(RefreshRace, ConcurrentRedemptionsOfOneTokenLetExactlyOneWinAndRevokeTheFamily) {
  // Without a retry window every repeat is reuse, however close in time.
  TokendConfig config = Bed().Config();
  config.refresh_retry_window = "0s";
  absl::StatusOr<std::unique_ptr<TokendServer>> server = Bed().StartServer(config);
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<client::TokenClient> caller = ClientFor(**server, Bed().pki().client_uri());
  // A few connections, so the calls really arrive in parallel.
  std::vector<std::unique_ptr<client::TokenClient>> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(ClientFor(**server, Bed().pki().client_uri()));
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(round);
    absl::StatusOr<v1::IssueResponse> issued =
        caller->Issue(IssueRequest({"api://orders"}, {"orders:read"}, true, Unique("racer")));
    ASSERT_TRUE(issued.ok()) << issued.status();

    std::vector<absl::StatusOr<v1::RefreshResponse>> results =
        RedeemAtOnce(clients, issued->refresh_token());

    int won = 0;
    const v1::RefreshResponse* winner = nullptr;
    for (const auto& r : results) {
      if (r.ok()) {
        ++won;
        winner = &*r;
      } else {
        EXPECT_TRUE(HasCode(r.status(), absl::StatusCode::kUnauthenticated));
      }
    }
    ASSERT_EQ(won, 1);
    // Every loser was a reuse, which revoked the family, the winner's new
    // tokens and the first access token included.
    EXPECT_TRUE(IntrospectsBareInactive(*caller, winner->refresh_token()));
    EXPECT_TRUE(IntrospectsBareInactive(*caller, winner->access_token()));
    EXPECT_TRUE(IntrospectsBareInactive(*caller, issued->access_token()));
    EXPECT_TRUE(HasCode(caller->Refresh(RefreshRequest(winner->refresh_token())).status(),
                        absl::StatusCode::kUnauthenticated));
  }
}

TEST(RefreshRace, ConcurrentRedemptionsWithinTheRetryWindowAllGetTheOneSuccessor) {
  std::vector<std::unique_ptr<client::TokenClient>> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(ClientFor(Bed().pki().client_uri()));
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(round);
    absl::StatusOr<v1::IssueResponse> issued =
        Caller().Issue(IssueRequest({"api://orders"}, {"orders:read"}, true, Unique("retrier")));
    ASSERT_TRUE(issued.ok()) << issued.status();
    std::vector<absl::StatusOr<v1::RefreshResponse>> results =
        RedeemAtOnce(clients, issued->refresh_token());
    std::set<std::string> successors;
    for (const auto& r : results) {
      ASSERT_TRUE(r.ok()) << r.status();
      successors.insert(r->refresh_token());
    }
    EXPECT_EQ(successors.size(), 1u);
    EXPECT_TRUE(IsActive(Caller(), *successors.begin()));
    EXPECT_TRUE(IsActive(Caller(), issued->access_token()));
  }
}

TEST(RefreshRace, ABurstOfDatabaseCallsAllSucceedWithDistinctTokens) {
  constexpr int kWorkers = 16;
  constexpr int kCallsEach = 20;
  std::vector<std::unique_ptr<client::TokenClient>> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(ClientFor(Bed().pki().client_uri()));
  std::vector<std::vector<absl::StatusOr<v1::RefreshResponse>>> results(kWorkers);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      client::TokenClient& c = *clients[w % clients.size()];
      for (int i = 0; i < kCallsEach; ++i) {
        absl::StatusOr<v1::IssueResponse> issued =
            c.Issue(IssueRequest({"api://orders"}, {"orders:read"}, true, Unique("burst")));
        if (!issued.ok()) {
          results[w].push_back(issued.status());
          continue;
        }
        results[w].push_back(c.Refresh(RefreshRequest(issued->refresh_token())));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> refresh_tokens;
  for (const auto& per_worker : results) {
    for (const auto& r : per_worker) {
      ASSERT_TRUE(r.ok()) << r.status();
      refresh_tokens.insert(r->refresh_token());
    }
  }
  EXPECT_EQ(refresh_tokens.size(), static_cast<size_t>(kWorkers * kCallsEach));
  EXPECT_TRUE(IsActive(Caller(), *refresh_tokens.begin()));
  EXPECT_TRUE(IsActive(Caller(), *refresh_tokens.rbegin()));
}

}  // namespace
}  // namespace tokend::testing
