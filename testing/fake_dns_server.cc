#include "testing/fake_dns_server.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/types/span.h"
#include "glog/logging.h"
#include "net/resolver.h"
#include "testing/tcp_servers.h"

namespace rsockd::testing {
namespace {

// RFC 1035 §4.1.1.
constexpr size_t kHeaderSize = 12;
constexpr uint16_t kFlagResponse = 0x8000;
constexpr uint16_t kFlagTruncated = 0x0200;
constexpr uint16_t kFlagRecursionDesired = 0x0100;
constexpr uint16_t kFlagRecursionAvailable = 0x0080;
constexpr uint16_t kRcodeServFail = 2;
constexpr uint16_t kRcodeNxDomain = 3;
constexpr uint16_t kClassIn = 1;
// A compression pointer to the question's name, right after the header.
constexpr uint16_t kPointerToQuestionName = 0xc000 | kHeaderSize;
// The longest name in wire form (RFC 1035 §2.3.4).
constexpr size_t kMaxNameBytes = 255;
// The longest UDP message without EDNS (RFC 1035 §4.2.1).
constexpr size_t kMaxUdpMessage = 512;
// Starts that may find the UDP port taken for TCP before giving up.
constexpr int kBindAttempts = 20;

uint16_t Read16(absl::string_view bytes, size_t offset) {
  return static_cast<uint16_t>(static_cast<uint8_t>(bytes[offset]) << 8 |
                               static_cast<uint8_t>(bytes[offset + 1]));
}

void Append16(uint16_t value, std::string* out) {
  out->push_back(static_cast<char>(value >> 8));
  out->push_back(static_cast<char>(value & 0xff));
}

void Append32(uint32_t value, std::string* out) {
  Append16(static_cast<uint16_t>(value >> 16), out);
  Append16(static_cast<uint16_t>(value & 0xffff), out);
}

// "Www.Test." -> "www.test": the key names are counted and looked up under.
std::string Normalize(absl::string_view name) {
  std::string normal = absl::AsciiStrToLower(name);
  if (absl::EndsWith(normal, ".")) normal.pop_back();
  return normal;
}

// "a.test" -> "\1a\4test\0".
std::string EncodeName(absl::string_view name) {
  std::string wire;
  for (absl::string_view label :
       absl::StrSplit(Normalize(name), '.', absl::SkipEmpty())) {
    wire.push_back(static_cast<char>(label.size()));
    wire.append(label.data(), label.size());
  }
  wire.push_back('\0');
  return wire;
}

}  // namespace

FakeDnsServer::FakeDnsServer(net::Socket udp, net::Socket tcp,
                             net::SocketAddress address)
    : udp_(std::move(udp)), tcp_(std::move(tcp)), address_(address) {
  server_ = std::thread([this] { Serve(); });
}

absl::StatusOr<std::unique_ptr<FakeDnsServer>> FakeDnsServer::Start() {
  const net::IpAddress loopback = *net::IpAddress::Parse("127.0.0.1");
  absl::Status last_error;
  for (int attempt = 0; attempt < kBindAttempts; ++attempt) {
    net::Socket udp(
        ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!udp.valid()) return absl::ErrnoToStatus(errno, "socket");
    sockaddr_storage storage;
    const socklen_t length =
        net::SocketAddress(loopback, 0).ToSockaddr(&storage);
    if (bind(udp.fd(), reinterpret_cast<const sockaddr*>(&storage), length) !=
        0) {
      return absl::ErrnoToStatus(errno, "bind 127.0.0.1:0");
    }
    absl::StatusOr<net::SocketAddress> address = udp.LocalAddress();
    if (!address.ok()) return address.status();
    // The same port for TCP, where the client asks again after a truncated
    // answer; another process may hold it.
    absl::StatusOr<net::Socket> tcp = net::Socket::Listen(*address, 16);
    if (!tcp.ok()) {
      last_error = tcp.status();
      continue;
    }
    return std::unique_ptr<FakeDnsServer>(
        new FakeDnsServer(std::move(udp), *std::move(tcp), *address));
  }
  return last_error;
}

FakeDnsServer::~FakeDnsServer() {
  stop_.Notify();
  server_.join();
}

void FakeDnsServer::AddRecord(absl::string_view name, uint16_t type,
                              std::string data, uint32_t ttl) {
  absl::MutexLock lock(&mu_);
  records_[Normalize(name)].push_back(Record{type, ttl, std::move(data)});
}

void FakeDnsServer::AddAddress(absl::string_view name,
                               const net::IpAddress& address, uint32_t ttl) {
  AddRecord(name, address.is_ipv4() ? kTypeA : kTypeAaaa,
            std::string(reinterpret_cast<const char*>(address.bytes()),
                        address.size()),
            ttl);
}

void FakeDnsServer::AddPointer(const net::IpAddress& address,
                               absl::string_view target, uint32_t ttl) {
  AddRecord(net::ReverseZoneName(address), kTypePtr, EncodeName(target), ttl);
}

void FakeDnsServer::SetBehaviour(absl::string_view name, Behaviour behaviour) {
  absl::MutexLock lock(&mu_);
  behaviours_[Normalize(name)] = behaviour;
}

void FakeDnsServer::SetDefaultBehaviour(Behaviour behaviour) {
  absl::MutexLock lock(&mu_);
  default_behaviour_ = behaviour;
}

void FakeDnsServer::ReleaseHeld() {
  absl::MutexLock lock(&mu_);
  if (default_behaviour_ == Behaviour::kHold) {
    default_behaviour_ = Behaviour::kAnswer;
  }
  for (auto& [name, behaviour] : behaviours_) {
    if (behaviour == Behaviour::kHold) behaviour = Behaviour::kAnswer;
  }
  for (const Held& held : held_) {
    Send(Respond(held.query, Behaviour::kAnswer, held.client), held.client);
  }
  held_.clear();
}

int FakeDnsServer::queries(absl::string_view name) const {
  absl::MutexLock lock(&mu_);
  auto it = queries_.find(Normalize(name));
  return it == queries_.end() ? 0 : it->second;
}

int FakeDnsServer::total_queries() const {
  absl::MutexLock lock(&mu_);
  return total_queries_;
}

absl::Status FakeDnsServer::WaitForQueries(int count,
                                           absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  const auto reached = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return total_queries_ >= count;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&reached), timeout)) {
    return absl::DeadlineExceededError(absl::StrCat(
        "fake DNS server received ", total_queries_, " queries, not ", count,
        ", within ", absl::FormatDuration(timeout)));
  }
  return absl::OkStatus();
}

bool FakeDnsServer::ParseQuery(absl::string_view message, Query* query) {
  if (message.size() < kHeaderSize) return false;
  const uint16_t flags = Read16(message, 2);
  if ((flags & kFlagResponse) != 0 || Read16(message, 4) != 1) return false;
  query->id = Read16(message, 0);
  query->recursion_desired = (flags & kFlagRecursionDesired) != 0;
  query->name.clear();
  size_t offset = kHeaderSize;
  for (;;) {
    if (offset >= message.size() || offset - kHeaderSize >= kMaxNameBytes) {
      return false;
    }
    const uint8_t length = static_cast<uint8_t>(message[offset++]);
    if (length == 0) break;
    // Queries carry no compression pointers (0xc0) or other label kinds.
    if ((length & 0xc0) != 0 || offset + length > message.size()) {
      return false;
    }
    if (!query->name.empty()) query->name.push_back('.');
    query->name.append(message.data() + offset, length);
    offset += length;
  }
  if (offset + 4 > message.size() || Read16(message, offset + 2) != kClassIn) {
    return false;
  }
  query->name = Normalize(query->name);
  query->type = Read16(message, offset);
  query->question =
      std::string(message.substr(kHeaderSize, offset + 4 - kHeaderSize));
  return true;
}

void FakeDnsServer::Serve() {
  // Bounded by the fake's life: the StopSignal ends the wait.
  const net::Deadline until_stopped(absl::InfiniteFuture(), &stop_);
  for (;;) {
    std::vector<pollfd> fds = {{udp_.fd(), POLLIN, 0}, {tcp_.fd(), POLLIN, 0}};
    for (const Connection& connection : connections_) {
      fds.push_back({connection.socket->fd(), POLLIN, 0});
    }
    if (!until_stopped.Wait(absl::MakeSpan(fds)).ok()) return;
    if (fds[0].revents != 0) ReadDatagrams();
    if (fds[1].revents != 0) {
      absl::StatusOr<net::Socket> accepted = tcp_.Accept(nullptr);
      if (accepted.ok()) {
        connections_.push_back(Connection{
            std::make_shared<net::Socket>(*std::move(accepted)), ""});
      }
    }
    // The connections polled, in order; one accepted just now comes after.
    auto connection = connections_.begin();
    for (size_t i = 2; i < fds.size(); ++i) {
      if (fds[i].revents != 0 && !ReadStream(*connection)) {
        connection = connections_.erase(connection);
      } else {
        ++connection;
      }
    }
  }
}

void FakeDnsServer::ReadDatagrams() {
  char buffer[4096];
  for (;;) {
    Client client;
    client.peer_length = sizeof(client.peer);
    const ssize_t n = recvfrom(udp_.fd(), buffer, sizeof(buffer), 0,
                               reinterpret_cast<sockaddr*>(&client.peer),
                               &client.peer_length);
    if (n < 0) return;  // EAGAIN: drained (or an error to wait out)
    Handle(absl::string_view(buffer, n), client);
  }
}

bool FakeDnsServer::ReadStream(Connection& connection) {
  char buffer[4096];
  const ssize_t n = recv(connection.socket->fd(), buffer, sizeof(buffer), 0);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return false;
  if (n > 0) connection.buffer.append(buffer, n);
  // RFC 1035 §4.2.2: each message behind its two-byte length.
  Client client;
  client.connection = connection.socket;
  while (connection.buffer.size() >= 2) {
    const size_t length = Read16(connection.buffer, 0);
    if (connection.buffer.size() < 2 + length) break;
    Handle(absl::string_view(connection.buffer).substr(2, length), client);
    connection.buffer.erase(0, 2 + length);
  }
  return true;
}

void FakeDnsServer::Handle(absl::string_view message, const Client& client) {
  Query query;
  if (!ParseQuery(message, &query)) return;
  absl::MutexLock lock(&mu_);
  ++queries_[query.name];
  ++total_queries_;
  auto it = behaviours_.find(query.name);
  const Behaviour behaviour =
      it == behaviours_.end() ? default_behaviour_ : it->second;
  switch (behaviour) {
    case Behaviour::kSilent:
      return;
    case Behaviour::kHold:
      held_.push_back(Held{client, std::move(query)});
      return;
    default:
      Send(Respond(query, behaviour, client), client);
  }
}

std::string FakeDnsServer::Respond(const Query& query, Behaviour behaviour,
                                   const Client& client) const {
  std::vector<const Record*> answers;
  uint16_t rcode = 0;
  if (behaviour == Behaviour::kNxDomain) {
    rcode = kRcodeNxDomain;
  } else if (behaviour == Behaviour::kServFail) {
    rcode = kRcodeServFail;
  } else if (auto it = records_.find(query.name); it == records_.end()) {
    rcode = kRcodeNxDomain;
  } else {
    for (const Record& record : it->second) {
      if (record.type == query.type) answers.push_back(&record);
    }
  }
  std::string records;
  for (const Record* record : answers) {
    Append16(kPointerToQuestionName, &records);
    Append16(record->type, &records);
    Append16(kClassIn, &records);
    Append32(record->ttl, &records);
    Append16(static_cast<uint16_t>(record->data.size()), &records);
    records.append(record->data);
  }
  // Too long for UDP: no records, marked truncated, so that the client asks
  // again over TCP.
  const bool truncated =
      client.connection == nullptr &&
      kHeaderSize + query.question.size() + records.size() > kMaxUdpMessage;
  std::string response;
  Append16(query.id, &response);
  Append16(kFlagResponse | kFlagRecursionAvailable |
               (query.recursion_desired ? kFlagRecursionDesired : 0) |
               (truncated ? kFlagTruncated : 0) | rcode,
           &response);
  Append16(1, &response);  // QDCOUNT
  Append16(truncated ? 0 : static_cast<uint16_t>(answers.size()), &response);
  Append16(0, &response);  // NSCOUNT
  Append16(0, &response);  // ARCOUNT
  response.append(query.question);
  if (!truncated) response.append(records);
  return response;
}

void FakeDnsServer::Send(const std::string& response,
                         const Client& client) const {
  if (client.connection != nullptr) {
    std::string framed;
    Append16(static_cast<uint16_t>(response.size()), &framed);
    framed.append(response);
    // A client that left takes the failure with it.
    (void)client.connection->WriteAll(
        framed, net::Deadline::In(kTestServerStepTimeout, &stop_));
    return;
  }
  // A full send buffer drops the answer, as the network may.
  if (sendto(udp_.fd(), response.data(), response.size(), MSG_DONTWAIT,
             reinterpret_cast<const sockaddr*>(&client.peer),
             client.peer_length) < 0) {
    PLOG(WARNING) << "fake DNS server: sendto";
  }
}

}  // namespace rsockd::testing
