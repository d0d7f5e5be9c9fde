// The frozen files in rules/testdata/frozen_corpus are golden: freezing the
// text files beside them must give exactly those bytes, and thawing them
// must give the parsed rules. A layout change that forgot to bump
// kFrozenFormatVersion fails here (an old reader would misread the new
// files); see rules/testdata/README.md for regenerating them.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
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
}

TEST(FrozenGoldenTest, SockdRoute) {
  CheckGolden<SockdRoute, ParseSockdRoute, FreezeSockdRoute, ThawSockdRoute>(
      "sockd.route", "sockd.fr");
}

}  // namespace
}  // namespace rsockd::rules
