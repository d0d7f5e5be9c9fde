// This file defines `TakeInetdConnection`, the start of inetd mode: an
// inetd (`nowait` service) has accepted a TCP connection and started rsockd
// with it on descriptor 0 — and, for classic inetd and xinetd, on 1 and 2
// as well. rsockd calls it first thing, with or without `--inetd`: a
// connection on descriptor 0 is inetd mode (docs/operations.md, "inetd"), so
// that a classic `rsockd -i` line works unchanged.
//
// Anything written to stdout or stderr would then reach the client in the
// middle of its SOCKS conversation, so the connection moves to a descriptor
// of its own and 0 and 1 are reopened on /dev/null. When 2 is the
// connection too, it becomes an anonymous memory file until
// `TakeCapturedStderr` puts /dev/null there: what flag parsing prints before
// the syslog sink exists is kept for syslog instead of lost. A stderr that
// is something else (a log file, the journal) is kept.
//
// Example (main.cc):
//
//   absl::StatusOr<InetdConnection> connection = TakeInetdConnection();
//   ... parse flags, open syslog ...
//   if (connection.ok() && connection->stderr_captured) {
//     for (line in TakeCapturedStderr()) send it to syslog;
//   }
//   server->ServeConnection(std::move(connection->socket), connection->peer);

#ifndef RSOCKD_RSOCKD_PROCESS_INETD_H_
#define RSOCKD_RSOCKD_PROCESS_INETD_H_

#include <string>

#include "absl/status/statusor.h"
#include "net/address.h"
#include "net/socket.h"

namespace rsockd {

struct InetdConnection {
  net::Socket socket;  // non-blocking, close-on-exec, descriptor > 2
  net::SocketAddress peer;
  // Descriptor 2 was the connection and is now the memory file.
  bool stderr_captured = false;
};

// Takes the connection from descriptor 0 as described above.
// FailedPrecondition when descriptor 0 is not a connected TCP socket
// (rsockd started by hand, or `wait` instead of `nowait` in inetd.conf); the
// descriptors are then left as they were. Any other error: it was one, but
// taking it failed part way (out of memory or descriptors).
absl::StatusOr<InetdConnection> TakeInetdConnection();

// After TakeInetdConnection captured stderr: returns what was written to
// descriptor 2 since, and puts /dev/null there for good.
absl::StatusOr<std::string> TakeCapturedStderr();

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_PROCESS_INETD_H_
