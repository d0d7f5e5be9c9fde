#include "rsockd/tools/request_args.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace rsockd {
namespace {

using ::rsockd::testing::StatusIs;

TEST(RequestArgsTest, ReadsUserDestinationAndPort) {
  ASSERT_OK_AND_ASSIGN(
      RequestArgs args,
      ParseRequestArgs({"jane", "10.9.9.9", "80"}, /*with_source=*/false));
  EXPECT_EQ(args.user, "jane");
  EXPECT_EQ(args.source, "");
  EXPECT_EQ(args.destination, "10.9.9.9");
  EXPECT_EQ(args.port, 80);
}

TEST(RequestArgsTest, ReadsTheSourceAndResolvesServiceNames) {
  ASSERT_OK_AND_ASSIGN(
      RequestArgs args,
      ParseRequestArgs({"ylee", "128.12.6.4", "db.example", "telnet"},
                       /*with_source=*/true));
  EXPECT_EQ(args.user, "ylee");
  EXPECT_EQ(args.source, "128.12.6.4");
  EXPECT_EQ(args.destination, "db.example");
  EXPECT_EQ(args.port, 23);
}

TEST(RequestArgsTest, WrongNumberOfArgumentsSaysWhatIsExpected) {
  EXPECT_THAT(ParseRequestArgs({"u", "10.0.0.1"}, /*with_source=*/false),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "expected user dst_addr port"));
  EXPECT_THAT(ParseRequestArgs({"u", "10.0.0.1", "10.0.0.2", "80", "x"},
                               /*with_source=*/true),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "expected user src_addr dst_addr port"));
}

TEST(RequestArgsTest, RejectsAPortThatIsNeitherNumberNorService) {
  EXPECT_THAT(
      ParseRequestArgs({"u", "10.0.0.1", "nosuch"}, /*with_source=*/false),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "bad port or service: nosuch"));
  EXPECT_THAT(
      ParseRequestArgs({"u", "10.0.0.1", "65536"}, /*with_source=*/false),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "bad port or service: 65536"));
}

TEST(RequestArgsTest, ErrorsExitWithTwo) {
  EXPECT_EQ(UsageError("tool", "", "usage: tool\n"), kToolError);
  EXPECT_EQ(ToolError(absl::NotFoundError("gone")), kToolError);
  EXPECT_EQ(kToolError, 2);
}

}  // namespace
}  // namespace rsockd
