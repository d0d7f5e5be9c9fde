// This file defines the frozen form of sockd.route, the interface routes
// (docs/sockd_route.md; docs/frozen_files.md): a binary file, conventionally
// `sockd.fr` beside `sockd.route`.
//
// The container (magic, version, kind 3, length, CRC-32C) is described in
// frozen_io.h, the shared parts in frozen_specs.h. The payload:
//
//   file name        the sockd.route it was frozen from, for messages
//   u32 rule count
//   per rule:
//     line number    its line in that file
//     IP address     the interface (never the unspecified address)
//     address spec   destination
//
// Thawing re-validates every value and refuses a payload with bytes left
// over. Thread-safe.

#ifndef RSOCKD_RULES_FROZEN_SOCKD_ROUTE_H_
#define RSOCKD_RULES_FROZEN_SOCKD_ROUTE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rules/sockd_route.h"

namespace rsockd::rules {

// The frozen file's extension: /etc/sockd.route -> /etc/sockd.fr.
inline constexpr absl::string_view kFrozenSockdRouteExtension = ".fr";

// Most routes in a frozen sockd.route.
inline constexpr uint32_t kMaxFrozenRoutes = 1 << 22;

// The whole frozen file for `route`; ResourceExhausted beyond the format's
// limits.
absl::StatusOr<std::string> FreezeSockdRoute(const SockdRoute& route);

// Reads a whole frozen file; errors as for ThawSockdConf.
absl::StatusOr<SockdRoute> ThawSockdRoute(absl::string_view file);

// Reads the file at `path` and thaws it; errors start with the path.
absl::StatusOr<SockdRoute> LoadFrozenSockdRoute(const std::string& path);

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_FROZEN_SOCKD_ROUTE_H_
