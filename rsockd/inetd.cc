#include "rsockd/inetd.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace rsockd {
namespace {

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

}  // namespace

absl::StatusOr<InetdConnection> TakeInetdConnection() {
  struct stat connection;
  if (fstat(0, &connection) != 0 || !S_ISSOCK(connection.st_mode)) {
    return absl::FailedPreconditionError(
        "--inetd: descriptor 0 is not a socket; --inetd is for running "
        "from inetd (a `nowait` stream service)");
  }
  int type = 0, listening = 0;
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

  const int fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
  if (fd < 0) return absl::ErrnoToStatus(errno, "--inetd: fcntl(F_DUPFD)");
  // From here on the descriptors change; a failure leaves the connection
  // with `fd` (closed by the Socket) and 0..2 on /dev/null as far as done.
  absl::StatusOr<net::Socket> socket = net::Socket::Adopt(fd);
  if (!socket.ok()) {
    close(fd);
    return socket.status();
  }
  const int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) return absl::ErrnoToStatus(errno, "--inetd: open /dev/null");
  // dup2 clears close-on-exec on 0..2, as standard descriptors should be.
  struct stat error_output;
  const bool stderr_is_connection =
      fstat(2, &error_output) != 0 || SameFile(error_output, connection);
  if (dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
      (stderr_is_connection && dup2(null, 2) < 0)) {
    const int error = errno;
    close(null);
    return absl::ErrnoToStatus(error, "--inetd: dup2 /dev/null");
  }
  if (null > 2) {
    close(null);
  } else {
    // 2 was closed, so /dev/null landed there: a standard descriptor.
    fcntl(null, F_SETFD, 0);
  }

  absl::StatusOr<net::SocketAddress> peer = socket->PeerAddress();
  if (!peer.ok()) return peer.status();
  return InetdConnection{.socket = *std::move(socket), .peer = *peer};
}

}  // namespace rsockd
