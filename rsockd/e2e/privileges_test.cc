// End-to-end: --user (README.md#security-notes, drop privileges after bind).
// The test runs as root (the CI machine's user) and outside Bazel's sandbox,
// whose user namespace forbids setgroups(2); see the BUILD file.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/files.h"
#include "testing/rsockd_process.h"
#include "testing/socks4_client.h"
#include "testing/status_matchers.h"
#include "testing/subprocess.h"
#include "testing/tcp_servers.h"
#include "testing/wait_for.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::EchoServer;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::kSocks4Granted;
using ::rsockd::testing::kSocks4Rejected;
using ::rsockd::testing::MakeTempDir;
using ::rsockd::testing::ReadFileToString;
using ::rsockd::testing::RemoveTree;
using ::rsockd::testing::RsockdProcess;
using ::rsockd::testing::RunCommand;
using ::rsockd::testing::Socks4Connect;
using ::rsockd::testing::Socks4ConnectRequest;
using ::rsockd::testing::Socks4Handshake;
using ::rsockd::testing::Socks4Session;
using ::rsockd::testing::SubprocessResult;
using ::rsockd::testing::WaitFor;
using ::rsockd::testing::WriteStringToFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kUser[] = "nobody";

// A directory under /tmp that `kUser` can read: $TEST_TMPDIR lies under
// /root, which only root may enter, and after the switch the server must
// still read its configuration (on SIGHUP).
class SharedDir {
 public:
  static absl::StatusOr<std::unique_ptr<SharedDir>> Create() {
    char pattern[] = "/tmp/rsockd-user-XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
      return absl::ErrnoToStatus(errno, "mkdtemp");
    }
    if (chmod(pattern, 0755) != 0) {
      return absl::ErrnoToStatus(errno, "chmod");
    }
    return std::unique_ptr<SharedDir>(new SharedDir(pattern));
  }
  ~SharedDir() { (void)RemoveTree(path_); }

  // Writes `contents` to `name` in the directory with `mode`.
  absl::StatusOr<std::string> Write(const std::string& name,
                                    const std::string& contents,
                                    mode_t mode = 0644) {
    const std::string path = absl::StrCat(path_, "/", name);
    if (absl::Status written = WriteStringToFile(path, contents);
        !written.ok()) {
      return written;
    }
    if (chmod(path.c_str(), mode) != 0) {
      return absl::ErrnoToStatus(errno, absl::StrCat("chmod ", path));
    }
    return path;
  }

 private:
  explicit SharedDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// The whitespace-separated fields after "Name:" in /proc/PID/status.
std::vector<std::string> StatusField(const std::string& status,
                                     const std::string& name) {
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    if (absl::ConsumePrefix(&line, name + ":")) {
      return absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    }
  }
  return {};
}

class PrivilegesTest : public RsockdTest {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "these tests need root";
    const passwd* user = getpwnam(kUser);
    ASSERT_NE(user, nullptr) << "no user " << kUser;
    uid_ = absl::StrCat(user->pw_uid);
    gid_ = absl::StrCat(user->pw_gid);
    ASSERT_OK_AND_ASSIGN(dir_, SharedDir::Create());
    ASSERT_OK_AND_ASSIGN(conf_,
                         dir_->Write("sockd.conf", "permit 127.0.0.0/8\n"));
  }

  void StartAsUser() {
    ASSERT_NO_FATAL_FAILURE(StartRsockd(
        {.extra_flags = {absl::StrCat("--user=", kUser),
                         // Overrides the fixture's own file, in $TEST_TMPDIR.
                         absl::StrCat("--sockd_conf=", conf_)}}));
  }

  // The reply code the server gives a request now.
  int Verdict(const std::string& request) {
    absl::StatusOr<Socks4Session> session =
        Socks4Handshake(proxy(), request, kStepTimeout);
    if (!session.ok()) {
      ADD_FAILURE() << session.status();
      return -1;
    }
    return session->reply.code;
  }

  std::string uid_;
  std::string gid_;
  std::unique_ptr<SharedDir> dir_;
  std::string conf_;
};

TEST_F(PrivilegesTest, SwitchesEveryIdAndGroupAndStillServes) {
  ASSERT_NO_FATAL_FAILURE(StartAsUser());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  // Connections are accepted only after the switch, so one served proves it
  // has happened.
  {
    ASSERT_OK_AND_ASSIGN(
        net::Socket tunnel,
        Socks4Connect(proxy(), Socks4ConnectRequest(echo->address(), "u"),
                      kStepTimeout));
    EXPECT_TRUE(EchoRoundTrip(tunnel, "served as nobody"));
  }
  ASSERT_OK_AND_ASSIGN(
      std::string status,
      ReadFileToString(absl::StrCat("/proc/", rsockd().pid(), "/status")));
  // Real, effective, saved and file-system ids.
  EXPECT_THAT(StatusField(status, "Uid"), ElementsAre(uid_, uid_, uid_, uid_));
  EXPECT_THAT(StatusField(status, "Gid"), ElementsAre(gid_, gid_, gid_, gid_));
  // nobody belongs to no group but its own: root's groups are gone.
  EXPECT_THAT(StatusField(status, "Groups"), ElementsAre(gid_));
  // No capability left to get root back with.
  EXPECT_THAT(StatusField(status, "CapEff"), ElementsAre("0000000000000000"));
  EXPECT_THAT(StatusField(status, "CapPrm"), ElementsAre("0000000000000000"));
  EXPECT_THAT(rsockd().Stderr(), HasSubstr("running as user nobody"));
}

TEST_F(PrivilegesTest, ReloadWorksWithFilesTheUserCanRead) {
  ASSERT_NO_FATAL_FAILURE(StartAsUser());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  const std::string request = Socks4ConnectRequest(echo->address(), "u");
  EXPECT_EQ(Verdict(request), kSocks4Granted);

  ASSERT_THAT(dir_->Write("sockd.conf",
                          "deny 127.0.0.1/32\n"
                          "permit 127.0.0.0/8\n"),
              IsOk());
  ASSERT_EQ(kill(rsockd().pid(), SIGHUP), 0);
  int code = kSocks4Granted;
  EXPECT_TRUE(WaitFor(
      [&] {
        code = Verdict(request);
        return code != kSocks4Granted;
      },
      "turned away", kLogTimeout));
  EXPECT_EQ(code, kSocks4Rejected);
  // Logged just after the new rules are installed.
  EXPECT_THAT(
      rsockd().WaitForLogLine("SIGHUP: configuration reloaded", kLogTimeout),
      IsOk());
}

TEST_F(PrivilegesTest, ReloadOfAFileTheUserCannotReadKeepsTheRules) {
  ASSERT_NO_FATAL_FAILURE(StartAsUser());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  const std::string request = Socks4ConnectRequest(echo->address(), "u");
  // Root's file, readable by root only: the server read it at startup (as
  // root) but cannot any more.
  ASSERT_THAT(dir_->Write("sockd.conf", "deny ALL\n", 0600), IsOk());
  const size_t mark = rsockd().StderrSize();
  ASSERT_EQ(kill(rsockd().pid(), SIGHUP), 0);
  ASSERT_OK_AND_ASSIGN(
      std::string error,
      rsockd().WaitForLogLine("Permission denied", kLogTimeout, mark));
  EXPECT_THAT(error, HasSubstr(conf_));
  EXPECT_THAT(rsockd().WaitForLogLine("keeping the configuration in use",
                                      kLogTimeout, mark),
              IsOk());
  EXPECT_EQ(Verdict(request), kSocks4Granted);
}

TEST(PrivilegesFlagsTest, UnknownUserStopsTheServerBeforeServing) {
  ASSERT_OK_AND_ASSIGN(std::string binary, RsockdProcess::BinaryPath());
  ASSERT_OK_AND_ASSIGN(std::string dir, MakeTempDir("user-"));
  const std::string conf = absl::StrCat(dir, "/sockd.conf");
  ASSERT_THAT(WriteStringToFile(conf, "permit 127.0.0.0/8\n"), IsOk());
  const std::string port_file = absl::StrCat(dir, "/port");
  ASSERT_OK_AND_ASSIGN(
      SubprocessResult result,
      RunCommand(
          {.argv = {binary, "--user=no-such-user-rsockd", "--port=0",
                    "--listen=127.0.0.1", absl::StrCat("--sockd_conf=", conf),
                    absl::StrCat("--port_file=", port_file)}},
          kCommandTimeout));
  EXPECT_EQ(result.status.exit_code, 1) << result.status.ToString();
  EXPECT_THAT(
      result.stderr_text,
      HasSubstr("--user: no user \"no-such-user-rsockd\"; not serving"));
  EXPECT_THAT(result.stderr_text, Not(HasSubstr("ready")));
}

}  // namespace
}  // namespace rsockd::e2e
