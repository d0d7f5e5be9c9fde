#include "net/pipe_pool.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "testing/status_matchers.h"

namespace rsockd::net {
namespace {

TEST(PipePoolTest, ReusesReleasedPipes) {
  PipePool pool(/*max_idle=*/2);
  ASSERT_OK_AND_ASSIGN(Pipe first, pool.Acquire());
  const int read_fd = first.read_fd();
  pool.Release(std::move(first));
  EXPECT_EQ(pool.idle(), 1u);
  ASSERT_OK_AND_ASSIGN(Pipe again, pool.Acquire());
  EXPECT_EQ(again.read_fd(), read_fd);
  EXPECT_EQ(pool.idle(), 0u);
}

TEST(PipePoolTest, ClosesPipesBeyondMaxIdle) {
  PipePool pool(/*max_idle=*/1);
  ASSERT_OK_AND_ASSIGN(Pipe a, pool.Acquire());
  ASSERT_OK_AND_ASSIGN(Pipe b, pool.Acquire());
  const int b_fd = b.write_fd();
  pool.Release(std::move(a));
  pool.Release(std::move(b));
  EXPECT_EQ(pool.idle(), 1u);
  // b's descriptors were closed, not kept.
  EXPECT_EQ(fcntl(b_fd, F_GETFD), -1);
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
