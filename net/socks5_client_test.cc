#include "net/socks5_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "testing/loopback.h"
#include "testing/scripted_peer.h"
#include "testing/socket_io.h"
#include "testing/socks5_client.h"
#include "testing/status_matchers.h"

namespace rsockd::net {
namespace {

namespace tc = ::rsockd::testing;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::IsOkAndHolds;
using ::rsockd::testing::ScriptedPeer;
using ::rsockd::testing::StatusIs;
using ::testing::HasSubstr;

Deadline Soon() { return Deadline::In(absl::Seconds(60)); }

std::string Bytes(std::initializer_list<uint8_t> bytes) {
  return std::string(bytes.begin(), bytes.end());
}

IpAddress Ip(absl::string_view text) { return *IpAddress::Parse(text); }

const Socks5Credentials kAlice = {"alice", "secret"};

// The client's messages as the independent test client (testing/) writes
// them, so that a mistake shared by encoder and parser cannot hide.
const std::string kOfferNoAuth = Bytes({0x05, 0x01, 0x00});
const std::string kOfferUserPass = Bytes({0x05, 0x01, 0x02});
const std::string kChooseNoAuth = Bytes({0x05, 0x00});
const std::string kChooseUserPass = Bytes({0x05, 0x02});
const std::string kAuthenticated = Bytes({0x01, 0x00});

Socks5Request ConnectTo(absl::string_view name, uint16_t port) {
  return {Socks5Command::kConnect, {IpAddress(), std::string(name), port}};
}

// REP with BND 192.0.2.1:1080.
std::string Reply(uint8_t code) {
  return Bytes({0x05, code, 0x00, 0x01, 192, 0, 2, 1, 0x04, 0x38});
}

// Every message the server sends split at every offset: method choice,
// RFC 1929 status and reply. What follows the reply (the destination's
// first bytes) is left in the socket.
TEST(Socks5ExchangeTest, AuthenticatesAndConnectsWithRepliesSplitAnywhere) {
  const std::string granted =
      Bytes({0x05, 0x00, 0x00, 0x03, 0x0a, 'g', 'w', '.', 'e', 'x', 'a', 'm',
             'p', 'l', 'e', 0x9c, 0x40});
  for (size_t split = 0; split < granted.size(); ++split) {
    SCOPED_TRACE("split at " + std::to_string(split));
    ASSERT_OK_AND_ASSIGN(
        auto peer,
        ScriptedPeer::Start({
            ScriptedPeer::Expect(kOfferUserPass),
            ScriptedPeer::Send(kChooseUserPass, split % 2),
            ScriptedPeer::Expect(tc::Socks5UserPassRequest("alice", "secret")),
            ScriptedPeer::Send(kAuthenticated, split % 2),
            ScriptedPeer::Expect(tc::Socks5Request(
                tc::kSocks5CommandConnect,
                tc::Socks5Address::FromName("www.example.org", 443))),
            ScriptedPeer::Send(granted + "220 banner", split),
        }));
    ASSERT_OK_AND_ASSIGN(
        Socks5Reply reply,
        Socks5Exchange(peer->client(), ConnectTo("www.example.org", 443),
                       kAlice, Soon()));
    EXPECT_EQ(reply.code, Socks5ReplyCode::kSucceeded);
    EXPECT_EQ(reply.bound, (Socks5Address{IpAddress(), "gw.example", 40000}));
    EXPECT_THAT(tc::ReadExactly(peer->client(), 10, Soon()),
                IsOkAndHolds("220 banner"));
    EXPECT_THAT(peer->Finish(), IsOk());
  }
}

// ATYP 1, 3 and 4 go out as written; without credentials only 00 is
// offered.
TEST(Socks5ExchangeTest, SendsEachAddressTypeWithoutAuthentication) {
  const struct {
    Socks5Address destination;
    tc::Socks5Address expected;
  } kCases[] = {
      {{Ip("10.1.2.3"), "", 80},
       tc::Socks5Address::FromSocketAddress(SocketAddress(Ip("10.1.2.3"), 80))},
      {{IpAddress(), "intranet.corp.example", 8080},
       tc::Socks5Address::FromName("intranet.corp.example", 8080)},
      {{Ip("2001:db8::5"), "", 22},
       tc::Socks5Address::FromSocketAddress(
           SocketAddress(Ip("2001:db8::5"), 22))},
  };
  for (const auto& c : kCases) {
    ASSERT_OK_AND_ASSIGN(auto peer,
                         ScriptedPeer::Start({
                             ScriptedPeer::Expect(kOfferNoAuth),
                             ScriptedPeer::Send(kChooseNoAuth),
                             ScriptedPeer::Expect(tc::Socks5Request(
                                 tc::kSocks5CommandConnect, c.expected)),
                             ScriptedPeer::Send(Reply(0x00)),
                         }));
    EXPECT_THAT(
        Socks5Exchange(peer->client(), {Socks5Command::kConnect, c.destination},
                       std::nullopt, Soon()),
        IsOk());
    EXPECT_THAT(peer->Finish(), IsOk());
  }
}

// A well-formed refusal is the server's answer, not a fault.
TEST(Socks5ExchangeTest, RefusalIsAnAnswer) {
  const Socks5Request request = ConnectTo("closed.example", 25);
  ASSERT_OK_AND_ASSIGN(auto peer,
                       ScriptedPeer::Start({
                           ScriptedPeer::Expect(kOfferNoAuth),
                           ScriptedPeer::Send(kChooseNoAuth),
                           ScriptedPeer::Expect(EncodeSocks5Request(request)),
                           ScriptedPeer::Send(Reply(0x05)),
                       }));
  ASSERT_OK_AND_ASSIGN(
      Socks5Reply reply,
      Socks5Exchange(peer->client(), request, std::nullopt, Soon()));
  EXPECT_EQ(reply.code, Socks5ReplyCode::kConnectionRefused);
  EXPECT_EQ(reply.bound, (Socks5Address{Ip("192.0.2.1"), "", 1080}));
  EXPECT_THAT(peer->Finish(), IsOk());
}

// Many servers answer a successful RFC 1929 exchange with VER 5.
TEST(Socks5ExchangeTest, AcceptsStatusWithVersionFive) {
  const Socks5Request request = ConnectTo("h.example", 80);
  ASSERT_OK_AND_ASSIGN(auto peer,
                       ScriptedPeer::Start({
                           ScriptedPeer::Expect(kOfferUserPass),
                           ScriptedPeer::Send(kChooseUserPass),
                           ScriptedPeer::Expect(EncodeSocks5UserPass(kAlice)),
                           ScriptedPeer::Send(Bytes({0x05, 0x00})),
                           ScriptedPeer::Expect(EncodeSocks5Request(request)),
                           ScriptedPeer::Send(Reply(0x00)),
                       }));
  EXPECT_THAT(Socks5Exchange(peer->client(), request, kAlice, Soon()), IsOk());
  EXPECT_THAT(peer->Finish(), IsOk());
}

TEST(Socks5ExchangeTest, BindReadsTheSecondReplyAfterTheFirst) {
  const Socks5Request request = {Socks5Command::kBind,
                                 {Ip("198.51.100.9"), "", 21}};
  ASSERT_OK_AND_ASSIGN(
      auto peer,
      ScriptedPeer::Start({
          ScriptedPeer::Expect(kOfferNoAuth),
          ScriptedPeer::Send(kChooseNoAuth),
          ScriptedPeer::Expect(EncodeSocks5Request(request)),
          // Where the peer is to connect, then who connected.
          ScriptedPeer::Send(
              Bytes({0x05, 0x00, 0x00, 0x01, 192, 0, 2, 1, 0x9c, 0x40})),
          ScriptedPeer::Send(
              Bytes({0x05, 0x00, 0x00, 0x01, 198, 51, 100, 9, 0, 20}), 3),
      }));
  ASSERT_OK_AND_ASSIGN(
      Socks5Reply listening,
      Socks5Exchange(peer->client(), request, std::nullopt, Soon()));
  EXPECT_EQ(listening.bound, (Socks5Address{Ip("192.0.2.1"), "", 40000}));
  ASSERT_OK_AND_ASSIGN(Socks5Reply connected,
                       ReadSocks5Reply(peer->client(), Soon()));
  EXPECT_EQ(connected.bound, (Socks5Address{Ip("198.51.100.9"), "", 20}));
  EXPECT_THAT(peer->Finish(), IsOk());
}

// Faults of the server: the caller tries the next one.
struct Fault {
  std::string name;
  std::optional<Socks5Credentials> credentials;
  // What the server sends after each of the client's messages, until it
  // closes; "" sends nothing.
  std::vector<std::string> answers;
  absl::StatusCode code;
  std::string message;
};

TEST(Socks5ExchangeTest, FaultsOfTheServerAreErrors) {
  const std::vector<Fault> faults = {
      {"no acceptable method",
       std::nullopt,
       {Bytes({0x05, 0xff})},
       absl::StatusCode::kPermissionDenied,
       "the server accepts no method offered (00)"},
      {"needs a password",
       kAlice,
       {Bytes({0x05, 0xff})},
       absl::StatusCode::kPermissionDenied,
       "the server accepts no method offered (02)"},
      {"picks 00 when 02 was offered",
       kAlice,
       {kChooseNoAuth},
       absl::StatusCode::kDataLoss,
       "the server chose method 00, which was not offered"},
      {"picks 02 when 00 was offered",
       std::nullopt,
       {kChooseUserPass},
       absl::StatusCode::kDataLoss,
       "the server chose method 02, which was not offered"},
      {"password refused",
       kAlice,
       {kChooseUserPass, Bytes({0x01, 0x01})},
       absl::StatusCode::kPermissionDenied,
       "the server refused the user name and password (STATUS 1)"},
      {"garbled status",
       kAlice,
       {kChooseUserPass, Bytes({0x02, 0x00})},
       absl::StatusCode::kDataLoss,
       "RFC 1929 status: version 2"},
      {"SOCKS4 answer",
       std::nullopt,
       {Bytes({0x00, 0x5b})},
       absl::StatusCode::kDataLoss,
       "SOCKS5 method choice: version 0"},
      {"garbled reply",
       std::nullopt,
       {kChooseNoAuth, Bytes({0x05, 0x5a, 0, 1, 0, 0, 0, 0, 0, 0})},
       absl::StatusCode::kDataLoss,
       "SOCKS5 reply: unknown REP 90"},
      {"closes after the greeting",
       std::nullopt,
       {""},
       absl::StatusCode::kUnavailable,
       "closed: SOCKS5 method choice: truncated after 0 of at least 1"},
      {"closes mid reply",
       std::nullopt,
       {kChooseNoAuth, Bytes({0x05, 0x00, 0x00, 0x01, 192, 0})},
       absl::StatusCode::kUnavailable,
       "closed: SOCKS5 reply: truncated after 6 of at least 10 bytes"},
  };
  const Socks5Request request = ConnectTo("h.example", 80);
  for (const Fault& f : faults) {
    SCOPED_TRACE(f.name);
    // The client's messages in order, each answered by the next answer.
    std::vector<std::string> sent = {f.credentials ? kOfferUserPass
                                                   : kOfferNoAuth};
    if (f.credentials) sent.push_back(EncodeSocks5UserPass(*f.credentials));
    sent.push_back(EncodeSocks5Request(request));
    std::vector<ScriptedPeer::Step> script;
    for (size_t i = 0; i < f.answers.size(); ++i) {
      script.push_back(ScriptedPeer::Expect(sent[i]));
      if (!f.answers[i].empty()) {
        script.push_back(ScriptedPeer::Send(f.answers[i]));
      }
    }
    ASSERT_OK_AND_ASSIGN(auto peer, ScriptedPeer::Start(std::move(script)));
    EXPECT_THAT(Socks5Exchange(peer->client(), request, f.credentials, Soon()),
                StatusIs(f.code, HasSubstr(f.message)));
    EXPECT_THAT(peer->Finish(), IsOk());
  }
}

TEST(Socks5ExchangeTest, SilentServerRunsIntoTheDeadline) {
  ASSERT_OK_AND_ASSIGN(tc::LoopbackPair pair, tc::MakeLoopbackPair());
  EXPECT_THAT(
      Socks5Exchange(pair.connected, ConnectTo("h.example", 80), std::nullopt,
                     Deadline::In(absl::Milliseconds(100))),
      StatusIs(absl::StatusCode::kDeadlineExceeded, ::testing::_));
  // It did send its greeting before waiting.
  EXPECT_THAT(tc::ReadExactly(pair.accepted, 3, Soon()),
              IsOkAndHolds(kOfferNoAuth));
}

}  // namespace
}  // namespace rsockd::net
