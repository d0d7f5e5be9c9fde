#include "net/socks5.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "rsockd/base/status_macros.h"
#include "testing/socks5_client.h"
#include "testing/status_matchers.h"

namespace rsockd::net {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Offers "no authentication" and username/password.
const uint8_t kGreeting[] = {
    0x05,        // VER
    0x02,        // NMETHODS
    0x00, 0x02,  // METHODS: no authentication, username/password
};

const uint8_t kUserPass[] = {
    0x01,                          // VER of the subnegotiation
    0x05,                          // ULEN
    'a',  'l', 'i', 'c', 'e',      // UNAME
    0x06,                          // PLEN
    's',  'e', 'c', 'r', 'e', 't'  // PASSWD
};

// CONNECT to 10.1.2.3:8080.
const uint8_t kConnectIPv4[] = {
    0x05,              // VER
    0x01,              // CMD: CONNECT
    0x00,              // RSV
    0x01,              // ATYP: IPv4
    10,   1,    2, 3,  // DST.ADDR
    0x1f, 0x90,        // DST.PORT 8080
};

// BIND for "ftp.example" port 21.
const uint8_t kBindName[] = {
    0x05,                                                     // VER
    0x02,                                                     // CMD: BIND
    0x00,                                                     // RSV
    0x03,                                                     // ATYP: name
    0x0b,                                                     // its length
    'f',  't',  'p', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e',  // DST.ADDR
    0x00, 0x15,                                               // DST.PORT 21
};

// UDP ASSOCIATE from [2001:db8::1]:443.
const uint8_t kUdpAssociateIPv6[] = {
    0x05,                                // VER
    0x03,                                // CMD: UDP ASSOCIATE
    0x00,                                // RSV
    0x04,                                // ATYP: IPv6
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,  // DST.ADDR
    0,    0,    0,    0,    0, 0, 0, 1,  //
    0x01, 0xbb,                          // DST.PORT 443
};

// CONNECT to [::ffff:127.0.0.1]:80, an IPv4-mapped address.
const uint8_t kConnectV4Mapped[] = {
    0x05, 0x01, 0x00,                      // VER CMD RSV
    0x04,                                  // ATYP: IPv6
    0,    0,    0,    0,    0,   0, 0, 0,  // DST.ADDR ::ffff:127.0.0.1
    0,    0,    0xff, 0xff, 127, 0, 0, 1,  //
    0x00, 0x50,                            // DST.PORT 80
};

// Connection refused, BND 192.0.2.7:1080.
const uint8_t kReplyRefused[] = {
    0x05,              // VER
    0x05,              // REP: connection refused
    0x00,              // RSV
    0x01,              // ATYP: IPv4
    192,  0,    2, 7,  // BND.ADDR
    0x04, 0x38,        // BND.PORT 1080
};

// Succeeded, BND "gw.example" port 1.
const uint8_t kReplyName[] = {
    0x05, 0x00, 0x00,                                     // VER REP RSV
    0x03,                                                 // ATYP: name
    0x0a,                                                 // its length
    'g',  'w',  '.',  'e', 'x', 'a', 'm', 'p', 'l', 'e',  // BND.ADDR
    0x00, 0x01,                                           // BND.PORT 1
};

std::string Wire(absl::Span<const uint8_t> bytes) {
  return std::string(bytes.begin(), bytes.end());
}

absl::Span<const uint8_t> Span(absl::string_view bytes) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(bytes.data()),
                             bytes.size());
}

// Feeds `pieces` in order; returns how many bytes went unused, or the first
// error.
absl::StatusOr<size_t> FeedPieces(Socks5Parser& parser,
                                  const std::vector<std::string>& pieces) {
  size_t unused = 0;
  for (const std::string& piece : pieces) {
    RSOCKD_ASSIGN_OR_RETURN(const size_t used, parser.Feed(Span(piece)));
    unused += piece.size() - used;
  }
  return unused;
}

template <typename Parser>
absl::StatusOr<size_t> FeedWhole(Parser& parser, absl::string_view wire) {
  return parser.Feed(Span(wire));
}

Socks5Address Address(absl::string_view ip, uint16_t port) {
  return Socks5Address{*IpAddress::Parse(ip), "", port};
}

Socks5Address Name(absl::string_view name, uint16_t port) {
  return Socks5Address{IpAddress(), std::string(name), port};
}

// --- Every valid message, whole and in pieces -------------------------------

// A valid message and how to decode it: a fresh parser fed `pieces`, which
// must complete the message with nothing left over, and the decoded message
// encoded again.
struct WireCase {
  std::string name;
  std::string wire;
  std::function<absl::StatusOr<std::string>(const std::vector<std::string>&)>
      decode_and_encode;
};

template <typename Parser, typename Encode>
auto DecodeAndEncode(Encode encode) {
  return [encode](const std::vector<std::string>& pieces)
             -> absl::StatusOr<std::string> {
    Parser parser;
    RSOCKD_ASSIGN_OR_RETURN(const size_t unused, FeedPieces(parser, pieces));
    if (!parser.done()) return absl::OutOfRangeError("not done");
    if (unused != 0) return absl::InternalError("bytes unused");
    return std::string(encode(parser));
  };
}

const auto kGreetingCodec =
    DecodeAndEncode<Socks5GreetingParser>([](const Socks5GreetingParser& p) {
      return EncodeSocks5Greeting(p.greeting().methods);
    });
const auto kMethodChoiceCodec = DecodeAndEncode<Socks5MethodChoiceParser>(
    [](const Socks5MethodChoiceParser& p) {
      return Wire(EncodeSocks5MethodChoice(p.method()));
    });
const auto kUserPassCodec =
    DecodeAndEncode<Socks5UserPassParser>([](const Socks5UserPassParser& p) {
      return EncodeSocks5UserPass(p.credentials());
    });
const auto kUserPassStatusCodec = DecodeAndEncode<Socks5UserPassStatusParser>(
    [](const Socks5UserPassStatusParser& p) {
      return Wire(EncodeSocks5UserPassStatus(p.status()));
    });
const auto kRequestCodec =
    DecodeAndEncode<Socks5RequestParser>([](const Socks5RequestParser& p) {
      return EncodeSocks5Request(p.request());
    });
const auto kReplyCodec = DecodeAndEncode<Socks5ReplyParser>(
    [](const Socks5ReplyParser& p) { return EncodeSocks5Reply(p.reply()); });

std::vector<WireCase> ValidMessages() {
  std::vector<WireCase> cases = {
      {"greeting", Wire(kGreeting), kGreetingCodec},
      {"method choice", Wire(EncodeSocks5MethodChoice(Socks5Method::kUserPass)),
       kMethodChoiceCodec},
      {"none acceptable",
       Wire(EncodeSocks5MethodChoice(Socks5Method::kNoneAcceptable)),
       kMethodChoiceCodec},
      {"username/password", Wire(kUserPass), kUserPassCodec},
      {"status success",
       Wire(EncodeSocks5UserPassStatus(kSocks5UserPassSuccess)),
       kUserPassStatusCodec},
      {"status failure",
       Wire(EncodeSocks5UserPassStatus(kSocks5UserPassFailure)),
       kUserPassStatusCodec},
      {"CONNECT IPv4", Wire(kConnectIPv4), kRequestCodec},
      {"BIND name", Wire(kBindName), kRequestCodec},
      {"UDP ASSOCIATE IPv6", Wire(kUdpAssociateIPv6), kRequestCodec},
      {"reply refused", Wire(kReplyRefused), kReplyCodec},
      {"reply name", Wire(kReplyName), kReplyCodec},
  };
  // The largest of each.
  std::string methods;
  for (int m = 0; m < 255; ++m) methods.push_back(static_cast<char>(m));
  cases.push_back({"255 methods", "\x05\xff" + methods, kGreetingCodec});
  const std::string long_user(255, 'u');
  const std::string long_password(255, 'p');
  cases.push_back({"255/255 user/password",
                   absl::StrCat("\x01\xff", long_user, "\xff", long_password),
                   kUserPassCodec});
  const std::string long_name(255, 'n');
  cases.push_back({"request with a 255-byte name",
                   absl::StrCat(absl::string_view("\x05\x01\x00\x03\xff", 5),
                                long_name, "\x01\xbb"),
                   kRequestCodec});
  cases.push_back({"reply with a 255-byte name",
                   absl::StrCat(absl::string_view("\x05\x00\x00\x03\xff", 5),
                                long_name, "\x01\xbb"),
                   kReplyCodec});
  for (uint8_t code = 0; code <= 8; ++code) {
    cases.push_back({absl::StrCat("reply REP ", code),
                     EncodeSocks5Reply({static_cast<Socks5ReplyCode>(code),
                                        Address("2001:db8::7", 65535)}),
                     kReplyCodec});
  }
  return cases;
}

TEST(Socks5CodecTest, EveryMessageDecodesAndEncodesBackToItsBytes) {
  for (const WireCase& c : ValidMessages()) {
    EXPECT_THAT(c.decode_and_encode({c.wire}),
                ::rsockd::testing::IsOkAndHolds(c.wire))
        << c.name;
  }
}

TEST(Socks5CodecTest, EveryMessageFedOneByteAtATime) {
  for (const WireCase& c : ValidMessages()) {
    std::vector<std::string> bytes;
    for (char byte : c.wire) bytes.push_back(std::string(1, byte));
    EXPECT_THAT(c.decode_and_encode(bytes),
                ::rsockd::testing::IsOkAndHolds(c.wire))
        << c.name;
  }
}

TEST(Socks5CodecTest, EveryMessageSplitAtEveryOffset) {
  for (const WireCase& c : ValidMessages()) {
    for (size_t split = 0; split <= c.wire.size(); ++split) {
      EXPECT_THAT(
          c.decode_and_encode({c.wire.substr(0, split), c.wire.substr(split)}),
          ::rsockd::testing::IsOkAndHolds(c.wire))
          << c.name << " split at " << split;
    }
  }
}

TEST(Socks5CodecTest, NoMessageIsCompleteBeforeItsLastByte) {
  for (const WireCase& c : ValidMessages()) {
    EXPECT_THAT(c.decode_and_encode({c.wire.substr(0, c.wire.size() - 1)}),
                StatusIs(absl::StatusCode::kOutOfRange, "not done"))
        << c.name;
  }
}

// The parser stops at the end of its message: what follows (the next
// message, pipelined, or data for the relay) is the caller's.
TEST(Socks5ParserTest, StopsAtTheEndOfTheMessage) {
  const std::string early = "GET / HTTP/1.0\r\n\r\n";
  Socks5GreetingParser greeting;
  ASSERT_OK_AND_ASSIGN(size_t used,
                       FeedWhole(greeting, Wire(kGreeting) + early));
  EXPECT_EQ(used, sizeof(kGreeting));
  Socks5RequestParser request;
  ASSERT_OK_AND_ASSIGN(used, FeedWhole(request, Wire(kBindName) + early));
  EXPECT_EQ(used, sizeof(kBindName));
  EXPECT_TRUE(request.done());
}

// A reader that asks for no more than bytes_wanted() never reads past the
// message, whatever its type.
TEST(Socks5ParserTest, BytesWantedNeverReachesPastTheMessage) {
  for (const std::string& wire :
       {Wire(kReplyRefused), Wire(kReplyName),
        EncodeSocks5Reply(
            {Socks5ReplyCode::kSucceeded, Address("2001:db8::1", 443)})}) {
    const std::string stream = wire + "after";
    Socks5ReplyParser parser;
    size_t offset = 0;
    while (parser.bytes_wanted() > 0) {
      const size_t want = parser.bytes_wanted();
      ASSERT_LE(offset + want, wire.size());
      ASSERT_OK_AND_ASSIGN(size_t used,
                           parser.Feed(Span(stream).subspan(offset, want)));
      EXPECT_EQ(used, want);
      offset += used;
    }
    EXPECT_TRUE(parser.done());
    EXPECT_EQ(offset, wire.size());
  }
}

// --- Decoded fields ---------------------------------------------------------

TEST(Socks5GreetingParserTest, KeepsTheMethodsInTheClientsOrder) {
  Socks5GreetingParser parser;
  ASSERT_OK_AND_ASSIGN(size_t used, FeedWhole(parser, Wire(kGreeting)));
  EXPECT_EQ(used, sizeof(kGreeting));
  EXPECT_THAT(parser.greeting().methods,
              ElementsAre(Socks5Method::kNoAuth, Socks5Method::kUserPass));
  EXPECT_TRUE(parser.greeting().Offers(Socks5Method::kUserPass));
  EXPECT_FALSE(parser.greeting().Offers(Socks5Method::kGssapi));
}

TEST(Socks5UserPassParserTest, DecodesUserAndPassword) {
  Socks5UserPassParser parser;
  ASSERT_THAT(FeedWhole(parser, Wire(kUserPass)), IsOk());
  EXPECT_EQ(parser.credentials(), (Socks5Credentials{"alice", "secret"}));
}

TEST(Socks5RequestParserTest, DecodesEachAddressType) {
  Socks5RequestParser ipv4;
  ASSERT_THAT(FeedWhole(ipv4, Wire(kConnectIPv4)), IsOk());
  EXPECT_EQ(ipv4.request(), (Socks5Request{Socks5Command::kConnect,
                                           Address("10.1.2.3", 8080)}));
  EXPECT_EQ(ipv4.request().destination.type(), Socks5AddressType::kIPv4);

  Socks5RequestParser name;
  ASSERT_THAT(FeedWhole(name, Wire(kBindName)), IsOk());
  EXPECT_EQ(name.request(),
            (Socks5Request{Socks5Command::kBind, Name("ftp.example", 21)}));
  EXPECT_EQ(name.request().destination.type(), Socks5AddressType::kHostName);

  Socks5RequestParser ipv6;
  ASSERT_THAT(FeedWhole(ipv6, Wire(kUdpAssociateIPv6)), IsOk());
  EXPECT_EQ(ipv6.request(), (Socks5Request{Socks5Command::kUdpAssociate,
                                           Address("2001:db8::1", 443)}));
  EXPECT_EQ(ipv6.request().destination.type(), Socks5AddressType::kIPv6);
}

// `::ffff:127.0.0.1` is 127.0.0.1: rules on IPv4 addresses must judge it so.
TEST(Socks5RequestParserTest, NormalisesAnIPv4MappedAddressToIPv4) {
  Socks5RequestParser parser;
  ASSERT_THAT(FeedWhole(parser, Wire(kConnectV4Mapped)), IsOk());
  EXPECT_EQ(parser.request().destination, Address("127.0.0.1", 80));
  EXPECT_TRUE(parser.request().destination.ip.is_ipv4());
  EXPECT_EQ(EncodeSocks5Request(parser.request()),
            Wire({0x05, 0x01, 0x00, 0x01, 127, 0, 0, 1, 0x00, 0x50}));
}

TEST(Socks5ReplyParserTest, DecodesAddressAndName) {
  Socks5ReplyParser refused;
  ASSERT_THAT(FeedWhole(refused, Wire(kReplyRefused)), IsOk());
  EXPECT_EQ(refused.reply(), (Socks5Reply{Socks5ReplyCode::kConnectionRefused,
                                          Address("192.0.2.7", 1080)}));
  Socks5ReplyParser named;
  ASSERT_THAT(FeedWhole(named, Wire(kReplyName)), IsOk());
  EXPECT_EQ(named.reply(),
            (Socks5Reply{Socks5ReplyCode::kSucceeded, Name("gw.example", 1)}));
}

TEST(Socks5ReplyParserTest, IgnoresReservedByte) {
  std::string wire = Wire(kReplyRefused);
  wire[2] = '\x7f';
  Socks5ReplyParser parser;
  ASSERT_THAT(FeedWhole(parser, wire), IsOk());
  EXPECT_EQ(parser.reply().code, Socks5ReplyCode::kConnectionRefused);
}

TEST(Socks5UserPassStatusParserTest, AcceptsVersionOneOrFive) {
  for (const char* wire : {"\x01\x00", "\x05\x00"}) {
    Socks5UserPassStatusParser parser;
    ASSERT_THAT(FeedWhole(parser, absl::string_view(wire, 2)), IsOk());
    EXPECT_EQ(parser.status(), kSocks5UserPassSuccess);
  }
  Socks5UserPassStatusParser refused;
  ASSERT_THAT(FeedWhole(refused, "\x01\x02"), IsOk());
  EXPECT_EQ(refused.status(), 2);
}

// --- Malformed messages -----------------------------------------------------

// Malformed greetings are closed without a reply; the parser says so with
// an error, distinct from waiting for more bytes.
TEST(Socks5GreetingParserTest, RejectsMalformedGreetings) {
  Socks5GreetingParser no_methods;
  EXPECT_THAT(FeedWhole(no_methods, absl::string_view("\x05\x00", 2)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "SOCKS5 greeting: no methods offered (NMETHODS 0)"));
  Socks5GreetingParser version;
  EXPECT_THAT(FeedWhole(version, Wire({0x04, 0x01, 0x00})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "SOCKS5 greeting: version 4, not 5"));
}

TEST(Socks5ParserTest, TruncatedMessageIsMalformedAtEndOfInput) {
  Socks5GreetingParser greeting;
  ASSERT_OK_AND_ASSIGN(size_t used,
                       FeedWhole(greeting, Wire({0x05, 0x03, 0x00})));
  EXPECT_EQ(used, 3u);
  EXPECT_FALSE(greeting.done());
  EXPECT_EQ(greeting.bytes_wanted(), 2u);
  EXPECT_THAT(greeting.EndOfInput(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "SOCKS5 greeting: truncated after 3 of at least 5 "
                       "bytes"));

  Socks5UserPassParser user_pass;
  ASSERT_THAT(FeedWhole(user_pass, Wire(kUserPass).substr(0, 8)), IsOk());
  EXPECT_THAT(user_pass.EndOfInput(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("RFC 1929 request: truncated")));

  Socks5RequestParser request;
  ASSERT_THAT(FeedWhole(request, ""), IsOk());
  EXPECT_THAT(request.EndOfInput(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "SOCKS5 request: truncated after 0 of at least 1 "
                       "bytes"));
  EXPECT_EQ(request.error_reply(), Socks5ReplyCode::kGeneralFailure);
}

TEST(Socks5ParserTest, EndOfInputAfterACompleteMessageIsOk) {
  Socks5RequestParser parser;
  ASSERT_THAT(FeedWhole(parser, Wire(kConnectIPv4)), IsOk());
  EXPECT_THAT(parser.EndOfInput(), IsOk());
  EXPECT_EQ(parser.bytes_wanted(), 0u);
}

TEST(Socks5ParserTest, AnErrorSticks) {
  Socks5RequestParser parser;
  const absl::StatusOr<size_t> first = FeedWhole(parser, "\x05\x01\x01\x01");
  ASSERT_THAT(first, Not(IsOk()));
  EXPECT_EQ(FeedWhole(parser, Wire(kConnectIPv4)).status(), first.status());
  EXPECT_EQ(parser.EndOfInput(), first.status());
  EXPECT_EQ(parser.bytes_wanted(), 0u);
  EXPECT_FALSE(parser.done());
}

TEST(Socks5UserPassParserTest, RejectsMalformedRequests) {
  const struct {
    std::string wire;
    std::string error;
  } kCases[] = {
      {Wire({0x05, 0x01, 'u', 0x01, 'p'}),
       "RFC 1929 request: version 5, not 1"},
      {Wire({0x01, 0x00, 0x01, 'p'}), "RFC 1929 request: empty user name"},
      {Wire({0x01, 0x01, 'u', 0x00}), "RFC 1929 request: empty password"},
      {Wire({0x01, 0x02, 'u', 0x00, 0x01, 'p'}),
       "RFC 1929 request: NUL in the user name"},
      {Wire({0x01, 0x01, 'u', 0x02, 0x00, 'p'}),
       "RFC 1929 request: NUL in the password"},
  };
  for (const auto& c : kCases) {
    Socks5UserPassParser parser;
    EXPECT_THAT(FeedWhole(parser, c.wire),
                StatusIs(absl::StatusCode::kInvalidArgument, c.error));
  }
}

TEST(Socks5UserPassParserTest, ErrorsNeverQuoteThePassword) {
  Socks5UserPassParser parser;
  const absl::StatusOr<size_t> result = FeedWhole(
      parser, Wire({0x01, 0x01, 'u', 0x07, 'h', 'u', 'n', 't', 'e', 'r', 0}));
  ASSERT_THAT(result, Not(IsOk()));
  EXPECT_THAT(std::string(result.status().message()), Not(HasSubstr("hunter")));
}

// RSV not 0, a name of length 0 or with a NUL, a wrong version: REP 01.
TEST(Socks5RequestParserTest, MalformedRequestsGetGeneralFailure) {
  const struct {
    std::string wire;
    std::string error;
  } kCases[] = {
      {Wire({0x05, 0x01, 0x01, 0x01, 10, 1, 2, 3, 0, 80}),
       "SOCKS5 request: RSV 1, not 0"},
      {Wire({0x05, 0x01, 0x00, 0x03, 0x00, 0, 80}),
       "SOCKS5 request: empty host name"},
      {Wire({0x05, 0x01, 0x00, 0x03, 0x03, 'a', 0, 'b', 0, 80}),
       "SOCKS5 request: NUL in the host name"},
      {Wire({0x04, 0x01, 0x00, 0x01, 10, 1, 2, 3, 0, 80}),
       "SOCKS5 request: version 4, not 5"},
  };
  for (const auto& c : kCases) {
    Socks5RequestParser parser;
    EXPECT_THAT(FeedWhole(parser, c.wire),
                StatusIs(absl::StatusCode::kInvalidArgument, c.error));
    EXPECT_EQ(parser.error_reply(), Socks5ReplyCode::kGeneralFailure)
        << c.error;
  }
}

TEST(Socks5RequestParserTest, UnknownCommandGetsCommandNotSupported) {
  for (uint8_t command : {0x00, 0x04, 0xff}) {
    Socks5RequestParser parser;
    // The rest of the request need not arrive.
    EXPECT_THAT(
        FeedWhole(parser, Wire({0x05, command, 0x00, 0x01})),
        StatusIs(absl::StatusCode::kUnimplemented,
                 absl::StrCat("SOCKS5 request: unknown command ", command)));
    EXPECT_EQ(parser.error_reply(), Socks5ReplyCode::kCommandNotSupported);
  }
}

TEST(Socks5RequestParserTest, UnknownAddressTypeGetsAddressTypeNotSupported) {
  for (uint8_t type : {0x00, 0x02, 0x05, 0xff}) {
    Socks5RequestParser parser;
    EXPECT_THAT(
        FeedWhole(parser, Wire({0x05, 0x01, 0x00, type})),
        StatusIs(absl::StatusCode::kUnimplemented,
                 absl::StrCat("SOCKS5 request: unknown address type ", type)));
    EXPECT_EQ(parser.error_reply(), Socks5ReplyCode::kAddressTypeNotSupported);
  }
}

// What an upstream sends that is not SOCKS5 is its fault: DataLoss.
TEST(Socks5ReplyParserTest, GarbledRepliesAreDataLoss) {
  const struct {
    std::string wire;
    std::string error;
  } kCases[] = {
      {Wire({0x00, 0x5a, 0x00, 0x01, 0, 0, 0, 0, 0, 0}),
       "SOCKS5 reply: version 0, not 5"},
      {Wire({0x05, 0x09, 0x00, 0x01, 0, 0, 0, 0, 0, 0}),
       "SOCKS5 reply: unknown REP 9"},
      {Wire({0x05, 0x00, 0x00, 0x02}), "SOCKS5 reply: unknown address type 2"},
      {Wire({0x05, 0x00, 0x00, 0x03, 0x00}), "SOCKS5 reply: empty host name"},
      {Wire({0x05, 0x00, 0x00, 0x03, 0x01, 0x00, 0, 1}),
       "SOCKS5 reply: NUL in the host name"},
  };
  for (const auto& c : kCases) {
    Socks5ReplyParser parser;
    EXPECT_THAT(FeedWhole(parser, c.wire),
                StatusIs(absl::StatusCode::kDataLoss, c.error));
  }
}

TEST(Socks5MethodChoiceParserTest, WrongVersionIsDataLoss) {
  Socks5MethodChoiceParser parser;
  EXPECT_THAT(FeedWhole(parser, absl::string_view("\x01\x00", 2)),
              StatusIs(absl::StatusCode::kDataLoss,
                       "SOCKS5 method choice: version 1, not 5"));
}

TEST(Socks5UserPassStatusParserTest, OtherVersionIsDataLoss) {
  Socks5UserPassStatusParser parser;
  EXPECT_THAT(FeedWhole(parser, absl::string_view("\x04\x00", 2)),
              StatusIs(absl::StatusCode::kDataLoss,
                       "RFC 1929 status: version 4, not 1 (or 5)"));
}

// --- Encoders, credentials, reply texts -------------------------------------

TEST(Socks5EncodeTest, WireBytes) {
  EXPECT_EQ(
      EncodeSocks5Greeting({Socks5Method::kNoAuth, Socks5Method::kUserPass}),
      Wire(kGreeting));
  EXPECT_EQ(EncodeSocks5UserPass({"alice", "secret"}), Wire(kUserPass));
  EXPECT_EQ(
      EncodeSocks5Request({Socks5Command::kConnect, Address("10.1.2.3", 8080)}),
      Wire(kConnectIPv4));
  EXPECT_EQ(
      EncodeSocks5Request({Socks5Command::kBind, Name("ftp.example", 21)}),
      Wire(kBindName));
  EXPECT_EQ(EncodeSocks5Reply({Socks5ReplyCode::kConnectionRefused,
                               Address("192.0.2.7", 1080)}),
            Wire(kReplyRefused));
  EXPECT_EQ(Wire(EncodeSocks5MethodChoice(Socks5Method::kNoneAcceptable)),
            Wire({0x05, 0xff}));
  EXPECT_EQ(Wire(EncodeSocks5UserPassStatus(kSocks5UserPassFailure)),
            Wire({0x01, 0x01}));
}

// The test client in testing/ is written separately from the RFCs: both
// must agree on every byte.
TEST(Socks5EncodeTest, AgreesWithTheIndependentTestClient) {
  namespace tc = ::rsockd::testing;
  EXPECT_EQ(
      EncodeSocks5Greeting({Socks5Method::kNoAuth, Socks5Method::kUserPass}),
      tc::Socks5Greeting({tc::kSocks5MethodNoAuth, tc::kSocks5MethodUserPass}));
  EXPECT_EQ(EncodeSocks5UserPass({"alice", "secret"}),
            tc::Socks5UserPassRequest("alice", "secret"));
  const SocketAddress v6(*IpAddress::Parse("2001:db8::1"), 443);
  EXPECT_EQ(EncodeSocks5Request(
                {Socks5Command::kUdpAssociate, Address("2001:db8::1", 443)}),
            tc::Socks5Request(tc::kSocks5CommandUdpAssociate,
                              tc::Socks5Address::FromSocketAddress(v6)));
  EXPECT_EQ(EncodeSocks5Request({Socks5Command::kBind, Name("h.x", 21)}),
            tc::Socks5Request(tc::kSocks5CommandBind,
                              tc::Socks5Address::FromName("h.x", 21)));
  // A 256-byte name is one the test client can only send with length 0.
  Socks5RequestParser parser;
  EXPECT_THAT(
      FeedWhole(parser, tc::Socks5Request(tc::kSocks5CommandConnect,
                                          tc::Socks5Address::FromName(
                                              std::string(256, 'n'), 80))),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
}

TEST(ValidateSocks5CredentialsTest, AcceptsWhatRfc1929Carries) {
  EXPECT_THAT(ValidateSocks5Credentials({"a", "b"}), IsOk());
  EXPECT_THAT(
      ValidateSocks5Credentials({std::string(255, 'u'), std::string(255, 'p')}),
      IsOk());
}

TEST(ValidateSocks5CredentialsTest, RefusesWithoutQuoting) {
  EXPECT_THAT(ValidateSocks5Credentials({"", "b"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "the user name must be 1 to 255 bytes long"));
  EXPECT_THAT(ValidateSocks5Credentials({"a", std::string(256, 'p')}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "the password must be 1 to 255 bytes long"));
  EXPECT_THAT(ValidateSocks5Credentials({"a", std::string("se\0cret", 7)}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "the password must not contain NUL"));
  EXPECT_THAT(ValidateSocks5Credentials({std::string("a\0", 2), "b"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "the user name must not contain NUL"));
}

TEST(Socks5ReplyCodeTextTest, NamesEveryCode) {
  const char* kTexts[] = {
      "succeeded",
      "general SOCKS server failure",
      "connection not allowed by ruleset",
      "network unreachable",
      "host unreachable",
      "connection refused",
      "TTL expired",
      "command not supported",
      "address type not supported",
  };
  for (uint8_t code = 0; code <= 8; ++code) {
    EXPECT_EQ(Socks5ReplyCodeText(static_cast<Socks5ReplyCode>(code)),
              kTexts[code]);
  }
  EXPECT_EQ(Socks5ReplyCodeText(static_cast<Socks5ReplyCode>(9)), "unassigned");
}

}  // namespace
}  // namespace rsockd::net
