#include "rules/test_data.h"

#include <gtest/gtest.h>

#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "testing/files.h"

namespace rsockd::rules {

std::string TestData(absl::string_view name) {
  absl::StatusOr<std::string> contents = rsockd::testing::ReadFileToString(
      rsockd::testing::RunfilePath(absl::StrCat("rules/testdata/", name)));
  if (!contents.ok()) {
    ADD_FAILURE() << contents.status();
    return "";
  }
  return *std::move(contents);
}

std::string SockdConfWorkedExample() { return TestData("sockd.conf"); }

std::string SocksConfWorkedExample() { return TestData("socks.conf"); }

}  // namespace rsockd::rules
