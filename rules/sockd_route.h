// This file defines the parsed form of sockd.route, the interface routes of
// a multi-homed host (docs/sockd_route.md): `RouteRule`, `SockdRoute`, and the
// parser `ParseSockdRoute()`.
//
// Each line names a local address, then the destinations it serves:
//
//   route := if_addr dst_spec
//
//   # classic form: interface, destination address, destination mask
//   192.168.1.1   192.168.1.0 255.255.255.0
//   10.0.0.1      10.0.0.0/8
//   127.0.0.2     ALL
//
// `dst_spec` is any address spec of sockd.conf (address_spec.h). The first
// line whose spec matches the address rsockd is about to connect to (or, for
// a BIND, expects a connection from), and whose interface is of the same
// family, decides the local address (rule_set.h says how names are matched
// and what happens when no line matches). An interface of `0.0.0.0` (or
// `::`) lets the kernel choose for the destinations of its line:
//
//   0.0.0.0       .partner.example
//
// '#' starts a comment; anything else is an error, reported like the other rule
// files: every bad line, `file:line:col: message`, and one error rejects the
// file.
//
// All types are regular values, thread-safe to share once built.

#ifndef RSOCKD_RULES_SOCKD_ROUTE_H_
#define RSOCKD_RULES_SOCKD_ROUTE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "net/address.h"
#include "rules/address_spec.h"

namespace rsockd::rules {

// RouteRule
//
// One line: the local address to use for destinations matching the spec.
struct RouteRule {
  // The unspecified address (0.0.0.0, ::): the kernel chooses.
  net::IpAddress interface;
  AddressSpec destination;
  // 1-based line number, for messages.
  int line = 0;

  // Normalized text, "127.0.0.2 127.0.0.0 255.0.0.0"; it parses back to an
  // equal rule (apart from `line`).
  std::string ToString() const;

  friend bool operator==(const RouteRule&, const RouteRule&) = default;
};

// SockdRoute
//
// A whole parsed sockd.route.
struct SockdRoute {
  std::string filename;
  // In file order: the first matching line decides.
  std::vector<RouteRule> rules;
};

// Largest sockd.route that `LoadSockdRoute` reads, in bytes.
inline constexpr size_t kMaxSockdRouteSize = 16 << 20;

// ParseSockdRoute()
//
// Parses the text of a sockd.route; `filename` is used in error messages and
// kept. On any error, returns InvalidArgument listing every error, one per
// line: "file:line:col: message".
absl::StatusOr<SockdRoute> ParseSockdRoute(absl::string_view text,
                                           absl::string_view filename);

// LoadSockdRoute()
//
// Reads and parses the file at `path`.
absl::StatusOr<SockdRoute> LoadSockdRoute(const std::string& path);

// FormatSockdRoute()
//
// A normalized dump, one `RouteRule::ToString()` per line.
std::string FormatSockdRoute(const SockdRoute& route);

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_SOCKD_ROUTE_H_
