// This file defines `EpollServer`, the load generator's target: a TCP server
// on a loopback address that echoes or discards, run by a few epoll loops so
// that one thread serves thousands of connections. Every figure socks_load
// prints (docs/benchmark.md) is measured against it.
//
// Unlike the thread-per-connection servers of tcp_servers.h, it never blocks
// on one connection: an echo the peer's window cannot take yet is kept and
// finished when the socket turns writable, and that connection is not read
// meanwhile (so a reader that falls behind slows only its own writer, and
// the server's memory stays bounded).
//
//   ASSERT_OK_AND_ASSIGN(auto echo, EpollServer::Start({
//       .mode = EpollServer::Mode::kEchoThenClose, .echo_limit = 64}));
//   ... connect to echo->address() ...
//
// Shutdown: the destructor stops and joins the loops, which close every
// connection still open and their epoll descriptors.
//
// Thread-safety: the accessors are thread-safe.

#ifndef RSOCKD_TESTING_EPOLL_SERVER_H_
#define RSOCKD_TESTING_EPOLL_SERVER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/socket.h"

namespace rsockd::testing {

class EpollServer {
 public:
  enum class Mode {
    // Echo the first `echo_limit` bytes, then close first. A benchmark that
    // makes tens of thousands of connections a second must not leave
    // TIME_WAIT sockets on the ports its clients pick: closing first puts it
    // on this server's side (and, through a proxy, on the proxy's listening
    // side), where it blocks nothing.
    kEchoThenClose,
    // Echo everything; close at the peer's EOF once the echo is out.
    kEcho,
    // Read and count everything; close at the peer's EOF.
    kDiscard,
  };

  struct Options {
    Mode mode = Mode::kEcho;
    // kEchoThenClose only: bytes to echo before closing; positive.
    size_t echo_limit = 0;
    // Event-loop threads; they share the listener (EPOLLEXCLUSIVE, so one
    // loop wakes per connection).
    int threads = 1;
    // Any 127.x.y.z can be bound on Linux; the port is always picked by the
    // kernel.
    net::IpAddress ip = net::IpAddress::FromIPv4(0x7f000001);
  };

  static absl::StatusOr<std::unique_ptr<EpollServer>> Start(
      const Options& options);
  ~EpollServer();

  EpollServer(const EpollServer&) = delete;
  EpollServer& operator=(const EpollServer&) = delete;

  const net::SocketAddress& address() const { return address_; }
  // Bytes read from all connections so far.
  int64_t bytes_received() const { return bytes_received_.load(); }
  // Connections accepted and not yet closed.
  int64_t open_connections() const { return accepted_.load() - closed_.load(); }
  // Connections closed so far, by either side.
  int64_t closed_connections() const { return closed_.load(); }

 private:
  struct Connection;
  class Loop;

  EpollServer(const Options& options, net::Socket listener,
              net::SocketAddress address);

  const Options options_;
  net::Socket listener_;  // not const: its address is an epoll tag
  const net::SocketAddress address_;
  net::StopSignal stop_;
  std::atomic<int64_t> bytes_received_{0};
  std::atomic<int64_t> accepted_{0};
  std::atomic<int64_t> closed_{0};
  std::vector<std::unique_ptr<Loop>> loops_;
  // Each runs one of `loops_`; joined by the destructor.
  std::vector<std::thread> threads_;
};

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_EPOLL_SERVER_H_
