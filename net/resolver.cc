#include "net/resolver.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace rsockd::net {

struct Resolver::Lookup {
  std::string name;
  absl::Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  absl::StatusOr<std::vector<IpAddress>> result ABSL_GUARDED_BY(mu);
};

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

Resolver::Resolver(const Options& options) : max_pending_(options.max_pending) {
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
  threads_.clear();  // joins
}

void Resolver::Run() {
  for (;;) {
    std::shared_ptr<Lookup> lookup;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Resolver* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return self->stopping_ || !self->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping
      lookup = std::move(queue_.front());
      queue_.pop_front();
    }
    absl::StatusOr<std::vector<IpAddress>> result = LookUpHost(lookup->name);
    {
      absl::MutexLock lock(&lookup->mu);
      lookup->result = std::move(result);
      lookup->done = true;
    }
    absl::MutexLock lock(&mu_);
    --pending_;
  }
}

absl::StatusOr<std::vector<IpAddress>> Resolver::Resolve(absl::string_view name,
                                                         absl::Time deadline) {
  if (std::optional<IpAddress> literal = IpAddress::Parse(name)) {
    return std::vector<IpAddress>{*literal};
  }
  auto lookup = std::make_shared<Lookup>();
  lookup->name = std::string(name);
  {
    absl::MutexLock lock(&mu_);
    if (pending_ >= max_pending_) {
      return absl::ResourceExhaustedError(
          absl::StrCat("cannot resolve ", name, ": too many lookups pending"));
    }
    ++pending_;
    queue_.push_back(lookup);
  }
  absl::MutexLock lock(&lookup->mu);
  if (!lookup->mu.AwaitWithDeadline(absl::Condition(&lookup->done), deadline)) {
    return absl::DeadlineExceededError(
        absl::StrCat("cannot resolve ", name, ": timed out"));
  }
  return lookup->result;
}

}  // namespace rsockd::net
