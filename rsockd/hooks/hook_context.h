// This file defines how the context of a hook (`HookContext`,
// hook_command.h) is made from a request, the same way for the server and
// for test_sockd_conf -x: `HookContextFor()` fills in what the request says,
// and `AddHookHostNames()` the host names of %A and %Z, which cost a
// reverse lookup each. The server makes those lookups on the hook's thread
// (HookRunner::SubmitPrepared), so that the request never waits on them;
// test_sockd_conf makes them before it runs the hook.
//
//   HookContext context = HookContextFor(access, ident_user, dstip);
//   AddHookHostNames(command, access.client, access.destination, resolver,
//                    absl::Seconds(10), stop, &context);
//   hooks.Submit(ExpandHookCommand(command, context),
//                HookEnvironment(context));
//
// Functions of their arguments (and the resolver, which is thread-safe).

#ifndef RSOCKD_RSOCKD_HOOKS_HOOK_CONTEXT_H_
#define RSOCKD_RSOCKD_HOOKS_HOOK_CONTEXT_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/resolver.h"
#include "rsockd/hooks/hook_command.h"
#include "rules/rule_set.h"

namespace rsockd {

// HookContextFor()
//
// The context of a hook for `request`, a request as the rules judged it:
// the client's address (%a), the command (%c), the destination port (%s)
// and its service name (%S), the claimed user id (%u), and `ident_user`
// (%U), identd's answer ("unknown" unless identd confirmed the user).
// `destination_address` is %z: DSTIP, or for a SOCKS4A name the address
// the name resolved to (DSTIP when it did not); a SOCKS4A name is also %Z
// itself. %A, and %Z for a destination given as an address, are left to
// AddHookHostNames.
HookContext HookContextFor(const rules::AccessRequest& request,
                           absl::string_view ident_user,
                           const net::IpAddress& destination_address);

// AddHookHostNames()
//
// Sets %A (`client_host`) and, unless a SOCKS4A name set it,
// %Z (`destination_host`): the forward-confirmed reverse names of `client`
// and of `destination`, each looked up through `resolver` within `timeout`
// (until `stop` fires; may be null), and only when `command` uses the
// sequence. Without a name (no name, not confirmed, not asked for, no
// destination), the address: `client_ip`, `destination_ip`.
void AddHookHostNames(absl::string_view command, const net::IpAddress& client,
                      const std::optional<net::IpAddress>& destination,
                      net::Resolver* resolver, absl::Duration timeout,
                      const net::StopSignal* stop, HookContext* context);

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_HOOKS_HOOK_CONTEXT_H_
