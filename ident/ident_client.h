// This file defines `QueryIdent`, the RFC 1413 client rsockd uses to ask a
// SOCKS client's identd who owns the connection, and `IdentQuery`, its
// parameters.
//
// One query is one short blocking exchange, bounded as a whole by one
// deadline: connect from the local address of the client's connection to the
// client's identd, send "<client-port> , <server-port>\r\n", read one line of
// at most `kMaxIdentLineBytes` bytes and parse it with `ParseIdentReply`.
//
// Thread-safety: `QueryIdent` is thread-safe; each call owns its socket.

#ifndef RSOCKD_IDENT_IDENT_CLIENT_H_
#define RSOCKD_IDENT_IDENT_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "net/address.h"
#include "net/deadline.h"

namespace rsockd::ident {

// The longest reply line accepted, terminator included (docs/ident.md).
inline constexpr size_t kMaxIdentLineBytes = 1000;

// IdentQuery
//
// Which connection to ask about and how long to try.
struct IdentQuery {
  // The SOCKS client's address (peer of rsockd's accepted socket).
  net::SocketAddress client;
  // rsockd's local address of that connection. The query is sent from this
  // IP, so the identd sees the same host pair as the connection it is asked
  // about.
  net::SocketAddress server;
  uint16_t identd_port = 113;
  // The bound on the whole exchange: connect, send and read.
  absl::Duration timeout = absl::Seconds(15);
  // When set and fired, the query gives up at once. Not owned; must outlive
  // the call.
  const net::StopSignal* stop = nullptr;
};

// QueryIdent()
//
// Asks the identd at `query.client.ip():query.identd_port` for the user of
// the connection `query.client` -> `query.server` and returns the user id
// (trimmed, never empty).
//
// Every failure is Unavailable ("identd unavailable" in docs/ident.md: the
// caller treats them alike) with a message that names the identd and the
// reason: connect refused or timed out, timeout or stop while talking, EOF
// before a complete line, a line longer than `kMaxIdentLineBytes`, an ERROR
// reply, ports that do not match the query, or a malformed reply.
absl::StatusOr<std::string> QueryIdent(const IdentQuery& query);

}  // namespace rsockd::ident

#endif  // RSOCKD_IDENT_IDENT_CLIENT_H_
