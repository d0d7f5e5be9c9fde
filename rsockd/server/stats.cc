#include "rsockd/server/stats.h"

#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace rsockd {
namespace {

uint64_t Get(const std::atomic<uint64_t>& counter) {
  return counter.load(std::memory_order_relaxed);
}

std::string Socks5Line(const Stats& stats) {
  std::string line = "socks5";
  for (size_t code = 0; code < std::size(stats.socks5_replies); ++code) {
    absl::StrAppend(&line, " 0", code, "=", Get(stats.socks5_replies[code]));
  }
  absl::StrAppend(&line, " no_method=", Get(stats.socks5_no_method),
                  " auth_failed=", Get(stats.socks5_auth_failed));
  return line;
}

// The four counter lines, shared by the snapshot and ToString.
std::vector<std::string> CounterLines(const Stats& stats) {
  return {
      absl::StrCat(
          "sessions open=", stats.sessions_open.load(std::memory_order_relaxed),
          " total=", Get(stats.sessions_total), " accepted=",
          Get(stats.accepted), " overloaded=", Get(stats.overloaded),
          " refused_on_sight=", Get(stats.refused_on_sight),
          " bad_requests=", Get(stats.bad_requests)),
      absl::StrCat("bytes from_clients=", Get(stats.bytes_from_clients),
                   " from_destinations=", Get(stats.bytes_from_destinations)),
      absl::StrCat("replies 90=", Get(stats.replies[0]),
                   " 91=", Get(stats.replies[1]), " 92=", Get(stats.replies[2]),
                   " 93=", Get(stats.replies[3])),
      Socks5Line(stats),
  };
}

}  // namespace

std::string Stats::ToString() const {
  const std::vector<std::string> lines = CounterLines(*this);
  return absl::StrJoin(lines, " ");
}

std::vector<std::string> StatsSnapshot(
    const Stats& stats, const net::ThreadPool::Counts& workers,
    const net::ThreadPool::Limits& worker_limits,
    const HookRunner::Counts& hooks,
    absl::Span<const std::string> extra_lines) {
  std::vector<std::string> lines = CounterLines(stats);
  lines.push_back(absl::StrCat(
      "workers threads=", workers.threads, " busy=", workers.busy,
      " queued=", workers.queued, " max=", worker_limits.max_workers,
      " max_queue=", worker_limits.max_queue));
  lines.push_back(
      absl::StrCat("hooks running=", hooks.running, " pending=", hooks.pending,
                   " started=", hooks.started, " finished=", hooks.finished,
                   " timed_out=", hooks.timed_out, " dropped=", hooks.dropped,
                   " failed_to_start=", hooks.failed_to_start));
  lines.insert(lines.end(), extra_lines.begin(), extra_lines.end());
  return lines;
}

}  // namespace rsockd
