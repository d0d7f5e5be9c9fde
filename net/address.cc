#include "net/address.h"

#include <arpa/inet.h>

#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rsockd::net {

IpAddress IpAddress::FromIPv4Bytes(const uint8_t bytes[4]) {
  IpAddress address;
  address.family_ = Family::kIPv4;
  std::memcpy(address.bytes_.data(), bytes, 4);
  return address;
}

bool IpAddress::IsV4Mapped(const uint8_t bytes[16]) {
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0,    0,
                                                0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(bytes, kMappedPrefix, sizeof(kMappedPrefix)) == 0;
}

IpAddress IpAddress::FromIPv6Bytes(const uint8_t bytes[16]) {
  if (IsV4Mapped(bytes)) return FromIPv4Bytes(bytes + 12);
  IpAddress address;
  address.family_ = Family::kIPv6;
  std::memcpy(address.bytes_.data(), bytes, 16);
  return address;
}

IpAddress IpAddress::FromIPv4(uint32_t host_order) {
  const uint8_t bytes[4] = {static_cast<uint8_t>(host_order >> 24),
                            static_cast<uint8_t>(host_order >> 16),
                            static_cast<uint8_t>(host_order >> 8),
                            static_cast<uint8_t>(host_order)};
  return FromIPv4Bytes(bytes);
}

std::optional<IpAddress> IpAddress::Parse(absl::string_view text) {
  if (text.find(':') != absl::string_view::npos) {
    // inet_pton needs a NUL-terminated string.
    std::string copy(text);
    uint8_t bytes[16];
    if (inet_pton(AF_INET6, copy.c_str(), bytes) != 1) return std::nullopt;
    return FromIPv6Bytes(bytes);
  }
  // Parsed by hand: inet_pton's IPv4 form is strict too, but the rules
  // grammar wants exactly four decimal parts without leading signs or zeros.
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.size() != 4) return std::nullopt;
  uint8_t bytes[4];
  for (int i = 0; i < 4; ++i) {
    const absl::string_view part = parts[i];
    if (part.empty() || part.size() > 3) return std::nullopt;
    if (part.size() > 1 && part.front() == '0') return std::nullopt;
    int value = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    if (value > 255) return std::nullopt;
    bytes[i] = static_cast<uint8_t>(value);
  }
  return FromIPv4Bytes(bytes);
}

bool IpAddress::HasLeadingZero(absl::string_view text) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.size() != 4) return false;
  bool leading_zero = false;
  for (absl::string_view part : parts) {
    if (part.empty() || part.size() > 3 ||
        part.find_first_not_of("0123456789") != absl::string_view::npos) {
      return false;
    }
    if (part.size() > 1 && part.front() == '0') leading_zero = true;
  }
  return leading_zero;
}

uint32_t IpAddress::ipv4_host_order() const {
  return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) |
         (uint32_t{bytes_[2]} << 8) | uint32_t{bytes_[3]};
}

bool IpAddress::IsUnspecified() const {
  for (int i = 0; i < size(); ++i) {
    if (bytes_[i] != 0) return false;
  }
  return true;
}

bool IpAddress::MatchesPrefix(const IpAddress& other, int prefix_bits) const {
  if (family_ != other.family_) return false;
  const int full_bytes = prefix_bits / 8;
  if (std::memcmp(bytes_.data(), other.bytes_.data(), full_bytes) != 0) {
    return false;
  }
  const int rest = prefix_bits % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (bytes_[full_bytes] & mask) == (other.bytes_[full_bytes] & mask);
}

std::string IpAddress::ToString() const {
  char buffer[INET6_ADDRSTRLEN];
  inet_ntop(is_ipv4() ? AF_INET : AF_INET6, bytes_.data(), buffer,
            sizeof(buffer));
  return buffer;
}

absl::StatusOr<SocketAddress> SocketAddress::FromSockaddr(const sockaddr* sa,
                                                          socklen_t len) {
  if (sa->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    sockaddr_in in;
    std::memcpy(&in, sa, sizeof(in));
    return SocketAddress(IpAddress::FromIPv4Bytes(
                             reinterpret_cast<const uint8_t*>(&in.sin_addr)),
                         ntohs(in.sin_port));
  }
  if (sa->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6;
    std::memcpy(&in6, sa, sizeof(in6));
    return SocketAddress(IpAddress::FromIPv6Bytes(in6.sin6_addr.s6_addr),
                         ntohs(in6.sin6_port));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported address family ", sa->sa_family));
}

socklen_t SocketAddress::ToSockaddr(sockaddr_storage* storage) const {
  std::memset(storage, 0, sizeof(*storage));
  if (ip_.is_ipv4()) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port_);
    std::memcpy(&in.sin_addr, ip_.bytes(), 4);
    std::memcpy(storage, &in, sizeof(in));
    return sizeof(in);
  }
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port_);
  std::memcpy(&in6.sin6_addr, ip_.bytes(), 16);
  std::memcpy(storage, &in6, sizeof(in6));
  return sizeof(in6);
}

std::string SocketAddress::ToString() const {
  if (ip_.is_ipv4()) return absl::StrCat(ip_.ToString(), ":", port_);
  return absl::StrCat("[", ip_.ToString(), "]:", port_);
}

}  // namespace rsockd::net
