#include "store/postgres/pg_revocation_feed.h"

#include <algorithm>
#include <exception>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "store/postgres/connection_pool.h"
#include "store/postgres/sql.h"
#include "store/record_checks.h"

namespace tokend::store::postgres {
namespace {

using common::Log;
using common::LogLevel;

constexpr absl::Duration kPoll = absl::Milliseconds(200);
constexpr absl::Duration kInitialBackoff = absl::Milliseconds(100);
constexpr absl::Duration kMaxBackoff = absl::Seconds(2);
// How far before the previous replay's start an incremental replay reaches:
// a Revoke's row carries the time of its INSERT, and its transaction may
// commit (become visible) a little later.
constexpr absl::Duration kLateCommitMargin = absl::Seconds(30);
constexpr absl::Duration kReplayTimeout = absl::Minutes(5);

// Parses "<kind> <revoked_at us> <expires_at us> <key>" (sql.cc kRevokeMany).
std::optional<Revocation> ParsePayload(absl::string_view payload) {
  // The key, last, keeps its own spaces.
  const std::vector<absl::string_view> parts = absl::StrSplit(payload, absl::MaxSplits(' ', 3));
  if (parts.size() != 4) return std::nullopt;
  int kind = 0;
  int64_t revoked = 0;
  int64_t expires = 0;
  if (!absl::SimpleAtoi(parts[0], &kind) || !IsRevocationKind(kind) ||
      !absl::SimpleAtoi(parts[1], &revoked) || !absl::SimpleAtoi(parts[2], &expires) ||
      parts[3].empty()) {
    return std::nullopt;
  }
  Revocation r;
  r.kind = static_cast<Revocation::Kind>(kind);
  r.key = std::string(parts[3]);
  r.revoked_at = absl::FromUnixMicros(revoked);
  r.expires_at = absl::FromUnixMicros(expires);
  return r;
}

// The text of the exception being handled, for the log (libpq's messages
// name hosts and causes, never SQL or passwords).
std::string CurrentError() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& conn, std::function<void(const std::string&)> on_payload)
      : pqxx::notification_receiver(conn, sql::kRevocationChannel),
        on_payload_(std::move(on_payload)) {}
  void operator()(const std::string& payload, int /*backend_pid*/) override {
    on_payload_(payload);
  }

 private:
  std::function<void(const std::string&)> on_payload_;
};

}  // namespace

PgRevocationFeed::PgRevocationFeed(const DatabaseOptions& listen, PgRevocationStore* store,
                                   absl::Duration resync_interval, const common::Clock* clock)
    : dsn_(EffectiveDsn(listen)), store_(store), resync_interval_(resync_interval), clock_(clock) {}

PgRevocationFeed::~PgRevocationFeed() { Stop(); }

absl::Status PgRevocationFeed::Start(std::function<void(const Revocation&)> deliver) {
  if (thread_.joinable()) return absl::FailedPreconditionError("revocation feed already started");
  if (!dsn_.ok()) return dsn_.status();
  absl::StatusOr<absl::Time> read = store_->ForEachRecordedAfter(
      absl::InfinitePast(), clock_->Now(), deliver, absl::Now() + kReplayTimeout);
  if (!read.ok()) return read.status();
  first_replay_after_ = *read;
  deliver_ = std::move(deliver);
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void PgRevocationFeed::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

bool PgRevocationFeed::WaitForStop(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), d);
  return stopping_;
}

void PgRevocationFeed::Run() {
  std::unique_ptr<pqxx::connection> conn;
  std::unique_ptr<Receiver> receiver;
  absl::Duration backoff = kInitialBackoff;
  bool need_full = false;
  bool need_recent = false;
  bool first_connection = true;
  bool announce_listening = false;  // once the replay after a (re)connection is done
  bool failing = false;             // log one line per outage, not per attempt
  absl::Time watermark = first_replay_after_;
  absl::Time next_resync = absl::InfinitePast();

  auto disconnect = [&] {
    listening_ = false;
    receiver.reset();  // before the connection it is registered with
    conn.reset();
  };

  while (!WaitForStop(absl::ZeroDuration())) {
    if (conn == nullptr) {
      try {
        conn = OpenConnection(*dsn_);
        receiver = std::make_unique<Receiver>(*conn, [&](const std::string& payload) {
          std::optional<Revocation> r = ParsePayload(payload);
          if (r.has_value()) {
            deliver_(*r);
          } else {
            need_recent = true;  // too long for NOTIFY (or unparsable): re-read
          }
        });
        // libpqxx swallows a broken connection during LISTEN.
        if (!conn->is_open()) throw pqxx::broken_connection("LISTEN failed");
        // The first connection follows Start's read of every row, so only
        // what that read could not see is replayed; after a reconnection
        // nothing tells what was missed while not listening.
        need_full = !first_connection;
        need_recent = first_connection;
        first_connection = false;
        announce_listening = true;
        backoff = kInitialBackoff;
      } catch (...) {
        if (!failing) {
          Log(LogLevel::kWarning, "revocation feed cannot connect; retrying",
              {{"error", CurrentError()}});
        }
        failing = true;
        disconnect();
        if (WaitForStop(backoff)) break;
        backoff = std::min(backoff * 2, kMaxBackoff);
        continue;
      }
    }

    if (need_full || need_recent || clock_->Now() >= next_resync) {
      const absl::Time after = need_full ? absl::InfinitePast() : watermark - kLateCommitMargin;
      absl::StatusOr<absl::Time> started = store_->ForEachRecordedAfter(
          after, clock_->Now(), deliver_, absl::Now() + kReplayTimeout);
      if (!started.ok()) {
        if (!failing) {
          Log(LogLevel::kWarning, "revocation feed cannot replay; retrying",
              {{"error", started.status().message()}});
        }
        failing = true;
        if (WaitForStop(backoff)) break;
        backoff = std::min(backoff * 2, kMaxBackoff);
        continue;
      }
      watermark = std::max(watermark, *started);
      if (announce_listening) {
        announce_listening = false;
        Log(LogLevel::kInfo, "revocation feed listening");
        listening_ = true;
        failing = false;
      }
      need_full = false;
      need_recent = false;
      next_resync = clock_->Now() + resync_interval_;
    }

    try {
      conn->await_notification(0, absl::ToInt64Microseconds(kPoll));
      if (!conn->is_open()) throw pqxx::broken_connection("connection closed");
    } catch (...) {
      Log(LogLevel::kWarning, "revocation feed lost its connection; reconnecting",
          {{"error", CurrentError()}});
      failing = true;
      disconnect();
    }
  }
  disconnect();
}

}  // namespace tokend::store::postgres
