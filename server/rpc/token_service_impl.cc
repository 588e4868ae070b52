#include "rpc/token_service_impl.h"

#include <chrono>
#include <optional>
#include <utility>

#include "rpc/caller_identity.h"
#include "rpc/proto_conversion.h"
#include "rpc/status_mapping.h"

namespace tokend::rpc {
namespace {

using service::RequestContext;
using service::Rpc;

RequestContext MakeRequestContext(grpc::CallbackServerContext* context) {
  RequestContext ctx;
  std::shared_ptr<const grpc::AuthContext> auth = context->auth_context();
  if (auth != nullptr) ctx.caller_id = CallerIdentity(*auth);
  const auto deadline = context->deadline();
  const absl::Time cap = absl::Now() + TokenServiceImpl::kMaxDatabaseWait;
  ctx.deadline = deadline == std::chrono::system_clock::time_point::max()
                     ? cap
                     : std::min(cap, absl::FromChrono(deadline));
  return ctx;
}

// Finishes at once; for the checks that happen before any work.
grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* context,
                                    const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// A stream that ends at once with `status`, before sending anything.
grpc::ServerWriteReactor<v1::WatchRevocationsResponse>* FinishStreamNow(
    const absl::Status& status) {
  class Finished final : public grpc::ServerWriteReactor<v1::WatchRevocationsResponse> {
   public:
    explicit Finished(const grpc::Status& s) { Finish(s); }
    void OnDone() override { delete this; }
  };
  return new Finished(ToGrpcStatus(status));
}

}  // namespace

absl::Status TokenServiceImpl::AuthorizeMethod(const grpc::AuthContext& auth,
                                               absl::string_view method) const {
  std::optional<Rpc> rpc = service::RpcFromName(method);
  if (!rpc.has_value()) return absl::OkStatus();
  RequestContext ctx;
  ctx.caller_id = CallerIdentity(auth);
  return service_->Authorize(ctx, *rpc).status();
}

TokenServiceImpl::TokenServiceImpl(service::TokenService* service, common::WorkQueue* database_work,
                                   RevocationWatchers* watchers)
    : service_(service), database_work_(database_work), watchers_(watchers) {}

void TokenServiceImpl::RunOnDatabaseQueue(grpc::ServerUnaryReactor* reactor,
                                          const service::AuthorizedCall& call,
                                          std::function<grpc::Status()> work) {
  auto task = [reactor, deadline = call.deadline(), work = std::move(work)] {
    if (absl::Now() >= deadline) {
      reactor->Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                   "deadline exceeded while waiting for the database"));
      return;
    }
    reactor->Finish(work());
  };
  switch (database_work_->Submit(call.caller().id, std::move(task))) {
    case common::WorkQueue::Admission::kAccepted:
      return;
    case common::WorkQueue::Admission::kKeyOverLimit:
      // Why not UNAVAILABLE: retrying elsewhere at once would not help; the
      // caller must first wait for its own calls in flight.
      reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                   "caller over its limit of calls in flight; retry with backoff"));
      return;
    case common::WorkQueue::Admission::kFull:
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                   "server busy: too many calls waiting for the database"));
      return;
  }
}

grpc::ServerUnaryReactor* TokenServiceImpl::Issue(grpc::CallbackServerContext* context,
                                                  const v1::IssueRequest* request,
                                                  v1::IssueResponse* response) {
  absl::StatusOr<service::AuthorizedCall> call =
      service_->Authorize(MakeRequestContext(context), Rpc::kIssue);
  if (!call.ok()) return FinishNow(context, call.status());
  absl::StatusOr<service::IssueParams> params = FromProto(*request);
  if (!params.ok()) return FinishNow(context, params.status());
  auto work = [this, call = *call, params = *std::move(params), response]() -> grpc::Status {
    absl::StatusOr<service::IssuedTokens> issued = service_->Issue(call, params);
    if (!issued.ok()) return ToGrpcStatus(issued.status());
    ToProto(*issued, response);
    return grpc::Status::OK;
  };
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (request->include_refresh_token()) {
    RunOnDatabaseQueue(reactor, *call, std::move(work));
  } else {
    reactor->Finish(work());
  }
  return reactor;
}

grpc::ServerUnaryReactor* TokenServiceImpl::Refresh(grpc::CallbackServerContext* context,
                                                    const v1::RefreshRequest* request,
                                                    v1::RefreshResponse* response) {
  absl::StatusOr<service::AuthorizedCall> call =
      service_->Authorize(MakeRequestContext(context), Rpc::kRefresh);
  if (!call.ok()) return FinishNow(context, call.status());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  RunOnDatabaseQueue(
      reactor, *call, [this, call = *call, params = FromProto(*request), response]() {
        absl::StatusOr<service::IssuedTokens> issued = service_->Refresh(call, params);
        if (!issued.ok()) return ToGrpcStatus(issued.status());
        ToProto(*issued, response);
        return grpc::Status::OK;
      });
  return reactor;
}

grpc::ServerUnaryReactor* TokenServiceImpl::Introspect(grpc::CallbackServerContext* context,
                                                       const v1::IntrospectRequest* request,
                                                       v1::IntrospectResponse* response) {
  absl::StatusOr<service::AuthorizedCall> call =
      service_->Authorize(MakeRequestContext(context), Rpc::kIntrospect);
  if (!call.ok()) return FinishNow(context, call.status());
  auto work = [this, call = *call, request, response]() -> grpc::Status {
    absl::StatusOr<service::Introspection> result =
        service_->Introspect(call, request->token(), FromProto(request->token_type_hint()));
    if (!result.ok()) return ToGrpcStatus(result.status());
    ToProto(*result, response);
    return grpc::Status::OK;
  };
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (service::TokenService::ReadsStore(request->token())) {
    RunOnDatabaseQueue(reactor, *call, std::move(work));
  } else {
    reactor->Finish(work());
  }
  return reactor;
}

grpc::ServerUnaryReactor* TokenServiceImpl::Revoke(grpc::CallbackServerContext* context,
                                                   const v1::RevokeRequest* request,
                                                   v1::RevokeResponse* response) {
  absl::StatusOr<service::AuthorizedCall> call =
      service_->Authorize(MakeRequestContext(context), Rpc::kRevoke);
  if (!call.ok()) return FinishNow(context, call.status());
  // Checked here, so that a request that is malformed, beyond the caller's
  // rights or over its rate limit is answered at once, not after a wait.
  absl::StatusOr<service::AdmittedRevoke> admitted =
      service_->AdmitRevoke(*call, FromProto(*request));
  if (!admitted.ok()) return FinishNow(context, admitted.status());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  RunOnDatabaseQueue(reactor, *call, [this, admitted = *std::move(admitted)]() -> grpc::Status {
    return ToGrpcStatus(service_->Revoke(admitted));
  });
  return reactor;
}

grpc::ServerUnaryReactor* TokenServiceImpl::GetJwks(grpc::CallbackServerContext* context,
                                                    const v1::GetJwksRequest* /*request*/,
                                                    v1::GetJwksResponse* response) {
  absl::StatusOr<service::AuthorizedCall> call =
      service_->Authorize(MakeRequestContext(context), Rpc::kGetJwks);
  if (!call.ok()) return FinishNow(context, call.status());
  response->set_jwks_json(service_->Jwks());
  return FinishNow(context, absl::OkStatus());
}

grpc::ServerWriteReactor<v1::WatchRevocationsResponse>* TokenServiceImpl::WatchRevocations(
    grpc::CallbackServerContext* context, const v1::WatchRevocationsRequest* request) {
  absl::StatusOr<service::AuthorizedCall> call =
      service_->Authorize(MakeRequestContext(context), Rpc::kWatchRevocations);
  if (!call.ok()) return FinishStreamNow(call.status());
  if (watchers_ == nullptr) {
    return FinishStreamNow(absl::UnimplementedError("WatchRevocations is not served here"));
  }
  return watchers_->Open(context, *request);
}

void TokenServiceImpl::StopWatches() {
  if (watchers_ != nullptr) watchers_->Stop();
}

}  // namespace tokend::rpc
