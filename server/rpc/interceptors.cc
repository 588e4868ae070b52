#include "rpc/interceptors.h"

#include <grpcpp/server_context.h>
#include <grpcpp/support/interceptor.h>

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "service/policy.h"

namespace tokend::rpc {
namespace {

constexpr absl::string_view kOwnServicePrefix = "/tokend.v1.TokenService/";
// The other services' methods tokend serves (reflection only when it is on).
constexpr absl::string_view kOtherServedMethods[] = {
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
};

class CallInterceptor final : public grpc::experimental::Interceptor {
 public:
  CallInterceptor(grpc::experimental::ServerRpcInfo* info, ops::Metrics* metrics,
                  const MethodAuthorizer* authorize)
      : info_(info),
        method_(info->method()),
        metrics_(metrics),
        authorize_(authorize),
        start_(absl::Now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      // Our handlers never answer UNIMPLEMENTED: for one of our RPCs it is a
      // request that failed to parse before any handler ran. (A method this
      // service does not have keeps gRPC's UNIMPLEMENTED.)
      const std::string rpc = absl::StartsWith(method_, kOwnServicePrefix)
                                  ? method_.substr(kOwnServicePrefix.size())
                                  : std::string();
      if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED &&
          status.error_message().empty() && service::RpcFromName(rpc).has_value()) {
        status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                              absl::StrCat("request: not a valid ", rpc, " request message"));
        // Why: a caller that may not call this RPC at all is told so before
        // anything about its request, as for a request that parsed.
        if (absl::Status allowed = Authorize(rpc); !allowed.ok()) {
          status =
              grpc::Status(grpc::StatusCode::PERMISSION_DENIED, std::string(allowed.message()));
        }
        methods->ModifySendStatus(status);
      }
      if (metrics_ != nullptr) {
        // grpc::StatusCode and absl::StatusCode share the canonical numbering.
        const std::string code =
            absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()));
        metrics_->RecordRpc(ShortMethod(), code.empty() ? "UNKNOWN" : code, absl::Now() - start_);
      }
    }
    methods->Proceed();
  }

 private:
  // The metrics label: the RPC's short name for our service and for the
  // health and reflection services, "unknown" for anything else. Why:
  // method names are chosen by the caller, and each distinct label value is
  // a new series kept forever.
  absl::string_view ShortMethod() const {
    absl::string_view m = method_;
    if (absl::ConsumePrefix(&m, kOwnServicePrefix)) {
      return service::RpcFromName(m).has_value() ? m : "unknown";
    }
    for (absl::string_view served : kOtherServedMethods) {
      if (m == served) return m.substr(m.rfind('/') + 1);
    }
    return "unknown";
  }

  // OK when no authorizer is set or the call has no server context.
  absl::Status Authorize(absl::string_view rpc) {
    if (authorize_ == nullptr || *authorize_ == nullptr) return absl::OkStatus();
    grpc::ServerContextBase* context = info_->server_context();
    if (context == nullptr) return absl::OkStatus();
    std::shared_ptr<const grpc::AuthContext> auth = context->auth_context();
    if (auth == nullptr) return absl::PermissionDeniedError("caller: no client identity");
    absl::Status allowed = (*authorize_)(*auth, rpc);
    if (allowed.ok() || allowed.code() == absl::StatusCode::kPermissionDenied) return allowed;
    return absl::OkStatus();  // not a refusal: the parse failure is the answer
  }

  grpc::experimental::ServerRpcInfo* info_;
  std::string method_;
  ops::Metrics* metrics_;
  const MethodAuthorizer* authorize_;
  absl::Time start_;
};

class CallInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  CallInterceptorFactory(ops::Metrics* metrics, MethodAuthorizer authorize)
      : metrics_(metrics), authorize_(std::move(authorize)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new CallInterceptor(info, metrics_, &authorize_);
  }

 private:
  ops::Metrics* metrics_;
  const MethodAuthorizer authorize_;
};

}  // namespace

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
MakeServerInterceptors(ops::Metrics* metrics, MethodAuthorizer authorize) {
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> out;
  out.push_back(std::make_unique<CallInterceptorFactory>(metrics, std::move(authorize)));
  return out;
}

}  // namespace tokend::rpc
