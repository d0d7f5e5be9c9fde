#include "rsockd/tools/frozen_tool.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rules/frozen_sockd_conf.h"
#include "rules/sockd_conf.h"
#include "testing/files.h"
#include "testing/status_matchers.h"

namespace rsockd {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::ReadFileToString;
using ::rsockd::testing::WriteStringToFile;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

struct Result {
  int status = -1;
  std::string out;
  std::string err;
};

Result RunTool(absl::string_view tool, std::vector<std::string> args) {
  std::vector<const char*> argv = {"tool"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out;
  std::ostringstream err;
  Result result;
  result.status =
      RunFrozenTool(tool, static_cast<int>(argv.size()), argv.data(), out, err);
  result.out = out.str();
  result.err = err.str();
  return result;
}

class FrozenToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(dir_, rsockd::testing::MakeTempDir("tool"));
  }

  std::string Write(absl::string_view name, absl::string_view text) {
    const std::string path = absl::StrCat(dir_, "/", name);
    EXPECT_THAT(WriteStringToFile(path, text), IsOk());
    return path;
  }

  std::string dir_;
};

TEST_F(FrozenToolTest, MakeWritesBesideTheInputAndDumpPrintsIt) {
  const std::string conf = Write("sockd.conf",
                                 "deny 10.0.0.0/8 eq telnet : logger %u\n"
                                 "permit ALL\n#BAD_ID: logger bad\n");
  const Result made = RunTool("make_sockdfc", {conf});
  EXPECT_EQ(made.status, 0) << made.err;
  EXPECT_EQ(made.out,
            absl::StrCat("make_sockdfc: wrote ", dir_, "/sockd.fc (2 rules, ",
                         ReadFileToString(dir_ + "/sockd.fc")->size(),
                         " bytes) from ", conf, "\n"));
  EXPECT_THAT(made.err, IsEmpty());

  const Result dumped = RunTool("dump_sockdfc", {dir_ + "/sockd.fc"});
  EXPECT_EQ(dumped.status, 0) << dumped.err;
  EXPECT_EQ(dumped.out, absl::StrCat("# ", conf, ", frozen in ", dir_,
                                     "/sockd.fc\n"
                                     "deny 10.0.0.0/8 eq 23 : logger %u\n"
                                     "permit ALL\n"
                                     "#BAD_ID: logger bad\n"));
}

TEST_F(FrozenToolTest, MakeTakesAnExplicitOutputAndKeepsThePermissionBits) {
  const std::string conf = Write("private.conf", "permit 127.0.0.1/32\n");
  ASSERT_EQ(chmod(conf.c_str(), 0640), 0);
  const std::string output = dir_ + "/elsewhere.bin";
  EXPECT_EQ(RunTool("make_sockdfc", {conf, output}).status, 0);
  struct stat info;
  ASSERT_EQ(stat(output.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0640u);
  ASSERT_OK_AND_ASSIGN(const rules::SockdConf thawed,
                       rules::LoadFrozenSockdConf(output));
  EXPECT_EQ(thawed.filename, conf);
  EXPECT_EQ(thawed.rules.size(), 1u);
}

TEST_F(FrozenToolTest, ParseErrorsArePrintedAndNothingIsWritten) {
  const std::string conf = Write("sockd.conf", "permit ALL\n");
  ASSERT_EQ(RunTool("make_sockdfc", {conf}).status, 0);
  ASSERT_OK_AND_ASSIGN(const std::string before,
                       ReadFileToString(dir_ + "/sockd.fc"));
  Write("sockd.conf", "permit ALL eq nosuch\nallow ALL\n");
  const Result result = RunTool("make_sockdfc", {conf});
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.err, HasSubstr(conf + ":1:15: unknown service"));
  EXPECT_THAT(result.err, HasSubstr(conf + ":2:1: unknown keyword"));
  EXPECT_THAT(result.err,
              HasSubstr("make_sockdfc: " + dir_ + "/sockd.fc not written"));
  EXPECT_THAT(result.out, IsEmpty());
  // The frozen file of the last good config is untouched.
  EXPECT_THAT(ReadFileToString(dir_ + "/sockd.fc"),
              rsockd::testing::IsOkAndHolds(before));
}

TEST_F(FrozenToolTest, EachKindHasItsToolsAndExtension) {
  const std::string socks = Write("socks.conf", "sockd @=10.1.1.1:1080 ALL\n");
  EXPECT_EQ(RunTool("make_socksfc", {socks}).status, 0);
  const Result socks_dump = RunTool("dump_socksfc", {dir_ + "/socks.fc"});
  EXPECT_EQ(socks_dump.status, 0) << socks_dump.err;
  EXPECT_THAT(socks_dump.out, HasSubstr("\nsockd @=10.1.1.1:1080 ALL\n"));

  const std::string route = Write("sockd.route", "127.0.0.2 ALL\n");
  EXPECT_EQ(RunTool("make_sockdfr", {route}).status, 0);
  const Result route_dump = RunTool("dump_sockdfr", {dir_ + "/sockd.fr"});
  EXPECT_EQ(route_dump.status, 0) << route_dump.err;
  EXPECT_THAT(route_dump.out, HasSubstr("\n127.0.0.2 ALL\n"));

  // A dump tool refuses another kind's frozen file.
  const Result wrong = RunTool("dump_sockdfc", {dir_ + "/sockd.fr"});
  EXPECT_EQ(wrong.status, 1);
  EXPECT_THAT(wrong.err, HasSubstr("this is a frozen sockd.route, not a "
                                   "frozen sockd.conf"));
}

TEST_F(FrozenToolTest, DumpReportsUnreadableAndCorruptFiles) {
  const Result missing = RunTool("dump_sockdfc", {dir_ + "/absent.fc"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_THAT(missing.err, StartsWith("dump_sockdfc: cannot read " + dir_ +
                                      "/absent.fc: No such file"));
  const std::string text = Write("text.fc", "permit ALL\n");
  const Result not_frozen = RunTool("dump_sockdfc", {text});
  EXPECT_EQ(not_frozen.status, 1);
  EXPECT_THAT(not_frozen.err, HasSubstr("not a frozen sockd.conf"));
  EXPECT_THAT(not_frozen.out, IsEmpty());
}

TEST_F(FrozenToolTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunTool("make_sockdfc", {"a", "b", "c"}).status, 2);
  EXPECT_EQ(RunTool("dump_sockdfc", {"a", "b"}).status, 2);
  const Result option = RunTool("make_sockdfc", {"-x"});
  EXPECT_EQ(option.status, 2);
  EXPECT_THAT(option.err, HasSubstr("unknown option -x"));
  EXPECT_THAT(option.err, HasSubstr("usage: make_sockdfc [in [out]]"));
  EXPECT_EQ(RunTool("make_nothing", {}).status, 2);
  // An input that already has the frozen extension would be overwritten.
  const std::string frozen = Write("sockd.fc", "permit ALL\n");
  const Result same = RunTool("make_sockdfc", {frozen});
  EXPECT_EQ(same.status, 2);
  EXPECT_THAT(same.err, HasSubstr("is the input file"));
  EXPECT_THAT(ReadFileToString(frozen),
              rsockd::testing::IsOkAndHolds(std::string("permit ALL\n")));
}

TEST_F(FrozenToolTest, HelpGoesToStdoutAndNamesTheDefaults) {
  const Result help = RunTool("make_sockdfr", {"--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_THAT(help.out, HasSubstr("(default /etc/sockd.route)"));
  EXPECT_THAT(help.out, HasSubstr("/etc/sockd.fr"));
  const Result dump_help = RunTool("dump_socksfc", {"-h"});
  EXPECT_EQ(dump_help.status, 0);
  EXPECT_THAT(dump_help.out, HasSubstr("(default /etc/socks.fc)"));
}

}  // namespace
}  // namespace rsockd
