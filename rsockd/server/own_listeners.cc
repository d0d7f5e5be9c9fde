#include "rsockd/server/own_listeners.h"

#include "absl/status/statusor.h"
#include "glog/logging.h"
#include "net/local_address.h"

namespace rsockd {

bool OwnListeners::Contains(const net::SocketAddress& destination) const {
  for (const net::SocketAddress& listener : listeners_) {
    if (listener.port() != destination.port()) continue;
    if (listener.ip() == destination.ip()) return true;
    if (!listener.ip().IsUnspecified()) continue;
    // An IPv4 wildcard takes IPv4 only; the IPv6 one takes both families
    // (net::Socket::Listen turns IPV6_V6ONLY off).
    if (listener.ip().is_ipv4() && !destination.ip().is_ipv4()) continue;
    absl::StatusOr<bool> local = net::IsLocalAddress(destination.ip());
    if (!local.ok()) {
      LOG(WARNING) << local.status() << "; taking "
                   << destination.ip().ToString() << " for this host";
      return true;
    }
    if (*local) return true;
  }
  return false;
}

}  // namespace rsockd
