#include "rules/rule_set.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace rsockd::rules {
namespace {

// The lookups of one CheckAccess, each done at most once and only when a
// rule needs it.
class Lookups {
 public:
  explicit Lookups(const AccessRequest& request) : request_(request) {}

  // Whether `spec` matches the destination: nullopt when it does not; else
  // the addresses of a SOCKS4A name that an address spec matched, or an
  // empty optional inside (every address) when the spec matched the whole
  // destination (ALL, a name, a literal address).
  std::optional<std::optional<std::vector<net::IpAddress>>>
  DestinationMatchedBy(const AddressSpec& spec) {
    using Addresses = std::optional<std::vector<net::IpAddress>>;
    if (spec.is_all()) return Addresses();
    if (spec.is_name()) {
      const std::optional<std::string>& name = DestinationName();
      if (name.has_value() && spec.MatchesName(*name)) return Addresses();
      return std::nullopt;
    }
    if (request_.destination.has_value()) {
      if (spec.Matches(*request_.destination)) return Addresses();
      return std::nullopt;
    }
    std::vector<net::IpAddress> matched;
    for (const net::IpAddress& address : ResolvedDestination()) {
      if (spec.Matches(address)) matched.push_back(address);
    }
    if (matched.empty()) return std::nullopt;
    return Addresses(std::move(matched));
  }

  // For a source name or zone spec (address specs are tested directly).
  bool SourceNameMatchedBy(const AddressSpec& spec) {
    if (!client_name_.has_value()) {
      client_name_.emplace();
      if (request_.client_name) *client_name_ = request_.client_name();
    }
    return client_name_->has_value() && spec.MatchesName(**client_name_);
  }

 private:
  // The SOCKS4A name, or else the destination address's confirmed name.
  const std::optional<std::string>& DestinationName() {
    if (!destination_name_.has_value()) {
      destination_name_.emplace();
      if (!request_.destination_name.empty() &&
          !net::IpAddress::Parse(request_.destination_name).has_value()) {
        *destination_name_ = request_.destination_name;
      } else if (request_.destination_reverse_name) {
        *destination_name_ = request_.destination_reverse_name();
      }
    }
    return *destination_name_;
  }

  // The addresses of a SOCKS4A name, resolved here.
  const std::vector<net::IpAddress>& ResolvedDestination() {
    if (!resolved_.has_value()) {
      resolved_.emplace();
      if (!request_.destination_name.empty() && request_.resolve_destination) {
        *resolved_ = request_.resolve_destination();
      }
    }
    return *resolved_;
  }

  const AccessRequest& request_;
  // Outer optional: looked up yet? Inner: the answer.
  std::optional<std::optional<std::string>> client_name_;
  std::optional<std::optional<std::string>> destination_name_;
  std::optional<std::vector<net::IpAddress>> resolved_;
};

// Destinations that are always reached directly, whatever socks.conf says
// (docs/socks_conf.md#decision, orig): this host.
bool IsAlwaysDirect(const AccessRequest& request) {
  std::optional<net::IpAddress> address = request.destination;
  if (!address.has_value() && !request.destination_name.empty()) {
    address = net::IpAddress::Parse(request.destination_name);
  }
  if (!address.has_value() || !address->is_ipv4()) return false;
  const uint32_t ip = address->ipv4_host_order();
  return ip == 0x7f000001 || ip == 0;
}

}  // namespace

RuleSet::RuleSet(SockdConf access, std::optional<SocksConf> routing,
                 std::optional<SockdRoute> interfaces,
                 std::vector<UpstreamServer> default_servers,
                 std::optional<PasswordFile> passwords)
    : access_(std::move(access)),
      routing_(std::move(routing)),
      interfaces_(std::move(interfaces)),
      default_servers_(std::move(default_servers)),
      passwords_(std::move(passwords)) {}

AccessDecision RuleSet::CheckAccess(const AccessRequest& request) const {
  Lookups lookups(request);
  for (const SockdRule& rule : access_.rules) {
    // Cheap tests first, so that lookups run only when a line is otherwise
    // a match.
    const bool source_is_name = rule.source.is_name();
    if (!source_is_name && !rule.source.Matches(request.client)) continue;
    if (rule.users.has_value() && !rule.users->Matches(request.user)) continue;
    if (rule.port.has_value() && !rule.port->Matches(request.port)) continue;
    auto destination = lookups.DestinationMatchedBy(rule.destination);
    if (!destination.has_value()) continue;
    if (source_is_name && !lookups.SourceNameMatchedBy(rule.source)) continue;
    AccessDecision decision;
    decision.permitted = rule.action == SockdRule::Action::kPermit;
    decision.rule = &rule;
    decision.addresses = *std::move(destination);
    return decision;
  }
  return AccessDecision{};
}

ClientCheck RuleSet::CheckClient(const net::IpAddress& client) const {
  for (const SockdRule& rule : access_.rules) {
    // A source name needs a DNS lookup: it may match.
    const bool source_matches =
        !rule.source.is_name() && rule.source.Matches(client);
    if (rule.action == SockdRule::Action::kPermit) {
      if (source_matches || rule.source.is_name()) return ClientCheck{};
      continue;
    }
    // A deny line that matches every request from this client ends the
    // search: no later permit line is ever reached.
    if (source_matches && rule.destination.is_all() && !rule.port.has_value() &&
        (!rule.users.has_value() || rule.users->matches_everyone())) {
      return ClientCheck{.may_permit = false, .refused_by = &rule};
    }
  }
  return ClientCheck{.may_permit = false};
}

RoutingDecision RuleSet::Route(const AccessRequest& request) const {
  if (!routing_.has_value() || IsAlwaysDirect(request)) {
    RoutingDecision direct;
    direct.action = SocksRule::Action::kDirect;
    return direct;
  }
  Lookups lookups(request);
  for (const SocksRule& rule : routing_->rules) {
    if (rule.users.has_value() && !rule.users->Matches(request.user)) continue;
    if (rule.port.has_value() && !rule.port->Matches(request.port)) continue;
    auto destination = lookups.DestinationMatchedBy(rule.destination);
    if (!destination.has_value()) continue;
    RoutingDecision decision;
    decision.action = rule.action;
    decision.rule = &rule;
    decision.addresses = *std::move(destination);
    if (rule.action == SocksRule::Action::kSockd) {
      decision.servers = rule.servers.empty()
                             ? absl::MakeConstSpan(default_servers_)
                             : absl::MakeConstSpan(rule.servers);
    }
    return decision;
  }
  return RoutingDecision{};
}

absl::StatusOr<std::optional<net::IpAddress>> RuleSet::SourceAddressFor(
    const RouteTarget& target) const {
  if (!interfaces_.has_value()) return std::optional<net::IpAddress>();
  // The name name and zone lines match, looked up at most once.
  std::optional<std::optional<std::string>> name;
  const auto name_matched_by = [&](const AddressSpec& spec) {
    if (!name.has_value()) {
      name.emplace();
      if (!target.name.empty() &&
          !net::IpAddress::Parse(target.name).has_value()) {
        *name = target.name;
      } else if (target.reverse_name && !target.address.IsUnspecified()) {
        // The unspecified address (a BIND's "any peer") has no name.
        *name = target.reverse_name();
      }
    }
    return name->has_value() && spec.MatchesName(**name);
  };
  for (const RouteRule& rule : interfaces_->rules) {
    if (rule.interface.family() != target.address.family()) continue;
    const bool matches = rule.destination.is_name()
                             ? name_matched_by(rule.destination)
                             : rule.destination.Matches(target.address);
    if (!matches) continue;
    if (rule.interface.IsUnspecified()) return std::optional<net::IpAddress>();
    return std::optional<net::IpAddress>(rule.interface);
  }
  if (target.command == Command::kConnect) {
    return std::optional<net::IpAddress>();
  }
  return absl::NotFoundError(
      absl::StrCat("Cannot find appropriate interface to communicate with ",
                   target.address.ToString()));
}

}  // namespace rsockd::rules
