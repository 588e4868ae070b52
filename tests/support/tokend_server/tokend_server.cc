#include "tests/support/tokend_server/tokend_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

#ifndef TOKEND_BINARY
#error "TOKEND_BINARY must name the tokend binary under test"
#endif

namespace tokend::testing {
namespace {

// YAML double-quoted scalar: our values are plain text without quotes or
// backslashes, but escape them anyway so a stray one cannot break the file.
std::string Quoted(absl::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// The integer after `key=` in a logfmt line, or -1.
int IntField(absl::string_view line, absl::string_view key) {
  const std::string needle = absl::StrCat(" ", key, "=");
  size_t at = line.find(needle);
  if (at == absl::string_view::npos) return -1;
  at += needle.size();
  size_t end = at;
  while (end < line.size() && line[end] >= '0' && line[end] <= '9') ++end;
  int value = -1;
  if (!absl::SimpleAtoi(line.substr(at, end - at), &value)) return -1;
  return value;
}

}  // namespace

std::string StandardCallersYaml() {
  return absl::StrCat(
      "callers:\n"
      "  - id: ",
      Quoted(test::kClientUri),
      "\n"
      "    rpcs: [Issue, Refresh, Introspect, Revoke, GetJwks]\n"
      "    issue_for_others: true\n"
      "    audiences: [\"api://orders\", \"api://billing\"]\n"
      "    scopes: [\"orders:read\", \"orders:write\", \"billing:read\"]\n"
      "    max_ttl: 1h\n"
      "  - id: ",
      Quoted(test::kClientDns),
      "\n"
      "    rpcs: [Issue, Refresh, Introspect, Revoke, GetJwks]\n"
      "    issue_for_others: false\n"
      "    audiences: [\"api://orders\"]\n"
      "    scopes: [\"orders:read\"]\n"
      "    max_ttl: 10m\n"
      "  - id: ",
      Quoted(test::kClientCommonName),
      "\n"
      "    rpcs: [Issue, Introspect]\n"
      "    audiences: [\"api://orders\"]\n"
      "    max_ttl: 10m\n"
      "  - id: ",
      Quoted(test::kMultiUriFirst),
      "\n"
      "    rpcs: [Issue, Introspect]\n"
      "    audiences: [\"api://orders\"]\n"
      "    max_ttl: 10m\n"
      "  - id: ",
      Quoted(kIntrospectOnlyCaller),
      "\n"
      "    rpcs: [Introspect, GetJwks]\n"
      "  - id: ",
      Quoted(kIpSanCommonName),
      "\n"
      "    rpcs: [Issue, Introspect]\n"
      "    audiences: [\"api://orders\"]\n"
      "    max_ttl: 10m\n"
      "  - id: ",
      Quoted(kFirstOfTwoDnsSans),
      "\n"
      "    rpcs: [Issue, Introspect]\n"
      "    audiences: [\"api://orders\"]\n"
      "    max_ttl: 10m\n");
}

std::string TokendBinaryPath() { return TOKEND_BINARY; }

std::string TokendConfig::ToYaml() const {
  std::string y;
  absl::StrAppend(&y, "listen: ", Quoted(listen), "\n");
  absl::StrAppend(&y, "ops_listen: ", Quoted(ops_listen), "\n");
  absl::StrAppend(&y, "shutdown_grace: ", shutdown_grace, "\n");
  if (!log_level.empty()) absl::StrAppend(&y, "log_level: ", log_level, "\n");
  if (reflection) y += "reflection: true\n";
  if (!revocation_max_staleness.empty()) {
    absl::StrAppend(&y, "revocation_max_staleness: ", revocation_max_staleness, "\n");
  }
  absl::StrAppend(&y, "tls:\n");
  absl::StrAppend(&y, "  cert_file: ", Quoted(cert_file), "\n");
  absl::StrAppend(&y, "  key_file: ", Quoted(key_file), "\n");
  absl::StrAppend(&y, "  client_ca_file: ", Quoted(client_ca_file), "\n");
  if (!tls_reload_interval.empty()) {
    absl::StrAppend(&y, "  reload_interval: ", tls_reload_interval, "\n");
  }
  absl::StrAppend(&y, "database:\n");
  if (!dsn.empty()) absl::StrAppend(&y, "  dsn: ", Quoted(dsn), "\n");
  absl::StrAppend(&y, "  pool_size: ", pool_size, "\n");
  absl::StrAppend(&y, "  migrate_on_start: ", migrate_on_start ? "true" : "false", "\n");
  if (!connect_timeout.empty()) {
    absl::StrAppend(&y, "  connect_timeout: ", connect_timeout, "\n");
  }
  absl::StrAppend(&y, "issuer: ", Quoted(issuer), "\n");
  absl::StrAppend(&y, "tokens:\n");
  absl::StrAppend(&y, "  access_ttl: ", access_ttl, "\n");
  absl::StrAppend(&y, "  refresh_idle_ttl: ", refresh_idle_ttl, "\n");
  absl::StrAppend(&y, "  refresh_absolute_ttl: ", refresh_absolute_ttl, "\n");
  absl::StrAppend(&y, "  leeway: ", leeway, "\n");
  if (!refresh_retry_window.empty()) {
    absl::StrAppend(&y, "  refresh_retry_window: ", refresh_retry_window, "\n");
  }
  // None: managed keys (extra_yaml holds the keys section).
  if (!signing_keys.empty()) absl::StrAppend(&y, "signing_keys:\n");
  for (const SigningKeyEntry& key : signing_keys) {
    absl::StrAppend(&y, "  - file: ", Quoted(key.file), "\n");
    absl::StrAppend(&y, "    alg: ", key.alg, "\n");
    if (!key.kid.empty()) absl::StrAppend(&y, "    kid: ", Quoted(key.kid), "\n");
  }
  absl::StrAppend(&y, callers_yaml);
  if (!callers_yaml.empty() && callers_yaml.back() != '\n') y.push_back('\n');
  absl::StrAppend(&y, extra_yaml);
  return y;
}

absl::Status WriteTextFile(const std::string& path, absl::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<TokendServer>> TokendServer::Start(
    const std::string& config_path, const std::map<std::string, std::string>& env,
    absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start({TokendBinaryPath(), "serve", "--config", config_path}, env);
  if (!process.ok()) return process.status();
  std::unique_ptr<TokendServer> server(new TokendServer());
  server->config_path_ = config_path;
  server->process_ = *std::move(process);
  absl::StatusOr<std::string> line = server->process_->WaitForLine("msg=serving", timeout);
  if (!line.ok()) return line.status();
  server->api_port_ = IntField(*line, "api_port");
  server->ops_port_ = IntField(*line, "ops_port");
  if (server->api_port_ <= 0) {
    return absl::InternalError(absl::StrCat("no api_port in the serving line: ", *line));
  }
  return server;
}

TokendServer::~TokendServer() = default;  // Subprocess kills and reaps

std::string TokendServer::target() const { return absl::StrCat("127.0.0.1:", api_port_); }

void TokendServer::Kill() {
  process_->Signal(SIGKILL);
  (void)process_->Wait(absl::Seconds(30));
}

absl::StatusOr<int> TokendServer::Terminate(absl::Duration timeout) {
  process_->Signal(SIGTERM);
  return process_->Wait(timeout);
}

absl::StatusOr<CommandResult> RunTokend(const std::vector<std::string>& args,
                                        const std::map<std::string, std::string>& env,
                                        absl::Duration timeout) {
  std::vector<std::string> argv = {TokendBinaryPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, env, timeout);
}

absl::StatusOr<std::unique_ptr<client::TokenClient>> NewClient(const std::string& target,
                                                               const std::string& ca_file,
                                                               const test::CertFiles& cert,
                                                               absl::Duration timeout) {
  client::ClientOptions options;
  options.target = target;
  options.ca_file = ca_file;
  options.cert_file = cert.cert_file;
  options.key_file = cert.key_file;
  options.timeout = timeout;
  return client::TokenClient::New(options);
}

absl::StatusOr<std::unique_ptr<LoopbackSocket>> LoopbackSocket::Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  std::unique_ptr<LoopbackSocket> connection(new LoopbackSocket(fd));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::UnavailableError(
        absl::StrCat("connect 127.0.0.1:", port, ": ", std::strerror(errno)));
  }
  return connection;
}

LoopbackSocket::~LoopbackSocket() { close(fd_); }

absl::StatusOr<HttpResponse> HttpGet(int port, absl::string_view path, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::StatusOr<std::unique_ptr<LoopbackSocket>> connection = LoopbackSocket::Connect(port);
  if (!connection.ok()) return connection.status();
  const int fd = (*connection)->fd();
  const std::string request = absl::StrCat("GET ", path,
                                           " HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                                           "Connection: close\r\n\r\n");
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno)));
    sent += static_cast<size_t>(n);
  }
  std::string answer;
  char buf[8192];
  while (true) {
    const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left <= 0) return absl::DeadlineExceededError(absl::StrCat("GET ", path, ": no answer"));
    pollfd pfd{fd, POLLIN, 0};
    int ready = poll(&pfd, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::UnavailableError(absl::StrCat("recv: ", std::strerror(errno)));
    if (n == 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  HttpResponse response;
  size_t header_end = answer.find("\r\n\r\n");
  if (header_end == std::string::npos || answer.rfind("HTTP/1.", 0) != 0) {
    return absl::InternalError(absl::StrCat("GET ", path, ": not an HTTP answer: ", answer));
  }
  response.headers = answer.substr(0, header_end);
  response.body = answer.substr(header_end + 4);
  size_t space = answer.find(' ');
  if (space == std::string::npos ||
      !absl::SimpleAtoi(absl::string_view(answer).substr(space + 1, 3), &response.status)) {
    return absl::InternalError(absl::StrCat("GET ", path, ": no status code"));
  }
  return response;
}

absl::StatusOr<std::unique_ptr<TokendTestBed>> TokendTestBed::New(PostgresCluster& cluster,
                                                                  absl::string_view database) {
  std::unique_ptr<TokendTestBed> bed(new TokendTestBed());
  absl::StatusOr<std::unique_ptr<test::TestPki>> pki = test::TestPki::New();
  if (!pki.ok()) return pki.status();
  bed->pki_ = *std::move(pki);
  absl::StatusOr<test::CertFiles> limited =
      bed->pki_->MakeClientCert("introspect-only", {kIntrospectOnlyCaller}, {}, "");
  if (!limited.ok()) return limited.status();
  bed->introspect_only_ = *limited;
  absl::StatusOr<test::CertFiles> stranger =
      bed->pki_->MakeClientCert("stranger", {kStrangerCaller}, {}, "");
  if (!stranger.ok()) return stranger.status();
  bed->stranger_ = *stranger;
  absl::StatusOr<std::string> key =
      bed->pki_->WriteSigningKey("signing-es256", test::SigningAlg::kEs256);
  if (!key.ok()) return key.status();
  bed->signing_key_file_ = *key;
  absl::StatusOr<std::string> dsn = cluster.CreateDatabase(database);
  if (!dsn.ok()) return dsn.status();
  bed->dsn_ = *dsn;

  absl::StatusOr<std::string> config_path = bed->WriteConfig(bed->Config());
  if (!config_path.ok()) return config_path.status();
  absl::StatusOr<CommandResult> migrated = RunTokend({"migrate", "--config", *config_path});
  if (!migrated.ok()) return migrated.status();
  if (migrated->exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("tokend migrate exited ", migrated->exit_code, ": ", migrated->stderr_text));
  }
  return bed;
}

TokendConfig TokendTestBed::Config() const {
  TokendConfig config;
  config.cert_file = pki_->server().cert_file;
  config.key_file = pki_->server().key_file;
  config.client_ca_file = pki_->ca_file();
  config.dsn = dsn_;
  config.signing_keys = {SigningKeyEntry{.file = signing_key_file_, .alg = "ES256"}};
  return config;
}

absl::StatusOr<std::string> TokendTestBed::WriteConfig(const TokendConfig& config) {
  const std::string path = absl::StrCat(dir(), "/tokend-", ++configs_written_, ".yaml");
  if (absl::Status s = WriteTextFile(path, config.ToYaml()); !s.ok()) return s;
  return path;
}

absl::StatusOr<std::unique_ptr<TokendServer>> TokendTestBed::StartServer(
    const TokendConfig& config, const std::map<std::string, std::string>& env) {
  absl::StatusOr<std::string> path = WriteConfig(config);
  if (!path.ok()) return path.status();
  return TokendServer::Start(*path, env);
}

absl::StatusOr<std::unique_ptr<client::TokenClient>> TokendTestBed::Client(
    const TokendServer& server, const test::CertFiles& cert, absl::Duration timeout) {
  return NewClient(server.target(), pki_->ca_file(), cert, timeout);
}

}  // namespace tokend::testing
