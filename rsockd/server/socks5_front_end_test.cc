#include "rsockd/server/socks5_front_end.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/socket.h"
#include "net/socks5.h"
#include "rsockd/server/front_end.h"
#include "rsockd/server/outcome.h"
#include "rsockd/server/request.h"
#include "rsockd/server/stats.h"
#include "rules/password_file.h"
#include "testing/loopback.h"
#include "testing/socket_io.h"
#include "testing/socks5_client.h"
#include "testing/status_matchers.h"

namespace rsockd {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr absl::Duration kTimeout = absl::Seconds(10);

net::Deadline Soon() { return net::Deadline::In(kTimeout); }

std::vector<uint8_t> Bytes(absl::string_view text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

// Takes "hash-of-<password>" as the hash of <password>.
class FakeVerifier : public rules::PasswordVerifier {
 public:
  absl::Status CheckHash(absl::string_view) const override {
    return absl::OkStatus();
  }
  bool Matches(absl::string_view password,
               absl::string_view hash) const override {
    return hash == absl::StrCat("hash-of-", password);
  }
};

const FakeVerifier& Verifier() {
  static const FakeVerifier* const verifier = new FakeVerifier;
  return *verifier;
}

const std::string kGreetingNoAuth = testing::Socks5Greeting({0x00});
const std::string kGreetingBoth = testing::Socks5Greeting({0x00, 0x02});
const std::string kLogin = testing::Socks5UserPassRequest("alice", "s3cret");
// CONNECT 10.1.2.3:80.
const std::string kConnect = testing::Socks5Request(
    testing::kSocks5CommandConnect,
    testing::Socks5Address::FromSocketAddress(
        net::SocketAddress(*net::IpAddress::Parse("10.1.2.3"), 80)));

const std::string kChoiceNoAuth("\x05\x00", 2);
const std::string kChoiceUserPass("\x05\x02", 2);
const std::string kLoginOk("\x01\x00", 2);
const std::string kLoginFailed("\x01\x01", 2);

// A reply with REP `code` and BND 0.0.0.0:0.
std::string ZeroReply(uint8_t code) {
  return std::string("\x05") + static_cast<char>(code) +
         std::string("\x00\x01\x00\x00\x00\x00\x00\x00", 8);
}

class Socks5FrontEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(pair_, testing::MakeLoopbackPair());
    ASSERT_OK_AND_ASSIGN(peer_, pair_.accepted.PeerAddress());
    ASSERT_OK_AND_ASSIGN(passwords_,
                         rules::PasswordFile::Parse("alice:hash-of-s3cret\n",
                                                    "passwords", Verifier()));
  }

  FrontEndContext Context(Socks5Auth auth = Socks5Auth::kAny,
                          bool with_passwords = true) {
    return FrontEndContext{.client = &pair_.accepted,
                           .peer = peer_,
                           .reply_timeout = kTimeout,
                           .stats = &stats_,
                           .socks5_auth = auth,
                           .passwords = with_passwords ? &passwords_ : nullptr};
  }

  // What the client received once the server side closes.
  std::string ClientReceives() {
    pair_.accepted.Close();
    absl::StatusOr<testing::ReadToCloseResult> read =
        testing::ReadUntilClosed(pair_.connected, Soon());
    EXPECT_THAT(read.status(), IsOk());
    return read.ok() ? read->data : "";
  }

  testing::LoopbackPair pair_;
  net::SocketAddress peer_;
  Stats stats_;
  rules::PasswordFile passwords_ =
      *rules::PasswordFile::Parse("", "passwords", Verifier());
};

TEST(ChooseSocks5MethodTest, PasswordFirstWhenAllowedOfferedAndConfigured) {
  using net::Socks5Method;
  const net::Socks5Greeting both{
      {Socks5Method::kNoAuth, Socks5Method::kUserPass}};
  const net::Socks5Greeting no_auth{{Socks5Method::kNoAuth}};
  const net::Socks5Greeting user_pass{{Socks5Method::kUserPass}};
  const net::Socks5Greeting gssapi{{Socks5Method::kGssapi}};
  EXPECT_EQ(ChooseSocks5Method(both, Socks5Auth::kAny, true),
            Socks5Method::kUserPass);
  EXPECT_EQ(ChooseSocks5Method(both, Socks5Auth::kAny, false),
            Socks5Method::kNoAuth);
  EXPECT_EQ(ChooseSocks5Method(user_pass, Socks5Auth::kAny, false),
            Socks5Method::kNoneAcceptable);
  EXPECT_EQ(ChooseSocks5Method(no_auth, Socks5Auth::kAny, true),
            Socks5Method::kNoAuth);
  EXPECT_EQ(ChooseSocks5Method(both, Socks5Auth::kPassword, true),
            Socks5Method::kUserPass);
  EXPECT_EQ(ChooseSocks5Method(no_auth, Socks5Auth::kPassword, true),
            Socks5Method::kNoneAcceptable);
  EXPECT_EQ(ChooseSocks5Method(both, Socks5Auth::kNone, true),
            Socks5Method::kNoAuth);
  EXPECT_EQ(ChooseSocks5Method(user_pass, Socks5Auth::kNone, true),
            Socks5Method::kNoneAcceptable);
  EXPECT_EQ(ChooseSocks5Method(gssapi, Socks5Auth::kAny, true),
            Socks5Method::kNoneAcceptable);
}

TEST(Socks5ReplyCodeForTest, EachKindHasItsRep) {
  using Code = net::Socks5ReplyCode;
  EXPECT_EQ(Socks5ReplyCodeFor(Outcome::Granted()), Code::kSucceeded);
  const std::vector<std::pair<Failure, Code>> table = {
      {Failure::kDeniedByRules, Code::kNotAllowed},
      {Failure::kIdentUnavailable, Code::kNotAllowed},
      {Failure::kIdentMismatch, Code::kNotAllowed},
      {Failure::kNetworkUnreachable, Code::kNetworkUnreachable},
      {Failure::kHostUnreachable, Code::kHostUnreachable},
      {Failure::kConnectionRefused, Code::kConnectionRefused},
      {Failure::kTimedOut, Code::kTtlExpired},
      {Failure::kCommandUnsupported, Code::kCommandNotSupported},
      {Failure::kAddressTypeUnsupported, Code::kAddressTypeNotSupported},
      {Failure::kGeneralFailure, Code::kGeneralFailure},
  };
  for (const auto& [failure, code] : table) {
    EXPECT_EQ(Socks5ReplyCodeFor(Outcome::Failed(failure, "")), code)
        << static_cast<int>(failure);
  }
  for (uint8_t socks4 : {91, 92, 93}) {
    EXPECT_EQ(Socks5ReplyCodeFor(Outcome::RefusedUpstream(
                  {.version = SocksVersion::kSocks4, .code = socks4}, "")),
              Code::kNotAllowed);
  }
  EXPECT_EQ(Socks5ReplyCodeFor(Outcome::RefusedUpstream(
                {.version = SocksVersion::kSocks5, .code = 0x05}, "")),
            Code::kConnectionRefused);
  EXPECT_EQ(Socks5ReplyCodeFor(Outcome::RefusedUpstream(
                {.version = SocksVersion::kSocks5, .code = 0x09}, "")),
            Code::kNotAllowed);
}

TEST_F(Socks5FrontEndTest, NoAuthConnectSentAtOnce) {
  Socks5FrontEnd front_end(Context(Socks5Auth::kAny, /*with_passwords=*/false));
  ASSERT_OK_AND_ASSIGN(
      Request request,
      front_end.ReadRequest(Bytes(kGreetingBoth + kConnect + "hi"), Soon()));
  EXPECT_EQ(request.version, SocksVersion::kSocks5);
  EXPECT_EQ(request.command, Command::kConnect);
  EXPECT_FALSE(request.destination.is_name());
  EXPECT_EQ(request.destination.address,
            net::SocketAddress(*net::IpAddress::Parse("10.1.2.3"), 80));
  EXPECT_EQ(request.user_id, "");
  EXPECT_EQ(request.user_id_origin, UserIdOrigin::kNone);
  EXPECT_EQ(request.client, peer_);
  EXPECT_THAT(front_end.early_data(), ElementsAre('h', 'i'));
  EXPECT_EQ(ClientReceives(), kChoiceNoAuth);
}

// The session hands over the first byte; the rest comes a byte at a time.
TEST_F(Socks5FrontEndTest, LoginThenBindForANameInPieces) {
  const std::string bind = testing::Socks5Request(
      testing::kSocks5CommandBind,
      testing::Socks5Address::FromName("ftp.example", 21));
  const std::vector<uint8_t> bytes = Bytes(kGreetingBoth + kLogin + bind);
  for (size_t i = 1; i < bytes.size(); ++i) {
    ASSERT_THAT(pair_.connected.WriteAll(
                    absl::MakeConstSpan(bytes).subspan(i, 1), Soon()),
                IsOk());
  }
  Socks5FrontEnd front_end(Context());
  ASSERT_OK_AND_ASSIGN(
      Request request,
      front_end.ReadRequest(absl::MakeConstSpan(bytes).subspan(0, 1), Soon()));
  EXPECT_EQ(request.command, Command::kBind);
  EXPECT_EQ(request.destination.name, "ftp.example");
  EXPECT_EQ(request.destination.port(), 21);
  EXPECT_EQ(request.user_id, "alice");
  EXPECT_EQ(request.user_id_origin, UserIdOrigin::kVerified);
  EXPECT_THAT(front_end.early_data(), IsEmpty());
  EXPECT_EQ(ClientReceives(), kChoiceUserPass + kLoginOk);
}

TEST_F(Socks5FrontEndTest, WrongPasswordGets0101AndNeverShowsIt) {
  Socks5FrontEnd front_end(Context());
  const absl::StatusOr<Request> request = front_end.ReadRequest(
      Bytes(kGreetingBoth +
            testing::Socks5UserPassRequest("al\nice", "guess-me") + kConnect),
      Soon());
  EXPECT_THAT(request, StatusIs(absl::StatusCode::kPermissionDenied,
                                HasSubstr("user al%0Aice failed")));
  EXPECT_THAT(request.status().message(), Not(HasSubstr("guess-me")));
  EXPECT_EQ(ClientReceives(), kChoiceUserPass + kLoginFailed);
  EXPECT_EQ(stats_.socks5_auth_failed, 1);
}

TEST_F(Socks5FrontEndTest, NoAcceptableMethodGetsFF) {
  // --socks5_auth=password: a client that offers only 00.
  Socks5FrontEnd front_end(Context(Socks5Auth::kPassword));
  EXPECT_THAT(front_end.ReadRequest(Bytes(kGreetingNoAuth + kConnect), Soon()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("no acceptable authentication method among "
                                 "those offered (00)")));
  EXPECT_EQ(ClientReceives(), "\x05\xff");
  EXPECT_EQ(stats_.socks5_no_method, 1);
}

TEST_F(Socks5FrontEndTest, AuthNoneIgnoresThePasswordFile) {
  Socks5FrontEnd front_end(Context(Socks5Auth::kNone));
  ASSERT_OK_AND_ASSIGN(
      Request request,
      front_end.ReadRequest(Bytes(kGreetingBoth + kConnect), Soon()));
  EXPECT_EQ(request.user_id_origin, UserIdOrigin::kNone);
  EXPECT_EQ(ClientReceives(), kChoiceNoAuth);
}

TEST_F(Socks5FrontEndTest, UdpAssociateUnknownCommandAndAddressType) {
  struct Case {
    std::string request;
    uint8_t rep;
  };
  const std::vector<Case> cases = {
      {testing::Socks5Request(
           testing::kSocks5CommandUdpAssociate,
           testing::Socks5Address::FromSocketAddress(net::SocketAddress())),
       0x07},
      {std::string("\x05\x09\x00\x01", 4), 0x07},                    // CMD 9
      {std::string("\x05\x01\x00\x02\x00\x00", 6), 0x08},            // ATYP 2
      {std::string("\x05\x01\x01\x01\x01\x02\x03\x04\x00\x50", 10),  // RSV 1
       0x01},
      {std::string("\x05\x01\x00\x03\x00\x00\x50", 7), 0x01},  // name of 0
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::CEscape(c.request));
    Stats stats;
    ASSERT_OK_AND_ASSIGN(testing::LoopbackPair pair,
                         testing::MakeLoopbackPair());
    FrontEndContext context = Context(Socks5Auth::kAny, false);
    context.client = &pair.accepted;
    context.stats = &stats;
    Socks5FrontEnd front_end(context);
    EXPECT_THAT(
        front_end.ReadRequest(Bytes(kGreetingNoAuth + c.request), Soon()),
        Not(IsOk()));
    pair.accepted.Close();
    ASSERT_OK_AND_ASSIGN(testing::ReadToCloseResult read,
                         testing::ReadUntilClosed(pair.connected, Soon()));
    EXPECT_EQ(read.data, kChoiceNoAuth + ZeroReply(c.rep));
    EXPECT_EQ(stats.socks5_replies[c.rep], 1);
  }
}

// The whole exchange cut at every offset: a greeting cut short gets no
// answer, a login cut short 01 01, a request cut short REP 01.
TEST_F(Socks5FrontEndTest, CutShortAtEveryOffset) {
  const std::string exchange = kGreetingBoth + kLogin + kConnect;
  for (size_t cut = 1; cut < exchange.size(); ++cut) {
    SCOPED_TRACE(absl::StrCat("cut at ", cut));
    Stats stats;
    ASSERT_OK_AND_ASSIGN(testing::LoopbackPair pair,
                         testing::MakeLoopbackPair());
    FrontEndContext context = Context();
    context.client = &pair.accepted;
    context.stats = &stats;
    ASSERT_THAT(
        pair.connected.WriteAll(Bytes(exchange.substr(1, cut - 1)), Soon()),
        IsOk());
    pair.connected.ShutdownWrite();
    Socks5FrontEnd front_end(context);
    const absl::StatusOr<Request> request =
        front_end.ReadRequest(Bytes(exchange.substr(0, 1)), Soon());
    EXPECT_THAT(request, StatusIs(absl::StatusCode::kUnavailable,
                                  HasSubstr("truncated after")));
    pair.accepted.Close();
    ASSERT_OK_AND_ASSIGN(testing::ReadToCloseResult read,
                         testing::ReadUntilClosed(pair.connected, Soon()));
    if (cut < kGreetingBoth.size()) {
      EXPECT_EQ(read.data, "");
    } else if (cut < kGreetingBoth.size() + kLogin.size()) {
      EXPECT_EQ(read.data, kChoiceUserPass + kLoginFailed);
    } else {
      EXPECT_EQ(read.data, kChoiceUserPass + kLoginOk + ZeroReply(0x01));
    }
  }
}

TEST_F(Socks5FrontEndTest, MalformedGreetingAndLogin) {
  {
    Socks5FrontEnd front_end(Context());
    EXPECT_THAT(
        front_end.ReadRequest(Bytes(std::string("\x05\x00", 2)), Soon()),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("NMETHODS 0")));
  }
  Socks5FrontEnd front_end(Context());
  // VER 5 where RFC 1929 has 1.
  EXPECT_THAT(front_end.ReadRequest(
                  Bytes(kGreetingBoth + "\x05\x01\x61\x01\x62"), Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not 1")));
  EXPECT_EQ(ClientReceives(), kChoiceUserPass + kLoginFailed);
}

TEST_F(Socks5FrontEndTest, StalledClientIsDroppedAtTheDeadline) {
  Socks5FrontEnd front_end(Context());
  EXPECT_THAT(front_end.ReadRequest(Bytes(kGreetingBoth + kLogin + "\x05"),
                                    net::Deadline::In(absl::Milliseconds(50))),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("no whole request: ")));
  EXPECT_EQ(ClientReceives(), kChoiceUserPass + kLoginOk + ZeroReply(0x01));
}

TEST_F(Socks5FrontEndTest, RepliesCarryTheAddressOfEitherFamily) {
  Socks5FrontEnd front_end(Context());
  ASSERT_THAT(
      front_end.ReadRequest(Bytes(kGreetingNoAuth + kConnect), Soon()).status(),
      IsOk());
  ASSERT_THAT(front_end.SendReply(Outcome::Granted(net::SocketAddress(
                  *net::IpAddress::Parse("127.0.0.5"), 0x1234))),
              IsOk());
  ASSERT_THAT(front_end.SendReply(Outcome::Granted(
                  net::SocketAddress(*net::IpAddress::Parse("::1"), 0x0102))),
              IsOk());
  ASSERT_THAT(
      front_end.SendReply(Outcome::Failed(Failure::kConnectionRefused, "")),
      IsOk());
  EXPECT_EQ(ClientReceives(),
            kChoiceNoAuth +
                std::string("\x05\x00\x00\x01\x7f\x00\x00\x05\x12\x34", 10) +
                std::string("\x05\x00\x00\x04", 4) + std::string(15, '\0') +
                std::string("\x01\x01\x02", 3) + ZeroReply(0x05));
  EXPECT_EQ(stats_.socks5_replies[0], 2);
  EXPECT_EQ(stats_.socks5_replies[5], 1);
}

}  // namespace
}  // namespace rsockd
