#include "rules/frozen_sockd_route.h"

#include "rsockd/base/status_macros.h"
#include "rules/frozen_io.h"
#include "rules/frozen_specs.h"

namespace rsockd::rules {
namespace {

constexpr FrozenRuleList kRouteList{
    .noun = "route",
    .file_kind = "sockd.route",
    // Line, an IPv4 interface, a one-byte destination.
    .min_rule_size = 4 + 1 + 4 + 1,
    .max_rules = kMaxFrozenRoutes,
};

absl::Status FreezeRoute(const RouteRule& rule, FrozenWriter* writer) {
  FreezeLineNumber(rule.line, writer);
  FreezeIpAddress(rule.interface, writer);
  FreezeAddressSpec(rule.destination, writer);
  return absl::OkStatus();
}

absl::StatusOr<RouteRule> ThawRoute(FrozenReader* reader, int previous_line) {
  RouteRule rule;
  RSOCKD_ASSIGN_OR_RETURN(rule.line, ThawLineNumber(reader, previous_line));
  // The unspecified address is valid: the kernel chooses.
  RSOCKD_ASSIGN_OR_RETURN(rule.interface, ThawIpAddress(reader, "interface"));
  RSOCKD_ASSIGN_OR_RETURN(rule.destination,
                          ThawAddressSpec(reader, "destination"));
  return rule;
}

}  // namespace

absl::StatusOr<std::string> FreezeSockdRoute(const SockdRoute& route) {
  return FreezeRuleFile(route, FrozenKind::kSockdRoute, kRouteList,
                        FreezeRoute);
}

absl::StatusOr<SockdRoute> ThawSockdRoute(absl::string_view file) {
  return ThawRuleFile<SockdRoute>(file, FrozenKind::kSockdRoute, kRouteList,
                                  ThawRoute);
}

absl::StatusOr<SockdRoute> LoadFrozenSockdRoute(const std::string& path) {
  return LoadFrozenFile<SockdRoute>(path, ThawSockdRoute);
}

}  // namespace rsockd::rules
