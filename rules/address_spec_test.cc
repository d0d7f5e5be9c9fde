#include "rules/address_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "testing/status_matchers.h"

namespace rsockd::rules {

void PrintTo(const AddressSpec& spec, std::ostream* os) {
  *os << spec.ToString();
}

namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::StatusIs;

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
  EXPECT_FALSE(ParseOk("127.0.0.0/8").Matches(Ip("::ffff:127.0.0.1")));
  EXPECT_TRUE(ParseOk("ALL").Matches(Ip("127.0.0.1")));
  EXPECT_TRUE(ParseOk("ALL").Matches(Ip("::1")));
}

TEST(AddressSpecTest, RejectsHostNamesAndZonesForNow) {
  EXPECT_THAT(AddressSpec::ParseText("foo.example"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:1: invalid address \"foo.example\": expected ALL, a "
                       "dotted quad with mask, or a CIDR"));
  EXPECT_THAT(AddressSpec::ParseText("  .lab.example 0.0.0.0"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:3: invalid address \".lab.example\": expected ALL, "
                       "a dotted quad with mask, or a CIDR"));
  // ALL is a keyword only in capitals; "all" could be a host name later.
  EXPECT_THAT(AddressSpec::ParseText("all"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:1: invalid address \"all\": expected ALL, a dotted "
                       "quad with mask, or a CIDR"));
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
                       "a dotted quad with mask, or a CIDR"));
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
  };
  for (const AddressSpec& spec : specs) {
    EXPECT_EQ(ParseOk(spec.ToString()), spec) << spec.ToString();
  }
}

}  // namespace
}  // namespace rsockd::rules
