#include "testing/log_lines.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "glog/logging.h"

namespace rsockd::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(LogLinesTest, AllScopeGetsEveryLineWhileItExists) {
  {
    LogLines log;
    LOG(INFO) << "first";
    LOG(WARNING) << "second";
    EXPECT_THAT(log.lines(), ElementsAre("first", "second"));
  }
  LogLines later;
  EXPECT_THAT(later.lines(), IsEmpty());
}

TEST(LogLinesTest, OwnScopeGetsOnlyWhatIsSentToIt) {
  LogLines own(LogLines::Scope::kOwn);
  LOG(INFO) << "not for it";
  LOG_TO_SINK(&own, INFO) << "for it";
  EXPECT_THAT(own.lines(), ElementsAre("for it"));
}

}  // namespace
}  // namespace rsockd::testing
