#include "service/verified_token_cache.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace tokend::service {
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

}  // namespace
}  // namespace tokend::service
