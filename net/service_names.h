// This file defines the lookups in the services database (/etc/services)
// for TCP: `ServiceName`, the name of a port as the classic request log shows
// it ("telnet"), else the port number; and `LookUpTcpService`, the port of a
// name, as rule files and upstream server lists use them.
//
// getservbyport_r(3) opens and scans /etc/services on every call; at tens of
// thousands of connections a second that is most of a session's cost. The
// table is read once, on first use, and shared read-only by every thread.

#ifndef RSOCKD_NET_SERVICE_NAMES_H_
#define RSOCKD_NET_SERVICE_NAMES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace rsockd::net {

// Thread-safe.
std::string ServiceName(uint16_t port);

// The port of a tcp service name ("telnet" -> 23, "socks" -> 1080), or
// nullopt when the database has no such name. Reads the database on every
// call (getservbyname_r): for configuration parsing, not per connection.
// Thread-safe.
std::optional<uint16_t> LookUpTcpService(absl::string_view name);

}  // namespace rsockd::net

#endif  // RSOCKD_NET_SERVICE_NAMES_H_
