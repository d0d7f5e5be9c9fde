#include "testing/tcp_servers.h"

#include <poll.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "testing/sha256.h"
#include "testing/socket_io.h"

namespace rsockd::testing {
namespace {

net::Deadline StepDeadline(const net::StopSignal& stop) {
  return net::Deadline::In(kTestServerStepTimeout, &stop);
}

absl::Span<const uint8_t> AsBytes(const uint8_t* data, size_t size) {
  return absl::Span<const uint8_t>(data, size);
}

void Echo(net::Socket connection, const net::StopSignal& stop) {
  uint8_t buffer[64 * 1024];
  for (;;) {
    absl::StatusOr<size_t> n =
        connection.ReadSome(absl::MakeSpan(buffer), StepDeadline(stop));
    if (!n.ok()) return;
    if (*n == 0) break;
    if (!connection.WriteAll(AsBytes(buffer, *n), StepDeadline(stop)).ok()) {
      return;
    }
  }
  connection.ShutdownWrite();
}

}  // namespace

// TcpServer

TcpServer::TcpServer(net::Socket listener, net::SocketAddress address,
                     Handler handler)
    : listener_(std::move(listener)),
      address_(address),
      handler_(std::move(handler)) {
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

absl::StatusOr<std::unique_ptr<TcpServer>> TcpServer::Start(
    Handler handler, const net::IpAddress& ip) {
  absl::StatusOr<net::Socket> listener =
      net::Socket::Listen(net::SocketAddress(ip, 0), 128);
  if (!listener.ok()) return listener.status();
  absl::StatusOr<net::SocketAddress> address = listener->LocalAddress();
  if (!address.ok()) return address.status();
  return std::unique_ptr<TcpServer>(
      new TcpServer(*std::move(listener), *address, std::move(handler)));
}

TcpServer::~TcpServer() {
  stop_.Notify();
  acceptor_.join();
  for (Connection& connection : connections_) connection.thread.join();
}

void TcpServer::AcceptLoop() {
  for (;;) {
    // Bounded by the server's life: the StopSignal ends the wait.
    const net::Deadline until_stopped(absl::InfiniteFuture(), &stop_);
    if (!until_stopped.Wait(listener_.fd(), POLLIN).ok()) return;
    absl::StatusOr<net::Socket> connection = listener_.Accept(nullptr);
    if (!connection.ok()) continue;
    {
      absl::MutexLock lock(&mu_);
      ++accepted_;
    }
    // Join the threads of finished connections so that long tests do not
    // pile them up.
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    connections_.push_back(Connection{
        std::thread([this, done, socket = *std::move(connection)]() mutable {
          handler_(std::move(socket), stop_);
          done->store(true);
        }),
        done});
  }
}

int TcpServer::accepted() const {
  absl::MutexLock lock(&mu_);
  return accepted_;
}

absl::Status TcpServer::WaitForAccepted(int count,
                                        absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  const auto reached = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return accepted_ >= count;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&reached), timeout)) {
    return absl::DeadlineExceededError(
        absl::StrCat("accepted ", accepted_, " connections, not ", count,
                     ", within ", absl::FormatDuration(timeout)));
  }
  return absl::OkStatus();
}

// EchoServer

absl::StatusOr<std::unique_ptr<EchoServer>> EchoServer::Start(
    const net::IpAddress& ip) {
  absl::StatusOr<std::unique_ptr<TcpServer>> server =
      TcpServer::Start(&Echo, ip);
  if (!server.ok()) return server.status();
  return std::unique_ptr<EchoServer>(new EchoServer(*std::move(server)));
}

// SinkServer

SinkServer::SinkServer(std::string reply, ReplyWhen when)
    : reply_(std::move(reply)), when_(when) {}

absl::StatusOr<std::unique_ptr<SinkServer>> SinkServer::Start(std::string reply,
                                                              ReplyWhen when) {
  std::unique_ptr<SinkServer> sink(new SinkServer(std::move(reply), when));
  SinkServer* raw = sink.get();
  absl::StatusOr<std::unique_ptr<TcpServer>> server = TcpServer::Start(
      [raw](net::Socket connection, const net::StopSignal& stop) {
        raw->Serve(std::move(connection), stop);
      });
  if (!server.ok()) return server.status();
  sink->server_ = *std::move(server);
  return sink;
}

void SinkServer::Serve(net::Socket connection, const net::StopSignal& stop) {
  Stream stream;
  if (absl::StatusOr<net::SocketAddress> peer = connection.PeerAddress();
      peer.ok()) {
    stream.peer = *peer;
  }
  const auto send_reply = [&] {
    absl::Status status = connection.WriteAll(reply_, StepDeadline(stop));
    if (status.ok()) connection.ShutdownWrite();
    return status;
  };
  std::thread writer;
  if (when_ == ReplyWhen::kConcurrently) {
    writer = std::thread([&] { stream.reply_status = send_reply(); });
  }
  Sha256 hash;
  uint8_t buffer[64 * 1024];
  for (;;) {
    absl::StatusOr<size_t> n =
        connection.ReadSome(absl::MakeSpan(buffer), StepDeadline(stop));
    if (!n.ok()) {
      stream.read_status = n.status();
      break;
    }
    if (*n == 0) break;
    hash.Update(absl::string_view(reinterpret_cast<const char*>(buffer), *n));
    stream.bytes_received += *n;
  }
  stream.sha256_received = hash.HexDigest();
  if (when_ == ReplyWhen::kConcurrently) {
    writer.join();
  } else if (stream.read_status.ok()) {
    stream.reply_status = send_reply();
  } else {
    stream.reply_status = absl::AbortedError("reply not sent: read failed");
  }
  absl::MutexLock lock(&mu_);
  finished_.push_back(std::move(stream));
}

absl::StatusOr<SinkServer::Stream> SinkServer::WaitForStream(
    absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  const auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !finished_.empty();
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&ready), timeout)) {
    return absl::DeadlineExceededError(
        absl::StrCat("no connection to the sink server finished within ",
                     absl::FormatDuration(timeout)));
  }
  Stream stream = std::move(finished_.front());
  finished_.pop_front();
  return stream;
}

// HttpServer

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    std::string body) {
  std::unique_ptr<HttpServer> http(new HttpServer(std::move(body)));
  HttpServer* raw = http.get();
  absl::StatusOr<std::unique_ptr<TcpServer>> server = TcpServer::Start(
      [raw](net::Socket connection, const net::StopSignal& stop) {
        raw->Serve(std::move(connection), stop);
      });
  if (!server.ok()) return server.status();
  http->server_ = *std::move(server);
  return http;
}

void HttpServer::Serve(net::Socket connection, const net::StopSignal& stop) {
  constexpr size_t kMaxHeader = 64 * 1024;
  std::string request;
  uint8_t buffer[4096];
  while (!absl::StrContains(request, "\r\n\r\n")) {
    absl::StatusOr<size_t> n =
        connection.ReadSome(absl::MakeSpan(buffer), StepDeadline(stop));
    if (!n.ok() || *n == 0 || request.size() > kMaxHeader) return;
    request.append(reinterpret_cast<const char*>(buffer), *n);
  }
  const std::string request_line = request.substr(0, request.find("\r\n"));
  {
    absl::MutexLock lock(&mu_);
    request_lines_.push_back(request_line);
  }
  std::string response;
  if (absl::StartsWith(request_line, "GET ")) {
    response = absl::StrCat(
        "HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n"
        "Content-Length: ",
        body_.size(), "\r\nConnection: close\r\n\r\n", body_);
  } else {
    response = "HTTP/1.0 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n";
  }
  if (!connection.WriteAll(response, StepDeadline(stop)).ok()) return;
  connection.ShutdownWrite();
  // Let the client close first, so our close never resets the connection
  // while the response is still in flight.
  (void)ReadUntilClosed(connection, StepDeadline(stop), kMaxHeader);
}

std::vector<std::string> HttpServer::request_lines() const {
  absl::MutexLock lock(&mu_);
  return request_lines_;
}

}  // namespace rsockd::testing
