// WatchRevocations against the real tokend over mutual TLS with a real
// PostgreSQL: the snapshot, live events, resuming, heartbeats, replicas,
// slow watchers, the policy, the watcher limit and shutdown.

#include <grpcpp/grpcpp.h>

#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/api/api_test_util.h"
#include "tests/integration/api/watch_test_util.h"
#include "tokend/v1/token_service.grpc.pb.h"

namespace tokend::testing {
namespace {

using Response = v1::WatchRevocationsResponse;
using Watcher = RevocationWatcher;

// Short heartbeats and a small history, so that every case is quick.
TokendConfig WatchConfig(absl::string_view watch_yaml = "") {
  TokendConfig config = Bed().Config();
  config.callers_yaml = CallersYamlWithWatch();
  config.extra_yaml = absl::StrCat(
      "limits:\n  subject_revocations_per_minute: 0\n", "watch:\n  heartbeat_interval: 200ms\n",
      watch_yaml.empty() ? "  history_events: 8\n  max_pending_events: 4\n"
                         : std::string(watch_yaml));
  return config;
}

std::shared_ptr<grpc::Channel> ChannelTo(const TokendServer& server, const test::CertFiles& cert,
                                         const grpc::ChannelArguments& args = {}) {
  return grpc::CreateCustomChannel(server.target(), SslCredentialsFor(&cert), args);
}

// Issues an access token for `subject` (with a refresh token when asked)
// and returns the response; its jti and sid through Claim().
v1::IssueResponse IssueFor(client::TokenClient& client, absl::string_view subject,
                           bool with_refresh = false) {
  absl::StatusOr<v1::IssueResponse> issued =
      client.Issue(IssueRequest({"api://orders"}, {}, with_refresh, subject));
  EXPECT_TRUE(issued.ok()) << issued.status();
  return issued.ok() ? *issued : v1::IssueResponse();
}

std::string Claim(absl::string_view token, const char* name) {
  absl::StatusOr<DecodedJws> jws = DecodeJws(token);
  if (!jws.ok() || !jws->payload.contains(name)) return "";
  return jws->payload[name].get<std::string>();
}

// Revokes the access token and returns its jti.
std::string RevokeNewToken(client::TokenClient& client) {
  v1::IssueResponse issued = IssueFor(client, Unique("watched"));
  EXPECT_TRUE(client.Revoke(RevokeTokenRequest(issued.access_token())).ok());
  return Claim(issued.access_token(), "jti");
}

class WatchRevocations : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StartOrFail(WatchConfig());
    ASSERT_NE(server_, nullptr);
    client_ = ClientFor(*server_, Bed().pki().client_uri());
    ASSERT_NE(client_, nullptr);
    channel_ = ChannelTo(*server_, Bed().pki().client_uri());
  }

  std::unique_ptr<TokendServer> server_;
  std::unique_ptr<client::TokenClient> client_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(WatchRevocations, SendsASnapshotOfTheViewThenEachNewRevocationInOrder) {
  // Revoked before the watch: in the snapshot.
  const std::string before = RevokeNewToken(*client_);
  Watcher watcher(channel_, {});
  std::optional<ReadSnapshot> snapshot = ReadWholeSnapshot(watcher);
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_TRUE(snapshot->targets.contains("token:" + before));
  EXPECT_EQ(snapshot->last.snapshot().reason(), v1::RevocationSnapshot::REASON_NO_POSITION);
  EXPECT_FALSE(snapshot->last.position().epoch().empty());
  const uint64_t at_snapshot = snapshot->last.position().sequence();

  // Then one of each kind, each in turn with the next position.
  const std::string jti = RevokeNewToken(*client_);
  v1::IssueResponse with_family = IssueFor(*client_, Unique("family-owner"), true);
  ASSERT_TRUE(client_->Revoke(RevokeTokenRequest(with_family.refresh_token())).ok());
  const std::string subject = Unique("subject");
  ASSERT_TRUE(client_->Revoke(RevokeSubjectRequest(subject)).ok());
  const std::vector<std::string> expected = {
      "token:" + jti, "family:" + Claim(with_family.access_token(), "sid"), "subject:" + subject};
  for (size_t i = 0; i < expected.size(); ++i) {
    std::optional<Response> event = watcher.NextEvent();
    ASSERT_TRUE(event.has_value()) << "no event for " << expected[i];
    ASSERT_TRUE(event->has_revoked()) << event->ShortDebugString();
    EXPECT_EQ(TargetOf(event->revoked()), expected[i]);
    EXPECT_EQ(event->position().epoch(), snapshot->last.position().epoch());
    EXPECT_EQ(event->position().sequence(), at_snapshot + i + 1);
    EXPECT_TRUE(event->revoked().has_expires_at());
    EXPECT_EQ(event->revoked().has_revoked_before(), i == 2);
  }
  // Each came once: the same revocations coming back from the store (its
  // notification, its reads) change nothing in the view.
  std::optional<Response> again = watcher.NextEvent(absl::Seconds(1));
  EXPECT_FALSE(again.has_value()) << again->ShortDebugString();
}

TEST_F(WatchRevocations, SendsHeartbeatsWithTheCurrentPositionAndCountsOpenStreams) {
  Watcher watcher(channel_, {});
  std::optional<ReadSnapshot> snapshot = ReadWholeSnapshot(watcher);
  ASSERT_TRUE(snapshot.has_value());
  // Heartbeats every 200 ms (the first right after the snapshot): three
  // within two seconds, each at the snapshot's position, none stale.
  const absl::Time start = absl::Now();
  for (int i = 0; i < 3; ++i) {
    std::optional<Response> r = watcher.Next(absl::Seconds(2));
    ASSERT_TRUE(r.has_value()) << "heartbeat " << i << " missing";
    ASSERT_TRUE(r->has_heartbeat()) << r->ShortDebugString();
    EXPECT_FALSE(r->heartbeat().stale());
    EXPECT_EQ(r->position().SerializeAsString(), snapshot->last.position().SerializeAsString());
  }
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));

  absl::StatusOr<HttpResponse> metrics = HttpGet(server_->ops_port(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_NE(metrics->body.find("tokend_watch_streams 1"), std::string::npos) << metrics->body;
}

TEST_F(WatchRevocations, ResumesFromAPositionWithOnlyTheMissedRevocations) {
  v1::RevocationPosition seen;
  {
    Watcher first(channel_, {});
    ASSERT_TRUE(ReadWholeSnapshot(first).has_value());
    RevokeNewToken(*client_);
    std::optional<Response> event = first.NextEvent();
    ASSERT_TRUE(event.has_value() && event->has_revoked());
    seen = event->position();
  }
  const std::string missed1 = RevokeNewToken(*client_);
  const std::string missed2 = RevokeNewToken(*client_);

  Watcher resumed(channel_, ResumeFrom(seen));
  for (const std::string& jti : {missed1, missed2}) {
    std::optional<Response> event = resumed.NextEvent();
    ASSERT_TRUE(event.has_value());
    ASSERT_TRUE(event->has_revoked()) << "expected no snapshot: " << event->ShortDebugString();
    EXPECT_EQ(event->revoked().token_id(), jti);
  }
  // Caught up: a heartbeat at the last of them, no more events.
  std::optional<Response> heartbeat = resumed.Next();
  ASSERT_TRUE(heartbeat.has_value() && heartbeat->has_heartbeat());
  EXPECT_EQ(heartbeat->position().sequence(), seen.sequence() + 2);
}

TEST_F(WatchRevocations, SendsAFreshSnapshotForAPositionItCannotResumeFrom) {
  Watcher first(channel_, {});
  std::optional<ReadSnapshot> snapshot = ReadWholeSnapshot(first);
  ASSERT_TRUE(snapshot.has_value());
  const v1::RevocationPosition at = snapshot->last.position();

  struct Case {
    const char* what;
    v1::RevocationPosition position;
    v1::RevocationSnapshot::Reason reason;
  };
  v1::RevocationPosition other_epoch = at;
  other_epoch.set_epoch("another-replica");
  v1::RevocationPosition ahead = at;
  ahead.set_sequence(at.sequence() + 1000);
  for (const Case& c :
       {Case{"another epoch", other_epoch, v1::RevocationSnapshot::REASON_UNKNOWN_POSITION},
        Case{"a sequence never reached", ahead, v1::RevocationSnapshot::REASON_UNKNOWN_POSITION}}) {
    Watcher watcher(channel_, ResumeFrom(c.position));
    std::optional<ReadSnapshot> fresh = ReadWholeSnapshot(watcher);
    ASSERT_TRUE(fresh.has_value()) << c.what;
    EXPECT_EQ(fresh->last.snapshot().reason(), c.reason) << c.what;
    EXPECT_EQ(fresh->last.position().epoch(), at.epoch()) << c.what;
  }

  // More revocations than the history keeps (8): `at` is too old.
  std::vector<std::string> jtis;
  for (int i = 0; i < 10; ++i) jtis.push_back(RevokeNewToken(*client_));
  Watcher late(channel_, ResumeFrom(at));
  std::optional<ReadSnapshot> fresh = ReadWholeSnapshot(late);
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->last.snapshot().reason(), v1::RevocationSnapshot::REASON_POSITION_TOO_OLD);
  EXPECT_EQ(fresh->last.position().sequence(), at.sequence() + 10);
  for (const std::string& jti : jtis) EXPECT_TRUE(fresh->targets.contains("token:" + jti));
}

TEST_F(WatchRevocations, RefusesACallerWhosePolicyDoesNotListTheRpc) {
  // caller.test may call every other RPC.
  Watcher watcher(ChannelTo(*server_, Bed().pki().client_dns()), {});
  std::optional<grpc::Status> status = watcher.Ended();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->error_code(), grpc::StatusCode::PERMISSION_DENIED) << status->error_message();
  EXPECT_FALSE(watcher.Next(absl::ZeroDuration()).has_value());
}

TEST_F(WatchRevocations, EndsStreamsPromptlyWhenTheServerStops) {
  Watcher watcher(channel_, {});
  ASSERT_TRUE(ReadWholeSnapshot(watcher).has_value());
  const absl::Time start = absl::Now();
  absl::StatusOr<int> exit_code = server_->Terminate(absl::Seconds(10));
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0);
  std::optional<grpc::Status> status = watcher.Ended(absl::Seconds(1));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->error_code(), grpc::StatusCode::UNAVAILABLE) << status->error_message();
  // Before shutdown_grace (5 s) ran out: the stream did not hold the
  // shutdown until gRPC cancelled it.
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(WatchRevocations, CutsAWatcherThatDoesNotReadWhichThenResumesWithWhatItMissed) {
  // A history large enough to resume from, a small bound on what may wait.
  server_ = StartOrFail(WatchConfig("  history_events: 2000\n  max_pending_events: 20\n"));
  ASSERT_NE(server_, nullptr);
  client_ = ClientFor(*server_, Bed().pki().client_uri());
  ASSERT_NE(client_, nullptr);
  // Without BDP probing the client's HTTP/2 window stays at its initial
  // 64 KiB, so what it does not read soon blocks the server's writes.
  grpc::ChannelArguments no_window_growth;
  no_window_growth.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  Watcher slow(ChannelTo(*server_, Bed().pki().client_uri(), no_window_growth), {},
               /*read_now=*/false);
  // The server must hold the stream (and so its snapshot) before the
  // revocations start, or they would all be in the snapshot instead of
  // piling up behind it (seen under ASan, where the call opened late).
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  bool open = false;
  while (!open && absl::Now() < give_up) {
    absl::StatusOr<HttpResponse> metrics = HttpGet(server_->ops_port(), "/metrics");
    open = metrics.ok() && metrics->body.find("tokend_watch_streams 1") != std::string::npos;
    if (!open) absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_TRUE(open) << "the server never opened the watcher's stream";
  // Subject revocations of 1000-byte subjects: a few hundred fill the
  // HTTP/2 flow-control windows, after which the server's writes wait and
  // revocations pile up for this watcher.
  std::vector<std::string> subjects;
  std::vector<std::thread> revokers;
  constexpr int kThreads = 4, kPerThread = 100;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      subjects.push_back(absl::StrCat(t, "-", i, "-", std::string(990, 's'), Unique("")));
    }
  }
  for (int t = 0; t < kThreads; ++t) {
    revokers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        EXPECT_TRUE(client_->Revoke(RevokeSubjectRequest(subjects[t * kPerThread + i])).ok());
      }
    });
  }
  for (std::thread& t : revokers) t.join();

  // Now it reads: what was buffered, then RESOURCE_EXHAUSTED.
  slow.StartReading();
  std::optional<ReadSnapshot> snapshot = ReadWholeSnapshot(slow);
  ASSERT_TRUE(snapshot.has_value());
  v1::RevocationPosition last = snapshot->last.position();
  std::set<std::string> seen;
  // Until the stream ends. Heartbeats may come between the first events:
  // the stream kept up until the watcher's flow-control window filled.
  const absl::Time read_until = absl::Now() + absl::Seconds(10);
  while (absl::Now() < read_until) {
    std::optional<Response> r = slow.Next(absl::Seconds(2));
    if (!r.has_value()) break;
    if (r->has_revoked()) seen.insert(r->revoked().subject());
    last = r->position();
  }
  std::optional<grpc::Status> status = slow.Ended(absl::Seconds(1));
  ASSERT_TRUE(status.has_value()) << "not cut after " << seen.size() << " events";
  ASSERT_EQ(status->error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << status->error_message() << " after " << seen.size() << " events";
  EXPECT_LT(seen.size(), subjects.size());

  // Resuming from the last position read gives the rest, no snapshot.
  Watcher resumed(ChannelTo(*server_, Bed().pki().client_uri()), ResumeFrom(last));
  while (seen.size() < subjects.size()) {
    std::optional<Response> r = resumed.NextEvent();
    ASSERT_TRUE(r.has_value()) << seen.size() << " of " << subjects.size();
    ASSERT_TRUE(r->has_revoked()) << r->ShortDebugString().substr(0, 200);
    // A subject may come again when the view extends it (see docs/api.md).
    seen.insert(r->revoked().subject());
  }
  for (const std::string& s : subjects) EXPECT_TRUE(seen.contains(s));
}

TEST(WatchRevocationsAcrossReplicas, AWatcherOfOneReplicaSeesARevocationMadeThroughAnother) {
  std::unique_ptr<TokendServer> a = StartOrFail(WatchConfig());
  std::unique_ptr<TokendServer> b = StartOrFail(WatchConfig());
  ASSERT_TRUE(a != nullptr && b != nullptr);
  std::unique_ptr<client::TokenClient> through_b = ClientFor(*b, Bed().pki().client_uri());
  ASSERT_NE(through_b, nullptr);
  Watcher watcher(ChannelTo(*a, Bed().pki().client_uri()), {});
  std::optional<ReadSnapshot> snapshot = ReadWholeSnapshot(watcher);
  ASSERT_TRUE(snapshot.has_value());
  const std::string jti = RevokeNewToken(*through_b);
  std::optional<Response> event = watcher.NextEvent(absl::Seconds(3));
  ASSERT_TRUE(event.has_value());
  ASSERT_TRUE(event->has_revoked());
  EXPECT_EQ(event->revoked().token_id(), jti);
  EXPECT_EQ(event->position().epoch(), snapshot->last.position().epoch());
}

TEST(WatchRevocationsConcurrent, ManyWatchersGetEveryRevocationWhileUnaryCallsStayFast) {
  std::unique_ptr<TokendServer> server = StartOrFail(
      WatchConfig("  history_events: 100\n  max_pending_events: 100\n  max_watchers: 150\n"));
  ASSERT_NE(server, nullptr);
  std::unique_ptr<client::TokenClient> client = ClientFor(*server, Bed().pki().client_uri());
  ASSERT_NE(client, nullptr);
  std::shared_ptr<grpc::Channel> channel = ChannelTo(*server, Bed().pki().client_uri());
  constexpr int kWatchers = 150;
  std::vector<std::unique_ptr<Watcher>> watchers;
  for (int i = 0; i < kWatchers; ++i) {
    watchers.push_back(std::make_unique<Watcher>(channel, v1::WatchRevocationsRequest()));
  }
  for (auto& w : watchers) ASSERT_TRUE(ReadWholeSnapshot(*w).has_value());
  // One more than max_watchers is refused.
  Watcher extra(channel, {});
  std::optional<grpc::Status> refused = extra.Ended();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  // Unary calls are not starved by the open streams.
  const absl::Time start = absl::Now();
  const std::string jti = RevokeNewToken(*client);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  for (auto& w : watchers) {
    std::optional<Response> event = w->NextEvent();
    ASSERT_TRUE(event.has_value());
    EXPECT_EQ(event->revoked().token_id(), jti);
  }
}

}  // namespace
}  // namespace tokend::testing
