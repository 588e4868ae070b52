// A revoked managed signing key in WatchRevocations, against the real tokend
// over mutual TLS with a real PostgreSQL: `tokend keys revoke` reaches the
// watchers of every replica as exactly one signing_key_id revocation, later
// snapshots (of a running replica and of one started after the revocation)
// hold it, and the C++ Verifier, which still has the key from its earlier
// JWK Set, answers inactive for a token signed with it; tokenctl watch
// prints it.

#include <grpcpp/grpcpp.h>

#include <deque>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/tokenctl_cli.h"
#include "client/verifier.h"
#include "gtest/gtest.h"
#include "tests/integration/api/api_test_util.h"
#include "tests/integration/api/watch_test_util.h"
#include "tokend/v1/token_service.grpc.pb.h"

namespace tokend::testing {
namespace {

using Response = v1::WatchRevocationsResponse;
using Outcome = client::Verification::Outcome;

constexpr char kAudience[] = "api://orders";

// One caller that may do everything this test does.
std::string CallersYaml() {
  return absl::StrCat("callers:\n  - id: \"", test::kClientUri,
                      "\"\n    rpcs: [Issue, Introspect, Revoke, GetJwks, WatchRevocations]\n"
                      "    issue_for_others: true\n    audiences: [\"",
                      kAudience, "\"]\n");
}

// A new KEK file (base64 of 32 random bytes) in the bed's directory.
std::string NewKekFile() {
  std::string bytes(32, '\0');
  std::ifstream("/dev/urandom", std::ios::binary).read(bytes.data(), 32);
  const std::string path = absl::StrCat(Bed().dir(), "/", Unique("kek"), ".b64");
  EXPECT_TRUE(WriteTextFile(path, absl::Base64Escape(bytes) + "\n").ok());
  return path;
}

// Managed keys on a fresh database migrated by `tokend migrate`, rotating
// hourly (nothing changes by itself during the test), heartbeats every
// 100 ms so that a verifier with a bound of 1 s is current soon. Returns
// the configuration's path.
std::string ManagedKeysConfigPath() {
  TokendConfig config = Bed().Config();
  config.signing_keys.clear();
  config.access_ttl = "5m";
  config.leeway = "5s";
  config.callers_yaml = CallersYaml();
  config.extra_yaml = absl::StrCat(
      "keys:\n  managed: true\n  alg: ES256\n  rotate_every: 1h\n  publish_ahead: 10m\n"
      "  kek_files: [\"",
      NewKekFile(), "\"]\nwatch:\n  heartbeat_interval: 100ms\n");
  absl::StatusOr<std::string> dsn =
      Cluster().CreateDatabase(absl::StrReplaceAll(Unique("key_watch"), {{"-", "_"}}));
  EXPECT_TRUE(dsn.ok()) << dsn.status();
  config.dsn = dsn.ok() ? *dsn : "";
  absl::StatusOr<std::string> path = Bed().WriteConfig(config);
  EXPECT_TRUE(path.ok()) << path.status();
  if (!path.ok()) return "";
  absl::StatusOr<CommandResult> migrated = RunTokend({"migrate", "--config", *path});
  EXPECT_TRUE(migrated.ok() && migrated->exit_code == 0)
      << (migrated.ok() ? migrated->stderr_text : migrated.status().ToString());
  return *path;
}

// `tokend keys <args> --config <path>`, its JSON output.
absl::StatusOr<Json> Keys(const std::vector<std::string>& args, const std::string& config_path) {
  std::vector<std::string> argv = {"keys"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--config");
  argv.push_back(config_path);
  absl::StatusOr<CommandResult> r = RunTokend(argv);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) return absl::InternalError(r->stderr_text);
  Json out = Json::parse(r->stdout_text, nullptr, false);
  if (out.is_discarded()) return absl::InternalError("not JSON: " + r->stdout_text);
  return out;
}

// The row of `kid` in `keys list`-style output (an empty object if none).
Json KeyRow(const Json& listed, const std::string& kid) {
  for (const Json& key : listed["keys"]) {
    if (key.value("kid", "") == kid) return key;
  }
  return Json::object();
}

std::string SignerKid(const Json& listed) {
  for (const Json& key : listed["keys"]) {
    if (key.value("state", "") == "signing") return key.value("kid", "");
  }
  return "";
}

// `tokend keys` prints times as 2026-12-02T16:30:00.123456Z.
absl::Time ParseKeysTime(const std::string& text) {
  absl::Time t = absl::InfinitePast();
  std::string error;
  EXPECT_TRUE(absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ", text, &t, &error)) << text << ": " << error;
  return t;
}

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

std::shared_ptr<grpc::Channel> ChannelTo(const TokendServer& server) {
  return grpc::CreateChannel(server.target(), SslCredentialsFor(&Bed().pki().client_uri()));
}

// The revocations of the whole snapshot that starts the stream (empty, and
// a failed test, if it does not come whole).
std::vector<v1::WatchedRevocation> SnapshotOf(RevocationWatcher& watcher) {
  std::optional<ReadSnapshot> snapshot = ReadWholeSnapshot(watcher);
  return snapshot.has_value() ? snapshot->revocations : std::vector<v1::WatchedRevocation>{};
}

// The signing key revocations among `revocations`.
std::vector<v1::WatchedRevocation> SigningKeys(const std::vector<v1::WatchedRevocation>& all) {
  std::vector<v1::WatchedRevocation> keys;
  for (const v1::WatchedRevocation& w : all) {
    if (w.target_case() == v1::WatchedRevocation::kSigningKeyId) keys.push_back(w);
  }
  return keys;
}

std::unique_ptr<client::Verifier> VerifierFor(const TokendServer& server) {
  client::VerifierOptions options;
  options.issuer = kTestIssuer;
  options.audiences = {kAudience};
  options.leeway = absl::Seconds(5);  // the server's
  options.max_staleness = absl::Seconds(1);
  auto channel = ChannelTo(server);
  absl::StatusOr<std::unique_ptr<client::Verifier>> verifier =
      client::Verifier::New(channel, options);
  EXPECT_TRUE(verifier.ok()) << verifier.status();
  if (!verifier.ok()) return nullptr;
  EXPECT_TRUE((*verifier)->WaitUntilCurrent(absl::Seconds(10))) << "never current";
  return *std::move(verifier);
}

// Two replicas with watchers and a verifier. `tokend keys revoke` of the
// signing key: within 2 s each replica's watcher gets one signing_key_id
// revocation of that kid, until the key's delete_after, and then nothing
// more (the rows are re-read every second: no repeat); the verifier, whose
// JWK Set still holds the key, answers inactive for a token the key signed
// before (verified and cached when it was active), and active for the new
// key's tokens. A fresh watch on a running replica, and on a replica started
// after the revocation, finds it in the snapshot, and so does tokenctl watch.
TEST(KeyRevocationWatch, ARevokedSigningKeyReachesEveryReplicasWatchersOnceAndVerifiersRefuseIt) {
  const std::string path = ManagedKeysConfigPath();
  ASSERT_FALSE(path.empty());
  absl::StatusOr<std::unique_ptr<TokendServer>> a = TokendServer::Start(path);
  ASSERT_TRUE(a.ok()) << a.status();
  absl::StatusOr<std::unique_ptr<TokendServer>> b = TokendServer::Start(path);
  ASSERT_TRUE(b.ok()) << b.status();
  std::unique_ptr<client::TokenClient> ca = ClientFor(**a, Bed().pki().client_uri());
  ASSERT_NE(ca, nullptr);

  absl::StatusOr<Json> listed = Keys({"list"}, path);
  ASSERT_TRUE(listed.ok()) << listed.status();
  const std::string kid = SignerKid(*listed);
  ASSERT_FALSE(kid.empty()) << listed->dump();
  absl::StatusOr<v1::IssueResponse> token = ca->Issue(IssueRequest({kAudience}));
  ASSERT_TRUE(token.ok()) << token.status();
  absl::StatusOr<DecodedJws> jws = DecodeJws(token->access_token());
  ASSERT_TRUE(jws.ok()) << jws.status();
  ASSERT_EQ(jws->header.value("kid", ""), kid);

  std::unique_ptr<client::Verifier> verifier = VerifierFor(**b);
  ASSERT_NE(verifier, nullptr);
  client::Verification before = verifier->Verify(token->access_token());
  ASSERT_EQ(before.outcome, Outcome::kActive) << before.reason;  // and now cached

  RevocationWatcher wa(ChannelTo(**a), {});
  RevocationWatcher wb(ChannelTo(**b), {});
  for (RevocationWatcher* w : {&wa, &wb}) EXPECT_TRUE(SigningKeys(SnapshotOf(*w)).empty());

  const absl::Time revoked = absl::Now();
  absl::StatusOr<Json> after = Keys({"revoke", kid}, path);
  ASSERT_TRUE(after.ok()) << after.status();
  const Json row = KeyRow(*after, kid);
  ASSERT_EQ(row.value("state", ""), "revoked") << after->dump();
  const absl::Time delete_after = ParseKeysTime(row.value("delete_after", ""));

  std::vector<uint64_t> event_sequences;
  for (RevocationWatcher* w : {&wa, &wb}) {
    std::optional<Response> event = w->NextEvent(revoked + absl::Seconds(2) - absl::Now());
    ASSERT_TRUE(event.has_value()) << "no event within 2 s of the revocation";
    const absl::Duration took = absl::Now() - revoked;
    std::cerr << "[key revocation watch] event after " << took << "\n";
    ASSERT_TRUE(event->has_revoked()) << event->DebugString();
    EXPECT_EQ(event->revoked().signing_key_id(), kid) << event->DebugString();
    EXPECT_EQ(FromProto(event->revoked().expires_at()), delete_after) << event->DebugString();
    EXPECT_FALSE(event->revoked().has_revoked_before());
    event_sequences.push_back(event->position().sequence());
  }
  const std::optional<absl::Duration> refused = [&]() -> std::optional<absl::Duration> {
    while (absl::Now() - revoked < absl::Seconds(2)) {
      if (verifier->Verify(token->access_token()).outcome == Outcome::kInactive) {
        return absl::Now() - revoked;
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
    return std::nullopt;
  }();
  ASSERT_TRUE(refused.has_value())
      << "the verifier still answers " << verifier->Verify(token->access_token()).reason;
  EXPECT_EQ(verifier->Verify(token->access_token()).reason, "signing key revoked");

  // The replicas re-read the rows every second: over 2.5 s more, nothing
  // else is sent, and the heartbeats' position stays at the event's.
  absl::SleepFor(absl::Milliseconds(2500));
  for (size_t i = 0; i < 2; ++i) {
    RevocationWatcher* w = i == 0 ? &wa : &wb;
    std::optional<Response> more = w->NextEvent(absl::Milliseconds(300));
    if (more.has_value()) ADD_FAILURE() << "a second event: " << more->DebugString();
    ASSERT_TRUE(w->last_heartbeat().has_value());
    EXPECT_EQ(w->last_heartbeat()->position().sequence(), event_sequences[i]);
  }

  // The new key's tokens are active here (its kid fetches the JWK Set).
  absl::StatusOr<v1::IssueResponse> fresh = ca->Issue(IssueRequest({kAudience}));
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  client::Verification fresh_answer = verifier->Verify(fresh->access_token());
  EXPECT_EQ(fresh_answer.outcome, Outcome::kActive) << fresh_answer.reason;

  absl::StatusOr<std::unique_ptr<TokendServer>> c = TokendServer::Start(path);
  ASSERT_TRUE(c.ok()) << c.status();
  for (TokendServer* s : {a->get(), c->get()}) {
    RevocationWatcher fresh_watch(ChannelTo(*s), {});
    std::vector<v1::WatchedRevocation> keys = SigningKeys(SnapshotOf(fresh_watch));
    ASSERT_EQ(keys.size(), 1u);
    EXPECT_EQ(keys[0].signing_key_id(), kid);
    EXPECT_EQ(FromProto(keys[0].expires_at()), delete_after);
  }

  // tokenctl watch prints it as it comes (here in the snapshot).
  const test::CertFiles& cert = Bed().pki().client_uri();
  std::istringstream in;
  std::ostringstream out;
  std::ostringstream err;
  const int exit_code = client::RunTokenctl(
      {"--target", (*c)->target(), "--ca", Bed().pki().ca_file(), "--cert", cert.cert_file, "--key",
       cert.key_file, "watch", "--for", "500ms"},
      [](const std::string&) { return std::nullopt; }, in, out, err);
  EXPECT_EQ(exit_code, 0) << err.str();
  EXPECT_NE(out.str().find(absl::StrCat(R"("signing_key_id":")", kid, R"(")")), std::string::npos)
      << out.str();
}

}  // namespace
}  // namespace tokend::testing
