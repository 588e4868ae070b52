#ifndef TOKEND_TESTS_SUPPORT_TOKEND_SERVER_TOKEND_SERVER_H_
#define TOKEND_TESTS_SUPPORT_TOKEND_SERVER_TOKEND_SERVER_H_

// Runs the real tokend binary for integration tests: writes its YAML
// configuration, starts it on 127.0.0.1:0 (API and ops), reads the ports
// from its "msg=serving" log line, and hands out mTLS clients for it.
//
// Include as "tests/support/tokend_server/tokend_server.h"; link
// tokend_test_server. The binary is the build's tokend target.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/token_client.h"
#include "tests/support/pki/test_pki.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/process/subprocess.h"

namespace tokend::testing {

// The issuer every test configuration names unless it says otherwise.
inline constexpr char kTestIssuer[] = "https://tokend.test";

// Identities of the standard test policy (StandardCallersYaml) besides those
// of TestPki's ready-made certificates:
//   test::kClientUri ("spiffe://test/caller"): every RPC, issue_for_others,
//     audiences api://orders and api://billing, scopes orders:read,
//     orders:write and billing:read, max_ttl 1h.
//   test::kClientDns ("caller.test"): every RPC, only for itself, audience
//     api://orders, scope orders:read, max_ttl 10m.
//   test::kClientCommonName ("cn-caller") and test::kMultiUriFirst: Issue
//     and Introspect, only for themselves, audience api://orders, max 10m.
//   kIntrospectOnlyCaller: Introspect and GetJwks only.
//   kIpSanCommonName, kFirstOfTwoDnsSans: Issue and Introspect, only for
//     themselves, audience api://orders, max 10m (for certificates a test
//     makes: CN with only an IP SAN; two DNS SANs, the first sorting last).
// kStrangerCaller is not in the policy at all.
inline constexpr char kIntrospectOnlyCaller[] = "spiffe://test/introspect-only";
inline constexpr char kStrangerCaller[] = "spiffe://test/stranger";
inline constexpr char kIpSanCommonName[] = "ip-san-cn-caller";
inline constexpr char kFirstOfTwoDnsSans[] = "zz-first.test";

// The `callers:` section (with its key) of the standard test policy.
std::string StandardCallersYaml();

// The path of the tokend binary under test.
std::string TokendBinaryPath();

// One entry of signing_keys.
struct SigningKeyEntry {
  std::string file;
  std::string alg = "ES256";
  std::string kid;  // empty: omitted (the RFC 7638 thumbprint)
};

// A complete tokend configuration; ToYaml writes it in config.md's format.
// Durations are written as given ("5s", "15m").
struct TokendConfig {
  std::string listen = "127.0.0.1:0";
  // Spelled differently from `listen` on purpose: the config parser refuses
  // ops_listen == listen even when both ask for an ephemeral port (":0"),
  // which cannot collide. "localhost" resolves to 127.0.0.1 for the ops port.
  std::string ops_listen = "localhost:0";
  std::string shutdown_grace = "5s";
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
  std::string tls_reload_interval;  // extension: tls.reload_interval; empty: omitted
  std::string dsn;                  // empty: the key is omitted (TOKEND_DATABASE_DSN must say it)
  int pool_size = 4;
  bool migrate_on_start = false;
  std::string connect_timeout = "2s";  // extension: database.connect_timeout
  std::string issuer = kTestIssuer;
  std::string access_ttl = "15m";
  std::string refresh_idle_ttl = "720h";
  std::string refresh_absolute_ttl = "2160h";
  std::string leeway = "5s";
  // Extension: tokens.refresh_retry_window; empty: omitted (the default).
  std::string refresh_retry_window;
  // Extension: revocation_max_staleness; empty: omitted (the default).
  std::string revocation_max_staleness;
  std::string log_level;                      // extension; empty: omitted
  bool reflection = false;                    // extension; false: omitted (the default, off)
  std::vector<SigningKeyEntry> signing_keys;  // none: the key is omitted (managed keys)
  std::string callers_yaml = StandardCallersYaml();
  // Appended verbatim at the top level (for example an unknown key).
  std::string extra_yaml;

  std::string ToYaml() const;
};

// Writes `contents` to `path` (replacing it). INTERNAL naming the path.
absl::Status WriteTextFile(const std::string& path, absl::string_view contents);

// A running `tokend serve`. The destructor kills it (SIGKILL) if it runs.
class TokendServer {
 public:
  // Starts `tokend serve --config config_path` with `env` added to the
  // environment and waits (at most `timeout`) for its "msg=serving" line.
  // FAILED_PRECONDITION with its stderr when it exits first,
  // DEADLINE_EXCEEDED when it does not get ready in time.
  static absl::StatusOr<std::unique_ptr<TokendServer>> Start(
      const std::string& config_path, const std::map<std::string, std::string>& env = {},
      absl::Duration timeout = absl::Seconds(30));

  ~TokendServer();
  TokendServer(const TokendServer&) = delete;
  TokendServer& operator=(const TokendServer&) = delete;

  int api_port() const { return api_port_; }
  int ops_port() const { return ops_port_; }
  // "127.0.0.1:<api_port>".
  std::string target() const;
  const std::string& config_path() const { return config_path_; }

  // SIGKILL and reap: no draining, nothing flushed.
  void Kill();
  // SIGTERM, then waits for the exit code (DEADLINE_EXCEEDED if it runs on).
  absl::StatusOr<int> Terminate(absl::Duration timeout = absl::Seconds(30));
  bool running() { return process_->running(); }
  // Everything tokend wrote to stderr so far.
  std::string log() const { return process_->stderr_text(); }
  Subprocess& process() { return *process_; }

 private:
  TokendServer() = default;

  std::string config_path_;
  std::unique_ptr<Subprocess> process_;
  int api_port_ = 0;
  int ops_port_ = 0;
};

// Runs `tokend <args...>` to completion (killed after `timeout`).
absl::StatusOr<CommandResult> RunTokend(const std::vector<std::string>& args,
                                        const std::map<std::string, std::string>& env = {},
                                        absl::Duration timeout = absl::Seconds(60));

// A TokenClient for `target` presenting `cert`, trusting `ca_file`.
absl::StatusOr<std::unique_ptr<client::TokenClient>> NewClient(
    const std::string& target, const std::string& ca_file, const test::CertFiles& cert,
    absl::Duration timeout = absl::Seconds(5));

// A TCP connection to 127.0.0.1:`port` (a blocking socket), closed by the
// destructor. UNAVAILABLE naming the port when it cannot connect.
class LoopbackSocket {
 public:
  static absl::StatusOr<std::unique_ptr<LoopbackSocket>> Connect(int port);
  ~LoopbackSocket();
  LoopbackSocket(const LoopbackSocket&) = delete;
  LoopbackSocket& operator=(const LoopbackSocket&) = delete;

  int fd() const { return fd_; }

 private:
  explicit LoopbackSocket(int fd) : fd_(fd) {}
  const int fd_;
};

// The answer to one HTTP/1.0 GET.
struct HttpResponse {
  int status = 0;
  std::string headers;  // the header block, lines joined by "\r\n"
  std::string body;
};

// GET `path` from 127.0.0.1:`port` over a plain socket (HTTP/1.0,
// Connection: close), everything bounded by `timeout`. UNAVAILABLE when it
// cannot connect; DEADLINE_EXCEEDED; INTERNAL for an unparsable answer.
absl::StatusOr<HttpResponse> HttpGet(int port, absl::string_view path,
                                     absl::Duration timeout = absl::Seconds(10));

// What a test binary needs to run tokend: a PKI (with two more client
// certificates, for kIntrospectOnlyCaller and kStrangerCaller), an ES256
// signing key, and a database of the given cluster migrated by `tokend
// migrate`. Files live in the PKI's temporary directory.
class TokendTestBed {
 public:
  static absl::StatusOr<std::unique_ptr<TokendTestBed>> New(PostgresCluster& cluster,
                                                            absl::string_view database);

  test::TestPki& pki() { return *pki_; }
  const std::string& dir() const { return pki_->dir(); }
  const std::string& dsn() const { return dsn_; }
  const std::string& signing_key_file() const { return signing_key_file_; }
  const test::CertFiles& introspect_only_cert() const { return introspect_only_; }
  const test::CertFiles& stranger_cert() const { return stranger_; }

  // A configuration with this bed's certificates, key, database and the
  // standard policy.
  TokendConfig Config() const;
  // Writes `config` to a fresh file in dir() and returns its path.
  absl::StatusOr<std::string> WriteConfig(const TokendConfig& config);
  // WriteConfig, then TokendServer::Start.
  absl::StatusOr<std::unique_ptr<TokendServer>> StartServer(
      const TokendConfig& config, const std::map<std::string, std::string>& env = {});
  absl::StatusOr<std::unique_ptr<TokendServer>> StartServer() { return StartServer(Config()); }

  // A client of `server` presenting `cert` (default: the URI caller, which
  // may do everything).
  absl::StatusOr<std::unique_ptr<client::TokenClient>> Client(
      const TokendServer& server, const test::CertFiles& cert,
      absl::Duration timeout = absl::Seconds(5));
  absl::StatusOr<std::unique_ptr<client::TokenClient>> Client(const TokendServer& server) {
    return Client(server, pki_->client_uri());
  }

 private:
  TokendTestBed() = default;

  std::unique_ptr<test::TestPki> pki_;
  std::string dsn_;
  std::string signing_key_file_;
  test::CertFiles introspect_only_;
  test::CertFiles stranger_;
  int configs_written_ = 0;
};

}  // namespace tokend::testing

#endif  // TOKEND_TESTS_SUPPORT_TOKEND_SERVER_TOKEND_SERVER_H_
