#include "rules/frozen_sockd_route.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "net/status_macros.h"
#include "rules/frozen_io.h"
#include "rules/frozen_specs.h"

namespace rsockd::rules {
namespace {

// Line, an IPv4 interface, a one-byte destination.
constexpr size_t kMinRouteSize = 4 + 1 + 4 + 1;

absl::StatusOr<RouteRule> ThawRoute(FrozenReader* reader, int previous_line) {
  RouteRule rule;
  ASSIGN_OR_RETURN(rule.line, ThawLineNumber(reader, previous_line));
  const size_t interface_offset = reader->offset();
  ASSIGN_OR_RETURN(rule.interface, ThawIpAddress(reader, "interface"));
  // The parser refuses it: it would mean "let the kernel choose", which is
  // what having no route file says.
  if (rule.interface.IsUnspecified()) {
    return reader->Invalid(interface_offset, "interface",
                           "the unspecified address is not an interface");
  }
  ASSIGN_OR_RETURN(rule.destination, ThawAddressSpec(reader, "destination"));
  return rule;
}

}  // namespace

absl::StatusOr<std::string> FreezeSockdRoute(const SockdRoute& route) {
  if (route.rules.size() > kMaxFrozenRoutes) {
    return absl::ResourceExhaustedError(
        absl::StrCat(route.rules.size(), " routes are more than the ",
                     kMaxFrozenRoutes, " a frozen sockd.route may hold"));
  }
  FrozenWriter writer;
  FreezeFileName(route.filename, &writer);
  writer.U32(static_cast<uint32_t>(route.rules.size()));
  for (const RouteRule& rule : route.rules) {
    FreezeLineNumber(rule.line, &writer);
    FreezeIpAddress(rule.interface, &writer);
    FreezeAddressSpec(rule.destination, &writer);
  }
  return SealFrozen(FrozenKind::kSockdRoute, writer.payload());
}

absl::StatusOr<SockdRoute> ThawSockdRoute(absl::string_view file) {
  ASSIGN_OR_RETURN(const absl::string_view payload,
                   UnsealFrozen(file, FrozenKind::kSockdRoute));
  FrozenReader reader(payload);
  SockdRoute route;
  ASSIGN_OR_RETURN(route.filename, ThawFileName(&reader));
  ASSIGN_OR_RETURN(
      const uint32_t count,
      reader.Count("route count", kMinRouteSize, kMaxFrozenRoutes));
  int previous_line = 0;
  for (uint32_t i = 0; i < count; ++i) {
    absl::StatusOr<RouteRule> rule = ThawRoute(&reader, previous_line);
    if (!rule.ok()) {
      return AddFrozenContext(rule.status(), absl::StrCat("route ", i + 1));
    }
    previous_line = rule->line;
    route.rules.push_back(*std::move(rule));
  }
  RETURN_IF_ERROR(reader.ExpectEnd());
  return route;
}

absl::StatusOr<SockdRoute> LoadFrozenSockdRoute(const std::string& path) {
  return LoadFrozenFile<SockdRoute>(path, ThawSockdRoute);
}

}  // namespace rsockd::rules
