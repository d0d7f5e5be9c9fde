// This file defines `IpAddress`, an IPv4 or IPv6 address held by value, and
// `SocketAddress`, an address plus a TCP port, with conversions to and from
// the BSD `sockaddr` forms.
//
// IPv4 addresses are kept in their own family, never as IPv4-mapped IPv6
// (`::ffff:a.b.c.d`): every way in (`Parse`, `FromIPv6Bytes`,
// `SocketAddress::FromSockaddr`) turns a mapped address into the IPv4 address
// it stands for. A mapped address reaches the same host as the IPv4 one, so
// it must meet the same rules: `deny ALL 127.0.0.0/8` also refuses a
// destination written `::ffff:127.0.0.1`, and `::ffff:0.0.0.0` is the
// unspecified 0.0.0.0 (sockd.conf(5), "Addresses").
//
// Both types are small, regular values: copyable, comparable, thread-safe to
// share once built.

#ifndef RSOCKD_NET_ADDRESS_H_
#define RSOCKD_NET_ADDRESS_H_

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rsockd::net {

// IpAddress
//
// An IPv4 or IPv6 address. The bytes are in network order; for IPv4 only the
// first four are used.
class IpAddress {
 public:
  enum class Family : uint8_t { kIPv4, kIPv6 };

  // The IPv4 address 0.0.0.0.
  IpAddress() = default;

  static IpAddress FromIPv4Bytes(const uint8_t bytes[4]);
  // An IPv4-mapped address (`::ffff:a.b.c.d`) gives the IPv4 address.
  static IpAddress FromIPv6Bytes(const uint8_t bytes[16]);
  // Whether `bytes` is an IPv4-mapped IPv6 address, ::ffff:0:0/96.
  static bool IsV4Mapped(const uint8_t bytes[16]);
  // `host_order` is the address as a number, e.g. 0x7f000001 for 127.0.0.1.
  static IpAddress FromIPv4(uint32_t host_order);

  // Parses a numeric literal: dotted quad (exactly four decimal parts, each
  // 0..255, without leading zeros) or an IPv6 literal as inet_pton(3) accepts
  // it (an IPv4-mapped one gives the IPv4 address). Never resolves.
  //
  // A leading zero (`010.0.0.1`) is refused, not read as decimal: classic
  // tools and inet_aton(3) read such a part as octal, so either reading
  // would surprise someone (see `HasLeadingZero`).
  static std::optional<IpAddress> Parse(absl::string_view text);

  // True for a dotted quad (four parts of 1..3 digits) with a part that has
  // a leading zero, such as `010.0.0.1`: what `Parse` refuses as ambiguous,
  // for messages that say why.
  static bool HasLeadingZero(absl::string_view text);

  Family family() const { return family_; }
  bool is_ipv4() const { return family_ == Family::kIPv4; }
  // Number of address bytes: 4 or 16.
  int size() const { return is_ipv4() ? 4 : 16; }
  const uint8_t* bytes() const { return bytes_.data(); }
  // The IPv4 address as a number. Requires is_ipv4().
  uint32_t ipv4_host_order() const;
  bool IsUnspecified() const;

  // True when the first `prefix_bits` bits equal those of `other` and both
  // are of the same family.
  bool MatchesPrefix(const IpAddress& other, int prefix_bits) const;

  std::string ToString() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  Family family_ = Family::kIPv4;
  std::array<uint8_t, 16> bytes_{};
};

// SocketAddress
//
// An IP address and a port (host order).
class SocketAddress {
 public:
  SocketAddress() = default;
  SocketAddress(IpAddress ip, uint16_t port) : ip_(ip), port_(port) {}

  // Accepts AF_INET and AF_INET6 (v4-mapped IPv6 becomes IPv4); anything else
  // is InvalidArgument.
  static absl::StatusOr<SocketAddress> FromSockaddr(const sockaddr* sa,
                                                    socklen_t len);

  const IpAddress& ip() const { return ip_; }
  uint16_t port() const { return port_; }

  // Fills `storage`; returns the length to pass to bind/connect.
  socklen_t ToSockaddr(sockaddr_storage* storage) const;

  // "1.2.3.4:80" or "[::1]:80".
  std::string ToString() const;

  friend bool operator==(const SocketAddress&, const SocketAddress&) = default;

 private:
  IpAddress ip_;
  uint16_t port_ = 0;
};

}  // namespace rsockd::net

#endif  // RSOCKD_NET_ADDRESS_H_
