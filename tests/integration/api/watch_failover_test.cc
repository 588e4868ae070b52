// WatchRevocations when a replica fails, against real tokend processes over
// mutual TLS with a real PostgreSQL:
//   - a watcher of a replica that is killed resumes on another replica with
//     its last position, gets a fresh snapshot, and misses nothing revoked
//     before or during the outage;
//   - the C++ Verifier, given one channel whose target lists two replicas,
//     fails over to the second when the first is killed, and answers
//     inactive for what was revoked through the second;
//   - a replica cut off from PostgreSQL for longer than its
//     revocation_max_staleness says so in its heartbeats (stale = true), and
//     stops saying so once PostgreSQL is reachable again; a Verifier of that
//     replica answers unknown meanwhile and active again after.

#include <grpcpp/grpcpp.h>

#include <deque>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/verifier.h"
#include "gtest/gtest.h"
#include "tests/integration/api/api_test_util.h"
#include "tests/integration/api/watch_test_util.h"
#include "tests/support/pg_proxy/pg_proxy.h"
#include "tokend/v1/token_service.grpc.pb.h"

namespace tokend::testing {
namespace {

using Response = v1::WatchRevocationsResponse;
using Watcher = RevocationWatcher;
using Outcome = client::Verification::Outcome;

constexpr char kAudience[] = "api://orders";

// Heartbeats every 100 ms, so that a verifier with a bound of 1 s stays
// current, and every case is quick.
TokendConfig WatchConfig() {
  TokendConfig config = Bed().Config();
  config.callers_yaml = CallersYamlWithWatch();
  config.extra_yaml =
      "limits:\n  subject_revocations_per_minute: 0\nwatch:\n  heartbeat_interval: 100ms\n";
  return config;
}

std::shared_ptr<grpc::Channel> ChannelTo(const TokendServer& server) {
  return grpc::CreateChannel(server.target(), SslCredentialsFor(&Bed().pki().client_uri()));
}

// The epoch a replica numbers its view with (from a snapshot of its own).
std::string EpochOf(const TokendServer& server) {
  Watcher watcher(ChannelTo(server), {});
  std::optional<ReadSnapshot> snapshot = ReadWholeSnapshot(watcher);
  return snapshot.has_value() ? snapshot->last.position().epoch() : "";
}

std::string Claim(absl::string_view token, const char* name) {
  absl::StatusOr<DecodedJws> jws = DecodeJws(token);
  if (!jws.ok() || !jws->payload.contains(name)) return "";
  return jws->payload[name].get<std::string>();
}

v1::IssueResponse IssueFor(client::TokenClient& client, absl::string_view subject,
                           bool with_refresh = false) {
  absl::StatusOr<v1::IssueResponse> issued =
      client.Issue(IssueRequest({kAudience}, {}, with_refresh, subject));
  EXPECT_TRUE(issued.ok()) << issued.status();
  return issued.ok() ? *issued : v1::IssueResponse();
}

// Revocations of each kind, made through one client: what a watcher must
// then hold, by target.
struct Revoked {
  std::set<std::string> targets;
  std::vector<std::string> access_tokens;  // one per revocation, each revoked by it
};

// Revokes an access token, a refresh family (through its refresh token) and
// a subject through `client`, adding them to `out`.
void RevokeOneOfEach(client::TokenClient& client, Revoked* out) {
  const v1::IssueResponse token = IssueFor(client, Unique("failover-token"));
  ASSERT_TRUE(client.Revoke(RevokeTokenRequest(token.access_token())).ok());
  out->targets.insert("token:" + Claim(token.access_token(), "jti"));
  out->access_tokens.push_back(token.access_token());

  const v1::IssueResponse family = IssueFor(client, Unique("failover-family"), true);
  ASSERT_TRUE(client.Revoke(RevokeTokenRequest(family.refresh_token())).ok());
  out->targets.insert("family:" + Claim(family.access_token(), "sid"));
  out->access_tokens.push_back(family.access_token());

  const std::string subject = Unique("failover-subject");
  const v1::IssueResponse of_subject = IssueFor(client, subject);
  ASSERT_TRUE(client.Revoke(RevokeSubjectRequest(subject)).ok());
  out->targets.insert("subject:" + subject);
  out->access_tokens.push_back(of_subject.access_token());
}

TEST(WatchFailover, AWatcherOfAKilledReplicaResumesOnAnotherWithAFreshSnapshotMissingNothing) {
  std::unique_ptr<TokendServer> a = StartOrFail(WatchConfig());
  std::unique_ptr<TokendServer> b = StartOrFail(WatchConfig());
  ASSERT_TRUE(a != nullptr && b != nullptr);
  std::unique_ptr<client::TokenClient> through_a = ClientFor(*a, Bed().pki().client_uri());
  std::unique_ptr<client::TokenClient> through_b = ClientFor(*b, Bed().pki().client_uri());
  ASSERT_TRUE(through_a != nullptr && through_b != nullptr);

  // Before the watch: in A's snapshot.
  Revoked before;
  ASSERT_NO_FATAL_FAILURE(RevokeOneOfEach(*through_b, &before));
  std::set<std::string> expected = before.targets;

  v1::RevocationPosition last;
  {
    Watcher on_a(ChannelTo(*a), {});
    std::optional<ReadSnapshot> snapshot = ReadWholeSnapshot(on_a);
    ASSERT_TRUE(snapshot.has_value());
    for (const std::string& t : before.targets) EXPECT_TRUE(snapshot->targets.contains(t)) << t;
    last = snapshot->last.position();

    // While watching: as events, through either replica.
    Revoked watched;
    ASSERT_NO_FATAL_FAILURE(RevokeOneOfEach(*through_a, &watched));
    ASSERT_NO_FATAL_FAILURE(RevokeOneOfEach(*through_b, &watched));
    std::set<std::string> seen;
    while (seen.size() < watched.targets.size()) {
      std::optional<Response> r = on_a.Next();
      ASSERT_TRUE(r.has_value()) << "events missing: " << seen.size() << " of "
                                 << watched.targets.size();
      if (r->has_revoked()) seen.insert(TargetOf(r->revoked()));
      last = r->position();
    }
    EXPECT_EQ(seen, watched.targets);
    expected.insert(watched.targets.begin(), watched.targets.end());

    // A dies without a word: its watcher's stream breaks.
    a->Kill();
    std::optional<grpc::Status> ended = on_a.Ended();
    ASSERT_TRUE(ended.has_value()) << "the stream outlived its replica";
    EXPECT_EQ(ended->error_code(), grpc::StatusCode::UNAVAILABLE) << ended->error_message();
  }

  // While A is gone, through B.
  Revoked during;
  ASSERT_NO_FATAL_FAILURE(RevokeOneOfEach(*through_b, &during));
  expected.insert(during.targets.begin(), during.targets.end());

  // The watcher comes to B with A's position: B cannot resume from another
  // replica's numbering, so it sends a whole snapshot of its own, which
  // holds everything revoked before, while watching and during the outage.
  Watcher on_b(ChannelTo(*b), ResumeFrom(last));
  std::optional<ReadSnapshot> fresh = ReadWholeSnapshot(on_b);
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->last.snapshot().reason(), v1::RevocationSnapshot::REASON_UNKNOWN_POSITION);
  EXPECT_NE(fresh->last.position().epoch(), last.epoch());
  for (const std::string& t : expected) {
    EXPECT_TRUE(fresh->targets.contains(t)) << "missing from B's snapshot: " << t;
  }
  // Then B vouches for it, and goes on from it.
  std::optional<Response> heartbeat = on_b.Next();
  ASSERT_TRUE(heartbeat.has_value() && heartbeat->has_heartbeat());
  EXPECT_FALSE(heartbeat->heartbeat().stale());
  EXPECT_EQ(heartbeat->position().SerializeAsString(), fresh->last.position().SerializeAsString());
  Revoked after;
  ASSERT_NO_FATAL_FAILURE(RevokeOneOfEach(*through_b, &after));
  std::set<std::string> seen_after;
  uint64_t sequence = fresh->last.position().sequence();
  while (seen_after.size() < after.targets.size()) {
    std::optional<Response> r = on_b.Next();
    ASSERT_TRUE(r.has_value()) << "events missing after the failover";
    if (!r->has_revoked()) continue;
    seen_after.insert(TargetOf(r->revoked()));
    EXPECT_EQ(r->position().sequence(), ++sequence);
  }
  EXPECT_EQ(seen_after, after.targets);
}

// A Verifier over a TokenClient whose target names both replicas: gRPC's
// default policy (pick_first) uses the first address that answers, and
// when that replica dies the next stream goes to the other.
TEST(WatchFailover, AVerifierGivenTwoReplicasMovesToTheSecondWhenTheFirstIsKilled) {
  std::unique_ptr<TokendServer> a = StartOrFail(WatchConfig());
  std::unique_ptr<TokendServer> b = StartOrFail(WatchConfig());
  ASSERT_TRUE(a != nullptr && b != nullptr);
  std::unique_ptr<client::TokenClient> through_b = ClientFor(*b, Bed().pki().client_uri());
  ASSERT_NE(through_b, nullptr);
  const std::string epoch_a = EpochOf(*a);
  const std::string epoch_b = EpochOf(*b);
  ASSERT_FALSE(epoch_a.empty() || epoch_b.empty());

  client::ClientOptions both;
  both.target = absl::StrCat("ipv4:", a->target(), ",", b->target());
  both.ca_file = Bed().pki().ca_file();
  both.cert_file = Bed().pki().client_uri().cert_file;
  both.key_file = Bed().pki().client_uri().key_file;
  // The target names no host; the servers' certificates are for localhost.
  both.server_name_override = "localhost";
  absl::StatusOr<std::unique_ptr<client::TokenClient>> client = client::TokenClient::New(both);
  ASSERT_TRUE(client.ok()) << client.status();

  client::VerifierOptions options;
  options.issuer = kTestIssuer;
  options.audiences = {kAudience};
  options.leeway = absl::Seconds(5);
  const absl::Duration max_staleness = absl::Seconds(1);
  options.max_staleness = max_staleness;
  options.reconnect_backoff_initial = absl::Milliseconds(50);
  options.reconnect_backoff_max = absl::Milliseconds(200);
  absl::StatusOr<std::unique_ptr<client::Verifier>> made = client::Verifier::New(**client, options);
  ASSERT_TRUE(made.ok()) << made.status();
  client::Verifier& verifier = **made;
  ASSERT_TRUE(verifier.WaitUntilCurrent(absl::Seconds(10)));
  ASSERT_TRUE(verifier.position().has_value());
  ASSERT_EQ(verifier.position()->epoch(), epoch_a) << "pick_first did not take the first address";

  // Revoked through B before the failover: inactive from A's view, and
  // never active again.
  Revoked before;
  ASSERT_NO_FATAL_FAILURE(RevokeOneOfEach(*through_b, &before));
  const absl::Time wait_until = absl::Now() + absl::Seconds(2);
  for (const std::string& token : before.access_tokens) {
    while (verifier.Verify(token).outcome != Outcome::kInactive && absl::Now() < wait_until) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    ASSERT_EQ(verifier.Verify(token).outcome, Outcome::kInactive);
  }
  const v1::IssueResponse live = IssueFor(*through_b, Unique("failover-live"));
  ASSERT_EQ(verifier.Verify(live.access_token()).outcome, Outcome::kActive);
  const int streams = verifier.streams_opened();

  a->Kill();
  const absl::Time killed = absl::Now();
  Revoked during;
  ASSERT_NO_FATAL_FAILURE(RevokeOneOfEach(*through_b, &during));
  const absl::Time revoked = absl::Now();

  // Watch every answer until each token revoked during the outage is
  // inactive and the live one is active again (the verifier is on B).
  const absl::Duration bound = absl::Seconds(5);
  std::vector<std::optional<absl::Time>> inactive_at(during.access_tokens.size());
  std::optional<absl::Time> active_again_at;
  int polls = 0;
  while (absl::Now() - killed < bound) {
    const absl::Time now = absl::Now();
    ++polls;
    // Unknown is allowed (the view may be past its bound before the new
    // stream proves it current); active never is, once its bound passed.
    for (const std::string& token : before.access_tokens) {
      const client::Verification v = verifier.Verify(token);
      ASSERT_NE(v.outcome, Outcome::kActive)
          << "revoked before the failover, then active " << absl::FormatDuration(now - killed)
          << " after the kill";
    }
    for (size_t i = 0; i < during.access_tokens.size(); ++i) {
      const client::Verification v = verifier.Verify(during.access_tokens[i]);
      if (v.outcome == Outcome::kInactive) {
        ASSERT_EQ(v.reason, "revoked");
        if (!inactive_at[i].has_value()) inactive_at[i] = now;
      } else if (v.outcome == Outcome::kActive) {
        ASSERT_FALSE(inactive_at[i].has_value()) << "token " << i << " inactive, then active";
        // Active only while the verifier may still vouch from what it
        // knew before the revocation: within max_staleness of it.
        ASSERT_LT(now, revoked + max_staleness)
            << "token " << i << " revoked through B still active "
            << absl::FormatDuration(now - revoked) << " after its revocation";
      }
    }
    if (verifier.Verify(live.access_token()).outcome == Outcome::kActive && now > revoked &&
        verifier.position()->epoch() == epoch_b) {
      active_again_at = active_again_at.value_or(now);
    }
    bool done = active_again_at.has_value();
    for (const auto& at : inactive_at) done = done && at.has_value();
    if (done) break;
    absl::SleepFor(absl::Milliseconds(2));
  }
  for (size_t i = 0; i < inactive_at.size(); ++i) {
    ASSERT_TRUE(inactive_at[i].has_value()) << "token " << i << " revoked through B not inactive "
                                            << absl::FormatDuration(bound) << " after A was killed";
    std::cerr << "[failover] revocation " << i << " through B inactive in the verifier "
              << absl::FormatDuration(*inactive_at[i] - killed) << " after A was killed\n";
  }
  ASSERT_TRUE(active_again_at.has_value()) << "the verifier never vouched from B";
  std::cerr << "[failover] verifier vouching from B "
            << absl::FormatDuration(*active_again_at - killed) << " after A was killed (" << polls
            << " rounds of answers checked)\n";
  EXPECT_EQ(verifier.position()->epoch(), epoch_b);
  EXPECT_GT(verifier.streams_opened(), streams);

  // And it goes on from B: a revocation through B reaches it within a second.
  const v1::IssueResponse later = IssueFor(*through_b, Unique("failover-later"));
  ASSERT_EQ(verifier.Verify(later.access_token()).outcome, Outcome::kActive);
  ASSERT_TRUE(through_b->Revoke(RevokeTokenRequest(later.access_token())).ok());
  const absl::Time later_revoked = absl::Now();
  while (verifier.Verify(later.access_token()).outcome != Outcome::kInactive &&
         absl::Now() - later_revoked < absl::Seconds(1)) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(verifier.Verify(later.access_token()).outcome, Outcome::kInactive);
}

// A replica reaches PostgreSQL through a proxy that the test cuts for
// longer than the replica's revocation_max_staleness (3 s). Another
// replica, on PostgreSQL directly, takes a revocation meanwhile.
TEST(StaleHeartbeats, AReplicaCutOffFromPostgresSaysStaleUntilItCatchesUpAndItsVerifierFollows) {
  absl::StatusOr<std::unique_ptr<PgProxy>> proxy = PgProxy::Start(Cluster().port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  TokendConfig config = WatchConfig();
  config.dsn = absl::StrCat("host=127.0.0.1 port=", (*proxy)->port(),
                            " user=postgres dbname=tokend_api sslmode=disable gssencmode=disable");
  config.revocation_max_staleness = "3s";
  std::unique_ptr<TokendServer> cut = StartOrFail(config);
  std::unique_ptr<TokendServer> other = StartOrFail(WatchConfig());
  ASSERT_TRUE(cut != nullptr && other != nullptr);
  std::unique_ptr<client::TokenClient> through_other = ClientFor(*other, Bed().pki().client_uri());
  ASSERT_NE(through_other, nullptr);

  client::VerifierOptions options;
  options.issuer = kTestIssuer;
  options.audiences = {kAudience};
  options.leeway = absl::Seconds(5);
  options.max_staleness = absl::Seconds(1);
  options.reconnect_backoff_initial = absl::Milliseconds(50);
  options.reconnect_backoff_max = absl::Milliseconds(200);
  absl::StatusOr<std::unique_ptr<client::Verifier>> made =
      client::Verifier::New(ChannelTo(*cut), options);
  ASSERT_TRUE(made.ok()) << made.status();
  client::Verifier& verifier = **made;
  ASSERT_TRUE(verifier.WaitUntilCurrent(absl::Seconds(10)));
  const v1::IssueResponse live = IssueFor(*through_other, Unique("stale-live"));
  const v1::IssueResponse doomed = IssueFor(*through_other, Unique("stale-doomed"));
  ASSERT_EQ(verifier.Verify(live.access_token()).outcome, Outcome::kActive);

  Watcher watcher(ChannelTo(*cut), {});
  ASSERT_TRUE(ReadWholeSnapshot(watcher).has_value());
  std::optional<Response> first = watcher.Next();
  ASSERT_TRUE(first.has_value() && first->has_heartbeat());
  ASSERT_FALSE(first->heartbeat().stale()) << "stale before the cut";

  (*proxy)->SetCut(true);
  const absl::Time cut_at = absl::Now();
  // Heartbeats go on (the view is in memory); they turn stale once the
  // replica has gone its bound without proving its view complete. It last
  // proved it at most about a second before the cut.
  std::optional<absl::Time> stale_at;
  while (!stale_at.has_value() && absl::Now() - cut_at < absl::Seconds(10)) {
    std::optional<std::pair<Response, absl::Time>> r = watcher.NextWithTime(absl::Seconds(1));
    ASSERT_TRUE(r.has_value()) << "no heartbeat " << absl::FormatDuration(absl::Now() - cut_at)
                               << " into the cut";
    if (r->first.has_heartbeat() && r->first.heartbeat().stale()) stale_at = r->second;
  }
  ASSERT_TRUE(stale_at.has_value()) << "no stale heartbeat 10 s into the cut";
  std::cerr << "[stale] first stale heartbeat " << absl::FormatDuration(*stale_at - cut_at)
            << " into the cut\n";
  EXPECT_GE(*stale_at - cut_at, absl::Seconds(1)) << "stale before its bound could pass";
  EXPECT_GT((*proxy)->cuts(), 0) << "the proxy cut no connection";

  // The verifier of that replica hears the same heartbeats: unknown, not
  // active, for as long as the replica says stale.
  const absl::Time wait_until = absl::Now() + absl::Seconds(2);
  while (verifier.Verify(live.access_token()).outcome != Outcome::kUnknown &&
         absl::Now() < wait_until) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  client::Verification unknown = verifier.Verify(live.access_token());
  ASSERT_EQ(unknown.outcome, Outcome::kUnknown);
  EXPECT_EQ(unknown.reason, client::ViewProblemName(client::ViewProblem::kReplicaStale));

  // Revoked through the other replica while this one cannot read it.
  ASSERT_TRUE(through_other->Revoke(RevokeTokenRequest(doomed.access_token())).ok());
  const std::string doomed_jti = Claim(doomed.access_token(), "jti");

  // Stale heartbeats for a while longer, and never an active answer.
  const absl::Time hold_until = absl::Now() + absl::Seconds(1);
  while (absl::Now() < hold_until) {
    std::optional<Response> r = watcher.Next(absl::Seconds(1));
    ASSERT_TRUE(r.has_value());
    if (r->has_heartbeat()) {
      EXPECT_TRUE(r->heartbeat().stale());
    }
    EXPECT_NE(verifier.Verify(live.access_token()).outcome, Outcome::kActive);
    EXPECT_NE(verifier.Verify(doomed.access_token()).outcome, Outcome::kActive);
  }

  // PostgreSQL reachable again: the replica catches up by itself. The
  // revocation it missed comes as an event before the first heartbeat that
  // is no longer stale.
  (*proxy)->SetCut(false);
  const absl::Time restored = absl::Now();
  bool missed_event_seen = false;
  std::optional<absl::Time> current_at;
  while (!current_at.has_value() && absl::Now() - restored < absl::Seconds(20)) {
    std::optional<std::pair<Response, absl::Time>> r = watcher.NextWithTime(absl::Seconds(1));
    ASSERT_TRUE(r.has_value()) << "the stream went silent after the cut";
    if (r->first.has_revoked() && r->first.revoked().token_id() == doomed_jti) {
      missed_event_seen = true;
    }
    if (r->first.has_heartbeat() && !r->first.heartbeat().stale()) {
      EXPECT_TRUE(missed_event_seen) << "current again without the revocation it missed";
      current_at = r->second;
    }
    EXPECT_NE(verifier.Verify(doomed.access_token()).outcome, Outcome::kActive);
  }
  ASSERT_TRUE(current_at.has_value()) << "still stale 20 s after PostgreSQL came back";
  std::cerr << "[stale] heartbeats current again " << absl::FormatDuration(*current_at - restored)
            << " after the proxy let traffic through\n";

  // And the verifier vouches again: active for the live token, inactive
  // (revoked) for the one revoked during the cut.
  const absl::Time recover_until = absl::Now() + absl::Seconds(2);
  while (verifier.Verify(live.access_token()).outcome != Outcome::kActive &&
         absl::Now() < recover_until) {
    EXPECT_NE(verifier.Verify(doomed.access_token()).outcome, Outcome::kActive);
    absl::SleepFor(absl::Milliseconds(5));
  }
  client::Verification again = verifier.Verify(live.access_token());
  EXPECT_EQ(again.outcome, Outcome::kActive) << again.reason;
  client::Verification revoked = verifier.Verify(doomed.access_token());
  EXPECT_EQ(revoked.outcome, Outcome::kInactive) << revoked.reason;
  EXPECT_EQ(revoked.reason, "revoked");
}

}  // namespace
}  // namespace tokend::testing
