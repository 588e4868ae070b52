#include "tests/chaos/history.h"

#include <iostream>
#include <ostream>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace tokend::chaos {

std::string ReplicaName(int index) { return index == 0 ? "A" : "B"; }

std::string CallKindName(CallKind kind) {
  switch (kind) {
    case CallKind::kIssue:
      return "Issue";
    case CallKind::kIssueRefresh:
      return "Issue+refresh";
    case CallKind::kRefresh:
      return "Refresh";
    case CallKind::kRevokeToken:
      return "Revoke{token}";
    case CallKind::kRevokeSubject:
      return "Revoke{subject}";
    case CallKind::kIntrospect:
      return "Introspect";
  }
  return "?";
}

std::string FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kKillReplica:
      return "SIGKILL+restart of a replica";
    case FaultKind::kKillPostgres:
      return "SIGKILL+restart of PostgreSQL";
    case FaultKind::kCutProxy:
      return "proxy cut, then restored";
    case FaultKind::kDelayProxy:
      return "proxy delay past call deadlines";
    case FaultKind::kCutAfterCommit:
      return "connection cut after a commit";
  }
  return "?";
}

bool IsRetryable(absl::StatusCode code) {
  // RESOURCE_EXHAUSTED: a limit, answered at once with nothing written.
  return code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded ||
         code == absl::StatusCode::kResourceExhausted;
}

History::History() : started_(absl::Now()) {}

std::string History::At(absl::Time t) const {
  return absl::StrFormat("+%.3fs", absl::ToDoubleSeconds(t - started_));
}

int64_t History::Record(Call call) {
  absl::MutexLock lock(&mu_);
  call.id = static_cast<int64_t>(calls_.size()) + 1;
  calls_.push_back(call);
  if (call.code == absl::StatusCode::kInternal || call.code == absl::StatusCode::kUnknown) {
    violations_.push_back(
        absl::StrCat("answered ", absl::StatusCodeToString(call.code), ": ", Describe(call)));
  }
  return call.id;
}

Call History::Get(int64_t id) const {
  absl::ReaderMutexLock lock(&mu_);
  return calls_.at(static_cast<size_t>(id - 1));
}

int64_t History::AddAccessToken(AccessToken token) {
  absl::MutexLock lock(&mu_);
  access_.push_back(std::move(token));
  return static_cast<int64_t>(access_.size()) - 1;
}

AccessToken History::GetAccessToken(int64_t id) const {
  absl::ReaderMutexLock lock(&mu_);
  return access_.at(static_cast<size_t>(id));
}

int64_t History::AddFamily(const std::string& subject) {
  absl::MutexLock lock(&mu_);
  family_subject_.push_back(subject);
  return static_cast<int64_t>(family_subject_.size()) - 1;
}

void History::RevocationSent(int64_t access, int64_t family, const std::string& subject,
                             absl::Time sent) {
  absl::MutexLock lock(&mu_);
  Revocation* r = access >= 0   ? &revoked_access_[access]
                  : family >= 0 ? &revoked_family_[family]
                                : &revoked_subject_[subject];
  r->first_sent = std::min(r->first_sent, sent);
}

void History::RevocationAcknowledged(int64_t access, int64_t family, const std::string& subject,
                                     int64_t call) {
  absl::MutexLock lock(&mu_);
  Revocation* r = access >= 0   ? &revoked_access_[access]
                  : family >= 0 ? &revoked_family_[family]
                                : &revoked_subject_[subject];
  if (r->acknowledged_by == 0) r->acknowledged_by = call;
}

const History::Revocation* History::Find(int64_t access, int64_t family,
                                         const std::string& subject) const {
  if (access >= 0) {
    auto it = revoked_access_.find(access);
    return it == revoked_access_.end() ? nullptr : &it->second;
  }
  if (family >= 0) {
    auto it = revoked_family_.find(family);
    return it == revoked_family_.end() ? nullptr : &it->second;
  }
  auto it = revoked_subject_.find(subject);
  return it == revoked_subject_.end() ? nullptr : &it->second;
}

std::vector<const History::Revocation*> History::Covering(const AccessToken& token) const {
  std::vector<const Revocation*> out;
  for (const Revocation* r :
       {Find(-1, -1, token.subject), token.family >= 0 ? Find(-1, token.family, "") : nullptr}) {
    if (r != nullptr) out.push_back(r);
  }
  return out;
}

bool History::MayBeRevoked(const AccessToken& token, absl::Time before) const {
  absl::ReaderMutexLock lock(&mu_);
  for (const Revocation* r : Covering(token)) {
    if (r->first_sent < before) return true;
  }
  return false;
}

bool History::FamilyMayBeRevoked(int64_t family, absl::Time before) const {
  absl::ReaderMutexLock lock(&mu_);
  const Revocation* by_family = Find(-1, family, "");
  const Revocation* by_subject = Find(-1, -1, family_subject_.at(static_cast<size_t>(family)));
  return (by_family != nullptr && by_family->first_sent < before) ||
         (by_subject != nullptr && by_subject->first_sent < before);
}

std::vector<int64_t> History::RevokedAccessTokens() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<int64_t> out;
  for (size_t i = 0; i < access_.size(); ++i) {
    std::vector<const Revocation*> covering = Covering(access_[i]);
    if (const Revocation* own = Find(static_cast<int64_t>(i), -1, "")) covering.push_back(own);
    for (const Revocation* r : covering) {
      if (r->acknowledged_by != 0) {
        out.push_back(static_cast<int64_t>(i));
        break;
      }
    }
  }
  return out;
}

void History::Fault(FaultKind kind, const std::string& detail) {
  absl::MutexLock lock(&mu_);
  ++faults_[static_cast<int>(kind)];
  std::cerr << "[chaos] " << At(absl::Now()) << " fault: " << FaultKindName(kind) << " (" << detail
            << ")\n";
}

void History::Impaired(int replica, absl::Time from, absl::Time to) {
  absl::MutexLock lock(&mu_);
  impaired_[replica].emplace_back(from, to);
}

absl::Time History::DueOn(int replica, const Call& ack, absl::Duration propagation) const {
  if (ack.replica == replica) return ack.end;
  absl::Time due = ack.end + propagation;
  for (bool moved = true; moved;) {
    moved = false;
    for (const auto& [from, to] : impaired_[replica]) {
      if (from <= due && to + propagation > due) {
        due = to + propagation;
        moved = true;
      }
    }
  }
  return due;
}

void History::Violation(int64_t call, const std::string& what) {
  absl::MutexLock lock(&mu_);
  violations_.push_back(call == 0 ? what : absl::StrCat(what, ": ", Describe(calls_.at(call - 1))));
}

std::string History::Describe(const Call& call) const {
  std::string out =
      absl::StrCat("#", call.id, " ", CallKindName(call.kind), " via ", ReplicaName(call.replica),
                   " (worker ", call.worker, ") at ", At(call.start), "..", At(call.end), " -> ",
                   absl::StatusCodeToString(call.code));
  if (call.kind == CallKind::kIntrospect && call.code == absl::StatusCode::kOk) {
    absl::StrAppend(&out, call.active ? " active" : " inactive");
  }
  if (!call.message.empty()) absl::StrAppend(&out, " \"", call.message, "\"");
  if (call.retry_of != 0) absl::StrAppend(&out, ", repeat of #", call.retry_of);
  if (call.family >= 0) absl::StrAppend(&out, ", family ", call.family);
  if (call.access >= 0) absl::StrAppend(&out, ", access token ", call.access);
  if (!call.subject.empty()) absl::StrAppend(&out, ", subject ", call.subject);
  return out;
}

void History::CheckIntrospections(absl::Duration propagation) {
  absl::MutexLock lock(&mu_);
  std::set<std::pair<int64_t, int>> reported;
  for (const Call& call : calls_) {
    if (call.kind != CallKind::kIntrospect || call.code != absl::StatusCode::kOk) continue;
    const AccessToken& token = access_.at(static_cast<size_t>(call.access));
    std::vector<const Revocation*> covering = Covering(token);
    if (const Revocation* own = Find(call.access, -1, "")) covering.push_back(own);
    if (call.active) {
      for (const Revocation* r : covering) {
        if (r->acknowledged_by == 0) continue;
        const Call& ack = calls_.at(r->acknowledged_by - 1);
        const absl::Time due = DueOn(call.replica, ack, propagation);
        // One line per revocation and replica: the first late answer.
        if (call.start > due && reported.insert({ack.id, call.replica}).second) {
          violations_.push_back(
              absl::StrCat("a revoked token is active ", absl::FormatDuration(call.start - ack.end),
                           " after the Revoke's OK (#", ack.id, " via ", ReplicaName(ack.replica),
                           " at ", At(ack.end), ", due by ", At(due), "): ", Describe(call)));
          break;
        }
      }
    } else {
      bool excused = false;
      for (const Revocation* r : covering) excused = excused || r->first_sent < call.end;
      if (!excused) {
        violations_.push_back(absl::StrCat("a token nobody revoked is inactive: ", Describe(call)));
      }
    }
  }
}

int History::violations() const {
  absl::ReaderMutexLock lock(&mu_);
  return static_cast<int>(violations_.size());
}

int History::PrintReport(std::ostream& out) const {
  absl::ReaderMutexLock lock(&mu_);
  std::map<std::pair<CallKind, absl::StatusCode>, int> outcomes;
  int repeats = 0;
  for (const Call& call : calls_) {
    ++outcomes[{call.kind, call.code}];
    if (call.retry_of != 0) ++repeats;
  }
  out << "[chaos] calls: " << calls_.size() << " (" << repeats
      << " of them repeats of an earlier call's request), over "
      << absl::FormatDuration(absl::Trunc(absl::Now() - started_, absl::Seconds(1))) << "\n";
  for (int k = 0; k < kCallKinds; ++k) {
    const auto kind = static_cast<CallKind>(k);
    std::string line;
    int total = 0;
    for (const auto& [key, n] : outcomes) {
      if (key.first != kind) continue;
      total += n;
      absl::StrAppend(&line, " ", absl::StatusCodeToString(key.second), "=", n);
    }
    out << absl::StrFormat("[chaos]   %-16s %6d:%s\n", CallKindName(kind), total, line);
  }
  int faults = 0;
  for (int n : faults_) faults += n;
  out << "[chaos] faults injected: " << faults << "\n";
  for (int k = 0; k < kFaultKinds; ++k) {
    out << absl::StrFormat("[chaos]   %-34s %4d\n", FaultKindName(static_cast<FaultKind>(k)),
                           faults_[k]);
  }
  out << "[chaos] violations: " << violations_.size() << "\n";
  // By kind: the text before its first ':', numbers and times left out.
  std::map<std::string, int> kinds;
  for (const std::string& v : violations_) {
    std::string kind;
    for (char c : v.substr(0, v.find(':'))) {
      if (absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '.') {
        if (kind.empty() || kind.back() != 'N') kind += 'N';
      } else {
        kind += c;
      }
    }
    ++kinds[kind];
  }
  for (const auto& [kind, n] : kinds) out << absl::StrFormat("[chaos]   %5d x %s\n", n, kind);
  constexpr size_t kShown = 50;
  for (size_t i = 0; i < violations_.size() && i < kShown; ++i) {
    out << "[chaos]   VIOLATION " << violations_[i] << "\n";
  }
  if (violations_.size() > kShown) {
    out << "[chaos]   ... and " << violations_.size() - kShown << " more\n";
  }
  return static_cast<int>(violations_.size());
}

}  // namespace tokend::chaos
