// This file defines the SOCKS4 and SOCKS4A wire format: the request, its
// incremental parser and its encoder (for the upstream leg,
// docs/socks_conf.md#upstream-chaining), and the reply's encoder and parser.
//
// Request (client → server):
//
//   +----+----+----+----+----+----+----+----+----+----+....+----+
//   | VN | CD | DSTPORT |      DSTIP        | USERID       |NULL|
//   +----+----+----+----+----+----+----+----+----+----+....+----+
//      1    1      2              4           variable       1
//
// SOCKS4A: a DSTIP of 0.0.0.x with x != 0 means a NUL-terminated host name
// follows the USERID's NUL.
//
// Reply (server → client): VN=0 | CD | DSTPORT | DSTIP, 8 bytes.
//
// The parser is bounded: it never buffers more than the fixed header, 255
// bytes of USERID and 255 bytes of host name, and it stops exactly at the end
// of the request so that bytes the client sent early are not lost.

#ifndef RSOCKD_NET_SOCKS4_H_
#define RSOCKD_NET_SOCKS4_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "net/address.h"

namespace rsockd::net {

inline constexpr uint8_t kSocks4Version = 0x04;
// The version byte of every SOCKS4 reply rsockd sends. Replies from
// upstream servers may also carry `kSocks4Version` (ParseSocks4Reply).
inline constexpr uint8_t kSocks4ReplyVersion = 0x00;
inline constexpr size_t kSocks4MaxUserIdLength = 255;
inline constexpr size_t kSocks4MaxHostNameLength = 255;
inline constexpr size_t kSocks4ReplySize = 8;

enum class Socks4Command : uint8_t {
  kConnect = 0x01,
  kBind = 0x02,
};

enum class Socks4ReplyCode : uint8_t {
  kGranted = 0x5A,           // 90
  kRejected = 0x5B,          // 91: rules, routing, failure, overload
  kIdentUnreachable = 0x5C,  // 92: identd could not be queried
  kIdentMismatch = 0x5D,     // 93: identd's user id differs
};

// The fixed part of a request, laid out as on the wire.
struct Socks4Header {
  uint8_t version;
  uint8_t command;
  uint8_t port[2];  // network order
  uint8_t ip[4];
};
static_assert(sizeof(Socks4Header) == 8);

struct Socks4Request {
  Socks4Command command = Socks4Command::kConnect;
  uint16_t port = 0;
  // DSTIP; 0.0.0.x for a SOCKS4A request.
  IpAddress ip;
  std::string user_id;
  // The SOCKS4A host name; empty for plain SOCKS4.
  std::string host_name;

  bool is_socks4a() const { return !host_name.empty(); }
};

// Socks4RequestParser
//
// Parses one request from bytes fed in arbitrary pieces:
//
//   Socks4RequestParser parser;
//   while (!parser.done()) {
//     RSOCKD_ASSIGN_OR_RETURN(size_t used, parser.Feed(bytes));
//     bytes.remove_prefix(used);  // leftover bytes belong to the relay
//   }
//
// Errors are InvalidArgument (not SOCKS4, unknown command, empty host name)
// or ResourceExhausted (USERID or host name over 255 bytes). After an error
// the parser must not be fed again. Every error calls for reply 91 except a
// wrong version, for which the caller closes without a reply.
class Socks4RequestParser {
 public:
  // Consumes bytes up to the end of the request; returns how many it used.
  absl::StatusOr<size_t> Feed(absl::Span<const uint8_t> data);

  bool done() const { return state_ == State::kDone; }
  // True after an error caused by a first byte other than 4: the bytes are
  // not SOCKS4, so no SOCKS4 reply is due.
  bool not_socks4() const { return not_socks4_; }
  // Requires done().
  const Socks4Request& request() const { return request_; }

 private:
  enum class State { kHeader, kUserId, kHostName, kDone };

  State state_ = State::kHeader;
  uint8_t header_[sizeof(Socks4Header)] = {};
  size_t header_size_ = 0;
  bool not_socks4_ = false;
  Socks4Request request_;
};

// The 8-byte reply. `ip` must be IPv4 to be carried; an IPv6 address is sent
// as 0.0.0.0 since SOCKS4 cannot express it.
std::array<uint8_t, 8> EncodeSocks4Reply(Socks4ReplyCode code, uint16_t port,
                                         const IpAddress& ip);

// A reply as received from an upstream server.
struct Socks4Reply {
  Socks4ReplyCode code = Socks4ReplyCode::kRejected;
  uint16_t port = 0;
  IpAddress ip;  // Always IPv4.
};

// ParseSocks4Reply()
//
// Checks and decodes an 8-byte reply. The version byte may be 0 (the
// protocol's) or 4: classic 4.2 sockd answers its refusals with 4, and
// calling those garbled would send the request on to the next server, which
// might grant what the first refused. Another version, or a code outside
// 90..93, is DataLoss ("garbled reply ..."): the server is not speaking
// SOCKS4, which is a fault of that server, unlike a well-formed refusal.
absl::StatusOr<Socks4Reply> ParseSocks4Reply(
    const std::array<uint8_t, kSocks4ReplySize>& bytes);

// EncodeSocks4Request()
//
// The wire bytes of `request`: SOCKS4A (DSTIP 0.0.0.1, then the name) when
// it has a host name, else SOCKS4 with its IPv4 `ip`. Requires a user id and
// host name within the limits above and, for SOCKS4, an IPv4 `ip`.
std::string EncodeSocks4Request(const Socks4Request& request);

}  // namespace rsockd::net

#endif  // RSOCKD_NET_SOCKS4_H_
