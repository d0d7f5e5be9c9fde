// This file defines in-process TCP servers on 127.0.0.1:0 that end-to-end
// tests use as proxy destinations:
//
//   TcpServer    the common part: an accept thread and one thread per
//                connection running a handler; every thread is joined.
//   EchoServer   echoes every byte; on EOF half-closes its side and ends.
//   SinkServer   reads everything, records the byte count and SHA-256, and
//                sends a fixed reply (after the client's EOF, or at the same
//                time), then half-closes — for half-close and "both ways at
//                once" tests.
//   HttpServer   a minimal HTTP/1.0 server answering every GET with a fixed
//                body, for curl.
//
// Shutdown: the destructor fires a StopSignal that every wait in the
// servers watches, then joins the accept thread and all connection threads.
// Every blocking step is also bounded by a per-step timeout, so a handler
// can never hang a test run.
//
// Thread-safety: the accessors are thread-safe.

#ifndef RSOCKD_TESTING_TCP_SERVERS_H_
#define RSOCKD_TESTING_TCP_SERVERS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/socket.h"

namespace rsockd::testing {

// How long any single blocking step of a test server may take.
inline constexpr absl::Duration kTestServerStepTimeout = absl::Minutes(5);

// TcpServer
//
// Listens on 127.0.0.1:0 and runs `handler` on a new thread for each
// accepted connection.
class TcpServer {
 public:
  // `stop` fires when the server is being destroyed; deadlines the handler
  // uses should watch it (`net::Deadline::In(timeout, &stop)`).
  using Handler =
      std::function<void(net::Socket connection, const net::StopSignal& stop)>;

  // Listens on `ip`:0 (any 127.x.y.z can be bound on Linux).
  static absl::StatusOr<std::unique_ptr<TcpServer>> Start(
      Handler handler,
      const net::IpAddress& ip = *net::IpAddress::Parse("127.0.0.1"));
  ~TcpServer();

  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  const net::SocketAddress& address() const { return address_; }
  uint16_t port() const { return address_.port(); }

  // Connections accepted so far.
  int accepted() const;
  // Waits until at least `count` connections have been accepted.
  absl::Status WaitForAccepted(int count, absl::Duration timeout) const;

 private:
  TcpServer(net::Socket listener, net::SocketAddress address, Handler handler);
  void AcceptLoop();

  struct Connection {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };

  net::Socket listener_;
  const net::SocketAddress address_;
  const Handler handler_;
  net::StopSignal stop_;
  // Touched only by the accept thread, then by the destructor after joining
  // it.
  std::list<Connection> connections_;
  mutable absl::Mutex mu_;
  int accepted_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread acceptor_;
};

// EchoServer
class EchoServer {
 public:
  static absl::StatusOr<std::unique_ptr<EchoServer>> Start(
      const net::IpAddress& ip = *net::IpAddress::Parse("127.0.0.1"));

  const net::SocketAddress& address() const { return server_->address(); }
  uint16_t port() const { return server_->port(); }
  int accepted() const { return server_->accepted(); }
  absl::Status WaitForAccepted(int count, absl::Duration timeout) const {
    return server_->WaitForAccepted(count, timeout);
  }

 private:
  explicit EchoServer(std::unique_ptr<TcpServer> server)
      : server_(std::move(server)) {}
  std::unique_ptr<TcpServer> server_;
};

// SinkServer
class SinkServer {
 public:
  enum class ReplyWhen {
    // Read to EOF first, then send the reply: a client that half-closes
    // must still get it.
    kAfterEof,
    // Send the reply while reading, so both directions are busy at once.
    kConcurrently,
  };

  // What one finished connection received and how its reply went.
  struct Stream {
    uint64_t bytes_received = 0;
    std::string sha256_received;
    net::SocketAddress peer;
    // OK when all of the reply was written and the side half-closed.
    absl::Status reply_status;
    // OK when the client's side ended with an orderly EOF.
    absl::Status read_status;
  };

  static absl::StatusOr<std::unique_ptr<SinkServer>> Start(std::string reply,
                                                           ReplyWhen when);

  const net::SocketAddress& address() const { return server_->address(); }
  uint16_t port() const { return server_->port(); }

  // Waits for the next connection (in order of completion) to finish.
  absl::StatusOr<Stream> WaitForStream(absl::Duration timeout);

 private:
  SinkServer(std::string reply, ReplyWhen when);
  void Serve(net::Socket connection, const net::StopSignal& stop);

  const std::string reply_;
  const ReplyWhen when_;
  absl::Mutex mu_;
  std::list<Stream> finished_ ABSL_GUARDED_BY(mu_);
  // Last member: destroyed (threads joined) before the fields they use.
  std::unique_ptr<TcpServer> server_;
};

// HttpServer
class HttpServer {
 public:
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(std::string body);

  const net::SocketAddress& address() const { return server_->address(); }
  uint16_t port() const { return server_->port(); }
  // The request lines ("GET / HTTP/1.1") answered so far, in order.
  std::vector<std::string> request_lines() const;

 private:
  explicit HttpServer(std::string body) : body_(std::move(body)) {}
  void Serve(net::Socket connection, const net::StopSignal& stop);

  const std::string body_;
  mutable absl::Mutex mu_;
  std::vector<std::string> request_lines_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<TcpServer> server_;
};

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_TCP_SERVERS_H_
