#include "rsockd/server/socks4_front_end.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/socket.h"
#include "net/socks4.h"
#include "rsockd/server/front_end.h"
#include "rsockd/server/outcome.h"
#include "rsockd/server/request.h"
#include "rsockd/server/stats.h"
#include "testing/loopback.h"
#include "testing/socket_io.h"
#include "testing/status_matchers.h"

namespace rsockd {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr absl::Duration kTimeout = absl::Seconds(10);

net::Deadline Soon() { return net::Deadline::In(kTimeout); }

std::vector<uint8_t> Bytes(absl::string_view text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

// CONNECT 10.1.2.3:80 for "ylee", then two early bytes.
const std::vector<uint8_t> kConnectRequest = {
    0x04,                          // VN
    0x01,                          // CD: CONNECT
    0x00, 0x50,                    // DSTPORT 80
    0x0a, 0x01, 0x02, 0x03,        // DSTIP 10.1.2.3
    'y',  'l',  'e',  'e',  0x00,  // USERID
    'h',  'i',                     // early data
};

// SOCKS4A BIND for "ftp.example" port 21, no user id.
const std::vector<uint8_t> kBindNameRequest = {
    0x04,                    // VN
    0x02,                    // CD: BIND
    0x00, 0x15,              // DSTPORT 21
    0x00, 0x00, 0x00, 0x07,  // DSTIP 0.0.0.7: a name follows
    0x00,                    // empty USERID
    'f',  't',  'p',  '.',  'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x00,
};

class Socks4FrontEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(pair_, testing::MakeLoopbackPair());
    ASSERT_OK_AND_ASSIGN(peer_, pair_.accepted.PeerAddress());
  }

  FrontEndContext Context() {
    return FrontEndContext{.client = &pair_.accepted,
                           .peer = peer_,
                           .reply_timeout = kTimeout,
                           .stats = &stats_};
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
};

TEST_F(Socks4FrontEndTest, ReadsARequestGivenWhole) {
  Socks4FrontEnd front_end(Context());
  ASSERT_OK_AND_ASSIGN(Request request,
                       front_end.ReadRequest(kConnectRequest, Soon()));
  EXPECT_EQ(request.version, SocksVersion::kSocks4);
  EXPECT_EQ(request.command, Command::kConnect);
  EXPECT_FALSE(request.destination.is_name());
  EXPECT_EQ(request.destination.address,
            net::SocketAddress(*net::IpAddress::Parse("10.1.2.3"), 80));
  EXPECT_EQ(request.user_id, "ylee");
  EXPECT_EQ(request.user_id_origin, UserIdOrigin::kClaimed);
  EXPECT_EQ(request.client, peer_);
  EXPECT_THAT(front_end.early_data(), ElementsAre('h', 'i'));
}

// The session hands over the first byte it read; the rest comes in pieces.
TEST_F(Socks4FrontEndTest, ReadsTheRestOfARequestFromTheClient) {
  const absl::Span<const uint8_t> bytes(kBindNameRequest);
  for (size_t i = 1; i < bytes.size(); ++i) {
    ASSERT_THAT(pair_.connected.WriteAll(bytes.subspan(i, 1), Soon()), IsOk());
  }
  Socks4FrontEnd front_end(Context());
  ASSERT_OK_AND_ASSIGN(Request request,
                       front_end.ReadRequest(bytes.subspan(0, 1), Soon()));
  EXPECT_EQ(request.command, Command::kBind);
  EXPECT_TRUE(request.destination.is_name());
  EXPECT_EQ(request.destination.name, "ftp.example");
  EXPECT_EQ(request.destination.port(), 21);
  // What SOCKS4A carried in the name's place, for a hook's %z.
  EXPECT_EQ(request.destination.address.ip(),
            *net::IpAddress::Parse("0.0.0.7"));
  EXPECT_EQ(request.user_id, "");
  EXPECT_EQ(request.user_id_origin, UserIdOrigin::kClaimed);
  EXPECT_THAT(front_end.early_data(), IsEmpty());
}

TEST_F(Socks4FrontEndTest, BytesThatAreNotSocks4GetNoReply) {
  Socks4FrontEnd front_end(Context());
  EXPECT_THAT(front_end.ReadRequest(Bytes("\x05\x01\x00"), Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a SOCKS4 request (version 5)")));
  EXPECT_EQ(ClientReceives(), "");
  EXPECT_EQ(stats_.replies[1], 0);
}

TEST_F(Socks4FrontEndTest, RequestItCannotServeGets91) {
  std::vector<uint8_t> request = kConnectRequest;
  request[1] = 0x03;  // CD: UDP ASSOCIATE is not SOCKS4
  Socks4FrontEnd front_end(Context());
  EXPECT_THAT(front_end.ReadRequest(request, Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown SOCKS4 command 3")));
  EXPECT_EQ(ClientReceives(),
            std::string("\x00\x5b\x00\x00\x00\x00\x00\x00", 8));
  EXPECT_EQ(stats_.replies[1], 1);
}

TEST_F(Socks4FrontEndTest, ClientThatClosesEarlyIsDroppedWithoutReply) {
  pair_.connected.ShutdownWrite();
  Socks4FrontEnd front_end(Context());
  EXPECT_THAT(front_end.ReadRequest(
                  absl::MakeConstSpan(kConnectRequest).subspan(0, 5), Soon()),
              StatusIs(absl::StatusCode::kUnavailable,
                       "closed before a whole request"));
  EXPECT_EQ(ClientReceives(), "");
}

TEST_F(Socks4FrontEndTest, ClientThatStallsIsDroppedAtTheDeadline) {
  Socks4FrontEnd front_end(Context());
  EXPECT_THAT(
      front_end.ReadRequest(absl::MakeConstSpan(kConnectRequest).subspan(0, 5),
                            net::Deadline::In(absl::Milliseconds(50))),
      StatusIs(absl::StatusCode::kDeadlineExceeded,
               HasSubstr("no whole request: ")));
}

TEST(Socks4ReplyCodeForTest, IdentKindsHaveTheirOwnCodesTheRest91) {
  EXPECT_EQ(Socks4ReplyCodeFor(Outcome::Granted()),
            net::Socks4ReplyCode::kGranted);
  EXPECT_EQ(Socks4ReplyCodeFor(Outcome::Failed(Failure::kIdentUnavailable, "")),
            net::Socks4ReplyCode::kIdentUnreachable);
  EXPECT_EQ(Socks4ReplyCodeFor(Outcome::Failed(Failure::kIdentMismatch, "")),
            net::Socks4ReplyCode::kIdentMismatch);
  for (Failure failure :
       {Failure::kDeniedByRules, Failure::kNetworkUnreachable,
        Failure::kHostUnreachable, Failure::kConnectionRefused,
        Failure::kTimedOut, Failure::kCommandUnsupported,
        Failure::kAddressTypeUnsupported, Failure::kGeneralFailure}) {
    EXPECT_EQ(Socks4ReplyCodeFor(Outcome::Failed(failure, "")),
              net::Socks4ReplyCode::kRejected)
        << static_cast<int>(failure);
  }
  // An upstream's 92 or 93 was its own identd check, not this client's.
  EXPECT_EQ(Socks4ReplyCodeFor(Outcome::RefusedUpstream(
                {.version = SocksVersion::kSocks4, .code = 93}, "")),
            net::Socks4ReplyCode::kRejected);
}

TEST_F(Socks4FrontEndTest, ConnectGrantCarriesZerosBindGrantTheAddress) {
  const net::SocketAddress address(*net::IpAddress::Parse("127.0.0.5"), 0x1234);
  Socks4FrontEnd connect(Context());
  ASSERT_THAT(connect.ReadRequest(kConnectRequest, Soon()).status(), IsOk());
  ASSERT_THAT(connect.SendReply(Outcome::Granted(address)), IsOk());
  Socks4FrontEnd bind(Context());
  ASSERT_THAT(bind.ReadRequest(kBindNameRequest, Soon()).status(), IsOk());
  ASSERT_THAT(bind.SendReply(Outcome::Granted(address)), IsOk());
  ASSERT_THAT(bind.SendReply(Outcome::Failed(Failure::kTimedOut, "")), IsOk());
  EXPECT_EQ(ClientReceives(),
            std::string("\x00\x5a\x00\x00\x00\x00\x00\x00"   // CONNECT: 90
                        "\x00\x5a\x12\x34\x7f\x00\x00\x05"   // BIND: 90 + it
                        "\x00\x5b\x00\x00\x00\x00\x00\x00",  // then 91
                        24));
  EXPECT_EQ(stats_.replies[0], 2);
  EXPECT_EQ(stats_.replies[1], 1);
}

TEST_F(Socks4FrontEndTest, IdentFailuresReply92And93) {
  Socks4FrontEnd front_end(Context());
  ASSERT_THAT(front_end.ReadRequest(kConnectRequest, Soon()).status(), IsOk());
  ASSERT_THAT(front_end.SendReply(Outcome::Failed(Failure::kIdentUnavailable,
                                                  "identd required")),
              IsOk());
  ASSERT_THAT(front_end.SendReply(
                  Outcome::Failed(Failure::kIdentMismatch, "ident mismatch")),
              IsOk());
  EXPECT_EQ(ClientReceives(), std::string("\x00\x5c\x00\x00\x00\x00\x00\x00"
                                          "\x00\x5d\x00\x00\x00\x00\x00\x00",
                                          16));
  EXPECT_EQ(stats_.replies[2], 1);
  EXPECT_EQ(stats_.replies[3], 1);
}

}  // namespace
}  // namespace rsockd
