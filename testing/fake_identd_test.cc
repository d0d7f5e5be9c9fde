#include "testing/fake_identd.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "net/deadline.h"
#include "net/socket.h"
#include "testing/socket_io.h"
#include "testing/status_matchers.h"

namespace rsockd::testing {
namespace {

using ::testing::ElementsAre;

constexpr absl::Duration kTimeout = absl::Seconds(10);

net::Deadline Soon() { return net::Deadline::In(kTimeout); }

TEST(FakeIdentdTest, DefaultScriptAnswersUseridForTheQueriedPorts) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<FakeIdentd> identd, FakeIdentd::Start());
  ASSERT_OK_AND_ASSIGN(net::Socket client,
                       ConnectTcp(identd->address(), kTimeout));
  ASSERT_THAT(client.WriteAll("4321 , 1080\r\n", Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(ReadToCloseResult reply,
                       ReadUntilClosed(client, Soon()));
  EXPECT_EQ(reply.data, "4321 , 1080 : USERID : UNIX : ylee\r\n");
  EXPECT_THAT(identd->queries(), ElementsAre("4321 , 1080\r\n"));
  EXPECT_EQ(identd->connections(), 1);
}

TEST(FakeIdentdTest, AnswerSendsScriptedBytesInChunks) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<FakeIdentd> identd, FakeIdentd::Start());
  identd->Answer(
      [](uint16_t client_port, uint16_t server_port) {
        return absl::StrCat(client_port, ",", server_port,
                            ":ERROR:NO-USER\r\n");
      },
      /*chunk_size=*/3);
  ASSERT_OK_AND_ASSIGN(net::Socket client,
                       ConnectTcp(identd->address(), kTimeout));
  ASSERT_THAT(client.WriteAll("7,8\n", Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(ReadToCloseResult reply,
                       ReadUntilClosed(client, Soon()));
  EXPECT_EQ(reply.data, "7,8:ERROR:NO-USER\r\n");
}

TEST(FakeIdentdTest, UnparseableQueryGetsZeroPorts) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<FakeIdentd> identd, FakeIdentd::Start());
  ASSERT_OK_AND_ASSIGN(net::Socket client,
                       ConnectTcp(identd->address(), kTimeout));
  ASSERT_THAT(client.WriteAll("hello\r\n", Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(ReadToCloseResult reply,
                       ReadUntilClosed(client, Soon()));
  EXPECT_EQ(reply.data, "0 , 0 : USERID : UNIX : ylee\r\n");
  EXPECT_THAT(identd->queries(), ElementsAre("hello\r\n"));
}

TEST(FakeIdentdTest, CloseRecordsQueryAndClosesWithoutAnswer) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<FakeIdentd> identd, FakeIdentd::Start());
  identd->Close();
  ASSERT_OK_AND_ASSIGN(net::Socket client,
                       ConnectTcp(identd->address(), kTimeout));
  ASSERT_THAT(client.WriteAll("1 , 2\r\n", Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(ReadToCloseResult reply,
                       ReadUntilClosed(client, Soon()));
  EXPECT_EQ(reply.data, "");
  EXPECT_THAT(identd->queries(), ElementsAre("1 , 2\r\n"));
}

TEST(FakeIdentdTest, BlackHoleNeverAnswersAndDestructorStopsPromptly) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<FakeIdentd> identd, FakeIdentd::Start());
  identd->BlackHole();
  ASSERT_OK_AND_ASSIGN(net::Socket client,
                       ConnectTcp(identd->address(), kTimeout));
  ASSERT_THAT(client.WriteAll("1 , 2\r\n", Soon()), IsOk());
  ASSERT_THAT(identd->WaitForQueries(1, kTimeout), IsOk());
  uint8_t byte;
  EXPECT_THAT(client.ReadSome(absl::MakeSpan(&byte, 1),
                              net::Deadline::In(absl::Milliseconds(200))),
              StatusIs(absl::StatusCode::kDeadlineExceeded, ::testing::_));
  // The connection is still open: the destructor must not wait for it.
  const absl::Time start = absl::Now();
  identd.reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  ASSERT_OK_AND_ASSIGN(ReadToCloseResult reply,
                       ReadUntilClosed(client, Soon()));
  EXPECT_EQ(reply.data, "");
}

TEST(FakeIdentdTest, ListensOnGivenLoopbackAddress) {
  const net::IpAddress ip = *net::IpAddress::Parse("127.0.0.9");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<FakeIdentd> identd,
                       FakeIdentd::Start(ip));
  EXPECT_EQ(identd->address().ip(), ip);
  ASSERT_OK_AND_ASSIGN(net::Socket client,
                       ConnectTcp(identd->address(), kTimeout));
  ASSERT_THAT(identd->WaitForConnections(1, kTimeout), IsOk());
}

TEST(FakeIdentdTest, CountsConnections) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<FakeIdentd> identd, FakeIdentd::Start());
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(net::Socket client,
                         ConnectTcp(identd->address(), kTimeout));
    ASSERT_THAT(client.WriteAll(absl::StrCat(i, " , 1\r\n"), Soon()), IsOk());
    ASSERT_OK_AND_ASSIGN(ReadToCloseResult reply,
                         ReadUntilClosed(client, Soon()));
  }
  EXPECT_EQ(identd->connections(), 3);
  EXPECT_THAT(identd->queries(),
              ElementsAre("0 , 1\r\n", "1 , 1\r\n", "2 , 1\r\n"));
}

}  // namespace
}  // namespace rsockd::testing
