// socks_load drives a SOCKS4 or SOCKS5 proxy (or, with --protocol=none, its
// own target servers directly, as a baseline) and prints one machine-readable
// `RESULT key=value ...` line per measurement. Modes:
//
//   connrate    --threads clients, each in a loop: connect to the proxy,
//               CONNECT to the embedded echo server, send --payload_bytes,
//               read them back and verify, wait for the server's close, close.
//               Reports connections/s, p50/p99 latency and errors.
//   throughput  --streams parallel sessions to the embedded discard sink, each
//               writing --bytes as fast as it can, then half-closing and
//               waiting for the close. Reports aggregate MiB/s.
//   hold        --sessions sessions to the embedded echo holder, each checked
//               with a ping, held open ("READY <n>" on stdout) until a line
//               arrives on stdin or --hold_for passes (the caller measures the
//               proxy's memory meanwhile), then pinged again. Reports how many
//               sessions were lost.
//
// The embedded servers listen on 127.0.0.1:0 and run epoll loops, so that one
// thread of theirs serves thousands of connections. Only 127.0.0.0/8 is ever
// contacted.
//
// TIME_WAIT: a benchmark making tens of thousands of connections per second
// must not leave TIME_WAIT sockets on the sides that pick ephemeral ports (the
// client, and the proxy towards the target), or connect() starts failing with
// EADDRNOTAVAIL after ~28k connections. So the echo server closes first, right
// after echoing the payload: the TIME_WAIT lands on the echo server's side of
// the proxy-to-target connection and on the proxy's side of the client
// connection, both on listening ports, where they block nothing. In addition
// the clients spread their source addresses over 127.1.x.y
// (--source_addresses) with IP_BIND_ADDRESS_NO_PORT, which multiplies the
// 4-tuples available.
//
// Example:
//   socks_load --proxy=127.0.0.1:1080 --protocol=socks4 --mode=connrate
//       --threads=8 --duration=5s --label=rsockd

#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "gflags/gflags.h"
#include "glog/logging.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/socket.h"
#include "rsockd/base/status_macros.h"

DEFINE_string(mode, "connrate", "connrate | throughput | hold");
DEFINE_string(proxy, "",
              "ip:port of the SOCKS proxy (127.0.0.0/8 only); unused with "
              "--protocol=none");
DEFINE_string(protocol, "socks4",
              "socks4 | socks5 | none (straight to the embedded servers: the "
              "baseline)");
DEFINE_string(label, "", "name printed in RESULT lines, e.g. rsockd");
DEFINE_string(timeout, "10s",
              "bound on each blocking step: connect, handshake, read, write");
DEFINE_int32(source_addresses, 256,
             "spread client connections over this many source addresses "
             "127.1.x.y (0: let the kernel pick, i.e. 127.0.0.1)");
DEFINE_int32(server_threads, 1, "event-loop threads of each embedded server");
DEFINE_string(target_ip, "127.0.0.1",
              "loopback address the embedded servers listen on (127.0.0.1 is "
              "always direct for rsockd's routing: chains need another)");

DEFINE_string(duration, "5s", "connrate: how long to run");
DEFINE_int32(threads, 8, "connrate: client threads");
DEFINE_int64(max_connections, 5000000,
             "connrate: stop after this many connections in all");
DEFINE_int64(max_errors, 1000, "connrate: stop after this many failures");
DEFINE_int32(payload_bytes, 64, "connrate: bytes sent and echoed");

DEFINE_int32(streams, 1, "throughput: parallel streams");
DEFINE_int64(bytes, int64_t{1} << 30, "throughput: bytes written per stream");
DEFINE_int32(chunk_bytes, 256 << 10, "throughput: bytes per write(2)");
DEFINE_string(max_time, "300s",
              "throughput: bound on the whole run; hold: bound on opening the "
              "sessions, and again on the final check");

DEFINE_int32(sessions, 1000, "hold: sessions to open and hold");
DEFINE_int32(connect_concurrency, 32,
             "hold: sessions being opened at once (keeps the proxy's listen "
             "backlog from overflowing)");
DEFINE_string(hold_for, "120s",
              "hold: longest wait for a line on stdin before the final check "
              "(if stdin is at EOF, hold exactly this long)");

namespace {

bool ValidateDuration(const char* flag, const std::string& value) {
  absl::Duration d;
  if (absl::ParseDuration(value, &d) && d > absl::ZeroDuration()) return true;
  std::fprintf(stderr, "--%s: want a positive duration like 5s, got '%s'\n",
               flag, value.c_str());
  return false;
}
bool ValidatePositive32(const char* flag, int32_t value) {
  if (value > 0) return true;
  std::fprintf(stderr, "--%s must be positive\n", flag);
  return false;
}
bool ValidatePositive64(const char* flag, int64_t value) {
  if (value > 0) return true;
  std::fprintf(stderr, "--%s must be positive\n", flag);
  return false;
}
bool ValidateSourceAddresses(const char* flag, int32_t value) {
  if (value >= 0 && value <= 65000) return true;
  std::fprintf(stderr, "--%s must be in 0..65000\n", flag);
  return false;
}

bool ValidateTargetIp(const char* flag, const std::string& value) {
  const std::optional<rsockd::net::IpAddress> ip =
      rsockd::net::IpAddress::Parse(value);
  if (ip.has_value() && ip->is_ipv4() && ip->ipv4_host_order() >> 24 == 127) {
    return true;
  }
  std::fprintf(stderr, "--%s: want an address in 127.0.0.0/8, got '%s'\n", flag,
               value.c_str());
  return false;
}

}  // namespace

DEFINE_validator(target_ip, &ValidateTargetIp);
DEFINE_validator(timeout, &ValidateDuration);
DEFINE_validator(duration, &ValidateDuration);
DEFINE_validator(max_time, &ValidateDuration);
DEFINE_validator(hold_for, &ValidateDuration);
DEFINE_validator(threads, &ValidatePositive32);
DEFINE_validator(server_threads, &ValidatePositive32);
DEFINE_validator(payload_bytes, &ValidatePositive32);
DEFINE_validator(streams, &ValidatePositive32);
DEFINE_validator(chunk_bytes, &ValidatePositive32);
DEFINE_validator(sessions, &ValidatePositive32);
DEFINE_validator(connect_concurrency, &ValidatePositive32);
DEFINE_validator(max_connections, &ValidatePositive64);
DEFINE_validator(max_errors, &ValidatePositive64);
DEFINE_validator(bytes, &ValidatePositive64);
DEFINE_validator(source_addresses, &ValidateSourceAddresses);

namespace rsockd::testing {
namespace {

using net::Deadline;
using net::IpAddress;
using net::Socket;
using net::SocketAddress;
using Clock = std::chrono::steady_clock;

// SOCKS4 (https://www.openssh.com/txt/socks4.protocol).
constexpr uint8_t kSocks4Version = 0x04;
constexpr uint8_t kSocks4CommandConnect = 0x01;
constexpr uint8_t kSocks4ReplyVersion = 0x00;
constexpr uint8_t kSocks4RequestGranted = 0x5A;  // 90
constexpr absl::string_view kSocks4UserId = "bench";

// The fixed part of a SOCKS4 request; the NUL-terminated userid follows.
struct Socks4Header {
  uint8_t version;
  uint8_t command;
  uint8_t port[2];  // network order
  uint8_t ip[4];    // network order
};
static_assert(sizeof(Socks4Header) == 8);

// The reply: VN (0), CD (90 = granted), DSTPORT, DSTIP.
constexpr size_t kSocks4ReplySize = 8;

// SOCKS5 (RFC 1928).
constexpr uint8_t kSocks5Version = 0x05;
constexpr uint8_t kSocks5MethodNoAuth = 0x00;
constexpr uint8_t kSocks5CommandConnect = 0x01;
constexpr uint8_t kSocks5AddressIPv4 = 0x01;
constexpr uint8_t kSocks5AddressDomain = 0x03;
constexpr uint8_t kSocks5AddressIPv6 = 0x04;
constexpr uint8_t kSocks5ReplySucceeded = 0x00;

// A CONNECT request for an IPv4 destination.
struct Socks5ConnectIPv4 {
  uint8_t version;
  uint8_t command;
  uint8_t reserved;
  uint8_t address_type;
  uint8_t ip[4];    // network order
  uint8_t port[2];  // network order
};
static_assert(sizeof(Socks5ConnectIPv4) == 10);

enum class Protocol { kNone, kSocks4, kSocks5 };

// Everything a client needs to open a session; immutable once built.
struct ClientOptions {
  Protocol protocol = Protocol::kSocks4;
  SocketAddress proxy;
  absl::Duration timeout = absl::Seconds(10);
  // Source addresses to bind, round-robin; empty means the kernel's choice.
  std::vector<IpAddress> sources;
};

// Reads exactly `buffer.size()` bytes.
absl::Status ReadExactly(Socket& socket, absl::Span<uint8_t> buffer,
                         const Deadline& deadline) {
  size_t done = 0;
  while (done < buffer.size()) {
    RSOCKD_ASSIGN_OR_RETURN(const size_t n,
                            socket.ReadSome(buffer.subspan(done), deadline));
    if (n == 0) {
      return absl::UnavailableError(absl::StrCat(
          "peer closed after ", done, " of ", buffer.size(), " bytes"));
    }
    done += n;
  }
  return absl::OkStatus();
}

// Waits for the peer's FIN; any data before it is an error.
absl::Status ExpectEof(Socket& socket, const Deadline& deadline) {
  uint8_t byte;
  RSOCKD_ASSIGN_OR_RETURN(const size_t n,
                          socket.ReadSome(absl::MakeSpan(&byte, 1), deadline));
  if (n != 0) return absl::DataLossError("unexpected bytes instead of EOF");
  return absl::OkStatus();
}

void PutPort(uint16_t port, uint8_t out[2]) {
  out[0] = static_cast<uint8_t>(port >> 8);
  out[1] = static_cast<uint8_t>(port & 0xff);
}

absl::Status Socks4Connect(Socket& socket, const SocketAddress& target,
                           const Deadline& deadline) {
  Socks4Header header;
  header.version = kSocks4Version;
  header.command = kSocks4CommandConnect;
  PutPort(target.port(), header.port);
  std::memcpy(header.ip, target.ip().bytes(), sizeof(header.ip));
  uint8_t request[sizeof(Socks4Header) + kSocks4UserId.size() + 1];
  std::memcpy(request, &header, sizeof(header));
  std::memcpy(request + sizeof(header), kSocks4UserId.data(),
              kSocks4UserId.size());
  request[sizeof(request) - 1] = '\0';
  RSOCKD_RETURN_IF_ERROR(
      socket.WriteAll(absl::MakeConstSpan(request), deadline));

  uint8_t reply[kSocks4ReplySize];
  RSOCKD_RETURN_IF_ERROR(ReadExactly(socket, absl::MakeSpan(reply), deadline));
  if (reply[0] != kSocks4ReplyVersion || reply[1] != kSocks4RequestGranted) {
    return absl::PermissionDeniedError(absl::StrCat(
        "SOCKS4 reply VN=", reply[0], " CD=", reply[1], " (want VN=0 CD=90)"));
  }
  return absl::OkStatus();
}

absl::Status Socks5Connect(Socket& socket, const SocketAddress& target,
                           const Deadline& deadline) {
  // Method negotiation: one method offered, "no authentication".
  const uint8_t greeting[] = {kSocks5Version, 1, kSocks5MethodNoAuth};
  RSOCKD_RETURN_IF_ERROR(
      socket.WriteAll(absl::MakeConstSpan(greeting), deadline));
  uint8_t choice[2];
  RSOCKD_RETURN_IF_ERROR(ReadExactly(socket, absl::MakeSpan(choice), deadline));
  if (choice[0] != kSocks5Version || choice[1] != kSocks5MethodNoAuth) {
    return absl::PermissionDeniedError(absl::StrCat(
        "SOCKS5 method reply ", choice[0], ",", choice[1], " (want 5,0)"));
  }

  Socks5ConnectIPv4 request;
  request.version = kSocks5Version;
  request.command = kSocks5CommandConnect;
  request.reserved = 0;
  request.address_type = kSocks5AddressIPv4;
  std::memcpy(request.ip, target.ip().bytes(), sizeof(request.ip));
  PutPort(target.port(), request.port);
  uint8_t bytes[sizeof(request)];
  std::memcpy(bytes, &request, sizeof(request));
  RSOCKD_RETURN_IF_ERROR(socket.WriteAll(absl::MakeConstSpan(bytes), deadline));

  // VER REP RSV ATYP, then a bound address whose size depends on ATYP.
  uint8_t head[5];
  RSOCKD_RETURN_IF_ERROR(ReadExactly(socket, absl::MakeSpan(head), deadline));
  if (head[0] != kSocks5Version || head[1] != kSocks5ReplySucceeded) {
    return absl::PermissionDeniedError(absl::StrCat(
        "SOCKS5 reply VER=", head[0], " REP=", head[1], " (want 5,0)"));
  }
  size_t rest;  // bytes after `head`, including the 2-byte port
  switch (head[3]) {
    case kSocks5AddressIPv4:
      rest = 4 - 1 + 2;
      break;
    case kSocks5AddressIPv6:
      rest = 16 - 1 + 2;
      break;
    case kSocks5AddressDomain:
      rest = head[4] + 2;
      break;
    default:
      return absl::DataLossError(
          absl::StrCat("SOCKS5 reply has address type ", head[3]));
  }
  uint8_t tail[255 + 2];
  return ReadExactly(socket, absl::MakeSpan(tail, rest), deadline);
}

// Opens a session to `target`: through the proxy, or directly for kNone.
absl::StatusOr<Socket> OpenSession(const ClientOptions& options,
                                   const SocketAddress& target,
                                   const std::optional<IpAddress>& from) {
  const Deadline deadline = Deadline::In(options.timeout);
  if (options.protocol == Protocol::kNone) {
    RSOCKD_ASSIGN_OR_RETURN(Socket socket,
                            Socket::Connect(target, from, deadline));
    socket.SetNoDelay();
    return socket;
  }
  RSOCKD_ASSIGN_OR_RETURN(Socket socket,
                          Socket::Connect(options.proxy, from, deadline));
  socket.SetNoDelay();
  if (options.protocol == Protocol::kSocks4) {
    RSOCKD_RETURN_IF_ERROR(Socks4Connect(socket, target, deadline));
  } else {
    RSOCKD_RETURN_IF_ERROR(Socks5Connect(socket, target, deadline));
  }
  return socket;
}

std::optional<IpAddress> SourceFor(const ClientOptions& options,
                                   uint64_t index) {
  if (options.sources.empty()) return std::nullopt;
  return options.sources[index % options.sources.size()];
}

// Owns an epoll descriptor.
class EpollFd {
 public:
  EpollFd() : fd_(epoll_create1(EPOLL_CLOEXEC)) {
    PCHECK(fd_ >= 0) << "epoll_create1";
  }
  ~EpollFd() { close(fd_); }
  EpollFd(const EpollFd&) = delete;
  EpollFd& operator=(const EpollFd&) = delete;
  int fd() const { return fd_; }

 private:
  const int fd_;
};

// The parsed --target_ip; validated at flag parsing.
std::optional<IpAddress> TargetIp() {
  return IpAddress::Parse(FLAGS_target_ip);
}

// LoopbackServer
//
// A TCP server on --target_ip:0 run by `threads` epoll loops that share the
// listener (EPOLLEXCLUSIVE, so one loop wakes per connection). Modes:
//   kEchoThenClose  echo the first `echo_limit` bytes, then close (first);
//   kEcho           echo everything until the peer closes;
//   kDiscard        read and count everything; close at the peer's EOF.
// Thread-safe accessors; the destructor stops and joins the loops.
class LoopbackServer {
 public:
  enum class Mode { kEchoThenClose, kEcho, kDiscard };

  static absl::StatusOr<std::unique_ptr<LoopbackServer>> Start(
      Mode mode, size_t echo_limit, int threads) {
    RSOCKD_ASSIGN_OR_RETURN(
        Socket listener,
        Socket::Listen(SocketAddress(*TargetIp(), 0), SOMAXCONN));
    RSOCKD_ASSIGN_OR_RETURN(const SocketAddress address,
                            listener.LocalAddress());
    auto server = std::unique_ptr<LoopbackServer>(
        new LoopbackServer(mode, echo_limit, std::move(listener), address));
    for (int i = 0; i < threads; ++i) {
      server->threads_.emplace_back([s = server.get()] { s->Loop(); });
    }
    return server;
  }

  ~LoopbackServer() {
    stop_.Notify();
    for (std::thread& thread : threads_) thread.join();
  }

  const SocketAddress& address() const { return address_; }
  int64_t bytes_received() const { return bytes_received_.load(); }
  int64_t open_connections() const { return accepted_.load() - closed_.load(); }
  int64_t closed_connections() const { return closed_.load(); }

 private:
  struct Connection {
    Socket socket;
    size_t echoed = 0;
  };

  LoopbackServer(Mode mode, size_t echo_limit, Socket listener,
                 SocketAddress address)
      : mode_(mode),
        echo_limit_(echo_limit),
        listener_(std::move(listener)),
        address_(address) {}

  void Loop() {
    EpollFd epoll;
    epoll_event event{};
    event.events = EPOLLIN | EPOLLEXCLUSIVE;
    event.data.ptr = &listener_;
    PCHECK(epoll_ctl(epoll.fd(), EPOLL_CTL_ADD, listener_.fd(), &event) == 0);
    event.events = EPOLLIN;
    event.data.ptr = &stop_;
    PCHECK(epoll_ctl(epoll.fd(), EPOLL_CTL_ADD, stop_.fd(), &event) == 0);

    std::vector<uint8_t> buffer(mode_ == Mode::kDiscard ? 256 << 10 : 16 << 10);
    std::unordered_set<Connection*> connections;
    epoll_event events[64];
    for (bool stopping = false; !stopping;) {
      const int n = epoll_wait(epoll.fd(), events, 64, -1);
      if (n < 0) {
        PCHECK(errno == EINTR) << "epoll_wait";
        continue;
      }
      for (int i = 0; i < n; ++i) {
        void* const tag = events[i].data.ptr;
        if (tag == &stop_) {
          stopping = true;
        } else if (tag == &listener_) {
          AcceptSome(epoll.fd(), connections);
        } else {
          auto* connection = static_cast<Connection*>(tag);
          if (!Serve(*connection, absl::MakeSpan(buffer))) {
            connections.erase(connection);
            delete connection;  // closing the fd also leaves the epoll set
            closed_.fetch_add(1);
          }
        }
      }
    }
    for (Connection* connection : connections) delete connection;
  }

  void AcceptSome(int epoll_fd, std::unordered_set<Connection*>& connections) {
    for (int i = 0; i < 64; ++i) {
      absl::StatusOr<Socket> accepted = listener_.Accept(nullptr);
      if (!accepted.ok()) {
        if (!absl::IsUnavailable(accepted.status())) {  // not EAGAIN
          LOG_EVERY_N(WARNING, 1000) << "accept: " << accepted.status();
        }
        return;
      }
      accepted->SetNoDelay();
      auto* connection = new Connection{*std::move(accepted)};
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.ptr = connection;
      PCHECK(epoll_ctl(epoll_fd, EPOLL_CTL_ADD, connection->socket.fd(),
                       &event) == 0);
      connections.insert(connection);
      accepted_.fetch_add(1);
    }
  }

  // Handles readability; false when the connection is finished.
  bool Serve(Connection& connection, absl::Span<uint8_t> buffer) {
    // A few reads per wake-up, so one busy stream cannot starve the others.
    for (int round = 0; round < 8; ++round) {
      size_t want = buffer.size();
      if (mode_ == Mode::kEchoThenClose) {
        want = std::min(want, echo_limit_ - connection.echoed);
      }
      const ssize_t n = recv(connection.socket.fd(), buffer.data(), want, 0);
      if (n == 0) return false;
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno == EAGAIN;
      }
      bytes_received_.fetch_add(n, std::memory_order_relaxed);
      if (mode_ == Mode::kDiscard) continue;
      // Small echoes fit the send buffer; if one does not, this loop blocks
      // briefly (bounded) rather than keeping per-connection output state.
      if (!connection.socket
               .WriteAll(buffer.first(n), Deadline::In(absl::Seconds(5)))
               .ok()) {
        return false;
      }
      connection.echoed += n;
      if (mode_ == Mode::kEchoThenClose && connection.echoed >= echo_limit_) {
        return false;  // we close first: TIME_WAIT stays on this side
      }
    }
    return true;
  }

  const Mode mode_;
  const size_t echo_limit_;
  Socket listener_;  // not const: its address is an epoll tag
  const SocketAddress address_;
  net::StopSignal stop_;
  std::vector<std::thread> threads_;
  std::atomic<int64_t> bytes_received_{0};
  std::atomic<int64_t> accepted_{0};
  std::atomic<int64_t> closed_{0};
};

// Logs the first few failures of a run, then every 1000th.
void NoteError(const absl::Status& status, absl::string_view what) {
  static std::atomic<int64_t> count{0};
  const int64_t n = count.fetch_add(1);
  if (n < 10 || n % 1000 == 0) {
    LOG(WARNING) << what << " failure #" << (n + 1) << ": " << status;
  }
}

double SecondsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

std::string ProtocolName(Protocol protocol) {
  switch (protocol) {
    case Protocol::kNone:
      return "none";
    case Protocol::kSocks4:
      return "socks4";
    case Protocol::kSocks5:
      return "socks5";
  }
  return "?";
}

std::string ResultPrefix(absl::string_view mode, const ClientOptions& options) {
  return absl::StrCat("RESULT mode=", mode,
                      " label=", FLAGS_label.empty() ? "-" : FLAGS_label,
                      " protocol=", ProtocolName(options.protocol));
}

void PrintLine(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

// --- connrate ---------------------------------------------------------------

// One short session: open, send the payload, read it back, await the close.
// `echoed_at` is set when the echo has been verified.
absl::Status ShortSession(const ClientOptions& options,
                          const SocketAddress& target,
                          const std::optional<IpAddress>& from,
                          absl::Span<const uint8_t> payload,
                          absl::Span<uint8_t> scratch,
                          Clock::time_point* echoed_at) {
  RSOCKD_ASSIGN_OR_RETURN(Socket socket, OpenSession(options, target, from));
  const Deadline deadline = Deadline::In(options.timeout);
  RSOCKD_RETURN_IF_ERROR(socket.WriteAll(payload, deadline));
  RSOCKD_RETURN_IF_ERROR(ReadExactly(socket, scratch, deadline));
  if (!std::equal(payload.begin(), payload.end(), scratch.begin())) {
    return absl::DataLossError("echoed bytes differ from those sent");
  }
  *echoed_at = Clock::now();
  // The server closes first; closing after its FIN leaves no TIME_WAIT here.
  return ExpectEof(socket, deadline);
}

int RunConnRate(const ClientOptions& options) {
  absl::Duration duration;
  CHECK(absl::ParseDuration(FLAGS_duration, &duration));  // validated
  const size_t payload_size = FLAGS_payload_bytes;
  auto echo = LoopbackServer::Start(LoopbackServer::Mode::kEchoThenClose,
                                    payload_size, FLAGS_server_threads);
  if (!echo.ok()) {
    LOG(ERROR) << "echo server: " << echo.status();
    return 1;
  }
  const SocketAddress target = (*echo)->address();
  const int threads = FLAGS_threads;

  std::atomic<int64_t> started{0};
  std::atomic<int64_t> errors{0};
  std::vector<std::vector<uint32_t>> latencies(threads);
  std::vector<std::thread> workers;
  const Clock::time_point start = Clock::now();
  const Clock::time_point end =
      start + std::chrono::microseconds(absl::ToInt64Microseconds(duration));
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::vector<uint8_t> payload(payload_size), scratch(payload_size);
      std::vector<uint32_t>& mine = latencies[t];
      mine.reserve(1 << 16);
      for (uint64_t i = 0; Clock::now() < end; ++i) {
        if (started.fetch_add(1) >= FLAGS_max_connections) break;
        if (errors.load() >= FLAGS_max_errors) break;
        for (size_t k = 0; k < payload_size; ++k) {
          payload[k] = static_cast<uint8_t>(i * 31 + k + t);
        }
        const Clock::time_point begun = Clock::now();
        Clock::time_point echoed_at;
        const absl::Status status = ShortSession(
            options, target, SourceFor(options, i * threads + t),
            absl::MakeConstSpan(payload), absl::MakeSpan(scratch), &echoed_at);
        if (!status.ok()) {
          errors.fetch_add(1);
          NoteError(status, "connrate session");
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
  for (const auto& mine : latencies)
    all.insert(all.end(), mine.begin(), mine.end());
  std::sort(all.begin(), all.end());
  auto percentile = [&all](double q) -> uint32_t {
    if (all.empty()) return 0;
    size_t rank = static_cast<size_t>(q * all.size() + 0.999999);
    return all[std::min(all.size() - 1, rank == 0 ? 0 : rank - 1)];
  };
  PrintLine(absl::StrFormat(
      "%s threads=%d seconds=%.2f connections=%d conn_per_s=%.0f p50_us=%u "
      "p99_us=%u max_us=%u errors=%d",
      ResultPrefix("connrate", options), threads, seconds, all.size(),
      all.size() / seconds, percentile(0.50), percentile(0.99),
      all.empty() ? 0u : all.back(), errors.load()));
  return errors.load() == 0 ? 0 : 2;
}

// --- throughput -------------------------------------------------------------

int RunThroughput(const ClientOptions& options) {
  absl::Duration max_time;
  CHECK(absl::ParseDuration(FLAGS_max_time, &max_time));  // validated
  auto sink = LoopbackServer::Start(LoopbackServer::Mode::kDiscard, 0,
                                    FLAGS_server_threads);
  if (!sink.ok()) {
    LOG(ERROR) << "sink: " << sink.status();
    return 1;
  }
  const SocketAddress target = (*sink)->address();
  const int streams = FLAGS_streams;
  const int64_t bytes = FLAGS_bytes;
  const absl::Time give_up = absl::Now() + max_time;

  std::atomic<int64_t> errors{0};
  absl::BlockingCounter connected(streams);
  absl::Notification go;
  std::vector<std::thread> writers;
  for (int s = 0; s < streams; ++s) {
    writers.emplace_back([&, s] {
      absl::StatusOr<Socket> socket =
          OpenSession(options, target, SourceFor(options, s));
      connected.DecrementCount();
      go.WaitForNotification();
      absl::Status status = socket.status();
      if (status.ok()) {
        std::vector<uint8_t> chunk(FLAGS_chunk_bytes, static_cast<uint8_t>(s));
        for (int64_t sent = 0; status.ok() && sent < bytes;) {
          const size_t n = std::min<int64_t>(chunk.size(), bytes - sent);
          const Deadline deadline(
              std::min(give_up, absl::Now() + options.timeout));
          status =
              socket->WriteAll(absl::MakeConstSpan(chunk.data(), n), deadline);
          sent += n;
        }
      }
      if (status.ok()) {
        socket->ShutdownWrite();
        status = ExpectEof(*socket, Deadline::In(options.timeout));
      }
      if (!status.ok()) {
        errors.fetch_add(1);
        NoteError(status, absl::StrCat("stream ", s));
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
       (*sink)->bytes_received() < expected && absl::Now() < until;) {
    absl::SleepFor(absl::Microseconds(200));
  }
  const double seconds = SecondsBetween(start, Clock::now());
  const int64_t received = (*sink)->bytes_received();
  PrintLine(absl::StrFormat(
      "%s streams=%d bytes_per_stream=%d seconds=%.3f mib_per_s=%.1f "
      "short_bytes=%d errors=%d",
      ResultPrefix("throughput", options), streams, bytes, seconds,
      received / seconds / (1 << 20), expected - received, errors.load()));
  return errors.load() == 0 && received == expected ? 0 : 2;
}

// --- hold -------------------------------------------------------------------

// Sends a session-specific ping and checks the echo.
absl::Status Ping(Socket& socket, int index, absl::Duration timeout) {
  const std::string ping = absl::StrFormat("ping%012d", index);
  const Deadline deadline = Deadline::In(timeout);
  RSOCKD_RETURN_IF_ERROR(socket.WriteAll(ping, deadline));
  uint8_t echo[16];
  static_assert(sizeof(echo) == 4 + 12);
  RSOCKD_RETURN_IF_ERROR(ReadExactly(socket, absl::MakeSpan(echo), deadline));
  if (std::memcmp(echo, ping.data(), sizeof(echo)) != 0) {
    return absl::DataLossError("ping echo differs");
  }
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

// Waits for a line on stdin, at most `limit`. At EOF on stdin (nobody to
// send the line) it waits out the whole `limit`.
void WaitForGoAhead(absl::Duration limit) {
  const absl::Time until = absl::Now() + limit;
  bool stdin_open = true;
  while (absl::Now() < until) {
    const int64_t ms = absl::ToInt64Milliseconds(until - absl::Now()) + 1;
    if (!stdin_open) {
      absl::SleepFor(std::min(until - absl::Now(), absl::Milliseconds(100)));
      continue;
    }
    pollfd in{STDIN_FILENO, POLLIN, 0};
    const int n = poll(&in, 1, static_cast<int>(std::min<int64_t>(ms, 1000)));
    if (n <= 0) continue;
    char buffer[256];
    const ssize_t got = read(STDIN_FILENO, buffer, sizeof(buffer));
    if (got <= 0) {
      stdin_open = false;
    } else if (std::memchr(buffer, '\n', got) != nullptr) {
      return;
    }
  }
}

int RunHold(const ClientOptions& options) {
  absl::Duration hold_for, max_time;
  CHECK(absl::ParseDuration(FLAGS_hold_for, &hold_for));  // validated
  CHECK(absl::ParseDuration(FLAGS_max_time, &max_time));  // validated
  const int sessions = FLAGS_sessions;
  rlimit files;
  CHECK_EQ(getrlimit(RLIMIT_NOFILE, &files), 0);
  // Both ends of every session live in this process, plus some slack.
  if (2 * static_cast<uint64_t>(sessions) + 64 > files.rlim_cur) {
    LOG(ERROR) << "--sessions=" << sessions << " needs " << 2 * sessions + 64
               << " descriptors; the limit is " << files.rlim_cur;
    return 1;
  }
  auto holder = LoopbackServer::Start(LoopbackServer::Mode::kEcho, 0,
                                      FLAGS_server_threads);
  if (!holder.ok()) {
    LOG(ERROR) << "holder: " << holder.status();
    return 1;
  }
  const SocketAddress target = (*holder)->address();
  const absl::Time give_up = absl::Now() + max_time;

  std::vector<Socket> held(sessions);
  std::atomic<int> open_errors{0};
  const Clock::time_point open_start = Clock::now();
  ForEachConcurrently(sessions, FLAGS_connect_concurrency, [&](int i) {
    if (absl::Now() >= give_up) {
      open_errors.fetch_add(1);
      return;
    }
    absl::StatusOr<Socket> socket =
        OpenSession(options, target, SourceFor(options, i));
    absl::Status status = socket.status();
    if (status.ok()) status = Ping(*socket, i, options.timeout);
    if (!status.ok()) {
      open_errors.fetch_add(1);
      NoteError(status, "hold open");
      return;
    }
    held[i] = *std::move(socket);
  });
  const double open_seconds = SecondsBetween(open_start, Clock::now());
  const int opened = sessions - open_errors.load();
  const int64_t holder_open = (*holder)->open_connections();
  PrintLine(absl::StrFormat("READY %d", opened));

  WaitForGoAhead(std::min(hold_for, give_up - absl::Now()));

  std::atomic<int> lost{0};
  const absl::Time check_until = absl::Now() + max_time;
  ForEachConcurrently(sessions, FLAGS_connect_concurrency, [&](int i) {
    if (!held[i].valid()) return;
    const absl::Status status =
        absl::Now() < check_until
            ? Ping(held[i], i, options.timeout)
            : absl::DeadlineExceededError("--max_time passed before the check");
    if (!status.ok()) {
      lost.fetch_add(1);
      NoteError(status, "hold check");
    }
  });
  PrintLine(absl::StrFormat(
      "%s sessions=%d opened=%d open_errors=%d open_seconds=%.2f "
      "holder_open=%d lost=%d",
      ResultPrefix("hold", options), sessions, opened, open_errors.load(),
      open_seconds, holder_open, lost.load()));
  return open_errors.load() == 0 && lost.load() == 0 ? 0 : 2;
}

// --- main -------------------------------------------------------------------

absl::StatusOr<SocketAddress> ParseLoopbackAddress(absl::string_view text) {
  const size_t colon = text.rfind(':');
  uint32_t port = 0;
  if (colon == absl::string_view::npos ||
      !absl::SimpleAtoi(text.substr(colon + 1), &port) || port == 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "': want ip:port, e.g. 127.0.0.1:1080"));
  }
  absl::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::optional<IpAddress> ip = IpAddress::Parse(host);
  const IpAddress v6_loopback = *IpAddress::Parse("::1");
  if (!ip.has_value() ||
      !(ip->MatchesPrefix(IpAddress::FromIPv4(0x7f000000), 8) ||
        *ip == v6_loopback)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text, "': only loopback proxies (127.0.0.0/8, ::1) are allowed"));
  }
  return SocketAddress(*ip, static_cast<uint16_t>(port));
}

// Raises the soft descriptor limit to the hard one (hold needs two per
// session).
void RaiseFileLimit() {
  rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 &&
      files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &files) != 0) {
      PLOG(WARNING) << "setrlimit(RLIMIT_NOFILE)";
    }
  }
}

int Main() {
  RaiseFileLimit();
  ClientOptions options;
  if (FLAGS_protocol == "socks4") {
    options.protocol = Protocol::kSocks4;
  } else if (FLAGS_protocol == "socks5") {
    options.protocol = Protocol::kSocks5;
  } else if (FLAGS_protocol == "none") {
    options.protocol = Protocol::kNone;
  } else {
    LOG(ERROR) << "--protocol: want socks4, socks5 or none";
    return 1;
  }
  if (options.protocol != Protocol::kNone) {
    absl::StatusOr<SocketAddress> proxy = ParseLoopbackAddress(FLAGS_proxy);
    if (!proxy.ok()) {
      LOG(ERROR) << "--proxy: " << proxy.status().message();
      return 1;
    }
    options.proxy = *proxy;
  }
  CHECK(absl::ParseDuration(FLAGS_timeout, &options.timeout));  // validated
  for (int k = 0; k < FLAGS_source_addresses; ++k) {
    options.sources.push_back(IpAddress::FromIPv4(0x7f010001 + k));  // 127.1.*
  }

  if (FLAGS_mode == "connrate") return RunConnRate(options);
  if (FLAGS_mode == "throughput") return RunThroughput(options);
  if (FLAGS_mode == "hold") return RunHold(options);
  LOG(ERROR) << "--mode: want connrate, throughput or hold";
  return 1;
}

}  // namespace
}  // namespace rsockd::testing

int main(int argc, char** argv) {
  FLAGS_logtostderr = true;
  gflags::SetUsageMessage(
      "socks_load --proxy=127.0.0.1:PORT --protocol=socks4|socks5|none "
      "--mode=connrate|throughput|hold [...]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  google::InitGoogleLogging(argv[0]);
  return rsockd::testing::Main();
}
