// This file defines blocking, deadline-bounded socket operations that tests
// need on top of `net::Socket`: connecting from a chosen local address,
// reading an exact count, reading until the peer closes (counting a reset as
// a close, which is what a client sees when a server closes with unread
// input), sending while reading, and checking that a peer stays silent.

#ifndef RSOCKD_TESTING_SOCKET_IO_H_
#define RSOCKD_TESTING_SOCKET_IO_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/socket.h"

namespace rsockd::testing {

// 127.0.0.1.
net::IpAddress Loopback();
// 127.0.0.1:`port`.
net::SocketAddress LoopbackAddress(uint16_t port);

// Connects to `to`, from the local IP `from` when given (any 127.x.y.z can
// be bound), within `timeout`.
absl::StatusOr<net::Socket> ConnectTcp(
    const net::SocketAddress& to, absl::Duration timeout,
    const std::optional<net::IpAddress>& from = std::nullopt);

// A socket bound to 127.0.0.1:0 that never listens. While it is open, its
// port is a "closed port" that nobody else can take: connections to it are
// refused. Read the port with `LocalAddress()`.
absl::StatusOr<net::Socket> ReserveClosedPort();

// Reads exactly `size` bytes. OutOfRange (with the bytes seen) when the peer
// closes first; DeadlineExceeded on timeout.
absl::StatusOr<std::string> ReadExactly(net::Socket& socket, size_t size,
                                        const net::Deadline& deadline);

// What a reader saw until the peer went away.
struct ReadToCloseResult {
  std::string data;
  // True when the connection ended with a reset (ECONNRESET) rather than an
  // orderly EOF.
  bool reset = false;
};

// Reads until EOF or reset. DeadlineExceeded (with the byte count) on
// timeout; ResourceExhausted when more than `max_bytes` arrive.
absl::StatusOr<ReadToCloseResult> ReadUntilClosed(net::Socket& socket,
                                                  const net::Deadline& deadline,
                                                  size_t max_bytes = 64 << 20);

// What one side of a connection saw sending and reading at once.
struct SendAndReadResult {
  // The send of the data, before the half-close.
  absl::Status sent;
  // What arrived until the peer closed.
  absl::StatusOr<ReadToCloseResult> received;
};

// Sends `data` and half-closes `socket` on a second thread while reading
// until the peer closes (ReadUntilClosed, at most `max_bytes`), both bounded
// by `deadline` — so that a peer that answers while it reads (an echo, a
// relay both ways) never blocks on a full buffer.
SendAndReadResult SendAndReadUntilClosed(net::Socket& socket,
                                         absl::string_view data,
                                         const net::Deadline& deadline,
                                         size_t max_bytes);

// Waits `wait` for something to read on `socket`: OK when nothing comes and
// the connection stays open (a peer still waiting for the client, a session
// that must not answer yet); FailedPrecondition when a byte or EOF comes
// first; the error of a failed read.
absl::Status StaysSilent(net::Socket& socket, absl::Duration wait);

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_SOCKET_IO_H_
