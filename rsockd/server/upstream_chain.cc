#include "rsockd/server/upstream_chain.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "net/socks4.h"
#include "net/socks4_client.h"
#include "net/socks5.h"
#include "net/socks5_client.h"
#include "rsockd/server/log_field.h"
#include "rules/name_lookups.h"

namespace rsockd {
namespace {

// Why a server's protocol cannot carry a request; not the server's fault.
struct CannotCarry {
  Failure failure;
  std::string why;
};

// The request in one server's protocol.
using CarriedRequest = std::variant<net::Socks4Request, net::Socks5Request>;

// The address a socks4:// server gets for a name: the first IPv4 address of
// it that sockd.conf permits.
std::variant<net::IpAddress, CannotCarry> Socks4AddressOf(
    const UpstreamRequest& request) {
  const std::string name = EscapeLogField(request.destination.name);
  absl::StatusOr<std::vector<net::IpAddress>> resolved = request.resolve();
  if (!resolved.ok()) {
    return CannotCarry{ResolveFailure(resolved.status()),
                       absl::StrCat("cannot resolve ", name, " for SOCKS4: ",
                                    resolved.status().message())};
  }
  bool any_permitted = false;
  for (const net::IpAddress& address : *resolved) {
    if (request.permitted.has_value() &&
        std::find(request.permitted->begin(), request.permitted->end(),
                  address) == request.permitted->end()) {
      continue;
    }
    if (address.is_ipv4()) return address;
    any_permitted = true;
  }
  if (!any_permitted) {
    return CannotCarry{
        Failure::kDeniedByRules,
        absl::StrCat("no address of ", name, " is permitted by sockd.conf")};
  }
  return CannotCarry{
      Failure::kAddressTypeUnsupported,
      absl::StrCat("SOCKS4 cannot carry ", name,
                   ": no IPv4 address of it is permitted by sockd.conf")};
}

std::variant<CarriedRequest, CannotCarry> Socks4RequestFor(
    rules::UpstreamScheme scheme, const UpstreamRequest& request) {
  net::Socks4Request socks4;
  socks4.command = request.command == Command::kBind
                       ? net::Socks4Command::kBind
                       : net::Socks4Command::kConnect;
  socks4.port = request.destination.port();
  socks4.ip = request.destination.address.ip();
  socks4.user_id = request.user_id;
  if (request.destination.is_name()) {
    if (scheme == rules::UpstreamScheme::kSocks4a) {
      socks4.host_name = request.destination.name;
      return socks4;
    }
    std::variant<net::IpAddress, CannotCarry> address =
        Socks4AddressOf(request);
    if (CannotCarry* cannot = std::get_if<CannotCarry>(&address)) {
      return std::move(*cannot);
    }
    socks4.ip = std::get<net::IpAddress>(address);
  }
  if (!socks4.ip.is_ipv4()) {
    return CannotCarry{Failure::kAddressTypeUnsupported,
                       absl::StrCat("SOCKS4 cannot carry the IPv6 address ",
                                    socks4.ip.ToString())};
  }
  return socks4;
}

net::Socks5Request Socks5RequestFor(const UpstreamRequest& request) {
  net::Socks5Request socks5;
  socks5.command = request.command == Command::kBind
                       ? net::Socks5Command::kBind
                       : net::Socks5Command::kConnect;
  socks5.destination.port = request.destination.port();
  if (request.destination.is_name()) {
    socks5.destination.host_name = request.destination.name;
  } else {
    socks5.destination.ip = request.destination.address.ip();
  }
  return socks5;
}

// The request as `server` is to get it, or why it cannot.
std::variant<CarriedRequest, CannotCarry> CarriedRequestFor(
    const rules::UpstreamServer& server, const UpstreamRequest& request) {
  if (server.scheme == rules::UpstreamScheme::kSocks5) {
    return Socks5RequestFor(request);
  }
  return Socks4RequestFor(server.scheme, request);
}

UpstreamReply FromSocks4(const net::Socks4Reply& reply) {
  UpstreamReply upstream;
  upstream.granted = reply.code == net::Socks4ReplyCode::kGranted;
  upstream.refusal = {.version = SocksVersion::kSocks4,
                      .code = static_cast<uint8_t>(reply.code)};
  upstream.address = net::SocketAddress(reply.ip, reply.port);
  return upstream;
}

UpstreamReply FromSocks5(const net::Socks5Reply& reply) {
  UpstreamReply upstream;
  upstream.granted = reply.code == net::Socks5ReplyCode::kSucceeded;
  upstream.refusal = {.version = SocksVersion::kSocks5,
                      .code = static_cast<uint8_t>(reply.code)};
  // A name: 0.0.0.0 (upstream_chain.h).
  upstream.address = net::SocketAddress(
      reply.bound.has_host_name() ? net::IpAddress() : reply.bound.ip,
      reply.bound.port);
  return upstream;
}

// Sends the request and reads the (first) reply.
absl::StatusOr<UpstreamReply> Exchange(net::Socket& socket,
                                       const rules::UpstreamServer& server,
                                       const CarriedRequest& request,
                                       const net::Deadline& deadline) {
  if (const auto* socks4 = std::get_if<net::Socks4Request>(&request)) {
    absl::StatusOr<net::Socks4Reply> reply =
        net::Socks4Exchange(socket, *socks4, deadline);
    if (!reply.ok()) return reply.status();
    return FromSocks4(*reply);
  }
  std::optional<net::Socks5Credentials> credentials;
  if (server.credentials.has_value()) {
    credentials =
        net::Socks5Credentials{.user = server.credentials->user,
                               .password = server.credentials->password};
  }
  absl::StatusOr<net::Socks5Reply> reply = net::Socks5Exchange(
      socket, std::get<net::Socks5Request>(request), credentials, deadline);
  if (!reply.ok()) return reply.status();
  return FromSocks5(*reply);
}

// The addresses of a server: its IP literal, or its name resolved here.
absl::StatusOr<std::vector<net::IpAddress>> ServerAddresses(
    const rules::UpstreamServer& server, const UpstreamContext& context) {
  if (std::optional<net::IpAddress> ip = net::IpAddress::Parse(server.host);
      ip.has_value()) {
    return std::vector<net::IpAddress>{*ip};
  }
  absl::StatusOr<std::vector<net::IpAddress>> addresses =
      context.resolver->Resolve(
          server.host,
          net::Deadline::In(context.resolve_timeout, context.stop));
  if (!addresses.ok()) {
    return absl::Status(
        addresses.status().code(),
        absl::StrCat("cannot resolve: ", addresses.status().message()));
  }
  return addresses;
}

// Connects to one of the server's addresses, in turn, within one connect
// timeout.
absl::StatusOr<net::Socket> ConnectToServer(
    const rules::UpstreamServer& server,
    const std::vector<net::IpAddress>& addresses,
    const UpstreamContext& context, net::SocketAddress* connected) {
  const net::Deadline deadline =
      net::Deadline::In(context.connect_timeout, context.stop);
  absl::Status last_error;
  for (const net::IpAddress& address : addresses) {
    // A connection to an upstream is a CONNECT, whatever the client asked.
    absl::StatusOr<std::optional<net::IpAddress>> source =
        context.rules->SourceAddressFor(
            {.command = rules::Command::kConnect,
             .address = address,
             .name = server.host,
             .reverse_name = rules::ReverseNameLookup(context.resolver,
                                                      context.resolve_timeout,
                                                      context.stop, address)});
    if (!source.ok()) {
      last_error = source.status();
      continue;
    }
    const net::SocketAddress to(address, server.port);
    if (context.own_listeners != nullptr &&
        context.own_listeners->Contains(to)) {
      last_error = absl::FailedPreconditionError(absl::StrCat(
          to.ToString(), " is rsockd's own listening socket (a routing loop)"));
      continue;
    }
    absl::StatusOr<net::Socket> socket =
        net::Socket::Connect(to, *source, deadline);
    if (socket.ok()) {
      *connected = to;
      return socket;
    }
    last_error = absl::Status(
        socket.status().code(),
        absl::StrCat("cannot connect: ", socket.status().message()));
  }
  return last_error;
}

}  // namespace

std::string UpstreamRefusalText(const UpstreamRefusal& refusal) {
  if (refusal.version == SocksVersion::kSocks4) {
    return absl::StrCat(refusal.code);
  }
  return absl::StrCat(
      refusal.code, " (",
      net::Socks5ReplyCodeText(static_cast<net::Socks5ReplyCode>(refusal.code)),
      ")");
}

absl::StatusOr<UpstreamReply> ReadUpstreamReply(net::Socket& socket,
                                                rules::UpstreamScheme scheme,
                                                const net::Deadline& deadline) {
  if (scheme == rules::UpstreamScheme::kSocks5) {
    absl::StatusOr<net::Socks5Reply> reply =
        net::ReadSocks5Reply(socket, deadline);
    if (!reply.ok()) return reply.status();
    return FromSocks5(*reply);
  }
  absl::StatusOr<net::Socks4Reply> reply =
      net::ReadSocks4Reply(socket, deadline);
  if (!reply.ok()) return reply.status();
  return FromSocks4(*reply);
}

UpstreamResult RequestThroughUpstreams(
    absl::Span<const rules::UpstreamServer> servers,
    const UpstreamRequest& request, const UpstreamContext& context) {
  UpstreamResult result;
  for (const rules::UpstreamServer* server :
       context.health->Order(servers, context.retry_after, absl::Now())) {
    const auto fault = [&](const absl::Status& status) {
      result.faults.push_back(
          absl::StrCat(server->ToString(), ": ", status.message()));
      context.health->MarkDown(*server, absl::Now());
    };
    std::variant<CarriedRequest, CannotCarry> carried =
        CarriedRequestFor(*server, request);
    if (CannotCarry* cannot = std::get_if<CannotCarry>(&carried)) {
      result.passed_over.push_back(absl::StrCat(
          server->ToString(), ": cannot carry the request: ", cannot->why));
      result.failure = cannot->failure;
      result.reason = std::move(cannot->why);
      continue;
    }
    absl::StatusOr<std::vector<net::IpAddress>> addresses =
        ServerAddresses(*server, context);
    if (!addresses.ok()) {
      fault(addresses.status());
      continue;
    }
    net::SocketAddress address;
    absl::StatusOr<net::Socket> socket =
        ConnectToServer(*server, *addresses, context, &address);
    if (!socket.ok()) {
      fault(socket.status());
      continue;
    }
    absl::StatusOr<UpstreamReply> reply =
        Exchange(*socket, *server, std::get<CarriedRequest>(carried),
                 net::Deadline::In(context.connect_timeout, context.stop));
    if (!reply.ok()) {
      fault(absl::Status(
          reply.status().code(),
          absl::StrCat("no valid reply: ", reply.status().message())));
      continue;
    }
    context.health->MarkUp(*server);
    result.server = server;
    result.server_address = address;
    result.reply = *reply;
    if (reply->granted) {
      result.outcome = UpstreamResult::Outcome::kGranted;
      result.socket = *std::move(socket);
    } else {
      result.outcome = UpstreamResult::Outcome::kRefused;
    }
    return result;
  }
  if (!result.faults.empty() || result.passed_over.empty()) {
    result.failure = Failure::kGeneralFailure;
    result.reason = absl::StrCat("no upstream server answered (",
                                 result.faults.size(), " tried)");
  }
  return result;
}

}  // namespace rsockd
