// The Verifier's logic against a fake tokend (a fake GetJwks and a fake
// WatchRevocations stream fed by the test) and a fake clock: what is active,
// inactive and unknown, snapshot replacement, resuming, the cache, and the
// rate-limited JWK Set refetch. tests/integration/api/verifier_test.cc runs
// the same paths against a real tokend.

#include "client/verifier.h"

#include <google/protobuf/util/json_util.h>

#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "crypto/base64url.h"
#include "gtest/gtest.h"
#include "jwt/jwt.h"
#include "keys/jwk.h"
#include "keys/key_ring.h"
#include "unit/crypto/test_keys.h"

namespace tokend::client {
namespace {

using Outcome = Verification::Outcome;
using v1::WatchRevocationsResponse;

constexpr char kIssuer[] = "https://tokend.test";
constexpr char kAudience[] = "orders";

// What the fake tokend holds: the JWK Set text, the streams opened and the
// messages queued on them. Shared by the test and the backend the Verifier
// owns.
struct FakeTokend {
  absl::Mutex mu;
  std::string jwks ABSL_GUARDED_BY(mu);
  int jwks_calls ABSL_GUARDED_BY(mu) = 0;
  std::vector<v1::WatchRevocationsRequest> requests ABSL_GUARDED_BY(mu);
  struct StreamState {
    std::deque<WatchRevocationsResponse> queue;
    bool ended = false;  // by the server (EndStream) or by Cancel
  };
  std::vector<std::shared_ptr<StreamState>> streams ABSL_GUARDED_BY(mu);

  void SetJwks(std::string text) {
    absl::MutexLock lock(&mu);
    jwks = std::move(text);
  }
  int JwksCalls() {
    absl::MutexLock lock(&mu);
    return jwks_calls;
  }
  // Queues `message` on the newest stream.
  void Send(const WatchRevocationsResponse& message) {
    absl::MutexLock lock(&mu);
    streams.back()->queue.push_back(message);
  }
  // Ends the newest stream once its queued messages have been read.
  void EndStream() {
    absl::MutexLock lock(&mu);
    streams.back()->ended = true;
  }
  // Waits until `n` streams have been opened.
  bool WaitForStreams(size_t n, absl::Duration timeout = absl::Seconds(5)) {
    absl::MutexLock lock(&mu);
    auto enough = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu) { return streams.size() >= n; };
    return mu.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }
  v1::WatchRevocationsRequest Request(size_t i) {
    absl::MutexLock lock(&mu);
    return requests.at(i);
  }
};

class FakeStream final : public VerifierBackend::Stream {
 public:
  FakeStream(std::shared_ptr<FakeTokend> tokend, std::shared_ptr<FakeTokend::StreamState> state)
      : tokend_(std::move(tokend)), state_(std::move(state)) {}
  bool Read(WatchRevocationsResponse* message) override {
    absl::MutexLock lock(&tokend_->mu);
    auto ready = [this] { return !state_->queue.empty() || state_->ended; };
    tokend_->mu.Await(absl::Condition(&ready));
    if (state_->queue.empty()) return false;
    *message = state_->queue.front();
    state_->queue.pop_front();
    return true;
  }
  void Cancel() override {
    absl::MutexLock lock(&tokend_->mu);
    state_->ended = true;
    state_->queue.clear();
  }
  absl::Status Finish() override { return absl::UnavailableError("stream ended"); }

 private:
  std::shared_ptr<FakeTokend> tokend_;
  std::shared_ptr<FakeTokend::StreamState> state_;
};

class FakeBackend final : public VerifierBackend {
 public:
  explicit FakeBackend(std::shared_ptr<FakeTokend> tokend) : tokend_(std::move(tokend)) {}
  absl::StatusOr<std::string> GetJwks() override {
    absl::MutexLock lock(&tokend_->mu);
    ++tokend_->jwks_calls;
    if (tokend_->jwks.empty()) return absl::UnavailableError("no jwks");
    return tokend_->jwks;
  }
  std::unique_ptr<Stream> Watch(const v1::WatchRevocationsRequest& request) override {
    absl::MutexLock lock(&tokend_->mu);
    tokend_->requests.push_back(request);
    auto state = std::make_shared<FakeTokend::StreamState>();
    tokend_->streams.push_back(state);
    return std::make_unique<FakeStream>(tokend_, state);
  }

 private:
  std::shared_ptr<FakeTokend> tokend_;
};

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp out;
  out.set_seconds(absl::ToUnixSeconds(t));
  return out;
}

WatchRevocationsResponse Message(const std::string& epoch, uint64_t sequence) {
  WatchRevocationsResponse m;
  m.mutable_position()->set_epoch(epoch);
  m.mutable_position()->set_sequence(sequence);
  return m;
}

class VerifierTest : public ::testing::Test {
 protected:
  VerifierTest() : clock_(absl::FromUnixSeconds(1'800'000'000)) {
    key_ = keys::Key{.kid = "key-1",
                     .alg = crypto::Algorithm::kES256,
                     .pkey = ::tokend::testing::GenerateSharedKey(crypto::Algorithm::kES256)};
    tokend_->SetJwks(JwksOf({key_}));
  }

  static std::string JwksOf(std::vector<keys::Key> keys) {
    absl::StatusOr<std::shared_ptr<const keys::KeyRing>> ring = keys::KeyRing::New(keys);
    EXPECT_TRUE(ring.ok()) << ring.status();
    absl::StatusOr<std::string> jwks = keys::JwksJson(**ring);
    EXPECT_TRUE(jwks.ok());
    return *jwks;
  }

  jwt::Claims ClaimsFor(const std::string& jti) const {
    const absl::Time now = clock_.Now();
    return jwt::Claims{.issuer = kIssuer,
                       .subject = "alice",
                       .audience = {kAudience, "billing"},
                       .issued_at = now - absl::Seconds(10),
                       .not_before = now - absl::Seconds(10),
                       .expires_at = now + absl::Minutes(10),
                       .token_id = jti,
                       .client_id = "spiffe://test/issuer",
                       .scopes = {"read", "write"},
                       .session_id = "family-1",
                       .custom_claims_json = R"({"tenant":"acme"})"};
  }

  std::string Sign(const jwt::Claims& claims, const keys::Key* key = nullptr) const {
    absl::StatusOr<std::string> token = jwt::Sign(claims, key != nullptr ? *key : key_);
    EXPECT_TRUE(token.ok()) << token.status();
    return *token;
  }

  std::unique_ptr<Verifier> Start(VerifierOptions options = {}) {
    if (options.issuer.empty()) options.issuer = kIssuer;
    if (options.audiences.empty()) options.audiences = {kAudience};
    options.clock = &clock_;
    options.max_staleness = absl::Seconds(3);
    absl::StatusOr<std::unique_ptr<Verifier>> verifier =
        Verifier::New(std::make_unique<FakeBackend>(tokend_), options);
    EXPECT_TRUE(verifier.ok()) << verifier.status();
    EXPECT_TRUE(tokend_->WaitForStreams(1));
    return verifier.ok() ? *std::move(verifier) : nullptr;
  }

  // Sends `message` and waits until the verifier has applied it.
  void Deliver(Verifier& verifier, const WatchRevocationsResponse& message) {
    const int64_t before = verifier.messages_applied();
    tokend_->Send(message);
    const absl::Time give_up = absl::Now() + absl::Seconds(5);
    while (verifier.messages_applied() == before && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    ASSERT_GT(verifier.messages_applied(), before) << "message not applied";
  }

  // A complete one-part snapshot of `revocations` at (epoch, sequence),
  // then a heartbeat that says the replica is current.
  void SnapshotAndHeartbeat(Verifier& verifier, const std::string& epoch, uint64_t sequence,
                            std::vector<v1::WatchedRevocation> revocations = {}) {
    WatchRevocationsResponse snapshot = Message(epoch, sequence);
    snapshot.mutable_snapshot()->set_complete(true);
    for (auto& r : revocations) *snapshot.mutable_snapshot()->add_revocations() = r;
    Deliver(verifier, snapshot);
    Heartbeat(verifier, epoch, sequence, false);
  }

  void Heartbeat(Verifier& verifier, const std::string& epoch, uint64_t sequence, bool stale) {
    WatchRevocationsResponse heartbeat = Message(epoch, sequence);
    heartbeat.mutable_heartbeat()->set_stale(stale);
    Deliver(verifier, heartbeat);
  }

  v1::WatchedRevocation RevokedJti(const std::string& jti) const {
    v1::WatchedRevocation r;
    r.set_token_id(jti);
    *r.mutable_expires_at() = Ts(clock_.Now() + absl::Hours(1));
    return r;
  }

  common::FakeClock clock_;
  keys::Key key_;
  std::shared_ptr<FakeTokend> tokend_ = std::make_shared<FakeTokend>();
};

TEST_F(VerifierTest, AnswersActiveWithTheClaimsIntrospectGivesOnceTheViewIsCurrent) {
  std::unique_ptr<Verifier> verifier = Start();
  const std::string token = Sign(ClaimsFor("jti-1"));
  EXPECT_EQ(verifier->Verify(token).outcome, Outcome::kUnknown);  // no snapshot yet
  SnapshotAndHeartbeat(*verifier, "e1", 0);
  ASSERT_TRUE(verifier->WaitUntilCurrent(absl::Seconds(1)));

  Verification v = verifier->Verify(token);
  ASSERT_EQ(v.outcome, Outcome::kActive) << v.reason;
  v1::IntrospectResponse r = v.ToIntrospectResponse();
  EXPECT_TRUE(r.active());
  EXPECT_EQ(r.token_type(), v1::TOKEN_TYPE_ACCESS_TOKEN);
  EXPECT_EQ(r.subject(), "alice");
  EXPECT_EQ(r.issuer(), kIssuer);
  ASSERT_EQ(r.audience_size(), 2);
  EXPECT_EQ(r.audience(1), "billing");
  ASSERT_EQ(r.scopes_size(), 2);
  EXPECT_EQ(r.client_id(), "spiffe://test/issuer");
  EXPECT_EQ(r.token_id(), "jti-1");
  EXPECT_EQ(r.expires_at().seconds(), absl::ToUnixSeconds(clock_.Now() + absl::Minutes(10)));
  // Read through protobuf's JSON printer rather than a Map lookup compiled
  // here: in the TSan build, fields().at() crashed (SEGV in
  // Map::InnerMap::FindHelper, inlined into this file) while the plain build
  // passed; the cause was not pinned down.
  std::string claims_json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(r.claims(), &claims_json).ok());
  EXPECT_EQ(claims_json, R"({"tenant":"acme"})");

  Verification inactive = verifier->Verify("not.a.token");
  EXPECT_EQ(inactive.outcome, Outcome::kInactive);
  EXPECT_FALSE(inactive.ToIntrospectResponse().active());
  EXPECT_FALSE(inactive.reason.empty());
}

TEST_F(VerifierTest, ChecksIssuerAudienceTimesAndTheKeysOwnAlgorithm) {
  std::unique_ptr<Verifier> verifier = Start();
  SnapshotAndHeartbeat(*verifier, "e1", 0);
  jwt::Claims other_issuer = ClaimsFor("a");
  other_issuer.issuer = "https://elsewhere";
  EXPECT_EQ(verifier->Verify(Sign(other_issuer)).reason, "iss: not the configured issuer");
  jwt::Claims other_audience = ClaimsFor("b");
  other_audience.audience = {"billing"};
  EXPECT_EQ(verifier->Verify(Sign(other_audience)).reason, "aud: not an expected audience");
  jwt::Claims expired = ClaimsFor("c");
  expired.expires_at = clock_.Now() - absl::Seconds(31);  // beyond the 30 s leeway
  EXPECT_EQ(verifier->Verify(Sign(expired)).reason, "exp: expired");
  jwt::Claims within_leeway = ClaimsFor("d");
  within_leeway.expires_at = clock_.Now() - absl::Seconds(29);
  EXPECT_EQ(verifier->Verify(Sign(within_leeway)).outcome, Outcome::kActive);
  jwt::Claims future = ClaimsFor("e");
  future.not_before = clock_.Now() + absl::Minutes(1);
  EXPECT_EQ(verifier->Verify(Sign(future)).reason, "nbf: not yet valid");
  // The same kid with another key of another algorithm: the JWK's alg wins.
  keys::Key impostor{.kid = "key-1",
                     .alg = crypto::Algorithm::kEdDSA,
                     .pkey = ::tokend::testing::GenerateSharedKey(crypto::Algorithm::kEdDSA)};
  EXPECT_EQ(verifier->Verify(Sign(ClaimsFor("f"), &impostor)).reason,
            "header: alg does not match the key");
  keys::Key same_alg_other_key{
      .kid = "key-1",
      .alg = crypto::Algorithm::kES256,
      .pkey = ::tokend::testing::GenerateSharedKey(crypto::Algorithm::kES256)};
  EXPECT_EQ(verifier->Verify(Sign(ClaimsFor("g"), &same_alg_other_key)).reason,
            "signature: does not verify");
}

TEST_F(VerifierTest, AStaleViewAnswersUnknownButNeverHidesAnInactiveToken) {
  std::unique_ptr<Verifier> verifier = Start();
  const std::string token = Sign(ClaimsFor("jti-1"));
  jwt::Claims expired = ClaimsFor("old");
  expired.expires_at = clock_.Now() - absl::Minutes(5);
  const std::string expired_token = Sign(expired);
  EXPECT_EQ(verifier->Verify(token).reason, "no complete revocation snapshot yet");
  EXPECT_EQ(verifier->Verify(expired_token).outcome, Outcome::kInactive);

  SnapshotAndHeartbeat(*verifier, "e1", 0);
  EXPECT_EQ(verifier->Verify(token).outcome, Outcome::kActive);

  // The bound is 3 s: at 3 s the view still vouches, past it not.
  clock_.Advance(absl::Seconds(3));
  EXPECT_EQ(verifier->Verify(token).outcome, Outcome::kActive);
  clock_.Advance(absl::Milliseconds(1));
  Verification v = verifier->Verify(token);
  EXPECT_EQ(v.outcome, Outcome::kUnknown);
  EXPECT_EQ(v.reason, "revocation view older than its staleness bound");
  EXPECT_FALSE(v.ToIntrospectResponse().active());
  EXPECT_EQ(verifier->Verify(expired_token).outcome, Outcome::kInactive);

  Heartbeat(*verifier, "e1", 0, /*stale=*/false);
  EXPECT_EQ(verifier->Verify(token).outcome, Outcome::kActive);

  // The replica itself says it is stale: unknown at once, until it recovers.
  Heartbeat(*verifier, "e1", 0, /*stale=*/true);
  EXPECT_EQ(verifier->Verify(token).reason, "the tokend replica says its revocation view is stale");
  Heartbeat(*verifier, "e1", 0, /*stale=*/false);
  EXPECT_EQ(verifier->Verify(token).outcome, Outcome::kActive);
}

TEST_F(VerifierTest, RevokedTokensFamiliesAndSubjectsAreInactiveEvenFromTheCache) {
  std::unique_ptr<Verifier> verifier = Start();
  SnapshotAndHeartbeat(*verifier, "e1", 0);
  const std::string by_jti = Sign(ClaimsFor("jti-1"));
  jwt::Claims other_family = ClaimsFor("jti-2");
  other_family.session_id = "family-2";
  const std::string by_family = Sign(other_family);
  jwt::Claims bob = ClaimsFor("jti-3");
  bob.subject = "bob";
  bob.session_id = "";
  const std::string by_subject = Sign(bob);
  jwt::Claims bob_later = bob;
  bob_later.token_id = "jti-4";
  bob_later.issued_at = clock_.Now() + absl::Seconds(1);
  const std::string after_cutoff = Sign(bob_later);
  for (const std::string& t : {by_jti, by_family, by_subject, after_cutoff}) {
    ASSERT_EQ(verifier->Verify(t).outcome, Outcome::kActive);  // now cached
  }

  WatchRevocationsResponse m = Message("e1", 1);
  *m.mutable_revoked() = RevokedJti("jti-1");
  Deliver(*verifier, m);
  EXPECT_EQ(verifier->Verify(by_jti).reason, "revoked");
  EXPECT_EQ(verifier->Verify(by_family).outcome, Outcome::kActive);

  m = Message("e1", 2);
  m.mutable_revoked()->set_refresh_family_id("family-2");
  *m.mutable_revoked()->mutable_expires_at() = Ts(clock_.Now() + absl::Hours(1));
  Deliver(*verifier, m);
  EXPECT_EQ(verifier->Verify(by_family).reason, "revoked");
  EXPECT_EQ(verifier->Verify(by_subject).outcome, Outcome::kActive);

  // Bob's tokens issued up to now (whole seconds) are revoked; one issued a
  // second later is not.
  m = Message("e1", 3);
  m.mutable_revoked()->set_subject("bob");
  *m.mutable_revoked()->mutable_revoked_before() = Ts(clock_.Now());
  *m.mutable_revoked()->mutable_expires_at() = Ts(clock_.Now() + absl::Hours(1));
  Deliver(*verifier, m);
  EXPECT_EQ(verifier->Verify(by_subject).reason, "revoked");
  EXPECT_EQ(verifier->Verify(after_cutoff).outcome, Outcome::kActive);
}

// A revoked signing key (signing_key_id): every token whose header names it
// is inactive, from the cache too, while the key is still in the JWK Set
// the verifier holds (no refetch is needed, none happens); tokens of other
// keys stay active. A snapshot that holds the revocation does the same.
TEST_F(VerifierTest, ARevokedSigningKeyMakesItsTokensInactiveEvenFromTheCacheWhileTheKeyIsHeld) {
  keys::Key other{.kid = "key-2",
                  .alg = crypto::Algorithm::kES256,
                  .pkey = ::tokend::testing::GenerateSharedKey(crypto::Algorithm::kES256)};
  tokend_->SetJwks(JwksOf({key_, other}));
  std::unique_ptr<Verifier> verifier = Start();
  SnapshotAndHeartbeat(*verifier, "e1", 0);
  const std::string cached = Sign(ClaimsFor("jti-1"));
  const std::string of_other_key = Sign(ClaimsFor("jti-2"), &other);
  ASSERT_EQ(verifier->Verify(cached).outcome, Outcome::kActive);  // now cached
  ASSERT_EQ(verifier->Verify(of_other_key).outcome, Outcome::kActive);
  const int fetches = tokend_->JwksCalls();

  WatchRevocationsResponse m = Message("e1", 1);
  m.mutable_revoked()->set_signing_key_id("key-1");
  *m.mutable_revoked()->mutable_expires_at() = Ts(clock_.Now() + absl::Hours(1));
  Deliver(*verifier, m);
  Verification v = verifier->Verify(cached);
  EXPECT_EQ(v.outcome, Outcome::kInactive);
  EXPECT_EQ(v.reason, "signing key revoked");
  EXPECT_FALSE(v.ToIntrospectResponse().active());
  // A token of that key never seen before, and the same claims with another
  // spelling of the header (a leaked key signs whatever it likes).
  EXPECT_EQ(verifier->Verify(Sign(ClaimsFor("jti-3"))).reason, "signing key revoked");
  const std::string payload =
      cached.substr(cached.find('.') + 1, cached.rfind('.') - cached.find('.') - 1);
  const std::string input =
      crypto::Base64UrlEncode(R"({ "kid": "key-1", "typ": "at+jwt", "alg": "ES256" })") + "." +
      payload;
  absl::StatusOr<std::string> signature = key_.algorithm().Sign(*key_.pkey, input);
  ASSERT_TRUE(signature.ok()) << signature.status();
  const std::string respelled = input + "." + crypto::Base64UrlEncode(*signature);
  EXPECT_EQ(verifier->Verify(respelled).reason, "signing key revoked");
  EXPECT_EQ(verifier->Verify(of_other_key).outcome, Outcome::kActive);
  EXPECT_EQ(tokend_->JwksCalls(), fetches);

  // A new snapshot (another replica) that holds key-2's revocation instead.
  v1::WatchedRevocation key_2;
  key_2.set_signing_key_id("key-2");
  *key_2.mutable_expires_at() = Ts(clock_.Now() + absl::Hours(1));
  tokend_->EndStream();
  ASSERT_TRUE(tokend_->WaitForStreams(2));
  SnapshotAndHeartbeat(*verifier, "e2", 7, {key_2});
  EXPECT_EQ(verifier->Verify(of_other_key).reason, "signing key revoked");
  EXPECT_EQ(verifier->Verify(cached).outcome, Outcome::kActive);
}

TEST_F(VerifierTest, ACompleteSnapshotReplacesTheViewAndPartsWaitForTheLastOne) {
  std::unique_ptr<Verifier> verifier = Start();
  SnapshotAndHeartbeat(*verifier, "e1", 5, {RevokedJti("jti-1")});
  const std::string one = Sign(ClaimsFor("jti-1"));
  const std::string two = Sign(ClaimsFor("jti-2"));
  EXPECT_EQ(verifier->Verify(one).reason, "revoked");

  // The stream ends; the next one (another epoch: a restarted replica)
  // starts with a snapshot in two parts that no longer holds jti-1.
  tokend_->EndStream();
  ASSERT_TRUE(tokend_->WaitForStreams(2));
  WatchRevocationsResponse part = Message("e2", 9);
  part.mutable_snapshot()->set_reason(v1::RevocationSnapshot::REASON_UNKNOWN_POSITION);
  *part.mutable_snapshot()->add_revocations() = RevokedJti("jti-2");
  Deliver(*verifier, part);
  // Until the last part, the old view answers.
  EXPECT_EQ(verifier->Verify(one).reason, "revoked");
  EXPECT_EQ(verifier->Verify(two).outcome, Outcome::kActive);

  part.mutable_snapshot()->clear_revocations();
  part.mutable_snapshot()->set_complete(true);
  Deliver(*verifier, part);
  // Replaced, but not vouched for until the new replica's heartbeat.
  EXPECT_EQ(verifier->Verify(one).outcome, Outcome::kUnknown);
  Heartbeat(*verifier, "e2", 9, false);
  EXPECT_EQ(verifier->Verify(one).outcome, Outcome::kActive);
  EXPECT_EQ(verifier->Verify(two).reason, "revoked");
}

TEST_F(VerifierTest, AReconnectResumesFromTheLastPositionSeen) {
  VerifierOptions options;
  options.reconnect_backoff_initial = absl::Milliseconds(1);
  std::unique_ptr<Verifier> verifier = Start(options);
  EXPECT_FALSE(tokend_->Request(0).has_resume_from());
  SnapshotAndHeartbeat(*verifier, "e1", 3);
  WatchRevocationsResponse m = Message("e1", 4);
  *m.mutable_revoked() = RevokedJti("jti-1");
  Deliver(*verifier, m);
  tokend_->EndStream();
  ASSERT_TRUE(tokend_->WaitForStreams(2));
  v1::WatchRevocationsRequest resumed = tokend_->Request(1);
  ASSERT_TRUE(resumed.has_resume_from());
  EXPECT_EQ(resumed.resume_from().epoch(), "e1");
  EXPECT_EQ(resumed.resume_from().sequence(), 4u);

  // Resumed: the view kept its revocations and takes the missed ones.
  m = Message("e1", 5);
  *m.mutable_revoked() = RevokedJti("jti-2");
  Deliver(*verifier, m);
  Heartbeat(*verifier, "e1", 5, false);
  EXPECT_EQ(verifier->Verify(Sign(ClaimsFor("jti-1"))).reason, "revoked");
  EXPECT_EQ(verifier->Verify(Sign(ClaimsFor("jti-2"))).reason, "revoked");
  EXPECT_EQ(verifier->Verify(Sign(ClaimsFor("jti-3"))).outcome, Outcome::kActive);
  EXPECT_EQ(verifier->streams_opened(), 2);
}

TEST_F(VerifierTest, AnEventBeforeAnySnapshotStartsOverWithoutAPosition) {
  VerifierOptions options;
  options.reconnect_backoff_initial = absl::Milliseconds(1);
  std::unique_ptr<Verifier> verifier = Start(options);
  WatchRevocationsResponse m = Message("e1", 4);
  *m.mutable_revoked() = RevokedJti("jti-1");
  tokend_->Send(m);
  ASSERT_TRUE(tokend_->WaitForStreams(2));
  EXPECT_FALSE(tokend_->Request(1).has_resume_from());
  EXPECT_EQ(verifier->Verify(Sign(ClaimsFor("jti-1"))).outcome, Outcome::kUnknown);
}

TEST_F(VerifierTest, AnUnknownKidRefetchesTheJwkSetAtMostOncePerInterval) {
  std::unique_ptr<Verifier> verifier = Start();
  SnapshotAndHeartbeat(*verifier, "e1", 0);
  EXPECT_EQ(tokend_->JwksCalls(), 1);

  // A key tokend published after the verifier's fetch (a rotation).
  keys::Key next{.kid = "key-2",
                 .alg = crypto::Algorithm::kEdDSA,
                 .pkey = ::tokend::testing::GenerateSharedKey(crypto::Algorithm::kEdDSA)};
  tokend_->SetJwks(JwksOf({key_, next}));
  const std::string new_key_token = Sign(ClaimsFor("jti-1"), &next);
  EXPECT_EQ(verifier->Verify(new_key_token).outcome, Outcome::kActive);
  EXPECT_EQ(tokend_->JwksCalls(), 2);

  // Made-up kids do not turn each call into a fetch.
  keys::Key made_up{.kid = "nobody",
                    .alg = crypto::Algorithm::kES256,
                    .pkey = ::tokend::testing::GenerateSharedKey(crypto::Algorithm::kES256)};
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(verifier->Verify(Sign(ClaimsFor(absl::StrCat("x", i)), &made_up)).reason,
              "header: unknown kid");
  }
  EXPECT_EQ(tokend_->JwksCalls(), 2);
  // Tokens of known keys still verify meanwhile.
  EXPECT_EQ(verifier->Verify(Sign(ClaimsFor("jti-2"))).outcome, Outcome::kActive);
}

TEST_F(VerifierTest, AWithdrawnKeyStopsVerifyingEvenForCachedTokens) {
  VerifierOptions options;
  options.jwks_refetch_interval = absl::ZeroDuration();
  std::unique_ptr<Verifier> verifier = Start(options);
  SnapshotAndHeartbeat(*verifier, "e1", 0);
  const std::string old_token = Sign(ClaimsFor("jti-1"));
  ASSERT_EQ(verifier->Verify(old_token).outcome, Outcome::kActive);  // cached
  keys::Key next{.kid = "key-2",
                 .alg = crypto::Algorithm::kES384,
                 .pkey = ::tokend::testing::GenerateSharedKey(crypto::Algorithm::kES384)};
  tokend_->SetJwks(JwksOf({next}));
  ASSERT_EQ(verifier->Verify(Sign(ClaimsFor("jti-2"), &next)).outcome, Outcome::kActive);
  EXPECT_EQ(verifier->Verify(old_token).reason, "header: unknown kid");
}

TEST_F(VerifierTest, TheJwkSetIsFetchedAgainPeriodicallySoAWithdrawnKeyStopsVerifying) {
  VerifierOptions options;
  options.jwks_refresh_interval = absl::Milliseconds(50);
  std::unique_ptr<Verifier> verifier = Start(options);
  SnapshotAndHeartbeat(*verifier, "e1", 0);
  const std::string token = Sign(ClaimsFor("jti-1"));
  ASSERT_EQ(verifier->Verify(token).outcome, Outcome::kActive);  // cached
  keys::Key next{.kid = "key-2",
                 .alg = crypto::Algorithm::kEdDSA,
                 .pkey = ::tokend::testing::GenerateSharedKey(crypto::Algorithm::kEdDSA)};
  tokend_->SetJwks(JwksOf({next}));  // key-1 withdrawn
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (verifier->Verify(token).outcome == Outcome::kActive && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(verifier->Verify(token).reason, "header: unknown kid");
  EXPECT_EQ(verifier->Verify(Sign(ClaimsFor("jti-2"), &next)).outcome, Outcome::kActive);
}

TEST_F(VerifierTest, WithoutAJwkSetEverythingIsUnknownUntilOneIsFetched) {
  tokend_->SetJwks("");
  VerifierOptions options;
  options.reconnect_backoff_initial = absl::Milliseconds(1);
  options.reconnect_backoff_max = absl::Milliseconds(5);
  options.issuer = kIssuer;
  options.audiences = {kAudience};
  options.clock = &clock_;
  absl::StatusOr<std::unique_ptr<Verifier>> verifier =
      Verifier::New(std::make_unique<FakeBackend>(tokend_), options);
  ASSERT_TRUE(verifier.ok());
  EXPECT_EQ((*verifier)->Verify(Sign(ClaimsFor("a"))).reason, "no JWK Set fetched yet");
  // It keeps trying (with backoff), and opens no watch meanwhile.
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (tokend_->JwksCalls() < 2 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_GE(tokend_->JwksCalls(), 2);
  EXPECT_FALSE(tokend_->WaitForStreams(1, absl::ZeroDuration()));
  tokend_->SetJwks(JwksOf({key_}));
  ASSERT_TRUE(tokend_->WaitForStreams(1));
  SnapshotAndHeartbeat(**verifier, "e1", 0);
  EXPECT_EQ((*verifier)->Verify(Sign(ClaimsFor("a"))).outcome, Outcome::kActive);
}

TEST(VerifierOptionsTest, RefusesOptionsThatCannotWork) {
  // The message of New with valid options changed by `edit`.
  auto refusal = [](auto edit) {
    VerifierOptions o;
    o.issuer = "i";
    o.audiences = {"a"};
    edit(o);
    return std::string(
        Verifier::New(std::make_unique<FakeBackend>(std::make_shared<FakeTokend>()), o)
            .status()
            .message());
  };
  EXPECT_EQ(refusal([](VerifierOptions& o) { o.issuer.clear(); }), "issuer: must not be empty");
  EXPECT_EQ(refusal([](VerifierOptions& o) { o.audiences.clear(); }),
            "audiences: must name at least one audience");
  EXPECT_EQ(refusal([](VerifierOptions& o) { o.audiences = {""}; }),
            "audiences: an audience is empty");
  EXPECT_EQ(refusal([](VerifierOptions& o) { o.leeway = absl::Seconds(-1); }),
            "leeway: must not be negative");
  EXPECT_EQ(refusal([](VerifierOptions& o) { o.max_staleness = absl::ZeroDuration(); }),
            "max_staleness: must be positive");
  EXPECT_EQ(refusal([](VerifierOptions&) {}), "");
}

// Many threads verify (mostly cached tokens) while the watch thread applies
// revocations: every answer is active until the token's revocation is
// applied and inactive after, with no data race (run under TSan).
TEST_F(VerifierTest, ConcurrentVerifiesWhileRevocationsArrive) {
  std::unique_ptr<Verifier> verifier = Start();
  SnapshotAndHeartbeat(*verifier, "e1", 0);
  std::vector<std::string> tokens;
  for (int i = 0; i < 8; ++i) tokens.push_back(Sign(ClaimsFor(absl::StrCat("jti-", i))));
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  std::atomic<int> verified{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (!done.load()) {
        for (const std::string& token : tokens) {
          Verification v = verifier->Verify(token);
          EXPECT_NE(v.outcome, Outcome::kUnknown);
          ++verified;
        }
      }
    });
  }
  // The verifying threads must be running before revocations arrive; on a
  // busy machine they may not have been scheduled yet.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (verified.load() == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  for (int i = 0; i < 8; ++i) {
    WatchRevocationsResponse m = Message("e1", i + 1);
    *m.mutable_revoked() = RevokedJti(absl::StrCat("jti-", i));
    Deliver(*verifier, m);
    EXPECT_EQ(verifier->Verify(tokens[i]).reason, "revoked");
  }
  done = true;
  for (std::thread& t : threads) t.join();
  EXPECT_GT(verified.load(), 0);
}

}  // namespace
}  // namespace tokend::client
