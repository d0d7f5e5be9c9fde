// This file defines `ThreadPool`, a bounded pool of threads for blocking work.
//
// rsockd's work blocks a thread for a long time (a session for its whole
// life, a relay direction until its end of file), so pools are sized in
// threads, not cores. Threads are started on demand up to `max_workers` and
// kept for reuse, which spares a clone(2) and exit per task; when every
// thread is busy, up to `max_queue` tasks wait. Beyond that `TrySubmit`
// refuses at once, so a caller such as the acceptor never blocks.
//
// The server has two: the session workers (--workers, --queue), and the relay
// threads that carry each session's second direction (no queue: a relay
// direction must start at once).
//
// Thread-safe. The destructor runs the tasks already queued, then joins every
// thread.

#ifndef RSOCKD_NET_THREAD_POOL_H_
#define RSOCKD_NET_THREAD_POOL_H_

#include <cstddef>
#include <deque>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "net/thread.h"

namespace rsockd::net {

class ThreadPool {
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

  ThreadPool(const Limits& limits, size_t stack_size);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Moves `*task` to a thread or the queue. Never blocks. Returns false when
  // the pool and its queue are full, leaving `*task` untouched so that the
  // caller can still deal with what it owns (the acceptor answers the client).
  bool TrySubmit(Task* task);

  // New limits apply to later submissions; threads already started stay.
  void SetLimits(const Limits& limits);
  Limits limits() const;
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
  std::vector<Thread> threads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rsockd::net

#endif  // RSOCKD_NET_THREAD_POOL_H_
