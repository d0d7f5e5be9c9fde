#include "net/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace rsockd::net {
namespace {

// Submits a copy of `body`.
template <typename F>
bool Submit(ThreadPool& pool, F body) {
  ThreadPool::Task task = std::move(body);
  return pool.TrySubmit(&task);
}

constexpr size_t kStack = 64 * 1024;

TEST(ThreadPoolTest, RunsSubmittedTasks) {
  std::atomic<int> runs{0};
  {
    ThreadPool pool({.max_workers = 2, .max_queue = 10}, kStack);
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(Submit(pool, [&runs] { runs++; }));
    }
  }  // the destructor runs what is queued, then joins
  EXPECT_EQ(runs.load(), 10);
}

TEST(ThreadPoolTest, RefusesWhenWorkersAndQueueAreFull) {
  absl::Notification release;
  ThreadPool pool({.max_workers = 2, .max_queue = 1}, kStack);
  std::atomic<int> started{0};
  auto blocker = [&] {
    started++;
    release.WaitForNotificationWithTimeout(absl::Seconds(30));
  };
  EXPECT_TRUE(Submit(pool, blocker));
  EXPECT_TRUE(Submit(pool, blocker));
  EXPECT_TRUE(Submit(pool, blocker));  // queued
  EXPECT_FALSE(Submit(pool, blocker)) << "two busy, one queued: full";
  EXPECT_EQ(pool.counts().threads, 2);
  release.Notify();
}

TEST(ThreadPoolTest, ZeroQueueRefusesOnlyWhenAllThreadsAreBusy) {
  absl::Notification release;
  absl::Notification first_running;
  ThreadPool pool({.max_workers = 1, .max_queue = 0}, kStack);
  ASSERT_TRUE(Submit(pool, [&] {
    first_running.Notify();
    release.WaitForNotificationWithTimeout(absl::Seconds(30));
  }));
  ASSERT_TRUE(first_running.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_FALSE(Submit(pool, [] {}));
  release.Notify();
}

TEST(ThreadPoolTest, ReusesIdleThreads) {
  ThreadPool pool({.max_workers = 8, .max_queue = 0}, kStack);
  for (int i = 0; i < 20; ++i) {
    absl::Notification done;
    ASSERT_TRUE(Submit(pool, [&done] { done.Notify(); }));
    ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
    // The task is done; wait (bounded) until its thread is back.
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (pool.counts().busy != 0 && absl::Now() < deadline) {
      std::this_thread::yield();
    }
    ASSERT_EQ(pool.counts().busy, 0);
  }
  EXPECT_LE(pool.counts().threads, 2) << "sequential tasks need one thread";
}

TEST(ThreadPoolTest, RaisedLimitsTakeEffect) {
  absl::Notification release;
  ThreadPool pool({.max_workers = 1, .max_queue = 0}, kStack);
  auto blocker = [&] {
    release.WaitForNotificationWithTimeout(absl::Seconds(30));
  };
  ASSERT_TRUE(Submit(pool, blocker));
  EXPECT_FALSE(Submit(pool, blocker));
  pool.SetLimits({.max_workers = 2, .max_queue = 0});
  EXPECT_TRUE(Submit(pool, blocker));
  release.Notify();
}

}  // namespace
}  // namespace rsockd::net

namespace rsockd::net {
namespace {

TEST(ThreadPoolTest, RefusedTaskIsLeftWithTheCaller) {
  absl::Notification release;
  ThreadPool pool({.max_workers = 1, .max_queue = 0}, kStack);
  ThreadPool::Task blocker = [&] {
    release.WaitForNotificationWithTimeout(absl::Seconds(30));
  };
  ASSERT_TRUE(pool.TrySubmit(&blocker));
  bool ran = false;
  ThreadPool::Task refused = [&ran] { ran = true; };
  EXPECT_FALSE(pool.TrySubmit(&refused));
  ASSERT_TRUE(refused) << "the refused task must not be moved from";
  std::move(refused)();
  EXPECT_TRUE(ran);
  release.Notify();
}

}  // namespace
}  // namespace rsockd::net
