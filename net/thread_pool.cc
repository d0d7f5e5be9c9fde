#include "net/thread_pool.h"

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

bool ThreadPool::TrySubmit(Task* task) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return false;
  // Tasks already queued will take the idle threads first.
  const int free_threads = idle_ - static_cast<int>(queue_.size());
  if (free_threads <= 0 &&
      static_cast<int>(threads_.size()) < limits_.max_workers) {
    absl::StatusOr<Thread> thread =
        Thread::Start([this] { Work(); }, stack_size_);
    if (thread.ok()) {
      threads_.push_back(*std::move(thread));
      ++idle_;
    } else {
      LOG_EVERY_N(WARNING, 100)
          << "cannot grow the worker pool: " << thread.status();
    }
  }
  const int waiting = static_cast<int>(queue_.size()) - idle_;
  if (waiting >= limits_.max_queue) return false;
  queue_.push_back(std::move(*task));
  return true;
}

void ThreadPool::Work() {
  absl::MutexLock lock(&mu_);
  for (;;) {
    mu_.Await(absl::Condition(
        +[](ThreadPool* pool) ABSL_EXCLUSIVE_LOCKS_REQUIRED(pool->mu_) {
          return pool->stopping_ || !pool->queue_.empty();
        },
        this));
    if (queue_.empty()) return;  // stopping, nothing left to run
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

}  // namespace rsockd::net
