// The protocol rsockd speaks to each upstream server, by its socks.conf
// scheme (docs/socks_conf.md#upstream-chaining): SOCKS5 to `socks5://`
// servers (microsocks with RFC 1929, Dante without authentication, and a
// scripted server that records what it got), SOCKS4 with an address
// resolved here to `socks4://` servers. The clients speak SOCKS4 and 4A.
//
// The destinations listen on 127.0.0.2: 127.0.0.1 is always reached
// directly whatever socks.conf says (docs/socks_conf.md#decision).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "net/deadline.h"
#include "net/socket.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/dante_server.h"
#include "testing/free_port_server.h"
#include "testing/scripted_socks4_server.h"
#include "testing/scripted_socks5_server.h"
#include "testing/socket_io.h"
#include "testing/socks4_client.h"
#include "testing/status_matchers.h"
#include "testing/subprocess.h"
#include "testing/tcp_servers.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::DanteServer;
using ::rsockd::testing::EchoServer;
using ::rsockd::testing::FreePortServer;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::kSocks4Granted;
using ::rsockd::testing::kSocks4Rejected;
using ::rsockd::testing::ReadExactly;
using ::rsockd::testing::ScriptedSocks4Server;
using ::rsockd::testing::ScriptedSocks5Server;
using ::rsockd::testing::Socks4aConnectRequest;
using ::rsockd::testing::Socks4ConnectRequest;
using ::rsockd::testing::Socks4Handshake;
using ::rsockd::testing::Socks4Session;
using ::rsockd::testing::Subprocess;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kMicrosocks[] = "/usr/bin/microsocks";

net::IpAddress Ip(absl::string_view text) {
  return *net::IpAddress::Parse(text);
}

// microsocks, a SOCKS5-only server, on a free loopback port, requiring
// RFC 1929 as `user`/`password`.
absl::StatusOr<FreePortServer> StartMicrosocks(const std::string& user,
                                               const std::string& password) {
  return testing::StartOnFreePort(
      testing::Loopback(), "microsocks", [&](uint16_t port) {
        return Subprocess::Start(
            {.argv = {kMicrosocks, "-i", "127.0.0.1", "-p", absl::StrCat(port),
                      "-u", user, "-P", password}});
      });
}

class UpstreamSchemesTest : public RsockdTest {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(echo_, EchoServer::Start(Ip("127.0.0.2")));
  }

  // Starts rsockd with every destination through `servers` (socks.conf
  // entries, comma-separated).
  void StartThrough(const std::string& servers) {
    StartRsockd({.sockd_conf = kPermitLoopback,
                 .socks_conf = absl::StrCat("sockd @=", servers, " ALL\n")});
  }

  // A SOCKS4 CONNECT to the echo server; the reply code, and for 90 an echo
  // round trip. The tunnel is closed, not half-closed, after it: microsocks
  // ends both directions when one ends, which would lose the echo's tail.
  int ConnectToEcho() {
    absl::StatusOr<Socks4Session> session = Socks4Handshake(
        proxy(), Socks4ConnectRequest(echo_->address(), "alice"), kStepTimeout);
    if (!session.ok()) {
      ADD_FAILURE() << session.status() << "\n" << LogTail();
      return -1;
    }
    if (session->reply.code == kSocks4Granted) {
      const std::string data(100000, 's');
      const net::Deadline deadline = net::Deadline::In(kStepTimeout);
      EXPECT_THAT(session->socket.WriteAll(data, deadline), IsOk());
      absl::StatusOr<std::string> echoed =
          ReadExactly(session->socket, data.size(), deadline);
      EXPECT_THAT(echoed.status(), IsOk());
      EXPECT_TRUE(echoed.ok() && *echoed == data);
    }
    return session->reply.code;
  }

  std::unique_ptr<EchoServer> echo_;
};

TEST_F(UpstreamSchemesTest, Socks5WithCredentialsThroughMicrosocks) {
  if (access(kMicrosocks, X_OK) != 0) GTEST_SKIP() << "no microsocks";
  ASSERT_OK_AND_ASSIGN(FreePortServer microsocks,
                       StartMicrosocks("upuser", "s3cret"));
  const std::string at = microsocks.address.ToString();
  ASSERT_NO_FATAL_FAILURE(
      StartThrough(absl::StrCat("socks5://upuser:s3cret@", at)));
  EXPECT_EQ(ConnectToEcho(), kSocks4Granted);
  EXPECT_THAT(rsockd().WaitForLogLine(absl::StrCat("via socks5://***@", at),
                                      kLogTimeout),
              IsOk());
  EXPECT_THAT(rsockd().Stderr(), Not(HasSubstr("s3cret")));
}

// A wrong password is the entry's fault, not an answer: the server is
// marked down and the next entry (the right password) carries the session.
// Neither password nor the user name reaches the log.
TEST_F(UpstreamSchemesTest, WrongPasswordFailsOverWithoutLoggingIt) {
  if (access(kMicrosocks, X_OK) != 0) GTEST_SKIP() << "no microsocks";
  ASSERT_OK_AND_ASSIGN(FreePortServer first,
                       StartMicrosocks("upuser", "s3cret"));
  ASSERT_OK_AND_ASSIGN(FreePortServer second,
                       StartMicrosocks("upuser", "s3cret"));
  const std::string wrong = first.address.ToString();
  ASSERT_NO_FATAL_FAILURE(StartThrough(
      absl::StrCat("socks5://upuser:wr0ng@", wrong, ",socks5://upuser:s3cret@",
                   second.address.ToString())));
  EXPECT_EQ(ConnectToEcho(), kSocks4Granted);
  EXPECT_THAT(rsockd().WaitForLogLine(
                  absl::StrCat("upstream socks5://***@", wrong,
                               ": no valid reply: the server refused the user "
                               "name and password"),
                  kLogTimeout),
              IsOk());
  EXPECT_THAT(rsockd().WaitForLogLine(
                  absl::StrCat("via socks5://***@", second.address.ToString()),
                  kLogTimeout),
              IsOk());
  const size_t stats_mark = rsockd().StderrSize();
  ASSERT_EQ(kill(rsockd().pid(), SIGUSR1), 0);
  EXPECT_THAT(rsockd().WaitForLogLine(
                  absl::StrCat("upstreams down: socks5://***@", wrong),
                  kLogTimeout, stats_mark),
              IsOk());
  EXPECT_THAT(rsockd().Stderr(), Not(HasSubstr("wr0ng")));
  EXPECT_THAT(rsockd().Stderr(), Not(HasSubstr("s3cret")));
  EXPECT_THAT(rsockd().Stderr(), Not(HasSubstr("upuser")));
}

// Dante speaks both SOCKS4 and 5; with socks5:// it gets SOCKS5, method 00.
TEST_F(UpstreamSchemesTest, Socks5ThroughDante) {
  if (!DanteServer::Installed()) GTEST_SKIP() << "danted is not installed";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<DanteServer> dante,
                       DanteServer::Start({}));
  ASSERT_NO_FATAL_FAILURE(
      StartThrough(absl::StrCat("socks5://", dante->address().ToString())));
  EXPECT_EQ(ConnectToEcho(), kSocks4Granted) << dante->Log();
}

// A SOCKS4A client's name goes to a socks5:// server as ATYP 3, unresolved.
TEST_F(UpstreamSchemesTest, Socks4aNameGoesToSocks5AsAName) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ScriptedSocks5Server> upstream,
      ScriptedSocks5Server::Start(
          {.reply = ScriptedSocks5Server::Reply(0), .echo = true}));
  ASSERT_NO_FATAL_FAILURE(
      StartThrough(absl::StrCat("socks5://", upstream->address().ToString())));
  ASSERT_OK_AND_ASSIGN(
      Socks4Session session,
      Socks4Handshake(
          proxy(),
          Socks4aConnectRequest("intranet.far-side.invalid", 8080, "erin"),
          kStepTimeout));
  EXPECT_EQ(session.reply.code, kSocks4Granted);
  ASSERT_OK_AND_ASSIGN(ScriptedSocks5Server::Exchange seen,
                       upstream->WaitForExchange(kStepTimeout));
  ASSERT_TRUE(seen.request.has_value());
  EXPECT_EQ(seen.request->destination.host_name, "intranet.far-side.invalid");
  EXPECT_EQ(seen.request->destination.port, 8080);
  EXPECT_TRUE(EchoRoundTrip(session.socket, "through the SOCKS5 upstream"));
}

// A SOCKS5 refusal is final; a SOCKS4 client gets 91, and the log keeps
// the REP.
TEST_F(UpstreamSchemesTest, Socks5RefusalIsFinalAnd91ForSocks4) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ScriptedSocks5Server> refusing,
      ScriptedSocks5Server::Start({.reply = ScriptedSocks5Server::Reply(2)}));
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ScriptedSocks4Server> second,
      ScriptedSocks4Server::Start(ScriptedSocks4Server::Reply(90)));
  ASSERT_NO_FATAL_FAILURE(
      StartThrough(absl::StrCat("socks5://", refusing->address().ToString(),
                                ",", second->address().ToString())));
  EXPECT_EQ(ConnectToEcho(), kSocks4Rejected);
  EXPECT_THAT(rsockd().WaitForLogLine(
                  absl::StrCat("[upstream socks5://",
                               refusing->address().ToString(), " replied 2 ("),
                  kLogTimeout),
              IsOk());
  EXPECT_EQ(second->accepted(), 0);
}

// socks4:// gets an address: the name is resolved here, and the scripted
// upstream sees DSTIP 127.0.0.1 (the address of `localhost` that sockd.conf
// permits), not a SOCKS4A name.
TEST_F(UpstreamSchemesTest, Socks4SchemeSendsAnAddressResolvedHere) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ScriptedSocks4Server> upstream,
      ScriptedSocks4Server::Start(ScriptedSocks4Server::Reply(90)));
  ASSERT_NO_FATAL_FAILURE(
      StartThrough(absl::StrCat("socks4://", upstream->address().ToString())));
  ASSERT_OK_AND_ASSIGN(
      Socks4Session session,
      Socks4Handshake(proxy(), Socks4aConnectRequest("localhost", 8080, "erin"),
                      kStepTimeout));
  EXPECT_EQ(session.reply.code, kSocks4Granted);
  ASSERT_OK_AND_ASSIGN(std::string request,
                       upstream->WaitForRequest(kStepTimeout));
  EXPECT_EQ(request, std::string("\x04\x01\x1f\x90\x7f\x00\x00\x01"
                                 "erin\0",
                                 8 + 5));
}

}  // namespace
}  // namespace rsockd::e2e
