// DropPrivileges itself needs root and changes the whole process for good,
// so the switch is tested end to end (rsockd/e2e/privileges_test.cc, which
// checks /proc/PID/status of a server started with --user); these are the
// parts that leave the test process as it is.

#include "rsockd/process/privileges.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "testing/status_matchers.h"

namespace rsockd {
namespace {

using ::rsockd::testing::StatusIs;
using ::testing::HasSubstr;

TEST(LookUpUserTest, FindsRoot) {
  absl::StatusOr<UserIds> root = LookUpUser("root");
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(root->name, "root");
  EXPECT_EQ(root->uid, 0u);
  EXPECT_EQ(root->gid, 0u);
}

TEST(LookUpUserTest, UnknownUserIsNotFound) {
  EXPECT_THAT(LookUpUser("no-such-user-rsockd"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("no user \"no-such-user-rsockd\"")));
}

TEST(DropPrivilegesTest, UnknownUserFailsBeforeChangingAnything) {
  const uid_t uid = getuid();
  const gid_t gid = getgid();
  EXPECT_THAT(DropPrivileges("no-such-user-rsockd"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("--user: no user \"no-such-user-rsockd\"")));
  EXPECT_EQ(getuid(), uid);
  EXPECT_EQ(getgid(), gid);
}

}  // namespace
}  // namespace rsockd
