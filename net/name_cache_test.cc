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

TEST(NameCacheTest, DoesNotCacheTheCallersOwnErrors) {
  NameCache cache({});
  cache.Insert(Ip("192.0.2.1"), absl::DeadlineExceededError("timed out"),
               kStart);
  cache.Insert(Ip("192.0.2.2"), absl::CancelledError("stopping"), kStart);
  cache.Insert(Ip("192.0.2.3"), absl::InternalError("out of memory"), kStart);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.Find(Ip("192.0.2.1"), kStart), std::nullopt);
}

TEST(NameCacheTest, EachKindOfAnswerExpiresAfterItsTtl) {
  NameCache::Options options;
  options.positive_ttl = absl::Minutes(5);
  options.negative_ttl = absl::Minutes(1);
  options.failure_ttl = absl::Seconds(5);
  NameCache cache(options);
  cache.Insert(Ip("192.0.2.1"), std::string("a.example"), kStart);
  cache.Insert(Ip("192.0.2.2"), absl::NotFoundError("no PTR"), kStart);
  cache.Insert(Ip("192.0.2.3"), absl::UnavailableError("SERVFAIL"), kStart);

  const absl::Duration tick = absl::Seconds(1);
  EXPECT_NE(cache.Find(Ip("192.0.2.3"), kStart + absl::Seconds(5) - tick),
            std::nullopt);
  EXPECT_EQ(cache.Find(Ip("192.0.2.3"), kStart + absl::Seconds(5)),
            std::nullopt);

  EXPECT_NE(cache.Find(Ip("192.0.2.2"), kStart + absl::Minutes(1) - tick),
            std::nullopt);
  EXPECT_EQ(cache.Find(Ip("192.0.2.2"), kStart + absl::Minutes(1)),
            std::nullopt);

  EXPECT_NE(cache.Find(Ip("192.0.2.1"), kStart + absl::Minutes(5) - tick),
            std::nullopt);
  EXPECT_EQ(cache.Find(Ip("192.0.2.1"), kStart + absl::Minutes(5)),
            std::nullopt);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(NameCacheTest, StaysWithinMaxEntries) {
  NameCache::Options options;
  options.max_entries = 3;
  NameCache cache(options);
  for (int i = 1; i <= 5; ++i) {
    cache.Insert(Ip(absl::StrCat("192.0.2.", i)), absl::StrCat("h", i),
                 kStart + absl::Seconds(i));
  }
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.Find(Ip("192.0.2.1"), kStart), std::nullopt);
  EXPECT_NE(cache.Find(Ip("192.0.2.5"), kStart), std::nullopt);
  EXPECT_EQ(cache.stats().evictions, 2u);
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
