#include "service/verified_token_cache.h"

#include <algorithm>
#include <utility>

#include "crypto/hash.h"

namespace tokend::service {

VerifiedTokenCache::VerifiedTokenCache(size_t capacity)
    : capacity_per_shard_(std::max<size_t>(1, (capacity + kShards - 1) / kShards)) {}

std::shared_ptr<const jwt::Claims> VerifiedTokenCache::Find(absl::string_view token,
                                                            absl::Time now) const {
  const Digest digest = crypto::Sha256Digest(token);
  Shard& shard = ShardFor(digest);
  absl::ReaderMutexLock lock(&shard.mu);
  auto it = shard.entries.find(digest);
  if (it == shard.entries.end() || absl::ToUnixSeconds(now) >= it->second.keep_until) {
    return nullptr;
  }
  return it->second.claims;
}

void VerifiedTokenCache::Put(absl::string_view token, std::shared_ptr<const jwt::Claims> claims,
                             absl::Time keep_until) {
  const Digest digest = crypto::Sha256Digest(token);
  const int64_t until = absl::ToUnixSeconds(keep_until);
  std::shared_ptr<const jwt::Claims> evicted;  // released outside the lock
  Shard& shard = ShardFor(digest);
  absl::MutexLock lock(&shard.mu);
  auto [it, inserted] = shard.entries.try_emplace(digest);
  evicted = std::exchange(it->second.claims, std::move(claims));
  it->second.keep_until = until;
  if (!inserted) return;  // already in insertion_order
  shard.insertion_order.push_back(digest);
  // Oldest first: every entry beyond the capacity goes. (Tokens are issued
  // with similar lifetimes, so the oldest insertions are also the first to
  // expire.)
  while (shard.entries.size() > capacity_per_shard_ && !shard.insertion_order.empty()) {
    auto oldest = shard.entries.find(shard.insertion_order.front());
    shard.insertion_order.pop_front();
    if (oldest != shard.entries.end()) {
      evicted = std::move(oldest->second.claims);
      shard.entries.erase(oldest);
    }
  }
}

size_t VerifiedTokenCache::size() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    absl::ReaderMutexLock lock(&shard.mu);
    n += shard.entries.size();
  }
  return n;
}

}  // namespace tokend::service
