#include "net/address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

namespace rsockd::net {
namespace {

TEST(IpAddressTest, ParsesDottedQuad) {
  std::optional<IpAddress> ip = IpAddress::Parse("128.12.6.34");
  ASSERT_TRUE(ip.has_value());
  EXPECT_TRUE(ip->is_ipv4());
  EXPECT_EQ(ip->ipv4_host_order(), 0x800c0622u);
  EXPECT_EQ(ip->ToString(), "128.12.6.34");
}

TEST(IpAddressTest, RejectsMalformedDottedQuads) {
  for (const char* text :
       {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-4", "1..2.3", "a.b.c.d",
        "1.2.3.4 ", "0x1.2.3.4", "1234.1.1.1"}) {
    EXPECT_FALSE(IpAddress::Parse(text).has_value()) << text;
  }
}

TEST(IpAddressTest, ParsesIPv6) {
  std::optional<IpAddress> ip = IpAddress::Parse("2001:db8::1");
  ASSERT_TRUE(ip.has_value());
  EXPECT_FALSE(ip->is_ipv4());
  EXPECT_EQ(ip->ToString(), "2001:db8::1");
  EXPECT_FALSE(IpAddress::Parse("2001:db8:::1").has_value());
}

TEST(IpAddressTest, RejectsLeadingZeros) {
  for (const char* text : {"010.0.0.1", "192.168.010.000", "00.1.2.3"}) {
    EXPECT_FALSE(IpAddress::Parse(text).has_value()) << text;
    EXPECT_TRUE(IpAddress::HasLeadingZero(text)) << text;
  }
  EXPECT_TRUE(IpAddress::Parse("0.0.0.0").has_value());
  EXPECT_TRUE(IpAddress::Parse("10.0.100.1").has_value());
  for (const char* text : {"10.0.0.1", "0.0.0.0", "0x1.2.3.4", "010.0.1"}) {
    EXPECT_FALSE(IpAddress::HasLeadingZero(text)) << text;
  }
}

// Every spelling of a mapped address is the IPv4 address, so that IPv4
// rules see it (a mapped literal reaches the IPv4 host).
TEST(IpAddressTest, ParsesIPv4MappedLiteralsAsIPv4) {
  for (const char* text : {"::ffff:127.0.0.1", "::ffff:7f00:1",
                           "0:0:0:0:0:ffff:127.0.0.1", "::FFFF:127.0.0.1"}) {
    std::optional<IpAddress> ip = IpAddress::Parse(text);
    ASSERT_TRUE(ip.has_value()) << text;
    EXPECT_TRUE(ip->is_ipv4()) << text;
    EXPECT_EQ(ip->ToString(), "127.0.0.1") << text;
  }
  std::optional<IpAddress> unspecified = IpAddress::Parse("::ffff:0.0.0.0");
  ASSERT_TRUE(unspecified.has_value());
  EXPECT_TRUE(unspecified->is_ipv4());
  EXPECT_TRUE(unspecified->IsUnspecified());
  // Not mapped: IPv4-compatible and NAT64 forms stay IPv6.
  EXPECT_FALSE(IpAddress::Parse("::127.0.0.1")->is_ipv4());
  EXPECT_FALSE(IpAddress::Parse("64:ff9b::7f00:1")->is_ipv4());
}

TEST(IpAddressTest, FromIPv6BytesUnmapsMappedAddresses) {
  uint8_t bytes[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3};
  EXPECT_TRUE(IpAddress::IsV4Mapped(bytes));
  EXPECT_EQ(IpAddress::FromIPv6Bytes(bytes), *IpAddress::Parse("10.1.2.3"));
  bytes[10] = 0;
  EXPECT_FALSE(IpAddress::IsV4Mapped(bytes));
  EXPECT_FALSE(IpAddress::FromIPv6Bytes(bytes).is_ipv4());
}

TEST(IpAddressTest, MatchesPrefixBitByBit) {
  const IpAddress a = *IpAddress::Parse("10.1.2.3");
  EXPECT_TRUE(a.MatchesPrefix(*IpAddress::Parse("10.1.0.0"), 16));
  EXPECT_TRUE(a.MatchesPrefix(*IpAddress::Parse("10.1.2.0"), 23));
  EXPECT_FALSE(a.MatchesPrefix(*IpAddress::Parse("10.1.4.0"), 23));
  EXPECT_TRUE(a.MatchesPrefix(*IpAddress::Parse("99.9.9.9"), 0));
  EXPECT_FALSE(a.MatchesPrefix(*IpAddress::Parse("::"), 0));
}

TEST(SocketAddressTest, UnmapsV4MappedIPv6) {
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(1080);
  inet_pton(AF_INET6, "::ffff:127.0.0.1", &in6.sin6_addr);
  absl::StatusOr<SocketAddress> address = SocketAddress::FromSockaddr(
      reinterpret_cast<sockaddr*>(&in6), sizeof(in6));
  ASSERT_TRUE(address.ok());
  EXPECT_TRUE(address->ip().is_ipv4());
  EXPECT_EQ(address->ToString(), "127.0.0.1:1080");
}

TEST(SocketAddressTest, RoundTripsThroughSockaddr) {
  for (const char* text : {"127.0.0.2", "::1"}) {
    const SocketAddress original(*IpAddress::Parse(text), 4242);
    sockaddr_storage storage;
    const socklen_t len = original.ToSockaddr(&storage);
    absl::StatusOr<SocketAddress> back =
        SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&storage), len);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, original);
  }
  EXPECT_EQ(SocketAddress(*IpAddress::Parse("::1"), 80).ToString(), "[::1]:80");
}

TEST(SocketAddressTest, RejectsUnknownFamily) {
  sockaddr sa{};
  sa.sa_family = AF_UNIX;
  EXPECT_FALSE(SocketAddress::FromSockaddr(&sa, sizeof(sa)).ok());
}

}  // namespace
}  // namespace rsockd::net
