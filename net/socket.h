// This file defines `Socket`, the move-only owner of a TCP socket descriptor,
// and the few blocking-with-deadline operations the server needs on it.
//
// `Socket` owns every TCP socket in rsockd (through an `FdCloser`): every
// one is created through it and closed by its destructor, so a failed
// session cannot leak one. Sockets created here are non-blocking and
// close-on-exec; blocking behaviour is provided by the `Deadline`-taking
// methods, which poll.
//
// Thread-safety: a Socket is not synchronized. Two threads may use the same
// Socket at once only for independent directions (one reads, the other
// writes), as the relay does; `fd()` and `Shutdown*()` are safe then.

#ifndef RSOCKD_NET_SOCKET_H_
#define RSOCKD_NET_SOCKET_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "net/address.h"
#include "net/deadline.h"
#include "rsockd/base/fd_closer.h"

namespace rsockd::net {

class Socket {
 public:
  Socket() = default;
  // Takes ownership of `fd`.
  explicit Socket(int fd) : fd_(fd) {}

  Socket(Socket&& other) noexcept = default;
  Socket& operator=(Socket&& other) noexcept = default;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // A listening socket on `address` (SO_REUSEADDR). For an IPv6 address,
  // `ipv6_only` sets IPV6_V6ONLY: off, "::" serves IPv4 clients too (as
  // IPv4-mapped addresses); on, it leaves the port's IPv4 side to a
  // listener of its own, so "0.0.0.0" and "::" can share a port. Ignored
  // for an IPv4 address.
  static absl::StatusOr<Socket> Listen(const SocketAddress& address,
                                       int backlog, bool ipv6_only = false);

  // Connects to `to`, optionally from the local address `from` (port chosen
  // at connect time with IP_BIND_ADDRESS_NO_PORT so that fixed source
  // addresses do not exhaust ephemeral ports). Errors carry the errno-derived
  // code (Unavailable for refused/unreachable, DeadlineExceeded for a
  // timeout) and say what failed; an error from connect(2) itself also
  // carries its errno (SocketErrno).
  static absl::StatusOr<Socket> Connect(const SocketAddress& to,
                                        const std::optional<IpAddress>& from,
                                        const Deadline& deadline);

  // Wraps a descriptor inherited from elsewhere (a copy of inetd's fd 0),
  // making it non-blocking and close-on-exec. Takes ownership of `fd` either
  // way: on failure it is closed.
  static absl::StatusOr<Socket> Adopt(FdCloser fd);

  bool valid() const { return fd_.valid(); }
  int fd() const { return fd_.get(); }
  // Gives up ownership; the Socket becomes invalid.
  int Release() { return fd_.Release(); }
  void Close() { fd_.Close(); }

  // accept4(2) on a listening socket. Never blocks: Unavailable when no
  // connection is pending.
  absl::StatusOr<Socket> Accept(SocketAddress* peer) const;

  absl::StatusOr<SocketAddress> LocalAddress() const;
  absl::StatusOr<SocketAddress> PeerAddress() const;

  // Reads at least one byte into `buffer` unless the peer closed (returns 0).
  absl::StatusOr<size_t> ReadSome(absl::Span<uint8_t> buffer,
                                  const Deadline& deadline);
  // Writes every byte of `data` (MSG_NOSIGNAL).
  absl::Status WriteAll(absl::Span<const uint8_t> data,
                        const Deadline& deadline);
  absl::Status WriteAll(absl::string_view data, const Deadline& deadline);

  // shutdown(2); errors (e.g. ENOTCONN after a reset) are not interesting to
  // callers, who are tearing down anyway.
  void ShutdownWrite();
  void ShutdownBoth();

  // Sets SO_LINGER 0 so that close(2) sends RST and leaves no TIME_WAIT.
  void SetAbortiveClose();
  void SetNoDelay();

 private:
  FdCloser fd_;
};

// SocketErrno()
//
// The errno of a Connect() that connect(2) failed (at once, or later through
// SO_ERROR): ECONNREFUSED, ENETUNREACH, EHOSTUNREACH..., which the status
// code alone does not tell apart (all Unavailable) and a SOCKS reply does.
// 0 for any other status.
int SocketErrno(const absl::Status& status);

// Ipv6Available()
//
// Whether this host can make IPv6 sockets at all: false on a kernel without
// IPv6 (booted with ipv6.disable=1), where socket(AF_INET6) fails.
bool Ipv6Available();

}  // namespace rsockd::net

#endif  // RSOCKD_NET_SOCKET_H_
