// This file defines `PoolForFileLimit`, which sizes the worker pool and its
// queue so that the open-file limit can hold them (docs/operations.md,
// "Descriptor budget"). A connection that cannot get a descriptor is worse
// off than one turned away: accept() fails with EMFILE and the client waits
// in silence. So the queue is shrunk until workers, queue and the process's
// own descriptors fit the limit, and overload is answered 91 instead.
//
// The budget:
//   - the process: kProcessDescriptors (standard descriptors, listeners,
//     log files, the syslog socket, the resolver's sockets, the reserve
//     descriptor, hooks being started);
//   - each worker: kSessionDescriptors (the client, the destination, a BIND
//     listener or an identd query while it lasts, and one towards the
//     splice pipes, which a relay direction borrows only while bytes move);
//   - each queued connection: one.
// The estimate is not a worst case (a session streaming both ways at once
// holds two pipes); what goes past it is still answered, by the acceptor's
// reserve descriptor (rsockd/server/server.h).
//
// Example (main.cc):
//
//   const PoolSize pool = PoolForFileLimit(file_limit, FLAGS_workers,
//                                          FLAGS_queue);
//   if (pool.queue < FLAGS_queue) LOG(WARNING) << pool.Explain(FLAGS_queue);

#ifndef RSOCKD_RSOCKD_SERVER_DESCRIPTOR_BUDGET_H_
#define RSOCKD_RSOCKD_SERVER_DESCRIPTOR_BUDGET_H_

#include <cstdint>
#include <string>

namespace rsockd {

inline constexpr int64_t kProcessDescriptors = 64;
inline constexpr int64_t kSessionDescriptors = 4;

struct PoolSize {
  int workers = 0;
  int queue = 0;
  // The open-file limit it was sized for.
  int64_t file_limit = 0;

  // Why the queue is smaller than `asked_queue`, for the log: "--queue 1024
  // shrunk to 56: the open-file limit 128 holds 64 for the process, 2
  // workers at 4 each and 56 queued connections".
  std::string ExplainShrink(int asked_queue) const;
};

// `workers`: the --workers asked for, or 0 for the default: one worker per
// kSessionDescriptors + 1 descriptors left after the process's own (so that
// the default queue has room as deep as the pool), between 16 and 8192.
// The queue is `queue` or, when the limit cannot hold that many beside the
// workers, as many as it can (0 when the workers alone fill it).
PoolSize PoolForFileLimit(int64_t file_limit, int workers, int queue);

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_SERVER_DESCRIPTOR_BUDGET_H_
