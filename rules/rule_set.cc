#include "rules/rule_set.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rsockd::rules {
namespace {

// The lookups of one CheckAccess, each done at most once and only when a
// rule needs it.
class Lookups {
 public:
  explicit Lookups(const AccessRequest& request) : request_(request) {}

  bool DestinationMatchedBy(const AddressSpec& spec) {
    if (spec.is_all()) return true;
    if (spec.is_name()) {
      const std::optional<std::string>& name = DestinationName();
      return name.has_value() && spec.MatchesName(*name);
    }
    if (request_.destination.has_value()) {
      return spec.Matches(*request_.destination);
    }
    for (const net::IpAddress& address : ResolvedDestination()) {
      if (spec.Matches(address)) return true;
    }
    return false;
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

}  // namespace

RuleSet::RuleSet(SockdConf access) : access_(std::move(access)) {}

AccessDecision RuleSet::CheckAccess(const AccessRequest& request) const {
  Lookups lookups(request);
  for (const SockdRule& rule : access_.rules) {
    // Cheap tests first, so that lookups run only when a line is otherwise
    // a match.
    const bool source_is_name = rule.source.is_name();
    if (!source_is_name && !rule.source.Matches(request.client)) continue;
    if (rule.users.has_value() && !rule.users->Matches(request.user)) continue;
    if (rule.port.has_value() && !rule.port->Matches(request.port)) continue;
    if (!lookups.DestinationMatchedBy(rule.destination)) continue;
    if (source_is_name && !lookups.SourceNameMatchedBy(rule.source)) continue;
    return AccessDecision{rule.action == SockdRule::Action::kPermit, &rule};
  }
  return AccessDecision{};
}

}  // namespace rsockd::rules
