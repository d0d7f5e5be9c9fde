#include "testing/epoll_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/tcp.h>  // struct tcp_info with tcpi_snd_wnd
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "testing/socket_io.h"
#include "testing/status_matchers.h"
#include "testing/wait_for.h"

namespace rsockd::testing {
namespace {

using Mode = EpollServer::Mode;
using ::testing::HasSubstr;

constexpr absl::Duration kTimeout = absl::Seconds(60);

net::Deadline Soon() { return net::Deadline::In(kTimeout); }

std::string RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 random(seed);
  std::string bytes(size, '\0');
  for (char& byte : bytes) byte = static_cast<char>(random());
  return bytes;
}

int OpenDescriptors() {
  int count = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/proc/self/fd")) {
    ++count;
  }
  return count;
}

absl::StatusOr<std::unique_ptr<EpollServer>> StartServer(Mode mode,
                                                         size_t echo_limit = 0,
                                                         int threads = 1) {
  return EpollServer::Start(
      {.mode = mode, .echo_limit = echo_limit, .threads = threads});
}

TEST(EpollServerTest, ListensOnTheGivenLoopbackAddressAndAPickedPort) {
  const net::IpAddress ip = *net::IpAddress::Parse("127.0.0.2");
  ASSERT_OK_AND_ASSIGN(auto server,
                       EpollServer::Start({.mode = Mode::kEcho, .ip = ip}));
  EXPECT_EQ(server->address().ip(), ip);
  EXPECT_NE(server->address().port(), 0);
  EXPECT_THAT(ConnectTcp(server->address(), kTimeout), IsOk());
}

TEST(EpollServerTest, RefusesOptionsThatCannotWork) {
  EXPECT_THAT(
      StartServer(Mode::kEcho, 0, /*threads=*/0),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("thread")));
  EXPECT_THAT(
      StartServer(Mode::kEchoThenClose, /*echo_limit=*/0),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("echo_limit")));
}

TEST(EpollServerTest, EchoThenCloseEchoesThePayloadSentInPiecesThenCloses) {
  ASSERT_OK_AND_ASSIGN(auto server, StartServer(Mode::kEchoThenClose, 64));
  ASSERT_OK_AND_ASSIGN(net::Socket client,
                       ConnectTcp(server->address(), kTimeout));
  const std::string payload = RandomBytes(64, 1);
  for (absl::string_view piece :
       {payload.substr(0, 1), payload.substr(1, 40), payload.substr(41)}) {
    ASSERT_THAT(client.WriteAll(piece, Soon()), IsOk());
    // Each piece is echoed on its own before the next is sent.
    ASSERT_OK_AND_ASSIGN(std::string echoed,
                         ReadExactly(client, piece.size(), Soon()));
    EXPECT_EQ(echoed, piece);
  }
  // The server closes first, with nothing more, and nothing unread.
  ASSERT_OK_AND_ASSIGN(ReadToCloseResult rest, ReadUntilClosed(client, Soon()));
  EXPECT_EQ(rest.data, "");
  EXPECT_FALSE(rest.reset);
  EXPECT_EQ(server->bytes_received(), 64);
  EXPECT_TRUE(
      WaitFor([&] { return server->closed_connections() == 1; }, "closed"));
  EXPECT_EQ(server->open_connections(), 0);
}

TEST(EpollServerTest, EchoThenCloseReadsNothingBeyondItsLimit) {
  ASSERT_OK_AND_ASSIGN(auto server, StartServer(Mode::kEchoThenClose, 10));
  ASSERT_OK_AND_ASSIGN(net::Socket client,
                       ConnectTcp(server->address(), kTimeout));
  const std::string sent = RandomBytes(100, 2);
  ASSERT_THAT(client.WriteAll(sent, Soon()), IsOk());
  // Closing with 90 bytes unread resets the connection, possibly before the
  // echo is read; what arrives is a prefix of the first 10 bytes.
  ASSERT_OK_AND_ASSIGN(ReadToCloseResult got, ReadUntilClosed(client, Soon()));
  EXPECT_EQ(got.data, sent.substr(0, got.data.size()));
  EXPECT_LE(got.data.size(), 10);
  EXPECT_EQ(server->bytes_received(), 10);
}

// Writes `sent` from another thread, then half-closes; runs `meanwhile`;
// then reads until the server closes and checks that every byte came back.
void ExpectEchoedExactly(net::Socket& client, const std::string& sent,
                         const std::function<void()>& meanwhile) {
  absl::Status written;
  std::thread writer([&] {
    written = client.WriteAll(sent, Soon());
    client.ShutdownWrite();
  });
  meanwhile();
  absl::StatusOr<ReadToCloseResult> got =
      ReadUntilClosed(client, Soon(), sent.size());
  writer.join();
  EXPECT_THAT(written, IsOk());
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_FALSE(got->reset);
  ASSERT_EQ(got->data.size(), sent.size());
  EXPECT_TRUE(got->data == sent) << "the echo differs from what was sent";
}

TEST(EpollServerTest, EchoReturnsEveryByteOfALargeStream) {
  ASSERT_OK_AND_ASSIGN(auto server, StartServer(Mode::kEcho));
  ASSERT_OK_AND_ASSIGN(net::Socket client,
                       ConnectTcp(server->address(), kTimeout));
  const std::string sent = RandomBytes(32 << 20, 3);
  ExpectEchoedExactly(client, sent, [] {});
  EXPECT_EQ(server->bytes_received(), sent.size());
}

// The peer's advertised receive window as `socket`'s side last saw it: 0
// once the peer has stopped reading and its buffer is full.
uint32_t PeerWindow(const net::Socket& socket) {
  tcp_info info{};
  socklen_t size = sizeof(info);
  if (getsockopt(socket.fd(), IPPROTO_TCP, TCP_INFO, &info, &size) != 0) {
    return ~0u;
  }
  return info.tcpi_snd_wnd;
}

size_t UnreadBytes(const net::Socket& socket) {
  int bytes = 0;
  return ioctl(socket.fd(), FIONREAD, &bytes) == 0 ? bytes : 0;
}

// A client that writes without reading fills the server's echo path; the
// server must then stop reading it (and go on serving others), not drop it
// or block its loop, and the client must get every byte once it reads.
TEST(EpollServerTest, AReaderThatFallsBehindGetsEveryByteAndStallsNoOne) {
  ASSERT_OK_AND_ASSIGN(auto server, StartServer(Mode::kEcho));
  ASSERT_OK_AND_ASSIGN(net::Socket slow,
                       ConnectTcp(server->address(), kTimeout));
  ExpectEchoedExactly(slow, RandomBytes(32 << 20, 4), [&] {
    // The echo has filled the slow client's buffer and the server has
    // stopped reading it: the client's window towards the server is closed.
    ASSERT_TRUE(
        WaitFor([&] { return UnreadBytes(slow) > 0 && PeerWindow(slow) == 0; },
                "the server stopped reading the slow client", kTimeout));
    // Meanwhile the one loop serves another connection.
    ASSERT_OK_AND_ASSIGN(net::Socket other,
                         ConnectTcp(server->address(), kTimeout));
    ASSERT_THAT(other.WriteAll("ping", Soon()), IsOk());
    EXPECT_THAT(ReadExactly(other, 4, Soon()), IsOkAndHolds("ping"));
  });
}

TEST(EpollServerTest, ServesManyConnectionsAtOnceOnSeveralLoops) {
  constexpr int kConnections = 200;
  ASSERT_OK_AND_ASSIGN(auto server, StartServer(Mode::kEcho, 0, 3));
  std::vector<net::Socket> clients;
  std::vector<std::string> payloads;
  for (int i = 0; i < kConnections; ++i) {
    ASSERT_OK_AND_ASSIGN(net::Socket client,
                         ConnectTcp(server->address(), kTimeout));
    payloads.push_back(RandomBytes(1000 + i, 100 + i));
    ASSERT_THAT(client.WriteAll(payloads.back(), Soon()), IsOk());
    clients.push_back(std::move(client));
  }
  // All open at once, each echoed its own bytes.
  EXPECT_TRUE(WaitFor(
      [&] { return server->open_connections() == kConnections; }, "all open"));
  for (int i = 0; i < kConnections; ++i) {
    EXPECT_THAT(ReadExactly(clients[i], payloads[i].size(), Soon()),
                IsOkAndHolds(payloads[i]))
        << "connection " << i;
  }
  for (net::Socket& client : clients) client.ShutdownWrite();
  for (int i = 0; i < kConnections; ++i) {
    ASSERT_OK_AND_ASSIGN(ReadToCloseResult rest,
                         ReadUntilClosed(clients[i], Soon()));
    EXPECT_EQ(rest.data, "") << "connection " << i;
  }
  EXPECT_TRUE(
      WaitFor([&] { return server->open_connections() == 0; }, "all closed"));
  EXPECT_EQ(server->closed_connections(), kConnections);
}

TEST(EpollServerTest, DiscardCountsEveryByteAndClosesAtEof) {
  constexpr int kConnections = 4;
  constexpr size_t kBytes = 3 << 20;
  ASSERT_OK_AND_ASSIGN(auto server, StartServer(Mode::kDiscard));
  std::vector<std::thread> writers;
  std::vector<absl::Status> results(kConnections);
  for (int i = 0; i < kConnections; ++i) {
    writers.emplace_back([&, i] {
      absl::StatusOr<net::Socket> client =
          ConnectTcp(server->address(), kTimeout);
      if (!client.ok()) {
        results[i] = client.status();
        return;
      }
      results[i] = client->WriteAll(RandomBytes(kBytes, i), Soon());
      client->ShutdownWrite();
      // Nothing comes back; the server closes once it has read everything.
      absl::StatusOr<ReadToCloseResult> rest = ReadUntilClosed(*client, Soon());
      if (results[i].ok() && !rest.ok()) results[i] = rest.status();
      if (results[i].ok() && !rest->data.empty()) {
        results[i] = absl::DataLossError("the discard server sent bytes");
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  for (const absl::Status& result : results) EXPECT_THAT(result, IsOk());
  // Each EOF came after the server counted that connection's bytes.
  EXPECT_EQ(server->bytes_received(), kConnections * kBytes);
  EXPECT_TRUE(WaitFor(
      [&] { return server->closed_connections() == kConnections; }, "closed"));
}

TEST(EpollServerTest, StopsWithConnectionsOpenAndLeaksNoDescriptor) {
  constexpr int kConnections = 50;
  const int before = OpenDescriptors();
  std::vector<net::Socket> clients;
  {
    ASSERT_OK_AND_ASSIGN(auto server, StartServer(Mode::kEcho, 0, 2));
    for (int i = 0; i < kConnections; ++i) {
      ASSERT_OK_AND_ASSIGN(net::Socket client,
                           ConnectTcp(server->address(), kTimeout));
      clients.push_back(std::move(client));
    }
    ASSERT_TRUE(WaitFor(
        [&] { return server->open_connections() == kConnections; }, "open"));
    // One of them has an echo in progress.
    ASSERT_THAT(clients[0].WriteAll("x", Soon()), IsOk());
    EXPECT_THAT(ReadExactly(clients[0], 1, Soon()), IsOkAndHolds("x"));
  }  // The destructor stops the loops, which close every connection.
  for (int i = 0; i < kConnections; ++i) {
    ASSERT_OK_AND_ASSIGN(ReadToCloseResult rest,
                         ReadUntilClosed(clients[i], Soon()));
    EXPECT_EQ(rest.data, "") << "connection " << i;
  }
  clients.clear();
  EXPECT_EQ(OpenDescriptors(), before);
}

}  // namespace
}  // namespace rsockd::testing
