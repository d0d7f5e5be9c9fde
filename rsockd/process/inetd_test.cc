// TakeInetdConnection rearranges the calling process's descriptors 0..2, so
// each case runs in a forked child that sets descriptor 0 (and 1, 2) up the
// way an inetd would, calls it, and reports what it observed through a pipe
// as one line of text. rsockd/e2e/inetd_test.cc runs the real thing under
// xinetd.

#include "rsockd/process/inetd.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "net/address.h"
#include "net/socket.h"
#include "testing/socket_io.h"
#include "testing/status_matchers.h"

namespace rsockd {
namespace {

using ::rsockd::testing::LoopbackAddress;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Runs `body` in a child process and returns what it wrote to its report
// descriptor (the text after the child exited), or a description of how it
// failed.
std::string InChild(const std::function<std::string()>& body) {
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return "pipe failed";
  const pid_t pid = fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    close(report[0]);
    const std::string text = body();
    (void)!write(report[1], text.data(), text.size());
    _exit(0);
  }
  close(report[1]);
  std::string text;
  char buffer[512];
  ssize_t n;
  while ((n = read(report[0], buffer, sizeof(buffer))) > 0 ||
         (n < 0 && errno == EINTR)) {
    if (n > 0) text.append(buffer, n);
  }
  close(report[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::StrCat("child ended with status ", status, ": ", text);
  }
  return text;
}

// "null" when `fd` is /dev/null, "socket" for a socket, "pipe", "closed" or
// "other".
std::string Kind(int fd) {
  struct stat status, null;
  if (fstat(fd, &status) != 0) return "closed";
  if (stat("/dev/null", &null) == 0 && S_ISCHR(status.st_mode) &&
      status.st_rdev == null.st_rdev) {
    return "null";
  }
  if (S_ISSOCK(status.st_mode)) return "socket";
  if (S_ISFIFO(status.st_mode)) return "pipe";
  return "other";
}

// A connected loopback pair: `server_side` as an inetd would get it from
// accept(2), and the client's end.
struct Connection {
  net::Socket server_side;
  net::Socket client;
  net::SocketAddress client_address;
};

absl::StatusOr<Connection> Connect() {
  absl::StatusOr<net::Socket> listener =
      net::Socket::Listen(LoopbackAddress(0), 1);
  if (!listener.ok()) return listener.status();
  absl::StatusOr<net::SocketAddress> address = listener->LocalAddress();
  if (!address.ok()) return address.status();
  absl::StatusOr<net::Socket> client =
      rsockd::testing::ConnectTcp(*address, absl::Seconds(10));
  if (!client.ok()) return client.status();
  absl::StatusOr<net::SocketAddress> client_address = client->LocalAddress();
  if (!client_address.ok()) return client_address.status();
  // The connection is established (the listener's backlog holds it).
  absl::StatusOr<net::Socket> accepted = listener->Accept(nullptr);
  if (!accepted.ok()) return accepted.status();
  return Connection{*std::move(accepted), *std::move(client), *client_address};
}

TEST(TakeInetdConnectionTest, MovesTheConnectionOffZeroOneAndTwo) {
  ASSERT_OK_AND_ASSIGN(Connection connection, Connect());
  const std::string report = InChild([&]() -> std::string {
    // As inetd and xinetd do: the connection on 0, 1 and 2.
    for (int fd = 0; fd <= 2; ++fd) dup2(connection.server_side.fd(), fd);
    absl::StatusOr<InetdConnection> taken = TakeInetdConnection();
    if (!taken.ok()) return taken.status().ToString();
    const int fd = taken->socket.fd();
    const bool cloexec = (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
    const bool nonblocking = (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
    // Whatever is written to stdout now goes nowhere; stderr is kept
    // until taken, then goes nowhere too.
    (void)!write(1, "stdout\n", 7);
    (void)!write(2, "stderr\n", 7);
    absl::StatusOr<std::string> captured = TakeCapturedStderr();
    (void)!write(2, "later\n", 6);
    (void)!write(fd, "via socket", 10);
    return absl::StrCat(Kind(0), " ", Kind(1), " ", Kind(2), " fd>2=", fd > 2,
                        " cloexec=", cloexec, " nonblocking=", nonblocking,
                        " captured=", taken->stderr_captured, ":",
                        captured.value_or("?"),
                        " peer=", taken->peer.ToString());
  });
  EXPECT_EQ(report,
            absl::StrCat("null null null fd>2=1 cloexec=1 nonblocking=1 "
                         "captured=1:stderr\n peer=",
                         connection.client_address.ToString()));
  // The client got exactly what was written to the taken socket.
  connection.server_side.Close();
  ASSERT_OK_AND_ASSIGN(
      rsockd::testing::ReadToCloseResult received,
      rsockd::testing::ReadUntilClosed(connection.client,
                                       net::Deadline::In(absl::Seconds(10))));
  EXPECT_EQ(received.data, "via socket");
}

TEST(TakeInetdConnectionTest, KeepsAStderrThatIsNotTheConnection) {
  ASSERT_OK_AND_ASSIGN(Connection connection, Connect());
  const std::string report = InChild([&]() -> std::string {
    int log[2];
    if (pipe(log) != 0) return "pipe failed";
    dup2(connection.server_side.fd(), 0);
    dup2(connection.server_side.fd(), 1);
    dup2(log[1], 2);  // a log file, the journal
    absl::StatusOr<InetdConnection> taken = TakeInetdConnection();
    if (!taken.ok()) return taken.status().ToString();
    return absl::StrCat(Kind(0), " ", Kind(1), " ", Kind(2),
                        " captured=", taken->stderr_captured);
  });
  EXPECT_EQ(report, "null null pipe captured=0");
}

TEST(TakeInetdConnectionTest, RefusesAListeningSocketAndLeavesDescriptors) {
  const std::string report = InChild([]() -> std::string {
    absl::StatusOr<net::Socket> listener =
        net::Socket::Listen(LoopbackAddress(0), 1);
    if (!listener.ok()) return listener.status().ToString();
    dup2(listener->fd(), 0);
    absl::StatusOr<InetdConnection> taken = TakeInetdConnection();
    return absl::StrCat(taken.status().ToString(), " | fd 0: ", Kind(0));
  });
  EXPECT_THAT(report, StartsWith("FAILED_PRECONDITION: --inetd: descriptor 0 "
                                 "is a listening socket; use `nowait`"));
  EXPECT_THAT(report, HasSubstr("| fd 0: socket"));
}

TEST(TakeInetdConnectionTest, RefusesDescriptorZeroThatIsNotASocket) {
  const std::string report = InChild([]() -> std::string {
    int in[2];
    if (pipe(in) != 0) return "pipe failed";
    dup2(in[0], 0);
    absl::StatusOr<InetdConnection> taken = TakeInetdConnection();
    return absl::StrCat(taken.status().ToString(), " | fd 0: ", Kind(0));
  });
  EXPECT_THAT(report, StartsWith("FAILED_PRECONDITION: --inetd: descriptor 0 "
                                 "is not a socket"));
  EXPECT_THAT(report, HasSubstr("| fd 0: pipe"));
}

// sshd runs commands with a Unix socket pair on stdin: not an inetd.
TEST(TakeInetdConnectionTest, RefusesAUnixStreamSocketAndLeavesDescriptors) {
  const std::string report = InChild([]() -> std::string {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) return "socketpair";
    dup2(pair[0], 0);
    dup2(pair[0], 2);
    absl::StatusOr<InetdConnection> taken = TakeInetdConnection();
    return absl::StrCat(taken.status().ToString(), " | fd 0: ", Kind(0),
                        ", fd 2: ", Kind(2));
  });
  EXPECT_EQ(report,
            "FAILED_PRECONDITION: --inetd: descriptor 0 is not a TCP "
            "connection | fd 0: socket, fd 2: socket");
}

}  // namespace
}  // namespace rsockd
