#include "net/expiring_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace rsockd::net {
namespace {

using ::testing::Optional;

using Cache = ExpiringCache<std::string, int>;

// A fixed point in time; the cache never reads a clock.
const absl::Time kStart = absl::FromUnixSeconds(1700000000);

TEST(ExpiringCacheTest, FindsWhatWasInsertedUntilItExpires) {
  Cache cache(10);
  EXPECT_EQ(cache.Find("a", kStart), std::nullopt);
  cache.Insert("a", 1, kStart + absl::Seconds(30), kStart);
  EXPECT_THAT(cache.Find("a", kStart), Optional(1));
  EXPECT_THAT(
      cache.Find("a", kStart + absl::Seconds(30) - absl::Nanoseconds(1)),
      Optional(1));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.Find("a", kStart + absl::Seconds(30)), std::nullopt);
  EXPECT_EQ(cache.size(), 0u) << "an expired entry is dropped when found";
  const Cache::Stats stats = cache.stats();
  EXPECT_EQ(stats.hits, 2u);
  EXPECT_EQ(stats.misses, 2u);
}

TEST(ExpiringCacheTest, EntriesExpireEachAtTheirOwnTime) {
  Cache cache(10);
  cache.Insert("short", 1, kStart + absl::Seconds(1), kStart);
  cache.Insert("long", 2, kStart + absl::Hours(1), kStart);
  EXPECT_EQ(cache.Find("short", kStart + absl::Seconds(2)), std::nullopt);
  EXPECT_THAT(cache.Find("long", kStart + absl::Seconds(2)), Optional(2));
}

TEST(ExpiringCacheTest, KeepsNothingThatIsAlreadyExpired) {
  Cache cache(10);
  cache.Insert("now", 1, kStart, kStart);
  cache.Insert("past", 2, kStart - absl::Seconds(1), kStart);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ExpiringCacheTest, StaysWithinMaxEntriesEvictingTheOldest) {
  Cache cache(3);
  for (int i = 1; i <= 5; ++i) {
    const absl::Time now = kStart + absl::Seconds(i);
    cache.Insert(absl::StrCat("k", i), i, now + absl::Hours(1), now);
    EXPECT_LE(cache.size(), 3u);
  }
  EXPECT_EQ(cache.Find("k1", kStart), std::nullopt);
  EXPECT_EQ(cache.Find("k2", kStart), std::nullopt);
  for (int i = 3; i <= 5; ++i) {
    EXPECT_THAT(cache.Find(absl::StrCat("k", i), kStart), Optional(i));
  }
  EXPECT_EQ(cache.stats().evictions, 2u);
}

TEST(ExpiringCacheTest, EvictingAnExpiredEntryIsNotCountedAsAnEviction) {
  Cache cache(1);
  cache.Insert("a", 1, kStart + absl::Seconds(1), kStart);
  const absl::Time later = kStart + absl::Seconds(2);
  cache.Insert("b", 2, later + absl::Seconds(1), later);
  EXPECT_THAT(cache.Find("b", later), Optional(2));
  EXPECT_EQ(cache.stats().evictions, 0u);
}

TEST(ExpiringCacheTest, ReinsertingReplacesTheValueAndMakesItTheNewest) {
  Cache cache(2);
  const absl::Time expires = kStart + absl::Hours(1);
  cache.Insert("a", 1, expires, kStart);
  cache.Insert("b", 2, expires, kStart);
  cache.Insert("a", 3, expires, kStart);
  EXPECT_EQ(cache.size(), 2u);
  cache.Insert("c", 4, expires, kStart);  // evicts b, now the oldest
  EXPECT_EQ(cache.Find("b", kStart), std::nullopt);
  EXPECT_THAT(cache.Find("a", kStart), Optional(3));
  EXPECT_THAT(cache.Find("c", kStart), Optional(4));
}

TEST(ExpiringCacheTest, ZeroMaxEntriesDisablesTheCache) {
  Cache cache(0);
  cache.Insert("a", 1, kStart + absl::Hours(1), kStart);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.Find("a", kStart), std::nullopt);
}

}  // namespace
}  // namespace rsockd::net
