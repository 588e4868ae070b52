// The clients in other languages (client/python, client/node, client/go,
// client/ruby, client/java) against the real tokend over mutual TLS with a
// real PostgreSQL: each one's example program (the whole lifecycle) and its
// tests (forged tokens refused by the local check, statuses, health by
// service name, retries, every signing algorithm). Python runs under Debian's python3 with Debian
// packages only; Node with the npm packages of client/node/package-lock.json, installed into the
// build tree by node_client_setup.sh; Go, Ruby and Java with Debian's toolchains and library
// packages, offline (go_client_setup.sh and java_client_setup.sh build into the build tree).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/process/subprocess.h"
#include "tests/support/tokend_server/tokend_server.h"

namespace tokend::testing {
namespace {

class ClientAgainstTokend : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<TokendTestBed>> bed =
        TokendTestBed::New(PostgresEnvironment::cluster(), "tokend_clients");
    ASSERT_TRUE(bed.ok()) << bed.status();
    bed_ = bed->release();
    absl::StatusOr<std::unique_ptr<TokendServer>> server = bed_->StartServer();
    ASSERT_TRUE(server.ok()) << server.status();
    servers_.push_back(std::move(*server));
    // One more server for each other algorithm tokend signs with, on the
    // same database, for the local check of every algorithm.
    for (const auto& [name, alg] : std::vector<std::pair<std::string, test::SigningAlg>>{
             {"ES384", test::SigningAlg::kEs384},
             {"EdDSA", test::SigningAlg::kEdDsa},
             {"RS256", test::SigningAlg::kRs256},
             {"PS256", test::SigningAlg::kPs256}}) {
      absl::StatusOr<std::string> key =
          bed_->pki().WriteSigningKey(absl::StrCat("key-", name), alg);
      ASSERT_TRUE(key.ok()) << key.status();
      TokendConfig config = bed_->Config();
      config.signing_keys = {SigningKeyEntry{.file = *key, .alg = name, .kid = ""}};
      absl::StatusOr<std::unique_ptr<TokendServer>> other = bed_->StartServer(config);
      ASSERT_TRUE(other.ok()) << other.status();
      alg_targets_.push_back(absl::StrCat(name, "=", (*other)->target()));
      servers_.push_back(std::move(*other));
    }
  }
  static void TearDownTestSuite() {
    servers_.clear();
    delete bed_;
    bed_ = nullptr;
  }

  // Runs `argv` with the environment the clients' READMEs document, for the
  // standard policy's URI caller.
  static void Run(const std::vector<std::string>& argv) {
    ASSERT_NE(bed_, nullptr);
    ASSERT_EQ(servers_.size(), 5u);
    const test::CertFiles& cert = bed_->pki().client_uri();
    const std::map<std::string, std::string> env = {
        {"TOKEND_TARGET", servers_[0]->target()},
        {"TOKEND_CA", bed_->pki().ca_file()},
        {"TOKEND_CERT", cert.cert_file},
        {"TOKEND_KEY", cert.key_file},
        {"TOKEND_ISSUER", kTestIssuer},
        {"TOKEND_AUDIENCE", "api://orders"},
        {"TOKEND_SCOPE", "orders:read"},
        {"TOKEND_SUBJECT", "alice"},
        {"TOKEND_SIGNING_KEY", bed_->signing_key_file()},
        {"TOKEND_ALG_TARGETS", absl::StrJoin(alg_targets_, ",")},
        // No stray bytecode in the source tree.
        {"PYTHONDONTWRITEBYTECODE", "1"},
    };
    absl::StatusOr<CommandResult> run = RunCommand(argv, env, absl::Seconds(60));
    ASSERT_TRUE(run.ok()) << run.status();
    EXPECT_EQ(run->exit_code, 0) << run->stdout_text << run->stderr_text << "\n--- tokend:\n"
                                 << servers_[0]->log();
    std::printf("%s%s", run->stdout_text.c_str(), run->stderr_text.c_str());
  }

  static TokendTestBed* bed_;
  static std::vector<std::unique_ptr<TokendServer>> servers_;
  static std::vector<std::string> alg_targets_;
};
TokendTestBed* ClientAgainstTokend::bed_ = nullptr;
std::vector<std::unique_ptr<TokendServer>> ClientAgainstTokend::servers_;
std::vector<std::string> ClientAgainstTokend::alg_targets_;

// One suite per language; ctest runs each in its own process (a filter).
using PythonClient = ClientAgainstTokend;
using NodeClient = ClientAgainstTokend;
using GoClient = ClientAgainstTokend;
using RubyClient = ClientAgainstTokend;
using JavaClient = ClientAgainstTokend;

TEST_F(PythonClient, TheExampleRunsTheWholeLifecycle) {
  Run({TOKEND_PYTHON3, absl::StrCat(TOKEND_PYTHON_CLIENT_DIR, "/example.py")});
}

TEST_F(PythonClient, ItsTestsPassAgainstTheRealServer) {
  Run({TOKEND_PYTHON3, absl::StrCat(TOKEND_PYTHON_CLIENT_DIR, "/tests/test_tokend.py")});
}

TEST_F(NodeClient, TheExampleRunsTheWholeLifecycle) {
  Run({TOKEND_NODE, absl::StrCat(TOKEND_NODE_CLIENT_DIR, "/example.js")});
}

TEST_F(NodeClient, ItsTestsPassAgainstTheRealServer) {
  Run({TOKEND_NODE, "--test", absl::StrCat(TOKEND_NODE_CLIENT_DIR, "/test/tokend.test.js")});
}

TEST_F(GoClient, TheExampleRunsTheWholeLifecycle) {
  Run({absl::StrCat(TOKEND_GO_CLIENT_DIR, "/bin/example")});
}

TEST_F(GoClient, ItsTestsPassAgainstTheRealServer) {
  Run({absl::StrCat(TOKEND_GO_CLIENT_DIR, "/bin/tokend.test"), "-test.v"});
}

TEST_F(RubyClient, TheExampleRunsTheWholeLifecycle) {
  Run({TOKEND_RUBY, absl::StrCat(TOKEND_RUBY_CLIENT_DIR, "/example.rb")});
}

TEST_F(RubyClient, ItsTestsPassAgainstTheRealServer) {
  Run({TOKEND_RUBY, absl::StrCat(TOKEND_RUBY_CLIENT_DIR, "/test/test_tokend.rb"), "--verbose"});
}

// java_client_setup.sh compiled the classes and wrote the class path as a
// java @argfile.
TEST_F(JavaClient, TheExampleRunsTheWholeLifecycle) {
  Run({TOKEND_JAVA, absl::StrCat("@", TOKEND_JAVA_CLIENT_DIR, "/classpath.args"),
       "dev.tokend.example.Example"});
}

TEST_F(JavaClient, ItsTestsPassAgainstTheRealServer) {
  Run({TOKEND_JAVA, absl::StrCat("@", TOKEND_JAVA_CLIENT_DIR, "/classpath.args"),
       "org.junit.runner.JUnitCore", "dev.tokend.client.TokendClientTest"});
}

const auto* const kPostgres = ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

}  // namespace
}  // namespace tokend::testing
