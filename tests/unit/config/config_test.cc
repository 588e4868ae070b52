#include "config/config.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "config/load_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/policy.h"

namespace tokend::config {
namespace {

using common::Rpc;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

// The example of docs/config.md, verbatim (TheReferenceShowsTheTestedExample).
constexpr char kContractExample[] = R"yaml(
listen: "0.0.0.0:8443"          # the gRPC API, mutual TLS only
ops_listen: "0.0.0.0:9090"      # plain HTTP for probes, metrics and the JWK Set; "" turns it off
shutdown_grace: 10s

tls:
  cert_file: /etc/tokend/tls/tls.crt      # PEM chain tokend presents
  key_file: /etc/tokend/tls/tls.key       # PEM key of that chain
  client_ca_file: /etc/tokend/tls/ca.crt  # PEM CAs that sign the callers' certificates
  # changed files are picked up while running

database:
  dsn: "postgresql://tokend@127.0.0.1:5432/tokend"
  pool_size: 8
  migrate_on_start: false

issuer: "https://tokend.example.com"

tokens:
  access_ttl: 15m               # access token lifetime when the request names none
  refresh_idle_ttl: 720h        # lifetime of each refresh token
  refresh_absolute_ttl: 2160h   # lifetime of a whole chain of rotated refresh tokens
  leeway: 5s                    # tolerated clock difference when checking nbf and exp

signing_keys:                   # the first key signs; any others only verify
  - file: /etc/tokend/keys/current.pem    # PEM private key: PKCS#8, SEC1 or PKCS#1
    alg: ES256                             # one of ES256, ES384, EdDSA, RS256, PS256
    # kid: omitted, so the key's RFC 7638 thumbprint is used

callers:                        # who may call what, by client certificate identity
  - id: "spiffe://example.org/login"
    rpcs: [Issue, Refresh, Introspect, Revoke, GetJwks]
    issue_for_others: true      # may name another subject in Issue and Revoke
    audiences: ["api://orders", "api://billing"]
    scopes: ["orders:read", "orders:write"]
    max_ttl: 1h
  - id: "orders.internal.example.org"
    rpcs: [Introspect, GetJwks]
)yaml";

// The smallest valid file: only required keys, plus two callers so that
// errors at callers[1] can be provoked.
constexpr char kMinimal[] = R"yaml(listen: "127.0.0.1:8443"
tls:
  cert_file: tls.crt
  key_file: tls.key
  client_ca_file: ca.crt
database:
  dsn: "postgresql://tokend@db/tokend"
issuer: "https://issuer.test"
signing_keys:
  - file: k1.pem
    alg: ES256
callers:
  - id: "spiffe://test/a"
    rpcs: [Issue]
  - id: "spiffe://test/b"
    max_ttl: 30m
)yaml";

// kMinimal with `from` replaced by `to`; fails the test if `from` is absent.
std::string Edit(absl::string_view from, absl::string_view to, const std::string& base = kMinimal) {
  EXPECT_TRUE(absl::StrContains(base, from)) << "test bug: no \"" << from << "\" in the base";
  return absl::StrReplaceAll(base, {{from, to}});
}

// The error message of parsing `yaml`, or "<ok>".
std::string ErrorOf(const std::string& yaml) {
  absl::StatusOr<Config> config = ParseConfig(yaml);
  if (config.ok()) return "<ok>";
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(config.status().message());
}

void ExpectOneLowerCaseLine(absl::string_view message) {
  EXPECT_FALSE(absl::StrContains(message, '\n')) << message;
  ASSERT_FALSE(message.empty());
  EXPECT_FALSE(absl::ascii_isupper(message[0])) << message;
}

TEST(ConfigParser, ParsesTheFullExampleFromTheContract) {
  absl::StatusOr<Config> config = ParseConfig(kContractExample);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen, "0.0.0.0:8443");
  EXPECT_EQ(config->ops_listen, "0.0.0.0:9090");
  EXPECT_EQ(config->shutdown_grace, absl::Seconds(10));
  EXPECT_EQ(config->tls.cert_file, "/etc/tokend/tls/tls.crt");
  EXPECT_EQ(config->tls.key_file, "/etc/tokend/tls/tls.key");
  EXPECT_EQ(config->tls.client_ca_file, "/etc/tokend/tls/ca.crt");
  EXPECT_EQ(config->database.dsn, "postgresql://tokend@127.0.0.1:5432/tokend");
  EXPECT_EQ(config->database.pool_size, 8);
  EXPECT_FALSE(config->database.migrate_on_start);
  EXPECT_EQ(config->issuer, "https://tokend.example.com");
  EXPECT_EQ(config->tokens.access_ttl, absl::Minutes(15));
  EXPECT_EQ(config->tokens.refresh_idle_ttl, absl::Hours(720));
  EXPECT_EQ(config->tokens.refresh_absolute_ttl, absl::Hours(2160));
  EXPECT_EQ(config->tokens.leeway, absl::Seconds(5));

  ASSERT_EQ(config->signing_keys.size(), 1u);
  EXPECT_EQ(config->signing_keys[0].file, "/etc/tokend/keys/current.pem");
  EXPECT_EQ(config->signing_keys[0].alg, "ES256");
  EXPECT_EQ(config->signing_keys[0].kid, "");

  ASSERT_EQ(config->callers.size(), 2u);
  const CallerOptions& login = config->callers[0];
  EXPECT_EQ(login.id, "spiffe://example.org/login");
  EXPECT_THAT(login.rpcs, UnorderedElementsAre(Rpc::kIssue, Rpc::kRefresh, Rpc::kIntrospect,
                                               Rpc::kRevoke, Rpc::kGetJwks));
  EXPECT_TRUE(login.issue_for_others);
  EXPECT_THAT(login.audiences, UnorderedElementsAre("api://orders", "api://billing"));
  EXPECT_THAT(login.scopes, UnorderedElementsAre("orders:read", "orders:write"));
  EXPECT_EQ(login.max_ttl, absl::Hours(1));

  const CallerOptions& orders = config->callers[1];
  EXPECT_EQ(orders.id, "orders.internal.example.org");
  EXPECT_THAT(orders.rpcs, UnorderedElementsAre(Rpc::kIntrospect, Rpc::kGetJwks));
  EXPECT_FALSE(orders.issue_for_others);
  EXPECT_TRUE(orders.audiences.empty());
  EXPECT_TRUE(orders.scopes.empty());
  EXPECT_EQ(orders.max_ttl, absl::Minutes(15));  // tokens.access_ttl
}

TEST(ConfigParser, TheReferenceShowsTheTestedExample) {
  std::ifstream file(TOKEND_CONFIG_REFERENCE);
  ASSERT_TRUE(file.good()) << TOKEND_CONFIG_REFERENCE;
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const std::string open = "```yaml\n";
  size_t start = text.find(open);
  ASSERT_NE(start, std::string::npos) << "no yaml example in " << TOKEND_CONFIG_REFERENCE;
  start += open.size();
  size_t end = text.find("```", start);
  ASSERT_NE(end, std::string::npos);
  EXPECT_EQ(text.substr(start, end - start), absl::StripPrefix(kContractExample, "\n"));
}

TEST(ConfigParser, TheContractExampleBuildsAPolicy) {
  absl::StatusOr<Config> config = ParseConfig(kContractExample);
  ASSERT_TRUE(config.ok()) << config.status();
  // Field by field, as main.cc hands the callers to the service.
  std::vector<service::CallerPolicy> callers;
  for (const CallerOptions& caller : config->callers) {
    callers.push_back(service::CallerPolicy{.id = caller.id,
                                            .rpcs = caller.rpcs,
                                            .issue_for_others = caller.issue_for_others,
                                            .audiences = caller.audiences,
                                            .scopes = caller.scopes,
                                            .max_ttl = caller.max_ttl});
  }
  EXPECT_TRUE(service::Policy::New(std::move(callers)).ok());
}

TEST(ConfigParser, AppliesEveryDefaultToAMinimalFile) {
  absl::StatusOr<Config> config = ParseConfig(R"yaml(
listen: "127.0.0.1:8443"
tls: {cert_file: a, key_file: b, client_ca_file: c}
database: {dsn: "postgresql:///tokend"}
issuer: iss
signing_keys: [{file: k.pem, alg: EdDSA}]
)yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->ops_listen, "0.0.0.0:9090");
  EXPECT_EQ(config->shutdown_grace, absl::Seconds(10));
  EXPECT_EQ(config->log_level, common::LogLevel::kInfo);
  EXPECT_FALSE(config->reflection);
  EXPECT_EQ(config->revocation_resync_interval, absl::Seconds(30));
  EXPECT_EQ(config->tls.reload_interval, absl::Seconds(10));
  EXPECT_EQ(config->database.pool_size, 8);
  EXPECT_FALSE(config->database.migrate_on_start);
  EXPECT_EQ(config->database.connect_timeout, absl::Seconds(5));
  EXPECT_EQ(config->tokens.access_ttl, absl::Minutes(15));
  EXPECT_EQ(config->tokens.refresh_idle_ttl, absl::Hours(720));
  EXPECT_EQ(config->tokens.refresh_absolute_ttl, absl::Hours(2160));
  EXPECT_EQ(config->tokens.leeway, absl::Seconds(5));
  EXPECT_EQ(config->signing_keys[0].kid, "");
  EXPECT_TRUE(config->callers.empty());  // absent callers: every API call is denied
}

TEST(ConfigParser, GivesACallerWithoutRpcsIntrospectRevokeAndGetJwks) {
  absl::StatusOr<Config> config = ParseConfig(kMinimal);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->callers[0].rpcs, UnorderedElementsAre(Rpc::kIssue));
  EXPECT_THAT(config->callers[1].rpcs,
              UnorderedElementsAre(Rpc::kIntrospect, Rpc::kRevoke, Rpc::kGetJwks));
}

TEST(ConfigParser, KeepsAnEmptyRpcsListEmpty) {
  absl::StatusOr<Config> config = ParseConfig(Edit("rpcs: [Issue]", "rpcs: []"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->callers[0].rpcs.empty());
}

TEST(ConfigParser, DefaultsCallerMaxTtlToAccessTtlWhereverTokensAppear) {
  // tokens comes after callers in the file: the default still applies.
  absl::StatusOr<Config> config =
      ParseConfig(absl::StrCat(kMinimal, "tokens:\n  access_ttl: 5m\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->callers[0].max_ttl, absl::Minutes(5));
  EXPECT_EQ(config->callers[1].max_ttl, absl::Minutes(30));
}

TEST(ConfigParser, AcceptsAnEmptyCallerList) {
  std::string yaml = Edit(R"(callers:
  - id: "spiffe://test/a"
    rpcs: [Issue]
  - id: "spiffe://test/b"
    max_ttl: 30m
)",
                          "callers: []\n");
  absl::StatusOr<Config> config = ParseConfig(yaml);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->callers.empty());
}

TEST(ConfigParser, ParsesTheExtensionKeys) {
  absl::StatusOr<Config> config = ParseConfig(
      absl::StrCat(Edit("database:\n",
                        "database:\n  connect_timeout: 2s\n  migrate_on_start: true\n"
                        "  pool_size: 1000\n",
                        Edit("tls:\n", "tls:\n  reload_interval: 1m\n")),
                   "log_level: debug\nrevocation_resync_interval: 1h30m\nops_listen: \"\"\n"
                   "shutdown_grace: 0\nshutdown_delay: 5s\nreflection: true\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->log_level, common::LogLevel::kDebug);
  EXPECT_TRUE(config->reflection);
  EXPECT_EQ(config->revocation_resync_interval, absl::Minutes(90));
  EXPECT_EQ(config->tls.reload_interval, absl::Minutes(1));
  EXPECT_EQ(config->database.connect_timeout, absl::Seconds(2));
  EXPECT_TRUE(config->database.migrate_on_start);
  EXPECT_EQ(config->database.pool_size, 1000);
  EXPECT_EQ(config->ops_listen, "");  // disabled
  EXPECT_EQ(config->shutdown_grace, absl::ZeroDuration());
  EXPECT_EQ(config->shutdown_delay, absl::Seconds(5));
}

TEST(ConfigParser, DefaultsTheConnectionLimits) {
  absl::StatusOr<Config> config = ParseConfig(kMinimal);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tls.max_connection_age, absl::Minutes(30));
  EXPECT_EQ(config->tls.max_connection_age_grace, absl::Seconds(30));
  EXPECT_EQ(config->tls.handshake_timeout, absl::Seconds(5));
}

TEST(ConfigParser, ParsesTheConnectionLimits) {
  absl::StatusOr<Config> config =
      ParseConfig(Edit("tls:\n",
                       "tls:\n  max_connection_age: 1h\n  max_connection_age_grace: 0\n"
                       "  handshake_timeout: 500ms\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tls.max_connection_age, absl::Hours(1));
  EXPECT_EQ(config->tls.max_connection_age_grace, absl::ZeroDuration());
  EXPECT_EQ(config->tls.handshake_timeout, absl::Milliseconds(500));
}

TEST(ConfigParser, RejectsConnectionLimitsOutOfRangeNamingTheKey) {
  EXPECT_EQ(ErrorOf(Edit("tls:\n", "tls:\n  max_connection_age: 999ms\n")),
            "tls.max_connection_age: must be 1s to 24h");
  EXPECT_EQ(ErrorOf(Edit("tls:\n", "tls:\n  max_connection_age: 25h\n")),
            "tls.max_connection_age: must be 1s to 24h");
  EXPECT_EQ(ErrorOf(Edit("tls:\n", "tls:\n  max_connection_age_grace: 61m\n")),
            "tls.max_connection_age_grace: must be 0 to 1h");
  EXPECT_EQ(ErrorOf(Edit("tls:\n", "tls:\n  handshake_timeout: 0\n")),
            "tls.handshake_timeout: must be 100ms to 2m");
  EXPECT_EQ(ErrorOf(Edit("tls:\n", "tls:\n  handshake_timeout: 3m\n")),
            "tls.handshake_timeout: must be 100ms to 2m");
}

TEST(ConfigParser, DefaultsTheLimits) {
  absl::StatusOr<Config> config = ParseConfig(kMinimal);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->limits.max_in_flight_per_caller, 256);
  EXPECT_EQ(config->limits.max_concurrent_streams, 256);
  EXPECT_EQ(config->limits.subject_revocations_per_minute, 60);
  EXPECT_EQ(config->limits.introspect_cache_bytes, 64 << 20);
  EXPECT_FALSE(config->callers[0].introspect_own_audiences_only);
}

TEST(ConfigParser, ParsesTheLimitsAndTheIntrospectCallerOption) {
  absl::StatusOr<Config> config = ParseConfig(
      absl::StrCat(Edit("rpcs: [Issue]", "rpcs: [Issue]\n    introspect_own_audiences_only: true"),
                   "limits:\n  max_in_flight_per_caller: 32\n  max_concurrent_streams: 100\n"
                   "  subject_revocations_per_minute: 0\n  introspect_cache_bytes: 1048576\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->limits.max_in_flight_per_caller, 32);
  EXPECT_EQ(config->limits.max_concurrent_streams, 100);
  EXPECT_EQ(config->limits.subject_revocations_per_minute, 0);
  EXPECT_EQ(config->limits.introspect_cache_bytes, 1 << 20);
  EXPECT_TRUE(config->callers[0].introspect_own_audiences_only);
  EXPECT_FALSE(config->callers[1].introspect_own_audiences_only);
}

TEST(ConfigParser, RejectsLimitsOutOfRangeNamingTheKey) {
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "limits: {max_in_flight_per_caller: 0}\n")),
            "limits.max_in_flight_per_caller: must be at least 1");
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "limits: {max_concurrent_streams: 0}\n")),
            "limits.max_concurrent_streams: must be at least 1");
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "limits: {subject_revocations_per_minute: -1}\n")),
            "limits.subject_revocations_per_minute: must be at least 0");
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "limits: {introspect_cache_bytes: 64MiB}\n")),
            "limits.introspect_cache_bytes: not an integer: \"64MiB\"");
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "limits: {max_streams: 1}\n")),
            "limits.max_streams: unknown key");
  EXPECT_EQ(ErrorOf(Edit("rpcs: [Issue]", "rpcs: [Issue]\n    introspect_own_audiences_only: 1")),
            "callers[0].introspect_own_audiences_only: not a boolean: \"1\" (use true or false)");
}

TEST(ConfigParser, AcceptsEveryLogLevel) {
  for (auto [text, level] :
       std::vector<std::pair<std::string, common::LogLevel>>{{"debug", common::LogLevel::kDebug},
                                                             {"info", common::LogLevel::kInfo},
                                                             {"warn", common::LogLevel::kWarning},
                                                             {"error", common::LogLevel::kError}}) {
    absl::StatusOr<Config> config = ParseConfig(absl::StrCat(kMinimal, "log_level: ", text, "\n"));
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->log_level, level) << text;
  }
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "log_level: verbose\n")),
            "log_level: unknown level \"verbose\" (expected debug, info, warn "
            "or error)");
}

TEST(ConfigParser, AcceptsTheDurationForms) {
  for (auto [text, value] :
       std::vector<std::pair<std::string, absl::Duration>>{{"300ms", absl::Milliseconds(300)},
                                                           {"90s", absl::Seconds(90)},
                                                           {"15m", absl::Minutes(15)},
                                                           {"1h", absl::Hours(1)},
                                                           {"720h", absl::Hours(720)},
                                                           {"1h30m", absl::Minutes(90)},
                                                           {"\"2m\"", absl::Minutes(2)}}) {
    absl::StatusOr<Config> config = ParseConfig(Edit("max_ttl: 30m", "max_ttl: " + text));
    ASSERT_TRUE(config.ok()) << text << ": " << config.status();
    EXPECT_EQ(config->callers[1].max_ttl, value) << text;
  }
  absl::StatusOr<Config> zero = ParseConfig(absl::StrCat(kMinimal, "tokens: {leeway: 0}\n"));
  ASSERT_TRUE(zero.ok()) << zero.status();
  EXPECT_EQ(zero->tokens.leeway, absl::ZeroDuration());
}

TEST(ConfigParser, AcceptsEveryContractAlgorithmAndAnExplicitKid) {
  for (const char* alg : {"ES256", "ES384", "EdDSA", "RS256", "PS256"}) {
    absl::StatusOr<Config> config =
        ParseConfig(Edit("alg: ES256", absl::StrCat("alg: ", alg, "\n    kid: key-2026")));
    ASSERT_TRUE(config.ok()) << alg << ": " << config.status();
    EXPECT_EQ(config->signing_keys[0].alg, alg);
    EXPECT_EQ(config->signing_keys[0].kid, "key-2026");
  }
}

TEST(ConfigParser, KeepsSigningKeysInOrderSoTheFirstIsPrimary) {
  absl::StatusOr<Config> config = ParseConfig(
      Edit("    alg: ES256\n", "    alg: ES256\n  - file: k2.pem\n    alg: RS256\n    kid: old\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->signing_keys.size(), 2u);
  EXPECT_EQ(config->signing_keys[0].file, "k1.pem");
  EXPECT_EQ(config->signing_keys[1].file, "k2.pem");
  EXPECT_EQ(config->signing_keys[1].alg, "RS256");
  EXPECT_EQ(config->signing_keys[1].kid, "old");
}

TEST(ConfigParser, RejectsUnknownKeyNamingItsPath) {
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "listen_port: 1\n")), "listen_port: unknown key");
  EXPECT_EQ(ErrorOf(Edit("tls:\n", "tls:\n  cert: x\n")), "tls.cert: unknown key");
  EXPECT_EQ(ErrorOf(Edit("database:\n", "database:\n  pool: 3\n")), "database.pool: unknown key");
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "tokens:\n  acess_ttl: 5m\n")),
            "tokens.acess_ttl: unknown key");
  EXPECT_EQ(ErrorOf(Edit("alg: ES256", "alg: ES256\n    algorithm: ES256")),
            "signing_keys[0].algorithm: unknown key");
  EXPECT_EQ(ErrorOf(Edit("max_ttl: 30m", "max_ttl: 30m\n    max_tll: 1h")),
            "callers[1].max_tll: unknown key");
}

TEST(ConfigParser, RejectsWrongTypesNamingTheKey) {
  EXPECT_EQ(ErrorOf(Edit("listen: \"127.0.0.1:8443\"", "listen: [a, b]")),
            "listen: expected a string, got a list");
  EXPECT_EQ(ErrorOf(Edit("listen: \"127.0.0.1:8443\"", "listen:")),
            "listen: expected a string, got nothing (null)");
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "tokens: 5m\n")),
            "tokens: expected a mapping, got a scalar");
  EXPECT_EQ(ErrorOf(Edit("cert_file: tls.crt", "cert_file: {path: x}")),
            "tls.cert_file: expected a string, got a mapping");
  EXPECT_EQ(ErrorOf(Edit("database:\n", "database:\n  pool_size: eight\n")),
            "database.pool_size: not an integer: \"eight\"");
  EXPECT_EQ(ErrorOf(Edit("database:\n", "database:\n  pool_size: 8.5\n")),
            "database.pool_size: not an integer: \"8.5\"");
  EXPECT_EQ(ErrorOf(Edit("database:\n", "database:\n  migrate_on_start: yes\n")),
            "database.migrate_on_start: not a boolean: \"yes\" (use true or false)");
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "reflection: on\n")),
            "reflection: not a boolean: \"on\" (use true or false)");
  EXPECT_EQ(ErrorOf(Edit("    rpcs: [Issue]", "    rpcs: Issue")),
            "callers[0].rpcs: expected a list, got a scalar");
  EXPECT_EQ(ErrorOf(Edit("    rpcs: [Issue]", "    rpcs: [Issue]\n    audiences: [[a]]")),
            "callers[0].audiences[0]: expected a string, got a list");
  EXPECT_EQ(ErrorOf(Edit("    rpcs: [Issue]", "    rpcs: [Issue]\n    issue_for_others: 1")),
            "callers[0].issue_for_others: not a boolean: \"1\" (use true or false)");
  EXPECT_EQ(ErrorOf(Edit("signing_keys:\n  - file: k1.pem\n    alg: ES256\n",
                         "signing_keys: {file: k1.pem, alg: ES256}\n")),
            "signing_keys: expected a list, got a mapping");
  EXPECT_EQ(ErrorOf(Edit("callers:\n", "callers:\n  - just-a-name\n")),
            "callers[0]: expected a mapping, got a scalar");
  EXPECT_EQ(ErrorOf("[1, 2]"), "config: expected a mapping, got a list");
}

TEST(ConfigParser, RejectsBadDurationsNamingTheKey) {
  EXPECT_EQ(ErrorOf(Edit("max_ttl: 30m", "max_ttl: abc")),
            "callers[1].max_ttl: not a duration: \"abc\"");
  EXPECT_EQ(ErrorOf(Edit("max_ttl: 30m", "max_ttl: 90")),
            "callers[1].max_ttl: not a duration: \"90\" (a unit is required: "
            "ms, s, m or h)");
  EXPECT_EQ(ErrorOf(Edit("max_ttl: 30m", "max_ttl: 1d")),
            "callers[1].max_ttl: not a duration: \"1d\"");
  EXPECT_EQ(ErrorOf(Edit("max_ttl: 30m", "max_ttl: inf")),
            "callers[1].max_ttl: not a duration: \"inf\"");
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "shutdown_delay: -1s\n")),
            "shutdown_delay: must not be negative: \"-1s\"");
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "shutdown_grace: -5s\n")),
            "shutdown_grace: must not be negative: \"-5s\"");
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "tokens: {access_ttl: [15m]}\n")),
            "tokens.access_ttl: expected a duration, got a list");
}

TEST(ConfigParser, RejectsOutOfRangeValuesNamingTheKey) {
  EXPECT_EQ(ErrorOf(Edit("database:\n", "database:\n  pool_size: 0\n")),
            "database.pool_size: must be 1..1000, got 0");
  EXPECT_EQ(ErrorOf(Edit("database:\n", "database:\n  pool_size: 1001\n")),
            "database.pool_size: must be 1..1000, got 1001");
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "tokens: {access_ttl: 0}\n")),
            "tokens.access_ttl: must be positive");
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "tokens: {refresh_idle_ttl: 0s}\n")),
            "tokens.refresh_idle_ttl: must be positive");
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "tokens: {refresh_absolute_ttl: 24h}\n")),
            "tokens.refresh_absolute_ttl: must be at least tokens.refresh_idle_ttl "
            "(720h)");
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "tokens: {leeway: 6m}\n")),
            "tokens.leeway: must be at most 5m");
  EXPECT_EQ(ErrorOf(Edit("max_ttl: 30m", "max_ttl: 0s")), "callers[1].max_ttl: must be positive");
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "revocation_resync_interval: 0\n")),
            "revocation_resync_interval: must be positive");
  EXPECT_EQ(ErrorOf(Edit("tls:\n", "tls:\n  reload_interval: 0s\n")),
            "tls.reload_interval: must be positive");
  EXPECT_EQ(ErrorOf(Edit("database:\n", "database:\n  connect_timeout: 0s\n")),
            "database.connect_timeout: must be positive");
}

TEST(ConfigParser, RejectsAnUnsupportedAlgorithm) {
  for (const char* alg : {"HS256", "none", "es256", "ES512"}) {
    EXPECT_EQ(ErrorOf(Edit("alg: ES256", absl::StrCat("alg: ", alg))),
              absl::StrCat("signing_keys[0].alg: unsupported algorithm \"", alg,
                           "\" (expected one of ES256, ES384, EdDSA, RS256, PS256)"));
  }
}

TEST(ConfigParser, RejectsAnUnknownRpcName) {
  EXPECT_EQ(ErrorOf(Edit("rpcs: [Issue]", "rpcs: [Issue, introspect]")),
            "callers[0].rpcs[1]: unknown rpc \"introspect\" (expected one of "
            "Issue, Refresh, "
            "Introspect, Revoke, GetJwks, WatchRevocations)");
}

TEST(ConfigParser, DefaultsTheWatchSettings) {
  absl::StatusOr<Config> config = ParseConfig(kMinimal);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->watch.heartbeat_interval, absl::Seconds(5));
  EXPECT_EQ(config->watch.history_events, 10000);
  EXPECT_EQ(config->watch.max_pending_events, 1000);
  EXPECT_EQ(config->watch.max_watchers, 1000);
}

TEST(ConfigParser, ParsesTheWatchSettingsAndTheWatchRpc) {
  absl::StatusOr<Config> config = ParseConfig(
      Edit("rpcs: [Issue]", "rpcs: [Issue, WatchRevocations]") +
      "watch:\n  heartbeat_interval: 200ms\n  history_events: 50\n  max_pending_events: 50\n"
      "  max_watchers: 3\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->watch.heartbeat_interval, absl::Milliseconds(200));
  EXPECT_EQ(config->watch.history_events, 50);
  EXPECT_EQ(config->watch.max_pending_events, 50);
  EXPECT_EQ(config->watch.max_watchers, 3);
  EXPECT_TRUE(config->callers[0].rpcs.contains(Rpc::kWatchRevocations));
}

TEST(ConfigParser, RejectsWatchSettingsOutOfRangeNamingTheKey) {
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "watch:\n  heartbeat_interval: 5ms\n"),
            "watch.heartbeat_interval: must be between 10ms and 1h");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "watch:\n  max_watchers: 0\n"),
            "watch.max_watchers: must be at least 1");
  // A watcher cut for falling behind must find what it missed in the history.
  EXPECT_EQ(
      ErrorOf(std::string(kMinimal) + "watch:\n  history_events: 10\n  max_pending_events: 11\n"),
      "watch.max_pending_events: must be at most watch.history_events");
}

TEST(ConfigParser, RejectsADuplicateCaller) {
  EXPECT_EQ(ErrorOf(Edit("spiffe://test/b", "spiffe://test/a")),
            "callers[1].id: duplicate caller \"spiffe://test/a\" (also callers[0])");
}

TEST(ConfigParser, RejectsADuplicateExplicitKid) {
  EXPECT_EQ(ErrorOf(Edit("    alg: ES256\n",
                         "    alg: ES256\n    kid: a\n  - file: k2.pem\n"
                         "    alg: ES256\n    kid: a\n")),
            "signing_keys[1].kid: duplicate kid \"a\" (also signing_keys[0])");
  EXPECT_EQ(ErrorOf(Edit("    alg: ES256\n", "    alg: ES256\n    kid: \"\"\n")),
            "signing_keys[0].kid: must not be empty (omit it for the thumbprint)");
  EXPECT_EQ(ErrorOf(Edit("    alg: ES256\n", "    alg: ES256\n    kid: \"a b\"\n")),
            "signing_keys[0].kid: must be visible ascii characters");
}

TEST(ConfigParser, RejectsAScopeContainingASpace) {
  EXPECT_EQ(ErrorOf(Edit("rpcs: [Issue]", "rpcs: [Issue]\n    scopes: [\"a:read\", \"a b\"]")),
            "callers[0].scopes[1]: not a valid scope: \"a b\" (no spaces, "
            "quotes or backslashes)");
  EXPECT_EQ(ErrorOf(Edit("rpcs: [Issue]", "rpcs: [Issue]\n    audiences: [\"\"]")),
            "callers[0].audiences[0]: must not be empty");
}

TEST(ConfigParser, HoldsScopesToTheRuleRequestsFollow) {
  // Scopes no request could ever name: beyond printable ASCII, a quote, a
  // backslash, longer than 1024 bytes.
  for (const std::string& scope : {std::string("caf\xc3\xa9"), std::string("a\"b"),
                                   std::string("a\\b"), std::string(1025, 'a')}) {
    std::string yaml =
        Edit("rpcs: [Issue]", absl::StrCat("rpcs: [Issue]\n    scopes: ['", scope, "']"));
    EXPECT_TRUE(absl::StartsWith(ErrorOf(yaml), "callers[0].scopes[0]: not a valid scope: "))
        << scope;
  }
  std::string longest(1024, 'a');
  absl::StatusOr<Config> config = ParseConfig(
      Edit("rpcs: [Issue]", absl::StrCat("rpcs: [Issue]\n    scopes: [", longest, "]")));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->callers[0].scopes, UnorderedElementsAre(longest));
}

TEST(ConfigParser, RejectsAMissingRequiredKeyNamingIt) {
  EXPECT_EQ(ErrorOf(Edit("listen: \"127.0.0.1:8443\"\n", "")), "listen: required key is missing");
  EXPECT_EQ(ErrorOf(Edit("listen: \"127.0.0.1:8443\"", "listen: \"\"")),
            "listen: must not be empty");
  EXPECT_EQ(ErrorOf(Edit("  cert_file: tls.crt\n", "")), "tls.cert_file: required key is missing");
  EXPECT_EQ(ErrorOf(Edit("  key_file: tls.key\n", "")), "tls.key_file: required key is missing");
  EXPECT_EQ(ErrorOf(Edit("  client_ca_file: ca.crt\n", "")),
            "tls.client_ca_file: required key is missing");
  EXPECT_EQ(ErrorOf(Edit("tls:\n  cert_file: tls.crt\n  key_file: tls.key\n"
                         "  client_ca_file: ca.crt\n",
                         "")),
            "tls.cert_file: required key is missing");
  EXPECT_EQ(ErrorOf(Edit("  dsn: \"postgresql://tokend@db/tokend\"\n", "  pool_size: 4\n")),
            "database.dsn: required key is missing");
  EXPECT_EQ(ErrorOf(Edit("issuer: \"https://issuer.test\"\n", "")),
            "issuer: required key is missing");
  EXPECT_EQ(ErrorOf(Edit("signing_keys:\n  - file: k1.pem\n    alg: ES256\n", "")),
            "signing_keys: required key is missing (or set keys.managed: true)");
  EXPECT_EQ(
      ErrorOf(Edit("signing_keys:\n  - file: k1.pem\n    alg: ES256\n", "signing_keys: []\n")),
      "signing_keys: at least one key is required");
  EXPECT_EQ(ErrorOf(Edit("  - file: k1.pem\n", "  - kid: x\n")),
            "signing_keys[0].file: required key is missing");
  EXPECT_EQ(ErrorOf(Edit("    alg: ES256\n", "")), "signing_keys[0].alg: required key is missing");
  EXPECT_EQ(ErrorOf(Edit("  - id: \"spiffe://test/b\"\n", "  - rpcs: []\n")),
            "callers[1].id: required key is missing");
}

TEST(ConfigParser, RejectsABadListenAddress) {
  for (const char* bad : {"8443", "localhost", ":8443", "1.2.3.4:99999", "::1:80", "999.1.1.1:80",
                          "1.2.3.4:80,1.2.3.4:81", "[::1:80", "host name:80", "1.2.3.4:-1"}) {
    std::string message =
        ErrorOf(Edit("listen: \"127.0.0.1:8443\"", absl::StrCat("listen: \"", bad, "\"")));
    EXPECT_TRUE(absl::StartsWith(message, "listen: not host:port")) << bad << " -> " << message;
  }
  for (const char* good :
       {"0.0.0.0:8443", "[::]:8443", "[::1]:0", "localhost:0", "tokend.example.com:443"}) {
    EXPECT_EQ(ErrorOf(Edit("listen: \"127.0.0.1:8443\"", absl::StrCat("listen: \"", good, "\""))),
              "<ok>")
        << good;
  }
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "ops_listen: \"9090\"\n")),
            "ops_listen: not host:port: \"9090\"");
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "ops_listen: \"127.0.0.1:8443\"\n")),
            "ops_listen: must differ from listen");
  // Port 0 on both picks two free ports: no collision.
  EXPECT_EQ(ErrorOf(absl::StrCat(Edit("listen: \"127.0.0.1:8443\"", "listen: \"127.0.0.1:0\""),
                                 "ops_listen: \"127.0.0.1:0\"\n")),
            "<ok>");
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "ops_listen: \"[::]:9090\"\n")), "<ok>");
}

TEST(ConfigParser, RejectsMalformedYamlWithALineNumber) {
  std::string message = ErrorOf("listen: \"127.0.0.1:8443\"\ntls: [a\n");
  EXPECT_TRUE(absl::StartsWith(message, "config: yaml syntax error at line ")) << message;
  EXPECT_EQ(ErrorOf(""), "config: the file is empty");
  EXPECT_EQ(ErrorOf("# only a comment\n"), "config: the file is empty");
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "---\nlisten: x\n")),
            "config: more than one yaml document");
}

TEST(ConfigParser, ReportsAYamlSyntaxErrorOnOnePrintableLineWhateverBytesTheFileHolds) {
  // yaml-cpp's message quotes the byte after a backslash as it is: here an
  // ESC (a terminal control sequence) and a carriage return.
  for (const char* escaped : {"\x1b[2J", "\x01", "\r"}) {
    const std::string message = ErrorOf(absl::StrCat("issuer: \"\\", escaped, "\"\n"));
    EXPECT_TRUE(absl::StartsWith(message, "config: yaml syntax error at line 1")) << message;
    for (const char c : message) {
      EXPECT_TRUE(absl::ascii_isprint(static_cast<unsigned char>(c)))
          << "byte " << static_cast<int>(c) << " in " << absl::CHexEscape(message);
    }
  }
}

TEST(ConfigParser, RefusesAStrayCommaInsteadOfReadingEmptyDocumentsWithoutEnd) {
  // yaml-cpp 0.7 reads "," as an empty document that it never gets past:
  // its LoadAll would allocate empty documents until memory runs out.
  EXPECT_EQ(ErrorOf(","), "config: the file is empty");
  EXPECT_EQ(ErrorOf(",intronly:\xf4:8\xf4\xf4\xf4"
                    "4\xb4"),
            "config: the file is empty");
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "---\n,\n")), "config: more than one yaml document");
}

TEST(ConfigParser, RejectsADuplicateKey) {
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "issuer: other\n")), "issuer: duplicate key");
  EXPECT_EQ(ErrorOf(Edit("  key_file: tls.key\n", "  key_file: tls.key\n  key_file: b\n")),
            "tls.key_file: duplicate key");
}

TEST(ConfigParser, NeverPutsTheDsnInAMessage) {
  std::string message = ErrorOf(
      Edit("  dsn: \"postgresql://tokend@db/tokend\"", "  dsn: [\"postgresql://u:hunter2@db\"]"));
  EXPECT_EQ(message, "database.dsn: expected a string, got a list");
  EXPECT_FALSE(absl::StrContains(message, "hunter2"));
}

TEST(ConfigParser, ErrorMessagesAreOneLowerCaseLine) {
  EXPECT_EQ(ErrorOf(absl::StrCat(kMinimal, "\"a\\nb\": 1\n")), "a\\nb: unknown key");
  for (const std::string& yaml :
       {absl::StrCat(kMinimal, "tokens: {leeway: \"1\\n2\"}\n"), std::string("listen: [\n"),
        Edit("max_ttl: 30m", "max_ttl: abc"), Edit("alg: ES256", "alg: \"X\\nY\"")}) {
    std::string message = ErrorOf(yaml);
    ExpectOneLowerCaseLine(message);
  }
}

// ---------------------------------------------------------------------------
// LoadConfig

class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "tokend_config_XXXXXX";
    char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  // Writes `contents` to `name` in this directory; returns its path.
  std::string Write(const std::string& name, const std::string& contents) const {
    std::string path = absl::StrCat(path_, "/", name);
    std::ofstream(path) << contents;
    return path;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A fake environment for LoadConfig.
struct FakeEnv {
  absl::flat_hash_map<std::string, std::string> vars;
  std::function<const char*(const char*)> Getenv() const {
    return [this](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

// A directory holding every file kMinimal names.
class WithFiles {
 public:
  WithFiles() {
    for (const char* name : {"tls.crt", "tls.key", "ca.crt", "k1.pem"}) dir.Write(name, "pem\n");
  }
  TempDir dir;
  FakeEnv env;
};

TEST(ConfigLoader, LoadsAFileAndResolvesRelativePathsAgainstItsDirectory) {
  WithFiles files;
  std::string path = files.dir.Write("tokend.yaml", kMinimal);
  absl::StatusOr<Config> config = LoadConfig(path, files.env.Getenv());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tls.cert_file, files.dir.path() + "/tls.crt");
  EXPECT_EQ(config->tls.key_file, files.dir.path() + "/tls.key");
  EXPECT_EQ(config->tls.client_ca_file, files.dir.path() + "/ca.crt");
  EXPECT_EQ(config->signing_keys[0].file, files.dir.path() + "/k1.pem");
  EXPECT_EQ(config->database.dsn, "postgresql://tokend@db/tokend");
}

TEST(ConfigLoader, KeepsAbsolutePathsAsWritten) {
  WithFiles files;
  std::string key = files.dir.path() + "/k1.pem";
  std::string path = files.dir.Write("tokend.yaml", Edit("file: k1.pem", "file: " + key));
  absl::StatusOr<Config> config = LoadConfig(path, files.env.Getenv());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->signing_keys[0].file, key);
}

TEST(ConfigLoader, LetsTheEnvironmentOverrideTheDsn) {
  WithFiles files;
  files.env.vars["TOKEND_DATABASE_DSN"] = "postgresql://from-secret@db/tokend";
  std::string path = files.dir.Write("tokend.yaml", kMinimal);
  absl::StatusOr<Config> config = LoadConfig(path, files.env.Getenv());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->database.dsn, "postgresql://from-secret@db/tokend");
}

TEST(ConfigLoader, TakesTheDsnFromTheEnvironmentWhenTheFileHasNone) {
  WithFiles files;
  files.env.vars["TOKEND_DATABASE_DSN"] = "postgresql://from-secret@db/tokend";
  std::string path = files.dir.Write(
      "tokend.yaml", Edit("database:\n  dsn: \"postgresql://tokend@db/tokend\"\n", ""));
  absl::StatusOr<Config> config = LoadConfig(path, files.env.Getenv());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->database.dsn, "postgresql://from-secret@db/tokend");
  EXPECT_EQ(config->database.pool_size, 8);
}

TEST(ConfigLoader, IgnoresAnEmptyDsnVariable) {
  WithFiles files;
  files.env.vars["TOKEND_DATABASE_DSN"] = "";
  std::string with_dsn = files.dir.Write("a.yaml", kMinimal);
  absl::StatusOr<Config> config = LoadConfig(with_dsn, files.env.Getenv());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->database.dsn, "postgresql://tokend@db/tokend");

  std::string without_dsn = files.dir.Write(
      "b.yaml", Edit("  dsn: \"postgresql://tokend@db/tokend\"\n", "  pool_size: 2\n"));
  config = LoadConfig(without_dsn, files.env.Getenv());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(), "database.dsn: required key is missing");
}

TEST(ConfigLoader, ReadsTheProcessEnvironmentByDefault) {
  WithFiles files;
  std::string path = files.dir.Write("tokend.yaml", kMinimal);
  ::setenv("TOKEND_DATABASE_DSN", "postgresql://process-env@db/tokend", 1);
  absl::StatusOr<Config> config = LoadConfig(path);
  ::unsetenv("TOKEND_DATABASE_DSN");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->database.dsn, "postgresql://process-env@db/tokend");
}

TEST(ConfigLoader, ParseConfigReadsNoEnvironment) {
  ::setenv("TOKEND_DATABASE_DSN", "postgresql://env@db/tokend", 1);
  absl::StatusOr<Config> config = ParseConfig(kMinimal);
  ::unsetenv("TOKEND_DATABASE_DSN");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->database.dsn, "postgresql://tokend@db/tokend");
}

TEST(ConfigLoader, ReportsAMissingConfigFileNamingItsPath) {
  TempDir dir;
  std::string path = dir.path() + "/nope.yaml";
  absl::StatusOr<Config> config = LoadConfig(path, FakeEnv().Getenv());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(config.status().message(),
            absl::StrCat("config file \"", path, "\": no such file or directory"));
}

TEST(ConfigLoader, ReportsADirectoryGivenAsTheConfigFile) {
  TempDir dir;
  absl::StatusOr<Config> config = LoadConfig(dir.path(), FakeEnv().Getenv());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            absl::StrCat("config file \"", dir.path(), "\": not a regular file"));
}

TEST(ConfigLoader, ReportsAnUnreadableConfigFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads files whatever their mode";
  WithFiles files;
  std::string path = files.dir.Write("tokend.yaml", kMinimal);
  ::chmod(path.c_str(), 0);
  absl::StatusOr<Config> config = LoadConfig(path, files.env.Getenv());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(config.status().message(), HasSubstr("permission denied"));
}

TEST(ConfigLoader, ReportsAParseErrorUnchanged) {
  WithFiles files;
  std::string path = files.dir.Write("tokend.yaml", Edit("max_ttl: 30m", "max_ttl: abc"));
  absl::StatusOr<Config> config = LoadConfig(path, files.env.Getenv());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(), "callers[1].max_ttl: not a duration: \"abc\"");
}

TEST(ConfigLoader, ReportsAMissingKeyFileNamingTheKey) {
  WithFiles files;
  std::string path = files.dir.Write(
      "tokend.yaml",
      Edit("    alg: ES256\n", "    alg: ES256\n  - file: retired.pem\n    alg: ES256\n"));
  absl::StatusOr<Config> config = LoadConfig(path, files.env.Getenv());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(config.status().message(),
            absl::StrCat("signing_keys[1].file: cannot read \"", files.dir.path(),
                         "/retired.pem\": no such file or directory"));
}

TEST(ConfigLoader, ReportsAMissingTlsFileNamingTheKey) {
  WithFiles files;
  std::string path = files.dir.Write("tokend.yaml", Edit("ca.crt", "missing-ca.crt"));
  absl::StatusOr<Config> config = LoadConfig(path, files.env.Getenv());
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("tls.client_ca_file: cannot read \""));
  ExpectOneLowerCaseLine(config.status().message());
}

TEST(ConfigLoader, SkipsTheNamedFilesWhenAskedForMigrate) {
  TempDir dir;  // none of the TLS or key files exist
  std::string path = dir.Write("tokend.yaml", kMinimal);
  absl::StatusOr<Config> config = LoadConfig(path, FakeEnv{}.Getenv(), NamedFiles::kSkip);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tls.cert_file, dir.path() + "/tls.crt");
  EXPECT_FALSE(LoadConfig(path, FakeEnv{}.Getenv(), NamedFiles::kCheck).ok());
}

TEST(ConfigLoader, ReportsADirectoryNamedAsAKeyFile) {
  WithFiles files;
  ASSERT_EQ(::mkdir((files.dir.path() + "/keys").c_str(), 0700), 0);
  std::string path = files.dir.Write("tokend.yaml", Edit("file: k1.pem", "file: keys"));
  absl::StatusOr<Config> config = LoadConfig(path, files.env.Getenv());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(), absl::StrCat("signing_keys[0].file: \"", files.dir.path(),
                                                    "/keys\" is not a regular file"));
}

}  // namespace
}  // namespace tokend::config
