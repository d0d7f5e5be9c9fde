#include "rsockd/base/fd_closer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <utility>

namespace rsockd {
namespace {

bool IsOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }

// A new descriptor on /dev/null; the test closes it.
int OpenNull() {
  const int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0) << "open /dev/null: errno " << errno;
  return fd;
}

// The inode `fd` is open on, to tell two descriptors that share a number
// apart.
ino_t InodeOf(int fd) {
  struct stat info;
  EXPECT_EQ(fstat(fd, &info), 0);
  return info.st_ino;
}

TEST(FdCloserTest, DefaultOwnsNothing) {
  FdCloser none;
  EXPECT_FALSE(none.valid());
  EXPECT_EQ(none.get(), -1);
  EXPECT_TRUE(none.Close());
}

TEST(FdCloserTest, WrapsAFailedCallAsOwningNothing) {
  FdCloser failed(open("/nonexistent/file", O_RDONLY | O_CLOEXEC));
  EXPECT_FALSE(failed.valid());
}

TEST(FdCloserTest, ClosesOnDestruction) {
  const int fd = OpenNull();
  {
    FdCloser owner(fd);
    EXPECT_TRUE(owner.valid());
    EXPECT_EQ(owner.get(), fd);
    EXPECT_TRUE(IsOpen(fd));
  }
  EXPECT_FALSE(IsOpen(fd));
}

// After Close(), the number may be handed out again at once (here it is,
// deliberately): the destructor must not close the new owner's descriptor.
TEST(FdCloserTest, ClosesOnlyOnce) {
  const int fd = OpenNull();
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  {
    FdCloser owner(fd);
    EXPECT_TRUE(owner.Close());
    EXPECT_FALSE(owner.valid());
    EXPECT_FALSE(IsOpen(fd));
    EXPECT_TRUE(owner.Close()) << "a second Close() does nothing";
    ASSERT_EQ(dup2(fds[0], fd), fd);
  }
  EXPECT_TRUE(IsOpen(fd)) << "the reused number was closed again";
  EXPECT_EQ(InodeOf(fd), InodeOf(fds[0]));
  close(fd);
  close(fds[0]);
  close(fds[1]);
}

TEST(FdCloserTest, MoveConstructionTransfersOwnership) {
  const int fd = OpenNull();
  std::optional<FdCloser> second;
  {
    FdCloser first(fd);
    second.emplace(std::move(first));
    EXPECT_FALSE(first.valid());
    EXPECT_EQ(second->get(), fd);
  }
  EXPECT_TRUE(IsOpen(fd)) << "the moved-from object closed it";
  second.reset();
  EXPECT_FALSE(IsOpen(fd));
}

TEST(FdCloserTest, MoveAssignmentClosesWhatTheTargetOwned) {
  const int old_fd = OpenNull();
  const int new_fd = OpenNull();
  {
    FdCloser target(old_fd);
    FdCloser source(new_fd);
    target = std::move(source);
    EXPECT_FALSE(IsOpen(old_fd));
    EXPECT_FALSE(source.valid());
    EXPECT_EQ(target.get(), new_fd);
    EXPECT_TRUE(IsOpen(new_fd));
  }
  EXPECT_FALSE(IsOpen(new_fd));
}

TEST(FdCloserTest, ReleaseGivesUpOwnershipWithoutClosing) {
  const int fd = OpenNull();
  int released;
  {
    FdCloser owner(fd);
    released = owner.Release();
    EXPECT_FALSE(owner.valid());
    EXPECT_EQ(owner.get(), -1);
  }
  EXPECT_EQ(released, fd);
  EXPECT_TRUE(IsOpen(fd));
  close(fd);
}

TEST(FdCloserTest, CloseReportsAFailureAndStillLetsGo) {
  const int fd = OpenNull();
  FdCloser owner(fd);
  ASSERT_EQ(close(fd), 0);  // closed behind the owner's back
  errno = 0;
  EXPECT_FALSE(owner.Close());
  EXPECT_EQ(errno, EBADF);
  EXPECT_FALSE(owner.valid());
}

}  // namespace
}  // namespace rsockd
