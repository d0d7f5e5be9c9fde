#include "net/relay.h"

#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/types/span.h"
#include "net/status_macros.h"

namespace rsockd::net {
namespace {

// Bytes asked of one splice(2): as much as a pooled pipe holds.
constexpr size_t kSpliceChunk = kPipeSize;
// The read/write fallback's buffer, allocated only when splice is not used.
constexpr size_t kCopyBufferSize = 16 * 1024;

// Whether a read or write failed because the TCP connection itself is gone:
// reset by the peer (EPIPE after its FIN), or given up on by the kernel.
bool ConnectionLost(int error) {
  switch (error) {
    case ECONNRESET:
    case EPIPE:
    case ETIMEDOUT:
    case ECONNABORTED:
    case EHOSTUNREACH:
    case ENETUNREACH:
      return true;
    default:
      return false;
  }
}

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

  // Waits until one of `fds` reports one of its events (or an error or
  // hang-up), for as long as the session as a whole is not idle: traffic in
  // the other direction keeps this one alive. Leaves `revents` set as
  // Deadline::Wait does.
  absl::Status Wait(absl::Span<pollfd> fds) const {
    for (;;) {
      const absl::Time idle_at = absl::FromUnixNanos(last_activity_ns_.load(
                                     std::memory_order_relaxed)) +
                                 options_.idle_timeout;
      absl::Status status = Deadline(idle_at, options_.stop).Wait(fds);
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
  bool aborted() const { return aborted_.load(); }

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
  // `sink_name` names the sink's peer in errors ("client").
  Direction(Socket& source, Socket& sink, absl::string_view name,
            absl::string_view sink_name, PipePool& pipes, RelayState& state)
      : source_(source),
        sink_(sink),
        name_(name),
        sink_name_(sink_name),
        pipes_(pipes),
        state_(state),
        use_splice_(state.options().use_splice) {}

  // Runs to the end; returns OK at end of file, after propagating it.
  absl::Status Run() {
    absl::Status status = Copy();
    // A peer whose connection failed ends the directions one at a time: the
    // other direction finds out by itself (it watches its sink while it
    // waits, and reads or writes the failed connection next), after it has
    // delivered what the peer sent before failing; shutting the sockets down
    // here would cut that delivery short. Any other failure (idle, stop, an
    // unexpected error) ends the relay at once.
    if (!status.ok() && !source_failed_ && !sink_failed_) state_.Abort();
    return status;
  }

  uint64_t bytes() const { return bytes_; }
  // Whether the direction ended because the connection it reads, or the
  // one it writes, failed (reset, timed out).
  bool source_failed() const { return source_failed_; }
  bool sink_failed() const { return sink_failed_; }
  // Whether it propagated its source's end of file (a FIN on the sink).
  bool ended_at_eof() const { return ended_at_eof_; }

 private:
  absl::Status Copy() {
    for (;;) {
      RETURN_IF_ERROR(WaitForSource());
      absl::StatusOr<bool> at_eof =
          use_splice_ ? SpliceAvailable() : CopyAvailable();
      if (!at_eof.ok()) return at_eof.status();
      if (*at_eof) {
        sink_.ShutdownWrite();
        ended_at_eof_ = true;
        return absl::OkStatus();
      }
    }
  }

  // Waits for the source to become readable, watching the sink meanwhile:
  // when the sink's peer resets or is gone (an error or hang-up on the
  // sink), nothing read from now on could be delivered, so the wait ends
  // with the sink's error. Without this watch a direction whose source is
  // silent would outlive a vanished sink until the idle timeout (a client
  // that half-closed and then reset, while the destination stays silent).
  absl::Status WaitForSource() {
    pollfd fds[] = {{source_.fd(), POLLIN, 0}, {sink_.fd(), 0, 0}};
    RETURN_IF_ERROR(state_.Wait(absl::MakeSpan(fds)));
    // A readable source comes first: its bytes or end of file, and a write
    // to a failed sink reports the failure anyway. After Abort() the hang-up
    // is the relay's own doing, and the source reads end of file.
    if (fds[0].revents != 0 || state_.aborted()) return absl::OkStatus();
    sink_failed_ = true;
    // Its error (SO_ERROR) is left for the other direction, which reads
    // that connection and so ends with the error rather than end of file.
    return absl::UnavailableError(
        absl::StrCat("connection to the ", sink_name_,
                     (fds[1].revents & POLLERR) != 0 ? " failed" : " closed",
                     " (", name_, ")"));
  }

  // Waits until the sink takes more bytes.
  absl::Status WaitForSink() {
    pollfd sink{sink_.fd(), POLLOUT, 0};
    return state_.Wait(absl::MakeSpan(&sink, 1));
  }

  absl::Status Error(int error, absl::string_view call) const {
    return absl::ErrnoToStatus(error, absl::StrCat(call, " (", name_, ")"));
  }

  // A failed read.
  absl::Status SourceError(int error, absl::string_view call) {
    source_failed_ = ConnectionLost(error);
    return Error(error, call);
  }

  // A failed write; after Abort() the relay's own shutdown fails it.
  absl::Status SinkError(int error, absl::string_view call) {
    sink_failed_ = ConnectionLost(error) && !state_.aborted();
    return Error(error, absl::StrCat(call, " to the ", sink_name_));
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
        return SourceError(errno, "splice() from socket");
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
          RETURN_IF_ERROR(WaitForSink());
        } else if (out < 0 && errno != EINTR) {
          // The pipe still holds bytes; it is closed here, not pooled.
          return SinkError(errno, "splice()");
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
        return SourceError(errno, "recv()");
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
          RETURN_IF_ERROR(WaitForSink());
        } else if (out < 0 && errno != EINTR) {
          return SinkError(errno, "send()");
        }
      }
      if (drained) return false;
    }
  }

  Socket& source_;
  Socket& sink_;
  const absl::string_view name_;
  const absl::string_view sink_name_;
  PipePool& pipes_;
  RelayState& state_;
  bool use_splice_;
  bool source_failed_ = false;
  bool sink_failed_ = false;
  bool ended_at_eof_ = false;
  uint64_t bytes_ = 0;
  std::unique_ptr<uint8_t[]> buffer_;
};

// Lets a peer know that the other one's connection failed: `socket` will
// close with a reset (SO_LINGER 0) rather than a FIN, as a direct
// connection would have been reset. This is what ends a session chained
// through further proxies: after a half-close a FIN tells the next hop
// nothing, and it would wait for its destination until its own idle
// timeout. Only once everything written to `socket` has been sent (but for
// our FIN, `fin_sent`): a reset throws away what is still queued, and
// bytes the failed peer sent before failing must still reach this one (a
// slow reader of an answer the destination sent just before its reset).
void PassOnReset(Socket& socket, bool fin_sent) {
  int unsent = 0;
  if (ioctl(socket.fd(), SIOCOUTQNSD, &unsent) == 0 &&
      unsent <= (fin_sent ? 1 : 0)) {
    socket.SetAbortiveClose();
  }
}

}  // namespace

RelayResult Relay(Socket& client, Socket& target, PipePool& pipes,
                  ThreadPool& threads, const RelayOptions& options) {
  RelayState state(client, target, options);
  Direction upstream(client, target, "client to destination", "destination",
                     pipes, state);
  Direction downstream(target, client, "destination to client", "client", pipes,
                       state);
  RelayResult result;

  absl::Notification downstream_done;
  ThreadPool::Task task = [&] {
    result.target_to_client = downstream.Run();
    downstream_done.Notify();
  };
  if (!threads.TrySubmit(&task)) {
    result.client_to_target = result.target_to_client =
        absl::ResourceExhaustedError("no relay thread available");
    return result;
  }
  result.client_to_target = upstream.Run();
  // Bounded: the other direction ends at its end of file, at once after
  // Abort() or when its sink's connection fails, once it has delivered the
  // last bytes of a source whose connection failed, or at the idle timeout
  // or stop.
  downstream_done.WaitForNotification();
  const bool client_failed =
      upstream.source_failed() || downstream.sink_failed();
  const bool target_failed =
      downstream.source_failed() || upstream.sink_failed();
  if (client_failed && !target_failed) {
    PassOnReset(target, upstream.ended_at_eof());
  }
  if (target_failed && !client_failed) {
    PassOnReset(client, downstream.ended_at_eof());
  }
  result.bytes_from_client = upstream.bytes();
  result.bytes_from_target = downstream.bytes();
  return result;
}

}  // namespace rsockd::net
