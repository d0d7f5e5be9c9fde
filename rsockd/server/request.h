// This file defines `Request`, one client request as a protocol front end
// (front_end.h) decoded it, in the terms every later step of the session
// uses whatever protocol the client spoke: the command, the destination
// (an address, or a name to resolve here), the user id and how it was
// established, and the client's address.
//
//   SOCKS4    CD, DSTIP:DSTPORT, USERID (claimed)
//   SOCKS4A   CD, the name after USERID with DSTPORT, USERID (claimed)
//
// A plain value: copy it, keep it, compare its fields.

#ifndef RSOCKD_RSOCKD_SERVER_REQUEST_H_
#define RSOCKD_RSOCKD_SERVER_REQUEST_H_

#include <cstdint>
#include <string>

#include "net/address.h"

namespace rsockd {

// The protocol version the client spoke; its front end answers in it.
enum class SocksVersion : uint8_t {
  kSocks4 = 4,  // SOCKS4 and SOCKS4A
  kSocks5 = 5,
};

enum class Command : uint8_t {
  kConnect,
  // docs/bind.md: the destination is the peer expected to
  // connect in; the port is only for `op port` rules.
  kBind,
};

// How the request's user id came to be: what the rules (`*=` lists, %u) and
// the ident check (docs/ident.md) compare can be the client's word or a
// checked fact.
enum class UserIdOrigin : uint8_t {
  // No user id at all (the id is empty): nothing for identd's answer to
  // contradict, so that answer is only recorded.
  kNone,
  // Claimed by the client (SOCKS4 USERID), not checked by rsockd.
  kClaimed,
  // Checked by rsockd (a user name and password).
  kVerified,
};

// Where the client asks to go, as it gave it.
struct Destination {
  // A host name to resolve here (SOCKS4A); empty when the client gave an
  // address.
  std::string name;
  // An address given by the client: the address and port. With a name: the
  // port, and the address that the request carried in the name's place
  // (SOCKS4A's DSTIP 0.0.0.x), which a hook's %z shows until the name is
  // resolved (docs/hooks.md).
  net::SocketAddress address;

  bool is_name() const { return !name.empty(); }
  uint16_t port() const { return address.port(); }
};

struct Request {
  SocksVersion version = SocksVersion::kSocks4;
  Command command = Command::kConnect;
  Destination destination;
  // Any bytes but NUL, at most 255 of them; escape before logging
  // (log_field.h).
  std::string user_id;
  UserIdOrigin user_id_origin = UserIdOrigin::kNone;
  // The client's TCP peer address.
  net::SocketAddress client;
};

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_SERVER_REQUEST_H_
