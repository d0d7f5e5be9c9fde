// Ident against a real identd (docs/ident.md): Debian's oidentd, started by the
// test on 127.0.0.1 and a free port (docs/oidentd_notes.md), answering for
// the test's own connection to rsockd.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/files.h"
#include "testing/free_port_server.h"
#include "testing/socks4_client.h"
#include "testing/status_matchers.h"
#include "testing/subprocess.h"
#include "testing/tcp_servers.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::EchoServer;
using ::rsockd::testing::FreePortServer;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::kSocks4Granted;
using ::rsockd::testing::kSocks4IdentMismatch;
using ::rsockd::testing::Socks4ConnectRequest;
using ::rsockd::testing::Socks4Handshake;
using ::rsockd::testing::Socks4Session;
using ::rsockd::testing::StartOnFreePort;
using ::rsockd::testing::Subprocess;

class OidentdTest : public RsockdTest {
 protected:
  // Starts oidentd with `config` on 127.0.0.1 and a free port; fails the
  // test when it cannot. Ready once it accepts; an exit means it could not
  // start (its stderr says why), and a taken port is retried.
  void StartOidentd(absl::string_view config) {
    ASSERT_OK_AND_ASSIGN(std::string dir,
                         rsockd::testing::MakeTempDir("oidentd"));
    const std::string config_path = dir + "/oidentd.conf";
    ASSERT_THAT(rsockd::testing::WriteStringToFile(config_path, config),
                IsOk());
    ASSERT_OK_AND_ASSIGN(
        FreePortServer identd,
        StartOnFreePort(
            *net::IpAddress::Parse("127.0.0.1"), "oidentd", [&](uint16_t port) {
              return Subprocess::Start(
                  {.argv = {"/usr/sbin/oidentd", "-i", "-S", "-d", "-a",
                            "127.0.0.1", "-p", absl::StrCat(port), "-C",
                            config_path, "-t", "2"}});
            }));
    identd_ = std::move(identd.process);
    identd_port_ = identd.address.port();
  }

  int Request(absl::string_view user) {
    absl::StatusOr<Socks4Session> session = Socks4Handshake(
        proxy(), Socks4ConnectRequest(echo_->address(), user), kStepTimeout);
    return session.ok() ? session->reply.code : -1;
  }

  void SetUp() override {
    absl::StatusOr<std::unique_ptr<EchoServer>> echo = EchoServer::Start();
    ASSERT_THAT(echo, IsOk());
    echo_ = *std::move(echo);
  }

  std::unique_ptr<Subprocess> identd_;
  uint16_t identd_port_ = 0;
  std::unique_ptr<EchoServer> echo_;
};

// oidentd reports the owner of the test's own socket: this process's user.
TEST_F(OidentdTest, StrictLineGrantsTheRealUserAndRefusesAnother) {
  ASSERT_NO_FATAL_FAILURE(StartOidentd(""));
  const passwd* me = getpwuid(getuid());
  ASSERT_NE(me, nullptr) << "the test's uid has no passwd entry";
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      {.sockd_conf = "permit ?=I 127.0.0.0 255.0.0.0\n",
       .extra_flags = {absl::StrCat("--ident_port=", identd_port_)}}));
  EXPECT_EQ(Request(me->pw_name), kSocks4Granted);
  EXPECT_THAT(rsockd().WaitForLogLine(
                  absl::StrCat("connected -- Connect from ", me->pw_name, "(",
                               me->pw_name, ")@127.0.0.1"),
                  kLogTimeout),
              IsOk());
  EXPECT_EQ(Request("someone-else"), kSocks4IdentMismatch);
  EXPECT_THAT(
      rsockd().WaitForLogLine(absl::StrCat("*Alert*: real user is ",
                                           me->pw_name, ", not someone-else"),
                              kLogTimeout),
      IsOk());
}

// oidentd's `force reply` answers a fixed name after its real lookup.
TEST_F(OidentdTest, ForcedReplyNamesTheUserRsockdCompares) {
  ASSERT_NO_FATAL_FAILURE(StartOidentd(
      "default {\n\tdefault {\n\t\tforce reply \"ylee\"\n\t}\n}\n"));
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      {.sockd_conf = "permit 127.0.0.0 255.0.0.0\n",
       .extra_flags = {"-I", absl::StrCat("--ident_port=", identd_port_)}}));
  EXPECT_EQ(Request("ylee"), kSocks4Granted);
  EXPECT_EQ(Request("jane"), kSocks4IdentMismatch);
}

}  // namespace
}  // namespace rsockd::e2e
