#include "net/thread.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>

namespace rsockd::net {
namespace {

TEST(ThreadTest, RunsBodyAndJoinsOnDestruction) {
  std::atomic<int> runs{0};
  {
    absl::StatusOr<Thread> thread = Thread::Start([&runs] { runs++; });
    ASSERT_TRUE(thread.ok());
    EXPECT_TRUE(thread->joinable());
  }
  EXPECT_EQ(runs.load(), 1);
}

TEST(ThreadTest, MovesOwnershipOfMoveOnlyBody) {
  auto value = std::make_unique<int>(7);
  int seen = 0;
  absl::StatusOr<Thread> thread = Thread::Start(
      [value = std::move(value), &seen]() mutable { seen = *value; });
  ASSERT_TRUE(thread.ok());
  Thread moved = *std::move(thread);
  moved.Join();
  EXPECT_FALSE(moved.joinable());
  EXPECT_EQ(seen, 7);
}

}  // namespace
}  // namespace rsockd::net
