#include "net/name_cache.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/status/status.h"

namespace rsockd::net {

NameCache::NameCache(const Options& options) : options_(options) {}

NameCache::Key NameCache::KeyOf(const IpAddress& ip) {
  Key key{};
  key[0] = static_cast<uint8_t>(ip.family());
  std::copy(ip.bytes(), ip.bytes() + ip.size(), key.begin() + 1);
  return key;
}

std::optional<absl::StatusOr<std::string>> NameCache::Find(const IpAddress& ip,
                                                           absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(KeyOf(ip));
  if (it == entries_.end()) {
    ++stats_.misses;
    return std::nullopt;
  }
  if (now >= it->second.expires) {
    by_age_.erase(it->second.age);
    entries_.erase(it);
    ++stats_.misses;
    return std::nullopt;
  }
  ++stats_.hits;
  return it->second.answer;
}

void NameCache::Insert(const IpAddress& ip,
                       const absl::StatusOr<std::string>& answer,
                       absl::Time now) {
  absl::Duration ttl;
  if (answer.ok()) {
    ttl = options_.positive_ttl;
  } else if (absl::IsNotFound(answer.status())) {
    ttl = options_.negative_ttl;
  } else {
    return;  // transient: ask again next time
  }
  if (options_.max_entries == 0 || ttl <= absl::ZeroDuration()) return;

  const Key key = KeyOf(ip);
  absl::MutexLock lock(&mu_);
  if (auto it = entries_.find(key); it != entries_.end()) {
    it->second.answer = answer;
    it->second.expires = now + ttl;
    by_age_.splice(by_age_.end(), by_age_, it->second.age);  // now newest
    return;
  }
  if (entries_.size() >= options_.max_entries) {
    auto oldest = entries_.find(by_age_.front());
    if (now < oldest->second.expires) ++stats_.evictions;
    entries_.erase(oldest);
    by_age_.pop_front();
  }
  by_age_.push_back(key);
  entries_.emplace(key, Entry{answer, now + ttl, std::prev(by_age_.end())});
}

size_t NameCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

NameCache::Stats NameCache::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace rsockd::net
