#include "store/postgres/pg_revocation_feed.h"

#include <algorithm>
#include <exception>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "common/log.h"
#include "store/postgres/connection_pool.h"
#include "store/postgres/revocation_notification.h"
#include "store/postgres/sql.h"

namespace tokend::store::postgres {
namespace {

using common::Log;
using common::LogLevel;

// Longest the thread waits for a notification before looking at its timers.
constexpr absl::Duration kPoll = absl::Milliseconds(200);
// How often the view is proven current while the LISTEN session is up: a
// ping (notifications themselves arrive at once).
constexpr absl::Duration kCatchUpInterval = absl::Seconds(1);
// How often the view is read through the pool while the session is down (a
// connection limit, or right after PostgreSQL returns, while the session
// waits out its reconnect backoff): a revocation from another replica then
// takes effect within this plus one read, well under the second the API
// promises; the cost, a read of the last seconds' rows, is paid only then.
constexpr absl::Duration kReadIntervalNotListening = absl::Milliseconds(250);
// Between attempts to open the LISTEN session again.
constexpr absl::Duration kInitialBackoff = absl::Milliseconds(100);
constexpr absl::Duration kMaxBackoff = absl::Seconds(5);
// How far before the previous replay's start an incremental replay reaches:
// a Revoke's row carries the time of its INSERT, and its transaction may
// commit (become visible) a little later.
constexpr absl::Duration kLateCommitMargin = absl::Seconds(30);
// Bounds of one read: the first reads every row, later ones only recent rows.
constexpr absl::Duration kFullReadTimeout = absl::Minutes(5);
constexpr absl::Duration kRecentReadTimeout = absl::Seconds(10);

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
  Receiver(pqxx::connection_base& conn, const std::string& channel,
           std::function<void(const std::string&)> on_payload)
      : pqxx::notification_receiver(conn, channel), on_payload_(std::move(on_payload)) {}
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

void PgRevocationFeed::AlsoListen(std::string channel, std::function<void()> on_notify) {
  extra_channel_ = std::move(channel);
  extra_notify_ = std::move(on_notify);
}

absl::Status PgRevocationFeed::Start(std::function<void(const Revocation&)> deliver,
                                     std::function<void(absl::Time)> caught_up) {
  if (thread_.joinable()) return absl::FailedPreconditionError("revocation feed already started");
  if (!dsn_.ok()) return dsn_.status();
  const absl::Time as_of = clock_->Now();
  absl::StatusOr<absl::Time> read = store_->ForEachRecordedAfter(
      absl::InfinitePast(), as_of, deliver, absl::Now() + kFullReadTimeout);
  if (!read.ok()) return read.status();
  watermark_ = *read;
  deliver_ = std::move(deliver);
  caught_up_ = std::move(caught_up);
  if (caught_up_) caught_up_(as_of);
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

bool PgRevocationFeed::ReadRecent() {
  const absl::Time as_of = clock_->Now();
  absl::StatusOr<absl::Time> started = store_->ForEachRecordedAfter(
      watermark_ - kLateCommitMargin, as_of, deliver_, absl::Now() + kRecentReadTimeout);
  if (!started.ok()) {
    if (!failing_) {
      Log(LogLevel::kWarning, "revocation feed cannot read revocations; retrying",
          {{"error", started.status().message()}});
    }
    failing_ = true;
    return false;
  }
  watermark_ = std::max(watermark_, *started);
  if (caught_up_) caught_up_(as_of);
  return true;
}

void PgRevocationFeed::Run() {
  std::unique_ptr<pqxx::connection> conn;
  std::unique_ptr<Receiver> receiver;
  std::unique_ptr<Receiver> extra_receiver;
  absl::Duration backoff = kInitialBackoff;
  bool need_recent = true;  // what Start's read could not see
  absl::Time next_connect = absl::InfinitePast();
  absl::Time next_catch_up = absl::InfinitePast();
  // By `clock_`, as the resync interval is configured; the other timers
  // are the machine's.
  absl::Time next_resync = clock_->Now() + resync_interval_;

  auto disconnect = [&] {
    listening_ = false;
    receiver.reset();  // before the connection it is registered with
    extra_receiver.reset();
    conn.reset();
  };

  while (!WaitForStop(absl::ZeroDuration())) {
    const absl::Time now = absl::Now();
    if (conn == nullptr && now >= next_connect) {
      try {
        conn = OpenConnection(*dsn_);
        receiver = std::make_unique<Receiver>(
            *conn, sql::kRevocationChannel, [&](const std::string& payload) {
              std::optional<Revocation> r = ParseRevocationNotification(payload);
              if (r.has_value()) {
                deliver_(*r);
              } else {
                need_recent = true;  // too long for NOTIFY (or unparsable): re-read
              }
            });
        if (extra_notify_) {
          extra_receiver = std::make_unique<Receiver>(*conn, extra_channel_,
                                                      [&](const std::string&) { extra_notify_(); });
        }
        // libpqxx swallows a broken connection during LISTEN.
        if (!conn->is_open()) throw pqxx::broken_connection("LISTEN failed");
        if (extra_notify_) extra_notify_();
        // Notifications sent while it was not listening are lost: read
        // what was written since the last read.
        need_recent = true;
        backoff = kInitialBackoff;
      } catch (...) {
        if (!failing_) {
          Log(LogLevel::kWarning, "revocation feed cannot listen; reading through the pool",
              {{"error", CurrentError()}});
        }
        failing_ = true;
        disconnect();
        next_connect = now + backoff;
        backoff = std::min(backoff * 2, kMaxBackoff);
      }
    }

    if (need_recent || clock_->Now() >= next_resync || (conn == nullptr && now >= next_catch_up)) {
      if (ReadRecent()) {
        need_recent = false;
        next_resync = clock_->Now() + resync_interval_;
        next_catch_up = now + (conn == nullptr ? kReadIntervalNotListening : kCatchUpInterval);
        if (conn != nullptr && !listening_) {
          Log(LogLevel::kInfo, "revocation feed listening");
          listening_ = true;
          failing_ = false;
        }
      } else {
        next_catch_up = now + kReadIntervalNotListening;
        next_resync = clock_->Now() + kReadIntervalNotListening;
      }
    }

    if (conn == nullptr) {
      if (WaitForStop(std::min(kPoll, std::max(absl::ZeroDuration(),
                                               std::min(next_connect, next_catch_up) - now)))) {
        break;
      }
      continue;
    }
    try {
      if (listening_ && now >= next_catch_up) {
        // A round trip on the LISTEN session proves it alive, and every
        // notification committed before it was sent arrives before its
        // answer: the view is current as of just before it.
        const absl::Time as_of = clock_->Now();
        pqxx::nontransaction(*conn).exec_prepared(sql::kPing.name);
        conn->get_notifs();
        if (caught_up_) caught_up_(as_of);
        next_catch_up = now + kCatchUpInterval;
      }
      conn->await_notification(0, absl::ToInt64Microseconds(kPoll));
      if (!conn->is_open()) throw pqxx::broken_connection("connection closed");
    } catch (...) {
      Log(LogLevel::kWarning, "revocation feed lost its LISTEN session; reading through the pool",
          {{"error", CurrentError()}});
      failing_ = true;
      disconnect();
      next_connect = now;
    }
  }
  disconnect();
}

}  // namespace tokend::store::postgres
