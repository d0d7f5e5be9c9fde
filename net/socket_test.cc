#include "net/socket.h"

#include <gtest/gtest.h>
#include <poll.h>

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
