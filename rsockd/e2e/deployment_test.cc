// End-to-end: the deployment build (//deploy) — the binaries as installed
// on a host: -c opt, Abseil, glog, gflags and c-ares linked in from Debian's
// static archives. They must need no shared library of those (a host without
// the -dev packages), and the server must work like the development build.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/files.h"
#include "testing/socket_io.h"
#include "testing/socks4_client.h"
#include "testing/status_matchers.h"
#include "testing/subprocess.h"
#include "testing/tcp_servers.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::EchoServer;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::kSocks4Rejected;
using ::rsockd::testing::LoopbackAddress;
using ::rsockd::testing::MakeTempDir;
using ::rsockd::testing::RunCommand;
using ::rsockd::testing::Socks4Connect;
using ::rsockd::testing::Socks4ConnectRequest;
using ::rsockd::testing::Socks4Handshake;
using ::rsockd::testing::Socks4Session;
using ::rsockd::testing::SubprocessResult;
using ::rsockd::testing::WriteStringToFile;
using ::testing::HasSubstr;

// What a Debian 12 host has without rsockd's build dependencies: glibc,
// GCC's runtime and libstdc++ (every host), and libunwind8 with the liblzma5
// it depends on (the one runtime package to install; see
// third_party/system.BUILD for why libunwind is not linked in).
const std::set<std::string>& HostLibraries() {
  static const auto* const libraries = new std::set<std::string>{
      "linux-vdso.so.1", "libc.so.6",     "libm.so.6",
      "libstdc++.so.6",  "libgcc_s.so.1", "ld-linux-x86-64.so.2",
      "libunwind.so.8",  "liblzma.so.5",
  };
  return *libraries;
}

class DeploymentBuildTest : public ::testing::TestWithParam<const char*> {};

TEST_P(DeploymentBuildTest, NeedsOnlyLibrariesEveryHostHas) {
  const std::string binary = RunfilePath(GetParam());
  ASSERT_OK_AND_ASSIGN(SubprocessResult ldd,
                       RunCommand({.argv = {"ldd", binary}}, kCommandTimeout));
  ASSERT_TRUE(ldd.status.success())
      << ldd.status.ToString() << ": " << ldd.stderr_text;
  // ldd resolved the binary's libraries (it prints libc's path).
  EXPECT_THAT(ldd.stdout_text, HasSubstr("libc.so.6 => "));
  for (absl::string_view line : absl::StrSplit(ldd.stdout_text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    // "libfoo.so.1 => /lib/.../libfoo.so.1 (0x...)" or
    // "/lib64/ld-linux-x86-64.so.2 (0x...)".
    std::string name(line.substr(0, line.find_first_of(" \t")));
    name = name.substr(name.rfind('/') + 1);
    EXPECT_TRUE(HostLibraries().contains(name))
        << GetParam() << " needs " << line;
    EXPECT_FALSE(absl::StrContains(line, "not found")) << line;
  }
  for (const char* library : {"libabsl_", "libglog", "libgflags", "libcares"}) {
    EXPECT_THAT(ldd.stdout_text, ::testing::Not(HasSubstr(library)));
  }
}

INSTANTIATE_TEST_SUITE_P(Binaries, DeploymentBuildTest,
                         ::testing::Values("deploy/rsockd",
                                           "deploy/test_sockd_conf"));

class DeploymentServerTest : public RsockdTest {
 protected:
  void StartDeployed(const std::string& sockd_conf) {
    ASSERT_NO_FATAL_FAILURE(
        StartRsockd({.sockd_conf = sockd_conf,
                     .binary_path = RunfilePath("deploy/rsockd")}));
  }
};

TEST_F(DeploymentServerTest, ConnectsRelaysAndRefuses) {
  ASSERT_NO_FATAL_FAILURE(
      StartDeployed("deny 127.0.0.0 255.0.0.0 eq 9\n"
                    "permit 127.0.0.0 255.0.0.0\n"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  {
    ASSERT_OK_AND_ASSIGN(
        net::Socket tunnel,
        Socks4Connect(proxy(), Socks4ConnectRequest(echo->address(), "deploy"),
                      kStepTimeout));
    EXPECT_TRUE(EchoRoundTrip(tunnel, std::string(1 << 20, 'd')));
  }
  ASSERT_OK_AND_ASSIGN(
      Socks4Session refused,
      Socks4Handshake(proxy(), Socks4ConnectRequest(LoopbackAddress(9), "x"),
                      kStepTimeout));
  EXPECT_EQ(refused.reply.code, kSocks4Rejected);
  EXPECT_THAT(rsockd().WaitForLogLine("[1] terminated -- Connect from deploy",
                                      kLogTimeout),
              IsOk());
}

TEST(DeploymentToolsTest, VerAndTestSockdConfRun) {
  ASSERT_OK_AND_ASSIGN(
      SubprocessResult ver,
      RunCommand({.argv = {RunfilePath("deploy/rsockd"), "-ver"}},
                 kCommandTimeout));
  EXPECT_TRUE(ver.status.success()) << ver.status.ToString();
  EXPECT_THAT(ver.stdout_text, HasSubstr("rsockd "));

  // docs/sockd_conf.md#worked-example: jane from 128.12.2.13 to telnet is
  // denied by line 3 (exit 0).
  ASSERT_OK_AND_ASSIGN(std::string dir, MakeTempDir("deploy-tools-"));
  const std::string conf = absl::StrCat(dir, "/sockd.conf");
  ASSERT_THAT(
      WriteStringToFile(conf,
                        "deny   *=bonnie,clyde 128.12.6.0 255.255.255.0\n"
                        "permit *=ylee 128.12.6.4 255.255.255.255 137.12.0.0 "
                        "255.255.0.0\n"
                        "deny   128.12.0.0 255.255.0.0 eq 23\n"
                        "permit 128.12.0.0 255.255.0.0\n"),
      IsOk());
  ASSERT_OK_AND_ASSIGN(
      SubprocessResult decided,
      RunCommand({.argv = {RunfilePath("deploy/test_sockd_conf"), "-C", conf,
                           "jane", "128.12.2.13", "137.12.5.5", "23"}},
                 kCommandTimeout));
  EXPECT_EQ(decided.status.exit_code, 0) << decided.stderr_text;
  EXPECT_THAT(decided.stdout_text, HasSubstr("line 3: "));
}

}  // namespace
}  // namespace rsockd::e2e
