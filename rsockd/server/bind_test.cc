#include "rsockd/server/bind.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "net/socks4.h"
#include "net/socks5.h"
#include "testing/loopback.h"
#include "testing/socket_io.h"
#include "testing/status_matchers.h"

namespace rsockd {
namespace {

using ::rsockd::testing::ConnectTcp;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::LoopbackPair;
using ::rsockd::testing::MakeLoopbackPair;
using ::rsockd::testing::ReadExactly;
using ::rsockd::testing::StatusIs;
using ::testing::_;
using ::testing::HasSubstr;

constexpr absl::Duration kStep = absl::Seconds(10);
constexpr rules::UpstreamScheme kSocks4a = rules::UpstreamScheme::kSocks4a;
constexpr rules::UpstreamScheme kSocks5 = rules::UpstreamScheme::kSocks5;
// Long enough that a wait that should not end early would be seen to
// return, short enough to keep the tests quick.
constexpr absl::Duration kShortWait = absl::Milliseconds(300);

net::IpAddress Ip(absl::string_view text) {
  return *net::IpAddress::Parse(text);
}

net::Deadline Soon() { return net::Deadline::In(kStep); }

// Exactly `size` bytes from `socket`, or the error's text.
std::string ReadAll(net::Socket& socket, size_t size) {
  absl::StatusOr<std::string> bytes = ReadExactly(socket, size, Soon());
  return bytes.ok() ? *bytes : bytes.status().ToString();
}

// A client's control connection as rsockd holds it (`accepted`), with the
// client's end (`connected`), and something else to wait on.
struct Fixture {
  LoopbackPair control;
  LoopbackPair other;
};

absl::StatusOr<Fixture> MakeFixture() {
  Fixture fixture;
  absl::StatusOr<LoopbackPair> control = MakeLoopbackPair();
  if (!control.ok()) return control.status();
  absl::StatusOr<LoopbackPair> other = MakeLoopbackPair();
  if (!other.ok()) return other.status();
  fixture.control = *std::move(control);
  fixture.other = *std::move(other);
  return fixture;
}

TEST(WaitWhileClientStaysTest, ReturnsWhenTheDescriptorIsReadable) {
  ASSERT_OK_AND_ASSIGN(Fixture f, MakeFixture());
  ASSERT_THAT(f.other.connected.WriteAll("x", Soon()), IsOk());
  EXPECT_THAT(
      WaitWhileClientStays(f.other.accepted.fd(), f.control.accepted, Soon()),
      IsOk());
}

TEST(WaitWhileClientStaysTest, TimesOutWhenNothingHappens) {
  ASSERT_OK_AND_ASSIGN(Fixture f, MakeFixture());
  EXPECT_THAT(WaitWhileClientStays(f.other.accepted.fd(), f.control.accepted,
                                   net::Deadline::In(kShortWait)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, _));
}

TEST(WaitWhileClientStaysTest, StopSignalCancels) {
  ASSERT_OK_AND_ASSIGN(Fixture f, MakeFixture());
  net::StopSignal stop;
  stop.Notify();
  EXPECT_THAT(WaitWhileClientStays(f.other.accepted.fd(), f.control.accepted,
                                   net::Deadline::In(kStep, &stop)),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("stopping")));
}

TEST(WaitWhileClientStaysTest, ClientCloseEndsTheWait) {
  ASSERT_OK_AND_ASSIGN(Fixture f, MakeFixture());
  f.control.connected.Close();
  EXPECT_THAT(
      WaitWhileClientStays(f.other.accepted.fd(), f.control.accepted, Soon()),
      StatusIs(absl::StatusCode::kAborted,
               HasSubstr("client closed its connection")));
}

TEST(WaitWhileClientStaysTest, ClientResetEndsTheWait) {
  ASSERT_OK_AND_ASSIGN(Fixture f, MakeFixture());
  f.control.connected.SetAbortiveClose();
  f.control.connected.Close();
  EXPECT_THAT(
      WaitWhileClientStays(f.other.accepted.fd(), f.control.accepted, Soon()),
      StatusIs(absl::StatusCode::kAborted,
               HasSubstr("client reset its connection")));
}

TEST(WaitWhileClientStaysTest, ClientBytesNeitherEndTheWaitNorGetConsumed) {
  ASSERT_OK_AND_ASSIGN(Fixture f, MakeFixture());
  ASSERT_THAT(f.control.connected.WriteAll("early bytes", Soon()), IsOk());
  // Bytes alone are no reason to stop waiting...
  EXPECT_THAT(WaitWhileClientStays(f.other.accepted.fd(), f.control.accepted,
                                   net::Deadline::In(kShortWait)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, _));
  // ...nor when the awaited descriptor becomes readable as well.
  ASSERT_THAT(f.other.connected.WriteAll("x", Soon()), IsOk());
  EXPECT_THAT(
      WaitWhileClientStays(f.other.accepted.fd(), f.control.accepted, Soon()),
      IsOk());
  // And they are all still there, in order, for the relay.
  EXPECT_EQ(ReadAll(f.control.accepted, 11), "early bytes");
}

TEST(WaitWhileClientStaysTest, ClientCloseAfterEarlyBytesEndsTheWait) {
  ASSERT_OK_AND_ASSIGN(Fixture f, MakeFixture());
  ASSERT_THAT(f.control.connected.WriteAll("early", Soon()), IsOk());
  f.control.connected.ShutdownWrite();
  EXPECT_THAT(
      WaitWhileClientStays(f.other.accepted.fd(), f.control.accepted, Soon()),
      StatusIs(absl::StatusCode::kAborted, HasSubstr("closed")));
}

TEST(ExpectedPeerTest, AnyAdmitsEveryPeer) {
  const ExpectedPeer any = ExpectedPeer::Any();
  EXPECT_TRUE(any.Admits(Ip("127.0.0.6")));
  EXPECT_TRUE(any.Admits(Ip("::1")));
  EXPECT_EQ(any.ToString(), "any peer");
}

TEST(ExpectedPeerTest, OneOfAdmitsOnlyItsAddresses) {
  const ExpectedPeer some = ExpectedPeer::OneOf({Ip("127.0.0.5"), Ip("::1")});
  EXPECT_TRUE(some.Admits(Ip("127.0.0.5")));
  EXPECT_TRUE(some.Admits(Ip("::1")));
  EXPECT_FALSE(some.Admits(Ip("127.0.0.6")));
  // DSTIP 0.0.0.0 in a set is an address like another, not "any".
  EXPECT_FALSE(ExpectedPeer::OneOf({Ip("0.0.0.0")}).Admits(Ip("127.0.0.5")));
  EXPECT_EQ(some.ToString(), "127.0.0.5 or ::1");
}

class BindListenerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK_AND_ASSIGN(control_, MakeLoopbackPair()); }

  // rsockd's end of the client's control connection.
  const net::Socket& client() const { return control_.accepted; }

  LoopbackPair control_;
};

TEST_F(BindListenerTest, ListensOnTheGivenAddressWithAnEphemeralPort) {
  ASSERT_OK_AND_ASSIGN(BindListener listener,
                       BindListener::Open(Ip("127.0.0.3")));
  EXPECT_EQ(listener.address().ip(), Ip("127.0.0.3"));
  EXPECT_NE(listener.address().port(), 0);
}

TEST_F(BindListenerTest, AcceptsTheExpectedPeerThenStopsListening) {
  ASSERT_OK_AND_ASSIGN(BindListener listener,
                       BindListener::Open(Ip("127.0.0.1")));
  ASSERT_OK_AND_ASSIGN(net::Socket peer,
                       ConnectTcp(listener.address(), kStep, Ip("127.0.0.5")));
  ASSERT_OK_AND_ASSIGN(net::SocketAddress peer_address, peer.LocalAddress());

  ASSERT_OK_AND_ASSIGN(
      BindPeer accepted,
      listener.AcceptPeer(client(), ExpectedPeer::OneOf({Ip("127.0.0.5")}),
                          Soon()));
  EXPECT_EQ(accepted.address, peer_address);
  ASSERT_THAT(peer.WriteAll("hello", Soon()), IsOk());
  EXPECT_EQ(ReadAll(accepted.socket, 5), "hello");
  // One peer per BIND: the port is closed now.
  EXPECT_THAT(ConnectTcp(listener.address(), kStep).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("refused")));
}

TEST_F(BindListenerTest, AnyPeerIsAdmitted) {
  ASSERT_OK_AND_ASSIGN(BindListener listener,
                       BindListener::Open(Ip("127.0.0.1")));
  ASSERT_OK_AND_ASSIGN(net::Socket peer,
                       ConnectTcp(listener.address(), kStep, Ip("127.0.0.9")));
  ASSERT_OK_AND_ASSIGN(
      BindPeer accepted,
      listener.AcceptPeer(client(), ExpectedPeer::Any(), Soon()));
  EXPECT_EQ(accepted.address.ip(), Ip("127.0.0.9"));
}

TEST_F(BindListenerTest, WrongPeerIsRefusedAndClosed) {
  ASSERT_OK_AND_ASSIGN(BindListener listener,
                       BindListener::Open(Ip("127.0.0.1")));
  ASSERT_OK_AND_ASSIGN(net::Socket peer,
                       ConnectTcp(listener.address(), kStep, Ip("127.0.0.6")));
  ASSERT_OK_AND_ASSIGN(net::SocketAddress peer_address, peer.LocalAddress());
  EXPECT_THAT(
      listener
          .AcceptPeer(client(), ExpectedPeer::OneOf({Ip("127.0.0.5")}), Soon())
          .status(),
      StatusIs(absl::StatusCode::kPermissionDenied,
               HasSubstr(absl::StrCat("peer ", peer_address.ToString(),
                                      " is not 127.0.0.5"))));
  // The peer sees its connection end.
  ASSERT_OK_AND_ASSIGN(testing::ReadToCloseResult rest,
                       testing::ReadUntilClosed(peer, Soon()));
  EXPECT_EQ(rest.data, "");
}

TEST_F(BindListenerTest, TimeoutClosesTheListener) {
  ASSERT_OK_AND_ASSIGN(BindListener listener,
                       BindListener::Open(Ip("127.0.0.1")));
  EXPECT_THAT(listener
                  .AcceptPeer(client(), ExpectedPeer::Any(),
                              net::Deadline::In(kShortWait))
                  .status(),
              StatusIs(absl::StatusCode::kDeadlineExceeded, _));
  EXPECT_THAT(ConnectTcp(listener.address(), kStep).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("refused")));
}

TEST_F(BindListenerTest, ClientLeavingClosesTheListener) {
  ASSERT_OK_AND_ASSIGN(BindListener listener,
                       BindListener::Open(Ip("127.0.0.1")));
  control_.connected.Close();
  EXPECT_THAT(
      listener.AcceptPeer(client(), ExpectedPeer::Any(), Soon()).status(),
      StatusIs(absl::StatusCode::kAborted, HasSubstr("client closed")));
  EXPECT_THAT(ConnectTcp(listener.address(), kStep).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("refused")));
}

TEST_F(BindListenerTest, UnavailableAddressIsAnError) {
  // TEST-NET-1: not an address of this host.
  const absl::Status status = BindListener::Open(Ip("192.0.2.1")).status();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("bind() to 192.0.2.1:0"));
}

TEST(FirstReplyAddressTest, UnspecifiedMeansTheUpstreamItself) {
  const net::SocketAddress server(Ip("127.0.0.7"), 1080);
  EXPECT_EQ(FirstReplyAddress(net::SocketAddress(Ip("0.0.0.0"), 40000), server),
            net::SocketAddress(Ip("127.0.0.7"), 40000));
  EXPECT_EQ(FirstReplyAddress(net::SocketAddress(Ip("::"), 40000), server),
            net::SocketAddress(Ip("127.0.0.7"), 40000));
  EXPECT_EQ(
      FirstReplyAddress(net::SocketAddress(Ip("127.0.0.8"), 40000), server),
      net::SocketAddress(Ip("127.0.0.8"), 40000));
}

class ReadSecondReplyTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK_AND_ASSIGN(f_, MakeFixture()); }

  // The upstream's end, which writes the reply, and rsockd's end of the
  // upstream connection.
  net::Socket& upstream_side() { return f_.other.accepted; }
  net::Socket& upstream() { return f_.other.connected; }
  const net::Socket& client() { return f_.control.accepted; }

  Fixture f_;
};

TEST_F(ReadSecondReplyTest, ReadsTheReplyAndLeavesThePeersBytes) {
  const std::array<uint8_t, 8> reply = net::EncodeSocks4Reply(
      net::Socks4ReplyCode::kGranted, 40001, Ip("127.0.0.5"));
  // Split: half the reply, then the rest with the peer's first bytes.
  ASSERT_THAT(upstream_side().WriteAll(absl::MakeSpan(reply.data(), 3), Soon()),
              IsOk());
  std::string rest(reply.begin() + 3, reply.end());
  rest += "220 banner";
  ASSERT_THAT(upstream_side().WriteAll(rest, Soon()), IsOk());

  ASSERT_OK_AND_ASSIGN(UpstreamReply got,
                       ReadSecondReply(upstream(), kSocks4a, client(), Soon()));
  EXPECT_TRUE(got.granted);
  EXPECT_EQ(got.address, net::SocketAddress(Ip("127.0.0.5"), 40001));
  EXPECT_EQ(ReadAll(upstream(), 10), "220 banner");
}

TEST_F(ReadSecondReplyTest, RefusalIsAReply) {
  const std::array<uint8_t, 8> reply =
      net::EncodeSocks4Reply(net::Socks4ReplyCode::kRejected, 0, Ip("0.0.0.0"));
  ASSERT_THAT(upstream_side().WriteAll(reply, Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(UpstreamReply got,
                       ReadSecondReply(upstream(), kSocks4a, client(), Soon()));
  EXPECT_FALSE(got.granted);
  EXPECT_EQ(got.refusal.version, SocksVersion::kSocks4);
  EXPECT_EQ(got.refusal.code, 91);
}

// A socks5:// upstream's second reply is a SOCKS5 reply: REP 00 with the
// peer's address, or a refusal that keeps its REP.
TEST_F(ReadSecondReplyTest, ReadsASocks5Reply) {
  net::Socks5Reply reply;
  reply.code = net::Socks5ReplyCode::kSucceeded;
  reply.bound.ip = Ip("::1");
  reply.bound.port = 40002;
  ASSERT_THAT(upstream_side().WriteAll(
                  net::EncodeSocks5Reply(reply) + "220 banner", Soon()),
              IsOk());
  ASSERT_OK_AND_ASSIGN(UpstreamReply got,
                       ReadSecondReply(upstream(), kSocks5, client(), Soon()));
  EXPECT_TRUE(got.granted);
  EXPECT_EQ(got.address, net::SocketAddress(Ip("::1"), 40002));
  EXPECT_EQ(ReadAll(upstream(), 10), "220 banner");
}

TEST_F(ReadSecondReplyTest, Socks5RefusalKeepsItsCode) {
  net::Socks5Reply reply;
  reply.code = net::Socks5ReplyCode::kConnectionRefused;
  ASSERT_THAT(upstream_side().WriteAll(net::EncodeSocks5Reply(reply), Soon()),
              IsOk());
  ASSERT_OK_AND_ASSIGN(UpstreamReply got,
                       ReadSecondReply(upstream(), kSocks5, client(), Soon()));
  EXPECT_FALSE(got.granted);
  EXPECT_EQ(got.refusal.version, SocksVersion::kSocks5);
  EXPECT_EQ(got.refusal.code, 5);
}

TEST_F(ReadSecondReplyTest, UpstreamClosingIsUnavailable) {
  upstream_side().Close();
  EXPECT_THAT(ReadSecondReply(upstream(), kSocks4a, client(), Soon()).status(),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("upstream's second reply: closed")));
}

TEST_F(ReadSecondReplyTest, GarbledReplyIsDataLoss) {
  ASSERT_THAT(upstream_side().WriteAll("HTTP/1.0", Soon()), IsOk());
  EXPECT_THAT(ReadSecondReply(upstream(), kSocks4a, client(), Soon()).status(),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("upstream's second reply: garbled")));
}

TEST_F(ReadSecondReplyTest, ClientLeavingEndsTheWait) {
  f_.control.connected.Close();
  EXPECT_THAT(ReadSecondReply(upstream(), kSocks4a, client(), Soon()).status(),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("client")));
}

TEST_F(ReadSecondReplyTest, TimesOut) {
  EXPECT_THAT(ReadSecondReply(upstream(), kSocks4a, client(),
                              net::Deadline::In(kShortWait))
                  .status(),
              StatusIs(absl::StatusCode::kDeadlineExceeded, _));
}

}  // namespace
}  // namespace rsockd
