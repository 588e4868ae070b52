#include "jwt/verified_token_cache.h"

#include <malloc.h>

#include <atomic>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace tokend::jwt {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

std::shared_ptr<const jwt::Claims> ClaimsFor(const std::string& jti) {
  auto claims = std::make_shared<jwt::Claims>();
  claims->token_id = jti;
  return claims;
}

TEST(VerifiedTokenCache, FindReturnsTheClaimsPutForTheSameToken) {
  VerifiedTokenCache cache;
  cache.Put("token-a", ClaimsFor("a"), kT0 + absl::Minutes(15));
  std::shared_ptr<const jwt::Claims> found = cache.Find("token-a", kT0);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->token_id, "a");
}

TEST(VerifiedTokenCache, AnyOtherSpellingIsAMiss) {
  VerifiedTokenCache cache;
  cache.Put("header.payload.signature", ClaimsFor("a"), kT0 + absl::Minutes(15));
  EXPECT_EQ(cache.Find("header.payload.signaturE", kT0), nullptr);
  EXPECT_EQ(cache.Find("header.payload.signature ", kT0), nullptr);
  EXPECT_EQ(cache.Find("header.payload.signatur", kT0), nullptr);
  EXPECT_EQ(cache.Find("", kT0), nullptr);
}

TEST(VerifiedTokenCache, AnEntryIsGoneAtItsKeepUntil) {
  VerifiedTokenCache cache;
  cache.Put("token-a", ClaimsFor("a"), kT0 + absl::Seconds(10));
  EXPECT_NE(cache.Find("token-a", kT0 + absl::Seconds(9)), nullptr);
  EXPECT_EQ(cache.Find("token-a", kT0 + absl::Seconds(10)), nullptr);
  EXPECT_EQ(cache.Find("token-a", kT0 + absl::Hours(1)), nullptr);
}

TEST(VerifiedTokenCache, PutReplacesAnEarlierEntry) {
  VerifiedTokenCache cache;
  cache.Put("token-a", ClaimsFor("first"), kT0 + absl::Seconds(10));
  cache.Put("token-a", ClaimsFor("second"), kT0 + absl::Seconds(20));
  std::shared_ptr<const jwt::Claims> found = cache.Find("token-a", kT0 + absl::Seconds(15));
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->token_id, "second");
  EXPECT_EQ(cache.size(), 1u);
}

TEST(VerifiedTokenCache, StaysWithinItsCapacityDroppingTheOldestFirst) {
  constexpr size_t kCapacity = 64;
  VerifiedTokenCache cache(kCapacity);
  for (int i = 0; i < 10000; ++i) {
    cache.Put(absl::StrCat("token-", i), ClaimsFor(absl::StrCat(i)), kT0 + absl::Hours(1));
  }
  EXPECT_LE(cache.size(), kCapacity);
  EXPECT_GT(cache.size(), kCapacity / 2);
  EXPECT_EQ(cache.Find("token-0", kT0), nullptr);
  EXPECT_EQ(cache.Find("token-1", kT0), nullptr);
  // The newest insertion is kept (it is the newest of its shard).
  EXPECT_NE(cache.Find("token-9999", kT0), nullptr);
}

TEST(VerifiedTokenCache, ConcurrentFindsAndPutsAgree) {
  VerifiedTokenCache cache(1024);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        const std::string key = absl::StrCat("token-", (i * 7 + t) % 2000);
        if (i % 3 == 0) {
          cache.Put(key, ClaimsFor(key), kT0 + absl::Hours(1));
        } else if (auto found = cache.Find(key, kT0); found != nullptr && found->token_id != key) {
          wrong.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(cache.size(), 1024u);
}

// Claims as large as a 16 KiB token can carry, in the shape that costs the
// most heap per byte of token: long strings plus a long list of short ones
// (each costs a 32-byte std::string for 4 bytes of JSON, "a",).
std::shared_ptr<const jwt::Claims> LargestClaims(int i) {
  auto claims = std::make_shared<jwt::Claims>();
  claims->token_id = absl::StrCat("jti-", i, "-", std::string(16, 'j'));
  claims->issuer = std::string(64, 'i');
  claims->subject = std::string(1024, 's');
  claims->client_id = std::string(1024, 'c');
  claims->session_id = std::string(22, 'f');
  claims->custom_claims_json = std::string(4096, 'x');
  for (int a = 0; a < 4; ++a) claims->audience.push_back(std::string(1000, 'a' + a));
  // The rest of the token: some 1,000 one-character scopes.
  for (int n = 0; n < 1000; ++n) claims->scopes.push_back(std::string(1, 'a' + n % 26));
  return claims;
}

// Bytes the program holds on the heap, as its allocator counts them. Under
// ASan or TSan malloc is the sanitizer's, which glibc's mallinfo2 knows
// nothing of.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// The sanitizer runtimes' allocator statistics (compiler-rt's
// sanitizer/allocator_interface.h, which gcc does not install).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

size_t HeapInUse() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return __sanitizer_get_current_allocated_bytes();
#else
  return mallinfo2().uordblks;
#endif
}

TEST(VerifiedTokenCache, MaximumSizeTokensStayWithinTheByteBound) {
  constexpr size_t kMaxBytes = size_t{8} << 20;
  // Each entry's claims as the cache accounts them: some 44 KB.
  const size_t entry_bytes = VerifiedTokenCache::EntryBytes(*LargestClaims(0));
  EXPECT_GT(entry_bytes, 40000u);
  const size_t heap_before = HeapInUse();
  {
    VerifiedTokenCache cache(VerifiedTokenCache::kDefaultCapacity, kMaxBytes);
    // Three times what fits.
    const int puts = static_cast<int>(3 * kMaxBytes / entry_bytes);
    for (int i = 0; i < puts; ++i) {
      cache.Put(absl::StrCat("token-", i), LargestClaims(i), kT0 + absl::Hours(1));
      ASSERT_LE(cache.bytes(), kMaxBytes);
    }
    EXPECT_GT(cache.bytes(), kMaxBytes / 2);
    EXPECT_LT(cache.size(), static_cast<size_t>(puts) / 2);
    EXPECT_NE(cache.Find(absl::StrCat("token-", puts - 1), kT0), nullptr);
    // The heap the cache really holds, as malloc counts it, is what it
    // accounts for, within a few percent and a little fixed overhead.
    const size_t heap_held = HeapInUse() - heap_before;
    std::cerr << "[cache] " << cache.size() << " entries, accounted " << cache.bytes()
              << " bytes, heap " << heap_held << " bytes\n";
    EXPECT_LE(heap_held, kMaxBytes + kMaxBytes / 20 + (size_t{64} << 10));
    EXPECT_GE(heap_held, cache.bytes() / 2);  // the estimate is not wildly high either
  }
}

TEST(VerifiedTokenCache, TheDefaultByteBoundIs64MiB) {
  EXPECT_EQ(VerifiedTokenCache::kDefaultMaxBytes, size_t{64} << 20);
}

}  // namespace
}  // namespace tokend::jwt
