// This file defines `FrontEnd`, the protocol a session speaks with its
// client: a front end reads the client's request into a `Request`
// (request.h) and turns each `Outcome` (outcome.h) into that protocol's
// reply. Nothing else in the session reads or writes protocol bytes, and
// everything between the request and its reply (rules, ident, routing,
// connect, BIND, the relay) is the same whatever the protocol:
//
//   client bytes ──► FrontEnd::ReadRequest ──► Request
//                                                 │ policy steps
//   reply bytes  ◄── FrontEnd::SendReply   ◄── Outcome (a BIND: two)
//
// The session picks the front end by the first byte the client sends
// (session.cc), having read it with ReadHandshakeBytes, and hands it those
// bytes.

#ifndef RSOCKD_RSOCKD_SERVER_FRONT_END_H_
#define RSOCKD_RSOCKD_SERVER_FRONT_END_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/socket.h"
#include "rsockd/server/outcome.h"
#include "rsockd/server/request.h"
#include "rsockd/server/stats.h"
#include "rules/password_file.h"

namespace rsockd {

// Enough for the longest SOCKS4A request (8 + 256 + 256 bytes) in one read.
inline constexpr size_t kHandshakeBufferSize = 1024;

// Which SOCKS5 authentication methods a client may get (--socks5_auth,
// docs/socks5.md#authentication).
enum class Socks5Auth : uint8_t {
  // Username/password when the client offers it and a password file is
  // configured, else none.
  kAny,
  // Username/password only.
  kPassword,
  // No authentication only.
  kNone,
};

// "any", "password", "none"; nullopt for anything else.
std::optional<Socks5Auth> ParseSocks5Auth(absl::string_view text);

// What a front end works with; everything outlives it.
struct FrontEndContext {
  net::Socket* client = nullptr;
  // The client's address, for Request::client.
  net::SocketAddress peer;
  // Bounds each reply's write (--handshake_timeout).
  absl::Duration reply_timeout = absl::Seconds(10);
  const net::StopSignal* stop = nullptr;
  // Counts the replies by code.
  Stats* stats = nullptr;
  // SOCKS5: the methods allowed, and the password file of the session's
  // rule snapshot (null: none configured).
  Socks5Auth socks5_auth = Socks5Auth::kAny;
  const rules::PasswordFile* passwords = nullptr;
};

// FrontEnd
//
// One session's protocol. Used from the session's thread only.
class FrontEnd {
 public:
  virtual ~FrontEnd() = default;

  // ReadRequest()
  //
  // Reads the rest of the request by `deadline`. `received` holds what the
  // session read already: at least the first byte, which chose this front
  // end; it may hold all of the request and more. Bytes that follow the
  // request are kept (early_data()).
  //
  // An error means the connection is to be dropped: the front end has sent
  // the reply its protocol owes for it, if any (for bytes that are not its
  // protocol at all, none), and the status's message says why, for the
  // request log's "dropped -- CLIENT: <why>".
  virtual absl::StatusOr<Request> ReadRequest(
      absl::Span<const uint8_t> received, const net::Deadline& deadline) = 0;

  // The bytes the client sent after its request, to go to the destination
  // before anything else. Valid after a successful ReadRequest().
  virtual absl::Span<const uint8_t> early_data() const = 0;

  // SendReply()
  //
  // Sends the reply for `outcome` to the request ReadRequest() returned:
  // the grant or failure of a CONNECT, or either reply of a BIND. The front
  // end decides which code each Failure becomes and what a grant's address
  // shows. Within the context's reply timeout. An error means the client
  // cannot be told any more.
  virtual absl::Status SendReply(const Outcome& outcome) = 0;
};

// ReadHandshakeBytes()
//
// One read of a request's bytes into `buffer`, by `deadline`: how many (at
// least one), or the reason the request cannot arrive, which ends the
// request log's "dropped" line: "closed before a whole request" (the client
// closed), "no whole request: <the read's error>" (the deadline passed, the
// server stops, the connection failed).
absl::StatusOr<size_t> ReadHandshakeBytes(net::Socket& client,
                                          absl::Span<uint8_t> buffer,
                                          const net::Deadline& deadline);

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_SERVER_FRONT_END_H_
