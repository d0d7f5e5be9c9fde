// This file defines `RunSession`, everything a worker does for one client
// connection, in order and blocking, as a pipeline of typed steps:
//
//   1. front end: read the first byte, which picks the client's protocol
//      (FrontEndFor), and have that front end (front_end.h) read the
//      request into a `Request` (request.h), all within the handshake
//      timeout;
//   2. policy steps, each deciding with an `Outcome` (outcome.h), a grant
//      or a kind of failure: the access rules of the snapshot taken when
//      the connection was accepted, ident, hooks; routing by socks.conf:
//      refuse, or connect directly (resolving a name, bounded, and trying
//      each address in turn within the connect timeout, from the source
//      address sockd.route picks), or through the upstream servers of the
//      matching line (upstream_chain.h); or BIND (bind.h);
//   3. reply: the front end turns the outcome into its protocol's reply —
//      the only place reply bytes are made (SOCKS4: 90, or 91/92/93;
//      SOCKS5: REP 00..08; never a silent close, except for bytes that are
//      not SOCKS at all). A
//      BIND has two replies: the address the peer is to connect to, then,
//      once the peer connected (directly, or to the upstream that listens),
//      the peer's address, or a failure;
//   4. relay until both directions end, then log the byte counts.
//
// Every step logs the classic sockd request-log lines
// (docs/operations.md#the-request-log), prefixed with the connection id;
// the kind of an Outcome picks "refused" or "failed" (IsRefusal), so the
// lines do not depend on the protocol.

#ifndef RSOCKD_RSOCKD_SERVER_SESSION_H_
#define RSOCKD_RSOCKD_SERVER_SESSION_H_

#include <cstdint>
#include <memory>

#include "absl/functional/function_ref.h"
#include "absl/time/time.h"
#include "glog/logging.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/pipe_pool.h"
#include "net/resolver.h"
#include "net/socket.h"
#include "net/thread_pool.h"
#include "rsockd/hooks/hook_runner.h"
#include "rsockd/server/front_end.h"
#include "rsockd/server/own_listeners.h"
#include "rsockd/server/stats.h"
#include "rsockd/server/upstream_health.h"
#include "rules/rule_set.h"
#include "rules/sockd_conf.h"

namespace rsockd {

struct SessionOptions {
  absl::Duration handshake_timeout = absl::Seconds(10);
  absl::Duration resolve_timeout = absl::Seconds(10);
  absl::Duration connect_timeout = absl::Seconds(120);
  absl::Duration idle_timeout = absl::Hours(2);
  // BIND (docs/bind.md): how long to wait for the peer to connect (through an
  // upstream: for the upstream's second reply), and whether DSTIP 0.0.0.0
  // admits any peer (false: such a BIND is refused).
  absl::Duration bind_timeout = absl::Seconds(120);
  bool bind_any_peer = true;
  // How long a failed upstream server is tried last
  // (docs/socks_conf.md#upstream-chaining).
  absl::Duration upstream_retry_after = absl::Seconds(30);
  bool use_splice = true;
  // Ident (docs/ident.md): the level for lines without `?=` (-i, -I), and how
  // identd is asked.
  rules::IdentLevel ident_level = rules::IdentLevel::kOff;
  absl::Duration ident_timeout = absl::Seconds(15);
  uint16_t ident_port = 113;
  // The SOCKS5 authentication methods offered (docs/socks5.md).
  Socks5Auth socks5_auth = Socks5Auth::kAny;
};

// What sessions share; owned by the server, outliving every session.
struct SessionServices {
  net::Resolver* resolver = nullptr;
  net::PipePool* pipes = nullptr;
  // Carries the client → destination direction of each relay.
  net::ThreadPool* relay_threads = nullptr;
  // Runs the matched line's hook command (docs/hooks.md), never making the
  // request wait.
  HookRunner* hooks = nullptr;
  // Which upstream servers failed lately, shared by all sessions.
  UpstreamHealth* upstreams = nullptr;
  // rsockd's own listening sockets, never a destination.
  const OwnListeners* own_listeners = nullptr;
  Stats* stats = nullptr;
  // Also receives every request-log line (--syslog); null: glog only.
  google::LogSink* request_log = nullptr;
  // Fires when the drain deadline passes; every wait watches it.
  const net::StopSignal* stop = nullptr;
};

// Logs the refusal of a client that no sockd.conf line can permit
// (rules::RuleSet::CheckClient), refused as soon as it was accepted, before
// its request was read: "refused -- Connection from 10.1.2.3
// [/etc/sockd.conf:7]". Runs the hook of the deny line that refused it, if
// any, with only the client's fields known (docs/hooks.md). The caller
// answers 91 and closes.
void LogClientRefusal(uint64_t id, const net::SocketAddress& peer,
                      const rules::RuleSet& rules,
                      const rules::ClientCheck& check,
                      const SessionOptions& options,
                      const SessionServices& services);

// FrontEndFor()
//
// The front end for a connection whose first byte is `version`: SOCKS5's
// for 5, SOCKS4's for 4 and for every other byte, which its parser drops
// without a reply (docs/protocol.md).
std::unique_ptr<FrontEnd> FrontEndFor(uint8_t version,
                                      const FrontEndContext& context);

// Makes a session's front end from its first byte; FrontEndFor, or a test's
// own (one that wraps it to watch the outcomes, say).
using FrontEndFactory = absl::FunctionRef<std::unique_ptr<FrontEnd>(
    uint8_t version, const FrontEndContext& context)>;

// Serves one connection to the end. `rules` and `options` are the snapshot
// taken at accept time; the session uses them for its whole life, so a
// reload never changes a session halfway.
void RunSession(uint64_t id, net::Socket client, const net::SocketAddress& peer,
                std::shared_ptr<const rules::RuleSet> rules,
                const SessionOptions& options, const SessionServices& services,
                FrontEndFactory front_ends = FrontEndFor);

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_SERVER_SESSION_H_
