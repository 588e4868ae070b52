#include "jwt/verified_token_cache.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "crypto/hash.h"

namespace tokend::jwt {
namespace {

// One malloc block holding `n` bytes, as glibc counts it.
size_t Block(size_t n) { return std::max<size_t>(32, (n + 8 + 15) / 16 * 16); }

size_t HeapOf(const std::string& s) {
  // Short strings live inside the object (libstdc++ keeps up to 15 chars).
  return s.capacity() > 15 ? Block(s.capacity() + 1) : 0;
}

size_t HeapOf(const std::vector<std::string>& v) {
  size_t n = v.capacity() > 0 ? Block(v.capacity() * sizeof(std::string)) : 0;
  for (const std::string& s : v) n += HeapOf(s);
  return n;
}

}  // namespace

size_t VerifiedTokenCache::EntryBytes(const jwt::Claims& claims) {
  // make_shared's one block: the control block (two counts and a vtable
  // pointer) beside the claims.
  size_t n = Block(sizeof(jwt::Claims) + 16);
  for (const std::string* s : {&claims.issuer, &claims.subject, &claims.token_id, &claims.client_id,
                               &claims.session_id, &claims.custom_claims_json}) {
    n += HeapOf(*s);
  }
  n += HeapOf(claims.audience) + HeapOf(claims.scopes);
  // The map's slot (twice: a table is at most 7/8 full and doubles as it
  // grows, and it never shrinks) and control byte, and the insertion queue's
  // copy of the digest.
  n += 2 * (sizeof(std::pair<const Digest, Entry>) + 1) + sizeof(Digest);
  return n;
}

VerifiedTokenCache::VerifiedTokenCache(size_t capacity, size_t max_bytes)
    : capacity_per_shard_(std::max<size_t>(1, (capacity + kShards - 1) / kShards)),
      bytes_per_shard_(max_bytes / kShards) {}

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
  const size_t bytes = EntryBytes(*claims);
  std::vector<std::shared_ptr<const jwt::Claims>> evicted;  // released outside the lock
  Shard& shard = ShardFor(digest);
  absl::MutexLock lock(&shard.mu);
  auto [it, inserted] = shard.entries.try_emplace(digest);
  evicted.push_back(std::exchange(it->second.claims, std::move(claims)));
  it->second.keep_until = until;
  shard.bytes += bytes - (inserted ? 0 : it->second.bytes);
  it->second.bytes = bytes;
  if (inserted) shard.insertion_order.push_back(digest);
  // Oldest first: every entry beyond the capacity goes. (Tokens are issued
  // with similar lifetimes, so the oldest insertions are also the first to
  // expire.)
  while ((shard.entries.size() > capacity_per_shard_ || shard.bytes > bytes_per_shard_) &&
         !shard.insertion_order.empty()) {
    auto oldest = shard.entries.find(shard.insertion_order.front());
    shard.insertion_order.pop_front();
    if (oldest != shard.entries.end()) {
      shard.bytes -= oldest->second.bytes;
      evicted.push_back(std::move(oldest->second.claims));
      shard.entries.erase(oldest);
    }
  }
}

size_t VerifiedTokenCache::bytes() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    absl::ReaderMutexLock lock(&shard.mu);
    n += shard.bytes;
  }
  return n;
}

size_t VerifiedTokenCache::size() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    absl::ReaderMutexLock lock(&shard.mu);
    n += shard.entries.size();
  }
  return n;
}

}  // namespace tokend::jwt
