#include "rsockd/server/socks4_front_end.h"

#include <array>
#include <string>

#include "rsockd/base/status_macros.h"

namespace rsockd {
namespace {

Request ToRequest(const net::Socks4Request& socks4,
                  const net::SocketAddress& client) {
  Request request;
  request.version = SocksVersion::kSocks4;
  request.command = socks4.command == net::Socks4Command::kBind
                        ? Command::kBind
                        : Command::kConnect;
  request.destination.name = socks4.host_name;
  request.destination.address = net::SocketAddress(socks4.ip, socks4.port);
  request.user_id = socks4.user_id;
  request.user_id_origin = UserIdOrigin::kClaimed;
  request.client = client;
  return request;
}

}  // namespace

net::Socks4ReplyCode Socks4ReplyCodeFor(const Outcome& outcome) {
  if (outcome.granted()) return net::Socks4ReplyCode::kGranted;
  switch (outcome.failure()) {
    case Failure::kIdentUnavailable:
      return net::Socks4ReplyCode::kIdentUnreachable;
    case Failure::kIdentMismatch:
      return net::Socks4ReplyCode::kIdentMismatch;
    // SOCKS4 has one code for every other "no" (docs/protocol.md); an
    // upstream's 92 or 93 was about the upstream's own identd check, not
    // this client's.
    case Failure::kDeniedByRules:
    case Failure::kUpstreamRefused:
    case Failure::kNetworkUnreachable:
    case Failure::kHostUnreachable:
    case Failure::kConnectionRefused:
    case Failure::kTimedOut:
    case Failure::kCommandUnsupported:
    case Failure::kAddressTypeUnsupported:
    case Failure::kGeneralFailure:
      break;
  }
  return net::Socks4ReplyCode::kRejected;
}

absl::StatusOr<Request> Socks4FrontEnd::ReadRequest(
    absl::Span<const uint8_t> received, const net::Deadline& deadline) {
  uint8_t buffer[kHandshakeBufferSize];
  absl::Span<const uint8_t> bytes = received;
  for (;;) {
    absl::StatusOr<size_t> used = parser_.Feed(bytes);
    if (!used.ok()) {
      // Bytes that are not SOCKS4 get no reply; a SOCKS4 request we cannot
      // serve gets 91. The connection is dropped either way, so a reply
      // that cannot be sent changes nothing.
      if (!parser_.not_socks4()) {
        SendReply(Outcome::Failed(Failure::kGeneralFailure,
                                  std::string(used.status().message())))
            .IgnoreError();
      }
      return used.status();
    }
    if (parser_.done()) {
      early_data_.assign(bytes.begin() + *used, bytes.end());
      return ToRequest(parser_.request(), context_.peer);
    }
    RSOCKD_ASSIGN_OR_RETURN(
        const size_t n,
        ReadHandshakeBytes(*context_.client, absl::MakeSpan(buffer), deadline));
    bytes = absl::MakeConstSpan(buffer, n);
  }
}

absl::Status Socks4FrontEnd::SendReply(const Outcome& outcome) {
  const net::Socks4ReplyCode code = Socks4ReplyCodeFor(outcome);
  // A CONNECT's grant carries zeros (docs/protocol.md), a BIND's the
  // address; a refusal, zeros.
  const bool with_address =
      outcome.granted() && parser_.done() &&
      parser_.request().command == net::Socks4Command::kBind;
  const net::SocketAddress address =
      with_address ? outcome.address() : net::SocketAddress();
  context_.stats->CountReply(code);
  const std::array<uint8_t, net::kSocks4ReplySize> reply =
      net::EncodeSocks4Reply(code, address.port(), address.ip());
  return context_.client->WriteAll(
      reply, net::Deadline::In(context_.reply_timeout, context_.stop));
}

}  // namespace rsockd
