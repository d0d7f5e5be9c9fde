#include "rsockd/hooks/hook_context.h"

#include <string>

#include "absl/strings/match.h"
#include "net/service_names.h"
#include "rules/name_lookups.h"

namespace rsockd {

HookContext HookContextFor(const rules::AccessRequest& request,
                           absl::string_view ident_user,
                           const net::IpAddress& destination_address) {
  HookContext context;
  context.client_ip = request.client.ToString();
  context.command =
      request.command == rules::Command::kBind ? "bind" : "connect";
  context.service = net::ServiceName(request.port);
  context.port = request.port;
  context.ident_user = std::string(ident_user);
  context.claimed_user = request.user;
  context.destination_host = request.destination_name;
  context.destination_ip = destination_address.ToString();
  return context;
}

void AddHookHostNames(absl::string_view command, const net::IpAddress& client,
                      const std::optional<net::IpAddress>& destination,
                      net::Resolver* resolver, absl::Duration timeout,
                      const net::StopSignal* stop, HookContext* context) {
  const auto name_of = [&](const net::IpAddress& ip) {
    return rules::ReverseNameLookup(resolver, timeout, stop, ip)().value_or(
        ip.ToString());
  };
  context->client_host =
      absl::StrContains(command, "%A") ? name_of(client) : context->client_ip;
  if (context->destination_host.empty()) {
    context->destination_host =
        destination.has_value() && absl::StrContains(command, "%Z")
            ? name_of(*destination)
            : context->destination_ip;
  }
}

}  // namespace rsockd
