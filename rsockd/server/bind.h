// This file defines the mechanics of a BIND (docs/bind.md;
// docs/socks_conf.md#upstream-chaining), which the session strings together
// with its replies and request-log lines:
//
//   direct:    BindListener::Open(listen address)
//              → first grant carrying listener.address()
//              → listener.AcceptPeer(client, expected, deadline)
//              → second grant carrying the peer's address → relay
//   upstream:  RequestThroughUpstreams (upstream_chain.h: the BIND request
//              and the upstream's first reply, in its protocol)
//              → first grant carrying FirstReplyAddress(...)
//              → ReadSecondReply(upstream, scheme, client, deadline)
//              → second reply carrying the upstream's peer address → relay
//
// Both waits watch the client's connection without reading from it. A
// client that closes or resets its connection ends the wait (Aborted): there
// is nobody left to relay for, and the listener must not stay open. Bytes the
// client sends while it waits stay queued in its socket, in order, and the
// relay forwards them to the peer first; the socket's receive buffer and TCP
// flow control bound them, so no buffer of ours is needed. A FIN from the
// client while it waits counts as going away: a closed and a half-closed
// client look alike on the wire, and holding the listener for a client that
// has closed would keep the port open until the timeout.
//
// Thread-safety: none of this is synchronized; one session uses its own
// objects from its own thread.

#ifndef RSOCKD_RSOCKD_SERVER_BIND_H_
#define RSOCKD_RSOCKD_SERVER_BIND_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/socket.h"
#include "rsockd/server/upstream_chain.h"
#include "rules/upstream_server.h"

namespace rsockd {

// WaitWhileClientStays()
//
// Blocks until `fd` is readable (or reports an error or hang-up, which the
// caller's next syscall on it tells) while the client's connection `client`
// stays open. Never consumes bytes from `client`. Errors: Aborted when the
// client closes or resets its connection, DeadlineExceeded / Cancelled from
// `deadline` (timeout, server stop).
absl::Status WaitWhileClientStays(int fd, const net::Socket& client,
                                  const net::Deadline& deadline);

// ExpectedPeer
//
// Which peers a direct BIND admits (docs/bind.md step 4): any peer (DSTIP
// 0.0.0.0, where --bind_any_peer allows it), or one of a set of addresses
// (DSTIP, or every address a SOCKS4A name resolved to). A cheap value.
class ExpectedPeer {
 public:
  static ExpectedPeer Any() { return ExpectedPeer({}); }
  // Requires at least one address.
  static ExpectedPeer OneOf(std::vector<net::IpAddress> addresses) {
    return ExpectedPeer(std::move(addresses));
  }

  bool Admits(const net::IpAddress& peer) const;
  // "any peer", "127.0.0.5", "127.0.0.5 or ::1", for log lines.
  std::string ToString() const;

 private:
  explicit ExpectedPeer(std::vector<net::IpAddress> addresses)
      : addresses_(std::move(addresses)) {}

  // Empty: any peer.
  std::vector<net::IpAddress> addresses_;
};

// A peer that connected to a BIND listener.
struct BindPeer {
  net::Socket socket;
  net::SocketAddress address;
};

// BindListener
//
// The one-shot listener of a direct BIND: it listens on an ephemeral port
// of a given local address and admits exactly one connection. Move-only;
// owns its socket, which its destructor closes.
class BindListener {
 public:
  // Listens on `ip` with a port the kernel picks. The error names the
  // address (e.g. EADDRNOTAVAIL when sockd.route names an address this host
  // does not have).
  static absl::StatusOr<BindListener> Open(const net::IpAddress& ip);

  // The address and port the peer is to connect to.
  const net::SocketAddress& address() const { return address_; }

  // Waits (WaitWhileClientStays) for one inbound connection. Closes the
  // listener before it returns, whatever the outcome, so the port admits
  // nobody else from then on. A peer
  // that `expected` does not admit is closed at once and the result is
  // PermissionDenied, "peer 127.0.0.6:40000 is not 127.0.0.5". Other errors
  // as WaitWhileClientStays, or accept(2)'s. Call at most once.
  absl::StatusOr<BindPeer> AcceptPeer(const net::Socket& client,
                                      const ExpectedPeer& expected,
                                      const net::Deadline& deadline);

 private:
  BindListener(net::Socket listener, net::SocketAddress address)
      : listener_(std::move(listener)), address_(address) {}

  net::Socket listener_;
  net::SocketAddress address_;
};

// FirstReplyAddress()
//
// The address of an upstream's first BIND reply as the client is to see it
// (docs/socks_conf.md#upstream-chaining): an upstream that answers 0.0.0.0
// means "my own address", which the client knows only as `server`, the address
// rsockd reached it at. `reply` is the address the upstream's reply carries
// (UpstreamReply::address: 0.0.0.0 too for a SOCKS5 BND.ADDR name).
net::SocketAddress FirstReplyAddress(const net::SocketAddress& reply,
                                     const net::SocketAddress& server);

// ReadSecondReply()
//
// Waits (WaitWhileClientStays) for an upstream's second BIND reply, sent
// when its peer connects, then reads it in `scheme`'s protocol
// (ReadUpstreamReply) by the same deadline. Errors: as WaitWhileClientStays;
// Unavailable when the upstream closes first, DataLoss for a garbled reply,
// both saying "upstream's second reply: ...". A well-formed refusal is a
// reply, not an error.
absl::StatusOr<UpstreamReply> ReadSecondReply(net::Socket& upstream,
                                              rules::UpstreamScheme scheme,
                                              const net::Socket& client,
                                              const net::Deadline& deadline);

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_SERVER_BIND_H_
