// This file defines `OwnListeners`, the listening sockets of this rsockd, so
// that a session never connects to one of them (README "Security notes").
//
// A CONNECT to rsockd's own port would come back in as a new client from
// this host's address: a request the rules judge by its original client
// (say, one denied 127.0.0.3) would be judged again as a loopback client,
// which many sockd.conf files trust; and requests nested inside each other
// take one worker each from a single connection. So every destination is
// checked before the connect, whether the client named it by address or by
// a name that resolved to it, and upstream servers are checked too (a
// socks.conf line that routes to this rsockd itself is a loop).
//
// A destination is one of ours when its port is a listening port and its
// address is that listener's address, or, for a wildcard listener (0.0.0.0,
// or :: which takes IPv4 too), any address local to this host
// (net/local_address.h: every interface address, all of 127.0.0.0/8, ::1).
// When the kernel cannot say whether an address is local, it is taken to
// be: fail closed.
//
//   OwnListeners own({*net::SocketAddress ... bound listeners});
//   if (own.Contains(destination)) ... refuse
//
// Immutable after construction: thread-safe.

#ifndef RSOCKD_RSOCKD_SERVER_OWN_LISTENERS_H_
#define RSOCKD_RSOCKD_SERVER_OWN_LISTENERS_H_

#include <utility>
#include <vector>

#include "net/address.h"

namespace rsockd {

class OwnListeners {
 public:
  // None: nothing is refused (tools and tests that have no listener).
  OwnListeners() = default;
  // The bound addresses of the listeners (ports chosen by the kernel
  // included). An inetd connection's local address stands for inetd's
  // listener, which may be a wildcard one: pass it with the unspecified
  // address of its family.
  explicit OwnListeners(std::vector<net::SocketAddress> listeners)
      : listeners_(std::move(listeners)) {}

  // Whether connecting to `destination` would reach one of the listeners.
  // Asks the kernel (one netlink round trip) only when the port is one of
  // ours and a wildcard listener has it.
  bool Contains(const net::SocketAddress& destination) const;

  const std::vector<net::SocketAddress>& listeners() const {
    return listeners_;
  }

 private:
  std::vector<net::SocketAddress> listeners_;
};

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_SERVER_OWN_LISTENERS_H_
