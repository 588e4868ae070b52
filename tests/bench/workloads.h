#ifndef TOKEND_TESTS_BENCH_WORKLOADS_H_
#define TOKEND_TESTS_BENCH_WORKLOADS_H_

// The RPC mixes of the load benchmark, and the mTLS channels they run on.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "closed_loop.h"
#include "noop.grpc.pb.h"
#include "tokend/v1/token_service.grpc.pb.h"

namespace tokend::bench {

struct TlsClientFiles {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

// `count` channels to `target` over mutual TLS, each with its own TCP
// connection (a private subchannel pool), connected before returning.
// UNAVAILABLE when one does not connect within `connect_timeout`.
absl::StatusOr<std::vector<std::shared_ptr<grpc::Channel>>> MakeChannels(
    const std::string& target, const TlsClientFiles& files, size_t count,
    absl::Duration connect_timeout = absl::Seconds(10));

// What Issue requests carry.
struct IssueShape {
  std::string subject = "bench-user";
  std::string audience = "api://bench";
  std::vector<std::string> scopes = {"bench:read"};
};

// The tokend stubs, one per channel; slot i uses channel i % channels.
class TokenStubs {
 public:
  explicit TokenStubs(const std::vector<std::shared_ptr<grpc::Channel>>& channels);
  v1::TokenService::Stub* ForSlot(size_t slot) { return stubs_[slot % stubs_.size()].get(); }

 private:
  std::vector<std::unique_ptr<v1::TokenService::Stub>> stubs_;
};

// The baseline: Noop/Call with an empty request.
std::unique_ptr<Workload> MakeNoopWorkload(
    const std::vector<std::shared_ptr<grpc::Channel>>& channels, size_t slots);

// Issue, access token only (include_refresh_token false) or with a refresh
// token. With `mint` set, the call stops after `mint->size()` successful
// calls and stores each access token (or, with a refresh token, the
// refresh token) in *mint; that is how the other workloads' tokens are made.
std::unique_ptr<Workload> MakeIssueWorkload(TokenStubs* stubs, size_t slots,
                                            const IssueShape& shape, bool refresh_token,
                                            std::vector<std::string>* mint = nullptr);

// Refresh: every slot redeems its own chain, starting from
// `first_refresh_tokens[slot]` and continuing with each answer's new refresh
// token (durable rotation). A slot whose call fails stops (its chain could
// be broken: reusing the old token would be reuse).
std::unique_ptr<Workload> MakeRefreshWorkload(TokenStubs* stubs,
                                              std::vector<std::string> first_refresh_tokens);

// Introspect. Repeated: a uniformly random token of `tokens` each call.
// Distinct: each token once, in order; the supply running out ends the
// measurement (kExhausted).
std::unique_ptr<Workload> MakeIntrospectWorkload(TokenStubs* stubs, size_t slots,
                                                 const std::vector<std::string>* tokens,
                                                 bool distinct);

// Revoke: each call revokes the next token of `tokens` (each once).
std::unique_ptr<Workload> MakeRevokeWorkload(TokenStubs* stubs, size_t slots,
                                             const std::vector<std::string>* tokens);

// A weighted mix of other workloads: each call goes to one of `parts`, drawn
// at random in proportion to its weight (a random sequence per slot, so the
// proportions hold at any concurrency). A part that has no call for a slot
// (a Refresh chain that broke) is skipped for that call; a part whose supply
// ran out ends the measurement, as it would alone.
struct MixPart {
  std::unique_ptr<Workload> workload;
  double weight = 0;
};
std::unique_ptr<Workload> MakeMixWorkload(std::vector<MixPart> parts, size_t slots);

}  // namespace tokend::bench

#endif  // TOKEND_TESTS_BENCH_WORKLOADS_H_
