#ifndef TOKEND_CLIENT_TOKEN_CLIENT_H_
#define TOKEND_CLIENT_TOKEN_CLIENT_H_

#include <grpcpp/channel.h>
#include <grpcpp/support/status.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.pb.h"
#include "tokend/v1/token_service.grpc.pb.h"

namespace tokend::client {

// How to reach a tokend server over mutual TLS.
struct ClientOptions {
  // gRPC target, for example "127.0.0.1:8443" or "dns:///tokend:8443".
  std::string target;
  // PEM bundle of the CAs that may sign the server's certificate.
  std::string ca_file;
  // PEM certificate chain and PEM private key this client presents.
  std::string cert_file;
  std::string key_file;
  // Optional: the name the server's certificate must carry, when it differs
  // from the host in target (for example when dialling an IP address).
  std::string server_name_override;
  // Deadline of every call, from the moment it starts.
  absl::Duration timeout = absl::Seconds(5);
  // How often ca_file, cert_file and key_file are re-read. A replaced file is
  // used by the next TLS handshake, so certificates rotate without a restart
  // (whole seconds, at least one).
  absl::Duration certificate_refresh_interval = absl::Minutes(1);
};

// Converts a gRPC status to an absl::Status with the same code and message.
// An OK status becomes absl::OkStatus() (its message, if any, is dropped).
absl::Status FromGrpcStatus(const grpc::Status& status);

// The answer of the standard grpc.health.v1.Health/Check RPC.
enum class ServingStatus {
  kUnknown = 0,
  kServing = 1,
  kNotServing = 2,
  kServiceUnknown = 3,  // only for Watch; listed for completeness
};

// The name used in grpc.health.v1 ("SERVING", "NOT_SERVING", ...).
absl::string_view ServingStatusName(ServingStatus status);

// A client of tokend.v1.TokenService over mutual TLS. Every call carries a
// deadline of options.timeout and does not wait for the channel to become
// ready: when the server cannot be reached or the TLS handshake fails, the
// call fails at once with UNAVAILABLE. Errors keep the server's code and
// message. Thread-safe: calls may run concurrently.
class TokenClient {
 public:
  // Checks options, reads the three PEM files once to report problems early,
  // and creates the channel (connecting lazily, on the first call).
  // Errors: INVALID_ARGUMENT naming the option for an empty target or file
  // option, a non-positive timeout, or a file that holds no PEM block;
  // NOT_FOUND naming the option and path for a missing file;
  // PERMISSION_DENIED for an unreadable one.
  static absl::StatusOr<std::unique_ptr<TokenClient>> New(const ClientOptions& options);

  TokenClient(const TokenClient&) = delete;
  TokenClient& operator=(const TokenClient&) = delete;
  ~TokenClient();

  // The RPCs of tokend.v1.TokenService (see docs/api.md).
  absl::StatusOr<tokend::v1::IssueResponse> Issue(const tokend::v1::IssueRequest& request);
  absl::StatusOr<tokend::v1::RefreshResponse> Refresh(const tokend::v1::RefreshRequest& request);
  absl::StatusOr<tokend::v1::IntrospectResponse> Introspect(
      const tokend::v1::IntrospectRequest& request);
  absl::StatusOr<tokend::v1::RevokeResponse> Revoke(const tokend::v1::RevokeRequest& request);
  absl::StatusOr<tokend::v1::GetJwksResponse> GetJwks(const tokend::v1::GetJwksRequest& request);

  // grpc.health.v1.Health/Check for service ("" asks about the whole
  // server), with the same deadline. Errors: the RPC's status (NOT_FOUND for
  // a service the server does not know; INTERNAL, from gRPC, if the answer
  // does not parse as a HealthCheckResponse).
  absl::StatusOr<ServingStatus> CheckHealth(absl::string_view service = "");

  // The underlying channel, owned by this client.
  grpc::Channel* channel() { return channel_.get(); }

 private:
  TokenClient(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<tokend::v1::TokenService::Stub> stub_;
  absl::Duration timeout_;
};

namespace internal {
// The status a HealthCheckResponse carries; kUnknown for UNKNOWN and for any
// value newer than this client. Exposed for tests.
ServingStatus ToServingStatus(const grpc::health::v1::HealthCheckResponse& response);
}  // namespace internal

}  // namespace tokend::client

#endif  // TOKEND_CLIENT_TOKEN_CLIENT_H_
