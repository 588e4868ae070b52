#ifndef TOKEND_TESTS_INTEGRATION_API_WATCH_TEST_UTIL_H_
#define TOKEND_TESTS_INTEGRATION_API_WATCH_TEST_UTIL_H_

// Shared by the WatchRevocations and Verifier integration tests: the policy
// that allows watching, and a watcher that reads a stream on its own thread
// so that a test can wait for the next message with a timeout.

#include <grpcpp/grpcpp.h>

#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tests/integration/api/api_test_util.h"
#include "tokend/v1/token_service.grpc.pb.h"

namespace tokend::testing {

// The standard policy, with WatchRevocations also allowed to the URI caller.
std::string CallersYamlWithWatch();

// Starts tokend with `config`: nullptr and a failed test if it cannot.
std::unique_ptr<TokendServer> StartOrFail(const TokendConfig& config);

// "token:<jti>", "family:<id>", "subject:<s>" or "signing_key:<kid>".
std::string TargetOf(const v1::WatchedRevocation& revocation);

// A request that resumes from `position`.
v1::WatchRevocationsRequest ResumeFrom(const v1::RevocationPosition& position);

// One WatchRevocations call, read on its own thread into a queue; each
// message is kept with the time it arrived.
class RevocationWatcher {
 public:
  using Response = v1::WatchRevocationsResponse;

  // With `read_now` false nothing is read until StartReading(), so that a
  // test can play a watcher whose flow-control window fills.
  RevocationWatcher(std::shared_ptr<grpc::Channel> channel,
                    const v1::WatchRevocationsRequest& request, bool read_now = true);
  ~RevocationWatcher();  // cancels the call
  RevocationWatcher(const RevocationWatcher&) = delete;
  RevocationWatcher& operator=(const RevocationWatcher&) = delete;

  void StartReading();

  // The next message and when it arrived, or nullopt if none comes within
  // `timeout` (or the stream ended).
  std::optional<std::pair<Response, absl::Time>> NextWithTime(
      absl::Duration timeout = absl::Seconds(5));
  std::optional<Response> Next(absl::Duration timeout = absl::Seconds(5));
  // The next message that is not a heartbeat; the heartbeats passed over
  // are remembered in last_heartbeat().
  std::optional<Response> NextEvent(absl::Duration timeout = absl::Seconds(5));
  const std::optional<Response>& last_heartbeat() const { return last_heartbeat_; }

  // The stream's status once it ended (messages still queued stay queued),
  // or nullopt if it did not end within `timeout`.
  std::optional<grpc::Status> Ended(absl::Duration timeout = absl::Seconds(5));

 private:
  std::unique_ptr<v1::TokenService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<Response>> reader_;
  std::thread thread_;
  absl::Mutex mu_;
  std::deque<std::pair<Response, absl::Time>> queue_ ABSL_GUARDED_BY(mu_);
  std::optional<grpc::Status> status_ ABSL_GUARDED_BY(mu_);
  std::optional<Response> last_heartbeat_;
};

// A whole snapshot: its revocations, the same by target, its last message
// and how many parts it came in.
struct ReadSnapshot {
  std::vector<v1::WatchedRevocation> revocations;
  std::set<std::string> targets;
  v1::WatchRevocationsResponse last;
  int parts = 0;
};

// Reads the snapshot that comes next, whole; nullopt and a failed test if
// anything else comes first or it does not complete in time.
std::optional<ReadSnapshot> ReadWholeSnapshot(RevocationWatcher& watcher);

}  // namespace tokend::testing

#endif  // TOKEND_TESTS_INTEGRATION_API_WATCH_TEST_UTIL_H_
