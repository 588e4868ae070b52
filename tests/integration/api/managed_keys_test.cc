// Managed signing keys as operators meet them: the real tokend over mutual
// TLS, two replicas on one PostgreSQL database, a shortened schedule (keys
// rotating every few seconds), `tokend keys` driving revocation, and signing
// key files replaced on disk while tokend runs.

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
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
#include "tests/support/pg_proxy/pg_proxy.h"

namespace tokend::testing {
namespace {

// Two replicas rotate every 3 s (published 1 s ahead) under load. A
// verifier that refreshes its JWK Set every 0.5 s (publish_ahead / 2), from
// either replica, verifies every new token with plain OpenSSL: it never
// meets an unknown kid. Every token stays active until it expires, on the
// other replica too. The keys follow one another: one key per period.
TEST(ManagedKeysUnderLoad, TwoReplicasRotateWithoutAVerifierEverMeetingAnUnknownKid) {
  TokendConfig config = ManagedConfig("", {NewKekFile()}, {"3s", "1s"});
  const std::string path = MigratedConfig(config);
  absl::StatusOr<std::unique_ptr<TokendServer>> a = TokendServer::Start(path);
  ASSERT_TRUE(a.ok()) << a.status();
  absl::StatusOr<std::unique_ptr<TokendServer>> b = TokendServer::Start(path);
  ASSERT_TRUE(b.ok()) << b.status();
  TokendServer* servers[] = {a->get(), b->get()};

  absl::Mutex mu;
  Json verifier_set = JwksOnOpsPort(**a);
  size_t most_published = 0;
  struct Issued {
    std::string kid;
    absl::Time sent, received;
  };
  std::vector<Issued> issued;
  std::vector<std::string> failures;
  auto fail = [&](std::string what) {
    absl::MutexLock lock(&mu);
    if (failures.size() < 20) failures.push_back(std::move(what));
  };

  const absl::Time end = absl::Now() + absl::Seconds(8);
  std::thread verifier([&] {
    for (int i = 0; absl::Now() < end; ++i) {
      Json set = JwksOnOpsPort(*servers[i % 2]);
      if (!set.contains("keys")) {
        fail("JWK Set not served");
      } else {
        absl::MutexLock lock(&mu);
        most_published = std::max(most_published, set["keys"].size());
        verifier_set = std::move(set);
      }
      absl::SleepFor(absl::Milliseconds(500));
    }
  });
  std::vector<std::thread> load;
  for (int r = 0; r < 2; ++r) {
    load.emplace_back([&, r] {
      std::unique_ptr<client::TokenClient> mine = ClientFor(*servers[r], Bed().pki().client_uri());
      std::unique_ptr<client::TokenClient> other =
          ClientFor(*servers[1 - r], Bed().pki().client_uri());
      if (mine == nullptr || other == nullptr) return;
      std::vector<std::pair<std::string, absl::Time>> recent;  // token, exp
      while (absl::Now() < end) {
        const absl::Time sent = absl::Now();
        absl::StatusOr<v1::IssueResponse> token = mine->Issue(IssueRequest({"api://orders"}));
        const absl::Time received = absl::Now();
        if (!token.ok()) {
          fail(absl::StrCat("issue: ", token.status().ToString()));
          continue;
        }
        absl::StatusOr<DecodedJws> jws = DecodeJws(token->access_token());
        const std::string kid = jws.ok() ? jws->header.value("kid", "") : "";
        {
          absl::MutexLock lock(&mu);
          issued.push_back({kid, sent, received});
          const Json* jwk = nullptr;
          for (const Json& key : verifier_set["keys"]) {
            if (key.value("kid", "") == kid) jwk = &key;
          }
          if (jwk == nullptr) {
            if (failures.size() < 20) failures.push_back("verifier met an unknown kid " + kid);
          } else if (!VerifyWithJwk(*jwk, jws->SigningInput(), jws->signature)) {
            if (failures.size() < 20) failures.push_back("signature does not verify: " + kid);
          }
        }
        const absl::Time exp = absl::FromUnixSeconds(jws->payload.value("exp", int64_t{0}));
        recent.emplace_back(token->access_token(), exp);
        // Every earlier token still 300 ms from its exp is active on the other replica.
        for (auto it = recent.begin(); it != recent.end();) {
          if (it->second - absl::Now() < absl::Milliseconds(300)) {
            it = recent.erase(it);
            continue;
          }
          ++it;
        }
        if (!recent.empty() && !IsActive(*other, recent.front().first)) {
          fail(
              absl::StrCat("a token of ", KidOf(recent.front().first), " inactive before its exp"));
        }
        absl::SleepFor(absl::Milliseconds(20));
      }
    });
  }
  verifier.join();
  for (std::thread& t : load) t.join();

  absl::MutexLock lock(&mu);
  EXPECT_TRUE(failures.empty()) << absl::StrJoin(failures, "\n");
  EXPECT_LE(most_published, 3u);
  ASSERT_GT(issued.size(), 50u);
  // Each kid's span of use; sorted by start they must not interleave (more
  // than a request's latency at a switch).
  std::map<std::string, std::pair<absl::Time, absl::Time>> spans;
  for (const Issued& i : issued) {
    auto [it, inserted] = spans.emplace(i.kid, std::make_pair(i.sent, i.received));
    it->second.first = std::min(it->second.first, i.sent);
    it->second.second = std::max(it->second.second, i.received);
  }
  std::vector<std::pair<absl::Time, absl::Time>> ordered;
  for (const auto& [kid, span] : spans) ordered.push_back(span);
  std::sort(ordered.begin(), ordered.end());
  std::cerr << "[managed keys] " << issued.size() << " tokens under " << ordered.size()
            << " keys, at most " << most_published << " keys published\n";
  EXPECT_GE(ordered.size(), 3u) << "8 s of 3 s periods";
  for (size_t i = 1; i < ordered.size(); ++i) {
    EXPECT_LE(ordered[i - 1].second - ordered[i].first, absl::Milliseconds(200))
        << "two keys signed at once, period " << i;
  }
  for (size_t i = 1; i + 1 < ordered.size(); ++i) {
    const absl::Duration used = ordered[i].second - ordered[i].first;
    EXPECT_GE(used, absl::Milliseconds(2500)) << "period " << i;
    EXPECT_LE(used, absl::Milliseconds(3300)) << "period " << i;
  }
}

// `tokend keys revoke` of the signing key: within 2 s neither replica signs
// with it, publishes it (API and ops port), or says its tokens are active; a
// new key signs at once.
TEST(ManagedKeys, ARevokedKeyLeavesEveryReplicaWithinTwoSeconds) {
  TokendConfig config = ManagedConfig("", {NewKekFile()}, {"1h", "10m"});
  const std::string path = MigratedConfig(config);
  absl::StatusOr<std::unique_ptr<TokendServer>> a = TokendServer::Start(path);
  ASSERT_TRUE(a.ok()) << a.status();
  absl::StatusOr<std::unique_ptr<TokendServer>> b = TokendServer::Start(path);
  ASSERT_TRUE(b.ok()) << b.status();
  std::unique_ptr<client::TokenClient> ca = ClientFor(**a, Bed().pki().client_uri());
  std::unique_ptr<client::TokenClient> cb = ClientFor(**b, Bed().pki().client_uri());
  ASSERT_NE(ca, nullptr);
  ASSERT_NE(cb, nullptr);

  absl::StatusOr<Json> listed = Keys({"list"}, path);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ((*listed)["keys"].size(), 1u) << listed->dump();
  const std::string kid = SignerKid(*listed);
  ASSERT_FALSE(kid.empty()) << listed->dump();
  absl::StatusOr<v1::IssueResponse> token = ca->Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(token.ok()) << token.status();
  ASSERT_EQ(KidOf(token->access_token()), kid);
  ASSERT_TRUE(IsActive(*cb, token->access_token()));
  ASSERT_TRUE(HasKid(JwksOnOpsPort(**b), kid));

  const absl::Time revoked = absl::Now();
  absl::StatusOr<Json> after = Keys({"revoke", kid}, path);
  ASSERT_TRUE(after.ok()) << after.status();
  std::string new_kid = SignerKid(*after);
  EXPECT_FALSE(new_kid.empty()) << after->dump();
  EXPECT_NE(new_kid, kid);

  auto gone_everywhere = [&] {
    for (auto* c : {ca.get(), cb.get()}) {
      if (HasKid(JwksOverGrpc(*c), kid)) return false;
      absl::StatusOr<v1::IssueResponse> fresh = c->Issue(IssueRequest({"api://orders"}));
      if (!fresh.ok() || KidOf(fresh->access_token()) == kid) return false;
      if (IsActive(*c, token->access_token())) return false;
    }
    for (auto* s : {a->get(), b->get()}) {
      if (HasKid(JwksOnOpsPort(*s), kid)) return false;
    }
    return true;
  };
  while (!gone_everywhere() && absl::Now() - revoked < absl::Seconds(5)) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  const absl::Duration took = absl::Now() - revoked;
  EXPECT_TRUE(gone_everywhere());
  EXPECT_LE(took, absl::Seconds(2)) << "took " << took;
  std::cerr << "[managed keys] revoked key gone from both replicas after " << took << "\n";
  EXPECT_TRUE(IntrospectsBareInactive(*ca, token->access_token()));
  EXPECT_TRUE(IntrospectsBareInactive(*cb, token->access_token()));
  // The new key's tokens are good on both.
  absl::StatusOr<v1::IssueResponse> fresh = cb->Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(IsActive(*ca, fresh->access_token()));
  EXPECT_EQ(KidOf(fresh->access_token()), new_kid);
}

// `keys rotate` publishes the next key at once (signing after publish_ahead);
// `keys rotate --now` switches at once; `keys rewrap` moves every key to a
// new KEK, after which a replica with only that KEK serves them all.
TEST(ManagedKeys, RotateAndRewrapFromTheCommandLine) {
  const std::string old_kek = NewKekFile();
  TokendConfig config = ManagedConfig("", {old_kek}, {"1h", "10m"});
  const std::string path = MigratedConfig(config);
  absl::StatusOr<std::unique_ptr<TokendServer>> a = TokendServer::Start(path);
  ASSERT_TRUE(a.ok()) << a.status();
  std::unique_ptr<client::TokenClient> ca = ClientFor(**a, Bed().pki().client_uri());
  absl::StatusOr<v1::IssueResponse> first = ca->Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(first.ok());

  absl::StatusOr<Json> rotated = Keys({"rotate"}, path);
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  ASSERT_EQ((*rotated)["keys"].size(), 2u) << rotated->dump();
  std::string next_kid;
  for (const Json& key : (*rotated)["keys"]) {
    if (key["state"] == "published") next_kid = key["kid"];
  }
  ASSERT_FALSE(next_kid.empty()) << rotated->dump();
  const absl::Time start = absl::Now();
  while (!HasKid(JwksOnOpsPort(**a), next_kid) && absl::Now() - start < absl::Seconds(3)) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(HasKid(JwksOnOpsPort(**a), next_kid)) << "published ahead";
  EXPECT_EQ(KidOf(ca->Issue(IssueRequest({"api://orders"}))->access_token()),
            KidOf(first->access_token()))
      << "not signing yet";

  absl::StatusOr<Json> now = Keys({"rotate", "--now"}, path);
  ASSERT_TRUE(now.ok()) << now.status();
  const std::string emergency_kid = SignerKid(*now);
  ASSERT_FALSE(emergency_kid.empty());
  EXPECT_NE(emergency_kid, KidOf(first->access_token()));

  // A new KEK first, the old one still configured to open: rewrap.
  const std::string new_kek = NewKekFile();
  TokendConfig both = ManagedConfig(config.dsn, {new_kek, old_kek}, {"1h", "10m"});
  absl::StatusOr<std::string> both_path = Bed().WriteConfig(both);
  ASSERT_TRUE(both_path.ok());
  absl::StatusOr<Json> rewrapped = Keys({"rewrap"}, *both_path);
  ASSERT_TRUE(rewrapped.ok()) << rewrapped.status();
  EXPECT_EQ((*rewrapped)["rewrapped"], 3) << rewrapped->dump();

  // Only the new KEK: a replica starts and trusts every key, old tokens too.
  TokendConfig only_new = ManagedConfig(config.dsn, {new_kek}, {"1h", "10m"});
  absl::StatusOr<std::unique_ptr<TokendServer>> b = Bed().StartServer(only_new);
  ASSERT_TRUE(b.ok()) << b.status();
  std::unique_ptr<client::TokenClient> cb = ClientFor(**b, Bed().pki().client_uri());
  EXPECT_TRUE(IsActive(*cb, first->access_token()));
  absl::StatusOr<v1::IssueResponse> fresh = cb->Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(KidOf(fresh->access_token()), emergency_kid);
  // Held in a variable: a range-for over a member of the temporary StatusOr
  // would read the list after the temporary is gone (ASan saw it).
  absl::StatusOr<Json> listed = Keys({"list"}, *both_path);
  ASSERT_TRUE(listed.ok()) << listed.status();
  for (const Json& key : (*listed)["keys"]) {
    EXPECT_EQ(key["kek_id"], (*rewrapped)["kek_id"]) << key.dump();
  }
  // Only the old KEK, after the rewrap: refused with the kid named.
  TokendConfig only_old = ManagedConfig(config.dsn, {old_kek}, {"1h", "10m"});
  absl::StatusOr<std::unique_ptr<TokendServer>> c = Bed().StartServer(only_old);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(absl::StrContains(c.status().message(), emergency_kid)) << c.status();
}

TEST(ManagedKeys, ConfigurationMistakesAreRefusedWithTheKeyNamed) {
  TokendConfig config = ManagedConfig(Bed().dsn(), {NewKekFile()}, {"1h", "1m"});
  config.extra_yaml =
      absl::StrReplaceAll(config.extra_yaml, {{"  allow_short_publish_ahead: true\n", ""}});
  absl::StatusOr<std::string> path = Bed().WriteConfig(config);
  ASSERT_TRUE(path.ok());
  absl::StatusOr<CommandResult> r = RunTokend({"serve", "--config", *path});
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r->stderr_text, "keys.publish_ahead")) << r->stderr_text;
}

// A signing key file replaced on disk (as a Kubernetes Secret update does)
// signs without a restart; a broken file keeps the keys in force.
TEST(KeyFiles, AReplacedKeyFileSignsWithoutARestartAndABrokenOneIsIgnored) {
  absl::StatusOr<std::string> first =
      Bed().pki().WriteSigningKey("reload-1", test::SigningAlg::kEs256);
  absl::StatusOr<std::string> second =
      Bed().pki().WriteSigningKey("reload-2", test::SigningAlg::kEs256);
  ASSERT_TRUE(first.ok() && second.ok());
  const std::string live = Bed().dir() + "/reload-live.pem";
  auto install = [&](const std::string& contents) {
    const std::string tmp = live + ".tmp";
    ASSERT_TRUE(WriteTextFile(tmp, contents).ok());
    ASSERT_EQ(std::rename(tmp.c_str(), live.c_str()), 0);
  };
  auto read = [](const std::string& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  install(read(*first));
  TokendConfig config = Bed().Config();
  config.signing_keys = {SigningKeyEntry{.file = live}};
  config.extra_yaml = "keys:\n  file_reload_interval: 200ms\n";
  absl::StatusOr<std::unique_ptr<TokendServer>> server = Bed().StartServer(config);
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<client::TokenClient> c = ClientFor(**server, Bed().pki().client_uri());
  absl::StatusOr<v1::IssueResponse> before = c->Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(before.ok());
  const std::string first_kid = KidOf(before->access_token());

  install(read(*second));
  std::string kid = first_kid;
  const absl::Time start = absl::Now();
  while (kid == first_kid && absl::Now() - start < absl::Seconds(5)) {
    absl::SleepFor(absl::Milliseconds(100));
    absl::StatusOr<v1::IssueResponse> t = c->Issue(IssueRequest({"api://orders"}));
    ASSERT_TRUE(t.ok());
    kid = KidOf(t->access_token());
  }
  EXPECT_NE(kid, first_kid) << "the new file's key signs";
  // The old key left the ring with its file: its token is inactive now.
  EXPECT_TRUE(IntrospectsBareInactive(*c, before->access_token()));

  install("-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n");
  absl::SleepFor(absl::Seconds(1));
  absl::StatusOr<v1::IssueResponse> after = c->Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(KidOf(after->access_token()), kid);
  EXPECT_TRUE(absl::StrContains((*server)->log(), "cannot be loaded; keeping the keys"))
      << (*server)->log();
}

// tokend reads its key files before it waits for PostgreSQL (up to 30 s at
// a start beside a database that is starting too). A key file replaced
// while it waits is the one that signs soon after it serves: the files are
// compared with what was loaded, not with what they were once the wait was
// over.
TEST(KeyFiles, AKeyFileReplacedWhileTokendWaitsForTheDatabaseSignsSoonAfterItServes) {
  absl::StatusOr<std::unique_ptr<PgProxy>> proxy = PgProxy::Start(Cluster().port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  (*proxy)->SetCut(true);
  absl::StatusOr<std::string> first =
      Bed().pki().WriteSigningKey("waiting-1", test::SigningAlg::kEs256);
  absl::StatusOr<std::string> second =
      Bed().pki().WriteSigningKey("waiting-2", test::SigningAlg::kEs256);
  ASSERT_TRUE(first.ok() && second.ok());
  const std::string live = Bed().dir() + "/waiting-live.pem";
  auto install = [&](const std::string& from) {
    const std::string tmp = live + ".tmp";
    ASSERT_TRUE(WriteTextFile(tmp, test::ReadTextFile(from)).ok());
    ASSERT_EQ(std::rename(tmp.c_str(), live.c_str()), 0);
  };
  install(*first);
  TokendConfig config = Bed().Config();
  config.dsn = absl::StrCat("host=127.0.0.1 port=", (*proxy)->port(),
                            " user=postgres dbname=tokend_api sslmode=disable gssencmode=disable");
  config.signing_keys = {SigningKeyEntry{.file = live}};
  config.extra_yaml = "keys:\n  file_reload_interval: 200ms\n";
  absl::StatusOr<std::string> path = Bed().WriteConfig(config);
  ASSERT_TRUE(path.ok()) << path.status();

  absl::StatusOr<std::unique_ptr<TokendServer>> server = absl::UnavailableError("not started");
  std::thread starter([&] { server = TokendServer::Start(*path); });
  // The proxy refusing a connection means tokend has its keys and waits.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while ((*proxy)->refused() == 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  const bool waited = (*proxy)->refused() > 0;
  install(*second);
  (*proxy)->SetCut(false);
  starter.join();
  ASSERT_TRUE(waited) << "tokend never tried the database";
  ASSERT_TRUE(server.ok()) << server.status();

  std::unique_ptr<client::TokenClient> c = ClientFor(**server, Bed().pki().client_uri());
  ASSERT_NE(c, nullptr);
  EvpPkey second_key = LoadPrivateKey(*second);
  ASSERT_NE(second_key, nullptr);
  bool signed_by_second = false;
  const absl::Time serving = absl::Now();
  while (!signed_by_second && absl::Now() - serving < absl::Seconds(3)) {
    absl::StatusOr<v1::IssueResponse> t = c->Issue(IssueRequest({"api://orders"}));
    ASSERT_TRUE(t.ok()) << t.status();
    absl::StatusOr<DecodedJws> jws = DecodeJws(t->access_token());
    ASSERT_TRUE(jws.ok());
    signed_by_second = VerifyEs256(second_key.get(), jws->SigningInput(), jws->signature);
    if (!signed_by_second) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(signed_by_second) << "the key file in place when tokend began to serve never signed";
}

}  // namespace
}  // namespace tokend::testing
