#include "rules/address_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "testing/status_matchers.h"

namespace rsockd::rules {

void PrintTo(const AddressSpec& spec, std::ostream* os) {
  *os << spec.ToString();
}

namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::StatusIs;
using ::testing::HasSubstr;

net::IpAddress Ip(absl::string_view text) {
  std::optional<net::IpAddress> ip = net::IpAddress::Parse(text);
  EXPECT_TRUE(ip.has_value()) << text;
  return ip.value_or(net::IpAddress());
}

AddressSpec ParseOk(absl::string_view text) {
  absl::StatusOr<AddressSpec> spec = AddressSpec::ParseText(text);
  EXPECT_THAT(spec, IsOk()) << text;
  return spec.ok() ? *spec : AddressSpec();
}

TEST(AddressSpecTest, ParsesAll) {
  const AddressSpec spec = ParseOk("ALL");
  EXPECT_TRUE(spec.is_all());
  EXPECT_EQ(spec.ToString(), "ALL");
  EXPECT_EQ(ParseOk("ALL 0.0.0.0"), AddressSpec::All());
}

TEST(AddressSpecTest, ParsesAddressAndMask) {
  const AddressSpec spec = ParseOk("128.12.0.0 255.255.0.0");
  EXPECT_EQ(spec.kind(), AddressSpec::Kind::kMasked);
  EXPECT_EQ(spec.address(), Ip("128.12.0.0"));
  EXPECT_EQ(spec.mask(), Ip("255.255.0.0"));
  EXPECT_EQ(spec.ToString(), "128.12.0.0 255.255.0.0");
}

TEST(AddressSpecTest, ParsesCidr) {
  const AddressSpec v4 = ParseOk("10.0.0.0/8");
  EXPECT_EQ(v4.kind(), AddressSpec::Kind::kPrefix);
  EXPECT_EQ(v4.prefix_length(), 8);
  EXPECT_EQ(v4.ToString(), "10.0.0.0/8");
  EXPECT_EQ(ParseOk("10.0.0.0/8 0.0.0.0"), v4);

  const AddressSpec v6 = ParseOk("2001:DB8::/32");
  EXPECT_EQ(v6.prefix_length(), 32);
  EXPECT_EQ(v6.ToString(), "2001:db8::/32");
  EXPECT_EQ(ParseOk("::/0").ToString(), "::/0");
}

TEST(AddressSpecTest, BareIPv6IsOneHost) {
  EXPECT_EQ(ParseOk("::1"), AddressSpec::Prefix(Ip("::1"), 128));
  EXPECT_EQ(ParseOk("::1").ToString(), "::1/128");
}

TEST(AddressSpecTest, ParseConsumesOnlyItsTokens) {
  absl::StatusOr<Line> line = LexLine("128.12.0.0 255.255.0.0 ALL eq 23", 1);
  ASSERT_THAT(line, IsOk());
  TokenCursor cursor(line->tokens);
  ASSERT_OK_AND_ASSIGN(AddressSpec first, AddressSpec::Parse(&cursor));
  EXPECT_EQ(cursor.position(), 2u);
  ASSERT_OK_AND_ASSIGN(AddressSpec second, AddressSpec::Parse(&cursor));
  EXPECT_TRUE(second.is_all());
  EXPECT_EQ(cursor.position(), 3u) << "eq is not an ignored mask";
  EXPECT_FALSE(first.is_all());
}

TEST(AddressSpecTest, MaskedMatchesUnderTheMask) {
  const AddressSpec spec = ParseOk("128.12.0.0 255.255.0.0");
  EXPECT_TRUE(spec.Matches(Ip("128.12.6.34")));
  EXPECT_TRUE(spec.Matches(Ip("128.12.255.255")));
  EXPECT_FALSE(spec.Matches(Ip("128.13.0.1")));
  // Host bits of the address outside the mask do not matter.
  EXPECT_TRUE(ParseOk("128.12.6.4 255.255.0.0").Matches(Ip("128.12.9.9")));
  // A zero mask matches every IPv4 address, but no IPv6 one.
  EXPECT_TRUE(ParseOk("0.0.0.0 0.0.0.0").Matches(Ip("23.2.6.127")));
  EXPECT_FALSE(ParseOk("0.0.0.0 0.0.0.0").Matches(Ip("::1")));
}

TEST(AddressSpecTest, NonContiguousMaskComparesOnlyMaskedBits) {
  const AddressSpec spec = ParseOk("10.0.0.5 255.0.0.255");
  EXPECT_TRUE(spec.Matches(Ip("10.77.88.5")));
  EXPECT_FALSE(spec.Matches(Ip("10.77.88.6")));
  EXPECT_FALSE(spec.Matches(Ip("11.0.0.5")));
}

TEST(AddressSpecTest, CidrMatchesItsPrefix) {
  const AddressSpec spec = ParseOk("10.1.2.0/23");
  EXPECT_TRUE(spec.Matches(Ip("10.1.3.255")));
  EXPECT_FALSE(spec.Matches(Ip("10.1.4.0")));
  EXPECT_TRUE(ParseOk("0.0.0.0/0").Matches(Ip("1.2.3.4")));
  EXPECT_FALSE(ParseOk("0.0.0.0/0").Matches(Ip("::1")));
  EXPECT_TRUE(ParseOk("2001:db8::/32").Matches(Ip("2001:db8:1::5")));
  EXPECT_FALSE(ParseOk("2001:db8::/32").Matches(Ip("2001:db9::5")));
}

TEST(AddressSpecTest, FamiliesNeverCrossExceptAll) {
  EXPECT_FALSE(ParseOk("::/0").Matches(Ip("127.0.0.1")));
  EXPECT_FALSE(ParseOk("127.0.0.0/8").Matches(Ip("::1")));
  EXPECT_FALSE(ParseOk("0.0.0.0 0.0.0.0").Matches(Ip("::")));
  EXPECT_TRUE(ParseOk("ALL").Matches(Ip("127.0.0.1")));
  EXPECT_TRUE(ParseOk("ALL").Matches(Ip("::1")));
}

// A mapped address reaches the IPv4 host, so IPv4 specs cover it, and IPv6
// specs (even ::/0) do not.
TEST(AddressSpecTest, MappedAddressesAreIPv4) {
  for (const char* mapped :
       {"::ffff:127.0.0.1", "::ffff:7f00:1", "0:0:0:0:0:ffff:127.0.0.1"}) {
    EXPECT_TRUE(ParseOk("127.0.0.0/8").Matches(Ip(mapped))) << mapped;
    EXPECT_TRUE(ParseOk("127.0.0.0 255.0.0.0").Matches(Ip(mapped))) << mapped;
    EXPECT_FALSE(ParseOk("::/0").Matches(Ip(mapped))) << mapped;
  }
}

TEST(AddressSpecTest, ReadsMappedSpecsAsIPv4Specs) {
  EXPECT_EQ(ParseOk("::ffff:10.0.0.0/104"), ParseOk("10.0.0.0/8"));
  EXPECT_EQ(ParseOk("::ffff:0:0/96"), ParseOk("0.0.0.0/0"));
  EXPECT_EQ(ParseOk("::ffff:127.0.0.1"), ParseOk("127.0.0.1/32"));
  EXPECT_EQ(ParseOk("::ffff:127.0.0.1/128"), ParseOk("127.0.0.1/32"));
  EXPECT_EQ(ParseOk("::ffff:10.0.0.0/104").ToString(), "10.0.0.0/8");
  EXPECT_THAT(AddressSpec::ParseText("::ffff:0:0/95"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:1: invalid prefix length in \"::ffff:0:0/95\": an "
                       "IPv4-mapped address needs /96 or longer (rsockd reads "
                       "::ffff:a.b.c.d/n as a.b.c.d/n-96; write the IPv4 "
                       "form)"));
  EXPECT_THAT(AddressSpec::ParseText("10.0.0.0 ::ffff:255.0.0.0"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("1:10: invalid mask")));
}

TEST(AddressSpecTest, RejectsLeadingZerosAtTheirColumn) {
  for (const char* text : {"010.0.0.1 255.255.255.255", "010.0.0.0/8"}) {
    EXPECT_THAT(AddressSpec::ParseText(text),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("1:1: invalid address \"010.0.0.")))
        << text;
  }
  EXPECT_THAT(AddressSpec::ParseText("192.168.10.0 255.255.255.000"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:14: invalid address \"255.255.255.000\": a part "
                       "with a leading zero, which classic SOCKS read as "
                       "octal; write it without the zero"));
  EXPECT_THAT(
      AddressSpec::ParseText("192.168.010.000 255.255.255.0"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("leading zero")));
}

TEST(AddressSpecTest, ParsesHostNames) {
  const AddressSpec spec = ParseOk("WWW.Example.ORG");
  EXPECT_EQ(spec.kind(), AddressSpec::Kind::kHost);
  EXPECT_TRUE(spec.is_name());
  EXPECT_FALSE(spec.is_all());
  EXPECT_EQ(spec.name(), "www.example.org");
  EXPECT_EQ(spec.ToString(), "www.example.org");
  EXPECT_EQ(spec, AddressSpec::Host("www.example.org"));
  EXPECT_EQ(ParseOk("www.example.org 0.0.0.0"), spec);
  EXPECT_EQ(ParseOk("localhost"), AddressSpec::Host("localhost"));
  EXPECT_EQ(ParseOk("host-1.a2.example").name(), "host-1.a2.example");
  // Digits are fine anywhere but in the whole last label.
  EXPECT_EQ(ParseOk("10.0.0.x").kind(), AddressSpec::Kind::kHost);
  EXPECT_EQ(ParseOk("3com.example").name(), "3com.example");
}

TEST(AddressSpecTest, ParsesZones) {
  const AddressSpec spec = ParseOk(".Lab.Example");
  EXPECT_EQ(spec.kind(), AddressSpec::Kind::kZone);
  EXPECT_TRUE(spec.is_name());
  EXPECT_EQ(spec.name(), "lab.example");
  EXPECT_EQ(spec.ToString(), ".lab.example");
  EXPECT_EQ(spec, AddressSpec::Zone("lab.example"));
  EXPECT_EQ(ParseOk(".lab.example 0.0.0.0"), spec);
  EXPECT_EQ(ParseOk(".org"), AddressSpec::Zone("org"));
  EXPECT_NE(AddressSpec::Zone("example.org"), AddressSpec::Host("example.org"));
}

TEST(AddressSpecTest, ParseConsumesTheIgnoredMaskAfterANameOnly) {
  absl::StatusOr<Line> line =
      LexLine(".lab.example 0.0.0.0 host.example 0.0.0.0 0.0.0.0 eq 23", 1);
  ASSERT_THAT(line, IsOk());
  TokenCursor cursor(line->tokens);
  ASSERT_OK_AND_ASSIGN(AddressSpec source, AddressSpec::Parse(&cursor));
  EXPECT_EQ(source, AddressSpec::Zone("lab.example"));
  EXPECT_EQ(cursor.position(), 2u);
  ASSERT_OK_AND_ASSIGN(AddressSpec destination, AddressSpec::Parse(&cursor));
  EXPECT_EQ(destination, AddressSpec::Host("host.example"));
  EXPECT_EQ(cursor.position(), 4u) << "one 0.0.0.0 is the ignored mask";
}

TEST(AddressSpecTest, AcceptsNamesUpToTheLengthLimits) {
  const std::string label63(63, 'a');
  EXPECT_EQ(ParseOk(label63 + ".example").name(), label63 + ".example");
  // Three labels of 63 and one of 61, with 3 dots: 253 bytes.
  const std::string name253 = absl::StrCat(label63, ".", label63, ".", label63,
                                           ".", std::string(61, 'b'));
  ASSERT_EQ(name253.size(), 253u);
  EXPECT_EQ(ParseOk(name253).name(), name253);
  EXPECT_EQ(ParseOk("." + name253).name(), name253);
}

TEST(AddressSpecTest, RejectsBadHostNames) {
  const std::string label64(64, 'a');
  const std::string name254 =
      absl::StrCat(std::string(63, 'a'), ".", std::string(63, 'a'), ".",
                   std::string(63, 'a'), ".", std::string(62, 'b'));
  ASSERT_EQ(name254.size(), 254u);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a_b.example",
       "1:1: invalid host name \"a_b.example\": character \"_\" is not a "
       "letter, digit, hyphen or dot"},
      {"  www.example.",
       "1:3: invalid host name \"www.example.\": it ends with a dot"},
      {"a..example", "1:1: invalid host name \"a..example\": empty label"},
      {"-a.example",
       "1:1: invalid host name \"-a.example\": label \"-a\" starts or ends "
       "with a hyphen"},
      {"a.example-",
       "1:1: invalid host name \"a.example-\": label \"example-\" starts or "
       "ends with a hyphen"},
      {label64 + ".example", absl::StrCat("1:1: invalid host name \"", label64,
                                          ".example\": label \"", label64,
                                          "\" is longer than 63 characters")},
      {name254, absl::StrCat("1:1: invalid host name \"", name254,
                             "\": longer than 253 characters")},
      {"www.example.123",
       "1:1: invalid host name \"www.example.123\": the last label is all "
       "digits"},
      {"caf\xc3\xa9.example",
       "1:1: invalid host name \"caf\\xc3\\xa9.example\": character "
       "\"\\xc3\" is not a letter, digit, hyphen or dot"},
  };
  for (const auto& [text, message] : cases) {
    EXPECT_THAT(AddressSpec::ParseText(text),
                StatusIs(absl::StatusCode::kInvalidArgument, message))
        << text;
  }
}

TEST(AddressSpecTest, RejectsBadZones) {
  EXPECT_THAT(AddressSpec::ParseText("."),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:1: invalid address \".\": expected ALL, a dotted "
                       "quad with mask, a CIDR, a host name or a .zone"));
  EXPECT_THAT(AddressSpec::ParseText("..example.org"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:1: invalid zone \"..example.org\": empty label"));
  EXPECT_THAT(AddressSpec::ParseText(".example.org."),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:1: invalid zone \".example.org.\": it ends with a "
                       "dot"));
  EXPECT_THAT(AddressSpec::ParseText(".lab_1.example"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:1: invalid zone \".lab_1.example\": character "
                       "\"_\" is not a letter, digit, hyphen or dot"));
  EXPECT_THAT(AddressSpec::ParseText(".a.12"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:1: invalid zone \".a.12\": the last label is all "
                       "digits"));
}

TEST(AddressSpecTest, RejectsKeywordsAsHostNames) {
  // `deny all` or `deny eq telnet` would be a deny that never matches.
  for (const char* text : {"all", "All", "aLL"}) {
    EXPECT_THAT(AddressSpec::ParseText(text),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         absl::StrCat("1:1: invalid address \"", text,
                                      "\": write ALL, in capitals, for any "
                                      "address")));
  }
  for (const char* text :
       {"eq", "neq", "lt", "gt", "le", "GE", "permit", "Deny"}) {
    EXPECT_THAT(AddressSpec::ParseText(text),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         absl::StrCat("1:1: invalid address \"", text,
                                      "\": a keyword is not a host name")));
  }
  // As part of a longer name they are ordinary labels.
  EXPECT_THAT(AddressSpec::ParseText("all.example"), IsOk());
  EXPECT_THAT(AddressSpec::ParseText(".eq"), IsOk());
}

TEST(AddressSpecTest, RejectsWhatIsNeitherAddressNorName) {
  // Without a letter it was meant as an address.
  for (const char* text :
       {"128.12.0.256", "10.1", "10.0.0.0.0", "1-2", "*", "-", "."}) {
    EXPECT_THAT(AddressSpec::ParseText(text),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         absl::StrCat("1:1: invalid address \"", text,
                                      "\": expected ALL, a dotted quad with "
                                      "mask, a CIDR, a host name or a .zone")))
        << text;
  }
}

TEST(AddressSpecTest, HostMatchesItsNameIgnoringCase) {
  const AddressSpec spec = ParseOk("www.example.org");
  EXPECT_TRUE(spec.MatchesName("www.example.org"));
  EXPECT_TRUE(spec.MatchesName("WWW.Example.ORG"));
  EXPECT_TRUE(spec.MatchesName("www.example.org."));
  EXPECT_FALSE(spec.MatchesName("a.www.example.org"));
  EXPECT_FALSE(spec.MatchesName("www.example.org.evil"));
  EXPECT_FALSE(spec.MatchesName("example.org"));
  EXPECT_FALSE(spec.MatchesName(""));
  EXPECT_FALSE(spec.MatchesName("."));
}

TEST(AddressSpecTest, ZoneMatchesItselfAndEverythingBelow) {
  const AddressSpec spec = ParseOk(".example.org");
  EXPECT_TRUE(spec.MatchesName("example.org"));
  EXPECT_TRUE(spec.MatchesName("www.example.org"));
  EXPECT_TRUE(spec.MatchesName("a.b.example.org"));
  EXPECT_TRUE(spec.MatchesName("A.B.EXAMPLE.Org."));
  EXPECT_FALSE(spec.MatchesName("badexample.org"));
  EXPECT_FALSE(spec.MatchesName("example.org.evil"));
  EXPECT_FALSE(spec.MatchesName("org"));
  EXPECT_FALSE(spec.MatchesName(".example.org.x"));
  EXPECT_FALSE(spec.MatchesName(""));
}

TEST(AddressSpecTest, NamesAndAddressesNeverMatchEachOther) {
  EXPECT_FALSE(ParseOk("localhost").Matches(Ip("127.0.0.1")));
  EXPECT_FALSE(ParseOk(".example.org").Matches(Ip("::1")));
  EXPECT_FALSE(ParseOk("ALL").MatchesName("localhost"))
      << "callers test ALL without a name";
  EXPECT_FALSE(ParseOk("127.0.0.0/8").MatchesName("127.0.0.1"));
}

TEST(AddressSpecTest, RejectsMissingOrBadMask) {
  EXPECT_THAT(AddressSpec::ParseText("128.12.0.0"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:1: missing mask after address \"128.12.0.0\": "
                       "expected a dotted quad such as 255.255.255.0"));
  EXPECT_THAT(AddressSpec::ParseText("128.12.0.0 255.255.0"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:12: invalid mask \"255.255.0\": expected a dotted "
                       "quad such as 255.255.255.0"));
  EXPECT_THAT(AddressSpec::ParseText("128.12.0.0 ffff::"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:12: invalid mask \"ffff::\": expected a dotted quad "
                       "such as 255.255.255.0"));
  EXPECT_THAT(AddressSpec::ParseText("128.12.0.256 255.255.0.0"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:1: invalid address \"128.12.0.256\": expected ALL, "
                       "a dotted quad with mask, a CIDR, a host name or a "
                       ".zone"));
}

TEST(AddressSpecTest, RejectsBadPrefixLengths) {
  EXPECT_THAT(AddressSpec::ParseText("10.0.0.0/33"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:1: invalid prefix length in \"10.0.0.0/33\": "
                       "expected 0..32"));
  EXPECT_THAT(AddressSpec::ParseText("::/129"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:1: invalid prefix length in \"::/129\": expected "
                       "0..128"));
  for (const char* text : {"10.0.0.0/", "10.0.0.0/+8", "10.0.0.0/8/8",
                           "10.0.0.0/0008", "10.0.0.0/x"}) {
    EXPECT_THAT(AddressSpec::ParseText(text),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         ::testing::HasSubstr("invalid prefix length")))
        << text;
  }
  EXPECT_THAT(AddressSpec::ParseText("/8"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("invalid address \"/8\"")));
}

TEST(AddressSpecTest, AllWithTwoZeroMasksLeavesAStrayToken) {
  EXPECT_THAT(AddressSpec::ParseText("ALL 0.0.0.0 0.0.0.0"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:13: unexpected \"0.0.0.0\" after the address"));
}

TEST(AddressSpecTest, ToStringParsesBackToTheSameSpec) {
  const std::vector<AddressSpec> specs = {
      AddressSpec::All(),
      AddressSpec::Masked(Ip("128.12.6.4"), Ip("255.255.255.255")),
      AddressSpec::Masked(Ip("10.0.0.5"), Ip("255.0.0.255")),
      AddressSpec::Masked(Ip("0.0.0.0"), Ip("0.0.0.0")),
      AddressSpec::Prefix(Ip("10.9.0.0"), 16),
      AddressSpec::Prefix(Ip("fe80::"), 10),
      AddressSpec::Prefix(Ip("::1"), 128),
      AddressSpec::Host("www.example.org"),
      AddressSpec::Host("localhost"),
      AddressSpec::Zone("example.org"),
      AddressSpec::Zone(std::string(63, 'z')),
  };
  for (const AddressSpec& spec : specs) {
    EXPECT_EQ(ParseOk(spec.ToString()), spec) << spec.ToString();
  }
}

}  // namespace
}  // namespace rsockd::rules
