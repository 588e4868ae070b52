#ifndef TOKEND_SERVER_RPC_TOKEN_SERVICE_IMPL_H_
#define TOKEND_SERVER_RPC_TOKEN_SERVICE_IMPL_H_

#include <grpcpp/grpcpp.h>

#include "absl/time/time.h"
#include "common/work_queue.h"
#include "rpc/revocation_watch.h"
#include "service/token_service.h"
#include "tokend/v1/token_service.grpc.pb.h"

namespace tokend::rpc {

// The gRPC face of service::TokenService, on the callback API. Calls that
// only need the CPU (Issue without a refresh token, Introspect of an access
// token, GetJwks) are answered on gRPC's thread at once; calls that wait for
// PostgreSQL run on `database_work`, whose fixed threads and bounded backlog
// cap the load on the database (a full backlog answers UNAVAILABLE). They are
// queued under their caller's id, so callers take turns for the workers and
// a caller with too many calls in flight is answered RESOURCE_EXHAUSTED at
// once, before anything is read or written.
class TokenServiceImpl final : public v1::TokenService::CallbackService {
 public:
  // No pointer is owned; each must outlive the gRPC server. `watchers` may
  // be null: WatchRevocations then answers UNIMPLEMENTED.
  TokenServiceImpl(service::TokenService* service, common::WorkQueue* database_work,
                   RevocationWatchers* watchers = nullptr);

  // Longest a call may wait for the database when its caller set no deadline
  // (or a longer one): a stuck database must not pin threads forever.
  static constexpr absl::Duration kMaxDatabaseWait = absl::Seconds(15);

  grpc::ServerUnaryReactor* Issue(grpc::CallbackServerContext* context,
                                  const v1::IssueRequest* request,
                                  v1::IssueResponse* response) override;
  grpc::ServerUnaryReactor* Refresh(grpc::CallbackServerContext* context,
                                    const v1::RefreshRequest* request,
                                    v1::RefreshResponse* response) override;
  grpc::ServerUnaryReactor* Introspect(grpc::CallbackServerContext* context,
                                       const v1::IntrospectRequest* request,
                                       v1::IntrospectResponse* response) override;
  grpc::ServerUnaryReactor* Revoke(grpc::CallbackServerContext* context,
                                   const v1::RevokeRequest* request,
                                   v1::RevokeResponse* response) override;
  grpc::ServerUnaryReactor* GetJwks(grpc::CallbackServerContext* context,
                                    const v1::GetJwksRequest* request,
                                    v1::GetJwksResponse* response) override;
  // A stream per watcher, on the callback API so that it holds no thread
  // while it waits (revocation_watch.h).
  grpc::ServerWriteReactor<v1::WatchRevocationsResponse>* WatchRevocations(
      grpc::CallbackServerContext* context, const v1::WatchRevocationsRequest* request) override;

  // Ends every WatchRevocations stream (UNAVAILABLE) and refuses new ones:
  // the first step of a shutdown, so that it does not wait for watchers.
  void StopWatches();

  // Whether the caller of `auth` may call the RPC named `method` ("Issue",
  // ...) at all: OK or PERMISSION_DENIED, as the handlers decide before
  // reading a request. OK for a name that is no RPC of this service. For the
  // interceptor that answers requests which did not parse (interceptors.h).
  absl::Status AuthorizeMethod(const grpc::AuthContext& auth, absl::string_view method) const;

 private:
  // Runs `work` on the database queue in `call`'s caller's turn; finishes
  // `reactor` with its status. Answers RESOURCE_EXHAUSTED when that caller
  // already has its limit of calls in flight, UNAVAILABLE when the queue is
  // full, and DEADLINE_EXCEEDED when the deadline passed while the call
  // waited in it, without running `work`.
  void RunOnDatabaseQueue(grpc::ServerUnaryReactor* reactor, const service::AuthorizedCall& call,
                          std::function<grpc::Status()> work);

  service::TokenService* service_;
  common::WorkQueue* database_work_;
  RevocationWatchers* watchers_;
};

}  // namespace tokend::rpc

#endif  // TOKEND_SERVER_RPC_TOKEN_SERVICE_IMPL_H_
