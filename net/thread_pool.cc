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
    // Idle workers exist only while the queue is empty; busy ones drain the
    // queue before they look at `stopping_`.
    for (Worker* worker : idle_) worker->wake.Signal();
    idle_.clear();
    threads = std::move(threads_);
  }
  threads.clear();  // joins, outside the lock the workers need
}

bool ThreadPool::TrySubmit(Task* task) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return false;
  if (!idle_.empty()) {
    Worker* worker = idle_.back();
    idle_.pop_back();
    worker->task = std::move(*task);
    ++busy_;
    worker->wake.Signal();  // it runs once this lock is released
    return true;
  }
  if (static_cast<int>(threads_.size()) < limits_.max_workers) {
    // The task is in place before the thread starts, so it never waits.
    auto worker = std::make_unique<Worker>();
    worker->task = std::move(*task);
    absl::StatusOr<Thread> thread =
        Thread::Start([this, self = worker.get()] { Work(self); }, stack_size_);
    if (thread.ok()) {
      threads_.push_back(*std::move(thread));
      workers_.push_back(std::move(worker));
      ++busy_;
      return true;
    }
    *task = *std::move(worker->task);  // left with the caller after all
    LOG_EVERY_N(WARNING, 100)
        << "cannot grow the worker pool: " << thread.status();
  }
  if (static_cast<int>(queue_.size()) >= limits_.max_queue) return false;
  queue_.push_back(std::move(*task));
  return true;
}

void ThreadPool::Work(Worker* self) {
  absl::MutexLock lock(&mu_);
  // A worker starts with the task it was started for.
  for (;;) {
    Task task = *std::move(self->task);
    self->task.reset();
    mu_.Unlock();
    std::move(task)();
    mu_.Lock();
    --busy_;
    if (!queue_.empty()) {
      self->task = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
      continue;
    }
    if (stopping_) return;
    idle_.push_back(self);
    while (!self->task.has_value() && !stopping_) self->wake.Wait(&mu_);
    if (!self->task.has_value()) return;  // stopping
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
