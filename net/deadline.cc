#include "net/deadline.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "absl/status/status.h"
#include "glog/logging.h"

namespace rsockd::net {

StopSignal::StopSignal() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  PCHECK(fd_ >= 0) << "eventfd";
}

StopSignal::~StopSignal() { close(fd_); }

void StopSignal::Notify() {
  const uint64_t one = 1;
  // Cannot fail short of a counter overflow, which one write per stop
  // never reaches.
  (void)!write(fd_, &one, sizeof(one));
}

bool StopSignal::notified() const {
  pollfd p{fd_, POLLIN, 0};
  return poll(&p, 1, 0) == 1;
}

absl::Status Deadline::Wait(int fd, short events) const {
  pollfd fds[2] = {{fd, events, 0}, {stop_ ? stop_->fd() : -1, POLLIN, 0}};
  const nfds_t count = stop_ ? 2 : 1;
  for (;;) {
    const absl::Duration left = when_ - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError("timed out");
    }
    // Round up so that a sub-millisecond remainder still waits.
    const int64_t ms =
        absl::ToInt64Milliseconds(left + absl::Microseconds(999));
    const int n = poll(fds, count, ms > INT32_MAX ? INT32_MAX : int(ms));
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, "poll");
    }
    if (count == 2 && fds[1].revents != 0) {
      return absl::CancelledError("server is stopping");
    }
    if (fds[0].revents != 0) return absl::OkStatus();
  }
}

}  // namespace rsockd::net
