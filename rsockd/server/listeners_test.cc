#include "rsockd/server/listeners.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "absl/time/time.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/socket.h"
#include "testing/status_matchers.h"

namespace rsockd {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

const net::IpAddress kLoopback4 = *net::IpAddress::Parse("127.0.0.1");
const net::IpAddress kLoopback6 = *net::IpAddress::Parse("::1");
constexpr absl::Duration kTimeout = absl::Seconds(10);

// Connects to `address` and has `listener` accept it.
::testing::AssertionResult Reaches(const BoundListener& listener,
                                   const net::SocketAddress& address) {
  absl::StatusOr<net::Socket> client =
      net::Socket::Connect(address, std::nullopt, net::Deadline::In(kTimeout));
  if (!client.ok()) {
    return ::testing::AssertionFailure() << client.status();
  }
  // The connect completed, so the connection waits in the backlog.
  net::SocketAddress peer;
  absl::StatusOr<net::Socket> accepted = listener.socket.Accept(&peer);
  if (!accepted.ok()) {
    return ::testing::AssertionFailure() << accepted.status();
  }
  return ::testing::AssertionSuccess();
}

// docs/operations.md, "Listening": with --port=0 every address gets the
// port of the first, so --port_file's one number reaches them all.
TEST(BindListenersTest, AddressesOnPortZeroShareThePortOfTheFirst) {
  ASSERT_TRUE(net::Ipv6Available());
  ASSERT_OK_AND_ASSIGN(
      std::vector<BoundListener> listeners,
      BindListeners(
          {net::SocketAddress(kLoopback4, 0), net::SocketAddress(kLoopback6, 0),
           net::SocketAddress(*net::IpAddress::Parse("127.0.0.2"), 0)},
          4));
  ASSERT_THAT(listeners, SizeIs(3));
  const uint16_t port = listeners[0].address.port();
  EXPECT_NE(port, 0);
  EXPECT_EQ(listeners[0].address, net::SocketAddress(kLoopback4, port));
  EXPECT_EQ(listeners[1].address, net::SocketAddress(kLoopback6, port));
  EXPECT_EQ(listeners[2].address.port(), port);
  EXPECT_TRUE(Reaches(listeners[0], net::SocketAddress(kLoopback4, port)));
  EXPECT_TRUE(Reaches(listeners[1], net::SocketAddress(kLoopback6, port)));
}

// The default `0.0.0.0,::`: both wildcards on one port, each serving its
// own family (nothing but loopback connects).
TEST(BindListenersTest, BothWildcardsShareAPort) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<BoundListener> listeners,
      BindListeners({net::SocketAddress(*net::IpAddress::Parse("0.0.0.0"), 0),
                     net::SocketAddress(*net::IpAddress::Parse("::"), 0)},
                    4));
  ASSERT_THAT(listeners, SizeIs(2));
  const uint16_t port = listeners[0].address.port();
  EXPECT_EQ(listeners[1].address.port(), port);
  EXPECT_TRUE(Reaches(listeners[0], net::SocketAddress(kLoopback4, port)));
  EXPECT_TRUE(Reaches(listeners[1], net::SocketAddress(kLoopback6, port)));
}

// Alone, `::` keeps serving IPv4 clients (as mapped addresses).
TEST(BindListenersTest, Ipv6WildcardAloneServesBothFamilies) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<BoundListener> listeners,
      BindListeners({net::SocketAddress(*net::IpAddress::Parse("::"), 0)}, 4));
  ASSERT_THAT(listeners, SizeIs(1));
  const uint16_t port = listeners[0].address.port();
  EXPECT_TRUE(Reaches(listeners[0], net::SocketAddress(kLoopback4, port)));
  EXPECT_TRUE(Reaches(listeners[0], net::SocketAddress(kLoopback6, port)));
}

TEST(BindListenersTest, AGivenPortIsKeptAndATakenOneIsAnError) {
  ASSERT_OK_AND_ASSIGN(std::vector<BoundListener> first,
                       BindListeners({net::SocketAddress(kLoopback4, 0)}, 4));
  const net::SocketAddress taken = first[0].address;
  EXPECT_THAT(BindListeners({net::SocketAddress(kLoopback6, 0), taken}, 4),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("bind() to " + taken.ToString())));
  // An address this host does not have (EADDRNOTAVAIL: not worth another
  // port).
  EXPECT_THAT(BindListeners(
                  {net::SocketAddress(kLoopback4, 0),
                   net::SocketAddress(*net::IpAddress::Parse("192.0.2.1"), 0)},
                  4),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("bind() to 192.0.2.1:")));
}

}  // namespace
}  // namespace rsockd
