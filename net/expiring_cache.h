// This file defines `ExpiringCache`, a map of bounded size whose entries
// each expire at their own time: the storage under the resolver's caches
// (net/name_cache.h for reverse names, net/resolver.h for host names).
//
// At most `max_entries` keys are kept; inserting a new key into a full cache
// evicts the entry inserted (or refreshed) longest ago, live or not. Expired
// entries are dropped when found. Times are passed in (`now`), so that tests
// need no clock.
//
//   ExpiringCache<std::string, int> cache(/*max_entries=*/100);
//   cache.Insert("a", 1, /*expires=*/now + absl::Seconds(30), now);
//   std::optional<int> a = cache.Find("a", now);  // 1 until the 30 s pass
//
// Not thread-safe: the owner serialises all calls (its own mutex).

#ifndef RSOCKD_NET_EXPIRING_CACHE_H_
#define RSOCKD_NET_EXPIRING_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <list>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/time/time.h"

namespace rsockd::net {

// Counters of one cache, for tests and monitoring.
struct ExpiringCacheStats {
  uint64_t hits = 0;       // Find() found a live entry
  uint64_t misses = 0;     // Find() found nothing, or an expired entry
  uint64_t evictions = 0;  // live entries dropped to make room
};

template <typename Key, typename Value, typename Hash = absl::Hash<Key>>
class ExpiringCache {
 public:
  using Stats = ExpiringCacheStats;

  // 0 disables the cache: nothing is kept.
  explicit ExpiringCache(size_t max_entries) : max_entries_(max_entries) {}
  ExpiringCache(const ExpiringCache&) = delete;
  ExpiringCache& operator=(const ExpiringCache&) = delete;

  // Find()
  //
  // The value cached for `key` that is still live at `now`, or nullopt.
  std::optional<Value> Find(const Key& key, absl::Time now) {
    auto it = entries_.find(key);
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
    return it->second.value;
  }

  // Insert()
  //
  // Caches `value` for `key` until `expires` (nothing when that is not after
  // `now`), replacing an older value; the entry becomes the newest.
  void Insert(const Key& key, Value value, absl::Time expires, absl::Time now) {
    if (max_entries_ == 0 || expires <= now) return;
    if (auto it = entries_.find(key); it != entries_.end()) {
      it->second.value = std::move(value);
      it->second.expires = expires;
      by_age_.splice(by_age_.end(), by_age_, it->second.age);
      return;
    }
    if (entries_.size() >= max_entries_) {
      auto oldest = entries_.find(by_age_.front());
      if (now < oldest->second.expires) ++stats_.evictions;
      entries_.erase(oldest);
      by_age_.pop_front();
    }
    by_age_.push_back(key);
    entries_.emplace(
        key, Entry{std::move(value), expires, std::prev(by_age_.end())});
  }

  // Number of entries held, expired ones not yet dropped included.
  size_t size() const { return entries_.size(); }
  const Stats& stats() const { return stats_; }

 private:
  struct Entry {
    Value value;
    absl::Time expires;
    typename std::list<Key>::iterator age;  // position in `by_age_`
  };

  const size_t max_entries_;
  absl::flat_hash_map<Key, Entry, Hash> entries_;
  // Keys from the oldest insertion to the newest.
  std::list<Key> by_age_;
  Stats stats_;
};

}  // namespace rsockd::net

#endif  // RSOCKD_NET_EXPIRING_CACHE_H_
