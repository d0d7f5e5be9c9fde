#include "rsockd/server/own_listeners.h"

#include <gtest/gtest.h>

namespace rsockd {
namespace {

net::SocketAddress Address(const char* ip, uint16_t port) {
  return net::SocketAddress(*net::IpAddress::Parse(ip), port);
}

TEST(OwnListenersTest, SpecificListenerIsItsAddressAndPortOnly) {
  const OwnListeners own({Address("127.0.0.1", 1080)});
  EXPECT_TRUE(own.Contains(Address("127.0.0.1", 1080)));
  EXPECT_TRUE(own.Contains(Address("::ffff:127.0.0.1", 1080)));
  EXPECT_FALSE(own.Contains(Address("127.0.0.2", 1080)));
  EXPECT_FALSE(own.Contains(Address("127.0.0.1", 1081)));
}

TEST(OwnListenersTest, IPv4WildcardIsEveryLocalIPv4Address) {
  const OwnListeners own({Address("0.0.0.0", 1080)});
  for (const char* local : {"127.0.0.1", "127.9.9.9", "0.0.0.0"}) {
    EXPECT_TRUE(own.Contains(Address(local, 1080))) << local;
  }
  EXPECT_FALSE(own.Contains(Address("192.0.2.1", 1080)));
  EXPECT_FALSE(own.Contains(Address("::1", 1080)));
  EXPECT_FALSE(own.Contains(Address("127.0.0.1", 1081)));
}

TEST(OwnListenersTest, IPv6WildcardTakesBothFamilies) {
  const OwnListeners own({Address("::", 1080)});
  for (const char* local : {"::1", "127.0.0.1", "::", "0.0.0.0"}) {
    EXPECT_TRUE(own.Contains(Address(local, 1080))) << local;
  }
  EXPECT_FALSE(own.Contains(Address("2001:db8::1", 1080)));
}

TEST(OwnListenersTest, NoListenersContainNothing) {
  EXPECT_FALSE(OwnListeners().Contains(Address("127.0.0.1", 1080)));
}

}  // namespace
}  // namespace rsockd
