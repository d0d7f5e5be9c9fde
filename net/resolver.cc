#include "net/resolver.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace rsockd::net {

// The answer to one lookup, set once by a resolver thread and awaited by any
// number of callers, each until its own deadline.
template <typename T>
class Resolver::Answer {
 public:
  void Set(T value) {
    absl::MutexLock lock(&mu_);
    value_.emplace(std::move(value));
  }

  // The answer, or nullopt when it is not there by `deadline`.
  std::optional<T> WaitUntil(absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithDeadline(
        absl::Condition(
            +[](std::optional<T>* value) { return value->has_value(); },
            &value_),
        deadline);
    return value_;
  }

 private:
  absl::Mutex mu_;
  std::optional<T> value_ ABSL_GUARDED_BY(mu_);
};

namespace {

// Characters a reverse name may hold. Stricter than DNS (which allows any
// byte) but wider than the rule syntax: '_' appears in real PTR records.
bool IsNameCharacter(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
         c == '.' || c == '_';
}

}  // namespace

absl::StatusOr<std::vector<IpAddress>> LookUpHost(const std::string& name) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const int error = getaddrinfo(name.c_str(), nullptr, &hints, &list);
  if (error != 0) {
    const std::string message =
        absl::StrCat("cannot resolve ", name, ": ", gai_strerror(error));
    if (error == EAI_AGAIN) return absl::UnavailableError(message);
    return absl::NotFoundError(message);
  }
  std::vector<IpAddress> addresses;
  for (const addrinfo* entry = list; entry != nullptr; entry = entry->ai_next) {
    absl::StatusOr<SocketAddress> address =
        SocketAddress::FromSockaddr(entry->ai_addr, entry->ai_addrlen);
    if (address.ok() && std::find(addresses.begin(), addresses.end(),
                                  address->ip()) == addresses.end()) {
      addresses.push_back(address->ip());
    }
  }
  freeaddrinfo(list);
  if (addresses.empty()) {
    return absl::NotFoundError(absl::StrCat("no address for ", name));
  }
  return addresses;
}

absl::StatusOr<std::string> LookUpConfirmedName(const IpAddress& ip) {
  const std::string address = ip.ToString();
  sockaddr_storage storage{};
  const socklen_t length = SocketAddress(ip, 0).ToSockaddr(&storage);
  char host[NI_MAXHOST];
  const int error =
      getnameinfo(reinterpret_cast<const sockaddr*>(&storage), length, host,
                  sizeof(host), nullptr, 0, NI_NAMEREQD);
  if (error != 0) {
    const std::string message = absl::StrCat("no reverse name for ", address,
                                             ": ", gai_strerror(error));
    switch (error) {
      case EAI_NONAME:
      case EAI_FAIL:
        return absl::NotFoundError(message);
      case EAI_AGAIN:
        return absl::UnavailableError(message);
      default:
        return absl::InternalError(message);
    }
  }

  std::string name = absl::AsciiStrToLower(host);
  if (absl::EndsWith(name, ".")) name.pop_back();
  // A PTR record may say anything; only plain host names are worth
  // confirming. A numeric "name" would resolve to itself.
  if (name.empty() || !std::all_of(name.begin(), name.end(), IsNameCharacter) ||
      IpAddress::Parse(name).has_value()) {
    return absl::NotFoundError(absl::StrCat("reverse name of ", address,
                                            " is not a host name: \"",
                                            absl::CHexEscape(name), "\""));
  }

  absl::StatusOr<std::vector<IpAddress>> forward = LookUpHost(name);
  if (!forward.ok()) {
    if (absl::IsUnavailable(forward.status())) return forward.status();
    return absl::NotFoundError(
        absl::StrCat("reverse name ", name, " of ", address,
                     " does not resolve: ", forward.status().message()));
  }
  if (std::find(forward->begin(), forward->end(), ip) == forward->end()) {
    return absl::NotFoundError(absl::StrCat("reverse name ", name, " of ",
                                            address,
                                            " does not resolve back to it"));
  }
  return name;
}

Resolver::Resolver(const Options& options)
    : Resolver(options, ReverseOptions()) {}

Resolver::Resolver(const Options& options, const ReverseOptions& reverse)
    : max_pending_(options.max_pending),
      reverse_lookup_(reverse.lookup ? reverse.lookup : LookUpConfirmedName),
      reverse_cache_(reverse.cache) {
  for (int i = 0; i < options.threads; ++i) {
    absl::StatusOr<Thread> thread = Thread::Start([this] { Run(); });
    CHECK(thread.ok()) << "cannot start resolver thread: " << thread.status();
    threads_.push_back(*std::move(thread));
  }
}

Resolver::~Resolver() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  threads_.clear();  // joins, after the queue is drained
}

bool Resolver::Enqueue(absl::AnyInvocable<void() &&> task) {
  if (pending_ >= max_pending_) return false;
  ++pending_;
  queue_.push_back(std::move(task));
  return true;
}

void Resolver::Run() {
  for (;;) {
    absl::AnyInvocable<void() &&> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Resolver* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return self->stopping_ || !self->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    std::move(task)();
    absl::MutexLock lock(&mu_);
    --pending_;
  }
}

absl::StatusOr<std::vector<IpAddress>> Resolver::Resolve(absl::string_view name,
                                                         absl::Time deadline) {
  if (std::optional<IpAddress> literal = IpAddress::Parse(name)) {
    return std::vector<IpAddress>{*literal};
  }
  using HostAnswer = Answer<absl::StatusOr<std::vector<IpAddress>>>;
  auto answer = std::make_shared<HostAnswer>();
  {
    absl::MutexLock lock(&mu_);
    if (!Enqueue([answer, host = std::string(name)] {
          answer->Set(LookUpHost(host));
        })) {
      return absl::ResourceExhaustedError(
          absl::StrCat("cannot resolve ", name, ": too many lookups pending"));
    }
  }
  std::optional<absl::StatusOr<std::vector<IpAddress>>> result =
      answer->WaitUntil(deadline);
  if (!result.has_value()) {
    return absl::DeadlineExceededError(
        absl::StrCat("cannot resolve ", name, ": timed out"));
  }
  return *std::move(result);
}

absl::StatusOr<std::string> Resolver::ReverseName(const IpAddress& ip,
                                                  absl::Time deadline) {
  if (std::optional<absl::StatusOr<std::string>> cached =
          reverse_cache_.Find(ip, absl::Now())) {
    return *std::move(cached);
  }
  const std::string key = ip.ToString();
  std::shared_ptr<ReverseAnswer> answer;
  {
    absl::MutexLock lock(&mu_);
    if (auto it = in_flight_.find(key); it != in_flight_.end()) {
      answer = it->second;
      ++reverse_joined_;
    } else {
      answer = std::make_shared<ReverseAnswer>();
      const bool queued = Enqueue([this, ip, key, answer] {
        absl::StatusOr<std::string> result = reverse_lookup_(ip);
        {
          // Cached before the callers wake, so that a caller coming after
          // them finds it.
          absl::MutexLock task_lock(&mu_);
          reverse_cache_.Insert(ip, result, absl::Now());
          in_flight_.erase(key);
        }
        answer->Set(std::move(result));
      });
      if (!queued) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "no reverse name for ", key, ": too many lookups pending"));
      }
      in_flight_.emplace(key, answer);
      ++reverse_lookups_;
    }
  }
  std::optional<absl::StatusOr<std::string>> result =
      answer->WaitUntil(deadline);
  if (!result.has_value()) {
    return absl::DeadlineExceededError(
        absl::StrCat("no reverse name for ", key, ": timed out"));
  }
  return *std::move(result);
}

Resolver::ReverseStats Resolver::reverse_stats() const {
  ReverseStats stats;
  {
    absl::MutexLock lock(&mu_);
    stats.lookups = reverse_lookups_;
    stats.joined = reverse_joined_;
  }
  stats.cache = reverse_cache_.stats();
  stats.cached = reverse_cache_.size();
  return stats;
}

}  // namespace rsockd::net
