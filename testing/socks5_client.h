// This file defines a raw, test-only SOCKS5 client (RFC 1928, with RFC 1929
// username/password authentication), the sibling of socks4_client.h: message
// builders that produce exact wire bytes (fields taken as given, so tests can
// build malformed ones), readers that take exactly one message off the
// socket, and the steps of a session on a connection of the caller's.
//
// Wire format:
//   greeting:      VER=5 | NMETHODS | METHODS (NMETHODS bytes)
//   method choice: VER=5 | METHOD                 (0xFF: none acceptable)
//   RFC 1929:      VER=1 | ULEN | UNAME | PLEN | PASSWD
//                  reply VER=1 | STATUS (0: success)
//   request:       VER=5 | CMD | RSV=0 | ATYP | DST.ADDR | DST.PORT (2)
//   reply:         VER=5 | REP | RSV=0 | ATYP | BND.ADDR | BND.PORT (2)
//   ATYP 1: 4-byte IPv4; 3: a length byte, then the name; 4: 16-byte IPv6.
//
// BIND gets two replies: read the second with ReadSocks5Reply after
// Socks5Exchange returns the first.
//
// It is written apart from rsockd's own codec (net/socks5.h) on purpose, as
// a second reading of the RFCs: it takes rsockd's replies field by field,
// VER and RSV included, where rsockd's upstream client is lenient by design
// (net/socks5_client.h), and it builds the malformed messages that rsockd's
// encoders refuse to. net/socks5_test checks that the two agree on every
// valid message.
//
// Example:
//
//   ASSERT_OK_AND_ASSIGN(net::Socket s, ConnectTcp(proxy, timeout));
//   ASSERT_THAT(Socks5Connect(s, Socks5Address::FromName("localhost", 80),
//                             Socks5Credentials{"alice", "secret"}, deadline),
//               IsOk());

#ifndef RSOCKD_TESTING_SOCKS5_CLIENT_H_
#define RSOCKD_TESTING_SOCKS5_CLIENT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/socket.h"

namespace rsockd::testing {

inline constexpr uint8_t kSocks5Version = 0x05;

// Authentication methods (METHOD).
inline constexpr uint8_t kSocks5MethodNoAuth = 0x00;
inline constexpr uint8_t kSocks5MethodUserPass = 0x02;
inline constexpr uint8_t kSocks5MethodNoneAcceptable = 0xFF;

// Commands (CMD).
inline constexpr uint8_t kSocks5CommandConnect = 0x01;
inline constexpr uint8_t kSocks5CommandBind = 0x02;
inline constexpr uint8_t kSocks5CommandUdpAssociate = 0x03;

// Address types (ATYP).
inline constexpr uint8_t kSocks5AddressIPv4 = 0x01;
inline constexpr uint8_t kSocks5AddressName = 0x03;
inline constexpr uint8_t kSocks5AddressIPv6 = 0x04;

// Reply codes (REP).
inline constexpr uint8_t kSocks5Succeeded = 0x00;
inline constexpr uint8_t kSocks5GeneralFailure = 0x01;
inline constexpr uint8_t kSocks5NotAllowed = 0x02;
inline constexpr uint8_t kSocks5NetworkUnreachable = 0x03;
inline constexpr uint8_t kSocks5HostUnreachable = 0x04;
inline constexpr uint8_t kSocks5ConnectionRefused = 0x05;
inline constexpr uint8_t kSocks5TtlExpired = 0x06;
inline constexpr uint8_t kSocks5CommandNotSupported = 0x07;
inline constexpr uint8_t kSocks5AddressTypeNotSupported = 0x08;

// RFC 1929 username/password subnegotiation.
inline constexpr uint8_t kSocks5UserPassVersion = 0x01;
inline constexpr uint8_t kSocks5UserPassSuccess = 0x00;

// Socks5Address
//
// An address as SOCKS5 carries it (DST in a request, BND in a reply).
struct Socks5Address {
  // ATYP 1 or 4 from an IPv4 or IPv6 address.
  static Socks5Address FromSocketAddress(const net::SocketAddress& address);
  // ATYP 3.
  static Socks5Address FromName(absl::string_view name, uint16_t port);

  // The address for ATYP 1 or 4 with 4 or 16 bytes; nullopt otherwise.
  std::optional<net::SocketAddress> socket_address() const;

  // ATYP.
  uint8_t type = kSocks5AddressIPv4;
  // 4 or 16 address bytes (network order), or the name without its length
  // byte.
  std::string address;
  uint16_t port = 0;

  friend bool operator==(const Socks5Address&, const Socks5Address&) = default;
};

// ATYP | ADDR | PORT; for ATYP 3 the length byte before ADDR is its size
// modulo 256 (a longer name makes a malformed message on purpose).
std::string EncodeSocks5Address(const Socks5Address& address);

// VER=5 | NMETHODS | METHODS.
std::string Socks5Greeting(absl::Span<const uint8_t> methods);

// RFC 1929: VER=1 | ULEN | UNAME | PLEN | PASSWD. Lengths are the sizes
// modulo 256, as for names.
std::string Socks5UserPassRequest(absl::string_view user,
                                  absl::string_view password);

// VER=5 | CMD | RSV=0 | DST.
std::string Socks5Request(uint8_t command, const Socks5Address& destination);

struct Socks5MethodChoice {
  uint8_t version = 0;
  uint8_t method = 0;
};

struct Socks5UserPassReply {
  uint8_t version = 0;
  uint8_t status = 0;
};

struct Socks5Reply {
  uint8_t version = 0;
  uint8_t code = 0;
  uint8_t reserved = 0;
  Socks5Address bound;
};

// Each reads exactly one message, and nothing after it, by `deadline`.
// OutOfRange when the server closes first. ReadSocks5Reply: DataLoss for an
// ATYP other than 1, 3 and 4, whose length it cannot know.
absl::StatusOr<Socks5MethodChoice> ReadSocks5MethodChoice(
    net::Socket& socket, const net::Deadline& deadline);
absl::StatusOr<Socks5UserPassReply> ReadSocks5UserPassReply(
    net::Socket& socket, const net::Deadline& deadline);
absl::StatusOr<Socks5Reply> ReadSocks5Reply(net::Socket& socket,
                                            const net::Deadline& deadline);

struct Socks5Credentials {
  std::string user;
  std::string password;
};

// Negotiates the method on `socket`, connected to a proxy: offers "no
// authentication", and also username/password when `credentials` are given
// (then authenticates if the server picks it). Returns the method chosen.
// PermissionDenied when the server accepts no offered method or refuses the
// credentials; DataLoss when it answers with a wrong version or a method
// not offered.
absl::StatusOr<uint8_t> Socks5Negotiate(
    net::Socket& socket, const std::optional<Socks5Credentials>& credentials,
    const net::Deadline& deadline);

// After negotiation: sends `request` and reads the (first) reply. Any reply
// code is returned as is.
absl::StatusOr<Socks5Reply> Socks5Exchange(net::Socket& socket,
                                           absl::string_view request,
                                           const net::Deadline& deadline);

// OK for VER=5 REP=0; Unavailable naming the reply otherwise.
absl::Status Socks5ExpectSucceeded(const Socks5Reply& reply);

// Negotiates, sends a CONNECT to `destination` and requires success: then
// `socket` is the tunnel.
absl::Status Socks5Connect(net::Socket& socket,
                           const Socks5Address& destination,
                           const std::optional<Socks5Credentials>& credentials,
                           const net::Deadline& deadline);

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_SOCKS5_CLIENT_H_
