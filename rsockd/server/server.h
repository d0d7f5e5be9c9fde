// This file defines `Server`: the listeners, the acceptor thread and the
// worker pool, and the graceful stop.
//
// Data path: the acceptor thread accepts each connection, takes the current
// rule snapshot, and hands both to the worker pool; a worker runs the whole
// session (rsockd/server/session.h). The acceptor answers 91 (`05 FF` to a
// client whose SOCKS5 greeting is already there) itself and closes,
// never blocking, when no sockd.conf line can permit the client's address
// (so that clients the rules refuse anyway cannot hold workers while they
// send their requests slowly), and when the pool and its queue are full (it
// reads at most a bounded amount of what such a client sent). When accept()
// fails because the process is out of descriptors, the acceptor frees a
// descriptor it keeps in reserve, accepts with it, answers 91, closes and
// takes the reserve again, so that clients are not left waiting in silence.
//
// Stop: `Stop(drain)` closes the listeners, waits up to `drain` for open
// sessions to end by themselves, then fires the StopSignal that every
// session's waits watch, and joins everything.
//
// Thread-safety: Start and Stop are called from one thread (main's); the rest
// runs on the server's own threads.

#ifndef RSOCKD_RSOCKD_SERVER_SERVER_H_
#define RSOCKD_RSOCKD_SERVER_SERVER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "glog/logging.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/pipe_pool.h"
#include "net/resolver.h"
#include "net/socket.h"
#include "net/thread.h"
#include "net/thread_pool.h"
#include "rsockd/base/fd_closer.h"
#include "rsockd/hooks/hook_runner.h"
#include "rsockd/server/listeners.h"
#include "rsockd/server/own_listeners.h"
#include "rsockd/server/session.h"
#include "rsockd/server/stats.h"
#include "rsockd/server/upstream_health.h"
#include "rules/rule_store.h"

namespace rsockd {

// The settings a reload may change (docs/operations.md, "Reload (SIGHUP)"):
// what each connection copies when it is accepted, the worker pool's limits,
// and the hook runner's options. Given at start in `ServerOptions`, and
// again to `Server::Reconfigure` on every reload.
struct Tunables {
  SessionOptions session;
  net::ThreadPool::Limits pool;
  HookRunner::Options hooks;
};

struct ServerOptions {
  Tunables tunables;
  // Bound as BindListeners does (listeners.h): IPv6 addresses IPv6-only
  // beside IPv4 ones, port 0 the same free port for all.
  std::vector<net::SocketAddress> listen;
  int listen_backlog = 1024;
  size_t worker_stack_size = 256 * 1024;
  // The relay direction runs no session logic, so it needs less.
  size_t relay_stack_size = 128 * 1024;
  // The relays' pipe budget (net::PipePool): what pipes may pin while the
  // sinks of relays do not read.
  size_t pipe_memory = size_t{16} << 20;
  // Name resolution (--resolv_conf, --dns_servers).
  net::Resolver::Options resolver;
  // Also receives the request log (--syslog); must outlive the server.
  google::LogSink* request_log = nullptr;
};

class Server {
 public:
  // Sets up the resolver and binds every listen address (a failure is
  // returned, nothing is left open). `rules` must outlive the server.
  static absl::StatusOr<std::unique_ptr<Server>> Create(
      const ServerOptions& options, rules::RuleStore* rules);
  ~Server();

  // The bound addresses, in the order of `options.listen` (with the port
  // chosen by the kernel when 0 was asked for, the same for all).
  const std::vector<net::SocketAddress>& bound() const { return bound_; }

  // Starts the acceptor thread.
  absl::Status Start();
  // Stops accepting, lets sessions and the hooks they started finish up to
  // `drain`, then ends the rest.
  void Stop(absl::Duration drain);

  // Serves one connection on the calling thread, exactly as an accepted one
  // (same counters, the current rules and settings), and returns when the
  // session has ended. For --inetd, where inetd accepted the connection; the
  // server then has no listeners and is not started.
  void ServeConnection(net::Socket client, const net::SocketAddress& peer);

  // Applies tunable settings (SIGHUP): connections accepted from now on get
  // `tunables.session`; the pools take the new limits (threads already
  // started stay).
  void Reconfigure(const Tunables& tunables);

  const Stats& stats() const { return stats_; }
  const UpstreamHealth& upstreams() const { return upstreams_; }
  net::ThreadPool::Counts pool_counts() const { return pool_.counts(); }

  // The SIGUSR1 snapshot (rsockd/server/stats.h `StatsSnapshot`): the counters,
  // the worker pool's and the hooks' occupancy, the resolver's counters
  // (net::Resolver::Stats, forward then reverse), then `extra_lines` from
  // parts of the process the server does not own.
  std::vector<std::string> StatsSnapshot(
      absl::Span<const std::string> extra_lines) const;

 private:
  Server(const ServerOptions& options, rules::RuleStore* rules,
         std::unique_ptr<net::Resolver> resolver);

  void Accept();
  void Dispatch(net::Socket client, const net::SocketAddress& peer);
  // Runs one session with the counters around it.
  void Serve(uint64_t id, net::Socket client, const net::SocketAddress& peer,
             std::shared_ptr<const rules::RuleSet> rules,
             const SessionOptions& session_options);
  // Answers 91 on a connection the pool refused, before it is closed.
  void TurnAway(int fd);
  // Answers 91 on `fd` without blocking, or `05 FF` when the client's first
  // byte, already received, is 5; the caller closes it.
  void SendRejection(int fd);
  // Refuses the connection of a client no rule can permit (before reading
  // anything) when the snapshot says so; returns whether it did.
  bool RefuseOnSight(uint64_t id, int fd, const net::SocketAddress& peer,
                     const rules::RuleSet& rules,
                     const SessionOptions& session_options);
  // After accept() failed with EMFILE/ENFILE: frees the reserve descriptor,
  // accepts one connection from `listener` with it, turns it away, and
  // takes the reserve again. Returns accept()'s error when no connection
  // could be accepted that way.
  absl::Status TurnAwayWithReserve(const net::Socket& listener);

  const ServerOptions options_;
  rules::RuleStore* const rules_;
  std::vector<net::Socket> listeners_;
  // A descriptor (/dev/null) held so that a client can still be answered 91
  // when the process has no descriptor left. The acceptor thread's only.
  FdCloser reserve_;
  std::vector<net::SocketAddress> bound_;
  Stats stats_;
  // Wakes the acceptor to stop accepting.
  net::StopSignal accept_stop_;
  // Ends the sessions still open after the drain deadline.
  net::StopSignal session_stop_;
  const std::unique_ptr<net::Resolver> resolver_;
  net::PipePool pipes_;
  HookRunner hooks_;
  UpstreamHealth upstreams_;
  // The listeners (or, with --inetd, inetd's): never a destination.
  OwnListeners own_listeners_;
  SessionServices services_;
  // The acceptor thread's only (ServeConnection's in --inetd mode, where
  // there is no acceptor).
  uint64_t next_id_ = 1;
  bool stopped_ = false;  // Start/Stop thread only

  absl::Mutex mu_;
  // Sessions handed to the pool and not yet finished (queued ones included).
  int64_t live_sessions_ ABSL_GUARDED_BY(mu_) = 0;
  // Copied into each session at accept time.
  SessionOptions session_options_ ABSL_GUARDED_BY(mu_);

  // Declared last: destroyed first, so sessions end before what they use.
  // At most one relay direction per worker (see the constructor).
  net::ThreadPool relay_threads_;
  net::ThreadPool pool_;
  net::Thread acceptor_;
};

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_SERVER_SERVER_H_
