#include "testing/fake_dns_server.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "glog/logging.h"
#include "net/resolver.h"

namespace rsockd::testing {
namespace {

// RFC 1035 §4.1.1.
constexpr size_t kHeaderSize = 12;
constexpr uint16_t kFlagResponse = 0x8000;
constexpr uint16_t kFlagRecursionDesired = 0x0100;
constexpr uint16_t kFlagRecursionAvailable = 0x0080;
constexpr uint16_t kRcodeServFail = 2;
constexpr uint16_t kRcodeNxDomain = 3;
constexpr uint16_t kClassIn = 1;
// A compression pointer to the question's name, right after the header.
constexpr uint16_t kPointerToQuestionName = 0xc000 | kHeaderSize;
// The longest name in wire form (RFC 1035 §2.3.4).
constexpr size_t kMaxNameBytes = 255;

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

FakeDnsServer::FakeDnsServer(net::Socket socket, net::SocketAddress address)
    : socket_(std::move(socket)), address_(address) {
  server_ = std::thread([this] { Serve(); });
}

absl::StatusOr<std::unique_ptr<FakeDnsServer>> FakeDnsServer::Start() {
  net::Socket socket(
      ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!socket.valid()) return absl::ErrnoToStatus(errno, "socket");
  sockaddr_storage storage;
  const socklen_t length =
      net::SocketAddress(*net::IpAddress::Parse("127.0.0.1"), 0)
          .ToSockaddr(&storage);
  if (bind(socket.fd(), reinterpret_cast<const sockaddr*>(&storage), length) !=
      0) {
    return absl::ErrnoToStatus(errno, "bind 127.0.0.1:0");
  }
  absl::StatusOr<net::SocketAddress> address = socket.LocalAddress();
  if (!address.ok()) return address.status();
  return std::unique_ptr<FakeDnsServer>(
      new FakeDnsServer(std::move(socket), *address));
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
    Send(Respond(held.query, Behaviour::kAnswer), held.peer, held.peer_length);
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

bool FakeDnsServer::ParseQuery(absl::string_view datagram, Query* query) {
  if (datagram.size() < kHeaderSize) return false;
  const uint16_t flags = Read16(datagram, 2);
  if ((flags & kFlagResponse) != 0 || Read16(datagram, 4) != 1) return false;
  query->id = Read16(datagram, 0);
  query->recursion_desired = (flags & kFlagRecursionDesired) != 0;
  query->name.clear();
  size_t offset = kHeaderSize;
  for (;;) {
    if (offset >= datagram.size() || offset - kHeaderSize >= kMaxNameBytes) {
      return false;
    }
    const uint8_t length = static_cast<uint8_t>(datagram[offset++]);
    if (length == 0) break;
    // Queries carry no compression pointers (0xc0) or other label kinds.
    if ((length & 0xc0) != 0 || offset + length > datagram.size()) {
      return false;
    }
    if (!query->name.empty()) query->name.push_back('.');
    query->name.append(datagram.data() + offset, length);
    offset += length;
  }
  if (offset + 4 > datagram.size() ||
      Read16(datagram, offset + 2) != kClassIn) {
    return false;
  }
  query->name = Normalize(query->name);
  query->type = Read16(datagram, offset);
  query->question =
      std::string(datagram.substr(kHeaderSize, offset + 4 - kHeaderSize));
  return true;
}

void FakeDnsServer::Serve() {
  // Bounded by the fake's life: the StopSignal ends the wait.
  const net::Deadline until_stopped(absl::InfiniteFuture(), &stop_);
  char buffer[4096];
  while (until_stopped.Wait(socket_.fd(), POLLIN).ok()) {
    for (;;) {
      sockaddr_storage peer;
      socklen_t peer_length = sizeof(peer);
      const ssize_t n =
          recvfrom(socket_.fd(), buffer, sizeof(buffer), 0,
                   reinterpret_cast<sockaddr*>(&peer), &peer_length);
      if (n < 0) break;  // EAGAIN: drained (or an error to wait out)
      Handle(absl::string_view(buffer, n), peer, peer_length);
    }
  }
}

void FakeDnsServer::Handle(absl::string_view datagram,
                           const sockaddr_storage& peer,
                           socklen_t peer_length) {
  Query query;
  if (!ParseQuery(datagram, &query)) return;
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
      held_.push_back(Held{peer, peer_length, std::move(query)});
      return;
    default:
      Send(Respond(query, behaviour), peer, peer_length);
  }
}

std::string FakeDnsServer::Respond(const Query& query,
                                   Behaviour behaviour) const {
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
  std::string response;
  Append16(query.id, &response);
  Append16(kFlagResponse | kFlagRecursionAvailable |
               (query.recursion_desired ? kFlagRecursionDesired : 0) | rcode,
           &response);
  Append16(1, &response);                                      // QDCOUNT
  Append16(static_cast<uint16_t>(answers.size()), &response);  // ANCOUNT
  Append16(0, &response);                                      // NSCOUNT
  Append16(0, &response);                                      // ARCOUNT
  response.append(query.question);
  for (const Record* record : answers) {
    Append16(kPointerToQuestionName, &response);
    Append16(record->type, &response);
    Append16(kClassIn, &response);
    Append32(record->ttl, &response);
    Append16(static_cast<uint16_t>(record->data.size()), &response);
    response.append(record->data);
  }
  return response;
}

void FakeDnsServer::Send(const std::string& response,
                         const sockaddr_storage& peer,
                         socklen_t peer_length) const {
  // A full send buffer drops the answer, as the network may.
  if (sendto(socket_.fd(), response.data(), response.size(), MSG_DONTWAIT,
             reinterpret_cast<const sockaddr*>(&peer), peer_length) < 0) {
    PLOG(WARNING) << "fake DNS server: sendto";
  }
}

}  // namespace rsockd::testing
