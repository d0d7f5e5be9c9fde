// End-to-end: the process contract (rsockd(8)) — -ver, --help, the pid
// file, a clean exit 0 on SIGTERM (also with a session open), and SIGHUP.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/files.h"
#include "testing/rsockd_process.h"
#include "testing/socket_io.h"
#include "testing/socks4_client.h"
#include "testing/status_matchers.h"
#include "testing/subprocess.h"
#include "testing/tcp_servers.h"
#include "testing/wait_for.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::ConnectTcp;
using ::rsockd::testing::EchoServer;
using ::rsockd::testing::ExitStatus;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::kSocks4Granted;
using ::rsockd::testing::kSocks4Rejected;
using ::rsockd::testing::MakeTempDir;
using ::rsockd::testing::ReadUntilClosed;
using ::rsockd::testing::RsockdProcess;
using ::rsockd::testing::RunCommand;
using ::rsockd::testing::Socks4Connect;
using ::rsockd::testing::Socks4ConnectRequest;
using ::rsockd::testing::Socks4Handshake;
using ::rsockd::testing::Socks4Session;
using ::rsockd::testing::SubprocessResult;
using ::rsockd::testing::WriteStringToFile;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAreArray;

TEST(VersionTest, VerPrintsTheVersionAndExitsZero) {
  ASSERT_OK_AND_ASSIGN(std::string binary, RsockdProcess::BinaryPath());
  for (const char* flag : {"-ver", "--ver"}) {
    SCOPED_TRACE(flag);
    ASSERT_OK_AND_ASSIGN(SubprocessResult result,
                         RunCommand({.argv = {binary, flag}}, kCommandTimeout));
    EXPECT_TRUE(result.status.success())
        << result.status.ToString() << ": " << result.stderr_text;
    const std::string output = result.stdout_text + result.stderr_text;
    EXPECT_THAT(output, HasSubstr("rsockd"));
    EXPECT_THAT(output, HasSubstr("SOCKS4"));
    EXPECT_THAT(output, HasSubstr("\nIPv6: yes"));
  }
}

// The text between <tag> and </tag> in `xml`; empty when there is none.
std::string XmlField(absl::string_view xml, absl::string_view tag) {
  const std::string open = absl::StrCat("<", tag, ">");
  const size_t start = xml.find(open);
  if (start == absl::string_view::npos) return "";
  const size_t end = xml.find(absl::StrCat("</", tag, ">"), start);
  if (end == absl::string_view::npos) return "";
  return std::string(
      xml.substr(start + open.size(), end - start - open.size()));
}

// Every flag of the binary, by where it is defined, as gflags' own
// --helpxml tells: rsockd's (rsockd/main.cc) and the libraries'.
struct DefinedFlags {
  std::vector<std::string> own;
  std::vector<std::string> libraries;
};

absl::StatusOr<DefinedFlags> FlagsOf(const std::string& binary) {
  absl::StatusOr<SubprocessResult> result =
      RunCommand({.argv = {binary, "--helpxml"}}, kCommandTimeout);
  if (!result.ok()) return result.status();
  DefinedFlags flags;
  for (absl::string_view flag :
       absl::StrSplit(result->stdout_text, "<flag>", absl::SkipEmpty())) {
    const std::string name = XmlField(flag, "name");
    if (name.empty()) continue;  // the part before the first flag
    (XmlField(flag, "file") == "rsockd/main.cc" ? flags.own : flags.libraries)
        .push_back(name);
  }
  return flags;
}

// The flags --help describes: the names of its lines "  --name=..." and
// "  -n ...", once per line.
std::vector<std::string> DescribedFlags(absl::string_view help) {
  std::vector<std::string> names;
  for (absl::string_view line : absl::StrSplit(help, '\n')) {
    if (!absl::ConsumePrefix(&line, "  -")) continue;
    absl::ConsumePrefix(&line, "-");
    names.emplace_back(line.substr(0, line.find_first_of("= ")));
  }
  return names;
}

// Whether `text` names the flag `name` ("-v", "--log_dir=", not "--ver").
bool MentionsFlag(absl::string_view text, absl::string_view name) {
  const std::string flag = absl::StrCat("-", name);
  for (size_t at = text.find(flag); at != absl::string_view::npos;
       at = text.find(flag, at + 1)) {
    const size_t after = at + flag.size();
    if (after == text.size() ||
        !(absl::ascii_isalnum(text[after]) || text[after] == '_')) {
      return true;
    }
  }
  return false;
}

TEST(HelpTest, HelpListsEachOfRsockdsFlagsOnceByGroupAndNoLibraryFlag) {
  ASSERT_OK_AND_ASSIGN(std::string binary, RsockdProcess::BinaryPath());
  ASSERT_OK_AND_ASSIGN(DefinedFlags defined, FlagsOf(binary));
  ASSERT_THAT(defined.own, SizeIs(::testing::Gt(30)));
  ASSERT_THAT(defined.libraries, Contains("logtostderr"));

  ASSERT_OK_AND_ASSIGN(
      SubprocessResult result,
      RunCommand({.argv = {binary, "--help"}}, kCommandTimeout));
  EXPECT_TRUE(result.status.success()) << result.status.ToString();
  const std::string& help = result.stdout_text;
  EXPECT_THAT(help, StartsWith("Usage: rsockd [--flag=value ...]\n"));
  EXPECT_THAT(help, HasSubstr("\nExamples:\n  rsockd "));
  // The groups, in this order.
  size_t at = 0;
  for (const char* heading :
       {"Listening", "Configuration files", "Timeouts", "Ident (RFC 1413)",
        "Upstream servers and DNS", "Process"}) {
    const size_t found = help.find(absl::StrCat("\n\n", heading, ":\n"), at);
    ASSERT_NE(found, std::string::npos) << heading << " after " << at;
    at = found + 1;
  }
  // Every flag main.cc defines, each in exactly one group: a flag added
  // without a group fails here.
  EXPECT_THAT(DescribedFlags(help), UnorderedElementsAreArray(defined.own));
  // The libraries' flags are left to --helpfull, which the text names, as it
  // names --flagfile.
  for (const std::string& name : defined.libraries) {
    if (name == "flagfile" || name == "helpfull") continue;
    EXPECT_FALSE(MentionsFlag(help, name)) << "--help names -" << name;
  }
}

TEST(HelpTest, HelpshortIsHelpAndHelpfullAddsTheLibrariesFlags) {
  ASSERT_OK_AND_ASSIGN(std::string binary, RsockdProcess::BinaryPath());
  ASSERT_OK_AND_ASSIGN(DefinedFlags defined, FlagsOf(binary));
  ASSERT_OK_AND_ASSIGN(
      SubprocessResult help,
      RunCommand({.argv = {binary, "--help"}}, kCommandTimeout));

  ASSERT_OK_AND_ASSIGN(
      SubprocessResult helpshort,
      RunCommand({.argv = {binary, "--helpshort"}}, kCommandTimeout));
  EXPECT_TRUE(helpshort.status.success()) << helpshort.status.ToString();
  EXPECT_EQ(helpshort.stdout_text, help.stdout_text);

  ASSERT_OK_AND_ASSIGN(
      SubprocessResult helpfull,
      RunCommand({.argv = {binary, "--helpfull"}}, kCommandTimeout));
  EXPECT_TRUE(helpfull.status.success()) << helpfull.status.ToString();
  EXPECT_THAT(helpfull.stdout_text, StartsWith(help.stdout_text));
  const std::string libraries =
      helpfull.stdout_text.substr(help.stdout_text.size());
  for (const std::string& name : defined.libraries) {
    EXPECT_THAT(libraries, HasSubstr(absl::StrCat("\n    -", name, " (")));
  }
  EXPECT_THAT(DescribedFlags(libraries), ::testing::IsEmpty())
      << "rsockd's flags are described once, before the libraries'";
}

class LifecycleTest : public RsockdTest {};

TEST_F(LifecycleTest, SigtermExitsZero) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_TRUE(EchoThroughProxy(echo->address(), "before", "serving"));
  ASSERT_OK_AND_ASSIGN(ExitStatus status, rsockd().Stop(absl::Seconds(60)));
  EXPECT_TRUE(status.success()) << status.ToString();
  // Nothing listens any more.
  EXPECT_FALSE(ConnectTcp(proxy(), kStepTimeout).ok());
}

TEST_F(LifecycleTest, SigtermWithAnOpenSessionExitsZeroAfterTheDrain) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd({.extra_flags = {"--drain_timeout=1s"}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(
      net::Socket tunnel,
      Socks4Connect(proxy(), Socks4ConnectRequest(echo->address(), "draining"),
                    kStepTimeout));
  // The session is live (and stays open: no half-close).
  const net::Deadline deadline = net::Deadline::In(kStepTimeout);
  ASSERT_THAT(tunnel.WriteAll("ping", deadline), IsOk());
  ASSERT_OK_AND_ASSIGN(std::string pong,
                       rsockd::testing::ReadExactly(tunnel, 4, deadline));
  EXPECT_EQ(pong, "ping");
  const absl::Time start = absl::Now();
  ASSERT_OK_AND_ASSIGN(ExitStatus status, rsockd().Stop(absl::Seconds(60)));
  EXPECT_TRUE(status.success()) << status.ToString();
  EXPECT_LT(absl::Now() - start, absl::Seconds(30))
      << "the 1 s drain deadline was not kept";
  // The session was ended, not abandoned half-open.
  EXPECT_THAT(ReadUntilClosed(tunnel, net::Deadline::In(kStepTimeout)), IsOk());
}

TEST_F(LifecycleTest, PidfileHoldsThePid) {
  ASSERT_OK_AND_ASSIGN(std::string dir, MakeTempDir("pidfile-"));
  const std::string pidfile = absl::StrCat(dir, "/rsockd.pid");
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.extra_flags = {absl::StrCat("--pidfile=", pidfile)}}));
  // rsockd may write the pid file just after the port file: wait for it.
  ASSERT_OK_AND_ASSIGN(
      std::string contents,
      rsockd::testing::WaitForCompleteFile(pidfile, kLogTimeout));
  int pid = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(contents), &pid))
      << contents;
  EXPECT_EQ(pid, rsockd().pid());
}

TEST_F(LifecycleTest, SighupReloadsRulesAndKeepsThemWhenTheNewFileIsBroken) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  const std::string request = Socks4ConnectRequest(echo->address(), "reload");
  const net::IpAddress other_client = *net::IpAddress::Parse("127.0.0.2");
  // The reply code 127.0.0.1 (or `from`) gets for the same request now; -1
  // (and a failure) when there is no reply.
  const auto verdict = [&](std::optional<net::IpAddress> from =
                               std::nullopt) -> int {
    absl::StatusOr<Socks4Session> session =
        Socks4Handshake(proxy(), request, kStepTimeout, from);
    if (!session.ok()) {
      ADD_FAILURE() << session.status();
      return -1;
    }
    return session->reply.code;
  };
  EXPECT_EQ(verdict(), kSocks4Granted);

  // New rules turn 127.0.0.1 away. SIGHUP is asynchronous: poll (bounded)
  // until the verdict changes.
  ASSERT_THAT(WriteStringToFile(rsockd().sockd_conf_path(),
                                "deny 127.0.0.1 255.255.255.255\n"
                                "permit 127.0.0.0 255.0.0.0\n"),
              IsOk());
  ASSERT_EQ(kill(rsockd().pid(), SIGHUP), 0);
  int code = kSocks4Granted;
  ASSERT_TRUE(rsockd::testing::WaitFor(
      [&] {
        code = verdict();
        return code != kSocks4Granted;
      },
      "turned away", kLogTimeout));
  ASSERT_EQ(code, kSocks4Rejected);
  EXPECT_EQ(verdict(other_client), kSocks4Granted);

  // A broken file is reported as file:line:col and never installed: had
  // its good first line been taken, 127.0.0.1 would be let in again.
  const size_t mark = rsockd().StderrSize();
  ASSERT_THAT(WriteStringToFile(rsockd().sockd_conf_path(),
                                "permit 127.0.0.0 255.0.0.0\n"
                                "allow 127.0.0.0 255.0.0.0\n"),
              IsOk());
  ASSERT_EQ(kill(rsockd().pid(), SIGHUP), 0);
  EXPECT_THAT(rsockd().WaitForLogLine("sockd.conf:2:", kLogTimeout, mark),
              IsOk());
  EXPECT_EQ(verdict(), kSocks4Rejected);
  EXPECT_EQ(verdict(other_client), kSocks4Granted);
}

}  // namespace
}  // namespace rsockd::e2e
