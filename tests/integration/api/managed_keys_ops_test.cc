// Managed signing keys in the operations that managed_keys_test.cc leaves
// out: `tokend keys import` end to end (and its refusals), the key metrics
// on the ops port, a change that reaches a replica by its periodic re-read
// alone (no notification), managed mode with every algorithm, and `tokend
// keys rewrap` while two replicas serve. The real tokend over mutual TLS on
// a fresh PostgreSQL database per test.

#include <algorithm>
#include <atomic>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/api/api_test_util.h"
#include "tests/integration/api/managed_keys_util.h"

namespace tokend::testing {
namespace {

constexpr char kAgeMetric[] = "tokend_signing_key_age_seconds";
constexpr char kNextRotationMetric[] = "tokend_signing_key_next_rotation_seconds";
constexpr char kPublishedMetric[] = "tokend_signing_keys_published";
constexpr char kRevokedMetric[] = "tokend_signing_keys_revoked";

// An instant as `tokend keys` prints it ("2026-12-02T16:00:00.000000Z").
absl::Time ListedTime(const Json& value) {
  absl::Time t = absl::InfinitePast();
  std::string error;
  EXPECT_TRUE(value.is_string() &&
              absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ", value.get<std::string>(), &t, &error))
      << value.dump() << " " << error;
  return t;
}

// The listed key of `kid` (null when absent).
Json ListedKey(const Json& listed, const std::string& kid) {
  for (const Json& key : listed["keys"]) {
    if (key["kid"] == kid) return key;
  }
  return Json();
}

// Polls `done` every 50 ms for at most `timeout`; whether it came true.
template <typename F>
bool Eventually(F done, absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return true;
}

// Tokens that outlive a few seconds (the standard callers, 15 min): for
// tests whose tokens must not expire while they watch a key change. A 1 h
// schedule leaves room for their retain time.
TokendConfig LongTokens(TokendConfig config) {
  config.callers_yaml = StandardCallersYaml();
  config.access_ttl = "15m";
  return config;
}

// `tokend keys import` of a PEM key made outside tokend: printed at once as
// the next key (published, imported), in the running replica's JWK Set
// within a second (the change notification), signing publish_ahead later.
// Its tokens name it and verify with its published JWK and with the file's
// own key.
TEST(KeysImport, AnImportedKeyIsPublishedAtOnceAndSignsAfterPublishAhead) {
  TokendConfig config = ManagedConfig("", {NewKekFile()}, {"1h", "2s"});
  const std::string path = MigratedConfig(config);
  absl::StatusOr<std::unique_ptr<TokendServer>> server = TokendServer::Start(path);
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<client::TokenClient> c = ClientFor(**server, Bed().pki().client_uri());
  ASSERT_NE(c, nullptr);
  absl::StatusOr<Json> before = Keys({"list"}, path);
  ASSERT_TRUE(before.ok()) << before.status();
  const std::string old_kid = SignerKid(*before);
  ASSERT_FALSE(old_kid.empty()) << before->dump();

  absl::StatusOr<std::string> pem =
      Bed().pki().WriteSigningKey(Unique("import"), test::SigningAlg::kEs256);
  ASSERT_TRUE(pem.ok()) << pem.status();
  const absl::Time asked = absl::Now();
  absl::StatusOr<Json> printed = Keys({"import", *pem, "--alg", "ES256"}, path);
  ASSERT_TRUE(printed.ok()) << printed.status();
  ASSERT_EQ((*printed)["keys"].size(), 2u) << printed->dump();
  EXPECT_EQ(SignerKid(*printed), old_kid) << "the key in force signs on until the import's turn";
  Json imported;
  for (const Json& key : (*printed)["keys"]) {
    if (key["imported"] == true) imported = key;
  }
  ASSERT_TRUE(imported.is_object()) << printed->dump();
  const std::string kid = imported["kid"];
  EXPECT_EQ(imported["alg"], "ES256");
  EXPECT_EQ(imported["state"], "published") << "next, not signing yet";
  EXPECT_EQ(imported["kek_id"], ListedKey(*before, old_kid)["kek_id"]) << "sealed like the others";
  const absl::Time publish_from = ListedTime(imported["publish_from"]);
  const absl::Time signs_from = ListedTime(imported["signs_from"]);
  EXPECT_GE(publish_from, asked - absl::Seconds(1));
  EXPECT_LE(publish_from, absl::Now());
  EXPECT_EQ(signs_from - publish_from, absl::Seconds(2)) << "publish_ahead";
  EXPECT_EQ(ListedTime(imported["signs_until"]) - signs_from, absl::Hours(1)) << "rotate_every";
  // The old signer now signs until the imported key takes over.
  EXPECT_EQ(ListedTime(ListedKey(*printed, old_kid)["signs_until"]), signs_from);

  absl::StatusOr<Json> listed = Keys({"list"}, path);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(ListedKey(*listed, kid)["imported"], true) << listed->dump();
  EXPECT_EQ(ListedKey(*listed, kid)["signs_from"], imported["signs_from"]);

  // Published by the running replica before it signs, on both faces.
  EXPECT_TRUE(Eventually(
      [&] { return HasKid(JwksOverGrpc(*c), kid) && HasKid(JwksOnOpsPort(**server), kid); },
      absl::Seconds(1.5)))
      << "imported key not published within 1.5 s";
  const Json jwk = JwkOf(JwksOverGrpc(*c), kid);
  EXPECT_EQ(jwk.value("alg", ""), "ES256") << jwk.dump();
  EXPECT_EQ(JwkThumbprint(jwk), kid) << "no --kid: the RFC 7638 thumbprint";

  // Before signs_from the old key signs; from it, the imported one.
  std::string token;
  while (absl::Now() < signs_from + absl::Seconds(3)) {
    const absl::Time sent = absl::Now();
    absl::StatusOr<v1::IssueResponse> issued = c->Issue(IssueRequest({"api://orders"}));
    ASSERT_TRUE(issued.ok()) << issued.status();
    const std::string issued_kid = KidOf(issued->access_token());
    if (issued_kid == kid) {
      EXPECT_GE(absl::Now(), signs_from) << "signed with the imported key before its signs_from";
      token = issued->access_token();
      break;
    }
    EXPECT_EQ(issued_kid, old_kid);
    if (sent > signs_from + absl::Milliseconds(500)) {
      ADD_FAILURE() << "still not signing with the imported key 500 ms after its signs_from";
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_FALSE(token.empty()) << "the imported key never signed";
  absl::StatusOr<DecodedJws> jws = DecodeJws(token);
  ASSERT_TRUE(jws.ok()) << jws.status();
  EXPECT_EQ(jws->header.value("alg", ""), "ES256");
  EXPECT_TRUE(
      VerifyWithJwk(JwkOf(JwksOnOpsPort(**server), kid), jws->SigningInput(), jws->signature))
      << "does not verify with the published JWK";
  EvpPkey file_key = LoadPrivateKey(*pem);
  ASSERT_NE(file_key, nullptr);
  EXPECT_TRUE(VerifyEs256(file_key.get(), jws->SigningInput(), jws->signature))
      << "not signed by the key in the imported file";
  EXPECT_TRUE(IsActive(*c, token));
}

// Each import that cannot be right is refused with a message that names the
// problem, prints nothing on stdout, and leaves the table as it was: a key
// that does not fit --alg, something that is no private key, an unknown
// algorithm, a kid that could not go into a token header, a kid taken.
TEST(KeysImport, ABadImportFailsWithAClearMessageAndChangesNothing) {
  TokendConfig config = ManagedConfig("", {NewKekFile()}, {"1h", "10m"});
  const std::string path = MigratedConfig(config);
  absl::StatusOr<std::unique_ptr<TokendServer>> server = TokendServer::Start(path);
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<Json> before = Keys({"list"}, path);
  ASSERT_TRUE(before.ok()) << before.status();
  const std::string signer = SignerKid(*before);

  absl::StatusOr<std::string> ec =
      Bed().pki().WriteSigningKey(Unique("bad-import-ec"), test::SigningAlg::kEs256);
  absl::StatusOr<std::string> rsa =
      Bed().pki().WriteSigningKey(Unique("bad-import-rsa"), test::SigningAlg::kRs256);
  ASSERT_TRUE(ec.ok() && rsa.ok());
  const std::string ec_public = absl::StrReplaceAll(*ec, {{".pem", ".pub.pem"}});
  const std::string garbage = Bed().dir() + "/garbage.pem";
  ASSERT_TRUE(WriteTextFile(garbage, "this is not a key\n").ok());
  const std::string missing = Bed().dir() + "/no-such-key.pem";

  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> says;  // each in the message
  };
  const Case cases[] = {
      {{"import", *ec, "--alg", "RS256"}, {*ec, "RSA"}},
      {{"import", *ec, "--alg", "ES384"}, {*ec, "P-384"}},
      {{"import", *rsa, "--alg", "ES256"}, {*rsa, "EC key"}},
      {{"import", *rsa, "--alg", "EdDSA"}, {*rsa, "Ed25519"}},
      {{"import", garbage, "--alg", "ES256"}, {garbage, "no usable PEM key"}},
      {{"import", ec_public, "--alg", "ES256"}, {ec_public, "public key only"}},
      {{"import", missing, "--alg", "ES256"}, {missing}},
      {{"import", *ec, "--alg", "HS256"}, {"--alg"}},
      {{"import", *ec}, {"--alg"}},
      {{"import", *ec, "--alg", "ES256", "--kid", "two words"}, {"kid", "visible ascii"}},
      {{"import", *ec, "--alg", "ES256", "--kid", signer}, {signer, "exists"}},
  };
  for (const Case& c : cases) {
    const std::string what = absl::StrJoin(c.args, " ");
    absl::StatusOr<CommandResult> r = RunKeys(c.args, path);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_NE(r->exit_code, 0) << what;
    EXPECT_EQ(r->stdout_text, "") << what;
    for (const std::string& s : c.says) {
      EXPECT_TRUE(absl::StrContains(r->stderr_text, s)) << what << ": " << r->stderr_text;
    }
    // One line, not a stack of messages.
    EXPECT_EQ(std::count(r->stderr_text.begin(), r->stderr_text.end(), '\n'), 1)
        << what << ": " << r->stderr_text;
  }
  absl::StatusOr<Json> after = Keys({"list"}, path);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ((*after)["keys"], (*before)["keys"]);
}

// The four key metrics of a managed replica: the signer's age grows from
// about 0; the next rotation is rotate_every after the signer began (and
// publish_ahead away once `keys rotate` made the next key); the published
// count is the JWK Set's size; the revoked count grows with each `keys
// revoke`, and a revoked signer's successor starts at age 0.
TEST(ManagedKeyMetrics, TheKeyMetricsFollowTheKeysInForce) {
  TokendConfig config = ManagedConfig("", {NewKekFile()}, {"1h", "10m"});
  const std::string path = MigratedConfig(config);
  absl::StatusOr<std::unique_ptr<TokendServer>> server = TokendServer::Start(path);
  ASSERT_TRUE(server.ok()) << server.status();
  auto metric = [&](const char* name) { return Metric(**server, name).value_or(-1); };
  auto jwks_size = [&] { return static_cast<double>(JwksOnOpsPort(**server)["keys"].size()); };

  const double age0 = metric(kAgeMetric);
  const double next0 = metric(kNextRotationMetric);
  EXPECT_GE(age0, 0);
  EXPECT_LT(age0, 30) << "the key was made at this start";
  EXPECT_GT(next0, 0) << "a rotation is scheduled: when the signer's hour is up";
  EXPECT_LE(next0, 3600);
  EXPECT_NEAR(age0 + next0, 3600, 2);
  EXPECT_EQ(metric(kPublishedMetric), 1);
  EXPECT_EQ(jwks_size(), 1);
  EXPECT_EQ(metric(kRevokedMetric), 0);
  absl::SleepFor(absl::Milliseconds(1100));
  EXPECT_GE(metric(kAgeMetric), age0 + 1) << "the age grows";
  EXPECT_LE(metric(kNextRotationMetric), next0 - 1) << "the rotation comes closer";

  absl::StatusOr<Json> rotated = Keys({"rotate"}, path);
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  std::string next_kid;
  for (const Json& key : (*rotated)["keys"]) {
    if (key["state"] == "published") next_kid = key["kid"];
  }
  ASSERT_FALSE(next_kid.empty()) << rotated->dump();
  EXPECT_TRUE(Eventually([&] { return metric(kPublishedMetric) == 2; }, absl::Seconds(3)));
  EXPECT_EQ(jwks_size(), 2);
  const double next1 = metric(kNextRotationMetric);
  EXPECT_GT(next1, 595) << "the next key signs publish_ahead after `keys rotate`";
  EXPECT_LE(next1, 600);

  // The next key revoked: another takes its place, still two published.
  ASSERT_TRUE(Keys({"revoke", next_kid}, path).ok());
  EXPECT_TRUE(Eventually([&] { return metric(kRevokedMetric) == 1; }, absl::Seconds(3)));
  EXPECT_EQ(metric(kPublishedMetric), jwks_size());
  EXPECT_EQ(metric(kPublishedMetric), 2);

  // The signer revoked: a new key signs at once.
  absl::StatusOr<Json> listed = Keys({"list"}, path);
  ASSERT_TRUE(listed.ok());
  ASSERT_TRUE(Keys({"revoke", SignerKid(*listed)}, path).ok());
  EXPECT_TRUE(Eventually([&] { return metric(kRevokedMetric) == 2; }, absl::Seconds(3)));
  EXPECT_LT(metric(kAgeMetric), 5) << "a new signer";
  EXPECT_GE(metric(kAgeMetric), 0);
  EXPECT_EQ(metric(kPublishedMetric), jwks_size());
}

// A change written straight into the table (no `tokend keys`, so no
// notification: the table has no trigger, and only tokend's own changes
// call pg_notify) reaches a replica by its re-read every second: the
// revoked signer leaves its JWK Set, its tokens turn inactive, and the
// replica makes and signs with a new key, all within 3 s.
TEST(ManagedKeys, AKeyRevokedBehindTokendsBackLeavesTheReplicaByItsPeriodicReread) {
  TokendConfig config = LongTokens(ManagedConfig("", {NewKekFile()}, {"1h", "10m"}));
  std::string database;
  const std::string path = MigratedConfig(config, &database);
  absl::StatusOr<std::unique_ptr<TokendServer>> server = TokendServer::Start(path);
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<client::TokenClient> c = ClientFor(**server, Bed().pki().client_uri());
  ASSERT_NE(c, nullptr);
  absl::StatusOr<std::string> triggers = Cluster().Psql(
      database, "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'tokend_signing_keys'::regclass");
  ASSERT_TRUE(triggers.ok()) << triggers.status();
  ASSERT_EQ(*triggers, "0") << "a trigger could notify";

  absl::StatusOr<v1::IssueResponse> token = c->Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(token.ok()) << token.status();
  const std::string kid = KidOf(token->access_token());
  ASSERT_TRUE(IsActive(*c, token->access_token()));

  const absl::Time changed = absl::Now();
  // A kid is base64url: nothing to escape.
  absl::StatusOr<std::string> updated = Cluster().Psql(
      database,
      absl::StrCat("UPDATE tokend_signing_keys SET revoked_at = now() WHERE kid = '", kid, "'"));
  ASSERT_TRUE(updated.ok()) << updated.status();
  auto gone = [&] {
    if (HasKid(JwksOnOpsPort(**server), kid) || HasKid(JwksOverGrpc(*c), kid)) return false;
    absl::StatusOr<v1::IssueResponse> fresh = c->Issue(IssueRequest({"api://orders"}));
    return fresh.ok() && KidOf(fresh->access_token()) != kid &&
           !IsActive(*c, token->access_token());
  };
  const bool left = Eventually(gone, absl::Seconds(6));
  const absl::Duration took = absl::Now() - changed;
  std::cerr << "[managed keys] a key revoked by SQL left the replica after " << took << "\n";
  ASSERT_TRUE(left) << "the replica never re-read the table";
  EXPECT_LE(took, absl::Seconds(3));
  EXPECT_TRUE(IntrospectsBareInactive(*c, token->access_token()));
  absl::StatusOr<Json> listed = Keys({"list"}, path);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(ListedKey(*listed, kid)["state"], "revoked");
  EXPECT_NE(SignerKid(*listed), "");
}

// Managed mode with each algorithm tokend signs with: the key it makes is
// of that algorithm, tokens name it and its kid, verify with the published
// JWK (whose kid is its thumbprint), and introspect active.
class ManagedKeysWithAlg : public ::testing::TestWithParam<std::string> {};

TEST_P(ManagedKeysWithAlg, TokensNameTheAlgAndVerifyWithThePublishedKey) {
  const std::string alg = GetParam();
  TokendConfig config = ManagedConfig("", {NewKekFile()}, {"1h", "10m"}, alg);
  const std::string path = MigratedConfig(config);
  absl::StatusOr<std::unique_ptr<TokendServer>> server = TokendServer::Start(path);
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<client::TokenClient> c = ClientFor(**server, Bed().pki().client_uri());
  ASSERT_NE(c, nullptr);
  absl::StatusOr<Json> listed = Keys({"list"}, path);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ((*listed)["keys"].size(), 1u) << listed->dump();
  EXPECT_EQ((*listed)["keys"][0]["alg"], alg);
  const std::string kid = SignerKid(*listed);

  absl::StatusOr<v1::IssueResponse> token = c->Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(token.ok()) << token.status();
  absl::StatusOr<DecodedJws> jws = DecodeJws(token->access_token());
  ASSERT_TRUE(jws.ok()) << jws.status();
  EXPECT_EQ(jws->header.value("alg", ""), alg);
  EXPECT_EQ(jws->header.value("kid", ""), kid);
  const Json jwk = JwkOf(JwksOverGrpc(*c), kid);
  ASSERT_TRUE(jwk.is_object()) << "kid " << kid << " not published";
  EXPECT_EQ(jwk.value("alg", ""), alg);
  EXPECT_EQ(JwkThumbprint(jwk), kid);
  EXPECT_TRUE(VerifyWithJwk(jwk, jws->SigningInput(), jws->signature));
  EXPECT_EQ(JwksOnOpsPort(**server), JwksOverGrpc(*c));
  EXPECT_TRUE(IsActive(*c, token->access_token()));
}

INSTANTIATE_TEST_SUITE_P(EveryAlgorithm, ManagedKeysWithAlg,
                         ::testing::Values("ES256", "ES384", "EdDSA", "RS256", "PS256"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// `tokend keys rewrap` to a new first KEK while two replicas (configured
// with the new KEK first and the old one to open) issue and introspect:
// no call fails, every key keeps its kid and instants and only changes
// its kek_id, and a replica with only the new KEK then verifies tokens
// signed before and signs with the same key.
TEST(ManagedKeysUnderLoad, RewrapToANewKekFailsNoCallAndLosesNoKey) {
  const std::string old_kek = NewKekFile();
  const std::string new_kek = NewKekFile();
  TokendConfig old_only = LongTokens(ManagedConfig("", {old_kek}, {"1h", "10m"}));
  const std::string old_path = MigratedConfig(old_only);
  // Two keys sealed under the old KEK: the signer and the next one.
  ASSERT_TRUE(Keys({"rotate"}, old_path).ok());
  ASSERT_TRUE(Keys({"rotate"}, old_path).ok());
  TokendConfig both = LongTokens(ManagedConfig(old_only.dsn, {new_kek, old_kek}, {"1h", "10m"}));
  absl::StatusOr<std::string> both_path = Bed().WriteConfig(both);
  ASSERT_TRUE(both_path.ok());
  absl::StatusOr<Json> before = Keys({"list"}, *both_path);
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_EQ((*before)["keys"].size(), 2u) << before->dump();
  const std::string old_kek_id = (*before)["keys"][0]["kek_id"];
  const std::string signer = SignerKid(*before);

  absl::StatusOr<std::unique_ptr<TokendServer>> a = TokendServer::Start(*both_path);
  ASSERT_TRUE(a.ok()) << a.status();
  absl::StatusOr<std::unique_ptr<TokendServer>> b = TokendServer::Start(*both_path);
  ASSERT_TRUE(b.ok()) << b.status();
  TokendServer* servers[] = {a->get(), b->get()};

  absl::Mutex mu;
  std::vector<std::string> failures;
  std::vector<std::string> issued;  // some tokens of the load, to verify after
  std::atomic<int> calls{0};
  std::atomic<bool> stop{false};
  auto fail = [&](std::string what) {
    absl::MutexLock lock(&mu);
    if (failures.size() < 20) failures.push_back(std::move(what));
  };
  std::vector<std::thread> load;
  for (int r = 0; r < 2; ++r) {
    load.emplace_back([&, r] {
      std::unique_ptr<client::TokenClient> mine = ClientFor(*servers[r], Bed().pki().client_uri());
      std::unique_ptr<client::TokenClient> other =
          ClientFor(*servers[1 - r], Bed().pki().client_uri());
      if (mine == nullptr || other == nullptr) return;
      while (!stop.load()) {
        absl::StatusOr<v1::IssueResponse> token = mine->Issue(IssueRequest({"api://orders"}));
        calls.fetch_add(1);
        if (!token.ok()) {
          fail(absl::StrCat("issue: ", token.status().ToString()));
          continue;
        }
        if (KidOf(token->access_token()) != signer) fail("signed by another key");
        absl::StatusOr<v1::IntrospectResponse> answer =
            other->Introspect(IntrospectRequest(token->access_token()));
        calls.fetch_add(1);
        if (!answer.ok()) {
          fail(absl::StrCat("introspect: ", answer.status().ToString()));
        } else if (!answer->active()) {
          fail("a fresh token introspected inactive on the other replica");
        }
        absl::MutexLock lock(&mu);
        if (issued.size() < 200) issued.push_back(token->access_token());
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(500));
  absl::StatusOr<Json> rewrapped = Keys({"rewrap"}, *both_path);
  // A second for the replicas to re-read the rewrapped rows, under load.
  absl::SleepFor(absl::Seconds(1));
  stop = true;
  for (std::thread& t : load) t.join();
  ASSERT_TRUE(rewrapped.ok()) << rewrapped.status();
  EXPECT_EQ((*rewrapped)["rewrapped"], 2) << rewrapped->dump();
  const std::string new_kek_id = (*rewrapped)["kek_id"];
  EXPECT_NE(new_kek_id, old_kek_id);
  {
    absl::MutexLock lock(&mu);
    EXPECT_TRUE(failures.empty()) << absl::StrJoin(failures, "\n");
    EXPECT_GT(calls.load(), 20) << "too little load to mean anything";
    std::cerr << "[managed keys] " << calls.load() << " calls during the rewrap\n";
  }

  // Every key as before but for its kek_id.
  absl::StatusOr<Json> after = Keys({"list"}, *both_path);
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_EQ((*after)["keys"].size(), (*before)["keys"].size()) << after->dump();
  for (size_t i = 0; i < (*before)["keys"].size(); ++i) {
    Json was = (*before)["keys"][i];
    Json now = (*after)["keys"][i];
    EXPECT_EQ(now["kek_id"], new_kek_id) << now.dump();
    was.erase("kek_id");
    now.erase("kek_id");
    EXPECT_EQ(now, was);
  }

  // Only the new KEK: tokens signed before verify, the same key signs.
  TokendConfig new_only = LongTokens(ManagedConfig(old_only.dsn, {new_kek}, {"1h", "10m"}));
  absl::StatusOr<std::unique_ptr<TokendServer>> fresh_replica = Bed().StartServer(new_only);
  ASSERT_TRUE(fresh_replica.ok()) << fresh_replica.status();
  std::unique_ptr<client::TokenClient> c = ClientFor(**fresh_replica, Bed().pki().client_uri());
  ASSERT_NE(c, nullptr);
  std::vector<std::string> sample;
  {
    absl::MutexLock lock(&mu);
    ASSERT_FALSE(issued.empty());
    sample = {issued.front(), issued[issued.size() / 2], issued.back()};
  }
  for (const std::string& token : sample) EXPECT_TRUE(IsActive(*c, token));
  absl::StatusOr<v1::IssueResponse> fresh = c->Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(KidOf(fresh->access_token()), signer);
}

}  // namespace
}  // namespace tokend::testing
