// Socks5Exchange against real SOCKS5 servers from Debian
// (docs/testing.md#real-peers-and-clients): microsocks, which requires RFC 1929
// when started with a user, and Dante without authentication. The scripted-peer
// tests (socks5_client_test.cc) cover every byte; these check that a reading of
// the RFCs shared by the codec and its tests is also the one real servers have.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "net/socks5_client.h"
#include "testing/dante_server.h"
#include "testing/free_port_server.h"
#include "testing/socket_io.h"
#include "testing/status_matchers.h"
#include "testing/subprocess.h"
#include "testing/tcp_servers.h"

namespace rsockd::net {
namespace {

namespace tc = ::rsockd::testing;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::IsOkAndHolds;
using ::rsockd::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kMicrosocks[] = "/usr/bin/microsocks";
const Socks5Credentials kAlice = {"alice", "secret"};

Deadline Soon() { return Deadline::In(absl::Seconds(60)); }

IpAddress Loopback() { return *IpAddress::Parse("127.0.0.1"); }

Socks5Request ConnectTo(const SocketAddress& destination) {
  return {Socks5Command::kConnect, {destination.ip(), "", destination.port()}};
}

class MicrosocksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kMicrosocks, X_OK) != 0) GTEST_SKIP() << "no " << kMicrosocks;
    ASSERT_OK_AND_ASSIGN(
        server_,
        tc::StartOnFreePort(Loopback(), "microsocks", [](uint16_t port) {
          return tc::Subprocess::Start(
              {.argv = {kMicrosocks, "-i", "127.0.0.1", "-p",
                        absl::StrCat(port), "-u", kAlice.user, "-P",
                        kAlice.password}});
        }));
    ASSERT_OK_AND_ASSIGN(echo_, tc::EchoServer::Start());
  }

  absl::StatusOr<Socket> Connect() {
    return Socket::Connect(server_.address, std::nullopt, Soon());
  }

  tc::FreePortServer server_;
  std::unique_ptr<tc::EchoServer> echo_;
};

TEST_F(MicrosocksTest, AuthenticatesAndConnects) {
  ASSERT_OK_AND_ASSIGN(Socket socket, Connect());
  ASSERT_OK_AND_ASSIGN(
      Socks5Reply reply,
      Socks5Exchange(socket, ConnectTo(echo_->address()), kAlice, Soon()));
  EXPECT_EQ(reply.code, Socks5ReplyCode::kSucceeded);
  ASSERT_THAT(socket.WriteAll("ping", Soon()), IsOk());
  EXPECT_THAT(tc::ReadExactly(socket, 4, Soon()), IsOkAndHolds("ping"));
}

TEST_F(MicrosocksTest, WrongPasswordIsRefused) {
  ASSERT_OK_AND_ASSIGN(Socket socket, Connect());
  EXPECT_THAT(Socks5Exchange(socket, ConnectTo(echo_->address()),
                             Socks5Credentials{"alice", "wrong"}, Soon()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("refused the user name and password")));
}

TEST_F(MicrosocksTest, NoCredentialsIsNoAcceptableMethod) {
  ASSERT_OK_AND_ASSIGN(Socket socket, Connect());
  EXPECT_THAT(
      Socks5Exchange(socket, ConnectTo(echo_->address()), std::nullopt, Soon()),
      StatusIs(absl::StatusCode::kPermissionDenied,
               HasSubstr("accepts no method offered (00)")));
}

TEST_F(MicrosocksTest, RefusedDestinationIsAnAnswer) {
  ASSERT_OK_AND_ASSIGN(uint16_t closed, tc::FreePort(Loopback()));
  ASSERT_OK_AND_ASSIGN(Socket socket, Connect());
  ASSERT_OK_AND_ASSIGN(
      Socks5Reply reply,
      Socks5Exchange(socket, ConnectTo(SocketAddress(Loopback(), closed)),
                     kAlice, Soon()));
  EXPECT_EQ(reply.code, Socks5ReplyCode::kConnectionRefused);
}

TEST(DanteTest, ConnectsByNameWithoutAuthentication) {
  if (!tc::DanteServer::Installed()) GTEST_SKIP() << "no danted";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<tc::DanteServer> dante,
                       tc::DanteServer::Start({}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<tc::EchoServer> echo,
                       tc::EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(Socket socket,
                       Socket::Connect(dante->address(), std::nullopt, Soon()));
  ASSERT_OK_AND_ASSIGN(
      Socks5Reply reply,
      Socks5Exchange(
          socket,
          {Socks5Command::kConnect, {IpAddress(), "localhost", echo->port()}},
          std::nullopt, Soon()));
  ASSERT_EQ(reply.code, Socks5ReplyCode::kSucceeded) << dante->Log();
  ASSERT_THAT(socket.WriteAll("ping", Soon()), IsOk());
  EXPECT_THAT(tc::ReadExactly(socket, 4, Soon()), IsOkAndHolds("ping"));
}

TEST(DanteTest, BlockedRequestIsNotAllowed) {
  if (!tc::DanteServer::Installed()) GTEST_SKIP() << "no danted";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<tc::DanteServer> dante,
                       tc::DanteServer::Start({.deny_all = true}));
  ASSERT_OK_AND_ASSIGN(Socket socket,
                       Socket::Connect(dante->address(), std::nullopt, Soon()));
  ASSERT_OK_AND_ASSIGN(
      Socks5Reply reply,
      Socks5Exchange(socket, ConnectTo(SocketAddress(Loopback(), 9)),
                     std::nullopt, Soon()));
  EXPECT_EQ(reply.code, Socks5ReplyCode::kNotAllowed) << dante->Log();
}

}  // namespace
}  // namespace rsockd::net
