// Frozen configuration files in the running server (docs/frozen_files.md):
// rsockd prefers sockd.fc beside the configured sockd.conf, decides with its
// rules exactly as with the text (permit, deny, and `refused` log lines naming
// the text file and line), refuses a frozen file older than its text or a
// user file it froze (at start and on SIGHUP), and reloads the frozen file
// on SIGHUP. The frozen files are made by the real make_sockdfc.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/files.h"
#include "testing/socks4_client.h"
#include "testing/status_matchers.h"
#include "testing/subprocess.h"
#include "testing/tcp_servers.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::EchoServer;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::kSocks4Granted;
using ::rsockd::testing::kSocks4Rejected;
using ::rsockd::testing::RsockdProcess;
using ::rsockd::testing::RunCommand;
using ::rsockd::testing::SetModificationTime;
using ::rsockd::testing::Socks4ConnectRequest;
using ::rsockd::testing::Socks4Handshake;
using ::rsockd::testing::Socks4Session;
using ::rsockd::testing::SubprocessResult;
using ::rsockd::testing::WriteStringToFile;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kStale[] = "is older than";

class FrozenConfigTest : public RsockdTest {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(dir_, rsockd::testing::MakeTempDir("frozen-e2e"));
    ASSERT_OK_AND_ASSIGN(permitted_, EchoServer::Start());
    ASSERT_OK_AND_ASSIGN(denied_, EchoServer::Start());
  }

  std::string conf() const { return dir_ + "/sockd.conf"; }
  std::string frozen() const { return dir_ + "/sockd.fc"; }

  // Line 1 denies the second echo server's port, line 2 permits loopback.
  std::string Rules() const {
    return absl::StrCat("deny 127.0.0.0/8 127.0.0.1 255.255.255.255 eq ",
                        denied_->port(), "\npermit 127.0.0.0 255.0.0.0\n");
  }

  // Writes `text` as sockd.conf and freezes it with make_sockdfc.
  ::testing::AssertionResult Freeze(absl::string_view text) {
    if (absl::Status written = WriteStringToFile(conf(), text); !written.ok()) {
      return ::testing::AssertionFailure() << written;
    }
    absl::StatusOr<SubprocessResult> made =
        RunCommand({.argv = {RunfilePath("rsockd/tools/make_sockdfc"), conf()}},
                   kCommandTimeout);
    if (!made.ok()) return ::testing::AssertionFailure() << made.status();
    if (made->status.exit_code != 0) {
      return ::testing::AssertionFailure()
             << "make_sockdfc: " << made->status.ToString() << "\n"
             << made->stderr_text;
    }
    return ::testing::AssertionSuccess();
  }

  // The server reads the test's sockd.conf: a later --sockd_conf overrides
  // the one RsockdProcess writes (gflags keeps the last value).
  void Start() { StartRsockd({.extra_flags = {"--sockd_conf=" + conf()}}); }

  int Verdict(const EchoServer& echo) {
    absl::StatusOr<Socks4Session> session = Socks4Handshake(
        proxy(), Socks4ConnectRequest(echo.address(), "probe"), kStepTimeout);
    return session.ok() ? session->reply.code : -1;
  }

  std::string dir_;
  std::unique_ptr<EchoServer> permitted_;
  std::unique_ptr<EchoServer> denied_;
};

TEST_F(FrozenConfigTest, FrozenRulesDecideAndTheTextBesideThemIsIgnored) {
  ASSERT_TRUE(Freeze(Rules()));
  // The text now denies everything, but is older than the frozen file.
  ASSERT_THAT(WriteStringToFile(conf(), "deny ALL\n"), IsOk());
  ASSERT_THAT(SetModificationTime(conf(), 1000000000), IsOk());
  ASSERT_THAT(SetModificationTime(frozen(), 1000000100), IsOk());
  ASSERT_NO_FATAL_FAILURE(Start());

  ASSERT_OK_AND_ASSIGN(
      net::Socket tunnel,
      rsockd::testing::Socks4Connect(
          proxy(), Socks4ConnectRequest(permitted_->address(), "jane"),
          kStepTimeout));
  EXPECT_TRUE(EchoRoundTrip(tunnel, "through the frozen rules"));
  EXPECT_EQ(Verdict(*denied_), kSocks4Rejected);
  // The log still names the text file and the line the rule came from.
  EXPECT_THAT(rsockd().WaitForLogLineWithAll({"refused -- Connect from probe",
                                              absl::StrCat("[", conf(), ":1]")},
                                             kLogTimeout),
              IsOk());
  // Loading happens before the port file is written: no warning by now
  // means none.
  EXPECT_THAT(rsockd().Stderr(), Not(HasSubstr(kStale)));
}

TEST_F(FrozenConfigTest, ServesTheFrozenFileWithoutTheTextFile) {
  ASSERT_TRUE(Freeze(Rules()));
  ASSERT_EQ(unlink(conf().c_str()), 0);
  ASSERT_NO_FATAL_FAILURE(Start());
  EXPECT_EQ(Verdict(*permitted_), kSocks4Granted);
  EXPECT_EQ(Verdict(*denied_), kSocks4Rejected);
}

// frozen_files.md, "Staleness": a frozen file older than its text file may
// lack a deny the operator has since added. rsockd fails closed: it does not
// start, and the error names both files.
TEST_F(FrozenConfigTest, StartIsRefusedWhenTheTextFileIsNewer) {
  ASSERT_TRUE(Freeze(Rules()));
  ASSERT_THAT(WriteStringToFile(conf(), "deny ALL\n"), IsOk());
  ASSERT_THAT(SetModificationTime(frozen(), 1000000000), IsOk());
  ASSERT_THAT(SetModificationTime(conf(), 1000000060), IsOk());
  absl::StatusOr<std::unique_ptr<RsockdProcess>> started =
      RsockdProcess::Start({.extra_flags = {"--sockd_conf=" + conf()}});
  ASSERT_FALSE(started.ok()) << "rsockd started with a stale frozen file";
  EXPECT_THAT(started.status().message(),
              HasSubstr(absl::StrCat(frozen(), " is older than ", conf())));
  EXPECT_THAT(started.status().message(), HasSubstr("make_sockdfc"));
  EXPECT_THAT(started.status().message(),
              HasSubstr("configuration has errors; not starting"));
}

TEST_F(FrozenConfigTest, StartIsRefusedWhenAFrozenUserFileIsNewer) {
  const std::string users = dir_ + "/staff";
  ASSERT_THAT(WriteStringToFile(users, "alice\n"), IsOk());
  ASSERT_TRUE(Freeze(absl::StrCat("permit *=", users, " 127.0.0.0/8\n")));
  // The operator removed alice from the list after freezing.
  ASSERT_THAT(WriteStringToFile(users, "bob\n"), IsOk());
  ASSERT_THAT(SetModificationTime(conf(), 1000000000), IsOk());
  ASSERT_THAT(SetModificationTime(frozen(), 1000000100), IsOk());
  ASSERT_THAT(SetModificationTime(users, 1000000200), IsOk());
  absl::StatusOr<std::unique_ptr<RsockdProcess>> started =
      RsockdProcess::Start({.extra_flags = {"--sockd_conf=" + conf()}});
  ASSERT_FALSE(started.ok()) << "rsockd started with a stale frozen file";
  EXPECT_THAT(started.status().message(),
              HasSubstr(absl::StrCat(frozen(), " is older than ", users,
                                     ", a user file it froze")));
}

TEST_F(FrozenConfigTest, SighupKeepsTheRulesInUseWhenTheFrozenFileIsStale) {
  ASSERT_TRUE(Freeze(Rules()));
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_EQ(Verdict(*permitted_), kSocks4Granted);

  ASSERT_THAT(WriteStringToFile(conf(), "deny ALL\n"), IsOk());
  ASSERT_THAT(SetModificationTime(frozen(), 1000000000), IsOk());
  ASSERT_THAT(SetModificationTime(conf(), 1000000060), IsOk());
  const size_t mark = rsockd().StderrSize();
  ASSERT_TRUE(Reload("configuration has errors"));
  EXPECT_THAT(
      rsockd().WaitForLogLine(absl::StrCat(frozen(), " is older than ", conf()),
                              kLogTimeout, mark),
      IsOk());
  EXPECT_EQ(Verdict(*permitted_), kSocks4Granted);
  EXPECT_EQ(Verdict(*denied_), kSocks4Rejected);
}

TEST_F(FrozenConfigTest, SighupReloadsTheFrozenFileAndKeepsRulesOnCorruption) {
  ASSERT_TRUE(Freeze(Rules()));
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_EQ(Verdict(*permitted_), kSocks4Granted);

  // A damaged frozen file is refused; the rules in use stay.
  ASSERT_OK_AND_ASSIGN(std::string bytes,
                       rsockd::testing::ReadFileToString(frozen()));
  bytes[bytes.size() / 2] ^= 0x10;
  ASSERT_THAT(WriteStringToFile(frozen(), bytes), IsOk());
  const size_t mark = rsockd().StderrSize();
  ASSERT_TRUE(Reload("configuration has errors"));
  EXPECT_THAT(rsockd().WaitForLogLineWithAll({frozen(), "checksum mismatch"},
                                             kLogTimeout, mark),
              IsOk());
  EXPECT_EQ(Verdict(*permitted_), kSocks4Granted);

  // A new frozen file is taken.
  ASSERT_TRUE(Freeze("deny ALL\n"));
  ASSERT_TRUE(Reload(kReloaded));
  EXPECT_EQ(Verdict(*permitted_), kSocks4Rejected);
}

}  // namespace
}  // namespace rsockd::e2e
