// This file defines the client side of SOCKS5 that rsockd speaks to an
// upstream server when socks.conf routes a request through a `socks5://`
// server (docs/protocol.md, "rsockd as a SOCKS5 client"): negotiate the
// method, authenticate with RFC 1929 when the server entry carries
// credentials, send one request, read its reply.
//
//   RSOCKD_ASSIGN_OR_RETURN(
//       Socks5Reply reply,
//       Socks5Exchange(upstream, request, server.credentials, deadline));
//   if (reply.code != Socks5ReplyCode::kSucceeded) ...  // a final answer
//
// Results, as for SOCKS4 upstreams (socks4_client.h): a reply, whatever its
// REP, is the server's answer and final for the request; an error is a
// fault of that server, and the caller moves on to the next one. A refusal
// of the method or of the credentials is such a fault: it means the server
// entry's configuration does not match the server, and another server may
// be configured right.
//
// Every read asks for no more than the message still lacks, so bytes the
// upstream sends right after its reply (a destination's banner) stay in the
// socket for the relay.

#ifndef RSOCKD_NET_SOCKS5_CLIENT_H_
#define RSOCKD_NET_SOCKS5_CLIENT_H_

#include <optional>

#include "absl/status/statusor.h"
#include "net/deadline.h"
#include "net/socket.h"
#include "net/socks5.h"

namespace rsockd::net {

// ReadSocks5Reply()
//
// Reads exactly one reply by `deadline`: what Socks5Exchange does last, and
// how a BIND's second reply is read. Errors: Unavailable when the server
// closes first, DeadlineExceeded/Cancelled from the deadline, DataLoss for a
// garbled reply (Socks5ReplyParser), or the socket's error.
absl::StatusOr<Socks5Reply> ReadSocks5Reply(Socket& socket,
                                            const Deadline& deadline);

// Socks5Exchange()
//
// Over `socket`, connected to a SOCKS5 server, by `deadline`: offers one
// method, 02 (username/password) when `credentials` are given, else 00 (no
// authentication); with 02, authenticates; then sends `request` and returns
// the (first) reply. Offering only the method configured means credentials
// that are configured are always used: a server that also allowed 00 might
// otherwise pick it and treat the session as anonymous.
//
// `credentials` must pass ValidateSocks5Credentials. Errors, besides those
// of ReadSocks5Reply: PermissionDenied when the server accepts no offered
// method (METHOD FF) or refuses the credentials (STATUS not 0); DataLoss
// when it picks a method that was not offered or garbles a message.
absl::StatusOr<Socks5Reply> Socks5Exchange(
    Socket& socket, const Socks5Request& request,
    const std::optional<Socks5Credentials>& credentials,
    const Deadline& deadline);

}  // namespace rsockd::net

#endif  // RSOCKD_NET_SOCKS5_CLIENT_H_
