// This file defines `WorkerPool`, the bounded pool of threads that run
// sessions.
//
// A session blocks its thread for its whole life (handshake, ident, connect,
// relay), so the pool is sized in threads, not cores. Threads are started on
// demand up to `max_workers`; when every thread is busy, up to `max_queue`
// tasks wait. Beyond that `TrySubmit` refuses at once: the acceptor must never
// block, so it answers the client with a SOCKS failure instead.
//
// Thread-safe. The destructor runs the tasks already queued, then joins every
// thread.

#ifndef RSOCKD_RSOCKD_WORKER_POOL_H_
#define RSOCKD_RSOCKD_WORKER_POOL_H_

#include <cstddef>
#include <deque>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "net/thread.h"

namespace rsockd {

class WorkerPool {
 public:
  struct Limits {
    int max_workers = 1;
    int max_queue = 0;
  };
  struct Counts {
    int threads = 0;  // started so far
    int busy = 0;     // running a task
    int queued = 0;   // waiting for a thread
  };
  using Task = absl::AnyInvocable<void() &&>;

  WorkerPool(const Limits& limits, size_t stack_size);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Moves `*task` to a thread or the queue. Never blocks. Returns false when
  // the pool and its queue are full, leaving `*task` untouched so that the
  // caller can still deal with what it owns (the acceptor answers the client).
  bool TrySubmit(Task* task);

  // New limits apply to later submissions; threads already started stay.
  void SetLimits(const Limits& limits);
  Counts counts() const;

 private:
  void Work();

  const size_t stack_size_;
  mutable absl::Mutex mu_;
  Limits limits_ ABSL_GUARDED_BY(mu_);
  std::deque<Task> queue_ ABSL_GUARDED_BY(mu_);
  // Threads waiting for a task.
  int idle_ ABSL_GUARDED_BY(mu_) = 0;
  int busy_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<net::Thread> threads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_WORKER_POOL_H_
