#include "net/name_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "testing/status_matchers.h"

namespace rsockd::net {
namespace {

using ::rsockd::testing::StatusIs;
using ::testing::Optional;

IpAddress Ip(absl::string_view text) { return *IpAddress::Parse(text); }

NameCache::Options WithMaxEntries(size_t max_entries) {
  NameCache::Options options;
  options.max_entries = max_entries;
  return options;
}

// A fixed point in time; the cache never reads a clock.
const absl::Time kStart = absl::FromUnixSeconds(1700000000);

TEST(NameCacheTest, FindsWhatWasInserted) {
  NameCache cache({});
  EXPECT_EQ(cache.Find(Ip("192.0.2.1"), kStart), std::nullopt);
  cache.Insert(Ip("192.0.2.1"), std::string("a.example"), kStart);
  EXPECT_THAT(cache.Find(Ip("192.0.2.1"), kStart + absl::Seconds(1)),
              Optional(absl::StatusOr<std::string>("a.example")));
  EXPECT_EQ(cache.Find(Ip("192.0.2.2"), kStart), std::nullopt);
  EXPECT_EQ(cache.size(), 1u);
  const NameCache::Stats stats = cache.stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 2u);
}

TEST(NameCacheTest, CachesNotFoundAsANegativeAnswer) {
  NameCache cache({});
  cache.Insert(Ip("192.0.2.1"), absl::NotFoundError("no PTR"), kStart);
  std::optional<absl::StatusOr<std::string>> found =
      cache.Find(Ip("192.0.2.1"), kStart);
  ASSERT_TRUE(found.has_value());
  EXPECT_THAT(*found, StatusIs(absl::StatusCode::kNotFound, "no PTR"));
}

TEST(NameCacheTest, DoesNotCacheTransientErrors) {
  NameCache cache({});
  cache.Insert(Ip("192.0.2.1"), absl::DeadlineExceededError("timed out"),
               kStart);
  cache.Insert(Ip("192.0.2.2"), absl::UnavailableError("EAI_AGAIN"), kStart);
  cache.Insert(Ip("192.0.2.3"), absl::ResourceExhaustedError("busy"), kStart);
  cache.Insert(Ip("192.0.2.4"), absl::InternalError("EAI_MEMORY"), kStart);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.Find(Ip("192.0.2.1"), kStart), std::nullopt);
}

TEST(NameCacheTest, PositiveAndNegativeAnswersExpireAfterTheirTtl) {
  NameCache::Options options;
  options.positive_ttl = absl::Minutes(5);
  options.negative_ttl = absl::Minutes(1);
  NameCache cache(options);
  cache.Insert(Ip("192.0.2.1"), std::string("a.example"), kStart);
  cache.Insert(Ip("192.0.2.2"), absl::NotFoundError("no PTR"), kStart);

  const absl::Time almost_minute = kStart + absl::Minutes(1) - absl::Seconds(1);
  EXPECT_NE(cache.Find(Ip("192.0.2.2"), almost_minute), std::nullopt);
  EXPECT_EQ(cache.Find(Ip("192.0.2.2"), kStart + absl::Minutes(1)),
            std::nullopt);

  const absl::Time almost_five = kStart + absl::Minutes(5) - absl::Seconds(1);
  EXPECT_NE(cache.Find(Ip("192.0.2.1"), almost_five), std::nullopt);
  EXPECT_EQ(cache.Find(Ip("192.0.2.1"), kStart + absl::Minutes(5)),
            std::nullopt);
  EXPECT_EQ(cache.size(), 0u) << "expired entries are dropped when found";
}

TEST(NameCacheTest, StaysWithinMaxEntriesEvictingTheOldest) {
  NameCache cache(WithMaxEntries(3));
  for (int i = 1; i <= 5; ++i) {
    cache.Insert(Ip(absl::StrCat("192.0.2.", i)), absl::StrCat("h", i),
                 kStart + absl::Seconds(i));
    EXPECT_LE(cache.size(), 3u);
  }
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.Find(Ip("192.0.2.1"), kStart), std::nullopt);
  EXPECT_EQ(cache.Find(Ip("192.0.2.2"), kStart), std::nullopt);
  for (int i = 3; i <= 5; ++i) {
    EXPECT_NE(cache.Find(Ip(absl::StrCat("192.0.2.", i)), kStart),
              std::nullopt);
  }
  EXPECT_EQ(cache.stats().evictions, 2u);
}

TEST(NameCacheTest, ReinsertingMakesAnEntryTheNewest) {
  NameCache cache(WithMaxEntries(2));
  cache.Insert(Ip("192.0.2.1"), std::string("old"), kStart);
  cache.Insert(Ip("192.0.2.2"), std::string("b"), kStart);
  cache.Insert(Ip("192.0.2.1"), std::string("new"), kStart);
  EXPECT_EQ(cache.size(), 2u);
  cache.Insert(Ip("192.0.2.3"), std::string("c"), kStart);  // evicts .2
  EXPECT_EQ(cache.Find(Ip("192.0.2.2"), kStart), std::nullopt);
  EXPECT_THAT(cache.Find(Ip("192.0.2.1"), kStart),
              Optional(absl::StatusOr<std::string>("new")));
}

TEST(NameCacheTest, ZeroMaxEntriesDisablesTheCache) {
  NameCache cache(WithMaxEntries(0));
  cache.Insert(Ip("192.0.2.1"), std::string("a.example"), kStart);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.Find(Ip("192.0.2.1"), kStart), std::nullopt);
}

TEST(NameCacheTest, KeysIncludeTheFamily) {
  NameCache cache({});
  // 0.0.0.0 and :: have the same (zero) bytes; only the family differs.
  cache.Insert(Ip("0.0.0.1"), std::string("v4"), kStart);
  cache.Insert(Ip("::1"), std::string("v6"), kStart);
  cache.Insert(Ip("::"), std::string("v6-zero"), kStart);
  EXPECT_THAT(cache.Find(Ip("0.0.0.1"), kStart),
              Optional(absl::StatusOr<std::string>("v4")));
  EXPECT_THAT(cache.Find(Ip("::1"), kStart),
              Optional(absl::StatusOr<std::string>("v6")));
  EXPECT_EQ(cache.Find(Ip("0.0.0.0"), kStart), std::nullopt);
}

}  // namespace
}  // namespace rsockd::net
