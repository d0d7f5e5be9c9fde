#include "net/socks4.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testing/status_matchers.h"

namespace rsockd::net {
namespace {

using ::rsockd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// CONNECT to 137.12.5.5:23 as "ylee".
const uint8_t kConnectRequest[] = {
    0x04,                    // VN
    0x01,                    // CD: CONNECT
    0x00, 0x17,              // DSTPORT 23
    0x89, 0x0c, 0x05, 0x05,  // DSTIP 137.12.5.5
    'y',  'l',  'e',  'e',   // USERID
    0x00,                    // NUL
};

// SOCKS4A BIND for "ftp.example" port 21, empty USERID.
const uint8_t kSocks4aBindRequest[] = {
    0x04,                                                       // VN
    0x02,                                                       // CD: BIND
    0x00, 0x15,                                                 // DSTPORT 21
    0x00, 0x00, 0x00, 0x01,                                     // DSTIP 0.0.0.1
    0x00,                                                       // empty USERID
    'f',  't',  'p',  '.',  'e', 'x', 'a', 'm', 'p', 'l', 'e',  // host name
    0x00,                                                       // NUL
};

std::vector<uint8_t> Bytes(absl::Span<const uint8_t> span) {
  return {span.begin(), span.end()};
}

// Feeds `pieces` in order; returns the parser and how many bytes went unused.
absl::StatusOr<size_t> FeedAll(
    Socks4RequestParser& parser,
    const std::vector<std::vector<uint8_t>>& pieces) {
  size_t unused = 0;
  for (const std::vector<uint8_t>& piece : pieces) {
    absl::StatusOr<size_t> used = parser.Feed(piece);
    if (!used.ok()) return used.status();
    unused += piece.size() - *used;
  }
  return unused;
}

TEST(Socks4RequestParserTest, ParsesConnectRequest) {
  Socks4RequestParser parser;
  ASSERT_OK_AND_ASSIGN(size_t used, parser.Feed(kConnectRequest));
  EXPECT_EQ(used, sizeof(kConnectRequest));
  ASSERT_TRUE(parser.done());
  const Socks4Request& request = parser.request();
  EXPECT_EQ(request.command, Socks4Command::kConnect);
  EXPECT_EQ(request.port, 23);
  EXPECT_EQ(request.ip.ToString(), "137.12.5.5");
  EXPECT_EQ(request.user_id, "ylee");
  EXPECT_FALSE(request.is_socks4a());
}

TEST(Socks4RequestParserTest, ParsesSocks4aBindRequest) {
  Socks4RequestParser parser;
  ASSERT_OK_AND_ASSIGN(size_t used, parser.Feed(kSocks4aBindRequest));
  EXPECT_EQ(used, sizeof(kSocks4aBindRequest));
  ASSERT_TRUE(parser.done());
  EXPECT_EQ(parser.request().command, Socks4Command::kBind);
  EXPECT_EQ(parser.request().port, 21);
  EXPECT_EQ(parser.request().user_id, "");
  EXPECT_EQ(parser.request().host_name, "ftp.example");
  EXPECT_TRUE(parser.request().is_socks4a());
}

TEST(Socks4RequestParserTest, ParsesRequestFedOneByteAtATime) {
  for (absl::Span<const uint8_t> wire :
       {absl::MakeConstSpan(kConnectRequest),
        absl::MakeConstSpan(kSocks4aBindRequest)}) {
    Socks4RequestParser parser;
    for (size_t i = 0; i < wire.size(); ++i) {
      EXPECT_FALSE(parser.done()) << "done early at byte " << i;
      ASSERT_OK_AND_ASSIGN(size_t used, parser.Feed(wire.subspan(i, 1)));
      EXPECT_EQ(used, 1u);
    }
    EXPECT_TRUE(parser.done());
  }
}

TEST(Socks4RequestParserTest, ParsesRequestSplitAtEveryOffset) {
  const std::vector<uint8_t> wire = Bytes(kSocks4aBindRequest);
  for (size_t split = 0; split <= wire.size(); ++split) {
    Socks4RequestParser parser;
    ASSERT_OK_AND_ASSIGN(size_t unused,
                         FeedAll(parser, {{wire.begin(), wire.begin() + split},
                                          {wire.begin() + split, wire.end()}}));
    EXPECT_EQ(unused, 0u);
    ASSERT_TRUE(parser.done()) << "split at " << split;
    EXPECT_EQ(parser.request().host_name, "ftp.example");
  }
}

TEST(Socks4RequestParserTest, StopsAtEndOfRequestLeavingEarlyData) {
  std::vector<uint8_t> wire = Bytes(kConnectRequest);
  const std::string early = "GET / HTTP/1.0\r\n\r\n";
  wire.insert(wire.end(), early.begin(), early.end());
  Socks4RequestParser parser;
  ASSERT_OK_AND_ASSIGN(size_t used, parser.Feed(wire));
  EXPECT_TRUE(parser.done());
  EXPECT_EQ(used, sizeof(kConnectRequest));
}

TEST(Socks4RequestParserTest, RejectsOtherVersionAtFirstByte) {
  Socks4RequestParser parser;
  const uint8_t socks5_greeting[] = {0x05};
  EXPECT_THAT(parser.Feed(socks5_greeting),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a SOCKS4 request (version 5)")));
  EXPECT_TRUE(parser.not_socks4());
}

TEST(Socks4RequestParserTest, RejectsUnknownCommand) {
  std::vector<uint8_t> wire = Bytes(kConnectRequest);
  wire[1] = 0x03;  // UDP ASSOCIATE exists only in SOCKS5.
  Socks4RequestParser parser;
  EXPECT_THAT(parser.Feed(wire),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown SOCKS4 command 3")));
}

TEST(Socks4RequestParserTest, AcceptsUserIdOfExactlyTheLimit) {
  std::vector<uint8_t> wire(kConnectRequest, kConnectRequest + 8);
  wire.insert(wire.end(), kSocks4MaxUserIdLength, 'u');
  wire.push_back(0);
  Socks4RequestParser parser;
  ASSERT_OK_AND_ASSIGN(size_t used, parser.Feed(wire));
  EXPECT_EQ(used, wire.size());
  EXPECT_EQ(parser.request().user_id.size(), kSocks4MaxUserIdLength);
}

TEST(Socks4RequestParserTest, RejectsUserIdLongerThanLimit) {
  std::vector<uint8_t> wire(kConnectRequest, kConnectRequest + 8);
  wire.insert(wire.end(), kSocks4MaxUserIdLength + 1, 'u');
  // Fed in small pieces: the error must come without waiting for a NUL.
  Socks4RequestParser parser;
  absl::Status status;
  for (size_t i = 0; i < wire.size() && status.ok(); i += 7) {
    status = parser.Feed(absl::MakeConstSpan(wire).subspan(i, 7)).status();
  }
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kResourceExhausted,
                               HasSubstr("USERID longer than 255 bytes")));
}

TEST(Socks4RequestParserTest, RejectsHostNameLongerThanLimit) {
  std::vector<uint8_t> wire = {0x04, 0x01, 0x00, 0x50, 0, 0, 0, 9, 0x00};
  wire.insert(wire.end(), kSocks4MaxHostNameLength + 1, 'h');
  Socks4RequestParser parser;
  EXPECT_THAT(parser.Feed(wire),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("host name longer than 255 bytes")));
}

TEST(Socks4RequestParserTest, RejectsEmptyHostName) {
  const uint8_t wire[] = {0x04, 0x01, 0x00, 0x50, 0, 0, 0, 1, 'u', 0x00, 0x00};
  Socks4RequestParser parser;
  EXPECT_THAT(parser.Feed(wire),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("empty SOCKS4A host name")));
}

TEST(Socks4RequestParserTest, TreatsZeroAddressAsPlainSocks4) {
  // 0.0.0.0 is not a SOCKS4A marker (x must be non-zero): BIND with DSTIP 0
  // means "any peer".
  const uint8_t wire[] = {0x04, 0x02, 0x00, 0x15, 0, 0, 0, 0, 0x00};
  Socks4RequestParser parser;
  ASSERT_OK_AND_ASSIGN(size_t used, parser.Feed(wire));
  EXPECT_EQ(used, sizeof(wire));
  EXPECT_TRUE(parser.done());
  EXPECT_FALSE(parser.request().is_socks4a());
}

TEST(EncodeSocks4ReplyTest, EncodesGrantedWithPortAndAddress) {
  EXPECT_THAT(EncodeSocks4Reply(Socks4ReplyCode::kGranted, 0x1234,
                                *IpAddress::Parse("127.0.0.3")),
              ElementsAre(0x00,                   // VN
                          0x5a,                   // CD 90
                          0x12, 0x34,             // DSTPORT
                          0x7f, 0x00, 0x00, 0x03  // DSTIP
                          ));
}

TEST(EncodeSocks4ReplyTest, EncodesRejectionAndHidesIPv6) {
  EXPECT_THAT(EncodeSocks4Reply(Socks4ReplyCode::kRejected, 0,
                                *IpAddress::Parse("::1")),
              ElementsAre(0x00, 0x5b, 0, 0, 0, 0, 0, 0));
}

TEST(Socks4EncodeTest, RequestsParseBackToThemselves) {
  Socks4Request plain;
  plain.command = Socks4Command::kConnect;
  plain.port = 23;
  plain.ip = *IpAddress::Parse("137.12.5.5");
  plain.user_id = "ylee";
  const std::string plain_bytes = EncodeSocks4Request(plain);
  EXPECT_EQ(std::vector<uint8_t>(plain_bytes.begin(), plain_bytes.end()),
            Bytes(kConnectRequest));

  Socks4Request named;
  named.command = Socks4Command::kBind;
  named.port = 21;
  named.host_name = "ftp.example";
  const std::string named_bytes = EncodeSocks4Request(named);
  EXPECT_EQ(std::vector<uint8_t>(named_bytes.begin(), named_bytes.end()),
            Bytes(kSocks4aBindRequest));

  Socks4RequestParser parser;
  ASSERT_OK_AND_ASSIGN(size_t used,
                       parser.Feed(absl::MakeConstSpan(
                           reinterpret_cast<const uint8_t*>(named_bytes.data()),
                           named_bytes.size())));
  EXPECT_EQ(used, named_bytes.size());
  EXPECT_EQ(parser.request().host_name, "ftp.example");
}

TEST(Socks4ReplyParseTest, DecodesWellFormedReplies) {
  for (Socks4ReplyCode code :
       {Socks4ReplyCode::kGranted, Socks4ReplyCode::kRejected,
        Socks4ReplyCode::kIdentUnreachable, Socks4ReplyCode::kIdentMismatch}) {
    const std::array<uint8_t, 8> bytes =
        EncodeSocks4Reply(code, 4321, *IpAddress::Parse("10.1.2.3"));
    ASSERT_OK_AND_ASSIGN(Socks4Reply reply, ParseSocks4Reply(bytes));
    EXPECT_EQ(reply.code, code);
    EXPECT_EQ(reply.port, 4321);
    EXPECT_EQ(reply.ip.ToString(), "10.1.2.3");
  }
}

// Classic 4.2 sockd sends its refusals with version 4: they are answers,
// not garbage (a garbled reply would make rsockd ask the next server).
TEST(Socks4ReplyParseTest, AcceptsVersionFourFromClassicServers) {
  for (uint8_t code : {90, 91, 92, 93}) {
    const std::array<uint8_t, 8> bytes = {4, code, 0x10, 0xe1, 10, 1, 2, 3};
    ASSERT_OK_AND_ASSIGN(Socks4Reply reply, ParseSocks4Reply(bytes));
    EXPECT_EQ(static_cast<uint8_t>(reply.code), code);
    EXPECT_EQ(reply.port, 4321);
    EXPECT_EQ(reply.ip.ToString(), "10.1.2.3");
  }
}

TEST(Socks4ReplyParseTest, GarbledRepliesAreDataLoss) {
  const std::array<uint8_t, 8> wrong_version = {5, 90, 0, 0, 0, 0, 0, 0};
  EXPECT_THAT(ParseSocks4Reply(wrong_version),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("garbled reply: version 5, code 90")));
  const std::array<uint8_t, 8> wrong_code = {0, 89, 0, 0, 0, 0, 0, 0};
  EXPECT_THAT(ParseSocks4Reply(wrong_code),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("code 89")));
  const std::array<uint8_t, 8> http = {'H', 'T', 'T', 'P', '/', '1', '.', '1'};
  EXPECT_THAT(ParseSocks4Reply(http),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("garbled")));
}

}  // namespace
}  // namespace rsockd::net
