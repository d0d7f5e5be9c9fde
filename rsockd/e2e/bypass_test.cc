// End-to-end: requests that try to get around the rules (README "Security
// notes"): IPv4-mapped IPv6 names, CONNECTs to rsockd's own port, slow
// requests from clients no rule permits, user ids that would forge log
// lines. Every refusal is a reply of 91 with the destination never reached.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "net/deadline.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/files.h"
#include "testing/socket_io.h"
#include "testing/socks4_client.h"
#include "testing/status_matchers.h"
#include "testing/tcp_servers.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::ConnectTcp;
using ::rsockd::testing::EchoServer;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::kSocks4Rejected;
using ::rsockd::testing::ReadToCloseResult;
using ::rsockd::testing::ReadUntilClosed;
using ::rsockd::testing::Socks4aConnectRequest;
using ::rsockd::testing::Socks4Connect;
using ::rsockd::testing::Socks4ConnectRequest;
using ::rsockd::testing::Socks4Handshake;
using ::rsockd::testing::Socks4Session;
using ::rsockd::testing::WriteStringToFile;
using ::testing::HasSubstr;
using ::testing::Not;

// How soon a verdict that needs no waiting must arrive.
constexpr absl::Duration kPrompt = absl::Seconds(10);

class BypassTest : public RsockdTest {
 protected:
  // Sends a SOCKS4A CONNECT for `host`:`port` and expects 91 and the close.
  void ExpectRefused(absl::string_view host, uint16_t port) {
    ASSERT_OK_AND_ASSIGN(
        Socks4Session session,
        Socks4Handshake(proxy(), Socks4aConnectRequest(host, port, "mallory"),
                        kStepTimeout));
    EXPECT_EQ(session.reply.code, kSocks4Rejected) << host;
    absl::StatusOr<ReadToCloseResult> rest =
        ReadUntilClosed(session.socket, net::Deadline::In(kPrompt));
    ASSERT_THAT(rest, IsOk()) << host;
    EXPECT_EQ(rest->data, "") << host;
  }
};

// Every spelling of an IPv4-mapped loopback address is the loopback address
// that `deny ALL 127.0.0.0/8` guards.
TEST_F(BypassTest, MappedNamesMeetTheIPv4AccessRules) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd({.sockd_conf = "deny ALL 127.0.0.0/8\n"
                                                     "permit ALL\n"}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  for (const char* name : {"::ffff:127.0.0.1", "::ffff:7f00:1",
                           "0:0:0:0:0:ffff:127.0.0.1", "::ffff:0.0.0.0"}) {
    ASSERT_NO_FATAL_FAILURE(ExpectRefused(name, echo->port()));
  }
  EXPECT_EQ(echo->accepted(), 0) << "a mapped name reached loopback";
}

TEST_F(BypassTest, MappedNamesMeetTheIPv4RoutingRules) {
  const net::IpAddress guarded = *net::IpAddress::Parse("127.0.0.2");
  ASSERT_NO_FATAL_FAILURE(StartRsockd({.sockd_conf = "permit ALL\n",
                                       .socks_conf = "deny 127.0.0.2/32\n"
                                                     "direct ALL\n"}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo,
                       EchoServer::Start(guarded));
  for (const char* name : {"::ffff:127.0.0.2", "::ffff:7f00:2"}) {
    ASSERT_NO_FATAL_FAILURE(ExpectRefused(name, echo->port()));
  }
  EXPECT_EQ(echo->accepted(), 0) << "a mapped name got past socks.conf";
  EXPECT_THAT(
      rsockd().WaitForLogLineWithAll(
          {"refused --", "to ::ffff:7f00:2", "socks.conf:1]"}, kLogTimeout),
      IsOk());
}

// A CONNECT to rsockd's own port would come back in as a loopback client:
// refused, by address or by name.
TEST_F(BypassTest, ConnectToOwnListenerIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd({.sockd_conf = "permit ALL\n"}));
  const size_t mark = rsockd().StderrSize();
  ASSERT_OK_AND_ASSIGN(
      Socks4Session by_address,
      Socks4Handshake(proxy(), Socks4ConnectRequest(proxy(), "loop"),
                      kStepTimeout));
  EXPECT_EQ(by_address.reply.code, kSocks4Rejected);
  ASSERT_NO_FATAL_FAILURE(ExpectRefused("localhost", proxy().port()));
  EXPECT_THAT(rsockd().WaitForLogLineWithAll(
                  {"refused --", "loop",
                   "[127.0.0.1:", " is rsockd's own listening socket]"},
                  kLogTimeout, mark),
              IsOk());
  // Only the two clients ever connected: nothing came back in.
  EXPECT_THAT(rsockd().WaitForLogLineWithAll({"[2] refused --"}, kLogTimeout),
              IsOk());
  EXPECT_THAT(rsockd().Stderr(), Not(HasSubstr("[3]")));
}

// The review's bypass: a client denied 127.0.0.3 went through rsockd's own
// port first and came back in as 127.0.0.1, which the rules trust. With a
// wildcard listener every local address with that port is rsockd.
TEST_F(BypassTest, DeniedClientCannotComeBackInThroughTheProxy) {
  const net::IpAddress guarded = *net::IpAddress::Parse("127.0.0.3");
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.sockd_conf = "deny 127.0.0.2/32 127.0.0.3/32\n"
                                 "permit 127.0.0.0/8\n",
                   .extra_flags = {"--listen=0.0.0.0"}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo,
                       EchoServer::Start(guarded));
  const net::IpAddress client = *net::IpAddress::Parse("127.0.0.2");
  for (const char* self : {"127.0.0.1", "127.0.0.4"}) {
    const net::SocketAddress own(*net::IpAddress::Parse(self), proxy().port());
    // The outer request, with the inner one right behind it.
    const std::string nested =
        absl::StrCat(Socks4ConnectRequest(own, "outer"),
                     Socks4ConnectRequest(echo->address(), "inner"));
    ASSERT_OK_AND_ASSIGN(
        Socks4Session session,
        Socks4Handshake(proxy(), nested, kStepTimeout, client));
    EXPECT_EQ(session.reply.code, kSocks4Rejected) << self;
  }
  EXPECT_EQ(echo->accepted(), 0) << "the denied destination was reached";
}

// A socks.conf that routes to this rsockd itself is a loop: the server is
// skipped as a fault, never connected to.
TEST_F(BypassTest, UpstreamThatIsThisServerIsALoop) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      {.sockd_conf = "permit ALL\n", .socks_conf = "direct ALL\n"}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_THAT(
      WriteStringToFile(rsockd().socks_conf_path(), ThroughServers({proxy()})),
      IsOk());
  ASSERT_TRUE(Reload(kReloaded));
  const net::SocketAddress other_loopback(*net::IpAddress::Parse("127.0.0.2"),
                                          echo->port());
  ASSERT_OK_AND_ASSIGN(
      Socks4Session session,
      Socks4Handshake(proxy(), Socks4ConnectRequest(other_loopback, "looped"),
                      kStepTimeout));
  EXPECT_EQ(session.reply.code, kSocks4Rejected);
  EXPECT_THAT(rsockd().WaitForLogLine("(a routing loop)", kLogTimeout), IsOk());
  EXPECT_THAT(rsockd().Stderr(), Not(HasSubstr("[2]")))
      << "the request came back in";
}

// Slow clients that no line permits are refused as soon as they connect,
// so they cannot hold the workers that permitted clients need.
TEST_F(BypassTest, UnpermittedClientsAreRefusedBeforeTheirRequest) {
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.sockd_conf = "permit 127.0.0.1/32\n",
                   .extra_flags = {"--workers=2", "--queue=2",
                                   "--handshake_timeout=60s"}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  const net::IpAddress outsider = *net::IpAddress::Parse("127.0.0.2");
  std::vector<net::Socket> slow;
  for (int i = 0; i < 8; ++i) {
    ASSERT_OK_AND_ASSIGN(net::Socket socket,
                         ConnectTcp(proxy(), kStepTimeout, outsider));
    // One byte of a request, never the rest.
    ASSERT_THAT(socket.WriteAll("\x04", net::Deadline::In(kStepTimeout)),
                IsOk());
    slow.push_back(std::move(socket));
  }
  for (net::Socket& socket : slow) {
    absl::StatusOr<ReadToCloseResult> answer =
        ReadUntilClosed(socket, net::Deadline::In(kPrompt));
    ASSERT_THAT(answer, IsOk()) << "no verdict before the request";
    ASSERT_EQ(answer->data.size(), 8u);
    EXPECT_EQ(answer->data[1], static_cast<char>(kSocks4Rejected));
  }
  ASSERT_TRUE(EchoThroughProxy(echo->address(), "insider", "served"));
  EXPECT_THAT(
      rsockd().WaitForLogLine(
          "refused -- Connection from 127.0.0.2 [no line of ", kLogTimeout),
      IsOk());
}

// A claimed user id that would make the line read as another request is
// escaped (docs/operations.md, "The request log").
TEST_F(BypassTest, UserIdCannotForgeARequestLogLine) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(
      net::Socket tunnel,
      Socks4Connect(proxy(),
                    Socks4ConnectRequest(echo->address(),
                                         "ceo(ceo)@10.20.30.40 to payroll"),
                    kStepTimeout));
  ASSERT_OK_AND_ASSIGN(
      std::string line,
      rsockd().WaitForLogLine("connected -- Connect from ", kLogTimeout));
  EXPECT_THAT(line, HasSubstr("Connect from "
                              "ceo%28ceo%29%4010.20.30.40%20to%20payroll("
                              "unknown)@127.0.0.1 to 127.0.0.1 ("));
  EXPECT_THAT(line, Not(HasSubstr("ceo(ceo)")));
}

}  // namespace
}  // namespace rsockd::e2e
