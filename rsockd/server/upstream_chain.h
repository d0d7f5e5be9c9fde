// This file defines `RequestThroughUpstreams`, the upstream leg of a request
// that socks.conf routes through other SOCKS servers
// (docs/socks_conf.md#upstream-chaining).
//
// Servers are tried in the order UpstreamHealth gives (the list order, with
// servers that failed lately last). For each: resolve its name (bounded),
// pick the source address from sockd.route, connect, send the client's
// request — SOCKS4A when the client gave a name, so the hop that finally
// connects resolves it — with the client's claimed USERID, and read the
// reply. rsockd moves on to the next server when a name does not resolve,
// no route or connect succeeds, or the server closes, stalls or garbles its
// reply; each such fault marks the server down. A well-formed reply is an
// answer: 90 hands over the connection, 91..93 refuse, and either way no
// further server is tried.

#ifndef RSOCKD_RSOCKD_SERVER_UPSTREAM_CHAIN_H_
#define RSOCKD_RSOCKD_SERVER_UPSTREAM_CHAIN_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/resolver.h"
#include "net/socket.h"
#include "net/socks4.h"
#include "rsockd/server/own_listeners.h"
#include "rsockd/server/upstream_health.h"
#include "rules/rule_set.h"
#include "rules/socks_conf.h"

namespace rsockd {

// What the upstream leg uses; all must outlive the call.
struct UpstreamContext {
  // The session's snapshot, for the source address (sockd.route).
  const rules::RuleSet* rules = nullptr;
  net::Resolver* resolver = nullptr;
  UpstreamHealth* health = nullptr;
  absl::Duration resolve_timeout = absl::Seconds(10);
  // Bounds the connect to each server, and then separately the wait for its
  // reply (an upstream replies only after its own onward connect).
  absl::Duration connect_timeout = absl::Seconds(120);
  absl::Duration retry_after = absl::Seconds(30);
  // A server that is one of these is a routing loop: skipped as a fault.
  // May be null (none).
  const OwnListeners* own_listeners = nullptr;
  const net::StopSignal* stop = nullptr;
};

struct UpstreamResult {
  enum class Outcome {
    kGranted,      // a server replied 90; `socket` is connected to it
    kRefused,      // a server replied 91, 92 or 93
    kUnreachable,  // no server answered; `faults` says why
  };

  Outcome outcome = Outcome::kUnreachable;
  net::Socket socket;
  // kGranted, kRefused: the server that answered, and the address of it
  // that was connected to.
  const rules::UpstreamServer* server = nullptr;
  net::SocketAddress server_address;
  net::Socks4Reply reply;
  // One entry per server that failed, in the order tried:
  // "fw1.example:1080: cannot connect: Connection refused".
  std::vector<std::string> faults;
};

// Sends `request` through the first of `servers` that answers.
UpstreamResult RequestThroughUpstreams(
    absl::Span<const rules::UpstreamServer> servers,
    const net::Socks4Request& request, const UpstreamContext& context);

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_SERVER_UPSTREAM_CHAIN_H_
