// This file defines the client side of SOCKS4/4A that rsockd speaks to an
// upstream server when socks.conf routes a request through one
// (docs/socks_conf.md#upstream-chaining): send one request, read one 8-byte
// reply.
//
//   RSOCKD_ASSIGN_OR_RETURN(Socks4Reply reply,
//                    Socks4Exchange(upstream, request, deadline));
//   if (reply.code != Socks4ReplyCode::kGranted) ...  // a final answer
//
// The reply is read with reads no larger than what is still missing of it,
// so bytes the upstream sends right after its reply (a destination's
// banner) stay in the socket for the relay.

#ifndef RSOCKD_NET_SOCKS4_CLIENT_H_
#define RSOCKD_NET_SOCKS4_CLIENT_H_

#include "absl/status/statusor.h"
#include "net/deadline.h"
#include "net/socket.h"
#include "net/socks4.h"

namespace rsockd::net {

// ReadSocks4Reply()
//
// Reads exactly one reply by `deadline`. Errors: Unavailable when the server
// closes first, DeadlineExceeded/Cancelled from the deadline, DataLoss for a
// garbled reply (ParseSocks4Reply), or the socket's error.
absl::StatusOr<Socks4Reply> ReadSocks4Reply(Socket& socket,
                                            const Deadline& deadline);

// Socks4Exchange()
//
// Sends `request` (EncodeSocks4Request) and reads the reply, by `deadline`.
absl::StatusOr<Socks4Reply> Socks4Exchange(Socket& socket,
                                           const Socks4Request& request,
                                           const Deadline& deadline);

}  // namespace rsockd::net

#endif  // RSOCKD_NET_SOCKS4_CLIENT_H_
