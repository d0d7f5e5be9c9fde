#include "testing/fake_identd.h"

#include <poll.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "testing/socket_io.h"
#include "testing/tcp_servers.h"

namespace rsockd::testing {
namespace {

// Parses "<cport> , <sport>\r\n" leniently; false when it is not that.
bool ParseQuery(absl::string_view line, uint16_t* client_port,
                uint16_t* server_port) {
  const std::vector<absl::string_view> ports = absl::StrSplit(line, ',');
  uint32_t client = 0;
  uint32_t server = 0;
  if (ports.size() != 2 ||
      !absl::SimpleAtoi(absl::StripAsciiWhitespace(ports[0]), &client) ||
      !absl::SimpleAtoi(absl::StripAsciiWhitespace(ports[1]), &server) ||
      client > 65535 || server > 65535) {
    return false;
  }
  *client_port = static_cast<uint16_t>(client);
  *server_port = static_cast<uint16_t>(server);
  return true;
}

std::string DefaultAnswer(uint16_t client_port, uint16_t server_port) {
  return absl::StrCat(client_port, " , ", server_port,
                      " : USERID : UNIX : ylee\r\n");
}

}  // namespace

FakeIdentd::FakeIdentd(net::Socket listener, net::SocketAddress address)
    : listener_(std::move(listener)), address_(address) {
  script_.answerer = &DefaultAnswer;
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

absl::StatusOr<std::unique_ptr<FakeIdentd>> FakeIdentd::Start() {
  return Start(Loopback());
}

absl::StatusOr<std::unique_ptr<FakeIdentd>> FakeIdentd::Start(
    const net::IpAddress& ip) {
  absl::StatusOr<net::Socket> listener =
      net::Socket::Listen(net::SocketAddress(ip, 0), 128);
  if (!listener.ok()) return listener.status();
  absl::StatusOr<net::SocketAddress> address = listener->LocalAddress();
  if (!address.ok()) return address.status();
  return std::unique_ptr<FakeIdentd>(
      new FakeIdentd(*std::move(listener), *address));
}

FakeIdentd::~FakeIdentd() {
  stop_.Notify();
  acceptor_.join();
  for (Connection& connection : connection_threads_) {
    connection.thread.join();
  }
}

void FakeIdentd::SetScript(Script script) {
  absl::MutexLock lock(&mu_);
  script_ = std::move(script);
}

void FakeIdentd::Answer(Answerer answerer, size_t chunk_size) {
  SetScript(Script{Action::kAnswer, std::move(answerer), chunk_size});
}

void FakeIdentd::Close() { SetScript(Script{Action::kClose, nullptr, 0}); }

void FakeIdentd::BlackHole() {
  SetScript(Script{Action::kBlackHole, nullptr, 0});
}

std::vector<std::string> FakeIdentd::queries() const {
  absl::MutexLock lock(&mu_);
  return queries_;
}

int FakeIdentd::connections() const {
  absl::MutexLock lock(&mu_);
  return connections_accepted_;
}

absl::Status FakeIdentd::WaitForConnections(int count,
                                            absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  const auto reached = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return connections_accepted_ >= count;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&reached), timeout)) {
    return absl::DeadlineExceededError(absl::StrCat(
        "fake identd accepted ", connections_accepted_, " connections, not ",
        count, ", within ", absl::FormatDuration(timeout)));
  }
  return absl::OkStatus();
}

absl::Status FakeIdentd::WaitForQueries(int count,
                                        absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  const auto reached = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return static_cast<int>(queries_.size()) >= count;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&reached), timeout)) {
    return absl::DeadlineExceededError(
        absl::StrCat("fake identd received ", queries_.size(), " queries, not ",
                     count, ", within ", absl::FormatDuration(timeout)));
  }
  return absl::OkStatus();
}

void FakeIdentd::AcceptLoop() {
  for (;;) {
    // Bounded by the fake's life: the StopSignal ends the wait.
    const net::Deadline until_stopped(absl::InfiniteFuture(), &stop_);
    if (!until_stopped.Wait(listener_.fd(), POLLIN).ok()) return;
    absl::StatusOr<net::Socket> connection = listener_.Accept(nullptr);
    if (!connection.ok()) continue;
    Script script;
    {
      absl::MutexLock lock(&mu_);
      ++connections_accepted_;
      script = script_;
    }
    // Join finished connection threads so long tests do not pile them up.
    for (auto it = connection_threads_.begin();
         it != connection_threads_.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = connection_threads_.erase(it);
      } else {
        ++it;
      }
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    connection_threads_.push_back(
        Connection{std::thread([this, done, script = std::move(script),
                                socket = *std::move(connection)]() mutable {
                     Serve(std::move(socket), script);
                     done->store(true);
                   }),
                   done});
  }
}

void FakeIdentd::Serve(net::Socket connection, const Script& script) {
  const auto step = [this] {
    return net::Deadline::In(kTestServerStepTimeout, &stop_);
  };
  std::string query;
  uint8_t buffer[kMaxQueryBytes];
  while (query.size() < kMaxQueryBytes && query.find('\n') == query.npos) {
    absl::StatusOr<size_t> n = connection.ReadSome(
        absl::MakeSpan(buffer, kMaxQueryBytes - query.size()), step());
    if (!n.ok()) return;
    if (*n == 0) break;
    query.append(reinterpret_cast<const char*>(buffer), *n);
  }
  uint16_t client_port = 0;
  uint16_t server_port = 0;
  if (!ParseQuery(query, &client_port, &server_port)) {
    client_port = 0;
    server_port = 0;
  }
  {
    absl::MutexLock lock(&mu_);
    queries_.push_back(query);
  }

  switch (script.action) {
    case Action::kClose:
      return;
    case Action::kBlackHole:
      // Drain until the client gives up or the fake is destroyed.
      for (;;) {
        absl::StatusOr<size_t> n =
            connection.ReadSome(absl::MakeSpan(buffer), step());
        if (!n.ok() || *n == 0) return;
      }
    case Action::kAnswer: {
      const std::string answer = script.answerer(client_port, server_port);
      const size_t chunk =
          script.chunk_size == 0 ? answer.size() : script.chunk_size;
      connection.SetNoDelay();
      for (size_t offset = 0; offset < answer.size(); offset += chunk) {
        const absl::string_view piece =
            absl::string_view(answer).substr(offset, chunk);
        if (!connection.WriteAll(piece, step()).ok()) return;
      }
      connection.ShutdownWrite();
      return;
    }
  }
}

}  // namespace rsockd::testing
