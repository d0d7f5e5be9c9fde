// This file defines `Stats`, the server's counters, and their text form for
// the SIGUSR1 snapshot.
//
// Plain relaxed atomics: each counter is read and written on its own, and a
// snapshot need not be consistent across counters.

#ifndef RSOCKD_RSOCKD_STATS_H_
#define RSOCKD_RSOCKD_STATS_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "net/socks4.h"

namespace rsockd {

struct Stats {
  std::atomic<uint64_t> accepted{0};
  // Turned away by the acceptor because the pool and its queue were full.
  std::atomic<uint64_t> overloaded{0};
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

  // One line: "sessions open=3 total=10 accepted=12 overloaded=0 ...".
  std::string ToString() const;
};

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_STATS_H_
