// Two tokend processes on one database: what one revokes, the other stops
// accepting within a second; refresh state is shared.

#include <iostream>
#include <thread>
#include <vector>

#include "absl/synchronization/barrier.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/api/api_test_util.h"

namespace tokend::testing {
namespace {

class TwoReplicas : public ::testing::Test {
 protected:
  void SetUp() override {
    // Without a retry window: the reuse and race tests below mean every
    // repeat of a redemption to be reuse (the window has its own tests).
    TokendConfig config = Bed().Config();
    config.refresh_retry_window = "0s";
    for (auto* slot : {&a_, &b_}) {
      absl::StatusOr<std::unique_ptr<TokendServer>> server = Bed().StartServer(config);
      ASSERT_TRUE(server.ok()) << server.status();
      *slot = *std::move(server);
    }
    ca_ = ClientFor(*a_, Bed().pki().client_uri());
    cb_ = ClientFor(*b_, Bed().pki().client_uri());
    ASSERT_NE(ca_, nullptr);
    ASSERT_NE(cb_, nullptr);
  }

  // How long until B says `token` is inactive; fails past one second.
  void ExpectInactiveOnBWithinASecond(absl::string_view token, absl::string_view what) {
    const absl::Time start = absl::Now();
    const bool active = WaitUntilActiveIs(*cb_, token, false, absl::Seconds(1));
    EXPECT_FALSE(active) << what << " still active on B after 1 s";
    if (!active) {
      std::cerr << "[replicas] " << what << " inactive on B after "
                << absl::FormatDuration(absl::Now() - start) << "\n";
    }
    EXPECT_TRUE(IntrospectsBareInactive(*cb_, token)) << what;
  }

  std::unique_ptr<TokendServer> a_, b_;
  std::unique_ptr<client::TokenClient> ca_, cb_;
};

TEST_F(TwoReplicas, AnAccessTokenRevokedThroughOneIsInactiveOnTheOtherWithinASecond) {
  absl::StatusOr<v1::IssueResponse> issued = ca_->Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(issued.ok()) << issued.status();
  ASSERT_TRUE(IsActive(*cb_, issued->access_token()));
  ASSERT_TRUE(ca_->Revoke(RevokeTokenRequest(issued->access_token())).ok());
  ExpectInactiveOnBWithinASecond(issued->access_token(), "revoked access token");
}

TEST_F(TwoReplicas, AFamilyRevokedThroughOneIsInactiveOnTheOtherWithinASecond) {
  absl::StatusOr<v1::IssueResponse> issued =
      ca_->Issue(IssueRequest({"api://orders"}, {}, true, Unique("ivan")));
  ASSERT_TRUE(issued.ok()) << issued.status();
  ASSERT_TRUE(IsActive(*cb_, issued->access_token()));
  ASSERT_TRUE(IsActive(*cb_, issued->refresh_token()));
  ASSERT_TRUE(ca_->Revoke(RevokeTokenRequest(issued->refresh_token())).ok());
  ExpectInactiveOnBWithinASecond(issued->access_token(), "access token of a revoked family");
  EXPECT_TRUE(IntrospectsBareInactive(*cb_, issued->refresh_token()));
  EXPECT_TRUE(HasCode(cb_->Refresh(RefreshRequest(issued->refresh_token())).status(),
                      absl::StatusCode::kUnauthenticated));
}

TEST_F(TwoReplicas, ASubjectRevokedThroughOneIsInactiveOnTheOtherWithinASecond) {
  const std::string subject = Unique("judy");
  absl::StatusOr<v1::IssueResponse> issued =
      ca_->Issue(IssueRequest({"api://orders"}, {}, false, subject));
  ASSERT_TRUE(issued.ok()) << issued.status();
  ASSERT_TRUE(IsActive(*cb_, issued->access_token()));
  ASSERT_TRUE(ca_->Revoke(RevokeSubjectRequest(subject)).ok());
  ExpectInactiveOnBWithinASecond(issued->access_token(), "token of a revoked subject");
}

TEST_F(TwoReplicas, RefreshTokensAreSharedAndReuseOnOneRevokesTheFamilyOnBoth) {
  absl::StatusOr<v1::IssueResponse> issued =
      ca_->Issue(IssueRequest({"api://orders"}, {"orders:read"}, true));
  ASSERT_TRUE(issued.ok()) << issued.status();
  // Redeemed through B although A issued it.
  absl::StatusOr<v1::RefreshResponse> second =
      cb_->Refresh(RefreshRequest(issued->refresh_token()));
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_TRUE(IsActive(*ca_, second->access_token()));
  // Reuse of the first token through A revokes the family B handed out.
  EXPECT_TRUE(HasCode(ca_->Refresh(RefreshRequest(issued->refresh_token())).status(),
                      absl::StatusCode::kUnauthenticated));
  ExpectInactiveOnBWithinASecond(second->access_token(), "access token after reuse on A");
  EXPECT_TRUE(HasCode(cb_->Refresh(RefreshRequest(second->refresh_token())).status(),
                      absl::StatusCode::kUnauthenticated));
}

TEST_F(TwoReplicas, ConcurrentRedemptionsThroughBothLetExactlyOneWin) {
  constexpr int kThreads = 32;
  for (int round = 0; round < 3; ++round) {
    absl::StatusOr<v1::IssueResponse> issued =
        ca_->Issue(IssueRequest({"api://orders"}, {}, true, Unique("olga")));
    ASSERT_TRUE(issued.ok()) << issued.status();
    std::vector<absl::StatusOr<v1::RefreshResponse>> results(kThreads,
                                                             absl::UnknownError("not run"));
    absl::Barrier* start = new absl::Barrier(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        if (start->Block()) delete start;
        results[t] = (t % 2 == 0 ? ca_ : cb_)->Refresh(RefreshRequest(issued->refresh_token()));
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
    ASSERT_EQ(won, 1) << "round " << round;
    EXPECT_FALSE(WaitUntilActiveIs(*ca_, winner->access_token(), false, absl::Seconds(1)));
    EXPECT_FALSE(WaitUntilActiveIs(*cb_, winner->access_token(), false, absl::Seconds(1)));
  }
}

TEST_F(TwoReplicas, AfterADatabaseRestartRevocationsStillReachTheOtherReplica) {
  ASSERT_TRUE(Cluster().Restart().ok());
  // As soon as A can write again.
  absl::StatusOr<v1::IssueResponse> issued;
  const absl::Time give_up = absl::Now() + absl::Seconds(15);
  do {
    issued = ca_->Issue(IssueRequest({"api://orders"}, {}, true));
    if (!issued.ok()) absl::SleepFor(absl::Milliseconds(100));
  } while (!issued.ok() && absl::Now() < give_up);
  ASSERT_TRUE(issued.ok()) << issued.status();
  ASSERT_TRUE(IsActive(*cb_, issued->access_token()));
  ASSERT_TRUE(ca_->Revoke(RevokeTokenRequest(issued->refresh_token())).ok());
  ExpectInactiveOnBWithinASecond(issued->access_token(),
                                 "access token revoked right after a database restart");
}

}  // namespace
}  // namespace tokend::testing
