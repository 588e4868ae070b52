#include "tests/integration/api/watch_test_util.h"

#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace tokend::testing {

std::string CallersYamlWithWatch() {
  const std::string from =
      "    rpcs: [Issue, Refresh, Introspect, Revoke, GetJwks]\n    issue_for_others: true\n";
  std::string yaml = StandardCallersYaml();
  EXPECT_NE(yaml.find(from), std::string::npos) << "the standard policy changed";
  return absl::StrReplaceAll(
      yaml, {{from,
              "    rpcs: [Issue, Refresh, Introspect, Revoke, GetJwks, WatchRevocations]\n"
              "    issue_for_others: true\n"}});
}

std::unique_ptr<TokendServer> StartOrFail(const TokendConfig& config) {
  absl::StatusOr<std::unique_ptr<TokendServer>> server = Bed().StartServer(config);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

std::string TargetOf(const v1::WatchedRevocation& revocation) {
  switch (revocation.target_case()) {
    case v1::WatchedRevocation::kTokenId:
      return "token:" + revocation.token_id();
    case v1::WatchedRevocation::kRefreshFamilyId:
      return "family:" + revocation.refresh_family_id();
    case v1::WatchedRevocation::kSubject:
      return "subject:" + revocation.subject();
    case v1::WatchedRevocation::kSigningKeyId:
      return "signing_key:" + revocation.signing_key_id();
    case v1::WatchedRevocation::TARGET_NOT_SET:
      break;
  }
  return "?";
}

v1::WatchRevocationsRequest ResumeFrom(const v1::RevocationPosition& position) {
  v1::WatchRevocationsRequest request;
  *request.mutable_resume_from() = position;
  return request;
}

RevocationWatcher::RevocationWatcher(std::shared_ptr<grpc::Channel> channel,
                                     const v1::WatchRevocationsRequest& request, bool read_now)
    : stub_(v1::TokenService::NewStub(channel)),
      reader_(stub_->WatchRevocations(&context_, request)) {
  if (read_now) StartReading();
}

RevocationWatcher::~RevocationWatcher() {
  context_.TryCancel();
  if (thread_.joinable()) thread_.join();
}

void RevocationWatcher::StartReading() {
  thread_ = std::thread([this] {
    Response r;
    while (reader_->Read(&r)) {
      absl::MutexLock lock(&mu_);
      queue_.emplace_back(r, absl::Now());
    }
    grpc::Status status = reader_->Finish();
    absl::MutexLock lock(&mu_);
    status_ = status;
  });
}

std::optional<std::pair<RevocationWatcher::Response, absl::Time>> RevocationWatcher::NextWithTime(
    absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return !queue_.empty() || status_.has_value();
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  if (queue_.empty()) return std::nullopt;
  std::pair<Response, absl::Time> r = queue_.front();
  queue_.pop_front();
  return r;
}

std::optional<RevocationWatcher::Response> RevocationWatcher::Next(absl::Duration timeout) {
  std::optional<std::pair<Response, absl::Time>> r = NextWithTime(timeout);
  if (!r.has_value()) return std::nullopt;
  return r->first;
}

std::optional<RevocationWatcher::Response> RevocationWatcher::NextEvent(absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    std::optional<Response> r = Next(give_up - absl::Now());
    if (!r.has_value() || !r->has_heartbeat()) return r;
    last_heartbeat_ = *r;
  }
  return std::nullopt;
}

std::optional<grpc::Status> RevocationWatcher::Ended(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ended = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return status_.has_value(); };
  mu_.AwaitWithTimeout(absl::Condition(&ended), timeout);
  return status_;
}

std::optional<ReadSnapshot> ReadWholeSnapshot(RevocationWatcher& watcher) {
  ReadSnapshot snapshot;
  while (true) {
    std::optional<v1::WatchRevocationsResponse> r = watcher.Next();
    if (!r.has_value()) {
      ADD_FAILURE() << "the snapshot did not complete";
      return std::nullopt;
    }
    if (!r->has_snapshot()) {
      ADD_FAILURE() << "expected a snapshot part, got " << r->ShortDebugString();
      return std::nullopt;
    }
    ++snapshot.parts;
    for (const v1::WatchedRevocation& w : r->snapshot().revocations()) {
      snapshot.revocations.push_back(w);
      snapshot.targets.insert(TargetOf(w));
    }
    snapshot.last = *r;
    if (r->snapshot().complete()) return snapshot;
  }
}

}  // namespace tokend::testing
