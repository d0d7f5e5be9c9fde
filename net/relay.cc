#include "net/relay.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "net/status_macros.h"

namespace rsockd::net {
namespace {

// Bytes asked of one splice(2): as much as a pooled pipe holds.
constexpr size_t kSpliceChunk = kPipeSize;
// The read/write fallback's buffer, allocated only when splice is not used.
constexpr size_t kCopyBufferSize = 16 * 1024;

// What the two directions share.
class RelayState {
 public:
  RelayState(Socket& client, Socket& target, const RelayOptions& options)
      : client_(client), target_(target), options_(options) {
    Touch();
  }

  void Touch() {
    last_activity_ns_.store(absl::GetCurrentTimeNanos(),
                            std::memory_order_relaxed);
  }

  // Waits until `fd` is ready for `events`, for as long as the session as a
  // whole is not idle: traffic in the other direction keeps this one alive.
  absl::Status Wait(int fd, short events) const {
    for (;;) {
      const absl::Time idle_at = absl::FromUnixNanos(last_activity_ns_.load(
                                     std::memory_order_relaxed)) +
                                 options_.idle_timeout;
      absl::Status status = Deadline(idle_at, options_.stop).Wait(fd, events);
      if (!absl::IsDeadlineExceeded(status)) return status;
      if (absl::FromUnixNanos(
              last_activity_ns_.load(std::memory_order_relaxed)) +
              options_.idle_timeout <=
          absl::Now()) {
        return absl::DeadlineExceededError(absl::StrCat(
            "idle for ", absl::FormatDuration(options_.idle_timeout)));
      }
    }
  }

  // Ends both directions: shutting down both sockets wakes the other thread
  // (its source reads end of file).
  void Abort() {
    if (!aborted_.exchange(true)) {
      client_.ShutdownBoth();
      target_.ShutdownBoth();
    }
  }

  const RelayOptions& options() const { return options_; }

 private:
  Socket& client_;
  Socket& target_;
  const RelayOptions& options_;
  std::atomic<int64_t> last_activity_ns_;
  std::atomic<bool> aborted_{false};
};

// Copies one direction, source → sink, until end of file or failure.
class Direction {
 public:
  Direction(Socket& source, Socket& sink, absl::string_view name,
            PipePool& pipes, RelayState& state)
      : source_(source),
        sink_(sink),
        name_(name),
        pipes_(pipes),
        state_(state),
        use_splice_(state.options().use_splice) {}

  // Runs to the end; returns OK at end of file, after propagating it.
  absl::Status Run() {
    for (;;) {
      RETURN_IF_ERROR(state_.Wait(source_.fd(), POLLIN));
      absl::StatusOr<bool> at_eof =
          use_splice_ ? SpliceAvailable() : CopyAvailable();
      if (!at_eof.ok()) return at_eof.status();
      if (*at_eof) {
        sink_.ShutdownWrite();
        return absl::OkStatus();
      }
    }
  }

  uint64_t bytes() const { return bytes_; }

 private:
  absl::Status Error(int error, absl::string_view call) const {
    return absl::ErrnoToStatus(error, absl::StrCat(call, " (", name_, ")"));
  }

  // Moves whatever the source has now through a borrowed pipe. Returns true
  // at end of file, false when the source has nothing more for now.
  absl::StatusOr<bool> SpliceAvailable() {
    ASSIGN_OR_RETURN(Pipe pipe, pipes_.Acquire());
    for (;;) {
      const ssize_t in =
          splice(source_.fd(), nullptr, pipe.write_fd(), nullptr, kSpliceChunk,
                 SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (in == 0 || (in < 0 && errno == EAGAIN)) {
        pipes_.Release(std::move(pipe));  // empty: every byte went out below
        return in == 0;
      }
      if (in < 0) {
        if (errno == EINTR) continue;
        if (errno == EINVAL && bytes_ == 0) {
          // This pair of descriptors cannot splice; copy instead.
          use_splice_ = false;
          pipes_.Release(std::move(pipe));
          return CopyAvailable();
        }
        return Error(errno, "splice() from socket");
      }
      size_t in_pipe = static_cast<size_t>(in);
      // A short read took all the source had: going back to poll(2) costs
      // the same as asking again when more has come, and saves the EAGAIN
      // round trip when nothing has (the common case for small messages).
      const bool drained = in_pipe < kSpliceChunk;
      while (in_pipe > 0) {
        const ssize_t out = splice(pipe.read_fd(), nullptr, sink_.fd(), nullptr,
                                   in_pipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (out > 0) {
          in_pipe -= out;
          bytes_ += out;
          state_.Touch();
        } else if (out < 0 && errno == EAGAIN) {
          RETURN_IF_ERROR(state_.Wait(sink_.fd(), POLLOUT));
        } else if (out < 0 && errno != EINTR) {
          // The pipe still holds bytes; it is closed here, not pooled.
          return Error(errno, "splice() to socket");
        }
      }
      if (drained) {
        pipes_.Release(std::move(pipe));
        return false;
      }
    }
  }

  // The read/write fallback of SpliceAvailable.
  absl::StatusOr<bool> CopyAvailable() {
    if (buffer_ == nullptr) {
      buffer_ = std::make_unique<uint8_t[]>(kCopyBufferSize);
    }
    for (;;) {
      const ssize_t in = recv(source_.fd(), buffer_.get(), kCopyBufferSize, 0);
      if (in == 0) return true;
      if (in < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return false;
        return Error(errno, "recv()");
      }
      const uint8_t* data = buffer_.get();
      size_t left = static_cast<size_t>(in);
      const bool drained = left < kCopyBufferSize;  // as in SpliceAvailable
      while (left > 0) {
        const ssize_t out = send(sink_.fd(), data, left, MSG_NOSIGNAL);
        if (out > 0) {
          data += out;
          left -= out;
          bytes_ += out;
          state_.Touch();
        } else if (out < 0 && errno == EAGAIN) {
          RETURN_IF_ERROR(state_.Wait(sink_.fd(), POLLOUT));
        } else if (out < 0 && errno != EINTR) {
          return Error(errno, "send()");
        }
      }
      if (drained) return false;
    }
  }

  Socket& source_;
  Socket& sink_;
  const absl::string_view name_;
  PipePool& pipes_;
  RelayState& state_;
  bool use_splice_;
  uint64_t bytes_ = 0;
  std::unique_ptr<uint8_t[]> buffer_;
};

}  // namespace

RelayResult Relay(Socket& client, Socket& target, PipePool& pipes,
                  ThreadPool& threads, const RelayOptions& options) {
  RelayState state(client, target, options);
  Direction upstream(client, target, "client to destination", pipes, state);
  Direction downstream(target, client, "destination to client", pipes, state);
  RelayResult result;

  absl::Notification downstream_done;
  ThreadPool::Task task = [&] {
    result.target_to_client = downstream.Run();
    if (!result.target_to_client.ok()) state.Abort();
    downstream_done.Notify();
  };
  if (!threads.TrySubmit(&task)) {
    result.client_to_target = result.target_to_client =
        absl::ResourceExhaustedError("no relay thread available");
    return result;
  }
  result.client_to_target = upstream.Run();
  if (!result.client_to_target.ok()) state.Abort();
  // Bounded: the other direction ends at its end of file, or at once after
  // Abort(), or at the idle timeout or stop.
  downstream_done.WaitForNotification();
  result.bytes_from_client = upstream.bytes();
  result.bytes_from_target = downstream.bytes();
  return result;
}

}  // namespace rsockd::net
