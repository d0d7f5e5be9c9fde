// This file defines `Stats`, the server's counters, and `StatsSnapshot`, the
// lines SIGUSR1 logs (docs/operations.md#stats-sigusr1):
//
//   sessions open=1 total=12 accepted=12 overloaded=0 refused_on_sight=0
//       bad_requests=1
//   bytes from_clients=5120 from_destinations=1048576
//   replies 90=10 91=1 92=0 93=0
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
#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "net/socks4.h"
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
  // sent something that is not SOCKS4.
  std::atomic<uint64_t> bad_requests{0};
  std::atomic<uint64_t> bytes_from_clients{0};
  std::atomic<uint64_t> bytes_from_destinations{0};
  // SOCKS4 replies sent, by code 90..93.
  std::atomic<uint64_t> replies[4] = {};

  void CountReply(net::Socks4ReplyCode code) {
    const int index = static_cast<int>(code) - 90;
    if (index >= 0 && index < 4) {
      replies[index].fetch_add(1, std::memory_order_relaxed);
    }
  }

  // The counters on one line: the "sessions", "bytes" and "replies" parts
  // of the snapshot.
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
