#include "rules/rule_set.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "testing/status_matchers.h"

namespace rsockd::rules {
namespace {

// docs/sockd_conf.md#worked-example, the classic test data.
constexpr char kWorkedExample[] =
    "deny   *=bonnie,clyde 128.12.6.0 255.255.255.0 : /usr/bin/logger "
    "'Rejected SOCKS access by %u'\n"
    "permit *=ylee 128.12.6.4 255.255.255.255 137.12.0.0 255.255.0.0\n"
    "deny   128.12.0.0 255.255.0.0 eq telnet\n"
    "permit 128.12.0.0 255.255.0.0\n"
    "#NO_IDENTD: /usr/bin/logger 'please run identd on %A'\n"
    "#BAD_ID: /usr/bin/logger '%U pretends to be %u on %A'\n";

net::IpAddress Ip(absl::string_view text) {
  return *net::IpAddress::Parse(text);
}

RuleSet MakeRuleSet(absl::string_view text) {
  absl::StatusOr<SockdConf> conf = ParseSockdConf(text, "t.conf");
  EXPECT_TRUE(conf.ok()) << conf.status();
  return RuleSet(conf.ok() ? *std::move(conf) : SockdConf());
}

AccessRequest Request(absl::string_view user, absl::string_view client,
                      absl::string_view destination, uint16_t port) {
  AccessRequest request;
  request.user = std::string(user);
  request.client = Ip(client);
  request.destination = Ip(destination);
  request.port = port;
  return request;
}

// The decisive line number, or 0 when no line matched.
int DecidingLine(const AccessDecision& decision) {
  return decision.rule == nullptr ? 0 : decision.rule->line;
}

class WorkedExampleTest : public ::testing::Test {
 protected:
  RuleSet rules_ = MakeRuleSet(kWorkedExample);
};

TEST_F(WorkedExampleTest, ClydeIsDeniedByLineOne) {
  const AccessDecision decision =
      rules_.CheckAccess(Request("clyde", "128.12.6.34", "10.9.8.7", 21));
  EXPECT_FALSE(decision.permitted);
  EXPECT_EQ(DecidingLine(decision), 1);
  EXPECT_EQ(decision.rule->command,
            "/usr/bin/logger 'Rejected SOCKS access by %u'");
}

TEST_F(WorkedExampleTest, YleeIsPermittedByLineTwo) {
  const AccessDecision decision =
      rules_.CheckAccess(Request("ylee", "128.12.6.4", "137.12.5.5", 23));
  EXPECT_TRUE(decision.permitted);
  EXPECT_EQ(DecidingLine(decision), 2);
}

TEST_F(WorkedExampleTest, JaneToTelnetIsDeniedByLineThree) {
  const AccessDecision decision =
      rules_.CheckAccess(Request("jane", "128.12.2.13", "192.0.2.1", 23));
  EXPECT_FALSE(decision.permitted);
  EXPECT_EQ(DecidingLine(decision), 3);
}

TEST_F(WorkedExampleTest, JaneToPort80IsPermittedByLineFour) {
  const AccessDecision decision =
      rules_.CheckAccess(Request("jane", "128.12.2.13", "192.0.2.1", 80));
  EXPECT_TRUE(decision.permitted);
  EXPECT_EQ(DecidingLine(decision), 4);
}

TEST_F(WorkedExampleTest, DonMatchesNoLineAndIsDenied) {
  const AccessDecision decision =
      rules_.CheckAccess(Request("don", "23.2.6.127", "192.0.2.1", 80));
  EXPECT_FALSE(decision.permitted);
  EXPECT_EQ(decision.rule, nullptr);
}

TEST_F(WorkedExampleTest, YleeElsewhereFallsThroughToLaterLines) {
  // Line 2 needs destination 137.12/16; telnet elsewhere is line 3.
  EXPECT_EQ(DecidingLine(rules_.CheckAccess(
                Request("ylee", "128.12.6.4", "137.13.5.5", 23))),
            3);
  // Bonnie's name is case-sensitive: "Bonnie" is not denied by line 1.
  EXPECT_EQ(DecidingLine(rules_.CheckAccess(
                Request("Bonnie", "128.12.6.34", "10.0.0.1", 80))),
            4);
}

TEST_F(WorkedExampleTest, KeepsTheSpecialLines) {
  EXPECT_EQ(rules_.access().no_identd_command,
            "/usr/bin/logger 'please run identd on %A'");
  EXPECT_EQ(rules_.access().bad_id_command,
            "/usr/bin/logger '%U pretends to be %u on %A'");
}

TEST(RuleSetTest, EmptyRuleSetDeniesEverything) {
  RuleSet rules{SockdConf()};
  EXPECT_FALSE(
      rules.CheckAccess(Request("u", "127.0.0.1", "127.0.0.1", 80)).permitted);
}

TEST(RuleSetTest, EmbeddedDefaultPermitsOnlyLoopbackClients) {
  const RuleSet rules = MakeRuleSet(kEmbeddedSockdConf);
  EXPECT_TRUE(rules.CheckAccess(Request("", "127.0.0.1", "198.51.100.1", 443))
                  .permitted);
  EXPECT_TRUE(
      rules.CheckAccess(Request("", "127.8.9.10", "10.0.0.1", 22)).permitted);
  EXPECT_FALSE(
      rules.CheckAccess(Request("", "10.0.0.1", "127.0.0.1", 22)).permitted);
  // IPv6 loopback has its own line: an IPv4 rule never covers ::1.
  EXPECT_TRUE(rules.CheckAccess(Request("", "::1", "::1", 22)).permitted);
  EXPECT_FALSE(rules.CheckAccess(Request("", "::2", "::1", 22)).permitted);
}

TEST(RuleSetTest, IPv6RulesMatchIPv6Requests) {
  const RuleSet rules = MakeRuleSet(
      "deny ::1 2001:db8::/32\n"
      "permit ::/0\n");
  EXPECT_FALSE(
      rules.CheckAccess(Request("", "::1", "2001:db8::80", 80)).permitted);
  EXPECT_TRUE(
      rules.CheckAccess(Request("", "::1", "2001:db9::80", 80)).permitted);
  EXPECT_EQ(
      rules.CheckAccess(Request("", "127.0.0.1", "2001:db9::80", 80)).rule,
      nullptr);
}

TEST(RuleSetTest, NameIsResolvedOnceAndOnlyWhenAnAddressRuleIsReached) {
  const RuleSet rules = MakeRuleSet(
      "deny 10.0.0.0 255.0.0.0 eq 25\n"             // 1: other clients
      "permit 127.0.0.0/8 ALL eq 22\n"              // 2: needs no address
      "deny 127.0.0.0/8 192.0.2.0 255.255.255.0\n"  // 3
      "deny 127.0.0.0/8 198.51.100.0/24\n"          // 4
      "permit ALL\n");                              // 5
  int calls = 0;
  AccessRequest request;
  request.client = Ip("127.0.0.1");
  request.destination_name = "www.example";
  request.resolve_destination = [&calls] {
    ++calls;
    return std::vector<net::IpAddress>{Ip("203.0.113.9"), Ip("198.51.100.7")};
  };

  request.port = 22;
  EXPECT_EQ(DecidingLine(rules.CheckAccess(request)), 2);
  EXPECT_EQ(calls, 0) << "only ALL destinations were reached";

  request.port = 80;
  const AccessDecision decision = rules.CheckAccess(request);
  EXPECT_EQ(DecidingLine(decision), 4) << "any resolved address may match";
  EXPECT_FALSE(decision.permitted);
  EXPECT_EQ(calls, 1) << "lines 3 and 4 share one resolution";
}

// A name that resolves to a permitted and an unpermitted address is
// permitted for the first only: the line decided for the addresses it
// matched, and the others must not be connected to.
TEST(RuleSetTest, NameDecidedByAddressesKeepsOnlyTheMatchedOnes) {
  const RuleSet rules = MakeRuleSet(
      "permit ALL 127.0.0.3/32\n"
      "permit ALL .example\n");
  AccessRequest request;
  request.client = Ip("127.0.0.1");
  request.destination_name = "two.invalid";
  request.port = 80;
  request.resolve_destination = [] {
    return std::vector<net::IpAddress>{Ip("127.0.0.1"), Ip("127.0.0.3"),
                                       Ip("::1")};
  };
  const AccessDecision decision = rules.CheckAccess(request);
  EXPECT_EQ(DecidingLine(decision), 1);
  EXPECT_TRUE(decision.permitted);
  EXPECT_THAT(decision.addresses,
              ::testing::Optional(::testing::ElementsAre(Ip("127.0.0.3"))));

  // Matched by name or ALL, or asked by address: every address.
  request.destination_name = "www.example";
  request.resolve_destination = [] {
    return std::vector<net::IpAddress>{Ip("192.0.2.1")};
  };
  EXPECT_EQ(DecidingLine(rules.CheckAccess(request)), 2);
  EXPECT_EQ(rules.CheckAccess(request).addresses, std::nullopt);
  EXPECT_EQ(MakeRuleSet("permit ALL 127.0.0.3/32\n")
                .CheckAccess(Request("", "127.0.0.1", "127.0.0.3", 80))
                .addresses,
            std::nullopt);
}

TEST(RuleSetTest, UnresolvableNameMatchesOnlyAll) {
  const RuleSet rules = MakeRuleSet(
      "permit ALL 0.0.0.0 0.0.0.0 0.0.0.0\n"
      "deny ALL ALL eq 80\n");
  AccessRequest request;
  request.client = Ip("127.0.0.1");
  request.destination_name = "nowhere.invalid";
  request.port = 80;
  int calls = 0;
  request.resolve_destination = [&calls] {
    ++calls;
    return std::vector<net::IpAddress>{};
  };
  EXPECT_EQ(DecidingLine(rules.CheckAccess(request)), 2);
  EXPECT_EQ(calls, 1);

  // No resolver at all behaves the same.
  request.resolve_destination = nullptr;
  EXPECT_EQ(DecidingLine(rules.CheckAccess(request)), 2);
}

TEST(RuleSetTest, CheckClientSaysWhetherAnyRequestMayBePermitted) {
  const RuleSet rules = MakeRuleSet(
      "deny 10.0.0.0/8 ALL eq 25\n"       // 1: conditional
      "deny *=bob 10.1.0.0/16\n"          // 2: conditional
      "deny *= 10.1.2.0/24\n"             // 3: everything from 10.1.2/24
      "permit 10.0.0.0/8 192.0.2.0/24\n"  // 4
      "deny 172.16.0.0/12\n"              // 5: everything
      "permit .lab.example ALL\n"         // 6: a name: may match anyone
      "permit 192.168.0.0/16\n");         // 7
  EXPECT_TRUE(rules.CheckClient(Ip("10.1.3.4")).may_permit);
  const ClientCheck refused = rules.CheckClient(Ip("10.1.2.3"));
  EXPECT_FALSE(refused.may_permit);
  ASSERT_NE(refused.refused_by, nullptr);
  EXPECT_EQ(refused.refused_by->line, 3);
  EXPECT_EQ(rules.CheckClient(Ip("172.16.9.9")).refused_by->line, 5);
  EXPECT_TRUE(rules.CheckClient(Ip("203.0.113.1")).may_permit)
      << "line 6 may match by name";

  const RuleSet no_names = MakeRuleSet("permit 127.0.0.0/8\n");
  EXPECT_TRUE(no_names.CheckClient(Ip("127.0.0.1")).may_permit);
  const ClientCheck outsider = no_names.CheckClient(Ip("203.0.113.1"));
  EXPECT_FALSE(outsider.may_permit);
  EXPECT_EQ(outsider.refused_by, nullptr);
  EXPECT_FALSE(no_names.CheckClient(Ip("::1")).may_permit);
}

TEST(RuleSetTest, FindsTheRightLineAmongTenThousand) {
  std::string text;
  for (int i = 0; i < 10000; ++i) {
    absl::StrAppend(&text, "deny *=user", i, " 10.", i / 256, ".", i % 256,
                    ".0 255.255.255.0 ALL eq ", 1000 + i, "\n");
  }
  absl::StrAppend(&text, "permit ALL\n");
  const RuleSet rules = MakeRuleSet(text);
  ASSERT_EQ(rules.access().rules.size(), 10001u);

  const AccessDecision hit =
      rules.CheckAccess(Request("user9876", "10.38.148.5", "1.2.3.4", 10876));
  EXPECT_FALSE(hit.permitted);
  EXPECT_EQ(DecidingLine(hit), 9877);

  // Right client and user, wrong port: falls through to the last line.
  const AccessDecision miss =
      rules.CheckAccess(Request("user9876", "10.38.148.5", "1.2.3.4", 10877));
  EXPECT_TRUE(miss.permitted);
  EXPECT_EQ(DecidingLine(miss), 10001);
}

// Names and zones (docs/protocol.md#socks4a; docs/sockd_conf.md#address-specs),
// with scripted lookups that count their calls.
class NameRulesTest : public ::testing::Test {
 protected:
  // A request from `client` whose lookups answer `client_name` and
  // `destination_reverse_name` (nullopt: no name) and count their calls.
  AccessRequest Request(absl::string_view client,
                        std::optional<std::string> client_name,
                        std::optional<std::string> reverse_name) {
    AccessRequest request;
    request.client = Ip(client);
    request.port = 80;
    request.client_name = [this, client_name] {
      ++client_name_calls_;
      return client_name;
    };
    request.destination_reverse_name = [this, reverse_name] {
      ++reverse_name_calls_;
      return reverse_name;
    };
    request.resolve_destination = [this] {
      ++resolve_calls_;
      return std::vector<net::IpAddress>{Ip("192.0.2.80")};
    };
    return request;
  }

  int client_name_calls_ = 0;
  int reverse_name_calls_ = 0;
  int resolve_calls_ = 0;
};

TEST_F(NameRulesTest, DestinationZoneMatchesTheSocks4aNameItself) {
  const RuleSet rules = MakeRuleSet(
      "permit ALL .example.org\n"
      "deny ALL\n");
  for (const char* name : {"example.org", "www.example.org", "a.b.example.org",
                           "WWW.EXAMPLE.ORG", "www.example.org."}) {
    AccessRequest request = Request("10.0.0.1", std::nullopt, "x.example.org");
    request.destination_name = name;
    EXPECT_EQ(DecidingLine(rules.CheckAccess(request)), 1) << name;
  }
  for (const char* name : {"badexample.org", "example.org.evil", "org"}) {
    AccessRequest request = Request("10.0.0.1", std::nullopt, "x.example.org");
    request.destination_name = name;
    EXPECT_EQ(DecidingLine(rules.CheckAccess(request)), 2) << name;
  }
  EXPECT_EQ(reverse_name_calls_, 0) << "the SOCKS4A name is matched itself";
  EXPECT_EQ(resolve_calls_, 0) << "name rules need no addresses";
  EXPECT_EQ(client_name_calls_, 0);
}

TEST_F(NameRulesTest, DestinationNameWithoutSocks4aUsesTheReverseNameOnce) {
  const RuleSet rules = MakeRuleSet(
      "deny ALL www.example.org\n"     // 1
      "deny ALL .example.net\n"        // 2
      "permit ALL Host.Example.COM\n"  // 3: case-insensitive
      "deny ALL\n");                   // 4
  AccessRequest request =
      Request("10.0.0.1", std::nullopt, "host.example.com.");
  request.destination = Ip("192.0.2.1");
  const AccessDecision decision = rules.CheckAccess(request);
  EXPECT_EQ(DecidingLine(decision), 3);
  EXPECT_TRUE(decision.permitted);
  EXPECT_EQ(reverse_name_calls_, 1) << "three name lines, one lookup";
  EXPECT_EQ(client_name_calls_, 0);
  EXPECT_EQ(resolve_calls_, 0);
}

TEST_F(NameRulesTest, SourceNameUsesTheClientsNameOnce) {
  const RuleSet rules = MakeRuleSet(
      "deny .evil.example\n"                // 1
      "permit *=ylee gw.lab.example ALL\n"  // 2
      "permit .Lab.Example 192.0.2.0/24\n"  // 3
      "deny ALL\n");                        // 4
  AccessRequest request = Request("10.0.0.1", "pc7.lab.example", std::nullopt);
  request.user = "jane";
  request.destination = Ip("192.0.2.1");
  EXPECT_EQ(DecidingLine(rules.CheckAccess(request)), 3);
  EXPECT_EQ(client_name_calls_, 1) << "lines 1 and 3 share one lookup";
  EXPECT_EQ(reverse_name_calls_, 0);

  request.destination = Ip("198.51.100.1");  // line 3's destination misses
  EXPECT_EQ(DecidingLine(rules.CheckAccess(request)), 4);
  EXPECT_EQ(client_name_calls_, 2) << "one more check, one more lookup";
}

TEST_F(NameRulesTest, NoLookupUnlessANameLineIsReached) {
  const RuleSet rules = MakeRuleSet(
      "deny *=mallory .example.org\n"  // 1: other user
      "deny ALL .example.org eq 25\n"  // 2: other port
      "permit 10.0.0.0/8\n"            // 3: decides first
      "deny .example.org ALL\n"        // 4: never reached
      "deny ALL .example.org\n");      // 5
  AccessRequest request = Request("10.0.0.1", "a.example.org", "b.example.org");
  request.user = "jane";
  request.destination = Ip("192.0.2.1");
  EXPECT_EQ(DecidingLine(rules.CheckAccess(request)), 3);
  EXPECT_EQ(client_name_calls_, 0);
  EXPECT_EQ(reverse_name_calls_, 0);

  // From elsewhere, lines 4 and 5 are reached: each lookup once.
  request.client = Ip("172.16.0.1");
  EXPECT_EQ(DecidingLine(rules.CheckAccess(request)), 4);
  EXPECT_EQ(client_name_calls_, 1);
  EXPECT_EQ(reverse_name_calls_, 0) << "line 4 has an ALL destination";
}

TEST_F(NameRulesTest, EachLookupRunsAtMostOncePerCheck) {
  std::string text;
  for (int i = 0; i < 50; ++i) {
    absl::StrAppend(&text, "deny .zone", i, ".example\n");
    absl::StrAppend(&text, "deny ALL .zone", i, ".example\n");
  }
  absl::StrAppend(&text, "permit ALL\n");
  const RuleSet rules = MakeRuleSet(text);
  AccessRequest request = Request("10.0.0.1", "a.example", "b.example");
  request.destination = Ip("192.0.2.1");
  EXPECT_EQ(DecidingLine(rules.CheckAccess(request)), 101);
  EXPECT_EQ(client_name_calls_, 1);
  EXPECT_EQ(reverse_name_calls_, 1);
}

TEST_F(NameRulesTest, NoNameMatchesNoNameRule) {
  const RuleSet rules = MakeRuleSet(
      "permit .example.org\n"
      "permit ALL .example.org\n"
      "deny ALL\n");
  AccessRequest request = Request("10.0.0.1", std::nullopt, std::nullopt);
  request.destination = Ip("192.0.2.1");
  EXPECT_EQ(DecidingLine(rules.CheckAccess(request)), 3);
  EXPECT_EQ(client_name_calls_, 1);
  EXPECT_EQ(reverse_name_calls_, 1);

  // Lookups left empty behave the same.
  AccessRequest bare;
  bare.client = Ip("10.0.0.1");
  bare.destination = Ip("192.0.2.1");
  EXPECT_EQ(DecidingLine(rules.CheckAccess(bare)), 3);
}

TEST_F(NameRulesTest, Socks4aNameStillMatchesAddressRulesByResolving) {
  const RuleSet rules = MakeRuleSet(
      "deny ALL 192.0.2.0/24\n"      // 1: the name resolves in here
      "permit ALL .example.org\n");  // 2
  AccessRequest request = Request("10.0.0.1", std::nullopt, std::nullopt);
  request.destination_name = "www.example.org";
  EXPECT_EQ(DecidingLine(rules.CheckAccess(request)), 1);
  EXPECT_EQ(resolve_calls_, 1);

  // A name that does not resolve here can still match name rules.
  request.resolve_destination = [] { return std::vector<net::IpAddress>{}; };
  EXPECT_EQ(DecidingLine(rules.CheckAccess(request)), 2);
  EXPECT_EQ(reverse_name_calls_, 0);
}

TEST_F(NameRulesTest, Socks4aIpLiteralIsMatchedByItsReverseName) {
  // Otherwise `deny ALL .example.org` could be dodged by sending the
  // address as a SOCKS4A "name".
  const RuleSet rules = MakeRuleSet(
      "deny ALL .example.org\n"
      "permit ALL\n");
  AccessRequest request = Request("10.0.0.1", std::nullopt, "www.example.org");
  request.destination_name = "192.0.2.80";
  EXPECT_EQ(DecidingLine(rules.CheckAccess(request)), 1);
  EXPECT_EQ(reverse_name_calls_, 1);
}

// docs/socks_conf.md#decision, the routing file of an rsockd inside
// corp.example.
constexpr char kCorpRouting[] =
    "sockd @=10.1.1.1:1080 .lab.corp.example\n"
    "direct .corp.example\n"
    "direct 10.0.0.0 255.0.0.0\n"
    "deny *=mallory ALL\n"
    "sockd ALL eq 80\n"
    "sockd @=fw1.corp.example,fw2.corp.example ALL\n";

RuleSet MakeRouting(absl::string_view routing, absl::string_view route = "",
                    std::vector<UpstreamServer> defaults = {}) {
  absl::StatusOr<SocksConf> socks = ParseSocksConf(routing, "s.conf");
  EXPECT_TRUE(socks.ok()) << socks.status();
  std::optional<SockdRoute> interfaces;
  if (!route.empty()) {
    absl::StatusOr<SockdRoute> parsed = ParseSockdRoute(route, "r.route");
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    if (parsed.ok()) interfaces = *std::move(parsed);
  }
  return RuleSet(SockdConf(), socks.ok() ? *std::move(socks) : SocksConf(),
                 std::move(interfaces), std::move(defaults));
}

AccessRequest NameRequest(absl::string_view user, absl::string_view name,
                          uint16_t port) {
  AccessRequest request;
  request.user = std::string(user);
  request.destination_name = std::string(name);
  request.port = port;
  return request;
}

std::vector<std::string> Servers(const RoutingDecision& decision) {
  std::vector<std::string> servers;
  for (const UpstreamServer& server : decision.servers) {
    servers.push_back(server.ToString());
  }
  return servers;
}

TEST(RoutingTest, WithoutSocksConfEverythingIsDirect) {
  const RuleSet rules(SockdConf{});
  const RoutingDecision decision =
      rules.Route(Request("u", "10.0.0.1", "192.0.2.1", 80));
  EXPECT_EQ(decision.action, SocksRule::Action::kDirect);
  EXPECT_EQ(decision.rule, nullptr);
}

TEST(RoutingTest, CorpExampleFirstMatchWins) {
  const RuleSet rules =
      MakeRouting(kCorpRouting, "", {UpstreamServer{"dflt", 1080}});
  RoutingDecision lab =
      rules.Route(NameRequest("u", "db.lab.corp.example", 5432));
  EXPECT_EQ(lab.action, SocksRule::Action::kSockd);
  EXPECT_THAT(Servers(lab), ::testing::ElementsAre("10.1.1.1:1080"));
  EXPECT_EQ(lab.rule->line, 1);

  EXPECT_EQ(rules.Route(NameRequest("u", "www.corp.example", 80)).action,
            SocksRule::Action::kDirect);
  const RoutingDecision inside =
      rules.Route(Request("u", "1.1.1.1", "10.20.30.40", 22));
  EXPECT_EQ(inside.action, SocksRule::Action::kDirect);
  EXPECT_EQ(inside.rule->line, 3);

  const RoutingDecision mallory =
      rules.Route(Request("mallory", "1.1.1.1", "192.0.2.1", 22));
  EXPECT_EQ(mallory.action, SocksRule::Action::kDeny);
  EXPECT_EQ(mallory.rule->line, 4);

  const RoutingDecision web =
      rules.Route(Request("u", "1.1.1.1", "192.0.2.1", 80));
  EXPECT_EQ(web.rule->line, 5);
  EXPECT_THAT(Servers(web), ::testing::ElementsAre("dflt:1080"));

  const RoutingDecision rest =
      rules.Route(Request("u", "1.1.1.1", "192.0.2.1", 22));
  EXPECT_EQ(rest.rule->line, 6);
  EXPECT_THAT(Servers(rest), ::testing::ElementsAre("fw1.corp.example:1080",
                                                    "fw2.corp.example:1080"));
}

TEST(RoutingTest, NoMatchingLineDenies) {
  const RuleSet rules = MakeRouting("direct 10.0.0.0/8\n");
  const RoutingDecision decision =
      rules.Route(Request("u", "1.1.1.1", "192.0.2.1", 22));
  EXPECT_EQ(decision.action, SocksRule::Action::kDeny);
  EXPECT_EQ(decision.rule, nullptr);
}

TEST(RoutingTest, LoopbackAndUnspecifiedAreAlwaysDirect) {
  const RuleSet rules = MakeRouting("deny ALL\n");
  EXPECT_EQ(rules.Route(Request("u", "1.1.1.1", "127.0.0.1", 22)).action,
            SocksRule::Action::kDirect);
  EXPECT_EQ(rules.Route(Request("u", "1.1.1.1", "0.0.0.0", 22)).action,
            SocksRule::Action::kDirect);
  EXPECT_EQ(rules.Route(NameRequest("u", "127.0.0.1", 22)).action,
            SocksRule::Action::kDirect);
  // Only those two: the rest of 127/8 follows the file.
  EXPECT_EQ(rules.Route(Request("u", "1.1.1.1", "127.0.0.2", 22)).action,
            SocksRule::Action::kDeny);
}

TEST(RoutingTest, Socks4aNameMatchesAddressLinesOnlyByResolving) {
  const RuleSet rules = MakeRouting("direct 10.0.0.0/8\nsockd @=fw ALL\n");
  AccessRequest request = NameRequest("u", "intranet.example", 80);
  int resolves = 0;
  request.resolve_destination = [&resolves] {
    ++resolves;
    return std::vector<net::IpAddress>{Ip("10.1.2.3")};
  };
  EXPECT_EQ(rules.Route(request).action, SocksRule::Action::kDirect);
  EXPECT_EQ(resolves, 1);
  // A name that does not resolve here goes on to the next line.
  request.resolve_destination = [] { return std::vector<net::IpAddress>(); };
  EXPECT_EQ(rules.Route(request).action, SocksRule::Action::kSockd);
}

TEST(RoutingTest, DirectLineByAddressRoutesOnlyTheAddressesItMatched) {
  const RuleSet rules = MakeRouting("direct 10.0.0.0/8\nsockd @=fw ALL\n");
  AccessRequest request = NameRequest("u", "split.example", 80);
  request.resolve_destination = [] {
    return std::vector<net::IpAddress>{Ip("192.0.2.7"), Ip("10.1.2.3")};
  };
  const RoutingDecision route = rules.Route(request);
  EXPECT_EQ(route.action, SocksRule::Action::kDirect);
  EXPECT_THAT(route.addresses,
              ::testing::Optional(::testing::ElementsAre(Ip("10.1.2.3"))));
}

// What SourceAddressFor says about `target`, as text: "kernel", the
// address, or the error. A name is the one the target is reached by.
std::string SourceFor(const RuleSet& rules, absl::string_view target,
                      absl::string_view name = "",
                      Command command = Command::kConnect) {
  absl::StatusOr<std::optional<net::IpAddress>> source =
      rules.SourceAddressFor({.command = command,
                              .address = Ip(target),
                              .name = std::string(name),
                              .reverse_name = nullptr});
  if (!source.ok()) return std::string(source.status().message());
  return source->has_value() ? (*source)->ToString() : "kernel";
}

std::string BindSourceFor(const RuleSet& rules, absl::string_view target,
                          absl::string_view name = "") {
  return SourceFor(rules, target, name, Command::kBind);
}

TEST(InterfaceRouteTest, NoRouteFileLetsTheKernelChoose) {
  EXPECT_EQ(SourceFor(RuleSet(SockdConf{}), "192.0.2.1"), "kernel");
  EXPECT_EQ(BindSourceFor(RuleSet(SockdConf{}), "192.0.2.1"), "kernel");
}

TEST(InterfaceRouteTest, FirstMatchingLineOfTheSameFamilyDecides) {
  const RuleSet rules = MakeRouting("direct ALL\n",
                                    "::1 ALL\n"
                                    "127.0.0.2 127.0.0.0 255.0.0.0\n"
                                    "127.0.0.3 .example.org\n"
                                    "127.0.0.4 10.0.0.0/8\n");
  for (Command command : {Command::kConnect, Command::kBind}) {
    EXPECT_EQ(SourceFor(rules, "127.0.0.1", "", command), "127.0.0.2");
    EXPECT_EQ(SourceFor(rules, "192.0.2.1", "www.example.org", command),
              "127.0.0.3");
    EXPECT_EQ(SourceFor(rules, "10.9.9.9", "", command), "127.0.0.4");
    EXPECT_EQ(SourceFor(rules, "2001:db8::1", "", command), "::1");
  }
}

// sockd.route(5): classic route files were written for BIND and have no
// catch-all line. A CONNECT that no line matches goes out from where the
// kernel chooses; a BIND has nowhere to listen and fails.
TEST(InterfaceRouteTest, NoMatchingLineLetsTheKernelChooseOnlyForConnect) {
  const RuleSet rules = MakeRouting("direct ALL\n", "127.0.0.4 10.0.0.0/8\n");
  EXPECT_EQ(SourceFor(rules, "192.0.2.1"), "kernel");
  EXPECT_EQ(SourceFor(rules, "2001:db8::1"), "kernel");
  EXPECT_EQ(BindSourceFor(rules, "192.0.2.1"),
            "Cannot find appropriate interface to communicate with "
            "192.0.2.1");
  EXPECT_EQ(BindSourceFor(rules, "2001:db8::1"),
            "Cannot find appropriate interface to communicate with "
            "2001:db8::1");
}

TEST(InterfaceRouteTest, UnspecifiedInterfaceLetsTheKernelChoose) {
  const RuleSet rules = MakeRouting("direct ALL\n",
                                    "0.0.0.0 10.0.0.0/8\n"
                                    ":: 2001:db8::/32\n"
                                    "127.0.0.2 ALL\n");
  for (Command command : {Command::kConnect, Command::kBind}) {
    EXPECT_EQ(SourceFor(rules, "10.1.2.3", "", command), "kernel");
    EXPECT_EQ(SourceFor(rules, "2001:db8::7", "", command), "kernel");
    EXPECT_EQ(SourceFor(rules, "192.0.2.1", "", command), "127.0.0.2");
  }
  // Of the interface's family only: :: is no catch-all for IPv4.
  EXPECT_EQ(BindSourceFor(MakeRouting("direct ALL\n", ":: ALL\n"), "10.1.2.3"),
            "Cannot find appropriate interface to communicate with "
            "10.1.2.3");
}

// Name and zone lines match a target reached by a name with that name, and a
// plain-IP target with its forward-confirmed reverse name, looked up at most
// once and only when such a line is reached.
TEST(InterfaceRouteTest, NameLinesMatchPlainAddressesByTheirReverseName) {
  const RuleSet rules = MakeRouting("direct ALL\n",
                                    "127.0.0.5 192.0.2.0/24\n"
                                    "127.0.0.6 .partner.example\n"
                                    "127.0.0.7 host.partner.example\n"
                                    "127.0.0.8 198.51.100.0/24\n");
  int lookups = 0;
  const auto source = [&](absl::string_view target, absl::string_view name,
                          std::optional<std::string> reverse) {
    absl::StatusOr<std::optional<net::IpAddress>> chosen =
        rules.SourceAddressFor({.command = Command::kBind,
                                .address = Ip(target),
                                .name = std::string(name),
                                .reverse_name = [&lookups, reverse] {
                                  ++lookups;
                                  return reverse;
                                }});
    if (!chosen.ok()) return std::string(chosen.status().message());
    return chosen->has_value() ? (*chosen)->ToString() : "kernel";
  };

  EXPECT_EQ(source("203.0.113.9", "", "www.partner.example"), "127.0.0.6");
  EXPECT_EQ(lookups, 1);
  // Reached before any name line: no lookup.
  EXPECT_EQ(source("192.0.2.9", "", "www.partner.example"), "127.0.0.5");
  EXPECT_EQ(lookups, 1);
  // One lookup for both name lines it goes past.
  EXPECT_EQ(source("198.51.100.9", "", "other.example"), "127.0.0.8");
  EXPECT_EQ(lookups, 2);
  // No confirmed name: no name line matches.
  EXPECT_EQ(source("203.0.113.9", "", std::nullopt),
            "Cannot find appropriate interface to communicate with "
            "203.0.113.9");
  EXPECT_EQ(lookups, 3);
  // A target reached by a name is matched by that name, without a lookup;
  // a name that is an IP literal is no name.
  EXPECT_EQ(source("203.0.113.9", "HOST.partner.example", "x.example"),
            "127.0.0.6");
  EXPECT_EQ(lookups, 3);
  EXPECT_EQ(source("203.0.113.9", "203.0.113.9", "host.partner.example"),
            "127.0.0.6");
  EXPECT_EQ(lookups, 4);
}

}  // namespace
}  // namespace rsockd::rules
