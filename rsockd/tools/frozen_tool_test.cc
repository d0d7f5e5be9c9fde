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

// docs/frozen_files.md: a frozen socks.conf holding upstream credentials is
// never readable by others, whatever the text file allows (and the tool
// says so when the text file is).
TEST_F(FrozenToolTest, MakeWithCredentialsDropsAccessForOthers) {
  const std::string conf =
      Write("socks.conf", "sockd @=socks5://alice:s3cret@fw ALL\n");
  ASSERT_EQ(chmod(conf.c_str(), 0664), 0);
  const Result made = RunTool("make_socksfc", {conf});
  EXPECT_EQ(made.status, 0) << made.err;
  EXPECT_EQ(made.err,
            absl::StrCat("make_socksfc: warning: ", conf,
                         " holds upstream credentials and others may read "
                         "it; ",
                         dir_,
                         "/socks.fc is written without access for "
                         "others\n"));
  EXPECT_THAT(made.err + made.out, ::testing::Not(HasSubstr("s3cret")));
  struct stat info;
  ASSERT_EQ(stat((dir_ + "/socks.fc").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0660u);

  // A private text file: no warning, the same bits.
  ASSERT_EQ(chmod(conf.c_str(), 0600), 0);
  const Result quiet = RunTool("make_socksfc", {conf});
  EXPECT_EQ(quiet.status, 0) << quiet.err;
  EXPECT_THAT(quiet.err, IsEmpty());
  ASSERT_EQ(stat((dir_ + "/socks.fc").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600u);

  // Without credentials the text file's bits, as for the other kinds.
  const std::string plain = Write("plain.conf", "sockd @=socks5://fw ALL\n");
  ASSERT_EQ(chmod(plain.c_str(), 0644), 0);
  EXPECT_EQ(RunTool("make_socksfc", {plain}).status, 0);
  ASSERT_EQ(stat((dir_ + "/plain.fc").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0644u);
}

// socks.conf(5), "Credentials": dumps mask them; --show_secrets (only for
// dump_socksfc) prints a dump that parses back to the same rules.
TEST_F(FrozenToolTest, DumpMasksCredentialsUnlessShowSecrets) {
  const std::string conf =
      Write("socks.conf", "sockd @=socks5://alice:s%40cret@fw,fw2 ALL\n");
  ASSERT_EQ(RunTool("make_socksfc", {conf}).status, 0);
  const std::string frozen = dir_ + "/socks.fc";
  const Result masked = RunTool("dump_socksfc", {frozen});
  EXPECT_EQ(masked.status, 0) << masked.err;
  EXPECT_THAT(masked.out,
              HasSubstr("\nsockd @=socks5://***@fw:1080,fw2:1080 ALL\n"));
  EXPECT_THAT(masked.out, ::testing::Not(HasSubstr("alice")));
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--show_secrets", frozen},
        std::vector<std::string>{frozen, "-show_secrets"}}) {
    const Result shown = RunTool("dump_socksfc", args);
    EXPECT_EQ(shown.status, 0) << shown.err;
    EXPECT_THAT(shown.out,
                HasSubstr("\nsockd @=socks5://alice:s%40cret@fw:1080,fw2:1080 "
                          "ALL\n"));
  }
  for (const char* tool : {"dump_sockdfc", "make_socksfc"}) {
    const Result refused = RunTool(tool, {"--show_secrets"});
    EXPECT_EQ(refused.status, 2) << tool;
    EXPECT_THAT(refused.err, HasSubstr("unknown option --show_secrets"));
  }
  EXPECT_THAT(RunTool("dump_socksfc", {"--help"}).out,
              HasSubstr("--show_secrets"));
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
