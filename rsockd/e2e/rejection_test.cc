// End-to-end: requests rsockd must turn down, and how (docs/protocol.md,
// docs/sockd_conf.md#matching, docs/operations.md#the-request-log): a reply of
// 91 before the close, or a close without a reply for bytes that are not
// SOCKS4, plus the matching log line.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "net/deadline.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/socket_io.h"
#include "testing/socks4_client.h"
#include "testing/status_matchers.h"
#include "testing/tcp_servers.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::ConnectTcp;
using ::rsockd::testing::EchoServer;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::kSocks4CommandConnect;
using ::rsockd::testing::kSocks4Granted;
using ::rsockd::testing::kSocks4Rejected;
using ::rsockd::testing::kSocks4ReplyVersion;
using ::rsockd::testing::kSocks4Version;
using ::rsockd::testing::LoopbackAddress;
using ::rsockd::testing::ReadSocks4Reply;
using ::rsockd::testing::ReadToCloseResult;
using ::rsockd::testing::ReadUntilClosed;
using ::rsockd::testing::ReserveClosedPort;
using ::rsockd::testing::Socks4aConnectRequest;
using ::rsockd::testing::Socks4Connect;
using ::rsockd::testing::Socks4ConnectRequest;
using ::rsockd::testing::Socks4Handshake;
using ::rsockd::testing::Socks4Reply;
using ::rsockd::testing::Socks4Request;
using ::rsockd::testing::Socks4Session;
using ::testing::HasSubstr;
using ::testing::Not;

// Long enough that a test which passes only because the handshake timed out
// (instead of an immediate verdict) cannot pass.
const char kLongHandshakeTimeout[] = "--handshake_timeout=60s";
// How soon a verdict that needs no waiting must arrive.
constexpr absl::Duration kPrompt = absl::Seconds(10);

// Expects a well-formed 91 and then the close.
void ExpectRejectedThenClosed(Socks4Session& session) {
  EXPECT_EQ(session.reply.version, kSocks4ReplyVersion);
  EXPECT_EQ(session.reply.code, kSocks4Rejected);
  absl::StatusOr<ReadToCloseResult> rest =
      ReadUntilClosed(session.socket, net::Deadline::In(kPrompt));
  ASSERT_THAT(rest, IsOk()) << "rsockd kept the connection open after 91";
  EXPECT_EQ(rest->data, "") << "bytes after the reply";
}

class RejectionTest : public RsockdTest {};

TEST_F(RejectionTest, RefusedDestinationGets91AndAFailedLine) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd());
  ASSERT_OK_AND_ASSIGN(net::Socket closed, ReserveClosedPort());
  ASSERT_OK_AND_ASSIGN(net::SocketAddress destination, closed.LocalAddress());
  const size_t mark = rsockd().StderrSize();
  ASSERT_OK_AND_ASSIGN(
      Socks4Session session,
      Socks4Handshake(proxy(), Socks4ConnectRequest(destination, "to-closed"),
                      kStepTimeout));
  ExpectRejectedThenClosed(session);
  ASSERT_OK_AND_ASSIGN(std::string line,
                       rsockd().WaitForLogLineWithAll(
                           {"failed --", "to-closed", "Error code: connect()"},
                           kLogTimeout, mark));
  EXPECT_THAT(line, HasSubstr("Connection refused"));
  EXPECT_THAT(line, HasSubstr(absl::StrCat("to 127.0.0.1 (")));
}

TEST_F(RejectionTest, RefusedSocks4aDestinationGets91) {
  // "localhost" may have two addresses; both refuse.
  ASSERT_NO_FATAL_FAILURE(StartRsockd());
  ASSERT_OK_AND_ASSIGN(net::Socket closed, ReserveClosedPort());
  ASSERT_OK_AND_ASSIGN(net::SocketAddress destination, closed.LocalAddress());
  ASSERT_OK_AND_ASSIGN(
      Socks4Session session,
      Socks4Handshake(proxy(),
                      Socks4aConnectRequest("localhost", destination.port(),
                                            "4a-to-closed"),
                      kStepTimeout));
  ExpectRejectedThenClosed(session);
  EXPECT_THAT(rsockd().WaitForLogLineWithAll({"failed --", "4a-to-closed"},
                                             kLogTimeout),
              IsOk());
}

TEST_F(RejectionTest, DeniedClientGets91AndARefusedLine) {
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.sockd_conf = "deny 127.0.0.2 255.255.255.255\n"
                                 "permit 127.0.0.0 255.0.0.0\n"}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  const net::IpAddress denied_source = *net::IpAddress::Parse("127.0.0.2");
  ASSERT_OK_AND_ASSIGN(
      Socks4Session session,
      Socks4Handshake(proxy(), Socks4ConnectRequest(echo->address(), "denied"),
                      kStepTimeout, denied_source));
  ExpectRejectedThenClosed(session);
  // No line can permit 127.0.0.2: refused as soon as it connected, before
  // its request was read (so the line has no user id).
  EXPECT_THAT(rsockd().WaitForLogLineWithAll(
                  {"refused -- Connection from 127.0.0.2 [", "sockd.conf:1]"},
                  kLogTimeout),
              IsOk());
  EXPECT_EQ(echo->accepted(), 0) << "a denied request reached the destination";

  // The same request from 127.0.0.1 matches the permit line: it is the rule
  // that refused 127.0.0.2, not something else.
  ASSERT_OK_AND_ASSIGN(
      net::Socket tunnel,
      Socks4Connect(proxy(), Socks4ConnectRequest(echo->address(), "allowed"),
                    kStepTimeout));
  EXPECT_TRUE(EchoRoundTrip(tunnel, "permitted"));
}

TEST_F(RejectionTest, ClientMatchingNoLineGets91) {
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.sockd_conf = "permit 127.0.0.2 255.255.255.255\n"}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(
      Socks4Session session,
      Socks4Handshake(proxy(), Socks4ConnectRequest(echo->address(), "nomatch"),
                      kStepTimeout));
  ExpectRejectedThenClosed(session);
  EXPECT_THAT(rsockd().WaitForLogLineWithAll(
                  {"refused -- Connection from 127.0.0.1 [no line of ",
                   "sockd.conf permits this client]"},
                  kLogTimeout),
              IsOk());
}

// A line that refuses by destination needs the request: it is read, and the
// refusal names the user and the line.
TEST_F(RejectionTest, DeniedDestinationGets91AndARefusedLine) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      {.sockd_conf = "deny ALL 127.0.0.0/8 eq 9\npermit 127.0.0.0/8\n"}));
  ASSERT_OK_AND_ASSIGN(
      Socks4Session session,
      Socks4Handshake(proxy(), Socks4ConnectRequest(LoopbackAddress(9), "dd"),
                      kStepTimeout));
  ExpectRejectedThenClosed(session);
  EXPECT_THAT(rsockd().WaitForLogLineWithAll(
                  {"refused -- Connect from dd(unknown)@127.0.0.1 to "
                   "127.0.0.1 (discard) [",
                   "sockd.conf:1]"},
                  kLogTimeout),
              IsOk());
}

TEST_F(RejectionTest, WrongVersionIsClosedWithoutAReply) {
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.extra_flags = {kLongHandshakeTimeout}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  for (uint8_t version : {0x00, 0x03, 0x47 /* 'G' of "GET" */, 0xff}) {
    SCOPED_TRACE(absl::StrCat("VN=", version));
    ASSERT_OK_AND_ASSIGN(net::Socket client, ConnectTcp(proxy(), kStepTimeout));
    const net::Deadline deadline = net::Deadline::In(kPrompt);
    ASSERT_THAT(client.WriteAll(
                    Socks4Request(version, kSocks4CommandConnect, echo->port(),
                                  {127, 0, 0, 1}, "badversion"),
                    deadline),
                IsOk());
    const absl::Time start = absl::Now();
    ASSERT_OK_AND_ASSIGN(ReadToCloseResult result,
                         ReadUntilClosed(client, deadline));
    EXPECT_EQ(result.data, "") << "a reply to a non-SOCKS4 request";
    EXPECT_LT(absl::Now() - start, kPrompt);
  }
  EXPECT_EQ(echo->accepted(), 0);
}

TEST_F(RejectionTest, UnknownCommandGets91) {
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.extra_flags = {kLongHandshakeTimeout}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(
      Socks4Session session,
      Socks4Handshake(proxy(),
                      Socks4Request(kSocks4Version, /*command=*/3, echo->port(),
                                    {127, 0, 0, 1}, "cd3"),
                      kPrompt));
  ExpectRejectedThenClosed(session);
  EXPECT_EQ(echo->accepted(), 0);
}

TEST_F(RejectionTest, UserIdOf256BytesGets91WithoutWaitingForItsEnd) {
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.extra_flags = {kLongHandshakeTimeout}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(net::Socket client, ConnectTcp(proxy(), kStepTimeout));
  std::string request =
      Socks4ConnectRequest(echo->address(), std::string(256, 'u'));
  request.pop_back();  // No NUL: the 256th byte alone must settle it.
  const net::Deadline deadline = net::Deadline::In(kPrompt);
  ASSERT_THAT(client.WriteAll(request, deadline), IsOk());
  ASSERT_OK_AND_ASSIGN(Socks4Reply reply, ReadSocks4Reply(client, deadline));
  EXPECT_EQ(reply.version, kSocks4ReplyVersion);
  EXPECT_EQ(reply.code, kSocks4Rejected);
  ASSERT_OK_AND_ASSIGN(ReadToCloseResult rest,
                       ReadUntilClosed(client, deadline));
  EXPECT_EQ(rest.data, "");
  EXPECT_EQ(echo->accepted(), 0);
}

TEST_F(RejectionTest, UserIdOf300BytesGets91) {
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.extra_flags = {kLongHandshakeTimeout}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(
      Socks4Session session,
      Socks4Handshake(
          proxy(), Socks4ConnectRequest(echo->address(), std::string(300, 'u')),
          kPrompt));
  EXPECT_EQ(session.reply.code, kSocks4Rejected);
  EXPECT_EQ(echo->accepted(), 0);
}

TEST_F(RejectionTest, UserIdOf255BytesIsAccepted) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(
      net::Socket tunnel,
      Socks4Connect(
          proxy(), Socks4ConnectRequest(echo->address(), std::string(255, 'u')),
          kStepTimeout));
  EXPECT_TRUE(EchoRoundTrip(tunnel, "at the limit"));
}

TEST_F(RejectionTest, HostNameLongerThan255BytesGets91) {
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.extra_flags = {kLongHandshakeTimeout}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(
      Socks4Session session,
      Socks4Handshake(proxy(),
                      Socks4aConnectRequest(std::string(300, 'h'), echo->port(),
                                            "longname"),
                      kPrompt));
  EXPECT_EQ(session.reply.code, kSocks4Rejected);
  EXPECT_EQ(echo->accepted(), 0);
}

// README.md#security-notes "fail closed". On Linux, connect(2) to 0.0.0.0
// reaches the local host, so a destination rule that protects local services
// (`deny ... 127.0.0.0 255.0.0.0`) would be bypassed by DSTIP 0.0.0.0 (or a
// SOCKS4A name "0"), which no such rule matches. rsockd refuses unspecified
// destinations.
TEST_F(RejectionTest, UnspecifiedDestinationCannotBypassALoopbackDeny) {
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.sockd_conf = "deny 0.0.0.0 0.0.0.0 127.0.0.0 255.0.0.0\n"
                                 "permit 127.0.0.0 255.0.0.0\n"}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(
      Socks4Session direct,
      Socks4Handshake(proxy(), Socks4ConnectRequest(echo->address(), "direct"),
                      kStepTimeout));
  EXPECT_EQ(direct.reply.code, kSocks4Rejected)
      << "the rule works for 127.0.0.1";
  ASSERT_OK_AND_ASSIGN(
      Socks4Session unspecified,
      Socks4Handshake(proxy(),
                      Socks4Request(kSocks4Version, kSocks4CommandConnect,
                                    echo->port(), {0, 0, 0, 0}, "zero"),
                      kStepTimeout));
  EXPECT_EQ(unspecified.reply.code, kSocks4Rejected);
  ASSERT_OK_AND_ASSIGN(
      Socks4Session by_name,
      Socks4Handshake(proxy(),
                      Socks4aConnectRequest("0", echo->port(), "zero4a"),
                      kStepTimeout));
  EXPECT_EQ(by_name.reply.code, kSocks4Rejected);
  EXPECT_EQ(echo->accepted(), 0) << "a denied destination was reached";
}

// README.md#security-notes, hostile bytes end the session "with a clear log
// line": client bytes reach log lines by several paths (the USERID, the SOCKS4A
// name, the resolver's error text that repeats the name), and none may start a
// line of the client's choosing.
TEST_F(RejectionTest, ClientBytesCannotForgeLogLines) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd());
  ASSERT_OK_AND_ASSIGN(net::Socket closed, ReserveClosedPort());
  ASSERT_OK_AND_ASSIGN(net::SocketAddress destination, closed.LocalAddress());
  const size_t mark = rsockd().StderrSize();
  const std::string forged = "\nFORGED -- by the client";
  ASSERT_OK_AND_ASSIGN(
      Socks4Session by_user,
      Socks4Handshake(proxy(),
                      Socks4ConnectRequest(destination, "user" + forged),
                      kStepTimeout));
  EXPECT_EQ(by_user.reply.code, kSocks4Rejected);
  ASSERT_OK_AND_ASSIGN(
      Socks4Session by_name,
      Socks4Handshake(
          proxy(),
          Socks4aConnectRequest("name" + forged, destination.port(), "u"),
          kStepTimeout));
  EXPECT_EQ(by_name.reply.code, kSocks4Rejected);
  ASSERT_THAT(
      rsockd().WaitForLogLineWithAll({"failed --", "user"}, kLogTimeout, mark),
      IsOk());
  ASSERT_THAT(
      rsockd().WaitForLogLineWithAll({"failed --", "name"}, kLogTimeout, mark),
      IsOk());
  const std::string log = rsockd().Stderr().substr(mark);
  EXPECT_THAT(log, Not(HasSubstr("\nFORGED"))) << log;
}

}  // namespace
}  // namespace rsockd::e2e
