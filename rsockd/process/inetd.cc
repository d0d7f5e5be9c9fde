#include "rsockd/process/inetd.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "rsockd/base/fd_closer.h"

namespace rsockd {
namespace {

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Puts `fd` on descriptor `target` (a standard descriptor, so without
// close-on-exec); `fd` is closed unless it already is `target`.
absl::Status MoveTo(FdCloser fd, int target, absl::string_view what) {
  if (fd.get() == target) {
    fcntl(fd.Release(), F_SETFD, 0);
    return absl::OkStatus();
  }
  // dup2 clears close-on-exec on the copy.
  if (dup2(fd.get(), target) < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("inetd: dup2 ", what));
  }
  return absl::OkStatus();
}

absl::Status OpenNullOn(int target) {
  FdCloser null(open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null.valid()) return absl::ErrnoToStatus(errno, "inetd: open /dev/null");
  return MoveTo(std::move(null), target, "/dev/null");
}

}  // namespace

absl::StatusOr<InetdConnection> TakeInetdConnection() {
  struct stat connection;
  if (fstat(0, &connection) != 0 || !S_ISSOCK(connection.st_mode)) {
    return absl::FailedPreconditionError(
        "--inetd: descriptor 0 is not a socket; --inetd is for running "
        "from inetd (a `nowait` stream service)");
  }
  int type = 0, listening = 0, domain = 0;
  socklen_t len = sizeof(type);
  if (getsockopt(0, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
      type != SOCK_STREAM) {
    return absl::FailedPreconditionError(
        "--inetd: descriptor 0 is not a stream socket");
  }
  len = sizeof(listening);
  if (getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 ||
      listening != 0) {
    return absl::FailedPreconditionError(
        "--inetd: descriptor 0 is a listening socket; use `nowait` in "
        "inetd.conf (wait = no for xinetd)");
  }
  // A Unix stream socket on stdin is not inetd's doing (sshd runs commands
  // that way): leave such a process alone.
  len = sizeof(domain);
  if (getsockopt(0, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 ||
      (domain != AF_INET && domain != AF_INET6)) {
    return absl::FailedPreconditionError(
        "--inetd: descriptor 0 is not a TCP connection");
  }

  FdCloser fd(fcntl(0, F_DUPFD_CLOEXEC, 3));
  if (!fd.valid()) {
    return absl::ErrnoToStatus(errno, "--inetd: fcntl(F_DUPFD)");
  }
  // From here on the descriptors change; a failure leaves the connection
  // with `fd` (closed by the Socket) and 0..2 moved as far as done.
  absl::StatusOr<net::Socket> socket = net::Socket::Adopt(std::move(fd));
  if (!socket.ok()) return socket.status();
  struct stat error_output;
  const bool stderr_is_connection =
      fstat(2, &error_output) != 0 || SameFile(error_output, connection);
  if (absl::Status moved = OpenNullOn(0); !moved.ok()) return moved;
  if (absl::Status moved = OpenNullOn(1); !moved.ok()) return moved;
  if (stderr_is_connection) {
    FdCloser capture(memfd_create("rsockd-stderr", MFD_CLOEXEC));
    if (!capture.valid()) {
      return absl::ErrnoToStatus(errno, "inetd: memfd_create");
    }
    if (absl::Status moved = MoveTo(std::move(capture), 2, "stderr capture");
        !moved.ok()) {
      return moved;
    }
  }

  absl::StatusOr<net::SocketAddress> peer = socket->PeerAddress();
  if (!peer.ok()) return peer.status();
  return InetdConnection{.socket = *std::move(socket),
                         .peer = *peer,
                         .stderr_captured = stderr_is_connection};
}

absl::StatusOr<std::string> TakeCapturedStderr() {
  std::string captured;
  char buffer[4096];
  off_t offset = 0;
  for (;;) {
    const ssize_t n = pread(2, buffer, sizeof(buffer), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, "inetd: read stderr capture");
    if (n == 0) break;
    captured.append(buffer, static_cast<size_t>(n));
    offset += n;
  }
  if (absl::Status moved = OpenNullOn(2); !moved.ok()) return moved;
  return captured;
}

}  // namespace rsockd
