// This file defines `Outcome`, what a step of the session decided about a
// request, and `Failure`, the kinds of "no" it can be. The steps (rules,
// ident, routing, the route file, connect, BIND, upstream servers) return
// them; only the front end (front_end.h) turns them into a reply, each
// protocol with its own codes (socks4_front_end.h for SOCKS4's). The kinds
// keep apart the causes a protocol may tell its client:
//
//   kDeniedByRules           sockd.conf or socks.conf deny or no match,
//                            rsockd's own listener, no permitted address,
//                            a BIND for any peer with --bind_any_peer off,
//                            a BIND peer that is not the expected one
//   kIdentUnavailable        strict ident, identd not asked
//   kIdentMismatch           identd named another user
//   kUpstreamRefused         an upstream server's refusal, its code kept
//                            (UpstreamRefusal)
//   kNetworkUnreachable      ENETUNREACH; no sockd.route line for a BIND
//   kHostUnreachable         EHOSTUNREACH; a name that does not resolve,
//                            or not in time; an unspecified address
//   kConnectionRefused       ECONNREFUSED
//   kTimedOut                --connect_timeout, --bind_timeout
//   kCommandUnsupported      a command the server does not carry
//   kAddressTypeUnsupported  an address form it does not take
//   kGeneralFailure          anything else: a malformed request, no
//                            upstream server answering, a garbled second
//                            BIND reply, a BIND listener that cannot be
//                            opened, the client leaving, the server
//                            stopping
//
// Each kind is either a refusal (someone said no: the request log's
// "refused -- DESC [why]") or a failure (something did not work: "failed --
// DESC. Error code: why"); IsRefusal() says which.
//
// Plain values: copy them, keep them.

#ifndef RSOCKD_RSOCKD_SERVER_OUTCOME_H_
#define RSOCKD_RSOCKD_SERVER_OUTCOME_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "net/address.h"
#include "rsockd/server/request.h"

namespace rsockd {

enum class Failure : uint8_t {
  kDeniedByRules,
  kIdentUnavailable,
  kIdentMismatch,
  kUpstreamRefused,
  kNetworkUnreachable,
  kHostUnreachable,
  kConnectionRefused,
  kTimedOut,
  kCommandUnsupported,
  kAddressTypeUnsupported,
  kGeneralFailure,
};

// Whether `failure` is a refusal (a rule, identd or an upstream server said
// no) rather than something that did not work.
bool IsRefusal(Failure failure);

// An upstream server's well-formed refusal, as it sent it: a front end of
// the same protocol may pass the code on, another maps it to its own.
struct UpstreamRefusal {
  SocksVersion version = SocksVersion::kSocks4;
  // SOCKS4: CD 91..93.
  uint8_t code = 0;
};

// Outcome
//
// Granted, with the address the reply carries, or not, with the kind of
// failure and the words of the request log.
class Outcome {
 public:
  // `address`: for a CONNECT, the local address of the connection to the
  // destination, or what the upstream server reported; for a BIND's first
  // reply, where the peer is to connect; for its second, the peer's
  // address. A step that only lets the request go on grants without one.
  static Outcome Granted(
      const net::SocketAddress& address = net::SocketAddress()) {
    return Outcome(std::nullopt, address, {}, {});
  }
  // `reason`: the bracketed part of a refusal's line, or the error of a
  // failure's.
  static Outcome Failed(Failure failure, std::string reason) {
    return Outcome(failure, {}, std::move(reason), {});
  }
  static Outcome RefusedUpstream(const UpstreamRefusal& refusal,
                                 std::string reason) {
    return Outcome(Failure::kUpstreamRefused, {}, std::move(reason), refusal);
  }

  bool granted() const { return !failure_.has_value(); }
  // Granted only.
  const net::SocketAddress& address() const { return address_; }
  // Not granted only.
  Failure failure() const { return *failure_; }
  const std::string& reason() const { return reason_; }
  // kUpstreamRefused only.
  const UpstreamRefusal& upstream() const { return upstream_; }

 private:
  Outcome(std::optional<Failure> failure, const net::SocketAddress& address,
          std::string reason, const UpstreamRefusal& upstream)
      : failure_(failure),
        address_(address),
        reason_(std::move(reason)),
        upstream_(upstream) {}

  std::optional<Failure> failure_;
  net::SocketAddress address_;
  std::string reason_;
  UpstreamRefusal upstream_;
};

// ConnectFailure()
//
// The kind of a failed net::Socket::Connect(), from its errno
// (net::SocketErrno): ECONNREFUSED, ENETUNREACH, EHOSTUNREACH; a deadline
// that passed (or ETIMEDOUT) is kTimedOut; anything else, the server
// stopping included, kGeneralFailure.
Failure ConnectFailure(const absl::Status& status);

// ResolveFailure()
//
// The kind of a failed net::Resolver::Resolve(): kHostUnreachable for a
// name that does not resolve here, whatever the reason (no such name, the
// DNS failing, no answer in time), kGeneralFailure when the server stops.
Failure ResolveFailure(const absl::Status& status);

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_SERVER_OUTCOME_H_
