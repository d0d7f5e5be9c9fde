#include "net/pipe_pool.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "testing/status_matchers.h"

namespace rsockd::net {
namespace {

using ::rsockd::testing::StatusIs;
using ::testing::HasSubstr;

TEST(PipePoolTest, ReusesReleasedPipes) {
  PipePool pool(2 * kPipeSize);
  ASSERT_OK_AND_ASSIGN(PipePool::Lease first, pool.Acquire());
  const int read_fd = first.read_fd();
  std::move(first).Release();
  EXPECT_EQ(pool.counts().idle, 1u);
  EXPECT_EQ(pool.counts().lent, 0u);
  ASSERT_OK_AND_ASSIGN(PipePool::Lease again, pool.Acquire());
  EXPECT_EQ(again.read_fd(), read_fd);
  EXPECT_EQ(pool.counts().idle, 0u);
  EXPECT_EQ(pool.counts().lent, 1u);
}

TEST(PipePoolTest, RefusesPipesBeyondTheBudget) {
  PipePool pool(2 * kPipeSize + kPipeSize / 2);  // rounds down: two pipes
  ASSERT_OK_AND_ASSIGN(PipePool::Lease a, pool.Acquire());
  ASSERT_OK_AND_ASSIGN(PipePool::Lease b, pool.Acquire());
  EXPECT_THAT(pool.Acquire(), StatusIs(absl::StatusCode::kResourceExhausted,
                                       HasSubstr("pipe budget")));
  EXPECT_EQ(pool.counts().lent, 2u);
  // Returned pipes count against the budget too: they are reused, and no
  // third one is made.
  std::move(a).Release();
  std::move(b).Release();
  ASSERT_OK_AND_ASSIGN(PipePool::Lease c, pool.Acquire());
  ASSERT_OK_AND_ASSIGN(PipePool::Lease d, pool.Acquire());
  EXPECT_THAT(pool.Acquire(),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("")));
}

TEST(PipePoolTest, BudgetBelowOnePipeLendsNone) {
  PipePool pool(kPipeSize - 1);
  EXPECT_THAT(pool.Acquire(),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("")));
}

// A lease dropped without Release() may hold bytes that must not reach
// another session: its pipe is closed, and its share of the budget freed.
TEST(PipePoolTest, DroppedLeaseClosesItsPipeAndFreesTheBudget) {
  PipePool pool(kPipeSize);
  int write_fd = -1;
  {
    ASSERT_OK_AND_ASSIGN(PipePool::Lease lease, pool.Acquire());
    write_fd = lease.write_fd();
    ASSERT_EQ(write(lease.write_fd(), "left over", 9), 9);
  }
  EXPECT_EQ(fcntl(write_fd, F_GETFD), -1);
  EXPECT_EQ(pool.counts().lent, 0u);
  EXPECT_EQ(pool.counts().idle, 0u);
  ASSERT_OK_AND_ASSIGN(PipePool::Lease fresh, pool.Acquire());
  char byte;
  EXPECT_EQ(read(fresh.read_fd(), &byte, 1), -1) << "the new pipe holds bytes";
}

TEST(PipePoolTest, MovedLeaseReturnsItsPipeOnce) {
  PipePool pool(kPipeSize);
  ASSERT_OK_AND_ASSIGN(PipePool::Lease a, pool.Acquire());
  PipePool::Lease b = std::move(a);
  std::optional<PipePool::Lease> c;
  c.emplace(std::move(b));
  EXPECT_EQ(pool.counts().lent, 1u);
  std::move(*c).Release();
  EXPECT_EQ(pool.counts().lent, 0u);
  EXPECT_EQ(pool.counts().idle, 1u);
}

// Many borrowers at once never make the pool own more than its budget.
TEST(PipePoolTest, ConcurrentBorrowersStayWithinTheBudget) {
  constexpr size_t kPipes = 3;
  PipePool pool(kPipes * kPipeSize);
  std::vector<std::thread> borrowers;
  std::atomic<int> refused{0};
  std::atomic<bool> exceeded{false};
  for (int t = 0; t < 8; ++t) {
    borrowers.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        absl::StatusOr<PipePool::Lease> lease = pool.Acquire();
        if (!lease.ok()) {
          ++refused;
          continue;
        }
        const PipePool::Counts counts = pool.counts();
        if (counts.lent + counts.idle > kPipes) exceeded = true;
        if (i % 2 == 0) std::move(*lease).Release();
      }
    });
  }
  for (std::thread& borrower : borrowers) borrower.join();
  EXPECT_FALSE(exceeded);
  EXPECT_EQ(pool.counts().lent, 0u);
  EXPECT_LE(pool.counts().idle, kPipes);
}

TEST(PipeTest, CarriesBytes) {
  ASSERT_OK_AND_ASSIGN(Pipe pipe, Pipe::Create());
  ASSERT_EQ(write(pipe.write_fd(), "abc", 3), 3);
  char buffer[4];
  ASSERT_EQ(read(pipe.read_fd(), buffer, sizeof(buffer)), 3);
  EXPECT_EQ(std::string(buffer, 3), "abc");
}

}  // namespace
}  // namespace rsockd::net
