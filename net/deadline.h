// This file defines `StopSignal`, a process-wide "give up now" switch that
// blocking waits can watch, and `Deadline`, the bound on one blocking step.
//
// Every blocking wait in rsockd (handshake reads, connects, relay polls) is a
// poll(2) on the descriptor of interest plus, when given, the StopSignal's
// eventfd. The server fires the StopSignal when the drain deadline passes, so
// sessions in any phase wake up and finish without a registry of sockets.

#ifndef RSOCKD_NET_DEADLINE_H_
#define RSOCKD_NET_DEADLINE_H_

#include <poll.h>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "rsockd/base/fd_closer.h"

namespace rsockd::net {

// StopSignal
//
// An eventfd that becomes (and stays) readable once `Notify()` is called.
// Thread-safe. Must outlive every Deadline that points at it.
class StopSignal {
 public:
  StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  void Notify();
  bool notified() const;
  int fd() const { return fd_.get(); }

 private:
  const FdCloser fd_;
};

// Deadline
//
// A point in time plus an optional StopSignal. Cheap to copy.
class Deadline {
 public:
  explicit Deadline(absl::Time when, const StopSignal* stop = nullptr)
      : when_(when), stop_(stop) {}
  static Deadline In(absl::Duration timeout, const StopSignal* stop = nullptr) {
    return Deadline(absl::Now() + timeout, stop);
  }

  absl::Time when() const { return when_; }
  const StopSignal* stop() const { return stop_; }
  bool Expired() const { return absl::Now() >= when_; }

  // Blocks until `fd` reports one of `events` (POLLIN, POLLOUT), or an error
  // or hang-up condition on it. Returns OK then (the caller's next syscall
  // tells which); DeadlineExceeded when the deadline passes; Cancelled when
  // the StopSignal fires. Retries EINTR.
  absl::Status Wait(int fd, short events) const;

  // The same for several descriptors at once (a BIND waits for its peer
  // while watching the client): blocks until at least one of `fds` reports
  // one of its `events`, or an error or hang-up condition, and leaves every
  // entry's `revents` as poll(2) set it. Entries with a negative `fd` are
  // ignored, as poll(2) does. Returns as the single-descriptor form does.
  absl::Status Wait(absl::Span<pollfd> fds) const;

 private:
  absl::Time when_;
  const StopSignal* stop_;
};

}  // namespace rsockd::net

#endif  // RSOCKD_NET_DEADLINE_H_
