#include "rules/sockd_route.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "rules/parse_test_util.h"
#include "testing/status_matchers.h"

namespace rsockd::rules {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

net::IpAddress Ip(absl::string_view text) {
  return *net::IpAddress::Parse(text);
}

std::string ParseError(absl::string_view text) {
  return ParseErrorOf(ParseSockdRoute, text, "r.route");
}

TEST(SockdRouteTest, ParsesClassicAndOneTokenForms) {
  ASSERT_OK_AND_ASSIGN(SockdRoute route,
                       ParseSockdRoute("# multi-homed\n"
                                       "192.168.1.1 192.168.1.0 255.255.255.0\n"
                                       "\t10.0.0.1   10.0.0.0/8   # the lab\n"
                                       "fe80::1 2001:db8::/32\n"
                                       "127.0.0.2 .example.org\n"
                                       "127.0.0.3 ALL\n",
                                       "r.route"));
  EXPECT_EQ(route.filename, "r.route");
  ASSERT_THAT(route.rules, SizeIs(5));
  EXPECT_EQ(route.rules[0].interface, Ip("192.168.1.1"));
  EXPECT_EQ(route.rules[0].destination,
            AddressSpec::Masked(Ip("192.168.1.0"), Ip("255.255.255.0")));
  EXPECT_EQ(route.rules[0].line, 2);
  EXPECT_EQ(route.rules[1].destination, AddressSpec::Prefix(Ip("10.0.0.0"), 8));
  EXPECT_EQ(route.rules[2].interface, Ip("fe80::1"));
  EXPECT_EQ(route.rules[3].destination, AddressSpec::Zone("example.org"));
  EXPECT_TRUE(route.rules[4].destination.is_all());
  EXPECT_EQ(FormatSockdRoute(route),
            "192.168.1.1 192.168.1.0 255.255.255.0\n"
            "10.0.0.1 10.0.0.0/8\n"
            "fe80::1 2001:db8::/32\n"
            "127.0.0.2 .example.org\n"
            "127.0.0.3 ALL\n");
  ASSERT_OK_AND_ASSIGN(SockdRoute again,
                       ParseSockdRoute(FormatSockdRoute(route), "r.route"));
  ASSERT_THAT(again.rules, SizeIs(route.rules.size()));
  for (size_t i = 0; i < route.rules.size(); ++i) {
    RouteRule rule = route.rules[i];
    rule.line = again.rules[i].line;  // Lines differ: the dump has no comments.
    EXPECT_EQ(again.rules[i], rule) << rule.ToString();
  }
}

TEST(SockdRouteTest, ErrorsAreLocated) {
  EXPECT_THAT(ParseError("eth0 ALL\n"),
              HasSubstr("r.route:1:1: invalid interface address \"eth0\""));
  EXPECT_THAT(ParseError("010.0.0.1 ALL\n"),
              HasSubstr("r.route:1:1: invalid address \"010.0.0.1\": a part "
                        "with a leading zero"));
  EXPECT_THAT(ParseError("10.0.0.1 10.0.0.0 255.000.0.0\n"),
              HasSubstr("r.route:1:19: invalid address \"255.000.0.0\""));
  EXPECT_THAT(ParseError("10.0.0.1\n"),
              HasSubstr("r.route:1:1: missing destination"));
  EXPECT_THAT(ParseError("10.0.0.1 10.0.0.0\n"), HasSubstr("r.route:1:10:"));
  EXPECT_THAT(ParseError("10.0.0.1 ALL extra\n"),
              HasSubstr("r.route:1:14: unexpected \"extra\""));
  EXPECT_THAT(ParseError("10.0.0.1 ALL : hook\n"),
              HasSubstr("r.route:1:14: sockd.route lines take no ':'"));
  // A ':' inside a token is part of it (sockd.route(5)).
  EXPECT_THAT(ParseError("10.0.0.1 ALL:hook\n"),
              HasSubstr("r.route:1:10: invalid address \"ALL:hook\""));
  EXPECT_THAT(ParseError("::1 ::1/\n"),
              HasSubstr("r.route:1:5: invalid prefix length in \"::1/\""));
  const std::string both = ParseError("x ALL\n127.0.0.1 ALL\ny ALL\n");
  EXPECT_THAT(both, HasSubstr("r.route:1:1:"));
  EXPECT_THAT(both, HasSubstr("\nr.route:3:1:"));
}

TEST(SockdRouteTest, IPv6InterfaceMayBeBracketed) {
  ASSERT_OK_AND_ASSIGN(SockdRoute route,
                       ParseSockdRoute("[::1] [2001:db8::]/32\n", "r.route"));
  ASSERT_THAT(route.rules, SizeIs(1));
  EXPECT_EQ(route.rules[0].ToString(), "::1 2001:db8::/32");
  EXPECT_THAT(ParseError("[127.0.0.1] ALL\n"),
              HasSubstr("r.route:1:1: invalid interface address"));
}

// sockd.route(5): an interface of 0.0.0.0 or :: lets the kernel choose the
// source address for the destinations of its line.
TEST(SockdRouteTest, UnspecifiedInterfaceMeansTheKernelChooses) {
  ASSERT_OK_AND_ASSIGN(SockdRoute route,
                       ParseSockdRoute("0.0.0.0 10.0.0.0 255.0.0.0\n"
                                       ":: 2001:db8::/32\n"
                                       "[::] .example.org\n",
                                       "r.route"));
  ASSERT_THAT(route.rules, SizeIs(3));
  EXPECT_TRUE(route.rules[0].interface.IsUnspecified());
  EXPECT_EQ(route.rules[1].interface, Ip("::"));
  EXPECT_EQ(route.rules[2].interface, Ip("::"));
  EXPECT_EQ(FormatSockdRoute(route),
            "0.0.0.0 10.0.0.0 255.0.0.0\n:: 2001:db8::/32\n:: .example.org\n");
}

TEST(SockdRouteTest, EmptyFileHasNoRoutes) {
  ASSERT_OK_AND_ASSIGN(SockdRoute route, ParseSockdRoute("# none\n", "r"));
  EXPECT_THAT(route.rules, SizeIs(0));
  EXPECT_THAT(LoadSockdRoute("/nonexistent/sockd.route"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("No such file")));
}

}  // namespace
}  // namespace rsockd::rules
