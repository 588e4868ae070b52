// tokend as an operator runs it (config.md): start-up refusals, migrations,
// draining on SIGTERM, the ops port, and the DSN from the environment.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <future>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/api/api_test_util.h"

namespace tokend::testing {
namespace {

using ::testing::HasSubstr;

// Runs `tokend serve` with the configuration text `yaml` (written to a fresh
// file) and expects a refusal: exit code not 0, and exactly one line on
// stderr that contains `needle`.
void ExpectRefusal(const std::string& yaml, absl::string_view needle,
                   const std::map<std::string, std::string>& env = {}) {
  static int n = 0;
  const std::string path = absl::StrCat(Bed().dir(), "/refused-", ++n, ".yaml");
  ASSERT_TRUE(WriteTextFile(path, yaml).ok());
  absl::StatusOr<CommandResult> r = RunTokend({"serve", "--config", path}, env, absl::Seconds(60));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(r->exit_code, 0) << "tokend started with:\n" << yaml;
  EXPECT_EQ(r->signal, 0);
  const std::string err = r->stderr_text;
  EXPECT_TRUE(absl::EndsWith(err, "\n") && err.find('\n') == err.size() - 1)
      << "not exactly one line on stderr:\n"
      << err;
  EXPECT_THAT(err, HasSubstr(std::string(needle)));
}

std::string Replace(std::string yaml, absl::string_view from, absl::string_view to) {
  EXPECT_TRUE(absl::StrContains(yaml, from)) << from;
  return absl::StrReplaceAll(yaml, {{from, to}});
}

TEST(Process, AnUnknownKeyIsRefusedWithOneLineNamingIt) {
  TokendConfig config = Bed().Config();
  config.extra_yaml = "bogus_setting: 1\n";
  ExpectRefusal(config.ToYaml(), "bogus_setting");
  ExpectRefusal(Replace(Bed().Config().ToYaml(), "  leeway: 5s\n", "  leeway: 5s\n  lee_way: 5s\n"),
                "lee_way");
  config = Bed().Config();
  config.callers_yaml += "    colour: red\n";
  ExpectRefusal(config.ToYaml(), "colour");
}

TEST(Process, AWrongTypeIsRefusedWithOneLineNamingTheKey) {
  const std::string yaml = Bed().Config().ToYaml();
  ExpectRefusal(Replace(yaml, "pool_size: 4", "pool_size: many"), "pool_size");
  ExpectRefusal(Replace(yaml, "shutdown_grace: 5s", "shutdown_grace: [5s]"), "shutdown_grace");
  ExpectRefusal(Replace(yaml, "migrate_on_start: false", "migrate_on_start: maybe"),
                "migrate_on_start");
  ExpectRefusal(Replace(yaml, "access_ttl: 15m", "access_ttl: soon"), "access_ttl");
  ExpectRefusal(Replace(yaml, "    max_ttl: 1h\n", "    max_ttl: {h: 1}\n"), "max_ttl");
  ExpectRefusal(Replace(yaml, "alg: ES256", "alg: HS256"), "alg");
}

TEST(Process, AMissingConfigFileIsRefusedWithOneLineNamingIt) {
  const std::string path = absl::StrCat(Bed().dir(), "/no-such-config.yaml");
  absl::StatusOr<CommandResult> r = RunTokend({"serve", "--config", path});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(r->exit_code, 0);
  EXPECT_EQ(std::count(r->stderr_text.begin(), r->stderr_text.end(), '\n'), 1) << r->stderr_text;
  EXPECT_THAT(r->stderr_text, HasSubstr(path));
}

TEST(Process, MissingOrUnreadableFilesAreRefusedWithOneLine) {
  TokendConfig config = Bed().Config();
  config.signing_keys[0].file = absl::StrCat(Bed().dir(), "/missing-key.pem");
  ExpectRefusal(config.ToYaml(), "missing-key.pem");

  config = Bed().Config();
  config.cert_file = absl::StrCat(Bed().dir(), "/missing-cert.crt");
  ExpectRefusal(config.ToYaml(), "missing-cert.crt");

  // A directory where the key should be.
  config = Bed().Config();
  const std::string dir_key = absl::StrCat(Bed().dir(), "/key-dir.pem");
  ASSERT_EQ(mkdir(dir_key.c_str(), 0700), 0);
  config.signing_keys[0].file = dir_key;
  ExpectRefusal(config.ToYaml(), "key-dir.pem");

  // A key file that holds no key.
  config = Bed().Config();
  const std::string junk_key = absl::StrCat(Bed().dir(), "/junk-key.pem");
  ASSERT_TRUE(WriteTextFile(junk_key,
                            "-----BEGIN PRIVATE KEY-----\nnot a key\n"
                            "-----END PRIVATE KEY-----\n")
                  .ok());
  config.signing_keys[0].file = junk_key;
  ExpectRefusal(config.ToYaml(), "junk-key.pem");

  // A key of another algorithm than configured.
  config = Bed().Config();
  config.signing_keys[0].alg = "ES384";
  ExpectRefusal(config.ToYaml(), "signing-es256.pem");

  // A TLS key that does not match the certificate.
  config = Bed().Config();
  config.key_file = Bed().pki().client_uri().key_file;
  ExpectRefusal(config.ToYaml(), "tls.key_file");

  // Permissions only bind a process that is not root.
  if (geteuid() != 0) {
    config = Bed().Config();
    const std::string locked = absl::StrCat(Bed().dir(), "/locked-key.pem");
    absl::StatusOr<std::string> key =
        Bed().pki().WriteSigningKey("locked-key", test::SigningAlg::kEs256);
    ASSERT_TRUE(key.ok());
    ASSERT_EQ(chmod(locked.c_str(), 0), 0);
    config.signing_keys[0].file = locked;
    ExpectRefusal(config.ToYaml(), "locked-key.pem");
  }
}

TEST(Process, WithoutADsnAnywhereStartIsRefused) {
  TokendConfig config = Bed().Config();
  config.dsn.clear();
  ExpectRefusal(config.ToYaml(), "dsn");
}

// libpq would refuse these only when connecting, which looked like an outage
// ("database unavailable"); they are configuration errors.
TEST(Process, AMultiHostDsnThatCannotWorkIsRefusedNamingDatabaseDsn) {
  TokendConfig config = Bed().Config();
  config.dsn = "host=127.0.0.1,127.0.0.1 port=5432,5433,5434 dbname=tokend_api";
  ExpectRefusal(config.ToYaml(), "database.dsn names 3 ports for 2 hosts");
  config.dsn = absl::StrCat(Bed().dsn(), " target_session_attrs=writable");
  ExpectRefusal(config.ToYaml(), "database.dsn: target_session_attrs must be");
}

TEST(Process, AnOlderSchemaIsRefusedUnlessMigrateOnStart) {
  absl::StatusOr<std::string> dsn = Cluster().CreateDatabase("tokend_unmigrated");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  TokendConfig config = Bed().Config();
  config.dsn = *dsn;
  ExpectRefusal(config.ToYaml(), "schema");

  config.migrate_on_start = true;
  absl::StatusOr<std::unique_ptr<TokendServer>> server = Bed().StartServer(config);
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<client::TokenClient> c = ClientFor(**server, Bed().pki().client_uri());
  absl::StatusOr<v1::IssueResponse> issued = c->Issue(IssueRequest({"api://orders"}, {}, true));
  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_TRUE(c->Refresh(RefreshRequest(issued->refresh_token())).ok());
}

TEST(Process, SeveralProcessesMigratingOneFreshDatabaseAtOnceAllStart) {
  absl::StatusOr<std::string> dsn = Cluster().CreateDatabase("tokend_migrated_concurrently");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  TokendConfig config = Bed().Config();
  config.dsn = *dsn;
  config.migrate_on_start = true;
  absl::StatusOr<std::string> path = Bed().WriteConfig(config);
  ASSERT_TRUE(path.ok());
  std::vector<std::future<absl::StatusOr<std::unique_ptr<TokendServer>>>> starting;
  for (int i = 0; i < 3; ++i) {
    starting.push_back(std::async(std::launch::async, [&] { return TokendServer::Start(*path); }));
  }
  for (auto& s : starting) {
    absl::StatusOr<std::unique_ptr<TokendServer>> server = s.get();
    ASSERT_TRUE(server.ok()) << server.status();
    std::unique_ptr<client::TokenClient> c = ClientFor(**server, Bed().pki().client_uri());
    EXPECT_TRUE(c->Issue(IssueRequest({"api://orders"}, {}, true)).ok());
  }
}

TEST(Process, WithoutACommandTokendServes) {
  absl::StatusOr<std::string> path = Bed().WriteConfig(Bed().Config());
  ASSERT_TRUE(path.ok());
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start({TokendBinaryPath(), "--config", *path}, {});
  ASSERT_TRUE(process.ok()) << process.status();
  EXPECT_TRUE((*process)->WaitForLine("msg=serving", absl::Seconds(30)).ok());
  (*process)->Signal(SIGTERM);
  absl::StatusOr<int> code = (*process)->Wait(absl::Seconds(15));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0);
}

TEST(Process, MigrateBringsTheSchemaUpAndExitsZeroEveryTime) {
  absl::StatusOr<std::string> dsn = Cluster().CreateDatabase("tokend_migrated_by_command");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  TokendConfig config = Bed().Config();
  config.dsn = *dsn;
  absl::StatusOr<std::string> path = Bed().WriteConfig(config);
  ASSERT_TRUE(path.ok());
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<CommandResult> r = RunTokend({"migrate", "--config", *path});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->exit_code, 0) << r->stderr_text;
  }
  absl::StatusOr<std::unique_ptr<TokendServer>> server = TokendServer::Start(*path);
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<client::TokenClient> c = ClientFor(**server, Bed().pki().client_uri());
  EXPECT_TRUE(c->Issue(IssueRequest({"api://orders"}, {}, true)).ok());
}

TEST(Process, TheEnvironmentsDsnOverridesTheConfigFile) {
  TokendConfig config = Bed().Config();
  // Nothing listens on port 1: only the environment's DSN can work.
  config.dsn = "host=127.0.0.1 port=1 dbname=nowhere user=nobody connect_timeout=2";
  absl::StatusOr<std::unique_ptr<TokendServer>> server =
      Bed().StartServer(config, {{"TOKEND_DATABASE_DSN", Bed().dsn()}});
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<client::TokenClient> c = ClientFor(**server, Bed().pki().client_uri());
  absl::StatusOr<v1::IssueResponse> issued = c->Issue(IssueRequest({"api://orders"}, {}, true));
  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_TRUE(IsActive(Caller(), issued->refresh_token())) << "stored in the bed's database";

  // And the file need not name a DSN at all then.
  config.dsn.clear();
  server = Bed().StartServer(config, {{"TOKEND_DATABASE_DSN", Bed().dsn()}});
  ASSERT_TRUE(server.ok()) << server.status();
}

TEST(Process, APortInUseIsRefusedNamingTheKey) {
  // The default server holds its ports. (gRPC's default SO_REUSEPORT once let
  // a second tokend share the API port and take half the connections.)
  TokendConfig config = Bed().Config();
  config.listen = Server().target();
  absl::StatusOr<std::string> path = Bed().WriteConfig(config);
  ASSERT_TRUE(path.ok());
  absl::StatusOr<CommandResult> r = RunTokend({"serve", "--config", *path});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(r->exit_code, 0);
  EXPECT_EQ(r->signal, 0);
  EXPECT_THAT(r->stderr_text, HasSubstr("tokend: listen: cannot serve"));

  config = Bed().Config();
  config.ops_listen = absl::StrCat("127.0.0.1:", Server().ops_port());
  path = Bed().WriteConfig(config);
  ASSERT_TRUE(path.ok());
  r = RunTokend({"serve", "--config", *path});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(r->exit_code, 0);
  EXPECT_EQ(r->signal, 0);
  EXPECT_THAT(r->stderr_text, HasSubstr("ops server: cannot listen"));
}

TEST(Process, VersionPrintsAndExitsZero) {
  absl::StatusOr<CommandResult> r = RunTokend({"version"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_THAT(r->stdout_text, HasSubstr("tokend"));
}

TEST(Process, SigtermAndSigintExitZeroWhenIdle) {
  for (int sig : {SIGTERM, SIGINT}) {
    absl::StatusOr<std::unique_ptr<TokendServer>> server = Bed().StartServer();
    ASSERT_TRUE(server.ok()) << server.status();
    (*server)->process().Signal(sig);
    absl::StatusOr<int> code = (*server)->process().Wait(absl::Seconds(10));
    ASSERT_TRUE(code.ok()) << "still running after " << strsignal(sig);
    EXPECT_EQ(*code, 0) << (*server)->log();
  }
}

TEST(Process, SigtermDrainsInFlightCallsThenExitsZero) {
  TokendConfig config = Bed().Config();
  config.shutdown_grace = "8s";
  absl::StatusOr<std::unique_ptr<TokendServer>> server = Bed().StartServer(config);
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<client::TokenClient> c =
      ClientFor(**server, Bed().pki().client_uri(), absl::Seconds(20));
  absl::StatusOr<v1::IssueResponse> issued = c->Issue(IssueRequest({"api://orders"}, {}, true));
  ASSERT_TRUE(issued.ok()) << issued.status();

  // Hold the refresh tokens so that a Refresh is in flight for a while.
  std::thread locker([] {
    absl::StatusOr<std::string> r = Cluster().Psql(
        "tokend_api",
        "BEGIN; LOCK TABLE refresh_tokens IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(2); COMMIT;",
        absl::Seconds(30), "tokend_test_locker");
    EXPECT_TRUE(r.ok()) << r.status();
  });
  auto waiting_on_lock = [] {
    absl::StatusOr<std::string> n =
        Cluster().Psql("tokend_api",
                       "SELECT count(*) FROM pg_stat_activity WHERE datname = 'tokend_api' AND "
                       "wait_event_type = 'Lock'");
    return n.ok() ? std::string(absl::StripAsciiWhitespace(*n)) : "";
  };
  absl::SleepFor(absl::Milliseconds(300));
  auto in_flight = std::async(std::launch::async,
                              [&] { return c->Refresh(RefreshRequest(issued->refresh_token())); });
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (waiting_on_lock() == "0" && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(20));
  EXPECT_NE(waiting_on_lock(), "0") << "the Refresh never reached the database";

  (*server)->process().Signal(SIGTERM);
  ASSERT_TRUE((*server)->process().WaitForLine("msg=draining", absl::Seconds(5)).ok());
  // While draining the ops port says "not ready".
  absl::StatusOr<HttpResponse> ready = HttpGet((*server)->ops_port(), "/readyz");
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(ready->status, 503);

  absl::StatusOr<v1::RefreshResponse> refreshed = in_flight.get();
  locker.join();
  EXPECT_TRUE(refreshed.ok()) << "the in-flight call was cut off: " << refreshed.status();
  absl::StatusOr<int> code = (*server)->process().Wait(absl::Seconds(15));
  ASSERT_TRUE(code.ok()) << "did not exit after draining";
  EXPECT_EQ(*code, 0) << (*server)->log();
  EXPECT_THAT((*server)->log(), HasSubstr("msg=stopped"));
  // The refresh really happened: the successor works through the default server.
  if (refreshed.ok()) EXPECT_TRUE(IsActive(Caller(), refreshed->refresh_token()));
}

TEST(Process, DrainingIsBoundedByShutdownGraceEvenWhenTheDatabaseStalls) {
  TokendConfig config = Bed().Config();
  config.shutdown_grace = "1s";
  absl::StatusOr<std::unique_ptr<TokendServer>> server = Bed().StartServer(config);
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<client::TokenClient> c =
      ClientFor(**server, Bed().pki().client_uri(), absl::Seconds(30));
  absl::StatusOr<v1::IssueResponse> issued = c->Issue(IssueRequest({"api://orders"}, {}, true));
  ASSERT_TRUE(issued.ok()) << issued.status();

  // The refresh tokens stay locked far longer than the grace period.
  std::thread locker([] {
    absl::StatusOr<std::string> r = Cluster().Psql(
        "tokend_api",
        "BEGIN; LOCK TABLE refresh_tokens IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(4); COMMIT;",
        absl::Seconds(30), "tokend_test_locker");
    EXPECT_TRUE(r.ok()) << r.status();
  });
  absl::SleepFor(absl::Milliseconds(300));
  auto in_flight = std::async(std::launch::async, [&] {
    return c->Refresh(RefreshRequest(issued->refresh_token())).status();
  });
  absl::SleepFor(absl::Milliseconds(500));

  const absl::Time start = absl::Now();
  (*server)->process().Signal(SIGTERM);
  absl::StatusOr<int> code = (*server)->process().Wait(absl::Seconds(20));
  const absl::Duration took = absl::Now() - start;
  absl::Status refresh = in_flight.get();
  locker.join();
  ASSERT_TRUE(code.ok()) << "still running";
  EXPECT_EQ(*code, 0) << (*server)->log();
  EXPECT_LT(took, absl::Seconds(4)) << "a 1 s grace period took " << took;
  EXPECT_FALSE(refresh.ok());
  EXPECT_TRUE(NotInternal(refresh));
  EXPECT_THAT((*server)->log(), HasSubstr("shutdown_grace passed"));
  // Its caller was told it failed, and so it did: the refresh token was not
  // used up behind its back.
  EXPECT_TRUE(IsActive(Caller(), issued->refresh_token()));
  EXPECT_TRUE(Caller().Refresh(RefreshRequest(issued->refresh_token())).ok());
}

TEST(Process, TheOpsPortServesHealthReadinessMetricsAndJwks) {
  const int port = Server().ops_port();
  ASSERT_GT(port, 0);
  // Some traffic for the metrics.
  ASSERT_TRUE(Caller().Issue(IssueRequest({"api://orders"})).ok());
  EXPECT_FALSE(Caller().Issue(IssueRequest({})).ok());

  absl::StatusOr<HttpResponse> healthz = HttpGet(port, "/healthz");
  ASSERT_TRUE(healthz.ok()) << healthz.status();
  EXPECT_EQ(healthz->status, 200);
  absl::StatusOr<HttpResponse> readyz = HttpGet(port, "/readyz");
  ASSERT_TRUE(readyz.ok()) << readyz.status();
  EXPECT_EQ(readyz->status, 200);

  absl::StatusOr<HttpResponse> metrics = HttpGet(port, "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(metrics->status, 200);
  EXPECT_THAT(metrics->body, HasSubstr("# TYPE"));
  EXPECT_THAT(metrics->body, HasSubstr("tokend_revocations"));
  EXPECT_THAT(metrics->body, HasSubstr("Issue"));
  EXPECT_THAT(metrics->body, HasSubstr("INVALID_ARGUMENT"));

  absl::StatusOr<HttpResponse> jwks = HttpGet(port, "/.well-known/jwks.json");
  ASSERT_TRUE(jwks.ok()) << jwks.status();
  EXPECT_EQ(jwks->status, 200);
  absl::StatusOr<v1::GetJwksResponse> api_jwks = Caller().GetJwks(v1::GetJwksRequest());
  ASSERT_TRUE(api_jwks.ok());
  EXPECT_EQ(Json::parse(jwks->body, nullptr, false), Json::parse(api_jwks->jwks_json()));

  absl::StatusOr<HttpResponse> missing = HttpGet(port, "/no-such-page");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(missing->status, 404);
}

// Sends `request` as is to 127.0.0.1:`port` and returns what comes back
// (empty when the server just closes), waiting at most `timeout`.
std::string RawHttp(int port, const std::string& request, absl::Duration timeout) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    (void)send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    shutdown(fd, SHUT_WR);
    const absl::Time give_up = absl::Now() + timeout;
    char buf[4096];
    while (absl::Now() < give_up) {
      pollfd pfd{fd, POLLIN, 0};
      if (poll(&pfd, 1, 100) <= 0) continue;
      ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      answer.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  return answer;
}

TEST(Process, TheOpsPortSurvivesOddRequests) {
  const int port = Server().ops_port();
  const std::vector<std::string> odd = {
      "GARBAGE\r\n\r\n",
      "POST /metrics HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello",
      "DELETE /.well-known/jwks.json HTTP/1.1\r\nHost: x\r\n\r\n",
      absl::StrCat("GET /", std::string(100000, 'a'), " HTTP/1.0\r\n\r\n"),
      absl::StrCat("GET /healthz HTTP/1.0\r\nX: ", std::string(100000, 'b'), "\r\n\r\n"),
      "GET /healthz HTTP/9.9\r\n\r\n",
      "GET /../../etc/passwd HTTP/1.0\r\n\r\n",
      std::string("GET /healthz\0 HTTP/1.0\r\n\r\n", 26),
      "GET /readyz HTTP/1.0\r\n",  // never finished
  };
  for (const std::string& request : odd) {
    std::string answer = RawHttp(port, request, absl::Seconds(7));
    EXPECT_EQ(answer.find("200 OK"), std::string::npos)
        << "answered 200 to: " << request.substr(0, 60);
  }
  absl::StatusOr<HttpResponse> ok = HttpGet(port, "/healthz");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->status, 200);
  EXPECT_TRUE(Server().running());
}

TEST(Process, AnEmptyOpsListenDisablesTheOpsPort) {
  TokendConfig config = Bed().Config();
  config.ops_listen = "";
  absl::StatusOr<std::unique_ptr<TokendServer>> server = Bed().StartServer(config);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->ops_port(), 0);
  std::unique_ptr<client::TokenClient> c = ClientFor(**server, Bed().pki().client_uri());
  EXPECT_TRUE(c->GetJwks(v1::GetJwksRequest()).ok());
}

}  // namespace
}  // namespace tokend::testing
