#include "rules/sockd_conf.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "rules/parse_test_util.h"
#include "testing/status_matchers.h"

namespace rsockd::rules {

void PrintTo(const SockdRule& rule, std::ostream* os) {
  *os << rule.line << ": " << rule.ToString();
}

namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

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

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

std::string WriteTempFile(const std::string& name, const std::string& text) {
  const std::string path = TempPath(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// The error message of parsing `text` as "t.conf".
std::string ParseError(absl::string_view text) {
  return ParseErrorOf(ParseSockdConf, text, "t.conf");
}

SockdRule ParseOneRule(absl::string_view text) {
  return OnlyRuleOf(ParseSockdConf, text, "t.conf");
}

// Rules equal apart from the line they came from.
void ExpectSameRules(const std::vector<SockdRule>& a,
                     const std::vector<SockdRule>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    SockdRule left = a[i];
    SockdRule right = b[i];
    left.line = right.line = 0;
    EXPECT_EQ(left, right) << a[i].ToString() << " vs " << b[i].ToString();
  }
}

TEST(SockdConfTest, ParsesTheWorkedExample) {
  ASSERT_OK_AND_ASSIGN(SockdConf conf,
                       ParseSockdConf(kWorkedExample, "sockd.conf"));
  EXPECT_EQ(conf.filename, "sockd.conf");
  ASSERT_THAT(conf.rules, SizeIs(4));

  const SockdRule& deny_users = conf.rules[0];
  EXPECT_EQ(deny_users.line, 1);
  EXPECT_EQ(deny_users.action, SockdRule::Action::kDeny);
  EXPECT_FALSE(deny_users.ident_level.has_value());
  ASSERT_TRUE(deny_users.users.has_value());
  EXPECT_THAT(deny_users.users->items(), ElementsAre("bonnie", "clyde"));
  EXPECT_EQ(deny_users.source,
            AddressSpec::Masked(Ip("128.12.6.0"), Ip("255.255.255.0")));
  EXPECT_TRUE(deny_users.destination.is_all());
  EXPECT_FALSE(deny_users.port.has_value());
  EXPECT_EQ(deny_users.command,
            "/usr/bin/logger 'Rejected SOCKS access by %u'");

  const SockdRule& permit_ylee = conf.rules[1];
  EXPECT_EQ(permit_ylee.line, 2);
  EXPECT_EQ(permit_ylee.action, SockdRule::Action::kPermit);
  EXPECT_EQ(permit_ylee.destination,
            AddressSpec::Masked(Ip("137.12.0.0"), Ip("255.255.0.0")));
  EXPECT_EQ(permit_ylee.command, "");

  const SockdRule& deny_telnet = conf.rules[2];
  EXPECT_EQ(deny_telnet.line, 3);
  EXPECT_FALSE(deny_telnet.users.has_value());
  EXPECT_TRUE(deny_telnet.destination.is_all());
  EXPECT_EQ(deny_telnet.port, PortSpec(PortSpec::Op::kEq, 23));

  EXPECT_EQ(conf.rules[3].line, 4);
  EXPECT_EQ(conf.rules[3].ToString(), "permit 128.12.0.0 255.255.0.0");

  EXPECT_EQ(conf.no_identd_command,
            "/usr/bin/logger 'please run identd on %A'");
  EXPECT_EQ(conf.bad_id_command,
            "/usr/bin/logger '%U pretends to be %u on %A'");
}

TEST(SockdConfTest, EmbeddedDefaultAllowsOnlyLoopback) {
  ASSERT_OK_AND_ASSIGN(SockdConf conf,
                       ParseSockdConf(kEmbeddedSockdConf, "<embedded>"));
  ASSERT_THAT(conf.rules, SizeIs(2));
  EXPECT_EQ(conf.rules[0].ToString(), "permit 127.0.0.0 255.0.0.0");
  EXPECT_EQ(conf.rules[1].ToString(), "permit ::1/128");
  EXPECT_TRUE(conf.rules[0].source.Matches(Ip("127.0.0.1")));
  EXPECT_TRUE(conf.rules[1].source.Matches(Ip("::1")));
  for (const SockdRule& rule : conf.rules) {
    EXPECT_FALSE(rule.source.Matches(Ip("10.0.0.1"))) << rule.ToString();
    EXPECT_FALSE(rule.source.Matches(Ip("::2"))) << rule.ToString();
  }
  EXPECT_THAT(std::string(kEmbeddedSockdConf), HasSubstr("\n#"));
}

TEST(SockdConfTest, EmptyAndCommentOnlyFilesHaveNoRules) {
  ASSERT_OK_AND_ASSIGN(SockdConf empty, ParseSockdConf("", "t.conf"));
  EXPECT_THAT(empty.rules, SizeIs(0));
  ASSERT_OK_AND_ASSIGN(SockdConf comments,
                       ParseSockdConf("# a\n\n   \n\t# b\n", "t.conf"));
  EXPECT_THAT(comments.rules, SizeIs(0));
}

TEST(SockdConfTest, ParsesIdentLevels) {
  EXPECT_EQ(ParseOneRule("permit ?=I ALL").ident_level, IdentLevel::kStrict);
  EXPECT_EQ(ParseOneRule("permit ?=i ALL").ident_level, IdentLevel::kLenient);
  EXPECT_EQ(ParseOneRule("permit ?=n ALL").ident_level, IdentLevel::kOff);
  EXPECT_EQ(ParseOneRule("permit ?= ALL").ident_level, IdentLevel::kOff);
  EXPECT_FALSE(ParseOneRule("permit ALL").ident_level.has_value());
  EXPECT_EQ(static_cast<int>(IdentLevel::kStrict), 2);
}

TEST(SockdConfTest, FieldsComeInEitherOrder) {
  const SockdRule a = ParseOneRule("permit ?=i *=ylee ALL");
  const SockdRule b = ParseOneRule("permit *=ylee ?=i ALL");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.ToString(), "permit ?=i *=ylee ALL");
}

TEST(SockdConfTest, EmptyUserListMatchesEveryone) {
  const SockdRule rule = ParseOneRule("permit *= ALL");
  ASSERT_TRUE(rule.users.has_value());
  EXPECT_TRUE(rule.users->matches_everyone());
  EXPECT_EQ(rule.ToString(), "permit *= ALL");
}

TEST(SockdConfTest, ParsesEveryFieldAtOnce) {
  // The original dropped the port test on lines that used every field.
  const SockdRule rule = ParseOneRule(
      "deny ?=I *=a,b 10.0.0.0 255.0.0.0 192.168.0.0/16 ge 1024 : hook %u");
  EXPECT_EQ(rule.action, SockdRule::Action::kDeny);
  EXPECT_EQ(rule.ident_level, IdentLevel::kStrict);
  EXPECT_EQ(rule.destination, AddressSpec::Prefix(Ip("192.168.0.0"), 16));
  EXPECT_EQ(rule.port, PortSpec(PortSpec::Op::kGe, 1024));
  EXPECT_EQ(rule.command, "hook %u");
  EXPECT_EQ(rule.ToString(),
            "deny ?=I *=a,b 10.0.0.0 255.0.0.0 192.168.0.0/16 ge 1024 : hook "
            "%u");
}

TEST(SockdConfTest, OneTokenSpecsTakeAnIgnoredZeroMask) {
  const SockdRule rule = ParseOneRule("permit ALL 0.0.0.0 10.0.0.0/8 0.0.0.0");
  EXPECT_TRUE(rule.source.is_all());
  EXPECT_EQ(rule.destination, AddressSpec::Prefix(Ip("10.0.0.0"), 8));
  EXPECT_EQ(rule.ToString(), "permit ALL 10.0.0.0/8");
}

TEST(SockdConfTest, PortTestWithoutDestination) {
  const SockdRule rule = ParseOneRule("deny 128.12.0.0/16 eq telnet");
  EXPECT_TRUE(rule.destination.is_all());
  EXPECT_EQ(rule.port, PortSpec(PortSpec::Op::kEq, 23));
}

TEST(SockdConfTest, SpecialLinesFirstOneCounts) {
  ASSERT_OK_AND_ASSIGN(SockdConf conf, ParseSockdConf("#BAD_ID: first\n"
                                                      "#BAD_ID: second\n"
                                                      "#NO_IDENTD:   only  \n",
                                                      "t.conf"));
  EXPECT_EQ(conf.bad_id_command, "first");
  EXPECT_EQ(conf.no_identd_command, "only");
  EXPECT_THAT(conf.rules, SizeIs(0));
}

TEST(SockdConfTest, ReadsUserFilesWhenParsing) {
  const std::string path = WriteTempFile("conf_users", "alice\nbob\n");
  const SockdRule rule =
      ParseOneRule(absl::StrCat("permit *=ylee,", path, " ALL"));
  ASSERT_TRUE(rule.users.has_value());
  EXPECT_TRUE(rule.users->Matches("bob"));
  EXPECT_TRUE(rule.users->Matches("ylee"));
  EXPECT_FALSE(rule.users->Matches("eve"));
}

// Errors: every one located as file:line:col.

TEST(SockdConfTest, RejectsUnknownKeyword) {
  EXPECT_EQ(ParseError("# c\n  allow ALL\n"),
            "t.conf:2:3: unknown keyword \"allow\": expected permit or deny");
  EXPECT_EQ(ParseError("Permit ALL"),
            "t.conf:1:1: unknown keyword \"Permit\": expected permit or deny");
}

TEST(SockdConfTest, RejectsCommandWithoutRule) {
  EXPECT_EQ(ParseError("   : echo hi"),
            "t.conf:1:4: missing permit or deny before ':'");
}

TEST(SockdConfTest, RejectsMissingSource) {
  EXPECT_EQ(ParseError("permit"),
            "t.conf:1:1: missing source address after \"permit\"");
  EXPECT_EQ(ParseError("deny *=ylee : hook"),
            "t.conf:1:6: missing source address after \"*=ylee\"");
}

TEST(SockdConfTest, RejectsBadAddressesAndMasks) {
  EXPECT_EQ(ParseError("permit\t128.12.0.256 255.255.0.0"),
            "t.conf:1:8: invalid address \"128.12.0.256\": expected ALL, a "
            "dotted quad with mask, a CIDR, a host name or a .zone");
  EXPECT_EQ(ParseError("permit ALL *"),
            "t.conf:1:12: invalid address \"*\": expected ALL, a dotted quad "
            "with mask, a CIDR, a host name or a .zone");
  EXPECT_EQ(ParseError("permit 10.0.0.0 255.0.0"),
            "t.conf:1:17: invalid mask \"255.0.0\": expected a dotted quad "
            "such as 255.255.255.0");
  EXPECT_EQ(ParseError("permit 10.0.0.0 eq 23"),
            "t.conf:1:17: invalid mask \"eq\": expected a dotted quad such as "
            "255.255.255.0");
  EXPECT_EQ(ParseError("permit 10.0.0.0/40"),
            "t.conf:1:8: invalid prefix length in \"10.0.0.0/40\": expected "
            "0..32");
}

TEST(SockdConfTest, RejectsBadNamesAndZones) {
  EXPECT_EQ(ParseError("permit\tfoo_bar.example"),
            "t.conf:1:8: invalid host name \"foo_bar.example\": character "
            "\"_\" is not a letter, digit, hyphen or dot");
  EXPECT_EQ(ParseError("# zones\npermit ALL  .zone..example eq 80"),
            "t.conf:2:13: invalid zone \".zone..example\": empty label");
  EXPECT_EQ(ParseError("deny .lab.example 0.0.0.0 www.example. : hook"),
            "t.conf:1:27: invalid host name \"www.example.\": it ends with a "
            "dot");
  EXPECT_EQ(ParseError("deny all"),
            "t.conf:1:6: invalid address \"all\": write ALL, in capitals, for "
            "any address");
  EXPECT_EQ(ParseError("deny eq telnet"),
            "t.conf:1:6: invalid address \"eq\": a keyword is not a host "
            "name");
  EXPECT_EQ(ParseError("permit ALL ."),
            "t.conf:1:12: invalid address \".\": expected ALL, a dotted quad "
            "with mask, a CIDR, a host name or a .zone");
  // The mask after a name may only be the ignored 0.0.0.0: anything else is
  // read as the destination.
  EXPECT_EQ(ParseError("permit host.example 255.255.255.0"),
            "t.conf:1:21: missing mask after address \"255.255.255.0\": "
            "expected a dotted quad such as 255.255.255.0");
}

TEST(SockdConfTest, ParsesNamesAndZones) {
  const SockdRule rule = ParseOneRule(
      "permit *=ylee .Lab.Example 0.0.0.0 WWW.example.org 0.0.0.0 eq http : "
      "hook");
  EXPECT_EQ(rule.source, AddressSpec::Zone("lab.example"));
  EXPECT_EQ(rule.destination, AddressSpec::Host("www.example.org"));
  EXPECT_EQ(rule.port, PortSpec(PortSpec::Op::kEq, 80));
  EXPECT_EQ(rule.ToString(),
            "permit *=ylee .lab.example www.example.org eq 80 : hook");

  // The classic form (docs/sockd_conf.md#grammar): a zone with its ignored
  // mask.
  const SockdRule classic = ParseOneRule("deny ALL .lab.example 0.0.0.0");
  EXPECT_TRUE(classic.source.is_all());
  EXPECT_EQ(classic.destination, AddressSpec::Zone("lab.example"));
  EXPECT_EQ(classic.ToString(), "deny ALL .lab.example");

  const SockdRule mixed = ParseOneRule("deny localhost 10.0.0.0 255.0.0.0");
  EXPECT_EQ(mixed.source, AddressSpec::Host("localhost"));
  EXPECT_EQ(mixed.destination,
            AddressSpec::Masked(Ip("10.0.0.0"), Ip("255.0.0.0")));
}

TEST(SockdConfTest, RejectsAllWithTwoZeroMasks) {
  // docs/sockd_conf.md#grammar: write `permit ALL` or `permit 0.0.0.0 0.0.0.0`.
  EXPECT_EQ(ParseError("permit ALL 0.0.0.0 0.0.0.0"),
            "t.conf:1:20: missing mask after address \"0.0.0.0\": expected a "
            "dotted quad such as 255.255.255.0");
  EXPECT_THAT(ParseSockdConf("permit 0.0.0.0 0.0.0.0", "t.conf"), IsOk());
}

TEST(SockdConfTest, RejectsBadPorts) {
  EXPECT_EQ(ParseError("deny ALL eq 70000"),
            "t.conf:1:13: port \"70000\" is out of range 0..65535");
  EXPECT_EQ(ParseError("deny ALL ALL eq telnett"),
            "t.conf:1:17: unknown service \"telnett\": expected a port number "
            "0..65535 or a tcp service name from /etc/services");
}

TEST(SockdConfTest, RejectsDanglingOperator) {
  EXPECT_EQ(ParseError("deny 128.12.0.0 255.255.0.0 eq : hook"),
            "t.conf:1:29: operator \"eq\" needs a port number or service name "
            "after it");
  EXPECT_EQ(ParseError("deny ALL lt"),
            "t.conf:1:10: operator \"lt\" needs a port number or service name "
            "after it");
}

TEST(SockdConfTest, RejectsUnknownIdentLevel) {
  EXPECT_EQ(ParseError("permit ?=x ALL"),
            "t.conf:1:8: unknown ident level \"?=x\": expected ?=I (strict), "
            "?=i (lenient), ?=n or ?= (off)");
  EXPECT_THAT(ParseError("permit ?=II ALL"),
              HasSubstr("t.conf:1:8: unknown ident level \"?=II\""));
}

TEST(SockdConfTest, RejectsDuplicatedFields) {
  EXPECT_EQ(ParseError("permit ?=i *=a ?=I ALL"),
            "t.conf:1:16: duplicated field \"?=\" (first at column 8)");
  EXPECT_EQ(ParseError("permit *=a *=b ALL"),
            "t.conf:1:12: duplicated field \"*=\" (first at column 8)");
  EXPECT_EQ(ParseError("permit *=a ALL *=b"),
            "t.conf:1:16: duplicated field \"*=\" (first at column 8)");
  EXPECT_EQ(ParseError("deny ALL eq 23 eq 25"),
            "t.conf:1:16: duplicated port test \"eq\"");
}

TEST(SockdConfTest, RejectsMisplacedFields) {
  EXPECT_EQ(ParseError("permit ALL ?=I"),
            "t.conf:1:12: field \"?=I\" must come before the source address");
  EXPECT_EQ(ParseError("permit ALL ALL *=x"),
            "t.conf:1:16: field \"*=x\" must come before the source address");
}

TEST(SockdConfTest, RejectsStrayTokens) {
  EXPECT_EQ(ParseError("permit ALL ALL extra"),
            "t.conf:1:16: unexpected \"extra\" after the destination address: "
            "expected a port test (eq, neq, lt, gt, le, ge), ':' or the end "
            "of the line");
  EXPECT_EQ(ParseError("permit ALL eq 23 extra"),
            "t.conf:1:18: unexpected \"extra\" after the port test");
}

// sockd.conf(5), "Lexical rules": the hook command starts at a ':' that
// begins a token and is followed by a blank or the end of the line. Any
// other ':' belongs to its token, so a mistyped IPv6 address is an error at
// its column instead of a hook that silently drops the destination.
TEST(SockdConfTest, MistypedIPv6AddressIsAnErrorNotAHook) {
  EXPECT_EQ(ParseError("permit 127.0.0.0/8 ::1/"),
            "t.conf:1:20: invalid prefix length in \"::1/\": expected 0..128");
  EXPECT_THAT(ParseError("permit 127.0.0.0/8 ::1/12x8 : hook"),
              HasSubstr("t.conf:1:20: invalid prefix length"));
  EXPECT_THAT(ParseError("deny ALL 2001:db8::g/32"),
              HasSubstr("t.conf:1:10: invalid address \"2001:db8::g/32\""));
}

TEST(SockdConfTest, HookColonWithoutBlanksIsAnErrorThatSaysSo) {
  constexpr char kHint[] =
      " (to start a hook command, put a blank before and after the ':': "
      "\"... : command\")";
  EXPECT_EQ(ParseError("deny ALL:logger %u"),
            absl::StrCat("t.conf:1:6: invalid address \"ALL:logger\": "
                         "expected ALL, a dotted quad with mask, a CIDR, a "
                         "host name or a .zone",
                         kHint));
  EXPECT_THAT(ParseError("deny ALL: logger %u"),
              HasSubstr(absl::StrCat("t.conf:1:6: invalid address \"ALL:\"")));
  EXPECT_THAT(ParseError("deny ALL :logger %u"),
              HasSubstr("t.conf:1:10: invalid address \":logger\""));
  EXPECT_THAT(ParseError("deny 10.0.0.0 255.0.0.0:add"),
              HasSubstr("t.conf:1:15: invalid mask \"255.0.0.0:add\""));
  EXPECT_THAT(ParseError("deny ALL eq 23:logger"),
              HasSubstr("t.conf:1:13: unknown service \"23:logger\""));
  EXPECT_THAT(ParseError("deny ALL ALL eq 23 :logger"),
              HasSubstr("t.conf:1:20: unexpected \":logger\""));
  for (const char* text :
       {"deny ALL:logger %u", "deny ALL: logger %u", "deny ALL :logger %u",
        "deny 10.0.0.0 255.0.0.0:add", "deny ALL eq 23:logger",
        "deny ALL ALL eq 23 :logger"}) {
    EXPECT_THAT(ParseError(text), ::testing::EndsWith(kHint)) << text;
  }
  // Errors that are not about a token with a ':' get no such advice.
  EXPECT_THAT(ParseError("deny ALL eq 23x : logger"),
              Not(HasSubstr("hook command")));
}

TEST(SockdConfTest, HookSeparatorNeedsOnlyABlankAfterIt) {
  EXPECT_EQ(ParseOneRule("deny ALL :\tlogger %u").command, "logger %u");
  EXPECT_EQ(ParseOneRule("deny ALL\t: logger %u").command, "logger %u");
  EXPECT_EQ(ParseOneRule("deny ALL :").command, "");
  EXPECT_EQ(ParseOneRule("deny ::1 : logger a:b").command, "logger a:b");
  EXPECT_EQ(ParseOneRule("deny ALL # no hook : x").command, "");
}

TEST(SockdConfTest, IPv6SpecsMayBeBracketed) {
  const SockdRule rule = ParseOneRule("permit [::1] [2001:db8::]/32 : hook");
  EXPECT_EQ(rule.source, AddressSpec::Prefix(Ip("::1"), 128));
  EXPECT_EQ(rule.destination, AddressSpec::Prefix(Ip("2001:db8::"), 32));
  EXPECT_EQ(rule.command, "hook");
  EXPECT_EQ(rule.ToString(), "permit ::1/128 2001:db8::/32 : hook");
  EXPECT_THAT(ParseError("permit [10.0.0.1]"),
              HasSubstr("t.conf:1:8: invalid address \"[10.0.0.1]\""));
  EXPECT_THAT(ParseError("permit [::1"),
              HasSubstr("t.conf:1:8: invalid address \"[::1\""));
  EXPECT_THAT(ParseError("permit [::1]x"),
              HasSubstr("t.conf:1:8: invalid address \"[::1]x\""));
}

TEST(SockdConfTest, RejectsOverLongLine) {
  const std::string text =
      "permit ALL\npermit ALL : " + std::string(kMaxLineLength, 'x') + "\n";
  EXPECT_EQ(ParseError(text),
            "t.conf:2:4097: line is longer than 4096 bytes (4109)");
}

TEST(SockdConfTest, RejectsUnreadableUserFile) {
  const std::string missing = TempPath("no_such_users");
  EXPECT_EQ(
      ParseError(absl::StrCat("permit ALL\n\n\tdeny *=", missing, " ALL")),
      absl::StrCat("t.conf:3:9: user file: cannot read ", missing,
                   ": No such file or directory"));
}

TEST(SockdConfTest, ReportsEveryErrorTogetherInLineOrder) {
  const std::string text = absl::StrCat(
      "permit 10.0.0.0 255.0.0.0\n",              // 1: fine
      "allow ALL\n",                              // 2: unknown keyword
      "# comment\n",                              // 3
      "deny ALL eq\n",                            // 4: dangling operator
      std::string(5000, 'y'), "\n",               // 5: over-long
      "permit ALL\n",                             // 6: fine
      "deny 1.2.3.4 255.255.255.0 eq x-nope\n");  // 7: unknown service
  const std::string message = ParseError(text);
  const std::vector<std::string> lines = absl::StrSplit(message, '\n');
  ASSERT_THAT(lines, SizeIs(4)) << message;
  EXPECT_THAT(lines[0], HasSubstr("t.conf:2:1: unknown keyword \"allow\""));
  EXPECT_THAT(lines[1], HasSubstr("t.conf:4:10: operator \"eq\" needs a port"));
  EXPECT_THAT(lines[2], HasSubstr("t.conf:5:4097: line is longer than 4096"));
  EXPECT_THAT(lines[3], HasSubstr("t.conf:7:31: unknown service \"x-nope\""));
}

TEST(SockdConfTest, LoadReadsTheFileAndNamesItInErrors) {
  const std::string good = WriteTempFile("good.conf", kWorkedExample);
  ASSERT_OK_AND_ASSIGN(SockdConf conf, LoadSockdConf(good));
  EXPECT_EQ(conf.filename, good);
  EXPECT_THAT(conf.rules, SizeIs(4));

  const std::string bad = WriteTempFile("bad.conf", "permit ALL\npermit\n");
  EXPECT_THAT(LoadSockdConf(bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       absl::StrCat(bad,
                                    ":2:1: missing source address after "
                                    "\"permit\"")));

  const std::string missing = TempPath("missing.conf");
  EXPECT_THAT(LoadSockdConf(missing),
              StatusIs(absl::StatusCode::kNotFound,
                       absl::StrCat("cannot read ", missing,
                                    ": No such file or directory")));
}

// Round trips: the normalized dump parses back to equal rules.

TEST(SockdConfTest, FormatOfTheWorkedExample) {
  ASSERT_OK_AND_ASSIGN(SockdConf conf,
                       ParseSockdConf(kWorkedExample, "sockd.conf"));
  EXPECT_EQ(FormatSockdConf(conf),
            "deny *=bonnie,clyde 128.12.6.0 255.255.255.0 : /usr/bin/logger "
            "'Rejected SOCKS access by %u'\n"
            "permit *=ylee 128.12.6.4 255.255.255.255 137.12.0.0 "
            "255.255.0.0\n"
            "deny 128.12.0.0 255.255.0.0 eq 23\n"
            "permit 128.12.0.0 255.255.0.0\n"
            "#NO_IDENTD: /usr/bin/logger 'please run identd on %A'\n"
            "#BAD_ID: /usr/bin/logger '%U pretends to be %u on %A'\n");
}

TEST(SockdConfTest, FormatParsesBackToEqualRules) {
  const std::string users = WriteTempFile("round_trip_users", "u1 u2\n");
  const std::string text = absl::StrCat(
      "# a header comment shifts the line numbers\n", kWorkedExample,
      "permit ?= *= ALL\n", "deny\t?=I\t*=a,", users,
      "\t::1 2001:db8::/32 neq 80 :  hook  \n",
      "permit ALL 0.0.0.0 0.0.0.0 0.0.0.0\n",
      "permit 10.0.0.0/8 0.0.0.0 0.0.0.0 0.0.0.0 lt 1024\n",
      "deny 10.1.2.3 255.0.255.0 0.0.0.0 0.0.0.0 ge 0\n", "deny ALL :\n",
      "permit .Lab.Example 0.0.0.0 0.0.0.0 0.0.0.0\n",
      "deny host.example 0.0.0.0 .zone.example 0.0.0.0 lt 1024 : h\n",
      "permit 10.0.0.0/8 localhost\n");
  ASSERT_OK_AND_ASSIGN(SockdConf original, ParseSockdConf(text, "a.conf"));
  ASSERT_THAT(original.rules, SizeIs(13));
  // A destination of 0.0.0.0/0.0.0.0 after a one-token source keeps the
  // explicit ignored mask, or it would not parse back.
  EXPECT_EQ(original.rules[6].ToString(), "permit ALL 0.0.0.0 0.0.0.0 0.0.0.0");
  EXPECT_EQ(original.rules[10].ToString(),
            "permit .lab.example 0.0.0.0 0.0.0.0 0.0.0.0");
  EXPECT_EQ(original.rules[11].ToString(),
            "deny host.example .zone.example lt 1024 : h");

  const std::string dump = FormatSockdConf(original);
  ASSERT_OK_AND_ASSIGN(SockdConf reparsed, ParseSockdConf(dump, "b.conf"));
  ExpectSameRules(original.rules, reparsed.rules);
  EXPECT_EQ(reparsed.no_identd_command, original.no_identd_command);
  EXPECT_EQ(reparsed.bad_id_command, original.bad_id_command);
  EXPECT_EQ(FormatSockdConf(reparsed), dump) << "the dump is a fixed point";
}

}  // namespace
}  // namespace rsockd::rules
