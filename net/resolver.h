// This file defines `Resolver`, host name lookup with a deadline.
//
// getaddrinfo(3) blocks for as long as the system resolver likes (resolv.conf
// timeouts times attempts times servers). A session must never wait longer
// than its own deadline, so lookups run on a small pool of resolver threads
// and the caller waits for the answer only until its deadline. A caller that
// gives up leaves the lookup to finish in the background; its result is then
// dropped. The number of pending lookups is bounded so that a dead DNS server
// cannot make work pile up without limit.
//
// Thread-safe. The destructor waits for lookups in progress to finish.

#ifndef RSOCKD_NET_RESOLVER_H_
#define RSOCKD_NET_RESOLVER_H_

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "net/address.h"
#include "net/thread.h"

namespace rsockd::net {

class Resolver {
 public:
  struct Options {
    int threads = 4;
    // Lookups queued or running at most; more fail at once.
    int max_pending = 256;
  };

  explicit Resolver(const Options& options);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // The addresses of `name` (IPv4 and IPv6, in the system's preferred order,
  // without duplicates). An IP literal is returned as is without a lookup.
  // NotFound when the name does not resolve; DeadlineExceeded when the answer
  // does not come by `deadline`; ResourceExhausted when too many lookups are
  // pending.
  absl::StatusOr<std::vector<IpAddress>> Resolve(absl::string_view name,
                                                 absl::Time deadline);

 private:
  struct Lookup;

  void Run();

  absl::Mutex mu_;
  std::deque<std::shared_ptr<Lookup>> queue_ ABSL_GUARDED_BY(mu_);
  int pending_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  const int max_pending_;
  std::vector<Thread> threads_;
};

// The blocking lookup itself, exposed for the resolver threads and tests.
absl::StatusOr<std::vector<IpAddress>> LookUpHost(const std::string& name);

}  // namespace rsockd::net

#endif  // RSOCKD_NET_RESOLVER_H_
