// This file defines `SetNameLookups()`, which connects the lazy name lookups
// of an `AccessRequest` (rule_set.h) to a `net::Resolver`: the client's and
// the destination's forward-confirmed reverse names
// (docs/sockd_conf.md#address-specs), each with a timeout and through the
// resolver's shared cache; and `ReverseNameLookup()`, the same lookup for a
// `RouteTarget` of sockd.route.
//
//   rules::AccessRequest access;
//   access.client = peer.ip();
//   access.destination = request.ip;           // or destination_name = ...
//   ...
//   rules::SetNameLookups(resolver, absl::Seconds(10), stop, &access);
//   rules::AccessDecision decision = rule_set.CheckAccess(access);
//
// The lookups run only if CheckAccess reaches a name or zone rule (see
// rule_set.h), so a rule set without names costs nothing here.

#ifndef RSOCKD_RULES_NAME_LOOKUPS_H_
#define RSOCKD_RULES_NAME_LOOKUPS_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "net/deadline.h"
#include "net/resolver.h"
#include "rules/rule_set.h"

namespace rsockd::rules {

// SetNameLookups()
//
// Sets `request->client_name` to the reverse name of `request->client`, and
// `request->destination_reverse_name` to that of the destination address:
// `request->destination`, or a `destination_name` that is an IP literal (a
// SOCKS4A request with no other name has none). Each lookup is
// `resolver->ReverseName(ip, Deadline::In(timeout, stop))` from when it
// starts; any error (no name, not confirmed, DNS failure, timed out,
// stopped) means no name. Call it after `client`, `destination` and
// `destination_name` are set; the addresses are copied. `resolver` and
// `stop` (may be null) must outlive every CheckAccess of `request`.
void SetNameLookups(net::Resolver* resolver, absl::Duration timeout,
                    const net::StopSignal* stop, AccessRequest* request);

// ReverseNameLookup()
//
// A lazy lookup of the forward-confirmed reverse name of `ip`, as
// `RouteTarget::reverse_name` wants it: `resolver->ReverseName(ip,
// Deadline::In(timeout, stop))` from when it is called, any error meaning no
// name. `resolver` and `stop` (may be null) must outlive every call.
std::function<std::optional<std::string>()> ReverseNameLookup(
    net::Resolver* resolver, absl::Duration timeout,
    const net::StopSignal* stop, net::IpAddress ip);

// SetDestination()
//
// For tools that take a destination on the command line: an IP literal
// becomes `request->destination`; anything else is judged as the SOCKS4A
// request for that name would be — `destination_name`, resolved lazily
// through `resolver` within `timeout`. Call before SetNameLookups().
void SetDestination(absl::string_view destination, net::Resolver* resolver,
                    absl::Duration timeout, AccessRequest* request);

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_NAME_LOOKUPS_H_
