#include "rules/rule_set.h"

#include <utility>

namespace rsockd::rules {
namespace {

// The destination of a request, resolved lazily: a SOCKS4A name is resolved
// only when a rule needs its addresses, and then only once.
class Destination {
 public:
  explicit Destination(const AccessRequest& request) : request_(request) {}

  bool MatchedBy(const AddressSpec& spec) {
    if (spec.is_all()) return true;
    if (request_.destination.has_value()) {
      return spec.Matches(*request_.destination);
    }
    if (!resolved_.has_value()) {
      resolved_.emplace();
      if (!request_.destination_name.empty() && request_.resolve_destination) {
        *resolved_ = request_.resolve_destination();
      }
    }
    for (const net::IpAddress& address : *resolved_) {
      if (spec.Matches(address)) return true;
    }
    return false;
  }

 private:
  const AccessRequest& request_;
  std::optional<std::vector<net::IpAddress>> resolved_;
};

}  // namespace

RuleSet::RuleSet(SockdConf access) : access_(std::move(access)) {}

AccessDecision RuleSet::CheckAccess(const AccessRequest& request) const {
  Destination destination(request);
  for (const SockdRule& rule : access_.rules) {
    // Cheap tests first, so that a name is resolved only when a line is
    // otherwise a match.
    if (!rule.source.Matches(request.client)) continue;
    if (rule.users.has_value() && !rule.users->Matches(request.user)) continue;
    if (rule.port.has_value() && !rule.port->Matches(request.port)) continue;
    if (!destination.MatchedBy(rule.destination)) continue;
    return AccessDecision{rule.action == SockdRule::Action::kPermit, &rule};
  }
  return AccessDecision{};
}

}  // namespace rsockd::rules
