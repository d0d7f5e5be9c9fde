// This file defines `Socks5FrontEnd`, the front end (front_end.h) of SOCKS5
// clients (RFC 1928, with RFC 1929 username/password; docs/protocol.md,
// docs/socks5.md): the method negotiation, the login, then the request,
// parsed with net/socks5.h, all by the session's handshake deadline.
//
//   greeting        method chosen by --socks5_auth (ChooseSocks5Method), or
//                   FF and close; malformed: close without a reply
//   RFC 1929        01 00 when the password file of the session's snapshot
//                   verifies it; else (and malformed) 01 01 and close
//   request         CONNECT, BIND; UDP ASSOCIATE gets 07; malformed: the
//                   parser's REP (01, 07 for an unknown CMD, 08 for an
//                   unknown ATYP), close
//
// A verified user name becomes the request's user id (UserIdOrigin::
// kVerified); without authentication the user id is empty (kNone).
//
//   outcome                      REP
//   granted                      00, with the outcome's address
//   kDeniedByRules, ident        02
//   kUpstreamRefused             a SOCKS5 upstream's REP as it came; 02 for
//                                a SOCKS4 upstream's 91..93
//   kNetworkUnreachable          03
//   kHostUnreachable             04
//   kConnectionRefused           05
//   kTimedOut                    06
//   kCommandUnsupported          07
//   kAddressTypeUnsupported      08
//   kGeneralFailure              01

#ifndef RSOCKD_RSOCKD_SERVER_SOCKS5_FRONT_END_H_
#define RSOCKD_RSOCKD_SERVER_SOCKS5_FRONT_END_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "net/deadline.h"
#include "net/socks5.h"
#include "rsockd/server/front_end.h"
#include "rsockd/server/outcome.h"
#include "rsockd/server/request.h"

namespace rsockd {

// The method rsockd picks from `greeting` (docs/socks5.md#authentication):
// username/password when `auth` allows it, the client offered it and
// `have_passwords`; else no authentication when `auth` allows it and the
// client offered it; else kNoneAcceptable. Never GSSAPI.
net::Socks5Method ChooseSocks5Method(const net::Socks5Greeting& greeting,
                                     Socks5Auth auth, bool have_passwords);

// The REP for `outcome`, as the table above says.
net::Socks5ReplyCode Socks5ReplyCodeFor(const Outcome& outcome);

class Socks5FrontEnd : public FrontEnd {
 public:
  explicit Socks5FrontEnd(const FrontEndContext& context) : context_(context) {}

  absl::StatusOr<Request> ReadRequest(absl::Span<const uint8_t> received,
                                      const net::Deadline& deadline) override;
  absl::Span<const uint8_t> early_data() const override { return early_data_; }
  absl::Status SendReply(const Outcome& outcome) override;

 private:
  // Feeds `parser` the bytes left over, then reads from the client until
  // the message is whole; leaves what follows it in pending_.
  absl::Status Parse(net::Socks5Parser& parser, const net::Deadline& deadline);
  // The negotiation: the method chosen and answered, or the reason the
  // connection is dropped.
  absl::StatusOr<net::Socks5Method> Negotiate(const net::Deadline& deadline);
  // RFC 1929: the verified user name.
  absl::StatusOr<std::string> Authenticate(const net::Deadline& deadline);
  // Sends a two-byte answer of the handshake by `deadline`.
  absl::Status Answer(absl::Span<const uint8_t> answer,
                      const net::Deadline& deadline);
  // Sends the reply with `code`, and `bound` as BND.
  absl::Status Reply(net::Socks5ReplyCode code,
                     const net::SocketAddress& bound);

  const FrontEndContext context_;
  // What the client sent that no parser has taken yet: a view of the
  // caller's `received`, then of buffer_.
  absl::Span<const uint8_t> pending_;
  uint8_t buffer_[kHandshakeBufferSize];
  std::vector<uint8_t> early_data_;
};

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_SERVER_SOCKS5_FRONT_END_H_
