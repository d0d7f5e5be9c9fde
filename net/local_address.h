// This file defines `IsLocalAddress`, which asks the kernel whether an
// address belongs to this host: whether a connection to it would be
// delivered here rather than sent out.
//
// "Local" is the kernel's own routing answer (a route of type `local`, as
// `ip route get` shows it), not a list of interface addresses: it covers
// every address of every interface, all of 127.0.0.0/8, ::1, and "AnyIP"
// local routes an operator added (`ip route add local 10.9.0.0/24 dev lo`),
// and it follows addresses that come and go while rsockd runs. The
// unspecified addresses 0.0.0.0 and :: count as local too: Linux takes a
// connect to them as one to this host.
//
//   absl::StatusOr<bool> local = net::IsLocalAddress(destination.ip());
//   if (!local.ok() || *local) ...  // may be this host: treat it so
//
// One netlink request and reply per call, bounded by a short timeout.
// Thread-safe (each call has its own netlink socket).

#ifndef RSOCKD_NET_LOCAL_ADDRESS_H_
#define RSOCKD_NET_LOCAL_ADDRESS_H_

#include "absl/status/statusor.h"
#include "net/address.h"

namespace rsockd::net {

// IsLocalAddress()
//
// True when the kernel routes `ip` to this host, false when it would send
// it elsewhere or has no route for it at all. An error (the netlink request
// failed or timed out) is returned as such: callers that guard against
// reaching this host should then assume it does.
absl::StatusOr<bool> IsLocalAddress(const IpAddress& ip);

}  // namespace rsockd::net

#endif  // RSOCKD_NET_LOCAL_ADDRESS_H_
