#include "testing/socket_io.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>

#include <memory>
#include <string>
#include <thread>

#include "testing/status_matchers.h"
#include "testing/tcp_servers.h"

namespace rsockd::testing {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kTimeout = absl::Seconds(60);

struct Pair {
  net::Socket client;
  net::Socket server;
};

// A connected pair over 127.0.0.1, the client bound to `from` if given.
absl::StatusOr<Pair> MakePair(
    const std::optional<net::IpAddress>& from = std::nullopt) {
  absl::StatusOr<net::Socket> listener =
      net::Socket::Listen(LoopbackAddress(0), 4);
  if (!listener.ok()) return listener.status();
  absl::StatusOr<net::SocketAddress> bound = listener->LocalAddress();
  if (!bound.ok()) return bound.status();
  absl::StatusOr<net::Socket> client =
      ConnectTcp(*bound, absl::Seconds(30), from);
  if (!client.ok()) return client.status();
  if (absl::Status ready =
          net::Deadline::In(absl::Seconds(30)).Wait(listener->fd(), POLLIN);
      !ready.ok()) {
    return ready;
  }
  absl::StatusOr<net::Socket> server = listener->Accept(nullptr);
  if (!server.ok()) return server.status();
  return Pair{*std::move(client), *std::move(server)};
}

TEST(SocketIoTest, ConnectsFromAChosenLoopbackAddress) {
  const net::IpAddress from = *net::IpAddress::Parse("127.0.0.2");
  ASSERT_OK_AND_ASSIGN(Pair pair, MakePair(from));
  ASSERT_OK_AND_ASSIGN(net::SocketAddress peer, pair.server.PeerAddress());
  EXPECT_EQ(peer.ip(), from);
}

TEST(SocketIoTest, ReservedClosedPortRefusesConnections) {
  ASSERT_OK_AND_ASSIGN(net::Socket reserved, ReserveClosedPort());
  ASSERT_OK_AND_ASSIGN(net::SocketAddress address, reserved.LocalAddress());
  EXPECT_NE(address.port(), 0);
  EXPECT_THAT(ConnectTcp(address, kTimeout).status(),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("Connection refused")));
}

TEST(SocketIoTest, ReadExactlyAssemblesPieces) {
  ASSERT_OK_AND_ASSIGN(Pair pair, MakePair());
  const net::Deadline deadline = net::Deadline::In(absl::Seconds(30));
  std::thread writer([&] {
    for (char c : std::string("abcdefgh")) {
      ASSERT_THAT(pair.server.WriteAll(std::string(1, c), deadline), IsOk());
    }
  });
  ASSERT_OK_AND_ASSIGN(std::string data, ReadExactly(pair.client, 8, deadline));
  writer.join();
  EXPECT_EQ(data, "abcdefgh");
}

TEST(SocketIoTest, ReadExactlyReportsAnEarlyClose) {
  ASSERT_OK_AND_ASSIGN(Pair pair, MakePair());
  const net::Deadline deadline = net::Deadline::In(absl::Seconds(30));
  ASSERT_THAT(pair.server.WriteAll("abc", deadline), IsOk());
  pair.server.Close();
  EXPECT_THAT(
      ReadExactly(pair.client, 8, deadline),
      StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("after 3 of 8")));
}

TEST(SocketIoTest, ReadExactlyTimesOut) {
  ASSERT_OK_AND_ASSIGN(Pair pair, MakePair());
  EXPECT_THAT(
      ReadExactly(pair.client, 8, net::Deadline::In(absl::Milliseconds(50))),
      StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("after 0")));
}

TEST(SocketIoTest, ReadUntilClosedSeesOrderlyClose) {
  ASSERT_OK_AND_ASSIGN(Pair pair, MakePair());
  const net::Deadline deadline = net::Deadline::In(absl::Seconds(30));
  ASSERT_THAT(pair.server.WriteAll("reply", deadline), IsOk());
  pair.server.Close();
  ASSERT_OK_AND_ASSIGN(ReadToCloseResult result,
                       ReadUntilClosed(pair.client, deadline));
  EXPECT_EQ(result.data, "reply");
  EXPECT_FALSE(result.reset);
}

TEST(SocketIoTest, ReadUntilClosedSeesAReset) {
  ASSERT_OK_AND_ASSIGN(Pair pair, MakePair());
  pair.server.SetAbortiveClose();
  pair.server.Close();
  ASSERT_OK_AND_ASSIGN(
      ReadToCloseResult result,
      ReadUntilClosed(pair.client, net::Deadline::In(absl::Seconds(30))));
  EXPECT_EQ(result.data, "");
  EXPECT_TRUE(result.reset);
}

TEST(SocketIoTest, ReadUntilClosedTimesOutOnAnOpenConnection) {
  ASSERT_OK_AND_ASSIGN(Pair pair, MakePair());
  ASSERT_THAT(pair.server.WriteAll("x", net::Deadline::In(absl::Seconds(30))),
              IsOk());
  EXPECT_THAT(
      ReadUntilClosed(pair.client, net::Deadline::In(absl::Milliseconds(100))),
      StatusIs(absl::StatusCode::kDeadlineExceeded,
               HasSubstr("still open after 1 bytes")));
}

TEST(SocketIoTest, ReadUntilClosedCapsTheAmount) {
  ASSERT_OK_AND_ASSIGN(Pair pair, MakePair());
  const net::Deadline deadline = net::Deadline::In(absl::Seconds(30));
  ASSERT_THAT(pair.server.WriteAll(std::string(100, 'x'), deadline), IsOk());
  EXPECT_THAT(ReadUntilClosed(pair.client, deadline, 10),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("10")));
}

TEST(SocketIoTest, SendAndReadUntilClosedSendsWhileReading) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(net::Socket client,
                       ConnectTcp(echo->address(), kTimeout));
  // More than the socket buffers hold: the echo would stall if the client
  // read only after sending.
  const std::string data(8 << 20, 'e');
  const SendAndReadResult result = SendAndReadUntilClosed(
      client, data, net::Deadline::In(kTimeout), data.size() + 1);
  EXPECT_THAT(result.sent, IsOk());
  ASSERT_THAT(result.received, IsOk());
  EXPECT_FALSE(result.received->reset);
  EXPECT_TRUE(result.received->data == data)
      << result.received->data.size() << " bytes back";
}

TEST(SocketIoTest, StaysSilentWhileThePeerSendsNothing) {
  ASSERT_OK_AND_ASSIGN(Pair pair, MakePair());
  EXPECT_THAT(StaysSilent(pair.client, absl::Milliseconds(50)), IsOk());
  // Still open: what the peer sends next is there to read.
  ASSERT_THAT(pair.server.WriteAll("x", net::Deadline::In(kTimeout)), IsOk());
  ASSERT_THAT(ReadExactly(pair.client, 1, net::Deadline::In(kTimeout)),
              IsOkAndHolds("x"));
}

TEST(SocketIoTest, StaysSilentFailsOnAByteOrEof) {
  ASSERT_OK_AND_ASSIGN(Pair pair, MakePair());
  ASSERT_THAT(pair.server.WriteAll("x", net::Deadline::In(kTimeout)), IsOk());
  EXPECT_THAT(StaysSilent(pair.client, kTimeout),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("a byte within")));
  pair.server.Close();
  EXPECT_THAT(
      StaysSilent(pair.client, kTimeout),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("EOF within")));
}

}  // namespace
}  // namespace rsockd::testing
