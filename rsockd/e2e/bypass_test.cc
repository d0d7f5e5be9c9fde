// End-to-end: requests that try to get around the rules (README "Security
// notes"): IPv4-mapped IPv6 names, and every refusal is a reply of 91 with
// the destination never reached.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "net/deadline.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/socket_io.h"
#include "testing/socks4_client.h"
#include "testing/status_matchers.h"
#include "testing/tcp_servers.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::EchoServer;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::kSocks4Rejected;
using ::rsockd::testing::ReadToCloseResult;
using ::rsockd::testing::ReadUntilClosed;
using ::rsockd::testing::Socks4aConnectRequest;
using ::rsockd::testing::Socks4Handshake;
using ::rsockd::testing::Socks4Session;

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

}  // namespace
}  // namespace rsockd::e2e
