// This file defines `TakeInetdConnection`, the start of `--inetd` mode: an
// inetd (`nowait` service) has accepted the connection and started rsockd
// with it on descriptor 0 — and, for classic inetd and xinetd, on 1 and 2
// as well.
//
// Anything written to stdout or stderr would then reach the client in the
// middle of its SOCKS conversation, so the connection moves to a descriptor
// of its own and 0 and 1 are reopened on /dev/null, and so is 2 when it is
// the connection too (a stderr that is something else — a log file, the
// journal — is kept). From then on glog's stderr output is harmless, but it
// goes nowhere: in inetd mode use --syslog or --log_dir to keep the log.
//
// Example (main.cc):
//
//   absl::StatusOr<InetdConnection> connection = TakeInetdConnection();
//   if (!connection.ok()) ...
//   server->ServeConnection(std::move(connection->socket), connection->peer);

#ifndef RSOCKD_RSOCKD_INETD_H_
#define RSOCKD_RSOCKD_INETD_H_

#include "absl/status/statusor.h"
#include "net/address.h"
#include "net/socket.h"

namespace rsockd {

struct InetdConnection {
  net::Socket socket;  // non-blocking, close-on-exec, descriptor > 2
  net::SocketAddress peer;
};

// Takes the connection from descriptor 0 as described above.
// FailedPrecondition when descriptor 0 is not a connected stream socket
// (rsockd --inetd started by hand, or `wait` instead of `nowait` in
// inetd.conf); the descriptors are then left as they were.
absl::StatusOr<InetdConnection> TakeInetdConnection();

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_INETD_H_
