#include "rsockd/server/listeners.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/status/status.h"

namespace rsockd {
namespace {

// One try at binding every address: the listeners, or the error and
// whether it came from binding the shared port on a later address
// (FailedPrecondition: EADDRINUSE, the port taken there), which another port
// may avoid.
struct Attempt {
  absl::StatusOr<std::vector<BoundListener>> listeners;
  bool shared_port_taken = false;
};

Attempt BindAll(absl::Span<const net::SocketAddress> addresses, int backlog,
                bool ipv6_only) {
  std::vector<BoundListener> listeners;
  std::optional<uint16_t> shared_port;
  for (const net::SocketAddress& address : addresses) {
    const bool shares = address.port() == 0 && shared_port.has_value();
    const net::SocketAddress asked(address.ip(),
                                   shares ? *shared_port : address.port());
    absl::StatusOr<net::Socket> socket =
        net::Socket::Listen(asked, backlog, ipv6_only);
    if (!socket.ok()) {
      return {socket.status(),
              shares && absl::IsFailedPrecondition(socket.status())};
    }
    absl::StatusOr<net::SocketAddress> bound = socket->LocalAddress();
    if (!bound.ok()) return {bound.status()};
    if (address.port() == 0) shared_port = bound->port();
    listeners.push_back({*std::move(socket), *bound});
  }
  return {std::move(listeners)};
}

}  // namespace

absl::StatusOr<std::vector<BoundListener>> BindListeners(
    absl::Span<const net::SocketAddress> addresses, int backlog) {
  const bool ipv6_only =
      std::any_of(addresses.begin(), addresses.end(),
                  [](const net::SocketAddress& a) { return a.ip().is_ipv4(); });
  Attempt attempt;
  for (int i = 0; i < kMaxSharedPortAttempts; ++i) {
    attempt = BindAll(addresses, backlog, ipv6_only);
    if (!attempt.shared_port_taken) break;
  }
  return std::move(attempt.listeners);
}

}  // namespace rsockd
