#include "net/socket.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "rsockd/base/status_macros.h"

namespace rsockd::net {
namespace {

// The payload that carries a connect(2) errno, in decimal.
constexpr absl::string_view kErrnoPayload = "rsockd.net/connect-errno";

int FamilyOf(const SocketAddress& address) {
  return address.ip().is_ipv4() ? AF_INET : AF_INET6;
}

absl::Status ConnectError(int error, absl::string_view what) {
  absl::Status status = absl::ErrnoToStatus(error, what);
  status.SetPayload(kErrnoPayload, absl::Cord(absl::StrCat(error)));
  return status;
}

}  // namespace

absl::StatusOr<Socket> Socket::Listen(const SocketAddress& address, int backlog,
                                      bool ipv6_only) {
  Socket socket(::socket(FamilyOf(address),
                         SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!socket.valid()) return absl::ErrnoToStatus(errno, "socket()");
  const int one = 1;
  setsockopt(socket.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (!address.ip().is_ipv4()) {
    // Set either way: the default is the host's net.ipv6.bindv6only.
    const int value = ipv6_only ? 1 : 0;
    if (setsockopt(socket.fd(), IPPROTO_IPV6, IPV6_V6ONLY, &value,
                   sizeof(value)) != 0) {
      return absl::ErrnoToStatus(errno, "setsockopt(IPV6_V6ONLY)");
    }
  }
  sockaddr_storage storage;
  const socklen_t len = address.ToSockaddr(&storage);
  if (::bind(socket.fd(), reinterpret_cast<sockaddr*>(&storage), len) != 0) {
    return absl::ErrnoToStatus(errno,
                               absl::StrCat("bind() to ", address.ToString()));
  }
  if (::listen(socket.fd(), backlog) != 0) {
    return absl::ErrnoToStatus(
        errno, absl::StrCat("listen() on ", address.ToString()));
  }
  return socket;
}

absl::StatusOr<Socket> Socket::Connect(const SocketAddress& to,
                                       const std::optional<IpAddress>& from,
                                       const Deadline& deadline) {
  Socket socket(
      ::socket(FamilyOf(to), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!socket.valid()) return absl::ErrnoToStatus(errno, "socket()");
  if (from.has_value()) {
    const int one = 1;
    setsockopt(socket.fd(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
               sizeof(one));
    sockaddr_storage storage;
    const socklen_t len = SocketAddress(*from, 0).ToSockaddr(&storage);
    if (::bind(socket.fd(), reinterpret_cast<sockaddr*>(&storage), len) != 0) {
      return absl::ErrnoToStatus(errno,
                                 absl::StrCat("bind() to ", from->ToString()));
    }
  }
  sockaddr_storage storage;
  const socklen_t len = to.ToSockaddr(&storage);
  const std::string what = absl::StrCat("connect() to ", to.ToString());
  if (::connect(socket.fd(), reinterpret_cast<sockaddr*>(&storage), len) == 0) {
    return socket;
  }
  if (errno != EINPROGRESS) return ConnectError(errno, what);
  absl::Status waited = deadline.Wait(socket.fd(), POLLOUT);
  if (!waited.ok()) {
    return absl::Status(waited.code(),
                        absl::StrCat(what, ": ", waited.message()));
  }
  int error = 0;
  socklen_t error_len = sizeof(error);
  if (getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &error_len) != 0) {
    return absl::ErrnoToStatus(errno, what);
  }
  if (error != 0) return ConnectError(error, what);
  return socket;
}

absl::StatusOr<Socket> Socket::Adopt(FdCloser fd) {
  const int flags = fcntl(fd.get(), F_GETFL);
  if (flags < 0 || fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0 ||
      fcntl(fd.get(), F_SETFD, FD_CLOEXEC) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("fcntl() on fd ", fd.get()));
  }
  return Socket(fd.Release());
}

absl::StatusOr<Socket> Socket::Accept(SocketAddress* peer) const {
  sockaddr_storage storage;
  socklen_t len = sizeof(storage);
  Socket accepted(::accept4(fd(), reinterpret_cast<sockaddr*>(&storage), &len,
                            SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (!accepted.valid()) return absl::ErrnoToStatus(errno, "accept()");
  if (peer != nullptr) {
    RSOCKD_ASSIGN_OR_RETURN(*peer,
                            SocketAddress::FromSockaddr(
                                reinterpret_cast<sockaddr*>(&storage), len));
  }
  return accepted;
}

absl::StatusOr<SocketAddress> Socket::LocalAddress() const {
  sockaddr_storage storage;
  socklen_t len = sizeof(storage);
  if (getsockname(fd(), reinterpret_cast<sockaddr*>(&storage), &len) != 0) {
    return absl::ErrnoToStatus(errno, "getsockname()");
  }
  return SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&storage),
                                     len);
}

absl::StatusOr<SocketAddress> Socket::PeerAddress() const {
  sockaddr_storage storage;
  socklen_t len = sizeof(storage);
  if (getpeername(fd(), reinterpret_cast<sockaddr*>(&storage), &len) != 0) {
    return absl::ErrnoToStatus(errno, "getpeername()");
  }
  return SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&storage),
                                     len);
}

absl::StatusOr<size_t> Socket::ReadSome(absl::Span<uint8_t> buffer,
                                        const Deadline& deadline) {
  for (;;) {
    const ssize_t n = ::recv(fd(), buffer.data(), buffer.size(), 0);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return absl::ErrnoToStatus(errno, "recv()");
    RSOCKD_RETURN_IF_ERROR(deadline.Wait(fd(), POLLIN));
  }
}

absl::Status Socket::WriteAll(absl::Span<const uint8_t> data,
                              const Deadline& deadline) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      data.remove_prefix(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return absl::ErrnoToStatus(errno, "send()");
    RSOCKD_RETURN_IF_ERROR(deadline.Wait(fd(), POLLOUT));
  }
  return absl::OkStatus();
}

absl::Status Socket::WriteAll(absl::string_view data,
                              const Deadline& deadline) {
  return WriteAll(
      absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()),
                                data.size()),
      deadline);
}

void Socket::ShutdownWrite() { ::shutdown(fd(), SHUT_WR); }
void Socket::ShutdownBoth() { ::shutdown(fd(), SHUT_RDWR); }

void Socket::SetAbortiveClose() {
  const linger option{1, 0};
  setsockopt(fd(), SOL_SOCKET, SO_LINGER, &option, sizeof(option));
}

void Socket::SetNoDelay() {
  const int one = 1;
  setsockopt(fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int SocketErrno(const absl::Status& status) {
  // absl::optional: Debian's Abseil does not alias std::optional.
  const absl::optional<absl::Cord> payload = status.GetPayload(kErrnoPayload);
  int error = 0;
  if (!payload.has_value() ||
      !absl::SimpleAtoi(std::string(*payload), &error)) {
    return 0;
  }
  return error;
}

bool Ipv6Available() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

}  // namespace rsockd::net
