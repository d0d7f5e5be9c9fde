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
#include "rsockd/base/status_macros.h"

namespace rsockd::net {
namespace {

// Bytes asked of one splice(2): as much as a pooled pipe holds.
constexpr size_t kSpliceChunk = kPipeSize;
// The read/write fallback's buffer, allocated only when a direction copies
// (for its life with splice off, for the round when the pool lends no pipe).
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

// What one step of a direction did.
enum class Progress {
  kNothing,    // the source had nothing after all
  kMoved,      // bytes went to the sink
  kEndOfFile,  // the source ended
};

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
      RSOCKD_ASSIGN_OR_RETURN(const short ready, WaitForSource());
      if ((ready & POLLPRI) != 0) urgent_pending_ = true;
      RSOCKD_ASSIGN_OR_RETURN(const Progress progress, RelayAvailable());
      if (progress == Progress::kEndOfFile) {
        sink_.ShutdownWrite();
        ended_at_eof_ = true;
        return absl::OkStatus();
      }
    }
  }

  // Waits for the source to have bytes, urgent data or end of file, and
  // returns what poll(2) reported for it. The sink is watched meanwhile:
  // when the sink's peer resets or is gone (an error or hang-up on the
  // sink), nothing read from now on could be delivered, so the wait ends
  // with the sink's error. Without this watch a direction whose source is
  // silent would outlive a vanished sink until the idle timeout (a client
  // that half-closed and then reset, while the destination stays silent).
  absl::StatusOr<short> WaitForSource() {
    // Once urgent data is known to be pending, POLLPRI stays set until its
    // byte is read: asking for it again would spin while the bytes before
    // the mark are still on their way.
    const short events = urgent_pending_ ? POLLIN : POLLIN | POLLPRI;
    pollfd fds[] = {{source_.fd(), events, 0}, {sink_.fd(), 0, 0}};
    RSOCKD_RETURN_IF_ERROR(state_.Wait(absl::MakeSpan(fds)));
    // A readable source comes first: its bytes or end of file, and a write
    // to a failed sink reports the failure anyway. After Abort() the hang-up
    // is the relay's own doing, and the source reads end of file.
    if (fds[0].revents != 0 || state_.aborted()) return fds[0].revents;
    sink_failed_ = true;
    // Its error (SO_ERROR) is left for the other direction, which reads
    // that connection and so ends with the error rather than end of file.
    return absl::UnavailableError(
        absl::StrCat("connection to the ", sink_name_,
                     (fds[1].revents & POLLERR) != 0 ? " failed" : " closed",
                     " (", name_, ")"));
  }

  // Relays what the source has now: the urgent byte when the source is at
  // the urgent mark, else the bytes up to the mark (a read never crosses
  // one), so that the far side gets them in order.
  absl::StatusOr<Progress> RelayAvailable() {
    if (urgent_pending_) {
      RSOCKD_ASSIGN_OR_RETURN(const bool at_mark, AtMark());
      if (at_mark) return RelayUrgentByte();
    }
    RSOCKD_ASSIGN_OR_RETURN(const Progress progress,
                            use_splice_ ? SpliceAvailable() : CopyAvailable());
    if (progress != Progress::kNothing) return progress;
    // splice(2) never moves past a mark, even one poll(2) does not report
    // (its urgent byte not yet valid, or its pointer moved by a hostile
    // sender): readable, yet nothing to splice. Relay the byte at the mark
    // rather than spin.
    RSOCKD_ASSIGN_OR_RETURN(const bool at_mark, AtMark());
    return at_mark ? RelayUrgentByte() : progress;
  }

  absl::StatusOr<bool> AtMark() const {
    const int at_mark = sockatmark(source_.fd());
    if (at_mark < 0) return Error(errno, "sockatmark()");
    return at_mark == 1;
  }

  // At the mark: reads the urgent byte, which SO_OOBINLINE keeps in the
  // stream, and sends it as urgent data (MSG_OOB). Every byte before it has
  // been sent already.
  absl::StatusOr<Progress> RelayUrgentByte() {
    uint8_t byte;
    ssize_t in;
    do {
      in = recv(source_.fd(), &byte, 1, 0);
    } while (in < 0 && errno == EINTR);
    if (in == 0) return Progress::kEndOfFile;
    if (in < 0) {
      if (errno == EAGAIN) return Progress::kNothing;
      return SourceError(errno, "recv() of urgent data");
    }
    urgent_pending_ = false;
    RSOCKD_RETURN_IF_ERROR(Send(&byte, 1, MSG_OOB));
    return Progress::kMoved;
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

  // Moves whatever the source has now through a borrowed pipe, or copies
  // it when the pool has none to lend (its budget spent by directions whose
  // sinks do not read).
  absl::StatusOr<Progress> SpliceAvailable() {
    absl::StatusOr<PipePool::Lease> pipe = pipes_.Acquire();
    if (!pipe.ok()) {
      absl::StatusOr<Progress> progress = CopyAvailable();
      // A session refused a pipe once keeps no buffer for the rest of its
      // mostly idle life.
      buffer_.reset();
      return progress;
    }
    Progress progress = Progress::kNothing;
    for (;;) {
      const ssize_t in =
          splice(source_.fd(), nullptr, pipe->write_fd(), nullptr, kSpliceChunk,
                 SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (in == 0 || (in < 0 && errno == EAGAIN)) {
        std::move(*pipe).Release();  // empty: every byte went out below
        return in == 0 ? Progress::kEndOfFile : progress;
      }
      if (in < 0) {
        if (errno == EINTR) continue;
        if (errno == EINVAL && bytes_ == 0) {
          // This pair of descriptors cannot splice; copy instead.
          use_splice_ = false;
          std::move(*pipe).Release();
          return CopyAvailable();
        }
        return SourceError(errno, "splice() from socket");
      }
      progress = Progress::kMoved;
      // A short read took all the source had (or stopped at an urgent
      // mark): going back to poll(2) costs the same as asking again when
      // more has come, and saves the EAGAIN round trip when nothing has (the
      // common case for small messages).
      const bool drained = static_cast<size_t>(in) < kSpliceChunk;
      // On failure the pipe still holds bytes: the lease closes it, not
      // pooled.
      RSOCKD_RETURN_IF_ERROR(ToSink(in, "splice()", [&](size_t size) {
        return splice(pipe->read_fd(), nullptr, sink_.fd(), nullptr, size,
                      SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      }));
      if (drained) {
        std::move(*pipe).Release();
        return progress;
      }
    }
  }

  // The read/write fallback of SpliceAvailable. A read stops at an urgent
  // mark once it has bytes, but one that starts there would take the
  // urgent byte as ordinary data. So every read follows a poll(2) that
  // reported ordinary bytes first (POLLIN without POLLPRI, or
  // RelayAvailable found the source short of the mark): the wait before
  // the first, a poll(2) that does not wait before each further one.
  absl::StatusOr<Progress> CopyAvailable() {
    if (buffer_ == nullptr) {
      buffer_ = std::make_unique<uint8_t[]>(kCopyBufferSize);
    }
    Progress progress = Progress::kNothing;
    for (;;) {
      ssize_t in;
      do {
        in = recv(source_.fd(), buffer_.get(), kCopyBufferSize, 0);
      } while (in < 0 && errno == EINTR);
      if (in == 0) return Progress::kEndOfFile;
      if (in < 0) {
        if (errno == EAGAIN) return progress;
        return SourceError(errno, "recv()");
      }
      RSOCKD_RETURN_IF_ERROR(Send(buffer_.get(), static_cast<size_t>(in), 0));
      progress = Progress::kMoved;
      // A short read took all the source had, or stopped at a mark.
      if (static_cast<size_t>(in) < kCopyBufferSize) return progress;
      pollfd source{source_.fd(), POLLIN | POLLPRI, 0};
      if (poll(&source, 1, 0) != 1 || source.revents != POLLIN) {
        return progress;  // Copy() waits, and handles urgent data
      }
    }
  }

  // Writes `size` bytes to the sink with send(2) `flags`.
  absl::Status Send(const uint8_t* data, size_t size, int flags) {
    return ToSink(size, "send()", [&](size_t left) {
      return send(sink_.fd(), data + (size - left), left, flags | MSG_NOSIGNAL);
    });
  }

  // Writes `size` bytes to the sink, `write(left)` writing at most `left`
  // of them with the system call `call` names, and waits while the sink is
  // full.
  template <typename Write>
  absl::Status ToSink(size_t size, absl::string_view call, Write write) {
    size_t left = size;
    while (left > 0) {
      const ssize_t out = write(left);
      if (out > 0) {
        left -= out;
        bytes_ += out;
        state_.Touch();
      } else if (out < 0 && errno == EAGAIN) {
        RSOCKD_RETURN_IF_ERROR(WaitForSink());
      } else if (out < 0 && errno != EINTR) {
        return SinkError(errno, call);
      }
    }
    return absl::OkStatus();
  }

  Socket& source_;
  Socket& sink_;
  const absl::string_view name_;
  const absl::string_view sink_name_;
  PipePool& pipes_;
  RelayState& state_;
  bool use_splice_;
  // poll(2) reported urgent data (POLLPRI) that is not relayed yet.
  bool urgent_pending_ = false;
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
  // Urgent bytes stay in the stream (SO_OOBINLINE), where every read stops
  // at them, rather than aside where the next ordinary read would drop an
  // unread one: the directions send each on as urgent data, in its place.
  const int one = 1;
  for (Socket* socket : {&client, &target}) {
    setsockopt(socket->fd(), SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one));
  }
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
