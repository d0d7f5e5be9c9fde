// This file defines `BindListeners`, which opens rsockd's listening sockets
// for the --listen addresses (docs/operations.md, "Listening").
//
// Two rules make a list of addresses behave as one service:
//
//   - An IPv6 address is bound IPv6-only (IPV6_V6ONLY) when the list also
//     holds an IPv4 address, so that the default `0.0.0.0,::` binds both
//     wildcards on one port. Without an IPv4 address in the list, `::`
//     serves IPv4 clients too, as IPv4-mapped addresses, as it always did.
//   - Addresses asking for port 0 all get the same port: the first one's,
//     which the kernel picks, so the one number of --port_file reaches every
//     listener. When a later address cannot be bound on that port (most
//     often another socket holds it there), everything is closed and tried
//     again with a new port, at most kMaxSharedPortAttempts times.
//
//   absl::StatusOr<std::vector<BoundListener>> listeners =
//       BindListeners({{*net::IpAddress::Parse("0.0.0.0"), 0},
//                      {*net::IpAddress::Parse("::"), 0}}, 1024);
//
// A failure closes whatever was bound: nothing is left open. Thread-safe (no
// shared state).

#ifndef RSOCKD_RSOCKD_SERVER_LISTENERS_H_
#define RSOCKD_RSOCKD_SERVER_LISTENERS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "net/address.h"
#include "net/socket.h"

namespace rsockd {

// How many ports BindListeners tries for addresses that share port 0.
inline constexpr int kMaxSharedPortAttempts = 16;

// One listening socket and the address it is bound to (the port filled in).
struct BoundListener {
  net::Socket socket;
  net::SocketAddress address;
};

// BindListeners()
//
// Binds and listens on every address, in order, by the rules above. The
// error of the first address that could not be bound, naming it.
absl::StatusOr<std::vector<BoundListener>> BindListeners(
    absl::Span<const net::SocketAddress> addresses, int backlog);

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_SERVER_LISTENERS_H_
