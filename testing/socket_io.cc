#include "testing/socket_io.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"

namespace rsockd::testing {

net::IpAddress Loopback() { return net::IpAddress::FromIPv4(0x7f000001); }

net::SocketAddress LoopbackAddress(uint16_t port) {
  return net::SocketAddress(Loopback(), port);
}

absl::StatusOr<net::Socket> ConnectTcp(
    const net::SocketAddress& to, absl::Duration timeout,
    const std::optional<net::IpAddress>& from) {
  return net::Socket::Connect(to, from, net::Deadline::In(timeout));
}

absl::StatusOr<net::Socket> ReserveClosedPort() {
  net::Socket socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!socket.valid()) return absl::ErrnoToStatus(errno, "socket()");
  sockaddr_storage storage;
  const socklen_t length = LoopbackAddress(0).ToSockaddr(&storage);
  if (bind(socket.fd(), reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    return absl::ErrnoToStatus(errno, "bind() to 127.0.0.1:0");
  }
  return socket;
}

absl::StatusOr<std::string> ReadExactly(net::Socket& socket, size_t size,
                                        const net::Deadline& deadline) {
  std::string data(size, '\0');
  size_t have = 0;
  while (have < size) {
    absl::StatusOr<size_t> n = socket.ReadSome(
        absl::MakeSpan(reinterpret_cast<uint8_t*>(data.data()) + have,
                       size - have),
        deadline);
    if (!n.ok()) {
      return absl::Status(n.status().code(),
                          absl::StrCat("after ", have, " of ", size,
                                       " bytes: ", n.status().message()));
    }
    if (*n == 0) {
      return absl::OutOfRangeError(
          absl::StrCat("peer closed after ", have, " of ", size, " bytes"));
    }
    have += *n;
  }
  return data;
}

absl::StatusOr<ReadToCloseResult> ReadUntilClosed(net::Socket& socket,
                                                  const net::Deadline& deadline,
                                                  size_t max_bytes) {
  ReadToCloseResult result;
  char buffer[64 * 1024];
  for (;;) {
    // recv(2) directly rather than Socket::ReadSome: ECONNRESET is an
    // expected outcome here and must be told apart from other errors.
    const ssize_t n = recv(socket.fd(), buffer, sizeof(buffer), 0);
    if (n == 0) return result;
    if (n > 0) {
      result.data.append(buffer, n);
      if (result.data.size() > max_bytes) {
        return absl::ResourceExhaustedError(
            absl::StrCat("more than ", max_bytes, " bytes before close"));
      }
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == ECONNRESET) {
      result.reset = true;
      return result;
    }
    if (errno != EAGAIN) {
      return absl::ErrnoToStatus(
          errno, absl::StrCat("recv() after ", result.data.size(), " bytes"));
    }
    if (absl::Status ready = deadline.Wait(socket.fd(), POLLIN); !ready.ok()) {
      return absl::Status(
          ready.code(),
          absl::StrCat("connection still open after ", result.data.size(),
                       " bytes: ", ready.message()));
    }
  }
}

SendAndReadResult SendAndReadUntilClosed(net::Socket& socket,
                                         absl::string_view data,
                                         const net::Deadline& deadline,
                                         size_t max_bytes) {
  SendAndReadResult result;
  std::thread sender([&] {
    result.sent = socket.WriteAll(data, deadline);
    socket.ShutdownWrite();
  });
  result.received = ReadUntilClosed(socket, deadline, max_bytes);
  sender.join();
  return result;
}

absl::Status StaysSilent(net::Socket& socket, absl::Duration wait) {
  uint8_t byte;
  absl::StatusOr<size_t> read =
      socket.ReadSome(absl::MakeSpan(&byte, 1), net::Deadline::In(wait));
  if (absl::IsDeadlineExceeded(read.status())) return absl::OkStatus();
  if (!read.ok()) return read.status();
  return absl::FailedPreconditionError(
      absl::StrCat(*read == 0 ? "EOF" : "a byte", " within ",
                   absl::FormatDuration(wait), " from a peer expected silent"));
}

}  // namespace rsockd::testing
