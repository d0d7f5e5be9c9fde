#include "testing/wait_for.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "testing/status_matchers.h"

namespace rsockd::testing {
namespace {

using ::testing::HasSubstr;

TEST(WaitForTest, SucceedsOnceTheConditionHolds) {
  int polls = 0;
  EXPECT_TRUE(WaitFor([&] { return ++polls == 3; }, "polled thrice"));
  EXPECT_EQ(polls, 3);
}

TEST(WaitForTest, FailureSaysWhatWasAwaitedAndForHowLong) {
  int polls = 0;
  const absl::Time start = absl::Now();
  const ::testing::AssertionResult result = WaitFor(
      [&] {
        ++polls;
        return false;
      },
      "finished", absl::Milliseconds(100));
  EXPECT_FALSE(result);
  EXPECT_EQ(std::string(result.message()), "not finished within 100ms");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(100));
  // At the start and at the deadline at least, but not in a busy loop.
  EXPECT_GE(polls, 2);
  EXPECT_LT(polls, 100);
}

TEST(WaitUntilAvailableTest, ReturnsTheValueOnceThereIsOne) {
  int polls = 0;
  absl::StatusOr<int> result = WaitUntilAvailable([&]() -> absl::StatusOr<int> {
    if (++polls < 3) return absl::UnavailableError("not yet");
    return 42;
  });
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(*result, 42);
  EXPECT_EQ(polls, 3);
}

TEST(WaitUntilAvailableTest, AnotherErrorEndsTheWaitAtOnce) {
  int polls = 0;
  const absl::Time start = absl::Now();
  EXPECT_THAT(WaitUntilAvailable(
                  [&]() -> absl::StatusOr<std::string> {
                    ++polls;
                    return absl::FailedPreconditionError("the child exited");
                  },
                  absl::Seconds(60)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       ::testing::Eq("the child exited")));
  EXPECT_EQ(polls, 1);
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
}

TEST(WaitUntilAvailableTest, TimeoutCarriesTheLastMessage) {
  int polls = 0;
  EXPECT_THAT(WaitUntilAvailable(
                  [&]() -> absl::StatusOr<int> {
                    return absl::UnavailableError(
                        absl::StrCat("no line yet after poll ", ++polls));
                  },
                  absl::Milliseconds(50)),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("timed out after 50ms: no line yet")));
  EXPECT_GT(polls, 1);
}

TEST(WaitUntilAvailableTest, WaitsForAPlainStatus) {
  int polls = 0;
  EXPECT_THAT(WaitUntilAvailable([&] {
                return ++polls < 2 ? absl::UnavailableError("not listening")
                                   : absl::OkStatus();
              }),
              IsOk());
  EXPECT_THAT(
      WaitUntilAvailable([] { return absl::UnavailableError("not listening"); },
                         absl::Milliseconds(20)),
      StatusIs(absl::StatusCode::kDeadlineExceeded,
               HasSubstr("not listening")));
}

}  // namespace
}  // namespace rsockd::testing
