#include "ops/ops_server.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <exception>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/log.h"

namespace tokend::ops {
namespace {

constexpr char kJwksPath[] = "/.well-known/jwks.json";

// civetweb reports why mg_start failed only through log_message, on the
// thread that calls mg_start. While Start runs, this points at the place to
// keep the first such message; otherwise messages go to the log.
thread_local std::string* startup_error = nullptr;

int OnCivetwebLog(const mg_connection* /*conn*/, const char* message) {
  if (startup_error != nullptr) {
    if (startup_error->empty()) *startup_error = message;
  } else {
    common::Log(common::LogLevel::kWarning, "ops http server",
                {{"detail", message}});
  }
  return 1;  // handled: civetweb writes nothing to stderr itself
}

// Discards civetweb's access log lines: probes and scrapes would flood ours.
int OnCivetwebAccessLog(const mg_connection* /*conn*/,
                        const char* /*message*/) {
  return 1;
}

void InitCivetwebOnce() {
  // mg_init_library is not thread-safe; a function-local static is. It is
  // never undone: the library lives as long as the process.
  static const bool initialized = [] {
    mg_init_library(0);
    return true;
  }();
  (void)initialized;
}

// A listen address resolved to an IPv4 literal.
struct ListenAddress {
  std::string ip;  // "0.0.0.0", "127.0.0.1", ...
  int port = 0;
};

// Parses "host:port". Validated here so that civetweb's own list syntax
// ("80,443s", "+80") cannot be smuggled in; a DNS name is resolved here so
// that the address actually bound is known (see Stop()).
absl::StatusOr<ListenAddress> ResolveListen(absl::string_view listen) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("ops server: bad listen address \"",
                     absl::CHexEscape(listen), "\": ", why));
  };
  size_t colon = listen.rfind(':');
  if (colon == absl::string_view::npos) return bad("expected host:port");
  absl::string_view host = listen.substr(0, colon);
  absl::string_view port = listen.substr(colon + 1);
  ListenAddress address;
  bool digits = !port.empty() && port.size() <= 5;
  for (char c : port) digits = digits && absl::ascii_isdigit(c);
  if (!digits || !absl::SimpleAtoi(port, &address.port) ||
      address.port > 65535) {
    return bad("port must be 0..65535");
  }
  if (host.empty())
    return bad("host is empty (use 0.0.0.0 for every interface)");
  if (host.front() == '[' || absl::StrContains(host, ':')) {
    // Debian 12's libcivetweb is built without USE_IPV6.
    return bad("ipv6 is not supported by the ops server");
  }
  for (char c : host) {
    if (!(absl::ascii_isalnum(c) || c == '-' || c == '.'))
      return bad("bad host");
  }
  std::string host_text(host);
  in_addr literal;
  if (inet_pton(AF_INET, host_text.c_str(), &literal) == 1) {
    address.ip = host_text;
    return address;
  }
  addrinfo hints;
  std::memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(host_text.c_str(), nullptr, &hints, &found);
  if (rc != 0 || found == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("ops server: cannot resolve \"", host_text,
                     "\": ", absl::AsciiStrToLower(gai_strerror(rc))));
  }
  char text[INET_ADDRSTRLEN] = "";
  inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr,
            text, sizeof(text));
  ::freeaddrinfo(found);
  address.ip = text;
  return address;
}

// The descriptor of this process's IPv4 listening socket bound to ip:port,
// or -1.
int FindListeningSocket(const std::string& ip, int port) {
  in_addr want;
  if (inet_pton(AF_INET, ip.c_str(), &want) != 1) return -1;
  std::error_code error;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", error);
       !error && it != std::filesystem::directory_iterator();
       it.increment(error)) {
    int fd = -1;
    if (!absl::SimpleAtoi(it->path().filename().string(), &fd)) continue;
    int listening = 0;
    socklen_t length = sizeof(listening);
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 ||
        !listening) {
      continue;
    }
    sockaddr_in bound;
    length = sizeof(bound);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0 ||
        bound.sin_family != AF_INET) {
      continue;
    }
    if (ntohs(bound.sin_port) == port && bound.sin_addr.s_addr == want.s_addr)
      return fd;
  }
  return -1;
}

std::string OneLine(absl::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<const char*, std::string>> headers;
};

Response Text(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

void Send(mg_connection* conn, const Response& response, bool with_body) {
  mg_response_header_start(conn, response.status);
  mg_response_header_add(conn, "Content-Type", response.content_type.c_str(),
                         -1);
  std::string length = absl::StrCat(response.body.size());
  mg_response_header_add(conn, "Content-Length", length.c_str(), -1);
  // The answers are plain data for machines; no browser should sniff them.
  mg_response_header_add(conn, "X-Content-Type-Options", "nosniff", -1);
  for (const auto& [name, value] : response.headers) {
    mg_response_header_add(conn, name, value.c_str(), -1);
  }
  mg_response_header_send(conn);
  if (with_body && !response.body.empty()) {
    mg_write(conn, response.body.data(), response.body.size());
  }
}

}  // namespace

OpsServer::OpsServer(OpsHandlers handlers) : handlers_(std::move(handlers)) {}

OpsServer::~OpsServer() { Stop(); }

absl::StatusOr<std::unique_ptr<OpsServer>> OpsServer::Start(
    const std::string& listen, OpsHandlers handlers) {
  absl::StatusOr<ListenAddress> address = ResolveListen(listen);
  if (!address.ok()) return address.status();
  std::string ports = absl::StrCat(address->ip, ":", address->port);
  InitCivetwebOnce();

  std::unique_ptr<OpsServer> server(new OpsServer(std::move(handlers)));
  // Few threads: probes and scrapes are rare and fast. civetweb holds a
  // thread per connection, so keep-alive stays off (its default) and a slow
  // client is cut off after the request timeout.
  const char* options[] = {"listening_ports",
                           ports.c_str(),
                           "num_threads",
                           "4",
                           "request_timeout_ms",
                           "5000",
                           "enable_keep_alive",
                           "no",
                           nullptr};
  mg_callbacks callbacks;
  std::memset(&callbacks, 0, sizeof(callbacks));
  callbacks.log_message = &OnCivetwebLog;
  callbacks.log_access = &OnCivetwebAccessLog;
  mg_init_data init;
  std::memset(&init, 0, sizeof(init));
  init.callbacks = &callbacks;
  init.user_data = server.get();
  init.configuration_options = options;
  unsigned error_code = 0;
  char error_text[256] = "";
  mg_error_data error;
  error.code = &error_code;
  error.text = error_text;
  error.text_buffer_size = sizeof(error_text);

  std::string first_log;
  startup_error = &first_log;
  server->context_ = mg_start2(&init, &error);
  startup_error = nullptr;
  if (server->context_ == nullptr) {
    // civetweb's own text is generic ("Failed to setup server ports"); its
    // first log line says why ("cannot bind to 127.0.0.1:9090: 98 (Address
    // already in use)").
    std::string detail = first_log.empty() ? error_text : first_log;
    if (detail.empty()) detail = "civetweb failed to start";
    return absl::UnavailableError(
        absl::StrCat("ops server: cannot listen on ", listen, ": ",
                     absl::AsciiStrToLower(OneLine(detail))));
  }
  // One handler for every path: routing, 404 and 405 are decided in Handle.
  mg_set_request_handler(server->context_, "/", &OpsServer::HandleRequest,
                         server.get());

  mg_server_port bound[4];
  int n = mg_get_server_ports(server->context_, 4, bound);
  if (n < 1) {
    server->Stop();
    return absl::InternalError(
        "ops server: civetweb reports no listening port");
  }
  server->port_ = bound[0].port;
  server->ip_ = address->ip;
  return server;
}

void OpsServer::Stop() {
  if (context_ == nullptr) return;
  // civetweb's accept loop notices a stop only when its poll returns, which
  // it does every 2 s. Shutting the listening socket down first wakes it at
  // once (and refuses new clients). The socket is still civetweb's (only
  // mg_stop closes it), so this descriptor cannot be someone else's.
  int listener = FindListeningSocket(ip_, port_);
  if (listener >= 0) ::shutdown(listener, SHUT_RDWR);
  mg_stop(context_);  // blocks until every in-flight request has finished
  context_ = nullptr;
}

int OpsServer::HandleRequest(mg_connection* conn, void* self) {
  return static_cast<OpsServer*>(self)->Handle(conn);
}

int OpsServer::Handle(mg_connection* conn) {
  const mg_request_info* request = mg_get_request_info(conn);
  absl::string_view method =
      request->request_method != nullptr ? request->request_method : "";
  absl::string_view path =
      request->local_uri != nullptr ? request->local_uri : "";
  bool with_body = method != "HEAD";

  Response response;
  // A throwing handler must not unwind through civetweb's C frames.
  try {
    bool known = path == "/healthz" || path == "/readyz" ||
                 (path == "/metrics" && handlers_.metrics != nullptr) ||
                 (path == kJwksPath && handlers_.jwks_json);
    if (!known) {
      response = Text(404, "not found");
    } else if (method != "GET") {
      response = Text(405, "method not allowed");
      response.headers.emplace_back("Allow", "GET");
    } else if (path == "/healthz") {
      response = Text(200, "ok");
    } else if (path == "/readyz") {
      absl::Status ready =
          handlers_.ready ? handlers_.ready() : absl::OkStatus();
      if (ready.ok()) {
        response = Text(200, "ready");
      } else {
        std::string message(ready.message());
        if (message.empty()) message = absl::StatusCodeToString(ready.code());
        response = Text(503, OneLine(message));
      }
    } else if (path == "/metrics") {
      response = Text(200, handlers_.metrics->Render());
      response.content_type = "text/plain; version=0.0.4";
    } else {
      response = Text(200, handlers_.jwks_json());
      response.content_type = "application/jwk-set+json";
      // Public keys: caches may keep them for 5 minutes. A new key is
      // published before it signs (rotation in stages), so this is safe.
      response.headers.emplace_back("Cache-Control", "public, max-age=300");
    }
  } catch (const std::exception& e) {
    common::Log(common::LogLevel::kError, "ops handler threw",
                {{"path", path}, {"what", e.what()}});
    response = Text(500, "internal error");
  } catch (...) {
    common::Log(common::LogLevel::kError, "ops handler threw",
                {{"path", path}});
    response = Text(500, "internal error");
  }
  bool cacheable = false;
  for (const auto& header : response.headers) {
    cacheable = cacheable || std::strcmp(header.first, "Cache-Control") == 0;
  }
  // Health, readiness and metrics are live values: never cache them.
  if (!cacheable) response.headers.emplace_back("Cache-Control", "no-store");
  Send(conn, response, with_body);
  return response.status;
}

}  // namespace tokend::ops
