#include "testing/log_lines.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

namespace rsockd::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(LogLinesTest, KeepsTheLinesLoggedWhileItExistsWithTheirSeverity) {
  LOG(INFO) << "before";
  {
    LogLines log;
    LOG(INFO) << "one";
    std::thread([] { LOG(WARNING) << "two from another thread"; }).join();
    LOG(ERROR) << "three";
    EXPECT_THAT(log.lines(),
                ElementsAre("one", "two from another thread", "three"));
    EXPECT_THAT(log.lines(google::GLOG_WARNING),
                ElementsAre("two from another thread"));
    EXPECT_THAT(log.lines(google::GLOG_FATAL), IsEmpty());
  }
  LogLines after;
  LOG(INFO) << "after";
  EXPECT_THAT(after.lines(), ElementsAre("after"));
}

TEST(LogLinesTest, OwnScopeGetsOnlyWhatIsSentToIt) {
  LogLines own(LogLines::Scope::kOwn);
  LOG(INFO) << "not for it";
  LOG_TO_SINK(&own, INFO) << "for it";
  EXPECT_THAT(own.lines(), ElementsAre("for it"));
}

}  // namespace
}  // namespace rsockd::testing
