// tokend_bench_noop_server: the baseline of the load benchmark. It serves one
// no-op unary RPC over the same mutual-TLS credentials code as tokend
// (rpc::MakeServerCredentials), with the same gRPC callback API and the same
// server options, answering inline on gRPC's thread exactly as
// TokenServiceImpl answers a CPU-only call. Whatever a tokend RPC costs beyond
// this server's call is tokend's own work.
//
//   tokend_bench_noop_server --listen 127.0.0.1:0 --cert F --key F --ca F
// prints "port=<n>" on stdout once serving, then serves until SIGTERM/SIGINT.
// With --interceptors 1 it also installs tokend's server interceptors and
// metrics (rpc::MakeServerInterceptors), and with --peer_check 1 tokend's
// per-call client certificate check (rpc::PeerCertificateCheck), to measure
// what each costs per call.

#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "noop.grpc.pb.h"
#include "ops/metrics.h"
#include "rpc/interceptors.h"
#include "rpc/peer_certificate_check.h"
#include "rpc/server_credentials.h"

namespace {

class NoopService final : public tokend::bench::Noop::CallbackService {
  grpc::ServerUnaryReactor* Call(grpc::CallbackServerContext* context,
                                 const tokend::bench::NoopRequest* /*request*/,
                                 tokend::bench::NoopResponse* /*response*/) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

int Usage() {
  std::fprintf(stderr,
               "usage: tokend_bench_noop_server --listen ADDR --cert FILE --key FILE --ca FILE"
               " [--interceptors 0|1] [--peer_check 0|1] [--connection_limits 0|1]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // As tokend's main.cc does: the baseline must run the same gRPC stack,
  // whose mutexes are absl::Mutex, with the same process-wide settings.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  std::string listen = "127.0.0.1:0";
  bool interceptors = false;
  bool peer_check = false;
  bool connection_limits = false;
  tokend::rpc::TlsFiles files;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--listen") {
      listen = value;
    } else if (flag == "--cert") {
      files.cert_file = value;
    } else if (flag == "--key") {
      files.key_file = value;
    } else if (flag == "--ca") {
      files.client_ca_file = value;
    } else if (flag == "--interceptors") {
      interceptors = value == "1";
    } else if (flag == "--peer_check") {
      peer_check = value == "1";
    } else if (flag == "--connection_limits") {
      connection_limits = value == "1";
    } else {
      return Usage();
    }
  }
  if (argc % 2 != 1) return Usage();
  if (absl::Status s = tokend::rpc::CheckTlsFiles(files); !s.ok()) {
    std::fprintf(stderr, "noop server: %s\n", std::string(s.message()).c_str());
    return 1;
  }

  static const tokend::common::RealClock kClock;
  std::shared_ptr<tokend::rpc::PeerCertificateCheck> check;
  if (peer_check) {
    absl::StatusOr<std::unique_ptr<tokend::rpc::PeerCertificateCheck>> made =
        tokend::rpc::PeerCertificateCheck::New(files.client_ca_file, files.reload_interval,
                                               &kClock);
    if (!made.ok()) {
      std::fprintf(stderr, "noop server: %s\n", std::string(made.status().message()).c_str());
      return 1;
    }
    check = *std::move(made);
  }

  NoopService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, tokend::rpc::MakeServerCredentials(files, check), &port);
  builder.RegisterService(&service);
  // The same options as tokend's API port (server/rpc/api_server.cc); the
  // connection limits (age, handshake, keepalive) do not touch a short run.
  builder.SetMaxReceiveMessageSize(64 * 1024);
  if (connection_limits) {
    // tokend's defaults (api_server.cc), to measure what they cost a call.
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, 30 * 60 * 1000);
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, 30 * 1000);
    builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, 5 * 1000);
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 256);
  }
  tokend::ops::Metrics metrics;
  if (interceptors) {
    builder.experimental().SetInterceptorCreators(tokend::rpc::MakeServerInterceptors(&metrics));
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "noop server: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  std::printf("port=%d\n", port);
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  server->Shutdown();
  server->Wait();
  return 0;
}
