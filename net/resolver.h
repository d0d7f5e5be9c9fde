// This file defines `Resolver`, host name lookup and forward-confirmed
// reverse lookup with a deadline.
//
// getaddrinfo(3) and getnameinfo(3) block for as long as the system resolver
// likes (resolv.conf timeouts times attempts times servers). A session must
// never wait longer than its own deadline, so lookups run on a small pool of
// resolver threads and the caller waits for the answer only until its
// deadline. A caller that gives up leaves the lookup to finish in the
// background; its result is then dropped (a reverse lookup's answer still
// fills the cache). The number of pending lookups is bounded so that a dead
// DNS server cannot make work pile up without limit.
//
// Reverse names (`ReverseName`) are for access rules (SPEC §4.3). A PTR
// record is whatever the owner of the address's reverse zone says, so a name
// counts only when it is forward-confirmed: the name found by getnameinfo
// (NI_NAMEREQD) must resolve (getaddrinfo) back to a list that includes the
// address. Answers are kept in a bounded `NameCache` shared by all callers
// (positive 5 minutes, negative 1 minute, 10,000 addresses by default);
// concurrent lookups of the same address share one query.
//
//   net::Resolver resolver({});
//   absl::StatusOr<std::string> name =
//       resolver.ReverseName(client_ip, absl::Now() + absl::Seconds(10));
//   if (name.ok()) ...  // e.g. "host.example.org", lower case, no final dot
//
// Thread-safe. The destructor waits for lookups in progress to finish.

#ifndef RSOCKD_NET_RESOLVER_H_
#define RSOCKD_NET_RESOLVER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "net/address.h"
#include "net/name_cache.h"
#include "net/thread.h"

namespace rsockd::net {

class Resolver {
 public:
  struct Options {
    int threads = 4;
    // Lookups queued or running at most (both kinds); more fail at once.
    int max_pending = 256;
  };

  // For ReverseName().
  struct ReverseOptions {
    // Size and lifetimes of the reverse-name cache.
    NameCache::Options cache;
    // The blocking lookup run on the resolver threads; empty means
    // `LookUpConfirmedName`. Tests put a fake here.
    std::function<absl::StatusOr<std::string>(const IpAddress&)> lookup;
  };

  // Counters of `ReverseName`, for tests and monitoring.
  struct ReverseStats {
    // Blocking lookups started on the resolver threads.
    uint64_t lookups = 0;
    // Calls that waited for a lookup of the same address already running.
    uint64_t joined = 0;
    // Hits, misses and evictions of the cache.
    NameCache::Stats cache;
    // Addresses in the cache.
    size_t cached = 0;
  };

  // With the default ReverseOptions.
  explicit Resolver(const Options& options);
  Resolver(const Options& options, const ReverseOptions& reverse);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Resolve()
  //
  // The addresses of `name` (IPv4 and IPv6, in the system's preferred order,
  // without duplicates). An IP literal is returned as is without a lookup.
  // NotFound when the name does not resolve; DeadlineExceeded when the answer
  // does not come by `deadline`; ResourceExhausted when too many lookups are
  // pending.
  absl::StatusOr<std::vector<IpAddress>> Resolve(absl::string_view name,
                                                 absl::Time deadline);

  // ReverseName()
  //
  // The forward-confirmed reverse name of `ip`, in lower case without a
  // trailing dot, from the cache or else looked up on the resolver threads.
  // NotFound when `ip` has no PTR record, or its name does not resolve back
  // to `ip` (both cached as negative answers); DeadlineExceeded when the
  // answer does not come by `deadline` (not cached: the lookup goes on and
  // its answer is cached when it comes); Unavailable for a temporary DNS
  // failure (not cached); ResourceExhausted when too many lookups are
  // pending. A cached answer is returned even after `deadline`.
  absl::StatusOr<std::string> ReverseName(const IpAddress& ip,
                                          absl::Time deadline);

  ReverseStats reverse_stats() const;

 private:
  template <typename T>
  class Answer;
  using ReverseAnswer = Answer<absl::StatusOr<std::string>>;

  // Queues `task` for the resolver threads, unless too many are pending.
  bool Enqueue(absl::AnyInvocable<void() &&> task)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Run();

  const int max_pending_;
  const std::function<absl::StatusOr<std::string>(const IpAddress&)>
      reverse_lookup_;
  NameCache reverse_cache_;

  mutable absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void() &&>> queue_ ABSL_GUARDED_BY(mu_);
  int pending_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Reverse lookups queued or running, by address (IpAddress::ToString()).
  absl::flat_hash_map<std::string, std::shared_ptr<ReverseAnswer>> in_flight_
      ABSL_GUARDED_BY(mu_);
  uint64_t reverse_lookups_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t reverse_joined_ ABSL_GUARDED_BY(mu_) = 0;

  // Last: joined (in the destructor) before anything above goes away.
  std::vector<Thread> threads_;
};

// The blocking lookups themselves, exposed for the resolver threads and
// tests. Errors as for Resolve() / ReverseName().
absl::StatusOr<std::vector<IpAddress>> LookUpHost(const std::string& name);
absl::StatusOr<std::string> LookUpConfirmedName(const IpAddress& ip);

}  // namespace rsockd::net

#endif  // RSOCKD_NET_RESOLVER_H_
