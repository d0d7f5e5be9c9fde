// End-to-end: real SOCKS4/4A clients (curl, socat, python3-socks) through the
// real rsockd to in-process destination servers.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/files.h"
#include "testing/sha256.h"
#include "testing/status_matchers.h"
#include "testing/subprocess.h"
#include "testing/tcp_servers.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::EchoServer;
using ::rsockd::testing::HttpServer;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::MakeTempDir;
using ::rsockd::testing::PseudoRandomBytes;
using ::rsockd::testing::RunCommand;
using ::rsockd::testing::SubprocessOptions;
using ::rsockd::testing::SubprocessResult;
using ::rsockd::testing::WriteStringToFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A text body of a few KiB, so a truncated transfer cannot pass.
std::string PageBody() {
  std::string body;
  for (int i = 0; i < 200; ++i) {
    absl::StrAppend(&body, "line ", i, " of the rsockd end-to-end test page\n");
  }
  return body;
}

// Runs curl through the proxy: `proxy_option` is --socks4 or --socks4a.
absl::StatusOr<SubprocessResult> Curl(absl::string_view proxy_option,
                                      uint16_t proxy_port,
                                      const std::string& url) {
  return RunCommand(
      {.argv = {"curl", "-q", "--silent", "--show-error", "--max-time", "30",
                // An inherited no_proxy must not bypass the proxy.
                "--noproxy", "", std::string(proxy_option),
                absl::StrCat("127.0.0.1:", proxy_port), url}},
      kCommandTimeout);
}

// Pipes `data` through socat's SOCKS4/4A address to `host`:`port`; returns
// what came back. -t: after stdin's EOF, wait up to 30 s for the other
// direction to finish (the default 0.5 s is too short on a loaded machine).
absl::StatusOr<SubprocessResult> Socat(absl::string_view type,
                                       absl::string_view host, uint16_t port,
                                       uint16_t proxy_port,
                                       absl::string_view user,
                                       const std::string& data) {
  return RunCommand(
      {.argv = {"socat", "-t", "30", "-T", "60", "-",
                absl::StrCat(type, ":127.0.0.1:", host, ":", port,
                             ",socksport=", proxy_port, ",socksuser=", user)},
       .stdin_data = data},
      kCommandTimeout);
}

// An echo round trip with PySocks. argv: proxy port, host, port, rdns (0/1),
// size. Prints "OK <size>" when the echo matched.
constexpr char kPySocksEcho[] = R"py(
import socket
import sys

import socks

proxy_port, host, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
rdns, size = sys.argv[4] == '1', int(sys.argv[5])
data = bytes((i * 7 + i // 251) % 256 for i in range(size))

s = socks.socksocket()
s.set_proxy(socks.SOCKS4, '127.0.0.1', proxy_port, rdns=rdns,
            username='pysocks-user')
s.settimeout(30)
s.connect((host, port))
s.sendall(data)
s.shutdown(socket.SHUT_WR)
chunks = []
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    chunks.append(chunk)
s.close()
received = b''.join(chunks)
if received != data:
    print('MISMATCH got %d bytes, sent %d' % (len(received), len(data)))
    sys.exit(1)
print('OK %d' % len(received))
)py";

absl::StatusOr<SubprocessResult> PySocksEcho(uint16_t proxy_port,
                                             absl::string_view host,
                                             uint16_t port, bool rdns) {
  absl::StatusOr<std::string> dir = MakeTempDir("pysocks-");
  if (!dir.ok()) return dir.status();
  const std::string script = absl::StrCat(*dir, "/echo.py");
  if (absl::Status written = WriteStringToFile(script, kPySocksEcho);
      !written.ok()) {
    return written;
  }
  // Debian's interpreter: the python3 first on PATH may not see
  // python3-socks (see docs/testing.md#real-peers-and-clients).
  return RunCommand({.argv = {"/usr/bin/python3", script,
                              absl::StrCat(proxy_port), std::string(host),
                              absl::StrCat(port), rdns ? "1" : "0", "300000"}},
                    kCommandTimeout);
}

class RealClientsTest : public RsockdTest {};

TEST_F(RealClientsTest, CurlSocks4FetchesThePage) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpServer> http,
                       HttpServer::Start(PageBody()));
  ASSERT_OK_AND_ASSIGN(
      SubprocessResult curl,
      Curl("--socks4", rsockd().port(),
           absl::StrCat("http://127.0.0.1:", http->port(), "/page")));
  EXPECT_TRUE(curl.status.success())
      << curl.status.ToString() << ": " << curl.stderr_text;
  EXPECT_EQ(curl.stdout_text, PageBody());
  EXPECT_THAT(http->request_lines(), ElementsAre("GET /page HTTP/1.1"));
  // It went through the proxy, which logged it.
  EXPECT_THAT(rsockd().WaitForLogLineWithAll(
                  {"connected -- Connect from", "@127.0.0.1 to 127.0.0.1 ("},
                  kLogTimeout),
              IsOk());
}

TEST_F(RealClientsTest, CurlSocks4aHasTheProxyResolveLocalhost) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpServer> http,
                       HttpServer::Start(PageBody()));
  // The test server listens on 127.0.0.1 only; "localhost" may resolve to
  // ::1 first, which the proxy must get past (docs/protocol.md#socks4a).
  ASSERT_OK_AND_ASSIGN(
      SubprocessResult curl,
      Curl("--socks4a", rsockd().port(),
           absl::StrCat("http://localhost:", http->port(), "/4a")));
  EXPECT_TRUE(curl.status.success())
      << curl.status.ToString() << ": " << curl.stderr_text;
  EXPECT_EQ(curl.stdout_text, PageBody());
  EXPECT_THAT(http->request_lines(), ElementsAre("GET /4a HTTP/1.1"));
  // The name, not an address, reached the proxy.
  EXPECT_THAT(
      rsockd().WaitForLogLineWithAll(
          {"connected -- Connect from", " to localhost ("}, kLogTimeout),
      IsOk());
}

TEST_F(RealClientsTest, SocatSocks4EchoRoundTrip) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  const std::string data = PseudoRandomBytes(256 * 1024, 21);
  ASSERT_OK_AND_ASSIGN(SubprocessResult socat,
                       Socat("SOCKS4", "127.0.0.1", echo->port(),
                             rsockd().port(), "socat-user", data));
  EXPECT_TRUE(socat.status.success())
      << socat.status.ToString() << ": " << socat.stderr_text;
  EXPECT_EQ(socat.stdout_text.size(), data.size());
  EXPECT_TRUE(socat.stdout_text == data) << "echo differs";
  EXPECT_THAT(rsockd().WaitForLogLineWithAll(
                  {"terminated --", "socat-user(unknown)@127.0.0.1",
                   absl::StrCat(data.size(), " bytes from socat-user")},
                  kLogTimeout),
              IsOk());
}

TEST_F(RealClientsTest, SocatSocks4aEchoRoundTrip) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  const std::string data = PseudoRandomBytes(64 * 1024, 22);
  ASSERT_OK_AND_ASSIGN(SubprocessResult socat,
                       Socat("SOCKS4A", "localhost", echo->port(),
                             rsockd().port(), "socat-4a", data));
  EXPECT_TRUE(socat.status.success())
      << socat.status.ToString() << ": " << socat.stderr_text;
  EXPECT_TRUE(socat.stdout_text == data) << "echo differs";
  EXPECT_THAT(rsockd().WaitForLogLineWithAll(
                  {"connected --", "socat-4a", " to localhost ("}, kLogTimeout),
              IsOk());
}

TEST_F(RealClientsTest, PySocksSocks4EchoRoundTrip) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(
      SubprocessResult python,
      PySocksEcho(rsockd().port(), "127.0.0.1", echo->port(), /*rdns=*/false));
  EXPECT_TRUE(python.status.success())
      << python.status.ToString() << ": " << python.stdout_text
      << python.stderr_text;
  EXPECT_EQ(python.stdout_text, "OK 300000\n");
  EXPECT_THAT(rsockd().WaitForLogLineWithAll(
                  {"connected --", "pysocks-user(unknown)@127.0.0.1",
                   " to 127.0.0.1 ("},
                  kLogTimeout),
              IsOk());
}

TEST_F(RealClientsTest, PySocksSocks4aEchoRoundTrip) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(
      SubprocessResult python,
      PySocksEcho(rsockd().port(), "localhost", echo->port(), /*rdns=*/true));
  EXPECT_TRUE(python.status.success())
      << python.status.ToString() << ": " << python.stdout_text
      << python.stderr_text;
  EXPECT_EQ(python.stdout_text, "OK 300000\n");
  EXPECT_THAT(
      rsockd().WaitForLogLineWithAll(
          {"connected --", "pysocks-user", " to localhost ("}, kLogTimeout),
      IsOk());
}

}  // namespace
}  // namespace rsockd::e2e
