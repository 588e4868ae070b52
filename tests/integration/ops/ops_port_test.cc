// The ops port of the real tokend binary as the kubelet and Prometheus reach
// it: its probes answer within a second while 200 other connections each send
// a partial request and wait (reopened whenever the server drops them), and it
// listens on IPv6 when ops_listen says so.
//
// TOKEND_OPS_STALL_SECONDS sets how long the stalling connections are held
// (default 12; the hardening requirement is stated for 60).

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/support/http/raw_http.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/tokend_server/tokend_server.h"

namespace tokend::testing {
namespace {

constexpr int kStallingConnections = 200;
constexpr absl::Duration kProbeBudget = absl::Seconds(1);

absl::Duration HoldTime() {
  int seconds = 12;
  const char* text = std::getenv("TOKEND_OPS_STALL_SECONDS");
  if (text != nullptr && !absl::SimpleAtoi(text, &seconds)) seconds = 12;
  return absl::Seconds(seconds > 0 ? seconds : 12);
}

std::unique_ptr<TokendTestBed>& BedSlot() {
  static auto* bed = new std::unique_ptr<TokendTestBed>();
  return *bed;
}

class BedEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TokendTestBed>> bed =
        TokendTestBed::New(PostgresEnvironment::cluster(), "tokend_ops");
    ASSERT_TRUE(bed.ok()) << bed.status();
    BedSlot() = *std::move(bed);
  }
  void TearDown() override { BedSlot().reset(); }
};

// Registered in this order so that the bed goes before PostgreSQL does.
const auto* const kPostgres = ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);
const auto* const kBed = ::testing::AddGlobalTestEnvironment(new BedEnvironment);

std::unique_ptr<TokendServer> StartTokend(const std::string& ops_listen) {
  TokendConfig config = BedSlot()->Config();
  config.ops_listen = ops_listen;
  absl::StatusOr<std::unique_ptr<TokendServer>> server = BedSlot()->StartServer(config);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

TEST(OpsPort, ProbesAnswerWithinASecondWhile200ConnectionsStall) {
  std::unique_ptr<TokendServer> server = StartTokend("127.0.0.1:0");
  ASSERT_NE(server, nullptr);
  const int port = server->ops_port();
  ASSERT_GT(port, 0);

  StallingClients stalling("127.0.0.1", port, kStallingConnections);
  stalling.Start();
  ASSERT_TRUE(stalling.WaitUntilAllStalled(absl::Seconds(10)))
      << stalling.stalled() << " of " << kStallingConnections << " connections stalled";

  // Probe the way the kubelet and Prometheus do, one request at a time, for
  // as long as the connections are held.
  const absl::Duration hold = HoldTime();
  const absl::Time end = absl::Now() + hold;
  int probes = 0;
  int slow_or_failed = 0;
  absl::Duration slowest;
  std::vector<std::string> failures;
  while (absl::Now() < end) {
    for (const char* path : {"/healthz", "/readyz", "/metrics"}) {
      const absl::Time start = absl::Now();
      absl::StatusOr<RawHttpResponse> r =
          RawHttpRequest("127.0.0.1", port, "GET", path, kProbeBudget);
      const absl::Duration took = absl::Now() - start;
      ++probes;
      slowest = std::max(slowest, took);
      if (!r.ok() || r->status != 200 || took >= kProbeBudget) {
        ++slow_or_failed;
        if (failures.size() < 10) {
          failures.push_back(absl::StrCat(
              path, " after ", absl::FormatDuration(took), ": ",
              r.ok() ? absl::StrCat("status ", r->status) : std::string(r.status().message())));
        }
      }
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  const int still_stalled = stalling.stalled();
  const int dropped = stalling.dropped();
  stalling.Stop();

  std::cout << "held " << kStallingConnections << " stalling connections for "
            << absl::FormatDuration(hold) << " (" << still_stalled
            << " open at the end, dropped and reopened " << dropped << " times); " << probes
            << " probes, slowest " << absl::FormatDuration(slowest) << ", " << slow_or_failed
            << " slow or failed" << std::endl;
  EXPECT_GT(probes, 0);
  EXPECT_EQ(slow_or_failed, 0) << "first failures:\n" << absl::StrJoin(failures, "\n");
  // The server is still whole afterwards.
  absl::StatusOr<RawHttpResponse> after =
      RawHttpRequest("127.0.0.1", port, "GET", "/healthz", kProbeBudget);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->status, 200);
}

TEST(OpsPort, ListensOnIpv6AndOnIpv4ThroughTheIpv6Wildcard) {
  if (!HostHasIpv6Loopback()) GTEST_SKIP() << "this host has no IPv6 loopback";
  std::unique_ptr<TokendServer> server = StartTokend("[::]:0");
  ASSERT_NE(server, nullptr);
  const int port = server->ops_port();
  ASSERT_GT(port, 0);
  for (const char* path : {"/healthz", "/readyz"}) {
    absl::StatusOr<RawHttpResponse> r = RawHttpRequest("::1", port, "GET", path, kProbeBudget);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, 200) << path;
  }
  // [::] is dual-stack (IPV6_V6ONLY off), so an IPv4 client reaches it too.
  absl::StatusOr<RawHttpResponse> v4 =
      RawHttpRequest("127.0.0.1", port, "GET", "/healthz", kProbeBudget);
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_EQ(v4->status, 200);

  std::unique_ptr<TokendServer> loopback = StartTokend("[::1]:0");
  ASSERT_NE(loopback, nullptr);
  absl::StatusOr<RawHttpResponse> r =
      RawHttpRequest("::1", loopback->ops_port(), "GET", "/healthz", kProbeBudget);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace tokend::testing
