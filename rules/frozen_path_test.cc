#include "rules/frozen_path.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "testing/files.h"
#include "testing/status_matchers.h"

namespace rsockd::rules {
namespace {

using ::rsockd::testing::IsOk;

TEST(FrozenPathForTest, ReplacesTheExtensionOfTheFileName) {
  EXPECT_EQ(FrozenPathFor("/etc/sockd.conf", ".fc"), "/etc/sockd.fc");
  EXPECT_EQ(FrozenPathFor("/etc/socks.conf", ".fc"), "/etc/socks.fc");
  EXPECT_EQ(FrozenPathFor("/etc/sockd.route", ".fr"), "/etc/sockd.fr");
  EXPECT_EQ(FrozenPathFor("sockd.conf", ".fc"), "sockd.fc");
  EXPECT_EQ(FrozenPathFor("a.b.conf", ".fc"), "a.b.fc");
}

TEST(FrozenPathForTest, AppendsWhenThereIsNoExtension) {
  EXPECT_EQ(FrozenPathFor("/etc/rsockd/access", ".fc"),
            "/etc/rsockd/access.fc");
  EXPECT_EQ(FrozenPathFor("/etc/rsockd.d/access", ".fc"),
            "/etc/rsockd.d/access.fc");
  EXPECT_EQ(FrozenPathFor("/etc/.sockdrc", ".fc"), "/etc/.sockdrc.fc");
}

TEST(FrozenPathForTest, KeepsAPathThatIsAlreadyFrozen) {
  EXPECT_EQ(FrozenPathFor("/etc/sockd.fc", ".fc"), "/etc/sockd.fc");
}

class ChooseConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = rsockd::testing::MakeTempDir("choose");
    ASSERT_THAT(dir, IsOk());
    text_ = *dir + "/sockd.conf";
    frozen_ = *dir + "/sockd.fc";
  }

  void Write(const std::string& path, time_t seconds, long nanoseconds) {
    ASSERT_THAT(rsockd::testing::WriteStringToFile(path, "x"), IsOk());
    const timespec times[2] = {{seconds, nanoseconds}, {seconds, nanoseconds}};
    ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  }

  std::string text_;
  std::string frozen_;
};

TEST_F(ChooseConfigFileTest, TextOnly) {
  Write(text_, 1000, 0);
  const ConfigFileChoice choice = ChooseConfigFile(text_, ".fc");
  EXPECT_EQ(choice.path, text_);
  EXPECT_FALSE(choice.frozen);
  EXPECT_TRUE(choice.exists);
}

TEST_F(ChooseConfigFileTest, NeitherFile) {
  const ConfigFileChoice choice = ChooseConfigFile(text_, ".fc");
  EXPECT_EQ(choice.path, text_);
  EXPECT_FALSE(choice.exists);
  EXPECT_FALSE(choice.frozen);
}

TEST_F(ChooseConfigFileTest, PrefersTheFrozenFile) {
  Write(text_, 1000, 0);
  Write(frozen_, 1000, 0);
  ConfigFileChoice choice = ChooseConfigFile(text_, ".fc");
  EXPECT_EQ(choice.path, frozen_);
  EXPECT_TRUE(choice.frozen);
  EXPECT_TRUE(choice.exists);
}

TEST_F(ChooseConfigFileTest, UsesTheFrozenFileWithoutTheText) {
  Write(frozen_, 1000, 0);
  const ConfigFileChoice choice = ChooseConfigFile(text_, ".fc");
  EXPECT_EQ(choice.path, frozen_);
  EXPECT_TRUE(choice.exists);
}

TEST_F(ChooseConfigFileTest, TheFrozenFileNamedDirectlyIsUsed) {
  Write(frozen_, 1000, 0);
  const ConfigFileChoice choice = ChooseConfigFile(frozen_, ".fc");
  EXPECT_EQ(choice.path, frozen_);
  EXPECT_TRUE(choice.frozen);
}

using NewerSourceTest = ChooseConfigFileTest;

TEST_F(NewerSourceTest, ComparesToTheNanosecond) {
  Write(frozen_, 1000, 500);
  Write(text_, 1000, 501);  // One nanosecond later.
  EXPECT_EQ(NewerSource(frozen_, {text_}), text_);
  Write(text_, 1000, 500);
  EXPECT_EQ(NewerSource(frozen_, {text_}), std::nullopt)
      << "equal times are not newer";
  Write(text_, 999, 999999999);
  EXPECT_EQ(NewerSource(frozen_, {text_}), std::nullopt);
  Write(text_, 1001, 0);
  EXPECT_EQ(NewerSource(frozen_, {text_}), text_);
}

TEST_F(NewerSourceTest, NamesTheFirstNewerSource) {
  const std::string users = text_ + ".users";
  const std::string staff = text_ + ".staff";
  Write(text_, 900, 0);
  Write(frozen_, 1000, 0);
  Write(users, 800, 0);
  Write(staff, 1100, 0);
  EXPECT_EQ(NewerSource(frozen_, {text_, users, staff}), staff);
  Write(text_, 1200, 0);
  EXPECT_EQ(NewerSource(frozen_, {text_, users, staff}), text_);
  EXPECT_EQ(NewerSource(frozen_, {}), std::nullopt);
}

// A frozen file may be deployed without the files it was made from.
TEST_F(NewerSourceTest, AMissingSourceIsNotNewer) {
  Write(frozen_, 1000, 0);
  EXPECT_EQ(NewerSource(frozen_, {text_, text_ + ".users"}), std::nullopt);
}

}  // namespace
}  // namespace rsockd::rules
