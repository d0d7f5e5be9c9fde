#include "net/resolver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "net/thread.h"
#include "testing/status_matchers.h"

namespace rsockd::net {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;

TEST(ResolverTest, ReturnsLiteralsWithoutLookup) {
  Resolver resolver({.threads = 1, .max_pending = 1});
  ASSERT_OK_AND_ASSIGN(std::vector<IpAddress> addresses,
                       resolver.Resolve("10.1.2.3", absl::Now()));
  EXPECT_THAT(addresses, ElementsAre(*IpAddress::Parse("10.1.2.3")));
}

TEST(ResolverTest, ResolvesLocalhost) {
  Resolver resolver({.threads = 2, .max_pending = 8});
  ASSERT_OK_AND_ASSIGN(
      std::vector<IpAddress> addresses,
      resolver.Resolve("localhost", absl::Now() + absl::Seconds(10)));
  EXPECT_THAT(addresses, Contains(*IpAddress::Parse("127.0.0.1")));
}

TEST(ResolverTest, UnknownNameIsNotFound) {
  Resolver resolver({.threads = 1, .max_pending = 8});
  // .invalid is reserved (RFC 6761) and never resolves.
  EXPECT_THAT(
      resolver.Resolve("no-such-host.invalid", absl::Now() + absl::Seconds(10)),
      StatusIs(absl::StatusCode::kNotFound,
               ::testing::HasSubstr("cannot resolve no-such-host.invalid")));
}

TEST(ResolverTest, PastDeadlineTimesOut) {
  Resolver resolver({.threads = 1, .max_pending = 8});
  EXPECT_THAT(resolver.Resolve("localhost", absl::Now() - absl::Seconds(1)),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       ::testing::HasSubstr("timed out")));
}

IpAddress Ip(absl::string_view text) { return *IpAddress::Parse(text); }

// Reverse options with a scripted lookup (designated initializers that leave
// fields out draw -Wmissing-field-initializers from g++ 12).
Resolver::ReverseOptions Scripted(
    std::function<absl::StatusOr<std::string>(const IpAddress&)> lookup) {
  Resolver::ReverseOptions options;
  options.lookup = std::move(lookup);
  return options;
}

absl::Time Within(absl::Duration timeout) { return absl::Now() + timeout; }

// Reverse lookups on loopback, against the system resolver: /etc/hosts maps
// 127.0.0.1 <-> localhost; 127.0.0.2 and TEST-NET-1 have no name.

TEST(ResolverTest, ConfirmsLocalhostAsTheReverseNameOfLoopback) {
  ASSERT_OK_AND_ASSIGN(std::string direct,
                       LookUpConfirmedName(Ip("127.0.0.1")));
  EXPECT_EQ(direct, "localhost");

  Resolver resolver({.threads = 2, .max_pending = 8});
  ASSERT_OK_AND_ASSIGN(
      std::string name,
      resolver.ReverseName(Ip("127.0.0.1"), Within(absl::Seconds(10))));
  EXPECT_EQ(name, "localhost");
}

TEST(ResolverTest, AddressWithoutNameIsNotFoundWithinTheDeadline) {
  Resolver resolver({.threads = 2, .max_pending = 8});
  for (const char* address : {"127.0.0.2", "192.0.2.1"}) {
    const absl::Time deadline = Within(absl::Seconds(10));
    EXPECT_THAT(resolver.ReverseName(Ip(address), deadline),
                StatusIs(absl::StatusCode::kNotFound,
                         ::testing::HasSubstr(
                             absl::StrCat("no reverse name for ", address))));
    EXPECT_LT(absl::Now(), deadline) << address;
  }
}

TEST(ResolverTest, SecondReverseLookupComesFromTheCache) {
  Resolver resolver({.threads = 2, .max_pending = 8});
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(
        resolver.ReverseName(Ip("127.0.0.1"), Within(absl::Seconds(10))),
        IsOk());
    EXPECT_THAT(
        resolver.ReverseName(Ip("127.0.0.2"), Within(absl::Seconds(10))),
        StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  }
  const Resolver::ReverseStats stats = resolver.reverse_stats();
  EXPECT_EQ(stats.lookups, 2u) << "one per address; negatives are cached too";
  EXPECT_EQ(stats.cache.hits, 4u);
  EXPECT_EQ(stats.cached, 2u);
}

TEST(ResolverTest, CachedAnswerIsReturnedEvenPastTheDeadline) {
  Resolver resolver({.threads = 1, .max_pending = 8});
  ASSERT_THAT(resolver.ReverseName(Ip("127.0.0.1"), Within(absl::Seconds(10))),
              IsOk());
  EXPECT_THAT(resolver.ReverseName(Ip("127.0.0.1"), absl::InfinitePast()),
              IsOk());
}

// Reverse lookups with a scripted lookup function.

// A lookup that answers "<n>.example" for 10.0.0.n and counts its calls.
class CountingLookup {
 public:
  absl::StatusOr<std::string> operator()(const IpAddress& ip) {
    calls_.fetch_add(1);
    return absl::StrCat(ip.bytes()[3], ".example");
  }
  int calls() const { return calls_.load(); }

 private:
  std::atomic<int> calls_{0};
};

TEST(ResolverTest, ReverseCacheIsBounded) {
  CountingLookup lookup;
  Resolver::ReverseOptions reverse = Scripted(std::ref(lookup));
  reverse.cache.max_entries = 3;
  Resolver resolver({.threads = 1, .max_pending = 8}, reverse);
  for (int i = 1; i <= 5; ++i) {
    EXPECT_EQ(*resolver.ReverseName(Ip(absl::StrCat("10.0.0.", i)),
                                    Within(absl::Seconds(10))),
              absl::StrCat(i, ".example"));
  }
  EXPECT_EQ(resolver.reverse_stats().cached, 3u);
  EXPECT_EQ(lookup.calls(), 5);

  // 10.0.0.5 is still cached; 10.0.0.1 was evicted and is looked up again.
  EXPECT_THAT(resolver.ReverseName(Ip("10.0.0.5"), Within(absl::Seconds(10))),
              IsOk());
  EXPECT_EQ(lookup.calls(), 5);
  EXPECT_THAT(resolver.ReverseName(Ip("10.0.0.1"), Within(absl::Seconds(10))),
              IsOk());
  EXPECT_EQ(lookup.calls(), 6);
  const Resolver::ReverseStats stats = resolver.reverse_stats();
  EXPECT_EQ(stats.cached, 3u);
  EXPECT_EQ(stats.cache.evictions, 3u);
}

TEST(ResolverTest, TemporaryFailuresAreNotCached) {
  std::atomic<int> calls{0};
  Resolver resolver(
      {.threads = 1, .max_pending = 8},
      Scripted([&calls](const IpAddress&) -> absl::StatusOr<std::string> {
        calls.fetch_add(1);
        return absl::UnavailableError("Temporary failure in name resolution");
      }));
  for (int i = 0; i < 2; ++i) {
    EXPECT_THAT(resolver.ReverseName(Ip("10.0.0.1"), Within(absl::Seconds(10))),
                StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  }
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(resolver.reverse_stats().cached, 0u);
}

// A lookup that blocks until released (bounded), then answers `name`.
class BlockingLookup {
 public:
  absl::StatusOr<std::string> operator()(const IpAddress& ip) {
    calls_.fetch_add(1);
    started_.Notify();
    if (!release_.WaitForNotificationWithTimeout(absl::Seconds(30))) {
      return absl::DeadlineExceededError("never released");
    }
    return std::string("late.example");
  }
  void WaitUntilStarted() {
    ASSERT_TRUE(started_.WaitForNotificationWithTimeout(absl::Seconds(10)));
  }
  void Release() {
    if (!release_.HasBeenNotified()) release_.Notify();
  }
  int calls() const { return calls_.load(); }

 private:
  std::atomic<int> calls_{0};
  absl::Notification started_;
  absl::Notification release_;
};

TEST(ResolverTest, TimedOutLookupIsNotCachedAsNegative) {
  BlockingLookup lookup;
  Resolver resolver({.threads = 1, .max_pending = 8},
                    Scripted(std::ref(lookup)));
  EXPECT_THAT(
      resolver.ReverseName(Ip("10.0.0.1"), Within(absl::Milliseconds(50))),
      StatusIs(absl::StatusCode::kDeadlineExceeded,
               "no reverse name for 10.0.0.1: timed out"));
  lookup.Release();
  // The lookup went on; its answer, not the timeout, is what the next caller
  // gets (by joining it or from the cache), without a second lookup.
  EXPECT_THAT(resolver.ReverseName(Ip("10.0.0.1"), Within(absl::Seconds(10))),
              ::testing::Eq(absl::StatusOr<std::string>("late.example")));
  EXPECT_EQ(lookup.calls(), 1);
}

TEST(ResolverTest, ConcurrentCallersShareOneLookup) {
  BlockingLookup lookup;
  Resolver resolver({.threads = 2, .max_pending = 8},
                    Scripted(std::ref(lookup)));
  absl::StatusOr<std::string> first;
  ASSERT_OK_AND_ASSIGN(Thread caller, Thread::Start([&] {
                         first = resolver.ReverseName(
                             Ip("10.0.0.1"), Within(absl::Seconds(10)));
                       }));
  lookup.WaitUntilStarted();
  // The lookup is running: a second caller joins it instead of starting one.
  EXPECT_THAT(
      resolver.ReverseName(Ip("10.0.0.1"), Within(absl::Milliseconds(20))),
      StatusIs(absl::StatusCode::kDeadlineExceeded, ::testing::_));
  lookup.Release();
  caller.Join();
  EXPECT_THAT(first,
              ::testing::Eq(absl::StatusOr<std::string>("late.example")));
  EXPECT_EQ(lookup.calls(), 1);
  const Resolver::ReverseStats stats = resolver.reverse_stats();
  EXPECT_EQ(stats.lookups, 1u);
  EXPECT_EQ(stats.joined, 1u);
}

TEST(ResolverTest, TooManyPendingLookupsFailAtOnce) {
  BlockingLookup lookup;
  Resolver resolver({.threads = 1, .max_pending = 1},
                    Scripted(std::ref(lookup)));
  absl::StatusOr<std::string> first;
  ASSERT_OK_AND_ASSIGN(Thread caller, Thread::Start([&] {
                         first = resolver.ReverseName(
                             Ip("10.0.0.1"), Within(absl::Seconds(10)));
                       }));
  lookup.WaitUntilStarted();
  EXPECT_THAT(resolver.ReverseName(Ip("10.0.0.2"), Within(absl::Seconds(10))),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "no reverse name for 10.0.0.2: too many lookups "
                       "pending"));
  EXPECT_THAT(resolver.Resolve("localhost", Within(absl::Seconds(10))),
              StatusIs(absl::StatusCode::kResourceExhausted, ::testing::_));
  lookup.Release();
  caller.Join();
  EXPECT_THAT(first, IsOk());
}

}  // namespace
}  // namespace rsockd::net
