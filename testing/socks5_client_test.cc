#include "testing/socks5_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "testing/scripted_peer.h"
#include "testing/socket_io.h"
#include "testing/status_matchers.h"

namespace rsockd::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;

constexpr absl::Duration kTimeout = absl::Seconds(60);

net::Deadline Soon() { return net::Deadline::In(kTimeout); }

std::string Bytes(std::initializer_list<uint8_t> bytes) {
  return std::string(bytes.begin(), bytes.end());
}

net::SocketAddress Address(absl::string_view ip, uint16_t port) {
  return net::SocketAddress(*net::IpAddress::Parse(ip), port);
}

// --- Messages ---------------------------------------------------------------

TEST(Socks5MessagesTest, GreetingBytes) {
  EXPECT_EQ(Socks5Greeting({kSocks5MethodNoAuth, kSocks5MethodUserPass}),
            Bytes({
                0x05,        // VER
                0x02,        // NMETHODS
                0x00, 0x02,  // no authentication, username/password
            }));
}

TEST(Socks5MessagesTest, UserPassRequestBytes) {
  EXPECT_EQ(Socks5UserPassRequest("al", "pwd"),
            Bytes({
                0x01,           // VER of the subnegotiation
                0x02,           // ULEN
                'a', 'l',       // UNAME
                0x03,           // PLEN
                'p', 'w', 'd',  // PASSWD
            }));
}

TEST(Socks5MessagesTest, ConnectRequestForAnIPv4Address) {
  EXPECT_EQ(Socks5Request(
                kSocks5CommandConnect,
                Socks5Address::FromSocketAddress(Address("10.1.2.3", 8080))),
            Bytes({
                0x05,         // VER
                0x01,         // CMD: CONNECT
                0x00,         // RSV
                0x01,         // ATYP: IPv4
                10, 1, 2, 3,  // DST.ADDR
                0x1f, 0x90,   // DST.PORT 8080
            }));
}

TEST(Socks5MessagesTest, BindRequestForAName) {
  EXPECT_EQ(
      Socks5Request(kSocks5CommandBind, Socks5Address::FromName("h.x", 21)),
      Bytes({
          0x05,           // VER
          0x02,           // CMD: BIND
          0x00,           // RSV
          0x03,           // ATYP: name
          0x03,           // its length
          'h', '.', 'x',  // DST.ADDR
          0x00, 0x15,     // DST.PORT 21
      }));
}

TEST(Socks5MessagesTest, RequestForAnIPv6Address) {
  const std::string request = Socks5Request(
      kSocks5CommandConnect,
      Socks5Address::FromSocketAddress(Address("2001:db8::1", 443)));
  EXPECT_EQ(request, Bytes({0x05, 0x01, 0x00,                    // VER CMD RSV
                            0x04,                                // ATYP: IPv6
                            0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,  // DST.ADDR
                            0,    0,    0,    0,    0, 0, 0, 0x01,  //
                            0x01, 0xbb}));  // DST.PORT 443
}

TEST(Socks5MessagesTest, FieldsAreTakenAsGiven) {
  Socks5Address odd;
  odd.type = 0x07;
  odd.address = "ab";
  odd.port = 1;
  EXPECT_EQ(EncodeSocks5Address(odd), Bytes({0x07, 'a', 'b', 0x00, 0x01}));
  // A 256-byte name's length byte wraps to 0.
  EXPECT_EQ(
      EncodeSocks5Address(Socks5Address::FromName(std::string(256, 'n'), 80))
          .substr(0, 3),
      Bytes({0x03, 0x00, 'n'}));
}

TEST(Socks5AddressTest, SocketAddressOnlyForIpTypesOfTheRightSize) {
  const net::SocketAddress v4 = Address("127.0.0.3", 40000);
  const net::SocketAddress v6 = Address("::1", 40000);
  EXPECT_THAT(Socks5Address::FromSocketAddress(v4).socket_address(),
              Optional(v4));
  EXPECT_THAT(Socks5Address::FromSocketAddress(v6).socket_address(),
              Optional(v6));
  EXPECT_EQ(Socks5Address::FromName("localhost", 80).socket_address(),
            std::nullopt);
  Socks5Address short_ip = Socks5Address::FromSocketAddress(v4);
  short_ip.address.pop_back();
  EXPECT_EQ(short_ip.socket_address(), std::nullopt);
}

// --- Replies, fed in two pieces split at every offset ------------------------

struct ReplyCase {
  std::string name;
  std::string bytes;
  Socks5Address bound;
};

std::vector<ReplyCase> ReplyCases() {
  return {
      {"IPv4", Bytes({0x05, 0x00, 0x00, 0x01, 127, 0, 0, 3, 0x9c, 0x40}),
       Socks5Address::FromSocketAddress(Address("127.0.0.3", 40000))},
      {"IPv6", Bytes({0x05, 0x00, 0x00, 0x04, 0, 0, 0, 0, 0, 0,    0,
                      0,    0,    0,    0,    0, 0, 0, 0, 1, 0x9c, 0x40}),
       Socks5Address::FromSocketAddress(Address("::1", 40000))},
      {"name", Bytes({0x05, 0x00, 0x00, 0x03, 2, 'h', 'x', 0x00, 0x50}),
       Socks5Address::FromName("hx", 80)},
      {"empty name", Bytes({0x05, 0x00, 0x00, 0x03, 0, 0x00, 0x50}),
       Socks5Address::FromName("", 80)},
  };
}

TEST(Socks5ReplyTest, ReadsEachAddressTypeSplitAnywhereAndNothingAfterIt) {
  for (const ReplyCase& c : ReplyCases()) {
    for (size_t split = 0; split < c.bytes.size(); ++split) {
      SCOPED_TRACE(c.name + " split at " + std::to_string(split));
      ASSERT_OK_AND_ASSIGN(auto peer, ScriptedPeer::Start({
                                          ScriptedPeer::Send(c.bytes, split),
                                          ScriptedPeer::Send("tail"),
                                      }));
      ASSERT_OK_AND_ASSIGN(Socks5Reply got,
                           ReadSocks5Reply(peer->client(), Soon()));
      EXPECT_EQ(got.version, 5);
      EXPECT_EQ(got.code, kSocks5Succeeded);
      EXPECT_EQ(got.reserved, 0);
      EXPECT_EQ(got.bound, c.bound);
      // What follows the reply (tunnel data) is still in the socket.
      EXPECT_THAT(ReadExactly(peer->client(), 4, Soon()), IsOkAndHolds("tail"));
      EXPECT_THAT(peer->Finish(), IsOk());
    }
  }
}

TEST(Socks5ReplyTest, UnknownAddressTypeIsDataLoss) {
  ASSERT_OK_AND_ASSIGN(
      auto peer, ScriptedPeer::Start({ScriptedPeer::Send(
                     Bytes({0x05, 0x00, 0x00, 0x02, 0, 0, 0, 0, 0, 0}))}));
  EXPECT_THAT(
      ReadSocks5Reply(peer->client(), Soon()),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("address type 2")));
}

TEST(Socks5ReplyTest, ServerClosingMidReplyIsOutOfRange) {
  ASSERT_OK_AND_ASSIGN(auto peer, ScriptedPeer::Start({ScriptedPeer::Send(Bytes(
                                      {0x05, 0x00, 0x00, 0x01, 127, 0}))}));
  EXPECT_THAT(ReadSocks5Reply(peer->client(), Soon()),
              StatusIs(absl::StatusCode::kOutOfRange,
                       HasSubstr("reading the SOCKS5 reply")));
}

// --- Sessions against a scripted server --------------------------------------

const std::string kGranted =
    Bytes({0x05, 0x00, 0x00, 0x01, 127, 0, 0, 1, 0x04, 0x38});

// Every message of a session split at every offset: method choice, RFC 1929
// reply and CONNECT reply.
TEST(Socks5SessionTest, ConnectWithPasswordReadsEveryReplySplitAnywhere) {
  const Socks5Address destination = Socks5Address::FromName("localhost", 80);
  for (size_t split = 0; split < kGranted.size(); ++split) {
    SCOPED_TRACE("split at " + std::to_string(split));
    ASSERT_OK_AND_ASSIGN(
        auto peer,
        ScriptedPeer::Start({
            ScriptedPeer::Expect(Bytes(
                {0x05, 0x02, kSocks5MethodNoAuth, kSocks5MethodUserPass})),
            ScriptedPeer::Send(Bytes({0x05, kSocks5MethodUserPass}), split % 2),
            ScriptedPeer::Expect(Socks5UserPassRequest("alice", "secret")),
            ScriptedPeer::Send(Bytes({0x01, 0x00}), split % 2),
            ScriptedPeer::Expect(
                Socks5Request(kSocks5CommandConnect, destination)),
            ScriptedPeer::Send(kGranted, split),
        }));
    EXPECT_THAT(Socks5Connect(peer->client(), destination,
                              Socks5Credentials{"alice", "secret"}, Soon()),
                IsOk());
    EXPECT_THAT(peer->Finish(), IsOk());
  }
}

TEST(Socks5SessionTest, WithoutCredentialsOffersOnlyNoAuthentication) {
  ASSERT_OK_AND_ASSIGN(auto peer,
                       ScriptedPeer::Start({
                           ScriptedPeer::Expect(Bytes({0x05, 0x01, 0x00})),
                           ScriptedPeer::Send(Bytes({0x05, 0x00}), 1),
                       }));
  EXPECT_THAT(Socks5Negotiate(peer->client(), std::nullopt, Soon()),
              IsOkAndHolds(kSocks5MethodNoAuth));
  EXPECT_THAT(peer->Finish(), IsOk());
}

TEST(Socks5SessionTest, ServerMayPickNoAuthenticationWhenOfferedBoth) {
  ASSERT_OK_AND_ASSIGN(
      auto peer, ScriptedPeer::Start({
                     ScriptedPeer::Expect(Bytes({0x05, 0x02, 0x00, 0x02})),
                     ScriptedPeer::Send(Bytes({0x05, 0x00})),
                 }));
  EXPECT_THAT(
      Socks5Negotiate(peer->client(), Socks5Credentials{"u", "p"}, Soon()),
      IsOkAndHolds(kSocks5MethodNoAuth));
  EXPECT_THAT(peer->Finish(), IsOk());
}

// Negotiation failures: the server's answers, and what the client reports.
struct NegotiationFailure {
  std::string name;
  std::string choice;
  std::string auth_reply;  // empty: the client must not authenticate
  absl::StatusCode code;
  std::string message;
};

TEST(Socks5SessionTest, NegotiationFailures) {
  const std::vector<NegotiationFailure> cases = {
      {"none acceptable", Bytes({0x05, 0xff}), "",
       absl::StatusCode::kPermissionDenied, "none of the methods"},
      {"wrong version", Bytes({0x04, 0x00}), "", absl::StatusCode::kDataLoss,
       "VER=4"},
      {"method not offered", Bytes({0x05, 0x01}), "",
       absl::StatusCode::kDataLoss, "method 1, which was not offered"},
      {"password refused", Bytes({0x05, 0x02}), Bytes({0x01, 0x01}),
       absl::StatusCode::kPermissionDenied, "refused the username/password"},
      {"password reply version", Bytes({0x05, 0x02}), Bytes({0x05, 0x00}),
       absl::StatusCode::kDataLoss, "VER=5 (want 1)"},
  };
  for (const NegotiationFailure& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<ScriptedPeer::Step> script = {
        ScriptedPeer::Expect(Bytes({0x05, 0x02, 0x00, 0x02})),
        ScriptedPeer::Send(c.choice),
    };
    if (!c.auth_reply.empty()) {
      script.push_back(ScriptedPeer::Expect(Socks5UserPassRequest("u", "p")));
      script.push_back(ScriptedPeer::Send(c.auth_reply));
    }
    ASSERT_OK_AND_ASSIGN(auto peer, ScriptedPeer::Start(std::move(script)));
    EXPECT_THAT(
        Socks5Negotiate(peer->client(), Socks5Credentials{"u", "p"}, Soon()),
        StatusIs(c.code, HasSubstr(c.message)));
    EXPECT_THAT(peer->Finish(), IsOk());
  }
}

TEST(Socks5SessionTest, ConnectFailsOnAnErrorReply) {
  const Socks5Address destination =
      Socks5Address::FromSocketAddress(Address("127.0.0.1", 9));
  ASSERT_OK_AND_ASSIGN(
      auto peer, ScriptedPeer::Start({
                     ScriptedPeer::Expect(Bytes({0x05, 0x01, 0x00})),
                     ScriptedPeer::Send(Bytes({0x05, 0x00})),
                     ScriptedPeer::Expect(
                         Socks5Request(kSocks5CommandConnect, destination)),
                     ScriptedPeer::Send(Bytes({0x05, kSocks5ConnectionRefused,
                                               0x00, 0x01, 0, 0, 0, 0, 0, 0})),
                 }));
  EXPECT_THAT(Socks5Connect(peer->client(), destination, std::nullopt, Soon()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("REP=5")));
  EXPECT_THAT(peer->Finish(), IsOk());
}

TEST(Socks5SessionTest, BindReadsTheSecondReplyAfterTheFirst) {
  const std::string request =
      Socks5Request(kSocks5CommandBind,
                    Socks5Address::FromSocketAddress(Address("127.0.0.2", 0)));
  ASSERT_OK_AND_ASSIGN(
      auto peer, ScriptedPeer::Start({
                     ScriptedPeer::Expect(request),
                     // Where the peer is to connect, then who connected.
                     ScriptedPeer::Send(Bytes(
                         {0x05, 0x00, 0x00, 0x01, 127, 0, 0, 1, 0x9c, 0x40})),
                     ScriptedPeer::Send(Bytes(
                         {0x05, 0x00, 0x00, 0x01, 127, 0, 0, 2, 0x9c, 0x41})),
                 }));
  ASSERT_OK_AND_ASSIGN(Socks5Reply listening,
                       Socks5Exchange(peer->client(), request, Soon()));
  EXPECT_THAT(listening.bound.socket_address(),
              Optional(Address("127.0.0.1", 40000)));
  ASSERT_OK_AND_ASSIGN(Socks5Reply connected,
                       ReadSocks5Reply(peer->client(), Soon()));
  EXPECT_THAT(connected.bound.socket_address(),
              Optional(Address("127.0.0.2", 40001)));
  EXPECT_THAT(peer->Finish(), IsOk());
}

TEST(Socks5SessionTest, ExpectSucceeded) {
  Socks5Reply reply;
  reply.version = 5;
  EXPECT_THAT(Socks5ExpectSucceeded(reply), IsOk());
  reply.code = kSocks5NotAllowed;
  EXPECT_THAT(Socks5ExpectSucceeded(reply),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("VER=5 REP=2 (want VER=5 REP=0)")));
  reply.version = 0;
  reply.code = 0;
  EXPECT_THAT(Socks5ExpectSucceeded(reply),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("VER=0")));
}

}  // namespace
}  // namespace rsockd::testing
