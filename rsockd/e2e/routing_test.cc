// Routing and chaining (socks.conf(5); docs/sockd_route.md): socks.conf decides
// direct, deny or through upstream SOCKS servers, tried in order with failover;
// sockd.route picks the source address. The upstreams are other rsockd
// processes, Debian's Dante, and scripted servers that record what they
// receive.
//
// The destinations listen on 127.0.0.2 and up: 127.0.0.1 is always reached
// directly whatever socks.conf says (docs/socks_conf.md#decision).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdio.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "net/deadline.h"
#include "net/socket.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/dante_server.h"
#include "testing/files.h"
#include "testing/scripted_socks4_server.h"
#include "testing/socket_io.h"
#include "testing/socks4_client.h"
#include "testing/status_matchers.h"
#include "testing/tcp_servers.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::DanteServer;
using ::rsockd::testing::EchoServer;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::kSocks4Granted;
using ::rsockd::testing::kSocks4Rejected;
using ::rsockd::testing::ReadUntilClosed;
using ::rsockd::testing::RsockdProcess;
using ::rsockd::testing::ScriptedSocks4Server;
using ::rsockd::testing::Socks4aConnectRequest;
using ::rsockd::testing::Socks4ConnectRequest;
using ::rsockd::testing::Socks4Handshake;
using ::rsockd::testing::Socks4Session;
using ::rsockd::testing::TcpServer;
using ::rsockd::testing::WriteStringToFile;
using ::testing::HasSubstr;
using ::testing::Not;

net::IpAddress Ip(absl::string_view text) {
  return *net::IpAddress::Parse(text);
}

// A free loopback port with nothing listening on it.
net::SocketAddress ClosedPort() {
  absl::StatusOr<net::Socket> probe =
      net::Socket::Listen(testing::LoopbackAddress(0), 1);
  CHECK(probe.ok()) << probe.status();
  return *probe->LocalAddress();
}

class RoutingTest : public RsockdTest {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<EchoServer>> echo =
        EchoServer::Start(Ip("127.0.0.2"));
    ASSERT_THAT(echo.status(), IsOk());
    echo_ = *std::move(echo);
  }

  // A CONNECT to the echo server through the front rsockd; the reply code,
  // and for 90 an echo round trip.
  int ConnectToEcho(absl::string_view user = "alice") {
    absl::StatusOr<Socks4Session> session = Socks4Handshake(
        proxy(), Socks4ConnectRequest(echo_->address(), user), kStepTimeout);
    if (!session.ok()) {
      ADD_FAILURE() << session.status() << "\n" << LogTail();
      return -1;
    }
    if (session->reply.code == kSocks4Granted) {
      EXPECT_TRUE(EchoRoundTrip(session->socket, std::string(100000, 'r')));
    }
    return session->reply.code;
  }

  std::unique_ptr<EchoServer> echo_;
};

TEST_F(RoutingTest, DirectLineConnectsDirectly) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      {.sockd_conf = kPermitLoopback, .socks_conf = "direct ALL\n"}));
  EXPECT_EQ(ConnectToEcho(), kSocks4Granted);
  EXPECT_THAT(
      rsockd().WaitForLogLine("connected -- Connect from alice", kLogTimeout),
      IsOk());
}

TEST_F(RoutingTest, DenyLineAndNoMatchingLineGet91) {
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.sockd_conf = kPermitLoopback,
                   .socks_conf = "deny *=mallory ALL\ndirect 10.0.0.0/8\n"}));
  EXPECT_EQ(ConnectToEcho("mallory"), kSocks4Rejected);
  EXPECT_THAT(rsockd().WaitForLogLine("socks.conf:1]", kLogTimeout), IsOk());
  EXPECT_EQ(ConnectToEcho("alice"), kSocks4Rejected);
  EXPECT_THAT(rsockd().WaitForLogLine("[no matching line in ", kLogTimeout),
              IsOk());
  EXPECT_EQ(echo_->accepted(), 0);
}

TEST_F(RoutingTest, LoopbackOneIsAlwaysDirect) {
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.sockd_conf = kPermitLoopback, .socks_conf = "deny ALL\n"}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> local, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(
      Socks4Session session,
      Socks4Handshake(proxy(), Socks4ConnectRequest(local->address(), "u"),
                      kStepTimeout));
  EXPECT_EQ(session.reply.code, kSocks4Granted);
}

TEST_F(RoutingTest, ThroughASecondRsockd) {
  RsockdProcess& hop = StartHop({.sockd_conf = kPermitLoopback});
  ASSERT_NO_FATAL_FAILURE(
      StartRsockdThrough({hop.address()}, {.sockd_conf = kPermitLoopback}));
  EXPECT_EQ(ConnectToEcho("carol"), kSocks4Granted);
  EXPECT_THAT(rsockd().WaitForLogLineWithAll(
                  {"connected -- Connect from carol",
                   absl::StrCat("via ", hop.address().ToString())},
                  kLogTimeout),
              IsOk());
  // The hop saw the client's user id, forwarded.
  EXPECT_THAT(
      hop.WaitForLogLine("connected -- Connect from carol(", kLogTimeout),
      IsOk());
}

TEST_F(RoutingTest, ThroughDante) {
  if (!DanteServer::Installed()) GTEST_SKIP() << "danted is not installed";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<DanteServer> dante,
                       DanteServer::Start({}));
  ASSERT_NO_FATAL_FAILURE(
      StartRsockdThrough({dante->address()}, {.sockd_conf = kPermitLoopback}));
  EXPECT_EQ(ConnectToEcho(), kSocks4Granted) << dante->Log();
  EXPECT_THAT(
      rsockd().WaitForLogLine(absl::StrCat("via ", dante->address().ToString()),
                              kLogTimeout),
      IsOk());
}

TEST_F(RoutingTest, ThreeHopCascadeOfRsockd) {
  auto [middle, last] = StartHopChain(kPermitLoopback);
  ASSERT_NO_FATAL_FAILURE(
      StartRsockdThrough({middle.address()}, {.sockd_conf = kPermitLoopback}));
  EXPECT_EQ(ConnectToEcho("dave"), kSocks4Granted);
  EXPECT_THAT(middle.WaitForLogLine(
                  absl::StrCat("via ", last.address().ToString()), kLogTimeout),
              IsOk());
  EXPECT_THAT(
      last.WaitForLogLine("connected -- Connect from dave(", kLogTimeout),
      IsOk());
}

TEST_F(RoutingTest, ClosedPortIsSkippedAndRememberedAsDown) {
  RsockdProcess& hop = StartHop({.sockd_conf = kPermitLoopback});
  const net::SocketAddress closed = ClosedPort();
  ASSERT_NO_FATAL_FAILURE(StartRsockdThrough({closed, hop.address()},
                                             {.sockd_conf = kPermitLoopback}));
  EXPECT_EQ(ConnectToEcho(), kSocks4Granted);
  EXPECT_THAT(
      rsockd().WaitForLogLine(
          absl::StrCat("upstream ", closed.ToString(), ": cannot connect"),
          kLogTimeout),
      IsOk());
  // Now tried last: the next session goes straight to the hop.
  const size_t mark = rsockd().StderrSize();
  EXPECT_EQ(ConnectToEcho(), kSocks4Granted);
  ASSERT_THAT(rsockd().WaitForLogLine("terminated --", kLogTimeout, mark),
              IsOk());
  EXPECT_THAT(rsockd().Stderr().substr(mark),
              ::testing::Not(HasSubstr(closed.ToString())));
  // And SIGUSR1 reports it.
  const size_t stats_mark = rsockd().StderrSize();
  ASSERT_EQ(kill(rsockd().pid(), SIGUSR1), 0);
  EXPECT_THAT(rsockd().WaitForLogLine(
                  absl::StrCat("upstreams down: ", closed.ToString()),
                  kLogTimeout, stats_mark),
              IsOk());
}

TEST_F(RoutingTest, BlackHoleTimesOutAndTheNextServerWorks) {
  // Listens but never accepts or answers: the request waits for a reply
  // until the connect timeout.
  ASSERT_OK_AND_ASSIGN(net::Socket black_hole,
                       net::Socket::Listen(testing::LoopbackAddress(0), 4));
  ASSERT_OK_AND_ASSIGN(net::SocketAddress hole, black_hole.LocalAddress());
  RsockdProcess& hop = StartHop({.sockd_conf = kPermitLoopback});
  ASSERT_NO_FATAL_FAILURE(StartRsockdThrough(
      {hole, hop.address()}, {.sockd_conf = kPermitLoopback,
                              .extra_flags = {"--connect_timeout=1s"}}));
  EXPECT_EQ(ConnectToEcho(), kSocks4Granted);
  EXPECT_THAT(rsockd().WaitForLogLine(absl::StrCat("upstream ", hole.ToString(),
                                                   ": no valid reply"),
                                      kLogTimeout),
              IsOk());
}

TEST_F(RoutingTest, GarbledReplyIsAFaultAndTheNextServerWorks) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ScriptedSocks4Server> garbled,
                       ScriptedSocks4Server::Start("HTTP/1.0 400 Bad\r\n"));
  RsockdProcess& hop = StartHop({.sockd_conf = kPermitLoopback});
  ASSERT_NO_FATAL_FAILURE(StartRsockdThrough(
      {garbled->address(), hop.address()}, {.sockd_conf = kPermitLoopback}));
  EXPECT_EQ(ConnectToEcho(), kSocks4Granted);
  EXPECT_THAT(rsockd().WaitForLogLine("garbled reply", kLogTimeout), IsOk());
}

TEST_F(RoutingTest, UpstreamRefusalIsFinal) {
  const RsockdProcess& refusing = StartHop({.sockd_conf = "deny ALL\n"});
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ScriptedSocks4Server> second,
      ScriptedSocks4Server::Start(ScriptedSocks4Server::Reply(90)));
  ASSERT_NO_FATAL_FAILURE(
      StartRsockdThrough({refusing.address(), second->address()},
                         {.sockd_conf = kPermitLoopback}));
  EXPECT_EQ(ConnectToEcho(), kSocks4Rejected);
  EXPECT_THAT(rsockd().WaitForLogLine(
                  absl::StrCat("[upstream ", refusing.address().ToString(),
                               " replied 91]"),
                  kLogTimeout),
              IsOk());
  EXPECT_EQ(second->accepted(), 0);
}

// Classic 4.2 sockd refuses with version byte 4 (docs/socks_conf.md, "Upstream
// chaining"): still final, never a reason to ask the next server, which would
// grant.
TEST_F(RoutingTest, ClassicVersionFourRefusalIsFinal) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ScriptedSocks4Server> classic,
      ScriptedSocks4Server::Start(std::string("\x04\x5b\0\0\0\0\0\0", 8)));
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ScriptedSocks4Server> second,
      ScriptedSocks4Server::Start(ScriptedSocks4Server::Reply(90)));
  ASSERT_NO_FATAL_FAILURE(
      StartRsockdThrough({classic->address(), second->address()},
                         {.sockd_conf = kPermitLoopback}));
  EXPECT_EQ(ConnectToEcho(), kSocks4Rejected);
  EXPECT_THAT(rsockd().WaitForLogLine(
                  absl::StrCat("[upstream ", classic->address().ToString(),
                               " replied 91]"),
                  kLogTimeout),
              IsOk());
  EXPECT_EQ(second->accepted(), 0);
}

TEST_F(RoutingTest, UpstreamRefusalFromDanteIsFinal) {
  if (!DanteServer::Installed()) GTEST_SKIP() << "danted is not installed";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<DanteServer> dante,
                       DanteServer::Start({.deny_all = true}));
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ScriptedSocks4Server> second,
      ScriptedSocks4Server::Start(ScriptedSocks4Server::Reply(90)));
  ASSERT_NO_FATAL_FAILURE(StartRsockdThrough(
      {dante->address(), second->address()}, {.sockd_conf = kPermitLoopback}));
  EXPECT_EQ(ConnectToEcho(), kSocks4Rejected) << dante->Log();
  EXPECT_THAT(rsockd().WaitForLogLine("replied 91]", kLogTimeout), IsOk());
  EXPECT_EQ(second->accepted(), 0);
}

TEST_F(RoutingTest, UnresolvableServerNameIsSkipped) {
  RsockdProcess& hop = StartHop({.sockd_conf = kPermitLoopback});
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      {.sockd_conf = kPermitLoopback,
       .socks_conf = absl::StrCat("sockd @=no-such-host.invalid:1080,",
                                  hop.address().ToString(), " ALL\n"),
       .extra_flags = {"--resolve_timeout=3s"}}));
  EXPECT_EQ(ConnectToEcho(), kSocks4Granted);
  EXPECT_THAT(
      rsockd().WaitForLogLine(
          "upstream no-such-host.invalid:1080: cannot resolve", kLogTimeout),
      IsOk());
}

TEST_F(RoutingTest, SockdLineWithoutServersUsesTheDefaultServer) {
  RsockdProcess& hop = StartHop({.sockd_conf = kPermitLoopback});
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.sockd_conf = kPermitLoopback,
                   .socks_conf = "sockd ALL\n",
                   .extra_flags = {absl::StrCat("--socks_server=",
                                                hop.address().ToString())}}));
  EXPECT_EQ(ConnectToEcho(), kSocks4Granted);
  EXPECT_THAT(rsockd().WaitForLogLine(
                  absl::StrCat("via ", hop.address().ToString()), kLogTimeout),
              IsOk());
}

TEST_F(RoutingTest, Socks4aNameGoesUpstreamUnresolved) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ScriptedSocks4Server> upstream,
      ScriptedSocks4Server::Start(ScriptedSocks4Server::Reply(90)));
  ASSERT_NO_FATAL_FAILURE(StartRsockdThrough({upstream->address()},
                                             {.sockd_conf = kPermitLoopback}));
  // A name only the far side knows: it does not resolve here.
  ASSERT_OK_AND_ASSIGN(
      Socks4Session session,
      Socks4Handshake(
          proxy(),
          Socks4aConnectRequest("intranet.far-side.invalid", 8080, "erin"),
          kStepTimeout));
  EXPECT_EQ(session.reply.code, kSocks4Granted);
  ASSERT_OK_AND_ASSIGN(std::string request,
                       upstream->WaitForRequest(kStepTimeout));
  EXPECT_EQ(request, std::string("\x04\x01\x1f\x90\x00\x00\x00\x01"
                                 "erin\0"
                                 "intranet.far-side.invalid\0",
                                 8 + 5 + 26));
  EXPECT_TRUE(EchoRoundTrip(session.socket, "through the scripted upstream"));
}

// A destination on `ip` that answers with the address each connection came
// from, then closes.
std::unique_ptr<TcpServer> StartWhoAmI(const net::IpAddress& ip) {
  absl::StatusOr<std::unique_ptr<TcpServer>> server = TcpServer::Start(
      [](net::Socket connection, const net::StopSignal& stop) {
        absl::StatusOr<net::SocketAddress> peer = connection.PeerAddress();
        (void)connection.WriteAll(peer.ok() ? peer->ip().ToString() : "?",
                                  net::Deadline::In(kStepTimeout, &stop));
      },
      ip);
  CHECK(server.ok()) << server.status();
  return *std::move(server);
}

// What `whoami` answers on a connection: the source address a connection to
// it had.
std::string Answer(net::Socket& connection) {
  absl::StatusOr<testing::ReadToCloseResult> answer =
      ReadUntilClosed(connection, net::Deadline::In(kStepTimeout));
  return answer.ok() ? answer->data : answer.status().ToString();
}

// The source address the kernel chooses for a connection to `whoami`.
std::string KernelChoiceFor(const TcpServer& whoami) {
  absl::StatusOr<net::Socket> direct = net::Socket::Connect(
      whoami.address(), std::nullopt, net::Deadline::In(kStepTimeout));
  return direct.ok() ? Answer(*direct) : direct.status().ToString();
}

class RouteFileTest : public RoutingTest {
 protected:
  // The source address rsockd's CONNECT to `whoami` came from, or why there
  // was none.
  std::string SourceThroughRsockd(const TcpServer& whoami) {
    absl::StatusOr<Socks4Session> session = Socks4Handshake(
        proxy(), Socks4ConnectRequest(whoami.address(), "u"), kStepTimeout);
    if (!session.ok()) return session.status().ToString();
    if (session->reply.code != kSocks4Granted) {
      return absl::StrCat("reply ", session->reply.code);
    }
    return Answer(session->socket);
  }
};

TEST_F(RouteFileTest, RouteFileSetsTheSourceAddress) {
  std::unique_ptr<TcpServer> whoami = StartWhoAmI(Ip("127.0.0.3"));
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.sockd_conf = kPermitLoopback,
                   .route_file = "127.0.0.2 127.0.0.0 255.0.0.0\n"}));
  EXPECT_EQ(SourceThroughRsockd(*whoami), "127.0.0.2");
}

// sockd.route(5): classic route files were written for BIND; a CONNECT that
// no line matches goes out from where the kernel chooses (bind_test has the
// BIND, which fails).
TEST_F(RouteFileTest, NoMatchingLineLetsTheKernelChooseForAConnect) {
  std::unique_ptr<TcpServer> whoami = StartWhoAmI(Ip("127.0.0.3"));
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      {.sockd_conf = kPermitLoopback, .route_file = "10.0.0.1 10.0.0.0/8\n"}));
  EXPECT_EQ(SourceThroughRsockd(*whoami), KernelChoiceFor(*whoami));
  EXPECT_EQ(ConnectToEcho(), kSocks4Granted);
  EXPECT_THAT(rsockd().Stderr(), Not(HasSubstr("Cannot find appropriate")));
}

TEST_F(RouteFileTest, UnspecifiedInterfaceLetsTheKernelChoose) {
  std::unique_ptr<TcpServer> whoami = StartWhoAmI(Ip("127.0.0.3"));
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.sockd_conf = kPermitLoopback,
                   .route_file = "0.0.0.0 127.0.0.3/32\n127.0.0.2 ALL\n"}));
  const std::string kernel = KernelChoiceFor(*whoami);
  ASSERT_NE(kernel, "127.0.0.2");
  EXPECT_EQ(SourceThroughRsockd(*whoami), kernel);
  // The next line still decides for the other destinations.
  std::unique_ptr<TcpServer> other = StartWhoAmI(Ip("127.0.0.4"));
  EXPECT_EQ(SourceThroughRsockd(*other), "127.0.0.2");
}

// A name line matches a plain-address destination by its forward-confirmed
// reverse name, as sockd.conf does: /etc/hosts maps 127.0.0.1 <-> localhost.
TEST_F(RouteFileTest, NameLineMatchesAnAddressByItsReverseName) {
  std::unique_ptr<TcpServer> whoami = StartWhoAmI(Ip("127.0.0.1"));
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.sockd_conf = kPermitLoopback,
                   .route_file = "127.0.0.4 .invalid\n127.0.0.2 localhost\n"}));
  EXPECT_EQ(SourceThroughRsockd(*whoami), "127.0.0.2");
}

TEST_F(RoutingTest, SighupSwitchesARouteFromDirectToSockd) {
  RsockdProcess& hop = StartHop({.sockd_conf = kPermitLoopback});
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      {.sockd_conf = kPermitLoopback, .socks_conf = "direct ALL\n"}));
  EXPECT_EQ(ConnectToEcho(), kSocks4Granted);

  const std::string path = rsockd().socks_conf_path();
  ASSERT_THAT(WriteStringToFile(path + ".new", ThroughServers({hop.address()})),
              IsOk());
  ASSERT_EQ(rename((path + ".new").c_str(), path.c_str()), 0);
  const size_t mark = rsockd().StderrSize();
  ASSERT_TRUE(Reload(kReloaded));
  EXPECT_EQ(ConnectToEcho(), kSocks4Granted);
  EXPECT_THAT(
      rsockd().WaitForLogLine(absl::StrCat("via ", hop.address().ToString()),
                              kLogTimeout, mark),
      IsOk());
}

}  // namespace
}  // namespace rsockd::e2e
