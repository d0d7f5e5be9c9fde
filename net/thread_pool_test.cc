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

// Runs `n` tasks at once, so that the pool keeps `n` idle threads.
void StartIdleThreads(ThreadPool& pool, int n) {
  absl::Notification release;
  std::atomic<int> started{0};
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(Submit(pool, [&] {
      started++;
      release.WaitForNotificationWithTimeout(absl::Seconds(30));
    }));
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (started.load() < n && absl::Now() < deadline) {
    std::this_thread::yield();
  }
  release.Notify();
  ASSERT_TRUE(pool.WaitUntilIdle(absl::Now() + absl::Seconds(30)));
  ASSERT_EQ(started.load(), n);
  ASSERT_EQ(pool.counts().threads, n);
}

// A lower limit bounds the tasks that run, even with idle threads left from
// the higher one.
TEST(ThreadPoolTest, LoweredLimitRefusesDespiteIdleThreads) {
  ThreadPool pool({.max_workers = 2, .max_queue = 0}, kStack);
  StartIdleThreads(pool, 2);
  pool.SetLimits({.max_workers = 1, .max_queue = 0});
  absl::Notification release;
  absl::Notification running;
  ASSERT_TRUE(Submit(pool, [&] {
    running.Notify();
    release.WaitForNotificationWithTimeout(absl::Seconds(30));
  }));
  ASSERT_TRUE(running.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_FALSE(Submit(pool, [] {})) << "one runs: the limit is reached";
  EXPECT_EQ(pool.counts().threads, 2) << "threads already started stay";
  release.Notify();
}

TEST(ThreadPoolTest, RaisedLimitStartsQueuedTasksAtOnce) {
  ThreadPool pool({.max_workers = 1, .max_queue = 2}, kStack);
  absl::Notification release;
  auto blocker = [&] {
    release.WaitForNotificationWithTimeout(absl::Seconds(30));
  };
  absl::Notification first_running;
  ASSERT_TRUE(Submit(pool, [&] {
    first_running.Notify();
    blocker();
  }));
  ASSERT_TRUE(first_running.WaitForNotificationWithTimeout(absl::Seconds(30)));
  absl::Notification second_running;
  absl::Notification third_running;
  ASSERT_TRUE(Submit(pool, [&] {
    second_running.Notify();
    blocker();
  }));
  ASSERT_TRUE(Submit(pool, [&] {
    third_running.Notify();
    blocker();
  }));
  EXPECT_EQ(pool.counts().queued, 2);
  // No further submission: raising the limit alone starts both.
  pool.SetLimits({.max_workers = 3, .max_queue = 2});
  EXPECT_TRUE(second_running.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_TRUE(third_running.WaitForNotificationWithTimeout(absl::Seconds(30)));
  release.Notify();
}

TEST(ThreadPoolTest, WaitUntilIdleWaitsForRunningAndQueuedTasks) {
  ThreadPool pool({.max_workers = 1, .max_queue = 1}, kStack);
  EXPECT_TRUE(pool.WaitUntilIdle(absl::Now())) << "a new pool is idle";
  absl::Notification release;
  std::atomic<int> runs{0};
  ASSERT_TRUE(Submit(pool, [&] {
    release.WaitForNotificationWithTimeout(absl::Seconds(30));
    runs++;
  }));
  ASSERT_TRUE(Submit(pool, [&] { runs++; }));
  EXPECT_FALSE(pool.WaitUntilIdle(absl::Now() + absl::Milliseconds(10)));
  release.Notify();
  ASSERT_TRUE(pool.WaitUntilIdle(absl::Now() + absl::Seconds(30)));
  EXPECT_EQ(runs.load(), 2) << "idle only once both tasks have returned";
  const ThreadPool::Counts counts = pool.counts();
  EXPECT_EQ(counts.busy, 0);
  EXPECT_EQ(counts.queued, 0);
}

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
