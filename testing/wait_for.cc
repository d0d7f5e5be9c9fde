#include "testing/wait_for.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace rsockd::testing {
namespace wait_for_internal {
namespace {

// Quick conditions are seen at once; slow ones (a SOCKS handshake, a scan
// of /proc) are not run a thousand times a second.
constexpr absl::Duration kFirstPause = absl::Milliseconds(1);
constexpr absl::Duration kLongestPause = absl::Milliseconds(10);

}  // namespace

bool PollUntil(absl::FunctionRef<bool()> done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration pause = kFirstPause;
  while (!done()) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    absl::SleepFor(std::min(pause, left));
    pause = std::min(2 * pause, kLongestPause);
  }
  return true;
}

absl::Status TimedOut(const absl::Status& last, absl::Duration timeout) {
  return absl::DeadlineExceededError(absl::StrCat(
      "timed out after ", absl::FormatDuration(timeout), ": ", last.message()));
}

}  // namespace wait_for_internal

::testing::AssertionResult WaitFor(const std::function<bool()>& condition,
                                   absl::string_view what,
                                   absl::Duration timeout) {
  if (wait_for_internal::PollUntil(condition, timeout)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "not " << what << " within " << absl::FormatDuration(timeout);
}

}  // namespace rsockd::testing
