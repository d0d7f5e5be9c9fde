// This file defines `UpstreamHealth`, what rsockd remembers about upstream
// SOCKS servers that failed (docs/socks_conf.md#upstream-chaining): a server
// that could not be reached, or that closed or garbled its reply, is tried last
// for
// --upstream_retry_after, by every worker.
//
//   for (const rules::UpstreamServer* server :
//        health.Order(servers, retry_after, absl::Now())) {
//     ... on a fault:   health.MarkDown(*server, absl::Now());
//     ... on an answer: health.MarkUp(*server);
//   }
//
// A server marked down is not skipped: when every server is down, they are
// still all tried, in list order, so a recovered network is found at once.
// A well-formed refusal (91..93) is an answer, so it marks the server up.
//
// Thread-safe: one instance is shared by all workers.

#ifndef RSOCKD_RSOCKD_SERVER_UPSTREAM_HEALTH_H_
#define RSOCKD_RSOCKD_SERVER_UPSTREAM_HEALTH_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "rules/socks_conf.h"

namespace rsockd {

class UpstreamHealth {
 public:
  UpstreamHealth() = default;
  UpstreamHealth(const UpstreamHealth&) = delete;
  UpstreamHealth& operator=(const UpstreamHealth&) = delete;

  // The servers in the order to try them: those not down (no fault within
  // `retry_after` before `now`) in list order, then the down ones in list
  // order. Points into `servers`.
  std::vector<const rules::UpstreamServer*> Order(
      absl::Span<const rules::UpstreamServer> servers,
      absl::Duration retry_after, absl::Time now) const;

  void MarkDown(const rules::UpstreamServer& server, absl::Time now);
  void MarkUp(const rules::UpstreamServer& server);

  // For the stats snapshot: "fw1:1080 down 12s ago", one per server whose
  // last fault is within `retry_after`, sorted by name; empty when all are
  // up.
  std::vector<std::string> DownServers(absl::Duration retry_after,
                                       absl::Time now) const;

 private:
  mutable absl::Mutex mu_;
  // Last fault of each server, by UpstreamServer::ToString(). Entries go
  // when the server answers again, so the map holds at most the servers of
  // the configurations loaded so far.
  absl::flat_hash_map<std::string, absl::Time> last_fault_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_SERVER_UPSTREAM_HEALTH_H_
