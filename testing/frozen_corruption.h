// This file defines `CheckEveryCorruptionIsRejected()`, the shared part of
// the corruption tests of the frozen rule files: a reader given a truncated
// or bit-flipped file must return an error with a message — never rules,
// never a crash.
//
//   EXPECT_TRUE(CheckEveryCorruptionIsRejected(
//       frozen, [](absl::string_view file) { return ThawSockdConf(file); }));

#ifndef RSOCKD_TESTING_FROZEN_CORRUPTION_H_
#define RSOCKD_TESTING_FROZEN_CORRUPTION_H_

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/string_view.h"

namespace rsockd::testing {

// Thaws `file` cut at every length below its size, and with every single
// bit flipped; fails naming the first damage that was accepted or that gave
// an error without a message. `thaw` returns an absl::StatusOr.
template <typename Thaw>
::testing::AssertionResult CheckEveryCorruptionIsRejected(
    absl::string_view file, Thaw thaw) {
  for (size_t size = 0; size < file.size(); ++size) {
    const auto result = thaw(file.substr(0, size));
    if (result.ok()) {
      return ::testing::AssertionFailure()
             << "accepted the file cut at " << size << " of " << file.size()
             << " bytes";
    }
    if (result.status().message().empty()) {
      return ::testing::AssertionFailure()
             << "no message for the file cut at " << size;
    }
  }
  std::string corrupt(file);
  for (size_t i = 0; i < corrupt.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      corrupt[i] = static_cast<char>(corrupt[i] ^ (1 << bit));
      const auto result = thaw(corrupt);
      corrupt[i] = static_cast<char>(corrupt[i] ^ (1 << bit));
      if (result.ok() || result.status().message().empty()) {
        return ::testing::AssertionFailure()
               << (result.ok() ? "accepted" : "no message for")
               << " the file with bit " << bit << " of byte " << i
               << " flipped";
      }
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_FROZEN_CORRUPTION_H_
