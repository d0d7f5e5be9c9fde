// This file defines `WaitFor`, the bounded wait for a condition that no
// event announces (a counter another thread bumps, a process going away):
// it polls the condition every few milliseconds until it holds or the
// timeout passes.
//
//   EXPECT_TRUE(WaitFor([&] { return runner.counts().finished == 1; },
//                       "finished"));
//
// Prefer a real signal (a notification, a descriptor, a log line) where the
// code under test gives one.

#ifndef RSOCKD_TESTING_WAIT_FOR_H_
#define RSOCKD_TESTING_WAIT_FOR_H_

#include <gtest/gtest.h>

#include <functional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace rsockd::testing {

// The default bound: generous for a loaded CI machine; a passing run never
// waits it out.
inline constexpr absl::Duration kWaitForLimit = absl::Seconds(10);

// Success once `condition` holds; failure ("not <what> within 10s") when it
// still does not after `timeout`.
::testing::AssertionResult WaitFor(const std::function<bool()>& condition,
                                   absl::string_view what,
                                   absl::Duration timeout = kWaitForLimit);

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_WAIT_FOR_H_
