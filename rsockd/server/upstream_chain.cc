#include "rsockd/server/upstream_chain.h"

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "net/socks4_client.h"
#include "rules/name_lookups.h"

namespace rsockd {
namespace {

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

UpstreamResult RequestThroughUpstreams(
    absl::Span<const rules::UpstreamServer> servers,
    const net::Socks4Request& request, const UpstreamContext& context) {
  UpstreamResult result;
  for (const rules::UpstreamServer* server :
       context.health->Order(servers, context.retry_after, absl::Now())) {
    const auto fault = [&](const absl::Status& status) {
      result.faults.push_back(
          absl::StrCat(server->ToString(), ": ", status.message()));
      context.health->MarkDown(*server, absl::Now());
    };
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
    absl::StatusOr<net::Socks4Reply> reply = net::Socks4Exchange(
        *socket, request,
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
    if (reply->code == net::Socks4ReplyCode::kGranted) {
      result.outcome = UpstreamResult::Outcome::kGranted;
      result.socket = *std::move(socket);
    } else {
      result.outcome = UpstreamResult::Outcome::kRefused;
    }
    return result;
  }
  return result;
}

}  // namespace rsockd
