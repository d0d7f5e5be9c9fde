#include "rules/frozen_sockd_route.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "rules/frozen_io.h"
#include "rules/sockd_route.h"
#include "testing/files.h"
#include "testing/frozen_corruption.h"
#include "testing/random_rules.h"
#include "testing/status_matchers.h"

namespace rsockd::rules {

void PrintTo(const RouteRule& rule, std::ostream* os) {
  *os << rule.line << ": " << rule.ToString();
}

namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::StatusIs;
using ::testing::HasSubstr;

// The classic form of docs/sockd_route.md and the extended ones.
constexpr char kExample[] =
    "# interface, destination address, destination mask\n"
    "192.168.1.1   192.168.1.0 255.255.255.0\n"
    "10.0.0.1      10.0.0.0/8\n"
    "2001:db8::1   2001:db8::/32\n"
    "127.0.0.2     .lab.example\n"
    "0.0.0.0       .partner.example\n"
    "127.0.0.2     ALL\n";

SockdRoute Parse(absl::string_view text) {
  absl::StatusOr<SockdRoute> route = ParseSockdRoute(text, "/etc/sockd.route");
  EXPECT_THAT(route, IsOk()) << text;
  return route.ok() ? *std::move(route) : SockdRoute();
}

std::string Freeze(const SockdRoute& route) {
  absl::StatusOr<std::string> file = FreezeSockdRoute(route);
  EXPECT_THAT(file, IsOk());
  return file.ok() ? *std::move(file) : std::string();
}

void ExpectSameRoutesIgnoringLines(const SockdRoute& actual,
                                   const SockdRoute& expected) {
  ASSERT_EQ(actual.rules.size(), expected.rules.size());
  for (size_t i = 0; i < actual.rules.size(); ++i) {
    RouteRule left = actual.rules[i];
    RouteRule right = expected.rules[i];
    left.line = right.line = 0;
    EXPECT_EQ(left, right) << "route " << i + 1;
  }
}

TEST(FrozenSockdRouteTest, ExampleRoundTrips) {
  const SockdRoute route = Parse(kExample);
  ASSERT_OK_AND_ASSIGN(const SockdRoute thawed, ThawSockdRoute(Freeze(route)));
  EXPECT_EQ(thawed.filename, "/etc/sockd.route");
  EXPECT_EQ(thawed.rules, route.rules);
  ASSERT_EQ(thawed.rules.size(), 6u);
  EXPECT_EQ(thawed.rules[0].line, 2);
  EXPECT_EQ(thawed.rules[2].ToString(), "2001:db8::1 2001:db8::/32");
  EXPECT_EQ(thawed.rules[4].ToString(), "0.0.0.0 .partner.example");
  ExpectSameRoutesIgnoringLines(Parse(FormatSockdRoute(thawed)), route);
}

TEST(FrozenSockdRouteTest, RoundTripsGeneratedRouteFiles) {
  for (uint64_t seed = 90000; seed < 90100; ++seed) {
    rsockd::testing::RandomRules random(seed, {});
    const std::string text = random.SockdRoute(30);
    absl::StatusOr<SockdRoute> route = ParseSockdRoute(text, "random.route");
    ASSERT_THAT(route, IsOk()) << "seed " << seed << ":\n" << text;
    ASSERT_OK_AND_ASSIGN(const std::string frozen, FreezeSockdRoute(*route));
    absl::StatusOr<SockdRoute> thawed = ThawSockdRoute(frozen);
    ASSERT_THAT(thawed, IsOk()) << "seed " << seed << ":\n" << text;
    EXPECT_EQ(thawed->rules, route->rules) << "seed " << seed;
    ExpectSameRoutesIgnoringLines(Parse(FormatSockdRoute(*thawed)), *route);
    EXPECT_EQ(Freeze(*thawed), frozen) << "seed " << seed;
    if (HasFailure()) return;
  }
}

TEST(FrozenSockdRouteTest, RejectsEveryCorruption) {
  EXPECT_TRUE(rsockd::testing::CheckEveryCorruptionIsRejected(
      Freeze(Parse(kExample)),
      [](absl::string_view file) { return ThawSockdRoute(file); }));
}

// "10.0.0.1 ALL" from "r": file name (4+1), count (4), line (4), then the
// interface's family at 13 and bytes at 14.
constexpr size_t kFamily = 13;
constexpr size_t kInterface = 14;

class FrozenSockdRouteFieldTest : public ::testing::Test {
 protected:
  std::string Patched(size_t offset, std::string bytes) const {
    std::string payload = payload_;
    payload.replace(offset, bytes.size(), bytes);
    return *SealFrozen(FrozenKind::kSockdRoute, payload);
  }

  const std::string payload_ = std::string(
      *UnsealFrozen(*FreezeSockdRoute(*ParseSockdRoute("10.0.0.1 ALL\n", "r")),
                    FrozenKind::kSockdRoute));
};

TEST_F(FrozenSockdRouteFieldTest, ChecksTheInterface) {
  ASSERT_THAT(ThawSockdRoute(Patched(kFamily, "\x04")), IsOk());
  EXPECT_THAT(ThawSockdRoute(Patched(kFamily, "\x05")),
              StatusIs(absl::StatusCode::kDataLoss,
                       "route 1: byte 29: interface: unknown address family "
                       "5"));
  // The unspecified address lets the kernel choose (sockd.route(5)).
  ASSERT_OK_AND_ASSIGN(
      const SockdRoute kernel,
      ThawSockdRoute(Patched(kInterface, std::string(4, '\0'))));
  EXPECT_EQ(kernel.rules[0].ToString(), "0.0.0.0 ALL");
  // Family 6 needs 16 bytes: the 5 left are not enough.
  EXPECT_THAT(ThawSockdRoute(Patched(kFamily, "\x06")),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated")));
}

TEST(FrozenSockdRouteLoadTest, WrongKindNamesBoth) {
  ASSERT_OK_AND_ASSIGN(const std::string dir,
                       rsockd::testing::MakeTempDir("route_load"));
  const std::string path = dir + "/sockd.fr";
  ASSERT_THAT(rsockd::testing::WriteStringToFile(
                  path, *SealFrozen(FrozenKind::kSockdConf, "")),
              IsOk());
  EXPECT_THAT(LoadFrozenSockdRoute(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       path + ": this is a frozen sockd.conf, not a frozen "
                              "sockd.route"));
}

}  // namespace
}  // namespace rsockd::rules
