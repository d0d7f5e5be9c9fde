#include "net/local_address.h"

#include <gtest/gtest.h>
#include <ifaddrs.h>

#include <optional>

#include "testing/status_matchers.h"

namespace rsockd::net {
namespace {

using ::rsockd::testing::IsOkAndHolds;

IpAddress Ip(const char* text) { return *IpAddress::Parse(text); }

TEST(IsLocalAddressTest, LoopbackAndUnspecifiedAreLocal) {
  for (const char* local : {"127.0.0.1", "127.45.67.89", "::1", "0.0.0.0",
                            "::", "::ffff:127.0.0.1"}) {
    EXPECT_THAT(IsLocalAddress(Ip(local)), IsOkAndHolds(true)) << local;
  }
}

// Documentation ranges (RFC 5737, RFC 3849) are never an address of this
// host, whether or not it has a route to them.
TEST(IsLocalAddressTest, OtherHostsAreNotLocal) {
  for (const char* remote : {"192.0.2.1", "198.51.100.7", "2001:db8::1"}) {
    EXPECT_THAT(IsLocalAddress(Ip(remote)), IsOkAndHolds(false)) << remote;
  }
}

// Every address an interface has is local, not only loopback.
TEST(IsLocalAddressTest, InterfaceAddressesAreLocal) {
  ifaddrs* list = nullptr;
  ASSERT_EQ(getifaddrs(&list), 0);
  int checked = 0;
  for (const ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr) continue;
    const int family = entry->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    absl::StatusOr<SocketAddress> address = SocketAddress::FromSockaddr(
        entry->ifa_addr,
        family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
    ASSERT_TRUE(address.ok());
    // Link-local IPv6 addresses need a scope to be routed.
    if (!address->ip().is_ipv4() && address->ip().bytes()[0] == 0xfe) continue;
    EXPECT_THAT(IsLocalAddress(address->ip()), IsOkAndHolds(true))
        << entry->ifa_name << " " << address->ip().ToString();
    ++checked;
  }
  freeifaddrs(list);
  EXPECT_GT(checked, 0) << "no interface address at all (not even lo)";
}

}  // namespace
}  // namespace rsockd::net
