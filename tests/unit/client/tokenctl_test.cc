// Tests of tokenctl: its argument parsing in-process, and the built binary
// (TOKENCTL_PATH) against FakeTokenService over real mutual TLS.
#include <fcntl.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/tokenctl_cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/pki/test_pki.h"
#include "tests/unit/client/fake_token_server.h"

extern char** environ;

namespace tokend::client {
namespace {

namespace v1 = ::tokend::v1;
using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;
using ::testing::StartsWith;

using Env = std::map<std::string, std::string>;

GetEnvFunction EnvOf(Env env) {
  return [env = std::move(env)](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

const Env kFilesEnv = {
    {"TOKEND_CA", "/ca.pem"}, {"TOKEND_CERT", "/cert.pem"}, {"TOKEND_KEY", "/key.pem"}};

absl::StatusOr<TokenctlInvocation> Parse(const std::vector<std::string>& args,
                                         const Env& env = kFilesEnv,
                                         const std::string& stdin_text = "") {
  std::istringstream in(stdin_text);
  return ParseTokenctlArgs(args, EnvOf(env), in);
}

TEST(TokenctlArgs, ParsesIssueWithListsTtlClaimsRefreshAndIdempotencyKey) {
  absl::StatusOr<TokenctlInvocation> inv =
      Parse({"issue", "--subject", "alice", "--audience", "api,billing", "--audience=admin",
             "--scope", "read, write", "--ttl", "10m", "--claims", R"({"tenant":"t1","level":2})",
             "--refresh", "--idempotency-key", "req-42"});
  ASSERT_TRUE(inv.ok()) << inv.status();

  EXPECT_EQ(inv->command, TokenctlCommand::kIssue);
  v1::IssueRequest want;
  want.set_subject("alice");
  want.add_audience("api");
  want.add_audience("billing");
  want.add_audience("admin");
  want.add_scopes("read");
  want.add_scopes("write");
  want.mutable_ttl()->set_seconds(600);
  (*want.mutable_claims()->mutable_fields())["tenant"].set_string_value("t1");
  (*want.mutable_claims()->mutable_fields())["level"].set_number_value(2);
  want.set_include_refresh_token(true);
  want.set_idempotency_key("req-42");
  EXPECT_TRUE(MessageDifferencer::Equals(inv->issue, want)) << inv->issue.DebugString();
}

TEST(TokenctlArgs, TakesConnectionFromEnvironmentAndFlagsWin) {
  absl::StatusOr<TokenctlInvocation> from_env = Parse({"jwks"}, {{"TOKEND_TARGET", "tokend:9000"},
                                                                 {"TOKEND_CA", "/env/ca"},
                                                                 {"TOKEND_CERT", "/env/cert"},
                                                                 {"TOKEND_KEY", "/env/key"}});
  ASSERT_TRUE(from_env.ok()) << from_env.status();
  EXPECT_EQ(from_env->options.target, "tokend:9000");
  EXPECT_EQ(from_env->options.ca_file, "/env/ca");
  EXPECT_EQ(from_env->options.cert_file, "/env/cert");
  EXPECT_EQ(from_env->options.key_file, "/env/key");
  EXPECT_EQ(from_env->options.timeout, absl::Seconds(5));

  absl::StatusOr<TokenctlInvocation> flags =
      Parse({"--target", "10.0.0.1:1", "--ca=/f/ca", "jwks", "--cert", "/f/cert", "--key", "/f/key",
             "--server-name", "tokend.internal", "--timeout", "250ms"},
            {{"TOKEND_TARGET", "tokend:9000"}, {"TOKEND_CA", "/env/ca"}});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->options.target, "10.0.0.1:1");
  EXPECT_EQ(flags->options.ca_file, "/f/ca");
  EXPECT_EQ(flags->options.cert_file, "/f/cert");
  EXPECT_EQ(flags->options.key_file, "/f/key");
  EXPECT_EQ(flags->options.server_name_override, "tokend.internal");
  EXPECT_EQ(flags->options.timeout, absl::Milliseconds(250));
}

TEST(TokenctlArgs, DefaultsTargetToLocalPort8443) {
  absl::StatusOr<TokenctlInvocation> inv = Parse({"jwks"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->options.target, "127.0.0.1:8443");
}

TEST(TokenctlArgs, ReadsTokenFromStandardInputForDash) {
  absl::StatusOr<TokenctlInvocation> inv =
      Parse({"introspect", "--token", "-", "--hint", "refresh"}, kFilesEnv, "  opaque-token\n");
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->introspect.token(), "opaque-token");
  EXPECT_EQ(inv->introspect.token_type_hint(), v1::TOKEN_TYPE_REFRESH_TOKEN);
}

TEST(TokenctlArgs, ParsesRefreshRevokeAndHealth) {
  absl::StatusOr<TokenctlInvocation> refresh =
      Parse({"refresh", "--token", "rt", "--scope", "read"});
  ASSERT_TRUE(refresh.ok()) << refresh.status();
  EXPECT_EQ(refresh->refresh.refresh_token(), "rt");
  EXPECT_THAT(refresh->refresh.scopes(), ::testing::ElementsAre("read"));

  absl::StatusOr<TokenctlInvocation> revoke = Parse({"revoke", "--subject", "alice"});
  ASSERT_TRUE(revoke.ok()) << revoke.status();
  EXPECT_EQ(revoke->revoke.subject(), "alice");
  EXPECT_FALSE(revoke->revoke.has_token());

  absl::StatusOr<TokenctlInvocation> health =
      Parse({"health", "--service", "tokend.v1.TokenService"});
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->command, TokenctlCommand::kHealth);
  EXPECT_EQ(health->health_service, "tokend.v1.TokenService");
}

TEST(TokenctlArgs, ParsesVerifyWithAudiencesIssuerAndWait) {
  absl::StatusOr<TokenctlInvocation> inv =
      Parse({"verify", "--token", "-", "--audience", "api://a,api://b", "--issuer", "https://i",
             "--wait", "3s"},
            kFilesEnv, " tok.en.x\n");
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->command, TokenctlCommand::kVerify);
  EXPECT_EQ(inv->verify_token, "tok.en.x");
  EXPECT_EQ(inv->verify_audiences, (std::vector<std::string>{"api://a", "api://b"}));
  EXPECT_EQ(inv->verify_issuer, "https://i");
  EXPECT_EQ(inv->verify_wait, absl::Seconds(3));
  inv = Parse({"verify", "--token", "t", "--audience", "a"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->verify_issuer, "");  // the token's own
  EXPECT_EQ(inv->verify_wait, absl::Seconds(15));
}

TEST(TokenctlArgs, RejectsUsageErrorsWithAMessageNamingTheProblem) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "no command"},
      {{"mint"}, "unknown command \"mint\""},
      {{"issue", "--colour", "red"}, "unknown flag --colour"},
      {{"issue", "-x"}, "unknown flag -x"},
      {{"jwks", "--subject", "a"}, "--subject does not apply to jwks"},
      {{"issue", "--subject"}, "--subject needs a value"},
      {{"issue", "--subject", "a", "--subject", "b"}, "--subject given more than once"},
      {{"issue", "--ttl", "soon"}, "--ttl: not a duration"},
      {{"issue", "--claims", "[1,2]"}, "--claims must be a JSON object"},
      {{"issue", "--claims", "{not json"}, "--claims must be a JSON object"},
      {{"issue", "--refresh=maybe"}, "--refresh takes no value"},
      {{"refresh"}, "--token is required"},
      {{"introspect", "--token", "t", "--hint", "id"}, "--hint must be access or refresh"},
      {{"revoke"}, "exactly one of --token and --subject"},
      {{"revoke", "--token", "t", "--subject", "s"}, "exactly one of --token and --subject"},
      {{"jwks", "--timeout", "0s"}, "--timeout must be positive"},
      {{"jwks", "extra"}, "unexpected argument \"extra\""},
      {{"verify", "--audience", "a"}, "--token is required"},
      {{"verify", "--token", "t"}, "--audience is required"},
      {{"verify", "--token", "t", "--audience", "a", "--wait", "0s"}, "--wait must be positive"},
      {{"introspect", "--token", "t", "--issuer", "i"}, "--issuer does not apply to introspect"},
  };
  for (const auto& [args, message] : cases) {
    SCOPED_TRACE(absl::StrJoin(args, " "));
    absl::StatusOr<TokenctlInvocation> inv = Parse(args);
    EXPECT_EQ(inv.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(inv.status().message(), HasSubstr(message));
  }
}

TEST(TokenctlArgs, RequiresCaCertAndKeyFromFlagOrEnvironment) {
  absl::StatusOr<TokenctlInvocation> inv =
      Parse({"jwks"}, {{"TOKEND_CA", "/ca"}, {"TOKEND_CERT", ""}, {"TOKEND_KEY", "/k"}});
  EXPECT_EQ(inv.status(), absl::InvalidArgumentError("--cert (or TOKEND_CERT) is required"));
}

TEST(TokenctlArgs, TreatsHelpAnywhereAsHelp) {
  absl::StatusOr<TokenctlInvocation> inv = Parse({"issue", "--help"}, {});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->command, TokenctlCommand::kHelp);
}

// In-process runs against the fake server.
class TokenctlRun : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<FakeServer>> server =
        FakeServer::Start(SharedTestPki(), &service_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  int Run(const std::vector<std::string>& args) {
    std::istringstream in;
    out_.str("");
    err_.str("");
    const test::TestPki& pki = SharedTestPki();
    const Env env = {{"TOKEND_TARGET", server_->address()},
                     {"TOKEND_CA", pki.ca_file()},
                     {"TOKEND_CERT", pki.client_uri().cert_file},
                     {"TOKEND_KEY", pki.client_uri().key_file}};
    return RunTokenctl(args, EnvOf(env), in, out_, err_);
  }

  FakeTokenService service_;
  std::unique_ptr<FakeServer> server_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(TokenctlRun, PrintsInactiveIntrospectionWithActiveFalse) {
  EXPECT_EQ(Run({"introspect", "--token", "garbage"}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "{\"active\":false}\n");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(TokenctlRun, PrintsActiveIntrospectionWithSnakeCaseFields) {
  EXPECT_EQ(Run({"introspect", "--token", "active-token"}), kExitOk) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr(R"("active":true)"));
  EXPECT_THAT(out_.str(), HasSubstr(R"("client_id":"spiffe://test/caller")"));
  EXPECT_THAT(out_.str(), HasSubstr(R"("token_type":"TOKEN_TYPE_ACCESS_TOKEN")"));
}

TEST_F(TokenctlRun, PrintsTheJwkSetItself) {
  EXPECT_EQ(Run({"jwks"}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), absl::StrCat(kFakeJwksJson, "\n"));
}

TEST_F(TokenctlRun, ReportsServingHealth) {
  EXPECT_EQ(Run({"health"}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "{\"status\":\"SERVING\"}\n");

  server_->server()->GetHealthCheckService()->SetServingStatus(false);
  EXPECT_EQ(Run({"health"}), kExitError);
  EXPECT_EQ(out_.str(), "{\"status\":\"NOT_SERVING\"}\n");
  EXPECT_EQ(err_.str(), "tokenctl: UNAVAILABLE: health: NOT_SERVING\n");
}

TEST_F(TokenctlRun, SendsRevokeByTokenWithHint) {
  EXPECT_EQ(Run({"revoke", "--token", "tok", "--hint", "access"}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "{}\n");
  EXPECT_EQ(service_.last_revoke().token(), "tok");
  EXPECT_EQ(service_.last_revoke().token_type_hint(), v1::TOKEN_TYPE_ACCESS_TOKEN);
}

TEST_F(TokenctlRun, ReportsAMissingCertificateFileAsAnError) {
  EXPECT_EQ(Run({"jwks", "--cert", "/no/such/cert.pem"}), kExitError);
  EXPECT_THAT(err_.str(), StartsWith("tokenctl: NOT_FOUND: cert_file: cannot read "
                                     "/no/such/cert.pem"));
}

// Runs the built tokenctl binary with args and env only (no inherited
// environment); captures its exit code, stdout and stderr.
struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

ProcessResult RunTokenctlBinary(const std::vector<std::string>& args, const Env& env) {
  ProcessResult result;
  const std::string dir = SharedTestPki().dir();
  const std::string out_path = dir + "/tokenctl.out";
  const std::string err_path = dir + "/tokenctl.err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  std::vector<std::string> argv_strings = {TOKENCTL_PATH};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(argv_strings.size() + 1);
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  env_strings.reserve(env.size());
  for (const auto& [name, value] : env) {
    env_strings.push_back(absl::StrCat(name, "=", value));
  }
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, TOKENCTL_PATH, &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    ADD_FAILURE() << "posix_spawn " << TOKENCTL_PATH << ": " << spawned;
    return result;
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
    ADD_FAILURE() << "tokenctl did not exit normally (status " << status << ")";
    return result;
  }
  result.exit_code = WEXITSTATUS(status);
  result.out = ReadAll(out_path);
  result.err = ReadAll(err_path);
  return result;
}

class TokenctlBinary : public TokenctlRun {
 protected:
  Env EnvFor(const test::CertFiles& cert) const {
    return {{"TOKEND_TARGET", server_->address()},
            {"TOKEND_CA", SharedTestPki().ca_file()},
            {"TOKEND_CERT", cert.cert_file},
            {"TOKEND_KEY", cert.key_file}};
  }
};

TEST_F(TokenctlBinary, PrintsIssueResponseAsJsonAndExitsZero) {
  ProcessResult r = RunTokenctlBinary(
      {"issue", "--subject", "alice", "--audience", "api", "--scope", "read,write", "--ttl", "10m",
       "--claims", R"({"tenant":"t1"})", "--refresh"},
      EnvFor(SharedTestPki().client_uri()));

  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  v1::IssueResponse printed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &printed).ok()) << r.out;
  EXPECT_EQ(printed.access_token(), "access-token-for:alice");
  EXPECT_EQ(printed.refresh_token(), "refresh-token-1");
  EXPECT_THAT(r.out, HasSubstr(R"("access_token":"access-token-for:alice")"));
  EXPECT_THAT(r.out, HasSubstr(R"("expires_at":"2023-11-14T22:13:20Z")"));
  EXPECT_THAT(r.out, HasSubstr(R"("scopes":["read","write"])"));
  EXPECT_EQ(service_.last_issue().ttl().seconds(), 600);
  EXPECT_EQ(service_.last_issue().claims().fields().at("tenant").string_value(), "t1");
}

TEST_F(TokenctlBinary, PrintsServerErrorOnOneLineAndExitsOne) {
  service_.set_error(
      grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "audience \"api\" is not allowed"));

  ProcessResult r =
      RunTokenctlBinary({"issue", "--audience", "api"}, EnvFor(SharedTestPki().client_uri()));

  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "tokenctl: PERMISSION_DENIED: audience \"api\" is not allowed\n");
}

TEST_F(TokenctlBinary, ReportsUsageErrorAndExitsTwo) {
  ProcessResult r =
      RunTokenctlBinary({"issue", "--no-such-flag"}, EnvFor(SharedTestPki().client_uri()));

  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, StartsWith("tokenctl: INVALID_ARGUMENT: unknown flag --no-such-flag"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
  EXPECT_EQ(service_.calls(), 0);
}

TEST_F(TokenctlBinary, ReportsRefusedHandshakeOnOneLineAndExitsOne) {
  ProcessResult r = RunTokenctlBinary({"jwks"}, EnvFor(SharedTestPki().client_untrusted()));

  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, StartsWith("tokenctl: UNAVAILABLE: "));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(TokenctlBinary, PrintsHelpAndExitsZero) {
  ProcessResult r = RunTokenctlBinary({"--help"}, {});

  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, StartsWith("usage: tokenctl"));
}

}  // namespace
}  // namespace tokend::client
