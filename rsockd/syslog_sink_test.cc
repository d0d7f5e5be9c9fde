#include "rsockd/syslog_sink.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <syslog.h>
#include <unistd.h>

#include <ctime>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "testing/files.h"
#include "testing/status_matchers.h"
#include "testing/syslog_receiver.h"

namespace rsockd {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::StatusIs;
using ::rsockd::testing::SyslogReceiver;
using ::rsockd::testing::WriteStringToFile;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

constexpr absl::Duration kTimeout = absl::Seconds(10);

TEST(ParseSyslogFacilityTest, KnowsTheSyslogConfNames) {
  EXPECT_EQ(*ParseSyslogFacility("daemon"), LOG_DAEMON);
  EXPECT_EQ(*ParseSyslogFacility("auth"), LOG_AUTH);
  EXPECT_EQ(*ParseSyslogFacility("authpriv"), LOG_AUTHPRIV);
  EXPECT_EQ(*ParseSyslogFacility("user"), LOG_USER);
  EXPECT_EQ(*ParseSyslogFacility("local0"), LOG_LOCAL0);
  EXPECT_EQ(*ParseSyslogFacility("local7"), LOG_LOCAL7);
}

TEST(ParseSyslogFacilityTest, RejectsOtherNamesListingTheValidOnes) {
  for (const char* name : {"", "DAEMON", "local8", "daemon.info", "security"}) {
    SCOPED_TRACE(name);
    EXPECT_THAT(ParseSyslogFacility(name),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("expected one of auth, authpriv")));
  }
}

TEST(SyslogSeverityTest, MapsGlogSeverities) {
  EXPECT_EQ(SyslogSeverity(google::GLOG_INFO), LOG_INFO);
  EXPECT_EQ(SyslogSeverity(google::GLOG_WARNING), LOG_WARNING);
  EXPECT_EQ(SyslogSeverity(google::GLOG_ERROR), LOG_ERR);
  EXPECT_EQ(SyslogSeverity(google::GLOG_FATAL), LOG_CRIT);
}

std::tm Time(int month, int day, int hour, int minute, int second) {
  std::tm time = {};
  time.tm_mon = month;
  time.tm_mday = day;
  time.tm_hour = hour;
  time.tm_min = minute;
  time.tm_sec = second;
  return time;
}

TEST(FormatSyslogMessageTest, WritesRfc3164AsSyslog3Does) {
  // daemon.info: 3 * 8 + 6 = 30. The day is padded with a blank.
  EXPECT_EQ(FormatSyslogMessage(LOG_DAEMON, LOG_INFO, Time(1, 5, 17, 2, 8),
                                "rsockd", 4242, "[1] connected -- x"),
            "<30>Feb  5 17:02:08 rsockd[4242]: [1] connected -- x");
  // local3.err: 19 * 8 + 3 = 155.
  EXPECT_EQ(FormatSyslogMessage(LOG_LOCAL3, LOG_ERR, Time(11, 31, 0, 0, 0),
                                "rsockd", 7, "m"),
            "<155>Dec 31 00:00:00 rsockd[7]: m");
}

class SyslogSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(receiver_, SyslogReceiver::Create());
  }

  std::unique_ptr<SyslogSink> MakeSink(int facility = LOG_DAEMON) {
    absl::StatusOr<std::unique_ptr<SyslogSink>> sink = SyslogSink::Create(
        {.socket_path = receiver_->path(), .facility = facility});
    EXPECT_THAT(sink, IsOk());
    return sink.ok() ? *std::move(sink) : nullptr;
  }

  std::unique_ptr<SyslogReceiver> receiver_;
};

TEST_F(SyslogSinkTest, SendsLinesLoggedToItWithFacilityPidAndTime) {
  std::unique_ptr<SyslogSink> sink = MakeSink(LOG_LOCAL5);
  ASSERT_NE(sink, nullptr);
  LOG_TO_SINK(sink.get(), INFO) << "[3] refused -- Connect from x";
  ASSERT_OK_AND_ASSIGN(std::string message, receiver_->Receive(kTimeout));
  // local5.info: 21 * 8 + 6 = 174.
  EXPECT_THAT(message, MatchesRegex("<174>[A-Z][a-z][a-z] [ 123][0-9] "
                                    "[0-2][0-9]:[0-5][0-9]:[0-6][0-9] .*"));
  EXPECT_THAT(message,
              EndsWith(absl::StrCat(" rsockd[", getpid(),
                                    "]: [3] refused -- Connect from x")));
  EXPECT_EQ(sink->sent(), 1u);
  EXPECT_EQ(sink->dropped(), 0u);
}

TEST_F(SyslogSinkTest, WarningsAndErrorsSinkPassesOnlyThose) {
  std::unique_ptr<SyslogSink> sink = MakeSink();
  ASSERT_NE(sink, nullptr);
  google::LogSink* filtered = sink->warnings_and_errors();
  LOG_TO_SINK(filtered, INFO) << "an info line";
  LOG_TO_SINK(filtered, WARNING) << "a warning";
  LOG_TO_SINK(filtered, ERROR) << "an error";
  // Datagrams arrive in order, so the info line was never sent if the first
  // message is the warning.
  ASSERT_OK_AND_ASSIGN(std::string first, receiver_->Receive(kTimeout));
  EXPECT_THAT(first, StartsWith("<28>"));  // daemon.warning
  EXPECT_THAT(first, EndsWith("]: a warning"));
  ASSERT_OK_AND_ASSIGN(std::string second, receiver_->Receive(kTimeout));
  EXPECT_THAT(second, StartsWith("<27>"));  // daemon.err
  EXPECT_EQ(sink->sent(), 2u);
}

TEST_F(SyslogSinkTest, GlobalRegistrationForwardsWarningsNotInfo) {
  std::unique_ptr<SyslogSink> sink = MakeSink();
  ASSERT_NE(sink, nullptr);
  google::AddLogSink(sink->warnings_and_errors());
  LOG(INFO) << "ordinary diagnostics";
  LOG(WARNING) << "server-level trouble";
  google::RemoveLogSink(sink->warnings_and_errors());
  ASSERT_OK_AND_ASSIGN(std::string message, receiver_->Receive(kTimeout));
  EXPECT_THAT(message, StartsWith("<28>"));
  EXPECT_THAT(message, EndsWith("]: server-level trouble"));
}

TEST_F(SyslogSinkTest, DropsAndCountsWhatTheDaemonCannotTakeWithoutBlocking) {
  std::unique_ptr<SyslogSink> sink = MakeSink();
  ASSERT_NE(sink, nullptr);
  // Nobody reads the receiver: its queue fills (net.unix.max_dgram_qlen,
  // 512 by default) and further lines must be dropped, not wait.
  constexpr int kLines = 5000;
  const google::LogMessageTime time(Time(0, 1, 0, 0, 0));
  const std::string line = "a request-log line";
  for (int i = 0; i < kLines; ++i) {
    sink->send(google::GLOG_INFO, __FILE__, "syslog_sink_test.cc", __LINE__,
               time, line.data(), line.size());
  }
  EXPECT_GT(sink->sent(), 0u);
  EXPECT_GT(sink->dropped(), 0u);
  EXPECT_EQ(sink->sent() + sink->dropped(), static_cast<uint64_t>(kLines));
  EXPECT_THAT(sink->StatsLine(),
              HasSubstr(absl::StrCat("sent=", sink->sent(),
                                     " dropped=", sink->dropped())));
}

TEST_F(SyslogSinkTest, CreateRefusesAPathThatIsNotASocket) {
  // Beside the receiver's socket, in its directory (short enough for a
  // socket path; removed with it).
  const std::string file = absl::StrCat(receiver_->path(), ".file");
  ASSERT_THAT(WriteStringToFile(file, ""), IsOk());
  EXPECT_THAT(SyslogSink::Create({.socket_path = file}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is not a socket")));
  EXPECT_THAT(
      SyslogSink::Create({.socket_path = receiver_->path() + ".missing"}),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("No such file or directory")));
}

TEST(SyslogSinkCreateTest, RefusesAPathTooLongForASocket) {
  EXPECT_THAT(SyslogSink::Create({.socket_path = "/" + std::string(200, 'x')}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("longer than 107 bytes")));
}

}  // namespace
}  // namespace rsockd
