#include "net/thread_pool.h"

#include <algorithm>
#include <utility>

#include "glog/logging.h"

namespace rsockd::net {

ThreadPool::ThreadPool(const Limits& limits, size_t stack_size)
    : stack_size_(stack_size), limits_(limits) {}

ThreadPool::~ThreadPool() {
  std::vector<Thread> threads;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    threads = std::move(threads_);
  }
  threads.clear();  // joins, outside the lock the workers need
}

int ThreadPool::FreeSlotsLocked() const {
  return std::max(0, std::max(1, limits_.max_workers) - busy_);
}

void ThreadPool::GrowLocked(int tasks) {
  const int can_start = std::min(tasks, FreeSlotsLocked());
  while (idle_ < can_start) {
    absl::StatusOr<Thread> thread =
        Thread::Start([this] { Work(); }, stack_size_);
    if (!thread.ok()) {
      // The task waits for a thread that frees up; TrySubmit counts only
      // the threads there are.
      LOG_EVERY_N(WARNING, 100)
          << "cannot grow the thread pool: " << thread.status();
      return;
    }
    threads_.push_back(*std::move(thread));
    ++idle_;
  }
}

bool ThreadPool::TrySubmit(Task* task) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return false;
  const int tasks = static_cast<int>(queue_.size()) + 1;
  GrowLocked(tasks);
  // Tasks already queued take the free threads first.
  const int waiting = tasks - std::min(idle_, FreeSlotsLocked());
  if (waiting > limits_.max_queue) return false;
  queue_.push_back(std::move(*task));
  return true;
}

void ThreadPool::Work() {
  absl::MutexLock lock(&mu_);
  const auto can_take = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !queue_.empty() && FreeSlotsLocked() > 0;
  };
  for (;;) {
    const auto wake = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || can_take();
    };
    mu_.Await(absl::Condition(&wake));
    if (!can_take()) {
      // Stopping, with nothing this thread may run: what is queued is left
      // to the threads that are busy (there is one, or it could be taken).
      --idle_;
      return;
    }
    Task task = std::move(queue_.front());
    queue_.pop_front();
    --idle_;
    ++busy_;
    mu_.Unlock();
    std::move(task)();
    mu_.Lock();
    --busy_;
    ++idle_;
  }
}

void ThreadPool::SetLimits(const Limits& limits) {
  absl::MutexLock lock(&mu_);
  limits_ = limits;
  GrowLocked(static_cast<int>(queue_.size()));
}

ThreadPool::Limits ThreadPool::limits() const {
  absl::MutexLock lock(&mu_);
  return limits_;
}

ThreadPool::Counts ThreadPool::counts() const {
  absl::MutexLock lock(&mu_);
  return {static_cast<int>(threads_.size()), busy_,
          static_cast<int>(queue_.size())};
}

bool ThreadPool::WaitUntilIdle(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  const auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return busy_ == 0 && queue_.empty();
  };
  return mu_.AwaitWithDeadline(absl::Condition(&idle), deadline);
}

}  // namespace rsockd::net
