#include "ops/ops_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tokend::ops {
namespace {

using ::testing::HasSubstr;

struct HttpResponse {
  int status = 0;                              // 0: no answer
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// A minimal HTTP/1.1 client over a plain socket: sends one request with
// "Connection: close" and reads until the server closes.
HttpResponse Fetch(int port, const std::string& method,
                   const std::string& target) {
  HttpResponse response;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return response;
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return response;
  }
  std::string request =
      absl::StrCat(method, " ", target,
                   " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return response;
  }
  std::string raw;
  char buffer[4096];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) raw.append(buffer, n);
  ::close(fd);

  size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return response;
  std::vector<std::string> lines = absl::StrSplit(raw.substr(0, end), "\r\n");
  std::vector<std::string> status_line =
      absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  if (status_line.size() < 2 ||
      !absl::SimpleAtoi(status_line[1], &response.status)) {
    return response;
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    response.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
  }
  response.body = raw.substr(end + 4);
  return response;
}

HttpResponse Get(int port, const std::string& target) {
  return Fetch(port, "GET", target);
}

constexpr char kJwks[] =
    R"({"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1","alg":"EdDSA","use":"sig","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]})";

// A server on 127.0.0.1:0 with every handler set; `ready` is switchable.
class Fixture {
 public:
  Fixture() {
    metrics.RecordRpc("Issue", "OK", absl::Milliseconds(1));
    EXPECT_TRUE(metrics
                    .AddGauge("tokend_revoked_jti_count",
                              "Revoked jtis in memory.", [] { return 42.0; })
                    .ok());
    OpsHandlers handlers;
    handlers.ready = [this]() -> absl::Status {
      if (ready_flag.load()) return absl::OkStatus();
      return absl::UnavailableError("database unreachable\nretrying");
    };
    handlers.jwks_json = [] { return std::string(kJwks); };
    handlers.metrics = &metrics;
    absl::StatusOr<std::unique_ptr<OpsServer>> started =
        OpsServer::Start("127.0.0.1:0", std::move(handlers));
    EXPECT_TRUE(started.ok()) << started.status();
    if (started.ok()) server = *std::move(started);
  }

  Metrics metrics;
  std::atomic<bool> ready_flag{true};
  std::unique_ptr<OpsServer> server;
};

TEST(OpsServer, StartsOnAnEphemeralPort) {
  Fixture f;
  ASSERT_NE(f.server, nullptr);
  EXPECT_GT(f.server->port(), 0);
}

TEST(OpsServer, AnswersHealthzWithOk) {
  Fixture f;
  ASSERT_NE(f.server, nullptr);
  HttpResponse r = Get(f.server->port(), "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(r.headers["content-type"], "text/plain; charset=utf-8");
  EXPECT_EQ(r.headers["content-length"], "2");
  EXPECT_EQ(r.headers["cache-control"], "no-store");
}

TEST(OpsServer, ReadyzTurns503WithTheMessageWhenNotReady) {
  Fixture f;
  ASSERT_NE(f.server, nullptr);
  HttpResponse ready = Get(f.server->port(), "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "ready");

  f.ready_flag = false;
  HttpResponse not_ready = Get(f.server->port(), "/readyz");
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_EQ(not_ready.body, "database unreachable retrying");  // one line

  f.ready_flag = true;
  EXPECT_EQ(Get(f.server->port(), "/readyz").status, 200);
  // Health does not depend on readiness.
  f.ready_flag = false;
  EXPECT_EQ(Get(f.server->port(), "/healthz").status, 200);
}

TEST(OpsServer, ServesMetricsInPrometheusTextFormat) {
  Fixture f;
  ASSERT_NE(f.server, nullptr);
  f.metrics.RecordRpc("Revoke", "INVALID_ARGUMENT", absl::Microseconds(300));
  HttpResponse r = Get(f.server->port(), "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "text/plain; version=0.0.4");
  EXPECT_THAT(
      r.body,
      HasSubstr("tokend_rpc_requests_total{code=\"OK\",method=\"Issue\"} 1\n"));
  EXPECT_THAT(r.body, HasSubstr("tokend_rpc_requests_total{code=\"INVALID_"
                                "ARGUMENT\",method=\"Revoke\"} 1\n"));
  EXPECT_THAT(
      r.body,
      HasSubstr("tokend_rpc_duration_seconds_count{method=\"Revoke\"} 1\n"));
  EXPECT_THAT(r.body, HasSubstr("\ntokend_revoked_jti_count 42\n"));
  EXPECT_EQ(r.headers["content-length"], absl::StrCat(r.body.size()));
}

TEST(OpsServer, ServesTheJwksAsACacheableJwkSet) {
  Fixture f;
  ASSERT_NE(f.server, nullptr);
  HttpResponse r = Get(f.server->port(), "/.well-known/jwks.json");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, kJwks);
  EXPECT_EQ(r.headers["content-type"], "application/jwk-set+json");
  EXPECT_EQ(r.headers["cache-control"], "public, max-age=300");
}

TEST(OpsServer, IgnoresTheQueryString) {
  Fixture f;
  ASSERT_NE(f.server, nullptr);
  HttpResponse r = Get(f.server->port(), "/healthz?verbose=1");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok");
}

TEST(OpsServer, AnswersUnknownPathsWith404) {
  Fixture f;
  ASSERT_NE(f.server, nullptr);
  for (const char* path :
       {"/", "/health", "/healthz/x", "/metrics.txt", "/.well-known/",
        "/.well-known/openid-configuration", "/../etc/passwd"}) {
    HttpResponse r = Get(f.server->port(), path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.body, "not found") << path;
  }
}

TEST(OpsServer, AnswersOtherMethodsWith405) {
  Fixture f;
  ASSERT_NE(f.server, nullptr);
  for (const char* method : {"POST", "PUT", "DELETE", "HEAD"}) {
    for (const char* path :
         {"/healthz", "/readyz", "/metrics", "/.well-known/jwks.json"}) {
      HttpResponse r = Fetch(f.server->port(), method, path);
      EXPECT_EQ(r.status, 405) << method << " " << path;
      EXPECT_EQ(r.headers["allow"], "GET") << method << " " << path;
      if (std::string(method) == "HEAD") {
        EXPECT_EQ(r.body, "");
      }
    }
  }
}

TEST(OpsServer, Answers404ForJwksAndMetricsWithoutTheirHandlers) {
  absl::StatusOr<std::unique_ptr<OpsServer>> server =
      OpsServer::Start("127.0.0.1:0", {});
  ASSERT_TRUE(server.ok()) << server.status();
  int port = (*server)->port();
  EXPECT_EQ(Get(port, "/metrics").status, 404);
  EXPECT_EQ(Get(port, "/.well-known/jwks.json").status, 404);
  EXPECT_EQ(Get(port, "/healthz").status, 200);
  EXPECT_EQ(Get(port, "/readyz").status, 200);  // no ready handler: ready
}

TEST(OpsServer, AnswersAThrowingHandlerWith500) {
  OpsHandlers handlers;
  handlers.jwks_json = []() -> std::string {
    throw std::runtime_error("boom");
  };
  absl::StatusOr<std::unique_ptr<OpsServer>> server =
      OpsServer::Start("127.0.0.1:0", std::move(handlers));
  ASSERT_TRUE(server.ok()) << server.status();
  HttpResponse r = Get((*server)->port(), "/.well-known/jwks.json");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "internal error");
  EXPECT_EQ(Get((*server)->port(), "/healthz").status, 200);  // still serving
}

TEST(OpsServer, FailsCleanlyOnATakenPort) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::string listen = absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));

  absl::StatusOr<std::unique_ptr<OpsServer>> server =
      OpsServer::Start(listen, {});
  ::close(fd);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(
      server.status().message(),
      absl::StrCat("ops server: cannot listen on ", listen, ": cannot bind to ",
                   listen, ": 98 (address already in use)"));
}

TEST(OpsServer, FailsCleanlyOnASecondServerOnTheSamePort) {
  Fixture f;
  ASSERT_NE(f.server, nullptr);
  absl::StatusOr<std::unique_ptr<OpsServer>> second =
      OpsServer::Start(absl::StrCat("127.0.0.1:", f.server->port()), {});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Get(f.server->port(), "/healthz").status,
            200);  // the first one is unharmed
}

TEST(OpsServer, FailsCleanlyOnAnAddressThatIsNotLocal) {
  // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to this host.
  absl::StatusOr<std::unique_ptr<OpsServer>> server =
      OpsServer::Start("192.0.2.1:0", {});
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(server.status().message(),
              HasSubstr("ops server: cannot listen on 192.0.2.1:0"));
}

TEST(OpsServer, RejectsAMalformedAddress) {
  for (const char* bad :
       {"", "9090", ":9090", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:80s",
        "127.0.0.1:80,127.0.0.1:81", "+9090:1", "host name:1"}) {
    absl::StatusOr<std::unique_ptr<OpsServer>> server =
        OpsServer::Start(bad, {});
    ASSERT_FALSE(server.ok()) << bad;
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
    EXPECT_THAT(server.status().message(),
                HasSubstr("ops server: bad listen address"))
        << bad;
  }
}

TEST(OpsServer, ExplainsWhenIpv6IsNotAvailable) {
  absl::StatusOr<std::unique_ptr<OpsServer>> server =
      OpsServer::Start("[::1]:0", {});
  if (server.ok()) GTEST_SKIP() << "this civetweb supports ipv6";
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(server.status().message(), HasSubstr("ipv6 is not supported"));
}

TEST(OpsServer, StopClosesThePortAndIsIdempotent) {
  Fixture f;
  ASSERT_NE(f.server, nullptr);
  int port = f.server->port();
  EXPECT_EQ(Get(port, "/healthz").status, 200);
  f.server->Stop();
  EXPECT_EQ(Get(port, "/healthz").status, 0);  // refused
  f.server->Stop();
  // The port is free again.
  absl::StatusOr<std::unique_ptr<OpsServer>> again =
      OpsServer::Start(absl::StrCat("127.0.0.1:", port), {});
  EXPECT_TRUE(again.ok()) << again.status();
}

int OpenFileDescriptors() {
  int count = 0;
  std::error_code error;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", error);
       !error && it != std::filesystem::directory_iterator();
       it.increment(error)) {
    ++count;
  }
  return count;
}

TEST(OpsServer, StopsPromptlyAndLeavesNoDescriptorOpen) {
  {
    Fixture warm_up;  // one-time initialisation may open descriptors for good
  }
  int before = OpenFileDescriptors();
  for (int i = 0; i < 20; ++i) {
    Fixture f;
    ASSERT_NE(f.server, nullptr);
    EXPECT_EQ(Get(f.server->port(), "/healthz").status, 200);
    absl::Time start = absl::Now();
    f.server->Stop();
    // civetweb alone takes up to its 2 s poll quantum to notice a stop.
    EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  }
  EXPECT_EQ(OpenFileDescriptors(), before);
}

TEST(OpsServer, ServesConcurrentClients) {
  Fixture f;
  ASSERT_NE(f.server, nullptr);
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  clients.reserve(8);
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        HttpResponse r =
            Get(f.server->port(), i % 2 == 0 ? "/metrics" : "/healthz");
        if (r.status == 200) ++ok;
      }
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(ok.load(), 80);
}

}  // namespace
}  // namespace tokend::ops
