// This file defines `Stats`, the server's counters, and `StatsSnapshot`, the
// lines SIGUSR1 logs (docs/operations.md#stats-sigusr1):
//
//   sessions open=1 total=12 accepted=12 overloaded=0 refused_on_sight=0
//       bad_requests=1
//   bytes from_clients=5120 from_destinations=1048576
//   replies 90=10 91=1 92=0 93=0
//   socks5 00=7 01=0 02=1 03=0 04=0 05=1 06=0 07=0 08=0 no_method=0
//       auth_failed=1
//   workers threads=4 busy=1 queued=0 max=16 max_queue=1024
//   hooks running=0 pending=0 started=2 finished=2 timed_out=0 dropped=0 ...
//
// followed by the lines of parts the server does not own (the syslog sink,
// upstream health), which the caller passes in.
//
// Plain relaxed atomics: each counter is read and written on its own, and a
// snapshot need not be consistent across counters.

#ifndef RSOCKD_RSOCKD_SERVER_STATS_H_
#define RSOCKD_RSOCKD_SERVER_STATS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "net/socks4.h"
#include "net/socks5.h"
#include "net/thread_pool.h"
#include "rsockd/hooks/hook_runner.h"

namespace rsockd {

struct Stats {
  std::atomic<uint64_t> accepted{0};
  // Turned away by the acceptor because the pool and its queue were full.
  std::atomic<uint64_t> overloaded{0};
  // Refused as soon as they were accepted: no sockd.conf line can permit
  // their address (rules::RuleSet::CheckClient).
  std::atomic<uint64_t> refused_on_sight{0};
  std::atomic<int64_t> sessions_open{0};
  std::atomic<uint64_t> sessions_total{0};
  // Connections that closed or timed out before a whole request arrived, or
  // sent something that is not SOCKS, or a malformed SOCKS message.
  std::atomic<uint64_t> bad_requests{0};
  std::atomic<uint64_t> bytes_from_clients{0};
  std::atomic<uint64_t> bytes_from_destinations{0};
  // SOCKS4 replies sent, by code 90..93.
  std::atomic<uint64_t> replies[4] = {};

  // SOCKS5 replies sent, by REP 00..08.
  std::atomic<uint64_t> socks5_replies[9] = {};
  // SOCKS5 method choices FF: the client offered no method allowed.
  std::atomic<uint64_t> socks5_no_method{0};
  // RFC 1929 logins refused (wrong user name or password, or malformed).
  std::atomic<uint64_t> socks5_auth_failed{0};

  void CountReply(net::Socks4ReplyCode code) {
    const int index = static_cast<int>(code) - 90;
    if (index >= 0 && index < 4) {
      replies[index].fetch_add(1, std::memory_order_relaxed);
    }
  }
  void CountReply(net::Socks5ReplyCode code) {
    const size_t index = static_cast<size_t>(code);
    if (index < std::size(socks5_replies)) {
      socks5_replies[index].fetch_add(1, std::memory_order_relaxed);
    }
  }

  // The counters on one line: the "sessions", "bytes", "replies" and
  // "socks5" parts of the snapshot.
  std::string ToString() const;
};

// The SIGUSR1 snapshot, one string per log line (the example above): the
// counters, the worker pool (its counts and limits), the hook runner, then
// `extra_lines` as given.
std::vector<std::string> StatsSnapshot(
    const Stats& stats, const net::ThreadPool::Counts& workers,
    const net::ThreadPool::Limits& worker_limits,
    const HookRunner::Counts& hooks, absl::Span<const std::string> extra_lines);

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_SERVER_STATS_H_
