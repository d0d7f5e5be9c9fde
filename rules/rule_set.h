// This file defines `RuleSet`, the immutable access-rule snapshot that
// decides whether a SOCKS request is permitted (SPEC §4.4), and the request
// and decision types it works on.
//
//   RuleSet rules(*ParseSockdConf(text, "sockd.conf"));
//   AccessRequest request;
//   request.client = peer.ip();
//   request.user = "ylee";
//   request.destination = *net::IpAddress::Parse("137.12.5.5");
//   request.port = 23;
//   AccessDecision decision = rules.CheckAccess(request);
//   if (decision.permitted) ...  // decision.rule->line, ->command, ...
//
// The first matching line wins; a line matches when its source, destination,
// user list and port test all match. No matching line: denied. Ident (§5) is
// not part of matching: the caller consults it after a `permit` line matched,
// using that line's `ident_level`.
//
// Thread-safety: a RuleSet is immutable after construction, so CheckAccess
// may be called from any number of threads at once.

#ifndef RSOCKD_RULES_RULE_SET_H_
#define RSOCKD_RULES_RULE_SET_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "net/address.h"
#include "rules/sockd_conf.h"

namespace rsockd::rules {

enum class Command { kConnect, kBind };

// AccessRequest
//
// What the rules are checked against: one SOCKS request. For BIND,
// `destination` is the application server expected to connect in and `port`
// the DSTPORT of the request (SPEC §3.2).
struct AccessRequest {
  Command command = Command::kConnect;
  // The client's TCP peer address.
  net::IpAddress client;
  // The USERID claimed in the request.
  std::string user;
  // DSTIP; absent for a SOCKS4A name.
  std::optional<net::IpAddress> destination;
  // The SOCKS4A host name; empty otherwise.
  std::string destination_name;
  uint16_t port = 0;
  // For a SOCKS4A name: resolves it here (bounded by the caller). Called at
  // most once per CheckAccess, and only when a rule whose destination is an
  // address (not ALL) is reached. Empty result = does not resolve; then only
  // ALL matches. May be left empty, which is the same as not resolving.
  std::function<std::vector<net::IpAddress>()> resolve_destination;
};

// AccessDecision
struct AccessDecision {
  bool permitted = false;
  // The line that decided, owned by the RuleSet (valid as long as it is);
  // nullptr when no line matched, which denies.
  const SockdRule* rule = nullptr;
};

// RuleSet
class RuleSet {
 public:
  explicit RuleSet(SockdConf access);

  // Not copyable: decisions point into the rules.
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

  // CheckAccess()
  //
  // Finds the first line of the access rules that matches `request`.
  AccessDecision CheckAccess(const AccessRequest& request) const;

  const SockdConf& access() const { return access_; }

 private:
  const SockdConf access_;
};

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_RULE_SET_H_
