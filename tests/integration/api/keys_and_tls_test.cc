// Signing keys and TLS files as operators handle them: every algorithm end to
// end (verified with plain OpenSSL from the published JWK), key rotation with
// a verify-only public key, a configured kid, and TLS files re-read without a
// restart.

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/api/api_test_util.h"

namespace tokend::testing {
namespace {

using ::testing::SizeIs;

Json JwksOf(client::TokenClient& c) {
  absl::StatusOr<v1::GetJwksResponse> jwks = c.GetJwks(v1::GetJwksRequest());
  EXPECT_TRUE(jwks.ok()) << jwks.status();
  if (!jwks.ok()) return Json::object();
  return Json::parse(jwks->jwks_json(), nullptr, false);
}

const Json* FindKey(const Json& set, const std::string& kid) {
  if (!set.is_object() || !set.contains("keys")) return nullptr;
  for (const Json& key : set["keys"]) {
    if (key.value("kid", "") == kid) return &key;
  }
  return nullptr;
}

// Issues through `c` and checks the token verifies with its kid's JWK.
::testing::AssertionResult IssuesVerifiableTokens(client::TokenClient& c, const std::string& alg) {
  absl::StatusOr<v1::IssueResponse> issued = c.Issue(IssueRequest({"api://orders"}));
  if (!issued.ok()) return ::testing::AssertionFailure() << issued.status();
  absl::StatusOr<DecodedJws> jws = DecodeJws(issued->access_token());
  if (!jws.ok()) return ::testing::AssertionFailure() << jws.status();
  if (jws->header.value("alg", "") != alg) {
    return ::testing::AssertionFailure() << "header " << jws->header.dump();
  }
  const Json set = JwksOf(c);
  const Json* jwk = FindKey(set, jws->header.value("kid", ""));
  if (jwk == nullptr) return ::testing::AssertionFailure() << "kid not in " << set.dump();
  if (!VerifyWithJwk(*jwk, jws->SigningInput(), jws->signature)) {
    return ::testing::AssertionFailure() << "OpenSSL does not verify it with " << jwk->dump();
  }
  if (!IsActive(c, issued->access_token())) {
    return ::testing::AssertionFailure() << "not active";
  }
  return ::testing::AssertionSuccess();
}

TEST(SigningKeys, EveryAlgorithmSignsTokensThatPlainOpenSslVerifiesFromTheJwk) {
  struct Case {
    test::SigningAlg alg;
    std::string name, kty;
    std::vector<std::string> members;
  };
  const std::vector<Case> cases = {
      {test::SigningAlg::kEs256, "ES256", "EC", {"crv", "x", "y"}},
      {test::SigningAlg::kEs384, "ES384", "EC", {"crv", "x", "y"}},
      {test::SigningAlg::kEdDsa, "EdDSA", "OKP", {"crv", "x"}},
      {test::SigningAlg::kRs256, "RS256", "RSA", {"n", "e"}},
      {test::SigningAlg::kPs256, "PS256", "RSA", {"n", "e"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<std::string> key = Bed().pki().WriteSigningKey(Unique("alg-key"), c.alg);
    ASSERT_TRUE(key.ok()) << key.status();
    TokendConfig config = Bed().Config();
    config.signing_keys = {SigningKeyEntry{.file = *key, .alg = c.name}};
    absl::StatusOr<std::unique_ptr<TokendServer>> server = Bed().StartServer(config);
    ASSERT_TRUE(server.ok()) << server.status();
    std::unique_ptr<client::TokenClient> client = ClientFor(**server, Bed().pki().client_uri());
    const Json set = JwksOf(*client);
    ASSERT_THAT(set["keys"], SizeIs(1));
    const Json& jwk = set["keys"][0];
    EXPECT_EQ(jwk.value("kty", ""), c.kty);
    EXPECT_EQ(jwk.value("alg", ""), c.name);
    EXPECT_EQ(jwk.value("use", ""), "sig");
    EXPECT_EQ(jwk.value("kid", ""), JwkThumbprint(jwk));
    for (const std::string& member : c.members) EXPECT_TRUE(jwk.contains(member)) << member;
    for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
      EXPECT_FALSE(jwk.contains(secret)) << secret;
    }
    EXPECT_TRUE(IssuesVerifiableTokens(*client, c.name));
    // The ops port publishes the same set.
    absl::StatusOr<HttpResponse> http = HttpGet((*server)->ops_port(), "/.well-known/jwks.json");
    ASSERT_TRUE(http.ok()) << http.status();
    EXPECT_EQ(Json::parse(http->body, nullptr, false), set);
  }
}

TEST(SigningKeys, ARotatedOutKeyKeepsVerifyingItsTokensAsAPublicKey) {
  absl::StatusOr<std::string> old_key =
      Bed().pki().WriteSigningKey("rotation-old", test::SigningAlg::kEs256);
  absl::StatusOr<std::string> new_key =
      Bed().pki().WriteSigningKey("rotation-new", test::SigningAlg::kEs256);
  ASSERT_TRUE(old_key.ok() && new_key.ok());
  TokendConfig before = Bed().Config();
  before.signing_keys = {SigningKeyEntry{.file = *old_key}};
  absl::StatusOr<std::unique_ptr<TokendServer>> old_server = Bed().StartServer(before);
  ASSERT_TRUE(old_server.ok()) << old_server.status();
  std::unique_ptr<client::TokenClient> old_client =
      ClientFor(**old_server, Bed().pki().client_uri());
  absl::StatusOr<v1::IssueResponse> old_token =
      old_client->Issue(IssueRequest({"api://orders"}, {}, true));
  ASSERT_TRUE(old_token.ok()) << old_token.status();
  const std::string old_kid = DecodeJws(old_token->access_token())->header["kid"];

  // The new key signs; the old one stays, as a public key, to verify.
  TokendConfig after = Bed().Config();
  after.signing_keys = {
      SigningKeyEntry{.file = *new_key},
      SigningKeyEntry{.file = absl::StrReplaceAll(*old_key, {{".pem", ".pub.pem"}})}};
  absl::StatusOr<std::unique_ptr<TokendServer>> new_server = Bed().StartServer(after);
  ASSERT_TRUE(new_server.ok()) << new_server.status();
  std::unique_ptr<client::TokenClient> c = ClientFor(**new_server, Bed().pki().client_uri());
  const Json set = JwksOf(*c);
  ASSERT_THAT(set["keys"], SizeIs(2));
  ASSERT_NE(FindKey(set, old_kid), nullptr);

  EXPECT_TRUE(IsActive(*c, old_token->access_token()));
  EXPECT_TRUE(IssuesVerifiableTokens(*c, "ES256"));
  absl::StatusOr<v1::IssueResponse> new_token = c->Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(new_token.ok());
  const std::string new_kid = DecodeJws(new_token->access_token())->header["kid"];
  EXPECT_NE(new_kid, old_kid);
  // A refresh token from before the rotation yields a token of the new key.
  absl::StatusOr<v1::RefreshResponse> refreshed =
      c->Refresh(RefreshRequest(old_token->refresh_token()));
  ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  EXPECT_EQ(DecodeJws(refreshed->access_token())->header["kid"], new_kid);
  // The old server never heard of the new key.
  EXPECT_TRUE(IntrospectsBareInactive(*old_client, new_token->access_token()));
}

TEST(SigningKeys, AConfiguredKidNamesTheKey) {
  TokendConfig config = Bed().Config();
  config.signing_keys[0].kid = "primary-2026-11";
  absl::StatusOr<std::unique_ptr<TokendServer>> server = Bed().StartServer(config);
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<client::TokenClient> c = ClientFor(**server, Bed().pki().client_uri());
  absl::StatusOr<v1::IssueResponse> issued = c->Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(issued.ok());
  EXPECT_EQ(DecodeJws(issued->access_token())->header["kid"], "primary-2026-11");
  EXPECT_NE(FindKey(JwksOf(*c), "primary-2026-11"), nullptr);
  EXPECT_TRUE(IsActive(*c, issued->access_token()));
  // The same key under its default kid (the default server) is another kid:
  // tokens name the kid they were signed under.
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), issued->access_token()));
}

// Polls (fresh client, fresh handshake) until GetJwks through a client with
// these files succeeds (`want_ok`) or fails.
bool EventuallyConnects(const std::string& target, const std::string& ca_file,
                        const test::CertFiles& cert, bool want_ok) {
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (true) {
    absl::StatusOr<std::unique_ptr<client::TokenClient>> c =
        NewClient(target, ca_file, cert, absl::Seconds(3));
    bool ok = c.ok() && (*c)->GetJwks(v1::GetJwksRequest()).ok();
    if (ok == want_ok) return true;
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(200));
  }
}

TEST(TlsFiles, CertificatesAndTheClientCaAreReReadWithoutARestart) {
  test::TestPki& pki = Bed().pki();
  // Copies of the server's files, so that replacing them touches no other server.
  const test::CertFiles served{absl::StrCat(Bed().dir(), "/rotating-server.crt"),
                               absl::StrCat(Bed().dir(), "/rotating-server.key")};
  ASSERT_TRUE(test::InstallCertFiles(pki.server(), served).ok());
  const std::string client_ca = absl::StrCat(Bed().dir(), "/rotating-client-ca.crt");
  {
    std::ifstream in(pki.ca_file());
    std::stringstream text;
    text << in.rdbuf();
    ASSERT_TRUE(WriteTextFile(client_ca, text.str()).ok());
  }
  TokendConfig config = Bed().Config();
  config.cert_file = served.cert_file;
  config.key_file = served.key_file;
  config.client_ca_file = client_ca;
  config.tls_reload_interval = "1s";
  absl::StatusOr<std::unique_ptr<TokendServer>> server = Bed().StartServer(config);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string target = (*server)->target();
  ASSERT_TRUE(EventuallyConnects(target, pki.ca_file(), pki.client_uri(), true));

  // A new server certificate, from the other CA: clients trusting only the
  // first CA stop connecting, clients trusting the other start.
  test::CertSpec spec;
  spec.name = "rotated-server";
  spec.common_name = "tokend rotated server";
  spec.sans = {{test::SubjectAltName::Type::kDns, "localhost"},
               {test::SubjectAltName::Type::kIp, "127.0.0.1"}};
  spec.usage = test::CertSpec::Usage::kServer;
  spec.untrusted_issuer = true;
  absl::StatusOr<test::CertFiles> rotated = pki.IssueCert(spec);
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  ASSERT_TRUE(test::InstallCertFiles(*rotated, served).ok());
  EXPECT_TRUE(EventuallyConnects(target, pki.untrusted_ca_file(), pki.client_uri(), true))
      << "the new server certificate was not picked up";
  EXPECT_TRUE(EventuallyConnects(target, pki.ca_file(), pki.client_uri(), false));

  // A new client CA bundle: only certificates from the other CA get in now.
  {
    std::ifstream in(pki.untrusted_ca_file());
    std::stringstream text;
    text << in.rdbuf();
    const std::string tmp = client_ca + ".tmp";
    ASSERT_TRUE(WriteTextFile(tmp, text.str()).ok());
    ASSERT_EQ(std::rename(tmp.c_str(), client_ca.c_str()), 0);
  }
  EXPECT_TRUE(EventuallyConnects(target, pki.untrusted_ca_file(), pki.client_untrusted(), true))
      << "the new client CA was not picked up";
  EXPECT_TRUE(EventuallyConnects(target, pki.untrusted_ca_file(), pki.client_uri(), false));
}

}  // namespace
}  // namespace tokend::testing
