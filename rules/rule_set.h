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
//   request.client_name = [&] { return ...; };  // lazy, see AccessRequest
//   AccessDecision decision = rules.CheckAccess(request);
//   if (decision.permitted) ...  // decision.rule->line, ->command, ...
//
// The first matching line wins; a line matches when its source, destination,
// user list and port test all match. No matching line: denied. Ident (§5) is
// not part of matching: the caller consults it after a `permit` line matched,
// using that line's `ident_level`.
//
// Names (SPEC §3.3, §4.3). Host name and `.zone` specs match names, never
// addresses:
//
//   * a destination name/zone spec matches the SOCKS4A name itself when the
//     request carried one (unless that name is an IP literal), else the
//     forward-confirmed reverse name of the destination address;
//   * a source name/zone spec matches the forward-confirmed reverse name of
//     the client address;
//   * no name (no PTR record, not confirmed, lookup failed or timed out): the
//     spec does not match.
//
// Address specs against a SOCKS4A name match the addresses the name resolves
// to here; a name that does not resolve matches only ALL, name and zone
// specs. Lookups are the caller's (see AccessRequest): each runs at most once
// per CheckAccess, and only when a line needing it is reached and the line's
// other tests (address source, user list, port) already matched. A rule set
// without name specs never calls the reverse lookups.
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
//
// The three std::function members are lazy lookups done by the caller, each
// bounded by the caller's timeout; CheckAccess calls each at most once, from
// the calling thread, and never keeps them. Any may be left empty, which is
// the same as a lookup that finds nothing. `SetNameLookups()`
// (rules/name_lookups.h) fills the two name lookups from a net::Resolver.
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
  // For a SOCKS4A name: resolves it here (bounded by the caller). Called
  // only when a line whose destination is an address (not ALL, not a name or
  // zone) is reached. Empty result = does not resolve; then no address spec
  // matches (ALL, name and zone specs still can).
  std::function<std::vector<net::IpAddress>()> resolve_destination;
  // The forward-confirmed reverse name of `client`, for source name and zone
  // specs. Called only when such a line is reached. nullopt: the client has
  // no confirmed name, so no source name or zone spec matches.
  std::function<std::optional<std::string>()> client_name;
  // The forward-confirmed reverse name of the destination address, for
  // destination name and zone specs: `destination`, or the address of a
  // SOCKS4A name that is an IP literal ("10.1.2.3"). Never called for a
  // request with an ordinary SOCKS4A name: that name is matched itself.
  // nullopt: no destination name or zone spec matches.
  std::function<std::optional<std::string>()> destination_reverse_name;
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
