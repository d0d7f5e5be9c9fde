#include "testing/scripted_socks5_server.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "net/deadline.h"
#include "rsockd/base/status_macros.h"

namespace rsockd::testing {
namespace {

// Reads one message into `parser`, never past its end, so that what follows
// it stays in the socket.
absl::Status ReadMessage(net::Socket& connection, net::Socks5Parser& parser,
                         const net::Deadline& deadline) {
  std::array<uint8_t, 512> buffer;
  while (!parser.done()) {
    const size_t want = std::min(parser.bytes_wanted(), buffer.size());
    RSOCKD_ASSIGN_OR_RETURN(
        const size_t n,
        connection.ReadSome(absl::MakeSpan(buffer.data(), want), deadline));
    if (n == 0) return parser.EndOfInput();
    RSOCKD_RETURN_IF_ERROR(
        parser.Feed(absl::MakeConstSpan(buffer.data(), n)).status());
  }
  return absl::OkStatus();
}

}  // namespace

std::string ScriptedSocks5Server::Reply(uint8_t code,
                                        const net::Socks5Address& bound) {
  net::Socks5Reply reply;
  reply.code = static_cast<net::Socks5ReplyCode>(code);
  reply.bound = bound;
  return net::EncodeSocks5Reply(reply);
}

absl::StatusOr<std::unique_ptr<ScriptedSocks5Server>>
ScriptedSocks5Server::Start(Script script) {
  std::unique_ptr<ScriptedSocks5Server> server(
      new ScriptedSocks5Server(std::move(script)));
  absl::StatusOr<std::unique_ptr<TcpServer>> tcp =
      TcpServer::Start([raw = server.get()](net::Socket connection,
                                            const net::StopSignal& stop) {
        raw->Serve(std::move(connection), stop);
      });
  if (!tcp.ok()) return tcp.status();
  server->server_ = *std::move(tcp);
  return server;
}

void ScriptedSocks5Server::Serve(net::Socket connection,
                                 const net::StopSignal& stop) {
  const net::Deadline deadline =
      net::Deadline::In(kTestServerStepTimeout, &stop);
  Exchange exchange;
  // Records what arrived, however far the exchange got.
  const auto record = [&] {
    absl::MutexLock lock(&mu_);
    exchanges_.push_back(std::move(exchange));
  };
  net::Socks5GreetingParser greeting;
  if (!ReadMessage(connection, greeting, deadline).ok()) return;
  exchange.greeting = greeting.greeting();
  if (!connection
           .WriteAll(net::EncodeSocks5MethodChoice(script_.method), deadline)
           .ok() ||
      script_.method == net::Socks5Method::kNoneAcceptable) {
    return record();
  }
  if (script_.method == net::Socks5Method::kUserPass) {
    net::Socks5UserPassParser user_pass;
    if (!ReadMessage(connection, user_pass, deadline).ok()) return record();
    exchange.credentials = user_pass.credentials();
    if (!connection
             .WriteAll(
                 net::EncodeSocks5UserPassStatus(script_.user_pass_status),
                 deadline)
             .ok() ||
        script_.user_pass_status != net::kSocks5UserPassSuccess) {
      return record();
    }
  }
  net::Socks5RequestParser request;
  if (!ReadMessage(connection, request, deadline).ok()) return record();
  exchange.request = request.request();
  record();
  if (!connection.WriteAll(script_.reply, deadline).ok() || !script_.echo) {
    return;
  }
  std::array<uint8_t, 4096> buffer;
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

absl::StatusOr<ScriptedSocks5Server::Exchange>
ScriptedSocks5Server::WaitForExchange(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  const absl::Condition have_one(
      +[](std::deque<Exchange>* exchanges) { return !exchanges->empty(); },
      &exchanges_);
  if (!mu_.AwaitWithTimeout(have_one, timeout)) {
    return absl::DeadlineExceededError(
        absl::StrCat("no exchange within ", absl::FormatDuration(timeout)));
  }
  Exchange exchange = std::move(exchanges_.front());
  exchanges_.pop_front();
  return exchange;
}

}  // namespace rsockd::testing
