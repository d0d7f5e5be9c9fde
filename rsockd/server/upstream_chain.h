// This file defines `RequestThroughUpstreams`, the upstream leg of a request
// that socks.conf routes through other SOCKS servers
// (docs/socks_conf.md#upstream-chaining).
//
// Servers are tried in the order UpstreamHealth gives (the list order, with
// servers that failed lately last). For each: put the request in the
// server's protocol, resolve the server's name (bounded), pick the source
// address from sockd.route, connect, send the request and read the reply.
//
//   socks4a://  SOCKS4, or SOCKS4A for a request by name (the name goes
//               upstream unresolved), with the client's USERID
//   socks4://   SOCKS4 only: a name is resolved here and its first IPv4
//               address that sockd.conf permits is sent
//   socks5://   SOCKS5 (ATYP 3 for a name), RFC 1929 with the entry's
//               credentials, else method 00
//
// A server whose protocol cannot carry the request (an IPv6 destination
// over SOCKS4; a name without a permitted IPv4 address over socks4://) is
// passed over without blame. rsockd moves on to the next server as well
// when a name does not resolve, no route or connect succeeds, or the server
// closes, stalls, garbles its reply or refuses rsockd's method or
// credentials; each such fault marks the server down. A well-formed reply
// is an answer: a grant hands over the connection, a refusal (SOCKS4 91..93,
// SOCKS5 REP 01..08) is final, and either way no further server is tried.

#ifndef RSOCKD_RSOCKD_SERVER_UPSTREAM_CHAIN_H_
#define RSOCKD_RSOCKD_SERVER_UPSTREAM_CHAIN_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/resolver.h"
#include "net/socket.h"
#include "rsockd/server/outcome.h"
#include "rsockd/server/own_listeners.h"
#include "rsockd/server/request.h"
#include "rsockd/server/upstream_health.h"
#include "rules/rule_set.h"
#include "rules/socks_conf.h"
#include "rules/upstream_server.h"

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

// The request as the upstream leg sends it on.
struct UpstreamRequest {
  Command command = Command::kConnect;
  Destination destination;
  // SOCKS4's USERID: the client's user id. SOCKS5 has none to carry.
  std::string user_id;
  // For a request by name through a `socks4://` server: the name's
  // addresses as resolved here. May be called once per such server; the
  // session answers from its one resolution of the name.
  std::function<absl::StatusOr<std::vector<net::IpAddress>>()> resolve;
  // The addresses of the name that the deciding sockd.conf line permits
  // (rules::AccessDecision::addresses); nullopt: any.
  std::optional<std::vector<net::IpAddress>> permitted;
};

// A well-formed reply of an upstream server, whatever its protocol.
struct UpstreamReply {
  bool granted = false;
  // Not granted: the code as the server sent it.
  UpstreamRefusal refusal;
  // Granted: the reply's address (SOCKS4 DSTIP:DSTPORT, SOCKS5
  // BND.ADDR:BND.PORT). A SOCKS5 BND.ADDR that is a host name gives
  // 0.0.0.0 with the port: rsockd resolves no name on a client's behalf
  // that nobody asked for, and 0.0.0.0 means "the server's own address".
  net::SocketAddress address;
};

// "91" for SOCKS4, "5 (connection refused)" for SOCKS5: a refusal's code
// for the request log.
std::string UpstreamRefusalText(const UpstreamRefusal& refusal);

// ReadUpstreamReply()
//
// Reads one reply in `scheme`'s protocol by `deadline`: how a BIND's second
// reply is read. Errors as net::ReadSocks4Reply / net::ReadSocks5Reply.
absl::StatusOr<UpstreamReply> ReadUpstreamReply(net::Socket& socket,
                                                rules::UpstreamScheme scheme,
                                                const net::Deadline& deadline);

struct UpstreamResult {
  enum class Outcome {
    kGranted,      // a server granted; `socket` is connected to it
    kRefused,      // a server refused
    kUnreachable,  // no server answered; `failure` and `reason` say why
  };

  Outcome outcome = Outcome::kUnreachable;
  net::Socket socket;
  // kGranted, kRefused: the server that answered, and the address of it
  // that was connected to.
  const rules::UpstreamServer* server = nullptr;
  net::SocketAddress server_address;
  UpstreamReply reply;
  // One entry per server that failed, in the order tried:
  // "fw1.example:1080: cannot connect: Connection refused".
  std::vector<std::string> faults;
  // One entry per server passed over because its protocol cannot carry the
  // request: "socks4://fw1.example:1080: cannot carry the request: ...".
  std::vector<std::string> passed_over;
  // kUnreachable: kGeneralFailure when a server failed; when none failed
  // but each was passed over, why the last one could not carry the request
  // (kAddressTypeUnsupported, kHostUnreachable, kDeniedByRules).
  Failure failure = Failure::kGeneralFailure;
  std::string reason;
};

// Sends `request` through the first of `servers` that answers.
UpstreamResult RequestThroughUpstreams(
    absl::Span<const rules::UpstreamServer> servers,
    const UpstreamRequest& request, const UpstreamContext& context);

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_SERVER_UPSTREAM_CHAIN_H_
