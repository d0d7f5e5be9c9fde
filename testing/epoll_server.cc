#include "testing/epoll_server.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <unordered_map>
#include <utility>

#include "absl/status/status.h"
#include "glog/logging.h"
#include "rsockd/base/status_macros.h"

namespace rsockd::testing {
namespace {

constexpr int kMaxEvents = 64;
// Connections accepted per wake-up of the listener.
constexpr int kAcceptsPerWake = 64;
// Reads per wake-up of a connection, so one busy stream cannot starve the
// others of its loop.
constexpr int kReadsPerWake = 8;

}  // namespace

struct EpollServer::Connection {
  explicit Connection(net::Socket accepted) : socket(std::move(accepted)) {}

  net::Socket socket;
  // Bytes read for echoing so far (kEchoThenClose stops at its limit).
  size_t echoed = 0;
  // Echo bytes the socket did not take yet. While there are any, the
  // connection waits for EPOLLOUT and is not read: that is the backpressure
  // that bounds this buffer.
  std::string unsent;
};

// One event loop: its epoll descriptor, the connections it accepted, and a
// read buffer. Touched only by its thread once running.
class EpollServer::Loop {
 public:
  static absl::StatusOr<std::unique_ptr<Loop>> Create(EpollServer& server) {
    const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0) return absl::ErrnoToStatus(errno, "epoll_create1()");
    auto loop = std::unique_ptr<Loop>(new Loop(server, epoll_fd));
    RSOCKD_RETURN_IF_ERROR(loop->Add(
        server.listener_.fd(), EPOLLIN | EPOLLEXCLUSIVE, &server.listener_));
    RSOCKD_RETURN_IF_ERROR(
        loop->Add(server.stop_.fd(), EPOLLIN, &server.stop_));
    return loop;
  }

  ~Loop() { close(epoll_fd_); }

  // Serves connections until the server's StopSignal fires.
  void Run() {
    epoll_event events[kMaxEvents];
    for (;;) {
      const int n = epoll_wait(epoll_fd_, events, kMaxEvents, -1);
      if (n < 0) {
        PCHECK(errno == EINTR) << "epoll_wait";  // else a bug: EBADF, EINVAL
        continue;
      }
      for (int i = 0; i < n; ++i) {
        void* const tag = events[i].data.ptr;
        if (tag == &server_.stop_) {
          connections_.clear();
          return;
        }
        if (tag == &server_.listener_) {
          AcceptSome();
          continue;
        }
        auto* connection = static_cast<Connection*>(tag);
        const bool keep = connection->unsent.empty() ? OnReadable(*connection)
                                                     : OnWritable(*connection);
        if (!keep) {
          connections_.erase(connection);  // closing leaves the epoll set
          server_.closed_.fetch_add(1);
        }
      }
    }
  }

 private:
  Loop(EpollServer& server, int epoll_fd)
      : server_(server),
        epoll_fd_(epoll_fd),
        buffer_(server.options_.mode == Mode::kDiscard ? 256 << 10 : 16 << 10) {
  }

  absl::Status Add(int fd, uint32_t events, void* tag) {
    epoll_event event{};
    event.events = events;
    event.data.ptr = tag;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
      return absl::ErrnoToStatus(errno, "epoll_ctl(EPOLL_CTL_ADD)");
    }
    return absl::OkStatus();
  }

  // Switches `connection` to waiting for `events`; false when that fails.
  bool Watch(Connection& connection, uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.ptr = &connection;
    return epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, connection.socket.fd(),
                     &event) == 0;
  }

  void AcceptSome() {
    for (int i = 0; i < kAcceptsPerWake; ++i) {
      absl::StatusOr<net::Socket> accepted = server_.listener_.Accept(nullptr);
      if (!accepted.ok()) {
        if (!absl::IsUnavailable(accepted.status())) {  // not EAGAIN
          LOG_EVERY_N(WARNING, 1000) << "accept: " << accepted.status();
        }
        return;
      }
      accepted->SetNoDelay();
      auto connection = std::make_unique<Connection>(*std::move(accepted));
      server_.accepted_.fetch_add(1);
      if (absl::Status added =
              Add(connection->socket.fd(), EPOLLIN, connection.get());
          !added.ok()) {
        LOG_EVERY_N(WARNING, 1000) << "connection dropped: " << added;
        server_.closed_.fetch_add(1);
        continue;
      }
      Connection* const key = connection.get();
      connections_.emplace(key, std::move(connection));
    }
  }

  // Handles readability; false when the connection is finished.
  bool OnReadable(Connection& connection) {
    const Options& options = server_.options_;
    for (int round = 0; round < kReadsPerWake; ++round) {
      size_t want = buffer_.size();
      if (options.mode == Mode::kEchoThenClose) {
        want = std::min(want, options.echo_limit - connection.echoed);
      }
      const ssize_t n = recv(connection.socket.fd(), buffer_.data(), want, 0);
      if (n == 0) return false;
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno == EAGAIN;
      }
      server_.bytes_received_.fetch_add(n, std::memory_order_relaxed);
      if (options.mode == Mode::kDiscard) continue;
      connection.echoed += n;
      const ssize_t sent =
          send(connection.socket.fd(), buffer_.data(), n, MSG_NOSIGNAL);
      if (sent < 0 && errno != EAGAIN && errno != EINTR) return false;
      const size_t done = sent < 0 ? 0 : sent;
      if (done < static_cast<size_t>(n)) {
        connection.unsent.assign(
            reinterpret_cast<const char*>(buffer_.data()) + done, n - done);
        return Watch(connection, EPOLLOUT);
      }
      if (EchoIsComplete(connection)) return false;
    }
    return true;
  }

  // Handles writability while an echo is unsent; false when the connection
  // is finished.
  bool OnWritable(Connection& connection) {
    const ssize_t sent = send(connection.socket.fd(), connection.unsent.data(),
                              connection.unsent.size(), MSG_NOSIGNAL);
    if (sent < 0) return errno == EAGAIN || errno == EINTR;
    connection.unsent.erase(0, sent);
    if (!connection.unsent.empty()) return true;
    if (EchoIsComplete(connection)) return false;
    return Watch(connection, EPOLLIN);
  }

  // kEchoThenClose: everything it echoes is out, so it closes (first: the
  // TIME_WAIT stays on this side).
  bool EchoIsComplete(const Connection& connection) const {
    return server_.options_.mode == Mode::kEchoThenClose &&
           connection.echoed >= server_.options_.echo_limit;
  }

  EpollServer& server_;
  const int epoll_fd_;
  std::vector<uint8_t> buffer_;
  std::unordered_map<const Connection*, std::unique_ptr<Connection>>
      connections_;
};

EpollServer::EpollServer(const Options& options, net::Socket listener,
                         net::SocketAddress address)
    : options_(options), listener_(std::move(listener)), address_(address) {}

absl::StatusOr<std::unique_ptr<EpollServer>> EpollServer::Start(
    const Options& options) {
  if (options.threads < 1) {
    return absl::InvalidArgumentError("EpollServer needs at least 1 thread");
  }
  if (options.mode == Mode::kEchoThenClose && options.echo_limit == 0) {
    return absl::InvalidArgumentError("kEchoThenClose needs an echo_limit");
  }
  RSOCKD_ASSIGN_OR_RETURN(
      net::Socket listener,
      net::Socket::Listen(net::SocketAddress(options.ip, 0), SOMAXCONN));
  RSOCKD_ASSIGN_OR_RETURN(const net::SocketAddress address,
                          listener.LocalAddress());
  auto server = std::unique_ptr<EpollServer>(
      new EpollServer(options, std::move(listener), address));
  for (int i = 0; i < options.threads; ++i) {
    RSOCKD_ASSIGN_OR_RETURN(std::unique_ptr<Loop> loop, Loop::Create(*server));
    server->loops_.push_back(std::move(loop));
  }
  for (const std::unique_ptr<Loop>& loop : server->loops_) {
    server->threads_.emplace_back([loop = loop.get()] { loop->Run(); });
  }
  return server;
}

EpollServer::~EpollServer() {
  stop_.Notify();
  for (std::thread& thread : threads_) thread.join();
}

}  // namespace rsockd::testing
