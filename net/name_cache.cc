#include "net/name_cache.h"

#include <algorithm>

#include "absl/status/status.h"

namespace rsockd::net {

NameCache::NameCache(const Options& options)
    : options_(options), cache_(options.max_entries) {}

NameCache::Key NameCache::KeyOf(const IpAddress& ip) {
  Key key{};
  key[0] = static_cast<uint8_t>(ip.family());
  std::copy(ip.bytes(), ip.bytes() + ip.size(), key.begin() + 1);
  return key;
}

std::optional<absl::StatusOr<std::string>> NameCache::Find(const IpAddress& ip,
                                                           absl::Time now) {
  absl::MutexLock lock(&mu_);
  return cache_.Find(KeyOf(ip), now);
}

void NameCache::Insert(const IpAddress& ip,
                       const absl::StatusOr<std::string>& answer,
                       absl::Time now) {
  absl::Duration ttl;
  if (answer.ok()) {
    ttl = options_.positive_ttl;
  } else if (absl::IsNotFound(answer.status())) {
    ttl = options_.negative_ttl;
  } else if (absl::IsUnavailable(answer.status())) {
    ttl = options_.failure_ttl;
  } else {
    return;  // the caller's own trouble: ask again next time
  }
  absl::MutexLock lock(&mu_);
  cache_.Insert(KeyOf(ip), answer, now + ttl, now);
}

size_t NameCache::size() const {
  absl::MutexLock lock(&mu_);
  return cache_.size();
}

NameCache::Stats NameCache::stats() const {
  absl::MutexLock lock(&mu_);
  return cache_.stats();
}

}  // namespace rsockd::net
