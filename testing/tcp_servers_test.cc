#include "testing/tcp_servers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "testing/sha256.h"
#include "testing/socket_io.h"
#include "testing/status_matchers.h"

namespace rsockd::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr absl::Duration kTimeout = absl::Seconds(60);

net::Deadline Soon() { return net::Deadline::In(kTimeout); }

TEST(EchoServerTest, EchoesEveryByteAndHalfClosesOnEof) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  EXPECT_NE(echo->port(), 0);
  ASSERT_OK_AND_ASSIGN(net::Socket client,
                       ConnectTcp(echo->address(), kTimeout));
  const std::string data = PseudoRandomBytes(300 * 1024, 1);
  std::thread writer([&] {
    EXPECT_THAT(client.WriteAll(data, Soon()), IsOk());
    client.ShutdownWrite();
  });
  ASSERT_OK_AND_ASSIGN(ReadToCloseResult echoed,
                       ReadUntilClosed(client, Soon()));
  writer.join();
  EXPECT_FALSE(echoed.reset);
  EXPECT_EQ(echoed.data.size(), data.size());
  EXPECT_TRUE(echoed.data == data);
  EXPECT_EQ(echo->accepted(), 1);
}

TEST(EchoServerTest, ServesClientsConcurrently) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(net::Socket first,
                       ConnectTcp(echo->address(), kTimeout));
  ASSERT_OK_AND_ASSIGN(net::Socket second,
                       ConnectTcp(echo->address(), kTimeout));
  ASSERT_THAT(second.WriteAll("two", Soon()), IsOk());
  EXPECT_THAT(ReadExactly(second, 3, Soon()), IsOk());
  ASSERT_THAT(first.WriteAll("one", Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(std::string reply, ReadExactly(first, 3, Soon()));
  EXPECT_EQ(reply, "one");
  EXPECT_THAT(echo->WaitForAccepted(2, kTimeout), IsOk());
}

TEST(EchoServerTest, DestructionEndsOpenConnectionsPromptly) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(net::Socket client,
                       ConnectTcp(echo->address(), kTimeout));
  ASSERT_THAT(echo->WaitForAccepted(1, kTimeout), IsOk());
  const absl::Time start = absl::Now();
  echo.reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  ASSERT_OK_AND_ASSIGN(ReadToCloseResult result,
                       ReadUntilClosed(client, Soon()));
  EXPECT_EQ(result.data, "");
}

TEST(TcpServerTest, WaitForAcceptedTimesOut) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  EXPECT_THAT(echo->WaitForAccepted(1, absl::Milliseconds(50)),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("accepted 0 connections")));
}

TEST(SinkServerTest, RepliesAfterTheClientHalfCloses) {
  const std::string reply = PseudoRandomBytes(200 * 1024, 2);
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<SinkServer> sink,
      SinkServer::Start(reply, SinkServer::ReplyWhen::kAfterEof));
  ASSERT_OK_AND_ASSIGN(net::Socket client,
                       ConnectTcp(sink->address(), kTimeout));
  const std::string request = PseudoRandomBytes(100 * 1024, 3);
  ASSERT_THAT(client.WriteAll(request, Soon()), IsOk());
  client.ShutdownWrite();
  ASSERT_OK_AND_ASSIGN(ReadToCloseResult received,
                       ReadUntilClosed(client, Soon()));
  EXPECT_FALSE(received.reset);
  EXPECT_EQ(Sha256::Of(received.data), Sha256::Of(reply));
  ASSERT_OK_AND_ASSIGN(SinkServer::Stream stream,
                       sink->WaitForStream(kTimeout));
  EXPECT_EQ(stream.bytes_received, request.size());
  EXPECT_EQ(stream.sha256_received, Sha256::Of(request));
  EXPECT_THAT(stream.read_status, IsOk());
  EXPECT_THAT(stream.reply_status, IsOk());
  EXPECT_EQ(stream.peer.ip(), Loopback());
}

TEST(SinkServerTest, AfterEofModeSendsNothingBeforeEof) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<SinkServer> sink,
      SinkServer::Start("reply", SinkServer::ReplyWhen::kAfterEof));
  ASSERT_OK_AND_ASSIGN(net::Socket client,
                       ConnectTcp(sink->address(), kTimeout));
  ASSERT_THAT(client.WriteAll("hello", Soon()), IsOk());
  EXPECT_THAT(
      ReadExactly(client, 1, net::Deadline::In(absl::Milliseconds(200))),
      StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("after 0")));
}

TEST(SinkServerTest, ConcurrentModeRepliesWithoutWaitingForEof) {
  const std::string reply = PseudoRandomBytes(4 << 20, 4);
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<SinkServer> sink,
      SinkServer::Start(reply, SinkServer::ReplyWhen::kConcurrently));
  ASSERT_OK_AND_ASSIGN(net::Socket client,
                       ConnectTcp(sink->address(), kTimeout));
  // The whole reply and the server's half-close arrive while the client's
  // side is still open.
  ASSERT_OK_AND_ASSIGN(ReadToCloseResult received,
                       ReadUntilClosed(client, Soon()));
  EXPECT_EQ(Sha256::Of(received.data), Sha256::Of(reply));
  const std::string request = PseudoRandomBytes(4 << 20, 5);
  ASSERT_THAT(client.WriteAll(request, Soon()), IsOk());
  client.ShutdownWrite();
  ASSERT_OK_AND_ASSIGN(SinkServer::Stream stream,
                       sink->WaitForStream(kTimeout));
  EXPECT_EQ(stream.bytes_received, request.size());
  EXPECT_EQ(stream.sha256_received, Sha256::Of(request));
  EXPECT_THAT(stream.reply_status, IsOk());
}

TEST(SinkServerTest, WaitForStreamTimesOut) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SinkServer> sink,
                       SinkServer::Start("", SinkServer::ReplyWhen::kAfterEof));
  EXPECT_THAT(sink->WaitForStream(absl::Milliseconds(50)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("sink")));
}

TEST(HttpServerTest, AnswersGetWithTheBody) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpServer> http,
                       HttpServer::Start("the body\n"));
  ASSERT_OK_AND_ASSIGN(net::Socket client,
                       ConnectTcp(http->address(), kTimeout));
  ASSERT_THAT(client.WriteAll("GET /x HTTP/1.0\r\nHost: h\r\n\r\n", Soon()),
              IsOk());
  ASSERT_OK_AND_ASSIGN(std::string status_line,
                       ReadExactly(client, 17, Soon()));
  EXPECT_EQ(status_line, "HTTP/1.0 200 OK\r\n");
  client.ShutdownWrite();
  ASSERT_OK_AND_ASSIGN(ReadToCloseResult rest, ReadUntilClosed(client, Soon()));
  EXPECT_THAT(rest.data, HasSubstr("Content-Length: 9\r\n"));
  EXPECT_THAT(rest.data, EndsWith("\r\n\r\nthe body\n"));
  EXPECT_THAT(http->request_lines(), ElementsAre("GET /x HTTP/1.0"));
}

TEST(HttpServerTest, RejectsOtherMethods) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpServer> http,
                       HttpServer::Start("b"));
  ASSERT_OK_AND_ASSIGN(net::Socket client,
                       ConnectTcp(http->address(), kTimeout));
  ASSERT_THAT(client.WriteAll("POST / HTTP/1.0\r\n\r\n", Soon()), IsOk());
  client.ShutdownWrite();
  ASSERT_OK_AND_ASSIGN(ReadToCloseResult reply,
                       ReadUntilClosed(client, Soon()));
  EXPECT_THAT(reply.data, StartsWith("HTTP/1.0 405"));
}

}  // namespace
}  // namespace rsockd::testing
