#include "rsockd/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "testing/status_matchers.h"

namespace rsockd {
namespace {

using ::rsockd::testing::StatusIs;
using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

rules::AccessRequest From(const char* client) {
  rules::AccessRequest request;
  request.client = *net::IpAddress::Parse(client);
  request.destination = *net::IpAddress::Parse("192.0.2.1");
  request.port = 80;
  return request;
}

TEST(LoadRuleSetTest, MissingDefaultFileFallsBackToLoopbackOnly) {
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const rules::RuleSet> rules,
                       LoadRuleSet({.sockd_conf = TempPath("absent.conf"),
                                    .sockd_conf_explicit = false}));
  EXPECT_TRUE(rules->CheckAccess(From("127.0.0.1")).permitted);
  EXPECT_TRUE(rules->CheckAccess(From("127.9.9.9")).permitted);
  EXPECT_FALSE(rules->CheckAccess(From("10.0.0.1")).permitted)
      << "the embedded default must never be an open relay";
}

TEST(LoadRuleSetTest, MissingExplicitFileIsAnError) {
  EXPECT_THAT(LoadRuleSet({.sockd_conf = TempPath("absent.conf"),
                           .sockd_conf_explicit = true}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("absent.conf")));
}

TEST(LoadRuleSetTest, ReadsTheGivenFile) {
  const std::string path = TempPath("given.conf");
  std::ofstream(path) << "permit 10.0.0.0 255.0.0.0\n";
  ASSERT_OK_AND_ASSIGN(
      std::shared_ptr<const rules::RuleSet> rules,
      LoadRuleSet({.sockd_conf = path, .sockd_conf_explicit = true}));
  EXPECT_TRUE(rules->CheckAccess(From("10.0.0.1")).permitted);
  EXPECT_FALSE(rules->CheckAccess(From("127.0.0.1")).permitted);
}

TEST(LoadRuleSetTest, ReportsEveryErrorWithPosition) {
  const std::string path = TempPath("broken.conf");
  std::ofstream(path)
      << "permit 10.0.0.0 255.0.0.0\nallow ALL\npermit ALL eq nosuchservice\n";
  absl::StatusOr<std::shared_ptr<const rules::RuleSet>> rules =
      LoadRuleSet({.sockd_conf = path, .sockd_conf_explicit = true});
  EXPECT_THAT(rules, StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr("broken.conf:2:1:")));
  EXPECT_THAT(rules, StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr("broken.conf:3:")));
}

}  // namespace
}  // namespace rsockd
