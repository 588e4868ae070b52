#ifndef TOKEND_TESTS_CHAOS_HISTORY_H_
#define TOKEND_TESTS_CHAOS_HISTORY_H_

// The history of a chaos run: every call the clients made with its outcome,
// the tokens and refresh families they were about, the revocations the
// server acknowledged (and those whose outcome is in doubt), the faults the
// nemesis injected, and the violations found. Thread-safe: workers and the
// nemesis record concurrently.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tokend::chaos {

inline constexpr int kReplicas = 2;
// The name of replica `index` in reports ("A", "B").
std::string ReplicaName(int index);

enum class CallKind {
  kIssue,         // without a refresh token
  kIssueRefresh,  // with a refresh token: creates a family
  kRefresh,
  kRevokeToken,
  kRevokeSubject,
  kIntrospect,
};
inline constexpr int kCallKinds = 6;
std::string CallKindName(CallKind kind);

// Whether a caller may repeat a call that answered `code` (api.md: the
// answer may have been lost, or the replica was momentarily short).
bool IsRetryable(absl::StatusCode code);

// One call as a client saw it. Ids are the index in the history (from 1).
struct Call {
  int64_t id = 0;
  int worker = 0;  // -1: the nemesis' probes and the final checks
  CallKind kind = CallKind::kIssue;
  int replica = 0;
  absl::Time start;
  absl::Time end;
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string message;
  int64_t retry_of = 0;  // the first call of a chain of repeats with the same input
  int64_t access = -1;   // the access token it names or made
  int64_t family = -1;   // the refresh family it names or made
  std::string subject;   // Issue, Revoke{subject}: the subject
  bool active = false;   // Introspect answered OK: its answer
};

// An access token a client holds.
struct AccessToken {
  std::string text;
  std::string subject;
  int64_t family = -1;  // -1: issued without a refresh token
};

// A fault the nemesis injected.
enum class FaultKind {
  kKillReplica,
  kKillPostgres,
  kCutProxy,
  kDelayProxy,
  kCutAfterCommit,
};
inline constexpr int kFaultKinds = 5;
std::string FaultKindName(FaultKind kind);

class History {
 public:
  History();

  absl::Time started() const { return started_; }
  // "+12.345s" since the run started.
  std::string At(absl::Time t) const;

  // Appends `call` (its id is set here) and returns the id. A call answered
  // INTERNAL or UNKNOWN is a violation at once.
  int64_t Record(Call call);
  Call Get(int64_t id) const;

  int64_t AddAccessToken(AccessToken token);
  AccessToken GetAccessToken(int64_t id) const;
  // A new family of `subject`.
  int64_t AddFamily(const std::string& subject);

  // A revocation was sent (first attempt at `sent`): from then on its
  // target may be inactive. Targets: an access token, a family, a subject.
  void RevocationSent(int64_t access, int64_t family, const std::string& subject, absl::Time sent);
  // The revocation of that target answered OK in call `call`.
  void RevocationAcknowledged(int64_t access, int64_t family, const std::string& subject,
                              int64_t call);
  // Whether a revocation that covers `token` was sent before `before`.
  bool MayBeRevoked(const AccessToken& token, absl::Time before) const;
  bool FamilyMayBeRevoked(int64_t family, absl::Time before) const;
  // Access tokens covered by an acknowledged revocation (for the final checks).
  std::vector<int64_t> RevokedAccessTokens() const;

  // Records a fault (and prints it with its time).
  void Fault(FaultKind kind, const std::string& detail);
  // Replica `replica` could not reach PostgreSQL normally (its proxy cut or
  // slowed, PostgreSQL down) from `from` to `to`: no replica can learn of a
  // revocation over a link that is down, so the propagation bound counts
  // from the link's repair (a replica that stays cut off longer than
  // revocation_max_staleness stops vouching instead).
  void Impaired(int replica, absl::Time from, absl::Time to);
  // A violation of the contract, naming the call that shows it (0: none).
  void Violation(int64_t call, const std::string& what);
  // The checks that need the whole history: every Introspect against the
  // acknowledged revocations (in effect on the replica that acknowledged at
  // once, on the other within `propagation` of the acknowledgement or of the
  // end of an impairment of its link that overlaps that time; a token nobody
  // revoked is active).
  void CheckIntrospections(absl::Duration propagation);

  // Calls per kind and outcome, faults per kind, violations (each naming its
  // call). Returns the number of violations.
  int PrintReport(std::ostream& out) const;
  int violations() const;

 private:
  struct Revocation {
    absl::Time first_sent = absl::InfiniteFuture();
    int64_t acknowledged_by = 0;  // the call that answered OK
  };
  std::string Describe(const Call& call) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  const Revocation* Find(int64_t access, int64_t family, const std::string& subject) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  std::vector<const Revocation*> Covering(const AccessToken& token) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const absl::Time started_;
  mutable absl::Mutex mu_;
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
  std::vector<AccessToken> access_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> family_subject_ ABSL_GUARDED_BY(mu_);
  std::map<int64_t, Revocation> revoked_access_ ABSL_GUARDED_BY(mu_);
  std::map<int64_t, Revocation> revoked_family_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Revocation> revoked_subject_ ABSL_GUARDED_BY(mu_);
  // The time by which the revocation acknowledged by `ack` must be in
  // effect on `replica`.
  absl::Time DueOn(int replica, const Call& ack, absl::Duration propagation) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  int faults_[kFaultKinds] ABSL_GUARDED_BY(mu_) = {};
  std::vector<std::pair<absl::Time, absl::Time>> impaired_[kReplicas] ABSL_GUARDED_BY(mu_);
  std::vector<std::string> violations_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tokend::chaos

#endif  // TOKEND_TESTS_CHAOS_HISTORY_H_
