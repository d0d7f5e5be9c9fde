// This file defines `ServiceName`, the /etc/services name of a TCP port, as
// the classic request log shows it ("telnet"), else the port number.
//
// getservbyport_r(3) opens and scans /etc/services on every call; at tens of
// thousands of connections a second that is most of a session's cost. The
// table is read once, on first use, and shared read-only by every thread.

#ifndef RSOCKD_NET_SERVICE_NAMES_H_
#define RSOCKD_NET_SERVICE_NAMES_H_

#include <cstdint>
#include <string>

namespace rsockd::net {

// Thread-safe.
std::string ServiceName(uint16_t port);

}  // namespace rsockd::net

#endif  // RSOCKD_NET_SERVICE_NAMES_H_
