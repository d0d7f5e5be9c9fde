// This file defines `Resolver`, host name lookup and forward-confirmed
// reverse lookup with a deadline, through c-ares.
//
// Driven by the caller. A lookup runs on the thread that asks for it: c-ares
// sends the queries, and the calling thread polls c-ares' sockets itself
// until the answer comes or its own `Deadline` passes (or its StopSignal
// fires). There is no resolver thread and no queue, so a DNS server that
// never answers costs only the requests that need it, each within its own
// deadline; names answered from /etc/hosts or from the cache never wait
// behind it.
//
// Merged. Concurrent lookups of one name (for ReverseName: of one address)
// share one c-ares query. The first caller drives it; later callers wait for
// its answer, each until its own deadline. When the driving caller's
// deadline passes while others still wait, one of them takes over driving
// the same query (a c-ares channel keeps the query's state, whoever holds
// it); the query is dropped when nobody waits for it any more.
//
// Cached (docs/operations.md "DNS"). Forward answers are kept for their DNS
// TTL, at most `max_ttl`. An answer with TTL 0 is not kept, and that
// includes every answer from /etc/hosts, which c-ares gives TTL 0: the file
// is read again for each lookup, which is cheap and makes an edit count at
// once. Failures of the DNS itself (no such name, no address, a bad name,
// SERVFAIL or REFUSED, no answer within c-ares' own retries) are kept for
// `failure_ttl`. A caller's deadline passing or its StopSignal firing says
// nothing about the name and is never kept. At most `max_cached_names`
// names are kept; the one inserted longest ago is evicted first.
//
// Reverse names (`ReverseName`) are for the name rules of sockd.conf(5). A
// PTR record is whatever the owner of the address's reverse zone says, so a
// name counts only when it is forward-confirmed: the name the PTR lookup
// finds (in /etc/hosts, else in the DNS) must resolve, through `Resolve`,
// back to a list that includes the address. Answers are kept in a
// `NameCache`.
//
// Configuration. Each lookup that the cache does not answer reads
// `resolv_conf` (nameserver, search, domain, sortlist, and the options
// ndots:, retrans: in milliseconds, retry: and rotate; c-ares 1.18 does not
// read glibc's timeout: and attempts:) and /etc/hosts, in the order of the
// hosts: line of /etc/nsswitch.conf, so edits take effect without a restart.
// `servers`, when given, replace resolv.conf's nameserver lines (which
// cannot name a port).
//
//   RSOCKD_ASSIGN_OR_RETURN(std::unique_ptr<net::Resolver> resolver,
//                    net::Resolver::Create({}));
//   absl::StatusOr<std::vector<net::IpAddress>> addresses =
//       resolver->Resolve("www.example.org",
//                         net::Deadline::In(absl::Seconds(10), stop));
//
// Thread-safe. Every call returns by its deadline and leaves no thread or
// query behind; the destructor requires that no call is in progress.

#ifndef RSOCKD_NET_RESOLVER_H_
#define RSOCKD_NET_RESOLVER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/expiring_cache.h"
#include "net/name_cache.h"

namespace rsockd::net {

class Resolver {
 public:
  struct Options {
    // The resolver configuration c-ares reads, and whether it must exist.
    // A missing file reads as an empty one (c-ares then asks 127.0.0.1), as
    // glibc does; rsockd requires it when --resolv_conf names it.
    std::string resolv_conf = "/etc/resolv.conf";
    bool require_resolv_conf = false;
    // DNS servers to ask instead of resolv.conf's nameserver lines, in
    // order (see ParseDnsServers()); empty: resolv.conf's.
    std::vector<SocketAddress> servers;
    // The forward cache: its size (0 disables it), the longest TTL it
    // honours, and how long a DNS failure is kept.
    size_t max_cached_names = 10000;
    absl::Duration max_ttl = absl::Hours(1);
    absl::Duration failure_ttl = absl::Seconds(5);
    // The reverse-name cache.
    NameCache::Options reverse_cache;
    // The caches' clock; empty means absl::Now. Deadlines always use the
    // real clock. For tests.
    std::function<absl::Time()> clock;
  };

  // Counters of one kind of lookup (forward or reverse), for tests and
  // monitoring.
  struct Stats {
    // Queries started.
    uint64_t lookups = 0;
    // Calls that waited for a query of the same name or address already
    // running.
    uint64_t joined = 0;
    // Times a waiting caller took over driving a query whose driver gave up.
    uint64_t handoffs = 0;
    // Queries dropped unanswered because nobody waited for them any more.
    uint64_t abandoned = 0;
    // Hits, misses and evictions of the cache, and the entries it holds.
    ExpiringCacheStats cache;
    size_t cached = 0;

    // "lookups=12 joined=3 handoffs=0 abandoned=1 cached=10 hits=40
    // misses=12 evictions=0"
    std::string ToString() const;
  };

  // Checks that `options.resolv_conf` exists (when required) and that
  // c-ares accepts the configuration (FailedPrecondition, naming the file,
  // when not).
  static absl::StatusOr<std::unique_ptr<Resolver>> Create(
      const Options& options);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Resolve()
  //
  // The addresses of `name` (IPv4 and IPv6 in the order c-ares sorts them,
  // RFC 6724, without duplicates, the first 64; IPv4-mapped IPv6 addresses
  // as IPv4). An IP
  // literal is returned as is without a lookup. NotFound when the name does
  // not resolve; Unavailable when the DNS failed; DeadlineExceeded when the
  // answer does not come by `deadline`; Cancelled when its StopSignal fires.
  // A cached answer is returned even after `deadline`.
  absl::StatusOr<std::vector<IpAddress>> Resolve(absl::string_view name,
                                                 const Deadline& deadline);

  // ReverseName()
  //
  // The forward-confirmed reverse name of `ip`, in lower case without a
  // trailing dot. NotFound when `ip` has no PTR record, or its name does not
  // resolve back to `ip`; otherwise errors as for Resolve().
  absl::StatusOr<std::string> ReverseName(const IpAddress& ip,
                                          const Deadline& deadline);

  Stats forward_stats() const;
  Stats reverse_stats() const;

 private:
  // What one query found: the addresses and their TTL (forward), or the
  // name (reverse).
  struct Answer {
    std::vector<IpAddress> addresses;
    absl::Duration ttl;
    std::string name;
  };
  class Flight;
  enum class Kind { kForward, kReverse };
  // The queries in flight of one kind, by name or address, and its counters.
  struct Lane {
    absl::flat_hash_map<std::string, std::shared_ptr<Flight>> flights;
    Stats counters;
  };
  // A caller's place in a flight.
  struct Seat {
    std::shared_ptr<Flight> flight;
    bool driving;
  };

  explicit Resolver(const Options& options);
  absl::Time Now() const;
  Lane& LaneOf(Kind kind) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return kind == Kind::kForward ? forward_ : reverse_;
  }
  // The flight for `key`, joined, or a new one that the caller drives
  // (ResourceExhausted when no descriptor is left for it).
  absl::StatusOr<Seat> Board(Kind kind, const std::string& key,
                             absl::string_view what)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // For a new flight: a channel (with `lookups` instead of the configured
  // order when not null) on which `start` starts the query. On failure the
  // flight's outcome is the error.
  void Launch(Flight& flight, const char* lookups,
              absl::FunctionRef<void(Flight&)> start) const;
  // Waits in `seat` for the answer, driving the query whenever the seat is
  // (or becomes) the driver's, until `deadline`; then leaves the flight.
  absl::StatusOr<Answer> Ride(Kind kind, const std::string& key, Seat seat,
                              const Deadline& deadline);
  // Polls the flight's channel until its query has an outcome (OK), or
  // `deadline` passes or its StopSignal fires.
  static absl::Status Drive(Flight& flight, const Deadline& deadline);
  // The driver, with an outcome: publishes it to the waiters and (forward)
  // caches it.
  void Land(Kind kind, const std::string& key, Flight& flight,
            const absl::StatusOr<Answer>& outcome);
  // Takes `flight` out of `lane` (when it is still the one there).
  static void Erase(Lane& lane, const std::string& key, const Flight& flight);
  // A caller without an answer leaves; the last one drops the query.
  void Leave(Kind kind, const std::string& key, Flight& flight, bool driving);
  // The forward cache's policy (see the file comment).
  void CacheForward(const std::string& key,
                    const absl::StatusOr<Answer>& outcome)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::string> Confirm(const IpAddress& ip,
                                      absl::StatusOr<Answer> pointer,
                                      const Deadline& deadline);

  const std::string resolv_conf_;
  const std::vector<SocketAddress> servers_;
  const absl::Duration max_ttl_;
  const absl::Duration failure_ttl_;
  const std::function<absl::Time()> clock_;
  NameCache reverse_cache_;

  mutable absl::Mutex mu_;
  Lane forward_ ABSL_GUARDED_BY(mu_);
  Lane reverse_ ABSL_GUARDED_BY(mu_);
  // Host name (lower case) -> addresses, NotFound or Unavailable.
  ExpiringCache<std::string, absl::StatusOr<std::vector<IpAddress>>> host_cache_
      ABSL_GUARDED_BY(mu_);
};

// ReverseZoneName()
//
// The name under which the DNS keeps the PTR record of `address`:
// "4.3.2.1.in-addr.arpa" for 1.2.3.4, nibbles under "ip6.arpa" for IPv6.
std::string ReverseZoneName(const IpAddress& address);

// ParseDnsServers()
//
// A list of DNS servers as Resolver::Options::servers takes it, from
// "127.0.0.1:5353, [::1]:53, 192.0.2.53": IP literals, each with an optional
// port (53 when none; an IPv6 address with a port in brackets), separated by
// commas. InvalidArgument, naming the item, for anything else or an empty
// list.
absl::StatusOr<std::vector<SocketAddress>> ParseDnsServers(
    absl::string_view list);

}  // namespace rsockd::net

#endif  // RSOCKD_NET_RESOLVER_H_
