// End-to-end: IPv6 (docs/operations.md "Listening", docs/protocol.md
// "SOCKS4 and IPv6"): the default listeners on both families, SOCKS4A
// names that resolve only to IPv6, and BIND for a client that reached
// rsockd over IPv6. Everything talks to ::1 and 127.0.0.1 only.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/socket.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/fake_dns_server.h"
#include "testing/files.h"
#include "testing/rsockd_process.h"
#include "testing/socket_io.h"
#include "testing/socks4_client.h"
#include "testing/status_matchers.h"
#include "testing/tcp_servers.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::ConnectTcp;
using ::rsockd::testing::EchoServer;
using ::rsockd::testing::FakeDnsServer;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::kSocks4Granted;
using ::rsockd::testing::ReadSocks4Reply;
using ::rsockd::testing::ReadToCloseResult;
using ::rsockd::testing::ReadUntilClosed;
using ::rsockd::testing::RsockdOptions;
using ::rsockd::testing::Socks4aBindRequest;
using ::rsockd::testing::Socks4aConnectRequest;
using ::rsockd::testing::Socks4Connect;
using ::rsockd::testing::Socks4ConnectRequest;
using ::rsockd::testing::Socks4Handshake;
using ::rsockd::testing::Socks4Reply;
using ::rsockd::testing::Socks4Session;

// Loopback clients of both families.
constexpr char kPermitLoopbacks[] = "permit 127.0.0.0/8\npermit ::1/128\n";
constexpr std::array<uint8_t, 4> kZeroIp = {0, 0, 0, 0};

const net::IpAddress kLoopback4 = *net::IpAddress::Parse("127.0.0.1");
const net::IpAddress kLoopback6 = *net::IpAddress::Parse("::1");

class Ipv6Test : public RsockdTest {
 protected:
  void SetUp() override { ASSERT_TRUE(net::Ipv6Available()); }

  // rsockd on 127.0.0.1 and ::1 (one port), resolving names only through
  // a scripted DNS server.
  void StartWithDns() {
    ASSERT_OK_AND_ASSIGN(dns_, FakeDnsServer::Start());
    ASSERT_OK_AND_ASSIGN(const std::string dir,
                         ::rsockd::testing::MakeTempDir("ipv6"));
    const std::string resolv_conf = absl::StrCat(dir, "/resolv.conf");
    ASSERT_THAT(::rsockd::testing::WriteStringToFile(resolv_conf,
                                                     "nameserver 127.0.0.1\n"),
                IsOk());
    ASSERT_NO_FATAL_FAILURE(StartRsockd(RsockdOptions{
        .sockd_conf = kPermitLoopbacks,
        .listen = "127.0.0.1,::1",
        .extra_flags = {
            absl::StrCat("--resolv_conf=", resolv_conf),
            absl::StrCat("--dns_servers=", dns_->address().ToString())}}));
  }

  net::SocketAddress Proxy6() {
    return net::SocketAddress(kLoopback6, rsockd().port());
  }

  std::unique_ptr<FakeDnsServer> dns_;
};

// rsockd(8) --listen: without the flag rsockd listens on 0.0.0.0 and ::,
// one port for both (the one --port_file names), each IPv4-only or
// IPv6-only, so clients of both families reach it.
TEST_F(Ipv6Test, DefaultListenersServeBothFamiliesOnOnePort) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      RsockdOptions{.sockd_conf = kPermitLoopbacks, .listen = std::nullopt}));
  const uint16_t port = rsockd().port();
  EXPECT_THAT(rsockd().WaitForLogLine(
                  absl::StrCat("listening on 0.0.0.0:", port), kLogTimeout),
              IsOk());
  EXPECT_THAT(rsockd().WaitForLogLine(absl::StrCat("listening on [::]:", port),
                                      kLogTimeout),
              IsOk());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  for (const net::IpAddress& proxy_ip : {kLoopback4, kLoopback6}) {
    SCOPED_TRACE(proxy_ip.ToString());
    ASSERT_OK_AND_ASSIGN(
        net::Socket tunnel,
        Socks4Connect(net::SocketAddress(proxy_ip, port),
                      Socks4ConnectRequest(echo->address(), "v6"),
                      kStepTimeout));
    EXPECT_TRUE(EchoRoundTrip(tunnel, "over both families"));
  }
  // The IPv6 client is an IPv6 client (its own sockd.conf line), not a
  // mapped IPv4 one.
  EXPECT_THAT(rsockd().WaitForLogLine(
                  "connected -- Connect from v6(unknown)@::1", kLogTimeout),
              IsOk());
}

// docs/protocol.md: a SOCKS4A name that resolves only to IPv6 is connected
// over IPv6; the SOCKS4 reply's address and port fields are zero, as for
// every CONNECT.
TEST_F(Ipv6Test, Socks4aNameResolvingOnlyToIpv6IsConnectedOverIpv6) {
  ASSERT_NO_FATAL_FAILURE(StartWithDns());
  dns_->AddAddress("six.test", kLoopback6, 300);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo,
                       EchoServer::Start(kLoopback6));
  ASSERT_OK_AND_ASSIGN(
      Socks4Session session,
      Socks4Handshake(rsockd().address(),
                      Socks4aConnectRequest("six.test", echo->port(), "v6"),
                      kStepTimeout));
  EXPECT_EQ(session.reply.code, kSocks4Granted);
  EXPECT_EQ(session.reply.ip, kZeroIp);
  EXPECT_EQ(session.reply.port, 0);
  EXPECT_TRUE(EchoRoundTrip(session.socket, "to an IPv6-only name"));
  EXPECT_THAT(
      rsockd().WaitForLogLine(
          absl::StrCat("connected -- Connect from v6(unknown)@127.0.0.1 "
                       "to six.test (",
                       echo->port(), ") at [::1]:", echo->port()),
          kLogTimeout),
      IsOk());
}

// docs/protocol.md, "SOCKS4 and IPv6": a BIND for a client that reached
// rsockd over IPv6 listens on that IPv6 address; the SOCKS4 replies cannot
// carry it, so they give 0.0.0.0, which SOCKS4 clients replace by the
// address of the SOCKS server they reached — exactly the listen address.
TEST_F(Ipv6Test, BindOverIpv6RepliesZeroAddressWithThePort) {
  ASSERT_NO_FATAL_FAILURE(StartWithDns());
  dns_->AddAddress("peer6.test", kLoopback6, 300);
  ASSERT_OK_AND_ASSIGN(
      Socks4Session session,
      Socks4Handshake(Proxy6(), Socks4aBindRequest("peer6.test", 21, "v6"),
                      kStepTimeout));
  ASSERT_EQ(session.reply.code, kSocks4Granted);
  EXPECT_EQ(session.reply.ip, kZeroIp);
  ASSERT_NE(session.reply.port, 0);
  EXPECT_THAT(
      rsockd().WaitForLogLine(
          absl::StrCat("bound -- Bind from v6(unknown)@::1 for peer6.test "
                       "(ftp) at [::1]:",
                       session.reply.port),
          kLogTimeout),
      IsOk());

  // The peer connects where the client's rule says: the proxy's address.
  ASSERT_OK_AND_ASSIGN(
      net::Socket peer,
      ConnectTcp(net::SocketAddress(kLoopback6, session.reply.port),
                 kStepTimeout));
  ASSERT_OK_AND_ASSIGN(
      const Socks4Reply second,
      ReadSocks4Reply(session.socket, net::Deadline::In(kStepTimeout)));
  EXPECT_EQ(second.code, kSocks4Granted);
  EXPECT_EQ(second.ip, kZeroIp) << "an IPv6 peer cannot be named in SOCKS4";
  ASSERT_OK_AND_ASSIGN(const net::SocketAddress peer_address,
                       peer.LocalAddress());
  EXPECT_EQ(second.port, peer_address.port());

  // Relayed both ways, half-closes included.
  const net::Deadline deadline = net::Deadline::In(kStepTimeout);
  ASSERT_THAT(session.socket.WriteAll("from the client", deadline), IsOk());
  session.socket.ShutdownWrite();
  ASSERT_OK_AND_ASSIGN(const ReadToCloseResult at_peer,
                       ReadUntilClosed(peer, deadline, 100));
  EXPECT_EQ(at_peer.data, "from the client");
  ASSERT_THAT(peer.WriteAll("from the peer", deadline), IsOk());
  peer.ShutdownWrite();
  ASSERT_OK_AND_ASSIGN(const ReadToCloseResult at_client,
                       ReadUntilClosed(session.socket, deadline, 100));
  EXPECT_EQ(at_client.data, "from the peer");
}

}  // namespace
}  // namespace rsockd::e2e
