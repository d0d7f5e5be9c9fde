// This file defines `Thread`, an owned, joined thread with a chosen stack
// size.
//
// rsockd runs two threads per relayed session, so thousands of threads can be
// alive at once; std::thread cannot set a stack size, and the default 8 MiB
// reservation per thread is needless address space. Only touched pages count
// towards memory use, so the size is a ceiling, not a cost. A new thread first
// hands back the thread-local pages glibc dirtied for nothing (static_tls.h).

#ifndef RSOCKD_NET_THREAD_H_
#define RSOCKD_NET_THREAD_H_

#include <pthread.h>

#include <cstddef>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"

namespace rsockd::net {

class Thread {
 public:
  // Enough for glog, session code (c-ares lookups included: a few KiB) and
  // the relay.
  static constexpr size_t kDefaultStackSize = 256 * 1024;

  // Starts `body` on a new thread. Fails (ResourceExhausted) when the system
  // cannot create another thread; callers decide whether that is fatal.
  static absl::StatusOr<Thread> Start(absl::AnyInvocable<void() &&> body,
                                      size_t stack_size = kDefaultStackSize);

  Thread() = default;
  Thread(Thread&& other) noexcept;
  Thread& operator=(Thread&& other) noexcept;
  Thread(const Thread&) = delete;
  Thread& operator=(const Thread&) = delete;
  // Joins: no thread outlives its owner.
  ~Thread() { Join(); }

  bool joinable() const { return joinable_; }
  void Join();

 private:
  pthread_t handle_{};
  bool joinable_ = false;
};

}  // namespace rsockd::net

#endif  // RSOCKD_NET_THREAD_H_
