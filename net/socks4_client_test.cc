#include "net/socks4_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "absl/time/time.h"
#include "testing/loopback.h"
#include "testing/status_matchers.h"

namespace rsockd::net {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::StatusIs;
using ::testing::HasSubstr;

Deadline Soon() { return Deadline::In(absl::Seconds(10)); }

Socks4Request ConnectRequest() {
  Socks4Request request;
  request.port = 80;
  request.host_name = "www.example.org";
  request.user_id = "ylee";
  return request;
}

// Reads what the client sent, as the upstream would.
std::string ReadRequest(Socket& upstream, size_t size) {
  std::string bytes(size, '\0');
  size_t have = 0;
  while (have < size) {
    absl::StatusOr<size_t> n = upstream.ReadSome(
        absl::MakeSpan(reinterpret_cast<uint8_t*>(bytes.data()) + have,
                       size - have),
        Soon());
    if (!n.ok() || *n == 0) break;
    have += *n;
  }
  bytes.resize(have);
  return bytes;
}

TEST(Socks4ExchangeTest, SendsTheRequestAndLeavesBytesAfterTheReply) {
  ASSERT_OK_AND_ASSIGN(testing::LoopbackPair pair, testing::MakeLoopbackPair());
  const std::array<uint8_t, 8> reply = EncodeSocks4Reply(
      Socks4ReplyCode::kGranted, 0, *IpAddress::Parse("0.0.0.0"));
  std::string answer(reply.begin(), reply.end());
  answer += "220 banner\r\n";
  ASSERT_THAT(pair.accepted.WriteAll(answer, Soon()), IsOk());

  ASSERT_OK_AND_ASSIGN(
      Socks4Reply got,
      Socks4Exchange(pair.connected, ConnectRequest(), Soon()));
  EXPECT_EQ(got.code, Socks4ReplyCode::kGranted);
  const std::string expected = EncodeSocks4Request(ConnectRequest());
  EXPECT_EQ(ReadRequest(pair.accepted, expected.size()), expected);

  // The banner is still there for the relay.
  std::array<uint8_t, 64> rest;
  ASSERT_OK_AND_ASSIGN(size_t n,
                       pair.connected.ReadSome(absl::MakeSpan(rest), Soon()));
  EXPECT_EQ(std::string(rest.begin(), rest.begin() + n), "220 banner\r\n");
}

TEST(Socks4ExchangeTest, ReplyInPiecesIsReassembled) {
  ASSERT_OK_AND_ASSIGN(testing::LoopbackPair pair, testing::MakeLoopbackPair());
  const std::array<uint8_t, 8> reply = EncodeSocks4Reply(
      Socks4ReplyCode::kRejected, 7, *IpAddress::Parse("10.0.0.1"));
  // Three writes; the reader must not return before it has all 8 bytes.
  ASSERT_THAT(
      pair.accepted.WriteAll(absl::MakeConstSpan(reply.data(), 1), Soon()),
      IsOk());
  ASSERT_THAT(
      pair.accepted.WriteAll(absl::MakeConstSpan(reply.data() + 1, 4), Soon()),
      IsOk());
  ASSERT_THAT(
      pair.accepted.WriteAll(absl::MakeConstSpan(reply.data() + 5, 3), Soon()),
      IsOk());
  ASSERT_OK_AND_ASSIGN(Socks4Reply got,
                       ReadSocks4Reply(pair.connected, Soon()));
  EXPECT_EQ(got.code, Socks4ReplyCode::kRejected);
  EXPECT_EQ(got.port, 7);
  EXPECT_EQ(got.ip.ToString(), "10.0.0.1");
}

TEST(Socks4ExchangeTest, CloseBeforeTheWholeReplyIsUnavailable) {
  ASSERT_OK_AND_ASSIGN(testing::LoopbackPair pair, testing::MakeLoopbackPair());
  const uint8_t partial[] = {0, 90, 0};
  ASSERT_THAT(pair.accepted.WriteAll(partial, Soon()), IsOk());
  pair.accepted = Socket();
  EXPECT_THAT(ReadSocks4Reply(pair.connected, Soon()),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("closed after 3 of 8 reply bytes")));
}

TEST(Socks4ExchangeTest, SilentServerHitsTheDeadline) {
  ASSERT_OK_AND_ASSIGN(testing::LoopbackPair pair, testing::MakeLoopbackPair());
  EXPECT_THAT(
      ReadSocks4Reply(pair.connected, Deadline::In(absl::Milliseconds(50))),
      StatusIs(absl::StatusCode::kDeadlineExceeded, ::testing::_));
}

}  // namespace
}  // namespace rsockd::net
