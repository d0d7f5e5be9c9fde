#include "rules/name_lookups.h"

#include <optional>
#include <string>
#include <vector>

#include "net/address.h"

namespace rsockd::rules {

std::function<std::optional<std::string>()> ReverseNameLookup(
    net::Resolver* resolver, absl::Duration timeout,
    const net::StopSignal* stop, net::IpAddress ip) {
  return [resolver, timeout, stop, ip]() -> std::optional<std::string> {
    absl::StatusOr<std::string> name =
        resolver->ReverseName(ip, net::Deadline::In(timeout, stop));
    if (!name.ok()) return std::nullopt;
    return *std::move(name);
  };
}

void SetNameLookups(net::Resolver* resolver, absl::Duration timeout,
                    const net::StopSignal* stop, AccessRequest* request) {
  request->client_name =
      ReverseNameLookup(resolver, timeout, stop, request->client);
  std::optional<net::IpAddress> destination = request->destination;
  if (!destination.has_value() && !request->destination_name.empty()) {
    destination = net::IpAddress::Parse(request->destination_name);
  }
  request->destination_reverse_name =
      destination.has_value()
          ? ReverseNameLookup(resolver, timeout, stop, *destination)
          : std::function<std::optional<std::string>()>();
}

void SetDestination(absl::string_view destination, net::Resolver* resolver,
                    absl::Duration timeout, AccessRequest* request) {
  if (std::optional<net::IpAddress> ip = net::IpAddress::Parse(destination)) {
    request->destination = *ip;
    return;
  }
  request->destination_name = std::string(destination);
  request->resolve_destination = [resolver, timeout,
                                  name = request->destination_name] {
    absl::StatusOr<std::vector<net::IpAddress>> addresses =
        resolver->Resolve(name, net::Deadline::In(timeout));
    return addresses.ok() ? *addresses : std::vector<net::IpAddress>();
  };
}

}  // namespace rsockd::rules
