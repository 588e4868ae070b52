#include "rpc/api_server.h"

#include <grpcpp/ext/health_check_service_server_builder_option.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "common/log.h"
#include "rpc/interceptors.h"
#include "rpc/peer_certificate_check.h"

namespace tokend::rpc {

// Requests over this size are refused by gRPC with RESOURCE_EXHAUSTED.
constexpr int kMaxRequestBytes = 64 * 1024;

namespace {

// Keepalive enforcement (see Start).
constexpr absl::Duration kMinPingInterval = absl::Seconds(10);
constexpr int kMaxPingStrikes = 2;

// A duration as gRPC's int milliseconds, capped at INT_MAX (which gRPC
// reads as "unlimited").
int GrpcMillis(absl::Duration d) {
  return static_cast<int>(
      std::min<int64_t>(absl::ToInt64Milliseconds(d), std::numeric_limits<int>::max()));
}

// Serves gRPC server reflection on one server, or not. Why an option and not
// grpc::reflection::InitProtoReflectionServerBuilderPlugin: Debian's
// libgrpc++_reflection registers its plugin for every server of the process
// as soon as it is linked (a static initializer), so reflection would be on
// whatever the configuration says; the option removes it when off.
class ReflectionOption final : public grpc::ServerBuilderOption {
 public:
  explicit ReflectionOption(bool enabled) : enabled_(enabled) {}
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    auto reflection = std::make_unique<grpc::reflection::ProtoServerReflectionPlugin>();
    const std::string name = reflection->name();
    std::erase_if(*plugins, [&name](const auto& p) { return p->name() == name; });
    if (enabled_) plugins->push_back(std::move(reflection));
  }

 private:
  const bool enabled_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ApiServer>> ApiServer::Start(const ApiServerOptions& options,
                                                            TokenServiceImpl* service,
                                                            ops::Metrics* metrics) {
  std::unique_ptr<ApiServer> api(new ApiServer());
  static const common::RealClock kClock;
  absl::StatusOr<std::unique_ptr<PeerCertificateCheck>> per_call_check =
      PeerCertificateCheck::New(options.tls.client_ca_file, options.tls.reload_interval, &kClock);
  if (!per_call_check.ok()) return per_call_check.status();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(
      options.listen, MakeServerCredentials(options.tls, *std::move(per_call_check)), &api->port_);
  builder.RegisterService(service);
  builder.SetOption(std::make_unique<ReflectionOption>(options.reflection));
  builder.SetMaxReceiveMessageSize(kMaxRequestBytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                             GrpcMillis(options.max_connection_age));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                             GrpcMillis(options.max_connection_age_grace));
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
                             GrpcMillis(options.handshake_timeout));
  // Keepalive pings are welcome only while calls are in flight, one per
  // kMinPingInterval; a client that pings more often, or again while idle,
  // more than kMaxPingStrikes times before the server next sends it
  // anything, gets GOAWAY (too_many_pings). Why: an idle connection kept
  // open by pings outlives any use it had (and the trust it was opened
  // with), and pings cost the server work that no call accounts for.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             GrpcMillis(kMinPingInterval));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, kMaxPingStrikes);
  // gRPC sets SO_REUSEPORT by default: a second tokend on the same address
  // would then start "successfully" and silently take half the connections.
  // A port in use must be a start-up error instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  if (options.max_concurrent_streams > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, options.max_concurrent_streams);
  }
  builder.experimental().SetInterceptorCreators(MakeServerInterceptors(
      metrics, [service](const grpc::AuthContext& auth, absl::string_view method) {
        return service->AuthorizeMethod(auth, method);
      }));
  api->server_ = builder.BuildAndStart();
  if (api->server_ == nullptr || api->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("listen: cannot serve on \"", options.listen, "\""));
  }
  api->can_serve_ = options.can_serve;
  api->service_ = service;
  api->UpdateHealth();
  api->health_ = std::thread([api = api.get()] {
    while (!api->stop_health_.WaitForNotificationWithTimeout(absl::Milliseconds(250))) {
      api->UpdateHealth();
    }
  });
  return api;
}

ApiServer::~ApiServer() {
  stop_health_.Notify();
  if (health_.joinable()) health_.join();
}

void ApiServer::UpdateHealth() {
  const bool serving = !draining_.load() && (!can_serve_ || can_serve_());
  absl::MutexLock lock(&mu_);
  if (serving_ == serving) return;
  serving_ = serving;
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  health->SetServingStatus("", serving);
  health->SetServingStatus(kHealthServiceName, serving);
}

void ApiServer::Drain(absl::Duration delay, absl::Duration grace) {
  draining_.store(true);
  UpdateHealth();
  service_->StopWatches();
  // Endpoints and balancers notice NOT_SERVING / 503 only on their next
  // probe; until then new calls still arrive and are still answered.
  absl::SleepFor(delay);
  absl::Notification drained;
  std::thread watchdog([&drained, grace] {
    if (drained.WaitForNotificationWithTimeout(grace + absl::Milliseconds(200))) return;
    common::Log(common::LogLevel::kWarning,
                "shutdown_grace passed with calls still waiting for the database; "
                "exiting without them");
    std::_Exit(0);
  });
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server_->Wait();
  drained.Notify();
  watchdog.join();
}

}  // namespace tokend::rpc
