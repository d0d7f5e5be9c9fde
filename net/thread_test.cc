#include "net/thread.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <atomic>
#include <memory>
#include <vector>

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

// Zero-initialised, so glibc clears it, making it resident, in every new
// thread; Thread hands those pages back before the body runs.
constexpr size_t kPages = 8;
alignas(4096) thread_local char zeroed_at_start[kPages * 4096];

TEST(ThreadTest, BodyStartsWithItsZeroThreadLocalsReleased) {
  std::vector<unsigned char> resident(kPages, 1);
  absl::StatusOr<Thread> thread = Thread::Start([&resident] {
    ASSERT_EQ(
        mincore(zeroed_at_start, sizeof(zeroed_at_start), resident.data()), 0);
  });
  ASSERT_TRUE(thread.ok());
  thread->Join();
  for (size_t page = 0; page < kPages; ++page) {
    EXPECT_EQ(resident[page] & 1, 0) << "page " << page << " is resident";
  }
}

}  // namespace
}  // namespace rsockd::net
