// One refresh token redeemed by many threads at the same moment, against the
// real tokend and PostgreSQL: exactly one redemption wins, every other one is
// reuse, and reuse revokes the whole family, the winner's tokens included.

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/barrier.h"
#include "gtest/gtest.h"
#include "tests/integration/api/api_test_util.h"

namespace tokend::testing {
namespace {

constexpr int kThreads = 32;
constexpr int kRounds = 4;

TEST(RefreshRace, ConcurrentRedemptionsOfOneTokenLetExactlyOneWinAndRevokeTheFamily) {
  // A few connections, so the calls really arrive in parallel.
  std::vector<std::unique_ptr<client::TokenClient>> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(ClientFor(Bed().pki().client_uri()));
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(round);
    absl::StatusOr<v1::IssueResponse> issued =
        Caller().Issue(IssueRequest({"api://orders"}, {"orders:read"}, true, Unique("racer")));
    ASSERT_TRUE(issued.ok()) << issued.status();

    std::vector<absl::StatusOr<v1::RefreshResponse>> results(
        kThreads, absl::UnknownError("not run"));
    absl::Barrier* start = new absl::Barrier(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        if (start->Block()) delete start;
        results[t] = clients[t % clients.size()]->Refresh(RefreshRequest(issued->refresh_token()));
      });
    }
    for (std::thread& t : threads) t.join();

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
    EXPECT_TRUE(IntrospectsBareInactive(Caller(), winner->refresh_token()));
    EXPECT_TRUE(IntrospectsBareInactive(Caller(), winner->access_token()));
    EXPECT_TRUE(IntrospectsBareInactive(Caller(), issued->access_token()));
    EXPECT_TRUE(HasCode(Caller().Refresh(RefreshRequest(winner->refresh_token())).status(),
                        absl::StatusCode::kUnauthenticated));
  }
}

}  // namespace
}  // namespace tokend::testing
