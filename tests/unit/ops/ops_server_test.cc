#include "ops/ops_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/http/raw_http.h"

namespace tokend::ops {
namespace {

using ::testing::HasSubstr;

using ::tokend::testing::HostHasIpv6Loopback;
using ::tokend::testing::RawHttpRequest;
using ::tokend::testing::StallingClients;
using HttpResponse = ::tokend::testing::RawHttpResponse;

// One request to 127.0.0.1:`port`; status 0 when there is no answer.
HttpResponse Fetch(int port, const std::string& method, const std::string& target) {
  absl::StatusOr<HttpResponse> response = RawHttpRequest("127.0.0.1", port, method, target);
  return response.ok() ? *std::move(response) : HttpResponse();
}

HttpResponse Get(int port, const std::string& target) { return Fetch(port, "GET", target); }

constexpr char kJwks[] =
    R"({"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1","alg":"EdDSA","use":"sig","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]})";

// A server on 127.0.0.1:0 with every handler set; `ready` is switchable.
class Fixture {
 public:
  Fixture() {
    metrics.RecordRpc("Issue", "OK", absl::Milliseconds(1));
    EXPECT_TRUE(
        metrics.AddGauge("tokend_revoked_jti_count", "Revoked jtis in memory.", [] { return 42.0; })
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
  EXPECT_THAT(r.body, HasSubstr("tokend_rpc_requests_total{code=\"OK\",method=\"Issue\"} 1\n"));
  EXPECT_THAT(r.body, HasSubstr("tokend_rpc_requests_total{code=\"INVALID_"
                                "ARGUMENT\",method=\"Revoke\"} 1\n"));
  EXPECT_THAT(r.body, HasSubstr("tokend_rpc_duration_seconds_count{method=\"Revoke\"} 1\n"));
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

TEST(OpsServer, AnswersARevalidationOfTheJwksWith304WithoutTheBody) {
  Fixture f;
  ASSERT_NE(f.server, nullptr);
  HttpResponse first = Get(f.server->port(), "/.well-known/jwks.json");
  ASSERT_EQ(first.status, 200);
  const std::string etag = first.headers["etag"];
  ASSERT_THAT(etag, ::testing::MatchesRegex("\"[0-9]+-[0-9a-f]{16}\""));
  EXPECT_EQ(Get(f.server->port(), "/.well-known/jwks.json").headers["etag"], etag)
      << "the same keys, the same tag";

  for (const std::string& if_none_match :
       {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
    absl::StatusOr<HttpResponse> again =
        RawHttpRequest("127.0.0.1", f.server->port(), "GET", "/.well-known/jwks.json",
                       absl::Seconds(5), "", "If-None-Match: " + if_none_match + "\r\n");
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->status, 304) << if_none_match;
    EXPECT_EQ(again->body, "") << if_none_match;
    EXPECT_EQ(again->headers["etag"], etag) << if_none_match;
    EXPECT_EQ(again->headers["cache-control"], "public, max-age=300") << if_none_match;
  }
}

TEST(OpsServer, AnswersTheWholeJwksWhenTheTagNoLongerMatches) {
  Fixture f;
  ASSERT_NE(f.server, nullptr);
  absl::StatusOr<HttpResponse> r =
      RawHttpRequest("127.0.0.1", f.server->port(), "GET", "/.well-known/jwks.json",
                     absl::Seconds(5), "", "If-None-Match: \"an-older-set\"\r\n");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, kJwks);
  // Only the JWK Set is revalidated; live values never answer 304.
  absl::StatusOr<HttpResponse> health =
      RawHttpRequest("127.0.0.1", f.server->port(), "GET", "/healthz", absl::Seconds(5), "",
                     "If-None-Match: *\r\n");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->status, 200);
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
  for (const char* path : {"/", "/health", "/healthz/x", "/metrics.txt", "/.well-known/",
                           "/.well-known/openid-configuration", "/../etc/passwd"}) {
    HttpResponse r = Get(f.server->port(), path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.body, "not found") << path;
  }
}

TEST(OpsServer, AnswersOtherMethodsWith405) {
  Fixture f;
  ASSERT_NE(f.server, nullptr);
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    for (const char* path : {"/healthz", "/readyz", "/metrics", "/.well-known/jwks.json"}) {
      HttpResponse r = Fetch(f.server->port(), method, path);
      EXPECT_EQ(r.status, 405) << method << " " << path;
      EXPECT_EQ(r.headers["allow"], "GET, HEAD") << method << " " << path;
    }
  }
}

TEST(OpsServer, AnswersHeadLikeGetWithoutABody) {
  Fixture f;
  ASSERT_NE(f.server, nullptr);
  for (bool ready : {true, false}) {
    f.ready_flag = ready;
    for (const char* path : {"/healthz", "/readyz", "/metrics", "/.well-known/jwks.json"}) {
      HttpResponse get = Get(f.server->port(), path);
      HttpResponse head = Fetch(f.server->port(), "HEAD", path);
      EXPECT_EQ(head.status, get.status) << path;
      EXPECT_NE(head.status, 0) << path;
      EXPECT_EQ(head.body, "") << path;
      EXPECT_FALSE(get.body.empty()) << path;
      // /metrics may grow between the two requests; the others are fixed.
      if (std::string(path) != "/metrics") {
        EXPECT_EQ(head.headers["content-length"], absl::StrCat(get.body.size())) << path;
      }
      for (const char* header : {"content-type", "cache-control", "x-content-type-options"}) {
        EXPECT_EQ(head.headers[header], get.headers[header]) << path << " " << header;
      }
    }
  }
  EXPECT_EQ(Fetch(f.server->port(), "HEAD", "/nothing").status, 404);
}

TEST(OpsServer, Answers404ForJwksAndMetricsWithoutTheirHandlers) {
  absl::StatusOr<std::unique_ptr<OpsServer>> server = OpsServer::Start("127.0.0.1:0", {});
  ASSERT_TRUE(server.ok()) << server.status();
  int port = (*server)->port();
  EXPECT_EQ(Get(port, "/metrics").status, 404);
  EXPECT_EQ(Get(port, "/.well-known/jwks.json").status, 404);
  EXPECT_EQ(Get(port, "/healthz").status, 200);
  EXPECT_EQ(Get(port, "/readyz").status, 200);  // no ready handler: ready
}

TEST(OpsServer, AnswersAThrowingHandlerWith500) {
  OpsHandlers handlers;
  handlers.jwks_json = []() -> std::string { throw std::runtime_error("boom"); };
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

  absl::StatusOr<std::unique_ptr<OpsServer>> server = OpsServer::Start(listen, {});
  ::close(fd);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(server.status().message(),
            absl::StrCat("ops server: cannot listen on ", listen, ": cannot bind to ", listen,
                         ": 98 (address already in use)"));
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
  absl::StatusOr<std::unique_ptr<OpsServer>> server = OpsServer::Start("192.0.2.1:0", {});
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(server.status().message(), HasSubstr("ops server: cannot listen on 192.0.2.1:0"));
}

TEST(OpsServer, RejectsAMalformedAddress) {
  for (const char* bad :
       {"", "9090", ":9090", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:80s",
        "127.0.0.1:80,127.0.0.1:81", "+9090:1", "host name:1", "[::1]", "[::1:80", "::1:80",
        "[]:80", "[::1]x:80", "x[::1]:80", "[localhost]:80", "[1.2.3.4]:80", "[::1]:65536"}) {
    absl::StatusOr<std::unique_ptr<OpsServer>> server = OpsServer::Start(bad, {});
    ASSERT_FALSE(server.ok()) << bad;
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(server.status().message(), HasSubstr("ops server: bad listen address")) << bad;
  }
}

TEST(OpsServer, ListensOnTheIpv6Loopback) {
  if (!HostHasIpv6Loopback()) GTEST_SKIP() << "this host has no IPv6 loopback";
  absl::StatusOr<std::unique_ptr<OpsServer>> server = OpsServer::Start("[::1]:0", {});
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<HttpResponse> r = RawHttpRequest("::1", (*server)->port(), "GET", "/healthz");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok");
}

TEST(OpsServer, TheIpv6WildcardAlsoServesIpv4Clients) {
  if (!HostHasIpv6Loopback()) GTEST_SKIP() << "this host has no IPv6 loopback";
  absl::StatusOr<std::unique_ptr<OpsServer>> server = OpsServer::Start("[::]:0", {});
  ASSERT_TRUE(server.ok()) << server.status();
  for (const char* host : {"::1", "127.0.0.1"}) {
    absl::StatusOr<HttpResponse> r = RawHttpRequest(host, (*server)->port(), "GET", "/readyz");
    ASSERT_TRUE(r.ok()) << host << ": " << r.status();
    EXPECT_EQ(r->status, 200) << host;
  }
}

TEST(OpsServer, ListensOnANameResolvedToIpv4First) {
  // "localhost" has both 127.0.0.1 and ::1 on most hosts; IPv4 wins, as
  // configurations written for an IPv4-only ops port expect.
  absl::StatusOr<std::unique_ptr<OpsServer>> server = OpsServer::Start("localhost:0", {});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(Get((*server)->port(), "/healthz").status, 200);
}

TEST(OpsServer, FailsCleanlyOnATakenIpv6Port) {
  if (!HostHasIpv6Loopback()) GTEST_SKIP() << "this host has no IPv6 loopback";
  absl::StatusOr<std::unique_ptr<OpsServer>> first = OpsServer::Start("[::1]:0", {});
  ASSERT_TRUE(first.ok()) << first.status();
  std::string listen = absl::StrCat("[::1]:", (*first)->port());
  absl::StatusOr<std::unique_ptr<OpsServer>> second = OpsServer::Start(listen, {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(second.status().message(),
            absl::StrCat("ops server: cannot listen on ", listen, ": cannot bind to ", listen,
                         ": 98 (address already in use)"));
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
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
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
        HttpResponse r = Get(f.server->port(), i % 2 == 0 ? "/metrics" : "/healthz");
        if (r.status == 200) ++ok;
      }
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(ok.load(), 80);
}

TEST(OpsServer, ASlowReadinessCheckStallsNeitherHealthNorMetrics) {
  Metrics metrics;
  absl::Notification entered;
  absl::Notification release;
  OpsHandlers handlers;
  handlers.ready = [&]() -> absl::Status {
    entered.Notify();
    // As a readiness check does while the database does not answer.
    release.WaitForNotificationWithTimeout(absl::Seconds(10));
    return absl::OkStatus();
  };
  handlers.jwks_json = [] { return std::string(kJwks); };
  handlers.metrics = &metrics;
  absl::StatusOr<std::unique_ptr<OpsServer>> server =
      OpsServer::Start("127.0.0.1:0", std::move(handlers));
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();

  HttpResponse slow;
  std::thread readiness([&] { slow = Get(port, "/readyz"); });
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(absl::Seconds(5)));
  for (const char* path : {"/healthz", "/metrics", "/.well-known/jwks.json"}) {
    absl::Time start = absl::Now();
    absl::StatusOr<HttpResponse> r =
        RawHttpRequest("127.0.0.1", port, "GET", path, absl::Seconds(1));
    ASSERT_TRUE(r.ok()) << path << ": " << r.status();
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_LT(absl::Now() - start, absl::Seconds(1)) << path;
  }
  release.Notify();
  readiness.join();
  EXPECT_EQ(slow.status, 200);
}

TEST(OpsServer, RunsOneReadinessCheckAtATime) {
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  std::atomic<int> calls{0};
  OpsHandlers handlers;
  handlers.ready = [&]() -> absl::Status {
    int now = ++running;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    ++calls;
    absl::SleepFor(absl::Milliseconds(100));
    --running;
    return absl::OkStatus();
  };
  absl::StatusOr<std::unique_ptr<OpsServer>> server =
      OpsServer::Start("127.0.0.1:0", std::move(handlers));
  ASSERT_TRUE(server.ok()) << server.status();
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&] {
      for (int i = 0; i < 3; ++i) {
        if (Get((*server)->port(), "/readyz").status == 200) ++ok;
      }
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(ok.load(), 24);
  EXPECT_EQ(most.load(), 1);
  // Requests that arrive while a check runs share the next one.
  EXPECT_LT(calls.load(), 24);
}

TEST(OpsServer, ClosesAConnectionThatStallsInItsRequestHeaders) {
  Fixture f;
  ASSERT_NE(f.server, nullptr);
  StallingClients stalling("127.0.0.1", f.server->port(), 1);
  stalling.Start();
  ASSERT_TRUE(stalling.WaitUntilAllStalled(absl::Seconds(5)));
  const absl::Time start = absl::Now();
  while (stalling.dropped() == 0 && absl::Now() - start < OpsServer::kIdleTimeout * 4) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  const absl::Duration took = absl::Now() - start;
  stalling.Stop();
  EXPECT_EQ(stalling.dropped(), 1);
  EXPECT_GT(took, OpsServer::kIdleTimeout - absl::Milliseconds(500));
  EXPECT_LT(took, OpsServer::kIdleTimeout + absl::Seconds(2));
}

TEST(OpsServer, LimitsTheConnectionsOfOneClientAddress) {
  Fixture f;
  ASSERT_NE(f.server, nullptr);
  const int port = f.server->port();
  StallingClients stalling("127.0.0.1", port, OpsServer::kPerIpConnectionLimit);
  stalling.Start();
  ASSERT_TRUE(stalling.WaitUntilAllStalled(absl::Seconds(10)));
  // 127.0.0.1 has used up its share; another address of this host has not.
  absl::StatusOr<HttpResponse> same =
      RawHttpRequest("127.0.0.1", port, "GET", "/healthz", absl::Seconds(1));
  absl::StatusOr<HttpResponse> other =
      RawHttpRequest("127.0.0.1", port, "GET", "/healthz", absl::Seconds(1), "127.0.0.2");
  const int dropped = stalling.dropped();
  stalling.Stop();
  ASSERT_EQ(dropped, 0) << "the stalling connections timed out before the check";
  EXPECT_FALSE(same.ok() && same->status == 200);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(other->status, 200);
}

TEST(OpsServer, RefusesARequestTooLargeForItsConnectionMemory) {
  Fixture f;
  ASSERT_NE(f.server, nullptr);
  const std::string query(OpsServer::kConnectionMemory, 'a');
  HttpResponse r = Get(f.server->port(), absl::StrCat("/healthz?", query));
  EXPECT_TRUE(r.status == 414 || r.status == 431) << r.status;
  EXPECT_EQ(Get(f.server->port(), absl::StrCat("/healthz?", query.substr(0, 4000))).status, 200);
}

}  // namespace
}  // namespace tokend::ops
