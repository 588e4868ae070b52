// The C++ Verifier (client/verifier.h) against the real tokend over mutual
// TLS with a real PostgreSQL: issued tokens verify locally with the claims
// Introspect gives, revocations (token, refresh family, subject) reach the
// verifier within a second, forged tokens are inactive here as they are in
// Introspect, a verifier that loses its stream for longer than its bound
// answers unknown, and one whose tokend restarts reconnects by itself.

#include "client/verifier.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "client/tokenctl_cli.h"
#include "gtest/gtest.h"
#include "tests/integration/api/api_test_util.h"
#include "tests/integration/api/watch_test_util.h"

namespace tokend::testing {
namespace {

using Outcome = client::Verification::Outcome;

constexpr char kAudience[] = "api://orders";

// Heartbeats every 100 ms, so that a verifier with a bound of 1 s is
// current soon after it connects, and stays current.
TokendConfig VerifierConfig() {
  TokendConfig config = Bed().Config();
  config.callers_yaml = CallersYamlWithWatch();
  config.extra_yaml =
      "limits:\n  subject_revocations_per_minute: 0\nwatch:\n  heartbeat_interval: 100ms\n";
  return config;
}

std::unique_ptr<client::Verifier> VerifierFor(const TokendServer& server,
                                              absl::Duration max_staleness = absl::Seconds(1)) {
  client::VerifierOptions options;
  options.issuer = kTestIssuer;
  options.audiences = {kAudience};
  options.leeway = absl::Seconds(5);  // the server's
  options.max_staleness = max_staleness;
  options.reconnect_backoff_initial = absl::Milliseconds(50);
  options.reconnect_backoff_max = absl::Milliseconds(200);
  auto channel = grpc::CreateChannel(server.target(), SslCredentialsFor(&Bed().pki().client_uri()));
  absl::StatusOr<std::unique_ptr<client::Verifier>> verifier =
      client::Verifier::New(channel, options);
  EXPECT_TRUE(verifier.ok()) << verifier.status();
  if (!verifier.ok()) return nullptr;
  EXPECT_TRUE((*verifier)->WaitUntilCurrent(absl::Seconds(10))) << "never current";
  return *std::move(verifier);
}

// How long until Verify's outcome is `outcome`, or nullopt if not within
// `timeout`.
std::optional<absl::Duration> TimeUntil(client::Verifier& verifier, absl::string_view token,
                                        Outcome outcome, absl::Duration timeout) {
  const absl::Time start = absl::Now();
  while (absl::Now() - start < timeout) {
    if (verifier.Verify(token).outcome == outcome) return absl::Now() - start;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return std::nullopt;
}

// One tokend with WatchRevocations allowed, shared by the tests that do not
// stop it.
class VerifierTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = StartOrFail(VerifierConfig()).release();
    ASSERT_NE(server_, nullptr);
    client_ = ClientFor(*server_, Bed().pki().client_uri()).release();
    verifier_ = VerifierFor(*server_).release();
  }
  static void TearDownTestSuite() {
    delete verifier_;
    delete client_;
    delete server_;
  }
  void SetUp() override {
    ASSERT_NE(verifier_, nullptr);
    ASSERT_NE(client_, nullptr);
  }

  static v1::IssueResponse Issue(bool refresh = false, absl::string_view subject = "") {
    absl::StatusOr<v1::IssueResponse> issued =
        client_->Issue(IssueRequest({kAudience}, {"orders:read"}, refresh, subject));
    EXPECT_TRUE(issued.ok()) << issued.status();
    return issued.ok() ? *issued : v1::IssueResponse();
  }

  static TokendServer* server_;
  static client::TokenClient* client_;
  static client::Verifier* verifier_;
};

TokendServer* VerifierTest::server_ = nullptr;
client::TokenClient* VerifierTest::client_ = nullptr;
client::Verifier* VerifierTest::verifier_ = nullptr;

TEST_F(VerifierTest, AnIssuedTokenIsActiveWithExactlyTheClaimsIntrospectGives) {
  v1::IssueRequest request =
      IssueRequest({kAudience, "api://billing"}, {"orders:read", "orders:write"}, true);
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(R"({"tenant":"acme","tier":3})",
                                                          request.mutable_claims())
                  .ok());
  absl::StatusOr<v1::IssueResponse> issued = client_->Issue(request);
  ASSERT_TRUE(issued.ok()) << issued.status();
  client::Verification v = verifier_->Verify(issued->access_token());
  ASSERT_EQ(v.outcome, Outcome::kActive) << v.reason;
  const v1::IntrospectResponse introspected = Introspect(*client_, issued->access_token());
  ASSERT_TRUE(introspected.active());
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(v.ToIntrospectResponse(), introspected)) << diff;
  // And again, from the cache.
  EXPECT_TRUE(differencer.Compare(verifier_->Verify(issued->access_token()).ToIntrospectResponse(),
                                  introspected))
      << diff;
}

TEST_F(VerifierTest, ARevokedTokenIsInactiveWithinASecond) {
  const v1::IssueResponse issued = Issue();
  const v1::IssueResponse other = Issue();
  ASSERT_EQ(verifier_->Verify(issued.access_token()).outcome, Outcome::kActive);
  ASSERT_TRUE(client_->Revoke(RevokeTokenRequest(issued.access_token())).ok());
  std::optional<absl::Duration> took =
      TimeUntil(*verifier_, issued.access_token(), Outcome::kInactive, absl::Seconds(1));
  ASSERT_TRUE(took.has_value()) << "still not inactive after 1 s";
  EXPECT_EQ(verifier_->Verify(issued.access_token()).reason, "revoked");
  EXPECT_EQ(verifier_->Verify(other.access_token()).outcome, Outcome::kActive);
  RecordProperty("revocation_to_verifier_ms", absl::StrCat(absl::ToInt64Milliseconds(*took)));
}

TEST_F(VerifierTest, RevokingTheRefreshTokenMakesItsFamilysAccessTokensInactiveWithinASecond) {
  const v1::IssueResponse issued = Issue(/*refresh=*/true);
  ASSERT_FALSE(issued.refresh_token().empty());
  absl::StatusOr<v1::RefreshResponse> refreshed =
      client_->Refresh(RefreshRequest(issued.refresh_token()));
  ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  ASSERT_EQ(verifier_->Verify(refreshed->access_token()).outcome, Outcome::kActive);
  ASSERT_TRUE(client_->Revoke(RevokeTokenRequest(refreshed->refresh_token())).ok());
  for (const std::string& token : {issued.access_token(), refreshed->access_token()}) {
    EXPECT_TRUE(TimeUntil(*verifier_, token, Outcome::kInactive, absl::Seconds(1)).has_value());
    EXPECT_EQ(verifier_->Verify(token).reason, "revoked");
  }
}

TEST_F(VerifierTest, RevokingTheSubjectMakesItsTokensInactiveWithinASecond) {
  const std::string subject = Unique("verifier-subject");
  const v1::IssueResponse first = Issue(false, subject);
  const v1::IssueResponse second = Issue(false, subject);
  const v1::IssueResponse someone_else = Issue(false, Unique("verifier-other"));
  ASSERT_TRUE(client_->Revoke(RevokeSubjectRequest(subject)).ok());
  for (const std::string& token : {first.access_token(), second.access_token()}) {
    EXPECT_TRUE(TimeUntil(*verifier_, token, Outcome::kInactive, absl::Seconds(1)).has_value());
  }
  EXPECT_EQ(verifier_->Verify(someone_else.access_token()).outcome, Outcome::kActive);
}

// The forgeries of forged_tokens_test.cc that a verifier meets, made with
// the same independent OpenSSL helpers: each is inactive here and in
// Introspect, while the control token minted the same way is active in both.
TEST_F(VerifierTest, ForgedTokensAreInactiveHereAsInIntrospect) {
  const std::string control = MintWithServerKey(StandardHeader(), StandardPayload());
  ASSERT_EQ(verifier_->Verify(control).outcome, Outcome::kActive)
      << verifier_->Verify(control).reason;
  ASSERT_TRUE(IsActive(*client_, control));

  std::vector<std::pair<std::string, std::string>> forged;  // what, token
  auto payload_with = [](auto edit) {
    Json payload = StandardPayload();
    edit(payload);
    return payload;
  };
  // Bad signature: one bit of the real one flipped.
  std::string flipped = control;
  flipped[flipped.size() - 2] = flipped[flipped.size() - 2] == 'A' ? 'B' : 'A';
  forged.emplace_back("bad signature", flipped);
  // Another key under the server's kid.
  EvpPkey attacker = NewEcKey("P-256");
  const std::string header = StandardHeader().dump();
  const std::string payload = StandardPayload().dump();
  const std::string input = absl::StrCat(B64UrlEncode(header), ".", B64UrlEncode(payload));
  forged.emplace_back(
      "another key",
      absl::StrCat(input, ".", B64UrlEncode(EcdsaSign(attacker.get(), input, EVP_sha256(), 32))));
  // alg none, without and with the real signature.
  Json none = StandardHeader();
  none["alg"] = "none";
  forged.emplace_back("alg none", Compact(none.dump(), payload, ""));
  forged.emplace_back("alg none with a signature",
                      absl::StrCat(B64UrlEncode(none.dump()), ".", B64UrlEncode(payload), ".",
                                   control.substr(control.rfind('.') + 1)));
  // HS256 keyed with the public JWK's text.
  Json hs = StandardHeader();
  hs["alg"] = "HS256";
  const std::string hs_input = absl::StrCat(B64UrlEncode(hs.dump()), ".", B64UrlEncode(payload));
  absl::StatusOr<v1::GetJwksResponse> jwks = client_->GetJwks(v1::GetJwksRequest());
  ASSERT_TRUE(jwks.ok());
  const std::string jwk_text = Json::parse(jwks->jwks_json())["keys"][0].dump();
  forged.emplace_back("HS256 with the public key",
                      absl::StrCat(hs_input, ".", B64UrlEncode(HmacSha256(jwk_text, hs_input))));
  // Other algs named on the ES256 key, signed as ES256.
  for (const char* alg : {"ES384", "RS256", "PS256", "EdDSA", "es256"}) {
    Json h = StandardHeader();
    h["alg"] = alg;
    forged.emplace_back(absl::StrCat("alg ", alg), MintWithServerKey(h, StandardPayload()));
  }
  // Wrong or missing typ.
  for (const char* typ : {"JWT", "at+jwt+x", ""}) {
    Json h = StandardHeader();
    h["typ"] = typ;
    forged.emplace_back(absl::StrCat("typ ", typ), MintWithServerKey(h, StandardPayload()));
  }
  Json no_typ = StandardHeader();
  no_typ.erase("typ");
  forged.emplace_back("no typ", MintWithServerKey(no_typ, StandardPayload()));
  // Wrong issuer; expired; not yet valid.
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  forged.emplace_back("wrong iss", MintWithServerKey(StandardHeader(), payload_with([](Json& p) {
                                                       p["iss"] = "https://evil.example";
                                                     })));
  forged.emplace_back("expired", MintWithServerKey(StandardHeader(), payload_with([&](Json& p) {
                                                     p["iat"] = now - 700;
                                                     p["nbf"] = now - 700;
                                                     p["exp"] = now - 60;
                                                   })));
  forged.emplace_back(
      "not yet valid",
      MintWithServerKey(StandardHeader(), payload_with([&](Json& p) { p["nbf"] = now + 60; })));
  // An unknown kid (signed by the real key: only the kid is wrong). This
  // one also makes the verifier refetch the JWK Set once.
  Json unknown_kid = StandardHeader();
  unknown_kid["kid"] = "no-such-key";
  forged.emplace_back("unknown kid", MintWithServerKey(unknown_kid, StandardPayload()));
  forged.emplace_back("garbage", "a.b.c");
  forged.emplace_back("empty", "");

  for (const auto& [what, token] : forged) {
    client::Verification v = verifier_->Verify(token);
    EXPECT_EQ(v.outcome, Outcome::kInactive) << what << ": " << v.reason;
    EXPECT_FALSE(v.ToIntrospectResponse().active()) << what;
    if (!token.empty()) EXPECT_TRUE(IntrospectsBareInactive(*client_, token)) << what;
  }

  // A token for an audience the verifier does not serve is inactive here,
  // though tokend (which serves everyone) calls it active.
  const std::string for_billing = MintWithServerKey(
      StandardHeader(), payload_with([](Json& p) { p["aud"] = "api://billing"; }));
  EXPECT_EQ(verifier_->Verify(for_billing).reason, "aud: not an expected audience");
  EXPECT_TRUE(IsActive(*client_, for_billing));
}

// tokenctl verify runs the same library and prints one line of JSON.
TEST_F(VerifierTest, TokenctlVerifyPrintsActiveThenInactiveOnceRevoked) {
  auto run = [](const std::string& token, int* exit_code) {
    const test::CertFiles& cert = Bed().pki().client_uri();
    std::istringstream in;
    std::ostringstream out;
    std::ostringstream err;
    *exit_code = client::RunTokenctl(
        {"--target", server_->target(), "--ca", Bed().pki().ca_file(), "--cert", cert.cert_file,
         "--key", cert.key_file, "verify", "--token", token, "--audience", kAudience, "--wait",
         "10s"},
        [](const std::string&) { return std::nullopt; }, in, out, err);
    return Json::parse(out.str(), nullptr, false);
  };
  const v1::IssueResponse issued = Issue();
  int exit_code = -1;
  Json answer = run(issued.access_token(), &exit_code);
  EXPECT_EQ(exit_code, 0);
  EXPECT_EQ(answer.value("result", ""), "active") << answer.dump();
  EXPECT_EQ(answer.value("active", false), true);
  EXPECT_EQ(answer.value("token_id", ""), Introspect(*client_, issued.access_token()).token_id());
  EXPECT_EQ(answer.value("issuer", ""), kTestIssuer);

  ASSERT_TRUE(client_->Revoke(RevokeTokenRequest(issued.access_token())).ok());
  answer = run(issued.access_token(), &exit_code);
  EXPECT_EQ(exit_code, 0);
  EXPECT_EQ(answer.value("result", ""), "inactive") << answer.dump();
  EXPECT_EQ(answer.value("reason", ""), "revoked");
  EXPECT_EQ(answer.value("active", true), false);

  answer = run("a.b.c", &exit_code);
  EXPECT_EQ(exit_code, 0);
  EXPECT_EQ(answer.value("result", ""), "inactive") << answer.dump();
}

// A tokend signing with each algorithm: the verifier reads its JWK and
// verifies its tokens with that algorithm, as Introspect does.
TEST(VerifierAlgorithms, EveryAlgorithmTokendSignsWithVerifiesLocally) {
  const std::vector<std::pair<test::SigningAlg, std::string>> cases = {
      {test::SigningAlg::kEs256, "ES256"},
      {test::SigningAlg::kEs384, "ES384"},
      {test::SigningAlg::kEdDsa, "EdDSA"},
      {test::SigningAlg::kRs256, "RS256"},
      {test::SigningAlg::kPs256, "PS256"}};
  for (const auto& [alg, name] : cases) {
    SCOPED_TRACE(name);
    absl::StatusOr<std::string> key = Bed().pki().WriteSigningKey(Unique("verifier-key"), alg);
    ASSERT_TRUE(key.ok()) << key.status();
    TokendConfig config = VerifierConfig();
    config.signing_keys = {SigningKeyEntry{.file = *key, .alg = name}};
    std::unique_ptr<TokendServer> server = StartOrFail(config);
    ASSERT_NE(server, nullptr);
    std::unique_ptr<client::TokenClient> client = ClientFor(*server, Bed().pki().client_uri());
    std::unique_ptr<client::Verifier> verifier = VerifierFor(*server);
    ASSERT_NE(verifier, nullptr);
    absl::StatusOr<v1::IssueResponse> issued = client->Issue(IssueRequest({kAudience}));
    ASSERT_TRUE(issued.ok()) << issued.status();
    absl::StatusOr<DecodedJws> jws = DecodeJws(issued->access_token());
    ASSERT_TRUE(jws.ok());
    EXPECT_EQ(jws->header.value("alg", ""), name);
    client::Verification v = verifier->Verify(issued->access_token());
    EXPECT_EQ(v.outcome, Outcome::kActive) << v.reason;
    // The same token with one bit of its signature changed is not.
    std::string altered = issued->access_token();
    altered[altered.size() - 3] = altered[altered.size() - 3] == 'A' ? 'B' : 'A';
    EXPECT_EQ(verifier->Verify(altered).outcome, Outcome::kInactive);
  }
}

// A verifier of its own tokend, which the test stops and restarts.
TEST(VerifierStream, AVerifierThatLosesItsStreamAnswersUnknownOnceItsBoundPasses) {
  std::unique_ptr<TokendServer> server = StartOrFail(VerifierConfig());
  ASSERT_NE(server, nullptr);
  std::unique_ptr<client::TokenClient> client = ClientFor(*server, Bed().pki().client_uri());
  std::unique_ptr<client::Verifier> verifier = VerifierFor(*server, absl::Seconds(1));
  ASSERT_NE(verifier, nullptr);
  absl::StatusOr<v1::IssueResponse> issued = client->Issue(IssueRequest({kAudience}));
  ASSERT_TRUE(issued.ok());
  ASSERT_EQ(verifier->Verify(issued->access_token()).outcome, Outcome::kActive);

  server->Kill();
  std::optional<absl::Duration> took =
      TimeUntil(*verifier, issued->access_token(), Outcome::kUnknown, absl::Seconds(3));
  ASSERT_TRUE(took.has_value());
  // Not at once: the view vouches until its bound (1 s after the last
  // heartbeat, which came at most 100 ms before the kill), and not much
  // after it.
  EXPECT_GE(*took, absl::Milliseconds(500));
  EXPECT_LT(*took, absl::Milliseconds(1500));
  EXPECT_EQ(verifier->Verify(issued->access_token()).reason,
            "revocation view older than its staleness bound");
  // Tokens that are inactive on their own still say so.
  EXPECT_EQ(verifier->Verify("a.b.c").outcome, Outcome::kInactive);
}

TEST(VerifierStream, AVerifierReconnectsToARestartedTokendAndLearnsLaterRevocations) {
  TokendConfig config = VerifierConfig();
  std::unique_ptr<TokendServer> server = StartOrFail(config);
  ASSERT_NE(server, nullptr);
  std::unique_ptr<client::Verifier> verifier = VerifierFor(*server, absl::Seconds(2));
  ASSERT_NE(verifier, nullptr);
  std::unique_ptr<client::TokenClient> client = ClientFor(*server, Bed().pki().client_uri());
  absl::StatusOr<v1::IssueResponse> before = client->Issue(IssueRequest({kAudience}));
  ASSERT_TRUE(before.ok());
  ASSERT_EQ(verifier->Verify(before->access_token()).outcome, Outcome::kActive);
  const int streams = verifier->streams_opened();

  // The same port, so that the verifier's channel finds it again.
  config.listen = server->target();
  server->Kill();
  server.reset();
  server = StartOrFail(config);
  ASSERT_NE(server, nullptr);
  ASSERT_EQ(server->target(), config.listen);
  client = ClientFor(*server, Bed().pki().client_uri());

  // Revoked through the new process: the verifier hears of it on its new
  // stream (a new epoch: a fresh snapshot replaces its view).
  ASSERT_TRUE(client->Revoke(RevokeTokenRequest(before->access_token())).ok());
  EXPECT_TRUE(TimeUntil(*verifier, before->access_token(), Outcome::kInactive, absl::Seconds(10))
                  .has_value());
  EXPECT_GT(verifier->streams_opened(), streams);
  ASSERT_TRUE(verifier->WaitUntilCurrent(absl::Seconds(5)));
  absl::StatusOr<v1::IssueResponse> after = client->Issue(IssueRequest({kAudience}));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(verifier->Verify(after->access_token()).outcome, Outcome::kActive);
  ASSERT_TRUE(client->Revoke(RevokeTokenRequest(after->access_token())).ok());
  EXPECT_TRUE(TimeUntil(*verifier, after->access_token(), Outcome::kInactive, absl::Seconds(1))
                  .has_value());
}

}  // namespace
}  // namespace tokend::testing
