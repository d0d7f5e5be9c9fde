// This file defines a raw, test-only SOCKS4/4A client: request builders that
// produce exact wire bytes (including deliberately malformed ones), a reader
// for the 8-byte reply, the exchange on a connection of the caller's, and a
// one-call CONNECT through a proxy. The end-to-end tests and the load
// generator (socks_load) share it; socks5_client.h is its SOCKS5 sibling.
//
// Wire format (docs/protocol.md; docs/bind.md; docs/protocol.md#socks4a):
//   request: VN=4 | CD | DSTPORT (2, network order) | DSTIP (4) | USERID | NUL
//            [ | HOSTNAME | NUL ]   (4A: DSTIP 0.0.0.x, x != 0)
//   reply:   VN=0 | CD | DSTPORT (2) | DSTIP (4)
//
// Example:
//
//   ASSERT_OK_AND_ASSIGN(
//       net::Socket tunnel,
//       Socks4Connect(proxy, Socks4ConnectRequest(echo, "alice"), timeout));

#ifndef RSOCKD_TESTING_SOCKS4_CLIENT_H_
#define RSOCKD_TESTING_SOCKS4_CLIENT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/socket.h"

namespace rsockd::testing {

inline constexpr uint8_t kSocks4Version = 0x04;
inline constexpr uint8_t kSocks4ReplyVersion = 0x00;
inline constexpr uint8_t kSocks4CommandConnect = 0x01;
inline constexpr uint8_t kSocks4CommandBind = 0x02;
inline constexpr uint8_t kSocks4Granted = 90;           // 0x5A
inline constexpr uint8_t kSocks4Rejected = 91;          // 0x5B
inline constexpr uint8_t kSocks4IdentUnreachable = 92;  // 0x5C
inline constexpr uint8_t kSocks4IdentMismatch = 93;     // 0x5D
inline constexpr size_t kSocks4ReplySize = 8;

// The fixed 8-byte request header followed by `user_id` and a NUL. Every
// field is taken as given, so tests can build invalid requests.
std::string Socks4Request(uint8_t version, uint8_t command, uint16_t port,
                          const std::array<uint8_t, 4>& ip,
                          absl::string_view user_id);

// A valid CONNECT to an IPv4 `destination`.
std::string Socks4ConnectRequest(const net::SocketAddress& destination,
                                 absl::string_view user_id);

// A valid SOCKS4A CONNECT to `host`:`port` (DSTIP 0.0.0.1, then the name).
std::string Socks4aConnectRequest(absl::string_view host, uint16_t port,
                                  absl::string_view user_id);

// A valid BIND (docs/bind.md): DSTIP `expected_peer` is the application server
// expected to connect in (0.0.0.0: any), DSTPORT `port` the port of the
// client's primary connection.
std::string Socks4BindRequest(const net::IpAddress& expected_peer,
                              uint16_t port, absl::string_view user_id);

// A valid SOCKS4A BIND for a peer named `host` (DSTIP 0.0.0.1, then the
// name).
std::string Socks4aBindRequest(absl::string_view host, uint16_t port,
                               absl::string_view user_id);

struct Socks4Reply {
  uint8_t version = 0;
  uint8_t code = 0;
  uint16_t port = 0;
  std::array<uint8_t, 4> ip{};

  // DSTIP:DSTPORT, e.g. where a BIND's peer is to connect.
  net::SocketAddress address() const {
    return net::SocketAddress(net::IpAddress::FromIPv4Bytes(ip.data()), port);
  }
};

// Reads exactly one 8-byte reply. OutOfRange when the proxy closes first.
absl::StatusOr<Socks4Reply> ReadSocks4Reply(net::Socket& socket,
                                            const net::Deadline& deadline);

// Sends `request` on `socket`, connected to a proxy, and reads the reply,
// by `deadline`. Any reply code is returned as is.
absl::StatusOr<Socks4Reply> Socks4Exchange(net::Socket& socket,
                                           absl::string_view request,
                                           const net::Deadline& deadline);

// OK for a well-formed "granted" reply (VN=0 CD=90); Unavailable naming the
// reply otherwise.
absl::Status Socks4ExpectGranted(const Socks4Reply& reply);

// A connection to the proxy after its reply.
struct Socks4Session {
  net::Socket socket;
  Socks4Reply reply;
};

// Connects to `proxy` (from `from` if given), sends `request` and reads the
// reply, all within `timeout`. Any reply code is returned as is.
absl::StatusOr<Socks4Session> Socks4Handshake(
    const net::SocketAddress& proxy, absl::string_view request,
    absl::Duration timeout,
    const std::optional<net::IpAddress>& from = std::nullopt);

// Like Socks4Handshake, but anything other than a well-formed "granted"
// reply is an error; returns the tunnel.
absl::StatusOr<net::Socket> Socks4Connect(const net::SocketAddress& proxy,
                                          absl::string_view request,
                                          absl::Duration timeout);

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_SOCKS4_CLIENT_H_
