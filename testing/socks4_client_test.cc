#include "testing/socks4_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/synchronization/mutex.h"
#include "testing/scripted_peer.h"
#include "testing/socket_io.h"
#include "testing/status_matchers.h"
#include "testing/tcp_servers.h"

namespace rsockd::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::Duration kTimeout = absl::Seconds(60);

std::string Bytes(std::initializer_list<uint8_t> bytes) {
  return std::string(bytes.begin(), bytes.end());
}

TEST(Socks4RequestTest, ConnectRequestBytes) {
  const net::SocketAddress destination(*net::IpAddress::Parse("10.1.2.3"),
                                       8080);
  EXPECT_EQ(Socks4ConnectRequest(destination, "ab"),
            Bytes({
                0x04,         // VN
                0x01,         // CD: CONNECT
                0x1f, 0x90,   // DSTPORT 8080
                10, 1, 2, 3,  // DSTIP
                'a', 'b',     // USERID
                0x00,         // NUL
            }));
}

TEST(Socks4RequestTest, Socks4aRequestBytes) {
  EXPECT_EQ(Socks4aConnectRequest("h.x", 80, ""),
            Bytes({
                0x04,           // VN
                0x01,           // CD: CONNECT
                0x00, 0x50,     // DSTPORT 80
                0, 0, 0, 1,     // DSTIP 0.0.0.1: a name follows
                0x00,           // empty USERID, NUL
                'h', '.', 'x',  // HOSTNAME
                0x00,           // NUL
            }));
}

TEST(Socks4RequestTest, BindRequestBytes) {
  EXPECT_EQ(Socks4BindRequest(*net::IpAddress::Parse("10.1.2.3"), 21, "ab"),
            Bytes({
                0x04,         // VN
                0x02,         // CD: BIND
                0x00, 0x15,   // DSTPORT 21: the primary connection's
                10, 1, 2, 3,  // DSTIP: the peer expected to connect
                'a', 'b',     // USERID
                0x00,         // NUL
            }));
}

TEST(Socks4RequestTest, Socks4aBindRequestBytes) {
  EXPECT_EQ(Socks4aBindRequest("h.x", 21, "u"),
            Bytes({
                0x04,           // VN
                0x02,           // CD: BIND
                0x00, 0x15,     // DSTPORT 21
                0, 0, 0, 1,     // DSTIP 0.0.0.1: a name follows
                'u', 0x00,      // USERID, NUL
                'h', '.', 'x',  // HOSTNAME of the expected peer
                0x00,           // NUL
            }));
}

TEST(Socks4ReplyTest, AddressIsDstipAndDstport) {
  Socks4Reply reply;
  reply.port = 40000;
  reply.ip = {127, 0, 0, 3};
  EXPECT_EQ(reply.address(),
            net::SocketAddress(*net::IpAddress::Parse("127.0.0.3"), 40000));
}

TEST(Socks4RequestTest, RawRequestKeepsInvalidFields) {
  EXPECT_EQ(Socks4Request(0x03, 0x07, 0xffff, {255, 0, 0, 0}, "u"),
            Bytes({0x03, 0x07, 0xff, 0xff, 255, 0, 0, 0, 'u', 0x00}));
}

// A stand-in proxy: reads the 8-byte header and the USERID, records them,
// then writes `reply` in single bytes and closes.
class ScriptedProxy {
 public:
  explicit ScriptedProxy(std::string reply) : reply_(std::move(reply)) {
    server_ = *TcpServer::Start([this](net::Socket connection,
                                       const net::StopSignal& stop) {
      const net::Deadline deadline = net::Deadline::In(kTimeout, &stop);
      absl::StatusOr<std::string> header = ReadExactly(connection, 9, deadline);
      if (!header.ok()) return;
      {
        absl::MutexLock lock(&mu_);
        requests_.push_back(*header);
      }
      for (char c : reply_) {
        if (!connection.WriteAll(std::string(1, c), deadline).ok()) return;
      }
    });
  }
  const net::SocketAddress& address() const { return server_->address(); }
  std::vector<std::string> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  const std::string reply_;
  absl::Mutex mu_;
  std::vector<std::string> requests_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<TcpServer> server_;
};

TEST(Socks4ClientTest, HandshakeReadsAReplyArrivingByteByByte) {
  ScriptedProxy proxy(Bytes({
      0x00,        // VN
      91,          // CD: rejected
      0x12, 0x34,  // DSTPORT
      1, 2, 3, 4,  // DSTIP
  }));
  const std::string request =
      Socks4ConnectRequest(net::SocketAddress(Loopback(), 80), "");
  ASSERT_OK_AND_ASSIGN(Socks4Session session,
                       Socks4Handshake(proxy.address(), request, kTimeout));
  EXPECT_EQ(session.reply.version, 0);
  EXPECT_EQ(session.reply.code, kSocks4Rejected);
  EXPECT_EQ(session.reply.port, 0x1234);
  EXPECT_THAT(session.reply.ip, ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(proxy.requests(), ElementsAre(request));
}

TEST(Socks4ClientTest, ConnectReturnsTheTunnelWhenGranted) {
  ScriptedProxy proxy(Bytes({0x00, 90, 0, 0, 0, 0, 0, 0, 'h', 'i'}));
  ASSERT_OK_AND_ASSIGN(
      net::Socket tunnel,
      Socks4Connect(
          proxy.address(),
          Socks4ConnectRequest(net::SocketAddress(Loopback(), 80), ""),
          kTimeout));
  ASSERT_OK_AND_ASSIGN(std::string after,
                       ReadExactly(tunnel, 2, net::Deadline::In(kTimeout)));
  EXPECT_EQ(after, "hi");
}

TEST(Socks4ClientTest, ConnectFailsOnARejection) {
  ScriptedProxy proxy(Bytes({0x00, 91, 0, 0, 0, 0, 0, 0}));
  EXPECT_THAT(Socks4Connect(
                  proxy.address(),
                  Socks4ConnectRequest(net::SocketAddress(Loopback(), 80), ""),
                  kTimeout)
                  .status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("CD=91")));
}

TEST(Socks4ClientTest, ShortReplyIsOutOfRange) {
  ScriptedProxy proxy(Bytes({0x00, 90, 0}));
  EXPECT_THAT(
      Socks4Handshake(
          proxy.address(),
          Socks4ConnectRequest(net::SocketAddress(Loopback(), 80), ""),
          kTimeout)
          .status(),
      StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("after 3 of 8")));
}

TEST(Socks4ClientTest, ExchangeReadsTheReplySplitAnywhereAndNothingAfterIt) {
  const std::string request =
      Socks4ConnectRequest(net::SocketAddress(Loopback(), 80), "bench");
  const std::string reply = Bytes({
      0x00,        // VN
      91,          // CD: rejected
      0x12, 0x34,  // DSTPORT
      1, 2, 3, 4,  // DSTIP
  });
  for (size_t split = 0; split < reply.size(); ++split) {
    SCOPED_TRACE("split at " + std::to_string(split));
    ASSERT_OK_AND_ASSIGN(auto peer, ScriptedPeer::Start({
                                        ScriptedPeer::Expect(request),
                                        ScriptedPeer::Send(reply, split),
                                        ScriptedPeer::Send("tail"),
                                    }));
    ASSERT_OK_AND_ASSIGN(
        Socks4Reply parsed,
        Socks4Exchange(peer->client(), request, net::Deadline::In(kTimeout)));
    EXPECT_EQ(parsed.version, 0);
    EXPECT_EQ(parsed.code, kSocks4Rejected);
    EXPECT_EQ(parsed.port, 0x1234);
    EXPECT_THAT(parsed.ip, ElementsAre(1, 2, 3, 4));
    // What follows the reply is left for the tunnel.
    EXPECT_THAT(ReadExactly(peer->client(), 4, net::Deadline::In(kTimeout)),
                IsOkAndHolds("tail"));
    EXPECT_THAT(peer->Finish(), IsOk());
  }
}

TEST(Socks4ClientTest, ExpectGrantedWantsVersion0AndCode90) {
  Socks4Reply reply;
  reply.code = kSocks4Granted;
  EXPECT_THAT(Socks4ExpectGranted(reply), IsOk());
  reply.version = kSocks4Version;  // some servers reply VN=4: not this one
  EXPECT_THAT(Socks4ExpectGranted(reply),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("VN=4")));
  reply.version = 0;
  reply.code = kSocks4IdentMismatch;
  EXPECT_THAT(Socks4ExpectGranted(reply),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("VN=0 CD=93 (want VN=0 CD=90)")));
}

}  // namespace
}  // namespace rsockd::testing
