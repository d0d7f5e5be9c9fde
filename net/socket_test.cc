#include "net/socket.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <thread>

#include "testing/loopback.h"
#include "testing/status_matchers.h"

namespace rsockd::net {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::StatusIs;
using ::testing::HasSubstr;

const IpAddress kLoopback = *IpAddress::Parse("127.0.0.1");

using ::rsockd::testing::LoopbackPair;
using ::rsockd::testing::MakeLoopbackPair;

TEST(SocketTest, ListenOnPortZeroPicksAPort) {
  ASSERT_OK_AND_ASSIGN(Socket listener,
                       Socket::Listen(SocketAddress(kLoopback, 0), 4));
  ASSERT_OK_AND_ASSIGN(SocketAddress bound, listener.LocalAddress());
  EXPECT_NE(bound.port(), 0);
  EXPECT_EQ(bound.ip(), kLoopback);
}

// docs/operations.md, "Listening": an IPv6 listener is IPv6-only when asked,
// so that "::" and "0.0.0.0" can share a port; otherwise "::" takes IPv4
// clients too, and so holds the port's IPv4 side. (Linux makes a listener
// on a specific IPv6 address IPv6-only anyway: only "::" shows the
// difference. Nothing connects to the wildcard listeners here.)
TEST(SocketTest, ListenSetsIpv6OnlyAsAsked) {
  ASSERT_TRUE(Ipv6Available())
      << "this host has ::1 (docs/testing.md#real-peers-and-clients)";
  for (const bool ipv6_only : {false, true}) {
    SCOPED_TRACE(ipv6_only);
    ASSERT_OK_AND_ASSIGN(
        Socket listener,
        Socket::Listen(SocketAddress(*IpAddress::Parse("::"), 0), 4,
                       ipv6_only));
    int value = -1;
    socklen_t size = sizeof(value);
    ASSERT_EQ(
        getsockopt(listener.fd(), IPPROTO_IPV6, IPV6_V6ONLY, &value, &size), 0);
    EXPECT_EQ(value, ipv6_only ? 1 : 0);
    ASSERT_OK_AND_ASSIGN(SocketAddress bound, listener.LocalAddress());
    const absl::StatusOr<Socket> ipv4_side =
        Socket::Listen(SocketAddress(kLoopback, bound.port()), 4);
    if (ipv6_only) {
      EXPECT_THAT(ipv4_side, IsOk());
    } else {
      EXPECT_THAT(ipv4_side, StatusIs(absl::StatusCode::kFailedPrecondition,
                                      HasSubstr("Address already in use")));
    }
  }
  // Meaningless for IPv4, and harmless.
  EXPECT_THAT(Socket::Listen(SocketAddress(kLoopback, 0), 4, true), IsOk());
}

TEST(SocketTest, TransfersBytesBothWays) {
  ASSERT_OK_AND_ASSIGN(LoopbackPair pair, MakeLoopbackPair());
  const Deadline deadline = Deadline::In(absl::Seconds(5));
  ASSERT_THAT(pair.connected.WriteAll("hello", deadline), IsOk());
  uint8_t buffer[16];
  ASSERT_OK_AND_ASSIGN(
      size_t n, pair.accepted.ReadSome(absl::MakeSpan(buffer), deadline));
  EXPECT_EQ(absl::string_view(reinterpret_cast<char*>(buffer), n), "hello");
  pair.accepted.ShutdownWrite();
  ASSERT_OK_AND_ASSIGN(
      n, pair.connected.ReadSome(absl::MakeSpan(buffer), deadline));
  EXPECT_EQ(n, 0u) << "half-close reads as EOF";
}

TEST(SocketTest, ReadTimesOutAtDeadline) {
  ASSERT_OK_AND_ASSIGN(LoopbackPair pair, MakeLoopbackPair());
  uint8_t buffer[4];
  EXPECT_THAT(
      pair.accepted.ReadSome(absl::MakeSpan(buffer),
                             Deadline::In(absl::Milliseconds(50))),
      StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("timed out")));
}

TEST(SocketTest, StopSignalCancelsAWait) {
  ASSERT_OK_AND_ASSIGN(LoopbackPair pair, MakeLoopbackPair());
  StopSignal stop;
  EXPECT_FALSE(stop.notified());
  std::thread notifier([&stop] { stop.Notify(); });
  uint8_t buffer[4];
  EXPECT_THAT(pair.accepted.ReadSome(absl::MakeSpan(buffer),
                                     Deadline::In(absl::Seconds(30), &stop)),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("stopping")));
  notifier.join();
  EXPECT_TRUE(stop.notified());
}

TEST(SocketTest, ConnectToClosedPortIsUnavailable) {
  SocketAddress closed;
  {
    ASSERT_OK_AND_ASSIGN(Socket listener,
                         Socket::Listen(SocketAddress(kLoopback, 0), 4));
    ASSERT_OK_AND_ASSIGN(closed, listener.LocalAddress());
  }
  EXPECT_THAT(
      Socket::Connect(closed, std::nullopt, Deadline::In(absl::Seconds(5))),
      StatusIs(absl::StatusCode::kUnavailable,
               HasSubstr("connect() to 127.0.0.1")));
}

// The SOCKS reply tells a refused connection from an unreachable host, so
// the errno must survive in the status, not only in its text.
TEST(SocketTest, ConnectErrorCarriesItsErrno) {
  SocketAddress closed;
  {
    ASSERT_OK_AND_ASSIGN(Socket listener,
                         Socket::Listen(SocketAddress(kLoopback, 0), 4));
    ASSERT_OK_AND_ASSIGN(closed, listener.LocalAddress());
  }
  absl::StatusOr<Socket> refused =
      Socket::Connect(closed, std::nullopt, Deadline::In(absl::Seconds(5)));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(SocketErrno(refused.status()), ECONNREFUSED);
}

TEST(SocketTest, StatusesFromElsewhereHaveNoErrno) {
  EXPECT_EQ(SocketErrno(absl::OkStatus()), 0);
  EXPECT_EQ(SocketErrno(absl::ErrnoToStatus(ECONNREFUSED, "elsewhere")), 0);
}

TEST(SocketTest, ConnectFromChosenSourceAddress) {
  ASSERT_OK_AND_ASSIGN(Socket listener,
                       Socket::Listen(SocketAddress(kLoopback, 0), 4));
  ASSERT_OK_AND_ASSIGN(SocketAddress bound, listener.LocalAddress());
  const IpAddress source = *IpAddress::Parse("127.0.0.2");
  ASSERT_OK_AND_ASSIGN(
      Socket client,
      Socket::Connect(bound, source, Deadline::In(absl::Seconds(5))));
  ASSERT_THAT(Deadline::In(absl::Seconds(5)).Wait(listener.fd(), POLLIN),
              IsOk());
  SocketAddress peer;
  ASSERT_OK_AND_ASSIGN(Socket server, listener.Accept(&peer));
  EXPECT_EQ(peer.ip(), source);
}

TEST(SocketTest, MoveTransfersOwnership) {
  ASSERT_OK_AND_ASSIGN(LoopbackPair pair, MakeLoopbackPair());
  const int fd = pair.connected.fd();
  Socket moved = std::move(pair.connected);
  EXPECT_FALSE(pair.connected.valid());
  EXPECT_EQ(moved.fd(), fd);
  moved.Close();
  EXPECT_FALSE(moved.valid());
}

}  // namespace
}  // namespace rsockd::net
