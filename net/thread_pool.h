// This file defines `ThreadPool`, a bounded pool of threads for blocking work.
//
// rsockd's work blocks a thread for a long time (a session for its whole
// life, a relay direction until its end of file, a hook until its command
// exits), so pools are sized in threads, not cores. At most `max_workers`
// tasks run at once; threads are started on demand up to that many and kept
// for reuse, which spares a clone(2) and exit per task. When every one may
// be busy, up to `max_queue` tasks wait. Beyond that `TrySubmit` refuses at
// once, so a caller such as the acceptor never blocks.
//
// The server has three: the session workers (--workers, --queue), the relay
// threads that carry each session's second direction (no queue: a relay
// direction must start at once), and the hook executor (HookRunner).
//
// Limits can change while tasks run (on reload): a higher `max_workers`
// starts queued tasks at once; after a lower one, threads already started
// stay, but queued tasks start only while fewer than the new limit run.
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
#include "absl/time/time.h"
#include "net/thread.h"

namespace rsockd::net {

class ThreadPool {
 public:
  struct Limits {
    // Tasks running at once; at least 1.
    int max_workers = 1;
    // Tasks waiting for a thread.
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
  // `max_workers` tasks run (or no thread could be started for it) and
  // `max_queue` wait, leaving `*task` untouched so that the caller can still
  // deal with what it owns (the acceptor answers the client).
  bool TrySubmit(Task* task);

  // New limits apply at once, as described above.
  void SetLimits(const Limits& limits);
  Limits limits() const;
  Counts counts() const;

  // Waits until no task runs or waits, or until `deadline`; returns whether
  // the pool went idle.
  bool WaitUntilIdle(absl::Time deadline);

 private:
  // Tasks that may start now under `max_workers`.
  int FreeSlotsLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Starts threads until each of the first `tasks` queued tasks that may
  // start now has an idle thread to take it.
  void GrowLocked(int tasks) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
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
