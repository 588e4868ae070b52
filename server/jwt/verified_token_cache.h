#ifndef TOKEND_SERVER_JWT_VERIFIED_TOKEN_CACHE_H_
#define TOKEND_SERVER_JWT_VERIFIED_TOKEN_CACHE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "jwt/claims.h"

namespace tokend::jwt {

// The decoded claims of access tokens whose signature has verified, so that
// introspecting the same token again costs a hash lookup instead of a
// signature verification. What is cached is exactly jwt::Decode's result: a
// pure function of the token's bytes and the key ring (which is immutable
// for the life of a TokenService, and so of its cache). Nothing else is
// cached: the time checks (jwt::Validate) and the revocation check run on
// every call, so a revocation takes effect at once and an expired token is
// inactive even while still cached.
//
// Entries are keyed by the SHA-256 of the whole token text (any other
// spelling of the same claims is a different key, and is verified on its
// own), kept until the `keep_until` given to Put, and bounded both in
// number and in bytes: beyond `capacity` entries or `max_bytes` the oldest
// insertions are dropped first. The bytes are an estimate of the heap an
// entry holds (EntryBytes: the claims with every string and vector they own,
// the shared_ptr's block, the digest and the map's and the queue's share),
// so that a caller introspecting many large tokens (up to 16 KiB each)
// cannot grow the cache past `max_bytes`. Thread-safe; lookups take one
// shard's reader lock and copy one shared_ptr.
class VerifiedTokenCache {
 public:
  // About 0.7 KB per entry with typical claims: some 45 MB at most.
  static constexpr size_t kDefaultCapacity = 65536;
  static constexpr size_t kDefaultMaxBytes = size_t{64} << 20;

  explicit VerifiedTokenCache(size_t capacity = kDefaultCapacity,
                              size_t max_bytes = kDefaultMaxBytes);

  VerifiedTokenCache(const VerifiedTokenCache&) = delete;
  VerifiedTokenCache& operator=(const VerifiedTokenCache&) = delete;

  // The claims Put for exactly `token`, or nullptr when there are none or
  // `now` is at or past their keep_until.
  std::shared_ptr<const jwt::Claims> Find(absl::string_view token, absl::Time now) const;

  // Remembers `claims`, decoded and signature-verified from `token`, until
  // `keep_until` (callers pass the token's exp plus the validation leeway:
  // after that it can never be active again). Replaces an earlier entry.
  void Put(absl::string_view token, std::shared_ptr<const jwt::Claims> claims,
           absl::Time keep_until);

  // Entries held (expired ones included until they are dropped).
  size_t size() const;
  // The estimated bytes of the entries held: at most max_bytes.
  size_t bytes() const;

  // The estimated heap bytes one entry of `claims` holds (see above), made
  // as glibc's malloc rounds: each block is its size plus an 8-byte header,
  // rounded up to 16, at least 32.
  static size_t EntryBytes(const jwt::Claims& claims);

 private:
  using Digest = std::array<unsigned char, 32>;
  struct Entry {
    std::shared_ptr<const jwt::Claims> claims;
    int64_t keep_until;  // unix seconds
    size_t bytes;        // EntryBytes(*claims)
  };
  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<Digest, Entry> entries ABSL_GUARDED_BY(mu);
    std::deque<Digest> insertion_order ABSL_GUARDED_BY(mu);  // oldest first
    size_t bytes ABSL_GUARDED_BY(mu) = 0;                    // of `entries`
  };
  static constexpr size_t kShards = 16;

  Shard& ShardFor(const Digest& digest) const { return shards_[digest[0] % kShards]; }

  const size_t capacity_per_shard_;
  const size_t bytes_per_shard_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace tokend::jwt

#endif  // TOKEND_SERVER_JWT_VERIFIED_TOKEN_CACHE_H_
