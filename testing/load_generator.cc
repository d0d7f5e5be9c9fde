#include "testing/load_generator.h"

#include <poll.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/types/span.h"
#include "glog/logging.h"
#include "net/deadline.h"
#include "net/socket.h"
#include "rsockd/base/status_macros.h"
#include "testing/epoll_server.h"
#include "testing/socket_io.h"
#include "testing/socks4_client.h"
#include "testing/socks5_client.h"

namespace rsockd::testing {
namespace {

using Clock = std::chrono::steady_clock;

// The SOCKS4 USERID the load generator sends.
constexpr absl::string_view kSocks4UserId = "bench";

// Logs the first few failures of a run, then every 1000th. Thread-safe.
class FailureLog {
 public:
  void Note(const absl::Status& status, absl::string_view what) {
    const int64_t n = count_.fetch_add(1);
    if (n < 10 || n % 1000 == 0) {
      LOG(WARNING) << what << " failure #" << (n + 1) << ": " << status;
    }
  }

 private:
  std::atomic<int64_t> count_{0};
};

// Opens a session to `target`: through the proxy, or directly for kNone.
absl::StatusOr<net::Socket> OpenSession(
    const LoadOptions& options, const net::SocketAddress& target,
    const std::optional<net::IpAddress>& from) {
  const net::Deadline deadline = net::Deadline::In(options.timeout);
  const bool direct = options.protocol == LoadProtocol::kNone;
  RSOCKD_ASSIGN_OR_RETURN(
      net::Socket socket,
      net::Socket::Connect(direct ? target : options.proxy, from, deadline));
  socket.SetNoDelay();
  switch (options.protocol) {
    case LoadProtocol::kNone:
      break;
    case LoadProtocol::kSocks4: {
      RSOCKD_ASSIGN_OR_RETURN(
          const Socks4Reply reply,
          Socks4Exchange(socket, Socks4ConnectRequest(target, kSocks4UserId),
                         deadline));
      RSOCKD_RETURN_IF_ERROR(Socks4ExpectGranted(reply));
      break;
    }
    case LoadProtocol::kSocks5:
      RSOCKD_RETURN_IF_ERROR(
          Socks5Connect(socket, Socks5Address::FromSocketAddress(target),
                        options.socks5_credentials, deadline));
      break;
  }
  return socket;
}

std::optional<net::IpAddress> SourceFor(const LoadOptions& options,
                                        uint64_t index) {
  if (options.sources.empty()) return std::nullopt;
  return options.sources[index % options.sources.size()];
}

// Waits for the peer's FIN; any data before it is an error.
absl::Status ExpectEof(net::Socket& socket, const net::Deadline& deadline) {
  uint8_t byte;
  RSOCKD_ASSIGN_OR_RETURN(const size_t n,
                          socket.ReadSome(absl::MakeSpan(&byte, 1), deadline));
  if (n != 0) return absl::DataLossError("unexpected bytes instead of EOF");
  return absl::OkStatus();
}

// A target server, or why it did not start.
absl::StatusOr<std::unique_ptr<EpollServer>> StartTarget(
    const LoadOptions& options, EpollServer::Mode mode, size_t echo_limit,
    absl::string_view role) {
  absl::StatusOr<std::unique_ptr<EpollServer>> server =
      EpollServer::Start({.mode = mode,
                          .echo_limit = echo_limit,
                          .threads = options.server_threads,
                          .ip = options.target_ip});
  if (!server.ok()) {
    return absl::Status(server.status().code(),
                        absl::StrCat(role, ": ", server.status().message()));
  }
  return server;
}

double SecondsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

std::string ResultPrefix(const LoadOptions& options) {
  return absl::StrCat("RESULT mode=", LoadModeName(options.mode),
                      " label=", options.label.empty() ? "-" : options.label,
                      " protocol=", LoadProtocolName(options.protocol));
}

LoadVerdict VerdictFor(bool clean) {
  return clean ? LoadVerdict::kClean : LoadVerdict::kErrors;
}

// --- connrate ---------------------------------------------------------------

// One short session: open, send the payload, read it back, await the close.
// `echoed_at` is set when the echo has been verified.
absl::Status ShortSession(const LoadOptions& options,
                          const net::SocketAddress& target,
                          const std::optional<net::IpAddress>& from,
                          absl::string_view payload,
                          Clock::time_point* echoed_at) {
  RSOCKD_ASSIGN_OR_RETURN(net::Socket socket,
                          OpenSession(options, target, from));
  const net::Deadline deadline = net::Deadline::In(options.timeout);
  RSOCKD_RETURN_IF_ERROR(socket.WriteAll(payload, deadline));
  RSOCKD_ASSIGN_OR_RETURN(const std::string echo,
                          ReadExactly(socket, payload.size(), deadline));
  if (echo != payload) {
    return absl::DataLossError("echoed bytes differ from those sent");
  }
  *echoed_at = Clock::now();
  // The server closes first; closing after its FIN leaves no TIME_WAIT here.
  return ExpectEof(socket, deadline);
}

absl::StatusOr<LoadVerdict> RunConnRate(const LoadOptions& options,
                                        const LineWriter& print) {
  const LoadOptions::ConnRate& connrate = options.connrate;
  const size_t payload_size = connrate.payload_bytes;
  RSOCKD_ASSIGN_OR_RETURN(
      const std::unique_ptr<EpollServer> echo,
      StartTarget(options, EpollServer::Mode::kEchoThenClose, payload_size,
                  "echo server"));
  const net::SocketAddress target = echo->address();
  const int threads = connrate.threads;

  FailureLog failures;
  std::atomic<int64_t> started{0};
  std::atomic<int64_t> errors{0};
  std::vector<std::vector<uint32_t>> latencies(threads);
  std::vector<std::thread> workers;
  const Clock::time_point start = Clock::now();
  const Clock::time_point end =
      start +
      std::chrono::microseconds(absl::ToInt64Microseconds(connrate.duration));
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::string payload(payload_size, '\0');
      std::vector<uint32_t>& mine = latencies[t];
      mine.reserve(1 << 16);
      for (uint64_t i = 0; Clock::now() < end; ++i) {
        if (started.fetch_add(1) >= connrate.max_connections) break;
        if (errors.load() >= connrate.max_errors) break;
        for (size_t k = 0; k < payload_size; ++k) {
          payload[k] = static_cast<char>(i * 31 + k + t);
        }
        const Clock::time_point begun = Clock::now();
        Clock::time_point echoed_at;
        const absl::Status status =
            ShortSession(options, target, SourceFor(options, i * threads + t),
                         payload, &echoed_at);
        if (!status.ok()) {
          errors.fetch_add(1);
          failures.Note(status, "connrate session");
          continue;
        }
        mine.push_back(static_cast<uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(echoed_at -
                                                                  begun)
                .count()));
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  const double seconds = SecondsBetween(start, Clock::now());

  std::vector<uint32_t> all;
  for (const auto& mine : latencies) {
    all.insert(all.end(), mine.begin(), mine.end());
  }
  std::sort(all.begin(), all.end());
  auto percentile = [&all](double q) -> uint32_t {
    if (all.empty()) return 0;
    size_t rank = static_cast<size_t>(q * all.size() + 0.999999);
    return all[std::min(all.size() - 1, rank == 0 ? 0 : rank - 1)];
  };
  print(absl::StrFormat(
      "%s threads=%d seconds=%.2f connections=%d conn_per_s=%.0f p50_us=%u "
      "p99_us=%u max_us=%u errors=%d",
      ResultPrefix(options), threads, seconds, all.size(), all.size() / seconds,
      percentile(0.50), percentile(0.99), all.empty() ? 0u : all.back(),
      errors.load()));
  return VerdictFor(errors.load() == 0);
}

// --- throughput -------------------------------------------------------------

absl::StatusOr<LoadVerdict> RunThroughput(const LoadOptions& options,
                                          const LineWriter& print) {
  const LoadOptions::Throughput& throughput = options.throughput;
  RSOCKD_ASSIGN_OR_RETURN(
      const std::unique_ptr<EpollServer> sink,
      StartTarget(options, EpollServer::Mode::kDiscard, 0, "sink"));
  const net::SocketAddress target = sink->address();
  const int streams = throughput.streams;
  const int64_t bytes = throughput.bytes;
  const absl::Time give_up = absl::Now() + throughput.max_time;

  FailureLog failures;
  std::atomic<int64_t> errors{0};
  absl::BlockingCounter connected(streams);
  absl::Notification go;
  std::vector<std::thread> writers;
  for (int s = 0; s < streams; ++s) {
    writers.emplace_back([&, s] {
      absl::StatusOr<net::Socket> socket =
          OpenSession(options, target, SourceFor(options, s));
      connected.DecrementCount();
      go.WaitForNotification();
      absl::Status status = socket.status();
      if (status.ok()) {
        std::vector<uint8_t> chunk(throughput.chunk_bytes,
                                   static_cast<uint8_t>(s));
        for (int64_t sent = 0; status.ok() && sent < bytes;) {
          const size_t n = std::min<int64_t>(chunk.size(), bytes - sent);
          const net::Deadline deadline(
              std::min(give_up, absl::Now() + options.timeout));
          status =
              socket->WriteAll(absl::MakeConstSpan(chunk.data(), n), deadline);
          sent += n;
        }
      }
      if (status.ok()) {
        socket->ShutdownWrite();
        status = ExpectEof(*socket, net::Deadline::In(options.timeout));
      }
      if (!status.ok()) {
        errors.fetch_add(1);
        failures.Note(status, absl::StrCat("stream ", s));
      }
    });
  }
  connected.Wait();
  const Clock::time_point start = Clock::now();
  go.Notify();
  for (std::thread& writer : writers) writer.join();
  // A proxy that closes both sides at the client's EOF (microsocks) may
  // report the close before the sink has read everything: wait for the sink.
  const int64_t expected = bytes * streams;
  for (const absl::Time until = absl::Now() + options.timeout;
       sink->bytes_received() < expected && absl::Now() < until;) {
    absl::SleepFor(absl::Microseconds(200));
  }
  const double seconds = SecondsBetween(start, Clock::now());
  const int64_t received = sink->bytes_received();
  print(absl::StrFormat(
      "%s streams=%d bytes_per_stream=%d seconds=%.3f mib_per_s=%.1f "
      "short_bytes=%d errors=%d",
      ResultPrefix(options), streams, bytes, seconds,
      received / seconds / (1 << 20), expected - received, errors.load()));
  return VerdictFor(errors.load() == 0 && received == expected);
}

// --- hold -------------------------------------------------------------------

// Sends a session-specific ping and checks the echo.
absl::Status Ping(net::Socket& socket, int index, absl::Duration timeout) {
  const std::string ping = absl::StrFormat("ping%012d", index);
  const net::Deadline deadline = net::Deadline::In(timeout);
  RSOCKD_RETURN_IF_ERROR(socket.WriteAll(ping, deadline));
  RSOCKD_ASSIGN_OR_RETURN(const std::string echo,
                          ReadExactly(socket, ping.size(), deadline));
  if (echo != ping) return absl::DataLossError("ping echo differs");
  return absl::OkStatus();
}

// Runs `fn(index)` for every index in [0, count) on `concurrency` threads.
template <typename Fn>
void ForEachConcurrently(int count, int concurrency, Fn fn) {
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < std::min(count, concurrency); ++t) {
    threads.emplace_back([&] {
      for (int i = next.fetch_add(1); i < count; i = next.fetch_add(1)) fn(i);
    });
  }
  for (std::thread& thread : threads) thread.join();
}

// Waits for a line on `fd`, at most `limit`. At EOF on `fd` (nobody to send
// the line) it waits out the whole `limit`.
void WaitForGoAhead(int fd, absl::Duration limit) {
  const absl::Time until = absl::Now() + limit;
  bool open = true;
  while (absl::Now() < until) {
    const int64_t ms = absl::ToInt64Milliseconds(until - absl::Now()) + 1;
    if (!open) {
      absl::SleepFor(std::min(until - absl::Now(), absl::Milliseconds(100)));
      continue;
    }
    pollfd in{fd, POLLIN, 0};
    const int n = poll(&in, 1, static_cast<int>(std::min<int64_t>(ms, 1000)));
    if (n <= 0) continue;
    char buffer[256];
    const ssize_t got = read(fd, buffer, sizeof(buffer));
    if (got <= 0) {
      open = false;
    } else if (std::memchr(buffer, '\n', got) != nullptr) {
      return;
    }
  }
}

absl::StatusOr<LoadVerdict> RunHold(const LoadOptions& options,
                                    const LineWriter& print) {
  const LoadOptions::Hold& hold = options.hold;
  const int sessions = hold.sessions;
  rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) != 0) {
    return absl::ErrnoToStatus(errno, "getrlimit(RLIMIT_NOFILE)");
  }
  // Both ends of every session live in this process, plus some slack.
  const uint64_t needed = 2 * static_cast<uint64_t>(sessions) + 64;
  if (needed > files.rlim_cur) {
    return absl::FailedPreconditionError(
        absl::StrCat("holding ", sessions, " sessions needs ", needed,
                     " descriptors; the limit is ", files.rlim_cur));
  }
  RSOCKD_ASSIGN_OR_RETURN(
      const std::unique_ptr<EpollServer> holder,
      StartTarget(options, EpollServer::Mode::kEcho, 0, "holder"));
  const net::SocketAddress target = holder->address();
  const absl::Time give_up = absl::Now() + hold.max_time;

  FailureLog failures;
  std::vector<net::Socket> held(sessions);
  std::atomic<int> open_errors{0};
  const Clock::time_point open_start = Clock::now();
  ForEachConcurrently(sessions, hold.connect_concurrency, [&](int i) {
    if (absl::Now() >= give_up) {
      open_errors.fetch_add(1);
      return;
    }
    absl::StatusOr<net::Socket> socket =
        OpenSession(options, target, SourceFor(options, i));
    absl::Status status = socket.status();
    if (status.ok()) status = Ping(*socket, i, options.timeout);
    if (!status.ok()) {
      open_errors.fetch_add(1);
      failures.Note(status, "hold open");
      return;
    }
    held[i] = *std::move(socket);
  });
  const double open_seconds = SecondsBetween(open_start, Clock::now());
  const int opened = sessions - open_errors.load();
  const int64_t holder_open = holder->open_connections();
  print(absl::StrFormat("READY %d", opened));

  WaitForGoAhead(hold.go_ahead_fd,
                 std::min(hold.hold_for, give_up - absl::Now()));

  std::atomic<int> lost{0};
  const absl::Time check_until = absl::Now() + hold.max_time;
  ForEachConcurrently(sessions, hold.connect_concurrency, [&](int i) {
    if (!held[i].valid()) return;
    const absl::Status status =
        absl::Now() < check_until
            ? Ping(held[i], i, options.timeout)
            : absl::DeadlineExceededError("max_time passed before the check");
    if (!status.ok()) {
      lost.fetch_add(1);
      failures.Note(status, "hold check");
    }
  });
  print(absl::StrFormat(
      "%s sessions=%d opened=%d open_errors=%d open_seconds=%.2f "
      "holder_open=%d lost=%d",
      ResultPrefix(options), sessions, opened, open_errors.load(), open_seconds,
      holder_open, lost.load()));
  return VerdictFor(open_errors.load() == 0 && lost.load() == 0);
}

}  // namespace

absl::string_view LoadModeName(LoadMode mode) {
  switch (mode) {
    case LoadMode::kConnRate:
      return "connrate";
    case LoadMode::kThroughput:
      return "throughput";
    case LoadMode::kHold:
      return "hold";
  }
  return "?";
}

absl::string_view LoadProtocolName(LoadProtocol protocol) {
  switch (protocol) {
    case LoadProtocol::kNone:
      return "none";
    case LoadProtocol::kSocks4:
      return "socks4";
    case LoadProtocol::kSocks5:
      return "socks5";
  }
  return "?";
}

absl::StatusOr<LoadVerdict> RunLoad(const LoadOptions& options,
                                    const LineWriter& print) {
  switch (options.mode) {
    case LoadMode::kConnRate:
      return RunConnRate(options, print);
    case LoadMode::kThroughput:
      return RunThroughput(options, print);
    case LoadMode::kHold:
      return RunHold(options, print);
  }
  return absl::InvalidArgumentError("unknown mode");
}

}  // namespace rsockd::testing
