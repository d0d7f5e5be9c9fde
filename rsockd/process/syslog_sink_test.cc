#include "rsockd/process/syslog_sink.h"

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

TEST_F(SyslogSinkTest, RequestLogLinesGoOutAtNoticeWithFacilityPidAndTime) {
  std::unique_ptr<SyslogSink> sink = MakeSink(LOG_LOCAL5);
  ASSERT_NE(sink, nullptr);
  LOG_TO_SINK(sink.get(), INFO) << "[3] refused -- Connect from x";
  ASSERT_OK_AND_ASSIGN(std::string message, receiver_->Receive(kTimeout));
  // local5.notice: 21 * 8 + 5 = 173, so that classic `*.notice` selectors
  // keep seeing the request log.
  EXPECT_THAT(message, MatchesRegex("<173>[A-Z][a-z][a-z] [ 123][0-9] "
                                    "[0-2][0-9]:[0-5][0-9]:[0-6][0-9] .*"));
  EXPECT_THAT(message,
              EndsWith(absl::StrCat(" rsockd[", getpid(),
                                    "]: [3] refused -- Connect from x")));
  EXPECT_EQ(sink->sent(), 1u);
  EXPECT_EQ(sink->dropped(), 0u);
}

TEST_F(SyslogSinkTest, AlertLineGoesOutOnceAtWarning) {
  std::unique_ptr<SyslogSink> sink = MakeSink();
  ASSERT_NE(sink, nullptr);
  // glog hands a LOG_TO_SINK line to the sink named and then to every
  // registered sink: a warning must still be sent once.
  LOG_TO_SINK(sink.get(), WARNING) << "[4] *Alert*: real user is a, not b";
  LOG_TO_SINK(sink.get(), INFO) << "[4] refused -- after the alert";
  // Datagrams arrive in order: the second one is the next line, not a copy.
  ASSERT_OK_AND_ASSIGN(std::string alert, receiver_->Receive(kTimeout));
  EXPECT_THAT(alert, StartsWith("<28>"));  // daemon.warning
  EXPECT_THAT(alert, EndsWith("]: [4] *Alert*: real user is a, not b"));
  ASSERT_OK_AND_ASSIGN(std::string next, receiver_->Receive(kTimeout));
  EXPECT_THAT(next, StartsWith("<29>"));  // daemon.notice
  EXPECT_THAT(next, EndsWith("]: [4] refused -- after the alert"));
  EXPECT_EQ(sink->sent(), 2u);
}

TEST_F(SyslogSinkTest, WarningsAndErrorsFromAnywhereGoOutAndInfoStaysOut) {
  std::unique_ptr<SyslogSink> sink = MakeSink();
  ASSERT_NE(sink, nullptr);
  LOG(INFO) << "ordinary diagnostics";
  LOG(WARNING) << "server-level trouble";
  LOG(ERROR) << "a reload failed";
  ASSERT_OK_AND_ASSIGN(std::string warning, receiver_->Receive(kTimeout));
  EXPECT_THAT(warning, StartsWith("<28>"));  // daemon.warning
  EXPECT_THAT(warning, EndsWith("]: server-level trouble"));
  ASSERT_OK_AND_ASSIGN(std::string error, receiver_->Receive(kTimeout));
  EXPECT_THAT(error, StartsWith("<27>"));  // daemon.err
  EXPECT_THAT(error, EndsWith("]: a reload failed"));
  EXPECT_EQ(sink->sent(), 2u);
}

TEST_F(SyslogSinkTest, StopsTakingWarningsWhenDestroyed) {
  // A sink destroyed while still registered would be called after its end.
  MakeSink().reset();
  std::unique_ptr<SyslogSink> sink = MakeSink();
  ASSERT_NE(sink, nullptr);
  LOG(WARNING) << "once";
  LOG_TO_SINK(sink.get(), INFO) << "next";
  ASSERT_OK_AND_ASSIGN(std::string message, receiver_->Receive(kTimeout));
  EXPECT_THAT(message, EndsWith("]: once"));
  ASSERT_OK_AND_ASSIGN(std::string next, receiver_->Receive(kTimeout));
  EXPECT_THAT(next, EndsWith("]: next"));
}

TEST_F(SyslogSinkTest, SendLineFormatsWithTheCurrentTime) {
  std::unique_ptr<SyslogSink> sink = MakeSink(LOG_LOCAL0);
  ASSERT_NE(sink, nullptr);
  sink->SendLine(LOG_ERR, "--port: 70000 is not a port");
  ASSERT_OK_AND_ASSIGN(std::string message, receiver_->Receive(kTimeout));
  EXPECT_THAT(message, MatchesRegex("<131>[A-Z][a-z][a-z] [ 123][0-9] "
                                    "[0-2][0-9]:[0-5][0-9]:[0-6][0-9] .*"));
  EXPECT_THAT(message, EndsWith("]: --port: 70000 is not a port"));
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
