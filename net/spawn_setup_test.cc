#include "net/spawn_setup.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

namespace rsockd::net {
namespace {

TEST(SpawnSetupTest, CarriesFileActionsAndAttributesIntoTheChild) {
  SpawnSetup setup;
  // The child's stdout goes to /dev/null and its exit code says whether
  // descriptor 1 is open: the file action reached it.
  ASSERT_EQ(posix_spawn_file_actions_addopen(setup.actions(), 1, "/dev/null",
                                             O_WRONLY, 0),
            0);
  ASSERT_EQ(posix_spawnattr_setflags(setup.attributes(), POSIX_SPAWN_SETPGROUP),
            0);
  const char* argv[] = {"/bin/sh", "-c", "test -w /dev/stdout && exit 7",
                        nullptr};
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, "/bin/sh", setup.actions(), setup.attributes(),
                        const_cast<char**>(argv), nullptr),
            0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
}

}  // namespace
}  // namespace rsockd::net
