#include "ops/ops_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/host_port.h"
#include "common/log.h"

namespace tokend::ops {
namespace {

constexpr char kJwksPath[] = "/.well-known/jwks.json";

// libmicrohttpd logs every connection it refuses, so a hostile client can
// make it log at will: at most one of its messages per interval is logged,
// with the number left out since.
constexpr absl::Duration kLibraryLogInterval = absl::Seconds(10);

// How long Stop() lets answers already made finish before closing.
constexpr absl::Duration kStopWait = absl::Seconds(1);

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

// A strong entity tag for `body`: its length and 64-bit FNV-1a hash, the
// same on every replica serving the same bytes, so a client may revalidate
// against any of them. Not a digest an attacker must not collide: the body is
// tokend's own public keys, and ops stays below the crypto layer.
std::string EntityTag(absl::string_view body) {
  uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : body) {
    hash = (hash ^ c) * 1099511628211ULL;
  }
  return absl::StrCat("\"", body.size(), "-", absl::Hex(hash, absl::kZeroPad16), "\"");
}

// Whether an If-None-Match header value names `etag` (RFC 9110 13.1.2: a
// list of tags compared weakly, or "*").
bool NoneMatchNames(absl::string_view if_none_match, absl::string_view etag) {
  for (absl::string_view tag : absl::StrSplit(if_none_match, ',')) {
    tag = absl::StripAsciiWhitespace(tag);
    if (tag == "*") return true;
    absl::ConsumePrefix(&tag, "W/");
    if (tag == etag) return true;
  }
  return false;
}

// `response`, or 304 Not Modified with its validators when it carries an
// ETag that the request's If-None-Match names.
const Response& Conditional(const Response& response, absl::string_view if_none_match,
                            Response& not_modified) {
  if (response.status != 200 || if_none_match.empty()) return response;
  for (const auto& [name, value] : response.headers) {
    if (std::strcmp(name, MHD_HTTP_HEADER_ETAG) == 0 && NoneMatchNames(if_none_match, value)) {
      not_modified = Text(304, "");
      not_modified.content_type.clear();
      not_modified.headers = response.headers;
      return not_modified;
    }
  }
  return response;
}

// Answers `response` on `connection`; libmicrohttpd leaves the body out for
// HEAD and adds Content-Length and Date.
MHD_Result Queue(MHD_Connection* connection, const Response& response) {
  MHD_Response* answer = MHD_create_response_from_buffer(
      response.body.size(), const_cast<char*>(response.body.data()), MHD_RESPMEM_MUST_COPY);
  if (answer == nullptr) return MHD_NO;
  if (!response.content_type.empty()) {
    MHD_add_response_header(answer, MHD_HTTP_HEADER_CONTENT_TYPE, response.content_type.c_str());
  }
  // The answers are plain data for machines; no browser should sniff them.
  MHD_add_response_header(answer, "X-Content-Type-Options", "nosniff");
  bool cacheable = false;
  for (const auto& [name, value] : response.headers) {
    MHD_add_response_header(answer, name, value.c_str());
    cacheable = cacheable || std::strcmp(name, MHD_HTTP_HEADER_CACHE_CONTROL) == 0;
  }
  // Health, readiness and metrics are live values: never cache them.
  if (!cacheable) MHD_add_response_header(answer, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  MHD_Result queued =
      MHD_queue_response(connection, static_cast<unsigned>(response.status), answer);
  MHD_destroy_response(answer);  // the connection keeps its own reference
  return queued;
}

// A listen address resolved to a socket address.
struct ListenAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const { return storage.ss_family; }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
  // "127.0.0.1:9090", "[::1]:9090".
  std::string Text() const {
    char ip[INET6_ADDRSTRLEN] = "";
    if (family() == AF_INET6) {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&storage);
      inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof(ip));
      return absl::StrCat("[", ip, "]:", ntohs(v6->sin6_port));
    }
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&storage);
    inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof(ip));
    return absl::StrCat(ip, ":", ntohs(v4->sin_port));
  }
  bool IsIpv6Any() const {
    return family() == AF_INET6 &&
           IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr);
  }
};

// Parses "host:port" (host an IPv4 literal, an IPv6 literal in brackets or a
// DNS name) and resolves it. Validated here rather than by the resolver
// alone so that the error says what is wrong.
absl::StatusOr<ListenAddress> ResolveListen(absl::string_view listen) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("ops server: bad listen address \"", absl::CHexEscape(listen), "\": ", why));
  };
  absl::StatusOr<common::HostPort> parsed = common::ParseHostPort(listen);
  if (!parsed.ok()) return bad(parsed.status().message());

  addrinfo hints;
  std::memset(&hints, 0, sizeof(hints));
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  // Literals are not looked up; a name may have IPv4 and IPv6 addresses.
  hints.ai_family = parsed->ipv6 ? AF_INET6 : AF_UNSPEC;
  if (parsed->ipv6) hints.ai_flags |= AI_NUMERICHOST;
  const std::string& node = parsed->host;
  std::string service = absl::StrCat(parsed->port);
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(node.c_str(), service.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    if (hints.ai_family == AF_INET6) return bad("bad ipv6 address");
    return absl::UnavailableError(absl::StrCat("ops server: cannot resolve \"", node,
                                               "\": ", absl::AsciiStrToLower(gai_strerror(rc))));
  }
  // IPv4 first: "localhost" and names with both kinds of address keep
  // meaning what they meant to configurations written for IPv4.
  const addrinfo* chosen = nullptr;
  for (const addrinfo* a = found; a != nullptr && chosen == nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) chosen = a;
  }
  for (const addrinfo* a = found; a != nullptr && chosen == nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET6) chosen = a;
  }
  ListenAddress address;
  if (chosen != nullptr && chosen->ai_addrlen <= sizeof(address.storage)) {
    std::memcpy(&address.storage, chosen->ai_addr, chosen->ai_addrlen);
    address.length = chosen->ai_addrlen;
  }
  ::freeaddrinfo(found);
  if (address.length == 0) {
    return absl::UnavailableError(
        absl::StrCat("ops server: \"", node, "\" has no IPv4 or IPv6 address"));
  }
  return address;
}

std::string ErrnoText(int error) {
  return absl::StrCat(error, " (", absl::AsciiStrToLower(std::strerror(error)), ")");
}

// A listening socket bound to `address` (rewritten to 0.0.0.0 when it is
// [::] and this host has no IPv6), non-blocking as libmicrohttpd needs it.
absl::StatusOr<int> OpenListener(ListenAddress& address) {
  int fd = ::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0 && errno == EAFNOSUPPORT && address.IsIpv6Any()) {
    // A kernel booted without IPv6: "every interface" still means something.
    in_port_t port = reinterpret_cast<sockaddr_in6*>(&address.storage)->sin6_port;
    address = ListenAddress();
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address.storage);
    v4->sin_family = AF_INET;
    v4->sin_port = port;
    v4->sin_addr.s_addr = htonl(INADDR_ANY);
    address.length = sizeof(sockaddr_in);
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  }
  if (fd < 0) return absl::UnavailableError(absl::StrCat("socket: ", ErrnoText(errno)));
  int on = 1;
  // A restarted process binds while its predecessor's connections linger in
  // TIME_WAIT. (On Linux this never lets two listeners share a port.)
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  if (address.family() == AF_INET6) {
    // Dual-stack whatever net.ipv6.bindv6only says: [::] serves IPv4 clients
    // too. Where the host forbids it, the socket stays IPv6-only.
    int off = 0;
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
  }
  if (::bind(fd, address.get(), address.length) != 0) {
    int error = errno;
    ::close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot bind to ", address.Text(), ": ", ErrnoText(error)));
  }
  if (::listen(fd, SOMAXCONN) != 0) {
    int error = errno;
    ::close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address.Text(), ": ", ErrnoText(error)));
  }
  return fd;
}

int BoundPort(int fd) {
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) return 0;
  if (bound.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
}

}  // namespace

// One request: made when its headers have arrived, freed when libmicrohttpd
// is done with it (OnCompleted).
struct OpsServer::Request {
  MHD_Connection* connection = nullptr;
  // The request target's length as sent. libmicrohttpd hands it over as a
  // C string, so a NUL inside it would cut it short unnoticed.
  size_t target_length = 0;
  bool routed = false;
  Lane* lane = nullptr;  // not yet submitted to it
  bool answered = false;
  Response response;
  std::string if_none_match;  // as sent; empty when absent
};

// One handler on a thread of its own, so that a slow handler (a readiness
// check waiting for the database) holds up neither the thread that reads
// requests nor the other paths. Requests queue while it runs; one call then
// answers every queued request, so a flood of requests costs one call per
// call's duration, not one each.
class OpsServer::Lane {
 public:
  Lane(std::string path, std::function<Response()> answer)
      : path_(std::move(path)), answer_(std::move(answer)), thread_([this] { Run(); }) {}
  ~Lane() { Stop(); }

  // Queues `request`, whose connection is suspended; the lane resumes it once
  // answered. False once Stop() began: the caller answers it instead.
  bool Submit(Request* request) {
    absl::MutexLock lock(&mu_);
    if (stopping_) return false;
    queued_.push_back(request);
    return true;
  }

  // Answers what is queued, then ends the thread. Idempotent.
  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Run() {
    std::vector<Request*> batch;
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(this, &Lane::HasWork));
        if (queued_.empty()) return;
        batch.swap(queued_);
      }
      Response response = Answer();
      for (Request* request : batch) {
        MHD_Connection* connection = request->connection;
        request->response = response;
        request->answered = true;
        // From here on the request belongs to libmicrohttpd's thread.
        MHD_resume_connection(connection);
      }
      batch.clear();
    }
  }

  bool HasWork() const ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || !queued_.empty(); }

  Response Answer() {
    try {
      return answer_();
    } catch (const std::exception& e) {
      common::Log(common::LogLevel::kError, "ops handler threw",
                  {{"path", path_}, {"what", e.what()}});
    } catch (...) {
      common::Log(common::LogLevel::kError, "ops handler threw", {{"path", path_}});
    }
    return Text(500, "internal error");
  }

  const std::string path_;
  const std::function<Response()> answer_;
  absl::Mutex mu_;
  std::vector<Request*> queued_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts once the rest is built
};

// libmicrohttpd calls these on its one thread (OnLog also while starting, on
// the thread that calls Start); `self` is the OpsServer.
class OpsServer::Callbacks {
 public:
  // Called when a request's headers have arrived, then for each piece of its
  // body, then once more after the body (and after a resume).
  static MHD_Result OnRequest(void* self, MHD_Connection* connection, const char* url,
                              const char* method, const char* version, const char* /*upload_data*/,
                              size_t* upload_data_size, void** slot) {
    auto* server = static_cast<OpsServer*>(self);
    auto* request = static_cast<Request*>(*slot);
    if (request == nullptr) return MHD_NO;  // OnTarget always makes one
    if (!request->routed) {
      request->routed = true;
      // The target and the version are adjacent in the request line: "GET
      // /healthz\0 HTTP/1.0" must not pass for "GET /healthz".
      if (url == nullptr || version == nullptr || url + request->target_length + 1 != version) {
        request->response = Text(400, "bad request");
        request->answered = true;
      } else {
        request->lane = server->Route(*request, url, method);
      }
    }
    // No path takes a body: it is read and dropped.
    if (*upload_data_size != 0) {
      *upload_data_size = 0;
      return MHD_YES;
    }
    if (request->answered) {
      Response not_modified;
      return Queue(connection,
                   Conditional(request->response, request->if_none_match, not_modified));
    }
    if (request->lane != nullptr) {
      Lane* lane = std::exchange(request->lane, nullptr);
      MHD_suspend_connection(connection);
      if (!lane->Submit(request)) {
        request->response = Text(503, "stopping");
        request->answered = true;
        MHD_resume_connection(connection);
      }
    }
    return MHD_YES;
  }

  // Called with the request target as sent, before libmicrohttpd splits
  // off the query and decodes it; what it returns is the request's slot.
  static void* OnTarget(void* self, const char* target, MHD_Connection* connection) {
    auto* request = new Request;
    request->connection = connection;
    request->target_length = target != nullptr ? std::strlen(target) : 0;
    auto* server = static_cast<OpsServer*>(self);
    absl::MutexLock lock(&server->mu_);
    ++server->open_requests_;
    return request;
  }

  static void OnCompleted(void* self, MHD_Connection* /*connection*/, void** slot,
                          MHD_RequestTerminationCode /*why*/) {
    auto* request = static_cast<Request*>(*slot);
    if (request == nullptr) return;
    *slot = nullptr;
    delete request;
    auto* server = static_cast<OpsServer*>(self);
    absl::MutexLock lock(&server->mu_);
    --server->open_requests_;
  }

  static void OnLog(void* self, const char* format, va_list args) {
    char text[512];
    std::vsnprintf(text, sizeof(text), format, args);
    std::string message = OneLine(absl::StripTrailingAsciiWhitespace(text));
    auto* server = static_cast<OpsServer*>(self);
    absl::MutexLock lock(&server->mu_);
    if (server->starting_) {
      if (server->start_error_.empty()) server->start_error_ = message;
      return;
    }
    absl::Time now = absl::Now();
    if (now - server->last_log_ < kLibraryLogInterval) {
      ++server->unlogged_;
      return;
    }
    server->last_log_ = now;
    std::string unlogged = absl::StrCat(std::exchange(server->unlogged_, 0));
    common::Log(common::LogLevel::kWarning, "ops http server",
                {{"detail", message}, {"unlogged_before", unlogged}});
  }
};

OpsServer::OpsServer(OpsHandlers handlers) : handlers_(std::move(handlers)) {}

OpsServer::~OpsServer() { Stop(); }

absl::StatusOr<std::unique_ptr<OpsServer>> OpsServer::Start(const std::string& listen,
                                                            OpsHandlers handlers) {
  absl::StatusOr<ListenAddress> address = ResolveListen(listen);
  if (!address.ok()) return address.status();
  auto cannot_listen = [&](absl::string_view why) {
    return absl::UnavailableError(absl::StrCat("ops server: cannot listen on ", listen, ": ", why));
  };
  absl::StatusOr<int> listener = OpenListener(*address);
  if (!listener.ok()) return cannot_listen(listener.status().message());

  std::unique_ptr<OpsServer> server(new OpsServer(std::move(handlers)));
  server->listener_ = *listener;
  server->port_ = BoundPort(*listener);
  OpsServer* self = server.get();
  if (self->handlers_.ready) {
    server->readiness_ = std::make_unique<Lane>("/readyz", [self] {
      absl::Status ready = self->handlers_.ready();
      if (ready.ok()) return Text(200, "ready");
      std::string message(ready.message());
      if (message.empty()) message = absl::StatusCodeToString(ready.code());
      return Text(503, OneLine(message));
    });
  }
  if (self->handlers_.metrics != nullptr) {
    server->metrics_ = std::make_unique<Lane>("/metrics", [self] {
      Response r = Text(200, self->handlers_.metrics->Render());
      r.content_type = "text/plain; version=0.0.4";
      return r;
    });
  }
  if (self->handlers_.jwks_json) {
    server->jwks_ = std::make_unique<Lane>(kJwksPath, [self] {
      Response r = Text(200, self->handlers_.jwks_json());
      r.content_type = "application/jwk-set+json";
      // Public keys: caches may keep them for 5 minutes. A new key is
      // published before it signs (rotation in stages), so this is safe.
      r.headers.emplace_back(MHD_HTTP_HEADER_CACHE_CONTROL, "public, max-age=300");
      // Lets a verifier revalidate its cached set with If-None-Match and get
      // 304 without the body when nothing changed.
      r.headers.emplace_back(MHD_HTTP_HEADER_ETAG, EntityTag(r.body));
      return r;
    });
  }

  // libmicrohttpd gets a duplicate of the listening socket: it closes what
  // it was given on some start-up failures and not on others, and this
  // server must close its own exactly once.
  int given = ::fcntl(*listener, F_DUPFD_CLOEXEC, 0);
  if (given < 0) {
    int error = errno;
    server->Stop();
    return cannot_listen(absl::StrCat("dup: ", ErrnoText(error)));
  }
  // One thread waits on every connection with epoll, so a connection that
  // sends nothing costs memory, not a thread; handlers run on their lanes.
  server->daemon_ = MHD_start_daemon(
      MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
      /*port=*/0, /*apc=*/nullptr, /*apc_cls=*/nullptr, &Callbacks::OnRequest, self,
      // First, so that start-up messages come here too.
      MHD_OPTION_EXTERNAL_LOGGER, &Callbacks::OnLog, self,  //
      MHD_OPTION_LISTEN_SOCKET, static_cast<MHD_socket>(given), MHD_OPTION_CONNECTION_LIMIT,
      static_cast<unsigned>(kConnectionLimit), MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      static_cast<unsigned>(kPerIpConnectionLimit), MHD_OPTION_CONNECTION_TIMEOUT,
      static_cast<unsigned>(absl::ToInt64Seconds(kIdleTimeout)),  //
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<size_t>(kConnectionMemory),
      MHD_OPTION_URI_LOG_CALLBACK, &Callbacks::OnTarget, self,     //
      MHD_OPTION_NOTIFY_COMPLETED, &Callbacks::OnCompleted, self,  //
      MHD_OPTION_END);
  std::string start_error;
  {
    absl::MutexLock lock(&server->mu_);
    server->starting_ = false;
    start_error = server->start_error_;
  }
  if (server->daemon_ == nullptr) {
    server->Stop();
    if (start_error.empty()) start_error = "the http server did not start";
    return cannot_listen(absl::AsciiStrToLower(start_error));
  }
  return server;
}

OpsServer::Lane* OpsServer::Route(Request& request, const char* url, const char* method) {
  absl::string_view path = url != nullptr ? url : "";
  absl::string_view verb = method != nullptr ? method : "";
  Lane* lane = nullptr;
  bool known = true;
  if (path == "/readyz") {
    lane = readiness_.get();  // none: always ready
  } else if (path == "/metrics" && metrics_ != nullptr) {
    lane = metrics_.get();
  } else if (path == kJwksPath && jwks_ != nullptr) {
    lane = jwks_.get();
    const char* if_none_match = MHD_lookup_connection_value(request.connection, MHD_HEADER_KIND,
                                                            MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (if_none_match != nullptr) request.if_none_match = if_none_match;
  } else {
    known = path == "/healthz";
  }
  request.answered = true;
  if (!known) {
    request.response = Text(404, "not found");
  } else if (verb != MHD_HTTP_METHOD_GET && verb != MHD_HTTP_METHOD_HEAD) {
    request.response = Text(405, "method not allowed");
    request.response.headers.emplace_back(MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
  } else if (lane != nullptr) {
    request.answered = false;
    return lane;
  } else {
    request.response = Text(200, path == "/healthz" ? "ok" : "ready");
  }
  return nullptr;
}

void OpsServer::Stop() {
  // Accepts no more. libmicrohttpd hands back its copy of the listening
  // socket, to be closed once it has stopped.
  MHD_socket given = daemon_ != nullptr ? MHD_quiesce_daemon(daemon_) : MHD_INVALID_SOCKET;
  // Refuses new clients at once rather than leaving them in the backlog.
  if (listener_ >= 0) ::shutdown(listener_, SHUT_RDWR);
  for (Lane* lane : {readiness_.get(), metrics_.get(), jwks_.get()}) {
    if (lane != nullptr) lane->Stop();  // answers every suspended request
  }
  if (daemon_ != nullptr) {
    {
      absl::MutexLock lock(&mu_);
      auto done = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return open_requests_ == 0; };
      mu_.AwaitWithTimeout(absl::Condition(&done), kStopWait);
    }
    MHD_stop_daemon(daemon_);  // closes the connections left: idle or stalled ones
    daemon_ = nullptr;
  }
  if (given != MHD_INVALID_SOCKET) ::close(given);
  if (listener_ >= 0) {
    ::close(listener_);
    listener_ = -1;
  }
}

}  // namespace tokend::ops
