#include "rsockd/server/descriptor_budget.h"

#include <gtest/gtest.h>

namespace rsockd {
namespace {

TEST(PoolForFileLimitTest, KeepsTheQueueWhenTheLimitHoldsIt) {
  const PoolSize size = PoolForFileLimit(20000, 100, 1024);
  EXPECT_EQ(size.workers, 100);
  EXPECT_EQ(size.queue, 1024);
}

TEST(PoolForFileLimitTest, ShrinksTheQueueToWhatIsLeft) {
  // 128 - 64 for the process - 2 workers * 4 = 56.
  const PoolSize size = PoolForFileLimit(128, 2, 1000);
  EXPECT_EQ(size.workers, 2);
  EXPECT_EQ(size.queue, 56);
  EXPECT_EQ(size.ExplainShrink(1000),
            "--queue 1000 shrunk to 56: the open-file limit 128 holds 64 for "
            "the process, 2 workers at 4 each and 56 queued connections");
}

TEST(PoolForFileLimitTest, NoQueueWhenTheWorkersAloneFillTheLimit) {
  EXPECT_EQ(PoolForFileLimit(1024, 500, 1024).queue, 0);
  EXPECT_EQ(PoolForFileLimit(10, 1, 5).queue, 0);
}

TEST(PoolForFileLimitTest, DefaultWorkersLeaveRoomForAQueueAsDeep) {
  // (20000 - 64) / 5 = 3987 workers, 3987 * 4 = 15948, 3988 left.
  const PoolSize size = PoolForFileLimit(20000, 0, 1024);
  EXPECT_EQ(size.workers, 3987);
  EXPECT_EQ(size.queue, 1024);
  EXPECT_EQ(PoolForFileLimit(1 << 20, 0, 1024).workers, 8192);
  EXPECT_EQ(PoolForFileLimit(100, 0, 1024).workers, 16);
}

}  // namespace
}  // namespace rsockd
