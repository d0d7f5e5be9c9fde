#include "rules/socks_conf.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "rules/lexer.h"
#include "rules/parse_test_util.h"
#include "testing/files.h"
#include "testing/status_matchers.h"

namespace rsockd::rules {

void PrintTo(const SocksRule& rule, std::ostream* os) {
  *os << rule.line << ": " << rule.ToString();
}

namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

// docs/socks_conf.md#decision, the routing file of an rsockd inside
// corp.example.
constexpr char kCorpExample[] =
    "# inner zone: through the SOCKS server of the lab firewall\n"
    "sockd @=10.1.1.1:1080 .lab.corp.example\n"
    "# the rest of corp.example: direct\n"
    "direct .corp.example\n"
    "direct 10.0.0.0 255.0.0.0\n"
    "# everything else: through the outer firewalls, in order\n"
    "sockd @=fw1.corp.example,fw2.corp.example ALL\n";

net::IpAddress Ip(absl::string_view text) {
  return *net::IpAddress::Parse(text);
}

UpstreamServer Server(absl::string_view host, uint16_t port) {
  return UpstreamServer{std::string(host), port};
}

std::string ParseError(absl::string_view text) {
  return ParseErrorOf(ParseSocksConf, text, "s.conf");
}

SocksRule ParseOneRule(absl::string_view text) {
  return OnlyRuleOf(ParseSocksConf, text, "s.conf");
}

TEST(SocksConfTest, ParsesTheCorpExample) {
  ASSERT_OK_AND_ASSIGN(SocksConf conf, ParseSocksConf(kCorpExample, "s.conf"));
  EXPECT_EQ(conf.filename, "s.conf");
  ASSERT_THAT(conf.rules, SizeIs(4));

  EXPECT_EQ(conf.rules[0].action, SocksRule::Action::kSockd);
  EXPECT_THAT(conf.rules[0].servers, ElementsAre(Server("10.1.1.1", 1080)));
  EXPECT_EQ(conf.rules[0].destination, AddressSpec::Zone("lab.corp.example"));
  EXPECT_EQ(conf.rules[0].line, 2);
  EXPECT_EQ(conf.rules[0].column, 1);

  EXPECT_EQ(conf.rules[1].action, SocksRule::Action::kDirect);
  EXPECT_TRUE(conf.rules[1].servers.empty());
  EXPECT_EQ(conf.rules[2].destination,
            AddressSpec::Masked(Ip("10.0.0.0"), Ip("255.0.0.0")));

  const uint16_t socks = DefaultUpstreamPort();
  EXPECT_THAT(conf.rules[3].servers,
              ElementsAre(Server("fw1.corp.example", socks),
                          Server("fw2.corp.example", socks)));
  EXPECT_TRUE(conf.rules[3].destination.is_all());
  EXPECT_EQ(conf.rules[3].line, 7);
}

TEST(SocksConfTest, DefaultPortIsTheSocksService) {
  // Debian's /etc/services lists socks 1080/tcp; the fallback is 1080 too.
  EXPECT_EQ(DefaultUpstreamPort(), 1080);
}

TEST(SocksConfTest, ParsesEveryServerForm) {
  const SocksRule rule = ParseOneRule(
      "sockd @=FW.Example.org,fw2.example.org:1081,10.0.0.1,10.0.0.2:socks,"
      "::1,[2001:db8::1]:1082,[::2] ALL\n");
  EXPECT_THAT(
      rule.servers,
      ElementsAre(Server("fw.example.org", 1080),
                  Server("fw2.example.org", 1081), Server("10.0.0.1", 1080),
                  Server("10.0.0.2", 1080), Server("::1", 1080),
                  Server("2001:db8::1", 1082), Server("::2", 1080)));
  EXPECT_EQ(rule.ToString(),
            "sockd @=fw.example.org:1080,fw2.example.org:1081,10.0.0.1:1080,"
            "10.0.0.2:1080,[::1]:1080,[2001:db8::1]:1082,[::2]:1080 ALL");
}

TEST(SocksConfTest, MappedServerAddressesAreIPv4) {
  const SocksRule rule =
      ParseOneRule("sockd @=[::ffff:10.0.0.1]:1081,::ffff:10.0.0.2 ALL\n");
  EXPECT_THAT(rule.servers,
              ElementsAre(Server("10.0.0.1", 1081), Server("10.0.0.2", 1080)));
}

TEST(SocksConfTest, LegacyServerFormEqualsTheField) {
  const SocksRule legacy = ParseOneRule("sockd@fw1:1081,fw2 .example.org\n");
  SocksRule field = ParseOneRule("sockd @=fw1:1081,fw2 .example.org\n");
  EXPECT_EQ(legacy, field);
  EXPECT_THAT(legacy.servers,
              ElementsAre(Server("fw1", 1081), Server("fw2", 1080)));
}

TEST(SocksConfTest, FieldsInEitherOrderPortAndCommand) {
  const SocksRule rule = ParseOneRule(
      "  sockd *=ylee,bob @=fw:1080 10.0.0.0/8 eq telnet : logger %u\n");
  EXPECT_EQ(rule.column, 3);
  ASSERT_TRUE(rule.users.has_value());
  EXPECT_THAT(rule.users->items(), ElementsAre("ylee", "bob"));
  EXPECT_EQ(rule.port, PortSpec(PortSpec::Op::kEq, 23));
  EXPECT_EQ(rule.command, "logger %u");
  EXPECT_EQ(rule.ToString(),
            "sockd @=fw:1080 *=ylee,bob 10.0.0.0/8 eq 23 : logger %u");
}

TEST(SocksConfTest, ClassicAllForms) {
  EXPECT_TRUE(ParseOneRule("direct ALL 0.0.0.0\n").destination.is_all());
  const SocksRule rule = ParseOneRule("deny 0.0.0.0 0.0.0.0\n");
  EXPECT_TRUE(rule.destination.Matches(Ip("192.0.2.1")));
  EXPECT_EQ(rule.action, SocksRule::Action::kDeny);
}

TEST(SocksConfTest, SockdWithoutServersUsesTheDefault) {
  const SocksRule rule = ParseOneRule("sockd ALL\n");
  EXPECT_TRUE(rule.servers.empty());
  EXPECT_EQ(rule.ToString(), "sockd ALL");
}

// socks.conf(5): an empty `@=` list, like no `@=`, means the default server
// (--socks_server, else $SOCKS_SERVER).
TEST(SocksConfTest, EmptyServerListMeansTheDefaultServer) {
  const SocksRule empty = ParseOneRule("sockd @= .example.org eq 80\n");
  EXPECT_EQ(empty.action, SocksRule::Action::kSockd);
  EXPECT_TRUE(empty.servers.empty());
  EXPECT_EQ(empty, ParseOneRule("sockd .example.org eq 80\n"));
  EXPECT_EQ(empty.ToString(), "sockd .example.org eq 80");
  EXPECT_EQ(ParseOneRule("sockd@ *=bob ALL\n"),
            ParseOneRule("sockd *=bob ALL\n"));
  // Still at most one server list.
  EXPECT_THAT(ParseError("sockd @= @=fw ALL\n"),
              HasSubstr("s.conf:1:10: duplicated field \"@=\""));
}

// socks.conf(5), "Lexical rules": the ':' of a server entry or an IPv6
// address is part of its token; only " : " starts the hook command.
TEST(SocksConfTest, ColonsOfServersAndAddressesAreNotHooks) {
  const SocksRule rule = ParseOneRule(
      "sockd @=10.1.1.1:1080,[::1]:1081 2001:db8::/32 : logger %u\n");
  EXPECT_THAT(rule.servers,
              ElementsAre(Server("10.1.1.1", 1080), Server("::1", 1081)));
  EXPECT_EQ(rule.destination, AddressSpec::Prefix(Ip("2001:db8::"), 32));
  EXPECT_EQ(rule.command, "logger %u");
  const SocksRule legacy = ParseOneRule("sockd@fw1:1081 [2001:db8::]/32 : h\n");
  EXPECT_THAT(legacy.servers, ElementsAre(Server("fw1", 1081)));
  EXPECT_EQ(legacy.destination, rule.destination);
  EXPECT_EQ(legacy.command, "h");

  // A mistyped address is an error at its column, not a shorter rule.
  EXPECT_THAT(ParseError("sockd @=fw 127.0.0.0/8 ::1/\n"),
              HasSubstr("s.conf:1:24: unexpected \"::1/\""));
  EXPECT_THAT(ParseError("deny ::1/ : hook\n"),
              HasSubstr("s.conf:1:6: invalid prefix length in \"::1/\""));
  // A classic hook without blanks around its ':' is an error that says so.
  const std::string classic = ParseError("sockd@fw1:1080 ALL: hook\n");
  EXPECT_THAT(classic, HasSubstr("s.conf:1:16: invalid address \"ALL:\""));
  EXPECT_THAT(classic, HasSubstr("put a blank before and after the ':'"));
}

TEST(SocksConfTest, FormatParsesBackToTheSameRules) {
  ASSERT_OK_AND_ASSIGN(SocksConf conf, ParseSocksConf(kCorpExample, "s.conf"));
  ASSERT_OK_AND_ASSIGN(SocksConf again,
                       ParseSocksConf(FormatSocksConf(conf), "s.conf"));
  ASSERT_THAT(again.rules, SizeIs(conf.rules.size()));
  for (size_t i = 0; i < conf.rules.size(); ++i) {
    SocksRule left = conf.rules[i];
    SocksRule right = again.rules[i];
    left.line = right.line = left.column = right.column = 0;
    EXPECT_EQ(left, right);
  }
}

// Every server written without a port gains ":1080" when normalized: a list
// that fits in a line as written may not fit once dumped.
TEST(SocksConfTest, RefusesARuleThatNormalizesPastTheLineLimit) {
  std::vector<std::string> servers;
  for (int i = 0; i < 600; ++i) servers.push_back(absl::StrCat("h", i));
  const std::string fits = absl::StrCat(
      "sockd @=", absl::StrJoin(servers.begin(), servers.begin() + 300, ","),
      " ALL\n");
  const SocksRule rule = ParseOneRule(fits);
  EXPECT_LE(rule.ToString().size(), kMaxLineLength);

  const std::string line =
      absl::StrCat("sockd @=", absl::StrJoin(servers, ","), " ALL");
  ASSERT_LE(line.size(), kMaxLineLength) << "as written, the line fits";
  EXPECT_THAT(ParseError(absl::StrCat("direct 10.0.0.0/8\n", line, "\n")),
              ::testing::MatchesRegex(
                  "s\\.conf:2:1: the rule is [0-9]+ bytes once normalized, "
                  "more than a line may hold \\(4096\\): split it into "
                  "several rules"));
}

TEST(SocksConfTest, ErrorsAreLocated) {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"forward ALL\n", "s.conf:1:1: unknown keyword \"forward\""},
      {"direct\n",
       "s.conf:1:1: missing destination address after "
       "\"direct\""},
      {"direct @=fw ALL\n",
       "s.conf:1:8: a server list is only allowed on "
       "sockd lines"},
      {"sockd @=a,,b ALL\n", "s.conf:1:11: empty server name"},
      {"sockd @=fw:99999 ALL\n", "s.conf:1:12: port \"99999\" is out of"},
      {"sockd @=fw:0 ALL\n", "s.conf:1:12: port 0 cannot be connected to"},
      {"sockd @=fw: ALL\n", "s.conf:1:12: missing port after ':'"},
      {"sockd @=fw:nosuchservice ALL\n", "s.conf:1:12: unknown service"},
      {"sockd @=bad_name ALL\n", "s.conf:1:9: invalid host name"},
      {"sockd @=2001:db8::1:1080x ALL\n", "s.conf:1:9: invalid server"},
      {"sockd @=[2001:db8::1 ALL\n", "s.conf:1:9: missing ']'"},
      {"sockd @=[10.0.0.1]:1080 ALL\n", "s.conf:1:9: invalid IPv6 address"},
      {"sockd @=010.0.0.1:1080 ALL\n",
       "s.conf:1:9: invalid address \"010.0.0.1\": a part with a leading "
       "zero"},
      {"direct 010.0.0.0/8\n", "s.conf:1:8: invalid address \"010.0.0.0/8\""},
      {"sockd @=[::1]x ALL\n", "s.conf:1:14: expected ':port' after ']'"},
      {"sockd @=socks5://fw:1080 ALL\n", "s.conf:1:9: unsupported server"},
      {"sockd @=a @=b ALL\n",
       "s.conf:1:11: duplicated field \"@=\" (first "
       "at column 7)"},
      {"sockd@a @=b ALL\n",
       "s.conf:1:9: duplicated field \"@=\" (first at "
       "column 1)"},
      {"direct ALL *=bob\n", "s.conf:1:12: field \"*=bob\" must come before"},
      {"direct ALL eq 23 eq 24\n", "s.conf:1:18: duplicated port test"},
      {"direct ALL extra\n",
       "s.conf:1:12: unexpected \"extra\" after the "
       "destination address"},
      {"direct 10.0.0.1\n", "s.conf:1:8:"},
      {": hook\n", "s.conf:1:1: missing deny, direct or sockd before ':'"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ParseError(c.text), HasSubstr(c.error)) << c.text;
  }
}

TEST(SocksConfTest, ReportsEveryBadLine) {
  const std::string error =
      ParseError("direct ALL\nbogus\ndirect ALL\nsockd @=, ALL\n");
  EXPECT_THAT(error, HasSubstr("s.conf:2:1:"));
  EXPECT_THAT(error, HasSubstr("\ns.conf:4:9:"));
}

TEST(SocksConfTest, SpecialSockdConfLinesAreComments) {
  ASSERT_OK_AND_ASSIGN(
      SocksConf conf,
      ParseSocksConf("#NO_IDENTD: x\n#BAD_ID: y\ndirect ALL\n", "s.conf"));
  EXPECT_THAT(conf.rules, SizeIs(1));
}

TEST(SocksConfTest, CheckDefaultServerNamesEveryLineThatNeedsIt) {
  ASSERT_OK_AND_ASSIGN(
      SocksConf conf,
      ParseSocksConf("sockd @=fw ALL eq 80\n  sockd 10.0.0.0/8\n"
                     "direct ALL\nsockd @= ALL\n",
                     "s.conf"));
  EXPECT_THAT(CheckDefaultServer(conf, /*have_default=*/true), IsOk());
  const absl::Status status = CheckDefaultServer(conf, false);
  EXPECT_THAT(status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("s.conf:2:3: sockd line without servers (no "
                                 "@= list, or an empty one) and no default "
                                 "server: set one with --socks_server or the "
                                 "SOCKS_SERVER environment variable, or list "
                                 "servers after @=")));
  EXPECT_THAT(std::string(status.message()), HasSubstr("\ns.conf:4:1:"));
}

TEST(SocksConfTest, LoadNamesTheFile) {
  ASSERT_OK_AND_ASSIGN(const std::string dir,
                       testing::MakeTempDir("socks_conf_test"));
  const std::string path = dir + "/socks.conf";
  ASSERT_THAT(testing::WriteStringToFile(path, "direct ALL\nbad\n"), IsOk());
  EXPECT_THAT(LoadSocksConf(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(absl::StrCat(path, ":2:1:"))));
  EXPECT_THAT(LoadSocksConf(dir + "/missing"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("No such file")));
  EXPECT_THAT(testing::RemoveTree(dir), IsOk());
}

}  // namespace
}  // namespace rsockd::rules
