#include "net/resolver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "testing/status_matchers.h"

namespace rsockd::net {
namespace {

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

}  // namespace
}  // namespace rsockd::net
