#include "net/deadline.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "glog/logging.h"

namespace rsockd::net {

StopSignal::StopSignal() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  PCHECK(fd_.valid()) << "eventfd";
}

void StopSignal::Notify() {
  const uint64_t one = 1;
  // Cannot fail short of a counter overflow, which one write per stop
  // never reaches.
  (void)!write(fd(), &one, sizeof(one));
}

bool StopSignal::notified() const {
  pollfd p{fd(), POLLIN, 0};
  return poll(&p, 1, 0) == 1;
}

absl::Status Deadline::Wait(int fd, short events) const {
  pollfd entry{fd, events, 0};
  return Wait(absl::MakeSpan(&entry, 1));
}

absl::Status Deadline::Wait(absl::Span<pollfd> fds) const {
  // The caller's descriptors, then the StopSignal's; inline up to the few a
  // caller ever passes, so the relay's waits do not allocate.
  absl::InlinedVector<pollfd, 4> all(fds.begin(), fds.end());
  if (stop_ != nullptr) all.push_back({stop_->fd(), POLLIN, 0});
  for (;;) {
    const absl::Duration left = when_ - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError("timed out");
    }
    // Round up so that a sub-millisecond remainder still waits.
    const int64_t ms =
        absl::ToInt64Milliseconds(left + absl::Microseconds(999));
    const int n =
        poll(all.data(), all.size(), ms > INT32_MAX ? INT32_MAX : int(ms));
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, "poll");
    }
    if (stop_ != nullptr && all.back().revents != 0) {
      return absl::CancelledError("server is stopping");
    }
    bool ready = false;
    for (size_t i = 0; i < fds.size(); ++i) {
      fds[i].revents = all[i].revents;
      ready = ready || all[i].revents != 0;
    }
    if (ready) return absl::OkStatus();
  }
}

}  // namespace rsockd::net
