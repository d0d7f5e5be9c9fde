// This file defines `RuleSet`, the immutable rule snapshot
// (docs/architecture.md#data-path): the access rules of sockd.conf
// (docs/sockd_conf.md#matching), the routing rules of socks.conf
// (docs/socks_conf.md#decision) and the interface routes of sockd.route
// (docs/sockd_route.md), parsed together, with the request and decision types
// they work on; and the SOCKS5 password file (password_file.h), which is part
// of the snapshot so that a reload replaces it with the rules, all or nothing.
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
//   RoutingDecision route = rules.Route(request);  // direct, deny, sockd
//
// Access: the first matching line wins; a line matches when its source,
// destination, user list and port test all match. No matching line: denied.
// A SOCKS4A name matched by an address spec is matched through the
// addresses it resolves to: the line matches when any of them does, and it
// decides for those addresses only (AccessDecision::addresses).
// Ident (docs/ident.md) is not part of matching: the caller consults it after a
// `permit` line matched, using that line's `ident_level`.
//
// Routing: destinations 127.0.0.1 and 0.0.0.0 are always direct; without a
// socks.conf everything is direct; otherwise the first line whose
// destination, user list and port match decides, and no match denies.
//
// Interface routes (sockd.route(5)): without a sockd.route the kernel picks
// the source address; with one, the first line whose spec matches the
// target (and whose interface has the target's family) gives the source
// address of a CONNECT or the listen address of a BIND, and an interface of
// 0.0.0.0 or :: leaves the choice to the kernel. When no line matches, a
// CONNECT is left to the kernel (classic route files were written for BIND
// and have no catch-all line) and a BIND fails.
//
// Names (docs/protocol.md#socks4a; docs/sockd_conf.md#address-specs). Host name
// and `.zone` specs match names, never addresses:
//
//   * a destination name/zone spec matches the SOCKS4A name itself when the
//     request carried one (unless that name is an IP literal), else the
//     forward-confirmed reverse name of the destination address;
//   * a source name/zone spec matches the forward-confirmed reverse name of
//     the client address;
//   * in sockd.route, a name/zone spec matches the name rsockd reaches the
//     target by (the SOCKS4A name, or an upstream server's name), else the
//     forward-confirmed reverse name of the target address;
//   * no name (no PTR record, not confirmed, lookup failed or timed out): the
//     spec does not match.
//
// Address specs against a SOCKS4A name match the addresses the name resolves
// to here; a name that does not resolve matches only ALL, name and zone
// specs. Lookups are the caller's (see AccessRequest): each runs at most once
// per CheckAccess or Route, and only when a line needing it is reached and
// the line's other tests (address source, user list, port) already matched.
// A rule set without name specs never calls the reverse lookups.
//
// Thread-safety: a RuleSet is immutable after construction, so its methods
// may be called from any number of threads at once.

#ifndef RSOCKD_RULES_RULE_SET_H_
#define RSOCKD_RULES_RULE_SET_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "net/address.h"
#include "rules/password_file.h"
#include "rules/sockd_conf.h"
#include "rules/sockd_route.h"
#include "rules/socks_conf.h"

namespace rsockd::rules {

enum class Command { kConnect, kBind };

// AccessRequest
//
// What the rules are checked against: one SOCKS request. For BIND,
// `destination` is the application server expected to connect in and `port`
// the DSTPORT of the request (docs/bind.md).
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
  // For a SOCKS4A name that the line's destination spec matched by address:
  // the name's addresses that the spec matched, in the resolver's order.
  // The line decided for these addresses only, so a permitted request may
  // be connected to these only: a name that also resolves to an address no
  // line permitted must not reach it. nullopt: the line matched the whole
  // destination (ALL, a name or zone spec, a request by address).
  std::optional<std::vector<net::IpAddress>> addresses;
};

// ClientCheck
struct ClientCheck {
  bool may_permit = true;
  // When no request may be permitted: the deny line that refuses every
  // request from the client (owned by the RuleSet), or nullptr when no line
  // matches the client at all.
  const SockdRule* refused_by = nullptr;
};

// RoutingDecision
struct RoutingDecision {
  SocksRule::Action action = SocksRule::Action::kDeny;
  // The line that decided, owned by the RuleSet; nullptr when there is no
  // socks.conf or the destination is always direct (then `action` is
  // kDirect), or when no line matched (then kDeny).
  const SocksRule* rule = nullptr;
  // For kSockd: the servers to try, in order — the line's, or the default
  // servers. Owned by the RuleSet.
  absl::Span<const UpstreamServer> servers;
  // As AccessDecision::addresses: for kDirect, the addresses of a SOCKS4A
  // name that the line matched, the only ones it routes directly.
  std::optional<std::vector<net::IpAddress>> addresses;
};

// RouteTarget
//
// What `RuleSet::SourceAddressFor` picks a local address for: one address
// rsockd is about to connect to (CONNECT, or an upstream server) or expects
// a connection from (BIND).
struct RouteTarget {
  Command command = Command::kConnect;
  net::IpAddress address;
  // The name the target is reached by: the SOCKS4A name, or an upstream
  // server's name. Empty (or an IP literal) for a plain address.
  std::string name;
  // The forward-confirmed reverse name of `address`, for name and zone
  // lines when there is no `name`. A lazy lookup bounded by the caller, as
  // in AccessRequest: called at most once, and only when such a line is
  // reached. Empty, or nullopt from it: no name, so no name line matches.
  std::function<std::optional<std::string>()> reverse_name;
};

// RuleSet
class RuleSet {
 public:
  // `routing` absent: no socks.conf, everything direct. `interfaces` absent:
  // no sockd.route, the kernel chooses. `default_servers` serve `sockd` lines
  // without `@=` (CheckDefaultServer() makes sure there are some when such a
  // line exists). `passwords` absent: no --password_file, so no SOCKS5
  // username/password authentication.
  explicit RuleSet(SockdConf access,
                   std::optional<SocksConf> routing = std::nullopt,
                   std::optional<SockdRoute> interfaces = std::nullopt,
                   std::vector<UpstreamServer> default_servers = {},
                   std::optional<PasswordFile> passwords = std::nullopt);

  // Not copyable: decisions point into the rules.
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

  // CheckAccess()
  //
  // Finds the first line of the access rules that matches `request`.
  AccessDecision CheckAccess(const AccessRequest& request) const;

  // CheckClient()
  //
  // Whether any request from `client` can be permitted, whatever it asks
  // for, decided from the address alone: so that rsockd can refuse a client
  // as soon as it is accepted, before reading (and waiting for) its
  // request. Not when no permit line's source can match it before a deny
  // line that refuses everything from it (source matches; destination ALL,
  // no user list or `*=`, no port test). A permit line with a name or zone
  // source may match (that needs a DNS lookup), so it counts.
  ClientCheck CheckClient(const net::IpAddress& client) const;

  // Route()
  //
  // Decides how a permitted request reaches its destination
  // (docs/socks_conf.md#decision). Uses `destination`, `destination_name`,
  // `user`, `port` and the destination lookups of `request`; the client fields
  // play no part.
  RoutingDecision Route(const AccessRequest& request) const;

  // SourceAddressFor()
  //
  // The local address to connect from (or, for a BIND, to listen on) for
  // `target` (sockd.route(5)). nullopt: the kernel chooses — there is no
  // sockd.route, the deciding line's interface is 0.0.0.0 or ::, or no line
  // matches a CONNECT. NotFound with the classic message "Cannot find
  // appropriate interface to communicate with <ip>" when no line matches a
  // BIND.
  absl::StatusOr<std::optional<net::IpAddress>> SourceAddressFor(
      const RouteTarget& target) const;

  const SockdConf& access() const { return access_; }
  const std::optional<SocksConf>& routing() const { return routing_; }
  const std::optional<SockdRoute>& interfaces() const { return interfaces_; }
  const std::vector<UpstreamServer>& default_servers() const {
    return default_servers_;
  }
  const std::optional<PasswordFile>& passwords() const { return passwords_; }

 private:
  const SockdConf access_;
  const std::optional<SocksConf> routing_;
  const std::optional<SockdRoute> interfaces_;
  const std::vector<UpstreamServer> default_servers_;
  const std::optional<PasswordFile> passwords_;
};

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_RULE_SET_H_
