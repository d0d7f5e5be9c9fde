#include "testing/scripted_socks4_server.h"

#include <array>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "net/deadline.h"
#include "net/socks4.h"

namespace rsockd::testing {

std::string ScriptedSocks4Server::Reply(uint8_t code) {
  const std::array<uint8_t, 8> bytes = net::EncodeSocks4Reply(
      static_cast<net::Socks4ReplyCode>(code), 0, net::IpAddress());
  return std::string(bytes.begin(), bytes.end());
}

absl::StatusOr<std::unique_ptr<ScriptedSocks4Server>>
ScriptedSocks4Server::Start(std::string reply) {
  std::unique_ptr<ScriptedSocks4Server> server(
      new ScriptedSocks4Server(std::move(reply)));
  absl::StatusOr<std::unique_ptr<TcpServer>> tcp =
      TcpServer::Start([raw = server.get()](net::Socket connection,
                                            const net::StopSignal& stop) {
        raw->Serve(std::move(connection), stop);
      });
  if (!tcp.ok()) return tcp.status();
  server->server_ = *std::move(tcp);
  return server;
}

void ScriptedSocks4Server::Serve(net::Socket connection,
                                 const net::StopSignal& stop) {
  const net::Deadline deadline =
      net::Deadline::In(kTestServerStepTimeout, &stop);
  net::Socks4RequestParser parser;
  std::string request;
  std::array<uint8_t, 4096> buffer;
  std::string early;
  while (!parser.done()) {
    absl::StatusOr<size_t> n =
        connection.ReadSome(absl::MakeSpan(buffer), deadline);
    if (!n.ok() || *n == 0) return;
    absl::StatusOr<size_t> used =
        parser.Feed(absl::MakeConstSpan(buffer.data(), *n));
    if (!used.ok()) return;
    request.append(reinterpret_cast<const char*>(buffer.data()), *used);
    early.assign(reinterpret_cast<const char*>(buffer.data()) + *used,
                 *n - *used);
  }
  {
    absl::MutexLock lock(&mu_);
    requests_.push_back(request);
  }
  if (!connection.WriteAll(reply_, deadline).ok()) return;
  if (reply_ != Reply(90)) return;
  // Echo, starting with bytes that came with the request.
  if (!early.empty() && !connection.WriteAll(early, deadline).ok()) return;
  for (;;) {
    absl::StatusOr<size_t> n =
        connection.ReadSome(absl::MakeSpan(buffer), deadline);
    if (!n.ok() || *n == 0) break;
    if (!connection.WriteAll(absl::MakeConstSpan(buffer.data(), *n), deadline)
             .ok()) {
      return;
    }
  }
  connection.ShutdownWrite();
}

absl::StatusOr<std::string> ScriptedSocks4Server::WaitForRequest(
    absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  const absl::Condition have_one(
      +[](std::deque<std::string>* requests) { return !requests->empty(); },
      &requests_);
  if (!mu_.AwaitWithTimeout(have_one, timeout)) {
    return absl::DeadlineExceededError(
        absl::StrCat("no request within ", absl::FormatDuration(timeout)));
  }
  std::string request = std::move(requests_.front());
  requests_.pop_front();
  return request;
}

}  // namespace rsockd::testing
