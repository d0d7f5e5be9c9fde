#include "testing/socks5_client.h"

#include "absl/strings/str_cat.h"
#include "rsockd/base/status_macros.h"
#include "testing/socket_io.h"

namespace rsockd::testing {
namespace {

uint8_t Byte(absl::string_view bytes, size_t i) {
  return static_cast<uint8_t>(bytes[i]);
}

void AppendPort(uint16_t port, std::string& out) {
  out += static_cast<char>(port >> 8);
  out += static_cast<char>(port & 0xff);
}

void AppendWithLength(absl::string_view field, std::string& out) {
  out += static_cast<char>(field.size() & 0xff);
  out.append(field.data(), field.size());
}

// ReadExactly, with what was being read in the message.
absl::StatusOr<std::string> Read(net::Socket& socket, size_t size,
                                 absl::string_view what,
                                 const net::Deadline& deadline) {
  absl::StatusOr<std::string> bytes = ReadExactly(socket, size, deadline);
  if (!bytes.ok()) {
    return absl::Status(bytes.status().code(),
                        absl::StrCat("reading the SOCKS5 ", what, ": ",
                                     bytes.status().message()));
  }
  return bytes;
}

}  // namespace

Socks5Address Socks5Address::FromSocketAddress(
    const net::SocketAddress& address) {
  const net::IpAddress& ip = address.ip();
  Socks5Address result;
  result.type = ip.is_ipv4() ? kSocks5AddressIPv4 : kSocks5AddressIPv6;
  result.address.assign(reinterpret_cast<const char*>(ip.bytes()), ip.size());
  result.port = address.port();
  return result;
}

Socks5Address Socks5Address::FromName(absl::string_view name, uint16_t port) {
  Socks5Address result;
  result.type = kSocks5AddressName;
  result.address = std::string(name);
  result.port = port;
  return result;
}

std::optional<net::SocketAddress> Socks5Address::socket_address() const {
  const auto* bytes = reinterpret_cast<const uint8_t*>(address.data());
  if (type == kSocks5AddressIPv4 && address.size() == 4) {
    return net::SocketAddress(net::IpAddress::FromIPv4Bytes(bytes), port);
  }
  if (type == kSocks5AddressIPv6 && address.size() == 16) {
    return net::SocketAddress(net::IpAddress::FromIPv6Bytes(bytes), port);
  }
  return std::nullopt;
}

std::string EncodeSocks5Address(const Socks5Address& address) {
  std::string bytes(1, static_cast<char>(address.type));
  if (address.type == kSocks5AddressName) {
    AppendWithLength(address.address, bytes);
  } else {
    bytes += address.address;
  }
  AppendPort(address.port, bytes);
  return bytes;
}

std::string Socks5Greeting(absl::Span<const uint8_t> methods) {
  std::string bytes = {static_cast<char>(kSocks5Version),
                       static_cast<char>(methods.size() & 0xff)};
  bytes.append(methods.begin(), methods.end());
  return bytes;
}

std::string Socks5UserPassRequest(absl::string_view user,
                                  absl::string_view password) {
  std::string bytes(1, static_cast<char>(kSocks5UserPassVersion));
  AppendWithLength(user, bytes);
  AppendWithLength(password, bytes);
  return bytes;
}

std::string Socks5Request(uint8_t command, const Socks5Address& destination) {
  std::string bytes = {static_cast<char>(kSocks5Version),
                       static_cast<char>(command), 0};
  return bytes + EncodeSocks5Address(destination);
}

absl::StatusOr<Socks5MethodChoice> ReadSocks5MethodChoice(
    net::Socket& socket, const net::Deadline& deadline) {
  RSOCKD_ASSIGN_OR_RETURN(const std::string bytes,
                          Read(socket, 2, "method choice", deadline));
  return Socks5MethodChoice{Byte(bytes, 0), Byte(bytes, 1)};
}

absl::StatusOr<Socks5UserPassReply> ReadSocks5UserPassReply(
    net::Socket& socket, const net::Deadline& deadline) {
  RSOCKD_ASSIGN_OR_RETURN(const std::string bytes,
                          Read(socket, 2, "username/password reply", deadline));
  return Socks5UserPassReply{Byte(bytes, 0), Byte(bytes, 1)};
}

absl::StatusOr<Socks5Reply> ReadSocks5Reply(net::Socket& socket,
                                            const net::Deadline& deadline) {
  // VER REP RSV ATYP and the first byte after them, which every reply has
  // (an address byte, or a name's length): then one more read takes the
  // rest, whatever the type.
  RSOCKD_ASSIGN_OR_RETURN(const std::string head,
                          Read(socket, 5, "reply", deadline));
  Socks5Reply reply;
  reply.version = Byte(head, 0);
  reply.code = Byte(head, 1);
  reply.reserved = Byte(head, 2);
  reply.bound.type = Byte(head, 3);
  size_t address_size;
  switch (reply.bound.type) {
    case kSocks5AddressIPv4:
      address_size = 4;
      break;
    case kSocks5AddressIPv6:
      address_size = 16;
      break;
    case kSocks5AddressName:
      address_size = Byte(head, 4);
      break;
    default:
      return absl::DataLossError(absl::StrCat("SOCKS5 reply has address type ",
                                              reply.bound.type,
                                              " (want 1, 3 or 4)"));
  }
  const bool named = reply.bound.type == kSocks5AddressName;
  // Bytes of the address still to read, then the port.
  const size_t unread = address_size - (named ? 0 : 1);
  RSOCKD_ASSIGN_OR_RETURN(const std::string rest,
                          Read(socket, unread + 2, "reply", deadline));
  if (!named) reply.bound.address = head.substr(4);
  reply.bound.address += rest.substr(0, unread);
  reply.bound.port =
      static_cast<uint16_t>(Byte(rest, unread) << 8 | Byte(rest, unread + 1));
  return reply;
}

absl::StatusOr<uint8_t> Socks5Negotiate(
    net::Socket& socket, const std::optional<Socks5Credentials>& credentials,
    const net::Deadline& deadline) {
  const uint8_t methods[] = {kSocks5MethodNoAuth, kSocks5MethodUserPass};
  const absl::Span<const uint8_t> offered(methods,
                                          credentials.has_value() ? 2 : 1);
  RSOCKD_RETURN_IF_ERROR(socket.WriteAll(Socks5Greeting(offered), deadline));
  RSOCKD_ASSIGN_OR_RETURN(const Socks5MethodChoice choice,
                          ReadSocks5MethodChoice(socket, deadline));
  if (choice.version != kSocks5Version) {
    return absl::DataLossError(absl::StrCat(
        "SOCKS5 method choice has VER=", choice.version, " (want 5)"));
  }
  if (choice.method == kSocks5MethodNoneAcceptable) {
    return absl::PermissionDeniedError(
        "the SOCKS5 server accepts none of the methods offered");
  }
  if (choice.method == kSocks5MethodNoAuth) return choice.method;
  if (choice.method != kSocks5MethodUserPass || !credentials.has_value()) {
    return absl::DataLossError(absl::StrCat("the SOCKS5 server chose method ",
                                            choice.method,
                                            ", which was not offered"));
  }
  RSOCKD_RETURN_IF_ERROR(socket.WriteAll(
      Socks5UserPassRequest(credentials->user, credentials->password),
      deadline));
  RSOCKD_ASSIGN_OR_RETURN(const Socks5UserPassReply reply,
                          ReadSocks5UserPassReply(socket, deadline));
  if (reply.version != kSocks5UserPassVersion) {
    return absl::DataLossError(absl::StrCat(
        "SOCKS5 username/password reply has VER=", reply.version, " (want 1)"));
  }
  if (reply.status != kSocks5UserPassSuccess) {
    return absl::PermissionDeniedError(
        absl::StrCat("the SOCKS5 server refused the username/password "
                     "(STATUS=",
                     reply.status, ")"));
  }
  return choice.method;
}

absl::StatusOr<Socks5Reply> Socks5Exchange(net::Socket& socket,
                                           absl::string_view request,
                                           const net::Deadline& deadline) {
  RSOCKD_RETURN_IF_ERROR(socket.WriteAll(request, deadline));
  return ReadSocks5Reply(socket, deadline);
}

absl::Status Socks5ExpectSucceeded(const Socks5Reply& reply) {
  if (reply.version != kSocks5Version || reply.code != kSocks5Succeeded) {
    return absl::UnavailableError(
        absl::StrCat("proxy replied VER=", reply.version, " REP=", reply.code,
                     " (want VER=5 REP=0)"));
  }
  return absl::OkStatus();
}

absl::Status Socks5Connect(net::Socket& socket,
                           const Socks5Address& destination,
                           const std::optional<Socks5Credentials>& credentials,
                           const net::Deadline& deadline) {
  RSOCKD_RETURN_IF_ERROR(
      Socks5Negotiate(socket, credentials, deadline).status());
  RSOCKD_ASSIGN_OR_RETURN(
      const Socks5Reply reply,
      Socks5Exchange(socket, Socks5Request(kSocks5CommandConnect, destination),
                     deadline));
  return Socks5ExpectSucceeded(reply);
}

}  // namespace rsockd::testing
