#include "testing/wait_for.h"

#include "absl/time/clock.h"

namespace rsockd::testing {

::testing::AssertionResult WaitFor(const std::function<bool()>& condition,
                                   absl::string_view what,
                                   absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() >= deadline) {
      return ::testing::AssertionFailure()
             << "not " << what << " within " << absl::FormatDuration(timeout);
    }
    absl::SleepFor(absl::Milliseconds(5));  // Poll interval.
  }
  return ::testing::AssertionSuccess();
}

}  // namespace rsockd::testing
