#include "testing/socks4_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "testing/socket_io.h"

namespace rsockd::testing {

std::string Socks4Request(uint8_t version, uint8_t command, uint16_t port,
                          const std::array<uint8_t, 4>& ip,
                          absl::string_view user_id) {
  std::string request;
  request += char(version);
  request += char(command);
  request += char(port >> 8);
  request += char(port & 0xff);
  for (uint8_t byte : ip) request += char(byte);
  request.append(user_id.data(), user_id.size());
  request += '\0';
  return request;
}

namespace {

std::string Socks4Plain(uint8_t command, const net::IpAddress& ip,
                        uint16_t port, absl::string_view user_id) {
  std::array<uint8_t, 4> bytes;
  for (int i = 0; i < 4; ++i) bytes[i] = ip.bytes()[i];
  return Socks4Request(kSocks4Version, command, port, bytes, user_id);
}

std::string Socks4a(uint8_t command, absl::string_view host, uint16_t port,
                    absl::string_view user_id) {
  std::string request =
      Socks4Request(kSocks4Version, command, port, {0, 0, 0, 1}, user_id);
  request.append(host.data(), host.size());
  request += '\0';
  return request;
}

}  // namespace

std::string Socks4ConnectRequest(const net::SocketAddress& destination,
                                 absl::string_view user_id) {
  return Socks4Plain(kSocks4CommandConnect, destination.ip(),
                     destination.port(), user_id);
}

std::string Socks4aConnectRequest(absl::string_view host, uint16_t port,
                                  absl::string_view user_id) {
  return Socks4a(kSocks4CommandConnect, host, port, user_id);
}

std::string Socks4BindRequest(const net::IpAddress& expected_peer,
                              uint16_t port, absl::string_view user_id) {
  return Socks4Plain(kSocks4CommandBind, expected_peer, port, user_id);
}

std::string Socks4aBindRequest(absl::string_view host, uint16_t port,
                               absl::string_view user_id) {
  return Socks4a(kSocks4CommandBind, host, port, user_id);
}

absl::StatusOr<Socks4Reply> ReadSocks4Reply(net::Socket& socket,
                                            const net::Deadline& deadline) {
  absl::StatusOr<std::string> bytes =
      ReadExactly(socket, kSocks4ReplySize, deadline);
  if (!bytes.ok()) {
    return absl::Status(
        bytes.status().code(),
        absl::StrCat("reading the SOCKS4 reply: ", bytes.status().message()));
  }
  const auto byte = [&](int i) { return static_cast<uint8_t>((*bytes)[i]); };
  Socks4Reply reply;
  reply.version = byte(0);
  reply.code = byte(1);
  reply.port = static_cast<uint16_t>(byte(2) << 8 | byte(3));
  for (int i = 0; i < 4; ++i) reply.ip[i] = byte(4 + i);
  return reply;
}

absl::StatusOr<Socks4Reply> Socks4Exchange(net::Socket& socket,
                                           absl::string_view request,
                                           const net::Deadline& deadline) {
  if (absl::Status sent = socket.WriteAll(request, deadline); !sent.ok()) {
    return sent;
  }
  return ReadSocks4Reply(socket, deadline);
}

absl::Status Socks4ExpectGranted(const Socks4Reply& reply) {
  if (reply.version != kSocks4ReplyVersion || reply.code != kSocks4Granted) {
    return absl::UnavailableError(
        absl::StrCat("proxy replied VN=", reply.version, " CD=", reply.code,
                     " (want VN=0 CD=90)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Socks4Session> Socks4Handshake(
    const net::SocketAddress& proxy, absl::string_view request,
    absl::Duration timeout, const std::optional<net::IpAddress>& from) {
  const net::Deadline deadline = net::Deadline::In(timeout);
  absl::StatusOr<net::Socket> socket = ConnectTcp(proxy, timeout, from);
  if (!socket.ok()) return socket.status();
  absl::StatusOr<Socks4Reply> reply =
      Socks4Exchange(*socket, request, deadline);
  if (!reply.ok()) return reply.status();
  return Socks4Session{*std::move(socket), *reply};
}

absl::StatusOr<net::Socket> Socks4Connect(const net::SocketAddress& proxy,
                                          absl::string_view request,
                                          absl::Duration timeout) {
  absl::StatusOr<Socks4Session> session =
      Socks4Handshake(proxy, request, timeout);
  if (!session.ok()) return session.status();
  if (absl::Status granted = Socks4ExpectGranted(session->reply);
      !granted.ok()) {
    return granted;
  }
  return std::move(session->socket);
}

}  // namespace rsockd::testing
