#include "ident/ident_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/socket.h"
#include "testing/fake_identd.h"
#include "testing/socket_io.h"
#include "testing/status_matchers.h"

namespace rsockd::ident {
namespace {

using ::rsockd::testing::FakeIdentd;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::IsOkAndHolds;
using ::rsockd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The connection asked about: client 127.0.0.1:6193 -> rsockd 127.0.0.1:1080.
constexpr uint16_t kClientPort = 6193;
constexpr uint16_t kServerPort = 1080;

class IdentClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<FakeIdentd>> identd = FakeIdentd::Start();
    ASSERT_THAT(identd, IsOk());
    identd_ = *std::move(identd);
  }

  IdentQuery Query(absl::Duration timeout = absl::Seconds(10)) const {
    IdentQuery query;
    query.client = testing::LoopbackAddress(kClientPort);
    query.server = testing::LoopbackAddress(kServerPort);
    query.identd_port = identd_->port();
    query.timeout = timeout;
    return query;
  }

  // Makes the fake answer `reply` to every query.
  void AnswerWith(std::string reply, size_t chunk_size = 0) {
    identd_->Answer([reply](uint16_t, uint16_t) { return reply; }, chunk_size);
  }

  std::unique_ptr<FakeIdentd> identd_;
};

TEST_F(IdentClientTest, ReturnsUserIdOfGoodAnswer) {
  EXPECT_EQ(*QueryIdent(Query()), "ylee");
}

TEST_F(IdentClientTest, SendsClientPortCommaServerPortCrLf) {
  ASSERT_THAT(QueryIdent(Query()), IsOk());
  EXPECT_THAT(identd_->queries(), ElementsAre("6193 , 1080\r\n"));
  EXPECT_EQ(identd_->connections(), 1);
}

TEST_F(IdentClientTest, AcceptsCharsetAndIdWithColons) {
  AnswerWith("6193 , 1080 : USERID : OTHER , OCTET :  a:b \r\n");
  EXPECT_EQ(*QueryIdent(Query()), "a:b");
}

TEST_F(IdentClientTest, ErrorReplyIsUnavailable) {
  AnswerWith("6193 , 1080 : ERROR : NO-USER\r\n");
  EXPECT_THAT(QueryIdent(Query()),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("identd on 127.0.0.1:"),
                             HasSubstr("ERROR : NO-USER"))));
}

TEST_F(IdentClientTest, WrongPortsAreUnavailable) {
  AnswerWith("1080 , 6193 : USERID : UNIX : ylee\r\n");
  EXPECT_THAT(QueryIdent(Query()),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("ports 1080,6193 do not match 6193,1080")));
}

TEST_F(IdentClientTest, GarbageIsUnavailable) {
  AnswerWith("SSH-2.0-OpenSSH_9.2\r\n");
  EXPECT_THAT(QueryIdent(Query()), StatusIs(absl::StatusCode::kUnavailable,
                                            HasSubstr("malformed reply")));
}

TEST_F(IdentClientTest, CloseWithoutAnswerIsUnavailable) {
  identd_->Close();
  EXPECT_THAT(QueryIdent(Query()),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("closed before a complete reply line")));
}

TEST_F(IdentClientTest, ReplyWithoutNewlineBeforeCloseIsUnavailable) {
  AnswerWith("6193 , 1080 : USERID : UNIX : ylee");
  EXPECT_THAT(QueryIdent(Query()),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("closed before a complete reply line (34 "
                                 "bytes received)")));
}

TEST_F(IdentClientTest, BlackHoleTimesOutWithinBudget) {
  identd_->BlackHole();
  const absl::Time start = absl::Now();
  EXPECT_THAT(
      QueryIdent(Query(absl::Milliseconds(300))),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("reading the reply")));
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_GE(elapsed, absl::Milliseconds(250));
  EXPECT_LT(elapsed, absl::Seconds(1));
}

TEST_F(IdentClientTest, StopSignalEndsQueryAtOnce) {
  identd_->BlackHole();
  net::StopSignal stop;
  stop.Notify();
  IdentQuery query = Query(absl::Seconds(30));
  query.stop = &stop;
  const absl::Time start = absl::Now();
  EXPECT_THAT(QueryIdent(query),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("identd")));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(IdentClientTest, ReassemblesReplySplitIntoSmallWrites) {
  AnswerWith("6193 , 1080 : USERID : UNIX , US-ASCII : ylee\r\n",
             /*chunk_size=*/1);
  EXPECT_EQ(*QueryIdent(Query()), "ylee");
  AnswerWith("6193 , 1080 : USERID : UNIX : ylee\r\n", /*chunk_size=*/7);
  EXPECT_EQ(*QueryIdent(Query()), "ylee");
}

TEST_F(IdentClientTest, IgnoresBytesAfterTheFirstLine) {
  AnswerWith("6193 , 1080 : USERID : UNIX : ylee\r\nmore junk\r\n");
  EXPECT_EQ(*QueryIdent(Query()), "ylee");
}

TEST_F(IdentClientTest, LineOfMaximalLengthIsAccepted) {
  std::string reply = "6193 , 1080 : USERID : UNIX : ";
  reply.append(kMaxIdentLineBytes - reply.size() - 2, 'u');
  reply.append("\r\n");
  ASSERT_EQ(reply.size(), kMaxIdentLineBytes);
  AnswerWith(reply);
  ASSERT_OK_AND_ASSIGN(std::string user, QueryIdent(Query()));
  EXPECT_EQ(user.size(), kMaxIdentLineBytes - 32);
}

TEST_F(IdentClientTest, LineLongerThanLimitIsUnavailable) {
  AnswerWith(std::string(kMaxIdentLineBytes + 1, 'x'));
  EXPECT_THAT(QueryIdent(Query()),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("longer than 1000 bytes")));
  // Also when the newline comes just too late, and in small pieces.
  std::string reply = "6193 , 1080 : USERID : UNIX : ";
  reply.append(kMaxIdentLineBytes - reply.size() - 1, 'u');
  reply.append("\r\n");
  AnswerWith(reply, /*chunk_size=*/100);
  EXPECT_THAT(QueryIdent(Query()),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("longer than 1000 bytes")));
}

TEST_F(IdentClientTest, FloodWithoutNewlineIsCutOffAtLimit) {
  AnswerWith(std::string(1 << 20, 'x'), /*chunk_size=*/4096);
  EXPECT_THAT(QueryIdent(Query()),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("longer than 1000 bytes")));
}

TEST_F(IdentClientTest, RefusedPortIsUnavailable) {
  ASSERT_OK_AND_ASSIGN(net::Socket closed, testing::ReserveClosedPort());
  ASSERT_OK_AND_ASSIGN(net::SocketAddress closed_address,
                       closed.LocalAddress());
  IdentQuery query = Query();
  query.identd_port = closed_address.port();
  EXPECT_THAT(QueryIdent(query),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr(absl::StrCat("identd on ",
                                                    closed_address.ToString())),
                             HasSubstr("cannot connect"))));
  EXPECT_EQ(identd_->connections(), 0);
}

// The identd lives on the client's IP, and is asked from rsockd's side of
// the connection: another loopback address, or (docs/ident.md) the IPv6
// ones, for a client that came over IPv6.
TEST(IdentClientAddressTest, QueriesClientIpFromServerIp) {
  struct Case {
    const char* client;
    const char* server;
  };
  for (const Case& c : {Case{"127.0.0.9", "127.0.0.5"}, Case{"::1", "::1"}}) {
    SCOPED_TRACE(c.client);
    const net::IpAddress client_ip = *net::IpAddress::Parse(c.client);
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<FakeIdentd> identd,
                         FakeIdentd::Start(client_ip));
    IdentQuery query;
    query.client = net::SocketAddress(client_ip, 40000);
    query.server = net::SocketAddress(*net::IpAddress::Parse(c.server), 1080);
    query.identd_port = identd->port();
    query.timeout = absl::Seconds(10);
    EXPECT_THAT(QueryIdent(query), IsOkAndHolds("ylee"));
    EXPECT_THAT(identd->queries(), ElementsAre("40000 , 1080\r\n"));
  }
}

}  // namespace
}  // namespace rsockd::ident
