// This file defines the bounded waits of the tests, for conditions that no
// event announces: a counter another thread bumps, a line a child process
// writes to a file, a process going away. Both poll — at once, then after
// pauses that grow from 1 ms to 10 ms — until the condition holds or the
// timeout passes.
//
// `WaitFor` waits for a predicate; its result says what was awaited:
//
//   EXPECT_TRUE(WaitFor([&] { return runner.counts().finished == 1; },
//                       "finished"));
//
// `WaitUntilAvailable` waits for a result, an absl::Status or StatusOr<T>.
// The poll returns Unavailable — Abseil's code for a condition that retrying
// corrects — while the awaited thing is not there yet, with a message that
// says what is missing; anything else (a value, or an error such as the
// child having exited) ends the wait and is returned:
//
//   absl::StatusOr<std::string> line = WaitUntilAvailable(
//       [&]() -> absl::StatusOr<std::string> {
//         if (std::optional<std::string> found = ...) return *found;
//         if (!child.Running()) return absl::FailedPreconditionError("ended");
//         return absl::UnavailableError("no line with \"ready\"");
//       },
//       absl::Seconds(20));
//
// On timeout it returns DeadlineExceeded with the last Unavailable message:
// "timed out after 20s: no line with "ready"".
//
// Prefer a real signal (a notification, a descriptor, a reply) where the
// code under test gives one.

#ifndef RSOCKD_TESTING_WAIT_FOR_H_
#define RSOCKD_TESTING_WAIT_FOR_H_

#include <gtest/gtest.h>

#include <functional>
#include <type_traits>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace rsockd::testing {

// The default bound: generous for a loaded CI machine; a passing run never
// waits it out.
inline constexpr absl::Duration kWaitForLimit = absl::Seconds(10);

// Success once `condition` holds; failure ("not <what> within 10s") when it
// still does not after `timeout`. Callers may stream more detail into the
// failure (`result << "; last: " << last`).
::testing::AssertionResult WaitFor(const std::function<bool()>& condition,
                                   absl::string_view what,
                                   absl::Duration timeout = kWaitForLimit);

namespace wait_for_internal {

// Calls `done` until it returns true (then true) or `timeout` has passed
// (then false, after a last call at the deadline).
bool PollUntil(absl::FunctionRef<bool()> done, absl::Duration timeout);

inline const absl::Status& StatusOf(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& result) {
  return result.status();
}

// DeadlineExceeded: "timed out after <timeout>: <last's message>".
absl::Status TimedOut(const absl::Status& last, absl::Duration timeout);

}  // namespace wait_for_internal

// Calls `poll` (returning absl::Status or absl::StatusOr<T>) until its result
// is not Unavailable, and returns that result; see the file comment.
template <typename Poll>
std::invoke_result_t<Poll&> WaitUntilAvailable(
    Poll poll, absl::Duration timeout = kWaitForLimit) {
  std::invoke_result_t<Poll&> result = absl::UnknownError("never polled");
  if (wait_for_internal::PollUntil(
          [&] {
            result = poll();
            return !absl::IsUnavailable(wait_for_internal::StatusOf(result));
          },
          timeout)) {
    return result;
  }
  return wait_for_internal::TimedOut(wait_for_internal::StatusOf(result),
                                     timeout);
}

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_WAIT_FOR_H_
