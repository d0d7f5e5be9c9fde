// End-to-end: SOCKS5 clients (curl, PySocks, a raw client) through the real
// rsockd (docs/socks5.md): no authentication and username/password with a
// password file hashed at test time, names resolved here, IPv6, refusals
// and their REP codes, BIND.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "net/deadline.h"
#include "net/socket.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/files.h"
#include "testing/socket_io.h"
#include "testing/socks5_client.h"
#include "testing/status_matchers.h"
#include "testing/subprocess.h"
#include "testing/tcp_servers.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::EchoServer;
using ::rsockd::testing::HttpServer;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::MakeTempDir;
using ::rsockd::testing::RunCommand;
using ::rsockd::testing::Socks5Address;
using ::rsockd::testing::Socks5Credentials;
using ::rsockd::testing::SubprocessResult;
using ::rsockd::testing::WriteStringToFile;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kBody[] = "the rsockd SOCKS5 end-to-end test page\n";

net::Deadline Soon() { return net::Deadline::In(kStepTimeout); }

absl::StatusOr<SubprocessResult> Curl(std::vector<std::string> proxy_args,
                                      const std::string& url) {
  std::vector<std::string> argv = {
      "curl",       "-q", "--silent",  "--show-error",
      "--max-time", "30", "--noproxy", ""};
  argv.insert(argv.end(), proxy_args.begin(), proxy_args.end());
  argv.push_back(url);
  return RunCommand({.argv = std::move(argv)}, kCommandTimeout);
}

// An echo round trip with PySocks over SOCKS5. argv: proxy port, host,
// port, rdns (0/1), user, password (empty: none). Prints "OK".
constexpr char kPySocksEcho[] = R"py(
import sys

import socks

proxy_port, host, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
rdns, user, password = sys.argv[4] == '1', sys.argv[5], sys.argv[6]
data = b'pysocks over socks5 ' * 1000

s = socks.socksocket()
s.set_proxy(socks.SOCKS5, '127.0.0.1', proxy_port, rdns=rdns,
            username=user or None, password=password or None)
s.settimeout(30)
s.connect((host, port))
s.sendall(data)
received = b''
while len(received) < len(data):
    chunk = s.recv(65536)
    if not chunk:
        break
    received += chunk
s.close()
print('OK' if received == data else 'MISMATCH %d' % len(received))
)py";

class Socks5Test : public RsockdTest {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(dir_, MakeTempDir("socks5-e2e-"));
    passwords_ = dir_ + "/passwords";
    // Hashed now, with the system's crypt(3) as rsockd checks it.
    ASSERT_OK_AND_ASSIGN(
        SubprocessResult hashed,
        RunCommand({.argv = {"mkpasswd", "-m", "sha512crypt", "s3cret"}},
                   kCommandTimeout));
    ASSERT_TRUE(hashed.status.success()) << hashed.stderr_text;
    ASSERT_THAT(
        WriteStringToFile(
            passwords_,
            absl::StrCat("alice:",
                         absl::StripAsciiWhitespace(hashed.stdout_text), "\n")),
        IsOk());
  }

  void TearDown() override {
    RsockdTest::TearDown();
    EXPECT_THAT(rsockd::testing::RemoveTree(dir_), IsOk());
  }

  std::string PasswordFlag() const { return "--password_file=" + passwords_; }

  absl::StatusOr<SubprocessResult> PySocks(absl::string_view host,
                                           uint16_t port, bool rdns,
                                           absl::string_view user,
                                           absl::string_view password) {
    const std::string script = dir_ + "/echo.py";
    if (absl::Status written = WriteStringToFile(script, kPySocksEcho);
        !written.ok()) {
      return written;
    }
    return RunCommand(
        {.argv = {"/usr/bin/python3", script, absl::StrCat(rsockd().port()),
                  std::string(host), absl::StrCat(port), rdns ? "1" : "0",
                  std::string(user), std::string(password)}},
        kCommandTimeout);
  }

  // A raw client's CONNECT to `destination`: the reply.
  absl::StatusOr<rsockd::testing::Socks5Reply> RawConnect(
      net::Socket& socket, const Socks5Address& destination,
      const std::optional<Socks5Credentials>& credentials = std::nullopt) {
    absl::StatusOr<net::Socket> connected =
        net::Socket::Connect(proxy(), std::nullopt, Soon());
    if (!connected.ok()) return connected.status();
    socket = *std::move(connected);
    absl::StatusOr<uint8_t> method =
        rsockd::testing::Socks5Negotiate(socket, credentials, Soon());
    if (!method.ok()) return method.status();
    return rsockd::testing::Socks5Exchange(
        socket,
        rsockd::testing::Socks5Request(rsockd::testing::kSocks5CommandConnect,
                                       destination),
        Soon());
  }

  std::string dir_;
  std::string passwords_;
};

TEST_F(Socks5Test, CurlSocks5AndSocks5Hostname) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpServer> http,
                       HttpServer::Start(kBody));
  const std::string proxy_address = absl::StrCat("127.0.0.1:", rsockd().port());
  for (const char* option : {"--socks5", "--socks5-hostname"}) {
    SCOPED_TRACE(option);
    ASSERT_OK_AND_ASSIGN(
        SubprocessResult curl,
        Curl({option, proxy_address},
             absl::StrCat("http://localhost:", http->port(), "/page")));
    EXPECT_TRUE(curl.status.success())
        << curl.status.ToString() << ": " << curl.stderr_text;
    EXPECT_EQ(curl.stdout_text, kBody);
  }
  // --socks5-hostname sent the name, which rsockd resolved.
  EXPECT_THAT(
      rsockd().WaitForLogLineWithAll(
          {"connected -- Connect from (unknown)@127.0.0.1 to localhost (",
           " at "},
          kLogTimeout),
      IsOk());
}

TEST_F(Socks5Test, CurlWithUserAndPasswordIsTheUserInRulesAndLog) {
  // Only alice may connect: an anonymous SOCKS5 client has no user id.
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.sockd_conf = "permit *=alice 127.0.0.0 255.0.0.0\n",
                   .extra_flags = {PasswordFlag()}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpServer> http,
                       HttpServer::Start(kBody));
  const std::string url = absl::StrCat("http://127.0.0.1:", http->port(), "/");
  ASSERT_OK_AND_ASSIGN(
      SubprocessResult curl,
      Curl({"-x",
            absl::StrCat("socks5h://alice:s3cret@127.0.0.1:", rsockd().port())},
           url));
  EXPECT_TRUE(curl.status.success())
      << curl.status.ToString() << ": " << curl.stderr_text;
  EXPECT_EQ(curl.stdout_text, kBody);
  EXPECT_THAT(
      rsockd().WaitForLogLine(
          "connected -- Connect from alice(unknown)@127.0.0.1 to", kLogTimeout),
      IsOk());

  // A wrong password: 01 01, logged with the user, never the password.
  net::Socket socket;
  EXPECT_THAT(RawConnect(socket, Socks5Address::FromName("localhost", 80),
                         Socks5Credentials{"alice", "guessed-wrong"}),
              rsockd::testing::StatusIs(absl::StatusCode::kPermissionDenied,
                                        ::testing::_));
  EXPECT_THAT(
      rsockd().WaitForLogLine("user alice failed authentication", kLogTimeout),
      IsOk());
  EXPECT_THAT(LogTail(), Not(HasSubstr("guessed-wrong")));

  // Without a user: the *= line does not match, REP 02.
  ASSERT_OK_AND_ASSIGN(
      rsockd::testing::Socks5Reply refused,
      RawConnect(socket, Socks5Address::FromSocketAddress(http->address())));
  EXPECT_EQ(refused.code, rsockd::testing::kSocks5NotAllowed);
}

TEST_F(Socks5Test, PySocksWithAndWithoutAuthAndRdns) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd({.extra_flags = {PasswordFlag()}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  struct Case {
    const char* host;
    bool rdns;
    const char* user;
    const char* password;
  };
  for (const Case& c :
       {Case{"127.0.0.1", false, "", ""}, Case{"localhost", true, "", ""},
        Case{"localhost", true, "alice", "s3cret"},
        Case{"127.0.0.1", false, "alice", "s3cret"}}) {
    SCOPED_TRACE(absl::StrCat(c.host, " rdns=", c.rdns, " user=", c.user));
    ASSERT_OK_AND_ASSIGN(
        SubprocessResult result,
        PySocks(c.host, echo->port(), c.rdns, c.user, c.password));
    EXPECT_TRUE(result.status.success()) << result.stderr_text;
    EXPECT_EQ(result.stdout_text, "OK\n");
  }
}

TEST_F(Socks5Test, AuthNoneIgnoresThePasswordFile) {
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.extra_flags = {PasswordFlag(), "--socks5_auth=none"}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(net::Socket socket,
                       net::Socket::Connect(proxy(), std::nullopt, Soon()));
  // Offered both: rsockd picks 00.
  ASSERT_OK_AND_ASSIGN(
      const uint8_t method,
      rsockd::testing::Socks5Negotiate(
          socket, Socks5Credentials{"alice", "s3cret"}, Soon()));
  EXPECT_EQ(method, rsockd::testing::kSocks5MethodNoAuth);
  ASSERT_OK_AND_ASSIGN(
      rsockd::testing::Socks5Reply reply,
      rsockd::testing::Socks5Exchange(
          socket,
          rsockd::testing::Socks5Request(
              rsockd::testing::kSocks5CommandConnect,
              Socks5Address::FromSocketAddress(echo->address())),
          Soon()));
  ASSERT_THAT(rsockd::testing::Socks5ExpectSucceeded(reply), IsOk());
  // BND is the local address of rsockd's connection to the echo server.
  ASSERT_TRUE(reply.bound.socket_address().has_value());
  EXPECT_EQ(reply.bound.socket_address()->ip().ToString(), "127.0.0.1");
  EXPECT_NE(reply.bound.socket_address()->port(), 0);
  EXPECT_TRUE(EchoRoundTrip(socket, "anonymous"));

  // A client that offers only 02 gets FF.
  ASSERT_OK_AND_ASSIGN(net::Socket other,
                       net::Socket::Connect(proxy(), std::nullopt, Soon()));
  ASSERT_THAT(other.WriteAll(rsockd::testing::Socks5Greeting({0x02}), Soon()),
              IsOk());
  ASSERT_OK_AND_ASSIGN(rsockd::testing::Socks5MethodChoice choice,
                       rsockd::testing::ReadSocks5MethodChoice(other, Soon()));
  EXPECT_EQ(choice.method, rsockd::testing::kSocks5MethodNoneAcceptable);
}

TEST_F(Socks5Test, DeniedDestinationAndRefusedPort) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      {.sockd_conf = "deny 0.0.0.0 0.0.0.0 127.0.0.2 255.255.255.255\n"
                     "permit 127.0.0.0 255.0.0.0\n"}));
  net::Socket socket;
  ASSERT_OK_AND_ASSIGN(
      rsockd::testing::Socks5Reply denied,
      RawConnect(socket, Socks5Address::FromSocketAddress(net::SocketAddress(
                             *net::IpAddress::Parse("127.0.0.2"), 80))));
  EXPECT_EQ(denied.code, rsockd::testing::kSocks5NotAllowed);
  EXPECT_THAT(rsockd().WaitForLogLineWithAll(
                  {"refused -- Connect from (unknown)@127.0.0.1 to 127.0.0.2 (",
                   "sockd.conf:1]"},
                  kLogTimeout),
              IsOk());

  // A port nobody listens on: bind one, read its number, close it.
  uint16_t closed_port = 0;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> gone, EchoServer::Start());
    closed_port = gone->port();
  }
  ASSERT_OK_AND_ASSIGN(
      rsockd::testing::Socks5Reply refused,
      RawConnect(socket,
                 Socks5Address::FromSocketAddress(net::SocketAddress(
                     *net::IpAddress::Parse("127.0.0.1"), closed_port))));
  EXPECT_EQ(refused.code, rsockd::testing::kSocks5ConnectionRefused);
}

TEST_F(Socks5Test, Ipv6DestinationGetsAnIpv6Reply) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd());
  absl::StatusOr<std::unique_ptr<EchoServer>> echo =
      EchoServer::Start(*net::IpAddress::Parse("::1"));
  if (!echo.ok()) GTEST_SKIP() << "no IPv6 loopback: " << echo.status();
  net::Socket socket;
  ASSERT_OK_AND_ASSIGN(
      rsockd::testing::Socks5Reply reply,
      RawConnect(socket, Socks5Address::FromSocketAddress((*echo)->address())));
  ASSERT_THAT(rsockd::testing::Socks5ExpectSucceeded(reply), IsOk());
  EXPECT_EQ(reply.bound.type, rsockd::testing::kSocks5AddressIPv6);
  EXPECT_TRUE(EchoRoundTrip(socket, "over ::1"));
}

TEST_F(Socks5Test, BindGetsTwoRepliesThenRelays) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd());
  ASSERT_OK_AND_ASSIGN(net::Socket socket,
                       net::Socket::Connect(proxy(), std::nullopt, Soon()));
  ASSERT_THAT(rsockd::testing::Socks5Negotiate(socket, std::nullopt, Soon()),
              IsOk());
  // The expected peer: 127.0.0.1, which is where the peer connects from.
  ASSERT_OK_AND_ASSIGN(
      rsockd::testing::Socks5Reply first,
      rsockd::testing::Socks5Exchange(
          socket,
          rsockd::testing::Socks5Request(
              rsockd::testing::kSocks5CommandBind,
              Socks5Address::FromSocketAddress(
                  net::SocketAddress(*net::IpAddress::Parse("127.0.0.1"), 21))),
          Soon()));
  ASSERT_THAT(rsockd::testing::Socks5ExpectSucceeded(first), IsOk());
  ASSERT_TRUE(first.bound.socket_address().has_value());
  ASSERT_OK_AND_ASSIGN(net::Socket peer,
                       net::Socket::Connect(*first.bound.socket_address(),
                                            std::nullopt, Soon()));
  ASSERT_OK_AND_ASSIGN(rsockd::testing::Socks5Reply second,
                       rsockd::testing::ReadSocks5Reply(socket, Soon()));
  ASSERT_THAT(rsockd::testing::Socks5ExpectSucceeded(second), IsOk());
  ASSERT_OK_AND_ASSIGN(net::SocketAddress peer_local, peer.LocalAddress());
  EXPECT_EQ(second.bound.socket_address(), peer_local);
  ASSERT_THAT(peer.WriteAll("from the peer", Soon()), IsOk());
  peer.ShutdownWrite();
  ASSERT_OK_AND_ASSIGN(rsockd::testing::ReadToCloseResult received,
                       rsockd::testing::ReadUntilClosed(socket, Soon()));
  EXPECT_EQ(received.data, "from the peer");
}

}  // namespace
}  // namespace rsockd::e2e
