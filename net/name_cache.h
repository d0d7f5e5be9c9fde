// This file defines `NameCache`, a bounded cache of reverse-lookup answers:
// IP address -> forward-confirmed host name, or "has no such name".
//
// Reverse names are looked up for access rules
// (docs/sockd_conf.md#address-specs) on every request that reaches a name rule;
// the same few clients and servers come back again and again, and a DNS round
// trip per request would be both slow and a load on the DNS servers. The cache
// keeps:
//
//   * positive answers (a confirmed name) for `positive_ttl`;
//   * negative answers (NotFound: no PTR record, or the name does not
//     resolve back to the address) for `negative_ttl`;
//   * failures of the DNS itself (Unavailable: a server failed, refused, or
//     did not answer within the resolver's retries) for `failure_ttl`, so
//     that a dead server is not asked again by every request;
//   * nothing else: DeadlineExceeded (the caller stopped waiting, which says
//     nothing about the name) and other errors are asked again next time.
//
// At most `max_entries` addresses are kept; inserting a new address into a
// full cache evicts the one inserted (or refreshed) longest ago. Expired
// entries are dropped when found (net/expiring_cache.h).
//
// Times are passed in (`now`), so that tests need no clock.
//
// Thread-safe: all methods may be called concurrently.

#ifndef RSOCKD_NET_NAME_CACHE_H_
#define RSOCKD_NET_NAME_CACHE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "net/address.h"
#include "net/expiring_cache.h"

namespace rsockd::net {

class NameCache {
 public:
  struct Options {
    // 0 disables the cache.
    size_t max_entries = 10000;
    absl::Duration positive_ttl = absl::Minutes(5);
    absl::Duration negative_ttl = absl::Minutes(1);
    absl::Duration failure_ttl = absl::Seconds(5);
  };

  using Stats = ExpiringCacheStats;

  explicit NameCache(const Options& options);
  NameCache(const NameCache&) = delete;
  NameCache& operator=(const NameCache&) = delete;

  // Find()
  //
  // The answer cached for `ip` that is still live at `now`: the name,
  // NotFound or Unavailable. nullopt when there is none.
  std::optional<absl::StatusOr<std::string>> Find(const IpAddress& ip,
                                                  absl::Time now);

  // Insert()
  //
  // Caches `answer` for `ip` from `now` on, if it is a name, NotFound or
  // Unavailable; other errors are ignored. Replaces an older answer for `ip`.
  void Insert(const IpAddress& ip, const absl::StatusOr<std::string>& answer,
              absl::Time now);

  // Number of entries held, expired ones not yet dropped included.
  size_t size() const;
  Stats stats() const;

 private:
  // Family, then the 16 address bytes.
  using Key = std::array<uint8_t, 17>;

  static Key KeyOf(const IpAddress& ip);

  const Options options_;
  mutable absl::Mutex mu_;
  ExpiringCache<Key, absl::StatusOr<std::string>> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rsockd::net

#endif  // RSOCKD_NET_NAME_CACHE_H_
