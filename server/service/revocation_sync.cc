#include "service/revocation_sync.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"

namespace tokend::service {

using common::Log;
using common::LogLevel;

RevocationSync::RevocationSync(store::RevocationStore* store, store::RevocationFeed* feed,
                               RevocationSet* set, const common::Clock* clock, Options options)
    : store_(store), feed_(feed), set_(set), clock_(clock), options_(options) {}

RevocationSync::~RevocationSync() { Stop(); }

absl::Status RevocationSync::Start() {
  const absl::Time load_start = absl::Now();
  absl::Status started = feed_->Start([this](const store::Revocation& r) { set_->Add(r); },
                                      [this](absl::Time as_of) { set_->MarkCaughtUp(as_of); });
  if (!started.ok()) return started;
  Log(LogLevel::kInfo, "revocations loaded",
      {{"count", absl::StrCat(set_->size())},
       {"seconds", absl::StrCat(absl::ToDoubleSeconds(absl::Now() - load_start))}});
  housekeeping_ = std::thread([this] { Housekeep(); });
  return absl::OkStatus();
}

void RevocationSync::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (housekeeping_.joinable()) housekeeping_.join();
  feed_->Stop();
}

void RevocationSync::Housekeep() {
  absl::Time next_purge = absl::Now() + options_.purge_every;
  while (!stop_.WaitForNotificationWithTimeout(options_.forget_every)) {
    set_->ForgetExpired(clock_->Now());
    if (absl::Now() < next_purge) continue;
    next_purge = absl::Now() + options_.purge_every;
    absl::StatusOr<int64_t> purged = store_->PurgeExpired(clock_->Now());
    if (!purged.ok()) {
      Log(LogLevel::kWarning, "purge failed", {{"error", purged.status().message()}});
    }
  }
}

}  // namespace tokend::service
