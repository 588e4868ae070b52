#include "client/token_client.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace tokend::client {
namespace {

namespace v1 = ::tokend::v1;

// Reads a PEM file named by option `what`, only to report a bad path or
// content now rather than as an opaque handshake failure later.
absl::Status CheckPemFile(absl::string_view what, const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is empty"));
  }
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    const int err = errno;
    const std::string message =
        absl::StrCat(what, ": cannot read ", path, ": ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(message);
    if (err == EACCES) return absl::PermissionDeniedError(message);
    return absl::InvalidArgumentError(message);
  }
  std::string content;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    content.append(buffer, n);
  }
  const bool read_error = std::ferror(file) != 0;
  std::fclose(file);
  if (read_error) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": cannot read ", path));
  }
  if (!absl::StrContains(content, "-----BEGIN ")) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": no PEM block in ", path));
  }
  return absl::OkStatus();
}

// Runs one unary RPC with the client's deadline and converts the result.
template <typename Response, typename Request, typename Method>
absl::StatusOr<Response> Call(v1::TokenService::Stub* stub, Method method, const Request& request,
                              absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  Response response;
  grpc::Status status = (stub->*method)(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

}  // namespace

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  // grpc::StatusCode and absl::StatusCode share the canonical numbering.
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

absl::string_view ServingStatusName(ServingStatus status) {
  switch (status) {
    case ServingStatus::kUnknown:
      return "UNKNOWN";
    case ServingStatus::kServing:
      return "SERVING";
    case ServingStatus::kNotServing:
      return "NOT_SERVING";
    case ServingStatus::kServiceUnknown:
      return "SERVICE_UNKNOWN";
  }
  return "UNKNOWN";
}

absl::StatusOr<std::unique_ptr<TokenClient>> TokenClient::New(const ClientOptions& options) {
  if (options.target.empty()) {
    return absl::InvalidArgumentError("target is empty");
  }
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("timeout must be positive");
  }
  struct PemFile {
    absl::string_view option;
    const std::string& path;
  };
  for (const PemFile& file :
       {PemFile{"ca_file", options.ca_file}, PemFile{"cert_file", options.cert_file},
        PemFile{"key_file", options.key_file}}) {
    if (absl::Status s = CheckPemFile(file.option, file.path); !s.ok()) {
      return s;
    }
  }

  // The provider re-reads the files every refresh interval, so a rotated
  // client certificate (or CA bundle) is used by the next handshake without
  // a restart. Replace the files atomically (rename, or Kubernetes' symlink
  // swap) so a reader never sees a new key with an old certificate.
  const auto refresh_seconds = static_cast<unsigned int>(
      std::max<int64_t>(1, absl::ToInt64Seconds(options.certificate_refresh_interval)));
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      options.key_file, options.cert_file, options.ca_file, refresh_seconds);
  grpc::experimental::TlsChannelCredentialsOptions tls;
  tls.set_certificate_provider(std::move(provider));
  tls.watch_root_certs();
  tls.watch_identity_key_cert_pairs();
  // The server's chain must lead to ca_file (the default, stated here because
  // it is the point) and its certificate must name the host we dial.
  tls.set_verify_server_certs(true);
  tls.set_certificate_verifier(std::make_shared<grpc::experimental::HostNameCertificateVerifier>());
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::experimental::TlsCredentials(tls);
  if (credentials == nullptr) {
    return absl::InternalError("grpc::experimental::TlsCredentials failed");
  }

  grpc::ChannelArguments args;
  if (!options.server_name_override.empty()) {
    args.SetSslTargetNameOverride(options.server_name_override);
  }
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(options.target, credentials, args);
  if (channel == nullptr) {
    return absl::InternalError("grpc::CreateCustomChannel failed");
  }
  return std::unique_ptr<TokenClient>(new TokenClient(std::move(channel), options.timeout));
}

TokenClient::TokenClient(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout)
    : channel_(std::move(channel)), stub_(v1::TokenService::NewStub(channel_)), timeout_(timeout) {}

TokenClient::~TokenClient() = default;

absl::StatusOr<v1::IssueResponse> TokenClient::Issue(const v1::IssueRequest& request) {
  return Call<v1::IssueResponse>(stub_.get(), &v1::TokenService::Stub::Issue, request, timeout_);
}

absl::StatusOr<v1::RefreshResponse> TokenClient::Refresh(const v1::RefreshRequest& request) {
  return Call<v1::RefreshResponse>(stub_.get(), &v1::TokenService::Stub::Refresh, request,
                                   timeout_);
}

absl::StatusOr<v1::IntrospectResponse> TokenClient::Introspect(
    const v1::IntrospectRequest& request) {
  return Call<v1::IntrospectResponse>(stub_.get(), &v1::TokenService::Stub::Introspect, request,
                                      timeout_);
}

absl::StatusOr<v1::RevokeResponse> TokenClient::Revoke(const v1::RevokeRequest& request) {
  return Call<v1::RevokeResponse>(stub_.get(), &v1::TokenService::Stub::Revoke, request, timeout_);
}

absl::StatusOr<v1::GetJwksResponse> TokenClient::GetJwks(const v1::GetJwksRequest& request) {
  return Call<v1::GetJwksResponse>(stub_.get(), &v1::TokenService::Stub::GetJwks, request,
                                   timeout_);
}

absl::StatusOr<ServingStatus> TokenClient::CheckHealth(absl::string_view service) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(std::string(service));
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status =
      grpc::health::v1::Health::NewStub(channel_)->Check(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return internal::ToServingStatus(response);
}

namespace internal {

ServingStatus ToServingStatus(const grpc::health::v1::HealthCheckResponse& response) {
  switch (response.status()) {
    case grpc::health::v1::HealthCheckResponse::SERVING:
      return ServingStatus::kServing;
    case grpc::health::v1::HealthCheckResponse::NOT_SERVING:
      return ServingStatus::kNotServing;
    case grpc::health::v1::HealthCheckResponse::SERVICE_UNKNOWN:
      return ServingStatus::kServiceUnknown;
    default:
      return ServingStatus::kUnknown;  // UNKNOWN, or a value newer than this client
  }
}

}  // namespace internal
}  // namespace tokend::client
