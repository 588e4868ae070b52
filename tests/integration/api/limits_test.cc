// One caller must not starve the others, nor grow a replica's memory or logs
// without bound: the flood of the hardening issue (a caller with only the
// default rights keeping 1,000 Revoke{subject: itself} in flight) against
// another caller's Issue + Refresh, the per-caller in-flight limit, the
// subject revocation rate limit, and the caller option that keeps
// Introspect to the caller's own audiences.

#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/api/api_test_util.h"
#include "tokend/v1/token_service.grpc.pb.h"

namespace tokend::testing {
namespace {

constexpr char kFlooder[] = "spiffe://test/flooder";
constexpr char kScoped[] = "spiffe://test/scoped";

// The standard policy plus a caller with the default rights (no `rpcs`:
// Introspect, Revoke, GetJwks) and one that may introspect only tokens of
// its own audience.
std::string CallersYaml() {
  return absl::StrCat(StandardCallersYaml(), "  - id: \"", kFlooder, "\"\n", "  - id: \"", kScoped,
                      "\"\n    rpcs: [Introspect]\n    audiences: [\"api://orders\"]\n"
                      "    introspect_own_audiences_only: true\n");
}

test::CertFiles CertFor(absl::string_view name, absl::string_view uri) {
  absl::StatusOr<test::CertFiles> cert =
      Bed().pki().MakeClientCert(name, {std::string(uri)}, {}, "");
  EXPECT_TRUE(cert.ok()) << cert.status();
  return cert.ok() ? *cert : test::CertFiles{};
}

// The test bed's configuration with these callers and `extra_yaml` (a
// `limits` section, or nothing).
std::unique_ptr<TokendServer> StartWith(absl::string_view extra_yaml) {
  TokendConfig config = Bed().Config();
  config.callers_yaml = CallersYaml();
  config.extra_yaml = std::string(extra_yaml);
  absl::StatusOr<std::unique_ptr<TokendServer>> server = Bed().StartServer(config);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

// A channel of its own (its own connection) to `server` presenting `cert`.
std::shared_ptr<grpc::Channel> OwnChannel(const TokendServer& server, const test::CertFiles& cert) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(server.target(), SslCredentialsFor(&cert), args);
}

// Keeps `in_flight` calls of Revoke{subject: the caller itself} open at
// once, each started again as soon as it is answered, until Stop.
class RevokeFlood {
 public:
  RevokeFlood(const TokendServer& server, const test::CertFiles& cert, int channels, int in_flight)
      : slots_(in_flight) {
    for (int i = 0; i < channels; ++i) {
      stubs_.push_back(v1::TokenService::NewStub(OwnChannel(server, cert)));
    }
    request_ = RevokeSubjectRequest(kFlooder);
    for (int i = 0; i < in_flight; ++i) Start(i);
  }

  // Stops starting calls and waits (at most 30 s) for those open to end.
  void Stop() {
    stopping_.store(true);
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(
                             +[](int* open) { return *open == 0; }, &open_),
                         absl::Seconds(30));
    EXPECT_EQ(open_, 0) << "flood calls still open after 30 s";
  }

  std::map<grpc::StatusCode, int64_t> codes() {
    absl::MutexLock lock(&mu_);
    return codes_;
  }

 private:
  struct Slot {
    std::unique_ptr<grpc::ClientContext> context;
    v1::RevokeResponse response;
  };

  void Start(int i) {
    Slot& slot = slots_[i];
    slot.context = std::make_unique<grpc::ClientContext>();
    slot.context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    {
      absl::MutexLock lock(&mu_);
      ++open_;
    }
    stubs_[i % stubs_.size()]->async()->Revoke(slot.context.get(), &request_, &slot.response,
                                               [this, i](grpc::Status status) { Done(i, status); });
  }

  void Done(int i, const grpc::Status& status) {
    {
      absl::MutexLock lock(&mu_);
      ++codes_[status.error_code()];
      --open_;
    }
    if (!stopping_.load()) Start(i);
  }

  std::vector<std::unique_ptr<v1::TokenService::Stub>> stubs_;
  v1::RevokeRequest request_;
  std::vector<Slot> slots_;
  std::atomic<bool> stopping_{false};
  absl::Mutex mu_;
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<grpc::StatusCode, int64_t> codes_ ABSL_GUARDED_BY(mu_);
};

// The flood against a server started with `config`: every call of the other
// caller succeeds, their p90 is under 250 ms, and the flooder is answered
// OK or RESOURCE_EXHAUSTED, never anything else.
void ExpectTheOtherCallerServedThroughAFlood(absl::string_view limits_yaml) {
  std::unique_ptr<TokendServer> server = StartWith(limits_yaml);
  ASSERT_NE(server, nullptr);
  const test::CertFiles flooder = CertFor("flooder", kFlooder);
  std::unique_ptr<client::TokenClient> other =
      ClientFor(*server, Bed().pki().client_uri(), absl::Seconds(1));
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->Issue(IssueRequest({"api://orders"}, {}, true)).ok());  // connected

  // 1,000 in flight over 4 connections (each at most 256 streams at once).
  RevokeFlood flood(*server, flooder, /*channels=*/4, /*in_flight=*/1000);
  absl::SleepFor(absl::Seconds(1));

  // The other caller: an Issue with a refresh token, then its Refresh, every
  // 500 ms, each with a 1 s deadline.
  std::vector<absl::Duration> latencies;
  std::vector<absl::Status> failures;
  const absl::Time end = absl::Now() + absl::Seconds(10);
  for (absl::Time next = absl::Now(); next < end; next += absl::Milliseconds(500)) {
    absl::SleepFor(next - absl::Now());
    absl::Time start = absl::Now();
    absl::StatusOr<v1::IssueResponse> issued =
        other->Issue(IssueRequest({"api://orders"}, {}, true, Unique("fair")));
    latencies.push_back(absl::Now() - start);
    if (!issued.ok()) {
      failures.push_back(issued.status());
      continue;
    }
    start = absl::Now();
    absl::StatusOr<v1::RefreshResponse> refreshed =
        other->Refresh(RefreshRequest(issued->refresh_token()));
    latencies.push_back(absl::Now() - start);
    if (!refreshed.ok()) failures.push_back(refreshed.status());
  }
  flood.Stop();

  std::sort(latencies.begin(), latencies.end());
  const absl::Duration p50 = latencies[latencies.size() / 2];
  const absl::Duration p90 = latencies[latencies.size() * 9 / 10];
  std::map<grpc::StatusCode, int64_t> codes = flood.codes();
  std::cerr << "[fairness] other caller: " << latencies.size() << " calls, " << failures.size()
            << " failed, p50 " << p50 << ", p90 " << p90 << ", max " << latencies.back()
            << "; flood answers:";
  for (const auto& [code, n] : codes) std::cerr << " code " << code << " x" << n;
  std::cerr << "\n";

  for (const absl::Status& s : failures) ADD_FAILURE() << "the other caller's call failed: " << s;
  EXPECT_LT(p90, absl::Milliseconds(250));
  EXPECT_GT(codes[grpc::StatusCode::RESOURCE_EXHAUSTED], 0);
  for (const auto& [code, n] : codes) {
    EXPECT_TRUE(code == grpc::StatusCode::OK || code == grpc::StatusCode::RESOURCE_EXHAUSTED)
        << "flood answered code " << code << " x" << n;
  }
  // The server is up and answers.
  ASSERT_TRUE(server->running());
  EXPECT_TRUE(other->Issue(IssueRequest({"api://orders"}, {}, true)).ok());
  // A line per revocation would be thousands: they are throttled, and the
  // number dropped is logged.
  const std::string log = server->log();
  const std::vector<absl::string_view> pieces = absl::StrSplit(log, "msg=\"subject revoked\"");
  const size_t revoked_lines = pieces.size() - 1;
  std::cerr << "[fairness] \"subject revoked\" log lines: " << revoked_lines << "\n";
  EXPECT_LE(revoked_lines, 200u);
  if (codes[grpc::StatusCode::OK] > 200) {
    EXPECT_TRUE(absl::StrContains(log, "suppressed=")) << "no count of suppressed lines";
  }
}

TEST(Fairness, AFloodOfSubjectRevocationsDoesNotStarveAnotherCallersIssueAndRefresh) {
  ExpectTheOtherCallerServedThroughAFlood("");
}

// Without the rate limit every flood call reaches the database queue: what
// keeps the other caller served is then its turn in the queue and the
// flooder's in-flight limit alone.
TEST(Fairness, WithoutTheRateLimitTheFairQueueAloneKeepsTheOtherCallerServed) {
  ExpectTheOtherCallerServedThroughAFlood("limits:\n  subject_revocations_per_minute: 0\n");
}

// Every refresh-token lookup waits while this runs; returns when it is
// holding the lock.
std::thread LockRefreshTokens(absl::Duration hold) {
  std::thread locker([hold] {
    absl::StatusOr<std::string> r = Cluster().Psql(
        "tokend_api",
        absl::StrCat("BEGIN; LOCK TABLE refresh_tokens IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(",
                     absl::ToDoubleSeconds(hold), "); COMMIT;"),
        absl::Seconds(30), "tokend_test_locker");
    EXPECT_TRUE(r.ok()) << r.status();
  });
  absl::SleepFor(absl::Milliseconds(300));
  return locker;
}

TEST(Fairness, ACallerOverItsInFlightLimitIsAnsweredResourceExhaustedAtOnce) {
  std::unique_ptr<TokendServer> server = StartWith("limits:\n  max_in_flight_per_caller: 4\n");
  ASSERT_NE(server, nullptr);
  std::unique_ptr<client::TokenClient> greedy =
      ClientFor(*server, Bed().pki().client_uri(), absl::Seconds(10));
  std::unique_ptr<client::TokenClient> other =
      ClientFor(*server, Bed().pki().client_dns(), absl::Seconds(10));
  ASSERT_TRUE(greedy != nullptr && other != nullptr);
  std::thread locker = LockRefreshTokens(absl::Seconds(2));
  // Introspecting a refresh token reads the database: these wait on the lock.
  auto unknown_refresh_token = [](int i) {
    return absl::StrCat("tkdrt_", B64UrlEncode(Sha256(absl::StrCat("limit-", i))));
  };
  constexpr int kCalls = 12;
  std::vector<absl::Status> results(kCalls);
  std::vector<absl::Duration> took(kCalls);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] {
      const absl::Time start = absl::Now();
      results[i] = greedy->Introspect(IntrospectRequest(unknown_refresh_token(i))).status();
      took[i] = absl::Now() - start;
    });
  }
  absl::SleepFor(absl::Milliseconds(300));
  // Another caller still gets its turn (once the lock goes).
  absl::Status others = other->Introspect(IntrospectRequest(unknown_refresh_token(-1))).status();
  for (std::thread& t : threads) t.join();
  locker.join();
  EXPECT_TRUE(others.ok()) << others;
  int ok = 0, refused = 0;
  for (int i = 0; i < kCalls; ++i) {
    if (results[i].ok()) ++ok;
    if (results[i].code() == absl::StatusCode::kResourceExhausted) {
      ++refused;
      EXPECT_LT(took[i], absl::Milliseconds(500)) << "refused, but not at once";
    }
    EXPECT_TRUE(results[i].ok() || results[i].code() == absl::StatusCode::kResourceExhausted)
        << results[i];
  }
  EXPECT_EQ(ok, 4);
  EXPECT_EQ(refused, kCalls - 4);
}

TEST(Limits, SubjectRevocationsBeyondTheCallersRateAreResourceExhaustedAtOnce) {
  std::unique_ptr<TokendServer> server =
      StartWith("limits:\n  subject_revocations_per_minute: 5\n");
  ASSERT_NE(server, nullptr);
  std::unique_ptr<client::TokenClient> flooder =
      ClientFor(*server, CertFor("rate-flooder", kFlooder));
  std::unique_ptr<client::TokenClient> other = ClientFor(*server, Bed().pki().client_uri());
  ASSERT_TRUE(flooder != nullptr && other != nullptr);
  for (int i = 0; i < 5; ++i) {
    absl::Status s = flooder->Revoke(RevokeSubjectRequest(kFlooder)).status();
    EXPECT_TRUE(s.ok()) << s;
  }
  const absl::Time start = absl::Now();
  absl::Status refused = flooder->Revoke(RevokeSubjectRequest(kFlooder)).status();
  EXPECT_TRUE(HasCode(refused, absl::StatusCode::kResourceExhausted, "subject"));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
  // Revoking tokens is not limited by it, nor is another caller.
  absl::StatusOr<v1::IssueResponse> issued = other->Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_TRUE(flooder->Revoke(RevokeTokenRequest(issued->access_token())).ok());
  EXPECT_TRUE(other->Revoke(RevokeSubjectRequest("someone")).ok());
}

TEST(Limits, IntrospectOwnAudiencesOnlyAnswersOtherAudiencesInactive) {
  std::unique_ptr<TokendServer> server = StartWith("");
  ASSERT_NE(server, nullptr);
  std::unique_ptr<client::TokenClient> issuer = ClientFor(*server, Bed().pki().client_uri());
  std::unique_ptr<client::TokenClient> scoped = ClientFor(*server, CertFor("scoped", kScoped));
  std::unique_ptr<client::TokenClient> flooder =
      ClientFor(*server, CertFor("default-rights", kFlooder));
  ASSERT_TRUE(issuer != nullptr && scoped != nullptr && flooder != nullptr);
  absl::StatusOr<v1::IssueResponse> orders =
      issuer->Issue(IssueRequest({"api://orders"}, {}, true));
  absl::StatusOr<v1::IssueResponse> billing =
      issuer->Issue(IssueRequest({"api://billing"}, {}, true));
  ASSERT_TRUE(orders.ok() && billing.ok());
  EXPECT_TRUE(IsActive(*scoped, orders->access_token()));
  EXPECT_TRUE(IsActive(*scoped, orders->refresh_token()));
  EXPECT_TRUE(IntrospectsBareInactive(*scoped, billing->access_token()));
  EXPECT_TRUE(IntrospectsBareInactive(*scoped, billing->refresh_token()));
  // Off by default: the contract lets any caller introspect any token.
  EXPECT_TRUE(IsActive(*flooder, billing->access_token()));
  EXPECT_TRUE(IsActive(*flooder, billing->refresh_token()));
}

}  // namespace
}  // namespace tokend::testing
