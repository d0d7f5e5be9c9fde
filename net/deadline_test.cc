#include "net/deadline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>

#include "net/socket.h"
#include "testing/loopback.h"
#include "testing/status_matchers.h"

namespace rsockd::net {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::StatusIs;
using ::testing::HasSubstr;

constexpr absl::Duration kStep = absl::Seconds(10);

TEST(DeadlineWaitTest, SeveralDescriptorsReportWhichIsReady) {
  ASSERT_OK_AND_ASSIGN(testing::LoopbackPair quiet,
                       testing::MakeLoopbackPair());
  ASSERT_OK_AND_ASSIGN(testing::LoopbackPair busy, testing::MakeLoopbackPair());
  ASSERT_THAT(busy.connected.WriteAll("x", Deadline::In(kStep)), IsOk());
  pollfd fds[3] = {{quiet.accepted.fd(), POLLIN, 0},
                   {-1, POLLIN, 0},  // ignored, as poll(2) does
                   {busy.accepted.fd(), POLLIN, 0}};
  ASSERT_THAT(Deadline::In(kStep).Wait(absl::MakeSpan(fds)), IsOk());
  EXPECT_EQ(fds[0].revents, 0);
  EXPECT_EQ(fds[1].revents, 0);
  EXPECT_NE(fds[2].revents & POLLIN, 0);
}

TEST(DeadlineWaitTest, SeveralDescriptorsTimeOut) {
  ASSERT_OK_AND_ASSIGN(testing::LoopbackPair pair, testing::MakeLoopbackPair());
  pollfd fds[2] = {{pair.accepted.fd(), POLLIN, 0},
                   {pair.connected.fd(), POLLIN, 0}};
  EXPECT_THAT(
      Deadline::In(absl::Milliseconds(50)).Wait(absl::MakeSpan(fds)),
      StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("timed out")));
}

TEST(DeadlineWaitTest, StopSignalWinsOverAReadyDescriptor) {
  ASSERT_OK_AND_ASSIGN(testing::LoopbackPair pair, testing::MakeLoopbackPair());
  ASSERT_THAT(pair.connected.WriteAll("x", Deadline::In(kStep)), IsOk());
  StopSignal stop;
  stop.Notify();
  pollfd fds[1] = {{pair.accepted.fd(), POLLIN, 0}};
  EXPECT_THAT(Deadline::In(kStep, &stop).Wait(absl::MakeSpan(fds)),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("stopping")));
  // The single-descriptor form behaves the same.
  EXPECT_THAT(Deadline::In(kStep, &stop).Wait(pair.accepted.fd(), POLLIN),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("stopping")));
}

}  // namespace
}  // namespace rsockd::net
