// GoogleTest matchers for absl::Status and absl::StatusOr<T>:
//
//   EXPECT_THAT(DoThing(), IsOk());
//   EXPECT_THAT(Parse(text), StatusIs(absl::StatusCode::kInvalidArgument,
//                                     HasSubstr("line 3")));
//   EXPECT_THAT(ParsePort("80"), IsOkAndHolds(80));
//   ASSERT_OK_AND_ASSIGN(Socket s, Connect(...));

#ifndef RSOCKD_TESTING_STATUS_MATCHERS_H_
#define RSOCKD_TESTING_STATUS_MATCHERS_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rsockd::testing {
namespace internal {

inline const absl::Status& GetStatus(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace internal

MATCHER(IsOk, "is OK") {
  const absl::Status& status = internal::GetStatus(arg);
  if (!status.ok()) *result_listener << "status is " << status;
  return status.ok();
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has code " + ::testing::PrintToString(code)) {
  const absl::Status& status = internal::GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code &&
         ::testing::Matches(message_matcher)(std::string(status.message()));
}

// Matches an OK StatusOr whose value matches `value_matcher` (a value or a
// matcher): EXPECT_THAT(Thaw(bytes), IsOkAndHolds(expected)).
MATCHER_P(IsOkAndHolds, value_matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

}  // namespace rsockd::testing

#define RSOCKD_TESTING_CONCAT_INNER_(a, b) a##b
#define RSOCKD_TESTING_CONCAT_(a, b) RSOCKD_TESTING_CONCAT_INNER_(a, b)

// Asserts that `expr` (a StatusOr) is OK and moves its value into `lhs`.
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                          \
  auto RSOCKD_TESTING_CONCAT_(status_or_, __LINE__) = (expr);    \
  ASSERT_TRUE(RSOCKD_TESTING_CONCAT_(status_or_, __LINE__).ok()) \
      << RSOCKD_TESTING_CONCAT_(status_or_, __LINE__).status();  \
  lhs = *std::move(RSOCKD_TESTING_CONCAT_(status_or_, __LINE__))

#endif  // RSOCKD_TESTING_STATUS_MATCHERS_H_
