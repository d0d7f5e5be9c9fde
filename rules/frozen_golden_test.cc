// The frozen files in rules/testdata/frozen_corpus are golden: freezing the
// text files beside them must give exactly those bytes, and thawing them
// must give the parsed rules. A layout change that forgot to bump
// kFrozenFormatVersion fails here (an old reader would misread the new
// files); see rules/testdata/README.md for regenerating them. The `*.v1.*`
// files were written by format version 1 and must still thaw to the rules
// of their text files.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "rules/frozen_io.h"
#include "rules/frozen_sockd_conf.h"
#include "rules/frozen_sockd_route.h"
#include "rules/frozen_socks_conf.h"
#include "rules/sockd_conf.h"
#include "rules/sockd_route.h"
#include "rules/socks_conf.h"
#include "rules/test_data.h"
#include "testing/status_matchers.h"

namespace rsockd::rules {
namespace {

constexpr char kChanged[] =
    "the frozen layout changed: bump kFrozenFormatVersion (rules/frozen_io.h) "
    "and regenerate rules/testdata/frozen_corpus (rules/testdata/README.md)";

// Text name (relative, as stored in the frozen file) and frozen name.
template <typename Rules, auto Parse, auto Freeze, auto Thaw>
void CheckGolden(absl::string_view text_name, absl::string_view frozen_name) {
  SCOPED_TRACE(frozen_name);
  ASSERT_OK_AND_ASSIGN(const Rules parsed,
                       Parse(TestData(text_name), text_name));
  const std::string golden =
      TestData(absl::StrCat("frozen_corpus/", frozen_name));
  ASSERT_OK_AND_ASSIGN(const std::string frozen, Freeze(parsed));
  EXPECT_TRUE(frozen == golden) << kChanged;
  ASSERT_OK_AND_ASSIGN(const Rules thawed, Thaw(golden));
  EXPECT_EQ(thawed.filename, text_name);
  EXPECT_TRUE(thawed.rules == parsed.rules) << kChanged;
}

// A file written by an older format version: it still thaws, to the parsed
// rules of its text file, and refreezing it writes the current version.
template <typename Rules, auto Parse, auto Freeze, auto Thaw>
void CheckOldVersion(absl::string_view text_name, absl::string_view frozen_name,
                     uint16_t version) {
  SCOPED_TRACE(frozen_name);
  ASSERT_OK_AND_ASSIGN(const Rules parsed,
                       Parse(TestData(text_name), text_name));
  const std::string old = TestData(absl::StrCat("frozen_corpus/", frozen_name));
  ASSERT_GE(old.size(), 10u);
  EXPECT_EQ(static_cast<uint8_t>(old[8]), version);
  ASSERT_OK_AND_ASSIGN(const Rules thawed, Thaw(old));
  EXPECT_EQ(thawed.filename, text_name);
  EXPECT_TRUE(thawed.rules == parsed.rules);
  ASSERT_OK_AND_ASSIGN(const std::string refrozen, Freeze(thawed));
  EXPECT_EQ(static_cast<uint8_t>(refrozen[8]), kFrozenFormatVersion);
}

TEST(FrozenGoldenTest, SockdConf) {
  CheckGolden<SockdConf, ParseSockdConf, FreezeSockdConf, ThawSockdConf>(
      "sockd.conf", "sockd.fc");
  CheckGolden<SockdConf, ParseSockdConf, FreezeSockdConf, ThawSockdConf>(
      "sockd_all_forms.conf", "sockd_all_forms.fc");
}

TEST(FrozenGoldenTest, SocksConf) {
  CheckGolden<SocksConf, ParseSocksConf, FreezeSocksConf, ThawSocksConf>(
      "socks.conf", "socks.fc");
  CheckGolden<SocksConf, ParseSocksConf, FreezeSocksConf, ThawSocksConf>(
      "socks_all_forms.conf", "socks_all_forms.fc");
  CheckGolden<SocksConf, ParseSocksConf, FreezeSocksConf, ThawSocksConf>(
      "socks_upstream_forms.conf", "socks_upstream_forms.fc");
}

TEST(FrozenGoldenTest, VersionOneFilesStillRead) {
  CheckOldVersion<SockdConf, ParseSockdConf, FreezeSockdConf, ThawSockdConf>(
      "sockd.conf", "sockd.v1.fc", 1);
  CheckOldVersion<SockdConf, ParseSockdConf, FreezeSockdConf, ThawSockdConf>(
      "sockd_all_forms.conf", "sockd_all_forms.v1.fc", 1);
  CheckOldVersion<SocksConf, ParseSocksConf, FreezeSocksConf, ThawSocksConf>(
      "socks.conf", "socks.v1.fc", 1);
  CheckOldVersion<SocksConf, ParseSocksConf, FreezeSocksConf, ThawSocksConf>(
      "socks_all_forms.conf", "socks_all_forms.v1.fc", 1);
  CheckOldVersion<SockdRoute, ParseSockdRoute, FreezeSockdRoute,
                  ThawSockdRoute>("sockd.route", "sockd.v1.fr", 1);
}

TEST(FrozenGoldenTest, SockdRoute) {
  CheckGolden<SockdRoute, ParseSockdRoute, FreezeSockdRoute, ThawSockdRoute>(
      "sockd.route", "sockd.fr");
}

}  // namespace
}  // namespace rsockd::rules
